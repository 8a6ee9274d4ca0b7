"""The 版本对比 page: what changed between two library versions, and the version number it deserves.

The comparison is :func:`indicators.changes.diff`; the page lays it out as a table coloured by
kind of change (added green, removed red, changed amber), with the suggested bump and the summary
text a changelog line can be taken from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.changes import LibraryDiff, diff
from indicators.frontdoor import PageContext
from indicators.model import Status
from indicators.store import LibrarySummary, get_library, list_libraries
from indicators.ui_frames import diff_styler
from indicators.ui_widgets import pick_version, require_staff, show_flash

__all__ = ["diff_table", "render"]

_KINDS = ("added", "removed", "moved", "changed", "weight", "metadata")


def _shown(value: Any) -> str:
    """A diff cell as text: one type per column keeps the table displayable."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def diff_table(ctx: PageContext, changes: LibraryDiff) -> tuple[pd.DataFrame, pd.Series]:
    """The diff as the page shows it, and the kind of each row for colouring.

    Parameters
    ----------
    ctx
        The page context (for labels).
    changes
        The diff of two versions.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)
        The table with translated change kinds, field names and headers, every cell as text;
        and the untranslated ``change`` column, aligned with the table's rows.

    Notes
    -----
    Field names are shown as the labels the rest of the pages use (权重, 指标方向, …).

    Examples
    --------
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> from indicators.model import Indicator, LibraryVersion
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.ADMIN), lang="en")
    >>> old = LibraryVersion("d", "1.0.0", "x", "catalogue", (Indicator("A", "a", 1),))
    >>> new = LibraryVersion("d", "1.1.0", "x", "catalogue",
    ...                      (Indicator("A", "a", 1), Indicator("B", "b", 1)))
    >>> table, kinds = diff_table(ctx, diff(old, new))
    >>> table.iloc[0].tolist(), kinds.tolist()
    (['Added', 'B', 'b', '', '', ''], ['added'])
    """
    frame = changes.to_frame()
    kinds = frame["change"].copy()
    shown = frame.map(_shown)
    shown["change"] = kinds.map(lambda kind: ctx.t(f"indicators.diff.kind.{kind}"))
    shown["field"] = frame["field"].map(
        lambda name: "" if name is None else _field_label(ctx, name))
    headers = {c: ctx.t(f"indicators.diff.column.{c}") for c in shown.columns}
    return shown.rename(columns=headers), kinds


def _field_label(ctx: PageContext, name: str) -> str:
    key = f"indicators.field.{name}"
    label = ctx.t(key)
    return name if label == key else label


def _default_pair(session: Session, summaries: list[LibrarySummary]) -> tuple[str, str] | None:
    """The pair a person most likely wants: a version against its predecessor, same framework.

    The newest draft against the version it was based on (or the framework's version before
    it); without drafts, the last two versions of a framework that has several. None when no
    framework has two versions: comparing two frameworks is never what anyone means.
    """
    refs = {s.ref for s in summaries}
    for draft in reversed([s for s in summaries if s.status is Status.DRAFT]):
        base = get_library(session, ref=draft.ref).based_on
        if base in refs and base.split("@", 1)[0] == draft.id:
            return base, draft.ref
        earlier = [s.ref for s in summaries if s.id == draft.id and s.ref != draft.ref]
        if earlier:
            return earlier[-1], draft.ref
    for framework in dict.fromkeys(s.id for s in reversed(summaries)):
        versions = [s.ref for s in summaries if s.id == framework]
        if len(versions) > 1:
            return versions[-2], versions[-1]
    return None


def render(ctx: PageContext) -> None:
    """Draw the diff page: two version pickers, the coloured table, the bump and the summary.

    Parameters
    ----------
    ctx
        The page context from the front door; the viewer must be finance staff.

    Returns
    -------
    None

    Notes
    -----
    The pickers start on the newest draft and the version it was based on (same framework),
    the comparison a person publishing that draft wants to see.

    Examples
    --------
    >>> from indicators.ui import pages
    >>> any(page.render is render for page in pages())
    True
    """
    st.header(ctx.t("indicators.diff.title"))
    if not require_staff(ctx):
        return
    show_flash()
    with Session(ctx.engine) as session:
        summaries = list_libraries(session)
        if len(summaries) < 2:
            st.info(ctx.t("indicators.diff.need_two"))
            return
        pair = _default_pair(session, summaries)
        if pair is None:
            st.info(ctx.t("indicators.diff.need_two"))
            return
        for key, ref in zip(("indicators.diff.old", "indicators.diff.new"), pair, strict=True):
            if key not in st.session_state:
                st.session_state[key] = ref
        # One picker per line: side by side, the title · ref · status label was cut off.
        old = pick_version(ctx, summaries, key="indicators.diff.old",
                           label="indicators.diff.old")
        new = pick_version(ctx, summaries, key="indicators.diff.new",
                           label="indicators.diff.new")
        if old.ref == new.ref:
            st.info(ctx.t("indicators.diff.same"))
            return
        changes = diff(get_library(session, ref=old.ref), get_library(session, ref=new.ref))
    if changes.is_empty:
        st.success(ctx.t("indicators.diff.none"))
        return
    counts = changes.to_frame()["change"].value_counts()
    for column, kind in zip(st.columns(len(_KINDS)), _KINDS, strict=True):
        column.metric(ctx.t(f"indicators.diff.kind.{kind}"), int(counts.get(kind, 0)))
    st.markdown(ctx.t("indicators.diff.suggested",
                      bump=ctx.t(f"indicators.bump.{changes.suggested_bump}"),
                      version=changes.suggested_version))
    table, kinds = diff_table(ctx, changes)
    st.dataframe(diff_styler(table, kinds), hide_index=True)
    st.caption(ctx.t("indicators.diff.legend"))
    with st.expander(ctx.t("indicators.diff.summary"), expanded=False):
        st.code(changes.summary_en() if ctx.lang == "en" else changes.summary_zh(),
                language=None)
