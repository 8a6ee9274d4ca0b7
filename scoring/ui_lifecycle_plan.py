"""Budget-planning pages of the lifecycle: 事前评估 (ex-ante assessment) and 目标审核 (target review).

事前评估 imports next year's budget requests (GBK CSV or .xlsx, Chinese headers), lists the
requests that need an assessment with the rule that caught each, scores an assessment on the
five dimensions of the ex-ante framework and records 支持 / 调整后支持 / 不予支持 with the budget
change. 目标审核 checks every project's target table, lets a reviewer accept or dismiss each
finding, grades the tables and records the budget adjustments. Registered by
:func:`scoring.ui_lifecycle.pages`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.clock import format_time
from indicators.errors import JixiaoError
from indicators.frameworks import load_builtin
from indicators.frontdoor import PageContext
from indicators.ui_widgets import show_error
from scoring.exante import ExanteTriggers, exante_triggers, score_exante
from scoring.lifecycle_decision_store import (
    check_decisions,
    current_decisions,
    decision_history,
    record_decisions,
)
from scoring.lifecycle_store import save_table
from scoring.target_review import review_targets
from scoring.ui_decisions import decision_table
from scoring.ui_lifecycle import (
    Setting,
    import_box,
    recorded,
    show_sources,
    start_page,
    year_data,
)
from scoring.ui_lifecycle_tables import (
    recommended,
    show_table,
    shown_values,
    value_label,
    wan_metric,
)
from scoring.year import CountyYear

__all__ = ["LEVELS", "FINDING_VERDICTS", "render_exante", "render_targets"]

LEVELS: tuple[str, ...] = ("达成", "部分达成", "未达成")
"""Levels of an assessment point, as the ex-ante framework's bands name them."""
FINDING_VERDICTS: tuple[str, ...] = ("成立", "驳回")
"""A reviewer's verdict on a finding: it stands, or it is dismissed (a change: needs a reason)."""

_LEVEL_KEYS = {"达成": "met", "部分达成": "partly", "未达成": "unmet"}


def _listing(ctx: PageContext, triggers: ExanteTriggers, decided: pd.DataFrame) -> pd.DataFrame:
    hit = triggers.triggered
    rules = "rules_en" if ctx.lang == "en" else "rules"
    keep = [c for c in ("project", "name", "rules", "department", "budget_type", "amount",
                        "previous_amount", "growth", "increase") if c in hit]
    out = hit[keep].assign(rules=hit[rules].to_numpy())
    out["growth"] = out["growth"] * 100.0
    at = decided.set_index("project").reindex(out["project"])
    # None where nothing is decided: the table shows the dash, not a blank.
    out["outcome"] = at["outcome"].where(at["outcome"].notna(), None).to_numpy()
    out["cut_decided"] = at["amount"].to_numpy(dtype=float)
    out["decided_by"] = at["created_by"].where(at["created_by"].notna(), None).to_numpy()
    return out


def render_exante(ctx: PageContext) -> None:
    """Draw 事前评估: import requests, list those needing assessment, score, decide.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    The trigger rules and the ex-ante framework are those of the chosen settings; a decision
    different from the recommended outcome or cut needs a reason. Recording a decision also
    stores the assessment sheet it was based on.

    Examples
    --------
    >>> callable(render_exante)
    True
    """
    setting = start_page(ctx, "lifecycle.exante.title")
    if setting is None:
        return
    with st.expander(ctx.t("lifecycle.exante.import")):
        import_box(ctx, setting, ("requests",), key="lifecycle.exante.import")
    data, sources = year_data(ctx, setting)
    show_sources(ctx, sources, ("requests", "exante_sheets"))
    if sources["requests"] == "missing":
        st.info(ctx.t("lifecycle.exante.no_requests", year=setting.year + 1))
        return
    try:
        triggers = exante_triggers(data.requests, setting.config)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    words = [w[1] if ctx.lang == "en" else w[0] for w in triggers.rules.values()]
    st.caption(ctx.t("lifecycle.exante.rules") + ctx.t("lifecycle.list_separator").join(words))
    with Session(ctx.engine) as session:
        decided = current_decisions(session, year=setting.year, stage="exante")
    listing = _listing(ctx, triggers, decided)
    cells = st.columns(4)
    cells[0].metric(ctx.t("lifecycle.exante.n_requests"), len(triggers.table))
    cells[1].metric(ctx.t("lifecycle.exante.n_triggered"), len(listing))
    cells[2].metric(ctx.t("lifecycle.exante.n_decided"), int(listing["outcome"].notna().sum()))
    cells[3].metric(ctx.t("lifecycle.exante.cut_decided"),
                    wan_metric(float(np.nansum(listing["cut_decided"]))),
                    help=ctx.t("lifecycle.exante.cut_decided_help"))
    show_table(ctx, shown_values(ctx, listing, {"budget_type": "budget", "outcome": "exante"}),
               key="lifecycle.exante.listing")
    if listing.empty:
        st.success(ctx.t("lifecycle.exante.none"))
        return
    names = dict(zip(listing["project"], listing.get("name", listing["project"]), strict=True))
    project = st.selectbox(ctx.t("lifecycle.exante.project"), list(names),
                           key="lifecycle.exante.project",
                           format_func=lambda p: f"{p} {names[p]}")
    in_force = decided.loc[decided["project"] == project] if len(decided) else decided
    _assess(ctx, setting, data, project, None if in_force.empty else in_force.iloc[-1])


def _assess(ctx: PageContext, setting: Setting, data: CountyYear, project: str,
            in_force: pd.Series | None) -> None:
    framework = load_builtin(setting.config.exante.framework)
    sheets = data.exante_sheets
    given = ({} if sheets is None else dict(sheets.loc[sheets["project"] == project,
                                                       ["indicator", "level"]].to_numpy()))
    st.subheader(ctx.t("lifecycle.exante.assess", project=project))
    st.caption(ctx.t("lifecycle.exante.framework", ref=framework.ref))
    levels: dict[str, str] = {}
    for dimension in [i for i in framework.indicators if i.level == 1]:
        st.markdown(ctx.t("lifecycle.exante.dimension", name=dimension.name,
                          weight=f"{dimension.weight:g}"))
        cells = st.columns(2)
        leaves = [leaf for leaf in framework.leaves()
                  if framework.path(leaf.code)[0].code == dimension.code]
        for k, leaf in enumerate(leaves):
            default = given.get(leaf.code, LEVELS[0])
            levels[leaf.code] = cells[k % 2].selectbox(
                leaf.name, LEVELS, index=LEVELS.index(default) if default in LEVELS else 0,
                key=f"lifecycle.exante.level.{project}.{leaf.code}",
                format_func=lambda v: ctx.t(f"lifecycle.level.{_LEVEL_KEYS[v]}"))
    request = data.requests.loc[data.requests["project"] == project, ["project", "amount"]]
    asked = float(request["amount"].iloc[0])
    proposed = st.number_input(ctx.t("lifecycle.exante.proposed"), min_value=0.0,
                               max_value=asked, value=None, step=1000.0,
                               key=f"lifecycle.exante.proposed.{project}")
    sheet = pd.DataFrame({"project": project, "indicator": list(levels),
                          "level": list(levels.values())})
    proposals = (None if proposed is None
                 else pd.DataFrame({"project": [project], "proposed_amount": [proposed]}))
    try:
        row = score_exante(sheet, request, setting.config, proposals=proposals,
                           framework=framework).results.iloc[0]
    except JixiaoError as err:
        show_error(ctx, err)
        return
    cells = st.columns(4)
    cells[0].metric(ctx.t("lifecycle.exante.total"), f"{row['total']:.2f}")
    cells[1].metric(ctx.t("lifecycle.exante.recommended"), value_label(ctx, "exante",
                                                                       row["outcome"]))
    cells[2].metric(ctx.t("lifecycle.exante.cut"), wan_metric(float(row["cut"])),
                    help=ctx.t("lifecycle.exante.cut_help"))
    cells[3].metric(ctx.t("lifecycle.exante.approved"), wan_metric(float(row["approved_amount"])),
                    help=ctx.t("lifecycle.exante.approved_help"))
    if row["below_floor"]:
        st.warning(ctx.t("lifecycle.exante.below_floor",
                         share=f"{setting.config.exante.dimension_floor_share:.0%}"))
    _decide_exante(ctx, setting, project, row, sheet, asked, in_force)


def _decision_start(ctx: PageContext, labels: list[str], advised: str, cut: float,
                    asked: float, in_force: pd.Series | None) -> tuple[str, float, str, int]:
    """Where the form starts: the decision in force (said so on the page), else the
    recommendation; and the id of that decision (0 for none)."""
    if in_force is None or in_force["outcome"] not in labels:
        return advised, cut, "", 0
    amount = 0.0 if pd.isna(in_force["amount"]) else min(float(in_force["amount"]), asked)
    st.info(ctx.t("lifecycle.exante.in_force",
                  outcome=value_label(ctx, "exante", in_force["outcome"]),
                  amount=f"{amount:,.2f}", by=in_force["created_by"],
                  at=format_time(in_force["created_at"])))
    then = (0.0 if pd.isna(in_force["recommended_amount"])
            else float(in_force["recommended_amount"]))
    if in_force["recommendation"] != advised or abs(then - cut) > 0.005:
        st.warning(ctx.t("lifecycle.exante.stale",
                         outcome=value_label(ctx, "exante", in_force["recommendation"]),
                         amount=f"{then:,.2f}"))
    return str(in_force["outcome"]), amount, str(in_force["reason"]), int(in_force["id"])


def _decide_exante(ctx: PageContext, setting: Setting, project: str, row: pd.Series,
                   sheet: pd.DataFrame, asked: float, in_force: pd.Series | None) -> None:
    labels = list(setting.config.exante.outcome_bands.labels)
    advised, cut = str(row["outcome"]), float(row["cut"])
    start, start_amount, start_reason, decision_id = _decision_start(
        ctx, labels, advised, cut, asked, in_force)
    # Keyed by the recommendation and the decision in force, so a re-scored sheet or a new
    # decision starts the form afresh; an untouched form then records nothing new.
    suffix = f"{project}.{advised}.{cut:.2f}.{decision_id}"
    outcome = st.radio(ctx.t("lifecycle.exante.outcome"), labels, horizontal=True,
                       index=labels.index(start), key=f"lifecycle.exante.outcome.{suffix}",
                       format_func=lambda v: value_label(ctx, "exante", v))
    amount = st.number_input(ctx.t("lifecycle.exante.amount"), min_value=0.0, max_value=asked,
                             value=start_amount, step=1000.0,
                             key=f"lifecycle.exante.amount.{suffix}")
    reason = st.text_input(ctx.t("lifecycle.decide.reason"), value=start_reason,
                           key=f"lifecycle.exante.reason.{suffix}")
    if st.button(ctx.t("lifecycle.exante.decide"), key="lifecycle.exante.decide", type="primary"):
        decision = pd.DataFrame({
            "project": [project], "recommendation": [advised], "recommended_amount": [cut],
            "outcome": [outcome], "amount": [amount], "reason": [reason],
            "detail": [{"total": float(row["total"]), "request": asked,
                        "approved_amount": asked - float(amount)}]})
        try:
            check_decisions(decision)
            with Session(ctx.engine) as session:
                save_table(session, year=setting.year, kind="exante_sheets", frame=sheet,
                           file_name=ctx.t("lifecycle.exante.form_file"),
                           created_by=ctx.viewer.display_name)
                record_decisions(session, year=setting.year, stage="exante", decisions=decision,
                                 created_by=ctx.viewer.display_name, config=setting.config.ref)
        except JixiaoError as err:
            show_error(ctx, err)
        else:
            recorded(ctx.t("lifecycle.exante.decided", project=project,
                           outcome=value_label(ctx, "exante", outcome)))
            st.rerun()
    _history(ctx, setting, "exante", project, kind="exante")


def _history(ctx: PageContext, setting: Setting, stage: str, project: str, *,
             kind: str) -> None:
    with Session(ctx.engine) as session:
        history = decision_history(session, year=setting.year, stage=stage, project=project)
    if history.empty:
        return
    with st.expander(ctx.t("lifecycle.decide.history", n=len(history))):
        shown = history[["created_at", "created_by", "item", "recommendation",
                         "recommended_amount", "outcome", "amount", "changed", "reason"]].copy()
        shown["created_at"] = shown["created_at"].map(format_time)
        show_table(ctx, shown_values(ctx, shown, {"recommendation": kind, "outcome": kind}))


def _dismissed(ctx: PageContext, setting: Setting) -> pd.DataFrame:
    with Session(ctx.engine) as session:
        now = current_decisions(session, year=setting.year, stage="target_finding")
    gone = now.loc[now["outcome"] == FINDING_VERDICTS[1]]
    parts = gone["item"].str.split("|", n=1, expand=True).reindex(columns=[0, 1])
    return pd.DataFrame({"project": gone["project"].to_numpy(),
                         "code": parts[0].fillna("").to_numpy(),
                         "indicator_code": parts[1].fillna("").to_numpy()})


def render_targets(ctx: PageContext) -> None:
    """Draw 目标审核: every target table checked and graded; findings and adjustments decided.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    A dismissed finding costs nothing (the reviewer overrode it, with a reason), so grades and
    suggested adjustments are recomputed from the verdicts in force.

    Examples
    --------
    >>> callable(render_targets)
    True
    """
    setting = start_page(ctx, "lifecycle.targets.title")
    if setting is None:
        return
    data, sources = year_data(ctx, setting)
    show_sources(ctx, sources, ("projects", "targets"))
    if sources["projects"] == "missing":
        st.info(ctx.t("lifecycle.targets.no_projects"))
        return
    try:
        review = review_targets(data.targets, data.projects[["project", "amount"]],
                                setting.config, dismissed=_dismissed(ctx, setting))
    except JixiaoError as err:
        show_error(ctx, err)
        return
    facts = data.projects.set_index("project")
    # This page shows and decides on what the review recommends, never a decision laid over it.
    table = review.projects.assign(
        name=facts["name"].reindex(review.projects["project"]).to_numpy(),
        department=facts["department"].reindex(review.projects["project"]).to_numpy(),
        grade=recommended(review.projects, "grade").to_numpy(),
        adjustment=recommended(review.projects, "adjustment").to_numpy())
    labels = list(setting.config.target_review.grade_bands.labels)
    cells = st.columns(len(labels) + 2)
    cells[0].metric(ctx.t("lifecycle.targets.n_projects"), len(table))
    for cell, label in zip(cells[1:], labels, strict=False):
        cell.metric(value_label(ctx, "grade", label), int((table["grade"] == label).sum()))
    cells[-1].metric(ctx.t("lifecycle.targets.adjustment"),
                     wan_metric(float(table["adjustment"].sum())),
                     help=ctx.t("lifecycle.targets.adjustment_help"))
    show_table(ctx, shown_values(ctx, table[["project", "name", "department", "amount",
                                             "n_findings", "n_errors", "score", "grade",
                                             "adjustment", "codes"]]),
               key="lifecycle.targets.table")
    st.subheader(ctx.t("lifecycle.targets.decide"))
    needing = table.loc[(table["adjustment"] > 0) | (table["grade"] != labels[0])]
    if needing.empty:
        st.success(ctx.t("lifecycle.targets.all_pass"))
    else:
        decision_table(ctx, setting, stage="target_review", key="lifecycle.targets.decisions",
                       frame=needing.assign(recommendation=needing["grade"],
                                            recommended_amount=needing["adjustment"]),
                       options=labels, shown=("name", "score", "n_findings"), kind="grade")
    _findings(ctx, setting, review.findings)


def _findings(ctx: PageContext, setting: Setting, findings: pd.DataFrame) -> None:
    st.subheader(ctx.t("lifecycle.targets.findings"))
    if findings.empty:
        st.success(ctx.t("lifecycle.targets.no_findings"))
        return
    projects = list(dict.fromkeys(findings["project"]))
    project = st.selectbox(ctx.t("lifecycle.targets.project"), projects,
                           key="lifecycle.targets.project")
    own = findings.loc[findings["project"] == project]
    frame = pd.DataFrame({
        "project": own["project"].to_numpy(),
        "item": (own["code"] + "|" + own["indicator_code"].fillna("").astype(str)).to_numpy(),
        "message": own["en" if ctx.lang == "en" else "zh"].to_numpy(),
        "severity": own["severity"].to_numpy(), "deduction": own["deduction"].to_numpy(),
        "recommendation": FINDING_VERDICTS[0], "recommended_amount": np.nan})
    decision_table(ctx, setting, stage="target_finding", frame=frame, options=FINDING_VERDICTS,
                   key=f"lifecycle.targets.findings.{project}",
                   shown=("message", "severity", "deduction"), amounts=False, kind="verdict")
    _history(ctx, setting, "target_review", project, kind="grade")
