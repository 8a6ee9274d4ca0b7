"""The SQLModel tables agree with the hand-written migrations, column for column."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel

from indicators import tables
from indicators.database import clear_engine_cache, get_engine, upgrade
from indicators.errors import ConflictError, ImmutableVersionError


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{tmp_path / 'tables.sqlite3'}")
    upgrade(engine, packages=("indicators",))
    yield engine
    clear_engine_cache()


def test_models_match_migrations(engine: sa.Engine) -> None:
    ours = sa.MetaData()
    for table in SQLModel.metadata.sorted_tables:
        if table.name.startswith("ind_"):
            table.to_metadata(ours)
    assert {t.name for t in ours.sorted_tables} == {
        "ind_library_version", "ind_indicator", "ind_changelog", "ind_project", "ind_target"}

    def only_ours(name, type_, parent_names):
        return type_ != "table" or (name or "").startswith("ind_")

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_name": only_ours})
        assert compare_metadata(context, ours) == []


def test_write_transaction_rolls_back_on_any_error(engine: sa.Engine) -> None:
    row = tables.ProjectRow(code="P1", year=2022, name="项目", department="局",
                            budget_type="一般公共预算", amount=1.0)
    with Session(engine) as session:
        with pytest.raises(KeyError), tables.write_transaction(session):
            session.add(row)
            session.flush()
            raise KeyError("boom")
        assert session.exec(sa.select(tables.ProjectRow)).all() == []


def test_write_transaction_names_integrity_errors(engine: sa.Engine) -> None:
    with Session(engine) as session:
        with tables.write_transaction(session):
            session.add(tables.ProjectRow(code="P1", year=2022, name="项目", department="局",
                                          budget_type="一般公共预算", amount=1.0))
        with pytest.raises(ConflictError, match="UNIQUE"), tables.write_transaction(session):
            session.add(tables.ProjectRow(code="P1", year=2022, name="重复", department="局",
                                          budget_type="一般公共预算", amount=2.0))
        version = tables.LibraryVersionRow(framework_id="x", version="1.0.0", title="t",
                                           kind="catalogue", status="published", region="n")
        with tables.write_transaction(session):
            session.add(version)
        with pytest.raises(ImmutableVersionError), tables.write_transaction(session):
            session.add(tables.IndicatorRow(library_version_id=version.id, position=0,
                                            code="A", name="a", level=1))
