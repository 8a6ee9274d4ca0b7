"""Tests of scoring.ahp, scoring.pairwise, scoring.random_index and scoring.synthesis.

Published examples are cited where they are used; random matrices are cross-checked against
numpy.linalg.eig per matrix, AHPy (at its 4-decimal precision) and pyDecision.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from indicators.errors import InputError
from scoring.ahp import aggregate, global_weights, inconsistent_judgments, priorities, synthesize
from scoring.pairwise import SAATY_SCALE, check_pairwise, complete_harker, nearest_scale
from scoring.random_index import random_index, random_index_tables


def from_pairs(names: list[str], pairs: dict[tuple[str, str], float]) -> np.ndarray:
    n = len(names)
    a = np.full((n, n), np.nan)
    np.fill_diagonal(a, 1.0)
    for (x, y), v in pairs.items():
        i, j = names.index(x), names.index(y)
        a[i, j], a[j, i] = v, 1.0 / v
    return a


def reciprocal(n: int, upper: list[float]) -> np.ndarray:
    a = np.ones((n, n))
    iu = np.triu_indices(n, 1)
    a[iu] = upper
    a[iu[1], iu[0]] = 1.0 / np.asarray(upper)
    return a


@st.composite
def random_matrices(draw, min_n: int = 3, max_n: int = 9) -> np.ndarray:
    n = draw(st.integers(min_n, max_n))
    upper = draw(
        st.lists(
            st.sampled_from(SAATY_SCALE.tolist()),
            min_size=n * (n - 1) // 2,
            max_size=n * (n - 1) // 2,
        )
    )
    return reciprocal(n, upper)


# Saaty, T.L. (2008). Decision making with the analytic hierarchy process. Int. J. Services
# Sciences 1(1), 83-98: "Which drink is consumed more in the U.S.?" Derived priorities
# coffee .177, wine .019, tea .042, beer .116, sodas .190, milk .129, water .327, C.R. = .022.
DRINKS = ["coffee", "wine", "tea", "beer", "soda", "milk", "water"]
DRINK_PAIRS = {
    ("coffee", "wine"): 9, ("coffee", "tea"): 5, ("coffee", "beer"): 2, ("coffee", "soda"): 1,
    ("coffee", "milk"): 1, ("water", "coffee"): 2, ("water", "wine"): 9, ("water", "tea"): 9,
    ("water", "beer"): 3, ("water", "soda"): 2, ("water", "milk"): 3, ("tea", "wine"): 3,
    ("beer", "wine"): 9, ("beer", "tea"): 3, ("beer", "milk"): 1, ("soda", "wine"): 9,
    ("soda", "tea"): 4, ("soda", "beer"): 2, ("soda", "milk"): 2, ("milk", "wine"): 9,
    ("milk", "tea"): 3,
}  # fmt: skip


def test_saaty_2008_drinks_priorities_and_cr():
    res = priorities(from_pairs(DRINKS, DRINK_PAIRS), ri="saaty2005")
    published = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
    np.testing.assert_allclose(res.weights, published, atol=5e-4)
    assert round(float(res.cr), 3) == 0.022
    assert res.ri == 1.35 and res.ri_table == "saaty2005"
    assert bool(res.acceptable)


def test_geometric_method_on_drinks_is_close_to_eigenvector():
    a = from_pairs(DRINKS, DRINK_PAIRS)
    geo = priorities(a, method="geometric")
    eig = priorities(a)
    assert geo.method == "geometric"
    np.testing.assert_allclose(geo.weights, eig.weights, atol=0.01)
    np.testing.assert_allclose(geo.lambda_max, (a @ geo.weights / geo.weights).mean())


# Saaty, T.L. (2005). Theory and Applications of the Analytic Network Process. RWS
# Publications: choosing a city to live in (criteria culture, family, housing, jobs,
# transportation); overall priorities Bethesda .229, Boston .275, Pittsburgh .385,
# Santa Fe .111 (also the reference values of the AHPy test suite).
CITIES = ["Bethesda", "Boston", "Pittsburgh", "Santa Fe"]
CRITERIA = ["Culture", "Family", "Housing", "Jobs", "Transportation"]
CRITERIA_PAIRS = {
    ("Culture", "Housing"): 3, ("Culture", "Transportation"): 5, ("Family", "Culture"): 5,
    ("Family", "Housing"): 7, ("Family", "Transportation"): 7, ("Housing", "Transportation"): 3,
    ("Jobs", "Culture"): 2, ("Jobs", "Housing"): 4, ("Jobs", "Transportation"): 7,
    ("Family", "Jobs"): 1,
}  # fmt: skip
CITY_PAIRS = [
    {("Bethesda", "Pittsburgh"): 1, ("Boston", "Bethesda"): 2, ("Boston", "Pittsburgh"): 2.5,
     ("Boston", "Santa Fe"): 1, ("Santa Fe", "Bethesda"): 2, ("Santa Fe", "Pittsburgh"): 2.5},
    {("Bethesda", "Boston"): 2, ("Bethesda", "Santa Fe"): 4, ("Boston", "Santa Fe"): 2,
     ("Pittsburgh", "Bethesda"): 3, ("Pittsburgh", "Boston"): 8, ("Pittsburgh", "Santa Fe"): 9},
    {("Bethesda", "Boston"): 5, ("Bethesda", "Santa Fe"): 2.5, ("Pittsburgh", "Bethesda"): 2,
     ("Pittsburgh", "Boston"): 9, ("Pittsburgh", "Santa Fe"): 7, ("Santa Fe", "Boston"): 4},
    {("Bethesda", "Pittsburgh"): 3, ("Bethesda", "Santa Fe"): 4, ("Boston", "Bethesda"): 2,
     ("Boston", "Pittsburgh"): 6, ("Boston", "Santa Fe"): 8, ("Pittsburgh", "Santa Fe"): 1},
    {("Bethesda", "Boston"): 1.5, ("Bethesda", "Santa Fe"): 4, ("Boston", "Santa Fe"): 2.5,
     ("Pittsburgh", "Bethesda"): 2, ("Pittsburgh", "Boston"): 3.5, ("Pittsburgh", "Santa Fe"): 9},
]  # fmt: skip


def test_saaty_2005_two_level_hierarchy_where_to_live():
    criteria = priorities(from_pairs(CRITERIA, CRITERIA_PAIRS))
    # one call on the stack of the five alternative matrices
    alternatives = priorities(np.stack([from_pairs(CITIES, p) for p in CITY_PAIRS]))
    assert alternatives.weights.shape == (5, 4)
    overall = synthesize(criteria.weights, alternatives.weights)
    np.testing.assert_allclose(overall, [0.229, 0.275, 0.385, 0.111], atol=5e-4)


def test_harker_1987_derivative_example():
    # Harker (1987), Math. Modelling 9(11), 837-848, as worked in the SuperDecisions help
    # ("A Method for Incomplete Comparisons", Harker's example): A = [1 2 3; 1/2 1 2;
    # 1/3 1/2 1], x = (0.5396145, 0.2969613, 0.1634241), d lambda/d a12 = 0.0320137,
    # d lambda/d a13 = -0.0213425, d lambda/d a23 = 0.0320137.
    a = [[1, 2, 3], [1 / 2, 1, 2], [1 / 3, 1 / 2, 1]]
    rev = inconsistent_judgments(a, top=3)
    np.testing.assert_allclose(rev.result.weights, [0.5396145, 0.2969613, 0.1634241], atol=1e-7)
    got = {(r.row, r.column): r.dlambda for r in rev.judgments.itertuples()}
    assert got[(1, 2)] == pytest.approx(0.0320137, abs=1e-7)
    assert got[(1, 3)] == pytest.approx(-0.0213425, abs=1e-7)
    assert got[(2, 3)] == pytest.approx(0.0320137, abs=1e-7)


def test_harker_completion_is_a_fixed_point():
    # Harker (1987): the eigenvector of the modified matrix equals the eigenvector of the
    # matrix completed with a_ij = w_i / w_j, with the same eigenvalue.
    a = from_pairs(
        CITIES,
        {
            ("Bethesda", "Boston"): 3,
            ("Boston", "Pittsburgh"): 2,
            ("Pittsburgh", "Santa Fe"): 5,
            ("Bethesda", "Santa Fe"): 9,
        },
    )
    res = priorities(a)
    assert res.missing == "harker" and int(res.n_missing) == 2
    w_full, lam_full = np.linalg.eig(res.completed)
    k = np.argmax(w_full.real)
    v = np.abs(lam_full[:, k].real)
    np.testing.assert_allclose(res.weights, v / v.sum(), atol=1e-12)
    assert float(res.lambda_max) == pytest.approx(w_full[k].real, abs=1e-10)
    filled = res.completed
    np.testing.assert_allclose(filled * filled.T, 1.0)


# Bozóki, Fülóp & Rónyai (2010), Mathematical and Computer Modelling 52, 318-333: the 4x4
# example with a_34 missing. AHPy's test suite (cyclic coordinates, tolerance 1e-4) finds
# a_34 = 0.7302971 and weights .3738, .392, .0985, .1357.
BFR = [[1, 1, 5, 2], [1, 1, 3, 4], [1 / 5, 1 / 3, 1, np.nan], [1 / 2, 1 / 4, np.nan, 1]]


def test_lambda_optimal_completion_bozoki_example():
    res = priorities(BFR, missing="lambda_optimal")
    assert res.completed[2, 3] == pytest.approx(0.7302971, rel=1e-5)
    np.testing.assert_allclose(res.weights, [0.3738, 0.3920, 0.0985, 0.1357], atol=5e-5)
    harker = priorities(BFR)
    assert float(res.lambda_max) <= float(harker.lambda_max)


def test_lambda_optimal_matches_ahpy_on_saaty_house_with_harkers_gaps():
    # Saaty's house example (Saaty 1980) with the 12 judgments Harker (1987) removed;
    # reference completions from AHPy's test suite (cyclic coordinates, tolerance 1e-4).
    names = list("abcdefgh")
    given = {
        ("a", "b"): 5, ("a", "c"): 3, ("a", "d"): 7, ("a", "e"): 6, ("a", "f"): 6,
        ("b", "d"): 5, ("b", "f"): 3, ("c", "e"): 3, ("c", "g"): 6, ("f", "d"): 4,
        ("g", "a"): 3, ("g", "e"): 5, ("h", "a"): 4, ("h", "b"): 7, ("h", "d"): 8,
        ("h", "f"): 6,
    }  # fmt: skip
    ahpy_completion = {
        ("b", "c"): 0.3300187, ("b", "e"): 1.7197409, ("b", "g"): 0.4663515,
        ("c", "d"): 9.9205127, ("c", "f"): 4.8524864, ("c", "h"): 0.5696073,
        ("d", "e"): 0.5252768, ("d", "g"): 0.1424438, ("e", "f"): 0.9311974,
        ("e", "h"): 0.1093083, ("f", "g"): 0.2912121, ("g", "h"): 0.4030899,
    }  # fmt: skip
    res = priorities(from_pairs(names, given), missing="lambda_optimal")
    assert int(res.n_missing) == 12
    for (x, y), value in ahpy_completion.items():
        assert res.completed[names.index(x), names.index(y)] == pytest.approx(value, rel=2e-3)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_matrices(4, 6), st.data())
def test_lambda_optimal_agrees_with_scipy_minimisation(a, data):
    n = a.shape[0]
    pairs = list(zip(*np.triu_indices(n, 1), strict=True))
    # drop up to n - 2 judgments while keeping the first row, so the graph stays connected
    droppable = [p for p in pairs if p[0] != 0]
    drop = data.draw(st.lists(st.sampled_from(droppable), min_size=1, max_size=n - 2, unique=True))
    b = a.copy()
    for i, j in drop:
        b[i, j] = b[j, i] = np.nan
    res = priorities(b, missing="lambda_optimal")

    def lam(x):
        c = b.copy()
        for (i, j), v in zip(drop, x, strict=True):
            c[i, j], c[j, i] = np.exp(v), np.exp(-v)
        return np.max(np.linalg.eigvals(c).real)

    ref = minimize(
        lam,
        np.zeros(len(drop)),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000},
    )
    assert float(res.lambda_max) <= ref.fun + 1e-9
    assert float(res.lambda_max) == pytest.approx(ref.fun, abs=1e-7)


@settings(max_examples=60, deadline=None)
@given(random_matrices())
def test_eigenvector_matches_numpy_eig(a):
    res = priorities(a)
    vals, vecs = np.linalg.eig(a)
    k = np.argmax(vals.real)
    v = np.abs(vecs[:, k].real)
    np.testing.assert_allclose(res.weights, v / v.sum(), atol=1e-12)
    assert float(res.lambda_max) == pytest.approx(vals[k].real, abs=1e-10)
    n = a.shape[0]
    assert float(res.cr) == pytest.approx(
        (vals[k].real - n) / (n - 1) / float(random_index(n)), abs=1e-9
    )


def test_stack_equals_one_by_one():
    rng = np.random.default_rng(7)
    stack = np.empty((2, 3, 5, 5))
    for idx in np.ndindex(2, 3):
        stack[idx] = reciprocal(5, rng.choice(SAATY_SCALE, 10).tolist())
    res = priorities(stack)
    assert res.weights.shape == (2, 3, 5) and res.cr.shape == (2, 3)
    for idx in np.ndindex(2, 3):
        one = priorities(stack[idx])
        np.testing.assert_allclose(res.weights[idx], one.weights, atol=1e-14)
        assert float(res.cr[idx]) == pytest.approx(float(one.cr), abs=1e-13)


@settings(max_examples=25, deadline=None)
@given(random_matrices(3, 8))
def test_matches_ahpy_at_its_precision(a):
    ahpy = pytest.importorskip("ahpy")
    n = a.shape[0]
    names = [f"c{k}" for k in range(n)]
    comparisons = {
        (names[i], names[j]): float(a[i, j]) for i, j in itertools.combinations(range(n), 2)
    }
    ref = ahpy.Compare("x", comparisons, precision=4, random_index="saaty")
    res = priorities(a, ri="saaty2005")
    ours = dict(zip(names, res.weights, strict=True))
    for name, w in ref.local_weights.items():
        assert ours[name] == pytest.approx(w, abs=1.5e-4)
    assert float(res.cr) == pytest.approx(ref.consistency_ratio, abs=1.5e-4)


@settings(max_examples=25, deadline=None)
@given(random_matrices(3, 9))
def test_geometric_matches_pydecision(a):
    algorithm = pytest.importorskip("pyDecision.algorithm")
    w_ref, rc_ref = algorithm.ahp_method(a, wd="geometric")
    res = priorities(a, method="geometric")
    np.testing.assert_allclose(res.weights, w_ref, atol=1e-12)
    # pyDecision uses Saaty's 1980 table extended to n = 15, the same as ri="saaty1980"
    assert float(res.cr) == pytest.approx(rc_ref, abs=1e-10)


def test_two_by_two_and_one_by_one_are_consistent():
    res = priorities([[1, 7], [1 / 7, 1]])
    assert float(res.cr) == 0.0 and float(res.ci) == 0.0
    np.testing.assert_allclose(res.weights, [0.875, 0.125])
    assert priorities([[1]]).weights.tolist() == [1.0]


def test_consistent_matrix_has_zero_cr():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    res = priorities(w[:, None] / w[None, :])
    np.testing.assert_allclose(res.weights, w, atol=1e-15)
    assert float(res.cr) == 0.0


@pytest.mark.parametrize(
    ("table", "n", "value"),
    [
        ("saaty1980", 3, 0.58), ("saaty1980", 4, 0.90), ("saaty1980", 5, 1.12),
        ("saaty1980", 6, 1.24), ("saaty1980", 7, 1.32), ("saaty1980", 8, 1.41),
        ("saaty1980", 9, 1.45), ("saaty1980", 10, 1.49), ("saaty1980", 12, 1.48),
        ("saaty1980", 15, 1.59), ("saaty2005", 3, 0.52), ("saaty2005", 7, 1.35),
        ("alonso_lamata", 3, 0.5245), ("alonso_lamata", 15, 1.5838),
        ("donegan_dodd", 3, 0.4914), ("donegan_dodd", 100, 1.6339),
    ],
)  # fmt: skip
def test_random_index_tables(table, n, value):
    r = random_index(n, table)
    assert float(r) == value and r.table == table and r.note is None
    assert r.source


def test_random_index_beyond_table_uses_alonso_lamata_formula():
    r = random_index(16)
    # Alonso & Lamata (2006): mean lambda_max = 2.7699 n - 4.3513, RI = (lambda - n)/(n - 1)
    assert float(r) == pytest.approx((2.7699 * 16 - 4.3513 - 16) / 15)
    assert "Alonso-Lamata" in r.note
    res = priorities(np.ones((16, 16)))
    assert res.note is not None and res.ri == pytest.approx(float(r))


def test_random_index_interpolates_donegan_dodd_and_zero_below_three():
    r = random_index(22, "donegan_dodd")
    assert float(r) == pytest.approx(1.5371 + (1.5619 - 1.5371) * 2 / 5)
    assert "interpolated" in r.note
    assert float(random_index(2)) == 0.0 and float(random_index(1, "alonso_lamata")) == 0.0
    assert set(random_index_tables()) == {"saaty1980", "saaty2005", "alonso_lamata", "donegan_dodd"}
    with pytest.raises(InputError):
        random_index(5, "nope")


def test_input_errors_name_the_entry():
    with pytest.raises(InputError, match="not square"):
        priorities(np.ones((3, 4)))
    with pytest.raises(InputError) as err:
        priorities([[1, 2, -3], [1 / 2, 1, 2], [1 / 3, 1 / 2, 1]])
    assert err.value.location.row == 1 and err.value.location.column == "3"
    with pytest.raises(InputError) as err:
        priorities([[1, 2, 3], [1 / 2, 1, 2], [1 / 3, 2, 1]])
    assert "not reciprocal" in err.value.en and err.value.location.row == 2
    with pytest.raises(InputError) as err:
        check_pairwise([[1, 2.5], [0.4, 1]], enforce_scale=True, labels=["产出", "效益"])
    assert err.value.location.column == "效益" and "1-9 scale" in err.value.en
    with pytest.raises(InputError, match="diagonal"):
        priorities([[2, 1], [1, 1]])
    with pytest.raises(InputError, match="do not connect"):
        priorities(
            [
                [1, 2, np.nan, np.nan],
                [0.5, 1, np.nan, np.nan],
                [np.nan, np.nan, 1, 3],
                [np.nan, np.nan, 1 / 3, 1],
            ]
        )


def test_one_sided_and_typed_reciprocals_are_accepted():
    a = check_pairwise([[1, 3, 5], [np.nan, 1, 2], [0.2, 0.5, 1]])
    assert a[1, 0] == pytest.approx(1 / 3)
    b = check_pairwise([[1, 3], [0.33, 1]])
    assert b[0, 1] * b[1, 0] == pytest.approx(1.0)
    assert nearest_scale([1 / 3.1, 8.6]).tolist() == pytest.approx([1 / 3, 9.0])


def test_aij_reproduces_saaty_aczel_geometric_mean_example():
    # Aczél & Saaty (1983), J. Math. Psychol. 27, 93-102, as explained by Saaty: three people
    # judge an apple 2, 3 and 4 times larger than an orange; the group judgment is the
    # geometric mean 24**(1/3), whose reciprocal is the mean of the reciprocals.
    m = np.array([[[1, v], [1 / v, 1]] for v in (2, 3, 4)])
    res = aggregate(m)
    assert res.matrix[0, 1] == pytest.approx(24 ** (1 / 3))
    assert res.matrix[1, 0] == pytest.approx(24 ** (-1 / 3))
    assert res.method == "AIJ" and res.group is not None


def test_aij_of_consistent_matrices_equals_weighted_geometric_aip():
    ws = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    m = ws[:, :, None] / ws[:, None, :]
    lam = [3, 1, 1]
    aij = aggregate(m, expert_weights=lam)
    aip = aggregate(m, method="AIP", expert_weights=lam)
    g = np.prod(ws ** (np.array(lam)[:, None] / 5), axis=0)
    np.testing.assert_allclose(aij.weights, g / g.sum(), atol=1e-13)
    np.testing.assert_allclose(aip.weights, g / g.sum(), atol=1e-13)
    arith = aggregate(m, method="AIP", mean="arithmetic", expert_weights=lam)
    np.testing.assert_allclose(arith.weights, (np.array(lam)[:, None] * ws).sum(0) / 5)


def test_aij_skips_missing_judgments_of_some_experts():
    e1 = [[1, 4, 2], [1 / 4, 1, np.nan], [1 / 2, np.nan, 1]]
    e2 = [[1, 1, 2], [1, 1, 3], [1 / 2, 1 / 3, 1]]
    res = aggregate([e1, e2])
    assert res.matrix[0, 1] == pytest.approx(2.0)
    assert res.matrix[1, 2] == pytest.approx(3.0)
    with pytest.raises(InputError):
        aggregate([e1, e2], expert_weights=[1, -1])


def test_inconsistent_judgment_found_and_repaired():
    w = np.array([0.4, 0.25, 0.2, 0.1, 0.05])
    a = np.round(w[:, None] / w[None, :], 12)
    a[1, 3], a[3, 1] = 1 / 4, 4  # the consistent value is 2.5
    rev = inconsistent_judgments(a, top=3, labels=list("ABCDE"))
    first = rev.revise.iloc[0]
    assert (first.row, first.column, first.label_i, first.label_j) == (2, 4, "B", "D")
    rw = rev.result.weights
    assert first.value == pytest.approx(0.25)
    assert first.epsilon == pytest.approx(0.25 * rw[3] / rw[1])
    assert first.consistent_value == pytest.approx(rw[1] / rw[3])
    assert first.nearest_scale == nearest_scale(first.consistent_value)
    # the suggestion turns the reversed judgment round and improves consistency
    assert first.nearest_scale >= 1 and first.cr_after < float(rev.result.cr)
    assert rev.ask_next.empty


def test_ask_next_for_incomplete_matrix():
    a = [[1, 3, np.nan, 5], [1 / 3, 1, 2, np.nan], [np.nan, 1 / 2, 1, 2], [1 / 5, np.nan, 1 / 2, 1]]
    rev = inconsistent_judgments(a, top=5)
    assert len(rev.ask_next) == 2
    w = rev.result.weights
    for r in rev.ask_next.itertuples():
        assert r.suggested == pytest.approx(w[r.row - 1] / w[r.column - 1])
    assert rev.ask_next["sensitivity"].is_monotonic_decreasing


def test_global_weights_over_the_self_evaluation_tree():
    # DOMAIN.md defaults: 预算执行率 10, 产出 50, 效益 30, 满意度 10.
    local = {
        "预算执行率": 0.1,
        "产出": 0.5,
        "效益": 0.3,
        "满意度": 0.1,
        "数量": 0.5,
        "质量": 0.3,
        "时效": 0.2,
        "社会效益": 1.0,
        "服务对象满意度": 1.0,
    }
    parent = {
        "预算执行率": None,
        "产出": None,
        "效益": None,
        "满意度": None,
        "数量": "产出",
        "质量": "产出",
        "时效": "产出",
        "社会效益": "效益",
        "服务对象满意度": "满意度",
    }
    g = global_weights(local, parent)
    assert g["产出"] == pytest.approx(50) and g["质量"] == pytest.approx(15)
    leaves = [c for c in local if c not in parent.values()]
    assert g[leaves].sum() == pytest.approx(100)


def test_global_weights_deep_chain_and_errors():
    depth = 9
    codes = [f"L{k}" for k in range(depth)]
    local = pd.Series(1.0, index=codes)
    parent = pd.Series([None, *codes[:-1]], index=codes)
    assert global_weights(local, parent).tolist() == [100.0] * depth
    with pytest.raises(InputError, match="not in the tree"):
        global_weights({"A": 1.0}, {"A": "Z"})
    with pytest.raises(InputError, match="cycle"):
        global_weights({"A": 1.0, "B": 1.0}, {"A": "B", "B": "A"})


def test_harker_kernel_returns_same_as_priorities():
    a = check_pairwise([[1, 2, np.nan], [0.5, 1, 3], [np.nan, 1 / 3, 1]])
    filled, w, lam = complete_harker(a)
    res = priorities(a)
    np.testing.assert_allclose(w, res.weights)
    assert filled[0, 2] == pytest.approx(w[0] / w[2])
