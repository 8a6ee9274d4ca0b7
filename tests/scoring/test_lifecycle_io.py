"""Tests of reading lifecycle tables from bureau files and writing workbooks (scoring/lifecycle_io.py)."""

from __future__ import annotations

import doctest

import openpyxl
import pandas as pd
import pytest

import scoring.lifecycle_io as io_module
from indicators.errors import InputError, ValidationError
from indicators.io_files import read_workbook_grids
from indicators.resources import data_path
from scoring.lifecycle_io import SPECS, from_headers, read_table, write_sheets


def test_every_demo_file_reads_clean_and_keeps_spreadsheet_rows():
    for kind, name in (("projects", "projects_2021.csv"), ("targets", "targets_2021.csv"),
                       ("actuals", "actuals_2021.csv"), ("spending", "spending_2021.csv"),
                       ("requests", "requests_2022.csv")):
        frame = read_table(data_path("demo", name), kind)
        raw = pd.read_csv(data_path("demo", name), encoding="utf-8-sig")
        assert len(frame) == len(raw)
        assert frame.index[0] == 2 and frame.index.name == "row"
        assert {f.name for f in SPECS[kind].fields} <= set(frame.columns)


def test_every_bad_cell_is_listed_with_row_and_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("项目编码,申请金额(元),上年金额(元),是否新增,延续年数\n"
                    "A,1000,900,否,1.5\nB,abc,900,也许,2\nA,5,,否,1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_table(path, "requests")
    places = {(i.location.row, i.location.column, i.code) for i in err.value.issues}
    assert places == {(2, "延续年数", "not_an_integer"), (3, "申请金额(元)", "not_a_number"),
                      (3, "是否新增", "bad_value"), (4, "项目编码", "duplicate_row"),
                      (4, "上年金额(元)", "missing_previous")}


def test_headers_with_units_spaces_and_a_title_row_are_found(tmp_path):
    path = tmp_path / "r.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["2022年部门预算项目申请表"])
    book.active.append(["项目编码", "申请金额", " 是否新增 ", "延续年数", "备注"])
    book.active.append(["A", "1,200,000元", "是", None, "自填"])
    book.save(path)
    frame = read_table(path, "requests")
    assert frame[["project", "amount", "is_new", "years_running"]].values.tolist() == [
        ["A", 1_200_000.0, True, 0]]
    assert frame.index.tolist() == [3]


def test_unknown_kind_and_missing_file_are_refused(tmp_path):
    with pytest.raises(InputError):
        read_table(tmp_path / "r.csv", "nothing")
    with pytest.raises(InputError):
        read_table(tmp_path / "absent.csv", "requests")


def test_from_headers_renames_and_fills_defaults():
    frame = pd.DataFrame({"项目编码": ["A"], "申请金额(元)": ["12"], "是否新增": [True]})
    out = from_headers(frame, "requests")
    assert out[["project", "amount", "is_new", "years_running"]].values.tolist() == [
        ["A", 12, True, 0]]
    with pytest.raises(InputError) as err:
        from_headers(frame.drop(columns="是否新增"), "requests")
    assert err.value.location.column == "是否新增"


def test_written_workbook_reads_back(tmp_path):
    frame = pd.DataFrame({"项目": ["A", "B"], "金额": [1.5, None], "通过": [True, False],
                          "指标值": ["=0", "≥95"]})
    out = write_sheets(tmp_path / "a.xlsx", [("工作表" * 12, frame)])
    grid = next(iter(read_workbook_grids(out).values()))
    assert grid.rows == (("项目", "金额", "通过", "指标值"), ("A", 1.5, "是", "=0"),
                         ("B", None, "否", "≥95"))
    assert len(grid.sheet) == 31


def test_docstring_examples_run():
    assert doctest.testmod(io_module).failed == 0
