"""Mid-year monitoring (双监控): budget execution and target progress at a cut-off month.

:func:`monitor` reads cumulative spending and target progress at the configured month for many
projects at once, computes the execution ratio against time progress and the target progress,
lights each project by the configured rule set — the local traffic lights or the Sichuan-style
warnings — and classifies it as 整改纠偏 (deviation or management gaps), 督促加快 (lagging
execution) or 调整调减 (major deviation: cut), with a suggested cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.lifecycle_config import LifecycleConfig, MonitoringConfig
from scoring.money import round_money
from scoring.rules import direction_codes

__all__ = ["LIGHTS", "CLASSES", "MonitoringResult", "traffic_light", "sichuan_checkpoint",
           "monitor"]

LIGHTS: tuple[str, ...] = ("红灯", "黄灯", "绿灯")
"""Light labels, worst first; a project without data has the empty label."""
CLASSES: tuple[str, ...] = ("调整调减", "督促加快", "整改纠偏", "正常")
"""Classification labels, most serious first (DOMAIN.md §1)."""

_GE = 0


@dataclass(frozen=True)
class MonitoringResult:
    """Monitoring of many projects at one cut-off month.

    Attributes
    ----------
    projects
        One row per project: ``project``, ``budget``, ``spent``, ``spending_missing``,
        ``time_percent``, ``execution_percent``, ``execution_ratio``, ``target_progress``,
        ``attainment_percent``, ``n_indicators``, ``over_achievement``, ``execution_light``,
        ``target_light``, ``light``, ``checkpoint`` (Sichuan floor in force, %),
        ``warning_execution``, ``warning_gap``, ``classification``, ``suggested_cut``.
    indicators
        The progress rows used, with ``progress`` (time-scaled, %), ``completion`` (of the
        annual target, %), ``rate`` (compared with the full target) and ``over_achievement``.
    month, rule_set, config
        Cut-off month, rule set (``lights`` or ``sichuan``) and the settings' ``name@version``.
    constants
        Thresholds used.
    """

    projects: pd.DataFrame
    indicators: pd.DataFrame
    month: int
    rule_set: str
    config: str
    constants: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "constants", MappingProxyType(dict(self.constants)))


def traffic_light(value: Any, red_below: float, green_from: float) -> np.ndarray:
    """The light of many percentages: red below ``red_below``, green from ``green_from``.

    Parameters
    ----------
    value
        Percentages (execution ratio or target progress); NaN has no light.
    red_below, green_from
        The two boundaries; a value equal to ``red_below`` is yellow, equal to ``green_from``
        green.

    Returns
    -------
    numpy.ndarray
        Object array of 红灯 / 黄灯 / 绿灯 ("" for NaN).

    Notes
    -----
    Local light rule (DOMAIN.md §1): < 60 red, 60–80 yellow, ≥ 80 green.

    Examples
    --------
    >>> traffic_light([59.99, 60, 79.99, 80, float("nan")], 60, 80).tolist()
    ['红灯', '黄灯', '黄灯', '绿灯', '']
    """
    x = np.asarray(value, dtype=float)
    return np.select([x < red_below, x < green_from, x >= green_from], list(LIGHTS),
                     default="").astype(object)


def sichuan_checkpoint(month: int, checkpoints: Mapping[int, float]) -> float:
    """The execution floor (%) in force at ``month``: that of the latest checkpoint month ≤ it.

    Parameters
    ----------
    month
        Cut-off month, 1–12.
    checkpoints
        Month → minimum execution percent (default 4 → 25, 6 → 40, 8 → 60, 10 → 80).

    Returns
    -------
    float
        The floor, or NaN before the first checkpoint.

    Notes
    -----
    Sichuan-style warning (DOMAIN.md §1): execution below 25/40/60/80 % at the end of
    April/June/August/October.

    Examples
    --------
    >>> points = {4: 25, 6: 40, 8: 60, 10: 80}
    >>> [sichuan_checkpoint(m, points) for m in (3, 4, 9, 10, 12)]
    [nan, 25.0, 60.0, 80.0, 80.0]
    """
    due = [m for m in checkpoints if m <= month]
    return float(checkpoints[max(due)]) if due else float("nan")


def _settings(config: MonitoringConfig | LifecycleConfig) -> tuple[MonitoringConfig, str, float]:
    if isinstance(config, LifecycleConfig):
        return config.monitoring, config.ref, config.round_to
    return config, "custom", 100.0


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: tuple[str, str]) -> None:
    lacking = [k for k in columns if k not in frame]
    if lacking:
        raise InputError(f"{what[0]}缺少列：{'、'.join(lacking)}",
                         f"the {what[1]} table lacks columns: {', '.join(lacking)}",
                         column=lacking[0])


def _spent_at(budgets: pd.DataFrame, spending: pd.DataFrame, month: int) -> tuple[np.ndarray,
                                                                                    np.ndarray]:
    _require(spending, ("project", "spent"), ("支出表", "spending"))
    rows = spending
    if "month" in spending:
        rows = spending.loc[pd.to_numeric(spending["month"], errors="coerce") == month]
    twice = rows["project"].duplicated()
    if twice.any():
        raise InputError(f"项目 {rows.loc[twice, 'project'].iloc[0]} 在第 {month} 月有两条支出",
                         f"project {rows.loc[twice, 'project'].iloc[0]!r} has two spending rows "
                         f"for month {month}", column="project")
    spent = pd.to_numeric(rows["spent"], errors="coerce")
    bad = rows["spent"].notna() & ~np.isfinite(spent) | (spent < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"项目 {rows['project'].iat[i]} 的累计支出不是非负数字：{rows['spent'].iat[i]!r}",
                         f"project {rows['project'].iat[i]!r}: spending is not a non-negative "
                         f"number: {rows['spent'].iat[i]!r}", column="spent")
    found = pd.Series(spent.to_numpy(), index=rows["project"]).reindex(budgets["project"])
    missing = found.isna().to_numpy()
    return np.where(missing, 0.0, found.to_numpy(dtype=float)), missing


def _progress(progress: pd.DataFrame | None, budgets: pd.DataFrame, month: int,
              c: MonitoringConfig) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = len(budgets)
    empty = {"target_progress": np.full(n, np.nan), "attainment_percent": np.full(n, np.nan),
             "n_indicators": np.zeros(n, dtype=int), "over_achievement": np.zeros(n, dtype=bool)}
    if progress is None or progress.empty:
        return pd.DataFrame(), empty
    _require(progress, ("project", "direction", "target", "actual"), ("目标进度表", "progress"))
    rows = progress.reset_index(drop=True).copy()
    code = direction_codes(rows["direction"])
    target = pd.to_numeric(rows["target"], errors="coerce").to_numpy(dtype=float)
    actual = pd.to_numeric(rows["actual"], errors="coerce").to_numpy(dtype=float)
    weight = (pd.to_numeric(rows["weight"], errors="coerce").to_numpy(dtype=float)
              if "weight" in rows else np.ones(len(rows)))
    unit = rows["unit"].fillna("").astype(str).str.strip() if "unit" in rows else ""
    rate = np.asarray(pd.Series(unit, index=rows.index).isin(c.lights.rate_units))
    # Only "≥" quantities accumulate over the year; other directions are not time-scaled.
    used = (code == _GE) & (target > 0) & np.isfinite(actual) & (weight > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        completion = np.round(np.where(used, actual * 100.0 / target, np.nan), 9)
        scaled = np.where(rate, completion, actual * 1200.0 / (target * month))
        rows["progress"] = np.round(np.where(used, scaled, np.nan), 9)
    rows["completion"] = completion
    rows["rate"] = rate
    rows["over_achievement"] = used & (actual >= c.lights.over_achievement * target * (1 - 1e-9))
    rows["used"] = used
    at = pd.Index(budgets["project"]).get_indexer(rows["project"])
    keep = used & (at >= 0)
    w = np.where(keep, weight, 0.0)
    cap = c.lights.attainment_cap
    sums = {
        "w": np.bincount(at[keep], weights=w[keep], minlength=n),
        "progress": np.bincount(at[keep], weights=(w * np.minimum(rows["progress"], cap))[keep],
                                minlength=n),
        "completion": np.bincount(at[keep], weights=(w * np.minimum(completion, cap))[keep],
                                  minlength=n),
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "target_progress": np.where(sums["w"] > 0, sums["progress"] / sums["w"], np.nan),
            "attainment_percent": np.where(sums["w"] > 0, sums["completion"] / sums["w"], np.nan),
            "n_indicators": np.bincount(at[keep], minlength=n),
            "over_achievement": np.bincount(at[keep & rows["over_achievement"].to_numpy()],
                                            minlength=n) > 0,
        }
    return rows, out


def monitor(
    budgets: pd.DataFrame,
    spending: pd.DataFrame,
    config: MonitoringConfig | LifecycleConfig,
    *,
    progress: pd.DataFrame | None = None,
    month: int | None = None,
    rule_set: str | None = None,
    round_to: float | None = None,
) -> MonitoringResult:
    """Monitor budget execution and target progress of many projects at a cut-off month.

    Parameters
    ----------
    budgets
        ``project`` and ``budget`` (yuan, positive), one row per project.
    spending
        ``project``, ``spent`` (cumulative yuan) and optionally ``month``; rows of other months
        are ignored. A project without a row is counted as spending nothing and marked.
    config
        The lifecycle settings (or their ``monitoring`` part).
    progress
        Optional target progress to date: ``project``, ``direction``, ``target`` (annual),
        ``actual`` (to date), optionally ``unit`` and ``weight``.
    month
        Cut-off month (default: the settings').
    rule_set
        ``"lights"`` or ``"sichuan"`` (default: the settings').
    round_to
        Suggested cuts are rounded half up to this many yuan.

    Returns
    -------
    MonitoringResult
        One row per project with ratios, lights, warnings, classification and suggested cut.

    Raises
    ------
    InputError
        A missing column, a non-positive budget, a month outside 1–12, two spending rows for one
        project, or negative spending.

    Notes
    -----
    With month :math:`m`: execution ratio :math:`= (s/b)/(m/12) \\times 100`; target progress of
    a "≥" indicator :math:`= a/(t \\cdot m/12) \\times 100`, or :math:`a/t \\times 100` for a rate
    (unit in ``rate_units``, a jixiao choice: a 95 % pass rate is not due at 71 % in September);
    a project's progress is the weighted mean of its indicators capped at ``attainment_cap``;
    :math:`a \\ge 1.2\\,t` flags over-achievement. Lights: < 60 red, 60–80 yellow, ≥ 80 green
    (local rule, DOMAIN.md §1). Sichuan set: execution :math:`s/b` below the floor of the latest
    checkpoint (25/40/60/80 % at the end of April/June/August/October), or completion of the
    annual targets differing from execution by more than ``gap_points``. Classification, first
    match: 调整调减 when the execution ratio is below ``severe_execution_ratio`` or, under the
    lights, both lights are red (Sichuan warnings are yes/no and do not say how far behind a
    project is, so they alone never cut); 督促加快 when execution lags; 整改纠偏 when targets
    deviate or are over-achieved; else 正常. Suggested cut for 调整调减: ``cut_share`` of the balance that the
    current pace leaves at year end, :math:`\\max(0, b - 12 s/m)`.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> budgets = pd.DataFrame({"project": ["A", "B", "C"], "budget": [1e6, 1e6, 1e6]})
    >>> spending = pd.DataFrame({"project": ["A", "B", "C"], "spent": [6e5, 4.5e5, 2e5]})
    >>> r = monitor(budgets, spending, load_lifecycle_config(), month=9)
    >>> r.projects[["execution_ratio", "execution_light", "classification", "suggested_cut"]
    ...           ].round(2).values.tolist()
    [[80.0, '绿灯', '正常', 0.0], [60.0, '黄灯', '督促加快', 0.0], [26.67, '红灯', '调整调减', 366700.0]]
    """
    c, ref, unit = _settings(config)
    unit = round_to or unit
    month = c.cutoff_month if month is None else month
    rule_set = rule_set or c.rule_set
    if isinstance(month, bool) or month not in range(1, 13):
        raise InputError("监控月份应为 1–12 的整数", "the cut-off month must be 1–12", field="month")
    if rule_set not in ("lights", "sichuan"):
        raise InputError("监控规则应为 lights 或 sichuan", "the rule set must be lights or sichuan",
                         field="rule_set")
    _require(budgets, ("project", "budget"), ("预算表", "budgets"))
    books = budgets.reset_index(drop=True)
    budget = pd.to_numeric(books["budget"], errors="coerce").to_numpy(dtype=float)
    if not (budget > 0).all():
        i = int(np.flatnonzero(~(budget > 0))[0])
        raise InputError(f"第 {i + 1} 行预算数不是正数：{books['budget'].iat[i]!r}",
                         f"row {i + 1}: the budget is not positive: {books['budget'].iat[i]!r}",
                         row=i + 1, column="budget")
    spent, missing = _spent_at(books, spending, month)
    indicators, prog = _progress(progress, books, month, c)
    time_percent = month / 12.0 * 100.0
    # Rounded at 1e-9 so that a boundary typed exactly (60 %, 80 %) is not lost to binary noise.
    execution_percent = np.round(spent * 100.0 / budget, 9)
    ratio = np.round(spent * 1200.0 / (budget * month), 9)
    lights = c.lights
    execution_light = traffic_light(ratio, lights.red_below, lights.green_from)
    target_light = traffic_light(prog["target_progress"], lights.red_below, lights.green_from)
    floor = sichuan_checkpoint(month, c.sichuan.checkpoints)
    warning_execution = execution_percent < floor if np.isfinite(floor) else np.zeros(
        len(books), dtype=bool)
    with np.errstate(invalid="ignore"):
        warning_gap = np.abs(prog["attainment_percent"] - execution_percent) > c.sichuan.gap_points
    over = prog["over_achievement"]
    if rule_set == "lights":
        lagging = execution_light != "绿灯"
        deviating = np.isin(target_light, ["红灯", "黄灯"]) | over
        both = (execution_light == "红灯") & (target_light == "红灯")
    else:
        lagging = warning_execution
        deviating = warning_gap | over
        both = np.zeros(len(books), dtype=bool)
    severe = (ratio < c.severe_execution_ratio) | both
    classification = np.select([severe, lagging, deviating], list(CLASSES[:3]),
                               default=CLASSES[3]).astype(object)
    balance = np.maximum(0.0, budget - spent * 12.0 / month)
    cut = np.where(severe, round_money(balance * c.cut_share, unit), 0.0)
    rank = {label: i for i, label in enumerate(LIGHTS)}
    worst = np.minimum(pd.Series(execution_light).map(rank).fillna(3).to_numpy(),
                       pd.Series(target_light).map(rank).fillna(3).to_numpy()).astype(int)
    out = pd.DataFrame({
        "project": books["project"], "budget": budget, "spent": spent,
        "spending_missing": missing, "time_percent": time_percent,
        "execution_percent": execution_percent, "execution_ratio": ratio,
        "target_progress": prog["target_progress"],
        "attainment_percent": prog["attainment_percent"],
        "n_indicators": prog["n_indicators"], "over_achievement": over,
        "execution_light": execution_light, "target_light": target_light,
        "light": np.asarray([*LIGHTS, ""], dtype=object)[worst],
        "checkpoint": floor, "warning_execution": warning_execution, "warning_gap": warning_gap,
        "classification": classification, "suggested_cut": cut,
    })
    return MonitoringResult(
        projects=out, indicators=indicators, month=int(month), rule_set=rule_set, config=ref,
        constants={"red_below": lights.red_below, "green_from": lights.green_from,
                   "over_achievement": lights.over_achievement,
                   "attainment_cap": lights.attainment_cap, "rate_units": lights.rate_units,
                   "checkpoints": dict(c.sichuan.checkpoints), "gap_points": c.sichuan.gap_points,
                   "severe_execution_ratio": c.severe_execution_ratio, "cut_share": c.cut_share,
                   "round_to": unit},
    )
