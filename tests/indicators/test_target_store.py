"""Projects and target tables: round trip, resubmission, references into the library."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from indicators import store, target_store
from indicators.database import clear_engine_cache, get_engine, upgrade
from indicators.errors import ConflictError, InputError, NotFoundError
from indicators.frameworks import load_builtin
from indicators.model import Project, Target, TargetTable


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{tmp_path / 'targets.sqlite3'}")
    upgrade(engine, packages=("indicators",))
    yield engine
    clear_engine_cache()


@pytest.fixture
def session(engine: sa.Engine) -> Session:
    with Session(engine) as session:
        store.save_library(session, version=load_builtin("national-target"))
        yield session


LIB = "national-target@1.0.0"


def table(code: str = "P001", year: int = 2022, amount: float = 1_250_000.0,
          library_ref: str | None = LIB) -> TargetTable:
    project = Project(code, "农村公路养护", "县交通运输局", "一般公共预算", amount, year,
                      is_new=False, previous_amount=1_000_000.0, years_running=3, is_key=True,
                      township="城关镇")
    targets = (
        Target(code, "CC0101", "养护里程完成率", "产出指标", "数量指标", "≥", 30.0, 100.0,
               unit="%", library_ref=library_ref),
        Target(code, "OWN-1", "路面优良率", "产出指标", "质量指标", ">=", 30.0, 85.5, unit="%"),
        Target(code, "MY0101", "群众满意度", "满意度指标", "服务对象满意度指标", "定性", 30.0,
               target_text="达成年度指标", library_ref=library_ref),
    )
    return TargetTable(project, targets)


def counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(sa.text("SELECT count(*) FROM ind_project")).scalar_one(),
                conn.execute(sa.text("SELECT count(*) FROM ind_target")).scalar_one())


def test_round_trip(session: Session) -> None:
    tables = [table("P001"), table("P002", library_ref=None), table("P001", 2023)]
    assert store.save_target_tables(session, tables=tables) == 3
    for expected in tables:
        loaded = store.get_target_table(session, project_code=expected.project.code,
                                        year=expected.project.year)
        assert loaded == expected


def test_list_projects_by_year(session: Session) -> None:
    store.save_target_tables(session, tables=[table("P002"), table("P001"), table("P001", 2023)])
    assert [(p.code, p.year) for p in store.list_projects(session)] == [
        ("P001", 2022), ("P002", 2022), ("P001", 2023)]
    assert [p.code for p in store.list_projects(session, year=2023)] == ["P001"]
    assert store.list_projects(session, year=2030) == []


def test_resubmission_replaces_the_targets(engine: sa.Engine, session: Session) -> None:
    store.save_target_tables(session, tables=[table()])
    revised = TargetTable(table(amount=900_000.0).project, table().targets[:1])
    store.save_target_tables(session, tables=[revised])
    assert store.get_target_table(session, project_code="P001", year=2022) == revised
    assert counts(engine) == (1, 1)


def test_missing_library_version_stores_nothing(engine: sa.Engine, session: Session) -> None:
    store.save_target_tables(session, tables=[table("P009")])
    before = counts(engine)
    with pytest.raises(NotFoundError, match="national-target@9.0.0"):
        store.save_target_tables(session, tables=[table("P001"),
                                                  table("P002", library_ref="national-target@9.0.0")])
    assert counts(engine) == before


def test_bad_input_is_refused_before_writing(engine: sa.Engine, session: Session) -> None:
    with pytest.raises(InputError, match="twice"):
        store.save_target_tables(session, tables=[table(), table()])
    stray = TargetTable(table().project, (*table().targets, table("P777").targets[0]))
    with pytest.raises(InputError, match="another project"):
        store.save_target_tables(session, tables=[stray])
    assert counts(engine) == (0, 0)


def test_unknown_project_is_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError):
        store.get_target_table(session, project_code="P001", year=2022)


def test_a_referenced_draft_cannot_be_deleted(session: Session) -> None:
    from dataclasses import replace

    draft = replace(load_builtin("national-target"), version="1.1.0", status="draft",
                    published_by=None, published_at=None)
    store.save_library(session, version=draft)
    store.save_target_tables(session, tables=[table(library_ref=draft.ref)])
    with pytest.raises(ConflictError, match="refer to draft"):
        store.delete_draft(session, ref=draft.ref)
    assert store.get_library(session, ref=draft.ref) == draft


def test_functions_are_offered_by_the_store_module() -> None:
    assert store.save_target_tables is target_store.save_target_tables
    assert store.get_target_table is target_store.get_target_table
    assert store.list_projects is target_store.list_projects
