"""The review tables: the migration creates exactly what the models describe; times are UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from indicators.database import head_revisions
from review.tables import as_utc, utc_now
from tests.review.databases import BACKENDS, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_migration_creates_exactly_the_tables_the_models_describe(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    review_diff = [d for d in diff if "rev_" in repr(d)]
    assert review_diff == []


def test_review_branch_is_a_head_of_the_migrations() -> None:
    assert "rev_0001" in head_revisions()


def test_times_come_back_as_aware_utc() -> None:
    assert as_utc(None) is None
    assert as_utc(datetime(2021, 6, 1, 8, 0)) == datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
    beijing = datetime(2021, 6, 1, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    assert as_utc(beijing) == datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
    assert as_utc(beijing).tzinfo is UTC and utc_now().tzinfo is UTC
