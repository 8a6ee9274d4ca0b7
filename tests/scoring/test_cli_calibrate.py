"""``jixiao calibrate`` and ``jixiao sensitivity`` on a bare click group (scoring/cli_calibrate.py)."""

from __future__ import annotations

import doctest
import json

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import scoring.cli_calibrate as cli_module
from scoring.calibrate_io import read_weights
from scoring.cli_calibrate import register
from scoring.grades import grade

TRUE = {"产出数量": 30.0, "产出质量": 20.0, "经济效益": 20.0, "社会效益": 20.0, "满意度": 10.0}
GROUP = {"产出数量": "产出", "产出质量": "产出", "经济效益": "效益", "社会效益": "效益",
         "满意度": "满意度"}


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("jixiao")
    register(group)
    return group


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(12)
    shares = pd.DataFrame(rng.uniform(0.4, 1.0, size=(120, 5)), columns=list(TRUE))
    shares.insert(0, "项目", [f"XM{i:03d}" for i in range(120)])
    totals = shares[list(TRUE)].to_numpy() @ np.array(list(TRUE.values()))
    points = tmp_path / "points.xlsx"
    shares.to_excel(points, index=False)
    panel = tmp_path / "panel.csv"
    pd.DataFrame({"项目": shares["项目"][::-1], "总分": totals[::-1]}).to_csv(
        panel, index=False, encoding="utf-8")
    grades = tmp_path / "grades.xlsx"
    pd.DataFrame({"项目": shares["项目"], "等级": grade(np.round(totals, 2))}).to_excel(
        grades, index=False)
    prior = tmp_path / "prior.csv"
    pd.DataFrame({"指标": list(TRUE), "权重": [20.0, 30, 25, 15, 10],
                  "分组": [GROUP[c] for c in TRUE]}).to_csv(prior, index=False)
    return {"points": points, "panel": panel, "grades": grades, "prior": prior,
            "shares": shares, "totals": totals}


def test_calibrate_recovers_the_weights_and_writes_them(cli, files, tmp_path):
    out = tmp_path / "fitted.csv"
    result = CliRunner().invoke(cli, ["calibrate", str(files["points"]), "--target",
                                      str(files["panel"]), "--prior", str(files["prior"]),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "拟合权重 (fitted, in sample)" in result.output and "现行权重 (current)" in result.output
    weights, groups = read_weights(out)
    assert weights.to_dict() == pytest.approx(TRUE)
    assert groups.to_dict() == {c: "全部" for c in TRUE}


def test_per_group_keeps_the_prior_group_totals(cli, files):
    result = CliRunner().invoke(cli, ["calibrate", str(files["points"]), "--target",
                                      str(files["panel"]), "--prior", str(files["prior"]),
                                      "--per-group", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    fitted = pd.Series(payload["unrounded"])
    sums = fitted.groupby(pd.Series(GROUP)).sum()
    assert sums.to_dict() == pytest.approx({"产出": 50.0, "效益": 40.0, "满意度": 10.0})
    assert payload["fit"]["cross_validated"]["n"] == 120


def test_grades_as_target(cli, files):
    result = CliRunner().invoke(cli, ["calibrate", str(files["points"]), "--target",
                                      str(files["grades"]), "--cv", "0", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert "panel grades mapped to 优 95" in payload["method"]
    assert payload["fit"]["cross_validated"] is None


def test_sensitivity_prints_tornado_robustness_and_what_if(cli, files, tmp_path):
    weights = tmp_path / "w.csv"
    pd.DataFrame({"指标": list(TRUE), "权重": list(TRUE.values())}).to_csv(weights, index=False)
    new = tmp_path / "w2.xlsx"
    pd.DataFrame({"indicator": list(TRUE), "weight": [10.0, 30, 20, 20, 20]}).to_excel(
        new, index=False)
    result = CliRunner().invoke(cli, ["sensitivity", str(files["points"]), "--weights",
                                      str(weights), "--new-weights", str(new), "--draws", "500",
                                      "--top", "3"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "单因素 ±10%" in text and "蒙特卡罗 (Monte Carlo): 500 weight sets" in text
    assert "假设新权重 (what-if)" in text and "原等级 → 新等级" in text
    payload = json.loads(CliRunner().invoke(cli, [
        "sensitivity", str(files["points"]), "--weights", str(weights), "--draws", "200",
        "--json"]).output)
    assert len(payload["monte_carlo"]) == 120 and len(payload["one_at_a_time"]) == 5


def test_points_with_full_marks(cli, files, tmp_path):
    shares = files["shares"]
    points = shares.copy()
    for code, w in TRUE.items():
        points[code] = shares[code] * w
    path = tmp_path / "raw_points.csv"
    points.to_csv(path, index=False)
    weights = tmp_path / "w.csv"
    pd.DataFrame({"指标": list(TRUE), "权重": list(TRUE.values())}).to_csv(weights, index=False)
    result = CliRunner().invoke(cli, ["calibrate", str(path), "--target", str(files["panel"]),
                                      "--prior", str(weights), "--as-points", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["weights"] == pytest.approx(TRUE)


def test_bad_files_exit_2_naming_the_place(cli, files, tmp_path):
    bad = files["shares"].astype(object).copy()
    bad.loc[4, "经济效益"] = "高"
    path = tmp_path / "bad.xlsx"
    bad.to_excel(path, index=False)
    result = CliRunner().invoke(cli, ["calibrate", str(path), "--target", str(files["panel"])])
    assert result.exit_code == 2
    assert "bad.xlsx" in result.output and "第 6 行" in result.output
    assert "column '经济效益'" in result.output
    over = files["shares"].copy()
    over.loc[0, "满意度"] = 1.4
    path = tmp_path / "over.csv"
    over.to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["sensitivity", str(path), "--weights",
                                      str(files["prior"])])
    assert result.exit_code == 2 and "满意度" in result.output
    result = CliRunner().invoke(cli, ["calibrate", str(files["points"]), "--target",
                                      str(files["panel"]), "--per-group"])
    assert result.exit_code == 2 and "--per-group" in result.output


def test_docstring_examples_run():
    assert doctest.testmod(cli_module).failed == 0
