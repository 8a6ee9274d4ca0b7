"""Library versions as the tables the library pages show and edit, and edited tables back.

No streamlit here: these functions turn a :class:`~indicators.model.LibraryVersion` into pandas
frames (the tree, the edit grid, the weight sums, the coloured diff) and turn an edited grid back
into a draft through :mod:`indicators.versioning`, so every rule an edit must obey is the one the
command line and the store obey too. The pages in ``indicators/ui_*.py`` only draw them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from indicators.errors import InputError
from indicators.model import Indicator, LibraryVersion
from indicators.rule_params import is_blank
from indicators.validate import MAX_LEVEL, WEIGHT_TOLERANCE
from indicators.versioning import add_indicator, edit_indicator, move_indicator, remove_indicator

__all__ = [
    "DIFF_COLOURS",
    "ENUM_FIELDS",
    "GRID_FIELDS",
    "ORIGINAL",
    "apply_grid",
    "diff_styler",
    "filter_codes",
    "grid_frame",
    "tree_frame",
    "weight_sums",
]

GRID_FIELDS: tuple[str, ...] = (
    "code", "name", "level", "parent", "category", "direction", "unit", "weight",
    "reference_value", "value_basis", "explanation", "checkpoints", "data_source", "rule",
    "sector",
)
"""The indicator fields the edit grid shows, in column order (``level`` is read-only there)."""

ENUM_FIELDS: tuple[str, ...] = ("category", "direction", "value_basis")
"""Grid fields whose values come from a fixed list (picked, not typed)."""

ORIGINAL = "_original"
"""Hidden grid column holding each row's code as loaded; blank on rows the user added."""

DIFF_COLOURS: dict[str, str] = {
    "added": "#d8f3dc",
    "removed": "#fbd5d5",
    "moved": "#fff1c2",
    "changed": "#fff1c2",
    "weight": "#fff1c2",
    "metadata": "#fff1c2",
}
"""Background of a diff row by kind of change: green added, red removed, amber otherwise."""

_OPTIONAL_TEXT = ("unit", "reference_value", "explanation", "checkpoints", "data_source", "rule",
                  "sector")
_EDITED = tuple(f for f in GRID_FIELDS if f not in ("level", "parent"))


def tree_frame(version: LibraryVersion) -> pd.DataFrame:
    """Every indicator of a version as one row, in library order, with all its fields.

    Parameters
    ----------
    version
        The library version.

    Returns
    -------
    pandas.DataFrame
        One column per :class:`~indicators.model.Indicator` field; enums as their text, blank
        optional fields as ``None``, ``rule_params`` as a dict. Indexed by position.

    Notes
    -----
    Library order is tree order (a parent before its children), which is how
    :mod:`indicators.versioning` keeps it, so the frame reads as an indented tree.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...     (Indicator("A", "产出指标", 1), Indicator("A1", "完成率", 2, parent="A",
    ...                                            direction="≥", unit="%")))
    >>> tree_frame(lib)[["code", "parent", "direction"]].values.tolist()
    [['A', None, None], ['A1', 'A', '≥']]
    """
    fields = list(Indicator.__dataclass_fields__)
    records = [ind.as_dict() for ind in version.indicators]
    frame = pd.DataFrame.from_records(records, columns=fields).astype(object)
    return frame.where(~frame.map(is_blank), None)


def filter_codes(frame: pd.DataFrame, *, query: str = "", categories: Any = (),
                 directions: Any = (), sectors: Any = ()) -> list[str]:
    """Codes to show for a search and filters: the matches and, for context, their ancestors.

    Parameters
    ----------
    frame
        :func:`tree_frame` of a version.
    query
        Text looked for, case-insensitively, in the code, name and explanation.
    categories, directions, sectors
        Keep indicators whose category, direction or sector is one of these; empty keeps all.

    Returns
    -------
    list of str
        Codes in library order.

    Notes
    -----
    Ancestors of a match are kept so a third-level hit is still shown under its first- and
    second-level parents; a tree has at most ``MAX_LEVEL`` levels, so two steps up suffice.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue", (
    ...     Indicator("A", "产出指标", 1), Indicator("A1", "完成率", 2, parent="A"),
    ...     Indicator("B", "效益指标", 1)))
    >>> filter_codes(tree_frame(lib), query="完成")
    ['A', 'A1']
    """
    if frame.empty:
        return []
    keep = np.ones(len(frame), dtype=bool)
    text = str(query or "").strip().casefold()
    if text:
        haystack = (frame["code"].fillna("").astype(str) + "\n" + frame["name"].fillna("")
                    .astype(str) + "\n" + frame["explanation"].fillna("").astype(str))
        keep &= haystack.str.casefold().str.contains(text, regex=False).to_numpy(dtype=bool)
    for column, wanted in (("category", categories), ("direction", directions),
                           ("sector", sectors)):
        if wanted:
            keep &= frame[column].isin(list(wanted)).to_numpy(dtype=bool)
    shown = set(frame["code"][keep])
    parents = frame.set_index("code")["parent"]
    frontier = shown
    for _ in range(MAX_LEVEL - 1):
        frontier = set(parents.reindex(list(frontier)).dropna()) - shown
        shown |= frontier
    return [code for code in frame["code"] if code in shown]


def grid_frame(version: LibraryVersion) -> pd.DataFrame:
    """The edit grid of a version: :data:`GRID_FIELDS` plus the hidden :data:`ORIGINAL` code.

    Parameters
    ----------
    version
        The library version (a draft to edit, or a frozen one to show read-only).

    Returns
    -------
    pandas.DataFrame
        Text columns as ``str`` or ``None``, ``weight`` as float with NaN for none, ``level``
        as int; indexed by position.

    Notes
    -----
    The hidden original code is what :func:`apply_grid` matches rows on, so a renamed code is an
    edit of the same indicator, not a removal and an addition.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "target",
    ...                      (Indicator("A", "满意度", 1, direction="定性", weight=100),))
    >>> grid_frame(lib)[["code", "weight", "_original"]].values.tolist()
    [['A', 100.0, 'A']]
    """
    tree = tree_frame(version)
    grid = tree.reindex(columns=list(GRID_FIELDS)).astype(object)
    grid["weight"] = pd.to_numeric(grid["weight"], errors="coerce").astype(float)
    grid["level"] = grid["level"].astype(int)
    grid[ORIGINAL] = tree["code"]
    return grid


def _cell(value: Any) -> Any:
    """A grid cell with blanks (None, NaN, whitespace) as ``None`` and text stripped."""
    if is_blank(value):
        return None
    return value.strip() if isinstance(value, str) else value


def _who(row: pd.Series) -> tuple[str, str]:
    """How a message names a grid row's indicator: by code, else by name (a new row may lack a
    code), else as a new row; a reader needs it because messages leave ``field`` out."""
    code, name = _cell(row.get("code")), _cell(row.get("name"))
    if code is not None:
        return f"指标 {code}", f"indicator {code}"
    if name is not None:
        return f"新增指标“{name}”", f"new indicator '{name}'"
    return "新增的一行", "an added row"


def _value(name: str, raw: Any, code: str, who: tuple[str, str]) -> Any:
    """A grid cell as the :class:`~indicators.model.Indicator` field ``name`` holds it."""
    value = _cell(raw)
    if name == "weight":
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InputError(f"{who[0]}：权重 '{value}' 不是数字",
                             f"{who[1]}: weight '{value}' is not a number",
                             field=f"{code}.weight") from None
    if name in _OPTIONAL_TEXT:
        return "" if value is None else str(value)
    return None if value is None else str(value)


def _row_values(row: pd.Series, code: str) -> dict[str, Any]:
    who = _who(row)
    return {name: _value(name, row.get(name), code, who) for name in _EDITED}


def apply_grid(draft: LibraryVersion, before: pd.DataFrame, after: pd.DataFrame) -> LibraryVersion:
    """Turn the edits made to a draft's grid into a new draft value.

    Parameters
    ----------
    draft
        The draft the grid was made from.
    before
        :func:`grid_frame` of ``draft``, as it was given to the editor.
    after
        The grid as the editor returned it: rows edited, added (blank :data:`ORIGINAL`) or
        deleted.

    Returns
    -------
    LibraryVersion
        The edited draft. It may not validate yet; the page shows
        :func:`indicators.validate.validate_library` on it.

    Raises
    ------
    InputError, ConflictError, NotFoundError, ImmutableVersionError
        As raised by :mod:`indicators.versioning` for the first edit that cannot be made, naming
        the indicator (e.g. a deleted parent whose children are kept, a duplicate code).

    Notes
    -----
    Edits are applied in an order that cannot trip over itself: deletions deepest level first
    (so a parent deleted with its children goes cleanly), then field edits and code renames
    (renaming re-points the children), then new rows in grid order (a new row's level is its
    parent's plus one), then moves to a new parent, so existing indicators can be moved under a
    parent added in the same edit. Rows left completely blank are ignored.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> draft = LibraryVersion("demo", "1.1.0", "示例", "target", (
    ...     Indicator("A", "产出", 1, weight=60), Indicator("B", "效益", 1, weight=40)))
    >>> before = grid_frame(draft)
    >>> after = before.copy()
    >>> after.loc[0, "weight"] = 50.0
    >>> after.loc[1, "weight"] = 50.0
    >>> [i.weight for i in apply_grid(draft, before, after).indicators]
    [50.0, 50.0]
    """
    original = before.set_index(ORIGINAL, drop=False)
    kept_rows = after[after[ORIGINAL].map(lambda v: not is_blank(v))]
    new_rows = after[after[ORIGINAL].map(is_blank)]

    kept = set(kept_rows[ORIGINAL])
    gone = original[~original[ORIGINAL].isin(kept)].sort_values("level", ascending=False)
    result = draft
    for code in gone[ORIGINAL]:
        result = remove_indicator(result, code)

    renames: dict[str, str] = {}
    for _, row in kept_rows.iterrows():
        code = row[ORIGINAL]
        old = _row_values(original.loc[code], code)
        new = _row_values(row, code)
        changes = {name: value for name, value in new.items() if value != old[name]}
        if changes:
            result = edit_indicator(result, code, **changes)
            renames[code] = changes.get("code", code)

    for _, row in new_rows.iterrows():
        if all(_cell(row.get(name)) is None for name in GRID_FIELDS):
            continue
        code = _cell(row.get("code"))
        values = _row_values(row, str(code))
        parent = _cell(row.get("parent"))
        above = result.by_code.get(parent) if parent is not None else None
        level = 1 if parent is None else (above.level + 1 if above is not None else 2)
        try:
            indicator = Indicator(level=level, parent=parent, **values)
        except InputError as exc:
            # The model's message does not say which indicator, and people are not shown
            # ``field``; the message names it, ``field`` stays for programs.
            who_zh, who_en = _who(row)
            raise InputError(f"{who_zh}：{exc.zh}", f"{who_en}: {exc.en}",
                             field=f"{code}.{exc.location.field}") from exc
        result = add_indicator(result, indicator)
    for _, row in kept_rows.iterrows():
        code = row[ORIGINAL]
        old_parent = _cell(original.at[code, "parent"])
        new_parent = _cell(row.get("parent"))
        old_parent = renames.get(old_parent, old_parent)
        if new_parent not in result.by_code:
            new_parent = renames.get(new_parent, new_parent)
        if new_parent != old_parent:
            result = move_indicator(result, renames.get(code, code), new_parent)

    return result


def weight_sums(version: LibraryVersion) -> pd.DataFrame:
    """Each parent's weight beside the sum of its children's, and the first level beside 100.

    Parameters
    ----------
    version
        The library version.

    Returns
    -------
    pandas.DataFrame
        Columns ``parent`` (``None`` for the first level), ``name``, ``expected``, ``total``,
        ``gap`` (``total - expected``) and ``ok``; one row per parent, first level first. Empty
        when no indicator carries a weight (a catalogue).

    Notes
    -----
    The rule is the one :func:`indicators.validate.validate_library` enforces: children's weights
    sum to their parent and the first level to 100, within ``WEIGHT_TOLERANCE``. A missing
    weight counts as zero here, so the sum shows what is there so far.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> lib = LibraryVersion("demo", "1.1.0", "示例", "target", (
    ...     Indicator("A", "产出", 1, weight=60), Indicator("A1", "数量", 2, parent="A", weight=50),
    ...     Indicator("B", "效益", 1, weight=40)))
    >>> weight_sums(lib)[["parent", "expected", "total", "ok"]].values.tolist()
    [[None, 100.0, 100.0, True], ['A', 60.0, 50.0, False]]
    """
    columns = ["parent", "name", "expected", "total", "gap", "ok"]
    tree = tree_frame(version)
    if tree.empty or tree["weight"].isna().all():
        return pd.DataFrame(columns=columns)
    weight = pd.to_numeric(tree["weight"], errors="coerce").astype(float)
    key = tree["parent"].fillna("")
    totals = weight.fillna(0.0).groupby(key, sort=False).sum()
    own = pd.Series(weight.to_numpy(), index=tree["code"])
    names = pd.Series(tree["name"].to_numpy(), index=tree["code"])
    parents = [code for code in tree["code"] if code in totals.index]
    expected = [100.0] + own.reindex(parents).tolist()
    frame = pd.DataFrame({
        "parent": pd.Series([None, *parents], dtype=object),
        "name": pd.Series([None, *names.reindex(parents).tolist()], dtype=object),
        "expected": expected,
        "total": [float(totals.get("", 0.0)), *totals.reindex(parents).tolist()],
    })
    frame["gap"] = frame["total"] - frame["expected"]
    frame["ok"] = frame["gap"].abs() <= WEIGHT_TOLERANCE
    return frame[columns]


def diff_styler(frame: pd.DataFrame, kinds: pd.Series) -> Styler:
    """Colour each row of a diff table by its kind of change.

    Parameters
    ----------
    frame
        The table to show (for instance :meth:`indicators.changes.LibraryDiff.to_frame` with
        translated labels), one row per change.
    kinds
        The untranslated ``change`` column (``added``, ``removed``, ``moved``, ``changed``,
        ``weight``, ``metadata``), aligned with ``frame``'s rows.

    Returns
    -------
    pandas.io.formats.style.Styler
        ``frame`` with a background per row from :data:`DIFF_COLOURS`.

    Notes
    -----
    Colours follow the usual review convention: green for what is new, red for what is gone,
    amber for what changed.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"code": ["A", "B"]})
    >>> styled = diff_styler(frame, pd.Series(["added", "removed"]))
    >>> "#d8f3dc" in styled.to_html()
    True
    """
    colours = pd.Series(kinds.to_numpy(), index=frame.index).map(DIFF_COLOURS).fillna("")
    css = np.where(colours.to_numpy() != "", "background-color: " + colours.to_numpy(dtype=str), "")
    table = pd.DataFrame(np.repeat(css[:, None], frame.shape[1], axis=1), index=frame.index,
                         columns=frame.columns)
    return frame.style.apply(lambda _: table, axis=None)
