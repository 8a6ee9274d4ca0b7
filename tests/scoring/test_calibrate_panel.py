"""The panel's side of a calibration: key-results tables, matching by code, enough projects."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import scoring.calibrate_panel as module
from indicators.errors import InputError
from scoring.calibrate import fit_weights
from scoring.calibrate_panel import (
    free_weights,
    match_panel,
    panel_from_key_results,
    require_enough_projects,
)


def key_results(**columns) -> pd.DataFrame:
    base = {"project": ["P2", "P1", "P3"], "total": [70.18, 82.5, 64.0],
            "basis": ["adjusted"] * 3, "n_ratings": [4, 4, 3], "round_id": [1, 1, 2],
            "round_title": ["第一批", "第一批", "第二批"], "method": ["mean"] * 3}
    return pd.DataFrame({**base, **columns})


def test_key_results_become_a_score_series_in_table_order() -> None:
    panel = panel_from_key_results(key_results(project=[" P2", "P1 ", "P3"]))
    assert panel.name == "score"
    assert list(panel.index) == ["P2", "P1", "P3"]
    assert panel.tolist() == [70.18, 82.5, 64.0]


@pytest.mark.parametrize(("change", "word"), [
    ({"total": [70.0, "高", 64.0]}, "P1"),
    ({"total": [70.0, 100.5, 64.0]}, "P1"),
    ({"total": [-1.0, 80.0, 64.0]}, "P2"),
    ({"project": ["P2", "P2", "P3"]}, "P2"),
    ({"project": ["P2", "", "P3"]}, "为空"),
])
def test_bad_key_results_are_refused_naming_the_project(change, word) -> None:
    with pytest.raises(InputError) as caught:
        panel_from_key_results(key_results(**change))
    assert word in caught.value.zh and caught.value.en


def test_a_table_without_totals_is_refused() -> None:
    with pytest.raises(InputError, match="total"):
        panel_from_key_results(key_results().drop(columns="total"))


def test_match_by_code_names_what_is_left_out_on_each_side() -> None:
    shares = pd.DataFrame({"A": [0.9, 0.5, 0.7, 0.6]}, index=[2021001, "P2", "P3", "P4"])
    panel = pd.Series({"P9": 50.0, "P3": 80.0, "2021001": 95.0, "P8": 61.0})
    match = match_panel(shares, panel)
    # Rows keep the shares' order; a numeric code meets its text twin.
    assert match.used == ("2021001", "P3")
    assert match.panel.tolist() == [95.0, 80.0]
    assert match.points["A"].tolist() == [0.9, 0.7]
    assert match.no_points == ("P9", "P8")
    assert match.no_panel == 2


@pytest.mark.parametrize(("k", "groups", "free"), [(4, 1, 3), (5, 3, 2), (1, 1, 0)])
def test_free_weights_are_headings_less_fixed_totals(k, groups, free) -> None:
    assert free_weights(k, groups) == free


def test_enough_projects_means_more_than_free_weights() -> None:
    # Four headings summing to 100 leave three free weights: four projects are the least.
    require_enough_projects(4, 4)
    with pytest.raises(InputError) as caught:
        require_enough_projects(3, 4)
    assert caught.value.location.field == "target"
    assert "3 个" in caught.value.zh and "4 are needed for 3 free weights" in caught.value.en
    # Three groups with fixed totals over five headings leave two.
    require_enough_projects(3, 5, n_groups=3)
    with pytest.raises(InputError):
        require_enough_projects(2, 5, n_groups=3)
    # One heading has nothing to fit, but a fit of one project says nothing either.
    with pytest.raises(InputError):
        require_enough_projects(1, 1)


def test_each_cross_validation_training_part_must_be_enough() -> None:
    # Six projects in five folds train on 6 − 2 = 4 at the least; in two folds on 3.
    require_enough_projects(6, 4, folds=5)
    with pytest.raises(InputError) as caught:
        require_enough_projects(6, 4, folds=2)
    assert caught.value.location.field == "cv" and "3 projects" in caught.value.en
    require_enough_projects(6, 4, folds=None)


def test_at_the_limit_the_kernel_refuses_unless_pulled_toward_the_prior() -> None:
    # Three projects, four headings: without a ridge pull any panel, noise included, would be
    # reproduced exactly by weights that moved far for it, so the kernel refuses; a pull
    # toward the current weights determines them and keeps them near the prior.
    shares = np.array([[0.9, 0.5, 0.7, 0.6], [0.4, 0.9, 0.6, 0.8], [0.7, 0.7, 0.9, 0.3]])
    panel = shares @ np.full(4, 25.0) + np.array([0.75, -0.5, 0.25])
    with pytest.raises(InputError) as err:
        fit_weights(shares, panel, cv=None)
    assert "3 free weights" in err.value.en
    with pytest.raises(InputError):
        require_enough_projects(len(panel), shares.shape[1])
    pulled = fit_weights(shares, panel, cv=None, prior=[25.0] * 4, strength=1.0)
    assert np.abs(pulled.weights.to_numpy() - 25.0).max() < 1.0
    assert pulled.fit.r2 < 1.0


def test_docstring_examples_run() -> None:
    assert doctest.testmod(module).failed == 0
