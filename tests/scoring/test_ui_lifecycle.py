"""The lifecycle pages, driven through Streamlit's AppTest against a temporary SQLite database.

The database holds the shipped libraries and the demo county's target tables, migrated and
seeded once per module and copied for each test. Expected values are worked by hand (trigger
boundaries, an assessment with every point met) or taken from the demo county's CSV files with
pandas, and every write is checked in the store afterwards.
"""

from __future__ import annotations

import doctest
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import scoring.ui_decisions as decisions_module
import scoring.ui_lifecycle as ui_module
import scoring.ui_lifecycle_application as application_module
import scoring.ui_lifecycle_plan as plan_module
import scoring.ui_lifecycle_results as results_module
import scoring.ui_lifecycle_tables as tables_module
from indicators.database import get_engine
from indicators.frameworks import load_builtin
from indicators.frontdoor import STAFF_ROLES
from indicators.i18n import catalogue
from indicators.resources import data_path
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_decision_store import current_decisions
from scoring.lifecycle_demo import demo_county_year
from scoring.lifecycle_store import current_table, list_imports
from scoring.ui_lifecycle import SECTION, pages
from scoring.ui_lifecycle_results import LIGHT_COLOURS
from scoring.year import run_year
from tests.scoring.pages import database_copy, frame, run_page, seed_database, texts, wang

EXANTE_POINTS = [leaf.code for leaf in load_builtin("national-exante").leaves()]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_database(tmp_path_factory.mktemp("lifecycle-ui") / "seed.sqlite3")


@pytest.fixture
def url(seeded: Path, tmp_path: Path) -> Iterator[str]:
    yield from database_copy(seeded, tmp_path)


def page(url: str, key: str, *, lang: str = "zh", role: str = "finance",
         demo: bool = True) -> AppTest:
    return run_page(url, "scoring.ui_lifecycle", key, wang(role), lang=lang, demo=demo)


def decisions(url: str, stage: str) -> pd.DataFrame:
    with Session(get_engine(url)) as session:
        return current_decisions(session, year=2021, stage=stage)


def edit(at: AppTest, key: str, rows: dict[int, dict]) -> None:
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


# --------------------------------------------------------------------------- registration

def test_pages_are_staff_pages_in_the_lifecycle_section():
    specs = pages()
    assert [s.key for s in specs] == ["lifecycle-exante", "lifecycle-targets",
                                      "lifecycle-monitoring", "lifecycle-application",
                                      "lifecycle-disclosure"]
    for spec in specs:
        assert spec.roles == STAFF_ROLES and spec.section == SECTION and not spec.default
        assert spec.title in catalogue()


def test_the_examples_in_the_docstrings_run():
    for module in (ui_module, plan_module, results_module, application_module,
                   decisions_module, tables_module):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_an_expert_who_reaches_a_page_is_refused(url):
    at = page(url, "lifecycle-monitoring", role="expert")
    assert not at.exception and len(at.error) == 1 and not at.button


# --------------------------------------------------------------------------- 事前评估

REQUESTS = ("项目编码,项目名称,主管部门,申请金额(元),上年金额(元),是否新增,延续年数,是否重点项目\n"
            "N1,新建甲,县教育局,1000000,,是,0,否\n"         # new, exactly 1,000,000: caught
            "N2,新建乙,县教育局,999999.99,,是,0,否\n"       # a fen short: not caught
            "C1,延续甲,县水务局,600000,500000,否,2,否\n"     # exactly 20 % more: caught
            "C2,延续乙,县水务局,5999999,5000000,否,2,否\n"   # 19.99998 % and 999,999: not
            "C3,延续丙,县水务局,11000000,10000000,否,2,否\n"  # exactly 1,000,000 more: caught
            "K1,重点甲,县交通运输局,300000,300000,否,4,是\n"  # key, four years: caught
            "K2,重点乙,县交通运输局,300000,300000,否,3,是\n")  # key, three years: not


def test_a_bad_request_file_names_the_row_and_stores_nothing(url):
    bad = REQUESTS.replace("C2,延续乙,县水务局,5999999", "C2,延续乙,县水务局,五百万")
    at = page(url, "lifecycle-exante", demo=False)
    assert "还没有 2022 年的预算申请" in texts(at, "info")[0]
    at.file_uploader(key="lifecycle.exante.import.file.requests.0").upload(
        "预算申请.csv", bad.encode("gbk"), "text/csv").run()
    assert not at.exception
    assert "未导入任何内容" in texts(at, "error")[0]
    issues = frame(at, "行", "列")
    assert issues[["行", "列"]].values.tolist() == [[5, "申请金额(元)"]]
    assert "五百万" in issues.iloc[0, -1]
    assert not any(b.key == "lifecycle.exante.import.store" for b in at.button)
    with Session(get_engine(url)) as session:
        assert list_imports(session) == []


def test_requests_are_imported_and_each_caught_request_names_its_rule(url):
    at = page(url, "lifecycle-exante", demo=False)
    at.file_uploader(key="lifecycle.exante.import.file.requests.0").upload(
        "预算申请.csv", REQUESTS.encode("gbk"), "text/csv").run()
    assert "7 行" in texts(at, "success")[0]
    at.button(key="lifecycle.exante.import.store").click().run()
    assert not at.exception
    assert any("已导入 7 行" in text for text in texts(at, "success"))
    with Session(get_engine(url)) as session:
        (done,) = list_imports(session, year=2021, kind="requests")
    assert (done.file_name, done.n_rows, done.created_by) == ("预算申请.csv", 7, "王科长")
    listing = frame(at, "项目编码", "触发规则")
    assert dict(listing[["项目编码", "触发规则"]].values.tolist()) == {
        "N1": "新增项目金额≥100万元", "C1": "延续项目增幅≥20%", "C3": "延续项目增加≥100万元",
        "K1": "重点项目延续3年以上"}
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["预算申请"], metrics["需事前评估"]) == ("7", "4")


def test_an_assessment_is_scored_and_a_changed_decision_needs_a_reason(url):
    at = page(url, "lifecycle-exante")
    project = at.selectbox(key="lifecycle.exante.project").value
    for code in EXANTE_POINTS:
        at.selectbox(key=f"lifecycle.exante.level.{project}.{code}").set_value("达成")
    at.run()
    # Twenty points of 5, each met: the middle of the 80–100 % band, 4.5 points, 90 in all.
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["评估得分"], metrics["建议结论"], metrics["建议追减（万元）"]) == (
        "90.00", "支持", "0.00")
    request = float(frame(at, "项目编码", "触发规则").set_index("项目编码").loc[project, "金额(元)"])
    at.radio[0].set_value("不予支持")
    suffix = f"{project}.支持.0.00.0"  # recommendation, its cut, no decision in force yet
    at.number_input(key=f"lifecycle.exante.amount.{suffix}").set_value(request)
    at.button(key="lifecycle.exante.decide").click().run()
    # A one-project form names the project, not "row 1" and an internal column name.
    assert texts(at, "error") == [f"项目 {project}：改变了建议，但没有填写理由"]
    assert decisions(url, "exante").empty
    with Session(get_engine(url)) as session:
        assert current_table(session, year=2021, kind="exante_sheets") is None

    at.text_input(key=f"lifecycle.exante.reason.{suffix}").input("与已有项目重复").run()
    at.button(key="lifecycle.exante.decide").click().run()
    assert not at.exception and not at.error
    (row,) = decisions(url, "exante").to_dict("records")
    assert (row["project"], row["recommendation"], row["outcome"], row["changed"]) == (
        project, "支持", "不予支持", True)
    assert (row["recommended_amount"], row["amount"], row["reason"]) == (0.0, request,
                                                                         "与已有项目重复")
    assert row["detail"]["total"] == 90.0 and row["detail"]["approved_amount"] == 0.0
    with Session(get_engine(url)) as session:
        sheet = current_table(session, year=2021, kind="exante_sheets")
    assert len(sheet) == 20 and set(sheet["project"]) == {project}
    assert set(sheet["level"]) == {"达成"}
    assert frame(at, "项目编码", "触发规则").set_index("项目编码").loc[project, "决定"] == "不予支持"
    assert any("已记录" in toast for toast in texts(at, "toast"))


def test_the_assessment_form_starts_at_the_decision_in_force(url):
    at = page(url, "lifecycle-exante")
    project = at.selectbox(key="lifecycle.exante.project").value
    recommended = {m.label: m.value for m in at.metric}["建议结论"]
    request = float(frame(at, "项目编码", "触发规则").set_index("项目编码").loc[project, "金额(元)"])
    other = next(o for o in ("支持", "调整后支持", "不予支持") if o != recommended)
    at.radio[0].set_value(other)
    at.number_input(key=at.number_input[-1].key).set_value(request / 2)
    at.text_input(key=at.text_input[0].key).input("规模过大，压缩一半").run()
    at.button(key="lifecycle.exante.decide").click().run()
    assert not at.error
    # A new session (another day, another browser) opens the same project.
    again = page(url, "lifecycle-exante")
    assert again.selectbox(key="lifecycle.exante.project").value == project
    assert again.radio[0].value == other
    assert again.number_input[-1].value == request / 2
    assert again.text_input[0].value == "规模过大，压缩一半"
    (note,) = [t for t in texts(again, "info") if t.startswith("已记录的决定")]
    assert f"{other}，追减 {request / 2:,.2f} 元，由 王科长 于" in note
    # Recording the untouched form stores nothing new: the decision stays as it was.
    again.button(key="lifecycle.exante.decide").click().run()
    assert not again.error
    (row,) = decisions(url, "exante").to_dict("records")
    assert (row["outcome"], row["amount"], row["n_versions"]) == (other, request / 2, 1)


# --------------------------------------------------------------------------- 目标审核

def test_dismissed_findings_cost_nothing_once_a_reason_is_given(url):
    at = page(url, "lifecycle-targets")
    assert not at.exception
    project = at.selectbox(key="lifecycle.targets.project").value
    key = f"lifecycle.targets.findings.{project}"
    findings = at.data_editor(key=f"{key}.editor").value
    before = frame(at, "项目编码", "审核得分").set_index("项目编码").loc[project, "审核得分"]
    assert before < 100
    edit(at, f"{key}.editor", {i: {"outcome": "驳回"} for i in range(len(findings))})
    at.button(key=f"{key}.record").click().run()
    assert any("没有填写理由" in text for text in texts(at, "error"))
    assert decisions(url, "target_finding").empty
    edit(at, f"{key}.editor", {i: {"outcome": "驳回", "reason": "指标名称已按库内规范填写"}
                               for i in range(len(findings))})
    at.button(key=f"{key}.record").click().run()
    assert not at.exception and not at.error
    stored = decisions(url, "target_finding")
    assert len(stored) == len(findings) and stored["changed"].all()
    # With every finding dismissed nothing is deducted: 100 points, the top grade.
    review = frame(at, "项目编码", "审核得分").set_index("项目编码").loc[project]
    assert (review["审核得分"], review["等级"], review["问题数"]) == (100.0, "通过", 0)


# --------------------------------------------------------------------------- 双监控

def test_lights_follow_the_local_rule_and_decisions_are_recorded(url):
    at = page(url, "lifecycle-monitoring")
    assert not at.exception
    assert at.selectbox(key="lifecycle.monitoring.month").value == 9
    # The execution light by hand from the demo files: (spent/budget)/(9/12) × 100.
    projects = pd.read_csv(data_path("demo", "projects_2021.csv"), encoding="utf-8-sig")
    spending = pd.read_csv(data_path("demo", "spending_2021.csv"), encoding="utf-8-sig")
    sept = spending.loc[spending["截至月份"] == 9].set_index("项目编码")["累计支出(元)"]
    budget = projects.set_index("项目编码")["项目金额(元)"]
    ratio = np.round(sept.reindex(budget.index).fillna(0.0) / budget * 1200 / 9, 9)
    expected = np.select([ratio < 60, ratio < 80], ["红灯", "黄灯"], "绿灯")
    table = frame(at, "项目编码", "执行灯").set_index("项目编码")
    assert table.loc[budget.index, "执行灯"].tolist() == expected.tolist()
    # The cuts tile reads in 万元 with two decimals, short enough for its column; with
    # nothing decided the figure as decided is the rules' own.
    cut = float(frame(at, "项目编码", "执行灯")["建议调减(元)"].sum())
    (tile,) = [m for m in at.metric if m.label == "调减（万元）"]
    assert tile.value.count(".") == 1 and len(tile.value.split(".")[1]) == 2
    assert float(tile.value) == pytest.approx(cut / 1e4, abs=0.006)
    assert tile.delta == f"建议 {tile.value}"

    editor = "lifecycle.monitoring.decisions.editor"
    flagged = at.data_editor(key=editor).value
    assert len(flagged) == int((table["分类处置"] != "正常").sum())
    # Nothing changed: nothing to record; accepting the rest is the one-click way.
    assert at.button(key="lifecycle.monitoring.decisions.record").disabled
    at.button(key="lifecycle.monitoring.decisions.accept").click().run()
    stored = decisions(url, "monitoring")
    assert len(stored) == len(flagged) and not stored["changed"].any()
    assert set(stored["detail"].map(lambda d: (d["month"], d["rule_set"]))) == {(9, "lights")}

    edit(at, editor, {0: {"outcome": "正常", "decided_amount": 0.0}})
    at.button(key="lifecycle.monitoring.decisions.record").click().run()
    assert texts(at, "error") == [f"项目 {flagged['project'].iloc[0]}：改变了建议，但没有填写理由"]
    edit(at, editor, {0: {"outcome": "正常", "decided_amount": 0.0, "reason": "资金已拨付到位"}})
    at.button(key="lifecycle.monitoring.decisions.record").click().run()
    assert not at.error
    stored = decisions(url, "monitoring").set_index("project")
    first = stored.loc[flagged["project"].iloc[0]]
    assert (first["outcome"], first["changed"], first["n_versions"]) == ("正常", True, 2)
    assert int(stored["changed"].sum()) == 1


def test_only_adjust_or_cut_may_carry_an_amount_at_monitoring(url):
    at = page(url, "lifecycle-monitoring")
    editor = "lifecycle.monitoring.decisions.editor"
    flagged = at.data_editor(key=editor).value
    project = flagged["project"].iloc[0]
    edit(at, editor, {0: {"outcome": "督促加快", "decided_amount": 50_000.0,
                          "reason": "四季度集中支付"}})
    at.button(key="lifecycle.monitoring.decisions.record").click().run()
    (message,) = texts(at, "error")
    assert message.startswith(f"项目 {project}：决定为“督促加快”，但决定金额大于 0")
    assert "只有“调整调减”调减资金" in message
    assert decisions(url, "monitoring").empty
    # In English the same refusal, in English.
    en = page(url, "lifecycle-monitoring", lang="en")
    edit(en, editor, {0: {"outcome": "speed up", "decided_amount": 50_000.0, "reason": "x"}})
    en.button(key="lifecycle.monitoring.decisions.record").click().run()
    assert texts(en, "error")[0].startswith(f"Project {project}: decided “speed up”")
    assert decisions(url, "monitoring").empty
    # The same row with no amount is recorded.
    edit(at, editor, {0: {"outcome": "督促加快", "decided_amount": 0.0, "reason": "四季度集中支付"}})
    at.button(key="lifecycle.monitoring.decisions.record").click().run()
    assert not at.error
    assert decisions(url, "monitoring").set_index("project").loc[project, "outcome"] == "督促加快"


def _styled_rows(styles: str, colour: str) -> set[int]:
    """Rows of a styled table whose cells carry this background colour (from Styler's CSS)."""
    rows = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", styles):
        if colour in body:
            rows |= {int(n) for n in re.findall(r"_row(\d+)_col", selectors)}
    return rows


def test_decision_tables_put_the_decision_first_and_give_the_reason_room(url):
    mon = page(url, "lifecycle-monitoring")
    element = mon.data_editor(key="lifecycle.monitoring.decisions.editor")
    shown = element.value
    assert shown.columns.tolist()[:7] == ["project", "name", "recommendation",
                                          "recommended_amount", "outcome", "decided_amount",
                                          "reason"]
    assert json.loads(element.proto.columns)["reason"]["width"] == "large"
    # Each light cell is painted in its light's colour, as in the table above it.
    for light, colour in LIGHT_COLOURS.items():
        expected = set(np.flatnonzero((shown["light"] == light).to_numpy()))
        assert _styled_rows(element.proto.arrow_data.styler.styles, colour) == expected
    assert set(shown["light"]) <= set(LIGHT_COLOURS)

    app = page(url, "lifecycle-application")
    element = app.data_editor(key="lifecycle.application.editor")
    assert element.value.columns.tolist()[:10] == [
        "project", "name", "action", "recommended_amount", "cut", "recommended_recover",
        "recover", "recommended_rework", "rework", "reason"]
    assert json.loads(element.proto.columns)["reason"]["width"] == "large"


# --------------------------------------------------------------------------- 结果应用, 信息公开

def test_result_application_records_changes_with_reasons_and_exports(url):
    at = page(url, "lifecycle-application")
    assert not at.exception
    editor = "lifecycle.application.editor"
    table = at.data_editor(key=editor).value
    cut_row = int(np.flatnonzero(table["cut"].to_numpy() > 0)[0])
    batches = frame(at, "批次", "按决定计金额(元)").set_index("批次")
    recommended_cut = batches.loc["追减", "金额(元)"]
    assert batches.loc["追减", "按决定计金额(元)"] == recommended_cut
    edit(at, editor, {cut_row: {"cut": 0.0}})
    at.button(key="lifecycle.application.record").click().run()
    assert texts(at, "error") == [
        f"项目 {table['project'].iloc[cut_row]}：改变了建议，但没有填写理由"]
    assert decisions(url, "application").empty
    edit(at, editor, {cut_row: {"cut": 0.0, "reason": "政策刚性支出，经预算会议研究保留"}})
    at.button(key="lifecycle.application.record").click().run()
    assert not at.exception and not at.error
    stored = decisions(url, "application").set_index("project")
    # Only the row changed is recorded; the others stay undecided.
    assert len(stored) == 1 and int(stored["changed"].sum()) == 1
    changed = stored.loc[table["project"].iloc[cut_row]]
    assert (changed["amount"], changed["recommended_amount"]) == (0.0, table["cut"].iloc[cut_row])
    batches = frame(at, "批次", "按决定计金额(元)").set_index("批次")
    assert batches.loc["追减", "按决定计金额(元)"] == pytest.approx(
        recommended_cut - table["cut"].iloc[cut_row])
    assert at.get("download_button")
    assert any("已记录" in toast for toast in texts(at, "toast"))


def test_result_application_keeps_the_recommendation_beside_a_recorded_decision(url):
    # The kernel's recommendations, computed apart from the page: the demo year, no decisions.
    config = load_lifecycle_config("kaijiang-2021")
    kernel = run_year(demo_county_year(config), config).application
    expected = kernel.projects.set_index("project")
    at = page(url, "lifecycle-application")
    editor = "lifecycle.application.editor"
    table = at.data_editor(key=editor).value
    row = int(np.flatnonzero(table["recommended_amount"].to_numpy() > 0)[0])
    project = table["project"].iloc[row]
    kernel_cut = float(expected.loc[project, "cut"])
    assert table["recommended_amount"].iloc[row] == kernel_cut
    edit(at, editor, {row: {"cut": kernel_cut / 2, "reason": "经预算会议研究减半追减"}})
    at.button(key="lifecycle.application.record").click().run()
    assert not at.error
    # Drawn afresh from the stored decision (a new session): recommendation and decision apart.
    again = page(url, "lifecycle-application")
    shown = again.data_editor(key=editor).value.set_index("project")
    assert shown.loc[project, "recommended_amount"] == kernel_cut
    assert shown.loc[project, "cut"] == kernel_cut / 2
    assert shown.loc[project, "reason"] == "经预算会议研究减半追减"
    assert (shown["recommended_amount"] == expected.loc[shown.index, "cut"]).all()
    batches = frame(again, "批次", "按决定计金额(元)").set_index("批次")
    assert batches.loc["追减", "金额(元)"] == pytest.approx(float(expected["cut"].sum()))
    assert batches.loc["追减", "按决定计金额(元)"] == pytest.approx(
        float(expected["cut"].sum()) - kernel_cut / 2)
    stored = decisions(url, "application").set_index("project").loc[project]
    assert (stored["recommended_amount"], stored["amount"]) == (kernel_cut, kernel_cut / 2)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", ["lifecycle-exante", "lifecycle-targets", "lifecycle-monitoring",
                                 "lifecycle-application", "lifecycle-disclosure"])
def test_every_table_shows_a_dash_where_a_value_is_missing(url, key, lang):
    at = page(url, key, lang=lang)
    assert not at.exception
    elements = [*at.dataframe, *at.data_editor]
    assert elements
    # Streamlit prints "None" in an empty cell unless the table names its placeholder.
    assert {element.proto.placeholder for element in elements} == {"—"}


def test_the_ex_ante_listing_has_empty_cells_to_show(url):
    # The dash matters: new projects have no previous amount, undecided ones no decided cut.
    listing = frame(page(url, "lifecycle-exante"), "项目编码", "触发规则")
    assert listing["上年金额(元)"].isna().any() and listing["决定追减(元)"].isna().all()


def test_disclosure_shows_yuan_with_separators_and_categories_in_english(url):
    zh = page(url, "lifecycle-disclosure")
    (own,) = [d for d in zh.dataframe if "自评得分" in d.value.columns]
    config = json.loads(own.proto.columns)
    for header in ("预算数(元)", "执行数(元)"):
        assert config[header]["type_config"]["format"] == "localized"
    assert config["自评得分"]["type_config"]["format"] == "%.2f"
    targets_zh = frame(zh, "一级指标")
    assert set(targets_zh["一级指标"]) <= {"产出指标", "成本指标", "效益指标", "满意度指标"}
    en = page(url, "lifecycle-disclosure", lang="en")
    targets_en = frame(en, "Level-1 indicator")
    # Row by row, each category as the catalogue names it in English.
    names = {k.rsplit(".", 1)[1]: v["en"] for k, v in catalogue().items()
             if k.startswith("lifecycle.value.category.")}
    for zh_column, en_column in (("一级指标", "Level-1 indicator"),
                                 ("二级指标", "Level-2 indicator")):
        assert set(targets_zh[zh_column]) <= set(names)
        assert targets_en[en_column].tolist() == targets_zh[zh_column].map(names).tolist()
    assert names["产出指标"] == "output indicators"


def test_disclosure_tables_hold_only_public_columns(url):
    at = page(url, "lifecycle-disclosure")
    assert not at.exception
    own = frame(at, "自评得分")
    assert own.columns.tolist() == ["项目编码", "项目名称", "主管部门", "预算类型", "预算数(元)",
                                    "执行数(元)", "预算执行率(%)", "自评得分", "评价等级"]
    projects = pd.read_csv(data_path("demo", "projects_2021.csv"), encoding="utf-8-sig")
    assert len(own) == int((projects["项目金额(元)"] >= 200_000).sum())
    assert len(at.get("download_button")) == 4
