"""Department overall scoring (部门整体支出): the department framework, plus its projects by amount.

A department is scored on its own indicator framework (投入 / 过程 / 产出 / 效果, DOMAIN.md §2) with
the same tree kernel as projects (:mod:`scoring.project`), many departments at once; optionally
the amount-weighted mean of its projects' totals is blended in with a configured share.
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
from scoring.grades import BandTable, load_bands
from scoring.project import _TREE_COLUMNS, ProjectScores, _frame, _graded, _group_sum, _score_tree

__all__ = ["DepartmentScores", "score_departments"]


@dataclass(frozen=True)
class DepartmentScores:
    """Overall scores of many departments (部门整体支出).

    Attributes
    ----------
    totals
        One row per department: ``department``, ``framework_points``, ``project_points``
        (amount-weighted mean of its project totals, NaN without projects), ``project_amount``,
        ``n_projects``, ``project_share`` (share actually applied), ``total_unrounded``, ``total``,
        ``grade_before_veto``, ``vetoed``, ``grade``, ``n_missing``, ``n_over_achievement``.
    subtotals, indicators
        As in :class:`ProjectScores`, keyed by ``department``.
    library_version, weight_set, band_table, band_version, rule_params
        What the scores were computed with.
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


def score_departments(
    rows: pd.DataFrame | Mapping[str, ArrayLike],
    *,
    library_version: str,
    weight_set: str,
    projects: ProjectScores | None = None,
    links: pd.DataFrame | Mapping[str, ArrayLike] | None = None,
    project_share: float = 0.0,
    bands: str | BandTable = "national",
    total_weight: float | None = 100.0,
    framework_weights: Mapping[str, float] | None = None,
    veto: Iterable[Any] | None = None,
    veto_cap: str = "中",
    veto_on_missing: bool = False,
    **rule_params: Any,
) -> DepartmentScores:
    """Overall scores of many departments, optionally blending in their projects by amount.

    Parameters
    ----------
    rows
        Department-framework indicator rows: ``department`` and the tree columns of
        :func:`score_projects` (budget execution is an indicator of the framework here).
    library_version, weight_set
        Recorded with the result.
    projects
        Scored projects (:func:`score_projects`), needed when ``project_share`` > 0.
    links
        Columns ``department``, ``project``, ``amount`` (≥ 0): which projects a department ran.
    project_share
        Share of the total taken from the amount-weighted mean of the department's project
        totals, in [0, 1]; 0 scores the framework alone.
    bands, total_weight, framework_weights, veto, veto_cap, veto_on_missing, **rule_params
        As in :func:`score_projects`.

    Returns
    -------
    DepartmentScores
        Totals, subtotals and indicator points, with what they were computed with.

    Raises
    ------
    InputError
        Bad share, links to unknown departments or projects, negative amounts, or any error of
        :func:`score_projects`.

    Notes
    -----
    total = (1 − s) · F + s · Σ aᵢ Tᵢ / Σ aᵢ, with F the framework points, Tᵢ the unrounded total
    and aᵢ the amount of project i, and s = ``project_share``. A department without projects (or
    with zero amount) is scored on F alone and records a share of 0. Weighting project results by
    their amount follows the 部门整体支出 evaluation practice of 财预〔2020〕10号 (DOMAIN.md §2).

    Examples
    --------
    >>> rows = {"department": ["D1"], "indicator": ["履职"], "level2": ["职责履行"],
    ...         "level1": ["产出"], "weight": [100], "direction": ["≥"], "target": [1],
    ...         "actual": [0.8]}
    >>> score_departments(rows, library_version="v1", weight_set="w").totals["total"].tolist()
    [80.0]
    """
    if not 0.0 <= project_share <= 1.0:
        raise InputError("项目得分占比须在 0 到 1 之间", "project_share must lie in [0, 1]",
                         field="project_share")
    table = bands if isinstance(bands, BandTable) else load_bands(bands)
    frame = _frame(rows, ("department", *_TREE_COLUMNS), "指标行")
    tree = _score_tree(frame, "department", rule_params, total_weight, framework_weights, 0.0)
    ids, sums = tree["ids"], tree["sums"]
    n = len(ids)
    project_points = np.full(n, np.nan)
    amount_sum = np.zeros(n)
    n_projects = np.zeros(n, dtype=int)
    if project_share > 0:
        if projects is None or links is None:
            raise InputError("计入项目得分需要项目评分结果和部门—项目对应表",
                             "project_share > 0 needs projects and links", field="links")
        link = _frame(links, ("department", "project", "amount"), "部门项目对应")
        dept_at = pd.Index(ids).get_indexer(link["department"])
        proj_at = pd.Index(projects.totals["project"]).get_indexer(link["project"])
        amount = link["amount"].to_numpy(dtype=float)
        for bad, what, col in ((dept_at < 0, "部门", "department"), (proj_at < 0, "项目", "project")):
            if bad.any():
                row = int(np.flatnonzero(bad)[0]) + 1
                raise InputError(f"对应表第 {row} 行的{what}未评分：{link[col].iat[row - 1]}",
                                 f"links row {row}: unknown {col} {link[col].iat[row - 1]!r}",
                                 row=row, column=col)
        if not (amount >= 0).all():
            row = int(np.flatnonzero(~(amount >= 0))[0]) + 1
            raise InputError(f"对应表第 {row} 行金额无效", f"links row {row}: invalid amount",
                             row=row, column="amount")
        totals_p = projects.totals["total_unrounded"].to_numpy(dtype=float)[proj_at]
        amount_sum = _group_sum(dept_at, amount, n)
        n_projects = np.bincount(dept_at, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            project_points = _group_sum(dept_at, amount * totals_p, n) / amount_sum
    share = np.where(np.isfinite(project_points), project_share, 0.0)
    blended = (1.0 - share) * sums["points"] + share * np.nan_to_num(project_points)
    graded = _graded(ids, blended, sums["n_missing"], table, veto, veto_cap, veto_on_missing)
    totals = pd.DataFrame({
        "department": pd.Index(ids),
        "framework_points": sums["points"],
        "project_points": project_points,
        "project_amount": amount_sum,
        "n_projects": n_projects,
        "project_share": share,
        **graded,
        "n_missing": sums["n_missing"],
        "n_over_achievement": sums["n_over"],
    })
    return DepartmentScores(
        totals=totals, subtotals=tree["subtotals"], indicators=tree["indicators"],
        library_version=library_version, weight_set=weight_set, band_table=table.name,
        band_version=table.version,
        rule_params={**tree["rule_params"], "project_share": project_share, "veto_cap": veto_cap,
                     "veto_on_missing": veto_on_missing, "rounding": "half up, 2 decimals, at total",
                     "project_weighting": "amount"},
    )
