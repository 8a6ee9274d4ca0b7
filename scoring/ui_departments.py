"""部门整体评价: each department's overall score in the budget year, for finance staff.

The page opens like the other lifecycle pages (year and settings, :func:`start_page`), runs the
year on the stored tables (:func:`scoring.ui_lifecycle.year_result`; the demo county fills
gaps in demo mode) and shows what :mod:`scoring.year_departments` computed: per department the
framework points, the amount-weighted points of its self-evaluated projects, the blended total,
the grade and any veto; the level-1 subtotals and leaf points of a chosen department; the units
not evaluated and why. Department facts are imported through the shared import box, and the
tables export to Excel. Labels are the ``departments.*`` keys of ``data/i18n/departments.yaml``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from indicators.ui_widgets import show_error
from scoring.ui_lifecycle import import_box, show_sources, start_page, year_data, year_result
from scoring.ui_lifecycle_tables import XLSX, value_label, workbook_bytes
from scoring.year_departments import DEPARTMENT_COLUMNS, YearDepartments, department_table

__all__ = ["GRADE_COLUMNS", "department_labels", "render_departments"]

GRADE_COLUMNS = ("grade", "grade_before_veto")
"""Columns holding grades, shown with the page's grade labels."""

_FORMATS = {"framework_points": "%.2f", "project_points": "%.2f", "total": "%.2f",
            "project_amount": "localized", "project_share": "percent", "points": "%.2f",
            "max_points": "%g", "weight": "%g"}


def department_labels(ctx: PageContext, frame: pd.DataFrame) -> pd.DataFrame:
    """A department table as the page shows it: headers, grades, statuses and notes translated.

    Parameters
    ----------
    ctx
        The page context (language).
    frame
        Columns as :mod:`scoring.year_departments` names them.

    Returns
    -------
    pandas.DataFrame
        The same rows; each column ``c`` renamed to ``departments.col.c``; grades and statuses
        in the page's language; a bilingual note (``中文 / English``) reduced to its language.

    Notes
    -----
    Only what is shown (and the Chinese workbook) changes; the year run's store keeps the
    kernels' values.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> en = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
    >>> f = pd.DataFrame({"department": ["县教育局"], "status": ["not_evaluated"],
    ...                   "grade": ["优"], "reason": ["未评价 / not evaluated"]})
    >>> department_labels(en, f).values.tolist()
    [['县教育局', 'not evaluated', 'excellent', 'not evaluated']]
    """
    out = frame.copy()
    for column in GRADE_COLUMNS:
        if column in out:
            out[column] = out[column].map(lambda v: value_label(ctx, "grade", v))
    if "status" in out:
        out["status"] = out["status"].map(lambda v: ctx.t(f"departments.status.{v}"))
    if "reason" in out:
        out["reason"] = out["reason"].map(lambda v: _half(v, ctx.lang))
    names = {}
    for column in out.columns:
        key = f"departments.col.{column}"
        label = ctx.t(key)
        names[column] = column if label == key else label
    return out.rename(columns=names)


def _half(note: object, lang: str) -> object:
    """A note written "中文 / English" reduced to the page's half (a plain note kept whole)."""
    if not isinstance(note, str) or " / " not in note:
        return note
    zh, en = note.split(" / ", 1)
    return zh if lang == "zh" else en


def _show(ctx: PageContext, frame: pd.DataFrame, key: str) -> None:
    config = {}
    shown = department_labels(ctx, frame)
    for column, label in zip(frame.columns, shown.columns, strict=True):
        if column in _FORMATS:
            config[label] = st.column_config.NumberColumn(format=_FORMATS[column])
    st.dataframe(shown, hide_index=True, key=key, column_config=config)


def _indicators(departments: YearDepartments, department: str) -> tuple[pd.DataFrame,
                                                                         pd.DataFrame]:
    scores = departments.scores
    first = scores.subtotals.loc[(scores.subtotals["department"] == department)
                                 & (scores.subtotals["level"] == 1),
                                 ["code", "points", "max_points"]]
    names = departments.targets.set_index("indicator_code")["indicator"]
    leaves = scores.indicators.loc[scores.indicators["department"] == department].copy()
    leaves["name"] = names.reindex(leaves["indicator"]).to_numpy()
    leaves["direction"] = leaves["direction"].astype(str)
    leaves = leaves[["indicator", "name", "level1", "level2", "weight", "direction", "target",
                     "actual", "qualitative_level", "points", "missing"]]
    return first.astype({"code": str}).reset_index(drop=True), leaves.reset_index(drop=True)


def _headline(ctx: PageContext, departments: YearDepartments, table: pd.DataFrame) -> None:
    scored = table.loc[table["grade"].notna()]
    cells = st.columns(5)
    cells[0].metric(ctx.t("departments.count"), f"{len(scored)}/{len(table)}")
    counts = scored["grade"].value_counts()
    for cell, grade in zip(cells[1:], ("优", "良", "中", "差"), strict=True):
        cell.metric(ctx.t("departments.grade_count", grade=value_label(ctx, "grade", grade)),
                    int(counts.get(grade, 0)))


def render_departments(ctx: PageContext) -> None:
    """Draw 部门整体评价 for the chosen year.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    Total = (1 − s)·F + s·Σ aᵢTᵢ/Σ aᵢ (framework points F, project share s from the settings,
    self-evaluated projects i of amount aᵢ and total Tᵢ); grades by the settings' band table,
    capped at the veto grade for a department lacking a fact when the settings say so.

    Examples
    --------
    >>> callable(render_departments)
    True
    """
    setting = start_page(ctx, "departments.title")
    if setting is None:
        return
    _, sources = year_data(ctx, setting)
    show_sources(ctx, sources, ["department_facts"])
    with st.expander(ctx.t("departments.import"), expanded=False):
        import_box(ctx, setting, ["department_facts"], key="departments.import")
    try:
        result = year_result(ctx, setting)
    except JixiaoError as err:
        st.error(ctx.t("departments.error"))
        show_error(ctx, err)
        return
    departments = result.departments
    if departments is None:
        st.info(ctx.t("departments.no_facts", year=setting.year))
        return
    settings = setting.config.departments
    st.caption(ctx.t("departments.settings", framework=departments.framework,
                     share=f"{departments.project_share:.0%}", bands=settings.bands))
    st.caption(ctx.t("departments.formula"))
    table = department_table(departments)
    _headline(ctx, departments, table)
    st.subheader(ctx.t("departments.table"))
    _show(ctx, table[[c for c in DEPARTMENT_COLUMNS if c not in ("n_facts", "reason")]],
          "departments.table")
    scored = table.loc[table["grade"].notna(), "department"].tolist()
    if scored:
        chosen = st.selectbox(ctx.t("departments.pick"), scored, key="departments.pick")
        first, leaves = _indicators(departments, chosen)
        st.markdown(f"**{ctx.t('departments.level1')}**")
        _show(ctx, first, "departments.level1")
        st.markdown(f"**{ctx.t('departments.leaves')}**")
        _show(ctx, leaves, "departments.leaves")
    st.subheader(ctx.t("departments.not_evaluated"))
    missing = departments.not_evaluated
    if missing.empty:
        st.success(ctx.t("departments.all_evaluated"))
    else:
        _show(ctx, missing[["department", "status", "n_facts", "n_missing", "reason"]],
              "departments.not_evaluated")
    zh = PageContext(ctx.engine, ctx.viewer, lang="zh")
    indicators = departments.scores.indicators if departments.scores is not None else None
    sheets = [("部门整体评价", department_labels(zh, table))]
    if indicators is not None:
        sheets += [("一级指标小计", department_labels(zh, departments.scores.subtotals.astype(
                       {"code": str, "parent": str}))),
                   ("指标得分", department_labels(zh, indicators.astype({"direction": str,
                                                                      "reason": str})))]
    st.download_button(ctx.t("departments.download"),
                       data=lambda: workbook_bytes(sheets, f"{setting.year} 年度部门整体评价"),
                       file_name=f"部门整体评价_{setting.year}.xlsx", mime=XLSX,
                       key="departments.download", on_click="ignore")
