"""The county dashboard's tables, computed from a stored year run: coverage, funds, grades.

Pure pandas over what :mod:`scoring.lifecycle_run_store` keeps of a run, so the dashboard page
(:mod:`scoring.ui_dashboard`) only draws: the share of units, projects and funds under each
stage by budget type, the funds cut, recovered and adjusted at each stage (as the run decided,
as recommended, and as the decisions in force now say), how many decisions post-date the run,
and how many departments the run put in each grade. The labels of a run's numbers and of the
department table live here too, in a given language, so the dashboard's workbook and the one
``jixiao year run`` writes name them alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import pandas as pd

from indicators.i18n import catalogue, t

__all__ = ["TOTAL", "COVERAGE_STAGES", "FUNDS_COLUMNS", "DecidedSince", "stage_coverage",
           "stage_funds", "decided_since", "department_grades", "coded_label", "number_label",
           "label_departments"]

TOTAL = "合计"
"""The label of the all-budgets row, as :func:`scoring.year_summary.coverage_table` names it."""

COVERAGE_STAGES: dict[str, str] = {"targets": "has_targets", "monitoring": "monitored",
                                   "self_evaluation": "scored", "key_evaluation": "is_key"}
"""Stage → the per-project flag of a stored run that puts a project under it."""

FUNDS_COLUMNS: tuple[str, ...] = ("n_projects", "amount", "amount_recommended", "n_decided",
                                  "amount_decided")
"""Columns of :func:`stage_funds` after ``stage``, each labelled ``dashboard.funds_col.<c>``."""


def stage_coverage(projects: pd.DataFrame) -> pd.DataFrame:
    """Units, projects and funds under each stage, with their shares, by budget type.

    Parameters
    ----------
    projects
        One row per project: ``project``, ``department``, ``budget_type``, ``amount`` and the
        flags of :data:`COVERAGE_STAGES` (a stored run's project table).

    Returns
    -------
    pandas.DataFrame
        One row per (budget type, stage), budget types sorted and :data:`TOTAL` last:
        ``budget_type``, ``stage``, ``stage_units``, ``n_units``, ``units_share``,
        ``stage_projects``, ``n_projects``, ``projects_share``, ``stage_funds``, ``funds``,
        ``funds_share``.

    Notes
    -----
    A unit (department or township) is under a stage when any of its projects is; in the total
    row a unit with projects in two budgets counts once. 全覆盖 is the national aim for all four
    budgets (中发〔2018〕34号).

    Examples
    --------
    >>> p = pd.DataFrame({"project": ["A", "B", "C"], "department": ["甲", "甲", "乙"],
    ...     "budget_type": ["一般公共预算", "政府性基金预算", "一般公共预算"],
    ...     "amount": [100.0, 300.0, 100.0], "has_targets": [True, False, False],
    ...     "monitored": [True, True, True], "scored": [False, True, False],
    ...     "is_key": [False, False, False]})
    >>> t = stage_coverage(p)
    >>> t.loc[(t["budget_type"] == "合计") & (t["stage"] == "targets"),
    ...       ["stage_units", "n_units", "stage_projects", "funds_share"]].values.tolist()
    [[1.0, 2.0, 1.0, 0.2]]
    """
    flags = list(COVERAGE_STAGES.values())
    both = pd.concat([projects.assign(budget_type=projects["budget_type"].astype(str)),
                      projects.assign(budget_type=TOTAL)], ignore_index=True)
    base = both.groupby("budget_type").agg(n_units=("department", "nunique"),
                                           n_projects=("project", "size"),
                                           funds=("amount", "sum"))
    long = both.melt(id_vars=["budget_type", "department", "project", "amount"],
                     value_vars=flags, var_name="flag", value_name="on")
    under = long.loc[long["on"].fillna(False).astype(bool)]
    got = under.groupby(["budget_type", "flag"]).agg(
        stage_units=("department", "nunique"), stage_projects=("project", "size"),
        stage_funds=("amount", "sum"))
    kinds = [k for k in sorted(base.index) if k != TOTAL] + [TOTAL]
    grid = pd.MultiIndex.from_product([kinds, flags], names=["budget_type", "flag"])
    out = got.reindex(grid, fill_value=0).reset_index().join(base, on="budget_type")
    out["stage"] = out["flag"].map({v: k for k, v in COVERAGE_STAGES.items()})
    out["units_share"] = out["stage_units"] / out["n_units"]
    out["projects_share"] = out["stage_projects"] / out["n_projects"]
    out["funds_share"] = out["stage_funds"] / out["funds"].where(out["funds"] > 0)
    return out[["budget_type", "stage", "stage_units", "n_units", "units_share",
                "stage_projects", "n_projects", "projects_share", "stage_funds", "funds",
                "funds_share"]]


def stage_funds(numbers: dict[str, object], decisions: pd.DataFrame) -> pd.DataFrame:
    """Funds cut, recovered and adjusted at each stage: the run's numbers and the decisions now.

    Parameters
    ----------
    numbers
        A run's numbers (:attr:`scoring.year.YearResult.summary`).
    decisions
        The decisions in force of the year
        (:func:`scoring.lifecycle_decision_store.current_decisions`).

    Returns
    -------
    pandas.DataFrame
        ``stage`` (exante, target_review, monitoring, cut, recover, rework); from the run
        ``n_projects`` and ``amount`` (as decided when the run was made) and
        ``amount_recommended`` (what the kernels recommended; NaN for runs stored before
        recommendations were kept, and for 反馈整改); from the decisions in force now
        ``n_decided`` and ``amount_decided``.

    Notes
    -----
    Decided amounts: Σ of the decided budget change of each stage; for 收回 the decided
    recovery, for 反馈整改 the count of projects sent back (its amount is next year's base,
    which decisions do not carry). A year run applies the decisions in force
    (:func:`scoring.year.run_year`), so after a new run ``amount`` includes them.

    Examples
    --------
    >>> numbers = {"exante_count": 2, "exante_cut": 5e5, "exante_cut_recommended": 6e5,
    ...     "review_count": 0, "review_cut": 0.0, "monitor_count": 1, "monitor_cut": 1e5,
    ...     "cut_count": 0, "cut_amount": 0.0, "recover_count": 0, "recover_amount": 0.0,
    ...     "rework_count": 0, "rework_amount": 0.0}
    >>> d = pd.DataFrame({"stage": ["exante"], "amount": [4e5], "detail": [{}]})
    >>> stage_funds(numbers, d).iloc[0, 1:].astype(float).tolist()
    [2.0, 500000.0, 600000.0, 1.0, 400000.0]
    """
    rows = [("exante", "exante_count", "exante_cut"), ("target_review", "review_count",
                                                       "review_cut"),
            ("monitoring", "monitor_count", "monitor_cut"), ("cut", "cut_count", "cut_amount"),
            ("recover", "recover_count", "recover_amount"),
            ("rework", "rework_count", "rework_amount")]
    out = pd.DataFrame({"stage": [r[0] for r in rows],
                        "n_projects": [int(numbers.get(r[1], 0)) for r in rows],
                        "amount": [float(numbers.get(r[2], 0.0)) for r in rows],
                        "amount_recommended": [
                            float(numbers.get(f"{r[2]}_recommended", float("nan")))
                            for r in rows]})
    d = decisions.loc[decisions["stage"].isin(["exante", "target_review", "monitoring",
                                               "application"])]
    detail = d["detail"].map(lambda x: x if isinstance(x, dict) else {})
    app = (d["stage"] == "application").to_numpy()
    amount = pd.to_numeric(d["amount"], errors="coerce").fillna(0.0).to_numpy()
    recover = pd.to_numeric(detail.map(lambda x: x.get("recover")), errors="coerce").fillna(0.0)
    rework = detail.map(lambda x: bool(x.get("rework"))).to_numpy(dtype=bool)
    stage = d["stage"].replace({"application": "cut"}).to_numpy()
    counted = pd.DataFrame({"stage": stage, "n": 1, "amount": amount}).groupby("stage").sum()
    out["n_decided"] = counted["n"].reindex(out["stage"]).fillna(0).astype(int).to_numpy()
    out["amount_decided"] = counted["amount"].reindex(out["stage"]).fillna(0.0).to_numpy()
    out.loc[out["stage"] == "recover", ["n_decided", "amount_decided"]] = [
        int((recover.to_numpy()[app] > 0).sum()), float(recover.to_numpy()[app].sum())]
    out.loc[out["stage"] == "rework", ["n_decided", "amount_decided"]] = [
        int(rework[app].sum()), float("nan")]
    return out.astype({"n_decided": int, "amount_decided": float})


class DecidedSince(NamedTuple):
    """Decisions in force recorded after a run: how many, and how many change a recommendation."""

    recorded: int
    """Decisions recorded after the run."""
    changed: int
    """Of them, those that change the recommendation (accepting one is a decision too)."""


def decided_since(decisions: pd.DataFrame, run_at: datetime) -> DecidedSince:
    """How many decisions in force were recorded after a run, and how many change a recommendation.

    Parameters
    ----------
    decisions
        The decisions in force (with ``created_at``, timezone-aware, and ``changed``).
    run_at
        When the run was stored.

    Returns
    -------
    DecidedSince
        ``recorded`` (decisions newer than the run, so its numbers lack them) and ``changed``
        (of them, those that change the recommendation).

    Notes
    -----
    The first "记录决定" on a stage's table stores every row, accepting the recommendations
    too; only the changed ones move a number away from the recommendation, so they are counted
    apart.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> d = pd.DataFrame({"created_at": [datetime(2026, 2, 1, tzinfo=timezone.utc),
    ...                                  datetime(2026, 3, 2, tzinfo=timezone.utc),
    ...                                  datetime(2026, 3, 2, tzinfo=timezone.utc)],
    ...                   "changed": [True, True, False]})
    >>> decided_since(d, at)
    DecidedSince(recorded=2, changed=1)
    """
    if decisions.empty or "created_at" not in decisions:
        return DecidedSince(0, 0)
    at = pd.Timestamp(run_at)
    # Stored times are UTC; a naive one (SQLite) is read as UTC too.
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    newer = (pd.to_datetime(decisions["created_at"], utc=True) > at).to_numpy()
    changed = decisions.get("changed", pd.Series(False, index=decisions.index))
    changed = changed.fillna(False).astype(bool).to_numpy()
    return DecidedSince(int(newer.sum()), int((newer & changed).sum()))


def department_grades(departments: pd.DataFrame, labels: tuple[str, ...]) -> pd.DataFrame:
    """How many units a stored run's department evaluation put in each grade.

    Parameters
    ----------
    departments
        A stored run's department table (:attr:`StoredYearRun.departments`).
    labels
        The grade labels, best first.

    Returns
    -------
    pandas.DataFrame
        ``grade`` (each label) and ``count``; units not scored are not counted.

    Notes
    -----
    The grade after any veto, as the run stored it.

    Examples
    --------
    >>> d = pd.DataFrame({"department": ["甲", "乙", "丙"], "grade": ["优", "中", None]})
    >>> department_grades(d, ("优", "良", "中", "差"))["count"].tolist()
    [1, 0, 1, 0]
    """
    counts = departments["grade"].dropna().value_counts() if "grade" in departments else {}
    return pd.DataFrame({"grade": list(labels),
                         "count": [int(counts.get(g, 0)) for g in labels]})


def coded_label(kind: str, value: str, lang: str = "zh", *, english: str = "") -> str:
    """A coded value (a grade, a verdict) as a table names it: ``lifecycle.value.<kind>.*``.

    Parameters
    ----------
    kind
        The value's family in the catalogue (``grade``, ``exante``, ``direction`` …).
    value
        The value as the kernels give it (``优``, ``不予支持``).
    lang
        ``"zh"`` or ``"en"``.
    english
        An English name known elsewhere (a band's ``label_en``), preferred to the catalogue.

    Returns
    -------
    str
        The value itself in Chinese; in English ``name (值)`` so a reader can match the Chinese
        tables, or the value alone when no English name is known.

    Examples
    --------
    >>> coded_label("grade", "优"), coded_label("exante", "不予支持", "en")
    ('优', 'reject (不予支持)')
    """
    if lang == "zh":
        return value
    name = english or t(f"lifecycle.value.{kind}.{value}", lang)
    return value if name in (value, f"lifecycle.value.{kind}.{value}") else f"{name} ({value})"


def number_label(key: str, lang: str = "zh") -> str:
    """The label of one of a run's numbers (``exante_cut`` → 事前评估追减(元)).

    Parameters
    ----------
    key
        A key of :attr:`scoring.year.YearResult.summary`.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        The catalogue's ``dashboard.number.<key>``; per-grade and per-outcome counts
        (``grade_优``, ``dept_grade_优``, ``exante_支持``, ``review_通过``) name their label, in
        English as ``English (中文)``; an unknown key is returned as it is.

    Notes
    -----
    Grade and outcome labels come from the settings, so their counts are labelled by pattern.
    The dashboard and ``jixiao year run``'s workbook both label 主要数字 with this.

    Examples
    --------
    >>> number_label("grade_优"), number_label("exante_cut_recommended")
    ('自评等级为“优”的项目数', '事前评估建议追减(元)')
    >>> number_label("exante_不予支持", "en")
    'Assessments concluding reject (不予支持)'
    """
    if f"dashboard.number.{key}" in catalogue():
        return t(f"dashboard.number.{key}", lang)
    # The catalogue keeps review verdicts (通过 …) with the grades; dept_grade before grade.
    for prefix, kind in (("exante", "exante"), ("review", "grade"), ("dept_grade", "grade"),
                         ("grade", "grade")):
        if key.startswith(f"{prefix}_"):
            label = key[len(prefix) + 1:]
            return t(f"dashboard.number.{prefix}_label", lang,
                     label=coded_label(kind, label, lang))
    return key


def _level(level: object, lang: str) -> object:
    """A qualitative level (达成, 部分达成, 未达成) in the language; a blank stays blank."""
    if not isinstance(level, str) or not level:
        return level
    key = f"departments.level.{level}"
    label = t(key, lang)
    return level if label == key else label


def _half(note: object, lang: str) -> object:
    """A note written "中文 / English" reduced to the language's half (a plain note kept whole)."""
    if not isinstance(note, str) or " / " not in note:
        return note
    zh, en = note.split(" / ", 1)
    return zh if lang == "zh" else en


def _value(kind: str, value: object, lang: str) -> object:
    """``lifecycle.value.<kind>.<value>`` in the language, else the value as it is."""
    if not isinstance(value, str) or not value:
        return value
    key = f"lifecycle.value.{kind}.{value}"
    label = t(key, lang)
    return value if label == key else label


def label_departments(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A department table with headers, grades, statuses and notes in one language.

    Parameters
    ----------
    frame
        Columns as :mod:`scoring.year_departments` names them.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        The same rows; each column ``c`` headed ``departments.col.c`` (部门（单位）, 总分 …);
        grades, statuses, the direction 定性 and qualitative levels (达成 …) in the language;
        a bilingual note (``中文 / English``) reduced to its language.

    Notes
    -----
    The 部门整体评价 page, the dashboard's workbook and ``jixiao year run``'s workbook all
    label the table with this, so the three read alike.

    Examples
    --------
    >>> f = pd.DataFrame({"department": ["县教育局"], "status": ["not_evaluated"],
    ...                   "grade": ["优"], "reason": ["未评价 / not evaluated"]})
    >>> label_departments(f, "en").values.tolist()
    [['县教育局', 'not evaluated', 'excellent', 'not evaluated']]
    >>> label_departments(f).columns.tolist()
    ['部门（单位）', '评价状态', '等级', '说明']
    """
    out = frame.copy()
    for column in ("grade", "grade_before_veto"):
        if column in out:
            out[column] = out[column].map(lambda v: _value("grade", v, lang))
    if "direction" in out:
        out["direction"] = out["direction"].map(lambda v: _value("direction", v, lang))
    if "qualitative_level" in out:
        out["qualitative_level"] = out["qualitative_level"].map(lambda v: _level(v, lang))
    if "status" in out:
        out["status"] = out["status"].map(lambda v: t(f"departments.status.{v}", lang))
    if "reason" in out:
        out["reason"] = out["reason"].map(lambda v: _half(v, lang))
    names = {}
    for column in out.columns:
        label = t(f"departments.col.{column}", lang)
        names[column] = column if label == f"departments.col.{column}" else label
    return out.rename(columns=names)
