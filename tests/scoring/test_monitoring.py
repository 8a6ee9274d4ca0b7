"""Tests of mid-year monitoring (双监控): ratios, lights, warnings, classification (scoring/monitoring.py)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import scoring.monitoring as monitoring_module
from indicators.errors import InputError
from scoring.lifecycle_config import load_lifecycle_config
from scoring.monitoring import monitor, sichuan_checkpoint, traffic_light

CONFIG = load_lifecycle_config("kaijiang-2021")


def run(spent: list[float], *, budget: float = 1_200_000, month: int | None = None,
        progress: pd.DataFrame | None = None, rule_set: str | None = None) -> pd.DataFrame:
    names = [f"P{i}" for i in range(len(spent))]
    return monitor(pd.DataFrame({"project": names, "budget": budget}),
                   pd.DataFrame({"project": names, "spent": spent}), CONFIG, month=month,
                   progress=progress, rule_set=rule_set).projects


def test_cut_off_month_defaults_to_september():
    assert CONFIG.monitoring.cutoff_month == 9


def test_light_boundaries_sixty_and_eighty():
    assert traffic_light([59.999, 60, 79.999, 80, 120], 60, 80).tolist() == [
        "红灯", "黄灯", "黄灯", "绿灯", "绿灯"]


def test_execution_ratio_against_time_at_the_cut_off():
    # Budget 1.2 million, September: time progress 75 %. Spending 540,000 is 45 % executed,
    # ratio 45/75 × 100 = 60 (yellow exactly at the bound); 720,000 → 80 (green exactly).
    got = run([540_000, 720_000, 539_999, 719_999], month=9)
    assert got["time_percent"].iat[0] == 75.0
    assert got["execution_ratio"].round(6).tolist() == [60.0, 80.0, 59.999889, 79.999889]
    assert got["execution_light"].tolist() == ["黄灯", "绿灯", "红灯", "黄灯"]


def test_spending_rows_of_other_months_are_ignored():
    spending = pd.DataFrame({"project": ["A", "A", "A"], "month": [6, 9, 12],
                             "spent": [100.0, 600.0, 900.0]})
    res = monitor(pd.DataFrame({"project": ["A"], "budget": [1000.0]}), spending, CONFIG)
    assert res.projects["spent"].iat[0] == 600.0
    res = monitor(pd.DataFrame({"project": ["A"], "budget": [1000.0]}), spending, CONFIG,
                  month=12)
    assert res.projects["execution_ratio"].iat[0] == pytest.approx(90.0)


def progress_rows(actual: float, *, target: float = 100.0, unit: str = "人",
                  direction: str = "≥") -> pd.DataFrame:
    return pd.DataFrame({"project": ["P0"], "direction": [direction], "target": [target],
                         "actual": [actual], "unit": [unit], "weight": [10.0]})


def test_target_progress_is_time_scaled_for_quantities_and_not_for_rates():
    # September: 60 of an annual 100 people is 60 / (100 × 9/12) = 80 %; a 90 % rate against a
    # 95 % target is 94.74 % whatever the month.
    count = run([900_000], progress=progress_rows(60.0))
    rate = run([900_000], progress=progress_rows(90.0, target=95.0, unit="%"))
    assert count["target_progress"].iat[0] == pytest.approx(80.0)
    assert count["target_light"].iat[0] == "绿灯"
    assert rate["target_progress"].iat[0] == pytest.approx(90 / 95 * 100)


def test_over_achievement_from_exactly_120_percent_of_the_annual_target():
    assert run([900_000], progress=progress_rows(120.0))["over_achievement"].iat[0]
    assert not run([900_000], progress=progress_rows(119.99))["over_achievement"].iat[0]


def test_progress_of_several_indicators_is_a_capped_weighted_mean():
    rows = pd.DataFrame({"project": "P0", "direction": ["≥", "≥", "≤"],
                         "target": [100.0, 100.0, 5.0], "actual": [150.0, 30.0, 9.0],
                         "unit": ["人", "人", "%"], "weight": [30.0, 10.0, 10.0]})
    got = run([900_000], progress=rows)
    # 150/75 → 200 % capped at 100; 30/75 → 40 %; the "≤" indicator is not time-scaled.
    assert got["target_progress"].iat[0] == pytest.approx((30 * 100 + 10 * 40) / 40)
    assert got["n_indicators"].iat[0] == 2


def test_sichuan_checkpoints_apply_from_their_month():
    points = CONFIG.monitoring.sichuan.checkpoints
    assert [sichuan_checkpoint(m, points) for m in (3, 4, 5, 6, 8, 9, 10, 12)] == [
        pytest.approx(np.nan, nan_ok=True), 25, 25, 40, 60, 60, 80, 80]
    # End of August: exactly 60 % executed is no warning, a yuan less is.
    got = run([720_000, 719_999], month=8, rule_set="sichuan")
    assert got["warning_execution"].tolist() == [False, True]
    assert got["classification"].tolist() == ["正常", "督促加快"]


def test_sichuan_gap_over_ten_points():
    # 60 % executed by September; attainment of 70 % is a gap of 10 (no warning), 70.01 is over.
    at = run([720_000], month=9, rule_set="sichuan", progress=progress_rows(70.0, unit="%"))
    over = run([720_000], month=9, rule_set="sichuan", progress=progress_rows(70.01, unit="%"))
    assert not at["warning_gap"].iat[0]
    assert over["warning_gap"].iat[0] and over["classification"].iat[0] == "整改纠偏"


def test_classification_and_suggested_cut():
    # September, budget 1.2 million: 300,000 spent is a ratio of 33.3 < 40 → 调整调减, with
    # half of the balance the pace leaves: 0.5 × (1,200,000 − 300,000 × 12/9) = 400,000.
    got = run([300_000, 600_000, 900_000], progress=None)
    assert got["classification"].tolist() == ["调整调减", "督促加快", "正常"]
    assert got["suggested_cut"].tolist() == [400_000.0, 0.0, 0.0]


def test_both_lights_red_is_a_major_deviation():
    rows = pd.DataFrame({"project": ["P0"], "direction": ["≥"], "target": [100.0],
                         "actual": [30.0], "unit": ["人"], "weight": [10.0]})
    got = run([500_000], progress=rows)                   # ratio 55.6, progress 40 → both red
    assert got["classification"].iat[0] == "调整调减"
    expected = round(0.5 * (1_200_000 - 500_000 * 12 / 9), -2)
    assert got["suggested_cut"].iat[0] == expected


def test_lagging_targets_with_good_execution_need_correction():
    got = run([900_000], progress=progress_rows(50.0))    # progress 66.7 → yellow
    assert got["classification"].iat[0] == "整改纠偏"


def test_many_projects_match_a_row_by_row_computation():
    rng = np.random.default_rng(3)
    n, month = 200, 9
    budget = rng.integers(10, 500, size=n) * 10_000.0
    spent = np.round(budget * rng.uniform(0, 1, size=n), 2)
    res = monitor(pd.DataFrame({"project": range(n), "budget": budget}),
                  pd.DataFrame({"project": range(n), "spent": spent}), CONFIG).projects
    for i in range(n):
        ratio = spent[i] / budget[i] / (month / 12) * 100
        light = "红灯" if ratio < 60 else "黄灯" if ratio < 80 else "绿灯"
        kind = "调整调减" if ratio < 40 else "督促加快" if light != "绿灯" else "正常"
        cut = 0.0
        if kind == "调整调减":
            cut = float(np.floor(0.5 * max(0.0, budget[i] - spent[i] * 12 / month) / 100 + 0.5)
                        * 100)
        assert res["execution_light"].iat[i] == light
        assert res["classification"].iat[i] == kind
        assert res["suggested_cut"].iat[i] == pytest.approx(cut)


def test_missing_spending_counts_as_nothing_spent_and_is_marked():
    res = monitor(pd.DataFrame({"project": ["A", "B"], "budget": [1e6, 1e6]}),
                  pd.DataFrame({"project": ["A"], "spent": [9e5]}), CONFIG).projects
    assert res["spending_missing"].tolist() == [False, True]
    assert res["classification"].iat[1] == "调整调减"


@pytest.mark.parametrize("kwargs", [{"month": 0}, {"month": 13}, {"rule_set": "traffic"}])
def test_bad_month_or_rule_set_is_refused(kwargs):
    with pytest.raises(InputError):
        monitor(pd.DataFrame({"project": ["A"], "budget": [1.0]}),
                pd.DataFrame({"project": ["A"], "spent": [1.0]}), CONFIG, **kwargs)


def test_non_positive_budget_and_duplicate_spending_are_refused():
    with pytest.raises(InputError) as err:
        monitor(pd.DataFrame({"project": ["A", "B"], "budget": [1.0, 0.0]}),
                pd.DataFrame({"project": ["A"], "spent": [1.0]}), CONFIG)
    assert err.value.location.row == 2
    with pytest.raises(InputError, match="两条"):
        monitor(pd.DataFrame({"project": ["A"], "budget": [1.0]}),
                pd.DataFrame({"project": ["A", "A"], "spent": [1.0, 2.0]}), CONFIG)


def test_sichuan_warnings_alone_never_cut():
    # End of September: 50 % executed (below August's 60 % floor) and attainment 75 % (gap 25):
    # both warnings, yet the ratio 66.7 is far from severe, so the project is urged, not cut.
    got = run([600_000], month=9, rule_set="sichuan", progress=progress_rows(75.0, unit="%"))
    assert got["warning_execution"].iat[0] and got["warning_gap"].iat[0]
    assert got["classification"].iat[0] == "督促加快" and got["suggested_cut"].iat[0] == 0.0
    severe = run([300_000], month=9, rule_set="sichuan")
    assert severe["classification"].iat[0] == "调整调减"


def test_docstring_examples_run():
    assert doctest.testmod(monitoring_module).failed == 0
