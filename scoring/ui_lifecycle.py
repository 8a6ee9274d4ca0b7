"""The budget-lifecycle pages for finance staff: 事前评估, 目标审核, 双监控, 结果应用, 信息公开.

:func:`pages` is what the front door registers. Every page starts with the same choice of budget
year and lifecycle settings (:func:`pick_setting`), reads the county's year from what is stored
(:func:`scoring.county_year_store.load_county_year`; in demo mode the demo county fills every
table nothing was imported for), shows what the kernels recommend and records what a person
decides (:mod:`scoring.lifecycle_decision_store`). The pieces every page shares — the year
picker and the import box that stores nothing from a bad file — live here, the decision table
in :mod:`scoring.ui_decisions`; the pages
themselves in :mod:`scoring.ui_lifecycle_plan` (事前评估, 目标审核) and
:mod:`scoring.ui_lifecycle_results` (双监控, 信息公开) and :mod:`scoring.ui_lifecycle_application`
(结果应用), and how tables are shown in
:mod:`scoring.ui_lifecycle_tables`. Labels are keys of
``data/i18n/lifecycle.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st
from sqlmodel import Session

from indicators.clock import format_time
from indicators.demo import DEMO_YEAR
from indicators.errors import JixiaoError
from indicators.frontdoor import STAFF_ROLES, PageContext, PageSpec
from indicators.target_store import list_projects
from indicators.ui_transfer import read_upload
from indicators.ui_widgets import flash, require_staff, show_error, show_flash
from scoring.county_year_store import load_county_year, year_data_version
from scoring.lifecycle_config import (
    LifecycleConfig,
    available_lifecycle_configs,
    load_lifecycle_config,
)
from scoring.lifecycle_io import read_table
from scoring.lifecycle_run_store import list_year_runs
from scoring.lifecycle_store import list_imports, save_table
from scoring.year import CountyYear, YearResult, run_year

__all__ = ["SECTION", "Setting", "pages", "start_page", "recorded", "pick_setting", "year_data",
           "year_result", "with_key_results", "show_sources", "import_box"]

SECTION = "lifecycle.section"
"""Message key of the navigation section the lifecycle pages (and the dashboard) sit in."""

_DEFAULT_CONFIG = "kaijiang-2021"
_CHOSEN_YEAR = "lifecycle.chosen_year"
_CHOSEN_CONFIG = "lifecycle.chosen_config"
_CACHE = "lifecycle.cache"
_TOAST = "lifecycle.toast"


@dataclass(frozen=True)
class Setting:
    """What every lifecycle page works on: a budget year and the settings to apply."""

    year: int
    config: LifecycleConfig


def pages() -> list[PageSpec]:
    """The lifecycle pages, each for finance staff and admins.

    Returns
    -------
    list of PageSpec
        事前评估 (``lifecycle-exante``), 目标审核 (``lifecycle-targets``), 双监控
        (``lifecycle-monitoring``), 结果应用 (``lifecycle-application``) and 信息公开
        (``lifecycle-disclosure``).

    Notes
    -----
    Every page writes (imports, decisions), so each is a staff page and checks the role again
    when drawn. Page bodies are imported when a page is drawn.

    Examples
    --------
    >>> [page.key for page in pages()][:2]
    ['lifecycle-exante', 'lifecycle-targets']
    """
    def page(key: str, icon: str) -> PageSpec:
        return PageSpec(key=f"lifecycle-{key}", section=SECTION, title=f"lifecycle.page.{key}",
                        render=lambda ctx: _render(key, ctx), roles=STAFF_ROLES, icon=icon)

    return [page("exante", ":material/fact_check:"), page("targets", ":material/checklist:"),
            page("monitoring", ":material/traffic:"),
            page("application", ":material/account_balance:"),
            page("disclosure", ":material/public:")]


def _render(key: str, ctx: PageContext) -> None:
    if key in ("exante", "targets"):
        from scoring import ui_lifecycle_plan as module
    elif key == "application":
        from scoring import ui_lifecycle_application as module
    else:
        from scoring import ui_lifecycle_results as module
    getattr(module, f"render_{key}")(ctx)


def start_page(ctx: PageContext, title: str) -> Setting | None:
    """A lifecycle page's title, the staff check, the kept message and the year picker.

    Parameters
    ----------
    ctx
        The page context.
    title
        Message key of the page's header.

    Returns
    -------
    Setting or None
        None when the viewer is not staff or there is no year to work on.

    Notes
    -----
    Every lifecycle page and the dashboard open the same way.

    Examples
    --------
    >>> callable(start_page)
    True
    """
    st.header(ctx.t(title))
    if not require_staff(ctx):
        return None
    show_flash()
    toast = st.session_state.pop(_TOAST, None)
    if toast:
        st.toast(toast, icon=":material/check_circle:")
    return pick_setting(ctx)


def recorded(message: str) -> None:
    """Keep a confirmation for the rerun a write triggers: at the page's top and as a toast.

    Parameters
    ----------
    message
        The text, already in the page's language.

    Returns
    -------
    None

    Notes
    -----
    The message at the top (:func:`indicators.ui_widgets.flash`) is out of sight for someone
    who recorded at the bottom of a long table; the toast appears wherever they are.
    :func:`start_page` shows both once.

    Examples
    --------
    >>> recorded("已记录 1 项决定。")
    """
    flash(message)
    st.session_state[_TOAST] = message


def _years(ctx: PageContext) -> list[int]:
    with Session(ctx.engine) as session:
        years = {p.year for p in list_projects(session)}
        years |= {i.year for i in list_imports(session)}
        years |= {r.year for r in list_year_runs(session)}
    if ctx.demo_mode:
        years.add(DEMO_YEAR)
    return sorted(years)


def pick_setting(ctx: PageContext) -> Setting | None:
    """The budget year and the lifecycle settings, chosen once and kept across the pages.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    Setting or None
        None (with a note on the page) when no year has any data yet.

    Notes
    -----
    Years offered: those with stored projects, imports or runs, and the demo county's year in
    demo mode. The choice is kept outside the widgets, so it survives moving between pages.

    Examples
    --------
    >>> callable(pick_setting)
    True
    """
    years = _years(ctx)
    if not years:
        st.info(ctx.t("lifecycle.no_years"))
        return None
    names = available_lifecycle_configs()
    chosen_year = st.session_state.get(_CHOSEN_YEAR, years[-1])
    chosen_config = st.session_state.get(_CHOSEN_CONFIG, _DEFAULT_CONFIG)
    left, right = st.columns(2)
    year = left.selectbox(ctx.t("lifecycle.year"), years, key="lifecycle.year",
                          index=years.index(chosen_year) if chosen_year in years else len(years) - 1,
                          format_func=lambda y: ctx.t("lifecycle.year_label", year=y))
    name = right.selectbox(ctx.t("lifecycle.config"), names, key="lifecycle.config",
                           index=names.index(chosen_config) if chosen_config in names else 0)
    st.session_state[_CHOSEN_YEAR], st.session_state[_CHOSEN_CONFIG] = year, name
    config = load_lifecycle_config(name)
    title = config.title_en if ctx.lang == "en" else config.title
    st.caption(ctx.t("lifecycle.config_caption", ref=config.ref, title=title))
    return Setting(year=int(year), config=config)


def _cached(ctx: PageContext, setting: Setting, what: str, make: Any) -> Any:
    """Keep the last computed table set per (year, settings, stored data) in the session."""
    with Session(ctx.engine) as session:
        version = year_data_version(session, year=setting.year)
    fed = None if ctx.key_results is None else ctx.key_results.version(setting.year)
    key = (what, setting.year, setting.config.ref, ctx.demo_mode, version, fed)
    cache = st.session_state.setdefault(_CACHE, {})
    if cache.get(what, (None,))[0] != key:
        cache[what] = (key, make())
    return cache[what][1]


def year_data(ctx: PageContext, setting: Setting) -> tuple[CountyYear, dict[str, str]]:
    """The county's year as stored (demo county filling gaps in demo mode), and each source.

    Parameters
    ----------
    ctx
        The page context.
    setting
        Year and settings.

    Returns
    -------
    tuple of (CountyYear, dict)
        As :func:`scoring.county_year_store.load_county_year` with nothing required.

    Notes
    -----
    Read again only when the stored tables of the year change.

    Examples
    --------
    >>> callable(year_data)
    True
    """
    def load() -> tuple[CountyYear, dict[str, str]]:
        with Session(ctx.engine) as session:
            data, sources = load_county_year(session, year=setting.year, config=setting.config,
                                             demo=ctx.demo_mode, require=())
        return with_key_results(ctx, data), sources

    return _cached(ctx, setting, "data", load)


def with_key_results(ctx: PageContext, data: CountyYear) -> CountyYear:
    """The year with the key-evaluation results the front door hands down, if it has any.

    Parameters
    ----------
    ctx
        The page context; ``ctx.key_results`` reads closed review rounds of a year.
    data
        The county's year.

    Returns
    -------
    CountyYear
        ``data`` with ``key_results`` set when the feed gives a non-empty table.

    Examples
    --------
    >>> callable(with_key_results)
    True
    """
    if ctx.key_results is None:
        return data
    found = ctx.key_results.load(data.year)
    if found is None or len(found) == 0:
        return data
    return replace(data, key_results=found)


def year_result(ctx: PageContext, setting: Setting) -> YearResult:
    """The whole year run on the stored tables (as :func:`year_data`), computed once per change.

    Parameters
    ----------
    ctx
        The page context.
    setting
        Year and settings.

    Returns
    -------
    YearResult

    Raises
    ------
    JixiaoError
        A required table is missing, or any stage's input error.

    Notes
    -----
    Result application and disclosure need the evaluation, hence the whole loop.

    Examples
    --------
    >>> callable(year_result)
    True
    """
    def run() -> YearResult:
        with Session(ctx.engine) as session:
            data, _ = load_county_year(session, year=setting.year, config=setting.config,
                                       demo=ctx.demo_mode)
        return run_year(with_key_results(ctx, data), setting.config)

    return _cached(ctx, setting, "result", run)


def show_sources(ctx: PageContext, sources: dict[str, str], kinds: Sequence[str]) -> None:
    """One caption saying where each table the page uses came from."""
    parts = []
    for kind in kinds:
        where = sources.get(kind, "missing")
        for word in ("stored", "demo", "missing", "import"):
            where = where.replace(word, ctx.t(f"lifecycle.source.{word}"))
        parts.append(ctx.t("lifecycle.source.part", kind=ctx.t(f"lifecycle.kind.{kind}"),
                           where=where))
    st.caption(ctx.t("lifecycle.sources") + ctx.t("lifecycle.list_separator").join(parts))


def import_box(ctx: PageContext, setting: Setting, kinds: Sequence[str], *, key: str) -> None:
    """Upload a CSV (UTF-8 or GBK) or .xlsx table, check it whole, and store it on a click.

    Parameters
    ----------
    ctx
        The page context.
    setting
        The year the table is stored under.
    kinds
        The table kinds this box accepts (a choice is shown when there are several).
    key
        Widget key prefix.

    Returns
    -------
    None

    Notes
    -----
    A file with any bad cell is refused with every problem listed by row and column, and
    nothing is stored (JOURNEYS.md: "nothing half-imported"). After an import the uploader is
    emptied, so the same file cannot be stored twice by a stray click.

    Examples
    --------
    >>> callable(import_box)
    True
    """
    kind = kinds[0]
    if len(kinds) > 1:
        kind = st.radio(ctx.t("lifecycle.import.kind"), list(kinds), horizontal=True,
                        key=f"{key}.kind", format_func=lambda k: ctx.t(f"lifecycle.kind.{k}"))
    round_key = f"{key}.round"
    upload = st.file_uploader(ctx.t(f"lifecycle.import.file.{kind}"), type=["csv", "xlsx"],
                              key=f"{key}.file.{kind}.{st.session_state.get(round_key, 0)}")
    with Session(ctx.engine) as session:
        done = list_imports(session, year=setting.year, kind=kind)
    if done:
        st.caption(ctx.t("lifecycle.import.last", file=done[0].file_name, n=done[0].n_rows,
                         by=done[0].created_by, at=format_time(done[0].created_at),
                         count=len(done)))
    if upload is None:
        return
    try:
        frame = read_upload(upload.name, upload.getvalue(), read_table, kind=kind)
    except JixiaoError as err:
        st.error(ctx.t("lifecycle.import.refused"))
        show_error(ctx, err)
        return
    st.success(ctx.t("lifecycle.import.read", file=upload.name, n=len(frame)))
    if st.button(ctx.t("lifecycle.import.store"), key=f"{key}.store", type="primary"):
        try:
            with Session(ctx.engine) as session:
                stored = save_table(session, year=setting.year, kind=kind, frame=frame,
                                    file_name=upload.name, created_by=ctx.viewer.display_name)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.session_state[round_key] = st.session_state.get(round_key, 0) + 1
        flash(ctx.t("lifecycle.import.stored", id=stored.id, n=stored.n_rows))
        st.rerun()
