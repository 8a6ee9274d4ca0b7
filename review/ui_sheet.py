"""The score sheet: the report beside its rubric, drafts saved as the rater works, one locking submit.

Every change to a score or a comment is saved to the database at once (a compare-and-set on the
sheet's version), so closing the tab loses nothing. Submitting asks once for confirmation, then
locks the sheet; the rater sees a thank-you and the next report. Once the round is closed the
sheet shows the panel result and where the rater's own total stood, with the other raters
unnamed.
"""

from __future__ import annotations

import streamlit as st

from indicators.errors import ConflictError, JixiaoError
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
from review.ui_outcome import show_outcome
from review.ui_shell import (
    SHEET_PAGE,
    TASKS_PAGE,
    format_date,
    format_time,
    go_to,
    reading,
    show_error,
    writing,
)

__all__ = ["render_sheet", "score_key"]

_LAYOUTS = ("side", "tabs")


def score_key(assignment_id: int, code: str) -> str:
    """The session-state key of one item's score box (tests fill the box through it).

    Parameters
    ----------
    assignment_id
        The sheet.
    code
        The rubric item's code.

    Returns
    -------
    str

    Notes
    -----
    Keys carry the sheet's id, so two sheets opened one after the other never share a box.

    Examples
    --------
    >>> score_key(12, "YJ0101")
    'review.score.12.YJ0101'
    """
    return f"review.score.{assignment_id}.{code}"


def _comment_key(assignment_id: int, code: str) -> str:
    return f"review.comment.{assignment_id}.{code}"


def _overall_key(assignment_id: int) -> str:
    return f"review.overall.{assignment_id}"


def _state_key(assignment_id: int, what: str) -> str:
    return f"review.sheet.{assignment_id}.{what}"


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


def _load_widgets(sheet: SheetPublic, items: list[RubricItem], *, force: bool) -> None:
    # Boxes take their values from the database when first shown, and again whenever the
    # stored sheet moved on without this page (another tab, an admin's reopen).
    aid = sheet.assignment_id
    for item in items:
        for key, value in ((score_key(aid, item.code), sheet.scores.get(item.code)),
                           (_comment_key(aid, item.code), sheet.comments.get(item.code, ""))):
            if force or key not in st.session_state:
                st.session_state[key] = value
    if force or _overall_key(aid) not in st.session_state:
        st.session_state[_overall_key(aid)] = sheet.overall_comment
    st.session_state[_state_key(aid, "version")] = sheet.version


def _entered(aid: int, items: list[RubricItem]) -> tuple[dict, dict, str]:
    scores = {i.code: st.session_state.get(score_key(aid, i.code)) for i in items}
    comments = {i.code: st.session_state.get(_comment_key(aid, i.code)) or "" for i in items}
    return scores, comments, st.session_state.get(_overall_key(aid)) or ""


def _save(ctx: PageContext, aid: int, items: list[RubricItem]) -> None:
    """on_change of every box: write the whole sheet as a draft."""
    scores, comments, overall = _entered(aid, items)
    version = st.session_state.get(_state_key(aid, "version"))
    try:
        with writing(ctx) as session:
            saved = store.save_draft(session, assignment_id=aid, viewer=ctx.viewer,
                                     scores=scores, comments=comments, overall_comment=overall,
                                     expected_version=int(version))
    except ConflictError as err:
        st.session_state[_state_key(aid, "message")] = ("error", err.message(ctx.lang))
        st.session_state[_state_key(aid, "reload")] = True
    except JixiaoError as err:
        st.session_state[_state_key(aid, "message")] = ("error", err.message(ctx.lang))
    else:
        st.session_state[_state_key(aid, "version")] = saved.version
        st.session_state[_state_key(aid, "message")] = (
            "saved", ctx.t("review.sheet.saved", time=format_time(saved.updated_at)))


def _submit(ctx: PageContext, aid: int, items: list[RubricItem]) -> None:
    scores, comments, overall = _entered(aid, items)
    st.session_state[_state_key(aid, "confirm")] = False
    try:
        with writing(ctx) as session:
            draft = store.save_draft(
                session, assignment_id=aid, viewer=ctx.viewer, scores=scores, comments=comments,
                overall_comment=overall,
                expected_version=int(st.session_state[_state_key(aid, "version")]))
            store.submit_sheet(session, assignment_id=aid, viewer=ctx.viewer,
                               expected_version=draft.version)
    except ConflictError:
        st.session_state[_state_key(aid, "message")] = (
            "error", ctx.t("review.sheet.conflict"))
        st.session_state[_state_key(aid, "reload")] = True
    except JixiaoError as err:
        st.session_state[_state_key(aid, "message")] = ("error", err.message(ctx.lang))
    else:
        st.session_state[_state_key(aid, "thanks")] = True


def _item_box(ctx: PageContext, aid: int, item: RubricItem, items: list[RubricItem]) -> None:
    with st.container(border=True):
        st.markdown(f"**{item.name}**")
        if item.explanation:
            st.caption(item.explanation)
        if item.checkpoints:
            st.caption(ctx.t("review.sheet.checkpoints", text=item.checkpoints))
        low, high = float(item.min_score), float(item.max_score)
        value = st.number_input(
            ctx.t("review.sheet.score", low=f"{low:g}", high=f"{high:g}"),
            min_value=low, max_value=high, step=0.5, format="%.1f",
            key=score_key(aid, item.code), placeholder=ctx.t("review.sheet.unscored"),
            on_change=_save, args=(ctx, aid, items),
            help=ctx.t("review.sheet.range_help", low=f"{low:g}", high=f"{high:g}"))
        if value is not None and not low <= value <= high:
            st.error(ctx.t("review.sheet.out_of_range", low=f"{low:g}", high=f"{high:g}"))
        st.text_area(ctx.t("review.sheet.comment"), key=_comment_key(aid, item.code), height=68,
                     on_change=_save, args=(ctx, aid, items))


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
    st.text_area(ctx.t("review.sheet.overall"), key=_overall_key(aid), height=100,
                 on_change=_save, args=(ctx, aid, items))
    scores, _, _ = _entered(aid, items)
    missing = [i for i in items if scores[i.code] is None]
    total = sum(v for v in scores.values() if v is not None)
    top = sum(float(i.max_score) for i in items)
    st.metric(ctx.t("review.sheet.total"), f"{total:g} / {top:g}",
              help=ctx.t("review.sheet.scored", done=len(items) - len(missing), total=len(items)))
    st.caption(ctx.t("review.sheet.scored", done=len(items) - len(missing), total=len(items)))
    if st.button(ctx.t("review.sheet.save"), key="review.sheet.save"):
        _save(ctx, aid, items)
        st.rerun()
    if st.session_state.get(_state_key(aid, "confirm")):
        st.warning(ctx.t("review.sheet.confirm", total=f"{total:g}", top=f"{top:g}"))
        yes, no = st.columns(2)
        yes.button(ctx.t("review.sheet.confirm_yes"), type="primary", width="stretch",
                   key="review.sheet.confirm_yes", on_click=_submit, args=(ctx, aid, items))
        if no.button(ctx.t("review.sheet.confirm_no"), width="stretch",
                     key="review.sheet.confirm_no"):
            st.session_state[_state_key(aid, "confirm")] = False
            st.rerun()
        return
    if st.button(ctx.t("review.sheet.submit"), type="primary", width="stretch",
                 key="review.sheet.submit"):
        if missing:
            names = "、".join(i.name for i in missing[:5])
            st.error(ctx.t("review.sheet.missing", count=len(missing), names=names))
        else:
            st.session_state[_state_key(aid, "confirm")] = True
            st.rerun()


def _locked_sheet(ctx: PageContext, sheet: SheetPublic, items: list[RubricItem]) -> None:
    rows = [{ctx.t("review.sheet.col_item"): item.name,
             ctx.t("review.sheet.col_score"): sheet.scores.get(item.code),
             ctx.t("review.sheet.col_max"): float(item.max_score),
             ctx.t("review.sheet.col_comment"): sheet.comments.get(item.code, "")}
            for item in items]
    st.dataframe(rows, hide_index=True, width="stretch")
    total = sheet.total
    top = sum(float(i.max_score) for i in items)
    st.metric(ctx.t("review.sheet.total"), "—" if total is None else f"{total:g} / {top:g}")
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
    # Shown whatever state the sheet is in: a submit that lost to another tab lands on a
    # locked sheet and must still say why.
    message = st.session_state.pop(_state_key(aid, "message"), None)
    if message is not None:
        kind, text = message
        (st.error if kind == "error" else st.caption)(text)
    if sheet.status is SheetStatus.SUBMITTED:
        if st.session_state.pop(_state_key(aid, "thanks"), False):
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
    except JixiaoError as err:
        show_error(ctx, err)
        return
    if sheet.rater_id != ctx.viewer.user_id:
        st.error(ctx.t("review.sheet.not_yours"))
        return
    reload = st.session_state.pop(_state_key(aid, "reload"), False)
    known = st.session_state.get(_state_key(aid, "version"))
    _load_widgets(sheet, items, force=reload or (known is not None and known != sheet.version))

    st.title(report.title)
    st.caption(ctx.t("review.sheet.meta", round=rnd.title, deadline=format_date(rnd.deadline),
                     department=report.department or "—"))
    layout = st.segmented_control(
        ctx.t("review.sheet.layout"), _LAYOUTS, key="review.sheet.layout",
        default="tabs" if ctx.viewer.role is Role.DEPUTY else "side",
        format_func=lambda v: ctx.t(f"review.sheet.layout_{v}")) or "side"
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
