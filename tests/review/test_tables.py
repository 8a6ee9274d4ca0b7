"""The review tables: the migration creates exactly what the models describe; times are UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from indicators.database import alembic_config
from review.tables import (
    AssignmentRow,
    AuditRow,
    InviteRow,
    PanelRow,
    ReportRow,
    RoundRow,
    UserRow,
    as_utc,
    utc_now,
)
from tests.review.databases import BACKENDS, review_database

TABLES = (UserRow, InviteRow, RoundRow, ReportRow, PanelRow, AssignmentRow, AuditRow)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_migration_creates_exactly_the_tables_the_models_describe(engine: sa.Engine) -> None:
    # Only this module's tables: other review tables (Delphi) have their own models and tests.
    mine = {table.__tablename__ for table in TABLES}

    def ours(obj, name, type_, reflected, compare_to) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return (name if type_ == "table" else getattr(table, "name", None)) in mine

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []
    assert mine <= set(sa.inspect(engine).get_table_names())


def test_review_branch_starts_at_rev_0001_after_the_indicator_tables() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_revision("review@head")
    chain = {r.revision for r in script.iterate_revisions(head.revision, "base")}
    assert "rev_0001" in chain
    first = script.get_revision("rev_0001")
    assert first.branch_labels == {"review"} and first.dependencies == "ind_0002"


def test_times_come_back_as_aware_utc() -> None:
    assert as_utc(None) is None
    assert as_utc(datetime(2021, 6, 1, 8, 0)) == datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
    beijing = datetime(2021, 6, 1, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    assert as_utc(beijing) == datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
    assert as_utc(beijing).tzinfo is UTC and utc_now().tzinfo is UTC
