"""Where 权重校准 gets the panel's results: an uploaded file or the closed review rounds of a year.

The review rounds live a floor above scoring, so the page never reads them itself: the front
door hands them down as ``ctx.key_results`` (:class:`indicators.frontdoor.YearFeed`), and the
rounds are offered only when it does. :func:`choose_panel` draws the choice and returns the
panel's results; :func:`show_match` says which panel projects have indicator data and are
fitted; :func:`enough_projects` refuses, with the way out, a fit the projects cannot
determine. Labels are keys of ``data/i18n/calibrate_rounds.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.demo import DEMO_YEAR
from indicators.errors import InputError
from indicators.frontdoor import PageContext
from indicators.ui_widgets import show_error
from scoring.calibrate_io import read_panel
from scoring.calibrate_panel import (
    PanelMatch,
    free_weights,
    panel_from_key_results,
    require_enough_projects,
)
from scoring.store import list_score_runs
from scoring.ui_shares import uploaded

__all__ = ["PanelSource", "choose_panel", "enough_projects", "show_match"]

_ROUNDS = "calibrate.rounds_cache"


@dataclass(frozen=True)
class PanelSource:
    """The panel's results as chosen on the page, and where they came from.

    Attributes
    ----------
    results
        Score (0–100) or grade by project code.
    label_zh
        The file's name or the rounds' titles, in Chinese, for the changelog.
    from_rounds
        Whether the results are the closed review rounds' (else a file's).
    rounds
        The key-results table the rounds gave (``project``, ``total``, ``basis``,
        ``n_ratings``, ``round_id``, ``round_title``, …), or None for a file.
    """

    results: pd.Series
    label_zh: str
    from_rounds: bool
    rounds: pd.DataFrame | None = None


def _default_year(ctx: PageContext) -> int:
    """The budget year of the shares being calibrated, as far as the page knows it."""
    if st.session_state.get("calibrate.source") == "demo":
        return DEMO_YEAR
    with Session(ctx.engine) as session:
        runs = list_score_runs(session)
    by_id = {r.id: r.year for r in runs}
    chosen = st.session_state.get("calibrate.run")
    if chosen in by_id:
        return int(by_id[chosen])
    if runs:
        return int(runs[0].year)
    # Closed review rounds judge a finished budget year.
    return DEMO_YEAR if ctx.demo_mode else date.today().year - 1


def _key_results(ctx: PageContext, year: int) -> pd.DataFrame | None:
    """The year's key-results table, read again only when the rounds' stamp changes."""
    if ctx.key_results is None:
        return None
    stamp = ctx.key_results.version(year)
    cache = st.session_state.setdefault(_ROUNDS, {})
    if year not in cache or cache[year][0] != stamp:
        cache[year] = (stamp, ctx.key_results.load(year))
    return cache[year][1]


def _panel_years(ctx: PageContext, default: int) -> list[int]:
    """The budget years whose closed rounds have results, as the other pages' year lists do.

    The feed cannot list its years, so the page asks the last ten years, the years of stored
    score runs and the default one; each is read once until its rounds change.
    """
    with Session(ctx.engine) as session:
        stored = {int(r.year) for r in list_score_runs(session)}
    this = date.today().year
    candidates = stored | set(range(this - 10, this + 1)) | {default}
    return sorted(y for y in candidates
                  if (found := _key_results(ctx, y)) is not None and len(found) > 0)


def _basis(ctx: PageContext, code: Any) -> str:
    key = f"calibrate_rounds.basis.{code}"
    text = ctx.t(key)
    return str(code) if text == key else text


def _rounds_panel(ctx: PageContext) -> PanelSource | None:
    default = _default_year(ctx)
    years = _panel_years(ctx, default)
    if not years:
        st.info(ctx.t("calibrate_rounds.no_years"))
        return None
    if st.session_state.get("calibrate.panel_year") not in years:
        # The shares' year when its rounds have results, else the latest year that has them.
        st.session_state["calibrate.panel_year"] = default if default in years else years[-1]
    year = int(st.selectbox(ctx.t("calibrate_rounds.year"), years, key="calibrate.panel_year"))
    found = _key_results(ctx, year)
    if found is None or len(found) == 0:
        st.info(ctx.t("calibrate_rounds.none", year=year))
        return None
    results = panel_from_key_results(found)
    titles: list[str] = []
    listed = "—"
    if {"round_id", "round_title"} <= set(found.columns):
        rounds = found.groupby("round_id", sort=True)["round_title"].agg(["first", "size"])
        titles = [str(title) for title in rounds["first"]]
        # A year has a handful of rounds: one phrase each.
        listed = "；".join(ctx.t("calibrate_rounds.round", title=title, n=int(n))
                          for title, n in zip(titles, rounds["size"], strict=True))
    st.caption(ctx.t("calibrate_rounds.found", year=year, rounds=listed, n=len(results)))
    if "basis" in found.columns:
        counts = found["basis"].value_counts(sort=False)
        st.caption(ctx.t("calibrate_rounds.bases", bases="、".join(
            ctx.t("calibrate_rounds.basis_count", label=_basis(ctx, code), n=int(n))
            for code, n in counts.items())))
        if (found["basis"] == "raw_no_choice").any():
            st.warning(ctx.t("calibrate_rounds.unchosen"))
    what = "、".join(f"《{title}》" for title in titles) or f"{year} 年度评审轮次"
    return PanelSource(results=results, label_zh=what, from_rounds=True, rounds=found)


def _file_panel(ctx: PageContext) -> PanelSource | None:
    panel_file = st.file_uploader(ctx.t("calibrate.panel_file"), type=["xlsx", "csv"],
                                  key="calibrate.panel_file")
    st.caption(ctx.t("calibrate.panel_help"))
    if panel_file is None:
        return None
    return PanelSource(results=uploaded(panel_file, read_panel), label_zh=panel_file.name,
                       from_rounds=False)


def choose_panel(ctx: PageContext) -> PanelSource | None:
    """The panel-source widgets and the results they give (None while there are none).

    Parameters
    ----------
    ctx
        The page context; ``ctx.key_results`` set means the closed review rounds are offered.

    Returns
    -------
    PanelSource or None

    Raises
    ------
    InputError
        The file cannot be read (naming file, sheet, row and column), or the rounds' table
        is not one of 0–100 scores by project.

    Notes
    -----
    Without a feed the page shows the file upload alone, as before rounds existed. With one,
    the budget year is picked from a list of the years whose closed rounds have results, as
    the other pages list years with data, and defaults to the year of the shares (the demo
    county's, or the stored run's) when it is among them; the rounds found are listed with each score's basis (raw or severity-adjusted, and
    whether the choice was recorded). The year's table is read again only when
    ``ctx.key_results.version(year)`` changes.

    Examples
    --------
    >>> callable(choose_panel)
    True
    """
    source = "file"
    if ctx.key_results is not None:
        source = st.radio(ctx.t("calibrate_rounds.panel_source"), ["file", "rounds"],
                          horizontal=True, key="calibrate.panel_source",
                          format_func=lambda s: ctx.t(f"calibrate_rounds.panel_source.{s}"))
    return _rounds_panel(ctx) if source == "rounds" else _file_panel(ctx)


def show_match(ctx: PageContext, panel: PanelSource, match: PanelMatch) -> None:
    """Say how many panel projects are fitted, name those without indicator data, list all.

    Parameters
    ----------
    ctx
        The page context.
    panel
        The panel's results.
    match
        Their match with the shares (:func:`scoring.calibrate_panel.match_panel`).

    Returns
    -------
    None

    Notes
    -----
    The table lists every panel project with its result (and, from rounds, its basis, ratings
    and round) and whether it has indicator data; it is open by default for rounds, which
    are few, and folded for a file, which may be long.

    Examples
    --------
    >>> callable(show_match)
    True
    """
    st.caption(ctx.t("calibrate_rounds.matched", n_panel=len(panel.results),
                     n_used=len(match.used), n_other=match.no_panel))
    if match.no_points:
        st.warning(ctx.t("calibrate_rounds.no_points", n=len(match.no_points),
                         codes="、".join(match.no_points)))
    codes = panel.results.index.map(lambda code: str(code).strip())
    table = pd.DataFrame({ctx.t("calibrate_rounds.col.project"): codes,
                          ctx.t("calibrate_rounds.col.total"): panel.results.to_numpy()})
    if panel.rounds is not None:
        rows = panel.rounds.assign(project=panel.rounds["project"].astype(str).str.strip())
        rows = rows.set_index("project").reindex(codes)
        if "basis" in rows.columns:
            table[ctx.t("calibrate_rounds.col.basis")] = rows["basis"].map(
                lambda code: _basis(ctx, code)).to_numpy()
        for column, key in (("n_ratings", "ratings"), ("round_title", "round")):
            if column in rows.columns:
                table[ctx.t(f"calibrate_rounds.col.{key}")] = rows[column].to_numpy()
    table[ctx.t("calibrate_rounds.col.has_data")] = [
        ctx.t("calibrate_rounds.yes") if fitted else ctx.t("calibrate_rounds.no")
        for fitted in codes.isin(list(match.used))]
    with st.expander(ctx.t("calibrate_rounds.used", n=len(match.used)),
                     expanded=panel.from_rounds):
        st.dataframe(table, hide_index=True, key="calibrate.panel_table")


def enough_projects(ctx: PageContext, panel: PanelSource, match: PanelMatch, n_headings: int,
                    folds: int | None) -> bool:
    """Whether the matched projects can determine the weights; if not, say so and what to do.

    Parameters
    ----------
    ctx
        The page context.
    panel
        The panel's results (rounds or file decide the advice).
    match
        The matched projects.
    n_headings
        Headings being weighted (their weights sum to 100).
    folds
        Cross-validation folds, or None.

    Returns
    -------
    bool
        True when the fit may run; False after showing the refusal, the number of projects
        needed, and the advice: a file or a larger round for rounds, more projects for a file,
        fewer folds for both.

    Notes
    -----
    The test is :func:`scoring.calibrate_panel.require_enough_projects`; the kernel
    :func:`scoring.calibrate.fit_weights` would fit such a panel exactly and report an R² of 1
    that means nothing.

    Examples
    --------
    >>> callable(enough_projects)
    True
    """
    try:
        require_enough_projects(len(match.used), n_headings, folds=folds)
    except InputError as err:
        show_error(ctx, err)
        free = free_weights(n_headings)
        st.info(ctx.t("calibrate_rounds.need", k=n_headings, free=free,
                      needed=max(2, free + 1)))
        st.info(ctx.t("calibrate_rounds.too_few_rounds" if panel.from_rounds
                      else "calibrate_rounds.too_few_file"))
        return False
    return True
