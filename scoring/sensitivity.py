"""How much grades depend on the weights: what-if, one-at-a-time and Monte-Carlo robustness.

All three take projects × indicators achievement shares (0–1; or points with their full marks,
see :func:`scoring.weighted_totals.achievement_table`) and weights summing to 100. A project's total
is Σ weight × achievement, rounded half up to 2 decimals and graded by a band table
(:func:`scoring.grades.grade`), as published totals are.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.grades import BandTable, grade
from scoring.project import round_half_up
from scoring.weighted_totals import TOLERANCE, achievement_table, band_table, weight_vector

try:  # installed with scikit-learn, which requires it; only used to pin BLAS threads
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

__all__ = [
    "RobustnessResult",
    "WhatIfResult",
    "monte_carlo",
    "one_at_a_time",
    "what_if",
]


def _inputs(points: Any, weights: Any, full_marks: Any,
            bands: str | BandTable) -> tuple[pd.DataFrame, np.ndarray, BandTable]:
    frame = achievement_table(points, full_marks)
    w = weight_vector(weights, frame.columns, "weights")
    if abs(w.sum() - 100) > TOLERANCE:
        raise InputError(f"权重之和为 {w.sum():g}，应为 100", f"weights sum to {w.sum():g}, not 100",
                         field="weights")
    return frame, w, band_table(bands)


def _positions(labels: np.ndarray, table: BandTable) -> np.ndarray:
    """Band index of each label, 0 for the best."""
    lookup = {label: k for k, label in enumerate(table.labels)}
    return pd.Series(labels.ravel()).map(lookup).to_numpy(dtype=int).reshape(labels.shape)


@dataclass(frozen=True)
class WhatIfResult:
    """Old and new totals, grades and ranks under two weight sets.

    Attributes
    ----------
    projects
        Indexed by project: ``old_total``, ``new_total``, ``change``, ``old_grade``,
        ``new_grade``, ``old_rank``, ``new_rank``, ``rank_change`` (positive = moved up).
    transitions
        Old grade (rows) × new grade (columns) counts, in band order (优→良 …).
    n_up, n_down
        Projects whose grade got better or worse.
    bands
        The band table's name.
    """

    projects: pd.DataFrame
    transitions: pd.DataFrame
    n_up: int
    n_down: int
    bands: str


def what_if(points: Any, weights_old: Any, weights_new: Any, bands: str | BandTable = "national",
            *, full_marks: Any = None) -> WhatIfResult:
    """Every project's total, grade and rank under the current and a proposed weight set.

    Parameters
    ----------
    points
        Projects × indicators achievement shares.
    weights_old, weights_new
        The two weight sets, each summing to 100.
    bands
        Band table or its name.
    full_marks
        Full points per indicator, when ``points`` holds points.

    Returns
    -------
    WhatIfResult
        Per-project comparison and the grade transition matrix.

    Notes
    -----
    Ranks are competition ranks (1 for the highest total, ties share the best rank), so a
    rank change counts places gained or lost.

    Examples
    --------
    >>> r = what_if([[1.0, 0.5], [0.6, 1.0]], [50, 50], [80, 20])
    >>> r.projects[["old_grade", "new_grade"]].values.tolist()
    [['中', '优'], ['良', '中']]
    >>> int(r.transitions.loc["良", "中"])
    1
    """
    frame, old_w, table = _inputs(points, weights_old, full_marks, bands)
    new_w = weight_vector(weights_new, frame.columns, "weights_new")
    if abs(new_w.sum() - 100) > TOLERANCE:
        raise InputError(f"新权重之和为 {new_w.sum():g}，应为 100",
                         f"new weights sum to {new_w.sum():g}, not 100", field="weights_new")
    a = frame.to_numpy()
    totals = round_half_up(a @ np.column_stack([old_w, new_w]))
    labels = grade(totals, table)
    out = pd.DataFrame({"old_total": totals[:, 0], "new_total": totals[:, 1]}, index=frame.index)
    out["change"] = out["new_total"] - out["old_total"]
    out["old_grade"], out["new_grade"] = labels[:, 0], labels[:, 1]
    out["old_rank"] = out["old_total"].rank(ascending=False, method="min").astype(int)
    out["new_rank"] = out["new_total"].rank(ascending=False, method="min").astype(int)
    out["rank_change"] = out["old_rank"] - out["new_rank"]
    order = list(table.labels)
    transitions = (pd.crosstab(pd.Categorical(labels[:, 0], categories=order),
                               pd.Categorical(labels[:, 1], categories=order), dropna=False)
                   .rename_axis(index="原等级 (old)", columns="新等级 (new)"))
    moved = _positions(labels[:, 1], table) - _positions(labels[:, 0], table)
    return WhatIfResult(projects=out, transitions=transitions, n_up=int((moved < 0).sum()),
                        n_down=int((moved > 0).sum()), bands=table.name)


def one_at_a_time(points: Any, weights: Any, delta: float = 0.1,
                  bands: str | BandTable = "national", *, full_marks: Any = None
                  ) -> pd.DataFrame:
    """Grade flips when each weight alone moves by ±``delta`` (tornado-chart data).

    Parameters
    ----------
    points
        Projects × indicators achievement shares.
    weights
        Current weights, summing to 100.
    delta
        Relative change of one weight, e.g. 0.1 for ±10 %.
    bands
        Band table or its name.
    full_marks
        Full points per indicator, when ``points`` holds points.

    Returns
    -------
    pandas.DataFrame
        One row per indicator, most influential first: ``weight``, ``weight_up`` and
        ``weight_down`` (after renormalising), ``flips_up`` and ``flips_down`` (projects whose
        grade changes), ``flips`` (their sum), ``max_change`` (largest total change, points).

    Notes
    -----
    Each weight is multiplied by 1 ± delta and the whole set rescaled to 100, so the others
    shrink or grow in proportion (Saltelli et al. 2008, Global Sensitivity Analysis: The
    Primer, Wiley, §1.2 on one-at-a-time designs). All 2k perturbed sets are scored in one
    matrix product.

    Examples
    --------
    >>> tornado = one_at_a_time([[1.0, 0.8], [0.9, 0.95]], [50, 50], delta=0.2)
    >>> tornado.index.tolist(), tornado["flips"].tolist()
    (['I1', 'I2'], [1, 1])
    """
    frame, w, table = _inputs(points, weights, full_marks, bands)
    if not 0 < delta < 1:
        raise InputError("delta 应在 0 与 1 之间（如 0.1 表示 ±10%）",
                         "delta must be between 0 and 1 (0.1 means ±10%)", field="delta")
    k = w.size
    factors = np.ones((2 * k, k))
    factors[np.arange(k) * 2, np.arange(k)] = 1 + delta
    factors[np.arange(k) * 2 + 1, np.arange(k)] = 1 - delta
    perturbed = w * factors
    perturbed *= 100.0 / perturbed.sum(axis=1, keepdims=True)
    a = frame.to_numpy()
    base = round_half_up(a @ w)
    totals = round_half_up(a @ perturbed.T)  # projects × 2k
    flipped = grade(totals, table) != grade(base, table)[:, None]
    flips = flipped.sum(axis=0)
    change = np.abs(totals - base[:, None]).max(axis=0)
    out = pd.DataFrame({"weight": w, "weight_up": perturbed[::2].diagonal(),
                        "weight_down": perturbed[1::2].diagonal(), "flips_up": flips[::2],
                        "flips_down": flips[1::2], "flips": flips[::2] + flips[1::2],
                        "max_change": np.maximum(change[::2], change[1::2])},
                       index=pd.Index(frame.columns, name="indicator"))
    return out.sort_values(["flips", "max_change"], ascending=False, kind="stable")


@dataclass(frozen=True)
class RobustnessResult:
    """Each project's chance of keeping its grade when the weights are perturbed.

    Attributes
    ----------
    projects
        Indexed by project: ``total`` and ``grade`` under the current weights, ``p_keep``,
        ``p_up``, ``p_down`` (shares of draws), and the exact ``mean_total`` and ``sd_total``
        of the unrounded total under the Dirichlet.
    draws, concentration, seed
        The Monte-Carlo settings.
    weight_sd
        Standard deviation of each weight under the Dirichlet, in points.
    bands, method
        The band table and the method in words.
    """

    projects: pd.DataFrame
    draws: int
    concentration: float
    seed: int
    weight_sd: pd.Series
    bands: str
    method: str


def _one_blas_thread() -> AbstractContextManager[Any]:
    """BLAS limited to one thread: the products here are thin (few indicators), so threads
    only add start-up and, on a busy machine, spinning; one thread was 4-15× faster in
    ``benchmarks/bench_calibration.py`` on two loaded cores."""
    if threadpool_limits is None:  # pragma: no cover
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _entry_points(table: BandTable) -> np.ndarray:
    """Unrounded total from which each band is reached once the total is rounded half up."""
    lowers = np.array([b.lower for b in table.bands], dtype=float)
    inclusive = np.array([b.inclusive for b in table.bands])
    with np.errstate(invalid="ignore"):
        cents_up = np.ceil(np.round(lowers * 100, 6)) / 100
        cents_down = np.floor(np.round(lowers * 100, 6)) / 100
    # round_half_up first snaps the scaled total at 1e-6 of a cent, hence the 5e-9 allowance.
    entry = np.where(inclusive, cents_up - 0.005, cents_down + 0.005) - 5e-9
    return np.where(np.isfinite(lowers), entry, -np.inf)


def monte_carlo(points: Any, weights: Any, *, draws: int = 10_000, concentration: float = 400.0,
                seed: int = 0, bands: str | BandTable = "national", full_marks: Any = None,
                max_cells: int = 500_000) -> RobustnessResult:
    """Probability that each project keeps its grade under Dirichlet noise on the weights.

    Parameters
    ----------
    points
        Projects × indicators achievement shares.
    weights
        Current weights, summing to 100.
    draws
        Number of weight sets drawn.
    concentration
        Dirichlet concentration c: α = c × w/100. Larger is tighter; a weight w varies with
        SD 100·sqrt(p(1 − p)/(c + 1)), p = w/100 (about ±2 points for w = 20 at c = 400).
    seed
        Seed of the generator (NumPy PCG64).
    bands
        Band table or its name.
    full_marks
        Full points per indicator, when ``points`` holds points.
    max_cells
        Draws are scored in chunks of at most this many draw × project totals (8 bytes
        each), which bounds memory and keeps a chunk near the processor's cache.

    Returns
    -------
    RobustnessResult
        Per-project probabilities and the settings used.

    Raises
    ------
    InputError
        Bad inputs, fewer than one draw or a non-positive concentration.

    Notes
    -----
    Weight sets are drawn from Dirichlet(α), mean equal to the current weights (Butler, Jia &
    Dyer 1997, European Journal of Operational Research 103(3), 531-546, on simulating weights
    for sensitivity analysis), by normalising independent Gamma(α_j) draws; indicators with
    weight 0 stay at 0. Totals of a chunk are one matrix product (draws × indicators by
    indicators × projects). A project keeps its grade when its total stays within its band
    after rounding half up to 2 decimals; the band edges are moved by half a cent instead of
    rounding every total, which gives the same grade as :func:`scoring.grades.grade` on the
    rounded total.

    Examples
    --------
    >>> r = monte_carlo([[1.0, 0.5], [0.95, 0.95]], [50, 50], draws=2000, seed=1)
    >>> r.projects["grade"].tolist(), r.projects["p_keep"].round(1).tolist()
    (['中', '优'], [1.0, 1.0])
    """
    frame, w, table = _inputs(points, weights, full_marks, bands)
    if int(draws) < 1 or not concentration > 0:
        raise InputError("draws 至少为 1，concentration 须为正数",
                         "draws must be at least 1 and concentration positive", field="draws")
    a = frame.to_numpy()
    n, k = a.shape
    total = round_half_up(a @ w)
    labels = grade(total, table)
    position = _positions(labels, table)
    entry = np.append(np.inf, _entry_points(table))  # entry[b + 1] enters band b
    low, high = entry[position + 1], entry[position]
    active = w > 0
    alpha = concentration * w[active] / 100.0
    shares = a[:, active].T.copy()  # indicators × projects, contiguous for the product
    rng = np.random.default_rng(seed)
    reached = np.zeros(n, dtype=np.int64)  # draws at or above the project's band floor
    up = np.zeros(n, dtype=np.int64)  # draws into a better band
    chunk = max(1, min(int(draws), int(max_cells) // max(n, 1)))
    done = 0
    with _one_blas_thread():
        while done < draws:
            m = min(chunk, int(draws) - done)
            gammas = rng.standard_gamma(alpha, size=(m, alpha.size))
            drawn = gammas * (100.0 / gammas.sum(axis=1, keepdims=True))
            totals = drawn @ shares  # m × n
            up += np.count_nonzero(totals >= high, axis=0)
            reached += np.count_nonzero(totals >= low, axis=0)
            done += m
    p = w / 100.0
    # Dirichlet moments are known exactly, so the total's mean and SD need no sampling:
    # Cov(w) = 100² (diag(p) − p pᵀ)/(c + 1).
    mean = a @ w
    variance = (a**2 @ p - (a @ p) ** 2) * 100.0**2 / (concentration + 1)
    keep = reached - up
    out = pd.DataFrame({"total": total, "grade": labels, "p_keep": keep / draws,
                        "p_up": up / draws, "p_down": (draws - reached) / draws,
                        "mean_total": mean, "sd_total": np.sqrt(np.maximum(variance, 0.0))},
                       index=frame.index)
    method = (f"{draws} weight sets from Dirichlet(α = {concentration:g} × w/100), seed {seed}, "
              f"scored in chunks of {chunk} draws; grades by band table {table.name} on totals "
              "rounded half up to 2 decimals")
    return RobustnessResult(
        projects=out, draws=int(draws), concentration=float(concentration), seed=int(seed),
        weight_sd=pd.Series(100 * np.sqrt(p * (1 - p) / (concentration + 1)),
                            index=frame.columns, name="sd"),
        bands=table.name, method=method)
