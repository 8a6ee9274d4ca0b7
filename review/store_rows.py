"""The review store's rows by id, and the deadline a round is given.

Every store module finds users, rounds, reports and score sheets through these functions, so a
missing row is refused with the same words everywhere; who may touch a row is decided in
:mod:`review.access`, which hands these names on. Rows stay inside the store modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session, select

from indicators.errors import ConflictError, InputError, NotFoundError
from review.model import RoundStatus
from review.tables import AssignmentRow, ReportRow, RoundRow, UserRow

__all__ = [
    "as_date",
    "assignment_row",
    "editable_round",
    "report_row",
    "round_row",
    "user_row",
    "usernames",
]


def user_row(session: Session, user_id: int) -> UserRow:
    """An account's row.

    Parameters
    ----------
    session
        An open session.
    user_id
        The account.

    Returns
    -------
    UserRow

    Raises
    ------
    NotFoundError
        No such account.

    Notes
    -----
    Rows stay inside the store; pages get :class:`~review.model.UserPublic`.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     user_row(s, tiny.raters[0].user_id).username
    'rater1'
    >>> clear_engine_cache()
    """
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFoundError(f"找不到用户 {user_id}", f"user {user_id} not found", field="user_id")
    return row


def round_row(session: Session, round_id: int) -> RoundRow:
    """A round's row.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.

    Returns
    -------
    RoundRow

    Raises
    ------
    NotFoundError
        No such round.

    Notes
    -----
    The row carries the rubric snapshot the round is scored against.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     round_row(s, tiny.round_id).status
    'open'
    >>> clear_engine_cache()
    """
    row = session.get(RoundRow, round_id)
    if row is None:
        raise NotFoundError(f"找不到评审轮次 {round_id}", f"review round {round_id} not found",
                            field="round_id")
    return row


def editable_round(session: Session, round_id: int, *, allowed: Iterable[RoundStatus]) -> RoundRow:
    """A round's row when its status is one of ``allowed``.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    allowed
        The statuses the change needs.

    Returns
    -------
    RoundRow

    Raises
    ------
    ConflictError
        The round is in another status (NotFoundError if missing).

    Notes
    -----
    The message names the round's status and the ones the change needs.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from indicators.errors import ConflictError
    >>> with Session(engine) as s:
    ...     try:
    ...         editable_round(s, tiny.round_id, allowed=(RoundStatus.DRAFT,))
    ...     except ConflictError as err:
    ...         print(err.en)
    the round is open; this needs it to be draft
    >>> clear_engine_cache()
    """
    row = round_row(session, round_id)
    allowed = tuple(allowed)
    if RoundStatus(row.status) not in allowed:
        names = "、".join(s.value for s in allowed)
        raise ConflictError(f"轮次状态为 {row.status}，此操作只能在 {names} 状态下进行",
                            f"the round is {row.status}; this needs it to be "
                            f"{' or '.join(s.value for s in allowed)}", field="round_id")
    return row


def report_row(session: Session, report_id: int) -> ReportRow:
    """A report's row, with its document.

    Parameters
    ----------
    session
        An open session.
    report_id
        The report.

    Returns
    -------
    ReportRow

    Raises
    ------
    NotFoundError
        No such report.

    Notes
    -----
    Only :func:`review.store.report_content` hands the document out, after its checks.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     report_row(s, 1).title
    '报告1'
    >>> clear_engine_cache()
    """
    row = session.get(ReportRow, report_id)
    if row is None:
        raise NotFoundError(f"找不到评价报告 {report_id}", f"report {report_id} not found",
                            field="report_id")
    return row


def assignment_row(session: Session, assignment_id: int, *, fresh: bool = False) -> AssignmentRow:
    """A score sheet's row.

    Parameters
    ----------
    session
        An open session.
    assignment_id
        The sheet.
    fresh
        Re-read the row from the database even if the session holds it already.

    Returns
    -------
    AssignmentRow

    Raises
    ------
    NotFoundError
        No such sheet.

    Notes
    -----
    After a conditional UPDATE the session's cached row is stale; ``fresh`` replaces it.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     assignment_row(s, tiny.sheets[0], fresh=True).version
    1
    >>> clear_engine_cache()
    """
    statement = select(AssignmentRow).where(AssignmentRow.id == assignment_id)
    if fresh:
        statement = statement.execution_options(populate_existing=True)
    row = session.exec(statement).first()
    if row is None:
        raise NotFoundError(f"找不到评分表 {assignment_id}",
                            f"score sheet {assignment_id} not found", field="assignment_id")
    return row


def as_date(value: date | str | None) -> date | None:
    """A deadline from a date or ``YYYY-MM-DD``.

    Parameters
    ----------
    value
        A date, an ISO date string, or None/"" for none.

    Returns
    -------
    date or None

    Raises
    ------
    InputError
        Text that is not a date.

    Notes
    -----
    Deadlines are calendar days in the bureau's zone.

    Examples
    --------
    >>> as_date("2022-06-30").isoformat()
    '2022-06-30'
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"截止日期 {value!r} 无效，请用 YYYY-MM-DD",
                         f"deadline {value!r} is not a date (YYYY-MM-DD)",
                         field="deadline") from exc


def usernames(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Usernames by id, in one query.

    Parameters
    ----------
    session
        An open session.
    user_ids
        Ids; None entries are skipped.

    Returns
    -------
    dict of int to str

    Notes
    -----
    Ids that do not exist are left out.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     usernames(s, [tiny.admin.user_id, None])
    {1: 'admin'}
    >>> clear_engine_cache()
    """
    wanted = {int(i) for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(UserRow.id, UserRow.username).where(UserRow.id.in_(wanted))).all()
    return {int(i): name for i, name in rows}
