"""Export a round to Excel: long scores and a per-report summary that pandas reads back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from indicators.errors import PermissionDeniedError
from review import store
from review.io import SHEETS, export_round
from scoring.project import round_half_up
from tests.review.databases import BACKENDS, build_world, full_scores, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_export_has_long_scores_and_summary(engine, tmp_path: Path) -> None:
    world = build_world(engine, n_reports=3, n_raters=3, k=2)
    items = world.items()
    for n, ((_, rater_id), sheet_id) in enumerate(sorted(world.sheets.items())):
        rater = next(r for r in world.raters if r.user_id == rater_id)
        with world.session() as s, s.begin():
            store.submit_sheet(s, assignment_id=sheet_id, viewer=rater, expected_version=1,
                               scores=full_scores(items, 0.6 + 0.05 * n))
    with world.session() as s:
        with pytest.raises(PermissionDeniedError):
            export_round(s, round_id=world.round_id, by=world.raters[0], path=tmp_path / "x.xlsx")
        path = export_round(s, round_id=world.round_id, by=world.finance,
                            path=tmp_path / "out" / "round.xlsx", bootstrap=0)
        scores = store.round_scores(s, round_id=world.round_id, viewer=world.admin)
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == list(SHEETS)
    long, summary = book["评分明细"], book["汇总"]
    assert len(long) == len(world.sheets) * len(items)
    assert list(long.columns[:4]) == ["报告编号", "报告标题", "评审人编号", "评审人"]
    np.testing.assert_allclose(long["得分"], scores["score"])
    assert (long["满分"] >= long["得分"]).all()
    assert len(summary) == 3 and {"合议得分", "宽严调整后得分"} <= set(summary.columns)
    totals = scores.groupby(["report_id", "rater_id"])["score"].sum().groupby("report_id").mean()
    np.testing.assert_allclose(summary["合议得分"], totals.to_numpy())


def test_export_of_a_round_without_submissions_still_has_every_sheet(engine, tmp_path) -> None:
    world = build_world(engine)
    with world.session() as s:
        path = export_round(s, round_id=world.round_id, by=world.admin, path=tmp_path / "e.xlsx")
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == list(SHEETS)
    assert all(book[name].empty for name in ("评分明细", "评审人", "一致性"))
    # The file for the archive still lists every report, none of them rated yet.
    summary = book["汇总"]
    assert summary["报告编号"].tolist() == world.report_ids
    assert summary["报告标题"].tolist() == ["报告0", "报告1", "报告2"]
    assert (summary["评审人数"] == 0).all() and summary["合议得分"].isna().all()


def test_summary_lists_unrated_reports_and_scores_show_two_decimals(engine, tmp_path) -> None:
    world = build_world(engine, n_reports=4, n_raters=3, k=3)
    items = world.items()
    unrated = world.report_ids[2]
    shares = iter([0.61, 0.67, 0.74, 0.52, 0.83, 0.7, 0.9, 0.58, 0.66])
    for (report_id, rater_id), sheet_id in sorted(world.sheets.items()):
        if report_id == unrated:
            continue
        rater = next(r for r in world.raters if r.user_id == rater_id)
        with world.session() as s, s.begin():
            store.submit_sheet(s, assignment_id=sheet_id, viewer=rater, expected_version=1,
                               scores=full_scores(items, next(shares)))
    with world.session() as s:
        path = export_round(s, round_id=world.round_id, by=world.admin,
                            path=tmp_path / "r.xlsx", bootstrap=0)
        result = store.panel_results(s, round_id=world.round_id, by=world.admin, bootstrap=0)
    summary = pd.read_excel(path, sheet_name="汇总").set_index("报告编号")
    assert summary.index.tolist() == world.report_ids
    assert summary.loc[unrated, "评审人数"] == 0
    assert summary.loc[unrated, "报告标题"] == "报告2"
    assert summary.loc[unrated, ["合议得分", "宽严调整后得分", "最低总分"]].isna().all()
    rated = result.reports
    assert summary.loc[rated.index, "评审人数"].tolist() == rated["n_ratings"].tolist()
    for column, header in (("raw_score", "合议得分"), ("adjusted_score", "宽严调整后得分")):
        exact = rated[column].to_numpy()
        written = summary.loc[rated.index, header].to_numpy()
        np.testing.assert_array_equal(written, round_half_up(exact, 2))
    # Not vacuous: the panel's adjusted scores do carry more than two decimals.
    assert not np.allclose(rated["adjusted_score"], round_half_up(rated["adjusted_score"], 2))
    sheet = openpyxl.load_workbook(path)["汇总"]
    headers = [cell.value for cell in sheet[1]]
    raw = sheet.cell(row=2, column=headers.index("合议得分") + 1)
    assert raw.number_format == "0.00"
    unrated_row = world.report_ids.index(unrated) + 2
    assert sheet.cell(row=unrated_row, column=1).value == unrated
    assert sheet.cell(row=unrated_row, column=headers.index("合议得分") + 1).value is None
