"""Reading the scale of a ratings table from the ratings."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import review.scales as scales_module
from review.scales import SHORT_SCALE_LIMIT, infer_scale, is_short_scale


@pytest.mark.parametrize(("ratings", "short"), [
    ([[1, 2, 3], [5, 4, np.nan]], True),
    ([[0, 10], [5, 7]], True),                  # eleven points, 0-10
    ([[0, 11], [5, 7]], False),                 # one point wider
    ([[-3, 3], [0, 1]], True),                  # a bipolar scale
    ([[82, 85], [88, 90]], False),              # scores out of 100 in a narrow band
    ([[60, 95], [71, 88]], False),              # a 0-100 score, few values used
    ([[3.5, 4], [4, 5]], False),                # a half point is a decimal
    ([[np.nan, np.nan]], False),                # nothing to read
])
def test_short_scale_is_small_whole_numbers(ratings, short):
    assert SHORT_SCALE_LIMIT == 10
    assert is_short_scale(ratings) is short


def test_continuous_scores_are_interval_and_say_why():
    table = pd.DataFrame({"张": [82.5, 66.0, 91.0], "王": [80.0, 70.5, np.nan]})
    guess = infer_scale(table)
    assert guess.scale == "interval" and guess.n_values == 5 and not guess.mixed
    assert guess.reason_zh == "评分含小数，共 5 个不同取值"
    assert guess.reason_en == "ratings have decimals, 5 distinct values"


def test_wide_whole_number_range_is_interval():
    guess = infer_scale([[60, 95], [71, 88]])
    assert guess.scale == "interval"
    assert guess.reason_en == "ratings range from 60 to 95, 4 distinct values"


def test_five_point_ratings_are_ordinal():
    guess = infer_scale(np.array([[5, 4, 5], [3, 3, 2], [1, 2, 1]], dtype=float))
    assert guess.scale == "ordinal" and guess.n_values == 5
    assert guess.reason_en == "ratings are whole numbers from 1 to 5, 5 distinct values"


def test_labels_are_nominal_and_numbers_among_labels_are_marked_mixed():
    labels = np.array([["优", "良"], ["良", None]], dtype=object)
    assert infer_scale(labels).scale == "nominal" and not infer_scale(labels).mixed
    slip = np.array([[80.0, "九十"], [70.0, 72.0]], dtype=object)
    guess = infer_scale(slip)
    assert guess.scale == "nominal" and guess.mixed


def test_blank_text_is_a_missing_rating_not_a_label():
    assert infer_scale(np.array([[4, " "], [5, 4]], dtype=object)).scale == "ordinal"


def test_no_ratings_guess_interval():
    guess = infer_scale([[np.nan, np.nan]])
    assert guess.scale == "interval" and guess.n_values == 0


def test_docstring_examples_run():
    assert doctest.testmod(scales_module).failed == 0
