"""ICC against Shrout & Fleiss's worked example, R's psych, pingouin and a direct projection fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import InputError
from review.icc import ICC_FORMS, icc, icc_forms, icc_table

# Shrout & Fleiss (1979), Psychological Bulletin 86(2), 420-428, Table 2: 6 targets × 4 judges.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
                          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


def _long(table: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(table).reset_index().melt(id_vars="index", var_name="rater")
    return frame.rename(columns={"index": "item", "value": "score"})


class TestShroutFleiss:
    def test_published_values_of_all_six_forms(self):
        # Shrout & Fleiss (1979), values reported for the Table 2 data (their Table 4):
        # ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71, ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91.
        table = icc_table(SHROUT_FLEISS)
        assert list(table.index) == list(ICC_FORMS)
        assert table["value"].round(2).tolist() == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]

    def test_psych_icc_output_for_the_same_data(self):
        # R psych::ICC on the Table 2 data, as printed in D. Wollschläger's RExRepos
        # (interRaterICC): F 1.8 (5, 18, p .16477) for case 1 and 11.0 (5, 15, p .00013) for
        # cases 2 and 3; 95% bounds (lower to 3 decimals, upper to 2) as below. The case-2
        # interval is McGraw & Wong's (1996) Satterthwaite interval.
        table = icc_table(SHROUT_FLEISS)
        lower = [-0.133, 0.019, 0.342, -0.884, 0.071, 0.676]
        upper = [0.72, 0.76, 0.95, 0.91, 0.93, 0.99]
        assert table["ci_low"].to_numpy() == pytest.approx(lower, abs=5e-4)
        assert table["ci_high"].to_numpy() == pytest.approx(upper, abs=5e-3)
        assert table["F"].round(1).tolist() == [1.8, 11.0, 11.0, 1.8, 11.0, 11.0]
        assert table[["df1", "df2"]].to_numpy().tolist() == [[5, 18], [5, 15], [5, 15]] * 2
        assert table["p_value"].to_numpy() == pytest.approx([0.16477, 0.00013, 0.00013] * 2,
                                                            abs=5e-6)

    def test_result_carries_counts_and_method(self):
        r = icc(SHROUT_FLEISS, "ICC(2,1)")
        assert (r.n_items, r.n_raters, r.n_ratings) == (6, 4, 24)
        assert r.statistic_name == "F" and r.confidence == 0.95
        assert "complete table" in r.method and "McGraw & Wong" in r.method

    @pytest.mark.parametrize("alias, form", [("ICC2", "ICC(2,1)"), ("ICC3k", "ICC(3,k)"),
                                             ("ICC(A,1)", "ICC(2,1)"), ("icc(c,k)", "ICC(3,k)")])
    def test_other_software_spellings(self, alias, form):
        assert icc(SHROUT_FLEISS, alias).value == icc(SHROUT_FLEISS, form).value


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # raised inside pingouin
@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 12), k=st.integers(2, 6), seed=st.integers(0, 2**32 - 1))
def test_matches_pingouin_on_complete_tables(n, k, seed):
    # pingouin.intraclass_corr (validated against R psych) uses the classic ANOVA formulas.
    rng = np.random.default_rng(seed)
    table = (rng.normal(0, rng.uniform(0.1, 2), (n, 1)) + rng.normal(0, 1, (1, k))
             + rng.normal(0, 1, (n, k)))
    ours = icc_table(table)
    rounding = pingouin.options["round.column.CI95"]
    pingouin.options["round.column.CI95"] = None  # pingouin rounds its intervals by default
    try:
        theirs = pingouin.intraclass_corr(_long(table), targets="item", raters="rater",
                                          ratings="score")
    finally:
        pingouin.options["round.column.CI95"] = rounding
    ci = np.vstack(theirs["CI95"])
    assert ours["value"].to_numpy() == pytest.approx(theirs["ICC"].to_numpy(), rel=1e-9, abs=1e-12)
    assert ours["F"].to_numpy() == pytest.approx(theirs["F"].to_numpy(), rel=1e-9)
    assert ours["p_value"].to_numpy() == pytest.approx(theirs["pval"].to_numpy(), rel=1e-7,
                                                       abs=1e-15)
    assert ours["ci_low"].to_numpy() == pytest.approx(ci[:, 0], rel=1e-7, abs=1e-9)
    assert ours["ci_high"].to_numpy() == pytest.approx(ci[:, 1], rel=1e-7, abs=1e-9)


def test_complete_table_equals_the_classic_mean_square_formulas():
    # Shrout & Fleiss (1979) Table 1 formulas written out from the mean squares.
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1, (40, 1)) + rng.normal(0, 0.5, (1, 5)) + rng.normal(0, 1, (40, 5))
    n, k = x.shape
    grand = x.mean()
    msr = k * np.sum((x.mean(axis=1) - grand) ** 2) / (n - 1)
    msc = n * np.sum((x.mean(axis=0) - grand) ** 2) / (k - 1)
    msw = np.sum((x - x.mean(axis=1, keepdims=True)) ** 2) / (n * (k - 1))
    resid = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand
    mse = np.sum(resid**2) / ((n - 1) * (k - 1))
    classic = [
        (msr - msw) / (msr + (k - 1) * msw),
        (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
        (msr - mse) / (msr + (k - 1) * mse),
        (msr - msw) / msr,
        (msr - mse) / (msr + (msc - mse) / n),
        (msr - mse) / msr,
    ]
    assert icc_table(x)["value"].to_numpy() == pytest.approx(classic, rel=1e-12)


def _projection_sums(x: np.ndarray) -> dict[str, float]:
    """Henderson III sums of squares from explicit design matrices and least squares."""
    items, raters = np.nonzero(~np.isnan(x))
    y = x[items, raters]
    a = np.eye(x.shape[0])[items]
    b = np.eye(x.shape[1])[raters]

    def fitted_ss(design: np.ndarray) -> tuple[float, int]:
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        return float(np.sum((design @ coef) ** 2)), int(np.linalg.matrix_rank(design))

    full, rank_full = fitted_ss(np.hstack([a, b]))
    only_a, rank_a = fitted_ss(a)
    only_b, rank_b = fitted_ss(b)
    sse = float(y @ y) - full
    return {
        "ms_error": sse / (y.size - rank_full),
        "ms_items": (full - only_b) / (rank_full - rank_b),
        "ms_raters": (full - only_a) / (rank_full - rank_a),
    }


def _check_against_projection(x: np.ndarray) -> None:
    details = icc(x).details
    for key, value in _projection_sums(x).items():
        assert details[key] == pytest.approx(value, rel=1e-8), key


@settings(max_examples=25, deadline=None)
@given(n=st.integers(4, 15), k=st.integers(2, 6), missing=st.sampled_from([0.1, 0.3, 0.5]),
       seed=st.integers(0, 2**32 - 1))
def test_incomplete_sums_of_squares_match_a_direct_projection_fit(n, k, missing, seed):
    # Searle, Casella & McCulloch (1992), Variance Components, ch. 5: Henderson's method III
    # uses R(items | raters), R(raters | items) and the residual of the additive model; here
    # they are recomputed from explicit design matrices by least squares.
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 1)) + rng.normal(0, 1, (1, k)) + rng.normal(0, 1, (n, k))
    x[rng.random(x.shape) < missing] = np.nan
    present = ~np.isnan(x)
    rows, cols = present.any(axis=1), present.any(axis=0)
    items, raters = np.nonzero(present[rows][:, cols])
    design = np.hstack([np.eye(rows.sum())[items], np.eye(cols.sum())[raters]])
    if cols.sum() < 2 or rows.sum() < 2 or items.size - np.linalg.matrix_rank(design) < 1:
        return  # too sparse for an error term; refused, as tested below
    _check_against_projection(x)


def test_two_disconnected_panels_match_a_direct_projection_fit():
    # Raters 0-2 rate items 0-7 and raters 3-5 the rest: the reduced normal equations lose a
    # second rank, which must show in the degrees of freedom.
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (15, 1)) + rng.normal(0, 1, (1, 6)) + rng.normal(0, 1, (15, 6))
    x[:8, 3:] = np.nan
    x[8:, :3] = np.nan
    x[0, 0] = x[9, 4] = np.nan
    _check_against_projection(x)
    assert icc(x).df == (15 + 4 - 6, 43 - 15 - 4)


def test_incomplete_panel_keeps_every_report_and_recovers_the_truth():
    # Simulation: item, rater and error variances 0.6, 0.05, 0.35, so the true
    # ICC(2,1) = 0.6 / (0.6 + 0.05 + 0.35) = 0.6 and ICC(3,1) = 0.6 / 0.95; 30% missing.
    rng = np.random.default_rng(2024)
    n, k = 2000, 10
    x = (70 + rng.normal(0, np.sqrt(0.6), (n, 1)) + rng.normal(0, np.sqrt(0.05), (1, k))
         + rng.normal(0, np.sqrt(0.35), (n, k)))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[5, :] = np.nan
    x[6, 0], x[6, 1:] = 70.0, np.nan  # a report scored by one rater still counts
    rated = int((~np.isnan(x)).any(axis=1).sum())
    r2, r3 = icc(x, "ICC(2,1)"), icc(x, "ICC(3,1)")
    assert r2.n_items == rated == n - 1
    assert r2.n_ratings == int((~np.isnan(x)).sum())
    assert r2.value == pytest.approx(0.6, abs=0.05)
    assert r3.value == pytest.approx(0.6 / 0.95, abs=0.05)
    assert r2.ci_low < r2.value < r2.ci_high
    assert "Henderson" in r2.method and "no item dropped" in r2.method


def test_rows_and_columns_without_any_rating_are_not_counted():
    x = np.vstack([SHROUT_FLEISS, np.full(4, np.nan)])
    x = np.column_stack([x, np.full(7, np.nan)])
    r = icc(x)
    assert (r.n_items, r.n_raters, r.n_ratings) == (6, 4, 24)
    assert r.value == icc(SHROUT_FLEISS).value


def test_perfect_agreement_gives_one():
    x = np.repeat(np.arange(5.0)[:, None], 3, axis=1)
    r = icc(x, "ICC(2,1)")
    assert r.value == pytest.approx(1.0)
    assert r.ci_low == r.ci_high == 1.0


def test_raters_differing_only_by_a_constant():
    # No error at all: consistency is perfect, and absolute agreement is the item variance
    # over item plus rater variance, var(0..5) = 3.5 and var(0, 1, 3) = 7/3: 3.5 / (3.5 + 7/3).
    x = np.arange(6.0)[:, None] + np.array([0.0, 1.0, 3.0])
    r2, r3 = icc(x, "ICC(2,1)"), icc(x, "ICC(3,1)")
    assert r3.value == pytest.approx(1.0)
    assert r2.value == pytest.approx(3.5 / (3.5 + 7 / 3))
    assert r2.ci_low < r2.value < r2.ci_high


class TestInvalidInput:
    def test_unknown_form(self):
        with pytest.raises(InputError) as err:
            icc(SHROUT_FLEISS, "ICC(4,1)")
        assert err.value.location.field == "form"

    @pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1])
    def test_confidence_outside_unit_interval(self, confidence):
        with pytest.raises(InputError):
            icc(SHROUT_FLEISS, confidence=confidence)

    def test_non_numeric_rating_names_its_place(self):
        table = pd.DataFrame(SHROUT_FLEISS, columns=list("ABCD")).astype(object)
        table.iat[2, 1] = "好"
        with pytest.raises(InputError) as err:
            icc(table)
        assert (err.value.location.row, err.value.location.column) == (3, "B")

    def test_infinite_rating_names_its_place(self):
        x = SHROUT_FLEISS.copy()
        x[4, 2] = np.inf
        with pytest.raises(InputError) as err:
            icc(x)
        assert (err.value.location.row, err.value.location.column) == (5, "3")

    def test_no_item_rated_twice(self):
        x = np.full((4, 3), np.nan)
        x[[0, 1, 2, 3], [0, 1, 2, 0]] = [1, 2, 3, 4]
        with pytest.raises(InputError):
            icc(x)

    def test_all_ratings_equal(self):
        with pytest.raises(InputError):
            icc(np.full((5, 3), 4.0))

    @pytest.mark.parametrize("bad", [[1, 2, 3], [[np.nan, np.nan], [np.nan, np.nan]], [[1, 2]]])
    def test_unusable_tables(self, bad):
        with pytest.raises(InputError):
            icc(bad)


def test_icc_forms_gives_every_form_from_one_fit_equal_to_icc():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, (30, 1)) + rng.normal(0, 1, (30, 6))
    x[rng.random(x.shape) < 0.4] = np.nan
    forms = icc_forms(pd.DataFrame(x), confidence=0.9)
    assert list(forms) == list(ICC_FORMS)
    for name, result in forms.items():
        one = icc(x, name, confidence=0.9)
        # The DataFrame's memory layout may change the last bit of a BLAS sum, nothing more.
        assert [result.value, result.ci_low, result.ci_high, result.p_value] == pytest.approx(
            [one.value, one.ci_low, one.ci_high, one.p_value], rel=1e-12)
    assert icc_table(x, 0.9)["value"].tolist() == pytest.approx(
        [r.value for r in forms.values()], rel=1e-12)


def test_identical_reports_with_rater_offsets_give_no_interval_instead_of_failing():
    # Items do not differ and raters differ only by constant offsets: ICC(2,1) is 0 and both
    # the item and error mean squares are 0, so the Satterthwaite df has a zero denominator.
    result = icc(np.array([[7.0, 5.0, 3.0], [7.0, 5.0, 3.0]]), "ICC(2,1)")
    assert result.value == 0.0
    assert np.isnan(result.ci_low) and np.isnan(result.ci_high)
