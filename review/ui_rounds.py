"""Preparing a review round (评审轮次): create it, upload reports, pick the panel, assign, open.

The steps follow 赵会计's day in JOURNEYS: a title and year, the rubric from the library, a
deadline, k raters per report and the panel method; then the reports (PDF, Word or Markdown,
many at once), the panel of experts and deputies, the assignment (automatic, with no rater on a
report of their own department, or by hand), and finally opening the round for scoring.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import PurePath

import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext, Role
from indicators.model import Status
from indicators.store import list_libraries
from review import store
from review.model import PanelMethod, RoundPublic, RoundStatus, UserPublic
from review.ui_shell import (
    BUREAU_TIME,
    MISSING,
    format_date,
    reading,
    show_error,
    show_table,
    writing,
)

__all__ = ["ROUND_KEY", "render_rounds", "round_picker"]

ROUND_KEY = "review.round"
"""Session-state key of the round chosen on the staff pages (shared by both pages)."""

_PICKER_KEY = "review.round_picker"
_UPLOAD_TYPES = ["pdf", "docx", "doc", "md", "markdown"]
_STATUS_KEYS = {RoundStatus.DRAFT: "review.round_status.draft",
                RoundStatus.OPEN: "review.round_status.open",
                RoundStatus.CLOSED: "review.round_status.closed"}


def round_picker(ctx: PageContext, rounds: list[RoundPublic]) -> RoundPublic | None:
    """A select box of rounds, remembering the choice across the staff pages.

    Parameters
    ----------
    ctx
        The page's context.
    rounds
        The rounds to choose from, newest first.

    Returns
    -------
    RoundPublic or None
        None when there is no round.

    Notes
    -----
    The choice is kept under :data:`ROUND_KEY` by round id, so the round chosen (or just
    created) on one page is the one the other page opens.

    Examples
    --------
    >>> round_picker.__name__
    'round_picker'
    """
    if not rounds:
        return None
    by_id = {r.round_id: r for r in rounds}
    if st.session_state.get(_PICKER_KEY) not in by_id:
        remembered = st.session_state.get(ROUND_KEY)
        st.session_state[_PICKER_KEY] = remembered if remembered in by_id else rounds[0].round_id
    picked = st.selectbox(
        ctx.t("review.rounds.pick"), list(by_id), key=_PICKER_KEY,
        format_func=lambda rid: f"{by_id[rid].title}（{ctx.t(_STATUS_KEYS[by_id[rid].status])}）")
    st.session_state[ROUND_KEY] = picked
    return by_id[picked]


def _rubric_refs(ctx: PageContext) -> list[str]:
    with reading(ctx) as session:
        libraries = list_libraries(session)
    published = [lib for lib in libraries if lib.status is Status.PUBLISHED]
    rubrics = [lib.ref for lib in published if lib.kind == "rubric"]
    return rubrics + [lib.ref for lib in published if lib.kind != "rubric"]


def _create_form(ctx: PageContext) -> None:
    refs = _rubric_refs(ctx)
    methods = list(PanelMethod)
    today = pd.Timestamp.now(tz=BUREAU_TIME).date()
    with st.form("review.create_round", clear_on_submit=False):
        title = st.text_input(ctx.t("review.rounds.title"), key="review.new.title")
        year = st.number_input(ctx.t("review.rounds.year"), min_value=2000, max_value=2100,
                               value=today.year - 1, step=1, key="review.new.year")
        rubric = st.selectbox(ctx.t("review.rounds.rubric"), refs, key="review.new.rubric")
        deadline = st.date_input(ctx.t("review.rounds.deadline"), value=today + timedelta(days=14),
                                 key="review.new.deadline")
        k = st.number_input(ctx.t("review.rounds.k"), min_value=1, max_value=20, value=4,
                            step=1, key="review.new.k")
        method = st.selectbox(ctx.t("review.rounds.method"), methods, key="review.new.method",
                              format_func=lambda m: ctx.t(f"review.method.{m.value}"))
        submitted = st.form_submit_button(ctx.t("review.rounds.create"), type="primary",
                                          key="review.rounds.create")
    if not submitted:
        return
    try:
        with writing(ctx) as session:
            created = store.create_round(session, title=title, year=int(year), rubric_ref=rubric,
                                         deadline=deadline, raters_per_report=int(k),
                                         panel_method=method, by=ctx.viewer)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    st.session_state[ROUND_KEY] = created.round_id
    st.session_state.pop(_PICKER_KEY, None)
    st.rerun()


def _reports_step(ctx: PageContext, rnd: RoundPublic) -> None:
    with reading(ctx) as session:
        reports = store.list_reports(session, round_id=rnd.round_id, by=ctx.viewer)
    st.markdown(f"#### {ctx.t('review.rounds.reports', n=len(reports))}")
    if reports:
        st.dataframe(pd.DataFrame([{
            ctx.t("review.rounds.col_title"): r.title,
            ctx.t("review.rounds.col_project"): r.project_code,
            ctx.t("review.rounds.col_department"): r.department,
            ctx.t("review.rounds.col_file"): r.filename,
            ctx.t("review.rounds.col_size"): f"{r.size / 1024:.0f} KB",
            ctx.t("review.rounds.col_sha256"): r.sha256[:12]} for r in reports]),
            hide_index=True, width="stretch", placeholder=MISSING)
    if rnd.status is RoundStatus.CLOSED:
        return
    generation = st.session_state.get("review.upload.generation", 0)
    files = st.file_uploader(ctx.t("review.rounds.upload"), type=_UPLOAD_TYPES,
                             accept_multiple_files=True, key=f"review.upload.{generation}")
    if not files:
        return
    columns = [ctx.t("review.rounds.col_file"), ctx.t("review.rounds.col_title"),
               ctx.t("review.rounds.col_project"), ctx.t("review.rounds.col_department")]
    table = pd.DataFrame([[f.name, PurePath(f.name).stem, "", ""] for f in files],
                         columns=columns)
    edited = st.data_editor(table, hide_index=True, width="stretch", disabled=[columns[0]],
                            key=f"review.upload.table.{generation}")
    st.caption(ctx.t("review.rounds.department_note"))
    if not st.button(ctx.t("review.rounds.add_reports", n=len(files)), type="primary",
                     key="review.upload.add"):
        return
    try:
        # All files or none: one transaction, so a bad file leaves the round as it was.
        with writing(ctx) as session:
            for upload, row in zip(files, edited.itertuples(index=False), strict=True):
                store.add_report(session, round_id=rnd.round_id, title=str(row[1]).strip(),
                                 filename=upload.name, content=upload.getvalue(),
                                 project_code=str(row[2] or "").strip(),
                                 department=str(row[3] or "").strip(), by=ctx.viewer)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    st.session_state["review.upload.generation"] = generation + 1
    st.rerun()


def _raters(ctx: PageContext) -> list[UserPublic]:
    with reading(ctx) as session:
        users = store.list_users(session, by=ctx.viewer)
    return [u for u in users if u.role in (Role.EXPERT, Role.DEPUTY) and not u.disabled]


def _assigned(ctx: PageContext, rnd: RoundPublic) -> pd.DataFrame:
    with reading(ctx) as session:
        return store.progress(session, round_id=rnd.round_id, by=ctx.viewer)


def _panel_step(ctx: PageContext, rnd: RoundPublic, raters: list[UserPublic]) -> None:
    st.markdown(f"#### {ctx.t('review.rounds.panel')}")
    by_id = {u.user_id: u for u in raters}
    # The stored panel is the starting choice, so a saved panel shows as saved on any visit.
    with reading(ctx) as session:
        current = [u.user_id for u in store.panel_members(session, round_id=rnd.round_id,
                                                          by=ctx.viewer)]
    chosen = st.multiselect(
        ctx.t("review.rounds.panel_pick"), list(by_id),
        default=[u for u in current if u in by_id], key=f"review.panel_pick.{rnd.round_id}",
        format_func=lambda uid: f"{by_id[uid].display_name}（{by_id[uid].role.label(ctx.lang)}"
                                f"{'，' + by_id[uid].department if by_id[uid].department else ''}）")
    experts = sum(by_id[u].role is Role.EXPERT for u in chosen)
    st.caption(ctx.t("review.rounds.panel_count", experts=experts, deputies=len(chosen) - experts))
    if st.button(ctx.t("review.rounds.panel_save"), key="review.panel_save"):
        try:
            with writing(ctx) as session:
                store.set_panel(session, round_id=rnd.round_id, user_ids=chosen, by=ctx.viewer)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.success(ctx.t("review.rounds.panel_saved", n=len(chosen)))


def _auto_assign(ctx: PageContext, rnd: RoundPublic) -> None:
    k = st.number_input(ctx.t("review.rounds.k"), min_value=1, max_value=20,
                        value=int(rnd.raters_per_report), step=1, key="review.assign.k")
    if st.button(ctx.t("review.rounds.auto"), type="primary", key="review.assign.auto"):
        try:
            with writing(ctx) as session:
                loads = store.auto_assign(session, round_id=rnd.round_id, k=int(k), by=ctx.viewer)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.session_state["review.assign.loads"] = loads
        st.rerun()
    loads = st.session_state.get("review.assign.loads")
    if loads is not None:
        st.caption(ctx.t("review.rounds.loads"))
        show_table(pd.DataFrame({
            ctx.t("review.admin.username"): loads["username"],
            ctx.t("review.admin.department"): loads["department"].replace("", None),
            ctx.t("review.rounds.load"): loads["load"]}), hide_index=True)


def _manual_assign(ctx: PageContext, rnd: RoundPublic, raters: list[UserPublic],
                   sheets: pd.DataFrame) -> None:
    with reading(ctx) as session:
        reports = store.list_reports(session, round_id=rnd.round_id, by=ctx.viewer)
    if not reports or not raters:
        return
    names = {u.user_id: f"{u.display_name}（{u.username}）" for u in raters}
    existing = set(zip(sheets["report_id"], sheets["rater_id"], strict=True))
    grid = pd.DataFrame({names[u]: [(r.report_id, u) in existing for r in reports]
                         for u in names}, index=[r.title for r in reports])
    edited = st.data_editor(grid, width="stretch", key=f"review.assign.grid.{rnd.round_id}")
    st.caption(ctx.t("review.rounds.manual_note"))
    if st.button(ctx.t("review.rounds.manual_save"), key="review.assign.manual"):
        ids = {names[u]: u for u in names}
        pairs = [(r.report_id, ids[column]) for i, r in enumerate(reports)
                 for column in edited.columns
                 if bool(edited.iloc[i][column]) and (r.report_id, ids[column]) not in existing]
        try:
            with writing(ctx) as session:
                count = store.assign(session, round_id=rnd.round_id, pairs=pairs, by=ctx.viewer)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.success(ctx.t("review.rounds.assigned", n=count))


def _assignment_step(ctx: PageContext, rnd: RoundPublic, raters: list[UserPublic],
                     sheets: pd.DataFrame) -> None:
    st.markdown(f"#### {ctx.t('review.rounds.assignment', n=len(sheets))}")
    if rnd.status is RoundStatus.CLOSED:
        return
    modes = ["auto", "manual"] if rnd.status is RoundStatus.DRAFT else ["manual"]
    mode = st.radio(ctx.t("review.rounds.assign_mode"), modes, horizontal=True,
                    key=f"review.assign.mode.{rnd.round_id}", format_func=lambda m: ctx.t(f"review.rounds.{m}_mode"))
    if mode == "auto":
        _auto_assign(ctx, rnd)
    else:
        _manual_assign(ctx, rnd, raters, sheets)


def _open_step(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame) -> None:
    if rnd.status is not RoundStatus.DRAFT:
        return
    st.markdown(f"#### {ctx.t('review.rounds.open_title')}")
    st.caption(ctx.t("review.rounds.open_note", n=len(sheets)))
    if st.button(ctx.t("review.rounds.open"), type="primary", key="review.round.open",
                 disabled=sheets.empty):
        try:
            with writing(ctx) as session:
                store.open_round(session, round_id=rnd.round_id, by=ctx.viewer)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.rerun()


def render_rounds(ctx: PageContext) -> None:
    """Render the round set-up page for admin and finance staff.

    Parameters
    ----------
    ctx
        The signed-in staff member and the engine.

    Returns
    -------
    None

    Notes
    -----
    Every write goes through :mod:`review.store` in its own transaction and is audited there;
    a refused step (a conflict of interest, a closed round) shows the store's message.

    Examples
    --------
    >>> render_rounds.__name__
    'render_rounds'
    """
    st.title(ctx.t("review.page.rounds"))
    try:
        with reading(ctx) as session:
            rounds = store.list_rounds(session, by=ctx.viewer)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    with st.expander(ctx.t("review.rounds.new"), expanded=not rounds, icon=":material/add:"):
        _create_form(ctx)
    if rounds:
        st.dataframe(pd.DataFrame([{
            ctx.t("review.rounds.col_title"): r.title, ctx.t("review.rounds.year"): r.year,
            ctx.t("review.rounds.col_status"): ctx.t(_STATUS_KEYS[r.status]),
            ctx.t("review.rounds.deadline"): format_date(r.deadline),
            ctx.t("review.rounds.rubric"): r.rubric_ref,
            ctx.t("review.rounds.k"): r.raters_per_report,
            ctx.t("review.rounds.method"): ctx.t(f"review.method.{r.panel_method.value}")}
            for r in rounds]), hide_index=True, width="stretch", placeholder=MISSING)
    rnd = round_picker(ctx, rounds)
    if rnd is None:
        return
    try:
        raters = _raters(ctx)
        sheets = _assigned(ctx, rnd)
        _reports_step(ctx, rnd)
        if rnd.status is not RoundStatus.CLOSED:
            _panel_step(ctx, rnd, raters)
        _assignment_step(ctx, rnd, raters, sheets)
        _open_step(ctx, rnd, sheets)
    except JixiaoError as err:
        show_error(ctx, err)
