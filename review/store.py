"""Storage of the review module: accounts, rounds, reports, panels and assignments.

The tables are the ``rev_`` SQLModel classes of :mod:`review.tables`, created by the migrations
in ``review/migrations``. Every function takes the session first and keyword arguments after
it, does one thing, flushes, and leaves the commit to the caller (``with Session(engine) as s,
s.begin(): ...``), so a page can group several calls into one transaction. Every change to an
account, a round, a report, a panel or an assignment appends a line to the audit log in the
same transaction.

Scoring (sheets, drafts, submit, reopen) lives in :mod:`review.store_sheets` and results
(scores, panel results, progress, the audit log) in :mod:`review.store_results`; their
functions are offered here too, so pages need one import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, delete, select, update

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.frontdoor import Role, Viewer
from indicators.model import Status
from indicators.store import get_library
from review.access import (
    RATER_ROLES,
    active_user,
    audit,
    is_panel_member,
    report_public,
    report_row,
    require_admin,
    require_staff,
    round_public,
    round_row,
    user_public,
    user_row,
    usernames,
    viewer_of,
)
from review.assign import assign_reports
from review.auth import check_new_password, hash_password
from review.model import PanelMethod, ReportPublic, RoundPublic, RoundStatus, UserPublic
from review.store_results import (
    audit_log,
    panel_results,
    progress,
    record_panel_choice,
    round_scores,
)
from review.store_sheets import (
    get_sheet,
    list_sheets,
    my_tasks,
    reopen_sheet,
    rubric_items,
    save_draft,
    submit_sheet,
)
from review.tables import AssignmentRow, PanelRow, ReportRow, RoundRow, UserRow, utc_now

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "add_report",
    "assign",
    "audit_log",
    "auto_assign",
    "close_round",
    "create_round",
    "create_user",
    "get_round",
    "get_sheet",
    "get_viewer",
    "list_reports",
    "list_rounds",
    "list_sheets",
    "list_users",
    "my_tasks",
    "open_round",
    "panel_results",
    "progress",
    "record_panel_choice",
    "reopen_sheet",
    "report_content",
    "reset_password",
    "round_scores",
    "rubric_items",
    "save_draft",
    "set_panel",
    "set_user_disabled",
    "submit_sheet",
]

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""Largest report document accepted (50 MiB)."""

# Suffix → (MIME type, leading bytes the file must start with, or None for text).
_DOCUMENT_TYPES: dict[str, tuple[str, bytes | None]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              b"PK\x03\x04"),
    ".doc": ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    ".md": ("text/markdown", None),
    ".markdown": ("text/markdown", None),
}


# ------------------------------------------------------------------ accounts

def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: Role | str,
    department: str = "",
    password: str | None = None,
    by: Viewer | None,
) -> UserPublic:
    """Create an account.

    Parameters
    ----------
    session
        An open session; the caller commits.
    username
        Unique sign-in name (spaces trimmed).
    display_name
        The name pages show.
    role
        ``admin``, ``finance``, ``expert`` or ``deputy``.
    department
        The rater's own department (used to avoid conflicts of interest); empty for none.
    password
        The initial password, or None for an account entered by invite only.
    by
        An admin; None only while no active admin exists (bootstrap of the first admin).

    Returns
    -------
    UserPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not an admin (or None once an admin exists).
    InputError
        Empty username or name, unknown role, or a password that is too short.
    ConflictError
        The username is taken.

    Notes
    -----
    The password is stored as an argon2id hash (:func:`review.auth.hash_password`).

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     admin = create_user(s, username="admin", display_name="管理员", role="admin",
    ...                         password="示范密码-admin", by=None)
    >>> admin.role.value
    'admin'
    >>> clear_engine_cache()
    """
    if by is None:
        admins = session.exec(select(func.count()).select_from(UserRow).where(
            UserRow.role == Role.ADMIN.value, UserRow.disabled.is_(False))).one()
        if admins:
            raise PermissionDeniedError("只有管理员可以创建账户",
                                        "only admins may create accounts", field="by")
        actor = None
    else:
        actor = require_admin(session, by)
    username = str(username or "").strip()
    display_name = str(display_name or "").strip()
    if not username or not display_name:
        raise InputError("用户名和姓名不能为空", "username and display name are required",
                         field="username")
    try:
        role = Role(role)
    except ValueError as exc:
        raise InputError(f"未知角色 {role!r}", f"unknown role {role!r}", field="role") from exc
    if session.exec(select(UserRow.id).where(UserRow.username == username)).first() is not None:
        raise ConflictError(f"用户名 '{username}' 已存在", f"username '{username}' is taken",
                            field="username")
    row = UserRow(username=username, display_name=display_name, role=role.value,
                  department=str(department or "").strip(),
                  password_hash=None if password is None else hash_password(
                      check_new_password(password)))
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="user", entity_id=int(row.id), action="create",
          new={"username": username, "display_name": display_name, "role": role.value,
               "department": row.department})
    session.flush()
    return user_public(row)


def list_users(session: Session, *, by: Viewer) -> list[UserPublic]:
    """Every account, by username.

    Parameters
    ----------
    session
        An open session.
    by
        Admin or finance staff.

    Returns
    -------
    list of UserPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.

    Notes
    -----
    Finance staff need the list to form panels; password hashes never leave the store.

    Examples
    --------
    >>> list_users.__name__
    'list_users'
    """
    require_staff(session, by)
    rows = session.exec(select(UserRow).order_by(UserRow.username)).all()
    return [user_public(r) for r in rows]


def set_user_disabled(session: Session, *, user_id: int, disabled: bool, by: Viewer) -> UserPublic:
    """Disable or re-enable an account.

    Parameters
    ----------
    session
        An open session; the caller commits.
    user_id
        The account.
    disabled
        True to refuse its sign-ins and every store call it makes.
    by
        An admin.

    Returns
    -------
    UserPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not an admin.
    NotFoundError
        No such account.
    InputError
        An admin disabling their own account (which could leave nobody to undo it).

    Notes
    -----
    Sheets and scores of a disabled rater stay as they are.

    Examples
    --------
    >>> set_user_disabled.__name__
    'set_user_disabled'
    """
    actor = require_admin(session, by)
    row = user_row(session, user_id)
    if int(row.id) == int(actor.id) and disabled:
        raise InputError("不能停用自己的账户", "you cannot disable your own account",
                         field="user_id")
    old = bool(row.disabled)
    row.disabled = bool(disabled)
    row.updated_at = utc_now()
    session.add(row)
    audit(session, actor=actor, entity="user", entity_id=int(row.id),
          action="disable" if disabled else "enable", old={"disabled": old},
          new={"disabled": bool(disabled)})
    session.flush()
    return user_public(row)


def reset_password(session: Session, *, user_id: int, new_password: str, by: Viewer) -> UserPublic:
    """Set a new password for an account and lift any lockout.

    Parameters
    ----------
    session
        An open session; the caller commits.
    user_id
        The account.
    new_password
        The new password (at least :data:`review.auth.MIN_PASSWORD_LENGTH` characters).
    by
        An admin.

    Returns
    -------
    UserPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not an admin.
    NotFoundError
        No such account.
    InputError
        A password that is too short.

    Notes
    -----
    The audit line records that a reset happened, never the password or its hash.

    Examples
    --------
    >>> reset_password.__name__
    'reset_password'
    """
    actor = require_admin(session, by)
    row = user_row(session, user_id)
    row.password_hash = hash_password(check_new_password(new_password))
    row.failed_logins = 0
    row.locked_until = None
    row.updated_at = utc_now()
    session.add(row)
    audit(session, actor=actor, entity="user", entity_id=int(row.id), action="reset_password")
    session.flush()
    return user_public(row)


def get_viewer(session: Session, *, user_id: int) -> Viewer:
    """The signed-in view of an active account (for a front door that keeps only the id).

    Parameters
    ----------
    session
        An open session.
    user_id
        The account.

    Returns
    -------
    Viewer

    Raises
    ------
    NotFoundError
        No such account.
    PermissionDeniedError
        The account is disabled.

    Notes
    -----
    Reads the account afresh, so a role change or a disable counts on the next page load.

    Examples
    --------
    >>> get_viewer.__name__
    'get_viewer'
    """
    row = user_row(session, user_id)
    return viewer_of(active_user(session, viewer_of(row)))


# ------------------------------------------------------------------ rounds

def _rubric_snapshot(session: Session, ref: str) -> tuple[str, list[dict[str, Any]]]:
    library = get_library(session, ref=ref)
    if library.status is not Status.PUBLISHED:
        raise InputError(f"评分表 '{library.ref}' 未发布（{library.status.value}），不能用于评审",
                         f"rubric '{library.ref}' is {library.status.value}, not published",
                         field="rubric_ref")
    items = []
    for leaf in library.leaves():
        if leaf.weight is None or leaf.weight <= 0:
            raise InputError(f"评分项 {leaf.code} 没有正的权重（满分）",
                             f"rubric item {leaf.code} has no positive weight (maximum score)",
                             field="rubric_ref")
        top = library.path(leaf.code)[0]
        items.append({"code": leaf.code, "name": leaf.name, "explanation": leaf.explanation,
                      "checkpoints": leaf.checkpoints, "min_score": 0.0,
                      "max_score": float(leaf.weight), "level1": top.name})
    if not items:
        raise InputError(f"评分表 '{library.ref}' 没有评分项", f"rubric '{library.ref}' has no items",
                         field="rubric_ref")
    return library.ref, items


def _as_date(value: date | str | None) -> date | None:
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


def create_round(
    session: Session,
    *,
    title: str,
    year: int,
    rubric_ref: str,
    deadline: date | str | None,
    raters_per_report: int = 4,
    panel_method: PanelMethod | str = "mean",
    by: Viewer,
) -> RoundPublic:
    """Create a review round in draft, with a snapshot of its rubric.

    Parameters
    ----------
    session
        An open session; the caller commits.
    title
        For example "2021 年度财政重点评价报告评审".
    year
        The budget year under review.
    rubric_ref
        A published rubric library version, ``"report-review-rubric@1.0.0"``, or a framework
        id for its latest published version.
    deadline
        The last day for submitting (a ``date`` or ``YYYY-MM-DD``), or None.
    raters_per_report
        k for automatic assignment.
    panel_method
        ``mean``, ``trimmed_mean`` or ``median`` (see :mod:`review.panel`).
    by
        Admin or finance staff.

    Returns
    -------
    RoundPublic
        With ``rubric_ref`` resolved to the exact version.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    NotFoundError
        No such rubric.
    InputError
        Empty title, k < 1, unknown method, a rubric that is not published or has an item
        without a positive weight.

    Notes
    -----
    The rubric's leaves become the items scored, from 0 to their weight. They are copied into
    the round, so the round keeps the exact sheet it was scored on.

    Examples
    --------
    >>> create_round.__name__
    'create_round'
    """
    actor = require_staff(session, by)
    title = str(title or "").strip()
    if not title:
        raise InputError("轮次名称不能为空", "a round needs a title", field="title")
    if int(raters_per_report) < 1:
        raise InputError("每份报告的评审人数至少为 1", "raters_per_report must be at least 1",
                         field="raters_per_report")
    try:
        method = PanelMethod(panel_method)
    except ValueError as exc:
        raise InputError(f"未知的合议方法 {panel_method!r}", f"unknown panel method {panel_method!r}",
                         field="panel_method") from exc
    ref, items = _rubric_snapshot(session, rubric_ref)
    row = RoundRow(title=title, year=int(year), rubric_ref=ref, rubric=items,
                   status=RoundStatus.DRAFT.value, deadline=_as_date(deadline),
                   raters_per_report=int(raters_per_report), panel_method=method.value,
                   created_by=int(actor.id))
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="round", entity_id=int(row.id), action="create",
          new={"title": title, "year": int(year), "rubric_ref": ref,
               "deadline": None if row.deadline is None else row.deadline.isoformat(),
               "raters_per_report": int(raters_per_report), "panel_method": method.value})
    session.flush()
    return round_public(row, actor.username)


def _visible_round_ids(session: Session, viewer: Viewer) -> list[int] | None:
    """None means every round (staff); otherwise the rounds the viewer sits on."""
    user = active_user(session, viewer)
    if Role(user.role) in (Role.ADMIN, Role.FINANCE):
        return None
    return [int(r) for r in session.exec(
        select(PanelRow.round_id).where(PanelRow.user_id == user.id)).all()]


def list_rounds(session: Session, *, by: Viewer) -> list[RoundPublic]:
    """The rounds a person may see, newest first: every round for staff, their panels' for raters.

    Parameters
    ----------
    session
        An open session.
    by
        The signed-in person.

    Returns
    -------
    list of RoundPublic

    Raises
    ------
    PermissionDeniedError
        A disabled or missing account.

    Notes
    -----
    A rater sees a round only once they are on its panel.

    Examples
    --------
    >>> list_rounds.__name__
    'list_rounds'
    """
    visible = _visible_round_ids(session, by)
    statement = select(RoundRow).order_by(RoundRow.id.desc())
    if visible is not None:
        statement = statement.where(RoundRow.id.in_(visible))
    rows = session.exec(statement).all()
    names = usernames(session, (r.created_by for r in rows))
    return [round_public(r, names.get(r.created_by, "")) for r in rows]


def get_round(session: Session, *, round_id: int, by: Viewer) -> RoundPublic:
    """One round, for staff or a member of its panel.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        The signed-in person.

    Returns
    -------
    RoundPublic

    Raises
    ------
    NotFoundError
        No such round.
    PermissionDeniedError
        A rater not on its panel.

    Notes
    -----
    The round's status tells a page whether results may be shown.

    Examples
    --------
    >>> get_round.__name__
    'get_round'
    """
    row = round_row(session, round_id)
    visible = _visible_round_ids(session, by)
    if visible is not None and int(row.id) not in visible:
        raise PermissionDeniedError("您不在该轮次的评审组中", "you are not on this round's panel",
                                    field="round_id")
    names = usernames(session, [row.created_by])
    return round_public(row, names.get(row.created_by, ""))


def _editable_round(session: Session, round_id: int, *, allowed: Iterable[RoundStatus]) -> RoundRow:
    row = round_row(session, round_id)
    allowed = tuple(allowed)
    if RoundStatus(row.status) not in allowed:
        names = "、".join(s.value for s in allowed)
        raise ConflictError(f"轮次状态为 {row.status}，此操作只能在 {names} 状态下进行",
                            f"the round is {row.status}; this needs it to be "
                            f"{' or '.join(s.value for s in allowed)}", field="round_id")
    return row


# ------------------------------------------------------------------ reports

def add_report(
    session: Session,
    *,
    round_id: int,
    title: str,
    filename: str,
    content: bytes,
    project_code: str = "",
    department: str = "",
    by: Viewer,
) -> ReportPublic:
    """Add an evaluation report and its document (PDF, Word or Markdown) to a round.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft or open.
    title
        The report's title.
    filename
        The document's file name; its suffix decides the type (``.pdf``, ``.docx``, ``.doc``,
        ``.md``, ``.markdown``).
    content
        The document's bytes.
    project_code, department
        The evaluated project and its department (the department drives conflict of
        interest).
    by
        Admin or finance staff.

    Returns
    -------
    ReportPublic
        With the SHA-256 of ``content``.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is closed.
    InputError
        Empty title or document, unsupported type, content not matching its suffix
        (a PDF must start with ``%PDF-``, Markdown must be UTF-8), or over 50 MiB.

    Notes
    -----
    SHA-256 (FIPS 180-4) lets anyone check that the document read is the one stored.

    Examples
    --------
    >>> add_report.__name__
    'add_report'
    """
    actor = require_staff(session, by)
    rnd = _editable_round(session, round_id, allowed=(RoundStatus.DRAFT, RoundStatus.OPEN))
    title = str(title or "").strip()
    name = PurePath(str(filename or "")).name
    if not title:
        raise InputError("报告标题不能为空", "a report needs a title", field="title")
    content = bytes(content or b"")
    if not content:
        raise InputError("报告文件为空", "the document is empty", field="content")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InputError("报告文件超过 50 MiB", "the document is larger than 50 MiB",
                         field="content")
    suffix = PurePath(name).suffix.lower()
    if suffix not in _DOCUMENT_TYPES:
        raise InputError(f"不支持的文件类型 '{suffix or name}'，请上传 PDF、Word 或 Markdown",
                         f"unsupported document type '{suffix or name}': use PDF, Word or "
                         "Markdown", field="filename")
    mime, magic = _DOCUMENT_TYPES[suffix]
    if magic is not None and not content.startswith(magic):
        raise InputError(f"文件内容与扩展名 '{suffix}' 不符", f"the content is not a {suffix} file",
                         field="content")
    if magic is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError("Markdown 文件必须是 UTF-8 编码", "a Markdown file must be UTF-8",
                             field="content") from exc
    digest = hashlib.sha256(content).hexdigest()
    row = ReportRow(round_id=int(rnd.id), title=title, project_code=str(project_code or ""),
                    department=str(department or "").strip(), filename=name, mime=mime,
                    sha256=digest, size=len(content), content=content)
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="report", entity_id=int(row.id), action="create",
          new={"round_id": int(rnd.id), "title": title, "filename": name, "sha256": digest,
               "size": len(content), "project_code": row.project_code,
               "department": row.department})
    session.flush()
    return report_public(row)


def list_reports(session: Session, *, round_id: int, by: Viewer) -> list[ReportPublic]:
    """A round's reports: all of them for staff, the assigned ones for a rater.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        The signed-in person.

    Returns
    -------
    list of ReportPublic
        In the order they were added, without their content.

    Raises
    ------
    NotFoundError
        No such round.

    Notes
    -----
    A rater learns nothing about reports they do not score.

    Examples
    --------
    >>> list_reports.__name__
    'list_reports'
    """
    round_row(session, round_id)
    user = active_user(session, by)
    statement = select(ReportRow).where(ReportRow.round_id == round_id).order_by(ReportRow.id)
    if Role(user.role) not in (Role.ADMIN, Role.FINANCE):
        statement = statement.where(ReportRow.id.in_(
            select(AssignmentRow.report_id).where(AssignmentRow.rater_id == user.id)))
    return [report_public(r) for r in session.exec(statement).all()]


def report_content(session: Session, *, report_id: int, by: Viewer) -> bytes:
    """The document of a report, for staff and the raters assigned to it.

    Parameters
    ----------
    session
        An open session.
    report_id
        The report.
    by
        The signed-in person.

    Returns
    -------
    bytes

    Raises
    ------
    NotFoundError
        No such report.
    PermissionDeniedError
        A rater not assigned this report.
    ConflictError
        The stored bytes no longer match their SHA-256 (the database was altered).

    Notes
    -----
    The checksum is verified on every read.

    Examples
    --------
    >>> report_content.__name__
    'report_content'
    """
    user = active_user(session, by)
    row = report_row(session, report_id)
    if Role(user.role) not in (Role.ADMIN, Role.FINANCE):
        assigned = session.exec(select(AssignmentRow.id).where(
            AssignmentRow.report_id == row.id, AssignmentRow.rater_id == user.id)).first()
        if assigned is None:
            raise PermissionDeniedError("您没有被分配评审这份报告",
                                        "you are not assigned this report", field="report_id")
    content = bytes(row.content)
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise ConflictError("报告文件与登记的校验值不符，可能已被篡改",
                            "the document does not match its stored SHA-256", field="report_id")
    return content


# ------------------------------------------------------------------ panel and assignments

def set_panel(session: Session, *, round_id: int, user_ids: Sequence[int], by: Viewer) -> list[UserPublic]:
    """Set who sits on a round's panel (experts and deputies).

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft or open.
    user_ids
        The whole panel; members not listed are removed.
    by
        Admin or finance staff.

    Returns
    -------
    list of UserPublic
        The panel, by username.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is closed, or a member to remove still has sheets in it.
    InputError
        An account that is not an expert or deputy, or is disabled.
    NotFoundError
        An unknown account.

    Notes
    -----
    The change is logged with the panel before and after.

    Examples
    --------
    >>> set_panel.__name__
    'set_panel'
    """
    actor = require_staff(session, by)
    rnd = _editable_round(session, round_id, allowed=(RoundStatus.DRAFT, RoundStatus.OPEN))
    wanted = sorted({int(u) for u in user_ids})
    rows = [user_row(session, u) for u in wanted]
    for row in rows:
        if Role(row.role) not in RATER_ROLES or row.disabled:
            raise InputError(f"'{row.username}' 不是可用的专家或人大代表",
                             f"'{row.username}' is not an active expert or deputy",
                             field="user_ids")
    current = sorted(int(u) for u in session.exec(
        select(PanelRow.user_id).where(PanelRow.round_id == rnd.id)).all())
    removed = sorted(set(current) - set(wanted))
    if removed:
        busy = session.exec(select(AssignmentRow.rater_id).where(
            AssignmentRow.round_id == rnd.id, AssignmentRow.rater_id.in_(removed))).first()
        if busy is not None:
            raise ConflictError(f"用户 {busy} 在本轮已有评分表，不能移出评审组",
                                f"user {busy} has sheets in this round and cannot leave the "
                                "panel", field="user_ids")
        session.exec(delete(PanelRow).where(PanelRow.round_id == rnd.id,
                                            PanelRow.user_id.in_(removed)))
    session.add_all(PanelRow(round_id=int(rnd.id), user_id=u)
                    for u in wanted if u not in set(current))
    audit(session, actor=actor, entity="panel", entity_id=int(rnd.id), action="set",
          old={"user_ids": current}, new={"user_ids": wanted})
    session.flush()
    return sorted((user_public(r) for r in rows), key=lambda u: u.username)


def _insert_assignments(session: Session, rnd: RoundRow, pairs: list[tuple[int, int]],
                        actor: UserRow, action: str) -> int:
    session.add_all(AssignmentRow(round_id=int(rnd.id), report_id=r, rater_id=u)
                    for r, u in pairs)
    session.flush()
    audit(session, actor=actor, entity="assignment", entity_id=int(rnd.id), action=action,
          new={"pairs": [[r, u] for r, u in pairs]})
    session.flush()
    return len(pairs)


def assign(session: Session, *, round_id: int, pairs: Sequence[tuple[int, int]], by: Viewer) -> int:
    """Assign reports to raters by hand.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft or open.
    pairs
        ``(report_id, rater_id)`` pairs to add.
    by
        Admin or finance staff.

    Returns
    -------
    int
        The number of sheets created.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is closed, or a pair is already assigned.
    InputError
        A report not in this round, a rater not on its panel, or a rater from the report's
        own department (conflict of interest).

    Notes
    -----
    The conflict-of-interest rule is the same as automatic assignment's
    (:func:`review.assign.conflict_mask`).

    Examples
    --------
    >>> assign.__name__
    'assign'
    """
    actor = require_staff(session, by)
    rnd = _editable_round(session, round_id, allowed=(RoundStatus.DRAFT, RoundStatus.OPEN))
    wanted = [(int(r), int(u)) for r, u in pairs]
    if len(set(wanted)) != len(wanted):
        raise InputError("分配中有重复的报告与评审人组合", "a pair is listed twice", field="pairs")
    reports = {int(r.id): r for r in session.exec(
        select(ReportRow).where(ReportRow.round_id == rnd.id)).all()}
    for report_id, rater_id in wanted:
        if report_id not in reports:
            raise InputError(f"报告 {report_id} 不属于本轮", f"report {report_id} is not in this round",
                             field="pairs")
        rater = user_row(session, rater_id)
        if not is_panel_member(session, int(rnd.id), rater_id):
            raise InputError(f"'{rater.username}' 不在本轮评审组中",
                             f"'{rater.username}' is not on this round's panel", field="pairs")
        department = reports[report_id].department
        if rater.department and rater.department == department:
            raise InputError(f"'{rater.username}' 与报告 {report_id} 同属 {department}，须回避",
                             f"'{rater.username}' works in {department}, the department of "
                             f"report {report_id} (conflict of interest)", field="pairs")
    taken = session.exec(select(AssignmentRow.report_id, AssignmentRow.rater_id).where(
        AssignmentRow.round_id == rnd.id)).all()
    clash = set(wanted) & {(int(r), int(u)) for r, u in taken}
    if clash:
        r, u = sorted(clash)[0]
        raise ConflictError(f"报告 {r} 已分配给用户 {u}", f"report {r} is already assigned to user {u}",
                            field="pairs")
    return _insert_assignments(session, rnd, wanted, actor, "assign")


def auto_assign(session: Session, *, round_id: int, k: int | None = None, seed: int = 0,
                by: Viewer) -> pd.DataFrame:
    """Assign every report of a draft round to k panel members automatically.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft (nothing is scored yet, so earlier assignments are replaced).
    k
        Raters per report; None uses the round's ``raters_per_report``.
    seed
        Seed of :func:`review.assign.assign_reports`.
    by
        Admin or finance staff.

    Returns
    -------
    pandas.DataFrame
        One row per rater: ``rater_id``, ``username``, ``department``, ``load``.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is not in draft.
    InputError
        No reports or panel, or no assignment satisfies k and the conflict rule (the message
        names the first report that lacks eligible raters).

    Notes
    -----
    The plan is the kernel's: exactly k raters per report, loads as even as conflicts allow,
    no rater on a report of their own department.

    Examples
    --------
    >>> auto_assign.__name__
    'auto_assign'
    """
    actor = require_staff(session, by)
    rnd = _editable_round(session, round_id, allowed=(RoundStatus.DRAFT,))
    reports = session.exec(select(ReportRow.id, ReportRow.department, ReportRow.title).where(
        ReportRow.round_id == rnd.id).order_by(ReportRow.id)).all()
    raters = session.exec(select(UserRow.id, UserRow.username, UserRow.department).join(
        PanelRow, PanelRow.user_id == UserRow.id).where(
        PanelRow.round_id == rnd.id, UserRow.disabled.is_(False)).order_by(UserRow.id)).all()
    if not raters:
        raise InputError("本轮还没有评审组成员", "the round has no panel yet", field="round_id")
    k = int(rnd.raters_per_report if k is None else k)
    plan = assign_reports([r[1] for r in reports], [d for _, _, d in raters], k, seed=seed,
                          report_labels=[f"'{r[2]}' ({r[0]})" for r in reports])
    old = session.exec(select(AssignmentRow.report_id, AssignmentRow.rater_id).where(
        AssignmentRow.round_id == rnd.id)).all()
    if old:
        session.exec(delete(AssignmentRow).where(AssignmentRow.round_id == rnd.id))
        audit(session, actor=actor, entity="assignment", entity_id=int(rnd.id),
              action="clear", old={"pairs": [[int(r), int(u)] for r, u in old]})
    pairs = [(int(reports[i][0]), int(raters[j][0])) for i, j in plan.pairs]
    _insert_assignments(session, rnd, pairs, actor, f"auto_assign(k={k}, seed={seed})")
    return pd.DataFrame({"rater_id": [int(r[0]) for r in raters],
                         "username": [r[1] for r in raters],
                         "department": [r[2] for r in raters],
                         "load": plan.loads.astype(int)})


def _set_round_status(session: Session, rnd: RoundRow, status: RoundStatus, actor: UserRow,
                      **values: Any) -> RoundPublic:
    old = rnd.status
    changed = session.exec(update(RoundRow).where(
        RoundRow.id == rnd.id, RoundRow.version == rnd.version, RoundRow.status == old).values(
        status=status.value, version=RoundRow.version + 1, **values))
    if changed.rowcount != 1:
        raise ConflictError("轮次刚被他人修改，请刷新后重试",
                            "the round was changed by someone else; reload and retry",
                            field="round_id")
    audit(session, actor=actor, entity="round", entity_id=int(rnd.id), action=status.value,
          old={"status": old}, new={"status": status.value})
    session.flush()
    fresh = session.exec(select(RoundRow).where(RoundRow.id == rnd.id).execution_options(
        populate_existing=True)).one()
    names = usernames(session, [fresh.created_by])
    return round_public(fresh, names.get(fresh.created_by, ""))


def open_round(session: Session, *, round_id: int, by: Viewer) -> RoundPublic:
    """Open a draft round for scoring.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft with at least one assignment.
    by
        Admin or finance staff.

    Returns
    -------
    RoundPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is not in draft, or changed concurrently.
    InputError
        Nothing is assigned yet.

    Notes
    -----
    A compare-and-set on the round's status and version, so two staff opening and closing at
    once cannot both succeed.

    Examples
    --------
    >>> open_round.__name__
    'open_round'
    """
    actor = require_staff(session, by)
    rnd = _editable_round(session, round_id, allowed=(RoundStatus.DRAFT,))
    if session.exec(select(AssignmentRow.id).where(AssignmentRow.round_id == rnd.id)).first() is None:
        raise InputError("本轮还没有分配评审任务", "nothing is assigned in this round yet",
                         field="round_id")
    return _set_round_status(session, rnd, RoundStatus.OPEN, actor, opened_at=utc_now())


def close_round(session: Session, *, round_id: int, by: Viewer) -> RoundPublic:
    """Close an open round: scoring stops and results become visible to its panel.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        An open round.
    by
        Admin or finance staff.

    Returns
    -------
    RoundPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is not open, or changed concurrently.

    Notes
    -----
    Sheets not submitted by then stay out of the results. Saves and submits check the round's
    status inside their own conditional UPDATE, so none starts after the close commits.

    Examples
    --------
    >>> close_round.__name__
    'close_round'
    """
    actor = require_staff(session, by)
    rnd = _editable_round(session, round_id, allowed=(RoundStatus.OPEN,))
    return _set_round_status(session, rnd, RoundStatus.CLOSED, actor, closed_at=utc_now())

