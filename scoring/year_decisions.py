"""People's decisions laid over a year's recommendations, so the year is run as decided.

The kernels of each stage recommend; a person decides, with a reason where the decision differs
(:mod:`scoring.lifecycle_decision_store`). :func:`scoring.year.run_year` computes every stage and
then calls the functions here, which put the decision in force in place of the recommendation —
the ex-ante outcome and cut, the target-review grade and adjustment, the monitoring class and cut,
the result-application cut, recovery and rework, and the findings a reviewer dismissed — keeping
the recommendation beside it. Next year's amounts, the batches and the summary then follow from
what was decided, which is what the bureau reports. A decision whose project no longer appears in
its stage is listed as not applied, never silently dropped; a decision taken on a recommendation
that has changed since is applied and marked ``stale`` so a person can look again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.application import BATCHES, ApplicationResult
from scoring.exante import ExanteAssessment
from scoring.monitoring import MonitoringResult
from scoring.target_review import TargetReview

__all__ = ["DECISION_COLUMNS", "FINDING_DISMISSED", "stage_decisions", "dismissed_findings",
           "overlay", "decide_exante", "decide_review", "decide_monitoring",
           "decide_application", "application_batches", "decision_ledger"]

DECISION_COLUMNS: tuple[str, ...] = ("stage", "project", "item", "recommendation", "outcome",
                                     "amount", "reason", "detail")
"""What a decision in force carries, as :func:`current_decisions` returns it."""

FINDING_DISMISSED = "驳回"
"""The verdict that dismisses a target-review finding (the other verdict, 成立, lets it stand)."""


def stage_decisions(decisions: pd.DataFrame | None, stage: str) -> pd.DataFrame:
    """The decisions in force of one stage, one row per project (project-level stages).

    Parameters
    ----------
    decisions
        Decisions in force of the year
        (:func:`scoring.lifecycle_decision_store.current_decisions`), or None.
    stage
        ``exante``, ``target_review``, ``target_finding``, ``monitoring`` or ``application``.

    Returns
    -------
    pandas.DataFrame
        The stage's rows with the columns of :data:`DECISION_COLUMNS` (empty when none).

    Raises
    ------
    InputError
        ``decisions`` lacks a column of :data:`DECISION_COLUMNS` other than ``item`` and
        ``detail``.

    Examples
    --------
    >>> d = pd.DataFrame({"stage": ["exante", "monitoring"], "project": ["A", "B"],
    ...                   "recommendation": ["支持", "督促加快"], "outcome": ["不予支持", "督促加快"],
    ...                   "amount": [5e5, 0.0], "reason": ["重复立项", ""]})
    >>> stage_decisions(d, "exante")[["project", "outcome", "amount"]].values.tolist()
    [['A', '不予支持', 500000.0]]
    """
    empty = pd.DataFrame({c: pd.Series(dtype=float if c == "amount" else object)
                          for c in DECISION_COLUMNS})
    if decisions is None or decisions.empty:
        return empty
    lacking = [c for c in DECISION_COLUMNS if c not in decisions and c not in ("item", "detail")]
    if lacking:
        raise InputError(f"决定表缺少列：{'、'.join(lacking)}",
                         f"the decisions lack column(s): {', '.join(lacking)}", column=lacking[0])
    rows = decisions.loc[decisions["stage"] == stage].copy()
    if "item" not in rows:
        rows["item"] = ""
    if "detail" not in rows:
        rows["detail"] = [{} for _ in range(len(rows))]
    rows["item"] = rows["item"].fillna("").astype(str)
    rows["amount"] = pd.to_numeric(rows["amount"], errors="coerce")
    return rows[list(DECISION_COLUMNS)].reset_index(drop=True)


def dismissed_findings(decisions: pd.DataFrame | None) -> pd.DataFrame:
    """The target-review findings a reviewer dismissed, as :func:`review_targets` takes them.

    Parameters
    ----------
    decisions
        Decisions in force of the year (any stages).

    Returns
    -------
    pandas.DataFrame
        ``project``, ``code``, ``indicator_code`` of every ``target_finding`` decision whose
        verdict is :data:`FINDING_DISMISSED`.

    Notes
    -----
    A finding's decision item is ``code|indicator_code`` (empty indicator code for a finding on
    the whole table), as the 目标审核 page records it.

    Examples
    --------
    >>> d = pd.DataFrame({"stage": ["target_finding"] * 2, "project": ["A", "A"],
    ...                   "item": ["vague|A01", "no_cost|"], "recommendation": ["成立"] * 2,
    ...                   "outcome": ["驳回", "成立"], "amount": [None, None], "reason": ["有依据", ""]})
    >>> dismissed_findings(d).values.tolist()
    [['A', 'vague', 'A01']]
    """
    rows = stage_decisions(decisions, "target_finding")
    gone = rows.loc[rows["outcome"] == FINDING_DISMISSED]
    parts = gone["item"].str.split("|", n=1, expand=True).reindex(columns=[0, 1])
    return pd.DataFrame({"project": gone["project"].to_numpy(dtype=object),
                         "code": parts[0].fillna("").to_numpy(dtype=object),
                         "indicator_code": parts[1].fillna("").to_numpy(dtype=object)})


def overlay(table: pd.DataFrame, decisions: pd.DataFrame, *, outcome: str, amount: str | None
            ) -> pd.DataFrame:
    """Put each project's decision in place of the recommendation, keeping the recommendation.

    Parameters
    ----------
    table
        A stage's per-project table with ``project`` and the columns named by ``outcome`` and
        ``amount``.
    decisions
        That stage's decisions (:func:`stage_decisions`).
    outcome, amount
        The columns the decision's outcome and amount replace (``amount`` None: no amount).

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``recommended_<outcome>`` (and ``recommended_<amount>``) holding the
        kernel's values, the decided values in ``outcome`` and ``amount``, ``decided`` (a
        decision is in force), ``stale`` (it was taken on another recommendation than today's)
        and ``decision_reason``.

    Notes
    -----
    A decision that kept the recommendation (no change, no reason) still counts as decided: a
    person looked at the project.

    Examples
    --------
    >>> t = pd.DataFrame({"project": ["A", "B"], "classification": ["调整调减", "督促加快"],
    ...                   "suggested_cut": [1e5, 0.0]})
    >>> d = pd.DataFrame({"stage": ["monitoring"], "project": ["A"], "item": [""],
    ...                   "recommendation": ["调整调减"], "outcome": ["督促加快"], "amount": [0.0],
    ...                   "reason": ["四季度集中支付"], "detail": [{}]})
    >>> out = overlay(t, d, outcome="classification", amount="suggested_cut")
    >>> out[["classification", "suggested_cut", "recommended_suggested_cut", "decided"]].values.tolist()
    [['督促加快', 0.0, 100000.0, True], ['督促加快', 0.0, 0.0, False]]
    """
    out = table.copy()
    out[f"recommended_{outcome}"] = out[outcome]
    if amount is not None:
        out[f"recommended_{amount}"] = out[amount]
    at = decisions.drop_duplicates("project", keep="last").set_index("project").reindex(
        out["project"])
    decided = at["outcome"].notna().to_numpy()
    out[outcome] = np.where(decided, at["outcome"].to_numpy(dtype=object),
                            out[outcome].to_numpy(dtype=object))
    if amount is not None:
        given = decided & at["amount"].notna().to_numpy()
        out[amount] = np.where(given, at["amount"].to_numpy(dtype=float),
                               out[amount].to_numpy(dtype=float))
    out["decided"] = decided
    out["stale"] = decided & (at["recommendation"].astype(object).to_numpy()
                              != out[f"recommended_{outcome}"].astype(object).to_numpy())
    out["decision_reason"] = at["reason"].fillna("").astype(str).to_numpy()
    return out


def decide_exante(assessment: ExanteAssessment | None, decisions: pd.DataFrame | None
                  ) -> ExanteAssessment | None:
    """Ex-ante results as decided: outcome, cut, and the approved amount request − cut.

    Parameters
    ----------
    assessment
        :func:`scoring.exante.score_exante`'s result, or None.
    decisions
        Decisions in force of the year.

    Returns
    -------
    ExanteAssessment or None
        The assessment with its ``results`` overlaid (:func:`overlay`); approved amounts never
        fall below zero.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> from scoring.lifecycle_demo import demo_county_year
    >>> from scoring.exante import exante_triggers, score_exante
    >>> config = load_lifecycle_config("kaijiang-2021")
    >>> year = demo_county_year(config)
    >>> a = score_exante(year.exante_sheets, year.requests, config)
    >>> first = a.results.iloc[0]
    >>> d = pd.DataFrame({"stage": ["exante"], "project": [first["project"]],
    ...     "recommendation": [first["outcome"]], "outcome": ["不予支持"],
    ...     "amount": [first["request"]], "reason": ["与既有项目重复"]})
    >>> row = decide_exante(a, d).results.iloc[0]
    >>> row["outcome"], float(row["approved_amount"]), bool(row["stale"])
    ('不予支持', 0.0, False)
    """
    if assessment is None:
        return None
    results = overlay(assessment.results, stage_decisions(decisions, "exante"),
                      outcome="outcome", amount="cut")
    results["approved_amount"] = np.maximum(
        0.0, results["request"].to_numpy(dtype=float) - results["cut"].to_numpy(dtype=float))
    return replace(assessment, results=results)


def decide_review(review: TargetReview, decisions: pd.DataFrame | None) -> TargetReview:
    """Target-review grades and budget adjustments as decided.

    Parameters
    ----------
    review
        :func:`scoring.target_review.review_targets`'s result (run with the dismissed findings
        of :func:`dismissed_findings`).
    decisions
        Decisions in force of the year.

    Returns
    -------
    TargetReview
        ``projects`` overlaid: ``grade`` and ``adjustment`` decided, ``adjusted_amount`` =
        amount − adjustment (never below zero).

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> from scoring.target_review import review_targets
    >>> t = pd.DataFrame({"project": ["A"], "indicator_code": ["x"], "name": ["完成数"],
    ...     "level1": ["产出指标"], "level2": ["数量指标"], "direction": ["≥"], "target": [10.0],
    ...     "unit": ["个"], "weight": [90.0]})
    >>> r = review_targets(t, pd.DataFrame({"project": ["A"], "amount": [1e6]}),
    ...                    load_lifecycle_config())
    >>> d = pd.DataFrame({"stage": ["target_review"], "project": ["A"],
    ...     "recommendation": [r.projects["grade"].iat[0]], "outcome": ["通过"], "amount": [0.0],
    ...     "reason": ["补充了效益和满意度指标"]})
    >>> decide_review(r, d).projects[["grade", "adjustment", "adjusted_amount"]].values.tolist()
    [['通过', 0.0, 1000000.0]]
    """
    projects = overlay(review.projects, stage_decisions(decisions, "target_review"),
                       outcome="grade", amount="adjustment")
    projects["adjusted_amount"] = np.maximum(
        0.0, projects["amount"].to_numpy(dtype=float) - projects["adjustment"].to_numpy(dtype=float))
    return replace(review, projects=projects)


def decide_monitoring(watched: MonitoringResult, decisions: pd.DataFrame | None
                      ) -> MonitoringResult:
    """Monitoring classes and cuts as decided.

    Parameters
    ----------
    watched
        :func:`scoring.monitoring.monitor`'s result.
    decisions
        Decisions in force of the year.

    Returns
    -------
    MonitoringResult
        ``projects`` overlaid: ``classification`` and ``suggested_cut`` (now the decided cut)
        with the recommendations in ``recommended_classification`` and
        ``recommended_suggested_cut``.

    Examples
    --------
    >>> callable(decide_monitoring)
    True
    """
    projects = overlay(watched.projects, stage_decisions(decisions, "monitoring"),
                       outcome="classification", amount="suggested_cut")
    return replace(watched, projects=projects)


def application_batches(projects: pd.DataFrame) -> pd.DataFrame:
    """The three batches (三个一批) from per-project cuts, recoveries and rework flags.

    Parameters
    ----------
    projects
        ``cut`` and ``recover`` (yuan), ``rework`` (bool), ``next_amount`` (NaN when the project
        does not continue).

    Returns
    -------
    pandas.DataFrame
        ``batch`` (追减, 收回, 反馈整改), ``n_projects``, ``amount`` (yuan; for 反馈整改 next
        year's funds concerned).

    Notes
    -----
    追减 and 收回 count projects with a positive amount, as
    :func:`scoring.application.apply_results` does.

    Examples
    --------
    >>> d = pd.DataFrame({"cut": [1e5, 0.0], "recover": [0.0, 2e5], "rework": [True, False],
    ...                   "next_amount": [1e6, 5e5]})
    >>> application_batches(d)["amount"].tolist()
    [100000.0, 200000.0, 1000000.0]
    """
    cut = projects["cut"].to_numpy(dtype=float)
    recover = projects["recover"].to_numpy(dtype=float)
    rework = projects["rework"].fillna(False).to_numpy(dtype=bool)
    base = np.nan_to_num(projects["next_amount"].to_numpy(dtype=float))
    return pd.DataFrame({"batch": list(BATCHES),
                         "n_projects": [int((cut > 0).sum()), int((recover > 0).sum()),
                                        int(rework.sum())],
                         "amount": [float(cut.sum()), float(recover.sum()),
                                    float(base[rework].sum())]})


def _detail_values(details: pd.Series, key: str, fallback: np.ndarray) -> np.ndarray:
    """A value stored in each decision's detail, or the fallback where it is absent."""
    values = np.array([d.get(key) if isinstance(d, Mapping) else None for d in details],
                      dtype=object)
    missing = np.array([v is None for v in values], dtype=bool)
    values[missing] = fallback[missing]
    return values


def decide_application(application: ApplicationResult, decisions: pd.DataFrame | None
                       ) -> ApplicationResult:
    """Result application as decided: cut, recovery and rework per project, and the batches.

    Parameters
    ----------
    application
        :func:`scoring.application.apply_results`'s result.
    decisions
        Decisions in force of the year; an ``application`` decision's amount is the cut and its
        detail holds ``recover`` and ``rework`` (as the 结果应用 page records them).

    Returns
    -------
    ApplicationResult
        ``projects`` with the decided ``cut``, ``recover``, ``rework`` and ``suggested_next``,
        the recommendations in ``recommended_cut``, ``recommended_recover`` and
        ``recommended_rework``, and ``batches`` counted from the decided values.

    Notes
    -----
    The recommendation an application decision answers is the action of the grade (e.g.
    按比例调减); when the grade has changed since, the decision is marked ``stale``.

    Examples
    --------
    >>> from scoring.application import apply_results
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> ev = pd.DataFrame({"project": ["A"], "grade": ["中"], "budget": [1e6], "spent": [8e5],
    ...                    "next_amount": [1e6]})
    >>> rec = apply_results(ev, load_lifecycle_config())
    >>> d = pd.DataFrame({"stage": ["application"], "project": ["A"],
    ...     "recommendation": [rec.projects["action"].iat[0]],
    ...     "outcome": [rec.projects["action"].iat[0]], "amount": [0.0], "reason": ["刚性支出"],
    ...     "detail": [{"recover": 0.0, "rework": True}]})
    >>> decide_application(rec, d).batches["amount"].tolist()
    [0.0, 0.0, 1000000.0]
    """
    rows = stage_decisions(decisions, "application")
    projects = overlay(application.projects, rows, outcome="action", amount="cut")
    at = rows.drop_duplicates("project", keep="last").set_index("project").reindex(
        projects["project"])
    decided = projects["decided"].to_numpy(dtype=bool)
    details = at["detail"]
    recover = application.projects["recover"].to_numpy(dtype=float)
    rework = application.projects["rework"].to_numpy(dtype=bool)
    projects["recommended_recover"] = recover
    projects["recommended_rework"] = rework
    projects["recover"] = np.where(decided, _detail_values(details, "recover", recover.astype(object))
                                   .astype(float), recover)
    projects["rework"] = np.where(decided, _detail_values(details, "rework", rework.astype(object))
                                  .astype(bool), rework)
    nxt = projects["next_amount"].to_numpy(dtype=float)
    projects["suggested_next"] = np.where(np.isnan(nxt), np.nan,
                                          np.maximum(0.0, nxt - projects["cut"].to_numpy(float)))
    return replace(application, projects=projects, batches=application_batches(projects))


def decision_ledger(decisions: pd.DataFrame | None, applied: Mapping[str, pd.DataFrame]
                    ) -> pd.DataFrame:
    """Every decision in force and whether the year run could apply it.

    Parameters
    ----------
    decisions
        Decisions in force of the year.
    applied
        Stage → the overlaid stage table (with ``project``, ``decided``, ``stale``).

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``project``, ``item``, ``recommendation``, ``outcome``, ``amount``,
        ``reason``, ``applied`` (its project is in the stage's table), ``stale``.

    Notes
    -----
    ``target_finding`` verdicts apply through the target review's dismissals; they count as
    applied when their project was reviewed.

    Examples
    --------
    >>> d = pd.DataFrame({"stage": ["monitoring"], "project": ["Z"],
    ...     "recommendation": ["调整调减"], "outcome": ["督促加快"], "amount": [0.0], "reason": ["x"]})
    >>> t = pd.DataFrame({"project": ["A"], "decided": [False], "stale": [False]})
    >>> decision_ledger(d, {"monitoring": t})[["project", "applied"]].values.tolist()
    [['Z', False]]
    """
    columns = [c for c in DECISION_COLUMNS if c != "detail"]
    if decisions is None or decisions.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in [*columns, "applied", "stale"]})
    frames = []
    for stage, table in applied.items():
        rows = stage_decisions(decisions, stage)[columns]
        keys = table[["project", "stale"]].drop_duplicates("project")
        merged = rows.merge(keys, on="project", how="left", indicator=True)
        merged["applied"] = (merged.pop("_merge") == "both").to_numpy()
        merged["stale"] = merged["stale"].fillna(False).astype(bool)
        frames.append(merged)
    findings = stage_decisions(decisions, "target_finding")[columns]
    if "target_review" in applied:
        findings = findings.assign(
            applied=findings["project"].isin(applied["target_review"]["project"]).to_numpy(),
            stale=False)
        frames.append(findings)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
