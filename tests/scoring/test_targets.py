"""Tests of scoring.targets: target tables and the library's rules, through the project kernel.

Expected values are worked by hand from DOMAIN.md §2–§3 (≥ ratio, ≤ linear to 2×target,
= closeness, 定性 bands, budget score min(w, w × spent/budget / full_at), totals rounded half up
and graded by 财预〔2020〕10号). A plain-Python scorer that walks the rows one at a time, written
from the DOMAIN.md text and not from the kernel, checks many random projects at once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from indicators.errors import InputError
from indicators.frameworks import load_builtin
from indicators.model import Indicator, LibraryVersion, Project, Target, TargetTable
from scoring.targets import project_frame, score_target_tables, spending_rows, target_rows

NATIONAL = load_builtin("national-target")


def library(*extra: Indicator) -> LibraryVersion:
    """A small published library: budget execution 20 (full at 80 %) and the given indicators."""
    budget = Indicator("YS", "预算执行率", 1, direction="≥", rule="budget_execution",
                       rule_params={"full_at": 0.8}, weight=20)
    return LibraryVersion("test-lib", "1.0.0", "测试库", "target", (budget, *extra),
                          status="published")


RULED = library(
    Indicator("T1", "完成数量", 3, direction="≥", rule="trim_over",
              rule_params={"threshold": 1.5}),
    Indicator("R1", "单位成本", 3, direction="≤", rule="ratio"),
    Indicator("Q1", "群众满意度", 3, direction="定性", rule="qualitative_bands",
              rule_params={"bands": {"达成": [70, 100], "部分达成": [50, 70], "未达成": [0, 50]}}),
)


def project(code: str = "P1", amount: float = 100.0, *targets: Target) -> TargetTable:
    p = Project(code, f"项目{code}", "县交通运输局", "一般公共预算", amount, 2021)
    return TargetTable(p, targets)


def ruled_table(code: str = "P1") -> TargetTable:
    return project(
        code, 100.0,
        Target(code, "T1", "完成数量", "产出指标", "数量指标", "≥", 30, 100.0),
        Target(code, "R1", "单位成本", "产出指标", "成本指标", "≤", 20, 50.0),
        Target(code, "Q1", "群众满意度", "满意度指标", "服务对象满意度指标", "定性", 20,
               target_text="达成年度指标"),
        Target(code, "OWN", "受益人数", "效益指标", "社会效益指标", "≥", 10, 10.0),
    )


def facts(code: str = "P1") -> pd.DataFrame:
    return pd.DataFrame({"project": [code] * 4, "indicator": ["T1", "R1", "Q1", "OWN"],
                         "actual": [160.0, 40.0, None, 13.0],
                         "level": [None, None, "部分达成", None]})


def money(code: str = "P1", spent: float = 60.0) -> pd.DataFrame:
    return pd.DataFrame({"project": [code], "budget": [100.0], "spent": [spent]})


def test_library_rules_worked_by_hand():
    r = score_target_tables([ruled_table()], RULED, actuals=facts(), spending=money())
    points = r.indicators.set_index("indicator")["points"]
    # T1 ≥: 160 ≥ 100 → full 30, flagged at 1.6 ≥ 1.5 (the library's threshold).
    assert points["T1"] == pytest.approx(30.0)
    # R1 ratio: 20 × 40/50 = 16, where the ≤ rule would have given full marks.
    assert points["R1"] == pytest.approx(16.0)
    # Q1 部分达成 in the library's 50–70 % band: midpoint 60 % of 20 = 12 (not 70 % = 14).
    assert points["Q1"] == pytest.approx(12.0)
    # OWN is not in the library: default ≥ rule, 13/10 → full; 1.3 < 1.5 so not flagged.
    assert points["OWN"] == pytest.approx(10.0)
    over = r.indicators.set_index("indicator")["over_achievement"]
    assert over["T1"] and not over["OWN"]
    totals = r.totals.iloc[0]
    # Budget: 60/100 = 0.6, full at 0.8 → 20 × 0.6 / 0.8 = 15. Total 68 + 15 = 83 → 良.
    assert totals["budget_points"] == pytest.approx(15.0)
    assert totals["total"] == 83.0 and totals["grade"] == "良"
    assert r.library_version == "test-lib@1.0.0" and r.weight_set == "target-tables"
    assert r.rule_params["qualitative_bands"]["部分达成"] == (0.5, 0.7)
    assert r.rule_params["trim_over"] == 1.5 and r.rule_params["budget_full_ratio"] == 0.8
    assert r.rule_params["rule_sources"]["budget_execution"] == "library: YS"


def test_kernel_defaults_when_the_library_says_nothing():
    table = project("P1", 200.0,
                    Target("P1", "A", "完成率", "产出指标", "数量指标", "≥", 60, 95.0),
                    Target("P1", "B", "满意度", "满意度指标", "服务对象满意度指标", "定性", 30))
    r = score_target_tables(
        [table], NATIONAL, spending=pd.DataFrame({"project": ["P1"], "spent": [150.0]}),
        actuals=pd.DataFrame({"project": ["P1", "P1"], "indicator": ["A", "B"],
                              "actual": [114.0, None], "level": [None, "达成"]}))
    t = r.totals.iloc[0]
    # A: 114 ≥ 95 → 60, flagged at 114/95 = 1.2 (DOMAIN: flag ≥ 120 %); B: 达成 midpoint 90 % → 27;
    # budget: blank budget → amount 200, 10 × 150/200 = 7.5. Total 94.5 → 优.
    assert t["indicator_points"] == pytest.approx(87.0) and t["budget_points"] == 7.5
    assert t["total"] == 94.5 and t["grade"] == "优" and t["n_over_achievement"] == 1
    assert r.rule_params["rule_sources"]["budget_execution"] == "library: YS"


def test_missing_actual_scores_zero_and_is_flagged():
    actuals = facts().iloc[[0, 2, 3]]
    r = score_target_tables([ruled_table()], RULED, actuals=actuals, spending=money())
    row = r.indicators.set_index("indicator").loc["R1"]
    assert row["points"] == 0.0 and row["missing"]
    assert "missing" in row["reason"]
    assert r.totals["n_missing"].tolist() == [1]


def test_veto_and_bands_pass_through():
    r = score_target_tables([ruled_table()], RULED, actuals=facts(), spending=money(),
                            bands="local_80_70_60", veto=["P1"], veto_cap="良")
    assert r.band_table == "local_80_70_60"
    assert r.totals[["grade_before_veto", "grade"]].values.tolist() == [["优", "良"]]


def test_budget_execution_rows_are_scored_from_spending_not_twice():
    table = project("P1", 100.0,
                    Target("P1", "YS", "预算执行率", "预算执行", "预算执行", "≥", 20, 100.0),
                    *ruled_table().targets)
    rows = target_rows([table], RULED)
    assert "YS" not in rows["indicator"].tolist()
    r = score_target_tables([table], RULED, actuals=facts(), spending=money())
    assert r.totals["total"].tolist() == [83.0]


def test_ratio_with_a_cap_other_than_one_is_refused():
    lib = library(Indicator("R1", "单位成本", 3, direction="≥", rule="ratio",
                            rule_params={"cap": 1.2}))
    with pytest.raises(InputError, match="cap"):
        target_rows([ruled_table()], lib)


def test_input_problems_name_what_is_wrong():
    with pytest.raises(InputError, match="no projects"):
        target_rows([], RULED)
    with pytest.raises(InputError, match="P1"):
        target_rows([ruled_table(), ruled_table()], RULED)
    with pytest.raises(InputError, match="no targets"):
        target_rows([project("P9")], RULED)
    stray = pd.concat([facts(), pd.DataFrame({"project": ["P1"], "indicator": ["XX"],
                                              "actual": [1.0]})])
    with pytest.raises(InputError, match="XX"):
        score_target_tables([ruled_table()], RULED, actuals=stray, spending=money())
    with pytest.raises(InputError, match="twice"):
        score_target_tables([ruled_table()], RULED, actuals=pd.concat([facts(), facts()]),
                            spending=money())
    with pytest.raises(InputError, match="no target table"):
        spending_rows([ruled_table()], money("P2"))
    with pytest.raises(InputError, match="twice"):
        spending_rows([ruled_table()], pd.concat([money(), money()]))
    with pytest.raises(InputError, match="lacks"):
        score_target_tables([ruled_table()], RULED, actuals=facts().drop(columns="indicator"),
                            spending=money())


def test_project_frame_carries_what_reports_group_by():
    frame = project_frame([ruled_table("P1"), ruled_table("P2")])
    assert frame["project"].tolist() == ["P1", "P2"]
    assert set(frame["budget_type"]) == {"一般公共预算"} and frame["amount"].tolist() == [100, 100]


# --------------------------------------------------------------------------- random cross-check

def reference_points(direction: str, target: float, actual: float | None, weight: float,
                     level: str | None) -> float:
    """One indicator scored from the words of DOMAIN.md §3, with the default 定性 midpoints."""
    if direction == "定性":
        return {"达成": 0.9, "部分达成": 0.7, "未达成": 0.3}.get(level, 0.0) * weight
    if actual is None:
        return 0.0
    if direction == "≥":
        if actual >= target:
            return weight
        return weight * max(actual, 0.0) / target
    if direction == "≤":
        if actual <= target:
            return weight
        if actual >= 2 * target:
            return 0.0
        return weight * (1 - (actual - target) / target)
    if target == 0:
        return weight if actual <= 0 else 0.0
    return weight * max(0.0, 1 - abs(actual - target) / abs(target))


def reference_grade(total: float) -> str:
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def test_random_county_matches_a_row_by_row_reference():
    rng = np.random.default_rng(20211231)
    tables, fact_rows, money_rows, expected = [], [], [], {}
    for p in range(60):
        code = f"P{p:03d}"
        n = int(rng.integers(2, 7))
        weights = rng.multinomial(90 - n, np.ones(n) / n) + 1.0
        targets, total = [], 0.0
        for k in range(n):
            direction = str(rng.choice(["≥", "≤", "=", "定性"]))
            target = float(rng.choice([0.0, 5.0, 90.0, 100.0, 250.0]))
            if direction in ("≥", "≤") and target == 0:
                target = 50.0
            actual = None if rng.random() < 0.1 else float(np.round(rng.uniform(0, 2.2) * max(target, 1), 2))
            level = str(rng.choice(["达成", "部分达成", "未达成"])) if direction == "定性" else None
            targets.append(Target(code, f"I{k}", f"指标{k}", f"一级{k % 3}", f"二级{k}",
                                  direction, float(weights[k]),
                                  None if direction == "定性" else target))
            fact_rows.append((code, f"I{k}", None if direction == "定性" else actual, level))
            total += reference_points(direction, target, None if direction == "定性" else actual,
                                      float(weights[k]), level)
        amount = float(rng.integers(1, 500)) * 1000
        spent = float(np.round(amount * rng.uniform(0.3, 1.2), 2))
        tables.append(project(code, amount, *targets))
        money_rows.append((code, None, spent))
        total += min(10.0, spent / amount * 10.0)
        expected[code] = float(Decimal(repr(total)).quantize(Decimal("0.01"), ROUND_HALF_UP))
    r = score_target_tables(
        tables, NATIONAL,
        actuals=pd.DataFrame(fact_rows, columns=["project", "indicator", "actual", "level"]),
        spending=pd.DataFrame(money_rows, columns=["project", "budget", "spent"]))
    got = r.totals.set_index("project")
    for code, total in expected.items():
        assert got.loc[code, "total"] == pytest.approx(total, abs=1e-9), code
        assert got.loc[code, "grade"] == reference_grade(total), code


def test_a_manual_score_outside_its_band_names_project_and_indicator():
    manual = facts().assign(manual_score=[np.nan, np.nan, 15.0, np.nan])
    # 部分达成 in the library's band is 50–70 % of 20 = 10–14 points; 15 is outside it.
    with pytest.raises(InputError) as err:
        score_target_tables([ruled_table()], RULED, actuals=manual, spending=money())
    assert "P1" in err.value.en and "Q1" in err.value.en and "15" in err.value.en
    inside = facts().assign(manual_score=[np.nan, np.nan, 13.5, np.nan])
    r = score_target_tables([ruled_table()], RULED, actuals=inside, spending=money())
    assert r.indicators.set_index("indicator").loc["Q1", "points"] == 13.5
