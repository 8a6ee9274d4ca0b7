"""Tests of the demo county's lifecycle supplements (scoring/lifecycle_demo.py)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import scoring.lifecycle_demo as demo_module
from indicators.errors import InputError
from indicators.frameworks import load_builtin
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_demo import (
    demo_county_year,
    demo_department_facts,
    demo_exante_sheets,
    demo_progress,
)


def test_sheets_cover_every_point_and_repeat_with_the_seed():
    codes = [leaf.code for leaf in load_builtin("national-exante").leaves()]
    first = demo_exante_sheets(["A", "B", "C"])
    assert first.groupby("project")["indicator"].apply(list).to_dict() == {
        p: codes for p in "ABC"}
    assert first.equals(demo_exante_sheets(["A", "B", "C"]))
    assert not first.equals(demo_exante_sheets(["A", "B", "C"], seed=1))


def test_progress_scales_quantities_by_spending_and_keeps_rates():
    targets = pd.DataFrame({"project": ["A", "A"], "indicator_code": ["n", "r"],
                            "direction": ["≥", "≥"], "target": [100.0, 95.0],
                            "unit": ["人", "%"], "weight": [10.0, 10.0]})
    actuals = pd.DataFrame({"project": ["A", "A"], "indicator_code": ["n", "r"],
                            "actual": [80.0, 93.0]})
    spending = pd.DataFrame({"project": ["A", "A"], "month": [9, 12], "spent": [30.0, 40.0]})
    got = demo_progress(targets, actuals, spending, 9)["actual"].tolist()
    assert got == [60.0, 93.0]
    with pytest.raises(InputError):
        demo_progress(targets, actuals, spending, 6)


def test_demo_year_holds_the_shipped_county():
    data = demo_county_year(load_lifecycle_config())
    assert (data.year, len(data.projects), len(data.requests)) == (2021, 289, 314)
    assert set(data.spending["month"]) == {9, 12}
    assert np.isfinite(data.progress["target"]).any()


def test_docstring_examples_run():
    assert doctest.testmod(demo_module).failed == 0


def test_department_facts_cover_every_unit_and_repeat_with_the_seed():
    units = ["县教育局", "甲镇", "乙镇", "丙街道"]
    leaves = load_builtin("national-department").leaves()
    first, again = demo_department_facts(units), demo_department_facts(units)
    pd.testing.assert_frame_equal(first, again)
    assert set(first["department"]) == set(units)
    # Two units miss one fact each; every other (unit, leaf) has exactly one fact.
    assert len(first) == len(units) * len(leaves) - 2
    qualitative = {leaf.code for leaf in leaves if leaf.direction == "定性"}
    is_qual = first["indicator_code"].isin(qualitative)
    assert set(first.loc[is_qual, "level"]) <= {"达成", "部分达成", "未达成"}
    assert first.loc[is_qual, "actual"].isna().all() and first.loc[~is_qual, "actual"].notna().all()
    assert not first.equals(demo_department_facts(units, seed=7))
