"""Kendall's W: classical (NAG, R irr, scipy's Friedman) and for incomplete rankings (Conover's
Durbin example, Durbin's and Kendall & Gibbons' formulas on balanced designs, a direct dense
evaluation of the statistic on arbitrary designs)."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

import review.concordance as concordance_module
from indicators.errors import InputError
from review.concordance import MISSING_RULES, kendall_w

nan = np.nan

# NAG Library routine g08daf, example program (data and results in the NAG manual):
# 3 comparisons (raters) of 10 objects with tied scores; W = 0.828, significance 0.008.
# Rows here are objects, columns the comparisons.
NAG_G08DAF = np.array([
    [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
    [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
    [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
]).T

# R irr::kendall on three raters' ranks of six subjects (no ties), as printed in
# D. Wollschläger's RExRepos (interRaterICC): W = 0.568, Chisq(5) = 8.52, p-value = 0.13.
IRR_RANKS = np.array([[1, 6, 3, 2, 5, 4], [1, 5, 6, 2, 4, 3], [2, 3, 6, 5, 4, 1]]).T

# Conover (1999), Practical Nonparametric Statistics, 3rd ed., p. 391 (the Durbin test, §5.9):
# 7 judges each taste 3 of 7 ice-cream varieties (a balanced incomplete block design with
# r = 3, k = 3, λ = 1) and rank them. Rows are varieties, columns judges. agricolae's
# durbin.test prints, for these data, rank sums 8, 9, 4, 3, 5, 6, 7, Durbin's statistic 12
# on 6 df and p = 0.0619688; PMCMRplus::durbinTest reproduces the same example.
ICE_CREAM = np.array([
    [2, nan, nan, nan, 3, nan, 3],
    [3, 3, nan, nan, nan, 3, nan],
    [nan, 1, 2, nan, nan, nan, 1],
    [1, nan, 1, 1, nan, nan, nan],
    [nan, 2, nan, 2, 1, nan, nan],
    [nan, nan, 3, nan, 2, 1, nan],
    [nan, nan, nan, 3, nan, 2, 2],
])


def _cyclic_design(n_items: int, n_raters: int, per_item: int, rng: np.random.Generator
                   ) -> np.ndarray:
    """Each item to the ``per_item`` least-loaded raters, ties broken at random (as rounds do)."""
    design = np.zeros((n_items, n_raters), dtype=bool)
    load = np.zeros(n_raters)
    for i in range(n_items):
        chosen = np.lexsort((rng.random(n_raters), load))[:per_item]
        design[i, chosen] = True
        load[chosen] += 1
    return design


class TestClassical:
    def test_nag_g08daf_example_with_ties(self):
        r = kendall_w(NAG_G08DAF)
        assert round(r.value, 3) == 0.828
        assert round(r.p_value, 3) == 0.008
        assert (r.n_items, r.n_raters, r.df) == (10, 3, 9)
        assert r.statistic == pytest.approx(3 * 9 * r.value)

    def test_irr_example_without_ties(self):
        r = kendall_w(IRR_RANKS)
        assert round(r.value, 3) == 0.568
        assert round(r.statistic, 2) == 8.52 and r.statistic_name == "chi2"
        assert round(r.p_value, 2) == 0.13
        assert r.details["tie_sum"] == 0

    def test_tie_correction_raises_w(self):
        assert kendall_w(NAG_G08DAF, ties=False).value < kendall_w(NAG_G08DAF).value
        assert kendall_w(IRR_RANKS, ties=False).value == kendall_w(IRR_RANKS).value

    def test_scores_are_ranked_within_each_rater(self):
        # Any increasing transformation of a rater's scores leaves W unchanged.
        scores = NAG_G08DAF * np.array([1.0, 10.0, 0.5]) + np.array([0.0, 3.0, 100.0])
        assert kendall_w(scores).value == pytest.approx(kendall_w(NAG_G08DAF).value)

    def test_perfect_concordance(self):
        ranks = np.tile(np.arange(1.0, 8.0)[:, None], (1, 4))
        r = kendall_w(ranks)
        assert r.value == pytest.approx(1.0)

    def test_missing_ratings_drop_items_on_request(self):
        x = NAG_G08DAF.copy()
        x[0, 1] = np.nan
        r = kendall_w(x, missing="drop_items")
        assert (r.n_items, r.n_raters) == (9, 3)
        assert r.value == pytest.approx(kendall_w(NAG_G08DAF[1:]).value)
        assert "1 items with a missing rating dropped" in r.method

    def test_missing_ratings_drop_raters_on_request(self):
        x = np.column_stack([NAG_G08DAF, NAG_G08DAF[:, 0]])
        x[4, 3] = np.nan
        r = kendall_w(x, missing="drop_raters")
        assert (r.n_items, r.n_raters) == (10, 3)
        assert r.value == pytest.approx(kendall_w(NAG_G08DAF).value)

    def test_missing_ratings_raise_on_request(self):
        x = NAG_G08DAF.copy()
        x[2, 0] = np.nan
        with pytest.raises(InputError) as err:
            kendall_w(x, missing="raise")
        assert err.value.location.row == 3

    def test_rater_without_any_rating_is_ignored(self):
        x = np.column_stack([NAG_G08DAF, np.full(10, np.nan)])
        assert kendall_w(x).n_raters == 3

    @pytest.mark.parametrize("bad", [{"missing": "impute"}])
    def test_unknown_missing_rule(self, bad):
        with pytest.raises(InputError):
            kendall_w(NAG_G08DAF, **bad)

    def test_too_few_items_after_dropping(self):
        x = NAG_G08DAF.copy()
        x[1:, 0] = np.nan
        with pytest.raises(InputError):
            kendall_w(x, missing="drop_items")

    def test_every_rater_ties_everything(self):
        with pytest.raises(InputError):
            kendall_w(np.ones((5, 3)))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 10), m=st.integers(2, 6), levels=st.integers(2, 6),
       seed=st.integers(0, 2**32 - 1))
def test_chi_square_equals_scipy_friedman_statistic(n, m, levels, seed):
    # The tie-corrected Friedman statistic (scipy, Conover 1999) is m(n - 1)W, raters as blocks.
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, size=(n, m)).astype(float)
    ranks = stats.rankdata(x, axis=0)
    if np.all(ranks == ranks[0]):
        return  # every rater tied all items: both are undefined
    ours = kendall_w(x)
    friedman = stats.friedmanchisquare(*x)
    assert ours.statistic == pytest.approx(friedman.statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(friedman.pvalue, rel=1e-9)


class TestConoverIceCream:
    def test_durbin_statistic_df_and_p_value_as_published(self):
        r = kendall_w(ICE_CREAM)
        assert r.statistic == pytest.approx(12.0, abs=1e-12)
        assert r.df == 6 and r.statistic_name == "chi2"
        assert r.p_value == pytest.approx(0.0619688, abs=5e-8)
        assert (r.n_items, r.n_raters, r.n_ratings) == (7, 7, 21)

    def test_rank_sums_as_published(self):
        # Mean compatible scores are r(n+1)/(k+1) = 2r averaged over 3 judges: 2R/3.
        mean_scores = np.array(kendall_w(ICE_CREAM).details["mean_ranks"])
        assert mean_scores * 3 / 2 == pytest.approx([8, 9, 4, 3, 5, 6, 7])

    def test_w_is_one_because_the_judges_agree_perfectly(self):
        # Kendall & Gibbons (1990, ch. 6): in a balanced incomplete design χ² = λ(n²−1)W/(k+1),
        # and λ(n²−1)/(k+1) = 1·48/4 = 12 is exactly the published statistic. Indeed every
        # judge's ranking follows the single order 4 < 3 < 5 < 6 < 7 < 1 < 2.
        r = kendall_w(ICE_CREAM)
        assert r.value == pytest.approx(1.0, abs=1e-12)
        assert r.details["chi2_in_agreement"] == pytest.approx(12.0)
        assert r.details["consensus_order"] == (6, 7, 2, 1, 3, 4, 5)
        assert r.details["balanced"] is True
        assert "balanced incomplete design" in r.method and "Durbin 1951" in r.method

    def test_the_complete_ranking_rules_still_refuse_it(self):
        # No variety was tasted by every judge: dropping items leaves nothing, as before.
        with pytest.raises(InputError):
            kendall_w(ICE_CREAM, missing="drop_items")
        with pytest.raises(InputError):
            kendall_w(ICE_CREAM, missing="raise")


def _durbin_conover(x: np.ndarray) -> tuple[float, float]:
    """Durbin's statistic as Conover (1999, §5.9) writes it, and Kendall & Gibbons' W."""
    present = ~np.isnan(x)
    t = x.shape[0]
    k = int(present.sum(axis=0)[0])
    r = int(present.sum(axis=1)[0])
    b = x.shape[1]
    lam = r * (k - 1) / (t - 1)
    ranks = np.where(present, stats.rankdata(np.where(present, x, np.inf), axis=0), 0.0)
    rank_sums = ranks.sum(axis=1)
    s = float(np.sum((rank_sums - r * (k + 1) / 2) ** 2))
    a, c = float(np.sum(ranks**2)), b * k * (k + 1) ** 2 / 4
    return (t - 1) * s / (a - c), 12 * s / (lam**2 * t * (t**2 - 1))


@settings(max_examples=40, deadline=None)
@given(t=st.integers(4, 7), data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_balanced_incomplete_designs_give_durbin_and_kendall_gibbons(t, data, seed):
    # Every k-subset of t items as one rater's block is a balanced incomplete block design.
    k = data.draw(st.integers(2, t - 1))
    blocks = list(itertools.combinations(range(t), k))
    rng = np.random.default_rng(seed)
    x = np.full((t, len(blocks)), nan)
    for j, block in enumerate(blocks):
        x[list(block), j] = rng.normal(size=k)  # continuous scores: no ties
    x = x[rng.permutation(t)][:, rng.permutation(len(blocks))]
    durbin, w_kendall_gibbons = _durbin_conover(x)
    ours = kendall_w(x)
    assert ours.statistic == pytest.approx(durbin, rel=1e-9, abs=1e-12)
    assert ours.value == pytest.approx(w_kendall_gibbons, rel=1e-9, abs=1e-12)
    assert ours.p_value == pytest.approx(stats.chi2.sf(durbin, t - 1), rel=1e-9, abs=1e-15)
    assert ours.df == t - 1 and ours.details["balanced"] is True


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 9), m=st.integers(2, 6), levels=st.sampled_from([3, 6, 1000]),
       ties=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_on_complete_tables_it_is_the_classical_w_exactly(n, m, levels, ties, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, size=(n, m)).astype(float)
    assume(not np.all(stats.rankdata(x, axis=0) == (n + 1) / 2))
    incomplete = kendall_w(x, ties=ties)
    classical = kendall_w(x, ties=ties, missing="drop_items")
    assert "complete rankings, so W is the classical W" in incomplete.method
    assert incomplete.value == pytest.approx(classical.value, rel=1e-9, abs=1e-12)
    assert incomplete.statistic == pytest.approx(classical.statistic, rel=1e-9, abs=1e-12)
    assert incomplete.p_value == pytest.approx(classical.p_value, rel=1e-9, abs=1e-15)
    assert incomplete.df == classical.df
    assert incomplete.details["mean_ranks"] == pytest.approx(classical.details["mean_ranks"])


def _dense(x: np.ndarray, scores: np.ndarray | None = None, untied: bool = False
           ) -> tuple[float, int, np.ndarray]:
    """Qᵀ V⁺ Q, the rank of V and V⁺Q straight from kendall_w's Notes, by a pseudo-inverse."""
    present = ~np.isnan(x)
    n = x.shape[0]
    k = present.sum(axis=0)
    ranks = stats.rankdata(np.where(present, x, np.inf), axis=0)
    observed = np.where(present, (ranks - (k + 1) / 2) * (n + 1) / (k + 1), 0.0)
    variance = ((n + 1) / (k + 1)) ** 2 * k * (k + 1) / 12 if untied else (
        (observed**2).sum(axis=0) / (k - 1))
    scores = observed if scores is None else scores
    cov = sum(c * (np.diag(col) - np.outer(col, col) / kj)
              for c, col, kj in zip(variance, present.T.astype(float), k, strict=True))
    totals = scores.sum(axis=1)
    effects = np.linalg.pinv(cov) @ totals
    return float(totals @ effects), int(np.linalg.matrix_rank(cov)), effects


@settings(max_examples=40, deadline=None)
@given(n=st.integers(4, 14), m=st.integers(3, 8), per_item=st.integers(2, 3),
       levels=st.sampled_from([4, 1000]), seed=st.integers(0, 2**32 - 1))
def test_any_connected_design_matches_a_dense_evaluation(n, m, per_item, levels, seed):
    rng = np.random.default_rng(seed)
    design = _cyclic_design(n, m, per_item, rng)
    x = np.where(design, rng.integers(0, levels, size=(n, m)).astype(float), nan)
    assume((design.sum(axis=0) >= 2).all())
    try:
        ours = kendall_w(x)
    except InputError:
        return  # a design split into unlinked groups, or all ties; tested below
    statistic, rank, effects = _dense(x)
    assert ours.statistic == pytest.approx(statistic, rel=1e-8, abs=1e-10)
    # n - 1 for a linked design; a rater who tied everything can cut an item off.
    assert ours.df == rank
    # The consensus order sorts the items' effects V⁺Q ...
    order = np.argsort(ours.details["consensus_order"])
    assert np.all(np.diff(effects[order]) >= -1e-9 * (1 + np.abs(effects).max()))
    # ... and W divides by the larger χ² of a panel agreeing on it, untied or with each
    # rater's own tied scores moved along it.
    in_order = np.where(design, np.array(ours.details["consensus_order"])[:, None], nan)
    untied = _dense(in_order, untied=True)[0]
    own = _dense(x, scores=_own_scores_along(x, in_order))[0]
    assert ours.details["chi2_in_agreement"] == pytest.approx(max(untied, own), rel=1e-8)
    assert ours.value == pytest.approx(ours.statistic / max(untied, own), rel=1e-9)
    assert 0 <= ours.value <= 1 + 1e-12


def _own_scores_along(x: np.ndarray, in_order: np.ndarray) -> np.ndarray:
    """Each rater's own centred compatible scores, smallest to the first item in ``in_order``."""
    present = ~np.isnan(x)
    n, k = x.shape[0], present.sum(axis=0)
    ranks = stats.rankdata(np.where(present, x, np.inf), axis=0)
    observed = np.where(present, (ranks - (k + 1) / 2) * (n + 1) / (k + 1), 0.0)
    out = np.zeros_like(observed)
    for j in range(x.shape[1]):
        rows = np.flatnonzero(present[:, j])
        out[rows[np.argsort(in_order[rows, j])], j] = np.sort(observed[rows, j])
    return out


@settings(max_examples=60, deadline=None)
@given(n=st.integers(4, 16), m=st.integers(3, 9), density=st.floats(0.3, 0.9),
       noise=st.sampled_from([0.0, 0.1, 1.0, 10.0]), step=st.sampled_from([0.0, 0.5, 1.0]),
       ties=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_w_lies_between_zero_and_one_on_any_design(n, m, density, noise, step, ties, seed):
    # The agreeing panel's χ² bounds the observed one (rearrangement and Cauchy–Schwarz
    # inequalities), rounded scores with ties included.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1)) + noise * rng.normal(size=(n, m))
    if step:
        x = np.round(x / step)
    x[rng.random((n, m)) > density] = nan
    try:
        r = kendall_w(x, ties=ties)
    except InputError:
        return
    assert 0 <= r.value <= 1 + 1e-12


class TestIncompletePanels:
    def test_demo_round_shape_fifteen_reports_eight_raters_four_each(self):
        # The expert-review demo: every report scored by 4 of 8 raters, so no report was
        # scored by everyone and the complete-ranking W had nothing left.
        rng = np.random.default_rng(5)
        design = _cyclic_design(15, 8, 4, rng)
        quality = rng.normal(0, 1, 15)
        x = np.where(design, quality[:, None] + rng.normal(0, 0.5, (15, 8)), nan)
        r = kendall_w(x)
        assert (r.n_items, r.n_raters, r.n_ratings, r.df) == (15, 8, 60, 14)
        assert 0.5 < r.value < 1 and r.p_value < 0.01
        assert "incomplete rankings, unbalanced design" in r.method
        with pytest.raises(InputError) as err:
            kendall_w(x, missing="drop_items")
        assert err.value.en.startswith("after missing ratings only 0 items")

    def test_perfect_agreement_in_an_unbalanced_round_is_one_or_close(self):
        # W = 1 when the raters' common order is also the order the design favours most;
        # otherwise a little below, never above.
        rng = np.random.default_rng(8)
        values = []
        for _ in range(20):
            design = _cyclic_design(15, 8, 4, rng)
            order = rng.permutation(15).astype(float)
            values.append(kendall_w(np.where(design, order[:, None], nan)).value)
        assert 0.95 < min(values) and max(values) <= 1 + 1e-12
        assert np.isclose(values, 1.0).any()

    def test_no_concordance_gives_chi_square_near_its_df_and_five_per_cent_alarms(self):
        rng = np.random.default_rng(9)
        design = _cyclic_design(40, 20, 5, rng)
        values = [kendall_w(np.where(design, rng.normal(size=design.shape), nan))
                  for _ in range(200)]
        assert np.mean([v.statistic for v in values]) == pytest.approx(39, rel=0.05)
        assert np.mean([v.p_value < 0.05 for v in values]) == pytest.approx(0.05, abs=0.04)
        assert max(v.value for v in values) < 0.5

    def test_invariant_to_the_order_of_items_and_raters_and_to_each_raters_scale(self):
        rng = np.random.default_rng(3)
        design = _cyclic_design(12, 6, 3, rng)
        x = np.where(design, rng.integers(0, 5, (12, 6)).astype(float), nan)
        base = kendall_w(x)
        rows, cols = rng.permutation(12), rng.permutation(6)
        moved = kendall_w(x[rows][:, cols] * 3.0 + 7.0)
        assert moved.value == pytest.approx(base.value, rel=1e-12)
        assert moved.p_value == pytest.approx(base.p_value, rel=1e-10)

    def test_raters_with_one_rating_are_left_out_and_said_so(self):
        x = np.column_stack([ICE_CREAM, np.full(7, nan)])
        x[0, 7] = 5.0
        r = kendall_w(x)
        assert r.n_raters == 7 and r.statistic == pytest.approx(12.0)
        assert "1 raters with one rating left out" in r.method

    def test_items_no_rater_links_are_refused(self):
        # Raters 0-1 rank items 0-2 and raters 2-3 items 3-5: no common ranking exists.
        x = np.full((6, 4), nan)
        x[:3, :2] = [[1, 2], [2, 1], [3, 3]]
        x[3:, 2:] = [[1, 2], [2, 1], [3, 3]]
        with pytest.raises(InputError) as err:
            kendall_w(x)
        assert err.value.en.startswith("after missing ratings the items fall into 2 groups")

    def test_raters_who_tie_everything_carry_no_ranking(self):
        x = ICE_CREAM.copy()
        x[~np.isnan(x[:, 0]), 0] = 2.0  # judge 1 ties the three varieties they tasted
        r = kendall_w(x)
        assert r.df == 6 and np.isfinite(r.value) and r.value < 1
        tied = np.where(np.isnan(ICE_CREAM), nan, 1.0)
        with pytest.raises(InputError):
            kendall_w(tied)

    def test_tie_correction_raises_w_on_incomplete_panels_too(self):
        rng = np.random.default_rng(4)
        design = _cyclic_design(12, 6, 3, rng)
        x = np.where(design, rng.integers(0, 3, (12, 6)).astype(float), nan)
        assert kendall_w(x, ties=False).value < kendall_w(x).value

    def test_the_rules_are_listed_with_incomplete_first(self):
        assert MISSING_RULES[0] == "incomplete"
        assert set(MISSING_RULES) == {"incomplete", "drop_items", "drop_raters", "raise"}


def test_examples_in_the_module_run():
    assert doctest.testmod(concordance_module).failed == 0
