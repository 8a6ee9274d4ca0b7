"""Locating a table in a sheet and converting its columns, with every bad cell logged."""

from __future__ import annotations

import pandas as pd
import pytest

from indicators.errors import InputError, ValidationError
from indicators.io_files import Grid
from indicators.io_sheets import (
    Column,
    IssueLog,
    Table,
    bool_column,
    canonical_header,
    locate_table,
    number_column,
    parse_choice,
    text_column,
)

COLUMNS = [Column("一级指标", fill_merged=True), Column("权重", aliases=("分值",)),
           Column("项目金额(元)"), Column("指标编码", required=False)]


def table_of(values: dict[str, list], start: int = 2) -> Table:
    index = range(start, start + len(next(iter(values.values()))))
    return Table("a.xlsx", "s", 1, pd.DataFrame(values, index=index, dtype=object))


def test_canonical_header_folds_width_and_spaces():
    assert canonical_header("　项目金额（元） ") == canonical_header("项目金额(元)")
    assert canonical_header(" Field ") == "field"


def test_header_found_below_a_title_with_aliases_and_units():
    grid = Grid("a.xlsx", "s", (
        ("2021 年指标库", None, None),
        (" 一级 指标", "分值（分）", "项目金额"),
        ("产出", 10, "1,000"),
        (None, None, None),
        (None, 20, 5),
    ), merged={(5, 1): "产出"})
    log = IssueLog("a.xlsx")
    table = locate_table(grid, COLUMNS, log)
    assert len(log) == 0 and table.header_row == 2
    # the blank row 4 is dropped; row 5 takes 一级指标 from its merged range
    assert list(table.frame.index) == [3, 5]
    assert table.frame.loc[5, "一级指标"] == "产出"
    assert table.frame["指标编码"].isna().all()


def test_missing_and_duplicated_columns_are_all_logged():
    grid = Grid("a.xlsx", "s", (("一级指标", "权值", "一级指标", "备注"), ("产出", 1, "x", "")))
    log = IssueLog("a.xlsx")
    assert locate_table(grid, COLUMNS, log) is None
    codes = {(i.code, i.location.column) for i in log.issues}
    assert codes == {("duplicate_column", "一级指标"), ("missing_column", "权重"),
                     ("missing_column", "项目金额(元)")}
    weight = next(i for i in log.issues if i.location.column == "权重")
    assert "'权值' 是否应为 '权重'" in weight.zh and "Did you mean '权重'" in weight.en
    assert "备注" in weight.zh


def test_number_column_reports_each_bad_cell():
    table = table_of({"x": [" １２ ", "1,000元", "abc", None, True, "2.5", "-3"]})
    log = IssueLog("a.xlsx")
    values = number_column(table, "x", log, integer=True, required=True, minimum=0,
                           suffixes=("元",))
    assert values.tolist() == [12, 1000, None, None, None, None, None]
    found = [(i.code, i.location.row) for i in log.issues]
    assert found == [("not_a_number", 4), ("empty_cell", 5), ("not_a_number", 6),
                     ("not_an_integer", 7), ("below_minimum", 8)]


def test_text_and_bool_columns():
    table = table_of({"t": ["a", None, 3.0], "b": ["是", "N", None]})
    log = IssueLog("a.xlsx")
    assert text_column(table, "t", log, required=True).tolist() == ["a", "", "3"]
    assert bool_column(table, "b", log).tolist() == [True, False, False]
    assert [(i.code, i.location.row) for i in log.issues] == [("empty_cell", 3)]


def test_issue_log_caps_and_raises_everything_sorted():
    log = IssueLog("a.xlsx", cap=3)
    for row in (9, 2, 5, 7):
        log.add("x", "错", "wrong", sheet="s", row=row)
    try:
        log.raise_if_any()
    except ValidationError as exc:
        assert [i.location.row for i in exc.issues[:3]] == [2, 5, 9]
        assert exc.issues[-1].code == "too_many_issues"
        assert exc.location.file == "a.xlsx"
    else:
        raise AssertionError("the log should raise")


def test_parse_choice_accepts_other_spellings_and_lists_the_values_it_refuses():
    from indicators.model import BudgetType

    def budget_type(text: str) -> BudgetType:
        return parse_choice(text, BudgetType, ("预算类型", "budget type"),
                            spellings=lambda key: (key, key + "预算"))

    assert budget_type("一般公共预算") is BudgetType.GENERAL
    assert budget_type("政府性基金") is BudgetType.FUND
    assert budget_type("　一般公共 ") is BudgetType.GENERAL  # full-width space folded
    with pytest.raises(InputError) as caught:
        budget_type("专项资金")
    assert caught.value.zh.startswith("未知的预算类型 '专项资金'")
    assert "一般公共预算、政府性基金预算" in caught.value.zh
    assert caught.value.en.startswith("unknown budget type '专项资金'; expected one of")
