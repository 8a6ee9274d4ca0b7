"""权重校准 and 权重敏感性: fitting weights to a panel, and how grades move with the weights.

:func:`pages` is what the front door registers. Both pages start from a projects × headings
table of achievement shares and the current weights (:mod:`scoring.ui_shares`). The
calibration page reads the panel's scores or grades — from an uploaded file, or from the
closed review rounds of a budget year that the front door hands down as ``ctx.key_results``
(scoring never imports review; :mod:`scoring.ui_calibrate_panel`) — matches them to the
shares by project code (:mod:`scoring.calibrate_panel`), fits weights with
:func:`scoring.calibrate.fit_weights`, sets the fit beside the current weights' (with
cross-validation) and publishes the fitted set through the library's draft → publish path,
the calibration report in the changelog. The sensitivity page is
:mod:`scoring.ui_sensitivity`. Labels are keys of ``data/i18n/delphi.yaml`` (``calibrate.``)
and ``data/i18n/calibrate_rounds.yaml`` (``calibrate_rounds.``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.changes import bump_version
from indicators.clock import bureau_today
from indicators.errors import JixiaoError
from indicators.frontdoor import STAFF_ROLES, PageContext, PageSpec
from indicators.i18n import t
from indicators.model import ChangelogEntry, LibraryVersion, Status
from indicators.store import (
    get_library,
    list_libraries,
    publish_library,
    save_library,
    update_draft,
)
from indicators.ui_widgets import flash, pick_version, require_staff, show_error, show_flash
from indicators.versioning import start_draft
from scoring.calibrate import CalibrationResult, fit_weights
from scoring.calibrate_panel import match_panel
from scoring.grades import available_band_tables
from scoring.ui import SECTION
from scoring.ui_calibrate_panel import choose_panel, enough_projects, show_match
from scoring.ui_shares import choose_data
from scoring.weight_sets import apply_priorities

__all__ = ["calibration_report", "fit_warnings", "matching_nodes", "method_text", "pages",
           "render_calibrate"]

_RESULT = "calibrate.result"
_DRAFT = "calibrate.draft"
_VERSION = "calibrate.version"
# The fitted 一级 weights belong to the 绩效目标 framework the projects are graded with.
_HOME_FRAMEWORK = "national-target"


def pages() -> list[PageSpec]:
    """The calibration and sensitivity pages, for finance staff and admins.

    Returns
    -------
    list of PageSpec
        权重校准 (``scoring-calibrate``) and 权重敏感性 (``scoring-sensitivity``).

    Notes
    -----
    Calibration writes library drafts, so both are staff pages and check the role again.

    Examples
    --------
    >>> [p.key for p in pages()]
    ['scoring-calibrate', 'scoring-sensitivity']
    """
    return [
        PageSpec(key="scoring-calibrate", section=SECTION, title="calibrate.page.calibrate",
                 render=render_calibrate, roles=STAFF_ROLES, icon=":material/tune:"),
        PageSpec(key="scoring-sensitivity", section=SECTION, title="calibrate.page.sensitivity",
                 render=_render_sensitivity, roles=STAFF_ROLES, icon=":material/ssid_chart:"),
    ]


def _render_sensitivity(ctx: PageContext) -> None:
    from scoring.ui_sensitivity import render_sensitivity

    render_sensitivity(ctx)


def method_text(result: CalibrationResult, lang: str = "zh") -> str:
    """How the weights were fitted, in a language.

    Parameters
    ----------
    result
        The fit.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        In English the kernel's own record (:attr:`CalibrationResult.method`); in Chinese the
        same facts in the catalogue's words (``calibrate_rounds.method.*``): the solver, any
        ridge strength, the folds and seed, and the target.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1.0, 0.5], [0.5, 1.0], [0.8, 0.8], [0.6, 0.9]])
    >>> r = fit_weights(a, a @ [70.0, 30.0], cv=None)
    >>> method_text(r)
    '非负最小二乘，各组权重之和按赋权方法确定后精确缩放（Lawson & Hanson 1974）；拟合目标为专家组总分'
    >>> method_text(r, "en") == r.method
    True
    """
    if lang != "zh":
        return result.method
    parts = [t("calibrate_rounds.method.base", lang)]
    if result.strength:
        parts.append(t("calibrate_rounds.method.ridge", lang, strength=f"{result.strength:g}"))
    if result.folds:
        parts.append(t("calibrate_rounds.method.cv", lang, folds=result.folds, seed=result.seed))
    if result.target_kind == "scores":
        parts.append(t("calibrate_rounds.method.target_scores", lang))
    else:
        # The grade → score mapping is kept only in the kernel's record; it is labels and
        # numbers, so it reads in Chinese once the separators are.
        mapping = result.method.split(" mapped to ", 1)[-1].replace(", ", "、")
        parts.append(t("calibrate_rounds.method.target_grades", lang, mapping=mapping))
    return "".join(parts)


def fit_warnings(result: CalibrationResult, lang: str = "zh") -> list[str]:
    """Why the fitted weights should not replace the current ones, if they fit worse.

    Parameters
    ----------
    result
        The fit.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    list of str
        One sentence per reason, empty for a fit worth saving: the in-sample R² is below 0
        (worse than the panel's mean), or the cross-validated R² is below the current weights'
        R².

    Notes
    -----
    The current weights were not fitted to this panel, so their R² is already out of sample;
    the fitted weights are compared with them on their cross-validated R², not on the
    in-sample one, which fitting always raises.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1.0, 0.5], [0.5, 1.0], [0.8, 0.8], [0.6, 0.9]])
    >>> fit_warnings(fit_weights(a, a @ [70.0, 30.0], cv=None))
    []
    >>> noise = fit_weights(a, np.array([95.0, 95.0, 40.0, 40.0]), cv=None)
    >>> [w.split("：")[0] for w in fit_warnings(noise)]
    ['校准权重的样本内 R² 为 -0.137，低于 0']
    """
    found = []
    if result.fit.r2 < 0:
        found.append(t("calibrate_rounds.poor_fit", lang, r2=f"{result.fit.r2:.3f}"))
    cv, current = result.cross_validated, result.prior_fit
    if cv is not None and current is not None and cv.r2 < current.r2:
        found.append(t("calibrate_rounds.worse.cv", lang, cv=f"{cv.r2:.3f}",
                       current=f"{current.r2:.3f}"))
    return found


def calibration_report(result: CalibrationResult, source: str, lang: str = "zh") -> str:
    """The calibration in one changelog line: data, method, fit beside the current weights.

    Parameters
    ----------
    result
        The fit.
    source
        Where the shares came from.
    lang
        The language of the page it was saved from.

    Returns
    -------
    str
        Chinese, the method in Chinese too (:func:`method_text`); from an English page the
        Chinese line and then the method in English, as bilingual changelog lines are written.

    Notes
    -----
    Published versions keep this line, so a later reader knows the weights were fitted, to
    what, and how well (R², Spearman and share of grades reproduced, in sample and
    cross-validated).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1.0, 0.5], [0.5, 1.0], [0.8, 0.8], [0.6, 0.9]])
    >>> text = calibration_report(fit_weights(a, a @ [70.0, 30.0], cv=None), "示例")
    >>> text.split("；")[0]
    '权重校准（示例，4 个项目，专家组总分）'
    >>> text.split("；")[-1]
    '拟合目标为专家组总分'
    """
    def fit(m: Any) -> str:
        return "—" if m is None else (f"R² {m.r2:.3f}, Spearman {m.spearman:.3f}, "
                                      f"等级一致 {m.grade_agreement:.1%}")

    kind = "专家组总分" if result.target_kind == "scores" else "专家组等级"
    weights = "、".join(f"{k} {v:g}" for k, v in result.rounded(2).items())
    line = (f"权重校准（{source}，{result.fit.n} 个项目，{kind}）；拟合 {fit(result.fit)}；"
            f"交叉验证 {fit(result.cross_validated)}；现行权重 {fit(result.prior_fit)}；"
            f"新权重 {weights}")
    if lang == "zh":
        return f"{line}；{t('calibrate_rounds.method.label', 'zh', method=method_text(result))}"
    return f"{line} / weights calibrated to the panel ({result.method})"


def _fit_table(ctx: PageContext, result: CalibrationResult) -> pd.DataFrame:
    rows = [("calibrate.fit.current", result.prior_fit), ("calibrate.fit.fitted", result.fit),
            ("calibrate.fit.cv", result.cross_validated)]
    return pd.DataFrame([{ctx.t("calibrate.col.weights"): ctx.t(key),
                          "R²": round(m.r2, 4), "Spearman": round(m.spearman, 4),
                          ctx.t("calibrate.col.grades"): f"{m.grade_agreement:.1%}",
                          "RMSE": round(m.rmse, 3)} for key, m in rows if m is not None])


def _settings(ctx: PageContext) -> dict[str, Any]:
    left, middle, right = st.columns(3)
    strength = left.number_input(ctx.t("calibrate.strength"), min_value=0.0, value=0.0,
                                 step=0.01, key="calibrate.strength",
                                 help=ctx.t("calibrate.strength_help"))
    folds = middle.number_input(ctx.t("calibrate.folds"), min_value=0, max_value=20, value=5,
                                step=1, key="calibrate.folds")
    bands = available_band_tables()
    band = right.selectbox(ctx.t("calibrate.bands"), bands,
                           index=bands.index("national") if "national" in bands else 0,
                           key="calibrate.bands")
    return {"strength": float(strength), "cv": int(folds) if folds >= 2 else None,
            "bands": band}


def matching_nodes(version: LibraryVersion, headings: list[str]) -> dict[str | None,
                                                                           dict[str, str]]:
    """The nodes whose children are exactly the calibrated headings, by code or by name.

    Parameters
    ----------
    version
        A library version.
    headings
        The calibrated columns.

    Returns
    -------
    dict
        Parent code (None for the first level) → heading → child code.

    Notes
    -----
    A stored run's headings are the 一级 names (产出指标 …) and 预算执行率, which the national
    target framework's first level carries; an uploaded table may use codes.

    Examples
    --------
    >>> from indicators.model import Indicator
    >>> lib = LibraryVersion("d", "1.0.0", "示例", "target", (
    ...     Indicator("A", "产出指标", 1, weight=60), Indicator("B", "效益指标", 1, weight=40)))
    >>> matching_nodes(lib, ["效益指标", "产出指标"])
    {None: {'效益指标': 'B', '产出指标': 'A'}}
    """
    found: dict[str | None, dict[str, str]] = {}
    for parent in [None, *(i.code for i in version.indicators)]:
        children = version.children(parent)
        if len(children) != len(headings):
            continue
        for field in ("code", "name"):
            lookup = {getattr(c, field): c.code for c in children}
            if set(lookup) == set(headings):
                found[parent] = {h: lookup[h] for h in headings}
                break
    return found


def _publish(ctx: PageContext, state: dict[str, Any]) -> None:
    result: CalibrationResult = state["result"]
    st.subheader(ctx.t("calibrate.publish"))
    with Session(ctx.engine) as session:
        summaries = [x for x in list_libraries(session) if x.status is not Status.RETIRED]
    if not summaries:
        st.info(ctx.t("calibrate.no_library"))
        return
    chosen = pick_version(ctx, summaries, key=_VERSION, label="calibrate.library",
                          framework=_HOME_FRAMEWORK)
    with Session(ctx.engine) as session:
        version = get_library(session, ref=chosen.ref)
    nodes = matching_nodes(version, list(result.weights.index))
    if not nodes:
        st.info(ctx.t("calibrate.no_node", ref=version.ref))
        return
    parent = st.selectbox(ctx.t("calibrate.node"), list(nodes), key=f"calibrate.node.{version.ref}",
                          format_func=lambda c: ctx.t("calibrate.top") if c is None
                          else f"{version.by_code[c].name} · {c}")
    new_version = None
    if version.status is not Status.DRAFT:
        new_version = st.text_input(ctx.t("calibrate.new_version"),
                                    bump_version(version.version, "minor"),
                                    key=f"calibrate.new_version.{version.ref}")
    report = calibration_report(result, state["source"], ctx.lang)
    st.caption(report)
    # A fit worse than the mean or than the current weights is not offered as the next step:
    # saving it takes a ticked confirmation that says so.
    worse = bool(fit_warnings(result))
    confirmed = worse and st.checkbox(ctx.t("calibrate_rounds.worse.confirm"),
                                      key="calibrate.worse_confirm")
    if st.button(ctx.t("calibrate.save_draft"), type="secondary" if worse else "primary",
                 key="calibrate.save_draft", disabled=worse and not confirmed,
                 help=ctx.t("calibrate_rounds.worse.disabled") if worse else None):
        rounded = result.rounded(2)
        shares = {nodes[parent][h]: float(w) for h, w in rounded.items()}
        author = ctx.viewer.display_name
        try:
            with Session(ctx.engine) as session:
                draft = version
                if version.is_frozen:
                    draft = start_draft(version, new_version=(new_version or "").strip() or None,
                                        author=author)
                    save_library(session, version=draft)
                weighted = apply_priorities(draft, parent, shares, author=author)
                # apply_priorities writes an AHP line; a calibration is recorded as one.
                # The changelog's day is the bureau's calendar day, not UTC's.
                entry = ChangelogEntry(version=draft.version, text=report, author=author,
                                       date=bureau_today().isoformat())
                saved = update_draft(session, version=replace(
                    weighted, changelog=(*weighted.changelog[:-1], entry)))
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.session_state[_DRAFT] = saved.ref
        flash(ctx.t("calibrate.saved", ref=saved.ref))
        st.rerun()
    draft_ref = st.session_state.get(_DRAFT)
    if draft_ref:
        st.markdown(ctx.t("calibrate.publish_help", ref=draft_ref))
        if st.button(ctx.t("calibrate.publish_button", ref=draft_ref), key="calibrate.publish"):
            try:
                with Session(ctx.engine) as session:
                    published = publish_library(session, ref=draft_ref,
                                                by=ctx.viewer.display_name, changelog=report)
            except JixiaoError as err:
                show_error(ctx, err)
                return
            st.session_state.pop(_DRAFT, None)
            flash(ctx.t("calibrate.published", ref=published.ref))
            st.rerun()


def _results(ctx: PageContext, state: dict[str, Any]) -> None:
    result: CalibrationResult = state["result"]
    st.subheader(ctx.t("calibrate.results"))
    st.caption(ctx.t("calibrate_rounds.method.label", method=method_text(result, ctx.lang)))
    st.dataframe(_fit_table(ctx, result), hide_index=True, key="calibrate.fit")
    # Worse than the panel's mean, or than the current weights: the page says so before the
    # weights table, and saving them needs a confirmation.
    for reason in fit_warnings(result, ctx.lang):
        st.warning(reason)
    table = result.table()
    rounded = result.rounded(2)
    st.dataframe(pd.DataFrame({
        ctx.t("calibrate.col.heading"): list(table.index),
        ctx.t("calibrate.col.current"): table["prior"].round(2).to_numpy(),
        ctx.t("calibrate.col.fitted"): table["weight"].round(4).to_numpy(),
        ctx.t("calibrate.col.rounded"): rounded.reindex(table.index).to_numpy(),
        ctx.t("calibrate.col.change"): table["change"].round(2).to_numpy()}),
        hide_index=True, key="calibrate.weights")
    _publish(ctx, state)


def render_calibrate(ctx: PageContext) -> None:
    """Draw 权重校准: data, the panel's results, the fit beside the current weights, publish.

    Parameters
    ----------
    ctx
        The page context; with ``ctx.key_results`` the panel's scores may come from the closed
        review rounds of a budget year instead of a file.

    Returns
    -------
    None

    Notes
    -----
    The panel's projects are matched to the shares by project code; those without shares are
    named and left out. A fit needs more projects than free weights (headings − 1), and so
    does each cross-validation training part
    (:func:`scoring.calibrate_panel.require_enough_projects`); else the page refuses and says
    how to get more. The fit is
    :func:`scoring.calibrate.fit_weights` (non-negative least squares with the weights summing
    to 100, Lawson & Hanson 1974), cross-validated by k folds; publishing goes through
    :func:`indicators.store.publish_library`, which validates the tree. The changelog line
    names the panel's file or rounds.

    Examples
    --------
    >>> callable(render_calibrate)
    True
    """
    st.header(ctx.t("calibrate.page.calibrate"))
    if not require_staff(ctx):
        return
    show_flash()
    try:
        data = choose_data(ctx, "calibrate")
    except JixiaoError as err:
        show_error(ctx, err)
        return
    if data is None:
        return
    st.caption(ctx.t("calibrate.data", source=data.source, n=len(data.points),
                     k=data.points.shape[1], dropped=data.dropped))
    try:
        panel = choose_panel(ctx)
    except JixiaoError as err:
        show_error(ctx, err)
        panel = None
    match = None
    if panel is not None:
        match = match_panel(data.points, panel.results)
        show_match(ctx, panel, match)
    settings = _settings(ctx)
    if panel is not None and match is not None and st.button(
            ctx.t("calibrate.fit_button"), type="primary", key="calibrate.fit_button"):
        st.session_state.pop(_RESULT, None)
        if enough_projects(ctx, panel, match, data.points.shape[1], settings["cv"]):
            try:
                result = fit_weights(match.points, match.panel, prior=data.weights, **settings)
            except JixiaoError as err:
                show_error(ctx, err)
            else:
                # The changelog is Chinese first whatever the page's language.
                source = "，".join([data.source, t("calibrate_rounds.panel_label", "zh",
                                                     what=panel.label_zh)])
                st.session_state[_RESULT] = {"result": result, "source": source}
    state = st.session_state.get(_RESULT)
    if state is not None:
        _results(ctx, state)
