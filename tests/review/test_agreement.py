"""Kendall's W, the agreement report and its verbal bands, and the module's re-exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import review.icc
import review.kappa
import review.krippendorff_alpha
from indicators.errors import InputError
from review import agreement
from review.agreement import (
    Band,
    BandTable,
    agreement_report,
    band_table,
    interpret,
    kendall_w,
)

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

SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
                          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


class TestKendallW:
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

    def test_missing_ratings_drop_items_by_default(self):
        x = NAG_G08DAF.copy()
        x[0, 1] = np.nan
        r = kendall_w(x)
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
            kendall_w(x)

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


class TestBands:
    @pytest.mark.parametrize("value, label", [
        (0.49, "poor"), (0.5, "moderate"), (0.74, "moderate"), (0.75, "good"), (0.9, "good"),
        (0.901, "excellent"), (-0.2, "poor")])
    def test_koo_li_2016(self, value, label):
        # Koo & Li (2016): <0.5 poor, 0.5-0.75 moderate, 0.75-0.9 good, >0.90 excellent.
        assert interpret(value, "koo_li_2016")[1] == label

    @pytest.mark.parametrize("value, label", [
        (-0.01, "poor"), (0.0, "slight"), (0.2, "slight"), (0.21, "fair"), (0.4, "fair"),
        (0.41, "moderate"), (0.61, "substantial"), (0.8, "substantial"),
        (0.81, "almost perfect")])
    def test_landis_koch_1977(self, value, label):
        # Landis & Koch (1977): <0 poor, .00-.20 slight, .21-.40 fair, .41-.60 moderate,
        # .61-.80 substantial, .81-1.00 almost perfect.
        assert interpret(value, "landis_koch_1977")[1] == label

    def test_chinese_labels(self):
        assert [interpret(v, "koo_li_2016")[0] for v in (0.3, 0.6, 0.8, 0.95)] == [
            "差", "中等", "良好", "优秀"]

    def test_no_value_no_band(self):
        assert interpret(float("nan"), "koo_li_2016") == (None, None)
        assert interpret(None, "landis_koch_1977") == (None, None)

    def test_unknown_table(self):
        with pytest.raises(InputError):
            band_table("cicchetti_1994")

    def test_every_shipped_table_names_its_source(self):
        for name in ("koo_li_2016", "landis_koch_1977"):
            table = band_table(name)
            assert table.source and table.bands[-1].lower is None


class TestReport:
    def test_interval_scale_lists_every_fitting_coefficient(self):
        report = agreement_report(SHROUT_FLEISS, scale="interval", bootstrap=100)
        names = report["coefficient"].tolist()
        assert names[:6] == list(review.icc.ICC_FORMS)
        assert names[6:] == ["Kendall's W", "Krippendorff's alpha (interval)", "Fleiss' kappa",
                             "Gwet's AC2 (quadratic)", "Percent agreement"]
        rows = report.set_index("coefficient")
        assert rows.loc["ICC(2,1)", "value"] == pytest.approx(0.2898, abs=1e-4)
        assert rows.loc["ICC(2,1)", "interpretation_zh"] == "差"
        assert rows.loc["ICC(3,k)", "interpretation_en"] == "excellent"
        assert rows.loc["ICC(3,k)", "band_table"] == "koo_li_2016"
        assert rows.loc["Fleiss' kappa", "band_table"] == "landis_koch_1977"
        assert pd.isna(rows.loc["Kendall's W", "interpretation_en"])
        assert report["note_en"].isna().all()

    def test_report_values_are_the_functions_values(self):
        report = agreement_report(SHROUT_FLEISS, scale="ordinal", bootstrap=0).set_index(
            "coefficient")
        assert report.loc["Kendall's W", "value"] == kendall_w(SHROUT_FLEISS).value
        assert report.loc["Gwet's AC2 (ordinal)", "value"] == review.kappa.gwet_ac(
            SHROUT_FLEISS, weights="ordinal").value
        assert "ICC(2,1)" not in report.index

    def test_nominal_scale_takes_labels(self):
        labels = np.array([["优", "优", "良"], ["中", "中", "中"], ["差", "中", "差"],
                           ["良", "良", None], ["优", "良", "优"]], dtype=object)
        report = agreement_report(labels, scale="nominal", bootstrap=0)
        assert report["coefficient"].tolist() == [
            "Krippendorff's alpha (nominal)", "Fleiss' kappa", "Gwet's AC1", "Percent agreement"]
        assert report["value"].notna().all()

    def test_kappa_on_continuous_scores_is_skipped_with_a_note(self):
        rng = np.random.default_rng(1)
        scores = rng.normal(75, 8, (40, 1)) + rng.normal(0, 3, (40, 5))
        report = agreement_report(scores, scale="interval", bootstrap=0).set_index("coefficient")
        for name in ("Fleiss' kappa", "Gwet's AC2 (quadratic)", "Percent agreement"):
            assert np.isnan(report.loc[name, "value"])
            assert "max_categories" in report.loc[name, "note_en"]
            assert report.loc[name, "note_zh"]
        assert report.loc["ICC(2,1)", "value"] > 0.5

    def test_a_coefficient_that_fails_is_noted_not_fatal(self):
        # Every report scored by a different pair of raters: Kendall's W has no complete item.
        x = np.full((6, 4), np.nan)
        for i in range(6):
            x[i, [i % 4, (i + 1) % 4]] = [i, i + 0.5]
        report = agreement_report(x, scale="interval", bootstrap=0).set_index("coefficient")
        assert np.isnan(report.loc["Kendall's W", "value"])
        assert report.loc["Kendall's W", "note_en"].startswith("after missing ratings")
        assert np.isfinite(report.loc["ICC(1,1)", "value"])

    def test_custom_band_table(self):
        strict = BandTable(name="strict", source="a deployment's own rule",
                           bands=(Band("可接受", "acceptable", 0.8),
                                  Band("不可接受", "not acceptable", None)))
        report = agreement_report(SHROUT_FLEISS, bootstrap=0, bands={"icc": strict})
        rows = report.set_index("coefficient")
        assert rows.loc["ICC(3,k)", "interpretation_en"] == "acceptable"
        assert rows.loc["ICC(2,1)", "band_table"] == "strict"

    def test_unknown_scale_or_band_family(self):
        with pytest.raises(InputError):
            agreement_report(SHROUT_FLEISS, scale="likert")
        with pytest.raises(InputError):
            agreement_report(SHROUT_FLEISS, bands={"alpha": "koo_li_2016"})

    def test_bad_ratings_are_an_input_error_not_a_note(self):
        with pytest.raises(InputError):
            agreement_report([1, 2, 3])


def test_module_hands_on_every_coefficient():
    assert agreement.fleiss_kappa is review.kappa.fleiss_kappa
    assert agreement.cohen_kappa is review.kappa.cohen_kappa
    assert agreement.gwet_ac is review.kappa.gwet_ac
    assert agreement.brennan_prediger is review.kappa.brennan_prediger
    assert agreement.percent_agreement is review.kappa.percent_agreement
    assert agreement.icc is review.icc.icc
    assert agreement.krippendorff_alpha is review.krippendorff_alpha.krippendorff_alpha
    assert set(agreement.__all__) <= set(dir(agreement))
