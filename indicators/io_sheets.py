"""Tables located in a bureau's sheets, and cells turned into values with their place named.

:func:`locate_table` finds the header row of a :class:`~indicators.io_files.Grid`, maps the
headers a person typed onto the expected ones and keeps every data row under the row number a
spreadsheet shows. The column converters turn cells into values and log every bad cell, with
its file, sheet, row and column, into an :class:`IssueLog`, so a reader can report all problems
at once and return nothing until the file is clean.

Shared by :mod:`indicators.io` (indicator libraries) and :mod:`indicators.io_targets` (project
target tables).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from indicators.errors import ErrorLocation, InputError, ValidationError, ValidationIssue
from indicators.io_files import Grid, clean_cell, to_text

__all__ = [
    "MAX_ISSUES",
    "Column",
    "IssueLog",
    "Table",
    "bool_column",
    "canonical_header",
    "locate_table",
    "number_column",
    "parse_choice",
    "parse_column",
    "text_column",
]

_Choice = TypeVar("_Choice", bound=StrEnum)

MAX_ISSUES = 200
"""How many problems one import reports before it stops looking; enough to fix a file in one pass."""

_HEADER_SCAN_ROWS = 10
_TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "对"})
_FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "×", "✗", "x"})


class IssueLog:
    """Every problem found in one file, up to :data:`MAX_ISSUES`.

    Parameters
    ----------
    file
        The file's name, put into every issue's location.
    cap
        How many issues to keep; one more issue says that the search stopped.

    Examples
    --------
    >>> log = IssueLog("lib.xlsx")
    >>> log.add("not_a_number", "不是数字", "not a number", sheet="指标", row=3, column="权重")
    >>> len(log), log.issues[0].location.row
    (1, 3)
    """

    def __init__(self, file: str, *, cap: int = MAX_ISSUES) -> None:
        self.file = file
        self.cap = cap
        self._issues: list[ValidationIssue] = []
        self._truncated = False

    def add(self, code: str, zh: str, en: str, *, sheet: str | None = None, row: int | None = None,
            column: str | None = None, field: str | None = None) -> None:
        """Record one problem and where it is."""
        if len(self._issues) >= self.cap:
            self._truncated = True
            return
        location = ErrorLocation(file=self.file, sheet=sheet, row=row, column=column, field=field)
        self._issues.append(ValidationIssue(code, zh, en, location))

    def extend(self, issues: Sequence[ValidationIssue]) -> None:
        """Record issues found by another checker, as they are."""
        for issue in issues:
            if len(self._issues) >= self.cap:
                self._truncated = True
                return
            self._issues.append(issue)

    @property
    def issues(self) -> list[ValidationIssue]:
        """The issues sheet by sheet (in order of first mention), row by row within a sheet."""
        sheets: dict[str | None, int] = {}
        for issue in self._issues:
            sheets.setdefault(issue.location.sheet, len(sheets))
        found = sorted(self._issues, key=lambda i: (sheets[i.location.sheet], i.location.row or 0))
        if self._truncated:
            found.append(ValidationIssue(
                "too_many_issues", f"问题过多，只列出前 {self.cap} 个",
                f"too many problems; only the first {self.cap} are listed",
                ErrorLocation(file=self.file)))
        return found

    def __len__(self) -> int:
        return len(self._issues)

    def raise_if_any(self) -> None:
        """Raise one :class:`ValidationError` listing every problem, if there is any."""
        if self._issues:
            raise ValidationError(self.issues, file=self.file)


@dataclass(frozen=True)
class Column:
    """One expected column: its header, whether it must be present, the other names it goes by.

    ``fill_merged`` says that a merged cell in this column stands for every row it spans (as in
    a bureau's 一级指标 column merged down over its indicators).
    """

    header: str
    required: bool = True
    aliases: tuple[str, ...] = ()
    fill_merged: bool = False


@dataclass(frozen=True)
class Table:
    """A located table: cleaned cells under the expected headers, indexed by spreadsheet row.

    ``frame`` has one column per expected header (a missing optional column is all ``None``)
    and keeps only rows that hold something.
    """

    file: str
    sheet: str | None
    header_row: int
    frame: pd.DataFrame

    def report(self, log: IssueLog, code: str, zh: str, en: str, *, row: int | None = None,
               column: str | None = None) -> None:
        """Log a problem found in this table."""
        log.add(code, zh, en, sheet=self.sheet, row=row, column=column)


def canonical_header(text: Any) -> str:
    """A header as compared: NFKC (full-width to half-width), no whitespace, lower case.

    Parameters
    ----------
    text
        A header cell (or a sheet name); any value is read as text.

    Returns
    -------
    str
        The comparison key.

    Notes
    -----
    Unicode normalisation form NFKC (Unicode Standard Annex #15) maps full-width letters,
    digits and brackets to their ASCII forms, so ``权重（分）`` typed with an input method
    matches ``权重(分)``.

    Examples
    --------
    >>> canonical_header("　权 重（分） ")
    '权重(分)'
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


# --------------------------------------------------------------------------- locating tables

def _header_lookup(columns: Sequence[Column]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            key = canonical_header(name)
            lookup.setdefault(key, column.header)
            # "项目金额(元)" may be typed as plain "项目金额"
            lookup.setdefault(re.sub(r"\(.*\)$", "", key), column.header)
    return lookup


def _match_header(cell: Any, lookup: Mapping[str, str]) -> str | None:
    if clean_cell(cell) is None:
        return None
    key = canonical_header(cell)
    if key in lookup:
        return lookup[key]
    # a unit suffix such as 权重（分） or 权重(%) still names the 权重 column
    return lookup.get(re.sub(r"\(.*\)$", "", key))


def locate_table(grid: Grid, columns: Sequence[Column], log: IssueLog, *,
                 allow_empty: bool = False) -> Table | None:
    """Find the header row of ``grid`` and read the rows below it under the expected headers.

    Parameters
    ----------
    grid
        The sheet or CSV file.
    columns
        The expected columns.
    log
        Where missing, renamed and duplicated columns and an empty sheet are reported.
    allow_empty
        Whether a table with a header and no data rows is acceptable.

    Returns
    -------
    Table or None
        The table, or ``None`` when a problem was logged that leaves no table to read.

    Notes
    -----
    The header is the row, among the first ten, that names the most expected columns, so a
    title row above it is skipped. Headers are compared after :func:`canonical_header`; a
    missing column is reported with the columns found and the closest found header
    (``difflib`` ratio ≥ 0.5) as the likely rename. An unexpected header very close (ratio ≥
    0.75) to a missing optional column is reported too, so a misspelt optional column is not
    silently ignored.

    Examples
    --------
    >>> grid = Grid("a.csv", None, (("指标库",), ("一级指标", "权重"), ("产出", "50")))
    >>> table = locate_table(grid, [Column("一级指标"), Column("权重")], IssueLog("a.csv"))
    >>> table.header_row, table.frame.loc[3, "权重"]
    (2, '50')
    """
    lookup = _header_lookup(columns)
    sheet = grid.sheet
    nonempty = [i for i, row in enumerate(grid.rows) if any(clean_cell(c) is not None for c in row)]
    if not nonempty:
        log.add("empty_sheet", "工作表为空，没有任何内容", "the sheet is empty: it holds no cells",
                sheet=sheet)
        return None
    best, best_score = nonempty[0], 0
    for i in nonempty[:_HEADER_SCAN_ROWS]:
        score = len({h for h in (_match_header(c, lookup) for c in grid.rows[i]) if h})
        if score > best_score:
            best, best_score = i, score
    header_row = best + 1
    cells = grid.rows[best]
    found = [to_text(clean_cell(c)) for c in cells if clean_cell(c) is not None]
    positions: dict[str, int] = {}
    unknown: list[str] = []
    before = len(log)
    for index, cell in enumerate(cells):
        header = _match_header(cell, lookup)
        if header is None:
            if clean_cell(cell) is not None:
                unknown.append(to_text(clean_cell(cell)))
            continue
        if header in positions:
            log.add("duplicate_column", f"列 '{header}' 出现了两次（第 {positions[header] + 1} 列和第 "
                    f"{index + 1} 列），只能保留一列", f"column '{header}' appears twice (columns "
                    f"{positions[header] + 1} and {index + 1}); keep only one",
                    sheet=sheet, row=header_row, column=header)
            continue
        positions[header] = index
    for column in columns:
        if column.header in positions:
            continue
        guess = difflib.get_close_matches(column.header, unknown, n=1,
                                          cutoff=0.5 if column.required else 0.75)
        if not column.required and not guess:
            continue
        hint_zh = f"列 '{guess[0]}' 是否应为 '{column.header}'？" if guess else ""
        hint_en = f" Did you mean '{column.header}' for column '{guess[0]}'?" if guess else ""
        kind_zh, kind_en = ("必需的", "required") if column.required else ("可选的", "optional")
        log.add("missing_column",
                f"缺少{kind_zh}列 '{column.header}'。找到的列：{'、'.join(found)}。{hint_zh}",
                f"{kind_en} column '{column.header}' is missing. Columns found: "
                f"{', '.join(found)}.{hint_en}",
                sheet=sheet, row=header_row, column=column.header)
    if len(log) > before:
        return None
    fill = {positions[c.header] for c in columns if c.fill_merged and c.header in positions}
    data: dict[int, list[Any]] = {}
    for offset, row in enumerate(grid.rows[best + 1:]):
        number = header_row + 1 + offset
        values = []
        for column in columns:
            index = positions.get(column.header)
            value = row[index] if index is not None and index < len(row) else None
            if index in fill and value is None:
                value = grid.merged.get((number, index + 1))
            values.append(clean_cell(value))
        if any(v is not None for v in values):
            data[number] = values
    frame = pd.DataFrame.from_dict(data, orient="index", columns=[c.header for c in columns],
                                   dtype=object)
    if frame.empty and not allow_empty:
        log.add("empty_sheet", "只有表头，没有数据行", "the sheet has a header row but no data rows",
                sheet=sheet, row=header_row)
        return None
    return Table(grid.file, sheet, header_row, frame)


# --------------------------------------------------------------------------- converting columns

def text_column(table: Table, header: str, log: IssueLog | None = None, *,
                required: bool = False, what: tuple[str, str] = ("内容", "a value")) -> pd.Series:
    """A column as text (``""`` where empty); with ``required``, empty cells are logged.

    Parameters
    ----------
    table, header
        The table and the column to read.
    log
        Where empty cells go when ``required``; may be ``None`` otherwise.
    required
        Whether an empty cell is a problem.
    what
        What the cell should hold, in Chinese and English, for the message.

    Returns
    -------
    pandas.Series
        Text per row (:func:`indicators.io_files.to_text`), indexed like the table.

    Notes
    -----
    Numbers become the text a person typed (``3.0`` is ``"3"``), so codes typed as numbers
    match codes typed as text.

    Examples
    --------
    >>> frame = pd.DataFrame({"单位": ["%", None, 3.0]}, index=[2, 3, 4], dtype=object)
    >>> text_column(Table("a.csv", None, 1, frame), "单位").tolist()
    ['%', '', '3']
    """
    texts = table.frame[header].map(to_text).astype(object)
    if required and log is not None:
        for row in texts.index[texts == ""]:
            table.report(log, "empty_cell", f"不能为空，应填写{what[0]}",
                         f"is empty; expected {what[1]}", row=int(row), column=header)
    return texts


def _numeric_text(value: Any, suffixes: Sequence[str]) -> Any:
    if isinstance(value, bool):
        return "not a number"
    if isinstance(value, int | float | np.number):
        return value
    text = unicodedata.normalize("NFKC", to_text(value)).strip().replace(",", "")
    for suffix in suffixes:
        text = text.removesuffix(suffix).strip()
    return text


def number_column(table: Table, header: str, log: IssueLog, *, integer: bool = False,
                  required: bool = False, minimum: float | None = None,
                  suffixes: Sequence[str] = ()) -> pd.Series:
    """A column as numbers (``None`` where empty or wrong); every bad cell is logged.

    Parameters
    ----------
    table, header
        The table and the column to convert.
    log
        Where bad cells go.
    integer
        Whether the numbers must be whole (years, counts).
    required
        Whether an empty cell is a problem.
    minimum
        The smallest acceptable value, if any.
    suffixes
        Unit words a person may type after the number (e.g. ``"年"``, ``"元"``, ``"分"``).

    Returns
    -------
    pandas.Series
        Python ``float`` (or ``int`` with ``integer``) or ``None``, indexed like the table.

    Notes
    -----
    Full-width digits are folded by NFKC and thousands separators dropped, so "１,０００" is
    1000; ``pandas.to_numeric`` does the conversion for the whole column at once.

    Examples
    --------
    >>> frame = pd.DataFrame({"权重": [10, "12.5", "abc", None]}, index=[2, 3, 4, 5], dtype=object)
    >>> log = IssueLog("a.csv")
    >>> number_column(Table("a.csv", None, 1, frame), "权重", log).tolist()
    [10.0, 12.5, None, None]
    >>> log.issues[0].location.row, log.issues[0].en
    (4, "not a number: 'abc'; expected a number such as 10 or 12.5")
    """
    raw = table.frame[header]
    present = raw.notna()
    values = pd.to_numeric(raw[present].map(lambda v: _numeric_text(v, suffixes)),
                           errors="coerce").astype(float)
    finite = np.isfinite(values)
    ok = finite.copy()
    for row in values.index[~finite]:
        table.report(log, "not_a_number", f"不是数字：'{to_text(raw[row])}'，应为数字（如 10 或 12.5）",
                     f"not a number: '{to_text(raw[row])}'; expected a number such as 10 or 12.5",
                     row=int(row), column=header)
    if integer:
        fractional = finite & (values != np.round(values))
        for row in values.index[fractional]:
            table.report(log, "not_an_integer", f"不是整数：'{to_text(raw[row])}'，应为整数（如 2021）",
                         f"not a whole number: '{to_text(raw[row])}'; expected an integer such as 2021",
                         row=int(row), column=header)
        ok &= ~fractional
    if minimum is not None:
        low = finite & (values < minimum)
        for row in values.index[low]:
            table.report(log, "below_minimum", f"不能小于 {minimum:g}：'{to_text(raw[row])}'",
                         f"must not be below {minimum:g}: '{to_text(raw[row])}'",
                         row=int(row), column=header)
        ok &= ~low
    if required:
        for row in raw.index[~present]:
            table.report(log, "empty_cell", "不能为空，应填写数字", "is empty; expected a number",
                         row=int(row), column=header)
    cast: Callable[[float], Any] = int if integer else float
    out = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    good = values[ok]
    out[good.index] = [cast(v) for v in good]
    return out


def bool_column(table: Table, header: str, log: IssueLog) -> pd.Series:
    """A yes/no column (是/否, Y/N, true/false, 1/0, √/×); empty is ``False``.

    Parameters
    ----------
    table, header
        The table and the column to read.
    log
        Where cells that are neither yes nor no go.

    Returns
    -------
    pandas.Series
        ``True``/``False`` per row, ``None`` where the cell was refused.

    Notes
    -----
    Words are compared after NFKC folding and lower-casing, so a full-width ``Ｙ`` is yes.

    Examples
    --------
    >>> frame = pd.DataFrame({"是否新增": ["是", None, "否", "maybe"]}, index=[2, 3, 4, 5],
    ...                      dtype=object)
    >>> bool_column(Table("a.csv", None, 1, frame), "是否新增", IssueLog("a.csv")).tolist()
    [True, False, False, None]
    """
    def parse(text: str) -> bool:
        key = unicodedata.normalize("NFKC", text).strip().lower()
        if key in _TRUE_WORDS:
            return True
        if key in _FALSE_WORDS:
            return False
        raise InputError(f"不是“是/否”：'{text}'，应为 是 或 否",
                         f"not a yes/no value: '{text}'; expected 是 or 否 (yes or no)")

    values = parse_column(table, header, log, parse)
    return values.where(table.frame[header].notna(), False)


def parse_choice(text: str, choices: type[_Choice], what: tuple[str, str], *,
                 spellings: Callable[[str], Iterable[str]] = lambda key: (key,)) -> _Choice:
    """The member of a fixed list of values (分类, 预算类型, …) that a cell names.

    Parameters
    ----------
    text
        The cell's text.
    choices
        The enumeration whose values are the accepted texts.
    what
        What the column holds, in Chinese and English, for the message (``("分类", "category")``).
    spellings
        The other ways a person writes a value, given the cell's folded text: for example
        ``lambda key: (key, key + "预算")`` accepts "一般公共" for "一般公共预算".

    Returns
    -------
    StrEnum
        The member named.

    Raises
    ------
    InputError
        No spelling names a member; the message lists the accepted values.

    Notes
    -----
    The text is folded by NFKC first, so full-width letters and spaces typed with a Chinese
    input method match.

    Examples
    --------
    >>> from indicators.model import BudgetType
    >>> parse_choice("一般公共", BudgetType, ("预算类型", "budget type"),
    ...              spellings=lambda key: (key, key + "预算")).value
    '一般公共预算'
    """
    members = {member.value: member for member in choices}
    key = unicodedata.normalize("NFKC", text).strip()
    for candidate in spellings(key):
        if candidate in members:
            return members[candidate]
    raise InputError(f"未知的{what[0]} '{text}'，应为 {'、'.join(members)} 之一",
                     f"unknown {what[1]} '{text}'; expected one of {', '.join(members)}")


def parse_column(table: Table, header: str, log: IssueLog, parse: Callable[[str], Any], *,
                 required: tuple[str, str] | None = None) -> pd.Series:
    """Apply ``parse`` to each distinct non-empty text of a column; log the cells it refuses.

    Parameters
    ----------
    table, header
        The table and the column to read.
    log
        Where refused and (with ``required``) empty cells go.
    parse
        Turns one text into a value, or raises :class:`InputError` with the bilingual reason.
    required
        What an empty cell should hold, in Chinese and English; ``None`` lets cells be empty.

    Returns
    -------
    pandas.Series
        The parsed value per row; ``None`` for empty and refused cells.

    Notes
    -----
    ``parse`` runs once per distinct text, not once per row (a column of a thousand rows holds
    a handful of directions or units); the reason of a refusal is logged at every row holding
    that text.

    Examples
    --------
    >>> frame = pd.DataFrame({"方向": ["≥", "向上"]}, index=[2, 3], dtype=object)
    >>> log = IssueLog("a.csv")
    >>> def parse(text):
    ...     if text != "≥":
    ...         raise InputError(f"未知 '{text}'", f"unknown '{text}'")
    ...     return text
    >>> parse_column(Table("a.csv", None, 1, frame), "方向", log, parse).tolist(), len(log)
    (['≥', None], 1)
    """
    raw = table.frame[header]
    texts = raw[raw.notna()].map(to_text)
    parsed: dict[str, Any] = {}
    refused: dict[str, InputError] = {}
    for text in texts.unique():
        try:
            parsed[text] = parse(text)
        except InputError as exc:
            refused[text] = exc
    for row, text in texts[texts.isin(list(refused))].items():
        table.report(log, "bad_value", refused[text].zh, refused[text].en, row=int(row),
                     column=header)
    if required is not None:
        for row in raw.index[raw.isna()]:
            table.report(log, "empty_cell", f"不能为空，应填写{required[0]}",
                         f"is empty; expected {required[1]}", row=int(row), column=header)
    out = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    good = texts[texts.isin(list(parsed))]
    out[good.index] = [parsed[t] for t in good]
    return out
