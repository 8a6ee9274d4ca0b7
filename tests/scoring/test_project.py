"""Tests of scoring.project: tree sums, budget execution, rounding at the end, grades, veto gate.

Expected values are worked by hand from DOMAIN.md §2–§3 (self-evaluation weights 预算执行率 10,
产出 50, 效益 30, 满意度 10; budget score min(10, spent/budget × 10)); a plain-Python reference
that walks the rows one at a time checks many random projects at once.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from indicators.errors import InputError
from scoring.grades import Band, BandTable
from scoring.project import budget_execution_points, round_half_up, score_projects

PROVENANCE = {"library_version": "national-2021 v1.2.0", "weight_set": "default-10-50-30-10"}


def example_rows() -> pd.DataFrame:
    """Two projects on the default framework (产出 50, 效益 30, 满意度 10, plus budget 10)."""
    return pd.DataFrame({
        "project": ["P1"] * 5 + ["P2"] * 5,
        "indicator": ["完成数量", "合格率", "完成及时率", "受益人数", "满意度"] * 2,
        "level2": ["数量指标", "质量指标", "时效指标", "社会效益指标", "服务对象满意度指标"] * 2,
        "level1": ["产出指标"] * 3 + ["效益指标", "满意度指标"] + ["产出指标"] * 3
        + ["效益指标", "满意度指标"],
        "weight": [20, 20, 10, 30, 10] * 2,
        "direction": ["≥", "≥", "≤", "≥", "≥"] * 2,
        "target": [100, 95, 30, 1000, 90] * 2,
        "actual": [80, 95, 45, 1200, 99, 100, 90.25, 60, 500, 45],
    })


def example_budgets() -> pd.DataFrame:
    return pd.DataFrame({"project": ["P2", "P1"], "budget": [200.0, 100.0], "spent": [150.0, 92.0]})


def test_hand_worked_totals_subtotals_and_grades() -> None:
    r = score_projects(example_rows(), example_budgets(), **PROVENANCE)
    totals = r.totals.set_index("project")
    # P1: 20×0.8=16; 20; ≤ 45 vs 30 → 10×(1−15/30)=5; 30 (over-achieved); 10 → 81; budget 9.2.
    # P2: 20; 20×0.95=19; ≤ 60 = 2×30 → 0; 30×0.5=15; 10×0.5=5 → 59; budget 7.5.
    assert totals.loc["P1", "indicator_points"] == pytest.approx(81.0)
    assert totals.loc["P2", "indicator_points"] == pytest.approx(59.0)
    assert totals.loc["P1", "budget_points"] == pytest.approx(9.2)
    assert totals.loc["P2", "budget_points"] == pytest.approx(7.5)
    assert totals.loc["P1", "total"] == 90.2 and totals.loc["P1", "grade"] == "优"
    assert totals.loc["P2", "total"] == 66.5 and totals.loc["P2", "grade"] == "中"
    assert totals.loc["P1", "n_over_achievement"] == 1
    assert totals["max_points"].tolist() == [100.0, 100.0]

    sub = r.subtotals.set_index(["project", "level", "code"])
    assert sub.loc[("P1", 1, "产出指标"), "points"] == pytest.approx(41.0)
    assert sub.loc[("P1", 1, "产出指标"), "max_points"] == 50
    assert sub.loc[("P2", 1, "效益指标"), "points"] == pytest.approx(15.0)
    assert sub.loc[("P2", 2, "质量指标"), "points"] == pytest.approx(19.0)
    assert sub.loc[("P2", 2, "质量指标"), "parent"] == "产出指标"
    # Each level sums to the indicator points of its project.
    per_level = r.subtotals.groupby(["project", "level"], observed=True)["points"].sum()
    assert per_level.loc["P1"].tolist() == pytest.approx([81.0, 81.0])


def test_result_records_what_it_used() -> None:
    r = score_projects(example_rows(), example_budgets(), bands="local_strict90", **PROVENANCE)
    assert r.library_version == "national-2021 v1.2.0"
    assert r.weight_set == "default-10-50-30-10"
    assert (r.band_table, r.band_version) == ("local_strict90", "2021.1")
    assert r.rule_params["budget_weight"] == 10.0 and r.rule_params["trim_over"] == 1.2
    with pytest.raises(TypeError):
        r.rule_params["budget_weight"] = 0  # type: ignore[index]


def test_indicator_table_carries_points_and_flags() -> None:
    rows = example_rows()
    rows.loc[7, "actual"] = np.nan
    r = score_projects(rows, example_budgets(), **PROVENANCE)
    ind = r.indicators
    assert ind.loc[7, "points"] == 0.0 and bool(ind.loc[7, "missing"])
    assert "missing" in ind.loc[7, "reason"]
    assert bool(ind.loc[3, "over_achievement"])
    assert r.totals.set_index("project").loc["P2", "n_missing"] == 1


def test_budget_execution_points() -> None:
    got = budget_execution_points([100, 100, 100, 100], [0, 85, 100, 130])
    assert got.tolist() == pytest.approx([0.0, 8.5, 10.0, 10.0])
    assert budget_execution_points([100], [np.nan]).tolist() == [0.0]
    assert budget_execution_points([100], [90], weight=20, full_ratio=0.9).tolist() == [20.0]
    with pytest.raises(InputError):
        budget_execution_points([0], [1])


def test_project_without_budget_row_gets_zero_budget_points() -> None:
    r = score_projects(example_rows(), example_budgets().iloc[:1], **PROVENANCE)
    p1 = r.totals.set_index("project").loc["P1"]
    assert p1["budget_points"] == 0.0 and np.isnan(p1["execution_rate"])


def test_budget_table_required_and_unique() -> None:
    with pytest.raises(InputError, match="budgets"):
        score_projects(example_rows(), **PROVENANCE)
    twice = pd.concat([example_budgets(), example_budgets()])
    with pytest.raises(InputError, match="twice"):
        score_projects(example_rows(), twice, **PROVENANCE)


def test_rounding_happens_once_at_the_total_then_grading() -> None:
    # 80 indicator points + 10 × 0.9995 = 89.995 → 90.00 (half up) → 优; the unrounded total is
    # below 90, so grading before rounding would have said 良.
    rows = {"project": ["P"], "indicator": ["i"], "level2": ["l2"], "level1": ["l1"],
            "weight": [90], "direction": ["≥"], "target": [9], "actual": [8]}
    money = {"project": ["P"], "budget": [2000.0], "spent": [1999.0]}
    r = score_projects(rows, money, **PROVENANCE)
    row = r.totals.iloc[0]
    assert row["total_unrounded"] == pytest.approx(89.995)
    assert row["total"] == 90.0 and row["grade"] == "优"


def test_round_half_up() -> None:
    assert round_half_up([89.995, 89.994, 0.005, 2.675, np.nan], 2)[:4].tolist() == \
        [90.0, 89.99, 0.01, 2.68]
    assert np.isnan(round_half_up([np.nan])[0])


def test_weights_must_add_up_to_the_framework_total() -> None:
    rows = example_rows()
    rows.loc[0, "weight"] = 25
    with pytest.raises(InputError, match="P1"):
        score_projects(rows, example_budgets(), **PROVENANCE)
    r = score_projects(rows, example_budgets(), total_weight=None, **PROVENANCE)
    assert r.totals.set_index("project").loc["P1", "max_points"] == 105


def test_framework_weights_are_checked_per_level1() -> None:
    framework = {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    score_projects(example_rows(), example_budgets(), framework_weights=framework, **PROVENANCE)
    with pytest.raises(InputError, match="产出指标"):
        score_projects(example_rows(), example_budgets(), **PROVENANCE,
                       framework_weights={**framework, "产出指标": 40})


def test_level2_under_two_level1_parents_is_an_error() -> None:
    rows = example_rows()
    rows.loc[1, "level2"] = "数量指标"
    rows.loc[1, "level1"] = "效益指标"
    with pytest.raises(InputError, match="数量指标"):
        score_projects(rows, example_budgets(), **PROVENANCE)


def test_missing_columns_are_named() -> None:
    with pytest.raises(InputError, match="actual"):
        score_projects(example_rows().drop(columns="actual"), example_budgets(), **PROVENANCE)


def test_veto_caps_the_grade_but_keeps_the_score() -> None:
    r = score_projects(example_rows(), example_budgets(), veto=["P1", "P2"], **PROVENANCE)
    t = r.totals.set_index("project")
    assert t.loc["P1", "grade_before_veto"] == "优" and t.loc["P1", "grade"] == "中"
    assert t.loc["P1", "total"] == 90.2
    assert t.loc["P2", "grade"] == "中"  # already at the cap
    assert t["vetoed"].tolist() == [True, True]


def test_veto_cap_is_configurable_and_can_follow_missing_evidence() -> None:
    rows = example_rows()
    rows.loc[4, "actual"] = None  # P1 loses 10 points and has a missing actual
    r = score_projects(rows, example_budgets(), veto_on_missing=True, veto_cap="差",
                       **PROVENANCE)
    t = r.totals.set_index("project")
    assert t.loc["P1", "grade_before_veto"] == "良" and t.loc["P1", "grade"] == "差"
    assert not t.loc["P2", "vetoed"] and t.loc["P2", "grade"] == "中"


def test_custom_band_table() -> None:
    table = BandTable(name="pass-fail", version="1", bands=(Band("合格", 60), Band("不合格",
                                                                                    -np.inf)))
    r = score_projects(example_rows(), example_budgets(), bands=table, veto=["P1"],
                       veto_cap="不合格", **PROVENANCE)
    assert r.totals["grade"].tolist() == ["不合格", "合格"]
    assert r.band_table == "pass-fail"


def test_qualitative_indicators_in_the_tree() -> None:
    rows = example_rows()
    rows["direction"] = rows["direction"].astype(object)
    rows.loc[4, "direction"] = "定性"
    rows["qualitative_level"] = [None, None, None, None, "部分达成"] + [None] * 5
    rows["manual_score"] = [np.nan] * 4 + [7.5] + [np.nan] * 5
    r = score_projects(rows, example_budgets(), **PROVENANCE)
    assert r.indicators.loc[4, "points"] == 7.5
    assert r.indicators.loc[4, "direction"] == "定性"


def reference_totals(rows: pd.DataFrame, budgets: pd.DataFrame) -> dict[str, float]:
    """Walk the rows one by one, as a clerk with a calculator would."""
    totals: dict[str, float] = defaultdict(float)
    for row in rows.itertuples():
        t, a, w = row.target, row.actual, row.weight
        if row.direction == "≥":
            p = w if a >= t else w * max(a, 0) / t
        elif row.direction == "≤":
            p = w if a <= t else (0.0 if a >= 2 * t else w * (1 - (a - t) / t))
        else:
            p = max(0.0, w * (1 - abs(a - t) / t))
        totals[row.project] += p
    for b in budgets.itertuples():
        totals[b.project] += min(10.0, b.spent / b.budget * 10)
    return {k: float(round_half_up(v)) for k, v in totals.items()}


def test_many_projects_match_the_row_by_row_reference() -> None:
    rng = np.random.default_rng(2021)
    n_projects, k = 300, 6
    rows = pd.DataFrame({
        "project": np.repeat([f"X{i:03d}" for i in range(n_projects)], k),
        "indicator": np.tile([f"I{j}" for j in range(k)], n_projects),
        "level2": np.tile(["a", "a", "b", "c", "c", "d"], n_projects),
        "level1": np.tile(["产出", "产出", "产出", "效益", "效益", "满意度"], n_projects),
        "weight": np.tile([20.0, 15, 15, 20, 10, 10], n_projects),
        "direction": rng.choice(["≥", "≤", "="], n_projects * k),
        "target": rng.uniform(1, 100, n_projects * k),
    })
    rows["actual"] = rows["target"] * rng.uniform(0, 2.5, len(rows))
    budgets = pd.DataFrame({"project": rows["project"].unique(),
                            "budget": rng.uniform(1e4, 1e6, n_projects)})
    budgets["spent"] = budgets["budget"] * rng.uniform(0.2, 1.3, n_projects)
    r = score_projects(rows, budgets, **PROVENANCE)
    expected = reference_totals(rows, budgets)
    got = dict(zip(r.totals["project"], r.totals["total"], strict=True))
    assert got == pytest.approx(expected, abs=1e-9)
