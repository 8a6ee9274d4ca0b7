"""Tests of scoring.report: the per-project, per-indicator and summary tables of a result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.errors import InputError
from scoring.project import score_projects
from scoring.report import (
    PROJECT_RESULT_COLUMNS,
    grade_counts,
    indicator_results,
    level_subtotals,
    project_results,
    summary_by,
)


def scored():
    rows = pd.DataFrame({
        "project": ["P1", "P1", "P2", "P2"],
        "indicator": ["a", "b", "a", "c"],
        "level2": ["数量指标", "服务对象满意度指标", "数量指标", "社会效益指标"],
        "level1": ["产出指标", "满意度指标", "产出指标", "效益指标"],
        "weight": [60, 40, 50, 50],
        "direction": ["≥", "≥", "≥", "≤"],
        "target": [10, 90, 10, 5],
        "actual": [8, 90, None, 6],
    })
    return score_projects(rows, library_version="v", weight_set="w", budget_weight=0)


META = pd.DataFrame({"project": ["P2", "P1"], "name": ["乙", "甲"], "department": ["B", "A"],
                     "budget_type": ["一般公共预算", "政府性基金预算"], "amount": [3.0, 1.0]})


def test_project_results_add_metadata_and_first_level_subtotals():
    out = project_results(scored(), META)
    assert list(out.columns[: len(PROJECT_RESULT_COLUMNS)]) == list(PROJECT_RESULT_COLUMNS)
    assert list(out.columns[len(PROJECT_RESULT_COLUMNS):]) == ["产出指标", "满意度指标", "效益指标"]
    p1, p2 = out.set_index("project").loc["P1"], out.set_index("project").loc["P2"]
    # P1: 60 × 8/10 = 48 + 40 = 88; P2: missing → 0, ≤ 6 vs 5 → 50 × 0.8 = 40.
    assert (p1["total"], p1["grade"], p1["name"]) == (88.0, "良", "甲")
    assert p1["产出指标"] == 48.0 and np.isnan(p1["效益指标"])
    assert (p2["total"], p2["n_missing"], p2["效益指标"]) == (40.0, 1, 40.0)
    with pytest.raises(InputError, match="no project record"):
        project_results(scored(), META.iloc[:1])


def test_subtotals_and_indicators_as_plain_tables():
    sub = level_subtotals(scored())
    assert sub["code"].map(type).eq(str).all()
    second = sub[(sub["level"] == 2) & (sub["code"] == "社会效益指标")].iloc[0]
    assert (second["parent"], second["points"], second["max_points"]) == ("效益指标", 40.0, 50.0)
    ind = indicator_results(scored())
    assert ind["missing"].tolist() == [False, False, True, False]
    assert ind["target_text"].isna().all()


def test_summary_by_department_and_budget_type_worked_by_hand():
    projects = project_results(scored(), META)
    by_dep = summary_by(projects, "department").set_index("department")
    assert by_dep.loc["A", ["n_projects", "mean_total", "良"]].tolist() == [1, 88.0, 1]
    by_type = summary_by(projects, "budget_type")
    assert by_type["n_projects"].sum() == 2
    everyone = projects.assign(department="县")
    row = summary_by(everyone, "department").iloc[0]
    # (88 + 40) / 2 = 64; amount-weighted (1 × 88 + 3 × 40) / 4 = 52; 良 and 差: half are good.
    assert (row["mean_total"], row["weighted_total"], row["good_share"]) == (64.0, 52.0, 0.5)
    with pytest.raises(InputError):
        summary_by(projects, "township")


def test_grade_counts_keep_every_label_in_order():
    assert grade_counts(pd.Series(["差", None, "差"]), ["优", "良", "中", "差"]).to_dict() == {
        "优": 0, "良": 0, "中": 0, "差": 2}


def test_grade_charts_keep_the_grading_order_and_fixed_colours() -> None:
    # A trial user saw 中/优/差/良 (alphabetical) in changing colours; the rule reads 优→差.
    from scoring.report import GRADE_CHART_COLOURS, grade_count_chart, grade_stack_chart

    spec = grade_count_chart(pd.Series([3, 1, 0, 2], index=["优", "良", "中", "差"]),
                             grade_title="等级", count_title="项目数").to_dict()
    assert spec["encoding"]["x"]["sort"] == ["优", "良", "中", "差"]
    assert spec["encoding"]["x"]["axis"]["labelAngle"] == 0
    assert spec["encoding"]["color"]["scale"]["range"] == [
        GRADE_CHART_COLOURS[g] for g in ("优", "良", "中", "差")]
    frame = pd.DataFrame({"department": [f"部门{i}" for i in range(12)], "差": 1, "优": 2,
                          "良": 0, "中": 1})
    stacked = grade_stack_chart(frame, ["优", "良", "中", "差"], by="department",
                                by_title="部门", grade_title="等级", count_title="项目数")
    # Twelve departments need more height than the default so every label is drawn.
    assert stacked.to_dict()["height"] >= 12 * 20
    assert stacked.to_dict()["encoding"]["color"]["scale"]["domain"] == ["优", "良", "中", "差"]


def test_grade_stack_chart_names_grades_in_the_legend_and_counts_whole_projects() -> None:
    # An English reader saw 优/良/中/差 in the legend and counts ticked at 0.5.
    from scoring.report import GRADE_CHART_COLOURS, grade_stack_chart

    frame = pd.DataFrame({"department": ["甲", "乙"], "优": [1, 0], "良": [0, 1], "中": [0, 0],
                          "差": [1, 0]})
    names = {"优": "excellent (优)", "良": "good (良)", "中": "fair (中)"}
    spec = grade_stack_chart(frame, ["优", "良", "中", "差"], by="department",
                             by_title="Department", grade_title="Grade",
                             count_title="Projects", names=names).to_dict()
    colour = spec["encoding"]["color"]
    # 差 has no name given: it keeps its label, and every grade keeps its colour.
    assert colour["scale"]["domain"] == ["excellent (优)", "good (良)", "fair (中)", "差"]
    assert colour["scale"]["range"] == [GRADE_CHART_COLOURS[g] for g in ("优", "良", "中", "差")]
    data = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert sorted(set(data["grade"])) == sorted(["excellent (优)", "good (良)", "fair (中)", "差"])
    assert data.loc[data["department"] == "甲", "count"].sum() == 2
    axis = spec["encoding"]["x"]["axis"]
    assert axis["tickMinStep"] == 1 and axis["format"] == "d"


def test_departments_are_ordered_by_their_share_of_good_grades_not_by_character_code() -> None:
    # A trial user saw 东城街道, 任市镇, 八庙镇, 县… — character-code order, meaningless.
    from scoring.report import best_grades_order, grade_stack_chart

    frame = pd.DataFrame({"department": ["东城街道", "任市镇", "八庙镇", "县教育局", "县卫健局"],
                          "优": [0, 1, 2, 3, 0], "良": [1, 1, 0, 1, 0], "中": [3, 0, 0, 0, 0],
                          "差": [0, 2, 0, 0, 0]})
    # 优+良 shares: 1/4, 2/4, 2/2, 4/4, none graded; 县教育局 beats 八庙镇 on projects.
    expected = ["县教育局", "八庙镇", "任市镇", "东城街道", "县卫健局"]
    assert best_grades_order(frame, ["优", "良", "中", "差"], by="department") == expected
    spec = grade_stack_chart(frame, ["优", "良", "中", "差"], by="department", by_title="部门",
                             grade_title="等级", count_title="项目数").to_dict()
    assert spec["encoding"]["y"]["sort"] == expected
