"""县级总览, driven through Streamlit's AppTest against a temporary SQLite database.

The dashboard's numbers are checked against ``jixiao year run`` run in the test (its JSON and
its workbook) and against counts and sums taken straight from the demo county's CSV files with
pandas; never against the page's own output.
"""

from __future__ import annotations

import doctest
import json
import re
import unicodedata
from datetime import UTC, timedelta
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import scoring.ui_dashboard as dashboard_module
from indicators.database import clear_engine_cache, get_engine, upgrade
from indicators.frontdoor import STAFF_ROLES
from indicators.i18n import catalogue
from indicators.io_files import read_workbook_grids
from indicators.resources import data_path
from scoring.cli_lifecycle import register
from scoring.grades import load_bands
from scoring.lifecycle_decision_store import record_decisions
from scoring.lifecycle_run_store import list_year_runs
from scoring.ui_dashboard import TOTAL, pages
from scoring.ui_lifecycle import SECTION
from tests.scoring.pages import frame, run_page, wang

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def year_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """``jixiao year run --year 2021 --json`` on the demo county: its numbers and workbook."""
    group = click.Group("jixiao")
    register(group)
    out = tmp_path_factory.mktemp("cli") / "summary.xlsx"
    result = CliRunner().invoke(group, ["year", "run", "--year", "2021", "--out", str(out),
                                        "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output), read_workbook_grids(out)


@pytest.fixture(scope="module")
def demo_csv() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(data_path("demo", f"{name}.csv"), encoding="utf-8-sig",
                              dtype={"项目编码": str})
            for name in ("projects_2021", "targets_2021", "spending_2021")}


@pytest.fixture
def url(tmp_path: Path) -> str:
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{tmp_path / 'jixiao.sqlite3'}")
    upgrade(engine, packages=("indicators", "scoring"))
    yield f"sqlite:///{tmp_path / 'jixiao.sqlite3'}"
    clear_engine_cache()


def page(url: str, *, lang: str = "zh", role: str = "finance", demo: bool = True) -> AppTest:
    return run_page(url, "scoring.ui_dashboard", "lifecycle-dashboard", wang(role), lang=lang,
                    demo=demo)


CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Characters a metric label may hold before it is cut at 1440 px (wide CJK ones count two),
# by tiles in its row, as the trial saw: "事前评估追减（万…" in a row of five, "Projects of 20
# ten-thous…" in a row of four. A help icon takes two more.
TILE_WIDTH = {4: 22, 5: 16}


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def assert_tiles_fit(at: AppTest) -> None:
    """Every metric label fits its tile: label width plus a help icon within the row's room."""
    seen = 0
    for column in at.columns:
        tiles = round(1 / column.weight)
        for metric in column.metric:
            seen += 1
            room = TILE_WIDTH[tiles] - (2 if metric.proto.help else 0)
            assert width(metric.label) <= room, (metric.label, tiles)
    assert seen == len(at.metric) > 0


# Pixels half a 14 px character takes (a wide CJK one counts two), a cell's padding; and the
# room of the wide layout's content at 1440 px: less a ~260 px sidebar and 2 × 80 px padding.
CHAR_PX, CELL_PX, CONTENT_PX = 7, 16, 960


def assert_funds_fit(element) -> None:
    """Every funds column has a set width that holds its header and cells; all fit 1440 px."""
    value = element.value
    table = value.data if hasattr(value, "data") else value
    config = json.loads(element.proto.columns)
    widths = {name: config[name]["width"] for name in table.columns}
    assert sum(widths.values()) <= CONTENT_PX, widths
    for name, px in widths.items():
        longest = max(width(str(v)) for v in [name, *table[name]])
        assert longest * CHAR_PX + CELL_PX <= px, (name, px)


def sheet(grids: dict, name: str) -> pd.DataFrame:
    rows = grids[name].rows
    return pd.DataFrame(list(rows[1:]), columns=list(rows[0]))


# --------------------------------------------------------------------------- registration

def test_the_dashboard_is_the_staff_landing_page_with_labels_in_both_languages():
    spec, departments = pages()
    assert departments.key == "lifecycle-departments" and not departments.default
    assert spec.key == "lifecycle-dashboard" and spec.default and spec.roles == STAFF_ROLES
    assert spec.section == SECTION and {spec.title, spec.section} <= set(catalogue())
    used = set()
    for name in ("ui_lifecycle.py", "ui_lifecycle_plan.py", "ui_lifecycle_results.py",
                 "ui_lifecycle_application.py", "ui_decisions.py", "ui_dashboard.py"):
        source = (ROOT / "scoring" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'ctx\.t\(\s*"((?:lifecycle|dashboard)\.[a-z_.]+)"', source))
    used |= {f"dashboard.stage.{s}" for s in ("targets", "monitoring", "self_evaluation",
                                              "key_evaluation", "exante", "target_review", "cut",
                                              "recover", "rework")}
    used |= {f"dashboard.source.{s}" for s in ("demo", "stored")}
    used |= {f"lifecycle.page.{p}" for p in ("exante", "targets", "monitoring", "application",
                                             "disclosure")}
    assert len(used) > 100
    assert used - set(catalogue()) == set()
    for key in [k for k in catalogue() if k.startswith(("lifecycle.", "dashboard."))]:
        assert catalogue()[key]["zh"] and catalogue()[key]["en"]


def test_the_examples_in_the_docstrings_run():
    assert doctest.testmod(dashboard_module).failed == 0


def test_an_expert_is_refused(url):
    at = page(url, role="expert")
    assert not at.exception and len(at.error) == 1 and not at.button


# --------------------------------------------------------------------------- the year

def test_the_dashboard_shows_the_numbers_of_jixiao_year_run(url, year_run, demo_csv):
    report, grids = year_run
    at = page(url)
    assert not at.exception
    assert "还没有运行记录" in at.info[0].value
    assert at.radio(key="dashboard.source").value == "demo"
    at.button(key="dashboard.run").click().run()
    assert not at.exception and not at.error
    assert at.status[0].proto.label.startswith("已完成并保存")
    with Session(get_engine(url)) as session:
        (run,) = list_year_runs(session, year=2021)
    assert run.source == "demo" and run.created_by == "王科长"
    # The run's time reads as the review pages read times: China Standard Time, not UTC.
    stored_at = run.created_at.replace(tzinfo=UTC) if run.created_at.tzinfo is None \
        else run.created_at
    local = (stored_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    utc = stored_at.strftime("%Y-%m-%d %H:%M")
    picker = " ".join(at.selectbox(key="dashboard.run_id").options)
    provenance = " ".join(c.value for c in at.caption)
    assert local in picker and utc not in picker
    assert local in provenance and utc not in provenance

    numbers = report["numbers"]
    shown = frame(at, "代码", "数值")
    assert shown["代码"].tolist() == list(numbers)
    assert shown["数值"].tolist() == [str(v) for v in numbers.values()]
    assert report["summary_zh"] in [m.value for m in at.markdown]
    # The Chinese page says which rules and data the run used in Chinese, not as raw keys.
    caption = " ".join(c.value for c in at.caption)
    assert "示范县数据" in caption and "(lights)" not in caption and " demo" not in caption
    assert "demo" not in " ".join(at.selectbox(key="dashboard.run_id").options)
    # Rework has no amount: the 资金调整 table shows a dash, never "None".
    funds = next(e for e in at.dataframe if "环节" in " ".join(map(str, e.value.columns)))
    shown_text = funds.proto.arrow_data.styler.display_values.decode("utf-8", "ignore")
    assert "—" in shown_text and "None" not in shown_text and "nan" not in shown_text
    # The browser draws the empty cell from the data, not the styler: only the placeholder
    # keeps it from printing "None".
    assert funds.proto.placeholder == "—"
    assert_funds_fit(funds)
    # One money format in every column: 收回一批 as decided and as recommended, both to the fen.
    for key in ("recover_amount", "recover_amount_recommended", "exante_cut"):
        assert f"{numbers[key]:,.2f}" in shown_text, key
    # The caption names the inputs the run used and the commands that reproduce them.
    assert "已关闭评审轮次的重点评价结果" in caption and "运行时有效的决定" in caption
    assert "jixiao key-results --year 2021" in caption and "--stored --fill-demo" in caption
    assert "--key-results" in caption and "一致" not in caption

    # Coverage and grades as the year run's workbook has them.
    expected = sheet(grids, "覆盖情况")
    coverage = frame(at, "有绩效目标", "自评资金占比")
    assert coverage.columns.tolist() == expected.columns.tolist()
    assert coverage["预算类型"].tolist() == expected["预算类型"].tolist()
    for column in expected.columns[1:]:
        assert np.allclose(coverage[column].astype(float), expected[column].astype(float))
    expected = sheet(grids, "分部门等级")
    grades = frame(at, "主管部门", "合计")
    assert grades.iloc[:, 0].tolist() == expected["主管部门"].tolist()
    assert grades.iloc[:, 1:].to_numpy().tolist() == expected.iloc[:, 1:].to_numpy().tolist()
    # Department grades as the year run's workbook has them, one count per grade.
    expected = sheet(grids, "部门整体评价")
    spread = frame(at, "等级", "部门（单位）数").set_index("等级")["部门（单位）数"]
    for grade in ("优", "良", "中", "差"):
        assert spread[grade] == int((expected["等级"] == grade).sum()) == numbers[
            f"dept_grade_{grade}"]
    assert len(expected) == numbers["dept_units"] == len(
        pd.read_csv(data_path("demo", "departments.csv"), encoding="utf-8-sig"))

    # And against the demo county's files themselves.
    projects = demo_csv["projects_2021"]
    by_type = projects.groupby("预算类型")["项目金额(元)"].agg(["size", "sum"])
    cov = coverage.set_index("预算类型")
    assert cov.loc[by_type.index, "项目数"].tolist() == by_type["size"].tolist()
    assert np.allclose(cov.loc[by_type.index, "资金(元)"], by_type["sum"])
    scope = projects.loc[projects["项目金额(元)"] >= 200_000]
    assert cov.loc[TOTAL, "自评范围"] == len(scope) == numbers["self_scope"]
    with_targets = projects["项目编码"].isin(demo_csv["targets_2021"]["项目编码"])
    units = f"{projects.loc[with_targets, '主管部门'].nunique()}/{projects['主管部门'].nunique()}"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["有绩效目标的单位"] == units
    assert metrics["20万元以上未自评"] == str(numbers["self_unscored"])
    assert metrics["财政重点评价"] == str(numbers["key_count"])
    for label, key in (("事前评估追减", "exante_cut"), ("目标审核调减", "review_cut"),
                       ("监控调减", "monitor_cut"), ("追减一批", "cut_amount"),
                       ("收回一批", "recover_amount")):
        assert float(metrics[label]) == pytest.approx(round(numbers[key] / 1e4, 2)), label
    helps = {m.label: m.proto.help for m in at.metric}
    assert f"建议 {numbers['recover_amount_recommended'] / 1e4:.2f} 万元" in helps["收回一批"]
    assert f"自评范围 {numbers['self_scope']} 个" in helps["20万元以上未自评"]
    assert_tiles_fit(at)

    # Units under monitoring, by hand: departments with spending reported before December.
    spending = demo_csv["spending_2021"]
    watched = projects["项目编码"].isin(spending.loc[spending["截至月份"] < 12, "项目编码"])
    stages = frame(at, "环节", "纳入单位数").set_index(["预算类型", "环节"])
    assert stages.loc[(TOTAL, "双监控"), "纳入单位数"] == projects.loc[watched, "主管部门"].nunique()
    assert stages.loc[(TOTAL, "双监控"), "纳入项目数"] == int(watched.sum())

    # Funds by stage: the run's numbers, then the decisions so far.
    funds = frame(at, "环节", "现行决定·项目数").set_index("环节")
    assert funds.loc["事前评估追减", "本次运行·按决定(元)"] == pytest.approx(numbers["exante_cut"])
    assert funds.loc["收回一批", "本次运行·项目数"] == numbers["recover_count"]
    assert funds.loc["双监控", "现行决定·项目数"] == 0
    with Session(get_engine(url)) as session:
        record_decisions(session, year=2021, stage="monitoring", created_by="王科长",
                         decisions=pd.DataFrame({
                             "project": ["P1", "P2"], "recommendation": ["调整调减"] * 2,
                             "recommended_amount": [1e5, 2e5], "outcome": ["调整调减"] * 2,
                             "amount": [1e5, 5e4], "reason": ["", "已补充支付计划"]}))
    at.run()
    funds = frame(at, "环节", "现行决定·项目数").set_index("环节")
    assert funds.loc["双监控", ["现行决定·项目数", "现行决定·金额(元)"]].tolist() == [2, 150_000.0]
    assert funds.loc["追减一批", "现行决定·项目数"] == 0
    assert funds.loc["事前评估追减", "本次运行·系统建议(元)"] == pytest.approx(
        numbers["exante_cut_recommended"])
    # The run predates the two decisions: the page says so until the year is run again. P1
    # accepts the recommended 100,000 yuan; only P2 (50,000 of 200,000) changes it.
    assert any("2 项决定（其中 1 项改变了建议）" in w.value for w in at.warning)
    at.button(key="dashboard.run").click().run()
    assert not any("项决定" in w.value for w in at.warning)
    with Session(get_engine(url)) as session:
        rerun = list_year_runs(session, year=2021)[0]
    # P1 and P2 are not demo projects: the run lists both decisions as not applied.
    assert rerun.numbers["decisions_unapplied"] == 2


def test_a_second_run_is_listed_first_and_the_english_page_reads_in_english(url, year_run):
    report, _ = year_run
    at = page(url, lang="en")
    at.button(key="dashboard.run").click().run()
    at.button(key="dashboard.run").click().run()
    assert not at.exception
    with Session(get_engine(url)) as session:
        runs = list_year_runs(session, year=2021)
    assert len(runs) == 2 and at.selectbox(key="dashboard.run_id").value == runs[0].id
    assert report["summary_en"] in [m.value for m in at.markdown]
    metrics = {m.label for m in at.metric}
    assert "Units with targets" in metrics and "Key evaluations" in metrics
    assert "Units evaluated" in metrics and "Grade excellent" in metrics
    assert "Not self-evaluated" in metrics and not any("ten-thousand" in m for m in metrics)
    lacking = next(m.proto.help for m in at.metric if m.label == "Not self-evaluated")
    assert "Projects of 200,000 yuan or more" in lacking
    assert_tiles_fit(at)
    english = [b.label_en for b in load_bands("national").bands]
    named = [f"{en} ({zh})" for en, zh in zip(english, ("优", "良", "中", "差"), strict=True)]
    spread = frame(at, "Grade", "Departments")
    assert spread["Grade"].tolist() == named
    # The grade table's headers and the chart's legend name grades in English with the label.
    grades = frame(at, "Department", "Total")
    assert grades.columns.tolist()[1:] == [*named, "Total"]
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["encoding"]["color"]["scale"]["domain"] == named
    # Budget types and the total row of both coverage tables, in English.
    kinds = {"一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算"}
    expected = {catalogue()[f"lifecycle.value.budget.{k}"]["en"] for k in kinds} | {
        catalogue()["dashboard.total_row"]["en"]}
    assert set(frame(at, "Budget", "Share of funds self-evaluated")["Budget"]) == expected
    assert set(frame(at, "Budget", "Stage", "Units under stage")["Budget"]) <= expected
    # Every number's label reads in English; a Chinese label stays only in brackets after it.
    for label in frame(at, "Number", "Value", "Key")["Number"]:
        assert not CJK.search(re.sub(r"\([^)]*\)", "", label)), label
    assert "Assessments concluding reject (不予支持)" in set(
        frame(at, "Number", "Value", "Key")["Number"])
    funds = next(e for e in at.dataframe if "Stage" in " ".join(map(str, e.value.columns)))
    assert funds.proto.placeholder == "—"
    assert_funds_fit(funds)


def test_key_evaluations_say_how_many_came_back_and_grades_count_whole_projects(url):
    from dataclasses import replace

    from scoring.county_year_store import YEAR_KINDS
    from scoring.lifecycle_config import load_lifecycle_config
    from scoring.lifecycle_demo import demo_county_year
    from scoring.lifecycle_run_store import save_year_run
    from scoring.year import run_year

    config = load_lifecycle_config("kaijiang-2021")
    data = demo_county_year(config)
    listed = run_year(data, config).evaluated
    key = listed.loc[listed["is_key"].astype(bool), "project"].tolist()
    # Two of the listed key evaluations came back from closed review rounds.
    data = replace(data, key_results=pd.DataFrame({"project": key[:2], "total": [91.0, 72.5]}))
    with Session(get_engine(url)) as session:
        save_year_run(session, result=run_year(data, config), data=data, source="demo",
                      created_by="王科长", sources=dict.fromkeys(YEAR_KINDS, "demo"))
    at = page(url)
    assert not at.exception and not at.error
    sentence = f"财政重点评价 {len(key)} 个，已有 2 个评审结束"
    assert any(c.value.startswith(sentence) for c in at.caption)
    assert next(m for m in at.metric if m.label == "财政重点评价").proto.help.startswith(sentence)
    assert "重点评价结果（2 个）" in " ".join(c.value for c in at.caption)

    # The chart counts projects by department and grade, in whole projects.
    assert "各部门项目评价等级（项目数）" in [s.value for s in at.subheader]
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    axis = spec["encoding"]["x"]["axis"]
    assert axis["tickMinStep"] == 1 and axis["format"] == "d"
    # Departments run from the highest share of 优+良 down, as the caption under it says,
    # not in character-code order.
    table = frame(at, "主管部门", "合计")
    good = (table["优"] + table["良"]) / table["合计"]
    order = spec["encoding"]["y"]["sort"]
    shares = good.set_axis(table["主管部门"]).loc[order].to_numpy()
    assert (np.diff(shares) <= 1e-12).all() and order != sorted(order)
    assert any("占比从高到低" in c.value for c in at.caption)
    table = frame(at, "主管部门", "合计")
    grades = next(e for e in at.dataframe
                  if {"主管部门", "合计"} <= set(getattr(e.value, "data", e.value).columns))
    shown = grades.proto.arrow_data.styler.display_values.decode("utf-8", "ignore")
    assert ".00" not in shown and str(int(table["合计"].max())) in shown
    assert (table["合计"] == table[["优", "良", "中", "差"]].sum(axis=1)).all()
