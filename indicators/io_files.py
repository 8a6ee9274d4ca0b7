"""The files a bureau hands over, as grids of raw cells, and the files jixiao hands back.

An .xlsx sheet or a CSV file (UTF-8 with or without BOM, or GBK) becomes a :class:`Grid`: its
cells as typed, under the row numbers a spreadsheet shows, with merged ranges remembered. A file
that cannot be read at all (not a workbook, unknown encoding, broken quoting) is refused here
with an :class:`~indicators.errors.InputError` naming the file; what the cells *mean* is the
business of :mod:`indicators.io_sheets` and the readers built on it.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException

from indicators.errors import InputError

__all__ = [
    "Grid",
    "clean_cell",
    "decode_csv_bytes",
    "encode_csv",
    "read_csv_grid",
    "read_workbook_grids",
    "to_text",
    "write_workbook",
]

_ZERO_WIDTH = "\u200b\ufeff"


@dataclass(frozen=True)
class Grid:
    """The raw cells of one sheet or CSV file; ``rows[0]`` is the row a spreadsheet calls 1.

    ``merged`` maps the 1-based ``(row, column)`` of every cell hidden under a merged range to
    the value shown in the range's top-left cell.
    """

    file: str
    sheet: str | None
    rows: tuple[tuple[Any, ...], ...]
    merged: Mapping[tuple[int, int], Any] = field(default_factory=dict)


def clean_cell(value: Any) -> Any:
    """A cell without surrounding (full-width) spaces; an empty cell becomes ``None``.

    Parameters
    ----------
    value
        A cell as openpyxl or the CSV reader gives it.

    Returns
    -------
    Any
        The text stripped of spaces, full-width spaces and zero-width marks; ``None`` for an
        empty cell, blank text or NaN; any other value unchanged.

    Notes
    -----
    Bureau workbooks indent with the ideographic space U+3000 and carry stray zero-width
    characters pasted from web pages; ``str.strip`` removes the first but not the second.

    Examples
    --------
    >>> clean_cell("\\u3000产出指标 "), clean_cell("  "), clean_cell(12.5)
    ('产出指标', None, 12.5)
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().strip(_ZERO_WIDTH).strip()
        return text or None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def to_text(value: Any) -> str:
    """A cell as the text a person reads: ``10.0`` is ``"10"``, an empty cell ``""``.

    Parameters
    ----------
    value
        A cell: text, number, boolean, date or ``None``.

    Returns
    -------
    str
        Whole floats without ``.0``, other floats by ``repr`` (no rounding), booleans as
        是/否, a midnight datetime as its date, dates in ISO 8601.

    Notes
    -----
    Excel stores every number as a float, so a code typed as 10 comes back as ``10.0``; the
    text form must match what the person typed for codes and target values to compare.

    Examples
    --------
    >>> to_text(95.0), to_text(0.5), to_text(None), to_text("≥95")
    ('95', '0.5', '', '≥95')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- reading files

def read_workbook_grids(path: Path) -> dict[str, Grid]:
    """Every sheet of an .xlsx workbook as a :class:`Grid`, in workbook order.

    Parameters
    ----------
    path
        The workbook.

    Returns
    -------
    dict of str to Grid
        Sheet name to its cells (formulas as their last computed values).

    Notes
    -----
    An .xlsx file is a zip archive of XML parts; a file that is not a zip, or a zip without the
    workbook parts, is reported as "not an Excel workbook" rather than with the zip library's
    words. The legacy binary .xls format is refused with a hint to re-save.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     wb = openpyxl.Workbook(); wb.active.title = "指标"; wb.active.append(["一级指标"])
    ...     wb.save(f"{tmp}/a.xlsx")
    ...     read_workbook_grids(Path(f"{tmp}/a.xlsx"))["指标"].rows
    (('一级指标',),)
    """
    name = path.name
    if path.suffix.lower() == ".xls":
        raise InputError("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx",
                         "the legacy .xls format is not supported; save the file as .xlsx",
                         file=name)
    _require_file(path)
    try:
        with warnings.catch_warnings():
            # workbooks from other tools often lack a default style; that is harmless here
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, InvalidFileException, OSError, ValueError) as exc:
        raise InputError("不是 Excel 工作簿（.xlsx）：文件无法按 Excel 格式打开",
                         f"not an Excel workbook (.xlsx): the file cannot be opened as one ({exc})",
                         file=name) from exc
    grids: dict[str, Grid] = {}
    for sheet in workbook.worksheets:
        rows = tuple(tuple(row) for row in sheet.iter_rows(values_only=True))
        merged: dict[tuple[int, int], Any] = {}
        for span in sheet.merged_cells.ranges:
            anchor = sheet.cell(span.min_row, span.min_col).value
            for r in range(span.min_row, span.max_row + 1):
                for c in range(span.min_col, span.max_col + 1):
                    if (r, c) != (span.min_row, span.min_col):
                        merged[(r, c)] = anchor
        grids[sheet.title] = Grid(name, sheet.title, rows, merged)
    workbook.close()
    return grids


def decode_csv_bytes(data: bytes, *, file: str) -> str:
    """The text of a CSV file in UTF-8 (with or without BOM) or GBK/GB18030, whichever fits.

    Parameters
    ----------
    data
        The file's bytes.
    file
        Its name, for the error.

    Returns
    -------
    str
        The decoded text.

    Notes
    -----
    UTF-8 is tried first because a GBK file of Chinese text is almost never valid UTF-8, while
    most byte strings decode as *something* in GB18030; a file that fits neither is refused
    with the row of the first undecodable byte.

    Examples
    --------
    >>> decode_csv_bytes("一级指标,权重".encode("gbk"), file="a.csv")
    '一级指标,权重'
    """
    if data.startswith(b"PK\x03\x04"):
        raise InputError("这是 Excel 工作簿而不是 CSV 文件，请把扩展名改为 .xlsx",
                         "this is an Excel workbook, not a CSV file; rename it to .xlsx",
                         file=file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            row = data[: utf8_error.start].count(b"\n") + 1
            hint_zh, hint_en = "", ""
            if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                hint_zh, hint_en = "（看起来是 UTF-16）", " (it looks like UTF-16)"
            raise InputError(
                f"无法识别文件编码{hint_zh}，应为 UTF-8 或 GBK，请另存为“CSV UTF-8”",
                f"unknown text encoding{hint_en}; expected UTF-8 or GBK, save it as 'CSV UTF-8'",
                file=file, row=row) from utf8_error


def read_csv_grid(path: Path) -> Grid:
    """A CSV file as a :class:`Grid`; rows are records, as Excel numbers them when it opens one.

    Parameters
    ----------
    path
        The CSV file, comma- or tab-separated, in UTF-8 or GBK.

    Returns
    -------
    Grid
        Its cells, all text.

    Notes
    -----
    The separator is a tab when the first non-blank line holds more tabs than commas (text
    copied out of Excel), a comma otherwise. Quoting is read strictly, so an unbalanced quote
    is reported with its record number instead of swallowing the rest of the file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(f"{tmp}/a.csv").write_bytes("一级指标,权重\\n产出指标,50\\n".encode("gbk"))
    ...     read_csv_grid(Path(f"{tmp}/a.csv")).rows
    (('一级指标', '权重'), ('产出指标', '50'))
    """
    _require_file(path)
    text = decode_csv_bytes(path.read_bytes(), file=path.name)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[str, ...]] = []
    try:
        for record in reader:
            rows.append(tuple(record))
    except csv.Error as exc:
        raise InputError(f"CSV 格式错误（引号或分隔符不匹配）：{exc}",
                         f"malformed CSV (unbalanced quotes or separators): {exc}",
                         file=path.name, row=len(rows) + 1) from exc
    return Grid(path.name, None, tuple(rows))


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise InputError("文件不存在或不是普通文件", "file does not exist or is not a regular file",
                         file=path.name)


# --------------------------------------------------------------------------- writing files

def write_workbook(path: Path, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]],
                   *, title: str = "") -> None:
    """Write sheets of ``(name, headers, rows)`` to an .xlsx workbook.

    Parameters
    ----------
    path
        Where to write.
    sheets
        Each sheet's name, header row and data rows (text, numbers, ``None`` for empty).
    title
        The workbook's document title property.

    Returns
    -------
    None
        The workbook is written to ``path``.

    Notes
    -----
    Text is stored as text even when it starts with ``=`` (a 指标值 such as ``=0``), so Excel
    never reads a cell as a formula. Headers are bold and frozen.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_workbook(Path(f"{tmp}/a.xlsx"), [("指标", ["指标值"], [["=0"]])])
    ...     read_workbook_grids(Path(f"{tmp}/a.xlsx"))["指标"].rows
    (('指标值',), ('=0',))
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = title
    bold = Font(bold=True)
    for name, headers, rows in sheets:
        sheet = workbook.create_sheet(name)
        for col, header in enumerate(headers, start=1):
            cell = sheet.cell(1, col, header)
            cell.font = bold
            sheet.column_dimensions[get_column_letter(col)].width = max(10, 2.2 * len(header) + 2)
        sheet.freeze_panes = "A2"
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                try:
                    cell = sheet.cell(r, c, value)
                except IllegalCharacterError as exc:
                    raise InputError("含有 Excel 不允许的控制字符", "holds a control character "
                                     "Excel does not allow", file=path.name, sheet=name, row=r,
                                     column=headers[c - 1]) from exc
                if isinstance(value, str):
                    cell.data_type = "s"
    workbook.save(path)


def encode_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str, *,
               file: str) -> bytes:
    """CSV bytes (CRLF line ends, as Excel writes them) in ``encoding``.

    Parameters
    ----------
    headers, rows
        The header row and the data rows.
    encoding
        A Python codec name: ``"utf-8-sig"`` (UTF-8 with BOM, which Excel opens correctly),
        ``"utf-8"``, ``"gbk"``, ``"gb18030"``.
    file
        The file's name, for errors.

    Returns
    -------
    bytes
        The encoded file.

    Notes
    -----
    Excel on a Chinese Windows opens a CSV file as GBK unless it starts with a UTF-8 byte
    order mark, hence the ``"utf-8-sig"`` choice; a character GBK cannot hold is refused with
    its row and column rather than replaced.

    Examples
    --------
    >>> encode_csv(["一级指标"], [["产出"]], "gbk", file="a.csv") == "一级指标\\r\\n产出\\r\\n".encode("gbk")
    True
    """
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as exc:
        raise InputError(f"未知的编码 '{encoding}'", f"unknown encoding '{encoding}'",
                         file=file, field="encoding") from exc
    # the BOM goes once at the start; every row after it is plain UTF-8
    out = bytearray(codecs.BOM_UTF8 if codec == "utf-8-sig" else b"")
    body_codec = "utf-8" if codec == "utf-8-sig" else codec
    for number, row in enumerate([list(headers), *rows], start=1):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(["" if v is None else v for v in row])
        try:
            out += buffer.getvalue().encode(body_codec)
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start:exc.end]
            column = next((headers[i] for i, v in enumerate(row) if bad in to_text(v)), None)
            raise InputError(f"字符 '{bad}' 无法用 {encoding} 编码，请改用 UTF-8",
                             f"character '{bad}' cannot be encoded as {encoding}; use UTF-8",
                             file=file, row=number, column=column) from exc
    return bytes(out)
