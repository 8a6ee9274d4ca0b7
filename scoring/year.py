"""A whole budget year of the closed loop (全过程), run on a county's tables.

:func:`run_year` chains the stages on one :class:`CountyYear`:
ex-ante assessment of next year's requests, target review of this year's target tables,
monitoring at the cut-off month, self-evaluation of every project in scope with the
self-evaluation framework (预算执行率 10, 产出 50, 效益 30, 满意度 10) through the project
scoring kernel, the department-evaluation sample and key-evaluation list, the department overall
evaluation (部门整体评价, :mod:`scoring.year_departments`), result application and the public
tables. The year's summary is generated from those results in the words of the
reference county's annual report, never typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from indicators.frameworks import load_builtin
from indicators.model import LibraryVersion
from scoring.application import (
    ApplicationResult,
    apply_results,
    department_sample,
    key_evaluation_list,
    self_evaluation_scope,
)
from scoring.disclosure import DisclosureTables, disclosure_tables
from scoring.exante import ExanteAssessment, ExanteTriggers, exante_triggers, score_exante
from scoring.grades import grade
from scoring.lifecycle_config import LifecycleConfig
from scoring.monitoring import MonitoringResult, monitor
from scoring.project import ProjectScores, score_projects
from scoring.target_review import TargetReview, review_targets
from scoring.year_decisions import (
    decide_application,
    decide_exante,
    decide_monitoring,
    decide_review,
    decision_ledger,
    dismissed_findings,
)
from scoring.year_departments import YearDepartments, score_year_departments
from scoring.year_summary import coverage_table, grades_by_department, summarise

__all__ = ["CountyYear", "YearResult", "framework_weights", "key_grades", "next_year_codes",
           "self_evaluation_rows", "run_year"]


@dataclass(frozen=True)
class CountyYear:
    """One county's tables for a budget year, with the kernels' English columns.

    Attributes
    ----------
    year
        The budget year (requests are for ``year + 1``).
    projects
        ``project``, ``name``, ``department``, ``budget_type``, ``amount``, ``is_key``.
    targets
        ``project``, ``indicator_code``, ``name``, ``level1``, ``level2``, ``direction``,
        ``target``, ``unit``, ``weight`` (``target_text`` and ``library_ref`` optional).
    actuals
        ``project``, ``indicator_code``, ``actual``, ``level`` at year end.
    spending
        ``project``, ``month``, ``spent`` (cumulative); the cut-off month and month 12.
    requests
        Next year's requests (:data:`scoring.exante.REQUEST_COLUMNS`).
    exante_sheets, progress, key_results
        Optional: assessment sheets, target progress at the cut-off, key-evaluation results
        (``project``, ``total`` and optionally ``grade``; a missing grade is given by the
        settings' evaluation bands; any further columns, such as the review round, are kept).
    department_facts
        Optional: each department's facts on the department framework (部门整体评价):
        ``department``, ``indicator_code``, ``actual``, ``level``.
    decisions
        Optional: the decisions in force (:func:`scoring.lifecycle_decision_store.current_decisions`):
        ``stage``, ``project``, ``item``, ``outcome``, ``amount``, ``reason``, ``detail``.
    """

    year: int
    projects: pd.DataFrame
    targets: pd.DataFrame
    actuals: pd.DataFrame
    spending: pd.DataFrame
    requests: pd.DataFrame
    exante_sheets: pd.DataFrame | None = None
    progress: pd.DataFrame | None = None
    key_results: pd.DataFrame | None = None
    department_facts: pd.DataFrame | None = None
    decisions: pd.DataFrame | None = None


@dataclass(frozen=True)
class YearResult:
    """Every stage of one budget year and the generated summary.

    Attributes
    ----------
    year, config
        The budget year and the settings' ``name@version``.
    triggers, exante
        Ex-ante triggers on next year's requests; scored assessments (None without sheets).
    review, monitoring
        Target review and monitoring results.
    evaluation
        Scores of the self-evaluated projects (None when none could be scored).
    evaluated
        One row per project in self-evaluation scope: ``project``, ``department``,
        ``budget_type``, ``amount``, ``scored``, ``reason`` (why not scored), ``total``,
        ``grade``, ``in_sample`` (部门评价), ``is_key`` (财政重点评价), ``final_grade``.
    application, disclosure
        Result application and the public tables.
    coverage, grades_by_department
        Coverage by budget type, and grade counts per department.
    departments
        The department overall evaluation (部门整体评价); None when the year has no
        department facts.
    decisions
        Every decision in force and whether it was applied
        (:func:`scoring.year_decisions.decision_ledger`); the stage tables above already hold
        the decided values, with the recommendations in their ``recommended_*`` columns.
    summary
        The year's numbers (counts and yuan), by name.
    text_zh, text_en
        The summary in the reference report's words.
    """

    year: int
    config: str
    triggers: ExanteTriggers
    exante: ExanteAssessment | None
    review: TargetReview
    monitoring: MonitoringResult
    evaluation: ProjectScores | None
    evaluated: pd.DataFrame
    application: ApplicationResult
    disclosure: DisclosureTables
    coverage: pd.DataFrame
    grades_by_department: pd.DataFrame
    departments: YearDepartments | None = None
    decisions: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: Mapping[str, Any] = field(default_factory=dict)
    text_zh: str = ""
    text_en: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", MappingProxyType(dict(self.summary)))


_NO_PROJECTS = pd.DataFrame({"project": pd.Series(dtype=object), "stale": pd.Series(dtype=bool)})


def framework_weights(framework: LibraryVersion) -> tuple[float, dict[str, float]]:
    """The budget-execution weight and the other 一级 weights of a self-evaluation framework.

    Parameters
    ----------
    framework
        E.g. ``load_builtin("national-target")``.

    Returns
    -------
    tuple
        (budget-execution weight, {一级 name: weight}).

    Notes
    -----
    The 一级 indicator whose rule is ``budget_execution`` is scored by
    :func:`scoring.project.budget_execution_points`; the others are sums of their targets.

    Examples
    --------
    >>> framework_weights(load_builtin("national-target"))
    (10.0, {'产出指标': 50.0, '效益指标': 30.0, '满意度指标': 10.0})
    """
    budget, others = 0.0, {}
    for ind in framework.indicators:
        if ind.level != 1:
            continue
        if ind.rule == "budget_execution":
            budget += float(ind.weight or 0.0)
        else:
            others[ind.name] = float(ind.weight or 0.0)
    return budget, others


def self_evaluation_rows(targets: pd.DataFrame, actuals: pd.DataFrame,
                         level1_weights: Mapping[str, float]) -> tuple[pd.DataFrame, pd.Series]:
    """The kernel's long rows for self-evaluation, and why some projects cannot be scored.

    Parameters
    ----------
    targets, actuals
        English-column frames (see :class:`CountyYear`).
    level1_weights
        The framework's 一级 weights the targets must carry (e.g. 产出 50, 效益 30, 满意度 10).

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)
        Rows of the scorable projects for :func:`scoring.project.score_projects`, and project →
        reason for each project left out.

    Notes
    -----
    A project whose 一级 weights differ from the framework's cannot be scored on it; it is
    listed, not allowed to stop the whole county's scoring.

    Examples
    --------
    >>> t = pd.DataFrame({"project": ["A", "B"], "indicator_code": ["x", "y"],
    ...     "level1": ["产出指标", "产出指标"], "level2": ["数量指标"] * 2, "weight": [90.0, 50.0],
    ...     "direction": ["≥", "≥"], "target": [1.0, 1.0]})
    >>> rows, left_out = self_evaluation_rows(t, pd.DataFrame({"project": [], "indicator_code": []}),
    ...                                       {"产出指标": 90.0})
    >>> rows["project"].tolist(), left_out.to_dict()
    (['A'], {'B': '一级指标权重与评价框架不符 / level-1 weights differ from the framework'})
    """
    keep = ["project", "indicator_code", "actual", "level"]
    facts = actuals[[k for k in keep if k in actuals]]
    rows = targets.merge(facts, on=["project", "indicator_code"], how="left")
    for column in ("actual", "level"):
        if column not in rows:
            rows[column] = np.nan
    sums = rows.pivot_table(index="project", columns="level1", values="weight", aggfunc="sum",
                            fill_value=0.0)
    expected = pd.Series(dict(level1_weights), dtype=float)
    sums = sums.reindex(columns=sums.columns.union(expected.index), fill_value=0.0)
    wanted = expected.reindex(sums.columns).fillna(0.0)
    off = (np.abs(sums - wanted) > 1e-6).any(axis=1)
    left_out = pd.Series("一级指标权重与评价框架不符 / level-1 weights differ from the framework",
                         index=sums.index[off.to_numpy()], dtype=object)
    rows = rows.loc[~rows["project"].isin(left_out.index)]
    out = pd.DataFrame({
        "project": rows["project"].to_numpy(), "indicator": rows["indicator_code"].to_numpy(),
        "level1": rows["level1"].to_numpy(), "level2": rows["level2"].to_numpy(),
        "weight": rows["weight"].to_numpy(dtype=float), "direction": rows["direction"].to_numpy(),
        "target": pd.to_numeric(rows["target"], errors="coerce").to_numpy(dtype=float),
        "actual": pd.to_numeric(rows["actual"], errors="coerce").to_numpy(dtype=float),
        "qualitative_level": rows["level"].astype(object).where(rows["level"].notna(), "")
        .astype(str).to_numpy(),
    })
    return out, left_out


def _spent(spending: pd.DataFrame, month: int) -> pd.Series:
    rows = spending.loc[spending["month"] == month]
    return pd.Series(rows["spent"].to_numpy(dtype=float), index=rows["project"])


def next_year_codes(projects: pd.Series, year: int) -> pd.Series:
    """The code each project continues under in next year's requests.

    Parameters
    ----------
    projects
        This year's project codes.
    year
        This budget year.

    Returns
    -------
    pandas.Series
        The codes with the first occurrence of the year advanced by one, as the budget system
        numbers a continuing project (P2021… → P2022…).

    Examples
    --------
    >>> next_year_codes(pd.Series(["P202100101", "X-7"]), 2021).tolist()
    ['P202200101', 'X-7']
    """
    return projects.astype(str).str.replace(str(year), str(year + 1), n=1, regex=False)


def _next_amounts(projects: pd.Series, year: int, requests: pd.DataFrame,
                  exante: ExanteAssessment | None) -> np.ndarray:
    """Next year's amount of each project: the ex-ante approved amount, else the request.

    A request continues a project when its code is the project's code with the year advanced
    (P2021… → P2022…), as the budget system numbers continuing projects.
    """
    amount = requests.drop_duplicates("project").set_index("project")["amount"].astype(float)
    if exante is not None:
        approved = exante.results.set_index("project")["approved_amount"]
        amount.loc[approved.index] = approved.to_numpy()
    return amount.reindex(next_year_codes(projects, year)).to_numpy(dtype=float)


def _evaluate(data: CountyYear, config: LifecycleConfig, framework: LibraryVersion
              ) -> tuple[ProjectScores | None, pd.DataFrame]:
    projects = data.projects
    scope = projects.loc[self_evaluation_scope(projects, config)].reset_index(drop=True)
    budget_weight, level1 = framework_weights(framework)
    rows, left_out = self_evaluation_rows(
        data.targets.loc[data.targets["project"].isin(scope["project"])], data.actuals, level1)
    no_targets = ~scope["project"].isin(data.targets["project"])
    reasons = pd.Series("", index=scope["project"], dtype=object)
    reasons.loc[scope.loc[no_targets, "project"]] = "没有绩效目标 / no targets"
    reasons.loc[left_out.index] = left_out.to_numpy()
    scores = None
    evaluated = scope[[k for k in ("project", "department", "budget_type", "amount", "is_key")
                       if k in scope]].copy()
    evaluated["total"] = np.nan
    evaluated["grade"] = None
    if len(rows):
        spent = _spent(data.spending, 12)
        budgets = pd.DataFrame({"project": scope["project"], "budget": scope["amount"],
                                "spent": spent.reindex(scope["project"]).to_numpy()})
        library = ", ".join(sorted(data.targets.get("library_ref", pd.Series(dtype=str))
                                   .dropna().unique())) or "targets as given"
        scores = score_projects(rows, budgets, library_version=library,
                                weight_set=f"{framework.ref} (预算执行率 {budget_weight:g} + "
                                           + " ".join(f"{k} {v:g}" for k, v in level1.items())
                                           + ")",
                                bands=config.evaluation.bands, budget_weight=budget_weight,
                                framework_weights=level1)
        totals = scores.totals.set_index("project")
        evaluated["total"] = totals["total"].reindex(evaluated["project"]).to_numpy()
        evaluated["grade"] = totals["grade"].reindex(evaluated["project"]).to_numpy()
        evaluated["n_over_achievement"] = totals["n_over_achievement"].reindex(
            evaluated["project"]).fillna(0).to_numpy()
    evaluated["scored"] = evaluated["grade"].notna().to_numpy()
    evaluated["reason"] = reasons.reindex(evaluated["project"]).to_numpy()
    return scores, evaluated


def _departments(data: CountyYear, config: LifecycleConfig,
                 scores: ProjectScores | None) -> YearDepartments | None:
    if data.department_facts is None or data.department_facts.empty:
        return None
    settings = config.departments
    return score_year_departments(
        data.department_facts, framework=load_builtin(settings.framework),
        units=data.projects["department"].dropna().astype(str).unique(),
        projects=data.projects[["project", "department", "amount"]], project_scores=scores,
        project_share=settings.project_share, bands=settings.bands,
        veto_on_missing=settings.veto_on_missing, veto_cap=settings.veto_cap)


def run_year(data: CountyYear, config: LifecycleConfig) -> YearResult:
    """Run every stage of one budget year and write its summary.

    Parameters
    ----------
    data
        The county's tables (see :class:`CountyYear`).
    config
        The lifecycle settings (thresholds, cut-off month, tables, wording).

    Returns
    -------
    YearResult
        Every stage's result, coverage, grades by department, the numbers and the text.

    Raises
    ------
    InputError
        The spending table has no row at the cut-off month, or any stage's input error.

    Notes
    -----
    Order and hand-overs: ex-ante on next year's requests (approved amounts become next year's
    base); target review and monitoring on this year's projects; self-evaluation of projects
    at or above the threshold with the framework in the settings, budget execution read from
    year-end spending; departments with facts on the department framework, their
    self-evaluated projects blended in by amount; the key-evaluation grade, when given,
    replaces the self-evaluation grade in result application. After each stage the decisions
    in force (``data.decisions``) take the place of its recommendations
    (:mod:`scoring.year_decisions`): a dismissed finding costs nothing, an ex-ante decision
    sets next year's approved amount, and the batches and the summary count what was
    decided. Stages report their cuts; they are not fed back into this year's tables.
    Wording: the reference county's 2021 report (开江县).

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> from scoring.lifecycle_demo import demo_county_year
    >>> config = load_lifecycle_config("kaijiang-2021")
    >>> result = run_year(demo_county_year(config), config)
    >>> result.text_zh.startswith("2021年，财政开展")
    True
    """
    month = config.monitoring.cutoff_month
    if not (data.spending["month"] == month).any():
        raise InputError(f"支出表没有第 {month} 月（监控时点）的数据",
                         f"the spending table has no rows for the cut-off month {month}",
                         column="month")
    triggers = exante_triggers(data.requests, config)
    exante = None
    if data.exante_sheets is not None and len(data.exante_sheets):
        assessed = data.exante_sheets.loc[
            data.exante_sheets["project"].isin(triggers.triggered["project"])]
        if len(assessed):
            exante = score_exante(assessed, data.requests, config)
    # Each stage recommends, then the decisions in force take the recommendation's place.
    decisions = data.decisions
    exante = decide_exante(exante, decisions)
    review = decide_review(review_targets(data.targets, data.projects[["project", "amount"]],
                                          config, dismissed=dismissed_findings(decisions)),
                           decisions)
    watched = decide_monitoring(
        monitor(data.projects.rename(columns={"amount": "budget"})[["project", "budget"]],
                data.spending, config, progress=data.progress), decisions)
    framework = load_builtin(config.evaluation.framework)
    scores, evaluated = _evaluate(data, config, framework)
    evaluated["in_sample"] = department_sample(evaluated, config) & evaluated["scored"]
    key = key_evaluation_list(data.projects, config)
    evaluated["is_key"] = evaluated["project"].isin(data.projects.loc[key, "project"]).to_numpy()
    evaluated["final_grade"] = evaluated["grade"]
    key_results = key_grades(data.key_results, config)
    if key_results is not None and len(key_results):
        given = key_results.set_index("project")
        hit = evaluated["project"].isin(given.index).to_numpy()
        at = evaluated.loc[hit, "project"]
        evaluated["key_total"] = np.nan
        evaluated["key_grade"] = None
        evaluated.loc[hit, "key_total"] = given["total"].reindex(at).to_numpy(dtype=float)
        evaluated.loc[hit, "key_grade"] = given["grade"].reindex(at).to_numpy()
        evaluated.loc[hit, "final_grade"] = given["grade"].reindex(at).to_numpy()
    graded = evaluated.loc[evaluated["final_grade"].notna()]
    spent_year = _spent(data.spending, 12)
    application = decide_application(apply_results(pd.DataFrame({
        "project": graded["project"], "grade": graded["final_grade"],
        "budget": graded["amount"].astype(float),
        "spent": spent_year.reindex(graded["project"]).to_numpy(),
        "next_amount": _next_amounts(graded["project"], data.year, data.requests, exante),
        "over_achievement": graded.get("n_over_achievement", 0),
    }), config), decisions)
    ledger = decision_ledger(decisions, {
        "exante": exante.results if exante is not None else _NO_PROJECTS,
        "target_review": review.projects, "monitoring": watched.projects,
        "application": application.projects})
    departments = _departments(data, config, scores)
    disclosure = _disclosure(data, scores, key_results)
    coverage = coverage_table(data, evaluated, triggers)
    by_department = grades_by_department(evaluated, config)
    numbers, zh, en = summarise(data.year, config, triggers, exante, review, watched, evaluated,
                                key, application, departments=departments,
                                units=data.projects["department"], decisions=ledger)
    return YearResult(
        year=data.year, config=config.ref, triggers=triggers, exante=exante, review=review,
        monitoring=watched, evaluation=scores, evaluated=evaluated, application=application,
        disclosure=disclosure, coverage=coverage, grades_by_department=by_department,
        departments=departments, decisions=ledger, summary=numbers, text_zh=zh, text_en=en,
    )


def key_grades(key_results: pd.DataFrame | None, config: LifecycleConfig) -> pd.DataFrame | None:
    """Key-evaluation results with a grade on every row, one row per project.

    Parameters
    ----------
    key_results
        ``project``, ``total`` (0–100) and optionally ``grade``; None when there are none.
    config
        The settings; their evaluation bands grade a total that comes without a grade.

    Returns
    -------
    pandas.DataFrame or None
        The rows with ``grade`` filled, the last row of a project listed twice kept.

    Raises
    ------
    InputError
        A missing ``project`` or ``total`` column, or a total that is not a number in [0, 100].

    Notes
    -----
    A review panel gives a score, not a grade; the grade follows from the same band table as
    the self-evaluation, so the two can replace each other in result application.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> k = pd.DataFrame({"project": ["A", "B", "C"], "total": [91.5, 72.0, 72.0],
    ...                   "grade": [None, "", "良"]})
    >>> key_grades(k, load_lifecycle_config())["grade"].tolist()
    ['优', '中', '良']
    """
    if key_results is None:
        return None
    missing = [c for c in ("project", "total") if c not in key_results]
    if missing:
        raise InputError(f"重点评价结果缺少列：{'、'.join(missing)}",
                         f"the key-evaluation results lack column(s): {', '.join(missing)}",
                         column=missing[0])
    table = key_results.drop_duplicates("project", keep="last").reset_index(drop=True)
    total = pd.to_numeric(table["total"], errors="coerce").to_numpy(dtype=float)
    bad = ~((total >= 0) & (total <= 100))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"项目 {table['project'].iat[i]} 的重点评价得分 {table['total'].iat[i]!r} "
                         "不是 0–100 的数",
                         f"project {table['project'].iat[i]!r}: key-evaluation score "
                         f"{table['total'].iat[i]!r} is not a number in 0–100",
                         row=i + 1, column="total")
    graded = grade(total, config.evaluation.bands)
    # A blank 评价等级 cell is no grade: the bands give it.
    given = (table["grade"].astype(object).where(
        table["grade"].notna() & (table["grade"].astype(str).str.strip() != ""), None)
             if "grade" in table else pd.Series(None, index=table.index, dtype=object))
    table["total"] = total
    table["grade"] = np.where(given.isna().to_numpy(), np.asarray(graded, dtype=object),
                              given.to_numpy())
    return table


def _disclosure(data: CountyYear, scores: ProjectScores | None,
                key_results: pd.DataFrame | None) -> DisclosureTables:
    targets = data.targets.rename(columns={"name": "indicator"})
    if scores is None:
        se = pd.DataFrame({"project": pd.Series(dtype=object)})
    else:
        spent = _spent(data.spending, 12)
        amounts = data.projects.set_index("project")["amount"]
        se = scores.totals[["project", "execution_rate", "total", "grade"]].copy()
        se["budget"] = amounts.reindex(se["project"]).to_numpy(dtype=float)
        se["spent"] = spent.reindex(se["project"]).to_numpy(dtype=float)
    return disclosure_tables(data.projects, targets, se, key_results)
