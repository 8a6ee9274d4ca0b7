"""Tests of evaluation scope, samples and result application (scoring/application.py)."""

from __future__ import annotations

import dataclasses
import doctest
import math

import numpy as np
import pandas as pd
import pytest

import scoring.application as application_module
from indicators.errors import InputError
from scoring.application import (
    apply_decisions,
    apply_results,
    department_sample,
    key_evaluation_list,
    self_evaluation_scope,
)
from scoring.lifecycle_config import load_lifecycle_config

CONFIG = load_lifecycle_config("kaijiang-2021")


def test_self_evaluation_from_exactly_two_hundred_thousand():
    frame = pd.DataFrame({"project": list("ABCD"), "amount": [199_999, 199_999.99, 200_000,
                                                             200_000.01]})
    assert self_evaluation_scope(frame, CONFIG).tolist() == [False, False, True, True]


def test_key_list_uses_marks_when_present_else_the_largest():
    frame = pd.DataFrame({"project": [f"P{i:02d}" for i in range(20)],
                          "amount": [1e6 + 1000 * i for i in range(20)]})
    largest = key_evaluation_list(frame, CONFIG)
    assert largest.sum() == 15 and not largest[:5].any()
    frame["is_key"] = [i in (0, 3) for i in range(20)]
    assert np.flatnonzero(key_evaluation_list(frame, CONFIG)).tolist() == [0, 3]


def test_key_list_by_amount_needs_the_minimum():
    frame = pd.DataFrame({"project": ["A", "B", "C"], "amount": [999_999, 1_000_000, 3e6]})
    assert key_evaluation_list(frame, CONFIG).tolist() == [False, True, True]


def test_sample_sizes_per_stratum():
    sizes = {"甲": 1, "乙": 4, "丙": 5, "丁": 6, "戊": 23}
    frame = pd.DataFrame({"project": [f"{d}{i}" for d, n in sizes.items() for i in range(n)],
                          "department": [d for d, n in sizes.items() for _ in range(n)]})
    picked = department_sample(frame, CONFIG)
    got = frame.loc[picked].groupby("department").size().to_dict()
    share = CONFIG.evaluation.sample.share
    expected = {d: min(n, max(1, math.ceil(share * n - 1e-9))) for d, n in sizes.items()}
    assert got == expected
    assert expected["丙"] == 1 and expected["丁"] == 2 and expected["戊"] == 5


def test_sample_is_reproducible_order_free_and_seeded():
    frame = pd.DataFrame({"project": [f"P{i:03d}" for i in range(200)],
                          "department": np.repeat(list("ABCDEFGHIJ"), 20)})
    first = set(frame.loc[department_sample(frame, CONFIG), "project"])
    shuffled = frame.sample(frac=1.0, random_state=1)
    again = set(shuffled.loc[department_sample(shuffled, CONFIG), "project"])
    other = set(frame.loc[department_sample(frame, CONFIG, seed=99), "project"])
    assert first == again
    assert first != other and len(first) == len(other) == 40


def test_every_unit_of_a_stratum_is_equally_likely():
    # Proportional stratified sampling without replacement: each unit of a stratum of 10
    # with 2 drawn is picked with probability 0.2 (Cochran 1977, §5.1).
    frame = pd.DataFrame({"project": [f"P{i}" for i in range(10)], "department": "甲"})
    hits = np.zeros(10)
    for seed in range(2000):
        hits += department_sample(frame, CONFIG, seed=seed)
    assert np.allclose(hits / 2000, 0.2, atol=0.04)


def evaluations(**columns) -> pd.DataFrame:
    base = {"project": ["A", "B", "C", "D"], "grade": ["优", "良", "中", "差"],
            "budget": [1e6, 1e6, 1_234_567, 5e5], "spent": [1e6, 9e5, 1e6, 2e5],
            "next_amount": [1e6, 1e6, 1_234_567, 5e5]}
    base.update(columns)
    return pd.DataFrame(base)


def test_recommendations_by_grade_and_the_three_batches():
    res = apply_results(evaluations(), CONFIG)
    p = res.projects.set_index("project")
    assert p["action"].tolist() == ["保持或增加", "据实安排", "按比例调减", "取消或暂停"]
    # 中: 10 % of 1,234,567 = 123,456.7 → 123,500 (half up to 100 yuan); 差: the whole amount.
    assert p["cut"].tolist() == [0.0, 0.0, 123_500.0, 500_000.0]
    assert p["suggested_next"].tolist() == [1e6, 1e6, 1_111_067.0, 0.0]
    # 收回: the unspent balance of 中 and 差 projects only (良's 100,000 stays).
    assert p["recover"].tolist() == [0.0, 0.0, 234_567.0, 300_000.0]
    assert p["rework"].tolist() == [False, False, True, True]
    batches = res.batches.set_index("batch")
    assert batches.loc["追减"].tolist() == [2, 623_500.0]
    assert batches.loc["收回"].tolist() == [2, 534_567.0]
    assert batches.loc["反馈整改"].tolist() == [2, 1_734_567.0]


def test_over_achievement_sends_targets_back_even_for_good_grades():
    res = apply_results(evaluations(over_achievement=[2, 0, 0, 0]), CONFIG)
    assert res.projects["rework"].tolist() == [True, False, True, True]
    assert "超额" in res.projects["reasons"].iat[0]
    off = dataclasses.replace(CONFIG.application, rework_on_over_achievement=False)
    assert apply_results(evaluations(over_achievement=[2, 0, 0, 0]), off
                         ).projects["rework"].tolist() == [False, False, True, True]


def test_projects_that_do_not_continue_have_nothing_to_cut():
    res = apply_results(evaluations(next_amount=[np.nan] * 4), CONFIG)
    assert res.projects["cut"].tolist() == [0.0] * 4
    assert res.batches.set_index("batch").loc["追减", "n_projects"] == 0


def test_cut_share_comes_from_the_table():
    table = dict(CONFIG.application.table)
    table["中"] = dataclasses.replace(table["中"], share=-0.3)
    edited = dataclasses.replace(CONFIG.application, table=table)
    res = apply_results(evaluations(), edited)
    assert res.projects["cut"].iat[2] == 370_400.0          # 30 % of 1,234,567 = 370,370.1


def test_unknown_grade_and_duplicates_are_refused():
    with pytest.raises(InputError) as err:
        apply_results(evaluations(grade=["优", "良", "甲", "差"]), CONFIG)
    assert err.value.location.row == 3 and err.value.location.column == "grade"
    with pytest.raises(InputError, match="重复"):
        apply_results(evaluations(project=["A", "A", "C", "D"]), CONFIG)


def test_decisions_keep_the_reason_and_refuse_silent_changes():
    rec = apply_results(evaluations(), CONFIG)
    decided = apply_decisions(rec, pd.DataFrame({
        "project": ["C", "D"], "cut": [0.0, 500_000.0], "reason": ["省级配套资金要求", ""]}))
    d = decided.set_index("project")
    assert d.loc["C", ["cut", "changed", "reason"]].tolist() == [0.0, True, "省级配套资金要求"]
    assert d.loc["D", ["cut", "changed"]].tolist() == [500_000.0, False]
    assert d.loc["A", "reason"] == "" and not d.loc["A", "changed"]
    with pytest.raises(InputError) as err:
        apply_decisions(rec, pd.DataFrame({"project": ["A", "C"], "cut": [np.nan, 1.0]}))
    assert err.value.message("zh") == "项目 C：改变了建议，但没有填写理由"
    assert err.value.location.field == "decisions[2].reason"
    assert err.value.location.row is None and err.value.location.column is None
    with pytest.raises(InputError) as err:
        apply_decisions(rec, pd.DataFrame({"project": ["Z"], "reason": ["x"]}))
    assert err.value.message("en") == "project Z: has no recommendation"
    assert err.value.location.field == "decisions[1].project"
    with pytest.raises(InputError) as err:
        apply_decisions(rec, pd.DataFrame({"project": ["A"], "recover": [-1.0], "reason": ["x"]}))
    assert err.value.message("zh") == "项目 A：收回金额不是非负金额"
    with pytest.raises(InputError) as err:
        apply_decisions(rec, pd.DataFrame({"project": ["A", "A"], "reason": ["x", "y"]}))
    assert err.value.message("en") == "project A: decided twice"


def test_docstring_examples_run():
    assert doctest.testmod(application_module).failed == 0
