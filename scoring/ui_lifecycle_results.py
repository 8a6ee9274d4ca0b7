"""Pages of the lifecycle's second half: 双监控 and 信息公开 (结果应用 has a module of its own).

双监控 imports spending and target progress, lights every project at a cut-off month and records
what is done about each one the rules flag. 信息公开 hands out the clean public tables. 结果应用
is :mod:`scoring.ui_lifecycle_application`. Registered by :func:`scoring.ui_lifecycle.pages`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from indicators.ui_widgets import show_error
from scoring.lifecycle_decision_store import current_decisions
from scoring.monitoring import CLASSES, LIGHTS, MonitoringResult, monitor, sichuan_checkpoint
from scoring.ui_decisions import decision_table
from scoring.ui_lifecycle import (
    Setting,
    import_box,
    show_sources,
    start_page,
    year_data,
    year_result,
)
from scoring.ui_lifecycle_tables import (
    GAP,
    XLSX,
    labelled,
    recommended,
    shown_values,
    value_label,
    wan_metric,
    workbook_bytes,
)
from scoring.year_decisions import decide_monitoring

__all__ = ["LIGHT_COLOURS", "CUTTING_CLASS", "checkpoint_note", "render_monitoring",
           "render_disclosure"]

LIGHT_COLOURS: dict[str, str] = {"红灯": "#f8d7da", "黄灯": "#fff3cd", "绿灯": "#d4edda"}
"""Cell colours of the three lights, pale enough to read the text on."""
CUTTING_CLASS = CLASSES[0]
"""The only monitoring class that cuts funds (调整调减, DOMAIN.md §1)."""
# How the public tables' coded columns are shown, by their published (Chinese) header.
_PUBLIC_KINDS = {"预算类型": "budget", "评价等级": "grade", "指标方向": "direction",
                 "一级指标": "category", "二级指标": "category"}


def render_monitoring(ctx: PageContext) -> None:
    """Draw 双监控: import spending and progress, light every project, decide the flagged ones.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    The cut-off months offered are those the spending table has, starting at the settings'
    month where it has one; under the Sichuan-style rule the page names the checkpoint the
    month is judged by (:func:`checkpoint_note`). Each class and the cut read as decided (the
    decision in force, else the recommendation) with the rules' figure beneath. Each decision
    records the month and rule set its recommendation came from.

    Examples
    --------
    >>> callable(render_monitoring)
    True
    """
    setting = start_page(ctx, "lifecycle.monitoring.title")
    if setting is None:
        return
    with st.expander(ctx.t("lifecycle.monitoring.import")):
        import_box(ctx, setting, ("spending", "progress"), key="lifecycle.monitoring.import")
    data, sources = year_data(ctx, setting)
    show_sources(ctx, sources, ("projects", "spending", "progress"))
    if "missing" in (sources["projects"], sources["spending"]):
        st.info(ctx.t("lifecycle.monitoring.no_data"))
        return
    c = setting.config.monitoring
    # Only months the spending table has: any other month would light nothing.
    months = sorted({int(m) for m in data.spending["month"].dropna()} & set(range(1, 13)))
    if not months:
        st.info(ctx.t("lifecycle.monitoring.no_data"))
        return
    left, right = st.columns(2)
    month = left.selectbox(ctx.t("lifecycle.monitoring.month"), months,
                           index=months.index(c.cutoff_month) if c.cutoff_month in months
                           else len(months) - 1, key="lifecycle.monitoring.month",
                           format_func=lambda m: ctx.t("lifecycle.monitoring.month_label", month=m))
    rule_sets = ["lights", "sichuan"]
    rule_set = right.radio(ctx.t("lifecycle.monitoring.rules"), rule_sets, horizontal=True,
                           index=rule_sets.index(c.rule_set), key="lifecycle.monitoring.rules",
                           format_func=lambda r: ctx.t(f"lifecycle.monitoring.rules.{r}"))
    if rule_set == "sichuan":
        st.caption(checkpoint_note(ctx, month, c.sichuan.checkpoints))
    try:
        result = monitor(data.projects.rename(columns={"amount": "budget"})[["project", "budget"]],
                         data.spending, setting.config, progress=data.progress, month=month,
                         rule_set=rule_set)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    facts = data.projects.set_index("project")
    # This page shows and decides on what the rules recommend, never on a decision laid over it.
    p = result.projects.assign(
        name=facts["name"].reindex(result.projects["project"]).to_numpy(),
        department=facts["department"].reindex(result.projects["project"]).to_numpy(),
        classification=recommended(result.projects, "classification").to_numpy(),
        suggested_cut=recommended(result.projects, "suggested_cut").to_numpy())
    _monitoring_metrics(ctx, setting, result, p)
    shown = labelled(ctx, shown_values(ctx, p[[
        "project", "name", "department", "budget", "spent", "execution_percent",
        "execution_ratio", "target_progress", "execution_light", "target_light", "light",
        "classification", "suggested_cut"]]))
    light_columns = [ctx.t(f"lifecycle.col.{c}") for c in ("execution_light", "target_light",
                                                           "light")]
    # Coloured by the label shown, which is the light in the page's language.
    colours = {value_label(ctx, "light", k): v for k, v in LIGHT_COLOURS.items()}
    st.dataframe(shown.style.format(precision=2, thousands=",", na_rep=GAP)
                 .map(lambda v: f"background-color: {colours[v]}" if v in colours else "",
                      subset=light_columns), hide_index=True, key="lifecycle.monitoring.table",
                 placeholder=GAP)
    st.subheader(ctx.t("lifecycle.monitoring.decide"))
    flagged = p.loc[p["classification"] != CLASSES[3]]
    if flagged.empty:
        st.success(ctx.t("lifecycle.monitoring.none"))
        return
    decision_table(ctx, setting, stage="monitoring", key="lifecycle.monitoring.decisions",
                   frame=flagged.assign(recommendation=flagged["classification"],
                                        recommended_amount=flagged["suggested_cut"]),
                   options=CLASSES, shown=("name", "light", "execution_ratio", "target_progress"),
                   detail={"month": int(month), "rule_set": rule_set}, kind="class",
                   colours={"light": LIGHT_COLOURS}, cut_by=CUTTING_CLASS)


def checkpoint_note(ctx: PageContext, month: int, checkpoints: Mapping[int, float]) -> str:
    """Which Sichuan-style checkpoint a cut-off month is judged by, in the page's language.

    Parameters
    ----------
    ctx
        The page context (language).
    month
        The cut-off month.
    checkpoints
        Checkpoint month → execution floor (%), from the settings.

    Returns
    -------
    str
        The checkpoint in force (the latest at or before ``month``) and every checkpoint; before
        the first one, that only the gap between attainment and execution warns.

    Notes
    -----
    The Sichuan rule sets floors at the end of April, June, August and October
    (:func:`scoring.monitoring.sichuan_checkpoint`); at any other month the latest floor holds,
    which a person choosing September should be told.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> zh = PageContext(None, Viewer(1, "w", "王", Role.FINANCE))
    >>> points = {4: 25.0, 6: 40.0, 8: 60.0, 10: 80.0}
    >>> checkpoint_note(zh, 9, points).split("（")[0]
    '四川式预警：9 月末按 8 月末的节点判断，预算执行率应不低于 60%'
    >>> checkpoint_note(zh, 3, points).split("，")[0]
    '四川式预警：3 月末早于第一个节点（4 月末）'
    """
    separator = ctx.t("lifecycle.list_separator")
    points = separator.join(ctx.t("lifecycle.monitoring.checkpoint", month=m, floor=f"{f:g}")
                            for m, f in sorted(checkpoints.items()))
    floor = sichuan_checkpoint(month, checkpoints)
    if np.isnan(floor):
        return ctx.t("lifecycle.monitoring.before_checkpoints", month=month,
                     first=min(checkpoints), points=points)
    due = max(m for m in checkpoints if m <= month)
    return ctx.t("lifecycle.monitoring.checkpoint_in_force", month=month, at=due,
                 floor=f"{floor:g}", points=points)


def _monitoring_metrics(ctx: PageContext, setting: Setting, result: MonitoringResult,
                        p: pd.DataFrame) -> None:
    """The lights, and each class and the cut as decided with the rules' figure beneath."""
    with Session(ctx.engine) as session:
        now = current_decisions(session, year=setting.year, stage="monitoring")
    # As the year run counts them: the decision in force, else the recommendation.
    decided = decide_monitoring(result, now).projects
    flagged = (p["classification"] != CLASSES[3]).to_numpy()
    cells = st.columns(len(LIGHTS) + 1)
    for cell, light in zip(cells, LIGHTS, strict=False):
        cell.metric(value_label(ctx, "light", light), int((p["light"] == light).sum()))
    cells[-1].metric(ctx.t("lifecycle.monitoring.n_decided"),
                     f"{int(decided['decided'].to_numpy()[flagged].sum())} / {int(flagged.sum())}",
                     help=ctx.t("lifecycle.monitoring.n_decided_help"))
    cells = st.columns(len(CLASSES))
    for cell, label in zip(cells, CLASSES[:3], strict=False):
        cell.metric(value_label(ctx, "class", label),
                    int((decided["classification"] == label).sum()),
                    delta=ctx.t("lifecycle.monitoring.recommended",
                                value=int((p["classification"] == label).sum())),
                    delta_color="off", delta_arrow="off",
                    help=ctx.t("lifecycle.monitoring.as_decided_help"))
    cells[-1].metric(ctx.t("lifecycle.monitoring.cut"),
                     wan_metric(float(decided["suggested_cut"].sum())),
                     delta=ctx.t("lifecycle.monitoring.recommended",
                                 value=wan_metric(float(p["suggested_cut"].sum()))),
                     delta_color="off", delta_arrow="off",
                     help=ctx.t("lifecycle.monitoring.cut_help"))


def _public_formats(ctx: PageContext, table: pd.DataFrame) -> dict[str, Any]:
    """Number formats of a public table by shown header: yuan with separators, rates and
    scores to two decimals; target values and weights as they were written."""
    config: dict[str, Any] = {}
    for column in map(str, table.columns):
        # The published headers carry their unit: "(元)" for yuan, "(%)" for a rate.
        if column.endswith("(元)"):
            shape = "localized"
        elif column.endswith("(%)") or column.endswith("得分"):
            shape = "%.2f"
        else:
            continue
        config[str(value_label(ctx, "header", column))] = st.column_config.NumberColumn(
            format=shape)
    return config


def render_disclosure(ctx: PageContext) -> None:
    """Draw 信息公开: the public tables of targets, self-evaluation and key-evaluation results.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    The tables are built from a whitelist of columns and scanned for personal data
    (:func:`scoring.disclosure.disclosure_tables`); each downloads as CSV (UTF-8 with BOM, which
    Excel opens) and all three as one workbook.

    Examples
    --------
    >>> callable(render_disclosure)
    True
    """
    setting = start_page(ctx, "lifecycle.disclosure.title")
    if setting is None:
        return
    try:
        result = year_result(ctx, setting)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    sheets = result.disclosure.sheets()
    st.caption(ctx.t("lifecycle.disclosure.help"))
    st.download_button(ctx.t("lifecycle.disclosure.workbook"),
                       data=lambda: workbook_bytes(sheets, f"{setting.year} 年度绩效信息公开"),
                       file_name=f"绩效信息公开_{setting.year}.xlsx", mime=XLSX,
                       key="lifecycle.disclosure.workbook", on_click="ignore")
    for name, table in sheets:
        title = value_label(ctx, "sheet", name)
        st.subheader(ctx.t("lifecycle.disclosure.sheet", name=title, n=len(table)))
        # The portal gets the Chinese table; the page shows it in the reader's language.
        shown = shown_values(ctx, table, _PUBLIC_KINDS)
        shown.columns = [value_label(ctx, "header", c) for c in table.columns]
        st.dataframe(shown, hide_index=True, key=f"lifecycle.disclosure.{name}",
                     column_config=_public_formats(ctx, table), placeholder=GAP)
        st.download_button(ctx.t("lifecycle.disclosure.csv", name=title),
                           data=table.to_csv(index=False).encode("utf-8-sig"),
                           file_name=f"{name}_{setting.year}.csv", mime="text/csv",
                           key=f"lifecycle.disclosure.csv.{name}", on_click="ignore")
