"""Who may do what in the review store, and the audit line every change leaves behind.

Shared by the store modules (:mod:`review.store`, :mod:`review.store_sheets`,
:mod:`review.store_results`) so that one rule is written once: staff run rounds, admins manage
accounts and reopen sheets, a rater sees only their own sheets until a round closes. Every check
reads the database in the caller's transaction, so a disabled account or a closed round counts
from the moment it is committed, not from the viewer's sign-in. Finding rows by id lives in
:mod:`review.store_rows`; its names are handed on from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session

from indicators.errors import InputError, PermissionDeniedError
from indicators.frontdoor import STAFF_ROLES, Role, Viewer
from review.store_rows import (
    as_date,
    assignment_row,
    editable_round,
    report_row,
    round_row,
    user_row,
    usernames,
)
from review.tables import AuditRow, PanelRow, UserRow, utc_now

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
