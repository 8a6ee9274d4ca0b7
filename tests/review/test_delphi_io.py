"""Round workbooks in, paper tables and feedback out (review/delphi_io.py)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import review.delphi_io as io_module
from indicators.errors import InputError
from review.delphi import round_statistics
from review.delphi_io import read_round_workbook, write_feedback, write_paper_tables
from review.delphi_screen import group_feedback, paper_tables, screen

WIDE = pd.DataFrame({"专家": ["E1", "E2", "E3", "E4"], "A1": [5, 4, 5, None],
                     "A2": [3, 4, 2, None], "B1": [4, 5, 5, None]})
EXPERTS = pd.DataFrame({"专家编号": ["E1", "E2", "E3", "E4"], "性别": ["男", "女", "男", "女"],
                        "理论分析": ["大", "中", "小", "大"], "实践经验": ["大", "大", "中", "大"],
                        "参考国内外文献": ["中", "中", "小", "小"], "直觉": ["小", "小", "小", "小"],
                        "熟悉程度": ["很熟悉", "熟悉", "一般", "熟悉"]})
INDICATORS = pd.DataFrame({"指标": ["A1", "A2", "B1"], "指标名称": ["甲", "乙", "丙"],
                           "一级指标": ["决策", "决策", "过程"]})


def write(path, **sheets):
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_wide_workbook_with_expert_and_indicator_sheets(tmp_path):
    path = write(tmp_path / "r.xlsx", 评分=WIDE, 专家=EXPERTS, 指标=INDICATORS)
    book = read_round_workbook(path)
    assert list(book.ratings.index) == ["E1", "E2", "E3", "E4"]
    assert book.ratings.loc["E4"].isna().all() and book.ratings.loc["E2", "B1"] == 5.0
    assert dict(book.names) == {"A1": "甲", "A2": "乙", "B1": "丙"}
    assert dict(book.groups) == {"A1": "决策", "A2": "决策", "B1": "过程"}
    assert list(book.basis.columns) == ["理论分析", "实践经验", "参考国内外文献", "直觉"]
    assert book.familiarity["E3"] == "一般" and list(book.profile.columns) == ["性别"]


def test_long_layout_reads_like_wide(tmp_path):
    long = WIDE.melt(id_vars="专家", var_name="指标", value_name="评分").dropna()
    long = long.rename(columns={"专家": "expert", "指标": "indicator", "评分": "score"})
    book = read_round_workbook(write(tmp_path / "long.xlsx", ratings=long))
    wide = read_round_workbook(write(tmp_path / "wide.xlsx", 评分=WIDE.iloc[:3]))
    pd.testing.assert_frame_equal(book.ratings.astype(float), wide.ratings, check_names=False)


def test_bad_cells_are_named_by_file_sheet_row_and_column(tmp_path):
    bad = WIDE.astype(object).copy()
    bad.loc[2, "A2"] = 7
    with pytest.raises(InputError) as err:
        read_round_workbook(write(tmp_path / "bad.xlsx", 评分=bad))
    where = err.value.location
    assert (where.file, where.sheet, where.row, where.column) == ("bad.xlsx", "评分", 4, "A2")
    experts = EXPERTS.copy()
    experts.loc[1, "熟悉程度"] = "略知"
    with pytest.raises(InputError) as err:
        read_round_workbook(write(tmp_path / "fam.xlsx", 评分=WIDE, 专家=experts))
    where = err.value.location
    assert (where.sheet, where.row, where.column) == ("专家", 3, "熟悉程度")
    twice = pd.concat([WIDE, WIDE.iloc[[0]]])
    with pytest.raises(InputError, match="E1") as err:
        read_round_workbook(write(tmp_path / "twice.xlsx", 评分=twice))
    assert err.value.location.row == 6
    with pytest.raises(InputError) as err:
        read_round_workbook(write(tmp_path / "ind.xlsx", 评分=WIDE,
                                  指标=pd.DataFrame({"指标": ["A1", "Z9"]})))
    assert (err.value.location.sheet, err.value.location.row) == ("指标", 3)
    with pytest.raises(InputError, match="not found"):
        read_round_workbook(tmp_path / "absent.xlsx")
    (tmp_path / "x.docx").write_text("x")
    with pytest.raises(InputError):
        read_round_workbook(tmp_path / "x.docx")


def test_gbk_csv_holds_the_ratings_only(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("专家,甲指标,乙指标\n张,5,4\n王,4,3\n".encode("gbk"))
    book = read_round_workbook(path)
    assert list(book.ratings.columns) == ["甲指标", "乙指标"] and book.basis is None


def test_an_undecodable_csv_names_its_row(tmp_path):
    # Neither UTF-8 nor GB18030 can read 0x81 0xFF; the byte sits on the file's second line.
    path = tmp_path / "r.csv"
    path.write_bytes(b"expert,A1\nE1,\x81\xff\n")
    with pytest.raises(InputError, match="expected UTF-8 or GBK") as err:
        read_round_workbook(path)
    assert (err.value.location.file, err.value.location.row) == ("r.csv", 2)


def test_paper_tables_and_feedback_round_trip(tmp_path):
    book = read_round_workbook(write(tmp_path / "r.xlsx", 评分=WIDE, 专家=EXPERTS, 指标=INDICATORS))
    r = round_statistics(book.ratings, groups=book.groups, basis=book.basis,
                         familiarity=book.familiarity)
    tables = paper_tables(r, experts=book.profile.loc[r.ratings.index], screening=screen(r),
                          names=book.names)
    out = write_paper_tables(tables, tmp_path / "tables.xlsx")
    back = pd.read_excel(out, sheet_name=None)
    assert list(back) == list(tables)
    assert back["积极系数"].loc[0, "积极系数(%)"] == 75.0
    assert back["指标得分"]["均值"].tolist() == pytest.approx(
        tables["指标得分"]["均值"].tolist())
    fb = write_feedback(group_feedback(r), tmp_path / "fb.xlsx")
    sheets = pd.read_excel(fb, sheet_name=None)
    assert list(sheets) == ["组内反馈", "专家反馈"]
    assert sheets["专家反馈"].shape[0] == 9 and np.isclose(sheets["组内反馈"].loc[0, "均值"],
                                                          14 / 3, atol=1e-3)
    with pytest.raises(InputError):
        write_paper_tables({}, tmp_path / "none.xlsx")


def test_docstring_examples_run():
    assert doctest.testmod(io_module).failed == 0
