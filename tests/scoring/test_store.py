"""Score runs: the migration agrees with the tables, runs round-trip, list and refuse bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from indicators.database import alembic_config, clear_engine_cache, get_engine, upgrade
from indicators.errors import InputError, NotFoundError
from indicators.frameworks import load_builtin
from indicators.model import Project, Target, TargetTable
from scoring.report import indicator_results, level_subtotals, project_results
from scoring.store import (
    IndicatorPointsRow,
    ProjectResultRow,
    ScoreRunRow,
    get_score_run,
    list_score_runs,
    save_score_run,
)
from scoring.targets import project_frame, score_target_tables

PACKAGES = ("indicators", "scoring")


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{tmp_path / 'scores.sqlite3'}")
    upgrade(engine, packages=PACKAGES)
    yield engine
    clear_engine_cache()


def tables(year: int = 2021) -> list[TargetTable]:
    out = []
    for k, (department, budget_type) in enumerate((("县教育局", "一般公共预算"),
                                                   ("县水务局", "政府性基金预算"),
                                                   ("县教育局", "一般公共预算"))):
        code = f"P{k + 1}"
        p = Project(code, f"项目{k + 1}", department, budget_type, 100_000.0 * (k + 1), year)
        out.append(TargetTable(p, (
            Target(code, "A", "完成数量", "产出指标", "数量指标", "≥", 60, 100.0),
            Target(code, "B", "满意度", "满意度指标", "服务对象满意度指标", "定性", 30),
        )))
    return out


def result(tables_: list[TargetTable]):
    codes = [t.project.code for t in tables_]
    actuals = pd.DataFrame({
        "project": np.repeat(codes, 2), "indicator": ["A", "B"] * len(codes),
        "actual": [100.0, None, 70.0, None, None, None][: 2 * len(codes)],
        "level": [None, "达成", None, "部分达成", None, "未达成"][: 2 * len(codes)]})
    spending = pd.DataFrame({"project": codes, "spent": [90_000.0, 200_000.0, 100_000.0]})
    return score_target_tables(tables_, load_builtin("national-target"), actuals=actuals,
                               spending=spending)


def test_migration_agrees_with_the_tables(engine: sa.Engine):
    inspector = sa.inspect(engine)
    for row in (ScoreRunRow, ProjectResultRow, IndicatorPointsRow):
        table = row.__table__
        migrated = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(migrated) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert migrated[column.name]["nullable"] == column.nullable, (table.name, column.name)
        keys = {fk["referred_table"] for fk in inspector.get_foreign_keys(table.name)}
        assert keys == {fk.column.table.name for fk in table.foreign_keys}


def test_scoring_branch_depends_on_indicators_and_downgrades(engine: sa.Engine):
    with engine.connect() as connection:
        config = alembic_config(packages=PACKAGES)
        config.attributes["connection"] = connection
        command.downgrade(config, "scoring@base")
        connection.commit()
    assert not sa.inspect(engine).has_table("sco_score_run")
    assert sa.inspect(engine).has_table("ind_project")


def test_round_trip(engine: sa.Engine):
    scored = result(tables())
    with Session(engine) as session:
        saved = save_score_run(session, result=scored, tables=tables(), year=2021,
                               created_by=" 王科长 ", note="首次评分")
    with Session(engine) as session:
        run = get_score_run(session, run_id=saved.id)
    summary = run.summary
    assert (summary.year, summary.library_ref, summary.weight_set) == (
        2021, "national-target@1.0.0", "target-tables")
    assert (summary.band_table, summary.band_version) == ("national", "2020.1")
    assert summary.created_by == "王科长" and summary.note == "首次评分"
    assert summary.created_at.utcoffset().total_seconds() == 0
    assert summary.rule_params["qualitative_bands"]["达成"] == [0.8, 1.0]
    expected = project_results(scored, project_frame(tables()))
    got = run.projects
    assert got["project"].tolist() == expected["project"].tolist()
    for column in ("total", "budget_points", "indicator_points", "amount", "execution_rate"):
        np.testing.assert_allclose(got[column].to_numpy(dtype=float), expected[column])
    assert got["grade"].tolist() == expected["grade"].tolist()
    assert got["department"].tolist() == ["县教育局", "县水务局", "县教育局"]
    keys = ["project", "level", "code"]
    sub = level_subtotals(scored).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(run.subtotals.sort_values(keys).reset_index(drop=True), sub,
                                  check_dtype=False)
    ind = indicator_results(scored)
    assert run.indicators["indicator"].tolist() == ind["indicator"].tolist()
    np.testing.assert_allclose(run.indicators["points"].to_numpy(dtype=float), ind["points"])
    assert run.indicators["missing"].tolist() == ind["missing"].tolist()
    levels = run.indicators["qualitative_level"]
    assert pd.isna(levels.iloc[0]) and levels.iloc[1] == "达成"


def test_list_newest_first_by_year_with_grade_counts(engine: sa.Engine):
    with Session(engine) as session:
        first = save_score_run(session, result=result(tables()), tables=tables(), year=2021,
                               created_by="王")
        second = save_score_run(session, result=result(tables(2022)), tables=tables(2022),
                                year=2022, created_by="李")
        runs = list_score_runs(session)
        assert [r.id for r in runs] == [second.id, first.id]
        assert [r.id for r in list_score_runs(session, year=2021)] == [first.id]
        assert list_score_runs(session, year=2030) == []
    # P1: 60 + 27 + 9 = 96 优; P2: 42 + 21 + 10 = 73 中; P3: 0 (missing) + 9 + 5 = 14 差.
    assert dict(runs[1].grades) == {"优": 1, "中": 1, "差": 1}
    assert runs[1].n_projects == 3 and "#" in runs[1].label()


def test_refusals_leave_nothing_behind(engine: sa.Engine):
    with Session(engine) as session:
        with pytest.raises(InputError, match="who ran it"):
            save_score_run(session, result=result(tables()), tables=tables(), year=2021,
                           created_by="  ")
        with pytest.raises(InputError, match="no project record"):
            save_score_run(session, result=result(tables()), tables=tables()[:1], year=2021,
                           created_by="王")
        with pytest.raises(NotFoundError, match="score run 99"):
            get_score_run(session, run_id=99)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM sco_score_run")).scalar_one() == 0


def test_deleting_a_run_takes_its_rows(engine: sa.Engine):
    with Session(engine) as session:
        saved = save_score_run(session, result=result(tables()), tables=tables(), year=2021,
                               created_by="王")
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM sco_score_run WHERE id = :id"), {"id": saved.id})
        left = [connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("sco_project_result", "sco_indicator_points")]
    assert left == [0, 0]
