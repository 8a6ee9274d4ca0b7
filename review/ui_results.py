"""A round's results on the staff's board: panel scores, agreement, raters, heatmap, the choice.

Everything shown is :func:`review.store.panel_results`, computed afresh from the stored sheets
(the same call the Excel export makes), so what staff see can always be recomputed. The raw or
severity-adjusted choice is recorded with its reason through
:func:`review.store.record_panel_choice`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from review import store
from review.io import export_round
from review.model import PanelChoice, PanelMethod, RoundPublic, RoundStatus
from review.panel import PanelResult
from review.ui_shell import reading, reading_engine, show_error, writing

__all__ = ["render_export", "render_results"]

_HEADLINE = ("ICC(2,1)", "ICC(2,k)", "Kendall's W")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_resource(show_spinner=False, max_entries=16)
def _computed(_engine: object, url: str, round_id: int, method: str, _viewer: object,
              fingerprint: tuple) -> PanelResult:
    # Shared by every staff session of this server: the fingerprint comes from the caller's
    # progress() read, which the store allows to staff only. It holds every submitted sheet's
    # id and time, the round's state and the choice, so a submit, reopen, close or choice
    # computes afresh and nothing stale is shown.
    with reading_engine(_engine) as session:
        return store.panel_results(session, round_id=round_id, by=_viewer, method=method)


def _result(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame, method: str) -> PanelResult:
    done = sheets[sheets["submitted"]]
    fingerprint = (rnd.status.value, rnd.panel_choice, rnd.panel_choice_reason,
                   tuple(zip(done["assignment_id"].astype(int),
                             done["submitted_at"].astype(str), strict=True)))
    return _computed(ctx.engine, str(ctx.engine.url), rnd.round_id, method, ctx.viewer,
                     fingerprint)


def _fmt(value: object, digits: int = 3) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def _agreement(ctx: PageContext, result: PanelResult) -> None:
    st.markdown(f"#### {ctx.t('review.results.agreement')}")
    table = result.agreement
    if table.empty:
        st.info(ctx.t("review.results.no_agreement"))
        return
    rows = table.set_index("coefficient")
    cells = st.columns(len(_HEADLINE))
    for cell, name in zip(cells, _HEADLINE, strict=True):
        if name in rows.index:
            row = rows.loc[name]
            cell.metric(name, _fmt(row["value"]),
                        help=f"{row['method']}" if isinstance(row["method"], str) else None)
            cell.caption(ctx.t("review.results.ci", low=_fmt(row["ci_low"]),
                               high=_fmt(row["ci_high"]), p=_fmt(row["p_value"], 4)))
    words = f"interpretation_{ctx.lang}"
    notes = f"note_{ctx.lang}"
    st.dataframe(pd.DataFrame({
        ctx.t("review.results.coefficient"): table["coefficient"],
        ctx.t("review.results.value"): table["value"],
        ctx.t("review.results.ci_low"): table["ci_low"],
        ctx.t("review.results.ci_high"): table["ci_high"],
        ctx.t("review.results.p"): table["p_value"],
        ctx.t("review.results.reading"): table[words],
        ctx.t("review.results.n"): table["n_items"],
        ctx.t("review.results.n_raters"): table["n_raters"],
        ctx.t("review.results.note"): table[notes]}), hide_index=True, width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%.3f") for c in (
            ctx.t("review.results.value"), ctx.t("review.results.ci_low"),
            ctx.t("review.results.ci_high"))})


def _item_agreement(ctx: PageContext, result: PanelResult, names: dict[str, str]) -> None:
    table = result.item_agreement
    if table.empty:
        return
    st.markdown(f"#### {ctx.t('review.results.item_agreement')}")
    wanted = table[table["coefficient"].isin(_HEADLINE)]
    grid = wanted.pivot_table(index="item_code", columns="coefficient", values="value",
                              sort=False)
    grid.index = [names.get(code, code) for code in grid.index]
    st.dataframe(grid, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3f")
                                for c in grid.columns})


def _reports(ctx: PageContext, rnd: RoundPublic, result: PanelResult) -> None:
    st.markdown(f"#### {ctx.t('review.results.reports')}")
    reports = result.reports
    frame = pd.DataFrame({
        ctx.t("review.rounds.col_title"): reports["report_title"],
        ctx.t("review.results.n_ratings"): reports["n_ratings"].astype(int),
        ctx.t("review.results.raw"): reports["raw_score"],
        ctx.t("review.results.adjusted"): reports["adjusted_score"],
        ctx.t("review.results.adjustment"): reports["adjustment"],
        ctx.t("review.results.min"): reports["min_total"],
        ctx.t("review.results.max"): reports["max_total"]})
    if "final_score" in reports:
        frame[ctx.t("review.results.final")] = reports["final_score"]
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.2f")
                                for c in frame.columns[2:]})
    long = pd.concat([
        pd.DataFrame({"report": reports["report_title"], "score": reports["raw_score"],
                      "kind": ctx.t("review.results.raw")}),
        pd.DataFrame({"report": reports["report_title"], "score": reports["adjusted_score"],
                      "kind": ctx.t("review.results.adjusted")})]).dropna()
    chart = alt.Chart(long).mark_point(filled=True, size=90).encode(
        x=alt.X("score:Q", title=ctx.t("review.results.panel_score"),
                scale=alt.Scale(zero=False)),
        y=alt.Y("report:N", title=None, sort=None),
        color=alt.Color("kind:N", title=None),
        tooltip=["report", "kind", alt.Tooltip("score:Q", format=".2f")])
    st.altair_chart(chart, width="stretch")


def _choice(ctx: PageContext, rnd: RoundPublic) -> None:
    st.markdown(f"#### {ctx.t('review.results.choice')}")
    if rnd.panel_choice is not None:
        st.success(ctx.t("review.results.chosen",
                         choice=ctx.t(f"review.results.choice_{rnd.panel_choice.value}"),
                         reason=rnd.panel_choice_reason))
    if rnd.status is not RoundStatus.CLOSED:
        st.caption(ctx.t("review.results.choice_after_close"))
        return
    with st.form(f"review.results.choice.{rnd.round_id}"):
        choice = st.radio(ctx.t("review.results.choice_pick"), list(PanelChoice),
                          horizontal=True, key="review.results.choice_pick",
                          format_func=lambda c: ctx.t(f"review.results.choice_{c.value}"))
        reason = st.text_input(ctx.t("review.results.reason"), key="review.results.reason")
        submitted = st.form_submit_button(ctx.t("review.results.record"), type="primary",
                                          key="review.results.record")
    if submitted:
        try:
            with writing(ctx) as session:
                store.record_panel_choice(session, round_id=rnd.round_id, choice=choice,
                                          reason=reason, by=ctx.viewer)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.rerun()


def _raters(ctx: PageContext, result: PanelResult) -> None:
    st.markdown(f"#### {ctx.t('review.results.raters')}")
    raters = result.raters
    if raters.empty or "effect" not in raters:
        st.info(ctx.t("review.results.no_raters"))
        return
    label = f"label_{ctx.lang}"
    frame = pd.DataFrame({
        ctx.t("review.outcome.rater"): raters["rater_name"],
        ctx.t("review.results.n_ratings"): raters["n_ratings"],
        ctx.t("review.results.effect"): raters["effect"],
        ctx.t("review.results.se"): raters["se"],
        "z": raters["z"],
        ctx.t("review.results.verdict"): raters[label],
        ctx.t("review.results.deviation"): raters["mean_deviation"],
        ctx.t("review.results.correlation"): raters["correlation"],
        ctx.t("review.results.alpha_change"): raters["alpha_change"]})
    st.dataframe(frame.sort_values(ctx.t("review.results.effect")), hide_index=True,
                 width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.2f")
                                for c in frame.columns if c not in (
                                    ctx.t("review.outcome.rater"), ctx.t("review.results.verdict"),
                                    ctx.t("review.results.n_ratings"))})
    method = result.constants.get("severity_method")
    if method:
        st.caption(str(method))


def _heatmap(ctx: PageContext, result: PanelResult) -> None:
    st.markdown(f"#### {ctx.t('review.results.heatmap')}")
    totals = result.totals
    if totals.empty:
        return
    titles = result.reports["report_title"].reindex(totals.index)
    names = result.raters["rater_name"].reindex(totals.columns) \
        if "rater_name" in result.raters else pd.Series(totals.columns, index=totals.columns)
    long = totals.set_axis(titles.to_numpy(), axis=0).set_axis(names.to_numpy(), axis=1) \
        .rename_axis(index="report", columns="rater").stack().rename("total").reset_index()
    chart = alt.Chart(long).mark_rect().encode(
        x=alt.X("rater:N", title=ctx.t("review.outcome.rater"), sort=None),
        y=alt.Y("report:N", title=None, sort=None),
        color=alt.Color("total:Q", title=ctx.t("review.sheet.total"),
                        scale=alt.Scale(scheme="redyellowgreen")),
        tooltip=["report", "rater", alt.Tooltip("total:Q", format=".1f")])
    st.altair_chart(chart, width="stretch")


def _outliers(ctx: PageContext, result: PanelResult) -> None:
    st.markdown(f"#### {ctx.t('review.results.outliers')}")
    found = result.outliers
    if found.empty:
        st.caption(ctx.t("review.results.no_outliers"))
        return
    titles = result.reports["report_title"]
    names = result.raters.get("rater_name", pd.Series(dtype=object))
    st.dataframe(pd.DataFrame({
        ctx.t("review.rounds.col_title"): titles.reindex(found["item"]).to_numpy(),
        ctx.t("review.outcome.rater"): names.reindex(found["rater"]).to_numpy(),
        ctx.t("review.sheet.total"): found["rating"],
        ctx.t("review.results.others_mean"): found["others_mean"],
        "z": found["z"]}), hide_index=True, width="stretch",
        column_config={"z": st.column_config.NumberColumn(format="%.2f")})


def render_results(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame) -> None:
    """Render a round's panel scores, agreement, rater severity, heatmap, outliers and choice.

    Parameters
    ----------
    ctx
        The signed-in staff member and the engine.
    rnd
        The round.
    sheets
        The round's :func:`review.store.progress` table (to know what is submitted).

    Returns
    -------
    None

    Notes
    -----
    Staff may look before the round closes (marked as interim); the panel method can be
    switched for a look, while the round's recorded method stays the one used by default and in
    the export.

    Examples
    --------
    >>> render_results.__name__
    'render_results'
    """
    if sheets.empty or not sheets["submitted"].any():
        st.info(ctx.t("review.results.nothing"))
        return
    if rnd.status is not RoundStatus.CLOSED:
        st.warning(ctx.t("review.results.interim"))
    methods = list(PanelMethod)
    method = st.selectbox(ctx.t("review.rounds.method"), methods,
                          index=methods.index(rnd.panel_method), key="review.results.method",
                          format_func=lambda m: ctx.t(f"review.method.{m.value}"))
    st.caption(ctx.t("review.results.recorded_method",
                     method=ctx.t(f"review.method.{rnd.panel_method.value}"),
                     rubric=rnd.rubric_ref))
    try:
        with st.spinner(ctx.t("review.results.computing")):
            result = _result(ctx, rnd, sheets, PanelMethod(method).value)
        with reading(ctx) as session:
            names = {i.code: i.name for i in store.rubric_items(session, round_id=rnd.round_id)}
    except JixiaoError as err:
        show_error(ctx, err)
        return
    for note in result.notes:
        st.warning(note)
    _reports(ctx, rnd, result)
    _choice(ctx, rnd)
    _agreement(ctx, result)
    _raters(ctx, result)
    _heatmap(ctx, result)
    _outliers(ctx, result)
    _item_agreement(ctx, result, names)


def render_export(ctx: PageContext, rnd: RoundPublic) -> None:
    """Offer the round as an Excel workbook (scores long format, summary, raters, agreement).

    Parameters
    ----------
    ctx
        The signed-in staff member and the engine.
    rnd
        The round.

    Returns
    -------
    None

    Notes
    -----
    The workbook is built on request by :func:`review.io.export_round` and then offered for
    download, so a refused export shows its reason instead of a broken file.

    Examples
    --------
    >>> render_export.__name__
    'render_export'
    """
    st.caption(ctx.t("review.export.note"))
    key = f"review.export.{rnd.round_id}"
    if st.button(ctx.t("review.export.build"), key="review.export.build"):
        try:
            with tempfile.TemporaryDirectory() as folder, reading(ctx) as session:
                path = export_round(session, round_id=rnd.round_id, by=ctx.viewer,
                                    path=Path(folder) / "round.xlsx")
                st.session_state[key] = path.read_bytes()
        except JixiaoError as err:
            show_error(ctx, err)
    data = st.session_state.get(key)
    if data is not None:
        st.download_button(ctx.t("review.export.download"), data, file_name=f"{rnd.title}.xlsx",
                           mime=_XLSX, type="primary", key="review.export.download",
                           icon=":material/download:", on_click="ignore")
