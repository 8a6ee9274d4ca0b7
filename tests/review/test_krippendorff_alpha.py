"""Krippendorff's alpha against Krippendorff's own worked example and the krippendorff package."""

from __future__ import annotations

import tracemalloc

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from indicators.errors import InputError
from review.krippendorff_alpha import ALPHA_LEVELS, _replicates, krippendorff_alpha

nan = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C (data with
# missing values): 4 observers (rows) × 12 units (columns). We take units in rows, so .T.
OBSERVERS = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
])


class TestKrippendorff2011:
    @pytest.mark.parametrize("level, published", [
        ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
    def test_published_alphas(self, level, published):
        # Krippendorff (2011), section C: alpha = .743 nominal, .815 ordinal, .849 interval,
        # .797 ratio.
        r = krippendorff_alpha(OBSERVERS.T, level=level, bootstrap=0)
        assert round(r.value, 3) == published

    def test_counts_only_pairable_values(self):
        # Unit 12 has a single value, so 11 units and 40 of the 41 values are pairable.
        r = krippendorff_alpha(OBSERVERS.T, level="nominal", bootstrap=0)
        assert (r.n_items, r.n_raters, r.n_ratings) == (11, 4, 40)
        assert "1 units with a single rating left out" in r.method

    def test_nominal_labels_as_text(self):
        names = {1: "很低", 2: "低", 3: "中", 4: "高", 5: "很高"}
        labels = np.vectorize(lambda v: None if np.isnan(v) else names[int(v)],
                              otypes=[object])(OBSERVERS.T)
        r = krippendorff_alpha(labels, level="nominal", bootstrap=0)
        assert round(r.value, 3) == 0.743


@st.composite
def _reliability_data(draw, continuous: bool):
    units = draw(st.integers(3, 15))
    raters = draw(st.integers(2, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.integers(0, draw(st.integers(2, 7)), size=(units, raters)).astype(float)
    if continuous:
        values += rng.random(values.shape).round(2)
    values[rng.random(values.shape) < draw(st.sampled_from([0.0, 0.2, 0.4]))] = nan
    return values


def _their_alpha(values: np.ndarray, level: str) -> float:
    return float(krippendorff.alpha(reliability_data=values.T, level_of_measurement=level))


def _computable(values: np.ndarray) -> bool:
    pairable = values[(~np.isnan(values)).sum(axis=1) >= 2]
    present = pairable[~np.isnan(pairable)]
    return present.size > 0 and np.unique(present).size > 1


@settings(max_examples=30, deadline=None)
@given(values=_reliability_data(continuous=False), level=st.sampled_from(ALPHA_LEVELS))
def test_matches_krippendorff_package_on_scores(values, level):
    assume(_computable(values))
    ours = krippendorff_alpha(values, level=level, bootstrap=0).value
    assert ours == pytest.approx(_their_alpha(values, level), rel=1e-9, abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(values=_reliability_data(continuous=True), level=st.sampled_from(ALPHA_LEVELS))
def test_matches_krippendorff_package_on_continuous_values(values, level):
    assume(_computable(values))
    ours = krippendorff_alpha(values, level=level, bootstrap=0).value
    # Near alpha = 0 the two summation orders differ by rounding of D_o/D_e (seen: 1.3e-9).
    assert ours == pytest.approx(_their_alpha(values, level), rel=1e-9, abs=1e-7)


def test_ratio_metric_over_a_wide_range_of_magnitudes():
    # The ratio metric's expected disagreement uses a quadrature; check it where values span
    # six orders of magnitude, with zeros, against the package's pairwise computation.
    rng = np.random.default_rng(5)
    values = np.exp(rng.normal(0, 3, (40, 1)) + rng.normal(0, 0.5, (40, 4))).round(4)
    values[rng.random(values.shape) < 0.1] = 0.0
    values[rng.random(values.shape) < 0.2] = nan
    ours = krippendorff_alpha(values, level="ratio", bootstrap=0).value
    assert ours == pytest.approx(_their_alpha(values, "ratio"), rel=1e-9)


@pytest.mark.parametrize("level", ["interval", "ordinal", "ratio"])
def test_memory_does_not_grow_with_distinct_values_squared(level):
    # 60,000 distinct continuous values: a value-by-value coincidence matrix would need
    # 60,000² floats (about 29 GB). Allow 300 MB.
    rng = np.random.default_rng(3)
    values = (rng.normal(50, 10, (3000, 1)) + rng.normal(0, 5, (3000, 20))).clip(0, 100)
    values[rng.random(values.shape) < 0.1] = nan
    tracemalloc.start()
    try:
        r = krippendorff_alpha(values, level=level, bootstrap=20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.7 < r.value < 0.9
    assert peak < 300e6


class TestBootstrap:
    def test_seeded_interval_is_reproducible_and_brackets_the_estimate(self):
        a = krippendorff_alpha(OBSERVERS.T, level="interval", bootstrap=300, seed=1)
        b = krippendorff_alpha(OBSERVERS.T, level="interval", bootstrap=300, seed=1)
        c = krippendorff_alpha(OBSERVERS.T, level="interval", bootstrap=300, seed=2)
        assert (a.ci_low, a.ci_high, a.se) == (b.ci_low, b.ci_high, b.se)
        assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
        assert a.ci_low <= a.value <= a.ci_high <= 1.0
        assert a.details["seed"] == 1 and a.details["bootstrap"] == 300
        assert "resampling units" in a.method

    @pytest.mark.parametrize("level", ALPHA_LEVELS)
    def test_replicate_weights_equal_a_table_with_units_repeated(self, level):
        # Each bootstrap replicate re-weights the per-unit sums by how often a unit was drawn;
        # that must equal alpha on the table with those units repeated (zero: left out).
        rng = np.random.default_rng(9)
        values = rng.integers(1, 6, (12, 3)).astype(float)
        values[0, 0] = values[1, 1] = nan
        multiplicity = np.random.default_rng(4).multinomial(12, np.full(12, 1 / 12), size=3)
        run, _ = _replicates(values, ~np.isnan(values), level)
        replicated = run(multiplicity.astype(float))
        for weights, alpha in zip(multiplicity, replicated, strict=True):
            resampled = np.repeat(values, weights, axis=0)
            assert alpha == pytest.approx(_their_alpha(resampled, level), rel=1e-9)

    def test_interval_is_narrow_on_a_large_panel(self):
        rng = np.random.default_rng(8)
        values = rng.normal(0, 1, (2000, 1)) + rng.normal(0, 0.5, (2000, 6))
        r = krippendorff_alpha(values, level="interval", bootstrap=200)
        assert r.ci_high - r.ci_low < 0.05
        assert r.se == pytest.approx((r.ci_high - r.ci_low) / (2 * 1.96), rel=0.3)

    def test_no_bootstrap_no_interval(self):
        r = krippendorff_alpha(OBSERVERS.T, bootstrap=0)
        assert r.ci_low is None and r.ci_high is None and r.confidence is None


class TestInvalidInput:
    def test_unknown_level(self):
        with pytest.raises(InputError) as err:
            krippendorff_alpha(OBSERVERS.T, level="circular")
        assert err.value.location.field == "level"

    def test_negative_values_at_ratio_level(self):
        with pytest.raises(InputError):
            krippendorff_alpha(OBSERVERS.T - 3, level="ratio", bootstrap=0)

    def test_no_pairable_unit(self):
        values = np.full((4, 3), nan)
        values[[0, 1, 2, 3], [0, 1, 2, 0]] = [1, 2, 3, 4]
        with pytest.raises(InputError):
            krippendorff_alpha(values)

    def test_infinite_rating(self):
        values = OBSERVERS.T.copy()
        values[3, 1] = -np.inf
        with pytest.raises(InputError) as err:
            krippendorff_alpha(values, bootstrap=0)
        assert err.value.location.row == 4

    def test_no_variation(self):
        with pytest.raises(InputError):
            krippendorff_alpha(np.ones((4, 3)))

    @pytest.mark.parametrize("bootstrap", [-1, 2.5, True, "100"])
    def test_bad_bootstrap(self, bootstrap):
        with pytest.raises(InputError):
            krippendorff_alpha(OBSERVERS.T, bootstrap=bootstrap)

    @pytest.mark.parametrize("confidence", [0, 1, 95])
    def test_bad_confidence(self, confidence):
        with pytest.raises(InputError):
            krippendorff_alpha(OBSERVERS.T, confidence=confidence)

    def test_text_at_interval_level(self):
        with pytest.raises(InputError):
            krippendorff_alpha([["a", "b"], ["b", "b"]], level="interval")
