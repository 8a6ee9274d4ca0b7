"""Passwords, lockout, the unknown-user dummy verify, and one-time invites."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.low_level import Type, hash_secret
from sqlmodel import Session, select

from indicators.errors import InputError, PermissionDeniedError
from indicators.frontdoor import Role
from review import auth, store
from review.auth import (
    Authenticator,
    PasswordAuthenticator,
    create_invite,
    hash_password,
    redeem_invite,
    verify_password,
    viewer_from_invite,
)
from review.tables import InviteRow, UserRow
from tests.review.databases import BACKENDS, review_database

PASSWORD = "correct-horse-battery"


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def people(engine: sa.Engine):
    with Session(engine) as s, s.begin():
        admin = store.create_user(s, username="admin", display_name="管理员", role="admin",
                                  password=PASSWORD, by=None)
        admin_v = store.get_viewer(s, user_id=admin.user_id)
        deputy = store.create_user(s, username="deputy", display_name="人大代表", role="deputy",
                                   by=admin_v)
        expert = store.create_user(s, username="expert", display_name="专家", role="expert",
                                   password=PASSWORD, by=admin_v)
    return admin_v, deputy, expert


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


# ------------------------------------------------------------------ hashing

def test_hash_is_argon2id_with_the_owasp_parameters_and_a_fresh_salt() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and first != second
    assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)


def test_hash_agrees_with_the_reference_argon2_binding() -> None:
    # Hash made by the argon2 C reference through its low-level binding, verified by our code,
    # and ours verified by argon2-cffi's own high-level API.
    reference = hash_secret(PASSWORD.encode(), b"sixteen-byte-salt", time_cost=2,
                            memory_cost=19_456, parallelism=1, hash_len=32, type=Type.ID)
    assert verify_password(reference.decode(), PASSWORD)
    assert PasswordHasher().verify(hash_password("另一个密码-2021"), "另一个密码-2021")


def test_new_passwords_need_eight_characters() -> None:
    assert auth.check_new_password("12345678") == "12345678"
    for weak in ("1234567", "        ", ""):
        with pytest.raises(InputError):
            auth.check_new_password(weak)


# ------------------------------------------------------------------ signing in

def test_sign_in_returns_the_viewer_and_the_protocol_fits(engine: sa.Engine, people) -> None:
    authenticator = PasswordAuthenticator()
    assert isinstance(authenticator, Authenticator)
    with Session(engine) as s, s.begin():
        viewer = authenticator.authenticate(s, username="expert", password=PASSWORD)
    assert (viewer.username, viewer.role) == ("expert", Role.EXPERT)


def test_unknown_user_is_refused_like_a_wrong_password_after_a_real_verify(
        engine: sa.Engine, people, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = auth.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    authenticator = PasswordAuthenticator()
    with Session(engine) as s:
        with pytest.raises(PermissionDeniedError) as unknown:
            authenticator.authenticate(s, username="nobody", password=PASSWORD)
        with pytest.raises(PermissionDeniedError) as wrong:
            authenticator.authenticate(s, username="expert", password="wrong-password")
        with pytest.raises(PermissionDeniedError) as no_password:
            authenticator.authenticate(s, username="deputy", password=PASSWORD)
    assert unknown.value.message() == wrong.value.message() == no_password.value.message()
    assert "nobody" not in unknown.value.message()
    # One argon2 verify each, the unknown user's against a hash of the same parameters.
    assert len(calls) == 3 and calls[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_lockout_after_five_failures_survives_rollback_and_expires(engine: sa.Engine,
                                                                   people) -> None:
    clock = Clock()
    authenticator = PasswordAuthenticator(clock=clock)
    for _ in range(4):
        with pytest.raises(PermissionDeniedError):
            with Session(engine) as s, s.begin():  # the caller's transaction rolls back
                authenticator.authenticate(s, username="expert", password="guess")
    with Session(engine) as s:
        row = s.exec(select(UserRow).where(UserRow.username == "expert")).one()
        assert row.failed_logins == 4 and row.locked_until is None
    with Session(engine) as s, s.begin():
        assert authenticator.authenticate(s, username="expert", password=PASSWORD)
    for _ in range(5):
        with Session(engine) as s, pytest.raises(PermissionDeniedError):
            authenticator.authenticate(s, username="expert", password="guess")
    with Session(engine) as s:
        with pytest.raises(PermissionDeniedError):  # locked: even the right password fails
            authenticator.authenticate(s, username="expert", password=PASSWORD)
        locked = store.list_users(s, by=people[0])
        until = next(u.locked_until for u in locked if u.username == "expert")
        assert until == clock.now + timedelta(minutes=15)
    clock.now += timedelta(minutes=15, seconds=1)
    with Session(engine) as s, s.begin():
        assert authenticator.authenticate(s, username="expert", password=PASSWORD)


def test_disabled_user_is_refused_and_reset_lifts_a_lock(engine: sa.Engine, people) -> None:
    admin, _, expert = people
    authenticator = PasswordAuthenticator(max_failures=2)
    for _ in range(2):
        with Session(engine) as s, pytest.raises(PermissionDeniedError):
            authenticator.authenticate(s, username="expert", password="guess")
    with Session(engine) as s, s.begin():
        store.reset_password(s, user_id=expert.user_id, new_password="brand-new-pass",
                             by=admin)
    with Session(engine) as s, s.begin():
        assert authenticator.authenticate(s, username="expert", password="brand-new-pass")
        store.set_user_disabled(s, user_id=expert.user_id, disabled=True, by=admin)
    with Session(engine) as s, pytest.raises(PermissionDeniedError):
        authenticator.authenticate(s, username="expert", password="brand-new-pass")


# ------------------------------------------------------------------ invites

def test_invite_stores_only_a_hash_bound_to_one_user_and_is_one_time(engine: sa.Engine,
                                                                     people) -> None:
    admin, deputy, _ = people
    with Session(engine) as s, s.begin():
        token = create_invite(s, user_id=deputy.user_id, by=admin)
    with Session(engine) as s:
        invite = s.exec(select(InviteRow)).one()
        assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert invite.user_id == deputy.user_id and token not in repr(invite)
        # Opening the link twice before a password is set works and spends nothing.
        assert viewer_from_invite(s, token=token).user_id == deputy.user_id
        assert viewer_from_invite(s, token=token).username == "deputy"
    with Session(engine) as s, s.begin():
        with pytest.raises(InputError):
            redeem_invite(s, token=token, new_password="short")
        viewer = redeem_invite(s, token=token, new_password="deputy-password")
        assert viewer.user_id == deputy.user_id
    with Session(engine) as s, s.begin():
        assert PasswordAuthenticator().authenticate(s, username="deputy",
                                                    password="deputy-password")
        for use in (lambda: redeem_invite(s, token=token, new_password="another-password"),
                    lambda: viewer_from_invite(s, token=token),
                    lambda: viewer_from_invite(s, token=token + "x")):
            with pytest.raises(PermissionDeniedError):
                use()


def test_invite_expires_and_only_staff_may_invite(engine: sa.Engine, people,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    admin, deputy, expert = people
    with Session(engine) as s, s.begin():
        expert_v = store.get_viewer(s, user_id=expert.user_id)
        with pytest.raises(PermissionDeniedError):
            create_invite(s, user_id=deputy.user_id, by=expert_v)
        with pytest.raises(InputError):
            create_invite(s, user_id=deputy.user_id, by=admin, ttl_hours=0)
        token = create_invite(s, user_id=deputy.user_id, by=admin, ttl_hours=1)
    later = datetime.now(UTC) + timedelta(hours=1, seconds=5)
    monkeypatch.setattr(auth, "utc_now", lambda: later)
    with Session(engine) as s:
        with pytest.raises(PermissionDeniedError):
            viewer_from_invite(s, token=token)
        with pytest.raises(PermissionDeniedError):
            redeem_invite(s, token=token, new_password="deputy-password")


def test_invite_of_a_disabled_account_stops_working(engine: sa.Engine, people) -> None:
    admin, deputy, _ = people
    with Session(engine) as s, s.begin():
        token = create_invite(s, user_id=deputy.user_id, by=admin)
        store.set_user_disabled(s, user_id=deputy.user_id, disabled=True, by=admin)
    with Session(engine) as s:
        with pytest.raises(PermissionDeniedError):
            viewer_from_invite(s, token=token)
        with pytest.raises(InputError):
            create_invite(s, user_id=deputy.user_id, by=admin)
