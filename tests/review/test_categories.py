"""Category coding and agreement-weight matrices."""

from __future__ import annotations

import numpy as np
import pytest

from indicators.errors import InputError
from review.categories import agreement_weights, code_labels, count_table, rating_counts


def test_numeric_labels_are_coded_by_value():
    codes, levels = code_labels(np.array([[3.0, 1.0], [np.nan, 3.0]]))
    assert levels == [1, 3]
    assert codes.tolist() == [[1, 0], [-1, 1]]


def test_given_levels_fix_order_and_keep_unused():
    codes, levels = code_labels([["良", "优"], [None, "中"]], ["优", "良", "中", "差"])
    assert levels == ["优", "良", "中", "差"]
    assert codes.tolist() == [[1, 0], [-1, 2]]


def test_integer_and_float_labels_match():
    codes, _ = code_labels(np.array([[1.0, 2.0]]), [1, 2])
    assert codes.tolist() == [[0, 1]]


@pytest.mark.parametrize(("labels", "levels", "named"), [
    (np.array([[1.0, 2.0], [4.0, np.nan]]), [1, 2, 3], "4"),
    ([["优", "合格"]], ["优", "良"], "合格"),
])
def test_unknown_label_is_named_with_its_place(labels, levels, named):
    with pytest.raises(InputError) as err:
        code_labels(labels, levels)
    assert named in err.value.en and "(at (" in err.value.en


def test_fractional_scores_and_levels():
    # Half points are legitimate levels; a score between levels is not.
    codes, _ = code_labels(np.array([[1.0, 1.5], [2.0, 1.5]]), [1, 1.5, 2])
    assert codes.tolist() == [[0, 1], [2, 1]]
    codes, _ = code_labels(np.array([[1.0, 2.0]]), [1, 1.5, 2])
    assert codes.tolist() == [[0, 2]]
    with pytest.raises(InputError, match="2.5"):
        code_labels(np.array([[1.0, 2.5]]), [1, 2, 3])


def test_duplicate_levels_and_all_missing():
    with pytest.raises(InputError):
        code_labels([[1, 2]], [1, 1, 2])
    with pytest.raises(InputError):
        code_labels([[None, np.nan]])


def test_count_table_and_rating_counts():
    assert count_table(np.array([[0, 0, 2], [-1, 1, -1]]), 3).tolist() == [[2, 0, 1], [0, 1, 0]]
    counts, levels, n_raters = rating_counts([["a", None, "b"], ["b", None, "b"]])
    assert counts.tolist() == [[1, 1], [0, 2]] and levels == ["a", "b"] and n_raters == 2


def test_linear_and_quadratic_weights_by_definition():
    # Cohen (1968) / Cicchetti & Allison (1971): 1 - |i-j|/(q-1) and 1 - (i-j)^2/(q-1)^2.
    linear, _ = agreement_weights("linear", [1, 2, 3, 4])
    quadratic, _ = agreement_weights("quadratic", ["D", "C", "B", "A"])
    i, j = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    assert linear == pytest.approx(1 - np.abs(i - j) / 3)
    assert quadratic == pytest.approx(1 - (i - j) ** 2 / 9)


def test_numeric_levels_use_their_values():
    # Levels 0, 1, 4: distances 1, 4 and 3 of a range of 4.
    linear, _ = agreement_weights("linear", [0, 1, 4])
    assert linear[0] == pytest.approx([1, 0.75, 0]) and linear[1, 2] == pytest.approx(0.25)


def test_ordinal_weights_by_definition():
    # Gwet (2014): M_kl = C(|k-l|+1, 2) -> for q = 3, M = [[0,1,3],[1,0,1],[3,1,0]].
    ordinal, _ = agreement_weights("ordinal", ["low", "mid", "high"])
    assert ordinal == pytest.approx(1 - np.array([[0, 1, 3], [1, 0, 1], [3, 1, 0]]) / 3)


def test_radical_and_ratio_weights_by_definition():
    radical, _ = agreement_weights("radical", [1, 2, 5])
    assert radical[0, 1] == pytest.approx(1 - 1 / 2) and radical[0, 2] == pytest.approx(0)
    ratio, _ = agreement_weights("ratio", [1, 2, 3])
    # 1 - ((1-2)/(1+2))^2 / ((3-1)/(3+1))^2 = 1 - (1/9)/(1/4) = 5/9.
    assert ratio[0, 1] == pytest.approx(5 / 9) and ratio[0, 2] == pytest.approx(0)


def test_custom_matrix_is_validated():
    good = [[1, 0.2], [0.4, 1]]
    assert agreement_weights(good, ["a", "b"])[1] == "custom"
    for bad in ([[1, 0.2], [0.4, 0.8]], [[1, -0.1], [0, 1]], [[1, 0], [0, 1], [0, 0]],
                [[1, np.nan], [0, 1]]):
        with pytest.raises(InputError):
            agreement_weights(bad, ["a", "b"])
    with pytest.raises(InputError):
        agreement_weights("cubic", ["a", "b"])
