"""What-if, one-at-a-time and Monte-Carlo robustness (scoring/sensitivity.py) against plain loops."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring.sensitivity as sensitivity_module
from indicators.errors import InputError
from scoring.grades import grade, load_bands
from scoring.project import round_half_up
from scoring.sensitivity import _entry_points, monte_carlo, one_at_a_time, what_if

WEIGHTS = np.array([30.0, 20, 20, 15, 15])


def achievements(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.55, 1.0, size=(n, WEIGHTS.size))


class TestWhatIf:
    def test_hand_example(self):
        # P1: 0.9·60 + 0.7·40 = 82 (良) → 0.9·40 + 0.7·60 = 78 (中);
        # P2: 0.8·60 + 1.0·40 = 88 (良) → 92 (优); P3: 1.0·60 + 0.95·40 = 98 (优) → 97 (优).
        points = pd.DataFrame({"甲": [0.9, 0.8, 1.0], "乙": [0.7, 1.0, 0.95]},
                              index=["P1", "P2", "P3"])
        r = what_if(points, {"甲": 60, "乙": 40}, {"甲": 40, "乙": 60})
        p = r.projects
        assert p["old_total"].tolist() == [82.0, 88.0, 98.0]
        assert p["new_total"].tolist() == [78.0, 92.0, 97.0]
        assert p["new_grade"].tolist() == ["中", "优", "优"]
        assert p["old_rank"].tolist() == [3, 2, 1] and p["new_rank"].tolist() == [3, 2, 1]
        assert (r.n_up, r.n_down) == (1, 1)
        t = r.transitions
        assert list(t.index) == ["优", "良", "中", "差"] and list(t.columns) == list(t.index)
        assert t.loc["良", "中"] == 1 and t.loc["良", "优"] == 1 and t.loc["优", "优"] == 1
        assert int(t.to_numpy().sum()) == 3

    def test_same_weights_change_nothing(self):
        a = achievements(200, 1)
        r = what_if(a, WEIGHTS, WEIGHTS)
        assert (r.projects["change"] == 0).all() and (r.projects["rank_change"] == 0).all()
        assert int(np.trace(r.transitions.to_numpy())) == 200

    def test_new_weights_must_sum_to_100(self):
        with pytest.raises(InputError, match="100"):
            what_if(achievements(5, 0), WEIGHTS, WEIGHTS * 0.9)


class TestOneAtATime:
    @settings(max_examples=10, deadline=None)
    @given(st.integers(0, 10_000), st.sampled_from([0.05, 0.1, 0.3]))
    def test_matches_a_loop_over_perturbations(self, seed, delta):
        a = achievements(150, seed)
        table = one_at_a_time(a, WEIGHTS, delta=delta)
        base = grade(round_half_up(a @ WEIGHTS))
        for j in range(WEIGHTS.size):
            for sign, column in ((1, "flips_up"), (-1, "flips_down")):
                w = WEIGHTS.copy()
                w[j] *= 1 + sign * delta
                w = w / w.sum() * 100
                flips = int((grade(round_half_up(a @ w)) != base).sum())
                assert table.loc[f"I{j + 1}", column] == flips
        assert table["flips"].is_monotonic_decreasing

    def test_weights_after_renormalising(self):
        table = one_at_a_time(achievements(10, 0), WEIGHTS, delta=0.1)
        # 30 → 33, the set then sums to 103 and is rescaled: 33 × 100/103.
        assert table.loc["I1", "weight_up"] == pytest.approx(3300 / 103)
        assert table.loc["I1", "weight_down"] == pytest.approx(2700 / 97)
        with pytest.raises(InputError):
            one_at_a_time(achievements(10, 0), WEIGHTS, delta=1.5)


class TestMonteCarlo:
    @pytest.mark.parametrize("bands", ["national", "local_strict90"])
    def test_matches_a_plain_loop_over_draws(self, bands):
        a = achievements(120, 3)
        draws, concentration, seed = 400, 150.0, 11
        r = monte_carlo(a, WEIGHTS, draws=draws, concentration=concentration, seed=seed,
                        bands=bands, max_cells=7 * a.shape[0])
        # The same Dirichlet draws (chunks of 7 consume the generator as one block would),
        # each scored and graded the slow way.
        gammas = np.random.default_rng(seed).standard_gamma(
            concentration * WEIGHTS / 100, size=(draws, WEIGHTS.size))
        base = grade(round_half_up(a @ WEIGHTS), bands)
        kept = np.zeros(a.shape[0])
        for g in gammas:
            kept += grade(round_half_up(a @ (g / g.sum() * 100)), bands) == base
        assert r.projects["p_keep"].to_numpy() == pytest.approx(kept / draws)
        assert (r.projects["p_keep"] + r.projects["p_up"] + r.projects["p_down"]).to_numpy() \
            == pytest.approx(1.0)

    def test_chunks_do_not_change_the_result(self):
        a = achievements(300, 5)
        whole = monte_carlo(a, WEIGHTS, draws=500, seed=2, max_cells=10**6)
        pieces = monte_carlo(a, WEIGHTS, draws=500, seed=2, max_cells=7 * 300)
        pd.testing.assert_frame_equal(whole.projects, pieces.projects)
        assert "chunks of 7 draws" in pieces.method

    def test_band_entry_points_agree_with_grading_the_rounded_total(self):
        for name in ("national", "local_strict90", "local_80_70_60"):
            table = load_bands(name)
            edges = np.array([b.lower for b in table.bands[:-1]])
            near = (edges[:, None] + np.array([-0.0051, -0.005, -0.0049999999, -0.0049,
                                               0.0, 0.0049, 0.005, 0.0051])).ravel()
            x = np.concatenate([near, np.random.default_rng(0).uniform(50, 100, 5000)])
            entry = _entry_points(table)
            position = (x[:, None] < np.append(np.inf, entry)[None, :-1]).sum(axis=1) - 1
            labels = np.asarray(table.labels, dtype=object)[position]
            assert (labels == grade(round_half_up(x), table)).all(), name

    def test_exact_moments_agree_with_sampling(self):
        a = achievements(40, 8)
        r = monte_carlo(a, WEIGHTS, draws=20_000, concentration=100, seed=4)
        gammas = np.random.default_rng(4).standard_gamma(WEIGHTS, size=(20_000, 5))
        totals = (gammas / gammas.sum(axis=1, keepdims=True) * 100) @ a.T
        assert r.projects["mean_total"].to_numpy() == pytest.approx(totals.mean(axis=0),
                                                                   abs=0.05)
        assert r.projects["sd_total"].to_numpy() == pytest.approx(totals.std(axis=0, ddof=1),
                                                                 rel=0.05)

    def test_zero_weights_stay_zero_and_tight_draws_keep_grades(self):
        a = achievements(50, 9)
        w = np.array([40.0, 30, 30, 0, 0])
        r = monte_carlo(a, w, draws=300, concentration=1e7, seed=0)
        base = a @ w
        clear = np.abs(base - np.array([90, 80, 60])[:, None]).min(axis=0) > 0.1
        assert (r.projects["p_keep"].to_numpy()[clear] == 1.0).all()
        assert r.weight_sd.iloc[3] == 0.0
        with pytest.raises(InputError):
            monte_carlo(a, w, draws=0)


def test_docstring_examples_run():
    assert doctest.testmod(sensitivity_module).failed == 0
