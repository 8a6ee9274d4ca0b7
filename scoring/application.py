"""Evaluation scope and result application (三评价, 三个一批).

Who is evaluated: :func:`self_evaluation_scope` (every project at or above the threshold),
:func:`department_sample` (a seeded sample stratified by department for 部门评价) and
:func:`key_evaluation_list` (the 财政重点评价 list). What follows from the grades:
:func:`apply_results` recommends next year's funding by grade from the configured table and
fills the three batches — 追减 (cut next year's amount), 收回 (recover this year's unspent
balance) and 反馈整改 (send the targets back for rework) — with amounts. The software
recommends; :func:`apply_decisions` records what a person decided instead, with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.lifecycle_config import ApplicationConfig, EvaluationConfig, LifecycleConfig
from scoring.money import round_money

__all__ = [
    "BATCHES",
    "ApplicationResult",
    "self_evaluation_scope",
    "key_evaluation_list",
    "department_sample",
    "apply_results",
    "apply_decisions",
]

BATCHES: tuple[str, ...] = ("追减", "收回", "反馈整改")
"""The three batches of 三个一批, in the order the reference county names them."""

# The decided amounts as a message names them, in Chinese and English.
_AMOUNT_NAMES = {"cut": ("追减金额", "cut"), "recover": ("收回金额", "recovery")}


@dataclass(frozen=True)
class ApplicationResult:
    """Recommendations for next year's budget and the three batches.

    Attributes
    ----------
    projects
        One row per evaluated project: ``project``, ``grade``, ``action``, ``share``,
        ``next_amount``, ``suggested_next``, ``cut`` (追减, yuan), ``recover`` (收回, yuan),
        ``rework`` (反馈整改), ``reasons``.
    batches
        One row per batch: ``batch``, ``n_projects``, ``amount`` (yuan; for 反馈整改 the next
        year's funds concerned).
    config
        The settings' ``name@version``.
    constants
        The grade table and batch rules used.
    """

    projects: pd.DataFrame
    batches: pd.DataFrame
    config: str
    constants: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "constants", MappingProxyType(dict(self.constants)))


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: tuple[str, str]) -> None:
    lacking = [k for k in columns if k not in frame]
    if lacking:
        raise InputError(f"{what[0]}缺少列：{'、'.join(lacking)}",
                         f"the {what[1]} table lacks columns: {', '.join(lacking)}",
                         column=lacking[0])


def _evaluation(config: EvaluationConfig | LifecycleConfig) -> EvaluationConfig:
    return config.evaluation if isinstance(config, LifecycleConfig) else config


def self_evaluation_scope(projects: pd.DataFrame, config: EvaluationConfig | LifecycleConfig
                          ) -> np.ndarray:
    """Which projects must be self-evaluated (单位自评): amount at or above the threshold.

    Parameters
    ----------
    projects
        ``project`` and ``amount`` (yuan).
    config
        The lifecycle settings (or their ``evaluation`` part).

    Returns
    -------
    numpy.ndarray
        Boolean mask aligned with ``projects``.

    Notes
    -----
    Reference county, 2021: "全县对资金20万元以上的项目开展了自评" (20万元以上 read as
    inclusive, compared within half a fen).

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> frame = pd.DataFrame({"project": list("ABC"), "amount": [199_999.99, 200_000, 3e5]})
    >>> self_evaluation_scope(frame, load_lifecycle_config()).tolist()
    [False, True, True]
    """
    _require(projects, ("project", "amount"), ("项目表", "projects"))
    amount = pd.to_numeric(projects["amount"], errors="coerce").to_numpy(dtype=float)
    return amount >= _evaluation(config).self_evaluation_min_amount - 0.005


def key_evaluation_list(projects: pd.DataFrame, config: EvaluationConfig | LifecycleConfig
                        ) -> np.ndarray:
    """Which projects get a 财政重点评价: those marked key, else the largest ones.

    Parameters
    ----------
    projects
        ``project``, ``amount`` and optionally ``is_key``.
    config
        The lifecycle settings (or their ``evaluation`` part).

    Returns
    -------
    numpy.ndarray
        Boolean mask aligned with ``projects``.

    Notes
    -----
    When the bureau has marked key projects (``is_key``), those are the list. Otherwise the
    ``key_count`` largest projects of at least ``key_min_amount`` are proposed (reference county,
    2021: 15 key evaluations); ties in amount are broken by project code.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> frame = pd.DataFrame({"project": list("ABC"), "amount": [5e6, 2e6, 9e5]})
    >>> key_evaluation_list(frame, load_lifecycle_config()).tolist()
    [True, True, False]
    """
    c = _evaluation(config)
    _require(projects, ("project", "amount"), ("项目表", "projects"))
    if "is_key" in projects and projects["is_key"].fillna(False).astype(bool).any():
        return projects["is_key"].fillna(False).to_numpy(dtype=bool)
    amount = pd.to_numeric(projects["amount"], errors="coerce").fillna(0.0)
    order = pd.DataFrame({"a": -amount.to_numpy(), "p": projects["project"].astype(str).to_numpy()}
                         ).sort_values(["a", "p"]).index.to_numpy()
    eligible = amount.to_numpy()[order] >= c.key_min_amount - 0.005
    chosen = order[eligible][: c.key_count]
    mask = np.zeros(len(projects), dtype=bool)
    mask[chosen] = True
    return mask


def department_sample(projects: pd.DataFrame, config: EvaluationConfig | LifecycleConfig, *,
                      seed: int | None = None) -> np.ndarray:
    """A seeded sample stratified by department for 部门评价.

    Parameters
    ----------
    projects
        ``project`` and the stratum column named in the settings (default ``department``),
        usually the self-evaluated projects.
    config
        The lifecycle settings (or their ``evaluation`` part).
    seed
        Overrides the settings' seed.

    Returns
    -------
    numpy.ndarray
        Boolean mask aligned with ``projects``.

    Notes
    -----
    Stratum :math:`h` of :math:`N_h` projects gives :math:`n_h = \\min(N_h, \\max(m,
    \\lceil f N_h \\rceil))` projects (sampling fraction :math:`f`, minimum :math:`m`), drawn
    without replacement by ranking uniform keys of a seeded generator — proportional stratified
    random sampling (Cochran, 1977, *Sampling Techniques*, 3rd ed., Wiley, §5.1). Rows are
    ordered by project code before the keys are drawn, so the sample does not depend on the
    input order.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> frame = pd.DataFrame({"project": [f"P{i}" for i in range(10)],
    ...                       "department": ["甲"] * 6 + ["乙"] * 4})
    >>> picked = department_sample(frame, load_lifecycle_config())
    >>> int(picked[:6].sum()), int(picked[6:].sum())
    (2, 1)
    """
    c = _evaluation(config).sample
    _require(projects, ("project", c.stratum), ("项目表", "projects"))
    order = np.argsort(projects["project"].astype(str).to_numpy(), kind="stable")
    keys = np.empty(len(projects))
    keys[order] = np.random.default_rng(c.seed if seed is None else seed).random(len(projects))
    strata = projects[c.stratum].fillna("").astype(str).to_numpy()
    frame = pd.DataFrame({"h": strata, "k": keys})
    size = frame.groupby("h")["k"].transform("size").to_numpy()
    take = np.minimum(size, np.maximum(c.min_per_stratum, np.ceil(c.share * size - 1e-9)))
    rank = frame.groupby("h")["k"].rank(method="first").to_numpy()
    return rank <= take


def _application(config: ApplicationConfig | LifecycleConfig) -> tuple[ApplicationConfig, str,
                                                                          float]:
    if isinstance(config, LifecycleConfig):
        return config.application, config.ref, config.round_to
    return config, "custom", 100.0


def apply_results(evaluations: pd.DataFrame, config: ApplicationConfig | LifecycleConfig, *,
                  round_to: float | None = None) -> ApplicationResult:
    """Recommend next year's funding by grade and fill the batches 追减, 收回 and 反馈整改.

    Parameters
    ----------
    evaluations
        One row per evaluated project: ``project``, ``grade``, ``budget`` and ``spent`` (this
        year, yuan), ``next_amount`` (next year's amount before this step, NaN when the project
        does not continue) and optionally ``over_achievement`` (count or flag of indicators at
        120 % of target or more).
    config
        The lifecycle settings (or their ``application`` part).
    round_to
        Cuts of a share are rounded half up to this many yuan.

    Returns
    -------
    ApplicationResult
        One recommendation per project and the three batches with amounts.

    Raises
    ------
    InputError
        A missing column, a grade with no row in the table, or a project listed twice.

    Notes
    -----
    With grade :math:`g`, next year's amount :math:`n`, table share :math:`s_g` (≤ 0 for a cut):
    追减 = :math:`n` when :math:`s_g \\le -1` (cancel), else :math:`\\min(n, -s_g n)` rounded;
    收回 = :math:`\\max(0, b - \\text{spent})` for grades in ``recover_grades``; 反馈整改 for
    grades in ``rework_grades`` or, if set, any over-achievement (a target set too low). The
    table is the reference county's 三个一批: 优 保持或增加, 良 据实安排, 中 按比例调减, 差 取消或暂停.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> ev = pd.DataFrame({"project": list("ABC"), "grade": ["优", "中", "差"],
    ...     "budget": [1e6, 1e6, 5e5], "spent": [1e6, 8e5, 3e5], "next_amount": [1e6, 1e6, 5e5]})
    >>> r = apply_results(ev, load_lifecycle_config())
    >>> r.projects[["cut", "recover", "rework"]].values.tolist()
    [[0.0, 0.0, False], [100000.0, 200000.0, True], [500000.0, 200000.0, True]]
    >>> r.batches["amount"].tolist()
    [600000.0, 400000.0, 1500000.0]
    """
    c, ref, unit = _application(config)
    unit = round_to or unit
    _require(evaluations, ("project", "grade", "budget", "spent", "next_amount"),
             ("评价结果表", "evaluations"))
    frame = evaluations.reset_index(drop=True)
    if frame["project"].duplicated().any():
        dup = frame.loc[frame["project"].duplicated(), "project"].iloc[0]
        raise InputError(f"项目 {dup} 重复列出", f"project {dup!r} is listed twice", column="project")
    grades = frame["grade"].astype(object)
    unknown = ~grades.isin(list(c.table))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(f"第 {i + 1} 行的等级 {grades.iat[i]!r} 不在结果应用表中",
                         f"row {i + 1}: grade {grades.iat[i]!r} has no row in the application table",
                         row=i + 1, column="grade")
    share = grades.map({g: a.share for g, a in c.table.items()}).to_numpy(dtype=float)
    action = grades.map({g: a.action for g, a in c.table.items()}).to_numpy(dtype=object)
    nxt = pd.to_numeric(frame["next_amount"], errors="coerce").to_numpy(dtype=float)
    base = np.nan_to_num(nxt, nan=0.0)
    budget = frame["budget"].to_numpy(dtype=float)
    spent = frame["spent"].to_numpy(dtype=float)
    cut = np.where(share <= -1.0, base, np.minimum(base, round_money(-np.minimum(share, 0.0) * base,
                                                                       unit)))
    recover_grade = grades.isin(c.recover_grades).to_numpy()
    recover = np.where(recover_grade, np.maximum(0.0, budget - np.nan_to_num(spent)), 0.0)
    over = (frame["over_achievement"].fillna(0).to_numpy(dtype=float) > 0
            if "over_achievement" in frame else np.zeros(len(frame), dtype=bool))
    rework_grade = grades.isin(c.rework_grades).to_numpy()
    rework = rework_grade | (over & c.rework_on_over_achievement)
    reasons = (pd.Series(np.where(rework_grade, "评价等级为" + grades.astype(str) + "；", ""))
               + np.where(over & c.rework_on_over_achievement, "有指标超额完成120%以上，目标可能偏低；",
                          "")).str.removesuffix("；")
    out = pd.DataFrame({
        "project": frame["project"], "grade": grades, "action": action, "share": share,
        "next_amount": nxt, "suggested_next": np.where(np.isnan(nxt), np.nan, nxt - cut),
        "cut": cut, "recover": recover, "rework": rework, "reasons": reasons.to_numpy(),
    })
    batches = pd.DataFrame({
        "batch": list(BATCHES),
        "n_projects": [int((cut > 0).sum()), int((recover > 0).sum()), int(rework.sum())],
        "amount": [float(cut.sum()), float(recover.sum()), float(base[rework].sum())],
    })
    return ApplicationResult(
        projects=out, batches=batches, config=ref,
        constants={"table": {g: (a.action, a.share) for g, a in c.table.items()},
                   "recover_grades": c.recover_grades, "rework_grades": c.rework_grades,
                   "rework_on_over_achievement": c.rework_on_over_achievement,
                   "round_to": unit},
    )


def apply_decisions(result: ApplicationResult, decisions: pd.DataFrame) -> pd.DataFrame:
    """What was decided for each project: the recommendation, or a person's change with a reason.

    Parameters
    ----------
    result
        The recommendations of :func:`apply_results`.
    decisions
        ``project`` and any of ``cut``, ``recover``, ``rework`` (the decided values), and
        ``reason``; projects not listed keep the recommendation.

    Returns
    -------
    pandas.DataFrame
        ``project``, ``cut``, ``recover``, ``rework`` as decided, ``changed`` and ``reason``.

    Raises
    ------
    InputError
        A decision for an unknown project or for one project twice, a negative amount, or a
        change without a reason, naming the project; ``location.field`` is
        ``decisions[<row>].<column>`` (rows 1-based) for programs.

    Notes
    -----
    OECD budgeting practice (and DOMAIN.md §6): performance information informs the budget,
    people decide, and the system records why.

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> ev = pd.DataFrame({"project": ["A"], "grade": ["中"], "budget": [1e6], "spent": [8e5],
    ...                    "next_amount": [1e6]})
    >>> rec = apply_results(ev, load_lifecycle_config())
    >>> d = apply_decisions(rec, pd.DataFrame({"project": ["A"], "cut": [0.0],
    ...                                        "reason": ["政策刚性支出"]}))
    >>> d[["cut", "changed", "reason"]].values.tolist()
    [[0.0, True, '政策刚性支出']]
    """
    rec = result.projects.set_index("project")[["cut", "recover", "rework"]]
    out = rec.copy()
    out["changed"] = False
    out["reason"] = ""
    if decisions is None or decisions.empty:
        return out.reset_index()
    _require(decisions, ("project",), ("决定表", "decisions"))
    frame = decisions.reset_index(drop=True)
    def fail(mask: np.ndarray, zh: str, en: str, column: str) -> None:
        # A person knows the project, not the row of the table the page built; the row and
        # the column stay on ``field`` for programs.
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            project = frame["project"].iat[i]
            raise InputError(f"项目 {project}：{zh}", f"project {project}: {en}",
                             field=f"decisions[{i + 1}].{column}")

    fail((~frame["project"].isin(rec.index)).to_numpy(), "没有结果应用建议",
         "has no recommendation", "project")
    fail(frame["project"].duplicated().to_numpy(), "决定了两次", "decided twice", "project")
    at = frame["project"].to_numpy()
    changed = np.zeros(len(frame), dtype=bool)
    for column in ("cut", "recover", "rework"):
        if column not in frame:
            continue
        given = frame[column].notna().to_numpy()
        if column == "rework":
            value = frame[column].to_numpy(dtype=object)
        else:
            value = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            zh, en = _AMOUNT_NAMES[column]
            fail(given & ~(value >= 0), f"{zh}不是非负金额", f"the {en} is not a non-negative amount",
                 column)
        before = rec.loc[at, column].to_numpy(dtype=object)
        changed |= given & (value != before)
        out.loc[at[given], column] = value[given]
    reason = (frame["reason"].fillna("").astype(str).str.strip() if "reason" in frame
              else pd.Series("", index=frame.index))
    fail(changed & (reason == "").to_numpy(), "改变了建议，但没有填写理由",
         "changes the recommendation without a reason", "reason")
    out.loc[at, "changed"] = changed
    out.loc[at, "reason"] = reason.to_numpy()
    return out.reset_index()
