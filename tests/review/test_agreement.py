"""The agreement report and its verbal bands, and the module's re-exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
from review.concordance import kendall_w as concordance_kendall_w

SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
                          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


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
        # Two panels that never share a report: no common ranking links them, so Kendall's W
        # is undefined even for incomplete rankings, while the ICCs use every rating.
        x = np.full((6, 4), np.nan)
        for i in range(6):
            x[i, [2 * (i // 3), 2 * (i // 3) + 1]] = [i, i + 0.5 * (i % 2)]
        report = agreement_report(x, scale="interval", bootstrap=0).set_index("coefficient")
        assert np.isnan(report.loc["Kendall's W", "value"])
        assert report.loc["Kendall's W", "note_en"].startswith("after missing ratings")
        assert np.isfinite(report.loc["ICC(1,1)", "value"])

    def test_incomplete_panel_reports_w_from_incomplete_rankings(self):
        # Every report scored by a different pair of raters: before, W had no complete item;
        # now each rater ranks the reports they scored (Durbin 1951 generalised).
        x = np.full((6, 4), np.nan)
        for i in range(6):
            x[i, [i % 4, (i + 1) % 4]] = [i, i + 0.5]
        report = agreement_report(x, scale="interval", bootstrap=0).set_index("coefficient")
        row = report.loc["Kendall's W"]
        assert np.isfinite(row["value"]) and row["df"] == 5
        assert "incomplete rankings" in row["method"]
        assert row["value"] == kendall_w(x).value
        dropped = agreement_report(x, scale="interval", bootstrap=0,
                                   kendall_missing="drop_items").set_index("coefficient")
        assert np.isnan(dropped.loc["Kendall's W", "value"])
        assert dropped.loc["Kendall's W", "note_en"].startswith("after missing ratings only 0")
        with pytest.raises(InputError):
            agreement_report(x, kendall_missing="impute")

    def test_icc_rows_come_from_one_fit_and_equal_icc(self):
        x = SHROUT_FLEISS.copy()
        x[0, 1] = x[3, 2] = np.nan
        report = agreement_report(pd.DataFrame(x, columns=list("ABCD")), bootstrap=0)
        rows = report.set_index("coefficient")
        for form in review.icc.ICC_FORMS:
            one = review.icc.icc(x, form)
            assert rows.loc[form, "value"] == one.value
            assert (rows.loc[form, "ci_low"], rows.loc[form, "ci_high"]) == (one.ci_low,
                                                                              one.ci_high)
            assert rows.loc[form, "method"] == one.method

    def test_icc_rows_keep_their_note_when_the_fit_fails(self):
        # No report scored twice: no ICC form exists, and each of the six rows says why.
        x = np.full((4, 3), np.nan)
        x[[0, 1, 2, 3], [0, 1, 2, 0]] = [1, 2, 3, 4]
        report = agreement_report(x, bootstrap=0).set_index("coefficient")
        icc_rows = report.loc[list(review.icc.ICC_FORMS)]
        assert icc_rows["value"].isna().all() and icc_rows["note_en"].notna().all()

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
    assert agreement.icc_forms is review.icc.icc_forms
    assert agreement.kendall_w is concordance_kendall_w
    assert agreement.krippendorff_alpha is review.krippendorff_alpha.krippendorff_alpha
    assert set(agreement.__all__) <= set(dir(agreement))
