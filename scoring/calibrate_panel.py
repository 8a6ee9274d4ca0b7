"""The panel's side of a calibration: its scores, the projects they match, whether they suffice.

A panel's scores come from a file (:func:`scoring.calibrate_io.read_panel`) or from the closed
review rounds of a budget year, which the front door hands down as a key-results table
(``project``, ``total``, …; see :class:`indicators.frontdoor.YearFeed`).
:func:`panel_from_key_results` turns that table into the same project → score series a file
gives; :func:`match_panel` pairs the panel with the projects' achievement shares by project
code and says which panel projects have no shares; :func:`require_enough_projects` refuses a
fit that the panel could not pin down, before :func:`scoring.calibrate.fit_weights` runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.errors import InputError

__all__ = ["PanelMatch", "free_weights", "match_panel", "panel_from_key_results",
           "require_enough_projects"]


def panel_from_key_results(results: pd.DataFrame) -> pd.Series:
    """The panel's 0–100 totals of a key-results table, indexed by project code.

    Parameters
    ----------
    results
        A table with ``project`` and ``total`` (more columns are ignored), one row per project,
        as the closed review rounds of a year give it.

    Returns
    -------
    pandas.Series
        Floats named ``score``, indexed by project code (text), in the table's order — what
        :func:`scoring.calibrate_io.read_panel` returns for a score file.

    Raises
    ------
    InputError
        A missing column, an empty or repeated project code, a total that is not a number or
        lies outside 0–100.

    Notes
    -----
    The rounds already put each panel score on 0–100 (score × 100 / rubric maximum); they are
    checked again here because the table crosses a floor and a wrong scale would fit silently.

    Examples
    --------
    >>> table = pd.DataFrame({"project": ["P1", "P2"], "total": [86.5, 72.0],
    ...                       "basis": ["adjusted", "raw"]})
    >>> panel_from_key_results(table).to_dict()
    {'P1': 86.5, 'P2': 72.0}
    """
    absent = [c for c in ("project", "total") if c not in results.columns]
    if absent:
        raise InputError(f"评审结果缺少列 {absent[0]}", f"the review results lack column "
                         f"{absent[0]}", field="key_results")
    codes = results["project"].astype("string").str.strip()
    if (codes.isna() | (codes == "")).any():
        raise InputError("评审结果中有项目编码为空", "a project code of the review results is "
                         "empty", field="key_results")
    twice = codes[codes.duplicated()]
    if len(twice):
        raise InputError(f"评审结果中项目 {twice.iloc[0]} 出现两次",
                         f"project {twice.iloc[0]} appears twice in the review results",
                         field="key_results")
    totals = pd.to_numeric(results["total"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(totals) | (totals < 0) | (totals > 100)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise InputError(f"项目 {codes.iloc[at]} 的评审得分 {results['total'].iloc[at]!r} "
                         "不是 0–100 之间的数",
                         f"the review score {results['total'].iloc[at]!r} of project "
                         f"{codes.iloc[at]} is not a number within 0–100", field="key_results")
    return pd.Series(totals, index=pd.Index(codes.to_numpy(dtype=object), dtype=object),
                     name="score")


@dataclass(frozen=True)
class PanelMatch:
    """The projects that have both achievement shares and a panel result.

    Attributes
    ----------
    points
        Shares of the matched projects (rows in the shares' order), project codes as text.
    panel
        Their panel results, in the same order.
    no_points
        Panel projects without achievement shares, in the panel's order: left out.
    no_panel
        How many projects with shares have no panel result (left out; usually most of a
        county, since only key projects are reviewed).
    """

    points: pd.DataFrame
    panel: pd.Series
    no_points: tuple[str, ...]
    no_panel: int

    @property
    def used(self) -> tuple[str, ...]:
        """The matched project codes, as fitted."""
        return tuple(self.points.index)


def match_panel(points: pd.DataFrame, panel: pd.Series) -> PanelMatch:
    """Pair achievement shares with a panel's scores or grades by project code.

    Parameters
    ----------
    points
        Projects × headings achievement shares, indexed by project.
    panel
        The panel's score or grade by project.

    Returns
    -------
    PanelMatch
        The matched rows and what was left out on each side.

    Notes
    -----
    Codes are compared as text with surrounding blanks removed, so a code read from a
    spreadsheet as a number still meets its text twin (``2021001`` and ``"2021001"``).

    Examples
    --------
    >>> shares = pd.DataFrame({"A": [0.9, 0.5, 0.7]}, index=["P1", "P2", "P3"])
    >>> m = match_panel(shares, pd.Series({"P3": 80.0, "P1": 95.0, "P9": 60.0}))
    >>> m.used, m.panel.tolist(), m.no_points, m.no_panel
    (('P1', 'P3'), [95.0, 80.0], ('P9',), 1)
    """
    shares = points.copy()
    shares.index = shares.index.map(lambda code: str(code).strip())
    results = panel.copy()
    results.index = results.index.map(lambda code: str(code).strip())
    both = shares.index.isin(results.index)
    kept = shares.loc[both]
    return PanelMatch(points=kept, panel=results.reindex(kept.index),
                      no_points=tuple(results.index[~results.index.isin(shares.index)]),
                      no_panel=int((~both).sum()))


def free_weights(n_headings: int, n_groups: int = 1) -> int:
    """How many weights a fit chooses freely: one fixed total per group takes one away.

    Parameters
    ----------
    n_headings
        Indicators (columns) being weighted.
    n_groups
        Groups whose weights sum to a fixed total (1: all weights sum to 100).

    Returns
    -------
    int
        ``n_headings − n_groups``.

    Examples
    --------
    >>> free_weights(4), free_weights(5, 3)
    (3, 2)
    """
    return int(n_headings) - int(n_groups)


def require_enough_projects(n_projects: int, n_headings: int, *, n_groups: int = 1,
                            folds: int | None = None) -> None:
    """Refuse a fit that the panel's projects cannot pin down.

    Parameters
    ----------
    n_projects
        Projects with both achievement shares and a panel result.
    n_headings
        Indicators being weighted.
    n_groups
        Groups with a fixed total (1 without groups).
    folds
        Folds of the cross-validation, or None.

    Returns
    -------
    None

    Raises
    ------
    InputError
        Fewer than two projects; no more projects than free weights; or a cross-validation
        training part no larger than the free weights.

    Notes
    -----
    With f = headings − groups free weights, n projects and the group totals give n + groups
    equations for the headings' weights. When n ≤ f a set of weights generally reproduces
    every panel total exactly, whatever the panel said, so the fit's R² of 1 would say
    nothing and the weights would follow the few projects' noise; at least f + 1 projects
    leave one residual degree of freedom, as in any least-squares fit (the weights' sum
    constraint is what makes it f, not f + 1). Each k-fold training part
    (n − ⌈n/k⌉ projects) must pass the same test, or the out-of-sample fit is of weights
    that were not determined. :func:`scoring.calibrate.fit_weights` calls it when it fits
    without a pull toward the prior; pages and commands call it first to say so early.

    Examples
    --------
    >>> require_enough_projects(6, 4, folds=5)
    >>> try:
    ...     require_enough_projects(3, 4)
    ... except InputError as err:
    ...     print(err.en)
    only 3 projects have both indicator data and a panel result; 4 are needed for 3 free weights
    """
    free = free_weights(n_headings, n_groups)
    needed = max(2, free + 1)
    if n_projects < needed:
        raise InputError(
            f"同时有指标数据和专家组评价的项目只有 {n_projects} 个；{free} 个可自由确定的权重"
            f"至少需要 {needed} 个项目，否则任何专家组评分都能被完全拟合，权重无从确定",
            f"only {n_projects} projects have both indicator data and a panel result; "
            f"{needed} are needed for {free} free weights", field="target")
    if folds is not None and folds >= 2:
        train = n_projects - math.ceil(n_projects / folds)
        if train < needed:
            raise InputError(
                f"{folds} 折交叉验证时每次只用 {train} 个项目拟合，少于所需的 {needed} 个；"
                "请减少折数或关闭交叉验证",
                f"{folds}-fold cross-validation fits on {train} projects at a time, fewer than "
                f"the {needed} needed; use fewer folds or none", field="cv")
