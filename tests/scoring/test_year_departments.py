"""Department overall evaluation of a budget year (scoring/year_departments.py).

Expected points are computed here from DOMAIN.md §3 and the framework's YAML file read with
PyYAML, never from the module's own output; the demo year is checked against the shipped demo
county's unit list.
"""

from __future__ import annotations

import dataclasses
import doctest

import numpy as np
import pandas as pd
import pytest
import yaml

import scoring.year_departments as module
from indicators.errors import InputError
from indicators.frameworks import load_builtin
from indicators.model import LibraryVersion
from indicators.resources import data_path
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_demo import demo_county_year
from scoring.project import score_projects
from scoring.year import run_year
from scoring.year_departments import (
    NO_FACTS,
    department_table,
    framework_targets,
    score_year_departments,
)

FRAMEWORK = load_builtin("national-department")
# DOMAIN.md §3: a qualitative level without a manual score earns the middle of its band.
BAND_MIDDLE = {"达成": 0.9, "部分达成": 0.7, "未达成": 0.3}


@pytest.fixture(scope="module")
def leaves() -> pd.DataFrame:
    """The framework's leaves straight from its YAML file, targets read by hand."""
    with open(data_path("frameworks", "national-department.yaml"), encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    rows = [i for i in doc["indicators"] if i["level"] == 3]
    table = pd.DataFrame({"code": [i["code"] for i in rows],
                          "direction": [i["direction"] for i in rows],
                          "weight": [float(i["weight"]) for i in rows],
                          "reference": [str(i["reference_value"]) for i in rows]})
    table["target"] = [float(r.lstrip("≥≤")) if d != "定性" else np.nan
                       for r, d in zip(table["reference"], table["direction"], strict=True)]
    return table.set_index("code")


def by_hand(direction: str, target: float, actual: float | str, weight: float) -> float:
    """One leaf's points by the rules of DOMAIN.md §3."""
    if direction == "定性":
        return weight * BAND_MIDDLE[actual]
    if direction == "≥":
        return weight * min(1.0, actual / target)
    if target == 0:
        return weight if actual <= 0 else 0.0
    if actual <= target:
        return weight
    return weight * (1 - (actual - target) / target) if actual < 2 * target else 0.0


def facts_for(department: str, leaves: pd.DataFrame, changes: dict) -> pd.DataFrame:
    """Facts at target (达成 for qualitative leaves) except the ``changes``."""
    rows = []
    for code, leaf in leaves.iterrows():
        value = changes.get(code, "达成" if leaf["direction"] == "定性" else leaf["target"])
        qualitative = leaf["direction"] == "定性"
        rows.append({"department": department, "indicator_code": code,
                     "actual": np.nan if qualitative else value,
                     "level": value if qualitative else None})
    return pd.DataFrame(rows)


CHANGES = {"TR0102": "部分达成", "GC0201": "未达成", "TR0201": 110.0, "TR0202": 3.0,
           "TR0203": 45.0, "GC0103": 76.0, "GC0104": 12.0, "XG0202": 90.0, "GC0102": 15.0}


def test_the_examples_in_the_docstrings_run():
    assert doctest.testmod(module).failed == 0


def test_a_department_is_scored_leaf_by_leaf_as_domain_says(leaves):
    facts = facts_for("县甲局", leaves, CHANGES)
    result = score_year_departments(facts, framework=FRAMEWORK, units=["县甲局"])
    expected = {code: by_hand(leaf["direction"], leaf["target"],
                              CHANGES.get(code, "达成" if leaf["direction"] == "定性"
                                          else leaf["target"]), leaf["weight"])
                for code, leaf in leaves.iterrows()}
    # Spot checks of the hand rules themselves: ≤ linear to twice the target, ≥ by ratio.
    assert expected["TR0201"] == pytest.approx(4 * 0.9)
    assert expected["TR0202"] == 0.0 and expected["GC0104"] == 0.0
    assert expected["TR0203"] == pytest.approx(5 * 45 / 60)
    assert expected["GC0102"] == pytest.approx(2 * 0.5)
    points = result.scores.indicators.set_index("indicator")["points"]
    for code, value in expected.items():
        assert points[code] == pytest.approx(value), code
    total = sum(expected.values())
    (row,) = result.scores.totals.to_dict("records")
    assert row["framework_points"] == pytest.approx(total)
    assert row["total"] == pytest.approx(round(total, 2))
    assert row["grade"] == ("优" if total >= 90 else "良" if total >= 80 else "中")
    assert row["project_share"] == 0.0 and np.isnan(row["project_points"])
    # Level-1 subtotals are the sums of their leaves.
    first = result.scores.subtotals.query("level == 1").set_index("code")["points"]
    prefix = {"投入": "TR", "过程": "GC", "产出": "CC", "效果": "XG"}
    for name, code in prefix.items():
        mine = sum(v for k, v in expected.items() if k.startswith(code))
        assert first[name] == pytest.approx(mine), name
    assert result.framework == "national-department@1.0.0"
    assert result.status.set_index("department").at["县甲局", "status"] == "scored"


def test_projects_are_blended_in_by_amount_with_the_share(leaves):
    facts = pd.concat([facts_for("甲", leaves, {}), facts_for("乙", leaves, CHANGES)])
    # Two projects of 甲 with hand totals: 90 × 0.8 + 10 = 82 and 90 + 10 × 0.5 = 95.
    rows = {"project": ["P1", "P2", "Q1"], "indicator": ["x", "x", "x"],
            "level2": ["数量指标"] * 3, "level1": ["产出指标"] * 3, "weight": [90.0] * 3,
            "direction": ["≥"] * 3, "target": [100.0] * 3, "actual": [80.0, 100.0, 100.0]}
    budgets = {"project": ["P1", "P2", "Q1"], "budget": [100.0] * 3, "spent": [100.0, 50.0, 100.0]}
    scores = score_projects(rows, budgets, library_version="t", weight_set="t")
    projects = pd.DataFrame({"project": ["P1", "P2", "P3", "Q1", "R1"],
                             "department": ["甲", "甲", "甲", "丙", "乙"],
                             "amount": [100.0, 300.0, 5000.0, 100.0, 100.0]})
    result = score_year_departments(facts, framework=FRAMEWORK, units=["甲", "乙", "丙"],
                                    projects=projects, project_scores=scores, project_share=0.3)
    totals = result.scores.totals.set_index("department")
    framework_points = sum(by_hand("定性", np.nan, "达成", leaf["weight"])
                           if leaf["direction"] == "定性" else leaf["weight"]
                           for _, leaf in leaves.iterrows())
    project_points = (100 * 82 + 300 * 95) / 400  # P3 was not self-evaluated: left out
    assert totals.at["甲", "project_points"] == pytest.approx(project_points)
    assert totals.at["甲", "n_projects"] == 2 and totals.at["甲", "project_amount"] == 400.0
    assert totals.at["甲", "total_unrounded"] == pytest.approx(
        0.7 * framework_points + 0.3 * project_points)
    # 乙's project R1 has no self-evaluation: scored on the framework alone, share 0.
    assert totals.at["乙", "project_share"] == 0.0
    assert totals.at["乙", "total_unrounded"] == pytest.approx(totals.at["乙", "framework_points"])
    assert result.project_share == 0.3
    # 丙 ran Q1 but gathered no facts: not evaluated, and not an error.
    status = result.status.set_index("department")
    assert status.at["丙", "status"] == "not_evaluated" and status.at["丙", "reason"] == NO_FACTS


def test_missing_and_unknown_facts_are_listed_with_their_reason(leaves):
    full = facts_for("甲", leaves, {})
    short = facts_for("乙", leaves, {}).query("indicator_code != 'XG0201'")
    typo = facts_for("丁", leaves, {}).replace({"indicator_code": {"CC0101": "CC0199"}})
    result = score_year_departments(pd.concat([full, short, typo]), framework=FRAMEWORK,
                                    units=["甲", "乙", "丙", "丁"], veto_on_missing=True)
    status = result.status.set_index("department")
    assert status["status"].to_dict() == {"甲": "scored", "乙": "incomplete",
                                          "丙": "not_evaluated", "丁": "unscored"}
    assert status.at["乙", "n_missing"] == 1 and "缺少" in status.at["乙", "reason"]
    assert "CC0199" in status.at["丁", "reason"] and status.at["丁", "n_facts"] == len(leaves)
    totals = result.scores.totals.set_index("department")
    assert set(totals.index) == {"甲", "乙"}
    # The missing leaf scores 0 and the grade is capped at 中 (veto on a missing fact).
    weight = leaves.at["XG0201", "weight"]
    assert totals.at["乙", "framework_points"] == pytest.approx(
        totals.at["甲", "framework_points"] - weight)
    assert totals.at["乙", "grade_before_veto"] == "优"
    assert bool(totals.at["乙", "vetoed"]) and totals.at["乙", "grade"] == "中"
    assert list(result.not_evaluated["department"]) == ["乙", "丙", "丁"]
    table = department_table(result)
    assert table["department"].tolist()[:2] == ["甲", "乙"] and len(table) == 4


def test_no_facts_at_all_lists_every_unit_and_scores_none():
    result = score_year_departments(None, framework=FRAMEWORK, units=["甲", "乙"])
    assert result.scores is None
    assert result.status["status"].tolist() == ["not_evaluated"] * 2
    with pytest.raises(InputError) as err:
        score_year_departments(pd.DataFrame({"indicator_code": ["TR0101"]}),
                               framework=FRAMEWORK, units=[])
    assert err.value.location.column == "department"


def test_a_bad_level_is_an_error(leaves):
    facts = facts_for("甲", leaves, {"TR0101": "很好"})
    with pytest.raises(InputError):
        score_year_departments(facts, framework=FRAMEWORK, units=["甲"])


def test_reference_values_are_read_robustly_and_bad_ones_named():
    doc = FRAMEWORK.to_dict()
    texts = {"TR0203": "＞＝６０％", "GC0103": " >= 95 ", "GC0101": "100%", "GC0102": "≤ 10"}
    for indicator in doc["indicators"]:
        if indicator["code"] in texts:
            indicator["reference_value"] = texts[indicator["code"]]
    targets = framework_targets(LibraryVersion.from_dict(doc)).set_index("indicator_code")
    assert targets.loc[list(texts), "target"].tolist() == [60.0, 95.0, 100.0, 10.0]
    assert np.isnan(targets.at["TR0101", "target"])  # 定性: "符合要求" needs no number
    for indicator in doc["indicators"]:
        if indicator["code"] == "CC0101":
            indicator["reference_value"] = "≥上年"
        if indicator["code"] == "XG0202":
            indicator["reference_value"] = ""
    with pytest.raises(InputError) as err:
        framework_targets(LibraryVersion.from_dict(doc))
    assert "CC0101" in err.value.zh and "XG0202" in err.value.zh and "上年" in err.value.en


def test_the_demo_year_scores_every_unit_with_facts():
    config = load_lifecycle_config("kaijiang-2021")
    data = demo_county_year(config)
    result = run_year(data, config)
    units = pd.read_csv(data_path("demo", "departments.csv"), encoding="utf-8-sig")
    with_facts = set(data.department_facts["department"])
    assert with_facts == set(units["单位名称"])  # townships included
    assert (units["单位类型"] == "乡镇").sum() == 13
    totals = result.departments.scores.totals
    assert len(totals) == len(with_facts) == result.summary["dept_count"]
    assert result.summary["dept_units"] == len(units)
    counts = totals["grade"].value_counts()
    for grade in ("优", "良", "中", "差"):
        assert result.summary[f"dept_grade_{grade}"] == counts.get(grade, 0)
    # Most units good, a few weak, as the demo's docstring promises.
    assert counts.get("优", 0) + counts.get("良", 0) > len(totals) / 2
    assert counts.get("中", 0) + counts.get("差", 0) >= 1
    assert f"全县{len(units)}个部门（单位）中{len(totals)}个开展了部门整体支出绩效评价" \
        in result.text_zh
    assert "ten-thousand" not in result.text_en and "million yuan" in result.text_en
    # Without facts the year still runs, and says no department was evaluated.
    bare = run_year(dataclasses.replace(data, department_facts=None), config)
    assert bare.departments is None and bare.summary["dept_count"] == 0
