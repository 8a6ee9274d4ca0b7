"""The demo county as one budget year of the lifecycle, with the three tables it does not ship.

:func:`indicators.demo.load_demo_county` gives projects, targets, year-end actuals, spending at
the cut-off and at year end, and next year's requests. A lifecycle year also needs ex-ante
assessment sheets for the requests that trigger one, target progress at the cut-off month, and
each unit's facts on the department framework; the demo county has none of them, so this module
makes them, deterministically from a seed, and says how:

* **Assessment sheets**: each assessed request gets a quality drawn from Beta(8, 1.6) (most
  requests decent, some poor); each of the framework's points gets quality plus N(0, 0.12)
  noise, read as 达成 (≥ 0.8), 部分达成 (≥ 0.6) or 未达成.
* **Progress at the cut-off**: the year-end actual scaled by the share of the year's spending
  done by the cut-off month, for quantities; rates (%, ‰) as measured at year end, since a rate
  is not accumulated.
* **Department facts** (部门整体评价): every unit, townships included, gets a quality drawn from
  Beta(12, 1) (most departments good, a few weak); each leaf of the department framework gets
  attainment = quality + N(0, 0.06), read against the leaf's target: a ≥ rate of target × a
  (at most 100 %), a ≤ rate of target × (2 − a), the "三公经费" change (target ≤ 0) as
  (0.92 − a) × 40 %, a qualitative leaf 达成 (a ≥ 0.85), 部分达成 (≥ 0.65) or 未达成. Two units
  miss one fact each, as a unit whose survey was not done, to show the missing-fact veto.

These are demo data, not a model of real assessments or progress.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.demo import DemoCounty, load_demo_county
from indicators.errors import InputError
from indicators.frameworks import load_builtin
from scoring.lifecycle_config import LifecycleConfig
from scoring.lifecycle_io import from_headers
from scoring.year import CountyYear

__all__ = ["demo_exante_sheets", "demo_progress", "demo_department_facts", "demo_county_year"]

_DEMO_YEAR = 2021


def demo_exante_sheets(projects: pd.Series | list[str], *, framework: str = "national-exante",
                       seed: int = _DEMO_YEAR) -> pd.DataFrame:
    """Demo assessment sheets: one level per (project, assessment point), drawn from a seed.

    Parameters
    ----------
    projects
        Codes of the requests to assess.
    framework
        The ex-ante framework whose level-3 points are scored.
    seed
        Seed of the generator; the same seed and projects give the same sheets.

    Returns
    -------
    pandas.DataFrame
        ``project``, ``indicator``, ``level``.

    Notes
    -----
    Quality per project ~ Beta(8, 1.6); per point quality + N(0, 0.12), cut at 0.8 and 0.6 into
    达成 / 部分达成 / 未达成. Demo data only.

    Examples
    --------
    >>> sheets = demo_exante_sheets(["A", "B"])
    >>> len(sheets), set(sheets["level"]) <= {"达成", "部分达成", "未达成"}
    (40, True)
    """
    codes = [leaf.code for leaf in load_builtin(framework).leaves()]
    names = np.asarray(list(projects), dtype=object)
    rng = np.random.default_rng(seed)
    quality = rng.beta(8.0, 1.6, size=len(names))
    draw = quality[:, None] + rng.normal(0.0, 0.12, size=(len(names), len(codes)))
    level = np.select([draw >= 0.8, draw >= 0.6], ["达成", "部分达成"], default="未达成")
    return pd.DataFrame({"project": np.repeat(names, len(codes)),
                         "indicator": np.tile(codes, len(names)), "level": level.ravel()})


def demo_progress(targets: pd.DataFrame, actuals: pd.DataFrame, spending: pd.DataFrame,
                  month: int, *, rate_units: tuple[str, ...] = ("%", "％", "‰")) -> pd.DataFrame:
    """Demo target progress at ``month``: year-end actuals scaled by the spending done by then.

    Parameters
    ----------
    targets, actuals, spending
        English-column frames (see :class:`~scoring.year.CountyYear`); spending must hold ``month`` and 12.
    month
        The cut-off month.
    rate_units
        Units read as rates, which are taken as measured at year end.

    Returns
    -------
    pandas.DataFrame
        ``project``, ``indicator_code``, ``direction``, ``target``, ``unit``, ``weight``,
        ``actual`` (to date).

    Notes
    -----
    actual(m) = actual(12) × spent(m) / spent(12) for quantities. Demo data only.

    Examples
    --------
    >>> t = pd.DataFrame({"project": ["A"], "indicator_code": ["x"], "direction": ["≥"],
    ...                   "target": [100.0], "unit": ["人"], "weight": [10.0]})
    >>> a = pd.DataFrame({"project": ["A"], "indicator_code": ["x"], "actual": [90.0]})
    >>> s = pd.DataFrame({"project": ["A", "A"], "month": [9, 12], "spent": [60.0, 80.0]})
    >>> demo_progress(t, a, s, 9)["actual"].tolist()
    [67.5]
    """
    at = spending.pivot_table(index="project", columns="month", values="spent", aggfunc="last")
    if month not in at.columns or 12 not in at.columns:
        raise InputError(f"支出表缺少第 {month} 月或第 12 月的数据",
                         f"spending lacks month {month} or month 12", field="spending")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (at[month] / at[12]).clip(upper=1.0)
    rows = targets[["project", "indicator_code", "direction", "target", "unit", "weight"]].merge(
        actuals[["project", "indicator_code", "actual"]], on=["project", "indicator_code"],
        how="left")
    scale = share.reindex(rows["project"]).to_numpy(dtype=float)
    rate = rows["unit"].fillna("").astype(str).isin(rate_units).to_numpy()
    rows["actual"] = np.where(rate, rows["actual"], np.round(rows["actual"] * scale, 2))
    return rows


def demo_department_facts(units: pd.Series | list[str], *, framework: str = "national-department",
                          seed: int = _DEMO_YEAR) -> pd.DataFrame:
    """Demo facts of every unit on the department framework, drawn from a seed.

    Parameters
    ----------
    units
        The units (departments and townships) to give facts.
    framework
        The department framework whose leaves get a fact.
    seed
        Seed of the generator; the same seed and units give the same facts.

    Returns
    -------
    pandas.DataFrame
        ``department``, ``indicator_code``, ``actual`` (NaN for 定性 leaves), ``level``
        (None for quantitative leaves).

    Notes
    -----
    Quality per unit ~ Beta(12, 1); attainment a = quality + N(0, 0.06) per leaf; ≥ leaves
    get target × a capped at 100 for percentages, ≤ leaves target × (2 − a), a ≤ 0 leaf
    (0.92 − a) × 40, qualitative leaves 达成 / 部分达成 / 未达成 at a ≥ 0.85 / 0.65; two units
    lose one fact each. Demo data only.

    Examples
    --------
    >>> facts = demo_department_facts(["县教育局", "甲镇", "乙镇"])
    >>> facts["department"].nunique(), int(facts.groupby("department").size().max())
    (3, 29)
    """
    from scoring.year_departments import framework_targets

    leaves = framework_targets(load_builtin(framework))
    names = np.asarray(list(units), dtype=object)
    rng = np.random.default_rng(seed)
    quality = rng.beta(12.0, 1.0, size=len(names))
    a = quality[:, None] + rng.normal(0.0, 0.06, size=(len(names), len(leaves)))
    target = leaves["target"].to_numpy(dtype=float)[None, :]
    direction = leaves["direction"].to_numpy()[None, :]
    percent = (leaves["unit"] == "%").to_numpy()[None, :]
    higher = np.where(percent, np.minimum(target * a, np.maximum(target, 100.0)), target * a)
    actual = np.select([direction == "≥", (direction == "≤") & (target > 0), direction == "≤"],
                       [higher, target * (2.0 - a), (0.92 - a) * 40.0], default=np.nan)
    level = np.where(direction == "定性",
                     np.select([a >= 0.85, a >= 0.65], ["达成", "部分达成"], default="未达成"),
                     None)
    facts = pd.DataFrame({
        "department": np.repeat(names, len(leaves)),
        "indicator_code": np.tile(leaves["indicator_code"].to_numpy(), len(names)),
        "actual": np.round(actual, 1).ravel(), "level": level.ravel()})
    # Two units miss one fact each (a survey not done), drawn after everything else.
    gaps = rng.choice(len(names), size=min(2, len(names)), replace=False)
    drop = gaps * len(leaves) + rng.integers(0, len(leaves), size=len(gaps))
    return facts.drop(index=drop).reset_index(drop=True)


def demo_county_year(config: LifecycleConfig, *, county: DemoCounty | None = None,
                     month: int | None = None) -> CountyYear:
    """The demo county's 2021 as a :class:`~scoring.year.CountyYear`, with demo sheets and progress added.

    Parameters
    ----------
    config
        The lifecycle settings: the ex-ante triggers pick who gets a demo sheet, the cut-off
        month and rate units shape the progress.
    county
        The demo county (default: the shipped one).
    month
        Cut-off month (default: the settings').

    Returns
    -------
    CountyYear
        Tables with English columns.

    Notes
    -----
    See the module docstring for how the three added tables are made.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> data = demo_county_year(load_lifecycle_config())
    >>> data.year, len(data.projects), data.exante_sheets["project"].nunique() > 0
    (2021, 289, True)
    """
    from scoring.exante import exante_triggers

    county = county or load_demo_county()
    month = config.monitoring.cutoff_month if month is None else month
    projects = from_headers(county.projects, "projects")
    targets = from_headers(county.targets, "targets")
    actuals = from_headers(county.actuals, "actuals")
    spending = from_headers(county.spending, "spending")
    requests = from_headers(county.requests, "requests")
    triggered = exante_triggers(requests, config).triggered["project"]
    return CountyYear(
        year=int(projects["年度"].iloc[0]) if "年度" in projects else _DEMO_YEAR,
        projects=projects, targets=targets, actuals=actuals, spending=spending,
        requests=requests, exante_sheets=demo_exante_sheets(triggered,
                                                            framework=config.exante.framework),
        progress=demo_progress(targets, actuals, spending, month,
                               rate_units=config.monitoring.lights.rate_units),
        department_facts=demo_department_facts(county.departments["单位名称"],
                                               framework=config.departments.framework),
    )
