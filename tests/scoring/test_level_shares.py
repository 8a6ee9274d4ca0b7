"""Achievement shares by heading (scoring/level_shares.py), worked by hand."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import scoring.level_shares as module
from indicators.errors import InputError
from indicators.frameworks import builtin_frameworks, load_builtin
from indicators.model import Project, Target, TargetTable
from scoring.level_shares import BUDGET_HEADING, level_shares
from scoring.report import level_subtotals
from scoring.targets import score_target_tables


def test_docstring_examples_run() -> None:
    assert doctest.testmod(module).failed == 0


def test_shares_of_two_scored_projects_worked_by_hand() -> None:
    tables = []
    for code, amount in (("S1", 100.0), ("S2", 200.0)):
        project = Project(code, f"项目{code}", "县水务局", "一般公共预算", amount, 2022)
        tables.append(TargetTable(project, (
            Target(code, "A", "完成数量", "产出指标", "数量指标", "≥", 60, 100.0),
            Target(code, "B", "满意度", "满意度指标", "服务对象满意度指标", "定性", 30))))
    library = next(v for v in map(load_builtin, builtin_frameworks())
                   if v.ref == "national-target@1.0.0")
    result = score_target_tables(
        tables, library,
        actuals=pd.DataFrame({"project": ["S1", "S1", "S2", "S2"], "indicator": ["A", "B"] * 2,
                              "actual": [100.0, None, 50.0, None],
                              "level": [None, "达成", None, "未达成"]}),
        spending=pd.DataFrame({"project": ["S1", "S2"], "spent": [100.0, 100.0]}))
    shares = level_shares(level_subtotals(result),
                          result.totals.set_index("project")["budget_points"],
                          budget_weight=float(result.rule_params["budget_weight"]),
                          levels=(1, 2))
    # S1: 100 ≥ 100 → 60/60; 达成 → 27/30; spent all of 100 → 10/10.
    # S2: 50/100 → 30/60; 未达成 → 9/30; spent 100 of 200 → 5/10.
    assert list(shares.columns) == [BUDGET_HEADING, "产出指标", "满意度指标", "数量指标",
                                    "服务对象满意度指标"]
    np.testing.assert_allclose(shares.loc["S1"].to_numpy(), [1.0, 1.0, 0.9, 1.0, 0.9])
    np.testing.assert_allclose(shares.loc["S2"].to_numpy(), [0.5, 0.5, 0.3, 0.5, 0.3])


def test_missing_headings_are_nan_and_repeated_ones_pool() -> None:
    sub = pd.DataFrame({"project": ["P1", "P1", "P1", "P2"], "level": [2, 2, 1, 1],
                        "code": ["质量指标", "质量指标", "产出指标", "产出指标"],
                        "points": [4.0, 2.0, 30.0, 50.0], "max_points": [5.0, 5.0, 50.0, 50.0]})
    shares = level_shares(sub, levels=(1, 2))
    assert shares.loc["P1", "质量指标"] == pytest.approx(6 / 10)
    assert np.isnan(shares.loc["P2", "质量指标"]) and shares.loc["P2", "产出指标"] == 1.0
    with pytest.raises(InputError):
        level_shares(sub.drop(columns="points"))
    with pytest.raises(InputError):
        level_shares(sub, pd.Series({"P1": 1.0}), budget_weight=0)
