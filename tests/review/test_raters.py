"""Rater diagnostics, severity and outlying ratings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from indicators.errors import InputError
from review.raters import outlying_ratings, rater_diagnostics, severity

TRUE_EFFECTS = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0])


def _cyclic_design(n_items: int = 60, per_item: int = 3, noise: float = 0.0,
                   seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Items scored by 3 of 6 raters in a cyclic incomplete design with known rater effects."""
    rng = np.random.default_rng(seed)
    n_raters = TRUE_EFFECTS.size
    quality = rng.normal(75.0, 8.0, size=n_items)
    ratings = np.full((n_items, n_raters), np.nan)
    for offset in range(per_item):  # a handful of passes, each vectorised over items
        raters = (np.arange(n_items) + offset) % n_raters
        ratings[np.arange(n_items), raters] = (quality + TRUE_EFFECTS[raters]
                                               + rng.normal(0.0, noise, size=n_items))
    names = ["张", "王", "李", "赵", "刘", "陈"]
    return pd.DataFrame(ratings, columns=names, index=[f"报告{i + 1}" for i in range(n_items)]), \
        quality


class TestSeverity:
    def test_recovers_known_effects_exactly_without_noise(self):
        table, quality = _cyclic_design()
        result = severity(table)
        assert result.raters["effect"].to_numpy() == pytest.approx(TRUE_EFFECTS, abs=1e-9)
        # The adjusted score removes the raters' effects: it is the item's true quality.
        assert result.adjusted_scores["adjusted_mean"].to_numpy() == pytest.approx(quality,
                                                                                  abs=1e-9)

    def test_recovers_known_effects_with_noise_and_flags_them(self):
        table, _ = _cyclic_design(n_items=90, noise=0.5, seed=11)
        result = severity(table, z=2.0)
        raters = result.raters
        err = np.abs(raters["effect"].to_numpy() - TRUE_EFFECTS)
        assert np.all(err < 4 * raters["se"].to_numpy())
        assert raters["label_en"].tolist() == ["severe", "severe", "normal", "normal",
                                               "lenient", "lenient"]
        assert raters["label_zh"].tolist()[:2] == ["偏严", "偏严"]
        assert raters["label_zh"].tolist()[-1] == "偏宽"
        assert result.sigma == pytest.approx(0.5, rel=0.25)
        assert result.df_residual == 90 * 3 - 90 - 6 + 1

    def test_adjustment_is_minus_the_mean_effect_of_the_item_raters(self):
        table, _ = _cyclic_design(n_items=12, noise=0.3, seed=3)
        result = severity(table)
        effects = result.raters["effect"].to_numpy()
        rated = table.notna().to_numpy()
        expected = -(rated * effects).sum(axis=1) / rated.sum(axis=1)
        assert result.adjusted_scores["adjustment"].to_numpy() == pytest.approx(expected)
        assert result.adjusted_scores["raw_mean"].to_numpy() == pytest.approx(
            table.mean(axis=1).to_numpy())
        assert result.raters["effect"].sum() == pytest.approx(0.0, abs=1e-9)

    def test_matches_statsmodels_least_squares(self):
        import statsmodels.formula.api as smf

        rng = np.random.default_rng(5)
        values = rng.normal(70, 8, size=(25, 1)) + np.array([-3, -1, 0, 1, 3]) \
            + rng.normal(0, 2, size=(25, 5))
        values[rng.random(values.shape) < 0.3] = np.nan
        values[:, 0] = np.where(np.isnan(values[:, 0]), 70.0, values[:, 0])  # no empty item
        table = pd.DataFrame(values, columns=list("ABCDE"))
        long = table.stack().rename("y").reset_index()
        long.columns = ["item", "rater", "y"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = smf.ols("y ~ C(item) + C(rater, Sum)", data=long).fit()
        ours = severity(table)
        theirs_effect = fit.params.filter(like="rater").to_numpy()
        theirs_se = fit.bse.filter(like="rater").to_numpy()
        assert ours.raters["effect"].to_numpy()[:4] == pytest.approx(theirs_effect, abs=1e-8)
        assert ours.raters["se"].to_numpy()[:4] == pytest.approx(theirs_se, abs=1e-8)
        assert ours.sigma == pytest.approx(np.sqrt(fit.scale), abs=1e-8)
        assert ours.df_residual == fit.df_resid

    def test_unconnected_raters_cannot_be_compared(self):
        table = pd.DataFrame({"甲": [1, 2, None, None], "乙": [2, 3, None, None],
                              "丙": [None, None, 4, 5], "丁": [None, None, 5, 5]})
        with pytest.raises(InputError, match="丙"):
            severity(table)

    def test_needs_numbers(self):
        with pytest.raises(InputError):
            severity([["优", "良"], ["良", "良"]])


class TestOutlyingRatings:
    def test_planted_rating_is_found_first(self):
        rng = np.random.default_rng(2)
        values = rng.normal(80, 5, size=(30, 1)) + rng.normal(0, 1.0, size=(30, 5))
        values[17, 3] += 8.0
        table = pd.DataFrame(values, columns=list("ABCDE"))
        found = outlying_ratings(table)
        top = found.iloc[0]
        assert (top["item"], top["rater"]) == (17, "D")
        others = np.delete(values[17], 3)
        assert top["others_mean"] == pytest.approx(others.mean())
        assert top["deviation"] == pytest.approx(values[17, 3] - others.mean())
        assert top["others_n"] == 4 and top["z"] > 5
        assert list(found.columns) == ["item", "rater", "rating", "others_mean", "others_n",
                                       "deviation", "z"]

    def test_z_is_the_externally_studentised_residual(self):
        # By hand for one cell: pooled within-item SS without the cell, df - 1.
        table = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 2.0, 4.0], "c": [9.0, 3.0, 3.0]})
        found = outlying_ratings(table, z=0.0)
        cell = found[(found["item"] == 0) & (found["rater"] == "c")].iloc[0]
        values = table.to_numpy()
        ss = ((values - values.mean(axis=1, keepdims=True)) ** 2).sum()
        d = 9.0 - 1.5
        s2 = (ss - (2 / 3) * d**2) / (6 - 1)
        assert cell["z"] == pytest.approx(d / np.sqrt(s2 * 3 / 2))

    def test_nothing_stands_out_in_clean_data(self):
        values = np.add.outer(np.arange(10.0), [0.0, 0.1, -0.1, 0.05])
        assert outlying_ratings(pd.DataFrame(values), z=3.0).empty

    def test_items_with_two_ratings_are_not_judged(self):
        table = pd.DataFrame({"a": [1.0, 5.0, 3.0], "b": [9.0, 5.0, 3.0], "c": [None, 5.0, 3.0]})
        found = outlying_ratings(table, z=0.0)
        assert 0 not in set(found["item"])


class TestDiagnostics:
    def test_leave_one_out_alpha_matches_krippendorff(self):
        import krippendorff

        table, _ = _cyclic_design(n_items=20, noise=1.5, seed=4)
        values = table.to_numpy()
        diag = rater_diagnostics(table)
        whole = krippendorff.alpha(reliability_data=values.T, level_of_measurement="interval")
        for j, rater in enumerate(table.columns):
            without = krippendorff.alpha(reliability_data=np.delete(values, j, axis=1).T,
                                         level_of_measurement="interval")
            assert diag.loc[rater, "alpha_without"] == pytest.approx(without, abs=1e-10)
            assert diag.loc[rater, "alpha_change"] == pytest.approx(without - whole, abs=1e-10)

    def test_deviation_and_correlation_by_hand(self):
        table = pd.DataFrame({"甲": [7.0, 8, 9, 6, 5], "乙": [7.0, 8, 8, 6, None],
                              "丙": [5.0, 6, 6, 4, 4]})
        diag = rater_diagnostics(table)
        # 丙 against the mean of 甲 and 乙 (only 甲 on the last item).
        others = np.array([7.0, 8.0, 8.5, 6.0, 5.0])
        mine = table["丙"].to_numpy()
        assert diag.loc["丙", "mean_deviation"] == pytest.approx((mine - others).mean())
        assert diag.loc["丙", "correlation"] == pytest.approx(np.corrcoef(mine, others)[0, 1])
        assert diag["n_ratings"].tolist() == [5, 4, 5]

    def test_too_few_raters(self):
        with pytest.raises(InputError):
            rater_diagnostics(pd.DataFrame({"甲": [1.0, 2.0]}))
