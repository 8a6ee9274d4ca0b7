"""Export a round to Excel: long scores and a per-report summary that pandas reads back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.errors import PermissionDeniedError
from review import store
from review.io import SHEETS, export_round
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
    assert list(book) == list(SHEETS) and all(frame.empty for frame in book.values())
