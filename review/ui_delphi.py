"""The Delphi pages: the expert's questionnaire (德尔菲咨询) and, for staff, running the study.

:func:`pages` is what the front door registers. An invited expert rates every indicator of the
round on the study's scale, with a comment, states his judgment basis and familiarity, may
propose new indicators and submits once; every answer is kept as a draft the moment he gives
it (:mod:`review.ui_answer_drafts`), so he can close the tab and carry on another day. In a
later round each
indicator shows the group's mean of the previous round beside his own earlier rating, and
after a round closes he reads its feedback. Staff pages are in :mod:`review.ui_delphi_staff`.
The store enforces who reads what; the pages only ask. Labels are keys of
``data/i18n/delphi.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.errors import JixiaoError
from indicators.frontdoor import STAFF_ROLES, PageContext, PageSpec, Role
from indicators.ui_widgets import flash, show_flash
from review.delphi_answers import add_proposal, questionnaire, remove_proposal
from review.delphi_feedback import round_feedback
from review.delphi_store import list_rounds, list_studies
from review.delphi_tables import (
    DelphiQuestionnaire,
    DelphiRoundPublic,
    DelphiRoundStatus,
    ResponseStatus,
)
from review.ui_answer_drafts import (
    basis_key,
    comment_key,
    delphi_form,
    familiarity_key,
    general_key,
    rating_key,
)
from review.ui_autosave import DraftForm, save_form, show_status, submit_form, sync_form
from review.ui_shell import format_date, reading, show_error, writing

__all__ = [
    "EXPERT_ROLES",
    "SECTION",
    "feedback_frame",
    "pages",
    "rating_key",
    "render_answer",
    "write_and_flash",
]

SECTION = "delphi.section"
"""Message key of the staff's section for building the library (Delphi, group AHP)."""

EXPERT_ROLES: frozenset[Role] = frozenset({Role.EXPERT, Role.DEPUTY})
"""Roles that answer Delphi questionnaires and AHP surveys."""


def pages() -> list[PageSpec]:
    """The Delphi pages with the roles that may see them.

    Returns
    -------
    list of PageSpec
        德尔菲咨询 (``delphi-answer``, experts and deputies, in 我的评审) and 德尔菲研究
        (``delphi-manage``, admin and finance staff, in 指标体系构建).

    Notes
    -----
    Page bodies are imported when drawn, so registering the navigation stays cheap.

    Examples
    --------
    >>> [p.key for p in pages()]
    ['delphi-answer', 'delphi-manage']
    """
    return [
        PageSpec(key="delphi-answer", section="review.section.mine", title="delphi.page.answer",
                 render=render_answer, roles=EXPERT_ROLES, icon=":material/ballot:"),
        PageSpec(key="delphi-manage", section=SECTION, title="delphi.page.manage",
                 render=_render_manage, roles=STAFF_ROLES, icon=":material/groups:"),
    ]


def _render_manage(ctx: PageContext) -> None:
    from review.ui_delphi_staff import render_manage

    render_manage(ctx)


def feedback_frame(ctx: PageContext, names: dict[str, str], group: pd.DataFrame,
                   own: pd.Series) -> pd.DataFrame:
    """The feedback table an expert reads: indicator, group mean, SD, median, his own rating.

    Parameters
    ----------
    ctx
        The page context (language).
    names
        Indicator code → name.
    group
        Per indicator ``mean`` (or ``group_mean``), ``sd``, ``median``.
    own
        The reader's own rating per indicator (NaN where blank).

    Returns
    -------
    pandas.DataFrame
        Labelled columns, numbers to two decimals.

    Notes
    -----
    Only aggregates and the reader's own ratings: what the store hands an expert.

    Examples
    --------
    >>> from indicators.frontdoor import Viewer
    >>> ctx = PageContext(None, Viewer(1, "e", "E", Role.EXPERT))
    >>> g = pd.DataFrame({"mean": [4.5], "sd": [0.5], "median": [4.5]}, index=["A"])
    >>> list(feedback_frame(ctx, {"A": "决策"}, g, pd.Series({"A": 5.0})).columns)[:2]
    ['指标', '名称']
    """
    g = group.rename(columns=lambda c: c.removeprefix("group_"))
    return pd.DataFrame({
        ctx.t("delphi.col.code"): list(g.index),
        ctx.t("delphi.col.name"): [names.get(c, "") for c in g.index],
        ctx.t("delphi.col.mean"): g["mean"].round(2).to_numpy(),
        ctx.t("delphi.col.sd"): g["sd"].round(2).to_numpy(),
        ctx.t("delphi.col.median"): g["median"].to_numpy(),
        ctx.t("delphi.col.own"): own.reindex(g.index).to_numpy()})


def _pick_round(ctx: PageContext) -> DelphiRoundPublic | None:
    with reading(ctx) as session:
        rounds = list_rounds(session, by=ctx.viewer)
        titles = {s.study_id: s.title for s in list_studies(session, by=ctx.viewer)}
    if not rounds:
        st.info(ctx.t("delphi.answer.none"))
        return None
    ordered = sorted(rounds, key=lambda r: (r.status is not DelphiRoundStatus.OPEN,
                                            -r.round_id))
    by_id = {r.round_id: r for r in ordered}
    picked = st.selectbox(
        ctx.t("delphi.answer.pick"), list(by_id), key="delphi.answer.round",
        format_func=lambda rid: f"{titles.get(by_id[rid].study_id, '')} · {by_id[rid].label}"
                                f"（{ctx.t('delphi.status.' + by_id[rid].status.value)}）")
    return by_id[picked]


def _closed_view(ctx: PageContext, rnd: DelphiRoundPublic) -> None:
    st.info(ctx.t("delphi.answer.closed"))
    with reading(ctx) as session:
        fb = round_feedback(session, round_id=rnd.round_id, by=ctx.viewer)
    names = {i["code"]: i["name"] for i in rnd.indicators}
    own = fb.by_expert.set_index("indicator")["own_rating"] if len(fb.by_expert) else pd.Series(
        dtype=float)
    st.subheader(ctx.t("delphi.answer.feedback", label=fb.round_label))
    st.dataframe(feedback_frame(ctx, names, fb.group, own), hide_index=True,
                 key="delphi.answer.feedback_table")


def _indicator_rows(ctx: PageContext, q: DelphiQuestionnaire, form: DraftForm) -> None:
    rnd = q.round
    scale = list(range(1, q.scale_max + 1))
    previous = q.previous
    st.caption(ctx.t("delphi.answer.scale_help", top=q.scale_max))
    for item in rnd.indicators:
        code = item["code"]
        if int(item["level"]) == 1:
            st.subheader(f"{item['name']} · {code}")
        with st.container(border=True):
            left, right = st.columns([3, 2], vertical_alignment="center")
            with left:
                st.markdown(f"**{item['name']}**（{code}，"
                            f"{ctx.t('delphi.level', level=int(item['level']))}）")
                if item.get("explanation"):
                    st.caption(item["explanation"])
                if previous is not None and code in previous.index:
                    row = previous.loc[code]
                    own = row["own_rating"]
                    st.caption(ctx.t("delphi.answer.previous", mean=f"{row['group_mean']:.2f}",
                                     sd=f"{row['group_sd']:.2f}",
                                     own="—" if pd.isna(own) else f"{own:g}"))
            with right:
                # Values come from the stored draft through the session state (sync_form).
                st.radio(ctx.t("delphi.answer.rating"), scale, horizontal=True, index=None,
                         key=rating_key(rnd.round_id, code), on_change=save_form,
                         args=(ctx, form))
                st.text_input(ctx.t("delphi.answer.comment"),
                              key=comment_key(rnd.round_id, code), on_change=save_form,
                              args=(ctx, form))


def _authority_questions(ctx: PageContext, q: DelphiQuestionnaire, form: DraftForm) -> None:
    rid = q.round.round_id
    st.subheader(ctx.t("delphi.answer.authority"))
    st.caption(ctx.t("delphi.answer.basis_help"))
    for basis, levels in q.basis_levels.items():
        st.radio(basis, list(levels), horizontal=True, index=None,
                 key=basis_key(rid, basis), on_change=save_form, args=(ctx, form))
    st.radio(ctx.t("delphi.answer.familiarity"), list(q.familiarity_levels), horizontal=True,
             index=None, key=familiarity_key(rid), on_change=save_form, args=(ctx, form))
    st.text_area(ctx.t("delphi.answer.general"), key=general_key(rid), on_change=save_form,
                 args=(ctx, form))


def _proposals(ctx: PageContext, q: DelphiQuestionnaire) -> None:
    rid = q.round.round_id
    st.subheader(ctx.t("delphi.answer.proposals"))
    for p in q.proposals:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"- **{p.name}**（{ctx.t('delphi.answer.under')} "
                      f"{p.parent_code or ctx.t('delphi.top')}）{p.reason}")
        if right.button(ctx.t("delphi.answer.withdraw"), key=f"delphi.withdraw.{p.proposal_id}"):
            write_and_flash(ctx, lambda s, pid=p.proposal_id: remove_proposal(
                s, proposal_id=pid, by=ctx.viewer), ctx.t("delphi.answer.withdrawn"), rerun=True)
    names = {i["code"]: i["name"] for i in q.round.indicators}
    with st.expander(ctx.t("delphi.answer.propose"), icon=":material/add:"):
        parent = st.selectbox(ctx.t("delphi.answer.parent"), ["", *names],
                              key=f"delphi.proposal.parent.{rid}",
                              format_func=lambda c: names[c] if c else ctx.t("delphi.top"))
        name = st.text_input(ctx.t("delphi.answer.proposal_name"),
                             key=f"delphi.proposal.name.{rid}")
        reason = st.text_input(ctx.t("delphi.answer.proposal_reason"),
                               key=f"delphi.proposal.reason.{rid}")
        if st.button(ctx.t("delphi.answer.add"), key=f"delphi.proposal.add.{rid}"):
            write_and_flash(ctx, lambda s: add_proposal(s, round_id=rid, name=name,
                                                        parent_code=parent, reason=reason,
                                                        by=ctx.viewer),
                            ctx.t("delphi.answer.proposed"), rerun=True)


def write_and_flash(ctx: PageContext, action: Callable[[Session], Any], message: str, *,
                    rerun: bool = False) -> Any:
    """Run one store change in its own transaction; show a refusal, or flash the success.

    Parameters
    ----------
    ctx
        The signed-in person and the engine.
    action
        The change, given the open session; its return value is passed on.
    message
        What to flash once the change is committed.
    rerun
        Draw the page again at once (the flash shows on the new run).

    Returns
    -------
    Any
        What ``action`` returned, or None when the store refused it.

    Notes
    -----
    The Delphi and group AHP pages, staff and expert alike, write through this one function,
    so a refusal always reads the same and never half-commits.

    Examples
    --------
    >>> callable(write_and_flash)
    True
    """
    try:
        with writing(ctx) as session:
            result = action(session)
    except JixiaoError as err:
        show_error(ctx, err)
        return None
    flash(message)
    if rerun:
        st.rerun()
    return result


def _save(ctx: PageContext, form: DraftForm) -> None:
    if save_form(ctx, form).kind in ("saved", "merged", "unchanged"):
        flash(ctx.t("delphi.answer.saved"))
    st.rerun()


def _submit(ctx: PageContext, form: DraftForm) -> None:
    if submit_form(ctx, form):
        flash(ctx.t("delphi.answer.submitted"))
    st.rerun()


def _submitted_view(ctx: PageContext, q: DelphiQuestionnaire) -> None:
    st.success(ctx.t("delphi.answer.thanks"))
    st.dataframe(pd.DataFrame({
        ctx.t("delphi.col.code"): [i["code"] for i in q.round.indicators],
        ctx.t("delphi.col.name"): [i["name"] for i in q.round.indicators],
        ctx.t("delphi.col.own"): [q.ratings.get(i["code"]) for i in q.round.indicators],
        ctx.t("delphi.answer.comment"): [q.comments.get(i["code"], "")
                                         for i in q.round.indicators]}),
        hide_index=True, key="delphi.answer.mine")


def render_answer(ctx: PageContext) -> None:
    """Draw 德尔菲咨询: the questionnaire of one round, or its feedback once closed.

    Parameters
    ----------
    ctx
        The signed-in expert and the engine.

    Returns
    -------
    None

    Notes
    -----
    Every answer is saved as a draft as it is given (compare-and-set on the questionnaire's
    version, :mod:`review.ui_autosave`), so closing the tab loses nothing and the expert finds
    his draft when he comes back; submitting asks for a confirmation and locks it. Ratings on a 1–5 (or the study's) scale, blank allowed; the
    authority questions follow the study's table (曾光 1994, see
    :mod:`review.delphi_authority`).

    Examples
    --------
    >>> callable(render_answer)
    True
    """
    st.title(ctx.t("delphi.page.answer"))
    show_flash()
    try:
        rnd = _pick_round(ctx)
        if rnd is None:
            return
        if rnd.status is DelphiRoundStatus.CLOSED:
            _closed_view(ctx, rnd)
            return
        with reading(ctx) as session:
            q = questionnaire(session, round_id=rnd.round_id, by=ctx.viewer)
        form = delphi_form(ctx, q)
        latest = sync_form(ctx, form) if q.status is not ResponseStatus.SUBMITTED else None
    except JixiaoError as err:
        show_error(ctx, err)
        return
    if rnd.deadline is not None:
        st.caption(ctx.t("delphi.answer.deadline", date=format_date(rnd.deadline)))
    if latest is None or latest.value.status is ResponseStatus.SUBMITTED:
        _submitted_view(ctx, q if latest is None else latest.value)
        return
    q = latest.value
    show_status(ctx, form, latest, ctx.t("delphi.answer.autosave"))
    if q.previous is not None:
        st.info(ctx.t("delphi.answer.previous_note", label=q.previous.index.name))
    _indicator_rows(ctx, q, form)
    _authority_questions(ctx, q, form)
    _proposals(ctx, q)
    st.divider()
    left, right = st.columns(2)
    if left.button(ctx.t("delphi.answer.save"), key="delphi.answer.save", width="stretch"):
        _save(ctx, form)
    confirm = right.checkbox(ctx.t("delphi.answer.confirm"), key="delphi.answer.confirm")
    if right.button(ctx.t("delphi.answer.submit"), type="primary", disabled=not confirm,
                    key="delphi.answer.submit", width="stretch"):
        _submit(ctx, form)
