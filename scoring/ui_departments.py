"""部门整体评价: each department's overall score in the budget year, for finance staff.

The page opens like the other lifecycle pages (year and settings, :func:`start_page`), runs the
year on the stored tables (:func:`scoring.ui_lifecycle.year_result`; the demo county fills
gaps in demo mode) and shows what :mod:`scoring.year_departments` computed: per department the
framework points, the amount-weighted points of its self-evaluated projects, the blended total,
the grade and any veto; the level-1 subtotals and leaf points of a chosen department; the units
not evaluated and why. Department facts are imported through the shared import box, and the
tables export to Excel with points rounded half up to two decimals. Labels are the
``departments.*`` keys of ``data/i18n/departments.yaml``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from indicators.ui_widgets import show_error
from scoring.project import round_half_up
from scoring.ui_lifecycle import import_box, show_sources, start_page, year_data, year_result
from scoring.ui_lifecycle_tables import GAP, XLSX, value_label, workbook_bytes
from scoring.year_departments import DEPARTMENT_COLUMNS, YearDepartments, department_table
from scoring.year_overview import label_departments

__all__ = ["GRADE_COLUMNS", "POINT_COLUMNS", "FIRST_COLUMNS", "department_labels",
           "rounded_points", "render_departments"]

GRADE_COLUMNS = ("grade", "grade_before_veto")
"""Columns holding grades, shown with the page's grade labels."""

POINT_COLUMNS = ("framework_points", "project_points", "total", "points", "max_points")
"""Columns holding points: shown and exported to two decimals."""

FIRST_COLUMNS = ("department", "total", "grade", "status")
"""The columns a reader looks for first, kept at the left of the department table."""

_FORMATS = {**dict.fromkeys(POINT_COLUMNS, "{:.2f}"), "project_amount": "{:,.2f}",
            "project_share": "{:.0%}", "weight": "{:g}", "target": "{:g}", "actual": "{:g}"}


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
        The same rows; each column ``c`` renamed to ``departments.col.c``; grades, statuses,
        the direction 定性 and qualitative levels (达成 …) in the page's language; a bilingual
        note (``中文 / English``) reduced to its language.

    Notes
    -----
    Only what is shown (and the Chinese workbook) changes; the year run's store keeps the
    kernels' values. The labelling is :func:`scoring.year_overview.label_departments`, which
    ``jixiao year run``'s workbook uses too.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> en = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
    >>> f = pd.DataFrame({"department": ["县教育局"], "status": ["not_evaluated"],
    ...                   "grade": ["优"], "reason": ["未评价 / not evaluated"]})
    >>> department_labels(en, f).values.tolist()
    [['县教育局', 'not evaluated', 'excellent', 'not evaluated']]
    >>> g = pd.DataFrame({"direction": ["定性", "≥"], "qualitative_level": ["部分达成", ""]})
    >>> department_labels(en, g).values.tolist()
    [['qualitative', 'partly met'], ['≥', '']]
    """
    return label_departments(frame, ctx.lang)


def rounded_points(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with the :data:`POINT_COLUMNS` rounded half up to two decimals, for a workbook.

    Parameters
    ----------
    frame
        A department, subtotal or indicator table.

    Returns
    -------
    pandas.DataFrame
        The same table; points rounded with :func:`scoring.project.round_half_up` (blank stays
        blank), other columns untouched.

    Notes
    -----
    Points are rounded once, at the end (DOMAIN.md §3); the page and the store keep them
    unrounded, the exported sheet shows what the page shows.

    Examples
    --------
    >>> rounded_points(pd.DataFrame({"framework_points": [94.369474, 89.995, None],
    ...                              "n_facts": [29, 29, 0]})).values.tolist()
    [[94.37, 29.0], [90.0, 29.0], [nan, 0.0]]
    """
    out = frame.copy()
    for column in POINT_COLUMNS:
        if column in out:
            out[column] = round_half_up(pd.to_numeric(out[column], errors="coerce"))
    return out


def _show(ctx: PageContext, frame: pd.DataFrame, key: str) -> None:
    """A table with the page's labels, points to two decimals and "—" for what is missing."""
    shown = department_labels(ctx, frame)
    formats = {label: _FORMATS[column] for column, label in zip(frame.columns, shown.columns,
                                                                 strict=True)
               if column in _FORMATS}
    # Blank text cells read "—" too, as the numbers' gaps do.
    for column in [c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c])]:
        cells = shown[column].astype(object)
        shown[column] = cells.where(cells.notna() & (cells != ""), GAP)
    # The browser draws an empty numeric cell (a qualitative indicator's target) from the data,
    # not from the styler's text, and prints "None" unless the table names its placeholder.
    st.dataframe(shown.style.format(formats, na_rep=GAP), hide_index=True, key=key,
                 placeholder=GAP)


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


def _chosen(ctx: PageContext, row: pd.Series) -> None:
    """The chosen department's total and grade, above its subtotals, with the blend's parts."""
    def points(value: object) -> str:
        return "—" if pd.isna(value) else f"{float(value):.2f}"

    cells = st.columns(4)
    cells[0].metric(ctx.t("departments.tile.total"), points(row["total"]))
    capped = bool(row.get("vetoed")) and row.get("grade_before_veto") != row["grade"]
    cells[1].metric(ctx.t("departments.tile.grade"), value_label(ctx, "grade", row["grade"]),
                    help=ctx.t("departments.tile.vetoed", grade=value_label(
                        ctx, "grade", row["grade_before_veto"])) if capped else None)
    cells[2].metric(ctx.t("departments.tile.framework"), points(row["framework_points"]))
    n = 0 if pd.isna(row["n_projects"]) else int(row["n_projects"])
    share = 0.0 if pd.isna(row["project_share"]) else float(row["project_share"])
    cells[3].metric(ctx.t("departments.tile.projects"), points(row["project_points"]),
                    help=ctx.t("departments.tile.projects_help", n=n, share=f"{share:.0%}"))


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
    columns = list(FIRST_COLUMNS) + [c for c in DEPARTMENT_COLUMNS
                                      if c not in (*FIRST_COLUMNS, "n_facts", "reason")]
    _show(ctx, table[columns], "departments.table")
    scored = table.loc[table["grade"].notna(), "department"].tolist()
    if scored:
        chosen = st.selectbox(ctx.t("departments.pick"), scored, key="departments.pick")
        _chosen(ctx, table.set_index("department").loc[chosen])
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
    sheets = [("部门整体评价", department_labels(zh, rounded_points(table[
        columns + ["n_facts", "reason"]])))]
    if indicators is not None:
        subtotals = departments.scores.subtotals.astype({"code": str, "parent": str})
        sheets += [("一级指标小计", department_labels(zh, rounded_points(subtotals))),
                   ("指标得分", department_labels(zh, rounded_points(
                       indicators.astype({"direction": str, "reason": str}))))]
    st.download_button(ctx.t("departments.download"),
                       data=lambda: workbook_bytes(sheets, f"{setting.year} 年度部门整体评价"),
                       file_name=f"部门整体评价_{setting.year}.xlsx", mime=XLSX,
                       key="departments.download", on_click="ignore")
