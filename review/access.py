"""Who may do what in the review store, and the audit line every change leaves behind.

Shared by the store modules (:mod:`review.store`, :mod:`review.store_sheets`,
:mod:`review.store_results`) so that one rule is written once: staff run rounds, admins manage
accounts and reopen sheets, a rater sees only their own sheets until a round closes. Every check
reads the database in the caller's transaction, so a disabled account or a closed round counts
from the moment it is committed, not from the viewer's sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, select

from indicators.errors import ConflictError, NotFoundError, PermissionDeniedError
from indicators.frontdoor import STAFF_ROLES, Role, Viewer
from review.model import (
    AuditEntry,
    PanelChoice,
    PanelMethod,
    ReportPublic,
    RoundPublic,
    RoundStatus,
    RubricItem,
    SheetPublic,
    SheetStatus,
    UserPublic,
)
from review.tables import (
    AssignmentRow,
    AuditRow,
    PanelRow,
    ReportRow,
    RoundRow,
    UserRow,
    as_utc,
    utc_now,
)

__all__ = [
    "RATER_ROLES",
    "active_user",
    "assignment_row",
    "audit",
    "audit_entry",
    "editable_round",
    "is_panel_member",
    "report_public",
    "report_row",
    "require_admin",
    "require_staff",
    "round_public",
    "round_row",
    "rubric_of",
    "sheet_public",
    "user_public",
    "user_row",
    "usernames",
    "viewer_of",
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
    >>> active_user.__name__
    'active_user'
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
    >>> require_staff.__name__
    'require_staff'
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
    >>> require_admin.__name__
    'require_admin'
    """
    if viewer is None or Role(viewer.role) is not Role.ADMIN:
        raise PermissionDeniedError("只有管理员可以执行此操作", "only admins may do this",
                                    field="by")
    return active_user(session, viewer)


def user_row(session: Session, user_id: int) -> UserRow:
    """An account's row, or NotFoundError naming it."""
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFoundError(f"找不到用户 {user_id}", f"user {user_id} not found", field="user_id")
    return row


def round_row(session: Session, round_id: int) -> RoundRow:
    """A round's row, or NotFoundError naming it."""
    row = session.get(RoundRow, round_id)
    if row is None:
        raise NotFoundError(f"找不到评审轮次 {round_id}", f"review round {round_id} not found",
                            field="round_id")
    return row


def editable_round(session: Session, round_id: int, *, allowed: Iterable[RoundStatus]) -> RoundRow:
    """A round's row when its status is one of ``allowed``, else ConflictError naming both."""
    row = round_row(session, round_id)
    allowed = tuple(allowed)
    if RoundStatus(row.status) not in allowed:
        names = "、".join(s.value for s in allowed)
        raise ConflictError(f"轮次状态为 {row.status}，此操作只能在 {names} 状态下进行",
                            f"the round is {row.status}; this needs it to be "
                            f"{' or '.join(s.value for s in allowed)}", field="round_id")
    return row


def report_row(session: Session, report_id: int) -> ReportRow:
    """A report's row, or NotFoundError naming it."""
    row = session.get(ReportRow, report_id)
    if row is None:
        raise NotFoundError(f"找不到评价报告 {report_id}", f"report {report_id} not found",
                            field="report_id")
    return row


def assignment_row(session: Session, assignment_id: int, *, fresh: bool = False) -> AssignmentRow:
    """A sheet's row, or NotFoundError; ``fresh`` re-reads it past the session's identity map."""
    statement = select(AssignmentRow).where(AssignmentRow.id == assignment_id)
    if fresh:
        statement = statement.execution_options(populate_existing=True)
    row = session.exec(statement).first()
    if row is None:
        raise NotFoundError(f"找不到评分表 {assignment_id}",
                            f"score sheet {assignment_id} not found", field="assignment_id")
    return row


def is_panel_member(session: Session, round_id: int, user_id: int) -> bool:
    """Whether a user sits on a round's panel."""
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
    >>> audit.__name__
    'audit'
    """
    session.add(AuditRow(
        at=utc_now(), actor_id=None if actor is None else actor.id,
        actor="system" if actor is None else actor.username, entity=entity,
        entity_id=entity_id, action=action,
        old=None if old is None else dict(old), new=None if new is None else dict(new)))


def viewer_of(row: UserRow) -> Viewer:
    """The signed-in view of an account row."""
    return Viewer(user_id=int(row.id), username=row.username, display_name=row.display_name,
                  role=Role(row.role), department=row.department)


def user_public(row: UserRow) -> UserPublic:
    """The public view of an account row (never its password hash)."""
    return UserPublic(user_id=int(row.id), username=row.username,
                      display_name=row.display_name, role=Role(row.role),
                      department=row.department, disabled=bool(row.disabled),
                      locked_until=as_utc(row.locked_until))


def round_public(row: RoundRow, creator: str) -> RoundPublic:
    """The public view of a round row; ``creator`` is the creating account's username."""
    return RoundPublic(
        round_id=int(row.id), title=row.title, year=int(row.year), rubric_ref=row.rubric_ref,
        status=RoundStatus(row.status), deadline=row.deadline,
        raters_per_report=int(row.raters_per_report), panel_method=PanelMethod(row.panel_method),
        created_by=creator, created_at=as_utc(row.created_at), closed_at=as_utc(row.closed_at),
        panel_choice=None if row.panel_choice is None else PanelChoice(row.panel_choice),
        panel_choice_reason=row.panel_choice_reason)


def report_public(row: ReportRow) -> ReportPublic:
    """The public view of a report row, without its content."""
    return ReportPublic(report_id=int(row.id), round_id=int(row.round_id), title=row.title,
                        project_code=row.project_code, department=row.department,
                        filename=row.filename, mime=row.mime, sha256=row.sha256,
                        size=int(row.size))


def rubric_of(rnd: RoundRow) -> list[RubricItem]:
    """The rubric items a round is scored against, from its snapshot."""
    return [RubricItem(code=i["code"], name=i["name"], explanation=i.get("explanation", ""),
                       min_score=float(i["min_score"]), max_score=float(i["max_score"]),
                       level1=i.get("level1", ""), checkpoints=i.get("checkpoints", ""))
            for i in rnd.rubric]


def sheet_public(row: AssignmentRow, codes: list[str]) -> SheetPublic:
    """The public view of a sheet row; every item in ``codes`` appears (None while unscored)."""
    stored = dict(row.scores or {})
    scores = {c: (None if stored.get(c) is None else float(stored[c])) for c in codes}
    return SheetPublic(
        assignment_id=int(row.id), round_id=int(row.round_id), report_id=int(row.report_id),
        rater_id=int(row.rater_id), status=SheetStatus(row.status), version=int(row.version),
        scores=scores, comments={c: str(v) for c, v in (row.comments or {}).items()},
        overall_comment=row.overall_comment, updated_at=as_utc(row.updated_at),
        submitted_at=as_utc(row.submitted_at))


def audit_entry(row: AuditRow) -> AuditEntry:
    """The public view of an audit row."""
    return AuditEntry(entry_id=int(row.id), at=as_utc(row.at), actor=row.actor,
                      entity=row.entity, entity_id=row.entity_id, action=row.action,
                      old=row.old, new=row.new)


def usernames(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Usernames by id for the given ids, in one query."""
    wanted = {int(i) for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(UserRow.id, UserRow.username).where(UserRow.id.in_(wanted))).all()
    return {int(i): name for i, name in rows}
