"""Achievement tables, weight vectors and fit metrics (scoring/weighted_totals.py)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import r2_score

import scoring.weighted_totals as totals_module
from indicators.errors import InputError
from scoring.grades import grade
from scoring.project import round_half_up
from scoring.weighted_totals import (
    achievement_table,
    fit_metrics,
    grade_midpoints,
    weight_vector,
)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_metrics_match_sklearn_and_scipy(seed):
    rng = np.random.default_rng(seed)
    y = rng.uniform(40, 100, 30)
    y_hat = y + rng.normal(0, 6, 30)
    m = fit_metrics(y_hat, y, grade(round_half_up(y)))
    assert m.r2 == pytest.approx(r2_score(y, y_hat))
    assert m.spearman == pytest.approx(stats.spearmanr(y, y_hat).statistic)
    assert m.rmse == pytest.approx(np.sqrt(np.mean((y - y_hat) ** 2)))
    assert m.n == 30


def test_grade_agreement_grades_the_rounded_total():
    # 89.995 rounds half up to 90.00, which is 优; 89.994 stays 良.
    m = fit_metrics([89.995, 89.994], [95, 85], ["优", "良"])
    assert m.grade_agreement == 1.0


def test_midpoints_by_hand():
    assert grade_midpoints() == {"优": 95.0, "良": 85.0, "中": 70.0, "差": 30.0}
    assert grade_midpoints("local_80_70_60") == {"优": 90.0, "良": 75.0, "中": 65.0, "差": 30.0}


def test_points_become_shares_of_their_full_marks():
    points = pd.DataFrame({"A": [30.0, 15.0], "B": [10.0, 20.0]}, index=["P1", "P2"])
    shares = achievement_table(points, {"A": 30, "B": 20})
    assert shares.to_dict() == {"A": {"P1": 1.0, "P2": 0.5}, "B": {"P1": 0.5, "P2": 1.0}}
    with pytest.raises(InputError) as err:
        achievement_table(points, {"A": 30, "B": 15})
    assert (err.value.location.row, err.value.location.column) == (2, "B")
    with pytest.raises(InputError):
        achievement_table([[0.5, 0.5]])


def test_weight_vectors_follow_the_columns():
    columns = pd.Index(["A", "B"])
    assert weight_vector(pd.Series({"B": 1, "A": 2, "C": 3}), columns).tolist() == [2.0, 1.0]
    with pytest.raises(InputError, match="B"):
        weight_vector({"A": 1}, columns)
    with pytest.raises(InputError):
        weight_vector([1, 2, 3], columns)
    with pytest.raises(InputError):
        weight_vector([1, -2], columns)


def test_docstring_examples_run():
    assert doctest.testmod(totals_module).failed == 0
