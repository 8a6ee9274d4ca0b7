"""Round results: scores hidden from raters until close, panel result, the recorded choice, progress."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from review import store
from tests.review.databases import BACKENDS, build_world, full_scores, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def scored(engine: sa.Engine):
    """4 reports × 4 raters, k = 3; every sheet submitted except one left as a draft."""
    world = build_world(engine, n_reports=4, n_raters=4, k=3)
    items = world.items()
    quality = dict(zip(world.report_ids, [0.9, 0.8, 0.7, 0.6], strict=True))
    bias = dict(zip([r.user_id for r in world.raters], [0.0, 0.05, -0.05, 0.0], strict=True))
    drafted = sorted(world.sheets)[0]
    for (report_id, rater_id), sheet_id in sorted(world.sheets.items()):
        rater = next(r for r in world.raters if r.user_id == rater_id)
        scores = full_scores(items, quality[report_id] + bias[rater_id])
        with world.session() as s, s.begin():
            if (report_id, rater_id) == drafted:
                store.save_draft(s, assignment_id=sheet_id, viewer=rater, scores=scores,
                                 expected_version=1)
            else:
                store.submit_sheet(s, assignment_id=sheet_id, viewer=rater, expected_version=1,
                                   scores=scores)
    return world, drafted


def test_scores_are_hidden_from_raters_until_the_round_closes(scored) -> None:
    world, drafted = scored
    rater = world.raters[0]
    with world.session() as s:
        with pytest.raises(PermissionDeniedError):
            store.round_scores(s, round_id=world.round_id, viewer=rater)
        with pytest.raises(PermissionDeniedError):
            store.panel_results(s, round_id=world.round_id, by=rater, bootstrap=0)
        staff_view = store.round_scores(s, round_id=world.round_id, viewer=world.finance)
    with world.session() as s, s.begin():
        store.close_round(s, round_id=world.round_id, by=world.finance)
        outsider = store.create_user(s, username="outsider", display_name="局外人", role="expert",
                                     by=world.admin)
    with world.session() as s:
        after = store.round_scores(s, round_id=world.round_id, viewer=rater)
        outsider_v = store.get_viewer(s, user_id=outsider.user_id)
        with pytest.raises(PermissionDeniedError):
            store.round_scores(s, round_id=world.round_id, viewer=outsider_v)
    assert after.equals(staff_view)


def test_round_scores_are_long_format_of_submitted_sheets_only(scored) -> None:
    world, drafted = scored
    items = world.items()
    with world.session() as s:
        scores = store.round_scores(s, round_id=world.round_id, viewer=world.admin)
    assert list(scores.columns) == ["report_id", "report_title", "rater_id", "rater_name",
                                    "item_code", "score"]
    submitted = len(world.sheets) - 1
    assert len(scores) == submitted * len(items)
    assert not scores.duplicated(["report_id", "rater_id", "item_code"]).any()
    assert drafted not in set(zip(scores["report_id"], scores["rater_id"], strict=True))
    first = scores.iloc[: len(items)]
    assert first["item_code"].tolist() == [i.code for i in items]
    assert first["rater_name"].iloc[0].startswith("评审人")


def test_panel_results_match_the_scores_and_record_the_choice(scored) -> None:
    world, _ = scored
    with world.session() as s:
        result = store.panel_results(s, round_id=world.round_id, by=world.admin, bootstrap=0)
        scores = store.round_scores(s, round_id=world.round_id, viewer=world.admin)
        median = store.panel_results(s, round_id=world.round_id, by=world.admin,
                                     method="median", bootstrap=0)
    totals = scores.groupby(["report_id", "rater_id"])["score"].sum().unstack()
    np.testing.assert_allclose(result.reports["raw_score"], totals.mean(axis=1))
    np.testing.assert_allclose(median.reports["raw_score"], totals.median(axis=1))
    assert result.reports["report_title"].tolist() == ["报告0", "报告1", "报告2", "报告3"]
    assert "final_score" not in result.reports.columns
    assert set(result.raters["rater_name"]) == {f"评审人{i}" for i in range(4)}
    assert not result.agreement.empty and result.constants["rubric_ref"].startswith("report-")
    with world.session() as s, s.begin():
        with pytest.raises(ConflictError):
            store.record_panel_choice(s, round_id=world.round_id, choice="adjusted",
                                      reason="评审人宽严差异明显", by=world.admin)
        store.close_round(s, round_id=world.round_id, by=world.admin)
        with pytest.raises(InputError):
            store.record_panel_choice(s, round_id=world.round_id, choice="best", reason="r",
                                      by=world.admin)
        with pytest.raises(InputError):
            store.record_panel_choice(s, round_id=world.round_id, choice="raw", reason="",
                                      by=world.admin)
        with pytest.raises(PermissionDeniedError):
            store.record_panel_choice(s, round_id=world.round_id, choice="raw", reason="r",
                                      by=world.raters[0])
        store.record_panel_choice(s, round_id=world.round_id, choice="adjusted",
                                  reason="评审人宽严差异明显", by=world.finance)
    with world.session() as s:
        chosen = store.panel_results(s, round_id=world.round_id, by=world.raters[1], bootstrap=0)
        rnd = store.get_round(s, round_id=world.round_id, by=world.admin)
        entry = store.audit_log(s, by=world.admin, entity="round")[-1]
    np.testing.assert_allclose(chosen.reports["final_score"], chosen.reports["adjusted_score"])
    assert rnd.panel_choice == "adjusted" and rnd.panel_choice_reason == "评审人宽严差异明显"
    assert entry.action == "panel_choice" and entry.new["panel_choice"] == "adjusted"


def test_progress_counts_sheets_and_lists_the_overdue(scored) -> None:
    world, drafted = scored
    with world.session() as s:
        on_time = store.progress(s, round_id=world.round_id, by=world.finance,
                                 now=datetime(2021, 6, 1, tzinfo=UTC))
        late = store.progress(s, round_id=world.round_id, by=world.finance,
                              now=datetime(2021, 7, 1, tzinfo=UTC))
        with pytest.raises(PermissionDeniedError):
            store.progress(s, round_id=world.round_id, by=world.raters[0])
    assert len(on_time) == len(world.sheets) and on_time["submitted"].sum() == len(world.sheets) - 1
    per_report = on_time.groupby("report_id")["submitted"].agg(["sum", "size"])
    assert per_report["size"].tolist() == [3, 3, 3, 3]
    assert not on_time["overdue"].any()
    overdue = late[late["overdue"]]
    assert list(zip(overdue["report_id"], overdue["rater_id"], strict=True)) == [drafted]
    assert "score" not in late.columns and "scores" not in late.columns
