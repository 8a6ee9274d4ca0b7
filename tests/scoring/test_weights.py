"""Tests of scoring.weights against published examples and pymcdm on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from indicators.errors import InputError
from scoring.weights import combine_weights, critic_weights, entropy_weights

# Elsayed, E.A., Dawood, A.S. & Karthikeyan, R. (2017). Evaluating alternatives through the
# application of TOPSIS method with entropy weight. Int. J. Engineering Trends and Technology
# 46(2), 60-66: 12 alternatives x 5 criteria; entropy weights 0.104991, 0.069124, 0.071373,
# 0.449937, 0.304575 (proportions of the raw values, p = x / sum x).
ELSAYED = np.array(
    [
        [7, 312, 1891, 6613, 163],
        [72, 88, 728, 941804, 1078],
        [10, 252, 2594, 3466, 117471],
        [10, 145, 980, 2371, 86329],
        [65, 54, 350, 501, 29897],
        [29, 48, 380, 912, 34051],
        [7, 476, 3300, 78470, 2212],
        [70, 87, 650, 733, 819000],
        [4, 86, 591, 3015, 103],
        [12, 79, 579, 3240, 96098],
        [21, 45, 261, 1253, 453],
        [1, 72, 530, 4333, 0.104800],
    ]
)

# Tuş, A. & Adalı, E.A. (2019). The new combination with CRITIC and WASPAS methods for the
# time and attendance software selection problem. OPSEARCH 56(2), 528-538: CRITIC weights
# 0.157, 0.249, 0.168, 0.121, 0.154, 0.151 (reproduced with every column min-max
# normalised as higher-is-better, which is what the published numbers correspond to).
TUS_ADALI = np.array(
    [
        [5000, 3, 3, 4, 3, 2],
        [680, 5, 3, 2, 2, 1],
        [2000, 3, 2, 3, 4, 3],
        [600, 4, 3, 1, 2, 2],
        [800, 2, 4, 3, 3, 4],
    ]
)


def test_entropy_weights_elsayed_2017():
    res = entropy_weights(ELSAYED, benefit=True, normalization="ratio")
    np.testing.assert_allclose(
        res.weights, [0.104991, 0.069124, 0.071373, 0.449937, 0.304575], atol=5e-7
    )
    np.testing.assert_allclose(res.divergence, 1 - res.entropy)
    assert res.normalization == "ratio" and res.note is None


def test_critic_weights_tus_adali_2019():
    res = critic_weights(TUS_ADALI, benefit=True)
    np.testing.assert_allclose(res.weights, [0.157, 0.249, 0.168, 0.121, 0.154, 0.151], atol=5e-4)
    np.testing.assert_allclose(res.information, res.std * res.conflict)


positive = arrays(
    float,
    st.tuples(st.integers(3, 12), st.integers(2, 6)),
    elements=st.floats(0.5, 1000.0, allow_nan=False, allow_infinity=False),
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=50, deadline=None)
@given(positive)
def test_entropy_matches_pymcdm(x):
    pymcdm = pytest.importorskip("pymcdm")
    # pymcdm's entropy_weights uses p = x / sum x, i.e. our ratio normalisation of benefit columns
    ref = pymcdm.weights.entropy_weights(x)
    ours = entropy_weights(x, benefit=True, normalization="ratio")
    if np.isfinite(ref).all():
        np.testing.assert_allclose(ours.weights, ref, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(positive)
def test_critic_matches_pymcdm(x):
    pymcdm = pytest.importorskip("pymcdm")
    if (np.ptp(x, axis=0) < 1e-6).any():
        return  # pymcdm gives NaN for constant columns; that case is tested below
    ref = pymcdm.weights.critic_weights(x)
    ours = critic_weights(x, benefit=True)
    np.testing.assert_allclose(ours.weights, ref, atol=1e-9)


def test_entropy_by_hand_small_example():
    # p = (0, 1/2, 1) / 1.5 after min-max: e = -(1/3 ln 1/3 + 2/3 ln 2/3)/ln 3
    res = entropy_weights([[1, 5], [2, 5], [3, 5]], benefit=True)
    e1 = -(1 / 3 * np.log(1 / 3) + 2 / 3 * np.log(2 / 3)) / np.log(3)
    np.testing.assert_allclose(res.entropy, [e1, 1.0])
    np.testing.assert_allclose(res.weights, [1.0, 0.0])


def test_cost_direction_reverses_minmax():
    x = np.array([[1.0, 9.0], [4.0, 3.0], [2.0, 7.0], [8.0, 1.0]])
    cost = entropy_weights(x, benefit=[True, False])
    flipped = entropy_weights(np.column_stack([x[:, 0], -x[:, 1]]), benefit=True)
    np.testing.assert_allclose(cost.weights, flipped.weights)
    c1 = critic_weights(x, benefit=[True, False])
    c2 = critic_weights(np.column_stack([x[:, 0], -x[:, 1]]), benefit=True)
    np.testing.assert_allclose(c1.weights, c2.weights)


def test_constant_columns_and_all_constant():
    x = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 1.0], [4.0, 2.0, 2.0]])
    e = entropy_weights(x, benefit=True)
    assert e.weights[1] == 0.0 and e.divergence[1] == 0.0
    c = critic_weights(x, benefit=True)
    assert c.weights[1] == 0.0 and np.isnan(c.correlation[0, 1])
    flat = np.full((4, 3), 7.0)
    for res in (entropy_weights(flat, benefit=True), critic_weights(flat, benefit=True)):
        np.testing.assert_allclose(res.weights, [1 / 3] * 3)
        assert "equal weights" in res.note


def test_dataframes_keep_labels_and_take_directions_by_name():
    df = pd.DataFrame(
        TUS_ADALI, columns=["价格", "功能", "易用", "支持", "集成", "报表"], index=list("ABCDE")
    )
    res = entropy_weights(
        df,
        benefit={
            "价格": False,
            "功能": True,
            "易用": True,
            "支持": True,
            "集成": True,
            "报表": True,
        },
    )
    assert list(res.weights.index) == list(df.columns)
    assert res.weights.sum() == pytest.approx(1.0)
    assert list(res.normalized.index) == list("ABCDE")
    crit = critic_weights(df, benefit=True)
    assert list(crit.correlation.columns) == list(df.columns)
    with pytest.raises(InputError, match="no direction"):
        entropy_weights(df, benefit={"价格": False})


def test_stacks_are_weighed_one_by_one():
    rng = np.random.default_rng(3)
    stack = rng.uniform(1, 10, size=(4, 6, 3))
    res = entropy_weights(stack, benefit=True)
    assert res.weights.shape == (4, 3)
    for k in range(4):
        np.testing.assert_allclose(res.weights[k], entropy_weights(stack[k], benefit=True).weights)
    crit = critic_weights(stack, benefit=[True, False, True])
    for k in range(4):
        np.testing.assert_allclose(
            crit.weights[k], critic_weights(stack[k], benefit=[True, False, True]).weights
        )


def test_input_errors():
    with pytest.raises(InputError) as err:
        entropy_weights(pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 2.0]}), benefit=True)
    assert err.value.location.row == 2 and err.value.location.column == "a"
    with pytest.raises(InputError) as err:
        entropy_weights([[1, 0], [2, 3]], benefit=[True, False], normalization="ratio")
    assert err.value.location.row == 1 and err.value.location.column == "2"
    with pytest.raises(InputError, match="at least 2 objects"):
        critic_weights([[1, 2, 3]], benefit=True)
    with pytest.raises(InputError):
        entropy_weights([[1, 2], [3, 4]], benefit=True, normalization="zscore")


def test_combine_weights():
    s = pd.Series({"产出": 0.5, "效益": 0.3, "满意度": 0.2})
    o = pd.Series({"满意度": 0.6, "产出": 0.2, "效益": 0.2})
    lin = combine_weights(s, o, alpha=0.7)
    assert lin.weights["产出"] == pytest.approx(0.7 * 0.5 + 0.3 * 0.2)
    assert lin.method == "linear" and lin.alpha == 0.7
    mult = combine_weights(s, o, method="multiplicative")
    assert mult.weights.to_dict() == pytest.approx(
        {"产出": 0.1 / 0.28, "效益": 0.06 / 0.28, "满意度": 0.12 / 0.28}
    )
    # weights on a 100-point scale are normalised first
    assert combine_weights([50, 30, 20], [1, 1, 2]).weights.tolist() == pytest.approx(
        [0.375, 0.275, 0.35]
    )
    with pytest.raises(InputError):
        combine_weights([1, 0], [0, 1], method="multiplicative")
    with pytest.raises(InputError):
        combine_weights([1, 1], [1, 1], alpha=1.5)
    with pytest.raises(InputError):
        combine_weights(s, pd.Series({"产出": 1.0}))
