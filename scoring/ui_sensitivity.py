"""权重敏感性: what-if weights, one-at-a-time robustness and Monte-Carlo grade stability.

Three views on one projects × headings table and its current weights (chosen as on the
calibration page, :func:`scoring.ui_shares.choose_data`): sliders that move the weights and
show every project's old and new grade, the grade transition matrix and the rank changes
(:func:`scoring.sensitivity.what_if`); each weight moved alone by ±x % and the indicators whose
weights matter most as a tornado chart (:func:`scoring.sensitivity.one_at_a_time`); and
Dirichlet noise on all weights at once giving each project's probability of keeping its grade
(:func:`scoring.sensitivity.monte_carlo`), run in chunks with a progress bar.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from indicators.ui_widgets import require_staff, show_error
from scoring.grades import available_band_tables
from scoring.sensitivity import monte_carlo, one_at_a_time, what_if
from scoring.ui_shares import ShareData, choose_data

__all__ = ["chunked_monte_carlo", "render_sensitivity", "tornado_chart"]

_MC = "sensitivity.mc"


def _what_if(ctx: PageContext, data: ShareData, bands: str) -> None:
    st.subheader(ctx.t("calibrate.whatif"))
    st.caption(ctx.t("calibrate.whatif_help"))
    columns = st.columns(min(4, len(data.weights)))
    raw = {}
    for k, (heading, weight) in enumerate(data.weights.items()):
        raw[heading] = columns[k % len(columns)].slider(
            str(heading), min_value=0.0, max_value=100.0, value=float(round(weight, 1)),
            step=0.5, key=f"sensitivity.weight.{heading}")
    total = sum(raw.values())
    if total <= 0:
        st.warning(ctx.t("calibrate.whatif_zero"))
        return
    new = pd.Series(raw, dtype=float) * 100.0 / total
    st.caption(ctx.t("calibrate.whatif_scaled", weights="、".join(
        f"{k} {v:.2f}" for k, v in new.items())))
    result = what_if(data.points, data.weights, new, bands)
    cells = st.columns(3)
    cells[0].metric(ctx.t("calibrate.up"), result.n_up)
    cells[1].metric(ctx.t("calibrate.down"), result.n_down)
    cells[2].metric(ctx.t("calibrate.moved"),
                    int((result.projects["rank_change"] != 0).sum()))
    st.markdown(f"**{ctx.t('calibrate.transitions')}**")
    # Plain labels: the crosstab's categorical axes do not survive Arrow's conversion.
    transitions = pd.DataFrame(result.transitions.to_numpy(),
                               index=[str(g) for g in result.transitions.index],
                               columns=[str(g) for g in result.transitions.columns])
    st.dataframe(transitions.rename_axis(ctx.t("calibrate.old_new")),
                 key="sensitivity.transitions")
    changed = result.projects.assign(size=result.projects["rank_change"].abs()).sort_values(
        "size", ascending=False).head(20).drop(columns="size")
    st.markdown(f"**{ctx.t('calibrate.rank_changes')}**")
    st.dataframe(_headed(ctx, changed), key="sensitivity.ranks")


def _headed(ctx: PageContext, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns and the index (project, indicator) under the page's labels."""
    renamed = frame.rename(columns=lambda c: ctx.t(f"calibrate.col.{c}"))
    name, key = frame.index.name, f"calibrate.col.{frame.index.name}"
    return renamed.rename_axis(name if name is None or ctx.t(key) == key else ctx.t(key))


def tornado_chart(table: pd.DataFrame, *, up: str, down: str, title: str) -> alt.Chart:
    """A tornado chart of one-at-a-time grade flips: weight up to the right, down to the left.

    Parameters
    ----------
    table
        :func:`scoring.sensitivity.one_at_a_time`, most influential first.
    up, down
        Legend words for the two directions.
    title
        The horizontal axis title.

    Returns
    -------
    altair.Chart
        Horizontal bars, indicators sorted as in ``table``.

    Notes
    -----
    Flips when a weight goes down are drawn as negative counts so the two sides face each
    other, as tornado diagrams of one-at-a-time designs do (Saltelli et al. 2008, §1.2).

    Examples
    --------
    >>> t = pd.DataFrame({"flips_up": [3, 1], "flips_down": [2, 0]},
    ...                  index=pd.Index(["A", "B"], name="indicator"))
    >>> tornado_chart(t, up="+", down="−", title="项目数").mark
    'bar'
    """
    order = [str(i) for i in table.index]
    long = pd.concat([
        pd.DataFrame({"indicator": order, "flips": table["flips_up"].to_numpy(), "side": up}),
        pd.DataFrame({"indicator": order, "flips": -table["flips_down"].to_numpy(),
                      "side": down})])
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("flips:Q", title=title), y=alt.Y("indicator:N", sort=order, title=None),
        color=alt.Color("side:N", title=None), tooltip=["indicator", "side", "flips"])


def _tornado(ctx: PageContext, data: ShareData, bands: str) -> None:
    st.subheader(ctx.t("calibrate.oat"))
    delta = st.slider(ctx.t("calibrate.delta"), min_value=1, max_value=50, value=10, step=1,
                      key="sensitivity.delta", format="±%d%%")
    table = one_at_a_time(data.points, data.weights, delta=delta / 100.0, bands=bands)
    st.altair_chart(tornado_chart(table, up=ctx.t("calibrate.weight_up", delta=delta),
                                  down=ctx.t("calibrate.weight_down", delta=delta),
                                  title=ctx.t("calibrate.flips")), key="sensitivity.tornado")
    st.dataframe(_headed(ctx, table.round(3)), key="sensitivity.oat")


def chunked_monte_carlo(points: pd.DataFrame, weights: pd.Series, *, draws: int,
                        concentration: float, seed: int, bands: str, chunks: int = 10,
                        progress: Any = None) -> pd.DataFrame:
    """Monte-Carlo robustness in equal chunks, reporting progress between them.

    Parameters
    ----------
    points, weights
        Shares and current weights (summing to 100).
    draws
        Total weight sets drawn.
    concentration, bands
        As in :func:`scoring.sensitivity.monte_carlo`.
    seed
        Chunk k draws with seed ``seed + k``.
    chunks
        How many calls to make (fewer if there are fewer draws).
    progress
        Called with the share done (0–1) after each chunk.

    Returns
    -------
    pandas.DataFrame
        The per-project table of :func:`scoring.sensitivity.monte_carlo`, with ``p_keep``,
        ``p_up`` and ``p_down`` over all draws.

    Notes
    -----
    The chunks are independent Dirichlet samples, so the shares over all draws are the
    draw-weighted means of the chunks' shares; ``mean_total`` and ``sd_total`` are exact and
    the same in every chunk.

    Examples
    --------
    >>> p = pd.DataFrame({"A": [1.0, 0.95], "B": [0.5, 0.95]})
    >>> chunked_monte_carlo(p, pd.Series({"A": 50.0, "B": 50.0}), draws=400,
    ...                     concentration=400, seed=1, bands="national")["p_keep"].tolist()
    [1.0, 1.0]
    """
    chunks = max(1, min(int(chunks), int(draws)))
    sizes = np.full(chunks, int(draws) // chunks)
    sizes[: int(draws) % chunks] += 1
    parts = []
    for k, size in enumerate(sizes):
        result = monte_carlo(points, weights, draws=int(size), concentration=concentration,
                             seed=seed + k, bands=bands)
        parts.append(result.projects)
        if progress is not None:
            progress((k + 1) / chunks)
    out = parts[0].copy()
    for column in ("p_keep", "p_up", "p_down"):
        out[column] = sum(p[column] * n for p, n in zip(parts, sizes, strict=True)) / draws
    return out


def _monte_carlo(ctx: PageContext, data: ShareData, bands: str) -> None:
    st.subheader(ctx.t("calibrate.mc"))
    left, middle, right = st.columns(3)
    draws = left.number_input(ctx.t("calibrate.draws"), min_value=100, max_value=100_000,
                              value=2000, step=100, key="sensitivity.draws")
    concentration = middle.number_input(ctx.t("calibrate.concentration"), min_value=1.0,
                                        value=400.0, step=50.0, key="sensitivity.concentration",
                                        help=ctx.t("calibrate.concentration_help"))
    seed = right.number_input(ctx.t("calibrate.seed"), min_value=0, value=0, step=1,
                              key="sensitivity.seed")
    if st.button(ctx.t("calibrate.run_mc"), type="primary", key="sensitivity.mc_run"):
        bar = st.progress(0.0, text=ctx.t("calibrate.mc_running"))
        table = chunked_monte_carlo(data.points, data.weights, draws=int(draws),
                                    concentration=float(concentration), seed=int(seed),
                                    bands=bands, progress=lambda f: bar.progress(
                                        f, text=ctx.t("calibrate.mc_running")))
        st.session_state[_MC] = {"table": table, "draws": int(draws)}
    state = st.session_state.get(_MC)
    if state is None:
        return
    table = state["table"]
    cells = st.columns(3)
    cells[0].metric(ctx.t("calibrate.mean_keep"), f"{table['p_keep'].mean():.1%}")
    cells[1].metric(ctx.t("calibrate.fragile"), int((table["p_keep"] < 0.9).sum()))
    cells[2].metric(ctx.t("calibrate.draws"), state["draws"])
    st.dataframe(_headed(ctx, table.sort_values("p_keep").head(20).round(4)),
                 key="sensitivity.mc_table")


def render_sensitivity(ctx: PageContext) -> None:
    """Draw 权重敏感性: what-if sliders, the tornado chart and Monte-Carlo grade stability.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    Totals are Σ weight × share, rounded half up to 2 decimals and graded by the chosen band
    table, as published totals are (:mod:`scoring.sensitivity`).

    Examples
    --------
    >>> callable(render_sensitivity)
    True
    """
    st.header(ctx.t("calibrate.page.sensitivity"))
    if not require_staff(ctx):
        return
    try:
        data = choose_data(ctx, "sensitivity")
        if data is None:
            return
        st.caption(ctx.t("calibrate.data", source=data.source, n=len(data.points),
                         k=data.points.shape[1], dropped=data.dropped))
        names = available_band_tables()
        bands = st.selectbox(ctx.t("calibrate.bands"), names,
                             index=names.index("national") if "national" in names else 0,
                             key="sensitivity.bands")
        whatif, oat, mc = st.tabs([ctx.t("calibrate.whatif"), ctx.t("calibrate.oat"),
                                   ctx.t("calibrate.mc")])
        with whatif:
            _what_if(ctx, data, bands)
        with oat:
            _tornado(ctx, data, bands)
        with mc:
            _monte_carlo(ctx, data, bands)
    except JixiaoError as err:
        show_error(ctx, err)
