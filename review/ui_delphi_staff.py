"""德尔菲研究: staff create a study and its rounds, invite experts, close, screen, draft.

The page follows 陈博士's study (JOURNEYS): a study with its authority table and scale; a round on
a library version; experts invited and their progress watched; the round closed, which computes
its statistics; the paper tables (积极系数, 权威系数, 指标得分, 协调系数) read on screen and
exported to Excel; the screening by fixed thresholds or the cut-off method, with a decision per
indicator that staff may override; and the draft library version the screening proposes, from
which the next round starts. Everything goes through the Delphi store, which checks roles.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext, Role
from indicators.model import Status
from indicators.store import list_libraries
from indicators.ui_widgets import flash, pick_version, require_staff, select_next, show_flash
from review import store
from review.delphi_answers import list_proposals
from review.delphi_authority import available_authority_tables
from review.delphi_feedback import round_feedback
from review.delphi_io import write_feedback, write_paper_tables
from review.delphi_results import (
    paper_tables_for,
    propose_draft,
    response_progress,
    round_statistics_for,
    screen_round,
)
from review.delphi_screen import DECISIONS, Screening
from review.delphi_store import (
    close_round,
    create_round,
    create_study,
    invite_experts,
    list_rounds,
    list_studies,
)
from review.delphi_tables import DelphiRoundPublic, DelphiRoundStatus, DelphiStudyPublic
from review.ui_delphi import write_and_flash
from review.ui_shell import format_time, reading, show_error, writing

__all__ = ["render_manage"]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_STUDY = "delphi.manage.study"
_ROUND = "delphi.manage.round"
_LIBRARY = "delphi.manage.library"


def _new_study(ctx: PageContext, empty: bool) -> None:
    with st.expander(ctx.t("delphi.manage.new_study"), expanded=empty, icon=":material/add:"):
        title = st.text_input(ctx.t("delphi.manage.study_title"), key="delphi.new.title")
        tables = available_authority_tables()
        table = st.selectbox(ctx.t("delphi.manage.authority"), tables, key="delphi.new.table")
        scale = st.number_input(ctx.t("delphi.manage.scale"), min_value=2, max_value=10, value=5,
                                step=1, key="delphi.new.scale")
        if st.button(ctx.t("delphi.manage.create_study"), type="primary",
                     key="delphi.new.create"):
            made = write_and_flash(ctx, lambda s: create_study(s, title=title, authority=table,
                                                      scale_max=int(scale), by=ctx.viewer),
                          ctx.t("delphi.manage.study_created"))
            if made is not None:
                st.session_state[_STUDY] = made.study_id
                st.rerun()


def _new_round(ctx: PageContext, study: DelphiStudyPublic,
               rounds: list[DelphiRoundPublic]) -> None:
    if any(r.status is DelphiRoundStatus.OPEN for r in rounds):
        return
    with reading(ctx) as session:
        summaries = [x for x in list_libraries(session) if x.status is not Status.RETIRED]
    if not summaries:
        st.info(ctx.t("delphi.manage.no_library"))
        return
    proposed = next((r.draft_ref for r in reversed(rounds) if r.draft_ref), None)
    with st.expander(ctx.t("delphi.manage.new_round", n=len(rounds) + 1), expanded=not rounds,
                     icon=":material/add:"):
        # Offer the draft the last round proposed, once: the next round usually rates it.
        offered = f"{_LIBRARY}.offered.{proposed}"
        if proposed and offered not in st.session_state:
            select_next(_LIBRARY, proposed)
            st.session_state[offered] = True
        chosen = pick_version(ctx, summaries, key=_LIBRARY, label="delphi.manage.library")
        label = st.text_input(ctx.t("delphi.manage.round_label"), f"第{len(rounds) + 1}轮",
                              key=f"delphi.new_round.label.{study.study_id}")
        deadline = st.date_input(ctx.t("delphi.manage.deadline"), value=None,
                                 key=f"delphi.new_round.deadline.{study.study_id}")
        if st.button(ctx.t("delphi.manage.create_round"), type="primary",
                     key="delphi.new_round.create"):
            made = write_and_flash(ctx, lambda s: create_round(
                s, study_id=study.study_id, library_ref=chosen.ref, label=label,
                deadline=deadline, by=ctx.viewer), ctx.t("delphi.manage.round_created"))
            if made is not None:
                st.session_state[_ROUND] = made.round_id
                st.rerun()


def _progress(ctx: PageContext, rnd: DelphiRoundPublic) -> None:
    with reading(ctx) as session:
        progress = response_progress(session, round_id=rnd.round_id, by=ctx.viewer)
        users = store.list_users(session, by=ctx.viewer)
    cells = st.columns(3)
    submitted = int((progress["status"] == "submitted").sum())
    cells[0].metric(ctx.t("delphi.manage.invited"), len(progress))
    cells[1].metric(ctx.t("delphi.manage.submitted"), submitted)
    cells[2].metric(ctx.t("delphi.manage.rate"),
                    f"{submitted / len(progress) * 100:.1f}%" if len(progress) else "—")
    if len(progress):
        st.dataframe(pd.DataFrame({
            ctx.t("delphi.col.expert"): progress["display_name"],
            ctx.t("delphi.col.status"): [ctx.t(f"delphi.response.{s}")
                                         for s in progress["status"]],
            ctx.t("delphi.col.rated"): [f"{a}/{b}" for a, b in zip(
                progress["rated"], progress["indicators"], strict=True)],
            ctx.t("delphi.col.proposals"): progress["proposals"],
            ctx.t("delphi.col.updated"): [format_time(t) if pd.notna(t) else "—"
                                          for t in progress["updated_at"]]}),
            hide_index=True, key="delphi.manage.progress")
    if rnd.status is not DelphiRoundStatus.OPEN:
        return
    invited = set(progress["expert_id"])
    candidates = {u.user_id: u for u in users if u.role in (Role.EXPERT, Role.DEPUTY)
                  and not u.disabled and u.user_id not in invited}
    chosen = st.multiselect(ctx.t("delphi.manage.invite"), list(candidates),
                            key=f"delphi.invite.{rnd.round_id}",
                            format_func=lambda uid: f"{candidates[uid].display_name}"
                                                    f"（{candidates[uid].username}）")
    if st.button(ctx.t("delphi.manage.invite_button"), key="delphi.manage.invite_button",
                 disabled=not chosen):
        if write_and_flash(ctx, lambda s: invite_experts(s, round_id=rnd.round_id, user_ids=chosen,
                                                by=ctx.viewer),
                  ctx.t("delphi.manage.invited_n", n=len(chosen))) is not None:
            st.rerun()
    st.divider()
    confirm = st.checkbox(ctx.t("delphi.manage.close_confirm"), key="delphi.manage.close_confirm")
    if st.button(ctx.t("delphi.manage.close"), type="primary", disabled=not confirm,
                 key="delphi.manage.close"):
        if write_and_flash(ctx, lambda s: close_round(s, round_id=rnd.round_id, by=ctx.viewer),
                  ctx.t("delphi.manage.closed", label=rnd.label)) is not None:
            st.rerun()


def _excel(tables: dict[str, pd.DataFrame] | None = None, feedback: Any = None) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "delphi.xlsx"
        if tables is not None:
            write_paper_tables(tables, path)
        else:
            write_feedback(feedback, path)
        return path.read_bytes()


def _statistics(ctx: PageContext, study: DelphiStudyPublic, rnd: DelphiRoundPublic) -> None:
    with reading(ctx) as session:
        result = round_statistics_for(session, round_id=rnd.round_id, by=ctx.viewer)
        tables = paper_tables_for(session, study_id=study.study_id, by=ctx.viewer)
        feedback = round_feedback(session, round_id=rnd.round_id, by=ctx.viewer)
    whole = result.concordance.iloc[0]
    cells = st.columns(4)
    cells[0].metric(ctx.t("delphi.manage.rate"), f"{result.response_rate * 100:.1f}%")
    authority = result.authority
    cells[1].metric(ctx.t("delphi.manage.cr"), "—" if authority is None or authority.n_experts == 0
                    else f"{authority.cr:.3f}")
    cells[2].metric("Kendall's W", "—" if pd.isna(whole["w"]) else f"{whole['w']:.3f}")
    cells[3].metric("P", "—" if pd.isna(whole["p_value"]) else
                    ("<0.001" if whole["p_value"] < 0.001 else f"{whole['p_value']:.3f}"))
    for title, table in tables.items():
        st.markdown(f"**{title}**")
        st.dataframe(table, hide_index=True, key=f"delphi.paper.{title}")
    left, right = st.columns(2)
    left.download_button(ctx.t("delphi.manage.export"), data=lambda: _excel(tables),
                         file_name=f"德尔菲_{study.title}.xlsx", mime=_XLSX,
                         key="delphi.manage.export", on_click="ignore")
    right.download_button(ctx.t("delphi.manage.export_feedback"),
                          data=lambda: _excel(feedback=feedback),
                          file_name=f"德尔菲反馈_{rnd.label}.xlsx", mime=_XLSX,
                          key="delphi.manage.export_feedback", on_click="ignore")


def _screening_settings(ctx: PageContext, rid: int) -> dict[str, Any]:
    left, middle, right = st.columns(3)
    method = left.radio(ctx.t("delphi.screen.method"), ("threshold", "cutoff"),
                        key=f"delphi.screen.method.{rid}",
                        format_func=lambda m: ctx.t(f"delphi.screen.{m}"))
    drop_when = left.radio(ctx.t("delphi.screen.drop_when"), ("all", "any"),
                           key=f"delphi.screen.drop_when.{rid}",
                           format_func=lambda m: ctx.t(f"delphi.screen.drop_{m}"))
    fixed = method == "threshold"
    min_mean = middle.number_input(ctx.t("delphi.screen.min_mean"), value=3.5, step=0.1,
                                   disabled=not fixed, key=f"delphi.screen.min_mean.{rid}")
    max_cv = middle.number_input(ctx.t("delphi.screen.max_cv"), value=0.25, step=0.01,
                                 disabled=not fixed, key=f"delphi.screen.max_cv.{rid}")
    use_full = right.checkbox(ctx.t("delphi.screen.use_full"), disabled=not fixed,
                              key=f"delphi.screen.use_full.{rid}")
    min_full = right.number_input(ctx.t("delphi.screen.min_full"), value=0.2, step=0.05,
                                  disabled=not (fixed and use_full),
                                  key=f"delphi.screen.min_full.{rid}")
    return {"method": method, "drop_when": drop_when, "min_mean": float(min_mean),
            "max_cv": float(max_cv),
            "min_full_score": float(min_full) if fixed and use_full else None}


def _decisions(ctx: PageContext, rnd: DelphiRoundPublic, screening: Screening) -> dict[str, str]:
    names = {i["code"]: i["name"] for i in rnd.indicators}
    table = screening.table
    st.dataframe(pd.DataFrame({
        ctx.t("delphi.col.code"): list(table.index),
        ctx.t("delphi.col.name"): [names.get(c, "") for c in table.index],
        ctx.t("delphi.col.mean"): table["mean"].round(2).to_numpy(),
        ctx.t("delphi.col.cv"): table["cv"].round(3).to_numpy(),
        ctx.t("delphi.col.full"): table["full_score_ratio"].round(3).to_numpy(),
        ctx.t("delphi.col.proposal"): table["decision_zh" if ctx.lang == "zh" else "decision"],
        ctx.t("delphi.col.reason"): table["reason_zh" if ctx.lang == "zh" else "reason_en"]}),
        hide_index=True, key="delphi.screen.table")
    overrides: dict[str, str] = {}
    options = list(DECISIONS)
    with st.expander(ctx.t("delphi.screen.override")):
        st.caption(ctx.t("delphi.screen.override_help"))
        columns = st.columns(3)
        for k, code in enumerate(table.index):
            proposed = str(table.loc[code, "decision"])
            chosen = columns[k % 3].selectbox(
                f"{names.get(code, '')} · {code}", options, index=options.index(proposed),
                key=f"delphi.override.{rnd.round_id}.{code}",
                format_func=lambda d: ctx.t(f"delphi.decision.{d}"))
            if chosen != proposed:
                overrides[str(code)] = chosen
    return overrides


def _screen_and_draft(ctx: PageContext, rnd: DelphiRoundPublic) -> None:
    settings = _screening_settings(ctx, rnd.round_id)
    with reading(ctx) as session:
        screening = screen_round(session, round_id=rnd.round_id, by=ctx.viewer, **settings)
    bounds = screening.cutoffs
    st.caption(ctx.t("delphi.screen.bounds", mean=f"{bounds['min_mean']:.3f}",
                     cv=f"{bounds['max_cv']:.3f}",
                     full="—" if bounds["min_full_score"] is None
                     else f"{bounds['min_full_score']:.3f}"))
    overrides = _decisions(ctx, rnd, screening)
    counts = {d: sum(overrides.get(c, screening.table.loc[c, "decision"]) == d
                     for c in screening.table.index) for d in DECISIONS}
    st.markdown(ctx.t("delphi.screen.counts", **counts))
    if rnd.draft_ref:
        st.success(ctx.t("delphi.screen.has_draft", ref=rnd.draft_ref))
    new_version = st.text_input(ctx.t("delphi.screen.new_version"), "",
                                key=f"delphi.screen.version.{rnd.round_id}",
                                placeholder=ctx.t("delphi.screen.version_hint"))
    if st.button(ctx.t("delphi.screen.propose"), type="primary",
                 key="delphi.screen.propose"):
        try:
            with writing(ctx) as session:
                draft = propose_draft(session, round_id=rnd.round_id, overrides=overrides,
                                      new_version=new_version.strip() or None, by=ctx.viewer,
                                      **settings)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        flash(ctx.t("delphi.screen.proposed", ref=draft.ref))
        st.rerun()


def _proposals(ctx: PageContext, rnd: DelphiRoundPublic) -> None:
    with reading(ctx) as session:
        proposals = list_proposals(session, round_id=rnd.round_id, by=ctx.viewer)
    if not proposals:
        st.caption(ctx.t("delphi.manage.no_proposals"))
        return
    names = {i["code"]: i["name"] for i in rnd.indicators}
    st.dataframe(pd.DataFrame({
        ctx.t("delphi.col.expert"): [p.expert for p in proposals],
        ctx.t("delphi.answer.parent"): [names.get(p.parent_code, ctx.t("delphi.top"))
                                        for p in proposals],
        ctx.t("delphi.answer.proposal_name"): [p.name for p in proposals],
        ctx.t("delphi.answer.proposal_reason"): [p.reason for p in proposals]}),
        hide_index=True, key="delphi.manage.proposals")
    st.caption(ctx.t("delphi.manage.proposals_help"))


def _pick(ctx: PageContext, label: str, key: str, items: dict[int, str]) -> int:
    if st.session_state.get(key) not in items:
        st.session_state[key] = next(reversed(items))
    return st.selectbox(ctx.t(label), list(items), key=key, format_func=items.__getitem__)


def render_manage(ctx: PageContext) -> None:
    """Draw 德尔菲研究: studies, rounds, invitations, the close, the tables and the draft.

    Parameters
    ----------
    ctx
        The signed-in staff member and the engine.

    Returns
    -------
    None

    Notes
    -----
    Statistics are those of :func:`review.delphi.round_statistics` (DOMAIN.md §5), screening
    that of :func:`review.delphi_screen.screen`; the draft goes through
    :func:`review.delphi_results.propose_draft` and is published, like any draft, in the
    library editor.

    Examples
    --------
    >>> callable(render_manage)
    True
    """
    st.title(ctx.t("delphi.page.manage"))
    if not require_staff(ctx):
        return
    show_flash()
    try:
        with reading(ctx) as session:
            studies = list_studies(session, by=ctx.viewer)
        _new_study(ctx, not studies)
        if not studies:
            return
        by_id = {s.study_id: s for s in reversed(studies)}
        study = by_id[_pick(ctx, "delphi.manage.pick_study", _STUDY,
                            {k: v.title for k, v in by_id.items()})]
        with reading(ctx) as session:
            rounds = list_rounds(session, study_id=study.study_id, by=ctx.viewer)
        st.caption(ctx.t("delphi.manage.study_note", table=study.authority_table,
                         scale=study.scale_max))
        _new_round(ctx, study, rounds)
        if not rounds:
            return
        round_ids = {r.round_id: f"{r.label}（{ctx.t('delphi.status.' + r.status.value)}，"
                                 f"{r.library_ref}）" for r in rounds}
        rnd = {r.round_id: r for r in rounds}[_pick(ctx, "delphi.manage.pick_round", _ROUND,
                                                    round_ids)]
        progress, statistics, screening, proposals = st.tabs([
            ctx.t("delphi.tab.progress"), ctx.t("delphi.tab.statistics"),
            ctx.t("delphi.tab.screening"), ctx.t("delphi.tab.proposals")])
        with progress:
            _progress(ctx, rnd)
        with proposals:
            _proposals(ctx, rnd)
        closed_with_answers = rnd.status is DelphiRoundStatus.CLOSED
        for tab, draw in ((statistics, lambda: _statistics(ctx, study, rnd)),
                          (screening, lambda: _screen_and_draft(ctx, rnd))):
            with tab:
                if not closed_with_answers:
                    st.info(ctx.t("delphi.manage.after_close"))
                    continue
                try:
                    draw()
                except JixiaoError as err:
                    show_error(ctx, err)
    except JixiaoError as err:
        show_error(ctx, err)
