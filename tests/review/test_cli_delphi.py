"""The ``jixiao delphi stats`` command on a bare click group (review/cli_delphi.py)."""

from __future__ import annotations

import doctest
import json

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import review.cli_delphi as cli_module
from review.cli_delphi import register


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("jixiao")
    register(group)
    return group


@pytest.fixture
def round_file(tmp_path):
    rng = np.random.default_rng(7)
    codes = ["A1", "A2", "A3", "B1", "B2", "B3"]
    important, unimportant = [0, 0.02, 0.08, 0.35, 0.55], [0.15, 0.35, 0.3, 0.15, 0.05]
    ratings = pd.DataFrame({c: rng.choice(np.arange(1, 6), size=15,
                                          p=unimportant if c == "B2" else important)
                            for c in codes})
    ratings.insert(0, "专家", [f"E{i + 1}" for i in range(15)])
    ratings = pd.concat([ratings, pd.DataFrame({"专家": ["E16"]})], ignore_index=True)
    experts = pd.DataFrame({"专家": [f"E{i + 1}" for i in range(16)],
                            "职称": ["正高"] * 6 + ["副高"] * 10, "理论分析": "中",
                            "实践经验": "大", "参考国内外文献": "中", "直觉": "小",
                            "熟悉程度": "熟悉"})
    indicators = pd.DataFrame({"指标": codes, "指标名称": [f"名{c}" for c in codes],
                               "一级指标": ["决策"] * 3 + ["过程"] * 3})
    path = tmp_path / "round1.xlsx"
    with pd.ExcelWriter(path) as writer:
        ratings.to_excel(writer, sheet_name="评分", index=False)
        experts.to_excel(writer, sheet_name="专家", index=False)
        indicators.to_excel(writer, sheet_name="指标", index=False)
    return path


def test_stats_prints_the_round_and_writes_tables(cli, round_file, tmp_path):
    out, fb = tmp_path / "tables.xlsx", tmp_path / "fb.xlsx"
    result = CliRunner().invoke(cli, ["delphi", "stats", str(round_file), "--out", str(out),
                                      "--feedback", str(fb), "--label", "第1轮"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "积极系数 (response rate): 15/16 = 93.8%" in text
    # Every expert: Ca = 0.2 + 0.5 + 0.1 + 0.1 = 0.9, Cs = 0.8, Cr = 0.85.
    assert "Ca 0.900  Cs 0.800  Cr 0.850" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("B2 "))
    assert "删除" in line and "名B2" in line
    assert "决策" in text and "全部指标 (all)" in text
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) == {"专家基本情况", "积极系数", "权威系数", "指标得分", "协调系数"}
    assert pd.read_excel(fb, sheet_name="专家反馈").shape[0] == 15 * 6


def test_cutoff_method_and_json(cli, round_file):
    result = CliRunner().invoke(cli, ["delphi", "stats", str(round_file), "--method", "cutoff",
                                      "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["screening"]["method"] == "cutoff"
    decisions = {row["indicator"]: row["decision"] for row in payload["indicators"]}
    assert decisions["B2"] == "drop"
    assert payload["invited"] == 16 and payload["authority"]["cr"] == pytest.approx(0.85)
    assert payload["concordance"][0]["df"] == 5


def test_bad_file_exits_2_naming_the_place(cli, tmp_path):
    path = tmp_path / "bad.xlsx"
    pd.DataFrame({"专家": ["E1", "E2"], "A1": [5, "很重要"], "A2": [4, 3]}).to_excel(
        path, sheet_name="评分", index=False)
    result = CliRunner().invoke(cli, ["delphi", "stats", str(path)])
    assert result.exit_code == 2
    assert "bad.xlsx" in result.output and "第 3 行" in result.output
    assert "column 'A1'" in result.output and "Traceback" not in result.output
    missing = CliRunner().invoke(cli, ["delphi", "stats", str(tmp_path / "none.xlsx")])
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_help_documents_the_layout(cli):
    result = CliRunner().invoke(cli, ["delphi", "stats", "--help"])
    assert result.exit_code == 0 and "理论分析" in result.output and "long" in result.output


def test_docstring_examples_run():
    assert doctest.testmod(cli_module).failed == 0
