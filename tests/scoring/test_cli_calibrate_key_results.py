"""``jixiao key-results --out FILE`` then ``jixiao calibrate POINTS --panel FILE``.

The demo's closed first batch gives six key projects' panel totals. The points file is planted
from the totals the key-results file holds (read here with pandas, not with the calibrate
reader): A = total/100 + d and B = total/100 − 1.5·d, so 60·A + 40·B is the total exactly and
the fit must return 60 and 40.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlmodel import Session

from indicators.cli import CliState
from review.cli_key_results import register as register_key_results
from review.demo import DEMO_CLOSED_ROUND_TITLE, FIRST_BATCH, seed_demo_review
from scoring.cli_calibrate import register as register_calibrate
from tests.review.databases import review_database

SPREAD = np.array([0.03, -0.02, 0.01, -0.03, 0.02, -0.01])


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("key-results")
    with review_database("sqlite", folder) as engine:
        with Session(engine) as s, s.begin():
            seed_demo_review(s)
        group = click.Group("jixiao")
        register_key_results(group)
        out = folder / "key_2021.xlsx"
        result = CliRunner().invoke(group, ["key-results", "--year", "2021", "--out", str(out)],
                                    obj=CliState(engine.url.render_as_string(hide_password=False)))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("jixiao")
    register_calibrate(group)
    return group


def totals(key_file: Path) -> pd.Series:
    sheet = pd.read_excel(key_file, dtype={"项目编码": str})
    return sheet.set_index("项目编码")["评价得分"].astype(float)


def planted(panel: pd.Series) -> pd.DataFrame:
    share = panel.to_numpy() / 100
    return pd.DataFrame({"项目": panel.index, "A": share + SPREAD[:len(share)],
                         "B": share - 1.5 * SPREAD[:len(share)]})


def test_the_key_results_file_holds_the_demo_rounds_projects(key_file) -> None:
    panel = totals(key_file)
    sheet = pd.read_excel(key_file)
    assert len(panel) == FIRST_BATCH
    assert set(sheet["评审轮次"]) == {DEMO_CLOSED_ROUND_TITLE}
    assert ((panel > 0) & (panel <= 100)).all()


def test_calibrate_fits_the_rounds_totals_and_reports_the_match(cli, key_file, tmp_path) -> None:
    panel = totals(key_file)
    points = planted(panel)
    # One reviewed project lacks points; two projects with points were not reviewed.
    left_out = points["项目"].iloc[2]
    points = pd.concat([points.drop(index=2), pd.DataFrame(
        {"项目": ["X1", "X2"], "A": [0.5, 0.9], "B": [0.7, 0.4]})], ignore_index=True)
    path = tmp_path / "points.csv"
    points.to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["calibrate", str(path), "--panel", str(key_file),
                                      "--cv", "0", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["unrounded"] == pytest.approx({"A": 60.0, "B": 40.0}, abs=1e-6)
    assert payload["used"] == [p for p in panel.index if p != left_out]
    assert payload["no_points"] == [left_out] and payload["no_panel"] == 2
    assert payload["fit"]["in_sample"]["r2"] == pytest.approx(1.0)
    text = CliRunner().invoke(cli, ["calibrate", str(path), "--target", str(key_file)])
    assert text.exit_code == 0, text.output
    assert f"用于拟合的项目 (projects fitted): {FIRST_BATCH - 1}" in text.output
    assert "(without a panel result, left out): 2" in text.output
    assert left_out in text.output


def test_six_projects_are_too_few_for_eight_indicators(cli, key_file, tmp_path) -> None:
    panel = totals(key_file)
    rng = np.random.default_rng(6)
    points = pd.DataFrame(rng.uniform(0.4, 1.0, size=(len(panel), 8)),
                          columns=[f"C{k}" for k in range(8)])
    points.insert(0, "项目", panel.index)
    path = tmp_path / "wide.csv"
    points.to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["calibrate", str(path), "--panel", str(key_file),
                                      "--cv", "0"])
    assert result.exit_code == 2
    assert "只有 6 个" in result.output
    assert "only 6 projects have both indicator data and a panel result; 8 are needed for 7 " \
           "free weights" in result.output


def test_default_folds_on_six_projects_run_and_two_folds_are_refused(cli, key_file,
                                                                     tmp_path) -> None:
    path = tmp_path / "points.csv"
    planted(totals(key_file)).to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["calibrate", str(path), "--panel", str(key_file),
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fit"]["cross_validated"]["n"] == FIRST_BATCH
    # Two headings leave one free weight, so two projects per training part are the least:
    # three projects in two folds train on 3 − 2 = 1 at a time.
    tiny = tmp_path / "tiny.csv"
    planted(totals(key_file)).head(3).to_csv(tiny, index=False)
    result = CliRunner().invoke(cli, ["calibrate", str(tiny), "--panel", str(key_file),
                                      "--cv", "2"])
    assert result.exit_code == 2 and "2-fold cross-validation fits on 1 projects" in \
        result.output


def test_the_score_column_is_found_by_its_header(cli, key_file, tmp_path) -> None:
    # A key-results table whose columns were moved in a spreadsheet still reads 评价得分.
    sheet = pd.read_excel(key_file, dtype={"项目编码": str})
    moved = sheet[["评审轮次", "评分人次", "项目编码", "评价得分"]]
    panel_path = tmp_path / "moved.csv"
    moved.to_csv(panel_path, index=False, encoding="utf-8-sig")
    path = tmp_path / "points.csv"
    planted(totals(key_file)).to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["calibrate", str(path), "--panel", str(panel_path),
                                      "--cv", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unrounded"] == pytest.approx({"A": 60.0, "B": 40.0},
                                                                    abs=1e-6)
