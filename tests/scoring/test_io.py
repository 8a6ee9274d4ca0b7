"""Tests of scoring.io: the scoring workbook a bureau fills in and the result workbook it hands on."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from indicators.errors import InputError, ValidationError
from indicators.frameworks import load_builtin
from indicators.io_targets import write_target_tables
from indicators.model import Project, Target, TargetTable
from scoring.io import (
    GRADE_COLOURS,
    SPENDING_SHEET,
    read_scoring_workbook,
    result_workbook_bytes,
    write_result_workbook,
    write_scoring_workbook,
)
from scoring.targets import score_target_tables

NATIONAL = load_builtin("national-target")


def tables() -> list[TargetTable]:
    out = []
    for code, department, budget_type, amount in (
            ("P1", "县交通运输局", "一般公共预算", 1_000_000.0),
            ("P2", "县交通运输局", "政府性基金预算", 400_000.0),
            ("P3", "县教育局", "一般公共预算", 250_000.0)):
        p = Project(code, f"{code} 项目", department, budget_type, amount, 2021)
        out.append(TargetTable(p, (
            Target(code, "A", "养护里程", "产出指标", "数量指标", "≥", 50, 120.0, unit="公里"),
            Target(code, "B", "单位成本", "产出指标", "成本指标", "≤", 10, 800.0, unit="元"),
            Target(code, "C", "群众满意度", "满意度指标", "服务对象满意度指标", "定性", 30,
                   target_text="达成年度指标"),
        )))
    return out


def actuals() -> pd.DataFrame:
    return pd.DataFrame({
        "project": ["P1", "P1", "P1", "P2", "P2", "P2", "P3", "P3"],
        "indicator": ["A", "B", "C", "A", "B", "C", "A", "C"],
        "actual": [120.0, 700.0, None, 60.0, 1000.0, None, 30.0, None],
        "level": [None, None, "达成", None, None, "部分达成", None, "未达成"],
        "manual_score": [np.nan, np.nan, 28.5, np.nan, np.nan, np.nan, np.nan, np.nan],
    })


def spending() -> pd.DataFrame:
    return pd.DataFrame({"project": ["P1", "P2", "P3"], "budget": [1_000_000.0, None, 200_000.0],
                         "spent": [950_000.0, 100_000.0, 200_000.0]})


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "评分.xlsx"
    write_scoring_workbook(tables(), path, actuals=actuals(), spending=spending())
    return path


def edit(path: Path, sheet: str, cell: str, value) -> None:
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = value
    book.save(path)


def header_column(path: Path, sheet: str, header: str) -> str:
    row = next(openpyxl.load_workbook(path)[sheet].iter_rows(min_row=1, max_row=1))
    return next(c.column_letter for c in row if c.value == header)


def test_round_trip(workbook: Path):
    got = read_scoring_workbook(workbook)
    assert list(got.tables) == tables() and got.file == "评分.xlsx"
    # One row per target; a target without a fact (P3 B) reads as blank.
    read = got.actuals.set_index(["project", "indicator"])
    assert len(read) == 9 and np.isnan(read.loc[("P3", "B"), "actual"])
    def same(a, b) -> bool:
        return bool(pd.isna(a) and pd.isna(b)) or a == b

    for row in actuals().itertuples(index=False):
        back = read.loc[(row.project, row.indicator)]
        assert same(back["actual"], row.actual) and same(back["level"], row.level)
        assert same(back["manual_score"], row.manual_score)
    # A blank budget is written out as the project's amount.
    assert got.spending["budget"].tolist() == [1_000_000.0, 400_000.0, 200_000.0]
    assert got.spending["spent"].tolist() == [950_000.0, 100_000.0, 200_000.0]


def test_template_leaves_facts_blank_and_names_them_when_read(tmp_path: Path):
    path = tmp_path / "template.xlsx"
    write_scoring_workbook(tables(), path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["项目", "绩效目标", SPENDING_SHEET]
    money = list(book[SPENDING_SHEET].iter_rows(values_only=True))
    assert money[0] == ("项目编码", "项目名称", "预算金额(元)", "实际支出(元)")
    assert money[1] == ("P1", "P1 项目", 1_000_000, None)
    with pytest.raises(ValidationError) as err:
        read_scoring_workbook(path)
    where = err.value.issues[0].location
    assert (where.sheet, where.row, where.column) == (SPENDING_SHEET, 2, "实际支出(元)")


def test_values_as_bureaus_type_them(workbook: Path):
    col = header_column(workbook, "绩效目标", "实际值")
    edit(workbook, "绩效目标", f"{col}2", "125公里")    # P1 A, unit 公里
    edit(workbook, "绩效目标", f"{col}3", "700元")
    edit(workbook, "绩效目标", f"{col}5", "60%")        # a percent sign on a number
    level_col = header_column(workbook, "绩效目标", "定性结论")
    edit(workbook, "绩效目标", f"{level_col}7", None)
    edit(workbook, "绩效目标", f"{col}7", "部分达成年度指标")
    got = read_scoring_workbook(workbook).actuals.set_index(["project", "indicator"])
    assert got.loc[("P1", "A"), "actual"] == 125.0 and got.loc[("P1", "B"), "actual"] == 700.0
    assert got.loc[("P2", "A"), "actual"] == 60.0
    # A conclusion written into 实际值 on a 定性 row is read as the conclusion.
    assert got.loc[("P2", "C"), "level"] == "部分达成年度指标"
    assert np.isnan(got.loc[("P2", "C"), "actual"])


def test_every_bad_cell_is_named(workbook: Path):
    col = header_column(workbook, "绩效目标", "实际值")
    level_col = header_column(workbook, "绩效目标", "定性结论")
    edit(workbook, "绩效目标", f"{col}3", "大约七百")
    edit(workbook, "绩效目标", f"{level_col}4", "还行")
    edit(workbook, SPENDING_SHEET, "A4", "P9")
    edit(workbook, SPENDING_SHEET, "C3", 0)
    with pytest.raises(ValidationError) as err:
        read_scoring_workbook(workbook)
    found = {(i.location.sheet, i.location.row, i.location.column): i for i in err.value.issues}
    assert ("绩效目标", 3, "实际值") in found and "大约七百" in found[("绩效目标", 3, "实际值")].zh
    assert ("绩效目标", 4, "定性结论") in found
    assert "还行" in found[("绩效目标", 4, "定性结论")].en
    assert (SPENDING_SHEET, 4, "项目编码") in found
    assert (SPENDING_SHEET, 3, "预算金额(元)") in found
    assert all(i.location.file == "评分.xlsx" for i in err.value.issues)


def test_missing_sheet_and_wrong_format(tmp_path: Path):
    path = tmp_path / "targets.xlsx"
    write_target_tables(tables(), path)
    with pytest.raises(ValidationError) as err:
        read_scoring_workbook(path)
    assert err.value.issues[0].location.column == "实际值"
    book = openpyxl.load_workbook(path)
    book["绩效目标"].cell(1, book["绩效目标"].max_column + 1, "实际值")
    book.save(path)
    with pytest.raises(ValidationError) as missing:
        read_scoring_workbook(path)
    issue = missing.value.issues[0]
    assert issue.location.sheet == SPENDING_SHEET and "预算执行" in issue.zh
    csv = tmp_path / "targets.csv"
    write_target_tables(tables(), csv)
    with pytest.raises(InputError, match=".xlsx"):
        read_scoring_workbook(csv)


def test_an_upload_reads_like_a_file(workbook: Path):
    got = read_scoring_workbook(io.BytesIO(workbook.read_bytes()), name="上传.xlsx")
    assert got.file == "上传.xlsx" and len(got.tables) == 3


def scored():
    return score_target_tables(tables(), NATIONAL, actuals=actuals(), spending=spending())


def test_result_workbook(tmp_path: Path):
    result = scored()
    path = tmp_path / "结果.xlsx"
    write_result_workbook(result, tables(), path, created_by="王科长")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["项目得分", "分级小计", "指标得分", "部门汇总", "预算类型汇总", "评分说明"]
    projects = sheets["项目得分"].set_index("项目编码")
    # P1: A 50 (120 ≥ 120); B ≤ 700 ≤ 800 → 10; C 达成 with manual 28.5 → 28.5; budget 9.5.
    assert projects.loc["P1", "总分"] == pytest.approx(98.0) and projects.loc["P1", "等级"] == "优"
    # P3: A 50 × 30/120 = 12.5; B has no actual → 0; C 未达成 30 % → 9; budget 10 → 31.5.
    assert projects.loc["P3", "总分"] == pytest.approx(31.5) and projects.loc["P3", "缺失实际值数"] == 1
    assert projects.loc["P1", "产出指标得分"] == pytest.approx(60.0)
    assert list(projects.columns[:4]) == ["项目名称", "主管部门", "预算类型", "项目金额(元)"]
    indicators = sheets["指标得分"]
    assert len(indicators) == 9
    missing = indicators[indicators["实际值缺失"] == "是"]
    assert missing[["项目编码", "指标编码"]].values.tolist() == [["P3", "B"]]
    departments = sheets["部门汇总"].set_index("主管部门")
    assert departments.loc["县交通运输局", "项目数"] == 2
    assert departments[["优", "良", "中", "差"]].to_numpy().sum() == 3
    by_budget = sheets["预算类型汇总"].set_index("预算类型")
    assert by_budget.loc["一般公共预算", "项目数"] == 2
    about = dict(sheets["评分说明"].values.tolist())
    assert about["指标库版本 library version"] == "national-target@1.0.0"
    assert about["评分人 scored by"] == "王科长" and "优 ≥ 90" in about["等级划分 bands"]
    book = openpyxl.load_workbook(path)
    grade_cell = next(c for c in book["项目得分"][2] if c.value in GRADE_COLOURS)
    assert grade_cell.fill.fgColor.rgb.lower().endswith(GRADE_COLOURS[grade_cell.value].lstrip("#"))


def test_result_workbook_bytes_opens():
    data = result_workbook_bytes(scored(), tables())
    assert pd.read_excel(io.BytesIO(data), sheet_name="项目得分").shape[0] == 3
