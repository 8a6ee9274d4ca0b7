"""结果应用 (三个一批): recommendations by grade, the three batches, decisions and the export.

The page shows what result application recommends for next year's budget (keep, fund as
justified, cut by a share, cancel) and the batches 追减, 收回 and 反馈整改, where each grade came
from (self-evaluation or a key evaluation from a closed review round) and why next year's
amount is what it is (an ex-ante decision or recommendation); a person accepts or changes each
row with a reason, and the list is exported for the budget meeting. Registered by
:func:`scoring.ui_lifecycle.pages`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from indicators.ui_widgets import show_error
from scoring.application import ApplicationResult, apply_decisions
from scoring.lifecycle_decision_store import current_decisions, record_decisions
from scoring.ui_decisions import changed_rows
from scoring.ui_lifecycle import (
    Setting,
    import_box,
    recorded,
    show_sources,
    start_page,
    year_data,
    year_result,
)
from scoring.ui_lifecycle_tables import (
    GAP,
    XLSX,
    fitted_width,
    labelled,
    recommended,
    show_table,
    shown_values,
    value_label,
    workbook_bytes,
)
from scoring.year import next_year_codes
from scoring.year_decisions import application_batches

__all__ = ["GRADE_SOURCES", "grade_sources", "recommended_application", "next_year_basis",
           "render_application"]

GRADE_SOURCES: tuple[str, str] = ("单位自评", "财政重点评价")
"""Where a project's grade in result application came from (stored and exported as such)."""


def grade_sources(evaluated: pd.DataFrame) -> pd.DataFrame | None:
    """Where each evaluated project's grade came from: its self-evaluation or a key evaluation.

    Parameters
    ----------
    evaluated
        :attr:`scoring.year.YearResult.evaluated`: ``project``, ``total`` and ``grade`` (the
        self-evaluation) and, when closed review rounds gave key-evaluation results,
        ``key_total`` and ``key_grade``.

    Returns
    -------
    pandas.DataFrame or None
        ``project``, ``grade_source`` (one of :data:`GRADE_SOURCES`), ``self_total``,
        ``self_grade`` and ``key_total``; None when there are no key-evaluation columns, as
        every grade is then the self-evaluation's.

    Notes
    -----
    A key-evaluation grade replaces the self-evaluation grade in result application, so a
    person deciding a cut sees both totals and which one the grade is taken from.

    Examples
    --------
    >>> e = pd.DataFrame({"project": ["A", "B"], "total": [92.0, 85.0], "grade": ["优", "良"],
    ...                   "key_total": [float("nan"), 71.5], "key_grade": [None, "中"]})
    >>> grade_sources(e)[["project", "grade_source", "self_total", "key_total"]].values.tolist()
    [['A', '单位自评', 92.0, nan], ['B', '财政重点评价', 85.0, 71.5]]
    >>> grade_sources(e.drop(columns=["key_total", "key_grade"])) is None
    True
    """
    if "key_total" not in evaluated:
        return None
    marker = evaluated["key_grade"] if "key_grade" in evaluated else evaluated["key_total"]
    return pd.DataFrame({
        "project": evaluated["project"].to_numpy(),
        "grade_source": np.where(marker.notna().to_numpy(), GRADE_SOURCES[1], GRADE_SOURCES[0]),
        "self_total": evaluated["total"].to_numpy(dtype=float),
        "self_grade": evaluated["grade"].to_numpy(dtype=object),
        "key_total": evaluated["key_total"].to_numpy(dtype=float)})


def recommended_application(app: ApplicationResult) -> ApplicationResult:
    """Result application as the kernel recommended it, whatever decisions were laid over it.

    Parameters
    ----------
    app
        :func:`scoring.application.apply_results`'s result, or the year run's
        (:func:`scoring.year.run_year`), whose plain columns hold the decided values and whose
        ``recommended_*`` columns the recommendations.

    Returns
    -------
    ApplicationResult
        ``projects`` with the recommended ``action``, ``cut``, ``recover`` and ``rework`` in
        the plain columns, and ``batches`` counted from them
        (:func:`scoring.year_decisions.application_batches`).

    Notes
    -----
    What a person decides is compared with, and recorded against, the recommendation; a
    decision compared with itself would never be a change.

    Examples
    --------
    >>> from scoring.application import apply_results
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> ev = pd.DataFrame({"project": ["A"], "grade": ["中"], "budget": [1e6], "spent": [8e5],
    ...                    "next_amount": [1e6]})
    >>> rec = apply_results(ev, load_lifecycle_config())
    >>> laid = rec.projects.assign(recommended_cut=rec.projects["cut"], cut=0.0)
    >>> back = recommended_application(replace(rec, projects=laid))
    >>> back.projects["cut"].tolist(), back.batches["amount"].tolist()
    ([100000.0], [100000.0, 200000.0, 1000000.0])
    """
    projects = app.projects.assign(**{c: recommended(app.projects, c).to_numpy()
                                      for c in ("action", "cut", "recover", "rework")})
    return replace(app, projects=projects, batches=application_batches(projects))


def next_year_basis(projects: pd.Series, year: int,
                    exante: pd.DataFrame | None) -> pd.DataFrame:
    """For each project, the ex-ante assessment its next-year amount comes from, if any.

    Parameters
    ----------
    projects
        Project codes of the budget year (as result application lists them).
    year
        The budget year.
    exante
        :attr:`scoring.year.YearResult.exante`'s ``results`` (decisions laid over: ``outcome``,
        ``cut``, ``approved_amount``, ``request``, ``decided`` and ``recommended_cut``), or
        None when nothing was assessed.

    Returns
    -------
    pandas.DataFrame
        ``project``, ``next_project`` (next year's code), ``assessed``, ``decided``,
        ``outcome``, ``cut``, ``recommended_cut``, ``request`` and ``approved_amount``; the
        last five missing where the continuation was not assessed.

    Notes
    -----
    As :func:`scoring.year.run_year` numbers them, next year's request continues a project
    when its code is the project's with the year advanced (P2021… → P2022…), and an assessed
    request's next-year amount is its approved amount, request − cut. A decided cut therefore
    moves result application's recommended cut (share × next year's amount) and the
    反馈整改 funds; a person sees why from this table.

    Examples
    --------
    >>> ex = pd.DataFrame({"project": ["P2022001"], "outcome": ["不予支持"], "cut": [5e5],
    ...                    "recommended_cut": [0.0], "request": [5e5],
    ...                    "approved_amount": [0.0], "decided": [True]})
    >>> b = next_year_basis(pd.Series(["P2021001", "P2021002"]), 2021, ex)
    >>> b[["next_project", "decided", "approved_amount"]].values.tolist()
    [['P2022001', True, 0.0], ['P2022002', False, nan]]
    """
    codes = projects.astype(str).reset_index(drop=True)
    out = pd.DataFrame({"project": codes.to_numpy(),
                        "next_project": next_year_codes(codes, year).to_numpy()})
    columns = ("outcome", "cut", "recommended_cut", "request", "approved_amount")
    if exante is None or exante.empty:
        return out.assign(assessed=False, decided=False, **{c: np.nan for c in columns})
    given = exante.drop_duplicates("project").set_index("project").reindex(out["next_project"])
    out["assessed"] = given["approved_amount"].notna().to_numpy()
    # Without decisions laid over (a kernel's own result) nothing was decided.
    out["decided"] = (given["decided"].fillna(False).astype(bool).to_numpy()
                      if "decided" in given else False)
    for column in columns:
        # A result without decisions laid over has no recommended_cut: its cut is the one.
        out[column] = given[column if column in given else "cut"].to_numpy()
    return out


def _basis_notes(ctx: PageContext, basis: pd.DataFrame) -> list[str | None]:
    """Per project, a short note saying which ex-ante result set next year's amount."""
    notes: list[str | None] = []
    for row in basis.itertuples(index=False):
        if not row.assessed:
            notes.append(None)
            continue
        which = "decided" if row.decided else "recommended"
        notes.append(ctx.t(f"lifecycle.application.next_by_{which}",
                           outcome=value_label(ctx, "exante", row.outcome),
                           cut=f"{float(row.cut):,.2f}", request=f"{float(row.request):,.2f}"))
    return notes


def _application_table(ctx: PageContext, setting: Setting, rec: pd.DataFrame,
                       facts: pd.DataFrame, sources: pd.DataFrame | None,
                       basis: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    with Session(ctx.engine) as session:
        now = current_decisions(session, year=setting.year, stage="application")
    at = now.set_index("project").reindex(rec["project"])
    decided = at["outcome"].notna().to_numpy()
    detail = at["detail"].map(lambda d: d if isinstance(d, dict) else {})
    rework = rec["rework"].to_numpy(dtype=bool)
    # What a person sees and fills in first; the facts behind the recommendation follow.
    table = pd.DataFrame({
        "project": rec["project"].to_numpy(),
        "name": facts["name"].reindex(rec["project"]).to_numpy(),
        "action": rec["action"].to_numpy(),
        "recommended_amount": rec["cut"].to_numpy(dtype=float),
        "cut": np.where(decided, at["amount"].to_numpy(dtype=float), rec["cut"].to_numpy()),
        "recommended_recover": rec["recover"].to_numpy(dtype=float),
        "recover": np.where(decided, detail.map(lambda d: d.get("recover", np.nan)).to_numpy(
            dtype=float), rec["recover"].to_numpy()),
        "recommended_rework": rework,
        "rework": np.where(decided, detail.map(lambda d: bool(d.get("rework"))).to_numpy(
            dtype=bool), rework),
        "reason": at["reason"].fillna("").to_numpy(),
        "grade": rec["grade"].to_numpy(),
        "department": facts["department"].reindex(rec["project"]).to_numpy(),
        "next_amount": rec["next_amount"].to_numpy(),
        "next_basis": _basis_notes(ctx, basis),
        "reasons": rec["reasons"].to_numpy(),
        # None, not "", so an undecided row shows the dash.
        "decided_by": at["created_by"].where(at["created_by"].notna(), None).to_numpy()})
    if sources is not None:
        # Beside the grade: which evaluation it is taken from, and both totals.
        given = sources.set_index("project").reindex(table["project"])
        at_grade = table.columns.get_loc("grade") + 1
        for offset, column in enumerate(("grade_source", "self_total", "self_grade",
                                         "key_total")):
            table.insert(at_grade + offset, column, given[column].to_numpy())
    return table, decided


def _record_application(ctx: PageContext, setting: Setting, app: ApplicationResult,
                        chosen: pd.DataFrame) -> None:
    """Record the chosen rows (``project``, ``cut``, ``recover``, ``rework``, ``reason``)."""
    try:
        # The kernel's own rule: a change of cut, recovery or rework needs a reason.
        decided = apply_decisions(app, chosen).set_index("project").loc[chosen["project"]]
        rec = app.projects.set_index("project").loc[chosen["project"]]
        decisions = pd.DataFrame({
            "project": chosen["project"].to_numpy(), "recommendation": rec["action"].to_numpy(),
            "outcome": rec["action"].to_numpy(), "recommended_amount": rec["cut"].to_numpy(),
            "amount": decided["cut"].to_numpy(dtype=float),
            "changed": decided["changed"].to_numpy(dtype=bool),
            "reason": decided["reason"].to_numpy(),
            "detail": [{"recover": float(r), "rework": bool(w), "recommended_recover": float(rr),
                        "recommended_rework": bool(rw)} for r, w, rr, rw in zip(
                decided["recover"], decided["rework"], rec["recover"], rec["rework"],
                strict=True)]})
        with Session(ctx.engine) as session:
            n = record_decisions(session, year=setting.year, stage="application",
                                 decisions=decisions, created_by=ctx.viewer.display_name,
                                 config=setting.config.ref)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    recorded(ctx.t("lifecycle.decide.recorded", n=n))
    st.rerun()


def render_application(ctx: PageContext) -> None:
    """Draw 结果应用: recommendations by grade, the three batches, decisions and the export.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    Grades come from the whole year run on the stored tables (self-evaluation, or the key
    evaluation's grade where given). Each row starts at the decision in force; "记录决定"
    stores only the rows a person changed, "接受其余全部建议" the untouched undecided rows as
    recommended, both through :func:`scoring.application.apply_decisions`, which refuses a
    change without a reason. Where next year's amount comes from an ex-ante result
    (:func:`next_year_basis`) the row says so, as it moves the recommended cut.

    Examples
    --------
    >>> callable(render_application)
    True
    """
    setting = start_page(ctx, "lifecycle.application.title")
    if setting is None:
        return
    with st.expander(ctx.t("lifecycle.application.import")):
        import_box(ctx, setting, ("actuals", "spending"), key="lifecycle.application.import")
    try:
        result = year_result(ctx, setting)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    # Recorded against, and shown as, what the kernel recommended: the year run lays the
    # decisions in force over its plain columns.
    app = recommended_application(result.application)
    data, sources = year_data(ctx, setting)
    show_sources(ctx, sources, ("projects", "targets", "actuals", "spending", "requests"))
    exante = None if result.exante is None else result.exante.results
    basis = next_year_basis(app.projects["project"], setting.year, exante)
    table, decided = _application_table(ctx, setting, app.projects,
                                        data.projects.set_index("project"),
                                        grade_sources(result.evaluated), basis)
    moved = int(basis["decided"].sum())
    if moved:
        st.info(ctx.t("lifecycle.application.moved", n=moved))
    editable = ("cut", "recover", "rework", "reason")
    shown = shown_values(ctx, table)
    labels = {c: ctx.t(f"lifecycle.col.{c}") for c in table.columns}
    width = {c: fitted_width(labels[c], shown[c]) for c in table.columns}
    config: dict[str, Any] = {c: st.column_config.Column(labels[c], width=width[c])
                              for c in table.columns}
    for c in ("next_amount", "recommended_amount", "cut", "recommended_recover", "recover"):
        config[c] = st.column_config.NumberColumn(labels[c], min_value=0.0, format="localized",
                                                  width=width[c])
    for c in ("self_total", "key_total"):
        if c in table:
            config[c] = st.column_config.NumberColumn(labels[c], format="%.2f", width=width[c])
    for c in ("recommended_rework", "rework"):
        config[c] = st.column_config.CheckboxColumn(labels[c], width=width[c])
    config["reason"] = st.column_config.TextColumn(labels["reason"], width="large")
    # Shown in the page's language; only the editable columns are read back, so the stored
    # decisions and the export keep the kernels' values.
    edited = st.data_editor(shown, key="lifecycle.application.editor",
                            hide_index=True, placeholder=GAP,
                            column_config=config, width="stretch",
                            disabled=[c for c in table.columns if c not in editable])
    st.caption(ctx.t("lifecycle.application.help"))
    changed = changed_rows(table, edited, editable)
    rest = ~decided & ~changed
    left, right = st.columns(2)
    if left.button(ctx.t("lifecycle.decide.record", n=int(changed.sum())),
                   key="lifecycle.application.record", type="primary",
                   disabled=not changed.any()):
        _record_application(ctx, setting, app, edited.loc[changed, ["project", *editable]])
    if right.button(ctx.t("lifecycle.decide.accept", n=int(rest.sum())),
                    key="lifecycle.application.accept", disabled=not rest.any()):
        # Each untouched, undecided row as the kernel recommends it, with no reason needed.
        accepted = app.projects.loc[rest, ["project", "cut", "recover", "rework"]]
        _record_application(ctx, setting, app, accepted.assign(reason=""))
    now = application_batches(table)
    batches = app.batches.assign(n_as_decided=now["n_projects"].to_numpy(),
                                 amount_as_decided=now["amount"].to_numpy())
    st.subheader(ctx.t("lifecycle.application.batches"))
    st.caption(ctx.t("lifecycle.application.batches_help"))
    show_table(ctx, shown_values(ctx, batches), key="lifecycle.application.batches")
    zh = PageContext(ctx.engine, ctx.viewer, lang="zh")
    # The workbook is the bureau's: Chinese sheets, headers and values in either language.
    sheets = [(zh.t("lifecycle.application.sheet_list"),
               labelled(zh, table.assign(next_basis=_basis_notes(zh, basis)))),
              (zh.t("lifecycle.application.sheet_batches"), labelled(zh, batches)),
              (zh.t("lifecycle.application.sheet_summary"),
               pd.DataFrame({"年度小结": [result.text_zh]}))]
    st.download_button(ctx.t("lifecycle.application.export"),
                       data=lambda: workbook_bytes(sheets, f"{setting.year} 年度结果应用清单"),
                       file_name=f"结果应用清单_{setting.year}.xlsx", mime=XLSX,
                       key="lifecycle.application.export", on_click="ignore")
