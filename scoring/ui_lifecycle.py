"""The budget-lifecycle pages for finance staff: 事前评估, 目标审核, 双监控, 结果应用, 信息公开.

:func:`pages` is what the front door registers. Every page starts with the same choice of budget
year and lifecycle settings (:func:`pick_setting`), reads the county's year from what is stored
(:func:`scoring.county_year_store.load_county_year`; in demo mode the demo county fills every
table nothing was imported for), shows what the kernels recommend and records what a person
decides (:mod:`scoring.lifecycle_decision_store`). The pieces every page shares — the year picker, the
import box that stores nothing from a bad file, the decision table — live here; the pages
themselves in :mod:`scoring.ui_lifecycle_plan` (事前评估, 目标审核) and
:mod:`scoring.ui_lifecycle_results` (双监控, 结果应用, 信息公开), and how tables are shown in
:mod:`scoring.ui_lifecycle_tables`. Labels are keys of
``data/i18n/lifecycle.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
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
from scoring.lifecycle_decision_store import current_decisions, record_decisions
from scoring.lifecycle_io import read_table
from scoring.lifecycle_run_store import list_year_runs
from scoring.lifecycle_store import list_imports, save_table
from scoring.ui_lifecycle_tables import (
    GAP,
    MONEY_COLUMNS,
    POINT_COLUMNS,
    VALUE_KINDS,
    fitted_width,
    shown_values,
    value_labels,
)
from scoring.year import CountyYear, YearResult, run_year

__all__ = ["SECTION", "Setting", "pages", "start_page", "recorded", "pick_setting", "year_data",
           "year_result", "with_key_results", "show_sources", "import_box", "changed_rows",
           "decision_table"]

SECTION = "lifecycle.section"
"""Message key of the navigation section the lifecycle pages (and the dashboard) sit in."""

_DEFAULT_CONFIG = "kaijiang-2021"
_CHOSEN_YEAR = "lifecycle.chosen_year"
_CHOSEN_CONFIG = "lifecycle.chosen_config"
_CACHE = "lifecycle.cache"
_TOAST = "lifecycle.toast"
# Decision-table columns a person fills in, and the read-only columns that go before them.
_EDITABLE = ("outcome", "decided_amount", "reason")
_LEADING = ("name",)


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


def changed_rows(before: pd.DataFrame, after: pd.DataFrame, columns: Sequence[str]
                 ) -> np.ndarray:
    """Which rows a person changed in an editor: any of ``columns`` differs from when drawn.

    Parameters
    ----------
    before
        The table as the editor was drawn.
    after
        What the editor gives back, the same rows in the same order.
    columns
        The columns a person may change.

    Returns
    -------
    numpy.ndarray
        One boolean per row.

    Notes
    -----
    Amounts compare within half a fen and missing equals missing, so a figure typed back as
    it was shown is no change; text compares without surrounding blanks, an empty cell as
    empty text; anything else compares as it is.

    Examples
    --------
    >>> a = pd.DataFrame({"outcome": ["支持", "支持"], "amount": [1.0, float("nan")],
    ...                   "reason": ["", None]})
    >>> b = a.assign(amount=[1.004, float("nan")], reason=["", " "])
    >>> changed_rows(a, b, ["outcome", "amount", "reason"]).tolist()
    [False, False]
    >>> changed_rows(a, b.assign(outcome=["支持", "不予支持"]), ["outcome"]).tolist()
    [False, True]
    """
    changed = np.zeros(len(before), dtype=bool)
    for column in columns:
        old, new = before[column].reset_index(drop=True), after[column].reset_index(drop=True)
        if pd.api.types.is_float_dtype(old) or pd.api.types.is_float_dtype(new):
            x = pd.to_numeric(old, errors="coerce").to_numpy(dtype=float)
            y = pd.to_numeric(new, errors="coerce").to_numpy(dtype=float)
            # Half a fen, as the decision store compares amounts.
            changed |= (np.isnan(x) != np.isnan(y)) | (
                np.abs(np.nan_to_num(x) - np.nan_to_num(y)) > 0.005)
        elif pd.api.types.is_bool_dtype(old):
            changed |= old.fillna(False).astype(bool).to_numpy() != new.fillna(False).astype(
                bool).to_numpy()
        else:
            changed |= (old.fillna("").astype(str).str.strip().to_numpy()
                        != new.fillna("").astype(str).str.strip().to_numpy())
    return changed


def decision_table(ctx: PageContext, setting: Setting, *, stage: str, frame: pd.DataFrame,
                   options: Sequence[str], key: str, shown: Sequence[str] = (),
                   detail: dict[str, Any] | None = None, amounts: bool = True,
                   kind: str | None = None, colours: Mapping[str, Mapping[str, str]] | None = None,
                   cut_by: str | None = None) -> None:
    """An editable table of recommendations: decide each, give a reason for any change, record.

    Parameters
    ----------
    ctx
        The page context.
    setting
        Year and settings (recorded with each decision).
    stage
        The stage (:data:`scoring.lifecycle_decision_store.STAGES`).
    frame
        ``project``, ``recommendation`` and ``recommended_amount`` as the kernels recommend
        them (not a decision laid over them), and optionally ``item`` and the read-only
        columns named in ``shown``.
    options
        The outcomes a person may choose.
    key
        Widget key prefix.
    shown
        Read-only columns shown beside the decision.
    detail
        Extra facts stored with every decision (e.g. the cut-off month).
    amounts
        Whether the decision carries an amount (a verdict on a finding does not).
    kind
        The family of the recommendations and options in the message catalogue
        (:func:`scoring.ui_lifecycle_tables.value_label`); None shows them as they are.
    colours
        Shown column → {stored value: background colour} for its cells (e.g. the light).
    cut_by
        The only outcome that may carry an amount above zero (双监控: only 调整调减 cuts
        funds); None when any outcome may.

    Returns
    -------
    None

    Notes
    -----
    Each row starts at the decision in force, or at the recommendation when none was taken.
    "记录决定" stores only the rows a person changed from what was shown
    (:func:`changed_rows`); "接受其余全部建议（N 项）" stores the N rows nobody has decided and
    nobody changed, each as its recommendation — accepting every recommendation is one
    click, but never the side effect of recording one change. A change without a reason, or an
    amount on an outcome other than ``cut_by``, is refused, naming its project, and nothing
    is stored. Recommendations and choices are shown in the page's language and stored as the
    kernels name them, so a choice made on the English page stores the same value as on the
    Chinese one. The project, its name, the recommendation and the three columns a person
    fills in come first, so they are in sight on a laptop; the other facts follow, each column
    as wide as its header and longest value.

    Examples
    --------
    >>> callable(decision_table)
    True
    """
    table = frame.reset_index(drop=True)
    if "item" not in table:
        table["item"] = ""
    with Session(ctx.engine) as session:
        now = current_decisions(session, year=setting.year, stage=stage)
    at = table[["project", "item"]].merge(now[["project", "item", "outcome", "amount", "reason",
                                               "created_by"]], on=["project", "item"], how="left")
    decided = at["outcome"].notna().to_numpy()
    table["outcome"] = at["outcome"].where(decided, table["recommendation"]).to_numpy()
    table["decided_amount"] = at["amount"].where(decided,
                                                 table["recommended_amount"]).to_numpy(float)
    table["reason"] = at["reason"].fillna("").to_numpy()
    # None, not "", so an undecided row shows the dash rather than a blank that looks lost.
    table["decided_by"] = at["created_by"].where(at["created_by"].notna(), None).to_numpy()
    leading = [c for c in shown if c in _LEADING]
    columns = ["project", *leading, "recommendation", "recommended_amount", *_EDITABLE,
               *[c for c in shown if c not in _LEADING], "decided_by"]
    if not amounts:
        columns = [c for c in columns if c not in ("recommended_amount", "decided_amount")]
    label = {c: ctx.t(f"lifecycle.col.{c}") for c in columns}
    # One map for the recommendation, the decision and the options, so they always agree.
    names = ({} if kind is None else
             value_labels(ctx, kind, [*options, *table["outcome"], *table["recommendation"]]))
    stored = {label: value for value, label in names.items()}
    shown_table = shown_values(ctx, table, {c: VALUE_KINDS[c] for c in shown if c in VALUE_KINDS})
    shown_table[["recommendation", "outcome"]] = table[["recommendation", "outcome"]].map(
        lambda v: names.get(v, v))
    option_labels = [names.get(o, o) for o in options]
    width = {c: fitted_width(label[c], [*shown_table[c], *(option_labels if c == "outcome"
                                                            else ())]) for c in columns}
    config: dict[str, Any] = {c: st.column_config.Column(label[c], width=width[c])
                              for c in columns}
    config["outcome"] = st.column_config.SelectboxColumn(
        label["outcome"], options=option_labels, required=True, width=width["outcome"])
    for c in columns:
        if c in MONEY_COLUMNS:
            config[c] = st.column_config.NumberColumn(label[c], format="localized",
                                                      width=width[c])
        elif c in POINT_COLUMNS:
            config[c] = st.column_config.NumberColumn(label[c], format="%.2f", width=width[c])
    if amounts:
        config["decided_amount"] = st.column_config.NumberColumn(
            label["decided_amount"], min_value=0.0, format="localized",
            width=width["decided_amount"])
    config["reason"] = st.column_config.TextColumn(label["reason"], width="large")
    data: Any = shown_table[columns]
    painted = {c: v for c, v in (colours or {}).items() if c in columns}
    if painted:
        # Painted by the stored value, whatever language the cell is shown in; a styled
        # table shows the styler's text, so the dash and the figures are set here too.
        data = data.style.format(precision=2, thousands=",", na_rep=GAP).apply(
            lambda col: [f"background-color: {painted[col.name][v]}" if v in painted[col.name]
                         else "" for v in table[col.name]], subset=list(painted))
    edited = st.data_editor(data, key=f"{key}.editor", hide_index=True, placeholder=GAP,
                            column_config=config, width="stretch",
                            disabled=[c for c in columns if c not in _EDITABLE])
    editable = [c for c in _EDITABLE if c in columns]
    changed = changed_rows(shown_table[columns], edited, editable)
    rest = ~decided & ~changed
    st.caption(ctx.t("lifecycle.decide.help", n=int(decided.sum()), total=len(table)))
    left, right = st.columns(2)
    record = left.button(ctx.t("lifecycle.decide.record", n=int(changed.sum())),
                         key=f"{key}.record", type="primary", disabled=not changed.any())
    accept = right.button(ctx.t("lifecycle.decide.accept", n=int(rest.sum())),
                          key=f"{key}.accept", disabled=not rest.any())
    if not (record or accept):
        return
    if not amounts:
        edited = edited.assign(recommended_amount=np.nan, decided_amount=np.nan)
    if record:
        # Back to what the kernels call each choice before anything is compared or stored.
        chosen = edited.rename(columns={"decided_amount": "amount"}).assign(
            recommendation=table["recommendation"].to_numpy(),
            outcome=edited["outcome"].map(lambda v: stored.get(v, v)).to_numpy(),
            item=table["item"].to_numpy()).loc[changed]
    else:
        chosen = table.loc[rest].assign(outcome=table.loc[rest, "recommendation"],
                                        amount=table.loc[rest, "recommended_amount"], reason="")
    _store_decisions(ctx, setting, stage=stage, decisions=chosen.assign(
        detail=[dict(detail or {}) for _ in range(len(chosen))]), names=names, cut_by=cut_by)


def _store_decisions(ctx: PageContext, setting: Setting, *, stage: str,
                     decisions: pd.DataFrame, names: Mapping[str, str],
                     cut_by: str | None) -> None:
    """Check and record the rows of a decision table; rerun with the count, or say why not."""
    if cut_by is not None:
        funded = (decisions["outcome"] != cut_by).to_numpy() & (
            np.nan_to_num(decisions["amount"].to_numpy(dtype=float)) > 0)
        if funded.any():
            i = int(np.flatnonzero(funded)[0])
            st.error(ctx.t("lifecycle.decide.amount_not_cut", project=decisions["project"].iat[i],
                           outcome=names.get(decisions["outcome"].iat[i],
                                             decisions["outcome"].iat[i]),
                           cut=names.get(cut_by, cut_by)))
            return
    try:
        with Session(ctx.engine) as session:
            n = record_decisions(session, year=setting.year, stage=stage,
                                 decisions=decisions.reset_index(drop=True),
                                 created_by=ctx.viewer.display_name, config=setting.config.ref)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    recorded(ctx.t("lifecycle.decide.recorded", n=n))
    st.rerun()
