"""The year in numbers and words: summary, coverage by budget type, grades by department.

:func:`summarise` counts and totals what each stage of :func:`scoring.year.run_year` decided
and fills the settings' sentence templates (the reference county's wording, e.g. "开展5个项目
事前绩效评估，经评估追减预算204万元"); :func:`coverage_table` and :func:`grades_by_department`
give the county dashboard's tables; :func:`workbook_sheets` lays everything out with Chinese
headers for the summary workbook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.application import BATCHES, ApplicationResult
from scoring.exante import ExanteAssessment, ExanteTriggers
from scoring.grades import BandTable, load_bands
from scoring.lifecycle_config import LifecycleConfig
from scoring.money import format_wan, million
from scoring.monitoring import MonitoringResult
from scoring.project import round_half_up
from scoring.target_review import TargetReview
from scoring.year_departments import DEPARTMENT_COLUMNS, YearDepartments, department_table
from scoring.year_overview import label_departments, number_label

if TYPE_CHECKING:
    from scoring.year import CountyYear, YearResult

__all__ = ["summarise", "coverage_table", "grades_by_department", "workbook_sheets"]


def _count(values: Any, label: str) -> int:
    return int((np.asarray(values, dtype=object) == label).sum())


def summarise(year: int, config: LifecycleConfig, triggers: ExanteTriggers,
              exante: ExanteAssessment | None, review: TargetReview, watched: MonitoringResult,
              evaluated: pd.DataFrame, key: np.ndarray, application: ApplicationResult, *,
              departments: YearDepartments | None = None, units: Any = (),
              decisions: pd.DataFrame | None = None) -> tuple[dict[str, Any], str, str]:
    """The year's numbers and its summary in Chinese and English.

    Parameters
    ----------
    year, config
        The budget year and the settings (sentence templates, thresholds, grade labels).
    triggers, exante, review, watched, evaluated, key, application
        The stages' results as :func:`scoring.year.run_year` produces them.
    departments
        The department overall evaluation, None when the year has no department facts.
    units
        The county's units (a project's ``department``), counted as ``dept_units``.
    decisions
        :func:`scoring.year_decisions.decision_ledger` of the year, counted as
        ``decisions_applied``, ``decisions_stale`` and ``decisions_unapplied``.

    Returns
    -------
    tuple
        (numbers by name, Chinese text, English text). Amounts are in yuan in the numbers, in
        万元 (two decimals at most) in the Chinese text and in millions of yuan in the English.

    Raises
    ------
    InputError
        A template names a field that does not exist.

    Notes
    -----
    Counts: ex-ante = requests assessed (triggered and scored), cut = Σ ex-ante cuts; target
    review = projects with an adjustment; monitoring = projects classified 调整调减 and their
    suggested cuts, with 督促加快 and 整改纠偏 counts; self-evaluation = projects scored, by
    grade; key results = projects whose key evaluation came back from a closed review round
    (``key_results_count``, of ``key_count`` listed); departments = departments scored on the department framework (``dept_count``) of
    the units of the county and those with facts (``dept_units``), by grade (``dept_grade_优``
    …); batches from result application. Every amount counts what was decided where a
    decision is in force; the kernels' recommendations stay beside them as
    ``exante_cut_recommended``, ``review_cut_recommended``, ``monitor_cut_recommended``,
    ``cut_amount_recommended`` and ``recover_amount_recommended``.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> from scoring.lifecycle_demo import demo_county_year
    >>> from scoring.year import run_year
    >>> config = load_lifecycle_config()
    >>> numbers = run_year(demo_county_year(config), config).summary
    >>> numbers["self_count"] <= numbers["self_scope"]
    True
    """
    results = exante.results if exante is not None else pd.DataFrame(
        {"project": [], "outcome": [], "cut": []})
    labels = config.exante.outcome_bands.labels
    grades = load_bands(config.evaluation.bands).labels
    batches = application.batches.set_index("batch")
    mon = watched.projects
    numbers: dict[str, Any] = {
        "year": year, "month": watched.month, "config": config.ref,
        "requests": len(triggers.table), "exante_triggered": int(triggers.table["triggered"].sum()),
        "exante_count": len(results),
        "exante_pending": int(triggers.table["triggered"].sum()) - len(results),
        **{f"exante_{label}": _count(results["outcome"], label) for label in labels},
        "exante_cut": float(results["cut"].sum()),
        "review_projects": len(review.projects),
        "review_count": int((review.projects["adjustment"] > 0).sum()),
        "review_cut": float(review.projects["adjustment"].sum()),
        **{f"review_{label}": _count(review.projects["grade"], label)
           for label in config.target_review.grade_bands.labels},
        "monitor_count": _count(mon["classification"], "调整调减"),
        # Only 调整调减 cuts funds: a project decided into another class keeps its budget.
        "monitor_cut": float(mon["suggested_cut"].where(
            mon["classification"] == "调整调减", 0.0).sum()),
        "speed_count": _count(mon["classification"], "督促加快"),
        "fix_count": _count(mon["classification"], "整改纠偏"),
        "self_scope": len(evaluated), "self_count": int(evaluated["scored"].sum()),
        "self_unscored": int((~evaluated["scored"]).sum()),
        **{f"grade_{label}": _count(evaluated["grade"], label) for label in grades},
        "sample_count": int(evaluated["in_sample"].sum()), "key_count": int(np.sum(key)),
        "key_results_count": int(evaluated["key_total"].notna().sum())
        if "key_total" in evaluated else 0,
        **_department_numbers(config, departments, units),
        "cut_count": int(batches.loc[BATCHES[0], "n_projects"]),
        "cut_amount": float(batches.loc[BATCHES[0], "amount"]),
        "recover_count": int(batches.loc[BATCHES[1], "n_projects"]),
        "recover_amount": float(batches.loc[BATCHES[1], "amount"]),
        "rework_count": int(batches.loc[BATCHES[2], "n_projects"]),
        "rework_amount": float(batches.loc[BATCHES[2], "amount"]),
        **_recommended_numbers(results, review.projects, mon, application.projects),
        **_ledger_numbers(decisions),
    }
    # Amounts to the fen, so sums of many cents do not carry binary noise into the workbook.
    numbers = {k: (float(round_half_up(v, 2)) if isinstance(v, float) else v)
               for k, v in numbers.items()}
    grade_table, dept_table = load_bands(config.evaluation.bands), load_bands(config.departments.bands)
    texts = []
    for lang, templates, joiner in (("zh", config.summary_zh, ""), ("en", config.summary_en, " ")):
        money = format_wan if lang == "zh" else million
        words = {k: (money(v) if isinstance(v, float) else v) for k, v in numbers.items()}
        # The threshold reads as the report words it: 20万元, or 200,000 yuan in English.
        minimum = config.evaluation.self_evaluation_min_amount
        words["self_min"] = format_wan(minimum) if lang == "zh" else f"{minimum:,.0f}"
        words["grade_counts"] = _grade_counts(numbers, "grade", grade_table, lang)
        words["dept_grade_counts"] = _grade_counts(numbers, "dept_grade", dept_table, lang)
        try:
            texts.append(joiner.join(t.format(**words) for t in templates))
        except (KeyError, IndexError) as err:
            raise InputError(f"小结模板引用了不存在的字段：{err}",
                             f"a summary template names an unknown field: {err}",
                             field=f"summary.{lang}") from err
    return numbers, texts[0], texts[1]


def _recommended_numbers(exante: pd.DataFrame, review: pd.DataFrame, monitoring: pd.DataFrame,
                         application: pd.DataFrame) -> dict[str, float]:
    """The kernels' recommended amounts, where the stage tables carry them beside the decided."""
    def recommended(table: pd.DataFrame, column: str) -> float:
        return float(table.get(f"recommended_{column}", table[column]).sum())

    return {"exante_cut_recommended": recommended(exante, "cut"),
            "review_cut_recommended": recommended(review, "adjustment"),
            "monitor_cut_recommended": recommended(monitoring, "suggested_cut"),
            "cut_amount_recommended": recommended(application, "cut"),
            "recover_amount_recommended": recommended(application, "recover")}


def _ledger_numbers(decisions: pd.DataFrame | None) -> dict[str, int]:
    if decisions is None or decisions.empty:
        return {"decisions_applied": 0, "decisions_stale": 0, "decisions_unapplied": 0}
    applied = decisions["applied"].to_numpy(dtype=bool)
    return {"decisions_applied": int(applied.sum()),
            "decisions_stale": int((applied & decisions["stale"].to_numpy(dtype=bool)).sum()),
            "decisions_unapplied": int((~applied).sum())}


def _grade_counts(numbers: dict[str, Any], prefix: str, table: BandTable, lang: str) -> str:
    if lang == "zh":
        return "、".join(f"{b.label}{numbers[f'{prefix}_{b.label}']}个" for b in table.bands)
    # English readers get the grade's English name, with the label the tables use.
    return ", ".join(f"{b.label_en or b.label} ({b.label}) {numbers[f'{prefix}_{b.label}']}"
                     if b.label_en else f"{b.label} {numbers[f'{prefix}_{b.label}']}"
                     for b in table.bands)


def _department_numbers(config: LifecycleConfig, departments: YearDepartments | None,
                        units: Any) -> dict[str, int]:
    """How many units the county has, how many were scored as a whole, and by grade."""
    labels = load_bands(config.departments.bands).labels
    names = set(pd.Series(units, dtype=object).dropna().astype(str))
    if departments is None:
        return {"dept_units": len(names), "dept_count": 0,
                **{f"dept_grade_{g}": 0 for g in labels}}
    names |= set(departments.status["department"])
    graded = (departments.scores.totals["grade"] if departments.scores is not None
              else pd.Series(dtype=object))
    return {"dept_units": len(names), "dept_count": len(graded),
            **{f"dept_grade_{g}": _count(graded, g) for g in labels}}


def coverage_table(data: CountyYear, evaluated: pd.DataFrame, triggers: ExanteTriggers
                   ) -> pd.DataFrame:
    """Coverage of each stage by budget type (全覆盖), with a total row.

    Parameters
    ----------
    data
        The county's tables.
    evaluated
        :attr:`scoring.year.YearResult.evaluated`.
    triggers
        The ex-ante triggers of next year's requests.

    Returns
    -------
    pandas.DataFrame
        One row per budget type and ``合计``: ``budget_type``, ``n_projects``, ``funds``,
        ``n_with_targets``, ``n_monitored``, ``n_self_scope``, ``n_self_scored``,
        ``self_funds_share``, ``n_key``, ``n_requests``, ``n_exante``.

    Notes
    -----
    The four budgets (一般公共预算, 政府性基金预算, 国有资本经营预算, 社会保险基金预算) are all
    under performance management in the reference county since 2021.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> from scoring.lifecycle_demo import demo_county_year
    >>> from scoring.year import run_year
    >>> config = load_lifecycle_config()
    >>> table = run_year(demo_county_year(config), config).coverage
    >>> table["budget_type"].iloc[-1], int(table["n_projects"].iloc[-1])
    ('合计', 289)
    """
    p = data.projects
    month = int(data.spending["month"].max()) if len(data.spending) else 12
    frame = pd.DataFrame({
        "budget_type": p.get("budget_type", pd.Series("", index=p.index)).astype(str),
        "n_projects": 1, "funds": p["amount"].astype(float),
        "n_with_targets": p["project"].isin(data.targets["project"]).astype(int),
        "n_monitored": p["project"].isin(data.spending.loc[data.spending["month"] < month,
                                                            "project"]).astype(int),
    })
    scope = p["project"].isin(evaluated["project"])
    scored = p["project"].isin(evaluated.loc[evaluated["scored"], "project"])
    frame["n_self_scope"] = scope.astype(int)
    frame["n_self_scored"] = scored.astype(int)
    frame["scored_funds"] = np.where(scored, frame["funds"], 0.0)
    frame["n_key"] = p["project"].isin(evaluated.loc[evaluated["is_key"], "project"]).astype(int)
    table = frame.groupby("budget_type", sort=True).sum()
    req = triggers.table
    kinds = req.get("budget_type", pd.Series("", index=req.index)).astype(str)
    table["n_requests"] = kinds.value_counts().reindex(table.index).fillna(0).astype(int)
    table["n_exante"] = (kinds[req["triggered"].to_numpy()].value_counts()
                         .reindex(table.index).fillna(0).astype(int))
    table.loc["合计"] = table.sum()
    table["self_funds_share"] = table["scored_funds"] / table["funds"]
    return table.drop(columns="scored_funds").reset_index()


def grades_by_department(evaluated: pd.DataFrame, config: LifecycleConfig) -> pd.DataFrame:
    """How many self-evaluated projects of each department got each grade.

    Parameters
    ----------
    evaluated
        :attr:`scoring.year.YearResult.evaluated`.
    config
        The settings (grade labels of the evaluation bands).

    Returns
    -------
    pandas.DataFrame
        ``department``, one column per grade (best first) and ``total``.

    Notes
    -----
    Grades are those used for result application (the key-evaluation grade where given).

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> ev = pd.DataFrame({"department": ["甲", "甲", "乙"], "final_grade": ["优", "中", "优"]})
    >>> grades_by_department(ev, load_lifecycle_config()).values.tolist()
    [['乙', 1, 0, 0, 0, 1], ['甲', 1, 0, 1, 0, 2]]
    """
    labels = list(load_bands(config.evaluation.bands).labels)
    graded = evaluated.loc[evaluated["final_grade"].notna()]
    table = pd.crosstab(graded["department"], graded["final_grade"]).reindex(
        columns=labels, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.columns.name = None
    return table.reset_index()


_HEADERS = {
    "project": "项目编码", "name": "项目名称", "department": "主管部门", "budget_type": "预算类型",
    "amount": "金额(元)", "previous_amount": "上年金额(元)", "growth": "增幅",
    "increase": "增加额(元)", "rules": "触发规则", "total": "得分", "outcome": "评估结论",
    "request": "申请金额(元)", "proposed_amount": "建议金额(元)", "cut": "追减(元)",
    "approved_amount": "核定金额(元)", "below_floor": "有维度低于下限", "score": "审核得分",
    "grade": "等级", "adjustment": "调减(元)", "adjusted_amount": "调整后金额(元)",
    "codes": "问题代码", "n_findings": "问题数", "n_errors": "严重问题数", "row": "行号",
    "indicator_code": "指标编码", "code": "问题代码", "severity": "严重程度", "zh": "问题说明",
    "en": "description", "dismissed": "已驳回", "deduction": "扣分", "budget": "预算数(元)",
    "spent": "累计支出(元)", "execution_percent": "预算执行率(%)",
    "execution_ratio": "执行比", "target_progress": "目标进度", "execution_light": "执行灯",
    "target_light": "目标灯", "light": "综合灯", "over_achievement": "超额标记",
    "warning_execution": "执行预警", "warning_gap": "偏差预警", "classification": "分类处置",
    "suggested_cut": "建议调减(元)", "scored": "已评分", "reason": "未评分原因",
    "in_sample": "部门评价抽样", "is_key": "财政重点评价", "final_grade": "应用等级",
    "action": "建议", "next_amount": "下年金额(元)", "suggested_next": "建议下年金额(元)",
    "recover": "收回(元)", "rework": "反馈整改", "reasons": "整改原因", "batch": "批次",
    "n_projects": "项目数", "funds": "资金(元)", "n_with_targets": "有绩效目标",
    "n_monitored": "纳入监控", "n_self_scope": "自评范围", "n_self_scored": "已自评",
    "self_funds_share": "自评资金占比", "n_key": "重点评价", "n_requests": "下年申请",
    "n_exante": "需事前评估", "status": "评价状态", "framework_points": "部门框架得分",
    "project_points": "项目得分(金额加权)", "project_amount": "自评项目金额(元)",
    "project_share": "项目得分占比", "grade_before_veto": "否决前等级", "vetoed": "等级封顶",
    "n_facts": "事实数", "n_missing": "缺项数", "n_over_achievement": "超额指标数",
}


def _zh(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    keep = [c for c in columns if c in frame]
    return frame[keep].rename(columns=_HEADERS)


def workbook_sheets(result: YearResult, config: LifecycleConfig) -> list[tuple[str, pd.DataFrame]]:
    """The summary workbook's sheets, with Chinese headers, in reading order.

    Parameters
    ----------
    result
        A year run by :func:`scoring.year.run_year`.
    config
        The settings it ran with (their sources are listed on the last sheet).

    Returns
    -------
    list of (str, pandas.DataFrame)
        Sheet name and table: 年度小结, 主要数字, 覆盖情况, 事前评估清单, 事前评估结果, 目标审核,
        目标审核问题, 绩效监控, 单位自评, 结果应用, 结果应用批次, 分部门等级, 部门整体评价 (every
        unit, scored or not and why), 参数来源 and the public tables.

    Notes
    -----
    The sheets carry exactly the frames of the result, so the workbook and a dashboard built
    on the same :class:`~scoring.year.YearResult` show the same numbers; 主要数字 and 部门整体评价
    are labelled as the dashboard labels them (:func:`scoring.year_overview.number_label`,
    :func:`scoring.year_overview.label_departments`).

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> from scoring.lifecycle_demo import demo_county_year
    >>> from scoring.year import run_year
    >>> config = load_lifecycle_config()
    >>> [name for name, _ in workbook_sheets(run_year(demo_county_year(config), config), config)][:3]
    ['年度小结', '主要数字', '覆盖情况']
    """
    zh_lines = result.text_zh.split("。")
    lines = [s + "。" for s in zh_lines if s] + [""] + [result.text_en]
    numbers = pd.DataFrame({"项目": [number_label(k, "zh") for k in result.summary],
                            "数值": list(result.summary.values())})
    triggered = result.triggers.triggered
    departments = department_table(result.departments)[list(DEPARTMENT_COLUMNS)]
    # Points rounded half up once, at the end, as the dashboard's workbook exports them.
    departments = departments.assign(**{c: round_half_up(pd.to_numeric(
        departments[c], errors="coerce")) for c in ("framework_points", "project_points", "total")})
    dims = [] if result.exante is None else [
        c for c in result.exante.results.columns if c not in _HEADERS and c != "outcome_before_floor"]
    exante = (pd.DataFrame() if result.exante is None else _zh(result.exante.results, [
        "project", "total", *dims, "outcome", "below_floor", "request", "proposed_amount", "cut",
        "approved_amount"]))
    return [
        ("年度小结", pd.DataFrame({"年度小结 / summary": lines})),
        ("主要数字", numbers),
        ("覆盖情况", _zh(result.coverage, list(result.coverage.columns))),
        ("事前评估清单", _zh(triggered, ["project", "name", "department", "budget_type", "amount",
                                      "previous_amount", "growth", "increase", "rules"])),
        ("事前评估结果", exante),
        ("目标审核", _zh(result.review.projects, [
            "project", "amount", "n_findings", "n_errors", "deduction", "score", "grade", "codes",
            "adjustment", "adjusted_amount"])),
        ("目标审核问题", _zh(result.review.findings, [
            "project", "row", "indicator_code", "code", "severity", "deduction", "dismissed", "zh",
            "en"])),
        ("绩效监控", _zh(result.monitoring.projects, [
            "project", "budget", "spent", "execution_percent", "execution_ratio", "target_progress",
            "execution_light", "target_light", "light", "over_achievement", "warning_execution",
            "warning_gap", "classification", "suggested_cut"])),
        ("单位自评", _zh(result.evaluated, [
            "project", "department", "budget_type", "amount", "scored", "reason", "total", "grade",
            "in_sample", "is_key", "final_grade"])),
        ("结果应用", _zh(result.application.projects, [
            "project", "grade", "action", "next_amount", "cut", "suggested_next", "recover",
            "rework", "reasons"])),
        ("结果应用批次", _zh(result.application.batches, ["batch", "n_projects", "amount"])),
        ("分部门等级", result.grades_by_department.rename(
            columns={"department": "主管部门", "total": "合计"})),
        ("部门整体评价", label_departments(departments, "zh")),
        ("参数来源", pd.DataFrame({"参数": list(config.sources), "来源": list(config.sources.values())})),
        *result.disclosure.sheets(),
    ]
