"""Signing in: argon2id passwords, lockout, and one-time invite links.

:class:`Authenticator` is the small interface the front door signs people in through;
:class:`PasswordAuthenticator` is the password implementation, so a county with an identity
provider can put an OIDC login in its place. Invites let an NPC deputy open their assignment
from a message: the raw token is shown once, only its SHA-256 is stored, bound to one account,
with an expiry, and it is spent when the password is set.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import case
from sqlmodel import Session, select, update

from indicators.errors import InputError, PermissionDeniedError
from indicators.frontdoor import Viewer
from review.access import (
    active_user,
    audit,
    require_staff,
    user_row,
)
from review.tables import InviteRow, UserRow, as_utc, utc_now
from review.views import viewer_of

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "Authenticator",
    "PasswordAuthenticator",
    "check_new_password",
    "create_invite",
    "hash_password",
    "redeem_invite",
    "verify_password",
    "viewer_from_invite",
]

MIN_PASSWORD_LENGTH = 8

# OWASP Password Storage Cheat Sheet, argon2id minimum: m = 19 MiB, t = 2, p = 1. Parameters
# travel inside each hash, so raising them later only affects new hashes and rehash on login.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)



def _failed() -> PermissionDeniedError:
    # One message for every refusal, so it never tells whether the username exists.
    return PermissionDeniedError("用户名或密码不正确，或因多次失败暂时锁定，请稍后再试",
                                 "wrong username or password, or too many failures: "
                                 "try again later", field="password")


def hash_password(password: str) -> str:
    """Hash a password with argon2id.

    Parameters
    ----------
    password
        The password as typed.

    Returns
    -------
    str
        The PHC-format hash (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``), with its own salt and
        parameters.

    Notes
    -----
    Argon2id (Biryukov, Dinu & Khovratovich 2016, "Argon2: new generation of memory-hard
    functions for password hashing and other applications", IEEE EuroS&P; RFC 9106, 2021) with
    the OWASP minimum parameters m = 19 MiB, t = 2, p = 1.

    Examples
    --------
    >>> hash_password("示范密码-2021").startswith("$argon2id$")
    True
    """
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether a password matches its argon2 hash.

    Parameters
    ----------
    password_hash
        A hash from :func:`hash_password`.
    password
        The password as typed.

    Returns
    -------
    bool
        False for a wrong password and for a malformed hash alike.

    Notes
    -----
    The comparison is done by argon2-cffi in constant time over the derived key.

    Examples
    --------
    >>> stored = hash_password("correct horse")
    >>> verify_password(stored, "correct horse"), verify_password(stored, "wrong")
    (True, False)
    """
    try:
        return bool(_HASHER.verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> str:
    """Refuse a password too short to set; return it unchanged otherwise.

    Parameters
    ----------
    password
        The new password.

    Returns
    -------
    str

    Raises
    ------
    InputError
        Fewer than :data:`MIN_PASSWORD_LENGTH` characters, or only spaces.

    Notes
    -----
    Length is the one rule NIST SP 800-63B (2017, sec. 5.1.1.2) asks for; no composition rules.

    Examples
    --------
    >>> check_new_password("足够长的密码12")
    '足够长的密码12'
    """
    if not isinstance(password, str) or len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise InputError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
                         f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
                         field="password")
    return password


@runtime_checkable
class Authenticator(Protocol):
    """Anything that turns credentials into the signed-in :class:`~indicators.frontdoor.Viewer`."""

    def authenticate(self, session: Session, *, username: str, password: str) -> Viewer:
        """The viewer for these credentials, or PermissionDeniedError."""
        ...


@dataclass(frozen=True)
class PasswordAuthenticator:
    """Password sign-in with lockout and a dummy verify for unknown usernames.

    Parameters
    ----------
    max_failures
        Wrong passwords in a row that lock the account.
    lockout
        How long a locked account refuses every attempt.
    clock
        Returns the current UTC time (tests pass a fixed clock).

    Notes
    -----
    An unknown username costs one argon2 verify against a fixed dummy hash, so the time taken
    does not tell whether the name exists (the practice of the FastAPI full-stack template and
    OWASP's Authentication Cheat Sheet). Every refusal raises the same message.

    Examples
    --------
    >>> PasswordAuthenticator().max_failures
    5
    """

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = utc_now

    def authenticate(self, session: Session, *, username: str, password: str) -> Viewer:
        """Check a username and password and return the viewer.

        Parameters
        ----------
        session
            An open session. A wrong password is counted in a transaction of its own on the
            same engine, so the count survives the caller rolling back on the error.
        username, password
            As typed.

        Returns
        -------
        Viewer

        Raises
        ------
        PermissionDeniedError
            Unknown username, wrong password, locked or disabled account, or an account with
            no password yet, all with one message.

        Notes
        -----
        The failure count is raised by one conditional ``UPDATE`` (``failed_logins + 1``,
        locking when it reaches ``max_failures``), so concurrent guesses cannot slip past the
        limit. A success resets it; a hash made with older parameters is rehashed.

        Examples
        --------
        >>> PasswordAuthenticator(max_failures=3).lockout.seconds
        900
        """
        row = session.exec(select(UserRow).where(UserRow.username == str(username))).first()
        if row is None or row.password_hash is None:
            verify_password(_dummy_hash(), password)
            raise _failed()
        matches = verify_password(row.password_hash, password)
        now = self.clock()
        locked = row.locked_until is not None and as_utc(row.locked_until) > now
        if locked or row.disabled:
            raise _failed()
        if not matches:
            self._count_failure(session, int(row.id), now)
            raise _failed()
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if _HASHER.check_needs_rehash(row.password_hash):
            values["password_hash"] = hash_password(password)
        session.exec(update(UserRow).where(UserRow.id == row.id).values(**values))
        session.flush()
        return viewer_of(row)

    def _count_failure(self, session: Session, user_id: int, now: datetime) -> None:
        reaches = UserRow.failed_logins + 1 >= self.max_failures
        statement = update(UserRow).where(UserRow.id == user_id).values(
            failed_logins=case((reaches, 0), else_=UserRow.failed_logins + 1),
            locked_until=case((reaches, now + self.lockout), else_=UserRow.locked_until))
        with Session(session.get_bind()) as counter:
            counter.exec(statement)
            counter.commit()


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    # Made once per process with the same parameters as real hashes, so both verifies cost alike.
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def _token_hash(token: str) -> str:
    return hashlib.sha256(str(token).encode("utf-8")).hexdigest()


def create_invite(session: Session, *, user_id: int, by: Viewer, ttl_hours: float = 72) -> str:
    """Make a one-time invite link token for one account; the raw token is returned only here.

    Parameters
    ----------
    session
        An open session; the caller commits.
    user_id
        The account the invite opens.
    by
        Admin or finance staff.
    ttl_hours
        Hours until the invite expires (at most 30 days).

    Returns
    -------
    str
        A URL-safe token with 256 bits of randomness, to put in the link.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    NotFoundError
        No such account.
    InputError
        A disabled account, or ``ttl_hours`` not in (0, 720].

    Notes
    -----
    Only the SHA-256 of the token is stored: a random 256-bit token needs no slow hash, and a
    copy of the database cannot be used to sign in.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     token = create_invite(s, user_id=tiny.raters[0].user_id, by=tiny.admin)
    >>> len(token) >= 43
    True
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    if not 0 < float(ttl_hours) <= 720:
        raise InputError("邀请有效期须在 0 到 720 小时之间", "ttl_hours must be in (0, 720]",
                         field="ttl_hours")
    user = user_row(session, user_id)
    if user.disabled:
        raise InputError("账户已停用，不能邀请", "the account is disabled", field="user_id")
    token = secrets.token_urlsafe(32)
    expires = utc_now() + timedelta(hours=float(ttl_hours))
    session.add(InviteRow(token_hash=_token_hash(token), user_id=int(user.id),
                          expires_at=expires, created_by=int(actor.id)))
    audit(session, actor=actor, entity="user", entity_id=int(user.id), action="invite",
          new={"expires_at": expires.isoformat()})
    session.flush()
    return token


def _valid_invite(session: Session, token: str) -> tuple[InviteRow, UserRow]:
    invalid = PermissionDeniedError("邀请链接无效、已使用或已过期",
                                    "the invite link is invalid, used or expired", field="token")
    invite = session.exec(select(InviteRow).where(
        InviteRow.token_hash == _token_hash(token))).first()
    if invite is None or invite.used_at is not None or as_utc(invite.expires_at) <= utc_now():
        raise invalid
    user = session.get(UserRow, invite.user_id)
    if user is None or user.disabled:
        raise invalid
    return invite, user


def viewer_from_invite(session: Session, *, token: str) -> Viewer:
    """The account an invite opens, without spending the invite.

    Parameters
    ----------
    session
        An open session.
    token
        The raw token from the link.

    Returns
    -------
    Viewer

    Raises
    ------
    PermissionDeniedError
        Unknown, used or expired token, or a disabled account.

    Notes
    -----
    The invite is spent only by :func:`redeem_invite`, when a password is set, so following
    the link twice before that works.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     token = create_invite(s, user_id=tiny.raters[0].user_id, by=tiny.admin)
    ...     viewer_from_invite(s, token=token).username
    'rater1'
    >>> clear_engine_cache()
    """
    return viewer_of(_valid_invite(session, token)[1])


def redeem_invite(session: Session, *, token: str, new_password: str) -> Viewer:
    """Spend an invite: set the account's password and return it signed in.

    Parameters
    ----------
    session
        An open session; the caller commits.
    token
        The raw token from the link.
    new_password
        The password to set (see :func:`check_new_password`).

    Returns
    -------
    Viewer

    Raises
    ------
    PermissionDeniedError
        Unknown, used or expired token, or a disabled account; also the loser when two
        redeems of one token race.
    InputError
        A password that is too short.

    Notes
    -----
    One-time by compare-and-set: ``UPDATE rev_invite SET used_at = now WHERE id = :id AND
    used_at IS NULL``; a row count of zero means another redeem won.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     token = create_invite(s, user_id=tiny.raters[0].user_id, by=tiny.admin)
    ...     redeem_invite(s, token=token, new_password="示范密码-2021").username
    'rater1'
    >>> clear_engine_cache()
    """
    check_new_password(new_password)
    invite, user = _valid_invite(session, token)
    spent = session.exec(update(InviteRow).where(
        InviteRow.id == invite.id, InviteRow.used_at.is_(None)).values(used_at=utc_now()))
    if spent.rowcount != 1:
        raise PermissionDeniedError("邀请链接无效、已使用或已过期",
                                    "the invite link is invalid, used or expired", field="token")
    session.exec(update(UserRow).where(UserRow.id == user.id).values(
        password_hash=hash_password(new_password), failed_logins=0, locked_until=None,
        updated_at=utc_now()))
    audit(session, actor=user, entity="user", entity_id=int(user.id), action="redeem_invite")
    session.flush()
    return viewer_of(active_user(session, viewer_of(user)))
