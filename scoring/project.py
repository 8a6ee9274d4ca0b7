"""Project and department scoring: indicator points summed up the tree, plus budget execution, graded.

Input is a long table with one row per (project, indicator): the leaf (三级) indicator, its 二级
and 一级 parents, weight, direction, target and actual. Many projects are scored at once: points
come from :func:`scoring.rules.score_indicators`, subtotals per level and totals per project are
group sums (``np.bincount`` over factorised keys), never a loop over projects. The total adds the
budget-execution score, is rounded to two decimals only at the end and graded by a band table.

Every result records the library version, weight set and band table it used, so a score can be
audited and recomputed. Departments are scored on the same tree kernel in :mod:`scoring.department`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from indicators.errors import InputError
from scoring.grades import BandTable, cap_grades, grade, load_bands
from scoring.rules import DIRECTION_SYMBOLS, REASONS, score_indicators

__all__ = [
    "ProjectScores",
    "round_half_up",
    "budget_execution_points",
    "score_projects",
]

_TREE_COLUMNS = ("indicator", "level1", "level2", "weight", "direction", "target", "actual")
_TOLERANCE = 1e-6
# Largest (units × codes) key space grouped with a dense count table (8 bytes per slot).
_DENSE_GROUPS = 20_000_000


@dataclass(frozen=True)
class ProjectScores:
    """Scores of many projects.

    Attributes
    ----------
    totals
        One row per project: ``project``, ``indicator_points``, ``budget_points``,
        ``execution_rate``, ``max_points``, ``total_unrounded``, ``total`` (two decimals),
        ``grade_before_veto``, ``vetoed``, ``grade``, ``n_missing``, ``n_over_achievement``.
    subtotals
        One row per (project, 一级 or 二级 code): ``project``, ``level`` (1 or 2), ``code``,
        ``parent`` (the 一级 code of a 二级 row), ``points``, ``max_points``.
    indicators
        The input rows with ``direction`` normalised and ``points``, ``missing``,
        ``over_achievement``, ``reason`` added (points unrounded).
    library_version, weight_set, band_table, band_version
        What the scores were computed with.
    rule_params
        Scoring-rule constants, budget-execution formula and veto settings.
    """

    totals: pd.DataFrame
    subtotals: pd.DataFrame
    indicators: pd.DataFrame
    library_version: str
    weight_set: str
    band_table: str
    band_version: str
    rule_params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_params", MappingProxyType(dict(self.rule_params)))


def round_half_up(x: ArrayLike, decimals: int = 2) -> np.ndarray:
    """Round half away from zero (四舍五入) at ``decimals``, as a person rounds a printed number.

    Parameters
    ----------
    x
        Values to round.
    decimals
        Number of decimals kept.

    Returns
    -------
    numpy.ndarray
        Rounded values (NaN stays NaN).

    Notes
    -----
    ``numpy.round`` rounds halves to even and sees 89.995 as 89.99499…; finance rounds half up.
    The scaled value is first rounded at 1e-6 to drop binary noise, then halves go away from 0.

    Examples
    --------
    >>> round_half_up([89.995, 0.125, 2.675]).tolist()
    [90.0, 0.13, 2.68]
    """
    scale = 10.0 ** decimals
    y = np.round(np.asarray(x, dtype=float) * scale, 6)
    return np.sign(y) * np.floor(np.abs(y) + 0.5) / scale


def budget_execution_points(budget: ArrayLike, spent: ArrayLike, *, weight: float = 10.0,
                            full_ratio: float = 1.0) -> np.ndarray:
    """Budget-execution score: ``min(weight, weight × (spent / budget) / full_ratio)``.

    Parameters
    ----------
    budget, spent
        Budgeted and spent amounts; budget must be positive, a missing ``spent`` scores 0.
    weight
        Full points of budget execution (预算执行率; 10 in the default framework).
    full_ratio
        Execution rate that earns full points (1.0: full at 100 %).

    Returns
    -------
    numpy.ndarray
        Unrounded points in ``[0, weight]``.

    Notes
    -----
    DOMAIN.md §2: self-evaluation weights 预算执行率 10, 产出 50, 效益 30, 满意度 10, with the
    budget score min(10, spent/budget × 10) (local practice under 财预〔2020〕10号).

    Examples
    --------
    >>> budget_execution_points([100, 100, 100], [85, 100, 120]).tolist()
    [8.5, 10.0, 10.0]
    """
    b = np.asarray(budget, dtype=float)
    s = np.asarray(spent, dtype=float)
    if weight < 0 or not full_ratio > 0:
        raise InputError("预算执行率分值须非负、满分执行率须为正",
                         "budget weight must be ≥ 0 and full_ratio > 0", field="budget_weight")
    if (~(b > 0) & ~np.isnan(b)).any():
        raise InputError("预算数必须为正数", "budget amounts must be positive", field="budget")
    with np.errstate(invalid="ignore", divide="ignore"):
        pts = np.minimum(weight, weight * np.maximum(s, 0.0) / b / full_ratio)
    return np.where(np.isnan(pts), 0.0, pts)


def _frame(table: pd.DataFrame | Mapping[str, ArrayLike], required: Iterable[str], what: str
           ) -> pd.DataFrame:
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(dict(table))
    lacking = [c for c in required if c not in frame.columns]
    if lacking:
        raise InputError(f"{what}缺少列：{'、'.join(lacking)}",
                         f"{what} table lacks columns: {', '.join(lacking)}", column=lacking[0])
    return frame.reset_index(drop=True)


def _group_sum(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=n)


def _score_tree(frame: pd.DataFrame, unit: str, rule_params: Mapping[str, Any],
                total_weight: float | None, framework_weights: Mapping[str, float] | None,
                extra_weight: float) -> dict[str, Any]:
    """Points of every row and their sums per unit (project or department) and per tree level."""
    scores = score_indicators(
        frame["direction"], frame["target"].to_numpy(),
        frame["actual"].to_numpy(), frame["weight"].to_numpy(),
        level=frame["qualitative_level"] if "qualitative_level" in frame else None,
        manual_score=frame["manual_score"].to_numpy() if "manual_score" in frame else None,
        **rule_params,
    )
    unit_codes, unit_ids = pd.factorize(frame[unit], use_na_sentinel=True)
    if (unit_codes < 0).any():
        row = int(np.flatnonzero(unit_codes < 0)[0]) + 1
        raise InputError(f"第 {row} 行缺少{unit}", f"row {row} has no {unit}", row=row, column=unit)
    n_units = len(unit_ids)
    weight = frame["weight"].to_numpy(dtype=float)
    pts = scores.points
    subtotals, subtotal_unit = _level_subtotals(frame, unit, unit_codes, unit_ids, pts, weight)
    # Unit totals are the sums of their 一级 subtotals: a few groups per unit, not every row.
    first = subtotals["level"].to_numpy() == 1
    first_unit = subtotal_unit[first]
    sums = {
        "points": _group_sum(first_unit, subtotals["points"].to_numpy()[first], n_units),
        "max_points": _group_sum(first_unit, subtotals["max_points"].to_numpy()[first], n_units),
        "n_missing": np.bincount(unit_codes[scores.missing], minlength=n_units),
        "n_over": np.bincount(unit_codes[scores.over_achievement], minlength=n_units),
    }
    if total_weight is not None:
        off = np.abs(sums["max_points"] + extra_weight - total_weight) > _TOLERANCE
        if off.any():
            bad = [str(u) for u in unit_ids[off][:5]]
            raise InputError(
                f"以下{unit}的权重合计不等于 {total_weight:g}：{'、'.join(bad)}",
                f"weights of these {unit}s do not add up to {total_weight:g}: {', '.join(bad)}",
                field="weight",
            )
    if framework_weights is not None:
        _check_framework(subtotals, unit, framework_weights)
    indicators = frame.copy(deep=False)
    indicators["direction"] = pd.Categorical.from_codes(scores.direction_code,
                                                        categories=list(DIRECTION_SYMBOLS))
    indicators["points"] = pts
    indicators["missing"] = scores.missing
    indicators["over_achievement"] = scores.over_achievement
    indicators["reason"] = pd.Categorical.from_codes(scores.reason_code, categories=list(REASONS))
    return {"ids": unit_ids, "sums": sums, "subtotals": subtotals, "indicators": indicators,
            "rule_params": dict(scores.rule_params)}


def _group_index(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Group number of each row and the distinct keys, ascending (like a sorted factorize).

    Keys below ``size`` are counted in a dense table when it is small enough, which avoids
    hashing a million rows; a sparse key space falls back to hashing.
    """
    if size <= _DENSE_GROUPS:
        present = np.bincount(key, minlength=size) > 0
        rank = np.cumsum(present) - 1
        return rank[key], np.flatnonzero(present)
    group, keys = pd.factorize(key, sort=True)
    return group, np.asarray(keys)


def _parents(frame: pd.DataFrame, key: np.ndarray, group: np.ndarray, keys: np.ndarray,
             l1_codes: np.ndarray, n_l1: int) -> np.ndarray:
    """The 一级 code of each (unit, 二级) group; a 二级 code under two 一级 codes is an error."""
    # Extending each key by its 一级 code adds no groups exactly when every 二级 has one parent.
    _, extended = _group_index(key * n_l1 + l1_codes, (int(keys[-1]) + 1) * n_l1)
    if len(extended) == len(keys):
        return extended % n_l1
    parent = np.empty(len(keys), dtype=np.int64)
    parent[group] = l1_codes
    row = int(np.flatnonzero(parent[group] != l1_codes)[0]) + 1
    code = frame["level2"].iat[row - 1]
    raise InputError(f"二级指标“{code}”挂在多个一级指标下",
                     f"level-2 code {code!r} has more than one level-1 parent in the same unit",
                     row=row, column="level2")


def _level_subtotals(frame: pd.DataFrame, unit: str, unit_codes: np.ndarray, unit_ids: Any,
                     pts: np.ndarray, weight: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Subtotals per (unit, 一级) and (unit, 二级), and the unit number of each subtotal row."""
    factorised = []
    for level, column in ((1, "level1"), (2, "level2")):
        codes, ids = pd.factorize(frame[column], use_na_sentinel=True)
        if (codes < 0).any():
            row = int(np.flatnonzero(codes < 0)[0]) + 1
            raise InputError(f"第 {row} 行缺少{level}级指标", f"row {row} has no level-{level} "
                             "parent", row=row, column=column)
        factorised.append((np.asarray(codes), pd.Index(ids)))
    (l1_codes, l1_ids), (l2_codes, l2_ids) = factorised
    # One set of categories for both levels keeps the code column cheap to build and to group.
    categories = l1_ids.append(l2_ids).drop_duplicates()
    levels = []
    for level, codes, ids in ((1, l1_codes, l1_ids), (2, l2_codes, l2_ids)):
        key = unit_codes.astype(np.int64) * len(ids) + codes
        group, keys = _group_index(key, len(unit_ids) * len(ids))
        n = len(keys)
        parent = np.full(n, -1, dtype=np.int64)
        if level == 2:
            parent = _parents(frame, key, group, keys, l1_codes, len(l1_ids))
            parent = categories.get_indexer(l1_ids)[parent]
        levels.append((level, group, keys, len(ids), categories.get_indexer(ids), parent))
    size = sum(len(k) for _, _, k, _, _, _ in levels)
    out = {"unit": np.empty(size, dtype=np.int64), "level": np.empty(size, dtype=np.int8),
           "code": np.empty(size, dtype=np.int64), "parent": np.empty(size, dtype=np.int64),
           "points": np.empty(size), "max": np.empty(size)}
    start = 0
    for level, group, keys, n_ids, to_category, parent in levels:
        part = slice(start, start + len(keys))
        out["unit"][part] = keys // n_ids
        out["level"][part] = level
        out["code"][part] = to_category[keys % n_ids]
        out["parent"][part] = parent
        out["points"][part] = _group_sum(group, pts, len(keys))
        out["max"][part] = _group_sum(group, weight, len(keys))
        start += len(keys)
    return pd.DataFrame({
        unit: pd.Index(unit_ids).take(out["unit"]),
        "level": out["level"],
        "code": pd.Categorical.from_codes(out["code"], categories=categories),
        "parent": pd.Categorical.from_codes(out["parent"], categories=categories),
        "points": out["points"],
        "max_points": out["max"],
    }), out["unit"]


def _check_framework(subtotals: pd.DataFrame, unit: str, weights: Mapping[str, float]) -> None:
    first = subtotals[subtotals["level"] == 1]
    expected = first["code"].map(lambda c: weights.get(c, np.nan)).to_numpy(dtype=float)
    off = ~(np.abs(first["max_points"].to_numpy() - expected) <= _TOLERANCE)
    if off.any():
        row = first[off].iloc[0]
        raise InputError(
            f"{row[unit]} 的一级指标“{row['code']}”权重为 {row['max_points']:g}，框架规定为 "
            f"{weights.get(row['code'], float('nan')):g}",
            f"{row[unit]}: level-1 {row['code']!r} weighs {row['max_points']:g}, the framework "
            f"says {weights.get(row['code'], float('nan')):g}", field="framework_weights")


def _graded(ids: Any, total_unrounded: np.ndarray, n_missing: np.ndarray, table: BandTable,
            veto: Iterable[Any] | None, veto_cap: str, veto_on_missing: bool
            ) -> dict[str, np.ndarray]:
    total = round_half_up(total_unrounded, 2)
    before = grade(total, table)
    vetoed = np.zeros(len(total), dtype=bool)
    if veto is not None:
        vetoed |= pd.Index(ids).isin(list(veto))
    if veto_on_missing:
        vetoed |= n_missing > 0
    final = cap_grades(before, veto_cap, table, where=vetoed) if vetoed.any() else before
    return {"total_unrounded": total_unrounded, "total": total, "grade_before_veto": before,
            "vetoed": vetoed, "grade": final}


def score_projects(
    rows: pd.DataFrame | Mapping[str, ArrayLike],
    budgets: pd.DataFrame | Mapping[str, ArrayLike] | None = None,
    *,
    library_version: str,
    weight_set: str,
    bands: str | BandTable = "national",
    budget_weight: float = 10.0,
    budget_full_ratio: float = 1.0,
    total_weight: float | None = 100.0,
    framework_weights: Mapping[str, float] | None = None,
    veto: Iterable[Any] | None = None,
    veto_cap: str = "中",
    veto_on_missing: bool = False,
    **rule_params: Any,
) -> ProjectScores:
    """Score, total and grade many projects from a long (project, indicator) table.

    Parameters
    ----------
    rows
        Columns ``project``, ``indicator`` (三级), ``level2`` (二级 parent), ``level1`` (一级),
        ``weight``, ``direction``, ``target``, ``actual``; optional ``qualitative_level`` and
        ``manual_score`` for 定性 indicators.
    budgets
        Columns ``project``, ``budget``, ``spent``, one row per project; needed when
        ``budget_weight`` > 0. A project without a row gets 0 budget points.
    library_version, weight_set
        Recorded with the result (e.g. ``"national-2021 v1.2.0"``, ``"default-10-50-30-10"``).
    bands
        Band table name or :class:`~scoring.grades.BandTable`.
    budget_weight, budget_full_ratio
        Budget-execution formula, see :func:`budget_execution_points`.
    total_weight
        What indicator weights plus ``budget_weight`` must add up to per project (None: no check).
    framework_weights
        Optional 一级 code → weight (e.g. 产出指标 50, 效益指标 30, 满意度指标 10) to check.
    veto
        Projects whose results are not demonstrated; their grade is capped at ``veto_cap``.
    veto_cap
        Best grade a vetoed project may get (default 中).
    veto_on_missing
        Also veto every project with a missing actual.
    **rule_params
        Passed to :func:`scoring.rules.score_indicators` (``trim_over``, ``trim_penalty``, …).

    Returns
    -------
    ProjectScores
        Totals, subtotals and indicator points, with what they were computed with.

    Raises
    ------
    InputError
        Missing columns, weights not adding up, a 二级 code under two 一级 codes, duplicate
        budget rows, or any error of the indicator rules.

    Notes
    -----
    Total = Σ indicator points + budget points, rounded half up to two decimals once, at the end,
    and graded on that rounded value (DOMAIN.md §3). A vetoed project keeps its score, and its
    grade is capped, as "Results Not Demonstrated" overrode the score in the US PART (OMB, 2004).

    Examples
    --------
    >>> rows = {"project": ["P1", "P1"], "indicator": ["数量", "满意度"],
    ...         "level2": ["数量指标", "服务对象满意度指标"], "level1": ["产出指标", "满意度指标"],
    ...         "weight": [60, 30], "direction": ["≥", "≥"], "target": [100, 90],
    ...         "actual": [90, 95]}
    >>> r = score_projects(rows, {"project": ["P1"], "budget": [100], "spent": [95]},
    ...                    library_version="demo v1", weight_set="demo")
    >>> r.totals[["total", "grade"]].values.tolist()
    [[93.5, '优']]
    """
    table = bands if isinstance(bands, BandTable) else load_bands(bands)
    frame = _frame(rows, ("project", *_TREE_COLUMNS), "指标行")
    tree = _score_tree(frame, "project", rule_params, total_weight, framework_weights,
                       budget_weight)
    ids, sums = tree["ids"], tree["sums"]
    n = len(ids)
    budget_pts = np.zeros(n)
    rate = np.full(n, np.nan)
    if budget_weight > 0:
        if budgets is None:
            raise InputError("预算执行率计分需要预算表（project、budget、spent）",
                             "budget execution needs a budgets table (project, budget, spent)",
                             field="budgets")
        money = _frame(budgets, ("project", "budget", "spent"), "预算")
        if money["project"].duplicated().any():
            dup = money.loc[money["project"].duplicated(), "project"].iloc[0]
            raise InputError(f"预算表中项目重复：{dup}", f"project {dup!r} appears twice in budgets",
                             column="project")
        at = pd.Index(money["project"]).get_indexer(ids)
        found = at >= 0
        b = np.where(found, money["budget"].to_numpy(dtype=float)[at], np.nan)
        s = np.where(found, money["spent"].to_numpy(dtype=float)[at], np.nan)
        budget_pts = budget_execution_points(b, s, weight=budget_weight,
                                             full_ratio=budget_full_ratio)
        rate = s / b
    graded = _graded(ids, sums["points"] + budget_pts, sums["n_missing"], table, veto, veto_cap,
                     veto_on_missing)
    totals = pd.DataFrame({
        "project": pd.Index(ids),
        "indicator_points": sums["points"],
        "budget_points": budget_pts,
        "execution_rate": rate,
        "max_points": sums["max_points"] + budget_weight,
        **graded,
        "n_missing": sums["n_missing"],
        "n_over_achievement": sums["n_over"],
    })
    return ProjectScores(
        totals=totals, subtotals=tree["subtotals"], indicators=tree["indicators"],
        library_version=library_version, weight_set=weight_set, band_table=table.name,
        band_version=table.version,
        rule_params={**tree["rule_params"], "budget_weight": budget_weight,
                     "budget_full_ratio": budget_full_ratio, "veto_cap": veto_cap,
                     "veto_on_missing": veto_on_missing, "rounding": "half up, 2 decimals, at total"},
    )
