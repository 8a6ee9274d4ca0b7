"""Weight calibration (scoring/calibrate.py): recovery of known weights, SLSQP cross-check."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

import scoring.calibrate as calibrate_module
from indicators.errors import InputError
from scoring.calibrate import fit_weights
from scoring.grades import grade
from scoring.project import round_half_up

TRUE = np.array([20.0, 15, 15, 10, 10, 10, 10, 10])
CODES = [f"K{j + 1}" for j in range(TRUE.size)]
GROUPS = {c: ("产出" if j < 3 else "效益") for j, c in enumerate(CODES)}


def panel(n: int = 240, noise: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    a = pd.DataFrame(rng.uniform(0.2, 1.0, size=(n, TRUE.size)), columns=CODES,
                     index=[f"P{i:03d}" for i in range(n)])
    y = np.clip(a.to_numpy() @ TRUE + rng.normal(0, noise, n), 0, 100)
    return a, pd.Series(y, index=a.index)


def slsqp(a, y, prior, strength, member, totals):
    """The same problem by SciPy's SLSQP, an independent solver."""
    def objective(w):
        return np.mean((y - a @ w) ** 2) + strength * np.sum((w - prior) ** 2)

    cons = [{"type": "eq", "fun": (lambda w, r=r, t=t: r @ w - t)}
            for r, t in zip(member, totals, strict=True)]
    start = np.repeat(totals / member.sum(axis=1), member.sum(axis=1).astype(int))
    out = optimize.minimize(objective, start, method="SLSQP", bounds=[(0, None)] * a.shape[1],
                            constraints=cons, options={"ftol": 1e-14, "maxiter": 2000})
    return out.x, objective


class TestRecovery:
    def test_noise_free_totals_give_back_the_weights(self):
        a, y = panel()
        result = fit_weights(a, y)
        assert result.weights.to_numpy() == pytest.approx(TRUE, abs=1e-6)
        assert result.weights.sum() == pytest.approx(100, abs=1e-9)
        assert result.fit.r2 == pytest.approx(1.0) and result.fit.grade_agreement == 1.0
        assert result.cross_validated.r2 == pytest.approx(1.0)

    def test_group_totals_are_held_and_weights_recovered(self):
        a, y = panel()
        result = fit_weights(a, y, groups=GROUPS, per_level={"产出": 50, "效益": 50})
        assert result.weights.to_numpy() == pytest.approx(TRUE, abs=1e-6)
        sums = result.weights.groupby(result.groups).sum()
        assert sums["产出"] == pytest.approx(50, abs=1e-9)
        assert sums["效益"] == pytest.approx(50, abs=1e-9)

    def test_noisy_panel_is_recovered_closely(self):
        a, y = panel(n=600, noise=2.0, seed=4)
        result = fit_weights(a, y)
        assert np.abs(result.weights.to_numpy() - TRUE).max() < 1.5
        assert result.cross_validated.r2 < result.fit.r2

    def test_beside_current_weights_the_fit_is_better(self):
        a, y = panel(noise=1.0, seed=2)
        prior = pd.Series([10.0, 20, 20, 10, 10, 10, 10, 10], index=CODES)
        result = fit_weights(a, y, prior=prior)
        assert result.prior_fit.rmse > result.fit.rmse
        table = result.table()
        assert table.loc["K1", "change"] == pytest.approx(result.weights["K1"] - 10)

    def test_a_strong_pull_returns_the_prior(self):
        a, y = panel(noise=1.0)
        prior = np.full(TRUE.size, 12.5)
        assert fit_weights(a, y, prior=prior, strength=1e7).weights.to_numpy() == pytest.approx(
            prior, abs=1e-3)


class TestAgainstSLSQP:
    @settings(max_examples=15, deadline=None)
    @given(st.integers(0, 10_000), st.sampled_from([0.0, 0.3, 5.0]), st.booleans())
    def test_same_optimum_as_slsqp(self, seed, strength, grouped):
        rng = np.random.default_rng(seed)
        a = rng.uniform(0, 1, size=(80, 6))
        y = np.clip(a @ rng.dirichlet(np.ones(6)) * 100 + rng.normal(0, 5, 80), 0, 100)
        prior = np.array([30.0, 20, 10, 10, 20, 10])
        groups = {f"I{j + 1}": ("A" if j < 2 else "B") for j in range(6)} if grouped else None
        result = fit_weights(a, y, prior=prior, strength=strength, groups=groups, cv=None)
        member = (np.array([[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1]], dtype=float) if grouped
                  else np.ones((1, 6)))
        totals = member @ prior
        reference, objective = slsqp(a, y, prior, strength, member, totals)
        ours = result.weights.to_numpy()
        assert objective(ours) <= objective(reference) + 1e-8
        assert ours == pytest.approx(reference, abs=1e-3)
        assert (ours >= 0).all() and member @ ours == pytest.approx(totals, abs=1e-9)


class TestTargetsAndMetrics:
    def test_grades_are_fitted_to_their_band_midpoints(self):
        a, y = panel(seed=5)
        grades = pd.Series(grade(round_half_up(y.to_numpy())), index=y.index)
        result = fit_weights(a, grades)
        assert result.target_kind == "grades" and "优 95" in result.method
        assert result.fit.grade_agreement > 0.7
        explicit = fit_weights(a, grades, grade_scores={"优": 95, "良": 85, "中": 70, "差": 30})
        assert explicit.weights.to_numpy() == pytest.approx(result.weights.to_numpy())

    def test_target_series_is_aligned_by_project(self):
        a, y = panel(n=50)
        shuffled = y.sample(frac=1.0, random_state=1)
        assert fit_weights(a, shuffled, cv=None).weights.to_numpy() == pytest.approx(
            TRUE, abs=1e-6)
        with pytest.raises(InputError, match="P000"):
            fit_weights(a, y.drop("P000"))

    def test_points_with_full_marks(self):
        a, y = panel(n=60)
        full = pd.Series(TRUE, index=CODES)
        points = a * TRUE
        result = fit_weights(points, y, full_marks=full, cv=None)
        assert result.weights.to_numpy() == pytest.approx(TRUE, abs=1e-6)


class TestRounding:
    @settings(max_examples=30, deadline=None)
    @given(st.integers(0, 10_000), st.integers(0, 2))
    def test_rounded_weights_keep_every_group_total(self, seed, decimals):
        a, y = panel(n=80, noise=3.0, seed=seed)
        result = fit_weights(a, y, groups=GROUPS, per_level={"产出": 45, "效益": 55}, cv=None)
        rounded = result.rounded(decimals)
        sums = rounded.groupby(result.groups).sum()
        assert sums["产出"] == pytest.approx(45) and sums["效益"] == pytest.approx(55)
        assert np.abs(rounded - result.weights).max() < 10.0**-decimals


class TestRefusals:
    def test_bad_inputs(self):
        a, y = panel(n=20)
        with pytest.raises(InputError) as err:
            fit_weights(a.assign(K2=a["K2"] + 1), y)
        assert err.value.location.column == "K2"
        with pytest.raises(InputError, match="100"):
            fit_weights(a, y, prior=np.full(8, 10.0))
        with pytest.raises(InputError, match="100"):
            fit_weights(a, y, groups=GROUPS, per_level={"产出": 50, "效益": 40})
        with pytest.raises(InputError):
            fit_weights(a, y, groups=GROUPS)
        with pytest.raises(InputError):
            fit_weights(a, y, strength=1.0)
        with pytest.raises(InputError):
            fit_weights(a, y, cv=30)
        with pytest.raises(InputError):
            fit_weights(a, y.map(lambda v: "甲"))


def test_docstring_examples_run():
    assert doctest.testmod(calibrate_module).failed == 0
