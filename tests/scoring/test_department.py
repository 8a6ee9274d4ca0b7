"""Tests of scoring.department: framework scoring and blending in projects weighted by amount.

Expected values are worked by hand: total = (1 − s)·F + s·Σ aᵢTᵢ / Σ aᵢ (DOMAIN.md §2, 部门整体支出).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.errors import InputError
from scoring.department import score_departments
from scoring.project import score_projects

PROVENANCE = {"library_version": "national-2021 v1.2.0", "weight_set": "department-25-30-45"}


def framework_rows() -> pd.DataFrame:
    """Two departments on a 决策 25 / 管理 30 / 绩效 45 framework."""
    return pd.DataFrame({
        "department": ["D1"] * 3 + ["D2"] * 3,
        "indicator": ["目标设定", "预算执行率", "履职效益"] * 2,
        "level2": ["目标设定", "预算执行", "履职效益"] * 2,
        "level1": ["决策", "管理", "绩效"] * 2,
        "weight": [25, 30, 45] * 2,
        "direction": ["定性", "≥", "≥"] * 2,
        "target": [np.nan, 100, 100] * 2,
        "actual": [np.nan, 90, 80, np.nan, 100, 100],
        "qualitative_level": ["达成", None, None, "部分达成", None, None],
        "manual_score": [25, np.nan, np.nan, 15, np.nan, np.nan],
    })


def projects_and_links() -> tuple[object, pd.DataFrame]:
    rows = pd.DataFrame({
        "project": ["A", "B", "C"], "indicator": ["i"] * 3, "level2": ["x"] * 3,
        "level1": ["产出"] * 3, "weight": [100.0] * 3, "direction": ["≥"] * 3,
        "target": [100.0] * 3, "actual": [80.0, 60.0, 95.0],
    })
    projects = score_projects(rows, budget_weight=0, library_version="v", weight_set="w")
    links = pd.DataFrame({"department": ["D1", "D1", "D2"], "project": ["A", "B", "C"],
                          "amount": [100.0, 300.0, 50.0]})
    return projects, links


def test_framework_alone() -> None:
    r = score_departments(framework_rows(), **PROVENANCE)
    t = r.totals.set_index("department")
    # D1: 25 + 30×0.9 + 45×0.8 = 88; D2: 15 + 30 + 45 = 90.
    assert t.loc["D1", "total"] == 88.0 and t.loc["D1", "grade"] == "良"
    assert t.loc["D2", "total"] == 90.0 and t.loc["D2", "grade"] == "优"
    assert t["project_share"].tolist() == [0.0, 0.0]
    assert r.weight_set == "department-25-30-45" and r.band_table == "national"
    sub = r.subtotals.set_index(["department", "level", "code"])
    assert sub.loc[("D1", 1, "绩效"), "points"] == pytest.approx(36.0)


def test_projects_weighted_by_amount() -> None:
    projects, links = projects_and_links()
    r = score_departments(framework_rows(), projects=projects, links=links, project_share=0.3,
                          **PROVENANCE)
    t = r.totals.set_index("department")
    # D1 projects: (100×80 + 300×60) / 400 = 65 → 0.7×88 + 0.3×65 = 81.1.
    assert t.loc["D1", "project_points"] == pytest.approx(65.0)
    assert t.loc["D1", "project_amount"] == 400 and t.loc["D1", "n_projects"] == 2
    assert t.loc["D1", "total"] == 81.1
    # D2: 0.7×90 + 0.3×95 = 91.5.
    assert t.loc["D2", "total"] == 91.5
    assert r.rule_params["project_share"] == 0.3


def test_department_without_projects_is_scored_on_its_framework() -> None:
    projects, links = projects_and_links()
    r = score_departments(framework_rows(), projects=projects, links=links.iloc[:2],
                          project_share=0.5, **PROVENANCE)
    t = r.totals.set_index("department")
    assert t.loc["D2", "project_share"] == 0.0 and t.loc["D2", "total"] == 90.0
    assert np.isnan(t.loc["D2", "project_points"])


def test_links_must_point_at_scored_departments_and_projects() -> None:
    projects, links = projects_and_links()
    bad = links.copy()
    bad.loc[1, "project"] = "Z"
    with pytest.raises(InputError, match="Z"):
        score_departments(framework_rows(), projects=projects, links=bad, project_share=0.3,
                          **PROVENANCE)
    bad = links.copy()
    bad.loc[0, "amount"] = -1
    with pytest.raises(InputError, match="amount"):
        score_departments(framework_rows(), projects=projects, links=bad, project_share=0.3,
                          **PROVENANCE)


def test_share_must_be_a_share_and_needs_projects() -> None:
    with pytest.raises(InputError):
        score_departments(framework_rows(), project_share=1.5, **PROVENANCE)
    with pytest.raises(InputError):
        score_departments(framework_rows(), project_share=0.3, **PROVENANCE)


def test_department_veto() -> None:
    r = score_departments(framework_rows(), veto=["D2"], **PROVENANCE)
    t = r.totals.set_index("department")
    assert t.loc["D2", "grade_before_veto"] == "优" and t.loc["D2", "grade"] == "中"
