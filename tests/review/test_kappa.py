"""Fleiss' and Cohen's kappa against published worked examples and independent libraries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import InputError
from review.kappa import cohen_kappa, fleiss_kappa

# Fleiss (1971), Psychological Bulletin 76, 378-382, Table 1: 30 patients, 6 psychiatrists each,
# categories 1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other. Raw form
# as shipped in R's irr package (data set `diagnoses`), one string per patient.
DIAGNOSES = np.array([[int(c) for c in row] for row in (
    "444444 222555 233335 555555 222444 113333 333355 113334 114444 555555 "
    "144444 124444 222333 144444 224445 333335 111455 111112 224444 133555 "
    "555555 244444 224555 114444 144445 222224 111155 224444 133333 555555").split()])

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., p. 120: 12 units, 4 raters,
# categories 1-5, missing ratings; R irrCAC data set `cac.raw4raters`.
RAW4RATERS = pd.DataFrame({
    "Rater1": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "Rater2": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    "Rater3": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    "Rater4": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
})


def _pairs(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand a cross-table (rows rater a, columns rater b) into the two raters' labels."""
    table = np.asarray(table)
    q = table.shape[0]
    a = np.repeat(np.repeat(np.arange(q), q), table.ravel())
    b = np.repeat(np.tile(np.arange(q), q), table.ravel())
    return a, b


class TestFleiss:
    def test_fleiss_1971_overall_kappa_and_z(self):
        # Fleiss (1971): kappa = .430. R irr::kappam.fleiss(diagnoses): Kappa = 0.43,
        # z = 17.652 (null SE of Fleiss, Nee & Landis 1979).
        r = fleiss_kappa(DIAGNOSES)
        assert r.value == pytest.approx(0.430, abs=5e-4)
        assert r.statistic_name == "z"
        assert r.statistic == pytest.approx(17.652, abs=1e-3)
        assert r.p_value < 1e-10
        assert (r.n_items, r.n_raters, r.n_ratings) == (30, 6, 180)

    def test_fleiss_1971_per_category_kappas(self):
        # Fleiss (1971) category kappas .245 .245 .520 .471 .566; irr detail=TRUE gives the
        # same with z = 5.192 5.192 11.031 9.994 12.009.
        table = fleiss_kappa(DIAGNOSES).details["per_category"]
        assert table["kappa"].to_numpy() == pytest.approx(
            [0.245, 0.245, 0.520, 0.471, 0.566], abs=5e-4)
        assert table["z"].to_numpy() == pytest.approx(
            [5.192, 5.192, 11.031, 9.994, 12.009], abs=1e-3)

    def test_both_standard_errors_are_labelled(self):
        r = fleiss_kappa(DIAGNOSES)
        assert r.se == r.details["se_general"]
        assert r.details["se_null"] == pytest.approx(r.value / 17.652, rel=1e-4)
        assert r.se != pytest.approx(r.details["se_null"])
        assert "Fleiss, Nee & Landis (1979)" in r.method and "non-null" in r.method
        assert r.ci_low < r.value < r.ci_high

    def test_count_table_gives_the_same_as_raw_labels(self):
        counts = np.stack([(DIAGNOSES == k).sum(axis=1) for k in range(1, 6)], axis=1)
        frame = pd.DataFrame(counts, columns=["dep", "pd", "sch", "neu", "oth"])
        from_counts = fleiss_kappa(counts=frame)
        from_raw = fleiss_kappa(DIAGNOSES)
        assert from_counts.value == pytest.approx(from_raw.value, abs=1e-12)
        assert from_counts.se == pytest.approx(from_raw.se, abs=1e-12)
        assert list(from_counts.details["per_category"].index) == ["dep", "pd", "sch", "neu",
                                                                   "oth"]

    def test_missing_ratings_follow_gwet(self):
        # irrCAC fleiss.kappa.raw(cac.raw4raters): pa 0.818, pe 0.239, kappa 0.761,
        # CI (0.424, 1) (values as reproduced in the irrCAC Python port's test suite).
        r = fleiss_kappa(RAW4RATERS)
        assert r.value == pytest.approx(0.761, abs=5e-4)
        assert r.details["pa"] == pytest.approx(0.818, abs=5e-4)
        assert r.details["pe"] == pytest.approx(0.239, abs=5e-4)
        assert r.ci_low == pytest.approx(0.424, abs=5e-4)
        assert r.ci_high == 1.0
        assert r.n_ratings == 48 - 7 and "unequal ratings per item" in r.method

    @settings(max_examples=15, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 60), m=st.integers(2, 7),
           q=st.integers(2, 5))
    def test_matches_statsmodels_on_complete_data(self, seed, n, m, q):
        from statsmodels.stats.inter_rater import aggregate_raters
        from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

        rng = np.random.default_rng(seed)
        ratings = rng.integers(0, q, size=(n, m))
        ratings[:, 0] = np.arange(n) % q  # every category used, so chance agreement < 1
        counts, _ = aggregate_raters(ratings)
        assert fleiss_kappa(ratings).value == pytest.approx(sm_fleiss(counts), abs=1e-10)

    def test_unused_level_keeps_its_column(self):
        r = fleiss_kappa(DIAGNOSES, levels=[1, 2, 3, 4, 5, 6])
        assert r.value == pytest.approx(fleiss_kappa(DIAGNOSES).value)
        assert list(r.details["per_category"].index) == [1, 2, 3, 4, 5, 6]

    def test_label_outside_levels_is_named(self):
        with pytest.raises(InputError, match="7"):
            fleiss_kappa([[1, 2], [2, 7]], levels=[1, 2, 3])

    @pytest.mark.parametrize("bad", [
        [[1], [2], [3]],                  # one rater
        [[1, 2]],                         # one item
        [[None, None], [None, None]],     # all missing
    ])
    def test_unusable_input_raises(self, bad):
        with pytest.raises(InputError):
            fleiss_kappa(bad)

    def test_exactly_one_input(self):
        with pytest.raises(InputError):
            fleiss_kappa()
        with pytest.raises(InputError):
            fleiss_kappa([[1, 1]], counts=[[2, 0]])
        with pytest.raises(InputError):
            fleiss_kappa(counts=[[1.5, 0.5], [2, 0]])


class TestCohen:
    # Cohen (1968), Psychological Bulletin 70, 213-220, Table 1: N = 200, judge B in rows,
    # judge A in columns, categories personality disorder, neurosis, psychosis; disagreement
    # weights v = 1 (PD-N), 3 (PD-P), 6 (N-P). Published: kappa = .492, kappa_w = .348.
    COHEN_1968 = np.array([[88, 10, 2], [14, 40, 6], [18, 10, 12]])
    DISAGREEMENT = np.array([[0, 1, 3], [1, 0, 6], [3, 6, 0]])

    def test_cohen_1968_unweighted(self):
        a, b = _pairs(self.COHEN_1968)
        assert cohen_kappa(a, b).value == pytest.approx(0.492, abs=5e-4)

    def test_cohen_1968_weighted_with_custom_matrix(self):
        a, b = _pairs(self.COHEN_1968)
        # Agreement weights are 1 - v / v_max; kappa_w is invariant to that rescaling.
        r = cohen_kappa(a, b, weights=1.0 - self.DISAGREEMENT / 6.0)
        assert r.value == pytest.approx(0.348, abs=5e-4)
        assert r.coefficient == "Cohen's weighted kappa (custom)"

    def test_sas_printout_unweighted(self):
        # SAS PROC FREQ AGREE printout for the 3 x 3 table [[0,4,1],[0,8,0],[0,1,5]] (as
        # recorded in statsmodels' test suite): Kappa 0.4842, ASE 0.1380, 95% CL 0.2137 to
        # 0.7547; ASE under H0 0.1484, Z 3.2626, two-sided p 0.0011. SAS uses Fleiss, Cohen &
        # Everitt (1969).
        a, b = _pairs([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
        r = cohen_kappa(a, b)
        assert r.value == pytest.approx(0.4842, abs=5e-5)
        assert r.se == pytest.approx(0.1380, abs=5e-5)
        assert (r.ci_low, r.ci_high) == pytest.approx((0.2137, 0.7547), abs=5e-5)
        assert r.details["se_null"] == pytest.approx(0.1484, abs=5e-5)
        assert r.statistic == pytest.approx(3.2626, abs=5e-5)
        assert r.p_value == pytest.approx(0.0011, abs=5e-5)

    def test_sas_printout_weighted(self):
        # Same SAS printout, Cicchetti-Allison (linear) weights: weighted kappa 0.4701,
        # ASE 0.1457, 95% CL 0.1845 to 0.7558; ASE under H0 0.1426, Z 3.2971.
        a, b = _pairs([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
        r = cohen_kappa(a, b, weights="linear")
        assert r.value == pytest.approx(0.4701, abs=5e-5)
        assert r.se == pytest.approx(0.1457, abs=5e-5)
        assert (r.ci_low, r.ci_high) == pytest.approx((0.1845, 0.7558), abs=5e-5)
        assert r.details["se_null"] == pytest.approx(0.1426, abs=5e-5)
        assert r.statistic == pytest.approx(3.2971, abs=5e-5)

    @settings(max_examples=20, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(10, 80), q=st.integers(2, 5),
           weights=st.sampled_from([None, "linear", "quadratic"]))
    def test_matches_statsmodels_and_sklearn(self, seed, n, q, weights):
        from sklearn.metrics import cohen_kappa_score
        from statsmodels.stats.inter_rater import cohens_kappa as sm_cohen

        rng = np.random.default_rng(seed)
        a = rng.integers(0, q, size=n)
        b = np.where(rng.random(n) < 0.5, a, rng.integers(0, q, size=n))
        a[:q] = np.arange(q)  # every level used by both, so the tables are q x q
        b[:q] = np.arange(q)
        ours = cohen_kappa(a, b, weights=weights)
        assert ours.value == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-10)
        table = np.zeros((q, q))
        np.add.at(table, (a, b), 1)
        if weights is None:
            theirs = sm_cohen(table)
        else:
            theirs = sm_cohen(table, weights=np.arange(q), wt=weights)
        assert ours.value == pytest.approx(theirs.kappa, abs=1e-10)
        # Compared as variances: at perfect agreement statsmodels' variance rounds to a tiny
        # negative number and its square root to NaN, where ours is exactly 0.
        assert ours.se**2 == pytest.approx(theirs.var_kappa, abs=1e-10)
        assert ours.details["se_null"] == pytest.approx(theirs.std_kappa0, abs=1e-10)

    def test_levels_make_unused_categories_explicit(self):
        r = cohen_kappa(["良", "优", "良"], ["良", "优", "中"], levels=["优", "良", "中", "差"])
        table = r.details["table"]
        assert list(table.index) == ["优", "良", "中", "差"]
        assert table.loc["差"].sum() == 0 and table["差"].sum() == 0
        assert table.loc["良", "中"] == 1

    def test_label_not_in_levels_is_named(self):
        with pytest.raises(InputError, match="'合格'"):
            cohen_kappa(["优", "合格"], ["优", "良"], levels=["优", "良"])

    def test_missing_pairs_are_dropped(self):
        r = cohen_kappa([1, 2, None, 1, 2], [1, 2, 2, 1, np.nan])
        assert r.n_items == 3 and r.value == 1.0

    @pytest.mark.parametrize("matrix", [
        [[1, 0.5], [0.5, 0.9]],           # diagonal not 1
        [[1, 0.5, 0], [0.5, 1, 0.5]],     # not square
        [[1, 1.5], [0.5, 1]],             # above 1
    ])
    def test_bad_weight_matrix(self, matrix):
        with pytest.raises(InputError):
            cohen_kappa([0, 1, 0], [0, 1, 1], weights=matrix, levels=[0, 1])

    def test_unequal_lengths_and_undefined_kappa(self):
        with pytest.raises(InputError):
            cohen_kappa([1, 2, 3], [1, 2])
        with pytest.raises(InputError):
            cohen_kappa([1, 1, 1], [1, 1, 1])
