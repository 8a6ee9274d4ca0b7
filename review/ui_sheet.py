"""The score sheet: the report beside its rubric, drafts saved as the rater works, one locking submit.

Every change to a score or a comment is saved to the database at once, so closing the tab
loses nothing; the boxes are the truth for the rater's own draft, and a save that meets a
newer stored version merges onto it instead of discarding the typing (:mod:`review.ui_draft`).
Submitting asks once for confirmation, then locks the sheet with a compare-and-set; the rater
sees a thank-you and the next report. Once the round is closed the sheet shows the panel
result and where the rater's own total stood, with the other raters unnamed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext, Role
from review import store
from review.model import (
    ReportPublic,
    RoundPublic,
    RoundStatus,
    RubricItem,
    SheetPublic,
    SheetStatus,
    TaskPublic,
)
from review.ui_document import show_document
from review.ui_draft import (
    comment_key,
    entered_values,
    overall_key,
    save_entered,
    score_key,
    state_key,
    submit_entered,
    sync_draft,
)
from review.ui_outcome import show_outcome
from review.ui_shell import (
    MISSING,
    SHEET_PAGE,
    TASKS_PAGE,
    format_date,
    format_time,
    go_to,
    reading,
    show_error,
    show_table,
)

__all__ = ["render_sheet", "score_key"]

_LAYOUTS = ("side", "tabs")
# How a score box shows and keeps its number: up to two decimals (e.g. 3.25).
_SCORE_FORMAT = "%.2f"


def _chosen_sheet(tasks: list[TaskPublic]) -> int | None:
    raw = st.query_params.get("sheet")
    if raw is not None:
        try:
            return int(raw)
        except ValueError:
            return None
    waiting = [task for task in tasks if task.status is not SheetStatus.SUBMITTED]
    chosen = (waiting or tasks or [None])[0]
    return None if chosen is None else chosen.assignment_id


def _out_of_range(item: RubricItem, value: float | None) -> bool:
    return value is not None and not item.min_score <= float(value) <= item.max_score


def _range_message(ctx: PageContext, item: RubricItem, value: float) -> str:
    return ctx.t("review.sheet.out_of_range", name=item.name, value=f"{float(value):g}",
                 low=f"{item.min_score:g}", high=f"{item.max_score:g}")


def _item_box(ctx: PageContext, aid: int, item: RubricItem, items: list[RubricItem]) -> None:
    with st.container(border=True):
        st.markdown(f"**{item.name}**")
        if item.explanation:
            st.caption(item.explanation)
        if item.checkpoints:
            st.caption(ctx.t("review.sheet.checkpoints", text=item.checkpoints))
        low, high = float(item.min_score), float(item.max_score)
        # No min_value/max_value: with them the browser keeps an out-of-range number to itself
        # and says so in an English tooltip; without them it reaches the page, which says it
        # here, in the reader's language, as soon as it is entered.
        # Two decimals shown and kept: with one, the browser turned a typed 3.33 into 3.3
        # without a word. The step only sets what the +/- buttons add.
        value = st.number_input(
            ctx.t("review.sheet.score", low=f"{low:g}", high=f"{high:g}"),
            step=0.5, format=_SCORE_FORMAT,
            key=score_key(aid, item.code), placeholder=ctx.t("review.sheet.unscored"),
            on_change=save_entered, args=(ctx, aid, items),
            help=ctx.t("review.sheet.range_help", low=f"{low:g}", high=f"{high:g}"))
        # A fixed slot, so the comment box below never moves when the warning comes and goes.
        warning = st.empty()
        if _out_of_range(item, value):
            warning.error(_range_message(ctx, item, value),
                          icon=":material/error:")
        st.text_area(ctx.t("review.sheet.comment"), key=comment_key(aid, item.code), height=68,
                     on_change=save_entered, args=(ctx, aid, items))


def _next_task(tasks: list[TaskPublic], current: int) -> TaskPublic | None:
    ids = [task.assignment_id for task in tasks]
    start = ids.index(current) + 1 if current in ids else 0
    ordered = tasks[start:] + tasks[:start]
    return next((task for task in ordered if task.assignment_id != current
                 and task.status is not SheetStatus.SUBMITTED), None)


def _next_button(ctx: PageContext, tasks: list[TaskPublic], aid: int) -> None:
    following = _next_task(tasks, aid)
    if following is None:
        st.info(ctx.t("review.sheet.all_done"))
        if st.button(ctx.t("review.sheet.back"), key="review.sheet.back_done"):
            go_to(TASKS_PAGE)
        return
    if st.button(ctx.t("review.sheet.next", title=following.report_title), type="primary",
                 key="review.sheet.next", width="stretch"):
        go_to(SHEET_PAGE, sheet=following.assignment_id)


def _editable_sheet(ctx: PageContext, sheet: SheetPublic, items: list[RubricItem]) -> None:
    aid = sheet.assignment_id
    groups: dict[str, list[RubricItem]] = {}
    for item in items:
        groups.setdefault(item.level1, []).append(item)
    for level1, group in groups.items():
        top = sum(float(i.max_score) for i in group)
        st.markdown(f"#### {level1}（{top:g} {ctx.t('review.points')}）")
        for item in group:
            _item_box(ctx, aid, item, items)
    st.text_area(ctx.t("review.sheet.overall"), key=overall_key(aid), height=100,
                 on_change=save_entered, args=(ctx, aid, items))
    entered = entered_values(aid, items)
    scores = {i.code: entered[score_key(aid, i.code)] for i in items}
    missing = [i for i in items if scores[i.code] is None]
    outside = [i for i in items if _out_of_range(i, scores[i.code])]
    total = sum(v for v in scores.values() if v is not None)
    top = sum(float(i.max_score) for i in items)
    st.metric(ctx.t("review.sheet.total"), f"{total:g} / {top:g}",
              help=ctx.t("review.sheet.scored", done=len(items) - len(missing), total=len(items)))
    st.caption(ctx.t("review.sheet.scored", done=len(items) - len(missing), total=len(items)))
    if st.button(ctx.t("review.sheet.save"), key="review.sheet.save"):
        save_entered(ctx, aid, items)
        st.rerun()
    if outside and st.session_state.get(state_key(aid, "confirm")):
        # A box changed to an out-of-range number while the confirmation was up.
        st.session_state[state_key(aid, "confirm")] = False
    if st.session_state.get(state_key(aid, "confirm")):
        st.warning(ctx.t("review.sheet.confirm", total=f"{total:g}", top=f"{top:g}"))
        yes, no = st.columns(2)
        yes.button(ctx.t("review.sheet.confirm_yes"), type="primary", width="stretch",
                   key="review.sheet.confirm_yes", on_click=submit_entered, args=(ctx, aid, items))
        if no.button(ctx.t("review.sheet.confirm_no"), width="stretch",
                     key="review.sheet.confirm_no"):
            st.session_state[state_key(aid, "confirm")] = False
            st.rerun()
        return
    if st.button(ctx.t("review.sheet.submit"), type="primary", width="stretch",
                 key="review.sheet.submit"):
        if outside:
            for item in outside:
                st.error(_range_message(ctx, item, scores[item.code]), icon=":material/error:")
        elif missing:
            names = "、".join(i.name for i in missing[:5])
            st.error(ctx.t("review.sheet.missing", count=len(missing), names=names))
        else:
            st.session_state[state_key(aid, "confirm")] = True
            st.rerun()


def _locked_sheet(ctx: PageContext, sheet: SheetPublic, items: list[RubricItem]) -> None:
    show_table(pd.DataFrame({
        ctx.t("review.sheet.col_item"): [item.name for item in items],
        ctx.t("review.sheet.col_score"): [sheet.scores.get(item.code) for item in items],
        ctx.t("review.sheet.col_max"): [float(item.max_score) for item in items],
        ctx.t("review.sheet.col_comment"): [sheet.comments.get(item.code) or None
                                            for item in items]}),
        hide_index=True, width="stretch")
    total = sheet.total
    top = sum(float(i.max_score) for i in items)
    st.metric(ctx.t("review.sheet.total"), MISSING if total is None else f"{total:g} / {top:g}")
    if sheet.overall_comment:
        st.markdown(f"**{ctx.t('review.sheet.overall')}**")
        st.write(sheet.overall_comment)


def _load(ctx: PageContext, aid: int) -> tuple[SheetPublic, list[RubricItem], RoundPublic,
                                               ReportPublic]:
    with reading(ctx) as session:
        sheet = store.get_sheet(session, assignment_id=aid, viewer=ctx.viewer)
        items = store.rubric_items(session, round_id=sheet.round_id)
        rnd = store.get_round(session, round_id=sheet.round_id, by=ctx.viewer)
        reports = store.list_reports(session, round_id=sheet.round_id, by=ctx.viewer)
    report = next(r for r in reports if r.report_id == sheet.report_id)
    return sheet, items, rnd, report


def _sheet_column(ctx: PageContext, sheet: SheetPublic, items: list[RubricItem],
                  rnd: RoundPublic, tasks: list[TaskPublic]) -> None:
    aid = sheet.assignment_id
    st.subheader(ctx.t("review.sheet.rubric"))
    # One slot for the save status, drawn on every run: a line appearing above the boxes would
    # move them, and the browser would redraw (and empty) a box the rater is typing in.
    status = st.empty()
    # Shown whatever state the sheet is in: a submit that lost to another tab lands on a
    # locked sheet and must still say why.
    message = st.session_state.pop(state_key(aid, "message"), None)
    entered = entered_values(aid, items)
    outside = [i for i in items if _out_of_range(i, entered[score_key(aid, i.code)])]
    editable = sheet.status is not SheetStatus.SUBMITTED and rnd.status is RoundStatus.OPEN
    if message is not None and message[0] == "error" and outside and editable:
        # The store refused the draft for the out-of-range box; its box says which and why.
        status.warning(ctx.t("review.sheet.unsaved_range", count=len(outside)),
                       icon=":material/warning:")
    elif message is not None:
        kind, text = message
        (status.error if kind == "error" else status.caption)(text)
    elif sheet.status is SheetStatus.DRAFT:
        status.caption(ctx.t("review.sheet.saved", time=format_time(sheet.updated_at)))
    elif sheet.status is SheetStatus.ASSIGNED:
        status.caption(ctx.t("review.sheet.autosave"))
    if sheet.status is SheetStatus.SUBMITTED:
        if st.session_state.pop(state_key(aid, "thanks"), False):
            st.success(ctx.t("review.sheet.thanks"))
            st.balloons()
        else:
            st.info(ctx.t("review.sheet.locked", time=format_time(sheet.submitted_at)))
        if rnd.status is RoundStatus.OPEN:
            _next_button(ctx, tasks, aid)
        _locked_sheet(ctx, sheet, items)
        return
    if rnd.status is not RoundStatus.OPEN:
        st.warning(ctx.t("review.sheet.round_closed"))
        _locked_sheet(ctx, sheet, items)
        return
    _editable_sheet(ctx, sheet, items)


def render_sheet(ctx: PageContext) -> None:
    """Render the score sheet named by the ``sheet`` query parameter (or the next one to do).

    Parameters
    ----------
    ctx
        The signed-in rater and the engine.

    Returns
    -------
    None

    Notes
    -----
    Only the rater's own sheet is shown here; the store refuses another rater's sheet while the
    round is open, and this page refuses it after. Scores, comments and the general comment are
    saved on every change; submitting needs every item scored and one confirmation.

    Examples
    --------
    >>> render_sheet.__name__
    'render_sheet'
    """
    if st.button(ctx.t("review.sheet.back"), key="review.sheet.back", icon=":material/arrow_back:"):
        go_to(TASKS_PAGE)
    try:
        with reading(ctx) as session:
            tasks = store.my_tasks(session, viewer=ctx.viewer)
        aid = _chosen_sheet(tasks)
        if aid is None:
            st.info(ctx.t("review.tasks.none"))
            return
        sheet, items, rnd, report = _load(ctx, aid)
        if sheet.rater_id != ctx.viewer.user_id:
            st.error(ctx.t("review.sheet.not_yours"))
            return
        sheet = sync_draft(ctx, sheet, items)
    except JixiaoError as err:
        show_error(ctx, err)
        return

    st.title(report.title)
    st.caption(ctx.t("review.sheet.meta", round=rnd.title, deadline=format_date(rnd.deadline),
                     department=report.department or MISSING))
    layout = st.segmented_control(
        ctx.t("review.sheet.layout"), _LAYOUTS, key="review.sheet.layout",
        default="tabs" if ctx.viewer.role is Role.DEPUTY else "side",
        format_func=lambda v: ctx.t(f"review.sheet.layout_{v}"), required=True)
    if layout == "tabs":
        document_area, sheet_area = st.tabs([ctx.t("review.sheet.document"),
                                             ctx.t("review.sheet.rubric")])
    else:
        document_area, sheet_area = st.columns([11, 10], gap="large")
    with document_area:
        show_document(ctx, report, height=None if layout == "tabs" else 1100)
    with sheet_area:
        _sheet_column(ctx, sheet, items, rnd, tasks)
        if rnd.status is RoundStatus.CLOSED:
            show_outcome(ctx, sheet, items, rnd)
