"""Who may do what in the review store, and the audit line every change leaves behind.

Shared by the store modules (:mod:`review.store`, :mod:`review.store_sheets`,
:mod:`review.store_results`) so that one rule is written once: staff run rounds, admins manage
accounts and reopen sheets, a rater sees only their own sheets until a round closes. Every check
reads the database in the caller's transaction, so a disabled account or a closed round counts
from the moment it is committed, not from the viewer's sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from indicators.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from indicators.frontdoor import STAFF_ROLES, Role, Viewer
from review.model import (
    RoundStatus,
)
from review.tables import (
    AssignmentRow,
    AuditRow,
    PanelRow,
    ReportRow,
    RoundRow,
    UserRow,
    utc_now,
)

__all__ = [
    "RATER_ROLES",
    "active_user",
    "as_date",
    "assignment_row",
    "audit",
    "editable_round",
    "is_panel_member",
    "rater_ids",
    "report_row",
    "require_admin",
    "require_staff",
    "round_row",
    "user_row",
    "usernames",
]

RATER_ROLES: frozenset[Role] = frozenset({Role.EXPERT, Role.DEPUTY})
"""Roles that may sit on a panel and score reports."""


def active_user(session: Session, viewer: Viewer) -> UserRow:
    """The viewer's account row, refusing one that was disabled or deleted since sign-in.

    Parameters
    ----------
    session
        An open session.
    viewer
        The signed-in person.

    Returns
    -------
    UserRow

    Raises
    ------
    PermissionDeniedError
        No such account, a disabled account, or a role that no longer matches the account.

    Notes
    -----
    The role is re-read because an admin may have changed it; the stored one wins.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     active_user(s, tiny.raters[0]).username
    'rater1'
    >>> clear_engine_cache()
    """
    row = session.get(UserRow, viewer.user_id)
    if row is None or row.disabled or row.role != Role(viewer.role).value:
        raise PermissionDeniedError("账户不存在、已停用或角色已变更，请重新登录",
                                    "the account is missing, disabled or its role changed; "
                                    "sign in again", field="viewer")
    return row


def require_staff(session: Session, viewer: Viewer | None) -> UserRow:
    """The viewer's account when they are admin or finance staff.

    Parameters
    ----------
    session
        An open session.
    viewer
        The signed-in person.

    Returns
    -------
    UserRow

    Raises
    ------
    PermissionDeniedError
        Not signed in, not staff, or disabled.

    Notes
    -----
    Staff are the roles in :data:`indicators.frontdoor.STAFF_ROLES`.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     require_staff(s, tiny.admin).role
    'admin'
    >>> clear_engine_cache()
    """
    if viewer is None or Role(viewer.role) not in STAFF_ROLES:
        raise PermissionDeniedError("只有管理员和财政人员可以执行此操作",
                                    "only admins and finance staff may do this", field="by")
    return active_user(session, viewer)


def require_admin(session: Session, viewer: Viewer | None) -> UserRow:
    """The viewer's account when they are an admin.

    Parameters
    ----------
    session
        An open session.
    viewer
        The signed-in person.

    Returns
    -------
    UserRow

    Raises
    ------
    PermissionDeniedError
        Not signed in, not an admin, or disabled.

    Notes
    -----
    Accounts, reopening a submitted sheet and reading the audit log are admin-only.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from indicators.errors import PermissionDeniedError
    >>> with Session(engine) as s:
    ...     try:
    ...         require_admin(s, tiny.raters[0])
    ...     except PermissionDeniedError as err:
    ...         print(err.en)
    only admins may do this
    >>> clear_engine_cache()
    """
    if viewer is None or Role(viewer.role) is not Role.ADMIN:
        raise PermissionDeniedError("只有管理员可以执行此操作", "only admins may do this",
                                    field="by")
    return active_user(session, viewer)


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


def is_panel_member(session: Session, round_id: int, user_id: int) -> bool:
    """Whether a user sits on a round's panel.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    user_id
        The account.

    Returns
    -------
    bool

    Notes
    -----
    Panel members may read each other's sheets once the round is closed.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     is_panel_member(s, tiny.round_id, tiny.raters[0].user_id), is_panel_member(
    ...         s, tiny.round_id, tiny.admin.user_id)
    (True, False)
    >>> clear_engine_cache()
    """
    return session.get(PanelRow, (round_id, user_id)) is not None


def audit(
    session: Session,
    *,
    actor: UserRow | None,
    entity: str,
    entity_id: int | None,
    action: str,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> None:
    """Append one line to the audit log in the caller's transaction.

    Parameters
    ----------
    session
        The session of the change being logged, so the line and the change commit together.
    actor
        Who made the change; None for the system (bootstrap of the first admin).
    entity, entity_id
        What changed: ``"user"``, ``"round"``, ``"report"``, ``"panel"``, ``"assignment"``
        or ``"sheet"``, and its id.
    action
        The verb, e.g. ``"create"``, ``"save_draft"``, ``"submit"``, ``"reopen"``.
    old, new
        The values before and after (JSON-serialisable).

    Returns
    -------
    None

    Notes
    -----
    There is deliberately no function that updates or deletes an audit line, and the database
    refuses both (migration ``rev_0001``).

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     audit(s, actor=None, entity="round", entity_id=tiny.round_id, action="note",
    ...           new={"text": "示例"})
    >>> clear_engine_cache()
    """
    session.add(AuditRow(
        at=utc_now(), actor_id=None if actor is None else actor.id,
        actor="system" if actor is None else actor.username, entity=entity,
        entity_id=entity_id, action=action,
        old=None if old is None else dict(old), new=None if new is None else dict(new)))


def rater_ids(session: Session, user_ids: Iterable[int]) -> list[int]:
    """The distinct accounts of a list, in order, when every one is an active expert or deputy.

    Parameters
    ----------
    session
        An open session.
    user_ids
        Accounts to invite; repeats are dropped.

    Returns
    -------
    list of int

    Raises
    ------
    InputError
        An account missing, disabled, or not in :data:`RATER_ROLES`.

    Notes
    -----
    The one rule for who may be invited to a Delphi round or a group AHP survey.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     rater_ids(s, [tiny.raters[1].user_id, tiny.raters[1].user_id])
    [3]
    >>> clear_engine_cache()
    """
    wanted = list(dict.fromkeys(int(u) for u in user_ids))
    for uid in wanted:
        user = session.get(UserRow, uid)
        if user is None or user.disabled or Role(user.role) not in RATER_ROLES:
            raise InputError(f"账户 {uid} 不存在、已停用或不是专家/代表",
                             f"account {uid} is missing, disabled, or not an expert or deputy",
                             field="user_ids")
    return wanted


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
