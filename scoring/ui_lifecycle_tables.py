"""How the lifecycle pages show and hand out tables: headers and coded values in the page's
language, yuan with thousands separators, shares as percentages, and workbooks for download.

Used by :mod:`scoring.ui_lifecycle`, its page modules and :mod:`scoring.ui_dashboard`. Labels
are the ``lifecycle.col.*`` keys of ``data/i18n/lifecycle.yaml``; the kernels' coded values
(红灯, 调整调减, 追减, 优 …) are shown through its ``lifecycle.value.<kind>.<value>`` keys and
stored as they are.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from indicators.frontdoor import PageContext
from scoring.lifecycle_io import write_sheets
from scoring.money import format_wan

__all__ = ["XLSX", "GAP", "MONEY_COLUMNS", "SHARE_COLUMNS", "POINT_COLUMNS", "VALUE_KINDS",
           "labelled", "value_label", "value_labels", "shown_values", "recommended",
           "show_table", "wan_metric", "workbook_bytes", "display_width", "fitted_width"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
"""MIME type of the .xlsx downloads."""
GAP = "—"
"""What a cell with no value shows: every table and editor passes it as ``placeholder``, as
Streamlit otherwise prints "None", which a reader takes for a value."""

MONEY_COLUMNS = frozenset({
    "amount", "previous_amount", "increase", "cut_decided", "recommended_amount",
    "decided_amount", "adjustment", "budget", "spent", "suggested_cut", "next_amount", "cut",
    "recommended_recover", "recover", "funds", "stage_funds", "amount_decided",
    "amount_as_decided", "amount_recommended", "recommended_cut", "recommended_suggested_cut",
    "recommended_adjustment"})
"""Columns holding yuan, shown with thousands separators."""
SHARE_COLUMNS = frozenset({"units_share", "projects_share", "funds_share", "self_funds_share"})
"""Columns holding shares (0–1), shown as percentages."""
POINT_COLUMNS = frozenset({"execution_ratio", "execution_percent", "target_progress", "score",
                           "total", "self_total", "key_total"})
"""Columns holding points or percents, shown to two decimals."""
VALUE_KINDS: Mapping[str, str] = {
    "light": "light", "execution_light": "light", "target_light": "light",
    "classification": "class", "action": "action", "batch": "batch", "grade": "grade",
    "self_grade": "grade", "key_grade": "grade", "final_grade": "grade",
    "grade_source": "source", "severity": "severity", "budget_type": "budget",
    "reasons": "reason", "codes": "codes"}
"""Columns holding coded values, and the kind of value each holds (its catalogue family)."""

# Kinds whose cells list several values: the separator the kernels join with, and the one
# an English reader expects.
_LISTS = {"reason": ("；", "; "), "codes": ("、", ", ")}


def workbook_bytes(sheets: Sequence[tuple[str, pd.DataFrame]], title: str) -> bytes:
    """``(sheet name, table)`` pairs as the bytes of one .xlsx workbook, for a download button.

    Parameters
    ----------
    sheets
        Sheet names and tables, headers as they should appear.
    title
        The workbook's title property.

    Returns
    -------
    bytes

    Notes
    -----
    Written by :func:`scoring.lifecycle_io.write_sheets` in a temporary folder removed at once.

    Examples
    --------
    >>> workbook_bytes([("表", pd.DataFrame({"项目": ["A"]}))], "示例")[:2]
    b'PK'
    """
    with tempfile.TemporaryDirectory() as folder:
        path = write_sheets(Path(folder) / "book.xlsx", sheets, title=title)
        return path.read_bytes()


def wan_metric(yuan: float) -> str:
    """An amount for a metric tile: 万元 with exactly two decimals.

    Parameters
    ----------
    yuan
        The amount in yuan.

    Returns
    -------
    str
        E.g. ``"1562.35"`` for 15,623,500 yuan; ``"0.00"`` for nothing.

    Notes
    -----
    Rounded half up to 0.01 万元 as :func:`scoring.money.format_wan`; the fixed two decimals
    keep tiles side by side the same width, short enough not to be cut off.

    Examples
    --------
    >>> wan_metric(15_623_500), wan_metric(2_040_000), wan_metric(0)
    ('1562.35', '204.00', '0.00')
    """
    return f"{float(format_wan(yuan)):.2f}"


def display_width(text: object) -> int:
    """How many columns a text takes on screen: a wide (CJK) character counts as two.

    Parameters
    ----------
    text
        Anything; it is measured as ``str(text)``.

    Returns
    -------
    int

    Notes
    -----
    East Asian wide and full-width characters (Unicode ``W`` and ``F``) take two columns, as
    in a terminal; what fits in a metric tile or a table column is judged this way.

    Examples
    --------
    >>> display_width("Cuts (10k yuan)"), display_width("建议调减（万元）")
    (15, 16)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def fitted_width(label: str, values: Iterable[Any] = (), *, most: int = 320) -> int:
    """A table column's width in pixels, wide enough for its header and its longest value.

    Parameters
    ----------
    label
        The header as shown.
    values
        The cells as shown (labels, not stored codes); missing ones count as :data:`GAP`.
    most
        The widest a column may get (a long name wraps rather than pushing the reason out).

    Returns
    -------
    int
        About 8 px per column of :func:`display_width` plus room for padding and a sort
        arrow, between 72 and ``most``.

    Notes
    -----
    Streamlit's "small" and "medium" widths cut English headers ("Recommende") and values
    ("pass after revi"); a width from what the column holds reads in either language.

    Examples
    --------
    >>> fitted_width("Recommended", ["pass after revision", "pass"])
    192
    >>> fitted_width("决定", ["通过"]), fitted_width("x" * 100)
    (72, 320)
    """
    texts = [GAP if v is None or (isinstance(v, float) and v != v) else v for v in values]
    widest = max([display_width(label), *map(display_width, texts)])
    return max(72, min(most, 8 * widest + 40))


def value_label(ctx: PageContext, kind: str, value: Any) -> Any:
    """A coded value as the page shows it: ``lifecycle.value.<kind>.<value>``, else itself.

    Parameters
    ----------
    ctx
        The page context (language).
    kind
        The value's family: ``light``, ``class``, ``action``, ``batch``, ``exante``,
        ``grade``, ``verdict``, ``severity``, ``budget``, ``source``, ``reason``, ``codes``,
        ``category`` (the standard 一级/二级 indicator categories).
    value
        The value as the kernels give and the store keeps it.

    Returns
    -------
    Any
        The label in the page's language; a value the catalogue does not know (or that is not
        text) comes back as it is. A cell listing several values (reasons, finding codes) is
        shown piece by piece.

    Notes
    -----
    Only the display changes; what is stored and exported keeps the kernels' value.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> en = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
    >>> value_label(en, "light", "红灯"), value_label(en, "light", "紫灯")
    ('red', '紫灯')
    >>> value_label(en, "codes", "missing_cost、missing_unit")
    'missing_cost, missing_unit'
    """
    if not isinstance(value, str) or not value:
        return value
    zh_sep, en_sep = _LISTS.get(kind, ("", ""))
    if zh_sep and zh_sep in value:
        parts = [_label(ctx, kind, part) for part in value.split(zh_sep)]
        return (zh_sep if ctx.lang == "zh" else en_sep).join(parts)
    return _label(ctx, kind, value)


def _label(ctx: PageContext, kind: str, value: str) -> str:
    key = f"lifecycle.value.{kind}.{value}"
    label = ctx.t(key)
    return value if label == key else label


def value_labels(ctx: PageContext, kind: str, values: Iterable[str]) -> dict[str, str]:
    """Each value with its label, for choices shown as labels and stored as values.

    Parameters
    ----------
    ctx
        The page context (language).
    kind
        The values' family (as :func:`value_label`).
    values
        The stored values offered.

    Returns
    -------
    dict
        Value → label. When two values would read the same, every value is shown as itself,
        so a label always maps back to exactly one stored value.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> en = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
    >>> value_labels(en, "verdict", ["成立", "驳回"])
    {'成立': 'stands', '驳回': 'dismissed'}
    """
    labels = {v: str(value_label(ctx, kind, v)) for v in values}
    if len(set(labels.values())) < len(labels):
        return {v: v for v in labels}
    return labels


def shown_values(ctx: PageContext, frame: pd.DataFrame,
                 kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with its coded columns in the page's language.

    Parameters
    ----------
    ctx
        The page context (language).
    frame
        Columns named as the kernels name them.
    kinds
        Column → value kind; :data:`VALUE_KINDS` when not given. Other columns (project,
        department and indicator names: data) are left as they are.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> en = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
    >>> f = pd.DataFrame({"name": ["乡村道路"], "light": ["绿灯"], "batch": ["追减"]})
    >>> shown_values(en, f).values.tolist()
    [['乡村道路', 'green', 'cut']]
    """
    out = frame.copy()
    for column, kind in (VALUE_KINDS if kinds is None else kinds).items():
        if column in out:
            out[column] = out[column].map(lambda v, k=kind: value_label(ctx, k, v))
    return out


def recommended(frame: pd.DataFrame, column: str) -> pd.Series:
    """What the kernels recommended in ``column``: ``recommended_<column>``, else the column.

    Parameters
    ----------
    frame
        A stage's table: as a kernel gives it, or as :func:`scoring.year.run_year` gives it
        with the decisions in force laid over (decided values in the plain columns, the
        kernel's in ``recommended_<column>``).
    column
        The plain column, e.g. ``cut`` or ``classification``.

    Returns
    -------
    pandas.Series

    Notes
    -----
    A page that shows or records "the recommendation" must not show a decision under that
    name once one is in force.

    Examples
    --------
    >>> f = pd.DataFrame({"cut": [0.0], "recommended_cut": [1e5]})
    >>> recommended(f, "cut").tolist(), recommended(f.drop(columns="recommended_cut"), "cut").tolist()
    ([100000.0], [0.0])
    """
    return frame[f"recommended_{column}"] if f"recommended_{column}" in frame else frame[column]


def show_table(ctx: PageContext, frame: pd.DataFrame, *, key: str | None = None) -> None:
    """A read-only table with the page's headers, yuan with thousands separators, shares as %.

    Parameters
    ----------
    ctx
        The page context.
    frame
        Columns named as the kernels name them.
    key
        The element key.

    Returns
    -------
    None

    Notes
    -----
    Amounts of millions of yuan are read at a glance only with separators; shares (0–1) are
    shown as percentages. A cell without a value shows :data:`GAP`, in text and numeric
    columns alike; the values stay as they are.

    Examples
    --------
    >>> callable(show_table)
    True
    """
    config: dict[str, Any] = {}
    for column in frame.columns:
        label = labelled(ctx, frame[[column]]).columns[0]
        if column in MONEY_COLUMNS:
            config[label] = st.column_config.NumberColumn(format="localized")
        elif column in SHARE_COLUMNS:
            config[label] = st.column_config.NumberColumn(format="percent")
        elif column == "growth":
            config[label] = st.column_config.NumberColumn(format="%.1f%%")
        elif column in POINT_COLUMNS:
            config[label] = st.column_config.NumberColumn(format="%.2f")
    st.dataframe(labelled(ctx, frame), hide_index=True, key=key, column_config=config,
                 placeholder=GAP)


def labelled(ctx: PageContext, frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with its English column names replaced by the page's labels.

    Parameters
    ----------
    ctx
        The page context (language).
    frame
        Columns named as the kernels name them (``project``, ``amount`` …).

    Returns
    -------
    pandas.DataFrame
        The same values; each column ``c`` renamed to the message ``lifecycle.col.c`` where
        one exists.

    Notes
    -----
    Chinese headers for the bureau, English for a reader of the English page, one catalogue.

    Examples
    --------
    >>> from indicators.frontdoor import Role, Viewer
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.FINANCE))
    >>> labelled(ctx, pd.DataFrame({"project": ["A"], "xyz": [1]})).columns.tolist()
    ['项目编码', 'xyz']
    """
    names = {}
    for column in frame.columns:
        key = f"lifecycle.col.{column}"
        label = ctx.t(key)
        names[column] = column if label == key else label
    return frame.rename(columns=names)
