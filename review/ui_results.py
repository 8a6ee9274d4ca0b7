"""A round's results on the staff's board: panel scores, agreement, raters, heatmap, the choice.

Everything shown is :func:`review.store.panel_results`, computed afresh from the stored sheets
(the same call the Excel export makes), so what staff see can always be recomputed. The first
view leaves out the agreement per rubric item, the costly part on a large round; it is computed
when staff open that section. The raw or severity-adjusted choice is recorded with its reason
through :func:`review.store.record_panel_choice`. Every label comes from the catalogue and a
value that is not there shows as "—".
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
from review.ui_shell import MISSING, reading, reading_engine, show_error, show_table, writing

__all__ = ["coefficient_label", "render_export", "render_results"]

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
        return store.panel_results(session, round_id=round_id, by=_viewer, method=method,
                                   item_agreement=False)


@st.cache_resource(show_spinner=False, max_entries=16)
def _per_item(_engine: object, url: str, round_id: int, _viewer: object,
              fingerprint: tuple) -> pd.DataFrame:
    # Agreement per rubric item does not depend on the panel method, and its table needs no
    # bootstrap interval, so it is computed once per state of the round.
    with reading_engine(_engine) as session:
        return store.panel_results(session, round_id=round_id, by=_viewer, bootstrap=0,
                                   item_agreement=True).item_agreement


def _fingerprint(rnd: RoundPublic, sheets: pd.DataFrame) -> tuple:
    done = sheets[sheets["submitted"]]
    return (rnd.status.value, rnd.panel_choice, rnd.panel_choice_reason,
            tuple(zip(done["assignment_id"].astype(int), done["submitted_at"].astype(str),
                      strict=True)))


def _result(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame, method: str) -> PanelResult:
    return _computed(ctx.engine, str(ctx.engine.url), rnd.round_id, method, ctx.viewer,
                     _fingerprint(rnd, sheets))


def _fmt(value: object, digits: int = 3) -> str:
    return MISSING if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


# Coefficient names as the literature in each language writes them; forms and weights in
# brackets (ICC(2,1), "interval") stay as the kernel names them.
_COEFFICIENT_KEYS = {"Kendall's W": "review.coef.kendall_w",
                     "Krippendorff's alpha": "review.coef.alpha",
                     "Fleiss' kappa": "review.coef.fleiss",
                     "Gwet's AC1": "review.coef.ac1",
                     "Gwet's AC2": "review.coef.ac2",
                     "Percent agreement": "review.coef.percent"}


def coefficient_label(ctx: PageContext, name: str) -> str:
    """A coefficient's name in the reader's language, its form or weights kept.

    Parameters
    ----------
    ctx
        The page's context (its language).
    name
        The name in :func:`review.agreement.agreement_report`'s ``coefficient`` column.

    Returns
    -------
    str

    Notes
    -----
    ICC forms are written the same in both languages; a name the catalogue does not know is
    shown as it is.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> ctx = PageContext(engine=None, viewer=Viewer(1, "a", "A", Role.ADMIN))
    >>> coefficient_label(ctx, "Krippendorff's alpha (interval)")
    'Krippendorff α 系数（等距）'
    """
    base, bracket, rest = name.partition(" (")
    key = _COEFFICIENT_KEYS.get(base)
    if key is None:
        return name
    label = ctx.t(key)
    if not bracket:
        return label
    form = rest.rstrip(")")
    if form in _FORMS:
        form = ctx.t(f"review.coef.form_{form}")
    return f"{label}（{form}）" if ctx.lang == "zh" else f"{label} ({form})"


# The measurement levels and weights the kernel writes in brackets.
_FORMS = ("nominal", "ordinal", "interval", "ratio", "quadratic", "linear", "radical")


def _note(ctx: PageContext, row: pd.Series) -> str:
    text = row.get(f"note_{ctx.lang}")
    return text if isinstance(text, str) and text else ""


def _tile_caption(ctx: PageContext, name: str, row: pd.Series, kendall_missing: str) -> str:
    parts = []
    if pd.notna(row["ci_low"]) and pd.notna(row["ci_high"]):
        parts.append(ctx.t("review.results.ci_only", low=_fmt(row["ci_low"]),
                           high=_fmt(row["ci_high"])))
    if pd.notna(row["p_value"]):
        parts.append(ctx.t("review.results.p_only", p=_fmt(row["p_value"], 4)))
    if pd.isna(row["value"]):
        # Why it is missing, in the reader's language, rather than a bare dash.
        parts.append(_note(ctx, row) or ctx.t("review.results.not_available"))
    elif name == "Kendall's W":
        parts.append(ctx.t(f"review.results.w_{kendall_missing}"
                           if kendall_missing in _W_RULES else "review.results.w_complete"))
    return "；".join(parts) if ctx.lang == "zh" else "; ".join(parts)


_W_RULES = ("incomplete", "drop_items", "drop_raters")


def _agreement(ctx: PageContext, result: PanelResult) -> None:
    st.markdown(f"#### {ctx.t('review.results.agreement')}")
    table = result.agreement
    if table.empty:
        st.info(ctx.t("review.results.no_agreement"))
        return
    rows = table.set_index("coefficient")
    kendall_missing = str(result.constants.get("kendall_missing") or "")
    cells = st.columns(len(_HEADLINE))
    for cell, name in zip(cells, _HEADLINE, strict=True):
        if name not in rows.index:
            continue
        row = rows.loc[name]
        cell.metric(coefficient_label(ctx, name), _fmt(row["value"]),
                    help=ctx.t(_ABOUT[name]))
        cell.caption(_tile_caption(ctx, name, row, kendall_missing))
    value, low, high, p = (ctx.t("review.results.value"), ctx.t("review.results.ci_low"),
                           ctx.t("review.results.ci_high"), ctx.t("review.results.p"))
    n_items, n_raters = ctx.t("review.results.n"), ctx.t("review.results.n_raters")
    show_table(pd.DataFrame({
        ctx.t("review.results.coefficient"): [coefficient_label(ctx, c)
                                              for c in table["coefficient"]],
        value: table["value"], low: table["ci_low"], high: table["ci_high"],
        p: table["p_value"],
        ctx.t("review.results.reading"): table[f"interpretation_{ctx.lang}"],
        n_items: table["n_items"], n_raters: table["n_raters"],
        ctx.t("review.results.note"): table[f"note_{ctx.lang}"]}),
        decimals={value: 3, low: 3, high: 3, p: 4, n_items: 0, n_raters: 0},
        hide_index=True, width="stretch")


_ABOUT = {"ICC(2,1)": "review.results.about_icc21", "ICC(2,k)": "review.results.about_icc2k",
          "Kendall's W": "review.results.about_w"}


def _item_agreement(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame,
                    names: dict[str, str]) -> None:
    st.markdown(f"#### {ctx.t('review.results.item_agreement')}")
    # Off until asked for: per item, the whole agreement report runs once per rubric item.
    if not st.toggle(ctx.t("review.results.item_agreement_show"),
                     key=f"review.results.per_item.{rnd.round_id}",
                     help=ctx.t("review.results.item_agreement_help")):
        return
    try:
        with st.spinner(ctx.t("review.results.computing")):
            table = _per_item(ctx.engine, str(ctx.engine.url), rnd.round_id, ctx.viewer,
                              _fingerprint(rnd, sheets))
    except JixiaoError as err:
        show_error(ctx, err)
        return
    if table.empty:
        st.info(ctx.t("review.results.no_agreement"))
        return
    wanted = table[table["coefficient"].isin(_HEADLINE)]
    grid = wanted.pivot_table(index="item_code", columns="coefficient", values="value",
                              sort=False, dropna=False)
    grid = grid.reindex(columns=[c for c in _HEADLINE if c in grid.columns])
    labels = [coefficient_label(ctx, c) for c in grid.columns]
    frame = pd.DataFrame(grid.to_numpy(), columns=labels)
    frame.insert(0, ctx.t("review.sheet.col_item"), [names.get(c, c) for c in grid.index])
    show_table(frame, decimals=dict.fromkeys(labels, 3), hide_index=True, width="stretch")


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
    show_table(frame, decimals=dict.fromkeys(frame.columns[2:], 2), hide_index=True,
               width="stretch")
    report, score, kind = (ctx.t("review.rounds.col_title"), ctx.t("review.results.panel_score"),
                           ctx.t("review.results.kind"))
    long = pd.concat([
        pd.DataFrame({"report": reports["report_title"], "score": reports["raw_score"],
                      "kind": ctx.t("review.results.raw")}),
        pd.DataFrame({"report": reports["report_title"], "score": reports["adjusted_score"],
                      "kind": ctx.t("review.results.adjusted")})]).dropna()
    chart = alt.Chart(long).mark_point(filled=True, size=90).encode(
        x=alt.X("score:Q", title=score, scale=alt.Scale(zero=False)),
        y=alt.Y("report:N", title=None, sort=None),
        color=alt.Color("kind:N", title=None),
        tooltip=[alt.Tooltip("report:N", title=report), alt.Tooltip("kind:N", title=kind),
                 alt.Tooltip("score:Q", title=score, format=".2f")])
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
    numbers = {ctx.t("review.results.effect"): raters["effect"],
               ctx.t("review.results.se"): raters["se"],
               ctx.t("review.results.z"): raters["z"]}
    extra = {ctx.t("review.results.deviation"): raters["mean_deviation"],
             ctx.t("review.results.correlation"): raters["correlation"],
             ctx.t("review.results.alpha_change"): raters["alpha_change"]}
    frame = pd.DataFrame({
        ctx.t("review.outcome.rater"): raters["rater_name"],
        ctx.t("review.results.n_ratings"): raters["n_ratings"],
        **numbers,
        ctx.t("review.results.verdict"): raters[f"label_{ctx.lang}"],
        **extra})
    show_table(frame.sort_values(ctx.t("review.results.effect")),
               decimals=dict.fromkeys([*numbers, *extra], 2), hide_index=True, width="stretch")
    if result.constants.get("severity_method"):
        n = int(result.totals.notna().to_numpy().sum())
        st.caption(ctx.t("review.results.severity_note", n=n))


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
    rater, report, total = (ctx.t("review.outcome.rater"), ctx.t("review.rounds.col_title"),
                            ctx.t("review.sheet.total"))
    chart = alt.Chart(long).mark_rect().encode(
        x=alt.X("rater:N", title=rater, sort=None),
        y=alt.Y("report:N", title=None, sort=None),
        color=alt.Color("total:Q", title=total, scale=alt.Scale(scheme="redyellowgreen")),
        tooltip=[alt.Tooltip("report:N", title=report), alt.Tooltip("rater:N", title=rater),
                 alt.Tooltip("total:Q", title=total, format=".1f")])
    st.altair_chart(chart, width="stretch")


def _outliers(ctx: PageContext, result: PanelResult) -> None:
    st.markdown(f"#### {ctx.t('review.results.outliers')}")
    found = result.outliers
    if found.empty:
        st.caption(ctx.t("review.results.no_outliers"))
        return
    titles = result.reports["report_title"]
    names = result.raters.get("rater_name", pd.Series(dtype=object))
    total, mean, z = (ctx.t("review.sheet.total"), ctx.t("review.results.others_mean"),
                      ctx.t("review.results.z"))
    show_table(pd.DataFrame({
        ctx.t("review.rounds.col_title"): titles.reindex(found["item"]).to_numpy(),
        ctx.t("review.outcome.rater"): names.reindex(found["rater"]).to_numpy(),
        total: found["rating"].astype(float), mean: found["others_mean"].astype(float),
        z: found["z"].astype(float)}),
        decimals={mean: 2, z: 2}, hide_index=True, width="stretch")


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
        # The kernel writes each note as "中文 / English"; the reader gets their own half.
        zh, _, en = note.partition(" / ")
        st.warning(en if ctx.lang == "en" and en else zh)
    _reports(ctx, rnd, result)
    _choice(ctx, rnd)
    _agreement(ctx, result)
    _raters(ctx, result)
    _heatmap(ctx, result)
    _outliers(ctx, result)
    _item_agreement(ctx, rnd, sheets, names)


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
