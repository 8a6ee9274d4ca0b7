"""Access rules: who counts as staff or admin, rounds that refuse a change, the audit append."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from indicators.errors import ConflictError, NotFoundError, PermissionDeniedError
from review.access import (
    active_user,
    assignment_row,
    audit,
    editable_round,
    is_panel_member,
    require_admin,
    require_staff,
    round_row,
    usernames,
)
from review.model import RoundStatus
from review.store import audit_log
from tests.review.databases import BACKENDS, build_world, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_roles_and_missing_viewers(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        assert require_staff(s, world.finance).username == "finance"
        assert require_admin(s, world.admin).username == "admin"
        for check, viewer in ((require_staff, None), (require_staff, world.raters[0]),
                              (require_admin, None), (require_admin, world.finance)):
            with pytest.raises(PermissionDeniedError):
                check(s, viewer)
        ghost = world.raters[0].__class__(user_id=999, username="ghost", display_name="?",
                                          role=world.raters[0].role)
        with pytest.raises(PermissionDeniedError):
            active_user(s, ghost)


def test_lookups_and_round_states(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        assert editable_round(s, world.round_id, allowed=(RoundStatus.OPEN,)).id == world.round_id
        with pytest.raises(ConflictError):
            editable_round(s, world.round_id, allowed=(RoundStatus.DRAFT, RoundStatus.CLOSED))
        for lookup in (round_row, assignment_row):
            with pytest.raises(NotFoundError):
                lookup(s, 4242)
        assert is_panel_member(s, world.round_id, world.raters[0].user_id)
        assert not is_panel_member(s, world.round_id, world.finance.user_id)
        assert usernames(s, [world.admin.user_id, None, 4242]) == {world.admin.user_id: "admin"}


def test_audit_lines_commit_with_the_change_or_not_at_all(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        before = len(audit_log(s, by=world.admin))
    with pytest.raises(RuntimeError):
        with Session(engine) as s, s.begin():
            audit(s, actor=None, entity="round", entity_id=world.round_id, action="note")
            raise RuntimeError("the change failed")
    with Session(engine) as s, s.begin():
        audit(s, actor=None, entity="round", entity_id=world.round_id, action="note",
              old={"a": 1}, new={"a": 2})
    with Session(engine) as s:
        entries = audit_log(s, by=world.admin)
    assert len(entries) == before + 1
    assert (entries[-1].actor, entries[-1].old, entries[-1].new) == ("system", {"a": 1}, {"a": 2})
