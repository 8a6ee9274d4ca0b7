"""Tests of scoring.rules: every rule boundary of DOMAIN.md §3, flags, errors, and properties.

The expected values are worked by hand from the rules as DOMAIN.md §3 states them (local practice
under 财预〔2020〕10号), and a plain row-by-row reference written from the same text checks random
cases.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import InputError
from scoring.rules import (
    DIRECTION_SYMBOLS,
    REASONS,
    direction_codes,
    points,
    score_indicators,
)

# --- ≥ (higher is better) -------------------------------------------------------------------


def test_higher_at_target_is_full() -> None:
    assert points("≥", 100, 100, 20).item() == 20.0


def test_higher_above_target_is_capped_at_full() -> None:
    assert points("≥", 100, 180, 20).item() == 20.0


def test_higher_below_target_is_proportional() -> None:
    # 20 × 75/100 = 15
    assert points("≥", 100, 75, 20).item() == pytest.approx(15.0)


def test_higher_negative_actual_scores_zero() -> None:
    assert points("≥", 100, -5, 20).item() == 0.0


def test_higher_zero_target() -> None:
    assert points(["≥", "≥"], 0, [0, -1], 10).tolist() == [10.0, 0.0]


# --- ≤ (lower is better) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (50, 10.0),     # well under target
        (100, 10.0),    # at target: full
        (150, 5.0),     # 1.5 × target: 10 × (1 − 50/100)
        (199, 0.1),     # just under 2 × target
        (200, 0.0),     # exactly 2 × target: 0
        (350, 0.0),     # beyond
    ],
)
def test_lower_boundaries(actual: float, expected: float) -> None:
    assert points("≤", 100, actual, 10).item() == pytest.approx(expected)


def test_lower_zero_target() -> None:
    assert points("lower", 0, [0, -2, 0.01], 8).tolist() == [8.0, 8.0, 0.0]


# --- = (equal) ------------------------------------------------------------------------------


def test_equal_zero_target() -> None:
    # DOMAIN.md §3: target 0 → full if actual ≤ 0, else 0.
    assert points("=", 0, [0, -1, 0.5], 5).tolist() == [5.0, 5.0, 0.0]


def test_equal_scores_closeness_both_ways() -> None:
    # 10 × (1 − 10/100) = 9 either side; 2 × target away or more → 0.
    got = points("equal", 100, [100, 110, 90, 200, 250], 10)
    assert got.tolist() == pytest.approx([10.0, 9.0, 9.0, 0.0, 0.0])


# --- 定性 (qualitative) ----------------------------------------------------------------------


def test_qualitative_default_is_band_midpoint() -> None:
    got = points("定性", np.nan, np.nan, 10, level=["达成", "部分达成", "未达成"])
    assert got.tolist() == pytest.approx([9.0, 7.0, 3.0])


def test_qualitative_default_upper_lower_and_mapping() -> None:
    levels = ["达成", "部分达成", "未达成"]
    assert points("定性", 0, 0, 10, level=levels, qualitative_default="upper").tolist() == \
        pytest.approx([10.0, 8.0, 6.0])
    assert points("定性", 0, 0, 10, level=levels, qualitative_default="lower").tolist() == \
        pytest.approx([8.0, 6.0, 0.0])
    custom = {"达成": 1.0, "部分达成": 0.7, "未达成": 0.5}
    assert points("定性", 0, 0, 10, level=levels, qualitative_default=custom).tolist() == \
        pytest.approx([10.0, 7.0, 5.0])


def test_qualitative_manual_score_inside_band_including_bounds() -> None:
    got = points("qualitative", 0, 0, 10, level=["达成", "达成", "部分达成", "未达成"],
                 manual_score=[8, 10, 6, 0])
    assert got.tolist() == [8.0, 10.0, 6.0, 0.0]


@pytest.mark.parametrize(("level", "score"), [("达成", 7.9), ("部分达成", 8.5), ("未达成", 6.5)])
def test_qualitative_manual_score_outside_band_names_everything(level: str, score: float) -> None:
    with pytest.raises(InputError) as err:
        points(["≥", "定性"], 1, 1, 10, level=[None, level], manual_score=[np.nan, score])
    msg = err.value.message("en")
    assert "indicator 1" in msg and level in msg and f"{score:g}" in msg
    assert err.value.location.field == "manual_score"


def test_qualitative_custom_bands() -> None:
    bands = {"达成": (0.9, 1.0), "部分达成": (0.5, 0.9), "未达成": (0.0, 0.5)}
    assert points("定性", 0, 0, 20, level="部分达成", qualitative_bands=bands).item() == 14.0


def test_qualitative_ascii_levels() -> None:
    got = points("定性", 0, 0, 10, level=["achieved", "partial", "not achieved"])
    assert got.tolist() == pytest.approx([9.0, 7.0, 3.0])


def test_qualitative_missing_level_scores_zero_and_is_flagged() -> None:
    r = score_indicators("定性", 0, 0, 10, level=[None, "", "达成"])
    assert r.points.tolist() == [0.0, 0.0, 9.0]
    assert r.missing.tolist() == [True, True, False]
    assert r.reasons[0] == REASONS[3]


def test_qualitative_without_any_level_column_is_missing() -> None:
    r = score_indicators("定性", 0, 0, 10)
    assert r.points.item() == 0.0 and r.missing.item()


# --- missing values and over-achievement ----------------------------------------------------


@pytest.mark.parametrize("direction", ["≥", "≤", "="])
@pytest.mark.parametrize("missing", [None, np.nan])
def test_missing_actual_scores_zero_never_full(direction: str, missing: object) -> None:
    r = score_indicators([direction], [100], [missing], [10])
    assert r.points.tolist() == [0.0]
    assert r.missing.tolist() == [True]
    assert r.reasons.tolist() == [REASONS[1]]


def test_missing_target_is_flagged_with_its_own_reason() -> None:
    r = score_indicators("≤", [np.nan], [3], 10)
    assert r.points.tolist() == [0.0] and r.missing.tolist() == [True]
    assert r.reasons.tolist() == [REASONS[2]]


def test_over_achievement_flag_at_exactly_120_percent() -> None:
    r = score_indicators("≥", [100, 100, 100, 0.5, 10], [119.99, 120, 150, 0.6, 12], 10)
    assert r.over_achievement.tolist() == [False, True, True, True, True]
    assert r.points.tolist() == [10.0] * 5  # flag only by default
    assert r.reasons[1] == REASONS[4]


def test_over_achievement_only_for_higher_is_better() -> None:
    r = score_indicators(["≤", "=", "≥"], 100, [10, 130, 130], 10)
    assert r.over_achievement.tolist() == [False, False, True]


def test_over_achievement_threshold_and_penalty_are_parameters() -> None:
    r = score_indicators("≥", 100, [140, 160], 10, trim_over=1.5, trim_penalty=0.2)
    assert r.over_achievement.tolist() == [False, True]
    assert r.points.tolist() == pytest.approx([10.0, 8.0])
    assert r.rule_params["trim_over"] == 1.5 and r.rule_params["trim_penalty"] == 0.2


# --- shapes, aliases, errors ----------------------------------------------------------------


def test_broadcasting_keeps_shape() -> None:
    got = points("≥", [[100], [50]], [[50, 100, 150]], 10)
    assert got.shape == (2, 3)
    assert got.tolist() == [[5.0, 10.0, 10.0], [10.0, 10.0, 10.0]]


def test_points_are_unrounded_and_read_only() -> None:
    got = points("≥", 3, 1, 10)
    assert got.item() == pytest.approx(10 / 3, abs=1e-15)
    with pytest.raises(ValueError):
        got[...] = 0


def test_direction_aliases() -> None:
    codes = direction_codes(["≥", ">=", "higher", "正向", "≤", "<=", "Lower", "反向", "=", "equal",
                             "定性", "qualitative"])
    assert [DIRECTION_SYMBOLS[c] for c in codes] == ["≥"] * 4 + ["≤"] * 4 + ["="] * 2 + ["定性"] * 2


def test_unknown_direction_names_index_and_value() -> None:
    with pytest.raises(InputError) as err:
        points(["≥", "≥", "up"], 1, 1, 1)
    assert "index 2" in err.value.message("en") and "'up'" in err.value.message("en")


def test_missing_direction_is_an_error() -> None:
    with pytest.raises(InputError, match="index 1"):
        points(["≥", None], 1, 1, 1)


def test_negative_weight_is_an_error() -> None:
    with pytest.raises(InputError, match="weight"):
        points("≥", 1, 1, [1, -1])


def test_negative_target_for_ratio_rules_is_an_error() -> None:
    with pytest.raises(InputError, match="negative target"):
        points(["≥", "≤"], [1, -1], 1, 1)


def test_non_numeric_actual_names_its_index() -> None:
    with pytest.raises(InputError, match="index 1"):
        points("≥", 1, [1, "abc"], 1)


def test_to_frame_has_one_row_per_indicator() -> None:
    frame = score_indicators(["≥", "定性"], 10, [5, None], 10, level=[None, "达成"]).to_frame()
    assert list(frame.columns) == ["direction", "points", "missing", "over_achievement", "reason"]
    assert frame["direction"].tolist() == ["≥", "定性"]


# --- independent reference and properties ---------------------------------------------------


def reference_points(direction: str, target: float, actual: float, weight: float) -> float:
    """Row-by-row reading of DOMAIN.md §3, written with branches rather than array clipping."""
    if actual is None or math.isnan(actual) or math.isnan(target):
        return 0.0
    if direction == "≥":
        if target == 0:
            return weight if actual >= 0 else 0.0
        if actual >= target:
            return weight
        if actual < 0:
            return 0.0
        return weight * actual / target
    if direction == "≤":
        if target == 0:
            return weight if actual <= 0 else 0.0
        if actual <= target:
            return weight
        if actual >= 2 * target:
            return 0.0
        return weight * (1 - (actual - target) / target)
    if target == 0:
        return weight if actual <= 0 else 0.0
    closeness = 1 - abs(actual - target) / abs(target)
    return weight * closeness if closeness > 0 else 0.0


values = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
targets = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)
weights = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["≥", "≤", "="]), targets, values, weights),
                min_size=1, max_size=40))
def test_matches_row_by_row_reference(rows: list[tuple[str, float, float, float]]) -> None:
    d, t, a, w = (list(col) for col in zip(*rows, strict=True))
    got = points(d, t, a, w)
    expected = [reference_points(*row) for row in rows]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["≥", "≤", "="]), targets, values, weights)
def test_points_lie_between_zero_and_weight(direction: str, t: float, a: float, w: float) -> None:
    p = points(direction, t, a, w).item()
    assert 0.0 <= p <= w * (1 + 1e-12)


@settings(max_examples=150, deadline=None)
@given(targets, values, values, weights)
def test_higher_is_monotone_in_actual(t: float, a1: float, a2: float, w: float) -> None:
    lo, hi = sorted((a1, a2))
    p = points("≥", t, [lo, hi], w)
    assert p[0] <= p[1] + 1e-12


@settings(max_examples=150, deadline=None)
@given(targets, values, values, weights)
def test_lower_is_antitone_in_actual(t: float, a1: float, a2: float, w: float) -> None:
    lo, hi = sorted((a1, a2))
    p = points("≤", t, [lo, hi], w)
    assert p[0] >= p[1] - 1e-12
