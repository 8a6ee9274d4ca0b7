"""Calibrating indicator weights to a panel's judgments.

Given each project's achievement on every indicator (0–1, or points with their full marks)
and the overall score or grade a panel gave the same projects, :func:`fit_weights` finds
non-negative weights summing to 100 (or fixed totals per group) whose weighted totals best
reproduce the panel, optionally pulled toward the current weights, and reports how well they
do — in sample and cross-validated — beside the current weights. The result is a proposal: a
new weight set is published through the library's draft → publish path like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.model_selection import KFold

from indicators.errors import InputError
from scoring.calibrate_panel import require_enough_projects
from scoring.grades import BandTable, grade
from scoring.project import round_half_up
from scoring.weighted_totals import (
    TOLERANCE,
    FitMetrics,
    achievement_table,
    band_table,
    fit_metrics,
    grade_midpoints,
    weight_vector,
)

__all__ = [
    "CalibrationResult",
    "FitMetrics",
    "fit_metrics",
    "fit_weights",
    "grade_midpoints",
]


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted weights and how well they, and the current ones, reproduce the panel.

    Attributes
    ----------
    weights
        Non-negative weights by indicator, summing to 100 (or to each group's total).
    prior
        The current weights, or None.
    fitted
        Each project's total under the fitted weights (unrounded).
    fit, cross_validated, prior_fit
        In-sample fit, k-fold out-of-sample fit (None without folds) and the current
        weights' fit (None without them).
    groups, group_totals
        Indicator → group and the fixed total of each group (one group ``"全部"`` of 100
        without groups).
    strength
        Ridge strength toward the prior.
    folds, seed, bands, target_kind, method
        What was done, for the record.
    """

    weights: pd.Series
    prior: pd.Series | None
    fitted: pd.Series
    fit: FitMetrics
    cross_validated: FitMetrics | None
    prior_fit: FitMetrics | None
    groups: pd.Series
    group_totals: Mapping[str, float]
    strength: float
    folds: int | None
    seed: int
    bands: str
    target_kind: str
    method: str

    def table(self) -> pd.DataFrame:
        """Indicator, group, current and fitted weight and the change, for reports.

        Returns
        -------
        pandas.DataFrame
            Indexed by indicator: ``group``, ``prior`` (NaN without one), ``weight``,
            ``change`` = weight − prior.

        Examples
        --------
        >>> a = np.array([[1.0, 0.5], [0.5, 1.0], [0.8, 0.8]])
        >>> result = fit_weights(a, a @ [70.0, 30.0], prior=[50, 50], cv=None)
        >>> result.table()["change"].round(6).tolist()
        [20.0, -20.0]
        """
        frame = pd.DataFrame({"group": self.groups, "prior": self.prior,
                              "weight": self.weights})
        frame["change"] = frame["weight"] - frame["prior"]
        return frame.rename_axis("indicator")

    def rounded(self, decimals: int = 1) -> pd.Series:
        """Weights rounded so that every group still sums exactly to its total.

        Parameters
        ----------
        decimals
            Decimals kept.

        Returns
        -------
        pandas.Series
            Rounded weights by indicator.

        Notes
        -----
        Largest-remainder rounding (Hamilton's method; Balinski & Young 1982, Fair
        Representation, Yale University Press): floor every weight at ``decimals``, then
        give the units left in each group to the largest remainders.

        Examples
        --------
        >>> a = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.4], [0.8, 0.3, 1.0], [0.6, 0.6, 0.6]])
        >>> r = fit_weights(a, a @ [12.34, 47.33, 40.33], cv=None).rounded(1)
        >>> r.tolist(), float(round(r.sum(), 6))
        ([12.4, 47.3, 40.3], 100.0)
        """
        scale = 10.0**decimals
        raw = self.weights.to_numpy() * scale
        floors = np.floor(raw + 1e-9)
        remainder = raw - floors
        out = floors.copy()
        for name, total in self.group_totals.items():
            members = np.flatnonzero(self.groups.to_numpy() == name)
            short = int(round(total * scale - floors[members].sum()))
            order = members[np.argsort(-remainder[members], kind="stable")]
            out[order[:short]] += 1
        return pd.Series(out / scale, index=self.weights.index, name="weight")


def _target(target: Any, index: pd.Index, table: BandTable,
            grade_scores: Mapping[str, float] | None) -> tuple[np.ndarray, np.ndarray, str]:
    series = target.copy() if isinstance(target, pd.Series) else pd.Series(
        np.asarray(target, dtype=object).ravel())
    if isinstance(target, pd.Series):
        series.index = series.index.map(str)
        wanted = index.map(str)
        absent = [p for p in wanted if p not in series.index]
        if absent:
            raise InputError(f"项目 {absent[0]} 没有专家组评价", f"project {absent[0]} has no "
                             "panel score or grade", field="target")
        series = series.reindex(wanted)
    elif len(series) != len(index):
        raise InputError(f"专家组评价有 {len(series)} 个，项目有 {len(index)} 个",
                         f"{len(series)} panel results for {len(index)} projects", field="target")
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().all():
        scores = numbers.to_numpy(dtype=float)
        if (scores < 0).any() or (scores > 100).any():
            raise InputError("专家组总分应在 0–100 之间", "panel scores must lie within 0–100",
                             field="target")
        return scores, grade(round_half_up(scores), table), "scores"
    labels = series.astype(str).str.strip()
    mapping = dict(grade_scores) if grade_scores is not None else grade_midpoints(table)
    unknown = labels[~labels.isin(list(mapping))]
    if len(unknown):
        raise InputError(f"项目 {unknown.index[0]} 的评价 {unknown.iloc[0]!r} 既不是分数也不是等级"
                         f"（{'、'.join(mapping)}）", f"panel result {unknown.iloc[0]!r} of project "
                         f"{unknown.index[0]} is neither a score nor a grade", field="target")
    return labels.map(mapping).to_numpy(dtype=float), labels.to_numpy(dtype=object), "grades"


def _solve(a: np.ndarray, y: np.ndarray, prior: np.ndarray | None, strength: float,
           member: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Non-negative least squares with ridge rows and heavily weighted group-sum rows."""
    n, k = a.shape
    rows, rhs = [a / np.sqrt(n)], [y / np.sqrt(n)]
    if strength > 0 and prior is not None:
        rows.append(np.sqrt(strength) * np.eye(k))
        rhs.append(np.sqrt(strength) * prior)
    # Lawson & Hanson's weighting method: the constraint rows dominate every other row.
    heavy = 1e4 * max(1.0, float(np.linalg.norm(rows[0])), np.sqrt(strength))
    rows.append(heavy * member)
    rhs.append(heavy * totals)
    w, _ = optimize.nnls(np.vstack(rows), np.concatenate(rhs), maxiter=50 * k)
    sums = member @ w
    # Close the O(1/heavy²) gap left by the weighting so each group sums exactly.
    scale = np.divide(totals, sums, out=np.ones_like(totals), where=sums > 0)
    return w * (member.T @ scale)


def fit_weights(points: Any, target: Any, *, prior: Any = None,
                groups: Mapping[str, str] | pd.Series | None = None, strength: float = 0.0,
                per_level: Mapping[str, float] | None = None, cv: int | None = 5,
                seed: int = 0, bands: str | BandTable = "national", full_marks: Any = None,
                grade_scores: Mapping[str, float] | None = None) -> CalibrationResult:
    """Weights that best reproduce a panel's overall scores or grades.

    Parameters
    ----------
    points
        Projects × indicators: achievement shares 0–1 (points earned over full points), or
        points when ``full_marks`` is given.
    target
        The panel's overall score (0–100) or grade for each project; a Series is aligned to
        the rows of a DataFrame ``points`` by project id.
    prior
        The current weights (indicator → weight, or in column order), summing to 100.
    groups
        Indicator → group (e.g. its 一级 indicator); every indicator needs one.
    strength
        Ridge pull toward ``prior``: one weight point away from it costs as much as ``strength``
        squared points of mean squared error. 0 fits the panel alone.
    per_level
        Group → fixed total; by default the prior's group sums. Totals must sum to 100.
    cv
        Folds of the cross-validation (None or < 2: none).
    seed
        Seed of the fold split.
    bands
        The band table that grades totals.
    full_marks
        Each indicator's full points, when ``points`` holds points.
    grade_scores
        Score standing for each grade in ``target`` (default: band midpoints).

    Returns
    -------
    CalibrationResult
        Weights, fits and everything used.

    Raises
    ------
    InputError
        Points outside 0–1 (or their full marks), a project without a panel result, unknown
        grades, prior weights not summing to 100, groups missing or totals not summing to 100,
        or (with ``strength`` 0) too few projects to determine the weights
        (:func:`scoring.calibrate_panel.require_enough_projects`).

    Notes
    -----
    Minimises (1/n) Σ_i (y_i − a_i·w)² + strength · Σ_j (w_j − p_j)² subject to w ≥ 0 and
    Σ_{j∈g} w_j = T_g for every group g. The equality rows are appended with a weight 10⁴
    times the data's norm and the augmented system is solved by the Lawson–Hanson active-set
    NNLS (Lawson & Hanson 1974, Solving Least Squares Problems, Prentice-Hall, ch. 22-23),
    exact and deterministic; each group is then rescaled to its total, closing the
    O(10⁻⁸) gap the weighting leaves. Out-of-sample fit uses k-fold splits (scikit-learn
    ``KFold``, shuffled with ``seed``), refitting on each training part.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.uniform(0.3, 1.0, size=(60, 3))
    >>> result = fit_weights(a, a @ [50.0, 30.0, 20.0], cv=None)
    >>> result.weights.round(3).tolist()
    [50.0, 30.0, 20.0]
    """
    frame = achievement_table(points, full_marks)
    table = band_table(bands)
    scores, grades, kind = _target(target, frame.index, table, grade_scores)
    columns = frame.columns
    prior_w = None if prior is None else weight_vector(prior, columns, "prior")
    if groups is None:
        labels = pd.Series("全部", index=columns, dtype=object)
    else:
        labels = pd.Series(groups, dtype=object)
        labels.index = labels.index.map(str)
        labels = labels.reindex(columns)
        if labels.isna().any():
            missing = labels.index[labels.isna()][0]
            raise InputError(f"指标 {missing} 没有分组", f"indicator {missing} has no group",
                             field="groups")
        labels = labels.astype(str)
    names = list(pd.unique(labels))
    member = (labels.to_numpy()[None, :] == np.asarray(names, dtype=object)[:, None]).astype(float)
    if per_level is not None:
        absent = [g for g in names if g not in per_level]
        if absent:
            raise InputError(f"分组 {absent[0]} 没有给定合计权重", f"group {absent[0]} has no total",
                             field="per_level")
        totals = np.array([float(per_level[g]) for g in names])
    elif groups is not None and prior_w is None:
        raise InputError("按分组校准需要给出各组合计（per_level）或现行权重（prior）",
                         "fitting per group needs group totals (per_level) or prior weights",
                         field="per_level")
    else:
        totals = member @ prior_w if groups is not None else np.array([100.0])
    if abs(totals.sum() - 100) > TOLERANCE or (totals < 0).any():
        raise InputError(f"各组合计权重之和为 {totals.sum():g}，应为 100",
                         f"group totals sum to {totals.sum():g}, not 100", field="per_level")
    if prior_w is not None and abs(prior_w.sum() - 100) > TOLERANCE:
        raise InputError(f"现行权重之和为 {prior_w.sum():g}，应为 100",
                         f"prior weights sum to {prior_w.sum():g}, not 100", field="prior")
    if strength < 0 or (strength > 0 and prior_w is None):
        raise InputError("strength 须非负，且大于 0 时须给出现行权重",
                         "strength must be non-negative, and positive only with prior weights",
                         field="strength")
    if strength == 0:
        # Without a pull toward the prior, no more projects than free weights fit any panel
        # exactly (R² = 1 saying nothing); a ridge pull determines the weights even then.
        require_enough_projects(len(frame), len(columns), n_groups=len(names), folds=cv)
    a = frame.to_numpy()
    w = _solve(a, scores, prior_w, strength, member, totals)
    cross = None
    folds = int(cv) if cv is not None and cv >= 2 else None
    if folds is not None:
        if folds > a.shape[0]:
            raise InputError(f"{folds} 折交叉验证至少需要 {folds} 个项目",
                             f"{folds}-fold cross-validation needs {folds} projects", field="cv")
        held_out = np.empty(a.shape[0])
        for train, test in KFold(n_splits=folds, shuffle=True, random_state=seed).split(a):
            fold_w = _solve(a[train], scores[train], prior_w, strength, member, totals)
            held_out[test] = a[test] @ fold_w
        cross = fit_metrics(held_out, scores, grades, table)
    fitted = a @ w
    method = ("non-negative least squares, group sums by the weighting method then rescaled "
              "exactly (Lawson & Hanson 1974)"
              + (f", ridge toward the prior weights with strength {strength:g}" if strength else "")
              + (f"; {folds}-fold cross-validation, seed {seed}" if folds else "")
              + f"; target = panel {kind}"
              + ("" if kind == "scores" else " mapped to " + ", ".join(
                  f"{k} {v:g}" for k, v in (grade_scores or grade_midpoints(table)).items())))
    return CalibrationResult(
        weights=pd.Series(w, index=columns, name="weight"),
        prior=None if prior_w is None else pd.Series(prior_w, index=columns, name="prior"),
        fitted=pd.Series(fitted, index=frame.index, name="total"),
        fit=fit_metrics(fitted, scores, grades, table), cross_validated=cross,
        prior_fit=None if prior_w is None else fit_metrics(a @ prior_w, scores, grades, table),
        groups=labels.rename("group"),
        group_totals=MappingProxyType(dict(zip(names, totals.tolist(), strict=True))),
        strength=float(strength), folds=folds, seed=int(seed), bands=table.name,
        target_kind=kind, method=method)
