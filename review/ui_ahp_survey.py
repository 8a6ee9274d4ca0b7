"""The group AHP pages: the member's pairwise comparisons (层次分析问卷) and, for staff, the panel.

:func:`pages` is what the front door registers. A member picks a node of the indicator tree and
judges each pair of its children on Saaty's scale in words (同等重要 … 极端重要, "（反向）"
when the second is the more important, or blank), sees his own priorities and CR update with
every judgment and the judgments to revise first, and submits once; every judgment is kept as
a draft the moment it is chosen (:mod:`review.ui_answer_drafts`), node by node. Staff
pages are in :mod:`review.ui_ahp_survey_staff`. Labels are keys of ``data/i18n/delphi.yaml``;
the scale's words are the AHP page's own (:func:`scoring.ui_ahp.scale_label`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import STAFF_ROLES, PageContext, PageSpec
from indicators.ui_widgets import flash, show_flash
from review.ahp_survey_judgments import my_judgments
from review.ahp_survey_store import list_surveys
from review.ahp_survey_tables import (
    AhpNode,
    AhpSurveyPublic,
    MemberJudgments,
    MemberStatus,
    SurveyStatus,
)
from review.ui_answer_drafts import judgment_key, node_form
from review.ui_autosave import DraftForm, save_form, show_status, submit_form, sync_form
from review.ui_delphi import EXPERT_ROLES, SECTION
from review.ui_shell import reading, show_error
from scoring.ahp import Revision, inconsistent_judgments
from scoring.ui_ahp import scale_label
from scoring.weight_sets import SCALE_VALUES, judgment_matrix

__all__ = ["judgment_key", "pages", "render_answer"]

_OPTIONS: tuple[float | None, ...] = (None, *SCALE_VALUES)


def pages() -> list[PageSpec]:
    """The group AHP pages with the roles that may see them.

    Returns
    -------
    list of PageSpec
        层次分析问卷 (``ahp-survey-answer``, experts and deputies) and 群组层次分析
        (``ahp-survey-manage``, admin and finance staff).

    Notes
    -----
    Page bodies are imported when drawn.

    Examples
    --------
    >>> [p.key for p in pages()]
    ['ahp-survey-answer', 'ahp-survey-manage']
    """
    return [
        PageSpec(key="ahp-survey-answer", section="review.section.mine",
                 title="ahp_survey.page.answer", render=render_answer, roles=EXPERT_ROLES,
                 icon=":material/compare_arrows:"),
        PageSpec(key="ahp-survey-manage", section=SECTION, title="ahp_survey.page.manage",
                 render=_render_manage, roles=STAFF_ROLES, icon=":material/account_tree:"),
    ]


def _render_manage(ctx: PageContext) -> None:
    from review.ui_ahp_survey_staff import render_manage

    render_manage(ctx)


def _label(ctx: PageContext, value: float | None) -> str:
    return ctx.t("ahp_survey.blank") if value is None else scale_label(ctx, value)


def _pick_survey(ctx: PageContext) -> AhpSurveyPublic | None:
    with reading(ctx) as session:
        surveys = list_surveys(session, by=ctx.viewer)
    if not surveys:
        st.info(ctx.t("ahp_survey.answer.none"))
        return None
    by_id = {s.survey_id: s for s in sorted(surveys, key=lambda s: s.status is not
                                             SurveyStatus.OPEN)}
    picked = st.selectbox(
        ctx.t("ahp_survey.answer.pick"), list(by_id), key="ahp_survey.answer.survey",
        format_func=lambda sid: f"{by_id[sid].title}（{ctx.t('ahp_survey.status.' + by_id[sid].status.value)}）")
    return by_id[picked]


def _node_label(ctx: PageContext, node: AhpNode, mine: MemberJudgments) -> str:
    given = len(mine.judgments.get(node.key, {}))
    name = node.name or ctx.t("ahp_survey.top")
    return ctx.t("ahp_survey.answer.node", name=name, given=given, pairs=len(node.pairs))


def _form(ctx: PageContext, survey: AhpSurveyPublic, node: AhpNode, form: DraftForm,
          locked: bool) -> dict[tuple[str, str], float | None]:
    st.caption(ctx.t("ahp_survey.answer.scale_help"))
    names = dict(zip(node.codes, node.names, strict=True))
    judgments: dict[tuple[str, str], float | None] = {}
    columns = st.columns(2)
    for k, (a, b) in enumerate(node.pairs):
        with columns[k % 2]:
            # The value comes from the stored draft through the session state (sync_form);
            # a blank one shows as the placeholder, worded like the blank option.
            judgments[(a, b)] = st.selectbox(
                ctx.t("ahp_survey.answer.pair", a=names[a], b=names[b]), _OPTIONS,
                key=judgment_key(survey.survey_id, node.key, a, b), disabled=locked,
                format_func=lambda v: _label(ctx, v), placeholder=_label(ctx, None),
                on_change=save_form, args=(ctx, form))
    return judgments


def _live(ctx: PageContext, survey: AhpSurveyPublic, node: AhpNode,
          judgments: dict[tuple[str, str], float | None]) -> None:
    order = {c: k for k, c in enumerate(node.codes)}
    given = {(order[a], order[b]): v for (a, b), v in judgments.items() if v is not None}
    try:
        revision: Revision = inconsistent_judgments(
            judgment_matrix(len(node.codes), given), top=3, labels=list(node.names),
            method=survey.priority_method, ri=survey.ri_table)
    except JixiaoError:
        st.info(ctx.t("ahp_survey.answer.incomplete"))
        return
    res = revision.result
    cells = st.columns(3)
    cells[0].metric("λmax", f"{float(res.lambda_max):.4f}")
    cells[1].metric("CR", f"{float(res.cr):.4f}")
    cells[2].metric(ctx.t("ahp_survey.answer.missing"), int(res.n_missing))
    if bool(res.acceptable):
        st.success(ctx.t("ahp_survey.answer.accepted", cr=f"{float(res.cr):.4f}"))
    else:
        st.warning(ctx.t("ahp_survey.answer.rejected", cr=f"{float(res.cr):.4f}"))
    st.dataframe(pd.DataFrame({ctx.t("ahp_survey.col.criterion"): list(node.names),
                               ctx.t("ahp_survey.col.weight"): np.round(res.weights, 4)}),
                 hide_index=True, key="ahp_survey.answer.weights")
    revise = revision.revise
    if len(revise) and not bool(res.acceptable):
        st.markdown(f"**{ctx.t('ahp_survey.answer.revise')}**")
        st.dataframe(pd.DataFrame({
            ctx.t("ahp_survey.col.pair"): [ctx.t("ahp_survey.answer.pair", a=a, b=b) for a, b
                                           in zip(revise["label_i"], revise["label_j"],
                                                  strict=True)],
            ctx.t("ahp_survey.col.current"): [scale_label(ctx, v) for v in revise["value"]],
            ctx.t("ahp_survey.col.suggested"): [scale_label(ctx, v)
                                                for v in revise["nearest_scale"]],
            ctx.t("ahp_survey.col.cr_after"): revise["cr_after"].round(4)}),
            hide_index=True, key="ahp_survey.answer.revise")


def render_answer(ctx: PageContext) -> None:
    """Draw 层次分析问卷: one node's pairwise comparisons, live CR, save and submit.

    Parameters
    ----------
    ctx
        The signed-in member and the engine.

    Returns
    -------
    None

    Notes
    -----
    CR = CI/RI with the survey's random-index table, accepted below 0.10 (Saaty 1980); blank
    comparisons are completed by Harker's (1987) method and the judgments to revise first
    follow :func:`scoring.ahp.inconsistent_judgments`. Every judgment is saved as a draft when
    it is chosen; the member finds the node as he left it when he comes back.

    Examples
    --------
    >>> callable(render_answer)
    True
    """
    st.title(ctx.t("ahp_survey.page.answer"))
    show_flash()
    try:
        survey = _pick_survey(ctx)
        if survey is None:
            return
        with reading(ctx) as session:
            mine = my_judgments(session, survey_id=survey.survey_id, by=ctx.viewer)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    if mine.status is MemberStatus.SUBMITTED:
        st.success(ctx.t("ahp_survey.answer.thanks"))
    elif survey.status is SurveyStatus.CLOSED:
        st.info(ctx.t("ahp_survey.answer.closed"))
    nodes = {n.key: n for n in survey.nodes}
    key = st.radio(ctx.t("ahp_survey.answer.pick_node"), list(nodes),
                   key=f"ahp_survey.node.{survey.survey_id}",
                   format_func=lambda k: _node_label(ctx, nodes[k], mine))
    node = nodes[key]
    form = node_form(ctx, mine, node)
    try:
        latest = sync_form(ctx, form)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    locked = not latest.writable
    st.subheader(ctx.t("ahp_survey.answer.compare", name=node.name or ctx.t("ahp_survey.top")))
    show_status(ctx, form, latest, "" if locked else ctx.t("ahp_survey.answer.autosave"))
    judgments = _form(ctx, survey, node, form, locked)
    _live(ctx, survey, node, judgments)
    if locked:
        return
    st.divider()
    left, right = st.columns(2)
    if left.button(ctx.t("ahp_survey.answer.save"), key="ahp_survey.answer.save",
                   width="stretch"):
        if save_form(ctx, form).kind in ("saved", "merged", "unchanged"):
            flash(ctx.t("ahp_survey.answer.saved", name=node.name or ctx.t("ahp_survey.top")))
        st.rerun()
    confirm = right.checkbox(ctx.t("ahp_survey.answer.confirm"), key="ahp_survey.answer.confirm")
    if right.button(ctx.t("ahp_survey.answer.submit"), type="primary", disabled=not confirm,
                    key="ahp_survey.answer.submit", width="stretch"):
        if submit_form(ctx, form):
            flash(ctx.t("ahp_survey.answer.submitted"))
        st.rerun()
