"""What a rater sees: their tasks, the rubric, and the score sheets they may read.

Blindness is enforced here, not in the pages: a rater reads only their own sheets until the
round closes; after that, members of the round's panel may read the others'. Staff read every
sheet. Deadlines are calendar days in China Standard Time.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from indicators.clock import BUREAU_TIME, bureau_today
from indicators.errors import PermissionDeniedError
from indicators.frontdoor import STAFF_ROLES, Role, Viewer
from review.access import (
    active_user,
    assignment_row,
    is_panel_member,
    round_row,
)
from review.model import RoundStatus, RubricItem, SheetPublic, SheetStatus, TaskPublic
from review.tables import AssignmentRow, ReportRow, RoundRow
from review.views import rubric_of, sheet_public

__all__ = ["BUREAU_TIMEZONE", "bureau_today", "get_sheet", "list_sheets", "my_tasks",
           "rubric_items"]

BUREAU_TIMEZONE = BUREAU_TIME
"""Deadlines are calendar days in China Standard Time (:data:`indicators.clock.BUREAU_TIME`)."""


def rubric_items(session: Session, *, round_id: int) -> list[RubricItem]:
    """The items of a round's score sheet, in rubric order.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.

    Returns
    -------
    list of RubricItem
        Each leaf of the rubric, scored from 0 to its weight.

    Raises
    ------
    NotFoundError
        No such round.

    Notes
    -----
    Read from the snapshot taken when the round was created, so a newer rubric version never
    changes a running round. The rubric is not secret: no viewer is needed.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     items = rubric_items(s, round_id=tiny.round_id)
    >>> len(items), sum(i.max_score for i in items), items[0].code
    (23, 100.0, 'YJ0101')
    >>> clear_engine_cache()
    """
    return rubric_of(round_row(session, round_id))


def _may_read(session: Session, viewer: Viewer, row: AssignmentRow, rnd: RoundRow) -> None:
    user = active_user(session, viewer)
    if Role(user.role) in STAFF_ROLES or int(row.rater_id) == int(user.id):
        return
    if RoundStatus(rnd.status) is RoundStatus.CLOSED and is_panel_member(
            session, int(rnd.id), int(user.id)):
        return
    raise PermissionDeniedError("评审结束前不能查看其他评审人的评分",
                                "another rater's sheet stays hidden until the round closes",
                                field="assignment_id")


def get_sheet(session: Session, *, assignment_id: int, viewer: Viewer) -> SheetPublic:
    """One score sheet: the rater's own, any for staff, others' for the panel once closed.

    Parameters
    ----------
    session
        An open session.
    assignment_id
        The sheet.
    viewer
        The signed-in person.

    Returns
    -------
    SheetPublic
        Every rubric item appears in ``scores`` (None while unscored).

    Raises
    ------
    NotFoundError
        No such sheet.
    PermissionDeniedError
        Another rater's sheet while the round is not closed, or a sheet of a round the viewer
        is not on.

    Notes
    -----
    The row is re-read past the session's cache, so the version returned is the stored one.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from indicators.errors import PermissionDeniedError
    >>> with Session(engine) as s:
    ...     get_sheet(s, assignment_id=tiny.sheets[0], viewer=tiny.raters[0]).status.value
    ...     try:
    ...         get_sheet(s, assignment_id=tiny.sheets[0], viewer=tiny.raters[1])
    ...     except PermissionDeniedError as err:
    ...         print(err.en)
    'assigned'
    another rater's sheet stays hidden until the round closes
    >>> clear_engine_cache()
    """
    row = assignment_row(session, assignment_id, fresh=True)
    rnd = round_row(session, row.round_id)
    _may_read(session, viewer, row, rnd)
    return sheet_public(row, [i.code for i in rubric_of(rnd)])


def list_sheets(session: Session, *, round_id: int, viewer: Viewer) -> list[SheetPublic]:
    """The sheets of a round a person may read: all for staff (and the panel once closed).

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    viewer
        The signed-in person.

    Returns
    -------
    list of SheetPublic
        By report then rater. A rater gets only their own while the round is not closed.

    Raises
    ------
    NotFoundError
        No such round.

    Notes
    -----
    The same rule as :func:`get_sheet`, applied in the query.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     len(list_sheets(s, round_id=tiny.round_id, viewer=tiny.raters[0])), len(
    ...         list_sheets(s, round_id=tiny.round_id, viewer=tiny.admin))
    (2, 4)
    >>> clear_engine_cache()
    """
    rnd = round_row(session, round_id)
    user = active_user(session, viewer)
    statement = select(AssignmentRow).where(AssignmentRow.round_id == rnd.id).order_by(
        AssignmentRow.report_id, AssignmentRow.rater_id).execution_options(populate_existing=True)
    sees_all = Role(user.role) in STAFF_ROLES or (
        RoundStatus(rnd.status) is RoundStatus.CLOSED
        and is_panel_member(session, int(rnd.id), int(user.id)))
    if not sees_all:
        statement = statement.where(AssignmentRow.rater_id == user.id)
    codes = [i.code for i in rubric_of(rnd)]
    return [sheet_public(r, codes) for r in session.exec(statement).all()]


def my_tasks(session: Session, *, viewer: Viewer, now: datetime | None = None) -> list[TaskPublic]:
    """The viewer's sheets in open and closed rounds ("我的评审任务"), open rounds first.

    Parameters
    ----------
    session
        An open session.
    viewer
        The signed-in rater.
    now
        The current time (tests pass a fixed one); default the clock.

    Returns
    -------
    list of TaskPublic
        ``overdue`` is true for an unsubmitted sheet of an open round whose deadline day (in
        China Standard Time) has passed.

    Raises
    ------
    PermissionDeniedError
        A disabled or missing account.

    Notes
    -----
    Rounds still in draft are being prepared and are not shown.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     [t.report_title for t in my_tasks(s, viewer=tiny.raters[1])]
    ['报告1', '报告2']
    >>> clear_engine_cache()
    """
    user = active_user(session, viewer)
    rows = session.exec(
        select(AssignmentRow, RoundRow, ReportRow.title)
        .join(RoundRow, RoundRow.id == AssignmentRow.round_id)
        .join(ReportRow, ReportRow.id == AssignmentRow.report_id)
        .where(AssignmentRow.rater_id == user.id,
               RoundRow.status.in_([RoundStatus.OPEN.value, RoundStatus.CLOSED.value]))
        .order_by(RoundRow.status.desc(), RoundRow.id.desc(), AssignmentRow.report_id)
        .execution_options(populate_existing=True)).all()
    today = bureau_today(now)
    return [TaskPublic(
        assignment_id=int(a.id), round_id=int(r.id), round_title=r.title,
        report_id=int(a.report_id), report_title=title, status=SheetStatus(a.status),
        deadline=r.deadline,
        overdue=bool(r.status == RoundStatus.OPEN.value and r.deadline is not None
                     and today > r.deadline and a.status != SheetStatus.SUBMITTED.value))
        for a, r, title in rows]
