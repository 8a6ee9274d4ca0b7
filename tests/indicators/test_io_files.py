"""Raw files: encodings detected, workbooks that are not workbooks refused, text kept as text."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from indicators.errors import InputError
from indicators.io_files import (
    clean_cell,
    decode_csv_bytes,
    encode_csv,
    read_csv_grid,
    read_workbook_grids,
    to_text,
    write_workbook,
)

TEXT = "一级指标,权重\n产出指标,50\n"


@pytest.mark.parametrize("data", [TEXT.encode("utf-8"), TEXT.encode("utf-8-sig"),
                                  TEXT.encode("gbk"), TEXT.encode("gb18030")])
def test_encodings_are_detected(data):
    assert decode_csv_bytes(data, file="a.csv") == TEXT


def test_undecodable_bytes_name_their_row():
    data = "一级指标\n产出\n".encode() + b"\x81\xff\n"
    with pytest.raises(InputError) as caught:
        decode_csv_bytes(data, file="a.csv")
    assert (caught.value.location.file, caught.value.location.row) == ("a.csv", 3)
    assert "UTF-8 或 GBK" in str(caught.value) and "expected UTF-8 or GBK" in str(caught.value)


def test_a_workbook_renamed_csv_is_recognised(tmp_path):
    write_workbook(tmp_path / "a.xlsx", [("s", ["h"], [["v"]])])
    with pytest.raises(InputError, match="rename it to .xlsx"):
        decode_csv_bytes((tmp_path / "a.xlsx").read_bytes(), file="a.csv")


def test_csv_records_are_rows_even_with_line_breaks_in_a_cell(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('一级指标,指标解释\n产出,"两行\n说明"\n效益,x\n', encoding="utf-8")
    rows = read_csv_grid(path).rows
    assert rows[1] == ("产出", "两行\n说明") and rows[2] == ("效益", "x")


def test_tab_separated_and_malformed_csv(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("一级指标\t权重\n产出\t50\n", encoding="utf-8")
    assert read_csv_grid(path).rows[1] == ("产出", "50")
    path.write_bytes(b'a,b\n"x\x00,y\n')
    with pytest.raises(InputError) as caught:
        read_csv_grid(path)
    assert caught.value.location.row == 2
    assert "CSV 格式错误" in str(caught.value) and "malformed CSV" in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_csv_grid(tmp_path / "none.csv")
    with pytest.raises(InputError, match="does not exist"):
        read_workbook_grids(tmp_path / "none.xlsx")


def test_not_a_workbook(tmp_path):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(InputError) as caught:
        read_workbook_grids(path)
    assert "不是 Excel 工作簿" in str(caught.value) and "not an Excel workbook" in str(caught.value)


def test_merged_cells_remember_their_value(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["产出", "a"])
    sheet.append([None, "b"])
    sheet.merge_cells("A1:A2")
    workbook.save(tmp_path / "m.xlsx")
    grid = next(iter(read_workbook_grids(tmp_path / "m.xlsx").values()))
    assert grid.rows[1][0] is None and grid.merged[(2, 1)] == "产出"


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    write_workbook(tmp_path / "a.xlsx", [("s", ["指标值", "权重"], [["=0", 10.5], ["=A1+1", None]])])
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx")["s"]
    assert [c.data_type for c in sheet["A"]] == ["s", "s", "s"]
    assert (sheet["A3"].value, sheet["B2"].value) == ("=A1+1", 10.5)


def test_control_characters_are_refused_with_their_cell(tmp_path):
    with pytest.raises(InputError) as caught:
        write_workbook(tmp_path / "a.xlsx", [("s", ["指标解释"], [["ok"], ["bad\x01"]])])
    assert (caught.value.location.sheet, caught.value.location.row,
            caught.value.location.column) == ("s", 3, "指标解释")


def test_encode_csv_bom_gbk_and_unencodable_character():
    assert encode_csv(["a"], [["产出"]], "utf-8-sig", file="a.csv").startswith(b"\xef\xbb\xbf")
    assert encode_csv(["a"], [["产出"]], "utf-8", file="a.csv") == "a\r\n产出\r\n".encode()
    with pytest.raises(InputError) as caught:
        encode_csv(["名称"], [["ok"], ["😀"]], "gbk", file="a.csv")
    assert (caught.value.location.row, caught.value.location.column) == (3, "名称")
    assert "无法用 gbk 编码" in str(caught.value) and "cannot be encoded as gbk" in str(caught.value)
    with pytest.raises(InputError, match="unknown encoding"):
        encode_csv(["a"], [], "klingon", file="a.csv")


def test_cells_are_cleaned_and_read_as_text():
    assert clean_cell("\u3000 产出\u200b ") == "产出"
    assert clean_cell(float("nan")) is None and clean_cell("\xa0") is None
    assert [to_text(v) for v in (12.0, 12.25, 3, True, None)] == ["12", "12.25", "3", "是", ""]
