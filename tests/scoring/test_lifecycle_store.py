"""Lifecycle storage: imports kept all-or-nothing, decisions append-only, year runs round-trip.

Covers scoring/lifecycle_store.py and the stores split from it (lifecycle_decision_store.py,
lifecycle_run_store.py, county_year_store.py) on a temporary SQLite file migrated to every head.
Expected values are worked by hand or read from the demo county's CSV files with pandas, never
from the stores' own output.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

import scoring.lifecycle_store as store_module
from indicators.database import alembic_config, clear_engine_cache, get_engine, upgrade
from indicators.errors import InputError, ValidationError
from indicators.resources import data_path
from scoring.county_year_store import load_county_year
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_decision_store import (
    LifeDecisionRow,
    current_decisions,
    decision_history,
    record_decisions,
)
from scoring.lifecycle_demo import demo_county_year
from scoring.lifecycle_io import read_table, write_sheets
from scoring.lifecycle_run_store import (
    LifeRunProjectRow,
    LifeRunRequestRow,
    LifeRunRow,
    get_year_run,
    latest_year_run,
    list_year_runs,
    save_year_run,
)
from scoring.lifecycle_store import (
    LifeImportLineRow,
    LifeImportRow,
    current_table,
    import_table,
    list_imports,
    save_table,
)
from scoring.year import run_year

CONFIG = load_lifecycle_config("kaijiang-2021")
TABLES = (LifeImportRow, LifeImportLineRow, LifeDecisionRow, LifeRunRow, LifeRunProjectRow,
          LifeRunRequestRow)
REQUEST_HEADER = "项目编码,项目名称,申请金额(元),上年金额(元),是否新增,延续年数,是否重点项目\n"


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{tmp_path / 'life.sqlite3'}")
    upgrade(engine, packages=("indicators", "scoring"))
    yield engine
    clear_engine_cache()


@pytest.fixture(scope="module")
def demo_year():
    data = demo_county_year(CONFIG)
    return data, run_year(data, CONFIG)


def requests_csv(path: Path, rows: int = 40, bad_row: int | None = None) -> Path:
    """A GBK request file; spreadsheet row r (header is row 1) holds request R{r}."""
    lines = [REQUEST_HEADER]
    for r in range(2, rows + 2):
        amount = "一百万" if r == bad_row else f"{100_000 * r}"
        lines.append(f"R{r},申请{r},{amount},{90_000 * r},否,2,否\n")
    path.write_text("".join(lines), encoding="gbk")
    return path


def count(engine: sa.Engine, table: type) -> int:
    with Session(engine) as session:
        return len(session.exec(select(table)).all())


# --------------------------------------------------------------------------- schema

def test_migration_agrees_with_the_tables(engine: sa.Engine):
    inspector = sa.inspect(engine)
    for row in TABLES:
        table = row.__table__
        migrated = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(migrated) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert migrated[column.name]["nullable"] == column.nullable, (table.name, column.name)
        keys = {fk["referred_table"] for fk in inspector.get_foreign_keys(table.name)}
        assert keys == {fk.column.table.name for fk in table.foreign_keys}, table.name


def test_the_lifecycle_revision_downgrades_alone(engine: sa.Engine):
    with engine.connect() as connection:
        config = alembic_config(packages=("indicators", "scoring"))
        config.attributes["connection"] = connection
        command.downgrade(config, "sco_0001")
        connection.commit()
    inspector = sa.inspect(engine)
    assert not any(inspector.has_table(t.__tablename__) for t in TABLES)
    assert inspector.has_table("sco_score_run")


def test_runs_stored_before_departments_read_back_with_an_empty_department_table(engine,
                                                                              demo_year):
    data, result = demo_year
    with engine.connect() as connection:
        config = alembic_config(packages=("indicators", "scoring"))
        config.attributes["connection"] = connection
        command.downgrade(config, "sco_0002")
        connection.commit()
    assert "departments" not in {c["name"] for c in sa.inspect(engine).get_columns("sco_life_run")}
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO sco_life_run (year, config, source, month, rule_set, n_projects, "
            "n_requests, numbers, text_zh, text_en, coverage, grades, sources, note, created_by, "
            "created_at) VALUES (2021, 'x', 'demo', 9, 'lights', 0, 0, '{}', '', '', '[]', '[]', "
            "'{}', '', '王', '2026-12-06 00:00:00')"))
    upgrade(engine, packages=("indicators", "scoring"))
    with Session(engine) as session:
        (old,) = list_year_runs(session, year=2021)
        stored = get_year_run(session, run_id=old.id)
    assert stored.departments.empty and "grade" in stored.departments.columns


def test_the_examples_in_the_docstrings_run():
    # The stores split from this one are run by tests/test_docstrings.py.
    assert doctest.testmod(store_module).failed == 0


# --------------------------------------------------------------------------- imports

def test_a_bad_row_is_named_and_nothing_is_stored(engine, tmp_path):
    path = requests_csv(tmp_path / "申请.csv", bad_row=37)
    with Session(engine) as session, pytest.raises(ValidationError) as err:
        import_table(session, year=2021, kind="requests", path=path, created_by="王科长")
    assert [(i.location.file, i.location.row, i.location.column) for i in err.value.issues] == [
        ("申请.csv", 37, "申请金额(元)")]
    assert "第 37 行" in err.value.zh and "一百万" in err.value.zh
    assert count(engine, LifeImportRow) == 0 and count(engine, LifeImportLineRow) == 0


def test_gbk_csv_and_xlsx_imports_round_trip(engine, tmp_path):
    path = requests_csv(tmp_path / "申请.csv", rows=5)
    with Session(engine) as session:
        done = import_table(session, year=2021, kind="requests", path=path, created_by="王科长")
        back = current_table(session, year=2021, kind="requests")
    assert (done.kind, done.n_rows, done.file_name, done.created_by) == (
        "requests", 5, "申请.csv", "王科长")
    assert back["row"].tolist() == [2, 3, 4, 5, 6]
    assert back["amount"].tolist() == [200_000.0, 300_000.0, 400_000.0, 500_000.0, 600_000.0]
    assert back["previous_amount"].tolist() == [180_000.0, 270_000.0, 360_000.0, 450_000.0,
                                                540_000.0]
    assert not back["is_new"].any() and back["years_running"].tolist() == [2] * 5

    book = write_sheets(tmp_path / "支出.xlsx", [("支出", pd.DataFrame({
        "项目编码": ["A", "B"], "截至月份": [9, 9], "累计支出(元)": [1500.5, 0]}))])
    with Session(engine) as session:
        import_table(session, year=2021, kind="spending", path=book, created_by="王科长")
        spent = current_table(session, year=2021, kind="spending")
    assert spent[["project", "month", "spent"]].values.tolist() == [["A", 9, 1500.5],
                                                                   ["B", 9, 0.0]]
    assert spent["month"].dtype.kind == "i"


def test_a_newer_import_supersedes_by_table_month_or_project(engine):
    def save(kind, frame):
        with Session(engine) as session:
            return save_table(session, year=2021, kind=kind, frame=frame, file_name="x",
                              created_by="王科长")

    request = {"name": "", "department": "", "budget_type": "", "previous_amount": 1.0,
               "is_new": False, "years_running": 1, "is_key": False}
    save("requests", pd.DataFrame([{"project": "A", "amount": 5.0, **request},
                                   {"project": "B", "amount": 6.0, **request}]))
    save("requests", pd.DataFrame([{"project": "C", "amount": 7.0, **request}]))
    for month, spent in ((9, [1.0, 2.0]), (12, [3.0, 4.0]), (9, [5.0, 6.0])):
        save("spending", pd.DataFrame({"project": ["A", "B"], "month": month, "spent": spent}))
    sheet = {"indicator": ["BY0101"], "level": ["达成"]}
    save("exante_sheets", pd.DataFrame({"project": ["A"], **sheet}))
    save("exante_sheets", pd.DataFrame({"project": ["B"], **sheet}))
    save("exante_sheets", pd.DataFrame({"project": ["A"], "indicator": ["BY0101"],
                                        "level": ["未达成"]}))
    with Session(engine) as session:
        requests = current_table(session, year=2021, kind="requests")
        spending = current_table(session, year=2021, kind="spending")
        sheets = current_table(session, year=2021, kind="exante_sheets")
        kept = list_imports(session, year=2021)
        other_year = current_table(session, year=2022, kind="requests")
    assert requests["project"].tolist() == ["C"]
    assert sorted(map(tuple, spending[["month", "project", "spent"]].values.tolist())) == [
        (9, "A", 5.0), (9, "B", 6.0), (12, "A", 3.0), (12, "B", 4.0)]
    assert dict(sheets[["project", "level"]].values.tolist()) == {"A": "未达成", "B": "达成"}
    assert len(kept) == 8 and [k.id for k in kept] == sorted((k.id for k in kept), reverse=True)
    assert kept[-1].kind == "requests" and [k.months for k in kept[3:6]] == [(9,), (12,), (9,)]
    assert other_year is None


def test_save_table_refuses_bad_months_levels_and_empty_tables(engine):
    bad_month = pd.DataFrame({"project": ["A", "B"], "month": [9, 13], "spent": [1.0, 2.0]},
                             index=pd.Index([2, 3], name="row"))
    bad_level = pd.DataFrame({"project": ["A"], "indicator": ["BY0101"], "level": ["很好"]},
                             index=pd.Index([5], name="row"))
    with Session(engine) as session:
        with pytest.raises(ValidationError) as err:
            save_table(session, year=2021, kind="spending", frame=bad_month, file_name="s.csv",
                       created_by="王科长")
        assert [(i.location.row, i.location.column) for i in err.value.issues] == [(3, "截至月份")]
        with pytest.raises(ValidationError) as err:
            save_table(session, year=2021, kind="exante_sheets", frame=bad_level,
                       file_name="e.csv", created_by="王科长")
        assert err.value.issues[0].location.row == 5
        with pytest.raises(InputError):
            save_table(session, year=2021, kind="spending", frame=bad_month.iloc[:0],
                       file_name="s.csv", created_by="王科长")
        with pytest.raises(InputError):
            save_table(session, year=2021, kind="spending", frame=bad_month.iloc[:1],
                       file_name="s.csv", created_by="  ")
        with pytest.raises(InputError):
            save_table(session, year=2021, kind="projects", frame=bad_month.iloc[:1],
                       file_name="s.csv", created_by="王科长")
    assert count(engine, LifeImportRow) == 0


# --------------------------------------------------------------------------- decisions

def decide(engine, rows, *, stage="monitoring", who="王科长"):
    with Session(engine) as session:
        return record_decisions(session, year=2021, stage=stage, decisions=pd.DataFrame(rows),
                                created_by=who, config=CONFIG.ref)


def test_a_change_without_a_reason_is_refused_and_nothing_of_the_batch_is_stored(engine):
    rows = [{"project": "A", "recommendation": "调整调减", "recommended_amount": 1e5,
             "outcome": "调整调减", "amount": 1e5, "reason": ""},
            {"project": "B", "recommendation": "调整调减", "recommended_amount": 2e5,
             "outcome": "督促加快", "amount": 0.0, "reason": "  "}]
    with pytest.raises(InputError) as err:
        decide(engine, rows)
    # Named by its project, as the person who decided knows it; the row stays for programs.
    assert err.value.message("zh") == "项目 B：改变了建议，但没有填写理由"
    assert err.value.message("en") == "project B: changes the recommendation without a reason"
    assert err.value.location.field == "decisions[2].reason"
    assert err.value.location.row is None and err.value.location.column is None
    assert count(engine, LifeDecisionRow) == 0
    # Only the amount changed, by more than half a fen: still a change.
    with pytest.raises(InputError):
        decide(engine, [{**rows[0], "amount": 99_999.99}])
    # Within half a fen it is the recommendation, typed back.
    assert decide(engine, [{**rows[0], "amount": 100_000.004}]) == 1


def test_decisions_supersede_and_keep_their_history(engine):
    accept = {"project": "A", "recommendation": "调整调减", "recommended_amount": 1e5,
              "outcome": "调整调减", "amount": 1e5, "reason": ""}
    assert decide(engine, [accept], who="赵会计") == 1
    assert decide(engine, [accept]) == 0  # the same decision again is not stored twice
    change = {**accept, "outcome": "督促加快", "amount": 0.0, "reason": "四季度集中支付"}
    assert decide(engine, [change], who="王科长") == 1
    assert decide(engine, [{**accept, "project": "B"}], stage="exante") == 1
    with Session(engine) as session:
        now = current_decisions(session, year=2021, stage="monitoring")
        history = decision_history(session, year=2021, stage="monitoring", project="A")
        every = current_decisions(session, year=2021)
    assert now[["project", "outcome", "amount", "changed", "reason", "created_by",
                "n_versions"]].values.tolist() == [
        ["A", "督促加快", 0.0, True, "四季度集中支付", "王科长", 2]]
    assert history["outcome"].tolist() == ["督促加快", "调整调减"]
    assert history["created_by"].tolist() == ["王科长", "赵会计"]
    assert history["supersedes"].iloc[0] == history["id"].iloc[1]
    assert pd.isna(history["supersedes"].iloc[1])
    assert not history["changed"].iloc[1]
    assert sorted(every["stage"]) == ["exante", "monitoring"]
    assert count(engine, LifeDecisionRow) == 3


def test_decisions_refuse_unknown_stage_negative_amounts_and_twins(engine):
    row = {"project": "A", "recommendation": "支持", "outcome": "支持"}
    with pytest.raises(InputError):
        decide(engine, [row], stage="nowhere")
    with pytest.raises(InputError) as err:
        decide(engine, [row, {**row, "project": "B", "amount": -1.0, "reason": "x"}],
               stage="exante")
    assert err.value.message("zh") == "项目 B：金额为负数"
    assert err.value.location.field == "decisions[2].amount"
    with pytest.raises(InputError) as err:
        decide(engine, [row, row], stage="exante")
    assert err.value.message("en") == "project A: decided twice"
    assert err.value.location.field == "decisions[2].project"
    # Without a project code only the row points at the decision.
    with pytest.raises(InputError) as err:
        decide(engine, [row, {**row, "project": " "}], stage="exante")
    assert err.value.message("zh") == "第 2 行：没有项目编码"
    with pytest.raises(InputError):
        decide(engine, [row], stage="exante", who="")
    assert count(engine, LifeDecisionRow) == 0


# --------------------------------------------------------------------------- the county year

def test_without_data_the_year_names_what_is_missing(engine):
    with Session(engine) as session, pytest.raises(InputError) as err:
        load_county_year(session, year=2030, config=CONFIG)
    for word in ("项目表", "绩效目标表", "实际完成表", "支出表", "预算申请表"):
        assert word in err.value.zh
    with Session(engine) as session:
        data, sources = load_county_year(session, year=2030, config=CONFIG, require=())
    assert set(sources.values()) == {"missing"} and data.progress is None
    assert list(data.requests.columns[:2]) == ["project", "name"] and data.requests.empty


def test_department_facts_come_from_the_demo_county_in_demo_mode_only(engine):
    units = pd.read_csv(data_path("demo", "departments.csv"), encoding="utf-8-sig")
    with Session(engine) as session:
        data, sources = load_county_year(session, year=2021, config=CONFIG, demo=True)
        bare, bare_sources = load_county_year(session, year=2030, config=CONFIG, require=())
    assert sources["department_facts"] == "demo"
    assert set(data.department_facts["department"]) == set(units["单位名称"])
    assert bare.department_facts is None and bare_sources["department_facts"] == "missing"


def test_imported_department_facts_replace_the_demo_and_keep_negative_rates(engine, tmp_path):
    path = tmp_path / "facts.csv"
    path.write_text("主管部门,指标编码,实际值,定性结论\n"
                    "县教育局,TR0202,-5,\n"
                    "县教育局,TR0101,,达成\n"
                    "县卫健局,TR0202,3.5,\n", encoding="gbk")
    facts = read_table(path, "department_facts")
    assert facts["actual"].iloc[0] == -5.0
    with Session(engine) as session:
        saved = save_table(session, year=2021, kind="department_facts", frame=facts,
                           file_name=path.name, created_by="王科长")
        data, sources = load_county_year(session, year=2021, config=CONFIG, demo=True)
    assert sources["department_facts"] == f"import #{saved.id}"
    got = data.department_facts.set_index(["department", "indicator_code"])
    assert len(got) == 3
    assert got.loc[("县教育局", "TR0202"), "actual"] == -5.0
    assert got.loc[("县教育局", "TR0101"), "level"] == "达成"


def test_a_negative_amount_is_still_refused_where_it_makes_no_sense(tmp_path):
    path = tmp_path / "spending.csv"
    path.write_text("项目编码,截至月份,累计支出(元)\nP1,9,-100\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_table(path, "spending")
    assert err.value.issues[0].location.row == 2


def test_imports_override_the_demo_county_table_by_table(engine, tmp_path):
    requests = read_table(data_path("demo", "requests_2022.csv"), "requests").iloc[:10]
    sept = pd.DataFrame({"project": ["P202100101"], "month": [9], "spent": [1.0]})
    with Session(engine) as session:
        saved = save_table(session, year=2021, kind="requests", frame=requests,
                           file_name="r.csv", created_by="王科长")
        spent = save_table(session, year=2021, kind="spending", frame=sept, file_name="s.csv",
                           created_by="王科长")
        sheet = save_table(session, year=2021, kind="exante_sheets", file_name="page",
                           frame=pd.DataFrame({"project": "P202200101", "indicator": ["BY0101"],
                                               "level": ["未达成"]}), created_by="王科长")
        data, sources = load_county_year(session, year=2021, config=CONFIG, demo=True)
    raw = pd.read_csv(data_path("demo", "spending_2021.csv"), encoding="utf-8-sig")
    assert sources["requests"] == f"import #{saved.id}"
    assert sources["spending"] == f"import #{spent.id} + demo"
    assert sources["exante_sheets"] == f"import #{sheet.id}"  # demo sheets follow demo requests
    assert sources["projects"] == "demo" and sources["actuals"] == "demo"
    assert data.requests["project"].tolist() == requests["project"].tolist()
    assert data.spending.loc[data.spending["month"] == 9, "project"].tolist() == ["P202100101"]
    december = data.spending.loc[data.spending["month"] == 12]
    assert len(december) == int((raw["截至月份"] == 12).sum())


# --------------------------------------------------------------------------- year runs

def test_a_year_run_round_trips_with_the_kernels_numbers(engine, demo_year):
    data, result = demo_year
    with Session(engine) as session:
        first = save_year_run(session, result=result, data=data, source="demo",
                              created_by="王科长", sources={"projects": "demo"})
        second = save_year_run(session, result=result, data=data, source="demo",
                               created_by="赵会计", note="再次运行")
        stored = get_year_run(session, run_id=first.id)
        newest = latest_year_run(session, year=2021)
        runs = list_year_runs(session, year=2021)
        with pytest.raises(InputError):
            save_year_run(session, result=result, data=data, source="elsewhere",
                          created_by="王科长")
    assert [r.id for r in runs] == [second.id, first.id] and newest.summary.id == second.id
    assert dict(stored.summary.numbers) == dict(result.summary)
    assert stored.summary.text_zh == result.text_zh and stored.sources == {"projects": "demo"}
    pd.testing.assert_frame_equal(stored.coverage, result.coverage, check_dtype=False)
    pd.testing.assert_frame_equal(stored.grades, result.grades_by_department, check_dtype=False)
    # The tidy rows against the demo files themselves.
    raw = pd.read_csv(data_path("demo", "projects_2021.csv"), encoding="utf-8-sig")
    p = stored.projects
    assert len(p) == len(raw) and set(p["project"]) == set(raw["项目编码"])
    assert np.isclose(p["amount"].sum(), raw["项目金额(元)"].sum())
    assert int(p["self_scope"].sum()) == int((raw["项目金额(元)"] >= 200_000).sum())
    n = result.summary
    assert np.isclose(p["review_adjustment"].sum(), n["review_cut"])
    assert np.isclose(p["suggested_cut"].sum(), n["monitor_cut"])
    assert np.isclose(p["cut"].sum(), n["cut_amount"])
    assert np.isclose(p["recover"].sum(), n["recover_amount"])
    assert int(p["rework"].sum()) == n["rework_count"]
    assert len(stored.requests) == n["requests"]
    assert int(stored.requests["triggered"].sum()) == n["exante_triggered"]
    assert np.isclose(stored.requests["exante_cut"].sum(), n["exante_cut"])
    # The department table: every demo unit once, its grade as the kernel gave it.
    units = pd.read_csv(data_path("demo", "departments.csv"), encoding="utf-8-sig")
    d = stored.departments.set_index("department")
    assert set(d.index) == set(units["单位名称"]) and len(d) == n["dept_units"]
    kernel = result.departments.scores.totals.set_index("department")
    assert d.loc[kernel.index, "grade"].tolist() == kernel["grade"].tolist()
    assert np.allclose(d.loc[kernel.index, "total"].astype(float), kernel["total"])
    assert int((d["status"] != "not_evaluated").sum()) == n["dept_count"]


def test_deleting_a_run_takes_its_rows(engine, demo_year):
    data, result = demo_year
    with Session(engine) as session:
        run = save_year_run(session, result=result, data=data, source="demo", created_by="王")
        session.delete(session.get(LifeRunRow, run.id))
        session.commit()
    assert count(engine, LifeRunProjectRow) == 0 and count(engine, LifeRunRequestRow) == 0
