"""Tests of scoring.fuzzy (模糊综合评价)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from indicators.errors import InputError
from scoring.fuzzy import OPERATORS, evaluate, evaluate_hierarchy, membership_from_votes

# The clothing evaluation (服装评判) of Chinese fuzzy-mathematics teaching (汪培庄 1983 and the
# MATLAB modelling texts that reproduce it as "Example 8.4"): factors 花色, 式样, 耐穿程度,
# 价格; grades 很欢迎, 较欢迎, 不太欢迎, 不欢迎. With M(∧,∨) ("主因素决定型") the first kind
# of customer, A1 = (0.1, 0.2, 0.3, 0.4), gives B1 = (0.2, 0.3, 0.4, 0.1) -> 不太欢迎; the
# second, A2 = (0.4, 0.35, 0.15, 0.1), gives B2 = (0.35, 0.4, 0.2, 0.1) -> 较欢迎.
CLOTHING_R = np.array(
    [[0.2, 0.5, 0.2, 0.1], [0.7, 0.2, 0.1, 0.0], [0.0, 0.4, 0.5, 0.1], [0.2, 0.3, 0.5, 0.0]]
)
CLOTHING_GRADES = ("很欢迎", "较欢迎", "不太欢迎", "不欢迎")


def test_clothing_example_min_max():
    a = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.35, 0.15, 0.1]])
    res = evaluate(a, CLOTHING_R, operator="min_max", grades=CLOTHING_GRADES)
    np.testing.assert_allclose(res.composite, [[0.2, 0.3, 0.4, 0.1], [0.35, 0.4, 0.2, 0.1]])
    assert res.grade.tolist() == ["不太欢迎", "较欢迎"]
    np.testing.assert_allclose(res.membership[1], np.array([0.35, 0.4, 0.2, 0.1]) / 1.05)
    assert not res.tie.any()


def reference(a, r, operator):
    """Direct loops over factors and grades, written from the textbook definitions."""
    m, g = r.shape
    b = np.zeros(g)
    for j in range(g):
        terms = []
        for i in range(m):
            if operator in ("weighted_average", "product_max"):
                terms.append(a[i] * r[i, j])
            else:
                terms.append(min(a[i], r[i, j]))
        if operator in ("weighted_average", "min_bounded_sum"):
            b[j] = min(1.0, sum(terms))
        else:
            b[j] = max(terms)
    return b


memberships = arrays(float, st.tuples(st.integers(2, 6), st.just(4)), elements=st.floats(0, 1))


@settings(max_examples=60, deadline=None)
@given(memberships, st.data(), st.sampled_from(sorted(OPERATORS)))
def test_operators_match_textbook_definitions(r, data, operator):
    a = np.asarray(
        data.draw(st.lists(st.floats(0.01, 1), min_size=r.shape[0], max_size=r.shape[0]))
    )
    if (r.sum(axis=0) == 0).all() or reference(a / a.sum(), r, operator).sum() == 0:
        return
    res = evaluate(a, r, operator=operator)
    np.testing.assert_allclose(res.composite, reference(a / a.sum(), r, operator), atol=1e-12)
    assert res.membership.sum() == pytest.approx(1.0)


def test_weighted_average_score_and_stack_of_projects():
    # three projects evaluated at once against the same factor weights
    rng = np.random.default_rng(11)
    r = rng.dirichlet(np.ones(4), size=(3, 5))
    a = np.array([0.3, 0.3, 0.2, 0.1, 0.1])
    res = evaluate(a, r, grade_scores=(95, 85, 70, 50))
    assert res.composite.shape == (3, 4) and res.grade.shape == (3,)
    np.testing.assert_allclose(res.composite, np.einsum("i,pij->pj", a, r))
    np.testing.assert_allclose(res.score, res.membership @ np.array([95, 85, 70, 50]))
    one = evaluate(a, r[1], grade_scores={"优": 95, "良": 85, "中": 70, "差": 50})
    assert float(one.score) == pytest.approx(float(res.score[1]))
    assert str(one.grade) == res.grade[1]


def test_weights_on_a_hundred_point_scale_are_normalised():
    a = evaluate([50, 30, 20], CLOTHING_R[:3])
    b = evaluate([0.5, 0.3, 0.2], CLOTHING_R[:3])
    np.testing.assert_allclose(a.composite, b.composite)


def test_tie_takes_the_better_grade():
    res = evaluate([0.5, 0.5], [[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0]])
    assert str(res.grade) == "优" and bool(res.tie)


def test_membership_from_votes():
    votes = pd.DataFrame(
        {
            "资金到位率": ["优", "优", "良", "良", "中"],
            "完成及时性": ["良", "良", "良", None, "差"],
        }
    )
    r = membership_from_votes(votes)
    assert list(r.index) == ["资金到位率", "完成及时性"] and list(r.columns) == [
        "优",
        "良",
        "中",
        "差",
    ]
    np.testing.assert_allclose(r.to_numpy(), [[0.4, 0.4, 0.2, 0.0], [0.0, 0.75, 0.0, 0.25]])
    bad = votes.copy()
    bad.iloc[2, 1] = "很好"
    with pytest.raises(InputError) as err:
        membership_from_votes(bad)
    assert err.value.location.row == 3 and err.value.location.column == "完成及时性"


def test_hierarchy_is_composition_of_levels():
    r1 = CLOTHING_R[:2]
    r2 = CLOTHING_R[2:]
    res = evaluate_hierarchy(
        [0.6, 0.4], [[0.5, 0.5], [0.3, 0.7]], [r1, r2], grade_scores=(95, 85, 70, 50)
    )
    b1 = np.array([0.5, 0.5]) @ r1
    b2 = np.array([0.3, 0.7]) @ r2
    top = np.array([0.6, 0.4]) @ np.vstack([b1 / b1.sum(), b2 / b2.sum()])
    np.testing.assert_allclose(res.top.composite, top)
    assert len(res.groups) == 2 and res.membership.shape == (2, 4)
    mixed = evaluate_hierarchy(
        [0.6, 0.4],
        [[0.5, 0.5], [0.3, 0.7]],
        [r1, r2],
        operator="min_max",
        group_operator="weighted_average",
    )
    np.testing.assert_allclose(
        mixed.top.composite, np.minimum(np.array([0.6, 0.4])[:, None], res.membership).max(axis=0)
    )


def test_hierarchy_over_a_stack_of_projects():
    rng = np.random.default_rng(5)
    r1 = rng.dirichlet(np.ones(4), size=(7, 3))
    r2 = rng.dirichlet(np.ones(4), size=(7, 2))
    res = evaluate_hierarchy([0.5, 0.5], [[0.2, 0.3, 0.5], [0.6, 0.4]], [r1, r2])
    assert res.top.composite.shape == (7, 4)
    single = evaluate_hierarchy([0.5, 0.5], [[0.2, 0.3, 0.5], [0.6, 0.4]], [r1[3], r2[3]])
    np.testing.assert_allclose(res.top.composite[3], single.top.composite)


def test_input_errors():
    with pytest.raises(InputError) as err:
        evaluate([0.5, 0.5], [[0.5, 0.5, 0, 0], [0.5, 1.5, 0, 0]])
    assert err.value.location.row == 2 and err.value.location.column == "良"
    with pytest.raises(InputError, match="4 columns"):
        evaluate([1.0], [[0.5, 0.5]])
    with pytest.raises(InputError, match="weights for"):
        evaluate([0.5, 0.3, 0.2], CLOTHING_R)
    with pytest.raises(InputError, match="unknown operator"):
        evaluate([1.0], [[1, 0, 0, 0]], operator="max_min")
    with pytest.raises(InputError, match="no score given"):
        evaluate([1.0], [[1, 0, 0, 0]], grade_scores={"优": 95})
