"""Panel scores: mean, trimmed mean and median per report; severity adjustment; agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from indicators.errors import InputError
from review.panel import panel_result, panel_scores, score_table


def _long(totals: np.ndarray, items: int = 2) -> pd.DataFrame:
    """Split each total evenly over ``items`` items, as long scores (NaN totals are left out)."""
    rows = [(i + 1, j + 101, f"I{t}", totals[i, j] / items)
            for i in range(totals.shape[0]) for j in range(totals.shape[1])
            if not np.isnan(totals[i, j]) for t in range(items)]
    return pd.DataFrame(rows, columns=["report_id", "rater_id", "item_code", "score"])


@settings(max_examples=40, deadline=None)
@given(arrays(float, (6, 5), elements=st.floats(0, 100, allow_nan=False)))
def test_trimmed_mean_median_and_mean_agree_with_scipy_and_numpy(table: np.ndarray) -> None:
    # Dropping one score at each end of five is scipy's 20 % trim.
    np.testing.assert_allclose(panel_scores(table, "trimmed_mean"),
                               stats.trim_mean(table, 0.2, axis=1), atol=1e-9)
    np.testing.assert_allclose(panel_scores(table, "median"), np.median(table, axis=1))
    np.testing.assert_allclose(panel_scores(table, "mean"), table.mean(axis=1), atol=1e-9)
    np.testing.assert_allclose(panel_scores(table, "trimmed_mean", trim=2), np.median(table, axis=1),
                               atol=1e-9)


def test_missing_ratings_are_skipped_and_small_panels_fall_back_to_the_mean() -> None:
    table = np.array([[90.0, np.nan, 70.0, 80.0, 60.0],   # four scores: drop 90 and 60
                      [50.0, np.nan, np.nan, 70.0, np.nan],  # two scores: plain mean
                      [np.nan] * 5])
    assert panel_scores(table, "trimmed_mean")[:2].tolist() == [75.0, 60.0]
    assert panel_scores(table, "median")[:2].tolist() == [75.0, 60.0]
    assert np.isnan(panel_scores(table, "mean")[2]) and np.isnan(panel_scores(table, "median")[2])
    with pytest.raises(InputError):
        panel_scores(table, "mode")
    with pytest.raises(InputError):
        panel_scores(table, "mean", trim=-1)


def test_score_table_totals_complete_sheets_only_and_refuses_duplicates() -> None:
    long = pd.DataFrame({"report_id": [1, 1, 1, 2], "rater_id": [7, 7, 8, 7],
                         "item_code": ["A", "B", "A", "A"], "score": [3.0, 4.0, 2.0, 1.0]})
    totals, stack = score_table(long, ["A", "B"])
    assert totals.loc[1, 7] == 7.0 and np.isnan(totals.loc[1, 8]) and np.isnan(totals.loc[2, 7])
    assert stack.shape == (2, 2, 2)
    with pytest.raises(InputError):
        score_table(pd.concat([long, long.iloc[:1]]), ["A", "B"])
    with pytest.raises(InputError):
        score_table(long.drop(columns="score"), ["A", "B"])


def test_adjusted_scores_undo_a_planted_severe_rater() -> None:
    rng = np.random.default_rng(11)
    true = rng.uniform(60, 95, size=12)
    n_raters = 6
    # Each report to 3 of 6 raters in a cyclic design; rater 0 scores 12 points low.
    design = np.zeros((12, n_raters), dtype=bool)
    for shift in range(3):
        design[np.arange(12), (np.arange(12) + shift) % n_raters] = True
    effect = np.zeros(n_raters)
    effect[0] = -12.0
    totals = np.where(design, true[:, None] + effect[None, :] + rng.normal(0, 1.0, (12, n_raters)),
                      np.nan)
    result = panel_result(_long(totals), ["I0", "I1"], bootstrap=0, item_agreement=False)
    # Rater effects sum to zero, so adjusted scores sit at true + mean effect (-2) for every
    # report, while raw scores are 4 points low only where rater 0 scored.
    raw_gap = result.reports["raw_score"].to_numpy() - true
    adjusted_gap = result.reports["adjusted_score"].to_numpy() - true
    assert adjusted_gap.std() < raw_gap.std() / 3
    assert adjusted_gap.mean() == pytest.approx(-2.0, abs=0.7)
    assert result.raters.loc[101, "label_en"] == "severe" and result.raters.loc[101, "flag"]
    assert result.raters.loc[101, "effect"] == pytest.approx(-12.0 + 2.0, abs=1.5)
    assert set(result.outliers.columns) >= {"item", "rater", "z"}
    trimmed = panel_result(_long(totals), ["I0", "I1"], method="trimmed_mean", bootstrap=0,
                           item_agreement=False)
    assert trimmed.method == "trimmed_mean"
    assert np.isfinite(trimmed.reports["adjusted_score"]).all()


def test_agreement_on_totals_and_per_item_and_notes_when_too_little_data() -> None:
    totals = np.array([[80.0, 82, 78], [60, 65, 61], [90, 88, 92], [70, 72, 69]])
    result = panel_result(_long(totals), ["I0", "I1"], bootstrap=0)
    coefficients = set(result.agreement["coefficient"])
    assert {"ICC(1,1)", "ICC(2,k)", "Kendall's W"} <= coefficients
    assert set(result.item_agreement["item_code"]) == {"I0", "I1"}
    assert result.notes == () and result.constants["trim"] == 1
    # With equal items the per-item table equals the totals' up to scale: same ICC.
    icc = result.agreement.set_index("coefficient").loc["ICC(2,1)", "value"]
    per_item = result.item_agreement.set_index(["item_code", "coefficient"]).loc[
        ("I0", "ICC(2,1)"), "value"]
    assert per_item == pytest.approx(icc)
    single = panel_result(_long(totals[:1]), ["I0", "I1"], bootstrap=0)
    assert single.reports["raw_score"].tolist() == [80.0]
    assert np.isnan(single.reports["adjusted_score"]).all() and len(single.notes) == 2


def test_kendall_w_on_an_incomplete_panel_uses_incomplete_rankings():
    # Each of 15 reports scored by 4 of 8 raters, as in the demo round: the complete-ranking
    # W would have no report left, so the board's W ranks within raters (Durbin 1951).
    rng = np.random.default_rng(21)
    design = np.zeros((15, 8), dtype=bool)
    for shift in range(4):
        design[np.arange(15), (2 * np.arange(15) + shift) % 8] = True
    quality = rng.uniform(60, 95, size=15)
    totals = np.where(design, quality[:, None] + rng.normal(0, 3, (15, 8)), np.nan)
    result = panel_result(_long(totals), ["I0", "I1"], bootstrap=0)
    w = result.agreement.set_index("coefficient").loc["Kendall's W"]
    assert np.isfinite(w["value"]) and w["df"] == 14 and w["n_ratings"] == 60
    assert "incomplete rankings" in w["method"]
    assert result.constants["kendall_missing"] == "incomplete"
    per_item = result.item_agreement.set_index(["item_code", "coefficient"])
    assert np.isfinite(per_item.loc[("I0", "Kendall's W"), "value"])


def test_a_round_without_submitted_sheets_gives_an_empty_result_with_notes():
    empty = pd.DataFrame({"report_id": [], "rater_id": [], "item_code": [], "score": []})
    result = panel_result(empty, ["A", "B"], bootstrap=0)
    assert result.reports.empty
    assert list(result.reports.columns) == ["n_ratings", "raw_score", "adjusted_score",
                                            "adjustment", "min_total", "max_total"]
    assert any("severity not computed" in note for note in result.notes)
