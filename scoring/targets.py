"""From the library's target tables to scored projects: the adapter between the two floors.

:mod:`indicators` holds projects and their target tables (:class:`~indicators.model.TargetTable`)
and the library version that says how each indicator is scored (``rule`` and ``rule_params``);
:mod:`scoring.project` scores a long (project, indicator) table. This module joins the two: it
flattens target tables into the kernel's long rows, attaches actuals and spending, reads the
rule parameters from the library version, and calls :func:`scoring.project.score_projects`
once for the whole county.

What the library's rule names and parameters mean for the kernel — qualitative bands stored as
percent (0–100) and taken by the kernel as shares (0–1), the over-achievement threshold, the
budget-execution weight — is read in :mod:`scoring.library_rules`, the one place that converts
them; its names are offered here too.

Actuals and spending come as frames with English column names (see :data:`ACTUAL_COLUMNS` and
:data:`SPENDING_COLUMNS`); :mod:`scoring.io` reads them from a bureau's workbook.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from indicators.model import LibraryVersion, TargetTable
from scoring.grades import BandTable
from scoring.library_rules import RuleSettings, _codes_text, band_shares, rule_settings
from scoring.project import ProjectScores, score_projects
from scoring.rules import score_indicators

__all__ = [
    "ACTUAL_COLUMNS",
    "DEFAULT_WEIGHT_SET",
    "PROJECT_COLUMNS",
    "SPENDING_COLUMNS",
    "RuleSettings",
    "band_shares",
    "project_frame",
    "rule_settings",
    "score_target_tables",
    "spending_rows",
    "target_rows",
]

ACTUAL_COLUMNS: tuple[str, ...] = ("project", "indicator", "actual", "level", "manual_score")
"""Columns of an actuals frame: project code, indicator code, actual value, qualitative level
(达成 / 部分达成 / 未达成) and, optionally, the evaluator's points for a 定性 indicator."""

SPENDING_COLUMNS: tuple[str, ...] = ("project", "budget", "spent")
"""Columns of a spending frame: project code, budget (blank: the project's amount) and spent."""

PROJECT_COLUMNS: tuple[str, ...] = ("project", "name", "department", "budget_type", "amount",
                                    "year", "township", "is_key")
"""Columns of :func:`project_frame`."""

DEFAULT_WEIGHT_SET = "target-tables"
"""Weight-set name recorded when the weights are those written in each project's target table."""

def project_frame(tables: Sequence[TargetTable]) -> pd.DataFrame:
    """One row per project with what reports group by: department, budget type, amount.

    Parameters
    ----------
    tables
        Target tables.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROJECT_COLUMNS`, in the order of ``tables``.

    Notes
    -----
    The kernel keys projects by code only; this frame carries the rest of each project so
    results can be summarised by department and by budget type (四本预算, DOMAIN.md §1).

    Examples
    --------
    >>> from indicators.model import Project
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 1.5e6, 2022)
    >>> project_frame([TargetTable(p)])[["project", "budget_type"]].values.tolist()
    [['P1', '一般公共预算']]
    """
    projects = [t.project for t in tables]
    return pd.DataFrame({
        "project": [p.code for p in projects],
        "name": [p.name for p in projects],
        "department": [p.department for p in projects],
        "budget_type": [p.budget_type.value for p in projects],
        "amount": np.array([p.amount for p in projects], dtype=float),
        "year": np.array([p.year for p in projects], dtype=int),
        "township": [p.township for p in projects],
        "is_key": np.array([p.is_key for p in projects], dtype=bool),
    }, columns=list(PROJECT_COLUMNS))


def target_rows(tables: Sequence[TargetTable], library: LibraryVersion) -> pd.DataFrame:
    """The kernel's long rows: one per (project, target), with the library's rule for each.

    Parameters
    ----------
    tables
        Target tables of the projects to score; project codes must be unique.
    library
        The library version whose ``rule`` and ``rule_params`` score each indicator; a target
        whose code is not in it (a bureau's own indicator) is scored by the ``default`` rule.

    Returns
    -------
    pandas.DataFrame
        Columns ``project``, ``indicator`` (code), ``name``, ``level1``, ``level2``, ``weight``,
        ``direction``, ``target``, ``target_text``, ``unit``, ``rule``, ``rule_params`` (JSON
        text), in table order. ``ratio`` rows are scored by the "≥" formula; rows whose rule is
        ``budget_execution`` are left out (budget execution is scored from spending).

    Raises
    ------
    InputError
        No projects, a project code given twice, a project without targets, or a ``ratio``
        rule with a cap other than 1 (the kernel never gives more than the weight).

    Notes
    -----
    The library's rule names are those of :mod:`indicators.rule_params`. ``ratio`` is
    weight × actual/target capped at ``cap`` × weight; with the cap at 1 (its meaning when
    absent) that is exactly the "≥" rule of DOMAIN.md §3.

    Examples
    --------
    >>> from indicators.model import Project, Target
    >>> from indicators.frameworks import load_builtin
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 1.5e6, 2022)
    >>> t = Target("P1", "CC0101", "实际完成率", "产出指标", "数量指标", "≥", 90, 100.0)
    >>> target_rows([TargetTable(p, (t,))], load_builtin("national-target"))[
    ...     ["project", "indicator", "rule"]].values.tolist()
    [['P1', 'CC0101', 'default']]
    """
    if not tables:
        raise InputError("没有可评分的项目", "there are no projects to score", field="tables")
    codes = pd.Series([t.project.code for t in tables], dtype=object)
    if codes.duplicated().any():
        dup = _codes_text(codes[codes.duplicated()])
        raise InputError(f"项目编码重复：{dup}（请一次只评一个年度，如 --year 2021）",
                         f"project codes appear twice: {dup} (score one year at a time, "
                         "e.g. --year 2021)", field="project")
    empty = [t.project.code for t in tables if not t.targets]
    if empty:
        raise InputError(f"以下项目没有绩效目标，无法评分：{_codes_text(empty)}",
                         f"these projects have no targets and cannot be scored: "
                         f"{_codes_text(empty)}", field="targets")
    targets = [t for table in tables for t in table.targets]
    frame = pd.DataFrame({
        "project": [t.project_code for t in targets],
        "indicator": [t.indicator_code for t in targets],
        "name": [t.name for t in targets],
        "level1": [t.level1 for t in targets],
        "level2": [t.level2 for t in targets],
        "weight": np.array([t.weight for t in targets], dtype=float),
        "direction": [t.direction.value for t in targets],
        "target": np.array([np.nan if t.target_value is None else t.target_value
                            for t in targets], dtype=float),
        "target_text": [t.target_text for t in targets],
        "unit": [t.unit for t in targets],
    })
    # Look the rule up once per library indicator, then map codes onto it.
    rule_of = {ind.code: (ind.rule.strip().lower() or "default") for ind in library.indicators}
    params_of = {ind.code: json.dumps(dict(ind.rule_params), ensure_ascii=False, sort_keys=True)
                 for ind in library.indicators}
    frame["rule"] = frame["indicator"].map(rule_of).fillna("default").astype(object)
    frame["rule_params"] = frame["indicator"].map(params_of).fillna("{}").astype(object)
    ratio = (frame["rule"] == "ratio").to_numpy()
    if ratio.any():
        caps = frame.loc[ratio, "rule_params"].map(lambda p: json.loads(p).get("cap", 1.0))
        bad = caps.astype(float) != 1.0
        if bad.any():
            which = _codes_text(frame.loc[caps.index[bad], "indicator"])
            raise InputError(
                f"指标 {which} 的 ratio 规则上限不是 1：得分不能超过权重，也不应永远低于满分",
                f"indicators {which} use the ratio rule with a cap other than 1: points can "
                "neither exceed the weight nor be kept below full marks", field="rule_params.cap")
        frame.loc[ratio, "direction"] = "≥"
    keep = (frame["rule"] != "budget_execution").to_numpy()
    return frame.loc[keep].reset_index(drop=True)


def _with_actuals(rows: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    lacking = [c for c in ACTUAL_COLUMNS[:2] if c not in actuals.columns]
    if lacking:
        raise InputError(f"实际值表缺少列：{'、'.join(lacking)}",
                         f"the actuals table lacks columns: {', '.join(lacking)}",
                         column=lacking[0])
    given = actuals.reindex(columns=list(ACTUAL_COLUMNS)).astype(
        {"project": object, "indicator": object, "level": object})
    key = given["project"].astype(str) + "\x00" + given["indicator"].astype(str)
    if key.duplicated().any():
        row = int(np.flatnonzero(key.duplicated().to_numpy())[0])
        raise InputError(
            f"实际值重复：项目 {given['project'].iat[row]} 指标 {given['indicator'].iat[row]}",
            f"actual given twice: project {given['project'].iat[row]}, indicator "
            f"{given['indicator'].iat[row]}", field="actuals")
    wanted = rows["project"].astype(str) + "\x00" + rows["indicator"].astype(str)
    stray = ~key.isin(wanted)
    if stray.any():
        row = int(np.flatnonzero(stray.to_numpy())[0])
        raise InputError(
            f"实际值对应的目标不存在：项目 {given['project'].iat[row]} 指标 "
            f"{given['indicator'].iat[row]}",
            f"an actual has no target: project {given['project'].iat[row]}, indicator "
            f"{given['indicator'].iat[row]}", field="actuals")
    at = pd.Index(key).get_indexer(wanted)
    found = at >= 0
    out = rows.copy()
    out["actual"] = np.where(found, pd.to_numeric(given["actual"]).to_numpy(dtype=float)[at],
                             np.nan)
    levels = given["level"].to_numpy(dtype=object)[at]
    out["qualitative_level"] = np.where(found & pd.notna(levels), levels, None)
    out["manual_score"] = np.where(
        found, pd.to_numeric(given["manual_score"]).to_numpy(dtype=float)[at], np.nan)
    return out


def _manual_score_error(rows: pd.DataFrame, settings: RuleSettings,
                        err: InputError) -> InputError:
    """The kernel's manual-score error, naming the project and indicator instead of a position.

    Only on the error path: the rows with a manual score (a handful) are scored one at a time
    until the one the kernel refused is found.
    """
    given = rows.index[rows["manual_score"].notna().to_numpy()]
    params = settings.kernel_params()
    for i in given:
        row = rows.loc[i]
        try:
            score_indicators(row["direction"], row["target"], row["actual"], row["weight"],
                             level=[row["qualitative_level"]], manual_score=row["manual_score"],
                             qualitative_bands=params["qualitative_bands"],
                             trim_over=params["trim_over"])
        except InputError as found:
            return InputError(f"项目 {row['project']} 指标 {row['indicator']}：{found.zh}",
                              f"project {row['project']}, indicator {row['indicator']}: "
                              f"{found.en}", field="manual_score")
    return err


def spending_rows(tables: Sequence[TargetTable], spending: pd.DataFrame) -> pd.DataFrame:
    """The kernel's budget table: ``project``, ``budget``, ``spent``, one row per given project.

    Parameters
    ----------
    tables
        Target tables (a blank budget falls back to the project's amount).
    spending
        Columns :data:`SPENDING_COLUMNS`; ``budget`` may be absent or blank.

    Returns
    -------
    pandas.DataFrame
        Budget and spent per project. A project without a row gets 0 budget points.

    Raises
    ------
    InputError
        A project twice, or a project that is not among ``tables``.

    Notes
    -----
    The execution rate is spent / budget; the budget is the year's adjusted budget a bureau
    reports, and the approved project amount when it reports none.

    Examples
    --------
    >>> from indicators.model import Project
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 200.0, 2022)
    >>> spending_rows([TargetTable(p)], pd.DataFrame({"project": ["P1"], "spent": [150.0]})
    ...               ).values.tolist()
    [['P1', 200.0, 150.0]]
    """
    for column in ("project", "spent"):
        if column not in spending.columns:
            raise InputError(f"预算执行表缺少列：{column}", f"the spending table lacks column "
                             f"{column!r}", column=column)
    given = spending.reindex(columns=list(SPENDING_COLUMNS)).reset_index(drop=True)
    codes = given["project"].astype(str)
    if codes.duplicated().any():
        row = int(np.flatnonzero(codes.duplicated().to_numpy())[0])
        raise InputError(f"预算执行表中项目重复：{codes.iat[row]}",
                         f"project {codes.iat[row]} appears twice in the spending table",
                         field="spending")
    projects = project_frame(tables)
    at = pd.Index(projects["project"]).get_indexer(codes)
    if (at < 0).any():
        row = int(np.flatnonzero(at < 0)[0])
        raise InputError(f"预算执行表中的项目不在目标表中：{codes.iat[row]}",
                         f"project {codes.iat[row]} of the spending table has no target table",
                         field="spending")
    budget = pd.to_numeric(given["budget"]).to_numpy(dtype=float)
    budget = np.where(np.isnan(budget), projects["amount"].to_numpy()[at], budget)
    return pd.DataFrame({"project": codes.to_numpy(dtype=object), "budget": budget,
                         "spent": pd.to_numeric(given["spent"]).to_numpy(dtype=float)})


def score_target_tables(
    tables: Sequence[TargetTable],
    library: LibraryVersion,
    *,
    actuals: pd.DataFrame,
    spending: pd.DataFrame,
    bands: str | BandTable = "national",
    weight_set: str = DEFAULT_WEIGHT_SET,
    veto: Iterable[Any] | None = None,
    veto_cap: str = "中",
    veto_on_missing: bool = False,
) -> ProjectScores:
    """Score and grade every project of the target tables, with the library's rules.

    Parameters
    ----------
    tables
        The projects and their targets (one budget year; codes unique).
    library
        The library version recorded with the result; its rules score the indicators.
    actuals
        Columns :data:`ACTUAL_COLUMNS`; one row per (project, indicator) at most. A target
        without an actual scores 0 and is flagged.
    spending
        Columns :data:`SPENDING_COLUMNS`.
    bands
        Band table name or :class:`~scoring.grades.BandTable`.
    weight_set
        The name recorded for the weights used (default: the target tables' own).
    veto, veto_cap, veto_on_missing
        As in :func:`scoring.project.score_projects`.

    Returns
    -------
    ProjectScores
        The kernel's result; ``rule_params["rule_sources"]`` says where each constant came from.

    Raises
    ------
    InputError
        Any problem of :func:`target_rows`, :func:`rule_settings`, the actuals or spending, or
        of the kernel (weights not adding up to 100 with the budget weight, a manual score
        outside its band, …).

    Notes
    -----
    One call of the vectorised kernel for all projects: points per indicator by the rules of
    DOMAIN.md §3, sums up the tree, plus min(w, w × spent/budget) for budget execution,
    rounded half up to two decimals at the total and graded (财预〔2020〕10号).

    Examples
    --------
    >>> from indicators.model import Project, Target
    >>> from indicators.frameworks import load_builtin
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 100.0, 2022)
    >>> t = (Target("P1", "A", "养护里程", "产出指标", "数量指标", "≥", 60, 100.0),
    ...      Target("P1", "B", "群众满意度", "满意度指标", "服务对象满意度指标", "定性", 30))
    >>> r = score_target_tables(
    ...     [TargetTable(p, t)], load_builtin("national-target"),
    ...     actuals=pd.DataFrame({"project": ["P1", "P1"], "indicator": ["A", "B"],
    ...                           "actual": [90.0, None], "level": [None, "达成"]}),
    ...     spending=pd.DataFrame({"project": ["P1"], "spent": [80.0]}))
    >>> r.totals[["total", "grade"]].values.tolist()
    [[89.0, '良']]
    """
    rows = target_rows(tables, library)
    settings = rule_settings(library, rows)
    rows = _with_actuals(rows, actuals)
    budgets = spending_rows(tables, spending)
    try:
        result = score_projects(
            rows, budgets, library_version=library.ref, weight_set=weight_set, bands=bands,
            veto=veto, veto_cap=veto_cap, veto_on_missing=veto_on_missing,
            **settings.kernel_params())
    except InputError as err:
        if err.location.field == "manual_score":
            raise _manual_score_error(rows, settings, err) from err
        raise
    return replace(result, rule_params={**result.rule_params,
                                        "rule_sources": dict(settings.sources)})
