"""The dashboard's tables from a stored run: coverage, funds by stage, decisions since, grades."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

import scoring.year_overview as module
from scoring.year_overview import (
    TOTAL,
    decided_since,
    department_grades,
    stage_coverage,
    stage_funds,
)


def test_stage_coverage_counts_units_once_across_budgets():
    p = pd.DataFrame({"project": list("ABCD"), "department": ["甲", "甲", "乙", "丙"],
                      "budget_type": ["一般公共预算", "政府性基金预算", "一般公共预算", "一般公共预算"],
                      "amount": [100.0, 300.0, 100.0, 500.0],
                      "has_targets": [True, True, False, False],
                      "monitored": [False, True, False, False], "scored": [True] * 4,
                      "is_key": [False] * 4})
    t = stage_coverage(p).set_index(["budget_type", "stage"])
    # 甲 has targets in both budgets: one unit of three in all, one of three in 一般公共预算.
    assert t.loc[(TOTAL, "targets"), ["stage_units", "n_units", "stage_projects",
                                      "stage_funds"]].tolist() == [1, 3, 2, 400.0]
    assert t.loc[("一般公共预算", "targets"), "units_share"] == pytest.approx(1 / 3)
    assert t.loc[("政府性基金预算", "monitoring"), "funds_share"] == 1.0
    assert t.loc[(TOTAL, "key_evaluation"), "stage_projects"] == 0
    assert list(t.index.get_level_values(0).unique()) == ["一般公共预算", "政府性基金预算", TOTAL]



def test_stage_funds_puts_the_run_beside_the_decisions_in_force():
    numbers = {"exante_count": 3, "exante_cut": 7e5, "exante_cut_recommended": 9e5,
               "review_count": 1, "review_cut": 2e4, "monitor_count": 2, "monitor_cut": 3e5,
               "monitor_cut_recommended": 3e5, "cut_count": 4, "cut_amount": 1e6,
               "cut_amount_recommended": 1.2e6, "recover_count": 1, "recover_amount": 5e4,
               "recover_amount_recommended": 5e4, "rework_count": 2, "rework_amount": 8e5}
    decisions = pd.DataFrame({
        "stage": ["exante", "monitoring", "monitoring", "application", "application"],
        "amount": [1e5, 0.0, 2e4, 3e5, 0.0],
        "detail": [{}, {}, {}, {"recover": 7e3, "rework": True}, {"recover": 0.0}]})
    t = stage_funds(numbers, decisions).set_index("stage")
    assert t.loc["exante", ["n_projects", "amount", "amount_recommended"]].tolist() == [3, 7e5, 9e5]
    # No recommended figure was stored for target review: it is left empty, not invented.
    assert np.isnan(t.loc["target_review", "amount_recommended"])
    assert t.loc["monitoring", ["n_decided", "amount_decided"]].tolist() == [2, 2e4]
    assert t.loc["cut", ["n_decided", "amount_decided"]].tolist() == [2, 3e5]
    assert t.loc["recover", ["n_decided", "amount_decided"]].tolist() == [1, 7e3]
    assert t.loc["rework", "n_decided"] == 1 and np.isnan(t.loc["rework", "amount_decided"])


def test_decided_since_counts_what_post_dates_the_run_and_what_changed():
    run_at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    decisions = pd.DataFrame({
        "created_at": [run_at - timedelta(hours=1), run_at + timedelta(minutes=5),
                       run_at + timedelta(days=1)],
        "changed": [True, False, True]})
    since = decided_since(decisions, run_at)
    assert (since.recorded, since.changed) == (2, 1)
    # A naive run time (as SQLite returns it) is read as UTC.
    assert decided_since(decisions, run_at.replace(tzinfo=None)).recorded == 2
    assert decided_since(pd.DataFrame(), run_at).recorded == 0


def test_department_grades_count_units_per_grade_best_first():
    d = pd.DataFrame({"department": list("ABCDE"), "grade": ["良", "优", "良", None, "差"]})
    t = department_grades(d, ("优", "良", "中", "差"))
    assert t.values.tolist() == [["优", 1], ["良", 2], ["中", 0], ["差", 1]]


def test_docstring_examples_run():
    assert doctest.testmod(module).failed == 0
