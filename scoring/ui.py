"""The scoring pages of the Streamlit app: 项目评分 and AHP 权重.

:func:`pages` is what the front door registers. 项目评分 grades a year's projects: the stored
target tables with their year-end facts (from a filled-in workbook, or the demo county's in demo
mode) or a whole uploaded scoring workbook; it shows the results coloured by grade, the grade
distribution and the departments' mean totals, stores the run and hands out the result
workbook. The AHP page lives in :mod:`scoring.ui_ahp`. Every label is a key of
``data/i18n/scoring.yaml``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.clock import format_time
from indicators.errors import JixiaoError
from indicators.frameworks import builtin_frameworks, load_builtin
from indicators.frontdoor import STAFF_ROLES, PageContext, PageSpec
from indicators.model import Status, TargetTable
from indicators.store import get_target_table, list_libraries, list_projects
from indicators.ui_widgets import latest_published, require_staff, show_error
from scoring.grades import available_band_tables, load_bands
from scoring.io import (
    GRADE_COLOURS,
    read_scoring_workbook,
    result_workbook_bytes,
    write_scoring_workbook,
)
from scoring.report import (
    PROJECT_RESULT_COLUMNS,
    grade_count_chart,
    grade_counts,
    project_results,
    row_bar_chart,
    summary_by,
)
from scoring.store import list_score_runs, resolve_library, save_score_run
from scoring.targets import DEFAULT_WEIGHT_SET, project_frame, score_target_tables

__all__ = ["SECTION", "pages", "render_projects", "stored_tables"]

SECTION = "scoring.section"
"""Message key of the navigation section the scoring pages sit in."""

_RESULT = "scoring.projects.result"
# Projects are graded against their 绩效目标表, so the target framework is the natural default.
_HOME_FRAMEWORK = "national-target"
_SHOWN = ("project", "name", "department", "budget_type", "amount", "execution_rate",
          "indicator_points", "budget_points", "total", "grade", "n_missing")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pages() -> list[PageSpec]:
    """The scoring pages, each for finance staff and admins.

    Returns
    -------
    list of PageSpec
        项目评分 (``scoring-projects``) and AHP 权重 (``scoring-ahp``).

    Notes
    -----
    Both pages write (score runs, library drafts), so both are staff pages, and each checks the
    role again when drawn.

    Examples
    --------
    >>> [page.key for page in pages()]
    ['scoring-projects', 'scoring-ahp']
    """
    return [
        PageSpec(key="scoring-projects", section=SECTION, title="scoring.page.projects",
                 render=render_projects, roles=STAFF_ROLES, icon=":material/grading:"),
        PageSpec(key="scoring-ahp", section=SECTION, title="scoring.page.ahp",
                 render=_render_ahp, roles=STAFF_ROLES, icon=":material/balance:"),
    ]


def _render_ahp(ctx: PageContext) -> None:
    from scoring.ui_ahp import render_ahp

    render_ahp(ctx)


def stored_tables(session: Session, *, year: int) -> list[TargetTable]:
    """The stored target tables of one budget year, in project-code order.

    Parameters
    ----------
    session
        An open session.
    year
        The budget year.

    Returns
    -------
    list of TargetTable

    Notes
    -----
    Read only when a page scores or exports, not on every rerun.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> with Session(engine) as session:
    ...     stored_tables(session, year=2021)
    []
    >>> clear_engine_cache()
    """
    return [get_target_table(session, project_code=p.code, year=year)
            for p in list_projects(session, year=year)]


def _library_refs(session: Session) -> tuple[list[str], str]:
    """The refs to offer and the default: the newest published 项目支出绩效目标 framework."""
    summaries = list_libraries(session)
    stored = [s.ref for s in summaries if s.status is not Status.RETIRED]
    shipped = {f: load_builtin(f).ref for f in builtin_frameworks()}
    refs = list(dict.fromkeys(stored + list(shipped.values())))
    home = latest_published(summaries, _HOME_FRAMEWORK) or shipped.get(_HOME_FRAMEWORK, refs[0])
    return refs, home


def _demo_facts(codes: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    from indicators.demo import load_demo_county

    county = load_demo_county()
    actuals = county.actuals.rename(columns={"项目编码": "project", "指标编码": "indicator",
                                             "实际值": "actual", "定性结论": "level"})
    year_end = county.spending[county.spending["截至月份"] == county.spending["截至月份"].max()]
    spending = year_end.rename(columns={"项目编码": "project", "累计支出(元)": "spent"})
    return (actuals[actuals["project"].isin(codes)],
            spending.loc[spending["project"].isin(codes), ["project", "spent"]])


def _choices(ctx: PageContext) -> dict[str, Any] | None:
    """The run's settings and its data source; None when there is nothing to score yet."""
    with Session(ctx.engine) as session:
        refs, home = _library_refs(session)
        years = sorted({p.year for p in list_projects(session)})
    left, middle, right = st.columns(3)
    library = left.selectbox(ctx.t("scoring.projects.library"), refs,
                             index=refs.index(home) if home in refs else 0,
                             key="scoring.projects.library")
    bands_names = available_band_tables()
    bands = middle.selectbox(ctx.t("scoring.projects.bands"), bands_names,
                             index=bands_names.index("national") if "national" in bands_names
                             else 0, key="scoring.projects.bands",
                             format_func=lambda n: f"{n} · {load_bands(n).describe()}")
    weight_set = right.text_input(ctx.t("scoring.projects.weight_set"), DEFAULT_WEIGHT_SET,
                                  key="scoring.projects.weight_set")
    source = st.radio(ctx.t("scoring.projects.source"), ("stored", "upload"), horizontal=True,
                      key="scoring.projects.source",
                      format_func=lambda s: ctx.t(f"scoring.projects.source.{s}"))
    chosen = {"library": library, "bands": bands, "weight_set": weight_set.strip()
              or DEFAULT_WEIGHT_SET, "source": source}
    if source == "upload":
        upload = st.file_uploader(ctx.t("scoring.projects.upload"), type=["xlsx"],
                                  key="scoring.projects.upload")
        st.caption(ctx.t("scoring.projects.upload_help"))
        if upload is None:
            return None
        return {**chosen, "upload": upload}
    if not years:
        st.info(ctx.t("scoring.projects.no_projects"))
        return None
    year = st.selectbox(ctx.t("scoring.projects.year"), years, index=len(years) - 1,
                        key="scoring.projects.year")
    st.download_button(ctx.t("scoring.projects.template"), data=lambda: _template(ctx, year),
                       file_name=f"评分填报模板_{year}.xlsx", mime=_XLSX,
                       key="scoring.projects.template", on_click="ignore")
    demo = ctx.demo_mode and st.checkbox(ctx.t("scoring.projects.demo_facts"), value=True,
                                         key="scoring.projects.demo_facts")
    facts = None
    if not demo:
        facts = st.file_uploader(ctx.t("scoring.projects.facts"), type=["xlsx"],
                                 key="scoring.projects.facts")
        if facts is None:
            st.info(ctx.t("scoring.projects.need_facts"))
            return None
    return {**chosen, "year": year, "demo": demo, "facts": facts}


def _template(ctx: PageContext, year: int) -> bytes:
    import tempfile
    from pathlib import Path

    with Session(ctx.engine) as session:
        tables = stored_tables(session, year=year)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        write_scoring_workbook(tables, path)
        return path.read_bytes()


def _score(ctx: PageContext, chosen: dict[str, Any]) -> dict[str, Any]:
    """Read the data the choices name, score it, and return what the results section shows."""
    with Session(ctx.engine) as session:
        library = resolve_library(session, ref=chosen["library"])
        if chosen["source"] == "upload":
            upload = chosen["upload"]
            data = read_scoring_workbook(upload, name=upload.name)
            tables, actuals, spending = list(data.tables), data.actuals, data.spending
        else:
            tables = stored_tables(session, year=chosen["year"])
            if chosen["demo"]:
                actuals, spending = _demo_facts({t.project.code for t in tables})
            else:
                upload = chosen["facts"]
                data = read_scoring_workbook(upload, name=upload.name)
                actuals, spending = data.actuals, data.spending
    result = score_target_tables(tables, library, actuals=actuals, spending=spending,
                                 bands=chosen["bands"], weight_set=chosen["weight_set"])
    years = sorted({t.project.year for t in tables})
    return {"result": result, "tables": tables, "year": years[-1],
            "at": datetime.now(UTC)}


def _styled(ctx: PageContext, frame: pd.DataFrame) -> Any:
    shown = frame.copy()
    shown["execution_rate"] = shown["execution_rate"] * 100.0
    labels = {c: ctx.t(f"scoring.col.{c}") for c in _SHOWN}
    shown = shown.rename(columns=labels)
    grade = labels["grade"]
    numbers = {labels[c]: "{:.2f}" for c in ("execution_rate", "indicator_points",
                                              "budget_points", "total")}
    numbers[labels["amount"]] = "{:,.0f}"
    return (shown.style.format(numbers, na_rep="")
            .map(lambda g: f"background-color: {GRADE_COLOURS[g]}" if g in GRADE_COLOURS
                 else "", subset=[grade]))


def _results(ctx: PageContext, state: dict[str, Any]) -> None:
    result, tables = state["result"], state["tables"]
    projects = project_results(result, project_frame(tables))
    labels = load_bands(result.band_table).labels
    counts = grade_counts(projects["grade"], labels)
    st.subheader(ctx.t("scoring.projects.results"))
    st.caption(ctx.t("scoring.projects.provenance", library=result.library_version,
                     weights=result.weight_set, bands=f"{result.band_table} "
                                                      f"{result.band_version}"))
    cells = st.columns(len(labels) + 2)
    cells[0].metric(ctx.t("scoring.projects.count"), len(projects))
    cells[1].metric(ctx.t("scoring.projects.mean"), f"{projects['total'].mean():.2f}")
    for cell, (label, n) in zip(cells[2:], counts.items(), strict=True):
        cell.metric(label, int(n))
    first_level = list(projects.columns[len(PROJECT_RESULT_COLUMNS):])
    st.dataframe(_styled(ctx, projects[[*_SHOWN, *first_level]]), hide_index=True,
                 key="scoring.projects.table")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{ctx.t('scoring.projects.distribution')}**")
        st.altair_chart(grade_count_chart(counts, grade_title=ctx.t("scoring.col.grade"),
                                          count_title=ctx.t("scoring.projects.count")),
                        width="stretch")
    with right:
        st.markdown(f"**{ctx.t('scoring.projects.by_department')}**")
        by_department = summary_by(projects, "department", labels=labels)
        means = by_department.set_index("department")["mean_total"].sort_values(ascending=False)
        st.altair_chart(row_bar_chart(means, by_title=ctx.t("scoring.col.department"),
                                      value_title=ctx.t("scoring.projects.mean")),
                        width="stretch")
    who = ctx.viewer.display_name
    st.download_button(ctx.t("scoring.projects.download"),
                       data=lambda: result_workbook_bytes(result, tables, created_by=who,
                                                          created_at=state["at"]),
                       file_name=f"绩效评价结果_{state['year']}.xlsx", mime=_XLSX,
                       key="scoring.projects.download", on_click="ignore")
    note = st.text_input(ctx.t("scoring.projects.note"), key="scoring.projects.note")
    if st.button(ctx.t("scoring.projects.save"), key="scoring.projects.save", type="primary"):
        try:
            with Session(ctx.engine) as session:
                run = save_score_run(session, result=result, tables=tables, year=state["year"],
                                     created_by=who, note=note.strip())
        except JixiaoError as err:
            show_error(ctx, err)
        else:
            st.success(ctx.t("scoring.projects.saved", id=run.id))


def _history(ctx: PageContext) -> None:
    with Session(ctx.engine) as session:
        runs = list_score_runs(session)
    if not runs:
        return
    with st.expander(ctx.t("scoring.projects.history")):
        st.dataframe(pd.DataFrame({
            ctx.t("scoring.history.id"): [r.id for r in runs],
            ctx.t("scoring.history.year"): [r.year for r in runs],
            ctx.t("scoring.history.library"): [r.library_ref for r in runs],
            ctx.t("scoring.history.bands"): [f"{r.band_table} {r.band_version}" for r in runs],
            ctx.t("scoring.history.grades"): [" ".join(f"{g}{n}" for g, n in r.grades.items())
                                              for r in runs],
            ctx.t("scoring.history.by"): [r.created_by for r in runs],
            # Stored in UTC; people read the bureau's time, as on the review pages.
            ctx.t("scoring.history.at"): [format_time(r.created_at) for r in runs],
        }), hide_index=True, key="scoring.projects.history")


def render_projects(ctx: PageContext) -> None:
    """Draw 项目评分: choose the data and the tables, score, read, store and download.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    The result of the last scoring stays in the session until the next one, so saving and
    downloading do not score again. Errors in a workbook are listed with their sheet, row
    and column.

    Examples
    --------
    >>> callable(render_projects)
    True
    """
    st.header(ctx.t("scoring.projects.title"))
    if not require_staff(ctx):
        return
    chosen = _choices(ctx)
    if chosen is not None and st.button(ctx.t("scoring.projects.score"), type="primary",
                                        key="scoring.projects.score"):
        try:
            st.session_state[_RESULT] = _score(ctx, chosen)
        except JixiaoError as err:
            st.session_state.pop(_RESULT, None)
            show_error(ctx, err)
    state = st.session_state.get(_RESULT)
    if state is not None:
        _results(ctx, state)
    _history(ctx)
