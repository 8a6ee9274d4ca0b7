"""县级总览: the county dashboard of a budget year, the staff's landing page.

For the chosen year it reads the newest stored year run (:mod:`scoring.lifecycle_run_store`) and
shows coverage — the share of units, projects and funds under each stage, by budget type — the
grades by department, the funds cut, recovered and adjusted at each stage (as the run decided,
as recommended, and as the decisions in force now say), and the year's summary in the reference
report's words. The numbers are those :func:`scoring.year.run_year` computed, stored as they
were. The run used the key-evaluation results of closed review rounds and the decisions in force,
so ``jixiao year run`` prints the same numbers only from the same inputs (``--stored`` with
``--key-results`` from ``jixiao key-results``). A button runs the year again on the stored (or
demo) data. The tables themselves are computed in :mod:`scoring.year_overview`; this module
draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.clock import format_time
from indicators.demo import DEMO_YEAR
from indicators.errors import JixiaoError
from indicators.frontdoor import STAFF_ROLES, PageContext, PageSpec
from indicators.ui_widgets import show_error
from scoring.county_year_store import YEAR_KINDS, load_county_year
from scoring.grades import BandTable, load_bands
from scoring.lifecycle_decision_store import current_decisions
from scoring.lifecycle_run_store import StoredYearRun, get_year_run, list_year_runs, save_year_run
from scoring.money import format_wan
from scoring.report import grade_stack_chart
from scoring.ui_departments import department_labels, render_departments, rounded_points
from scoring.ui_lifecycle import SECTION, Setting, start_page, with_key_results
from scoring.ui_lifecycle_tables import (
    GAP,
    XLSX,
    labelled,
    show_table,
    value_label,
    wan_metric,
    workbook_bytes,
)
from scoring.year import run_year
from scoring.year_overview import (
    COVERAGE_STAGES,
    FUNDS_COLUMNS,
    TOTAL,
    DecidedSince,
    coded_label,
    decided_since,
    department_grades,
    stage_coverage,
    stage_funds,
)
from scoring.year_overview import number_label as overview_number_label

__all__ = ["TOTAL", "COVERAGE_STAGES", "FUNDS_COLUMNS", "DecidedSince", "pages", "stage_coverage",
           "stage_funds", "funds_labels", "decided_since", "grade_names", "budget_labels",
           "number_label", "department_grades", "render_dashboard"]

def pages() -> list[PageSpec]:
    """The dashboard page, the staff's default landing page, and 部门整体评价 after it.

    Returns
    -------
    list of PageSpec
        县级总览 (``lifecycle-dashboard``) and 部门整体评价 (``lifecycle-departments``), staff
        only.

    Notes
    -----
    They sit in the lifecycle section; list this module before :mod:`scoring.ui_lifecycle` so
    the overview comes first in the section.

    Examples
    --------
    >>> [(p.key, p.default) for p in pages()]
    [('lifecycle-dashboard', True), ('lifecycle-departments', False)]
    """
    return [PageSpec(key="lifecycle-dashboard", section=SECTION, title="dashboard.page",
                     render=render_dashboard, roles=STAFF_ROLES, icon=":material/dashboard:",
                     default=True),
            PageSpec(key="lifecycle-departments", section=SECTION, title="departments.page",
                     render=render_departments, roles=STAFF_ROLES,
                     icon=":material/apartment:")]


def funds_labels(ctx: PageContext, funds: pd.DataFrame) -> pd.DataFrame:
    """:func:`stage_funds` as the page and the workbook show it: stages and headers translated.

    Parameters
    ----------
    ctx
        The page context (language).
    funds
        :func:`stage_funds`.

    Returns
    -------
    pandas.DataFrame
        The same numbers; ``stage`` named by ``dashboard.stage.*`` and each column of
        :data:`FUNDS_COLUMNS` headed by ``dashboard.funds_col.*``, which says whose number it
        is: the run as decided, the run's recommendation, or the decisions in force now.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> en = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
    >>> f = pd.DataFrame({"stage": ["recover"], "amount": [1.0], "amount_decided": [2.0]})
    >>> funds_labels(en, f).columns.tolist()
    ['Stage', 'Run: decided (yuan)', 'Now: decided (yuan)']
    >>> funds_labels(en, f).iloc[0, 0]
    'Recovered batch'
    """
    out = funds.assign(stage=funds["stage"].map(lambda k: ctx.t(f"dashboard.stage.{k}")))
    names = {"stage": ctx.t("lifecycle.col.stage")}
    names |= {c: ctx.t(f"dashboard.funds_col.{c}") for c in FUNDS_COLUMNS if c in out}
    return out.rename(columns=names)


def grade_names(ctx: PageContext, bands: BandTable) -> dict[str, str]:
    """Each grade label of a band table with the name the page shows.

    Parameters
    ----------
    ctx
        The page context (language).
    bands
        The band table whose labels the run used.

    Returns
    -------
    dict
        Label → name: the label itself on a Chinese page; on an English page the band's
        English name with the label, e.g. ``excellent (优)``, so a reader can match the Chinese
        tables and reports.

    Notes
    -----
    A band without an English name is named by the catalogue (``lifecycle.value.grade.*``),
    else by its label alone.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> en = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
    >>> list(grade_names(en, load_bands("national")).values())
    ['excellent (优)', 'good (良)', 'fair (中)', 'poor (差)']
    """
    return {b.label: (b.label if ctx.lang == "zh" else
                      _named(ctx, "grade", b.label, english=b.label_en)) for b in bands.bands}


def _named(ctx: PageContext, kind: str, value: str, *, english: str = "") -> str:
    """A coded value on the page: itself in Chinese, ``English (中文)`` on an English page."""
    return coded_label(kind, value, ctx.lang, english=english)


def budget_labels(ctx: PageContext, frame: pd.DataFrame) -> pd.DataFrame:
    """A coverage table with its budget types (and the :data:`TOTAL` row) in the page's language.

    Parameters
    ----------
    ctx
        The page context (language).
    frame
        A table with a ``budget_type`` column (:func:`stage_coverage`, a run's coverage).

    Returns
    -------
    pandas.DataFrame
        A copy; budget types named by ``lifecycle.value.budget.*``, the total row by
        ``dashboard.total_row``; an unknown type shown as it is.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> en = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
    >>> f = pd.DataFrame({"budget_type": ["一般公共预算", "合计"]})
    >>> budget_labels(en, f)["budget_type"].tolist()
    ['general public budget', 'All budgets']
    """
    total = ctx.t("dashboard.total_row")
    return frame.assign(budget_type=frame["budget_type"].map(
        lambda v: total if v == TOTAL else value_label(ctx, "budget", v)))


def number_label(ctx: PageContext, key: str) -> str:
    """The label of one of a run's numbers (``exante_cut`` → 事前评估追减(元)).

    Parameters
    ----------
    ctx
        The page context (language).
    key
        A key of :attr:`scoring.year.YearResult.summary`.

    Returns
    -------
    str
        The label; per-grade and per-outcome counts (``grade_优``, ``dept_grade_优``,
        ``exante_支持``, ``review_通过``) name their label, on an English page as
        ``English (中文)``; an unknown key is returned as it is.

    Notes
    -----
    Grade and outcome labels come from the settings, so their counts are labelled by pattern
    and their English names come from the catalogue (``lifecycle.value.<kind>.*``). The
    labelling is :func:`scoring.year_overview.number_label`, which ``jixiao year run``'s
    workbook uses too.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.FINANCE))
    >>> number_label(ctx, "grade_优"), number_label(ctx, "exante_cut")
    ('自评等级为“优”的项目数', '事前评估追减(元)')
    >>> number_label(PageContext(None, ctx.viewer, lang="en"), "exante_不予支持")
    'Assessments concluding reject (不予支持)'
    """
    return overview_number_label(key, ctx.lang)


def _run(ctx: PageContext, setting: Setting) -> None:
    """The run/refresh controls: run the year on the chosen data and store it, with progress."""
    options = ["demo", "stored"] if ctx.demo_mode and setting.year == DEMO_YEAR else ["stored"]
    left, right = st.columns([3, 1])
    source = left.radio(ctx.t("dashboard.source"), options, horizontal=True,
                        key="dashboard.source",
                        format_func=lambda s: ctx.t(f"dashboard.source.{s}"))
    if not right.button(ctx.t("dashboard.run"), key="dashboard.run", type="primary"):
        return
    with st.status(ctx.t("dashboard.running", year=setting.year), expanded=True) as status:
        bar = st.progress(0.0, text=ctx.t("dashboard.step.load"))
        try:
            if source == "demo":
                from scoring.lifecycle_demo import demo_county_year

                with Session(ctx.engine) as session:
                    decided = current_decisions(session, year=setting.year)
                # The demo's tables, but the decisions people recorded on them.
                data = replace(demo_county_year(setting.config), decisions=decided)
                sources = dict.fromkeys(YEAR_KINDS, "demo")
            else:
                with Session(ctx.engine) as session:
                    data, sources = load_county_year(session, year=setting.year,
                                                     config=setting.config, demo=ctx.demo_mode)
            data = with_key_results(ctx, data)
            bar.progress(0.3, text=ctx.t("dashboard.step.run"))
            result = run_year(data, setting.config)
            bar.progress(0.8, text=ctx.t("dashboard.step.save"))
            with Session(ctx.engine) as session:
                run = save_year_run(session, result=result, data=data, source=source,
                                    created_by=ctx.viewer.display_name, sources=sources)
        except JixiaoError as err:
            status.update(label=ctx.t("dashboard.failed"), state="error")
            show_error(ctx, err)
            return
        bar.progress(1.0, text=ctx.t("dashboard.step.done"))
        status.update(label=ctx.t("dashboard.ran", id=run.id), state="complete", expanded=False)
    st.session_state["dashboard.run_id"] = run.id


def _headline(ctx: PageContext, setting: Setting, stored: StoredYearRun,
              coverage: pd.DataFrame) -> None:
    """The tiles: short labels (they fit at 1440 px), the detail in each tile's help."""
    n = stored.summary.numbers
    total = coverage.loc[coverage["budget_type"] == TOTAL].set_index("stage")
    cells = st.columns(4)
    cells[0].metric(ctx.t("dashboard.units_with_targets"),
                    f"{int(total.at['targets', 'stage_units'])}/"
                    f"{int(total.at['targets', 'n_units'])}")
    cells[1].metric(ctx.t("dashboard.projects_with_targets"),
                    f"{int(total.at['targets', 'stage_projects'])}/"
                    f"{int(total.at['targets', 'n_projects'])}")
    minimum = setting.config.evaluation.self_evaluation_min_amount
    cells[2].metric(ctx.t("dashboard.tile.lacking_self", amount=format_wan(minimum)),
                    int(n["self_unscored"]),
                    help=ctx.t("dashboard.tile.lacking_self_help", amount=f"{minimum:,.0f}",
                               scope=int(n["self_scope"]), done=int(n["self_count"]),
                               missing=int(n["self_unscored"])))
    key = _key_sentence(ctx, n)
    cells[3].metric(ctx.t("dashboard.tile.key"), int(n["key_count"]), help=key)
    st.caption(key)
    st.caption(ctx.t("dashboard.tile.wan"))
    cells = st.columns(5)
    for cell, name in zip(cells, ("exante_cut", "review_cut", "monitor_cut", "cut_amount",
                                  "recover_amount"), strict=True):
        recommended = n.get(f"{name}_recommended")
        help_text = (ctx.t("dashboard.tile.wan_help_plain") if recommended is None else
                     ctx.t("dashboard.tile.wan_help", recommended=wan_metric(float(recommended))))
        cell.metric(ctx.t(f"dashboard.tile.{name}"), wan_metric(float(n[name])), help=help_text)


def _key_sentence(ctx: PageContext, numbers: Mapping[str, object]) -> str:
    """财政重点评价 15 个，已有 6 个评审结束 — or the count alone for a run that lacks the second."""
    if "key_results_count" not in numbers:
        return ctx.t("dashboard.key_listed", count=int(numbers["key_count"]))
    return ctx.t("dashboard.key_results", count=int(numbers["key_count"]),
                 results=int(numbers["key_results_count"]))


def _pick_run(ctx: PageContext, setting: Setting) -> StoredYearRun | None:
    with Session(ctx.engine) as session:
        runs = list_year_runs(session, year=setting.year)
    if not runs:
        st.info(ctx.t("dashboard.no_run", year=setting.year))
        return None
    # The store's label carries raw keys (demo) and UTC; the picker shows them in the page's
    # language and the bureau's time.
    labels = {r.id: f"#{r.id} {r.year} {r.config} {ctx.t(f'dashboard.source.{r.source}')} "
                    f"{format_time(r.created_at)} {r.created_by}" for r in runs}
    if st.session_state.get("dashboard.run_id") not in labels:
        st.session_state["dashboard.run_id"] = runs[0].id
    run_id = st.selectbox(ctx.t("dashboard.run_pick"), list(labels), key="dashboard.run_id",
                          format_func=labels.__getitem__)
    with Session(ctx.engine) as session:
        return get_year_run(session, run_id=run_id)


def _department_grades(ctx: PageContext, setting: Setting,
                       stored: StoredYearRun) -> pd.DataFrame:
    """The department grade distribution of the run, and its department table for the export."""
    st.subheader(ctx.t("departments.dashboard"))
    table = stored.departments
    if table.empty or table["grade"].isna().all():
        st.info(ctx.t("departments.dashboard_none"))
        return table
    names = grade_names(ctx, load_bands(setting.config.departments.bands))
    counts = department_grades(table, ("优", "良", "中", "差"))
    cells = st.columns(len(counts) + 1)
    scored = int(counts["count"].sum())
    cells[0].metric(ctx.t("departments.count"), f"{scored}/{len(table)}")
    for cell, (grade, count) in zip(cells[1:], counts.itertuples(index=False), strict=True):
        cell.metric(ctx.t("departments.grade_count", grade=value_label(ctx, "grade", grade)),
                    count)
    shown = counts.assign(grade=counts["grade"].map(lambda g: names.get(g, g)))
    st.dataframe(shown.rename(columns={"grade": ctx.t("departments.col.grade_label"),
                                       "count": ctx.t("departments.col.count")}),
                 hide_index=True, key="dashboard.department_grades")
    return table


# Pixel widths of the funds table's columns (stage, counts, yuan): 920 px in all fit the wide
# layout's content at 1440 px beside the sidebar, which automatic widths overran.
_FUNDS_WIDTHS = {"stage": 150, "n_projects": 130, "n_decided": 130, "amount": 170,
                 "amount_recommended": 170, "amount_decided": 170}


def _show_numbers(shown: pd.DataFrame, *, money: list[str], key: str,
                  widths: Mapping[str, int] | None = None) -> None:
    """A labelled table: yuan in one format (separators, two decimals), counts whole, gaps "—"."""
    formats = {c: ("{:,.2f}" if c in money else "{:,.0f}") for c in shown.columns
               if pd.api.types.is_numeric_dtype(shown[c]) and not
               pd.api.types.is_bool_dtype(shown[c])}
    config = {label: st.column_config.Column(width=px) for label, px in (widths or {}).items()}
    # The browser draws an empty cell (反馈整改 has no amount) from the data, not from the
    # styler's text, and prints "None" there unless the table names its placeholder.
    st.dataframe(shown.style.format(formats, na_rep=GAP), hide_index=True, key=key,
                 column_config=config, placeholder=GAP)


def render_dashboard(ctx: PageContext) -> None:
    """Draw 县级总览 for the chosen year: coverage, grades, funds by stage, the summary.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    Shows the newest stored run of the year (or one picked from the year's runs); the button
    runs the year again and stores the new run. Amounts in the headline are in 万元 as the
    annual report writes them; tables keep yuan.

    Examples
    --------
    >>> callable(render_dashboard)
    True
    """
    setting = start_page(ctx, "dashboard.title")
    if setting is None:
        return
    _run(ctx, setting)
    stored = _pick_run(ctx, setting)
    if stored is None:
        return
    s = stored.summary
    st.caption(ctx.t("dashboard.provenance", config=s.config,
                     source=ctx.t(f"dashboard.source.{s.source}"), month=s.month,
                     rules=ctx.t(f"lifecycle.monitoring.rules.{s.rule_set}"), by=s.created_by,
                     at=format_time(s.created_at)))
    # The run read the demo county's tables, or stored ones filled from the demo in demo mode.
    fill = " --fill-demo" if s.source == "demo" or ctx.demo_mode else ""
    st.caption(ctx.t("dashboard.run_inputs", year=setting.year, fill=fill,
                     results=int(s.numbers.get("key_results_count", 0)),
                     applied=int(s.numbers.get("decisions_applied", 0))))
    coverage = stage_coverage(stored.projects)
    _headline(ctx, setting, stored, coverage)
    st.subheader(ctx.t("dashboard.summary"))
    st.markdown(s.text_en if ctx.lang == "en" else s.text_zh)
    with Session(ctx.engine) as session:
        decisions = current_decisions(session, year=setting.year)
    st.subheader(ctx.t("dashboard.funds"))
    newer = decided_since(decisions, s.created_at)
    if newer.changed:
        st.warning(ctx.t("dashboard.decided_since_changed", n=newer.recorded,
                         changed=newer.changed))
    elif newer.recorded:
        st.info(ctx.t("dashboard.decided_since_accepted", n=newer.recorded))
    funds = stage_funds(dict(s.numbers), decisions)
    headers = {"stage": ctx.t("lifecycle.col.stage")} | {
        c: ctx.t(f"dashboard.funds_col.{c}") for c in FUNDS_COLUMNS}
    _show_numbers(funds_labels(ctx, funds),
                  money=[headers[c] for c in ("amount", "amount_recommended", "amount_decided")],
                  key="dashboard.funds",
                  widths={headers[c]: px for c, px in _FUNDS_WIDTHS.items()})
    st.caption(ctx.t("dashboard.funds_note"))
    st.subheader(ctx.t("dashboard.coverage"))
    shown = coverage.assign(stage=coverage["stage"].map(lambda k: ctx.t(f"dashboard.stage.{k}")))
    show_table(ctx, budget_labels(ctx, shown), key="dashboard.stage_coverage")
    st.caption(ctx.t("dashboard.coverage_table"))
    show_table(ctx, budget_labels(ctx, stored.coverage), key="dashboard.coverage")
    st.subheader(ctx.t("dashboard.grades_by_department"))
    grades = stored.grades
    if len(grades):
        names = grade_names(ctx, load_bands(setting.config.evaluation.bands))
        order = {g: i for i, g in enumerate(("优", "良", "中", "差"))}
        labels = sorted((c for c in grades.columns if c not in ("department", "total")),
                        key=lambda g: order.get(g, len(order)))
        chart = grade_stack_chart(grades, labels, by="department",
                                  by_title=ctx.t("lifecycle.col.department"),
                                  grade_title=ctx.t("lifecycle.col.grade"),
                                  count_title=ctx.t("scoring.projects.count"), names=names)
        st.altair_chart(chart, width="stretch")
        st.caption(ctx.t("dashboard.grades_order"))
        shown = labelled(ctx, grades.rename(columns=names))
        _show_numbers(shown, money=[], key="dashboard.grades")
    departments = _department_grades(ctx, setting, stored)
    numbers = pd.DataFrame({"number": [number_label(ctx, k) for k in s.numbers],
                            "value": [str(v) for v in s.numbers.values()], "key": list(s.numbers)})
    with st.expander(ctx.t("dashboard.numbers")):
        show_table(ctx, numbers, key="dashboard.numbers")
    zh = PageContext(ctx.engine, ctx.viewer, lang="zh")
    sheets = [("年度小结", pd.DataFrame({"年度小结": [s.text_zh, s.text_en]})),
              ("主要数字", labelled(zh, numbers)),
              ("覆盖情况", labelled(zh, stored.coverage)),
              ("分环节覆盖", labelled(zh, coverage)),
              ("分部门等级", labelled(zh, grades)),
              ("部门整体评价", department_labels(zh, rounded_points(departments))),
              ("资金调整", funds_labels(zh, stage_funds(dict(s.numbers), decisions)))]
    st.download_button(ctx.t("dashboard.download"),
                       data=lambda: workbook_bytes(sheets, f"{setting.year} 年度预算绩效管理总览"),
                       file_name=f"县级总览_{setting.year}.xlsx", mime=XLSX,
                       key="dashboard.download", on_click="ignore")
