"""From the library's target tables to scored projects: the adapter between the two floors.

:mod:`indicators` holds projects and their target tables (:class:`~indicators.model.TargetTable`)
and the library version that says how each indicator is scored (``rule`` and ``rule_params``);
:mod:`scoring.project` scores a long (project, indicator) table. This module joins the two: it
flattens target tables into the kernel's long rows, attaches actuals and spending, reads the
rule parameters from the library version, and calls :func:`scoring.project.score_projects`
once for the whole county.

The library stores qualitative bands as percent of the weight (0–100, as a bureau writes them);
the kernel takes shares (0–1). :func:`band_shares` is the one place that converts them.

Actuals and spending come as frames with English column names (see :data:`ACTUAL_COLUMNS` and
:data:`SPENDING_COLUMNS`); :mod:`scoring.io` reads them from a bureau's workbook.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from indicators.model import LibraryVersion, TargetTable
from indicators.rule_params import check_rule_params
from scoring.grades import BandTable
from scoring.project import ProjectScores, score_projects
from scoring.rules import DEFAULT_QUALITATIVE_BANDS, score_indicators

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

# The kernels' own defaults, read from their signatures so they are stated in one place only.
_PROJECT_DEFAULTS = {name: p.default for name, p in
                     inspect.signature(score_projects).parameters.items()}
_RULE_DEFAULTS = {name: p.default for name, p in
                  inspect.signature(score_indicators).parameters.items()}


def band_shares(bands: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, float]]:
    """Qualitative bands as the library stores them (percent, 0–100) → shares of the weight (0–1).

    Parameters
    ----------
    bands
        Level → ``[low, high]`` in percent, as in a ``qualitative_bands`` rule's parameters.

    Returns
    -------
    dict
        Level → ``(low, high)`` as shares, what :func:`scoring.rules.score_indicators` takes.

    Raises
    ------
    InputError
        Bands that :func:`indicators.rule_params.check_rule_params` refuses (not a mapping,
        outside 0–100, low ≥ high, overlapping), or bands that all end at 1 or below (shares
        typed where percent belongs).

    Notes
    -----
    DOMAIN.md §3 writes the bands as percentages (达成 80–100 %, 部分达成 60–80 %, 未达成
    0–60 %); the kernel multiplies the weight by a share. Converting here and nowhere else keeps
    a band from being divided by 100 twice, or not at all.

    Examples
    --------
    >>> band_shares({"达成": [80, 100], "部分达成": [60, 80], "未达成": [0, 60]})
    {'达成': (0.8, 1.0), '部分达成': (0.6, 0.8), '未达成': (0.0, 0.6)}
    """
    problems = check_rule_params("qualitative_bands", {"bands": bands})
    if problems:
        _, zh, en = problems[0]
        raise InputError(zh, en, field="rule_params.bands")
    if max(float(high) for _, high in bands.values()) <= 1.0:
        # Bands of at most 1 % are shares typed where percent belongs, not a real rule.
        raise InputError("定性分档应以百分数（0–100）填写，如 达成: [80, 100]；现在看来是比例（0–1）",
                         "qualitative bands are stored as percent (0–100), e.g. 达成: [80, 100]; "
                         "these look like shares (0–1)", field="rule_params.bands")
    return {str(label): (float(low) / 100.0, float(high) / 100.0)
            for label, (low, high) in bands.items()}


@dataclass(frozen=True)
class RuleSettings:
    """The rule constants one scoring run uses, and where each came from.

    Attributes
    ----------
    qualitative_bands
        Level → (low, high) share of the weight for 定性 indicators.
    trim_over
        Over-achievement threshold as a ratio to the target ("≥" indicators are flagged there).
    budget_weight, budget_full_ratio
        Budget-execution points and the execution rate that earns them in full.
    sources
        Setting → where it came from: the library indicator codes that state it, or the kernel
        default.
    """

    qualitative_bands: Mapping[str, tuple[float, float]]
    trim_over: float
    budget_weight: float
    budget_full_ratio: float
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "qualitative_bands",
                           MappingProxyType(dict(self.qualitative_bands)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    def kernel_params(self) -> dict[str, Any]:
        """Keyword arguments of :func:`scoring.project.score_projects` these settings fix."""
        return {"qualitative_bands": dict(self.qualitative_bands), "trim_over": self.trim_over,
                "budget_weight": self.budget_weight,
                "budget_full_ratio": self.budget_full_ratio}


def _codes_text(codes: Iterable[str], limit: int = 5) -> str:
    codes = list(dict.fromkeys(codes))
    more = f" …（+{len(codes) - limit}）" if len(codes) > limit else ""
    return "、".join(codes[:limit]) + more


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


def _distinct(params: pd.Series) -> list[str]:
    return list(pd.unique(params))


def rule_settings(library: LibraryVersion, rows: pd.DataFrame) -> RuleSettings:
    """The rule constants of one scoring run, read from the library version.

    Parameters
    ----------
    library
        The library version (its ``budget_execution`` indicator sets the budget weight).
    rows
        The rows to score, from :func:`target_rows` (columns ``indicator``, ``direction``,
        ``rule``, ``rule_params``).

    Returns
    -------
    RuleSettings
        Bands as shares, over-achievement threshold, budget weight and full ratio, each with
        its source; what the library does not state is the kernel's default.

    Raises
    ------
    InputError
        The scored indicators state two different sets of qualitative bands or two thresholds
        (the kernel applies one set per run), or the library has two budget-execution
        indicators, or one without a weight.

    Notes
    -----
    A 定性 indicator scored by the ``default`` rule uses the kernel's bands (DOMAIN.md §3:
    80–100 / 60–80 / 0–60 %), so a library stating other bands for some 定性 indicators and
    none for others is refused rather than silently scored two ways. The budget-execution
    score is min(weight, weight × spent/budget / full_at) (DOMAIN.md §2).

    Examples
    --------
    >>> from indicators.frameworks import load_builtin
    >>> rows = pd.DataFrame({"indicator": ["CC0101"], "direction": ["≥"], "rule": ["default"],
    ...                      "rule_params": ["{}"]})
    >>> s = rule_settings(load_builtin("national-target"), rows)
    >>> s.budget_weight, s.trim_over, s.qualitative_bands["达成"]
    (10.0, 1.2, (0.8, 1.0))
    """
    sources: dict[str, str] = {}
    qualitative = (rows["direction"] == "定性").to_numpy()
    banded = qualitative & (rows["rule"] == "qualitative_bands").to_numpy()
    default_json = json.dumps({"bands": {k: [lo * 100, hi * 100] for k, (lo, hi)
                                         in DEFAULT_QUALITATIVE_BANDS.items()}},
                              ensure_ascii=False, sort_keys=True)
    effective = rows["rule_params"].where(banded, default_json)[qualitative]
    band_sets = _distinct(effective)
    bands = dict(_RULE_DEFAULTS["qualitative_bands"])
    sources["qualitative_bands"] = "kernel default (DOMAIN.md §3)"
    if len(band_sets) > 1:
        first = rows.loc[effective.index[effective == band_sets[0]], "indicator"]
        second = rows.loc[effective.index[effective == band_sets[1]], "indicator"]
        raise InputError(
            f"定性指标的分档不一致（{_codes_text(first)} 与 {_codes_text(second)}），一次评分只能用"
            "一套分档；请在指标库中统一分档",
            f"qualitative indicators state different bands ({_codes_text(first)} vs "
            f"{_codes_text(second)}); one run uses one set: make the library's bands agree",
            field="rule_params.bands")
    if banded.any():
        bands = band_shares(json.loads(band_sets[0])["bands"])
        sources["qualitative_bands"] = "library: " + _codes_text(rows.loc[banded, "indicator"])

    trimmed = (rows["rule"] == "trim_over").to_numpy()
    trim_over = float(_RULE_DEFAULTS["trim_over"])
    sources["trim_over"] = "kernel default (DOMAIN.md §3)"
    if trimmed.any():
        thresholds = pd.unique(rows.loc[trimmed, "rule_params"].map(
            lambda p: float(json.loads(p)["threshold"])))
        if len(thresholds) > 1:
            raise InputError(
                f"超额完成阈值不一致：{'、'.join(f'{x:g}' for x in thresholds)}，一次评分只能用一个",
                f"over-achievement thresholds differ: {', '.join(f'{x:g}' for x in thresholds)}; "
                "one run uses one", field="rule_params.threshold")
        trim_over = float(thresholds[0])
        sources["trim_over"] = "library: " + _codes_text(rows.loc[trimmed, "indicator"])

    budget = [ind for ind in library.indicators if ind.rule.strip().lower() == "budget_execution"]
    weight = float(_PROJECT_DEFAULTS["budget_weight"])
    full = float(_PROJECT_DEFAULTS["budget_full_ratio"])
    sources["budget_execution"] = "kernel default (DOMAIN.md §2)"
    if len(budget) > 1:
        raise InputError(f"指标库 {library.ref} 有多个预算执行率指标：{_codes_text(i.code for i in budget)}",
                         f"library {library.ref} has several budget-execution indicators: "
                         f"{_codes_text(i.code for i in budget)}", field="rule")
    if budget:
        ind = budget[0]
        if ind.weight is None:
            raise InputError(f"预算执行率指标 {ind.code} 没有权重",
                             f"budget-execution indicator {ind.code} has no weight",
                             field=f"{ind.code}.weight")
        weight = float(ind.weight)
        full = float(ind.rule_params.get("full_at", full))
        sources["budget_execution"] = f"library: {ind.code}"
    return RuleSettings(qualitative_bands=bands, trim_over=trim_over, budget_weight=weight,
                        budget_full_ratio=full, sources=sources)


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
    result = score_projects(
        rows, budgets, library_version=library.ref, weight_set=weight_set, bands=bands,
        veto=veto, veto_cap=veto_cap, veto_on_missing=veto_on_missing,
        **settings.kernel_params())
    return replace(result, rule_params={**result.rule_params,
                                        "rule_sources": dict(settings.sources)})
