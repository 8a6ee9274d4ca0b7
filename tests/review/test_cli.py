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
    # Text among numbers reads as a slip, not as labels; the way to say otherwise is named.
    assert "--scale nominal" in result.output


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


# Report scores out of 100 with decimals: fifteen distinct values over five reports.
CONTINUOUS = ("报告,张,王,李\n"
              "A,82.5,80,79.5\n"
              "B,66,70.5,64\n"
              "C,91,88.5,93\n"
              "D,74.5,77,71\n"
              "E,58,61.5,60\n")
# Five-point ratings: few ordered categories.
CATEGORIES = ("指标,甲,乙,丙,丁\n"
              "C1,5,5,4,5\n"
              "C2,3,3,3,2\n"
              "C3,4,4,5,4\n"
              "C4,2,1,2,2\n"
              "C5,4,5,4,4\n"
              "C6,1,2,1,1\n")
_KAPPA_FAMILY = ("Fleiss' kappa", "Gwet's AC", "Percent agreement")


def _json_run(cli, tmp_path, content, *args):
    path = tmp_path / "panel.csv"
    path.write_text(content, encoding="utf-8")
    result = _run(cli, str(path), "--json", *args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    return payload, {row["coefficient"]: row for row in payload["agreement"]}


def test_continuous_scores_are_read_as_interval_without_kappas(cli, tmp_path):
    payload, rows = _json_run(cli, tmp_path, CONTINUOUS)
    assert payload["scale"] == "interval" and payload["scale_inferred"] is True
    assert "decimals" in payload["scale_reason"]["en"] and "15" in payload["scale_reason"]["en"]
    assert {"ICC(2,1)", "ICC(3,k)", "Kendall's W", "Krippendorff's alpha (interval)"} <= set(rows)
    assert rows["ICC(2,1)"]["value"] > 0.9
    assert not [name for name in rows if name.startswith(_KAPPA_FAMILY)]
    notes = [note["en"] for note in payload["notes"]]
    assert any("continuous" in n and "Fleiss' kappa" in n for n in notes)


def test_continuous_scores_text_says_what_was_inferred_and_why_kappas_are_out(cli, tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text(CONTINUOUS, encoding="utf-8")
    result = _run(cli, str(path))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "尺度由数据推断 (scale inferred): interval" in out and "--scale" in out
    table = out.split("一致性 (agreement)")[1].split("评分人 (raters)")[0]
    assert "ICC(2,1)" in table and "Fleiss" not in table and "Percent" not in table
    note = [line for line in out.splitlines() if "Fleiss' kappa" in line]
    assert len(note) == 1 and note[0].startswith("注 (note): 评分是连续分数")


def test_a_named_scale_is_not_called_inferred_and_still_drops_kappas_on_scores(cli, tmp_path):
    payload, rows = _json_run(cli, tmp_path, CONTINUOUS, "--scale", "interval")
    assert payload["scale_inferred"] is False and payload["scale_reason"] is None
    assert not [name for name in rows if name.startswith(_KAPPA_FAMILY)]
    path = tmp_path / "panel.csv"
    assert "scale inferred" not in _run(cli, str(path), "--scale", "ratio").output


def test_few_ordered_categories_are_read_as_ordinal_and_keep_the_kappas(cli, tmp_path):
    payload, rows = _json_run(cli, tmp_path, CATEGORIES)
    assert payload["scale"] == "ordinal" and payload["scale_inferred"] is True
    assert "whole numbers from 1 to 5" in payload["scale_reason"]["en"]
    for name in ("Fleiss' kappa", "Gwet's AC2 (ordinal)", "Percent agreement", "Kendall's W",
                 "Krippendorff's alpha (ordinal)"):
        assert rows[name]["value"] is not None, name
    assert not any("continuous" in note["en"] for note in payload["notes"])


def test_few_categories_named_interval_get_the_icc_and_keep_the_weighted_ac2(cli, tmp_path):
    payload, rows = _json_run(cli, tmp_path, CATEGORIES, "--level", "interval")
    assert payload["scale"] == "interval" and payload["scale_inferred"] is False
    assert rows["ICC(2,1)"]["value"] is not None
    assert rows["Gwet's AC2 (quadratic)"]["value"] is not None
    assert rows["Fleiss' kappa"]["value"] is not None


def test_text_labels_are_read_as_nominal(cli, tmp_path):
    payload, rows = _json_run(cli, tmp_path, "项目,甲,乙,丙\nP1,优,优,良\nP2,良,良,良\n"
                                             "P3,中,中,良\nP4,优,优,优\n")
    assert payload["scale"] == "nominal" and payload["scale_inferred"] is True
    assert "Gwet's AC1" in rows and "ICC(2,1)" not in rows
