"""Target review (绩效目标审核): automatic checks of every project's target table, and a grade.

"谁申请资金，谁设置目标": every request carries a target table, and the finance bureau reviews it
before the budget is set. :func:`review_targets` checks all target tables of a county at once
(one long table, column operations and group sums, no loop over projects) and returns findings
with codes and Chinese/English messages a reviewer can accept or dismiss, a score and grade per
project from the configured deduction table, and the budget adjustment that grade implies.

Finding codes
-------------
Per project: ``no_targets``, ``missing_output``, ``missing_benefit``, ``missing_satisfaction``,
``missing_cost`` (project at or above the cost threshold without a 成本 indicator),
``weights_not_total``. Per target: ``invalid_weight``, ``missing_target_value``,
``vague_target`` (a written target such as "进一步提高" with no number), ``missing_target_text``
(定性 without a written target), ``missing_unit``, ``percent_over_max`` (a "≥" percentage above
100), ``negative_target``, ``satisfaction_not_higher`` (满意度 with "≤"), ``direction_suspect``
(e.g. 发生率 with "≥", 合格率 with "≤") and ``duplicate_target``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.grades import cap_grades, grade
from scoring.lifecycle_config import LifecycleConfig, TargetReviewConfig
from scoring.money import round_money
from scoring.rules import direction_codes

__all__ = ["FINDING_CODES", "TARGET_COLUMNS", "TargetReview", "review_targets"]

TARGET_COLUMNS: tuple[str, ...] = (
    "project", "indicator_code", "name", "level1", "level2", "direction", "target", "unit",
    "weight")
"""Columns :func:`review_targets` needs; ``target_text`` and ``row`` are optional."""

# code → (Chinese, English) message; row-level messages are prefixed with the indicator's name.
_MESSAGES: dict[str, tuple[str, str]] = {
    "no_targets": ("没有填报绩效目标", "has no target table"),
    "missing_output": ("缺少产出指标", "has no output (产出) indicator"),
    "missing_benefit": ("缺少效益指标", "has no benefit (效益) indicator"),
    "missing_satisfaction": ("缺少满意度指标", "has no satisfaction (满意度) indicator"),
    "missing_cost": ("金额达到要求但未设置成本指标",
                     "is large enough to need a cost (成本) indicator but has none"),
    "weights_not_total": ("指标权重合计不符", "target weights do not add up"),
    "invalid_weight": ("权重缺失或不为正数", "weight is missing or not positive"),
    "missing_target_value": ("定量指标缺少指标值", "quantitative target has no value"),
    "vague_target": ("指标值表述模糊，没有可衡量的数值",
                     "target is worded vaguely, with no measurable number"),
    "missing_target_text": ("定性指标缺少指标值描述", "qualitative target has no written target"),
    "missing_unit": ("定量指标缺少计量单位", "quantitative target has no unit"),
    "percent_over_max": ("“≥”方向的百分比指标值超过上限",
                         "a '≥' percentage target is above its ceiling"),
    "negative_target": ("指标值为负数", "target value is negative"),
    "satisfaction_not_higher": ("满意度指标的方向应为“≥”",
                                "a satisfaction indicator should point '≥'"),
    "direction_suspect": ("指标方向与指标名称不符", "direction does not fit the indicator's name"),
    "duplicate_target": ("与本项目另一条指标重复", "repeats another target of the project"),
}
FINDING_CODES: tuple[str, ...] = tuple(_MESSAGES)
"""Every code :func:`review_targets` can report; the settings give each a severity and points."""

_GE, _LE, _QUAL = 0, 1, 3
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class TargetReview:
    """Findings and grades of many target tables.

    Attributes
    ----------
    findings
        One row per finding: ``project``, ``row`` (the target's row, NaN for project-wide
        findings), ``indicator_code``, ``name``, ``code``, ``severity``, ``deduction``,
        ``dismissed``, ``zh``, ``en``.
    projects
        One row per project: ``project``, ``amount``, ``n_findings``, ``n_errors``,
        ``n_warnings``, ``deduction``, ``score``, ``grade``, ``adjustment_share``,
        ``adjustment`` (yuan cut), ``adjusted_amount``, ``codes``.
    config
        The settings' ``name@version``.
    constants
        Thresholds, word lists, deduction table and grade bands used.
    """

    findings: pd.DataFrame
    projects: pd.DataFrame
    config: str
    constants: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "constants", MappingProxyType(dict(self.constants)))


def _settings(config: TargetReviewConfig | LifecycleConfig, round_to: float | None
              ) -> tuple[TargetReviewConfig, str, float]:
    if isinstance(config, LifecycleConfig):
        return config.target_review, config.ref, round_to or config.round_to
    return config, "custom", round_to or 100.0


def _words(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in words)


def _distinct(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, pd.Series]:
    """Codes into the distinct cleaned texts of a column (the last text is the empty one).

    A county repeats a few hundred indicator names, units and levels over a million rows, so
    string tests run once per distinct text and are spread to the rows by the codes.
    """
    if column not in frame:
        return np.zeros(len(frame), dtype=np.intp), pd.Series([""], dtype=object)
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    texts = pd.Series(np.append(np.asarray(uniques, dtype=object), ""), dtype=object)
    texts = texts.astype(str).str.strip()
    return np.where(codes < 0, len(uniques), codes), texts


def _row_flags(frame: pd.DataFrame, c: TargetReviewConfig) -> dict[str, np.ndarray]:
    """Boolean mask of every row-level finding."""
    code = direction_codes(frame["direction"])
    quantitative = code != _QUAL
    target = pd.to_numeric(frame["target"], errors="coerce").to_numpy(dtype=float)
    weight = pd.to_numeric(frame["weight"], errors="coerce").to_numpy(dtype=float)
    (name_at, names), (text_at, texts) = _distinct(frame, "name"), _distinct(frame, "target_text")
    (unit_at, units), (l1_at, l1s) = _distinct(frame, "unit"), _distinct(frame, "level1")
    vague = (texts.str.contains(_words(c.vague_words), regex=True)
             & ~texts.str.contains(r"\d", regex=True)).to_numpy()[text_at]
    satisfaction = (l1s.str.startswith("满意度").to_numpy()[l1_at]
                    | names.str.contains("满意度", regex=False).to_numpy()[name_at])
    missing_value = quantitative & np.isnan(target)
    with np.errstate(invalid="ignore"):
        over = (quantitative & (code == _GE) & units.isin(c.percent_units).to_numpy()[unit_at]
                & (target > c.percent_max + _TOLERANCE))
        negative = quantitative & (target < 0)
    lower_named = names.str.contains(_words(c.lower_words), regex=True).to_numpy()[name_at]
    higher_named = names.str.contains(_words(c.higher_words), regex=True).to_numpy()[name_at]
    # Names compared without spaces: "培训 人次" and "培训人次" are the same target.
    same_name = pd.factorize(names.str.replace(r"\s+", "", regex=True))[0][name_at]
    project = pd.factorize(frame["project"])[0]
    duplicate = (frame.duplicated(["project", "indicator_code"]).to_numpy()
                 | pd.DataFrame({"p": project, "n": same_name}).duplicated().to_numpy())
    return {
        "invalid_weight": ~(weight > 0),
        "missing_target_value": missing_value & ~vague,
        "vague_target": vague & (missing_value | ~quantitative),
        "missing_target_text": ~quantitative & (texts == "").to_numpy()[text_at],
        "missing_unit": quantitative & (units == "").to_numpy()[unit_at],
        "percent_over_max": over,
        "negative_target": negative,
        "satisfaction_not_higher": satisfaction & (code == _LE),
        "direction_suspect": ~satisfaction & (((code == _GE) & lower_named & ~higher_named)
                                              | ((code == _LE) & higher_named & ~lower_named)),
        "duplicate_target": duplicate,
    }


def _project_flags(frame: pd.DataFrame, projects: pd.DataFrame, at: np.ndarray,
                   c: TargetReviewConfig) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Boolean mask of every project-level finding, aligned with ``projects``; weight sums.

    ``at`` is each target row's position in ``projects``; group sums are bin counts over it.
    """
    n = len(projects)
    (l1_at, l1s), (l2_at, l2s) = _distinct(frame, "level1"), _distinct(frame, "level2")
    weight = pd.to_numeric(frame["weight"], errors="coerce").fillna(0.0).to_numpy()
    kinds = {
        "output": l1s.str.startswith("产出").to_numpy()[l1_at],
        "benefit": l1s.str.startswith("效益").to_numpy()[l1_at],
        "satisfaction": l1s.str.startswith("满意度").to_numpy()[l1_at],
        "cost": (l1s.str.startswith("成本").to_numpy()[l1_at]
                 | l2s.str.startswith("成本").to_numpy()[l2_at]),
    }
    has = {k: np.bincount(at, weights=v, minlength=n) > 0 for k, v in kinds.items()}
    present = np.bincount(at, minlength=n) > 0
    amount = projects["amount"].to_numpy(dtype=float)
    total = np.bincount(at, weights=weight, minlength=n)
    return {
        "no_targets": ~present,
        "missing_output": present & ~has["output"],
        "missing_benefit": present & ~has["benefit"],
        "missing_satisfaction": present & ~has["satisfaction"],
        "missing_cost": present & ~has["cost"] & (amount >= c.cost_required_min_amount - 0.005),
        "weights_not_total": present & (np.abs(total - c.expected_total) > _TOLERANCE),
    }, total


def _findings(frame: pd.DataFrame, projects: pd.DataFrame, at: np.ndarray,
              rows: dict[str, np.ndarray], per_project: dict[str, np.ndarray],
              weight_total: np.ndarray, c: TargetReviewConfig) -> pd.DataFrame:
    """One row per finding, with ``_at``: the position of its project in ``projects``."""
    parts = []
    name_at, names = _distinct(frame, "name")
    name = pd.Series(names.to_numpy()[name_at])
    # Converted once: a text column's to_numpy is a full copy, too dear to repeat per code.
    row_number = frame["row"].to_numpy() if "row" in frame else np.arange(1, len(frame) + 1)
    project, indicator = frame["project"].to_numpy(), frame["indicator_code"].to_numpy()
    for code, mask in rows.items():
        if not mask.any():
            continue
        zh, en = _MESSAGES[code]
        who = name[mask]
        parts.append(pd.DataFrame({
            "project": project[mask], "row": row_number[mask],
            "indicator_code": indicator[mask], "name": who.to_numpy(),
            "code": code, "zh": ("指标“" + who + "”：" + zh).to_numpy(),
            "en": ("indicator '" + who + "': " + en).to_numpy(), "_at": at[mask]}))
    for code, mask in per_project.items():
        if not mask.any():
            continue
        zh, en = _MESSAGES[code]
        if code == "weights_not_total":
            got = pd.Series(weight_total[mask]).map("{:g}".format)
            zh_text = (f"{zh}：合计 " + got + f"，应为 {c.expected_total:g}").to_numpy()
            en_text = (f"{en}: they sum to " + got + f", not {c.expected_total:g}").to_numpy()
        else:
            zh_text, en_text = zh, en
        parts.append(pd.DataFrame({
            "project": projects["project"].to_numpy()[mask], "row": np.nan,
            "indicator_code": "", "name": "", "code": code, "zh": zh_text, "en": en_text,
            "_at": np.flatnonzero(mask)}))
    columns = ["project", "row", "indicator_code", "name", "code", "zh", "en", "_at"]
    if not parts:
        return pd.DataFrame({k: pd.Series(dtype=int if k == "_at" else object) for k in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def _mark_dismissed(findings: pd.DataFrame, dismissed: pd.DataFrame | None) -> np.ndarray:
    if dismissed is None or dismissed.empty:
        return np.zeros(len(findings), dtype=bool)
    lacking = [k for k in ("project", "code") if k not in dismissed]
    if lacking:
        raise InputError(f"驳回记录缺少列：{'、'.join(lacking)}",
                         f"the dismissals lack columns: {', '.join(lacking)}", column=lacking[0])
    keys = ["project", "code"] + (["indicator_code"] if "indicator_code" in dismissed else [])
    marks = dismissed[keys].drop_duplicates().assign(_hit=True)
    if "indicator_code" in keys:
        marks["indicator_code"] = marks["indicator_code"].fillna("").astype(str)
    probe = findings[keys].astype({k: str for k in keys if k != "project"})
    hit = probe.merge(marks, on=keys, how="left")["_hit"]
    return hit.fillna(False).to_numpy(dtype=bool)


def review_targets(
    targets: pd.DataFrame,
    projects: pd.DataFrame,
    config: TargetReviewConfig | LifecycleConfig,
    *,
    dismissed: pd.DataFrame | None = None,
    round_to: float | None = None,
) -> TargetReview:
    """Check many projects' target tables and grade each project's table.

    Parameters
    ----------
    targets
        One row per target with :data:`TARGET_COLUMNS` (``project``, ``indicator_code``,
        ``name`` (三级), ``level1``, ``level2``, ``direction`` (≥ ≤ = 定性), ``target`` (number
        or empty), ``unit``, ``weight``); optional ``target_text`` (指标值 as written) and
        ``row`` (the spreadsheet row, echoed in findings).
    projects
        ``project`` and ``amount`` (yuan) of every project under review, with or without
        targets.
    config
        The lifecycle settings (or their ``target_review`` part).
    dismissed
        Findings a reviewer overrode: ``project``, ``code`` and optionally ``indicator_code``.
        They stay in the list, marked, and cost nothing.
    round_to
        Adjustments are rounded half up to this many yuan (the settings' unit by default).

    Returns
    -------
    TargetReview
        Findings and one graded row per project.

    Raises
    ------
    InputError
        A missing column, an unknown direction, a target of a project not under review, a
        project listed twice, or settings lacking a finding code.

    Notes
    -----
    Score = max(0, 100 − Σ deductions of findings not dismissed); the grade is read from the
    configured bands (default ≥ 90 通过, ≥ 60 修改后通过, else 不通过) and capped at
    ``error_grade`` when an ``error`` finding remains. Adjustment = amount × share of the grade.
    The checks follow 财预〔2021〕101号: targets 指向明确、细化量化、合理可行、相互匹配, with output
    (数量/质量/时效/成本), benefit and satisfaction indicators carrying values, units and
    directions; weights add up to 90 beside the 10 points of budget execution (财预〔2020〕10号).

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> targets = pd.DataFrame({"project": "P1", "indicator_code": ["a", "b", "c"],
    ...     "name": ["培训人次", "群众满意度", "带动就业"], "level1": ["产出指标", "满意度指标", "效益指标"],
    ...     "level2": ["数量指标", "服务对象满意度指标", "社会效益指标"], "direction": ["≥", "≤", "定性"],
    ...     "target": [500, 90, None], "target_text": ["", "", "进一步提高"], "unit": ["人次", "%", ""],
    ...     "weight": [50, 10, 30]})
    >>> review = review_targets(targets, pd.DataFrame({"project": ["P1"], "amount": [3e5]}),
    ...                         load_lifecycle_config())
    >>> review.findings["code"].tolist()
    ['vague_target', 'satisfaction_not_higher']
    >>> review.projects[["score", "grade", "adjustment"]].values.tolist()
    [[90.0, '通过', 0.0]]
    """
    c, ref, unit = _settings(config, round_to)
    lacking_rules = [code for code in FINDING_CODES if code not in c.findings]
    if lacking_rules:
        raise InputError(f"审核参数缺少问题代码：{'、'.join(lacking_rules)}",
                         f"the review settings lack finding codes: {', '.join(lacking_rules)}",
                         field="target_review.findings")
    for table, columns, what in ((targets, TARGET_COLUMNS, ("绩效目标表", "targets")),
                                 (projects, ("project", "amount"), ("项目表", "projects"))):
        lacking = [k for k in columns if k not in table]
        if lacking:
            raise InputError(f"{what[0]}缺少列：{'、'.join(lacking)}",
                             f"the {what[1]} table lacks columns: {', '.join(lacking)}",
                             column=lacking[0])
    frame = targets.reset_index(drop=True)
    books = projects.reset_index(drop=True)
    if books["project"].duplicated().any():
        dup = books.loc[books["project"].duplicated(), "project"].iloc[0]
        raise InputError(f"项目 {dup} 重复列出", f"project {dup!r} is listed twice", column="project")
    at = pd.Index(books["project"]).get_indexer(frame["project"])
    stray = at < 0
    if stray.any():
        i = int(np.flatnonzero(stray)[0])
        raise InputError(f"第 {i + 1} 行的项目 {frame['project'].iat[i]} 不在审核项目中",
                         f"row {i + 1}: project {frame['project'].iat[i]!r} is not under review",
                         row=i + 1, column="project")
    rows = _row_flags(frame, c)
    per_project, weight_total = _project_flags(frame, books, at, c)
    findings = _findings(frame, books, at, rows, per_project, weight_total, c)
    findings["severity"] = findings["code"].map({k: r.severity for k, r in c.findings.items()})
    findings["deduction"] = findings["code"].map(
        {k: r.deduction for k, r in c.findings.items()}).astype(float)
    findings["dismissed"] = _mark_dismissed(findings, dismissed)
    live = ~findings["dismissed"].to_numpy(dtype=bool)
    where = findings["_at"].to_numpy(dtype=np.intp)[live]
    n = len(books)
    out = pd.DataFrame({"project": books["project"], "amount": books["amount"].astype(float)})
    out["n_findings"] = np.bincount(where, minlength=n)
    out["n_errors"] = np.bincount(where, weights=(findings["severity"] == "error").to_numpy()[live],
                                  minlength=n).astype(int)
    out["n_warnings"] = out["n_findings"] - out["n_errors"]
    out["deduction"] = np.bincount(where, weights=findings["deduction"].to_numpy()[live],
                                   minlength=n)
    out["score"] = np.clip(100.0 - out["deduction"].to_numpy(), 0.0, 100.0)
    graded = grade(out["score"].to_numpy(), c.grade_bands)
    out["grade"] = cap_grades(graded, c.error_grade, c.grade_bands,
                              where=out["n_errors"].to_numpy() > 0)
    # The codes of each project in the order of FINDING_CODES, built code by code (16 passes).
    has = np.zeros((n, len(FINDING_CODES)), dtype=bool)
    has[where, pd.Index(FINDING_CODES).get_indexer(findings["code"])[live]] = True
    codes = pd.Series("", index=books.index, dtype=object)
    for k, code in enumerate(FINDING_CODES):
        codes = codes + np.where(has[:, k], code + "、", "")
    out["adjustment_share"] = out["grade"].map(dict(c.adjustment_share)).astype(float)
    out["adjustment"] = round_money(out["amount"] * out["adjustment_share"], unit)
    out["adjusted_amount"] = out["amount"] - out["adjustment"]
    out["codes"] = codes.str.removesuffix("、").to_numpy()
    return TargetReview(
        findings=findings.drop(columns="_at"), projects=out, config=ref,
        constants={"expected_total": c.expected_total,
                   "cost_required_min_amount": c.cost_required_min_amount,
                   "percent_max": c.percent_max, "percent_units": c.percent_units,
                   "vague_words": c.vague_words, "lower_words": c.lower_words,
                   "higher_words": c.higher_words,
                   "deductions": {k: r.deduction for k, r in c.findings.items()},
                   "grade_bands": c.grade_bands.describe(), "error_grade": c.error_grade,
                   "adjustment_share": dict(c.adjustment_share), "round_to": unit},
    )
