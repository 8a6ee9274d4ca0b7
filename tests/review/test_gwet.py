"""Gwet's AC1/AC2, Brennan-Prediger and percent agreement against Gwet's published values.

Reference data: Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., p. 120 (R irrCAC
data set ``cac.raw4raters``): 12 units, 4 raters, categories 1-5, ratings missing in every
column. Reference values: irrCAC (Gwet's own R package) as printed in its benchmarking vignette
(AC1 0.77544, SE 0.14295) and, for the weighted and other coefficients, as reproduced to three
decimals in the test suite of the irrCAC Python port (afergadis/irrCAC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.errors import InputError
from review.gwet import linearised_agreement
from review.kappa import brennan_prediger, gwet_ac, percent_agreement

RAW4RATERS = pd.DataFrame({
    "Rater1": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "Rater2": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    "Rater3": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    "Rater4": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
})


def test_ac1_with_missing_ratings():
    # irrCAC gwet.ac1.raw(cac.raw4raters): AC1 0.77544, SE 0.14295, CI (0.461, 1),
    # pa 0.818, pe 0.190.
    r = gwet_ac(RAW4RATERS)
    assert r.value == pytest.approx(0.77544, abs=5e-6)
    assert r.se == pytest.approx(0.14295, abs=5e-6)
    assert r.ci_low == pytest.approx(0.461, abs=5e-4)
    assert r.ci_high == 1.0
    assert r.details["pa"] == pytest.approx(0.818, abs=5e-4)
    assert r.details["pe"] == pytest.approx(0.190, abs=5e-4)
    assert r.coefficient == "Gwet's AC1"
    assert (r.n_items, r.n_raters, r.n_ratings, r.df) == (12, 4, 41, 11.0)
    assert "at least two ratings" in r.method


@pytest.mark.parametrize(("weights", "value", "se", "low", "pe"), [
    ("linear", 0.859, 0.117, 0.600, 0.571),
    ("quadratic", 0.914, 0.104, 0.685, 0.714),
    ("ordinal", 0.899, 0.107, 0.664, 0.685),
    ("radical", 0.820, 0.128, 0.537, 0.430),
    ("ratio", 0.857, 0.122, 0.589, 0.678),
])
def test_ac2_weighted(weights, value, se, low, pe):
    r = gwet_ac(RAW4RATERS, weights=weights)
    assert r.value == pytest.approx(value, abs=5e-4)
    assert r.se == pytest.approx(se, abs=5e-4)
    assert r.ci_low == pytest.approx(low, abs=5e-4)
    assert r.details["pe"] == pytest.approx(pe, abs=5e-4)
    assert r.coefficient == f"Gwet's AC2 ({weights})"


@pytest.mark.parametrize(("weights", "value", "se", "low", "pe"), [
    (None, 0.773, 0.145, 0.454, 0.200),
    ("linear", 0.848, 0.123, 0.577, 0.600),
    ("quadratic", 0.902, 0.111, 0.657, 0.750),
    ("ordinal", 0.886, 0.114, 0.636, 0.720),
])
def test_brennan_prediger(weights, value, se, low, pe):
    r = brennan_prediger(RAW4RATERS, weights=weights)
    assert r.value == pytest.approx(value, abs=5e-4)
    assert r.se == pytest.approx(se, abs=5e-4)
    assert r.ci_low == pytest.approx(low, abs=5e-4)
    assert r.details["pe"] == pytest.approx(pe, abs=5e-4)


def test_percent_agreement():
    # irrCAC pa.coeff.raw(cac.raw4raters): 0.818 (the pa shared by every coefficient above).
    r = percent_agreement(RAW4RATERS)
    assert r.value == pytest.approx(0.818, abs=5e-4)
    assert r.p_value is None and r.statistic is None
    assert 0 < r.se < 1


def test_brennan_prediger_counts_unused_levels():
    # With q = 2, chance is 1/2; listing a third, unused level makes it 1/3 (definition).
    ratings = [[1, 1], [2, 2], [1, 2]]
    assert brennan_prediger(ratings).details["pe"] == pytest.approx(1 / 2)
    assert brennan_prediger(ratings, levels=[1, 2, 3]).details["pe"] == pytest.approx(1 / 3)


def test_complete_two_raters_ac1_by_hand():
    # Gwet (2008), eq. 20 for two raters: pe = 2 pi (1 - pi) over two categories. Here
    # pa = 3/4; shares pi_1 = pi_2 = 1/2 so pe = 1/2 and AC1 = (3/4 - 1/2) / (1/2) = 1/2.
    r = gwet_ac([["a", "a"], ["b", "b"], ["a", "b"], ["b", "b"], ["a", "a"], ["a", "a"],
                 ["b", "b"], ["b", "a"]])
    assert r.value == pytest.approx(0.5)


def test_single_category_needs_levels():
    with pytest.raises(InputError):
        gwet_ac([[1, 1], [1, 1]])
    assert gwet_ac([[1, 1], [1, 1]], levels=[1, 2]).value == pytest.approx(1.0)


def test_no_item_rated_twice():
    with pytest.raises(InputError):
        gwet_ac([[1, None], [None, 2], [3, None]])


def test_ratio_weights_need_positive_levels():
    with pytest.raises(InputError):
        gwet_ac([[0, 0], [1, -1]], weights="ratio", levels=[-1, 0, 1])


def test_unknown_chance_model():
    with pytest.raises(InputError):
        linearised_agreement(np.array([[2, 0], [0, 2]]), np.eye(2), "cohen")
