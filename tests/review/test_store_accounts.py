"""Accounts: bootstrap of the first admin, admin-only management, disabled and changed accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from indicators.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from indicators.frontdoor import Role
from review import store
from tests.review.databases import BACKENDS, build_world, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_first_admin_bootstraps_then_only_admins_create_accounts(engine: sa.Engine) -> None:
    with Session(engine) as s, s.begin():
        admin = store.create_user(s, username=" admin ", display_name="管理员", role="admin",
                                  password="a-long-password", by=None)
        assert admin.username == "admin" and admin.role is Role.ADMIN
        with pytest.raises(PermissionDeniedError):
            store.create_user(s, username="x", display_name="X", role="expert", by=None)
        viewer = store.get_viewer(s, user_id=admin.user_id)
        expert = store.create_user(s, username="e1", display_name="专家", role=Role.EXPERT,
                                   department="县教育局", by=viewer)
        expert_v = store.get_viewer(s, user_id=expert.user_id)
        with pytest.raises(PermissionDeniedError):
            store.create_user(s, username="e2", display_name="专家2", role="expert", by=expert_v)
        with pytest.raises(ConflictError):
            store.create_user(s, username="e1", display_name="又一个", role="expert", by=viewer)
        with pytest.raises(InputError) as short:
            store.create_user(s, username="e3", display_name="E3", role="expert",
                              password="short", by=viewer)
        assert short.value.location.field == "password"
        with pytest.raises(InputError):
            store.create_user(s, username="e4", display_name="E4", role="boss", by=viewer)
        with pytest.raises(InputError):
            store.create_user(s, username="", display_name="E5", role="expert", by=viewer)


def test_list_users_is_for_staff_and_never_shows_hashes(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        users = store.list_users(s, by=world.finance)
        assert [u.username for u in users] == sorted(u.username for u in users)
        assert not any(hasattr(u, "password_hash") for u in users)
        with pytest.raises(PermissionDeniedError):
            store.list_users(s, by=world.raters[0])


def test_disabled_account_is_refused_everywhere_and_can_be_enabled(engine: sa.Engine) -> None:
    world = build_world(engine)
    rater = world.raters[0]
    with Session(engine) as s, s.begin():
        with pytest.raises(PermissionDeniedError):
            store.set_user_disabled(s, user_id=rater.user_id, disabled=True, by=world.finance)
        with pytest.raises(InputError):
            store.set_user_disabled(s, user_id=world.admin.user_id, disabled=True, by=world.admin)
        assert store.set_user_disabled(s, user_id=rater.user_id, disabled=True,
                                       by=world.admin).disabled
    with Session(engine) as s:
        with pytest.raises(PermissionDeniedError):
            store.get_viewer(s, user_id=rater.user_id)
        with pytest.raises(PermissionDeniedError):
            store.my_tasks(s, viewer=rater)
        with pytest.raises(NotFoundError):
            store.get_viewer(s, user_id=10_000)
    with Session(engine) as s, s.begin():
        store.set_user_disabled(s, user_id=rater.user_id, disabled=False, by=world.admin)
        assert store.get_viewer(s, user_id=rater.user_id) == rater


def test_a_changed_role_invalidates_the_old_viewer(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s, s.begin():
        s.execute(sa.text("UPDATE rev_user SET role = 'expert' WHERE id = :id"),
                  {"id": world.finance.user_id})
    with Session(engine) as s:
        with pytest.raises(PermissionDeniedError):
            store.list_rounds(s, by=world.finance)


def test_reset_password_is_admin_only_and_logged_without_the_password(engine: sa.Engine) -> None:
    world = build_world(engine)
    rater = world.raters[0]
    with Session(engine) as s, s.begin():
        with pytest.raises(PermissionDeniedError):
            store.reset_password(s, user_id=rater.user_id, new_password="new-password-1",
                                 by=world.finance)
        store.reset_password(s, user_id=rater.user_id, new_password="new-password-1",
                             by=world.admin)
        entry = [e for e in store.audit_log(s, by=world.admin, entity="user")
                 if e.action == "reset_password"][-1]
        assert entry.entity_id == rater.user_id and entry.old is None and entry.new is None
