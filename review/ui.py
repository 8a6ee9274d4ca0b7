"""The review module's Streamlit pages, and the reviewer's task list ("我的评审任务").

:func:`pages` is what the front door registers; it lists every page of the review module with
the roles that may see it. Experts and NPC deputies get their tasks and the score sheet
(:mod:`review.ui_sheet`); finance staff and admins run rounds (:mod:`review.ui_rounds`) and
read their progress and results (:mod:`review.ui_dashboard`, :mod:`review.ui_results`); admins
manage accounts and read the audit log (:mod:`review.ui_admin`).
"""

from __future__ import annotations

import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import STAFF_ROLES, PageContext, PageSpec, Role
from review import store
from review.model import RoundStatus, SheetStatus, TaskPublic
from review.ui_shell import (
    DASHBOARD_PAGE,
    SHEET_PAGE,
    TASKS_PAGE,
    format_date,
    go_to,
    reading,
    show_error,
)

__all__ = ["RATER_PAGE_ROLES", "pages", "render_tasks"]

RATER_PAGE_ROLES: frozenset[Role] = frozenset({Role.EXPERT, Role.DEPUTY})
"""Roles that score reports and so see "我的评审"."""

_STATUS_KEYS = {SheetStatus.ASSIGNED: "review.status.assigned",
                SheetStatus.DRAFT: "review.status.draft",
                SheetStatus.SUBMITTED: "review.status.submitted"}
_ACTION_KEYS = {SheetStatus.ASSIGNED: "review.tasks.start", SheetStatus.DRAFT: "review.tasks.resume",
                SheetStatus.SUBMITTED: "review.tasks.view"}


def pages() -> list[PageSpec]:
    """Every page of the review module with the roles that may see it.

    Returns
    -------
    list of PageSpec
        我的评审任务 and the score sheet (experts, deputies; the task list is their default
        page); 评审轮次 and 评审看板 (admin and finance staff, who land on the county overview
        of :mod:`scoring.ui_dashboard`); 账户管理 and 审计日志 (admins).

    Notes
    -----
    Page bodies are imported when a page is rendered, so registering the navigation does not
    load every page's code.

    Examples
    --------
    >>> [p.key for p in pages()][:2]
    ['review-tasks', 'review-sheet']
    """
    admins = frozenset({Role.ADMIN})
    return [
        PageSpec(key=TASKS_PAGE, section="review.section.mine", title="review.page.tasks",
                 render=render_tasks, roles=RATER_PAGE_ROLES, icon=":material/assignment:",
                 default=True),
        PageSpec(key=SHEET_PAGE, section="review.section.mine", title="review.page.sheet",
                 render=_render_sheet, roles=RATER_PAGE_ROLES, icon=":material/edit_note:"),
        PageSpec(key=DASHBOARD_PAGE, section="review.section.manage",
                 title="review.page.dashboard", render=_render_dashboard, roles=STAFF_ROLES,
                 icon=":material/monitoring:"),
        PageSpec(key="review-rounds", section="review.section.manage",
                 title="review.page.rounds", render=_render_rounds, roles=STAFF_ROLES,
                 icon=":material/folder_open:"),
        PageSpec(key="review-accounts", section="review.section.system",
                 title="review.page.accounts", render=_render_accounts, roles=admins,
                 icon=":material/manage_accounts:"),
        PageSpec(key="review-audit", section="review.section.system",
                 title="review.page.audit", render=_render_audit, roles=admins,
                 icon=":material/history:"),
    ]


def _render_sheet(ctx: PageContext) -> None:
    from review.ui_sheet import render_sheet

    render_sheet(ctx)


def _render_dashboard(ctx: PageContext) -> None:
    from review.ui_dashboard import render_dashboard

    render_dashboard(ctx)


def _render_rounds(ctx: PageContext) -> None:
    from review.ui_rounds import render_rounds

    render_rounds(ctx)


def _render_accounts(ctx: PageContext) -> None:
    from review.ui_admin import render_accounts

    render_accounts(ctx)


def _render_audit(ctx: PageContext) -> None:
    from review.ui_admin import render_audit

    render_audit(ctx)


def _task_card(ctx: PageContext, task: TaskPublic, *, closed: bool) -> None:
    with st.container(border=True):
        left, right = st.columns([3, 1], vertical_alignment="center")
        with left:
            st.markdown(f"#### {task.report_title}")
            status = ctx.t(_STATUS_KEYS[task.status])
            deadline = ctx.t("review.tasks.deadline", date=format_date(task.deadline))
            line = f"{status} · {deadline}"
            if task.overdue:
                line += f" · :red[**{ctx.t('review.tasks.overdue')}**]"
            st.markdown(line)
        with right:
            primary = task.status is not SheetStatus.SUBMITTED
            action = "review.tasks.results" if closed else _ACTION_KEYS[task.status]
            if st.button(ctx.t(action), key=f"review.open.{task.assignment_id}",
                         type="primary" if primary and not closed else "secondary",
                         width="stretch"):
                go_to(SHEET_PAGE, sheet=task.assignment_id)


def render_tasks(ctx: PageContext) -> None:
    """Render "我的评审任务": per round, the progress and one card per report.

    Parameters
    ----------
    ctx
        The signed-in rater and the engine.

    Returns
    -------
    None

    Notes
    -----
    Open rounds come first, as :func:`review.store.my_tasks` orders them; each round says how
    many reports it holds for the rater and how many are submitted ("5 份报告，已完成 2").

    Examples
    --------
    >>> render_tasks.__name__
    'render_tasks'
    """
    st.title(ctx.t("review.page.tasks"))
    try:
        with reading(ctx) as session:
            tasks = store.my_tasks(session, viewer=ctx.viewer)
            status = {r.round_id: r.status for r in store.list_rounds(session, by=ctx.viewer)}
    except JixiaoError as err:
        show_error(ctx, err)
        return
    if not tasks:
        st.info(ctx.t("review.tasks.none"))
        return
    rounds: dict[int, list[TaskPublic]] = {}
    for task in tasks:
        rounds.setdefault(task.round_id, []).append(task)
    for round_id, round_tasks in rounds.items():
        done = sum(task.status is SheetStatus.SUBMITTED for task in round_tasks)
        closed = status.get(round_id) is RoundStatus.CLOSED
        st.header(round_tasks[0].round_title, divider="gray")
        if closed:
            st.caption(ctx.t("review.tasks.closed"))
        st.subheader(ctx.t("review.tasks.progress", total=len(round_tasks), done=done))
        st.progress(done / len(round_tasks))
        for task in round_tasks:
            _task_card(ctx, task, closed=closed)
