"""The ``jixiao agreement`` command: wide and long files, CSV encodings, xlsx, JSON, bad files."""

from __future__ import annotations

import json

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from review.cli import read_ratings_file, register

WIDE = ("报告,张,王,李,赵\n"
        "A,80,85,78,82\n"
        "B,70,,72,71\n"
        "C,90,92,88,95\n"
        "D,60,66,58,61\n"
        "E,75,79,74,99\n"
        "F,85,88,83,86\n")


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("jixiao")
    register(group)
    return group


def _run(cli: click.Group, *args: str):
    return CliRunner().invoke(cli, ["agreement", *args])


def _long_frame() -> pd.DataFrame:
    wide = pd.DataFrame({"张": [80, 70, 90, 60, 75, 85], "王": [85, None, 92, 66, 79, 88],
                         "李": [78, 72, 88, 58, 74, 83], "赵": [82, 71, 95, 61, 99, 86]},
                        index=list("ABCDEF"))
    long = wide.stack().rename("分数").reset_index()
    long.columns = ["报告", "专家", "分数"]
    return long


def test_wide_csv_prints_report_and_rater_table(cli, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(WIDE, encoding="utf-8")
    result = _run(cli, str(path))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "一致性 (agreement)" in out and "ICC(2,1)" in out
    assert "评分人 (raters)" in out and "判定 (verdict)" in out
    assert "偏宽 (lenient)" in out or "正常 (normal)" in out
    # 赵's 99 on report E is the planted odd rating.
    assert "离群评分 (outlying ratings)" in out
    outlier_line = [line for line in out.splitlines() if line.startswith("E ")][-1]
    assert "赵" in outlier_line and "99.00" in outlier_line


def test_gbk_csv_reads_like_utf8(cli, tmp_path):
    utf8, gbk = tmp_path / "u.csv", tmp_path / "g.csv"
    utf8.write_text(WIDE, encoding="utf-8-sig")
    gbk.write_bytes(WIDE.encode("gbk"))
    assert read_ratings_file(gbk).equals(read_ratings_file(utf8))
    assert list(read_ratings_file(gbk).columns) == ["张", "王", "李", "赵"]


def test_long_csv_gives_the_same_json_as_wide(cli, tmp_path):
    wide, long = tmp_path / "wide.csv", tmp_path / "long.csv"
    wide.write_text(WIDE, encoding="utf-8")
    _long_frame().to_csv(long, index=False, encoding="utf-8")
    from_wide = json.loads(_run(cli, str(wide), "--json").output)
    result = _run(cli, str(long), "--long", "报告,专家,分数", "--json")
    assert result.exit_code == 0, result.output
    from_long = json.loads(result.output)
    assert from_long["n_ratings"] == from_wide["n_ratings"] == 23
    assert from_long["agreement"] == from_wide["agreement"]
    assert from_long["raters"] == from_wide["raters"]


def test_json_is_one_object_for_machines(cli, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(WIDE, encoding="utf-8")
    payload = json.loads(_run(cli, str(path), "--json").output)
    assert set(payload) >= {"file", "scale", "agreement", "raters", "adjusted_scores",
                            "outlying_ratings", "notes"}
    coefficients = {row["coefficient"] for row in payload["agreement"]}
    assert {"ICC(2,1)", "Kendall's W", "Krippendorff's alpha (interval)"} <= coefficients
    raters = {row["rater"]: row for row in payload["raters"]}
    assert set(raters) == {"张", "王", "李", "赵"}
    assert raters["王"]["n_ratings"] == 5 and raters["赵"]["label_zh"] in ("偏宽", "正常")
    assert sum(row["effect"] for row in payload["raters"]) == pytest.approx(0.0, abs=1e-9)
    scores = {row["item"]: row for row in payload["adjusted_scores"]}
    assert scores["B"]["raw_mean"] == pytest.approx(71.0)
    assert payload["outlying_ratings"][0]["rater"] == "赵"


def test_xlsx_wide(cli, tmp_path):
    path = tmp_path / "ratings.xlsx"
    frame = pd.read_csv(__import__("io").StringIO(WIDE))
    frame.to_excel(path, index=False, sheet_name="评分")
    table = read_ratings_file(path)
    assert table.shape == (6, 4) and np.isnan(table.loc["B", "王"])
    result = _run(cli, str(path), "--scale", "ratio")
    assert result.exit_code == 0, result.output
    assert "Krippendorff's alpha (ratio)" in result.output


def test_nominal_labels(cli, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("项目,甲,乙,丙\nP1,优,优,良\nP2,良,良,良\nP3,中,中,良\nP4,优,优,优\n"
                    "P5,差,中,差\n", encoding="utf-8")
    result = _run(cli, str(path), "--scale", "nominal", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert "Gwet's AC1" in {row["coefficient"] for row in payload["agreement"]}
    assert payload["raters"] is None and payload["notes"]


def test_missing_long_column_is_named(cli, tmp_path):
    path = tmp_path / "long.csv"
    _long_frame().to_csv(path, index=False, encoding="utf-8")
    result = _run(cli, str(path), "--long", "报告,评委,分数")
    assert result.exit_code == 2
    assert "评委" in result.output and "long.csv" in result.output


def test_non_numeric_rating_names_row_and_column(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(WIDE.replace("C,90,92", "C,90,九十二"), encoding="utf-8")
    result = _run(cli, str(path))
    assert result.exit_code == 2
    assert "bad.csv" in result.output and "row 4" in result.output
    assert "column '王'" in result.output and "九十二" in result.output


def test_repeated_rating_in_long_file(cli, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("item,rater,score\nA,张,80\nA,王,82\nA,张,81\nB,张,70\nB,王,71\n",
                    encoding="utf-8")
    result = _run(cli, str(path), "--long", "item,rater,score")
    assert result.exit_code == 2 and "row 4" in result.output and "张" in result.output


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("ratings.json", "{}", "unsupported file type"),
    ("empty.csv", "", "empty"),
    ("header.csv", "报告,张,王\n", "no ratings"),
    ("dup.csv", "报告,张,张\nA,1,2\nB,2,2\n", "appears twice"),
    ("latin.csv", None, "row 1: unknown text encoding; expected UTF-8 or GBK"),
    ("broken.xlsx", "not a workbook", "cannot read the Excel file"),
])
def test_bad_files(cli, tmp_path, name, content, expected):
    path = tmp_path / name
    if content is None:
        path.write_bytes(b"\x81\xff\xfe,\xff\n")
    else:
        path.write_text(content, encoding="utf-8")
    result = _run(cli, str(path))
    assert result.exit_code == 2 and expected in result.output
    assert name in result.output


def test_missing_file_and_bad_long_option(cli, tmp_path):
    result = _run(cli, str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2 and "nowhere.csv" in result.output
    result = _run(cli, str(tmp_path / "x.csv"), "--long", "item,rater")
    assert result.exit_code == 2 and "ITEM,RATER,SCORE" in result.output


def test_rows_below_a_blank_line_keep_their_spreadsheet_number(cli, tmp_path):
    # Line 3 is blank, so the bad rating stands on line 4 of the file, as a spreadsheet shows it.
    path = tmp_path / "gap.csv"
    path.write_text("报告,张,王\nA,80,85\n\nB,70,九十\n", encoding="utf-8")
    result = _run(cli, str(path))
    assert result.exit_code == 2
    assert "row 4" in result.output and "column '王'" in result.output
