"""The review store as one import: nothing in it edits the audit log, and the database refuses to."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from indicators.errors import PermissionDeniedError
from review import store
from review.tables import AuditRow
from tests.review.databases import BACKENDS, build_world, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_audit_log_is_admin_only_and_append_only(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        entries = store.audit_log(s, by=world.admin)
        assert entries and [e.entry_id for e in entries] == sorted(e.entry_id for e in entries)
        assert {e.entity for e in entries} >= {"user", "round", "report", "panel", "assignment"}
        with pytest.raises(PermissionDeniedError):
            store.audit_log(s, by=world.finance)
    assert not any(name.startswith(("update", "delete")) for name in store.__all__)
    first = entries[0].entry_id
    for statement in (f"UPDATE rev_audit SET actor = 'someone' WHERE id = {first}",
                      f"DELETE FROM rev_audit WHERE id = {first}", "DELETE FROM rev_audit"):
        with pytest.raises(sa.exc.DBAPIError) as refused:
            with engine.begin() as connection:
                connection.exec_driver_sql(statement)
        assert "rev_audit_append_only" in str(refused.value)
    with Session(engine) as s:
        assert len(store.audit_log(s, by=world.admin)) == len(entries)
        assert s.get(AuditRow, first).actor == entries[0].actor
