"""Weighted totals of projects: the achievement table, weight vectors, and their fit to a panel.

A project's total is Σ weight × achievement over its indicators (DOMAIN.md §3), achievement
being the share 0–1 of an indicator's full points. :mod:`scoring.calibrate` fits weights to a
panel's judgments and :mod:`scoring.sensitivity` perturbs them; both read their inputs and
measure totals against a panel with the functions here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from indicators.errors import InputError
from scoring.grades import BandTable, grade, load_bands
from scoring.project import round_half_up

__all__ = [
    "FitMetrics",
    "achievement_table",
    "band_table",
    "fit_metrics",
    "grade_midpoints",
    "weight_vector",
]

TOLERANCE = 1e-6
"""How far a sum of weights may stray from its total (rounding in spreadsheets)."""


@dataclass(frozen=True)
class FitMetrics:
    """How well weighted totals reproduce the panel.

    Attributes
    ----------
    r2
        1 − Σ(y − ŷ)²/Σ(y − ȳ)² against the panel's scores (grade midpoints for grades).
    spearman
        Spearman's rank correlation of totals and panel scores.
    grade_agreement
        Share of projects whose graded total equals the panel's grade.
    rmse
        Root mean squared difference, in points.
    n
        Projects compared.
    """

    r2: float
    spearman: float
    grade_agreement: float
    rmse: float
    n: int


def band_table(bands: str | BandTable) -> BandTable:
    """A band table, given itself or its name.

    Parameters
    ----------
    bands
        A :class:`~scoring.grades.BandTable` or the name of a shipped one.

    Returns
    -------
    BandTable
        The table.

    Notes
    -----
    Names are looked up with :func:`scoring.grades.load_bands`.

    Examples
    --------
    >>> band_table("national").name
    'national'
    """
    return bands if isinstance(bands, BandTable) else load_bands(bands)


def grade_midpoints(bands: str | BandTable = "national", *, top: float = 100.0,
                    bottom: float = 0.0) -> dict[str, float]:
    """The score standing for each grade: the middle of its band.

    Parameters
    ----------
    bands
        A band table or its name.
    top, bottom
        Where the best band ends and the worst begins.

    Returns
    -------
    dict
        Grade → midpoint, best first.

    Notes
    -----
    With the MoF national bands (财预〔2020〕10号): 优 95, 良 85, 中 70, 差 30. A panel that
    gave grades rather than scores is fitted to these; pass ``grade_scores`` to
    :func:`fit_weights` for other values (e.g. the 95/85/70/50 of DOMAIN.md §4).

    Examples
    --------
    >>> grade_midpoints()
    {'优': 95.0, '良': 85.0, '中': 70.0, '差': 30.0}
    """
    table = band_table(bands)
    uppers = [top, *(b.lower for b in table.bands[:-1])]
    lowers = [bottom if not np.isfinite(b.lower) else b.lower for b in table.bands]
    return {b.label: (hi + lo) / 2 for b, hi, lo in zip(table.bands, uppers, lowers, strict=True)}


def fit_metrics(totals: Any, scores: Any, grades: Any,
                bands: str | BandTable = "national") -> FitMetrics:
    """R², Spearman, grade agreement and RMSE of totals against a panel.

    Parameters
    ----------
    totals
        Weighted totals (unrounded).
    scores
        The panel's scores (or grade midpoints).
    grades
        The panel's grades.
    bands
        The band table grading the totals.

    Returns
    -------
    FitMetrics
        The four measures.

    Notes
    -----
    Totals are rounded half up to 2 decimals before grading, as published totals are
    (DOMAIN.md §3). Spearman (1904, American Journal of Psychology 15(1), 72-101).

    Examples
    --------
    >>> m = fit_metrics([91, 84, 70], [93, 82, 75], ["优", "良", "中"])
    >>> round(m.r2, 3), m.spearman, m.grade_agreement
    (0.8, 1.0, 1.0)
    """
    y_hat = np.asarray(totals, dtype=float)
    y = np.asarray(scores, dtype=float)
    spread = float(np.sum((y - y.mean()) ** 2))
    residual = float(np.sum((y - y_hat) ** 2))
    rho = float("nan")
    if np.ptp(y) > 0 and np.ptp(y_hat) > 0:
        rho = float(stats.spearmanr(y_hat, y).statistic)
    agree = grade(round_half_up(y_hat), band_table(bands)) == np.asarray(grades, dtype=object)
    return FitMetrics(r2=1 - residual / spread if spread > 0 else float("nan"), spearman=rho,
                      grade_agreement=float(np.mean(agree)),
                      rmse=float(np.sqrt(residual / y.size)), n=int(y.size))


def achievement_table(points: Any, full_marks: Any = None) -> pd.DataFrame:
    """Projects × indicators achievement shares (0–1), checked.

    Parameters
    ----------
    points
        DataFrame (projects in rows, indicator codes in columns) or a 2-D array; achievement
        shares, or points when ``full_marks`` is given.
    full_marks
        Each indicator's full points (mapping by code or in column order), or None.

    Returns
    -------
    pandas.DataFrame
        Shares in [0, 1], columns as text (``I1…`` for an array).

    Raises
    ------
    InputError
        Fewer than 2 projects, a value that is not a number within 0 and its full mark
        (naming the 1-based row and the column), or full marks not positive.

    Notes
    -----
    An indicator's points are its weight times its achievement (DOMAIN.md §3), so a share is
    points over full points.

    Examples
    --------
    >>> achievement_table([[8, 15], [10, 30]], full_marks=[10, 30]).round(2).values.tolist()
    [[0.8, 0.5], [1.0, 1.0]]
    """
    frame = points.copy() if isinstance(points, pd.DataFrame) else pd.DataFrame(
        np.asarray(points, dtype=float))
    if frame.ndim != 2 or frame.shape[0] < 2 or frame.shape[1] < 1:
        raise InputError("得分表至少需要 2 个项目（行）和 1 个指标（列）",
                         "points need at least 2 projects (rows) and 1 indicator (column)",
                         field="points")
    if not isinstance(points, pd.DataFrame):
        frame.columns = [f"I{j + 1}" for j in range(frame.shape[1])]
    frame.columns = frame.columns.map(str)
    values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    high = np.ones(values.shape[1])
    if full_marks is not None:
        high = weight_vector(full_marks, frame.columns, "full_marks")
        if (high <= 0).any():
            raise InputError("满分必须为正数", "full marks must be positive", field="full_marks")
    bad = ~np.isfinite(values) | (values < 0) | (values > high + TOLERANCE)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise InputError(f"项目 {frame.index[i]} 指标 {frame.columns[j]} 的值 {frame.iat[i, j]!r} "
                         f"不在 0–{high[j]:g} 之间", f"value {frame.iat[i, j]!r} of project "
                         f"{frame.index[i]}, indicator {frame.columns[j]} is not within "
                         f"0–{high[j]:g}", row=i + 1, column=str(frame.columns[j]),
                         field="points")
    return pd.DataFrame(values / high, index=frame.index, columns=frame.columns)


def weight_vector(values: Any, columns: pd.Index, name: str = "weights") -> np.ndarray:
    """Non-negative per-indicator numbers (weights, full marks) in the order of ``columns``.

    Parameters
    ----------
    values
        Mapping or Series by indicator code, or a sequence in column order.
    columns
        The indicator codes.
    name
        How errors name the argument.

    Returns
    -------
    numpy.ndarray
        One float per column.

    Raises
    ------
    InputError
        A code missing, a wrong length, or a negative or non-finite value.

    Notes
    -----
    Extra codes in a mapping are ignored, so one weight file can serve several tables.

    Examples
    --------
    >>> weight_vector({"B": 40, "A": 60}, pd.Index(["A", "B"])).tolist()
    [60.0, 40.0]
    """
    if isinstance(values, Mapping | pd.Series):
        series = pd.Series(values, dtype=float)
        series.index = series.index.map(str)
        absent = [c for c in columns if c not in series.index]
        if absent:
            raise InputError(f"{name} 缺少指标 {absent[0]}", f"{name} lacks indicator {absent[0]}",
                             field=name)
        out = series.reindex(columns).to_numpy(dtype=float)
    else:
        out = np.asarray(values, dtype=float).ravel()
        if out.size != len(columns):
            raise InputError(f"{name} 有 {out.size} 个值，指标有 {len(columns)} 个",
                             f"{name} has {out.size} values for {len(columns)} indicators",
                             field=name)
    if not np.all(np.isfinite(out)) or (out < 0).any():
        raise InputError(f"{name} 必须是非负数", f"{name} must be non-negative numbers", field=name)
    return out
