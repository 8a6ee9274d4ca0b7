"""Tests of the automatic target-table checks and review grades (scoring/target_review.py)."""

from __future__ import annotations

import dataclasses
import doctest

import pandas as pd
import pytest

import scoring.target_review as target_review_module
from indicators.errors import InputError
from scoring.lifecycle_config import load_lifecycle_config
from scoring.target_review import FINDING_CODES, review_targets

CONFIG = load_lifecycle_config("kaijiang-2021")
RULES = CONFIG.target_review


def good_table(project: str = "P1") -> list[dict]:
    """A clean table: output, cost, benefit and satisfaction, weights 90."""
    rows = [
        ("产出指标", "数量指标", "培训人次", "≥", 500, "人次", 30, ""),
        ("产出指标", "质量指标", "培训合格率", "≥", 95, "%", 10, ""),
        ("产出指标", "成本指标", "人均培训成本", "≤", 800, "元/人", 10, ""),
        ("效益指标", "社会效益指标", "带动就业人数", "≥", 200, "人", 30, ""),
        ("满意度指标", "服务对象满意度指标", "学员满意度", "≥", 90, "%", 10, ""),
    ]
    return [{"project": project, "indicator_code": f"{project}-{i}", "level1": l1, "level2": l2,
             "name": name, "direction": d, "target": t, "unit": u, "weight": w, "target_text": txt}
            for i, (l1, l2, name, d, t, u, w, txt) in enumerate(rows)]


def review(rows: list[dict], amounts: dict[str, float] | None = None, **kw):
    amounts = amounts or {r["project"]: 500_000.0 for r in rows}
    return review_targets(pd.DataFrame(rows), pd.DataFrame(
        {"project": list(amounts), "amount": list(amounts.values())}), CONFIG, **kw)


def codes(result, project: str = "P1") -> list[str]:
    return result.findings.loc[result.findings["project"] == project, "code"].tolist()


def test_settings_cover_every_finding_code():
    assert set(FINDING_CODES) <= set(RULES.findings)


def test_clean_table_passes_with_full_score():
    res = review(good_table(), {"P1": 2_000_000})
    assert codes(res) == []
    assert res.projects[["score", "grade", "adjustment"]].values.tolist() == [[100.0, "通过", 0.0]]


@pytest.mark.parametrize("edit, code", [
    (lambda rows: [r for r in rows if not r["level1"].startswith("产出")], "missing_output"),
    (lambda rows: [r for r in rows if not r["level1"].startswith("效益")], "missing_benefit"),
    (lambda rows: [r for r in rows if not r["level1"].startswith("满意度")],
     "missing_satisfaction"),
])
def test_missing_first_levels(edit, code):
    assert code in codes(review(edit(good_table())))


def test_project_without_targets():
    res = review(good_table(), {"P1": 5e5, "P2": 5e5})
    assert codes(res, "P2") == ["no_targets"]
    assert res.projects.set_index("project").loc["P2", "grade"] == "不通过"


def test_cost_indicator_required_from_exactly_the_threshold():
    rows = [r for r in good_table() if r["level2"] != "成本指标"]
    rows[0]["weight"] += 10
    at = review(rows, {"P1": RULES.cost_required_min_amount})
    below = review(rows, {"P1": RULES.cost_required_min_amount - 1})
    assert "missing_cost" in codes(at) and "missing_cost" not in codes(below)


def test_weights_must_add_up_to_ninety():
    rows = good_table()
    rows[0]["weight"] = 29.5
    res = review(rows)
    assert codes(res) == ["weights_not_total"]
    assert "89.5" in res.findings["zh"].iat[0] and "90" in res.findings["zh"].iat[0]


@pytest.mark.parametrize("field, value, code", [
    ("target", None, "missing_target_value"),
    ("unit", "", "missing_unit"),
    ("weight", 0, "invalid_weight"),
    ("target", -3, "negative_target"),
])
def test_row_findings(field, value, code):
    rows = good_table()
    rows[0][field] = value
    found = codes(review(rows))
    assert code in found


def test_vague_wording_without_a_number_is_flagged_and_with_a_number_is_not():
    rows = good_table()
    rows[3].update(direction="定性", target=None, unit="", target_text="进一步提高")
    rows[4].update(target=None, target_text="有效提升")
    assert codes(review(rows)) == ["vague_target", "vague_target"]
    rows[3]["target_text"] = "就业率提高到95%以上"
    rows[4]["target_text"] = ""
    assert codes(review(rows)) == ["missing_target_value"]


def test_qualitative_target_needs_a_written_target():
    rows = good_table()
    rows[3].update(direction="定性", target=None, unit="", target_text="")
    assert codes(review(rows)) == ["missing_target_text"]


def test_percentage_above_one_hundred_for_at_least():
    rows = good_table()
    rows[1]["target"] = 100
    assert codes(review(rows)) == []
    rows[1]["target"] = 100.01
    assert codes(review(rows)) == ["percent_over_max"]
    rows[1].update(target=120, direction="≤")          # only "≥" percentages are capped
    assert "percent_over_max" not in codes(review(rows))


def test_directions_that_do_not_fit_the_name():
    rows = good_table()
    rows[4]["direction"] = "≤"                          # 学员满意度 ≤ 90 %
    rows[1]["direction"] = "≤"                          # 培训合格率 ≤ 95 %
    rows[3]["name"] = "安全事故发生率"                   # lower is better, but "≥"
    found = review(rows).findings.set_index("indicator_code")["code"]
    assert found["P1-4"] == "satisfaction_not_higher"
    assert found["P1-1"] == "direction_suspect"
    assert found["P1-3"] == "direction_suspect"


def test_duplicated_targets_by_code_or_by_name():
    rows = good_table()
    rows.append(dict(rows[0], weight=0.0001))
    twin = dict(rows[1], indicator_code="other")
    rows.append(twin)
    found = review(rows).findings
    dup = found.loc[found["code"] == "duplicate_target"]
    assert dup["row"].tolist() == [6, 7]


def test_grades_follow_the_deduction_table():
    # One 5-point warning: 95 → 通过; three: 85 → 修改后通过; an error → 不通过.
    rows = good_table()
    rows[0]["target"] = None
    one = review(rows).projects.iloc[0]
    assert (one["score"], one["grade"]) == (95.0, "通过")
    rows[1]["target"] = None
    rows[3]["target"] = None
    three = review(rows).projects.iloc[0]
    assert (three["score"], three["grade"]) == (85.0, "修改后通过")
    assert three["adjustment"] == 25_000.0                   # 5 % of 500,000
    rows = [r for r in good_table() if not r["level1"].startswith("效益")]
    err = review(rows).projects.iloc[0]
    assert err["grade"] == "不通过" and err["n_errors"] == 1
    assert err["adjustment"] == 75_000.0                     # 15 %


def test_score_boundaries_of_the_grade_bands():
    # 2 points per missing text: 5 texts missing = 90 → 通过 exactly at the bound.
    edited = dataclasses.replace(RULES, findings={**RULES.findings, "missing_target_value":
                                                  dataclasses.replace(
                                                      RULES.findings["missing_target_value"],
                                                      deduction=2.0)})
    rows = good_table()
    for r in rows:
        r["target"] = None
    res = review_targets(pd.DataFrame(rows), pd.DataFrame({"project": ["P1"], "amount": [1e5]}),
                         edited)
    assert (res.projects["score"].iat[0], res.projects["grade"].iat[0]) == (90.0, "通过")
    edited = dataclasses.replace(edited, findings={**edited.findings, "missing_target_value":
                                                   dataclasses.replace(
                                                       edited.findings["missing_target_value"],
                                                       deduction=8.0)})
    res = review_targets(pd.DataFrame(rows), pd.DataFrame({"project": ["P1"], "amount": [1e5]}),
                         edited)
    assert (res.projects["score"].iat[0], res.projects["grade"].iat[0]) == (60.0, "修改后通过")


def test_dismissed_findings_stay_listed_and_cost_nothing():
    rows = good_table()
    rows[0]["target"] = None
    rows[1]["target"] = None
    rows[3]["target"] = None
    res = review(rows, dismissed=pd.DataFrame({"project": ["P1"], "code": ["missing_target_value"],
                                               "indicator_code": ["P1-0"]}))
    assert res.findings["dismissed"].tolist() == [True, False, False]
    assert res.projects["score"].iat[0] == 90.0


def test_many_projects_at_once_match_a_row_by_row_count():
    rows, amounts = [], {}
    for k in range(30):
        table = good_table(f"P{k}")
        if k % 3 == 0:
            table[0]["target"] = None
        if k % 5 == 0:
            table = [r for r in table if r["level2"] != "成本指标"]
            table[0]["weight"] += 10
        rows += table
        amounts[f"P{k}"] = 1_500_000 if k % 2 else 300_000
    res = review(rows, amounts).projects.set_index("project")
    for k in range(30):
        deduction = 5 * (k % 3 == 0) + 10 * (k % 5 == 0 and k % 2 == 1)
        assert res.loc[f"P{k}", "deduction"] == deduction


def test_targets_of_projects_not_under_review_are_refused_with_the_row():
    rows = good_table() + good_table("P9")
    with pytest.raises(InputError) as err:
        review(rows, {"P1": 5e5})
    assert err.value.location.row == 6


def test_settings_lacking_a_finding_code_are_refused():
    edited = dataclasses.replace(RULES, findings={k: v for k, v in RULES.findings.items()
                                                  if k != "vague_target"})
    with pytest.raises(InputError, match="vague_target"):
        review_targets(pd.DataFrame(good_table()), pd.DataFrame({"project": ["P1"],
                                                                 "amount": [1.0]}), edited)


def test_docstring_examples_run():
    assert doctest.testmod(target_review_module).failed == 0
