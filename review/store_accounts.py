"""Accounts of the review module: create, list, disable and reset them, and read a viewer.

Admins manage accounts; the very first admin is created with ``by=None`` when none exists. Every
change is audited (never with a password or hash in it). Functions flush; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.frontdoor import Role, Viewer
from review.access import (
    active_user,
    audit,
    require_admin,
    require_staff,
    user_row,
)
from review.auth import check_new_password, hash_password
from review.model import UserPublic
from review.tables import UserRow, utc_now
from review.views import user_public, viewer_of

__all__ = [
    "admin_exists", "create_user", "get_viewer", "list_users", "reset_password", "set_user_disabled",
]


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
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     [u.username for u in list_users(s, by=tiny.admin)]
    ['admin', 'rater1', 'rater2']
    >>> clear_engine_cache()
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
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     set_user_disabled(s, user_id=tiny.raters[1].user_id, disabled=True,
    ...                       by=tiny.admin).disabled
    True
    >>> clear_engine_cache()
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
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     reset_password(s, user_id=tiny.raters[0].user_id, new_password="新密码-2021-ok",
    ...                    by=tiny.admin).locked_until is None
    True
    >>> clear_engine_cache()
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


def admin_exists(session: Session) -> bool:
    """Whether any active administrator account exists.

    A new, non-demo database has none; the front doors then offer to create the first one
    (``jixiao user create-admin``), since no one could otherwise sign in to create accounts.

    Parameters
    ----------
    session
        An open session.

    Returns
    -------
    bool

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     admin_exists(s)
    False
    >>> clear_engine_cache()
    """
    found = session.exec(select(UserRow.id).where(UserRow.role == Role.ADMIN.value,
                                                  UserRow.disabled == False)).first()  # noqa: E712
    return found is not None


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
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     get_viewer(s, user_id=tiny.raters[0].user_id) == tiny.raters[0]
    True
    >>> clear_engine_cache()
    """
    row = user_row(session, user_id)
    return viewer_of(active_user(session, viewer_of(row)))
