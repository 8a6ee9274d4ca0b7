"""The 指标库浏览 page: a library version as a tree, with search, filters and each indicator's detail.

Everyone signed in may browse (an expert reads an indicator's explanation while scoring);
drafts are listed for finance staff only, since nothing is scored against them yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.frontdoor import PageContext
from indicators.model import Category, Direction, Indicator, LibraryVersion, Status
from indicators.store import get_library, list_libraries
from indicators.ui_frames import filter_codes, tree_frame
from indicators.ui_widgets import pick_version, show_flash, show_header
from indicators.validate import MAX_LEVEL

__all__ = ["render", "tree_rows"]

_TREE_COLUMNS = ("code", "weight", "direction", "reference_value", "unit", "category", "sector")
_INDENT = {1: "", 2: "▸ ", 3: "\u3000\u3000· "}


def tree_rows(ctx: PageContext, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of a tree frame as the page shows them: the name indented by level, labelled columns.

    Parameters
    ----------
    ctx
        The page context (for the column labels).
    frame
        Rows of :func:`indicators.ui_frames.tree_frame`, in library order.

    Returns
    -------
    pandas.DataFrame
        The indented name first, then code, weight, direction, reference value, unit and
        category (and sector when any row has one), headed in the page's language.

    Notes
    -----
    Indentation marks the level (一级 flush, 二级 ▸, 三级 indented ·) so one flat table reads
    as the tree a bureau draws on paper.

    Examples
    --------
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> from indicators.model import Indicator, LibraryVersion
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.ADMIN))
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...     (Indicator("A", "产出指标", 1), Indicator("A1", "数量指标", 2, parent="A")))
    >>> tree_rows(ctx, tree_frame(lib)).iloc[:, 0].tolist()
    ['产出指标', '▸ 数量指标']
    """
    columns = [c for c in _TREE_COLUMNS if c != "sector" or frame["sector"].notna().any()]
    shown = frame[columns].copy()
    shown["weight"] = pd.to_numeric(shown["weight"], errors="coerce")
    shown.insert(0, "indicator", frame["level"].map(_INDENT).fillna("") + frame["name"])
    return shown.rename(columns={name: ctx.t(f"indicators.field.{name}")
                                 for name in shown.columns})


def _roots(frame: pd.DataFrame) -> pd.Series:
    """Each row's first-level ancestor (itself at level 1), walking up at most two steps."""
    parent = frame.set_index("code")["parent"]
    root = frame["code"].copy()
    for _ in range(MAX_LEVEL - 1):
        above = root.map(parent)
        root = above.where(above.notna(), root)
    return root


def _detail(ctx: PageContext, indicator: Indicator) -> pd.DataFrame:
    values = indicator.as_dict()
    rows = []
    for name, value in values.items():
        if isinstance(value, Mapping):
            value = json.dumps(value, ensure_ascii=False) if value else ""
        rows.append((ctx.t(f"indicators.field.{name}"), "" if value is None else str(value)))
    return pd.DataFrame(rows, columns=[ctx.t("indicators.browse.field"),
                                       ctx.t("indicators.browse.value")])


def _filters(ctx: PageContext, frame: pd.DataFrame) -> list[str]:
    """Search box and filters; returns the codes to show."""
    query = st.text_input(ctx.t("indicators.browse.search"), key="indicators.browse.query",
                          placeholder=ctx.t("indicators.browse.search_hint"))
    present = set(frame["category"].dropna()), set(frame["direction"].dropna())
    sectors = sorted(frame["sector"].dropna().unique())
    columns = st.columns(3 if sectors else 2)
    categories = columns[0].multiselect(
        ctx.t("indicators.field.category"), [c.value for c in Category if c.value in present[0]],
        key="indicators.browse.categories")
    directions = columns[1].multiselect(
        ctx.t("indicators.field.direction"), [d.value for d in Direction if d.value in present[1]],
        key="indicators.browse.directions")
    chosen_sectors = columns[2].multiselect(ctx.t("indicators.field.sector"), sectors,
                                            key="indicators.browse.sectors") if sectors else []
    return filter_codes(frame, query=query, categories=categories, directions=directions,
                        sectors=chosen_sectors)


def _tree(ctx: PageContext, frame: pd.DataFrame, codes: list[str], narrowed: bool) -> None:
    """One expander per first-level indicator, holding its shown subtree."""
    shown = frame[frame["code"].isin(codes)]
    roots = _roots(shown)
    for code in shown["code"][shown["level"] == 1]:
        top = shown[shown["code"] == code].iloc[0]
        label = f"{top['name']} · {code}"
        if pd.notna(pd.to_numeric(top["weight"], errors="coerce")):
            label += " · " + ctx.t("indicators.browse.weight", w=f"{float(top['weight']):g}")
        with st.expander(label, expanded=narrowed):
            st.dataframe(tree_rows(ctx, shown[roots.to_numpy() == code]), hide_index=True)


def _changelog(ctx: PageContext, version: LibraryVersion) -> None:
    with st.expander(ctx.t("indicators.browse.changelog")):
        if not version.changelog:
            st.caption(ctx.t("indicators.browse.no_changelog"))
            return
        entries = pd.DataFrame([vars(entry) for entry in version.changelog],
                               columns=["version", "text", "author", "date"])
        st.dataframe(entries.rename(columns={c: ctx.t(f"indicators.changelog.{c}")
                                             for c in entries.columns}), hide_index=True)


def render(ctx: PageContext) -> None:
    """Draw the browse page: pick a version, search and filter its tree, read an indicator.

    Parameters
    ----------
    ctx
        The page context from the front door.

    Returns
    -------
    None

    Notes
    -----
    Matches are shown with their ancestors, so a third-level hit keeps its place in the tree;
    the tree opens up while a search or filter is active.

    Examples
    --------
    >>> from indicators.ui import pages
    >>> any(page.render is render for page in pages())
    True
    """
    st.header(ctx.t("indicators.browse.title"))
    show_flash()
    with Session(ctx.engine) as session:
        summaries = list_libraries(session)
        if not ctx.viewer.is_staff:
            summaries = [s for s in summaries if s.status is not Status.DRAFT]
        if not summaries:
            st.info(ctx.t("indicators.empty"))
            return
        chosen = pick_version(ctx, summaries, key="indicators.browse.version",
                              label="indicators.pick.version", prefer=Status.PUBLISHED)
        version = get_library(session, ref=chosen.ref)
    show_header(ctx, version)
    frame = tree_frame(version)
    if frame.empty:
        st.info(ctx.t("indicators.browse.no_indicators"))
        _changelog(ctx, version)
        return
    codes = _filters(ctx, frame)
    narrowed = len(codes) < len(frame)
    st.caption(ctx.t("indicators.browse.count", shown=len(codes), total=len(frame)))
    if not codes:
        st.info(ctx.t("indicators.browse.no_match"))
    else:
        _tree(ctx, frame, codes, narrowed)
        pick = st.selectbox(ctx.t("indicators.browse.detail"), codes,
                            key="indicators.browse.detail",
                            format_func=lambda c: f"{c} {version.by_code[c].name}")
        st.dataframe(_detail(ctx, version.by_code[pick]), hide_index=True)
    _changelog(ctx, version)
