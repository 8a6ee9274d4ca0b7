"""How much of each level's points a project earned: the decision matrix behind calibration.

A scored project has points and full points for each 一级 and 二级 indicator (its subtotals) and
for budget execution. Dividing points by full points gives the project's achievement share on
that heading, 0–1, comparable across projects whose own target tables differ. A projects ×
headings table of these shares is what objective weights (entropy, CRITIC) read and what
:func:`scoring.calibrate.fit_weights` and :mod:`scoring.sensitivity` weigh.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from indicators.errors import InputError

__all__ = ["BUDGET_HEADING", "level_shares"]

BUDGET_HEADING = "预算执行率"
"""The heading of budget execution, as the national target framework names it."""


def level_shares(subtotals: pd.DataFrame, budget_points: pd.Series | None = None, *,
                 budget_weight: float = 10.0, levels: Sequence[int] = (1,)) -> pd.DataFrame:
    """Projects × headings achievement shares from scored subtotals.

    Parameters
    ----------
    subtotals
        Columns ``project``, ``level``, ``code`` (the heading's name, e.g. 产出指标),
        ``points`` and ``max_points``, one row per project and heading, as
        :func:`scoring.report.level_subtotals` and a stored score run give them.
    budget_points
        Budget-execution points by project, or None to leave the heading out.
    budget_weight
        Full points of budget execution (the run's ``budget_weight``).
    levels
        Which levels' headings to keep (1 for 一级, 2 for 二级).

    Returns
    -------
    pandas.DataFrame
        Indexed by project; :data:`BUDGET_HEADING` first (when given), then the headings in
        the order they first appear; points over full points, NaN where a project has no such
        heading.

    Raises
    ------
    InputError
        Missing columns, or a non-positive budget weight.

    Notes
    -----
    An indicator's points are its weight times its achievement (DOMAIN.md §3), so a heading's
    share is the full-point-weighted mean achievement of its indicators. A heading that
    appears twice for a project (the same 二级 name under two 一级) adds its points and full
    points before dividing.

    Examples
    --------
    >>> sub = pd.DataFrame({"project": ["P1", "P1", "P2", "P2"], "level": [1, 1, 1, 1],
    ...                     "code": ["产出指标", "效益指标"] * 2,
    ...                     "points": [40.0, 15.0, 50.0, 30.0], "max_points": [50.0, 30.0] * 2})
    >>> level_shares(sub, pd.Series({"P1": 8.0, "P2": 10.0})).round(2).values.tolist()
    [[0.8, 0.8, 0.5], [1.0, 1.0, 1.0]]
    """
    needed = {"project", "level", "code", "points", "max_points"}
    missing = needed - set(subtotals.columns)
    if missing:
        raise InputError(f"小计表缺少列 {'、'.join(sorted(missing))}",
                         f"the subtotals lack column(s) {', '.join(sorted(missing))}",
                         field="subtotals")
    if not budget_weight > 0:
        raise InputError("预算执行满分须为正数", "the budget-execution weight must be positive",
                         field="budget_weight")
    kept = subtotals[subtotals["level"].isin(list(levels))]
    order = list(pd.unique(kept["code"].astype(str)))
    sums = kept.assign(code=kept["code"].astype(str)).groupby(
        ["project", "code"], sort=False)[["points", "max_points"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (sums["points"] / sums["max_points"]).where(sums["max_points"] > 0)
    table = share.unstack("code").reindex(columns=order)
    projects = list(pd.unique(subtotals["project"]))
    if budget_points is not None:
        projects = list(dict.fromkeys([*projects, *budget_points.index]))
        table = table.reindex(projects)
        table.insert(0, BUDGET_HEADING,
                     (budget_points.astype(float) / float(budget_weight)).reindex(projects))
    else:
        table = table.reindex(projects)
    table.columns.name = None
    return table.rename_axis("project")
