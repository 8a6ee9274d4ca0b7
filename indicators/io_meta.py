"""The "版本信息" sheet: a library version's identity and history inside its workbook.

An exported workbook carries, beside its indicators, one row per field of
:class:`~indicators.model.LibraryVersion` (framework_id, version, title, kind, status, region,
effective_year, …): the field in column A as ``中文名（field）``, its value in column B. Each
source document has a row of its own, and each changelog entry a row with version, text, author
and date in columns B–E. Either the Chinese name or the field name alone is accepted in column A.
A CSV file cannot carry this sheet, so its reader takes the same fields as keyword arguments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from indicators.errors import InputError
from indicators.io_files import Grid, to_text
from indicators.io_sheets import IssueLog, canonical_header, parse_choice
from indicators.model import ChangelogEntry, FrameworkKind, LibraryVersion, Status, parse_version

__all__ = [
    "META_HEADERS",
    "META_SHEET",
    "REQUIRED_META",
    "is_meta_sheet",
    "merge_meta",
    "meta_rows",
    "meta_value",
    "read_meta_sheet",
]

META_SHEET = "版本信息"
"""The sheet holding framework_id, version, title, kind and the rest of a version's identity."""

META_HEADERS = ("字段", "值", "修订说明", "修订人", "日期")
"""The sheet's header row; columns C–E are used by changelog rows only."""

REQUIRED_META = ("framework_id", "version", "title", "kind")
"""The fields a library cannot be read without."""

_META_FIELDS: tuple[tuple[str, str], ...] = (
    ("framework_id", "框架编号"), ("version", "版本号"), ("title", "名称"), ("kind", "类型"),
    ("status", "状态"), ("region", "地区"), ("effective_year", "生效年度"),
    ("based_on", "基于版本"), ("published_by", "发布人"), ("published_at", "发布时间"),
    ("description", "说明"), ("source_documents", "来源文件"), ("changelog", "修订记录"),
)
_META_LABELS = {name: label for name, label in _META_FIELDS}
_META_KEYS = {**{name: name for name, _ in _META_FIELDS},
              **{label: name for name, label in _META_FIELDS}}
_META_SHEET_NAMES = {"版本信息", "说明", "about", "说明about", "说明-about", "说明_about", "metadata"}
_OPTIONAL_TEXT_META = ("based_on", "published_by")


def _meta_key(cell: Any) -> str | None:
    key = canonical_header(cell)
    match = re.fullmatch(r"(.*?)\((.*)\)", key)
    for candidate in (key, *(match.groups() if match else ())):
        if candidate in _META_KEYS:
            return _META_KEYS[candidate]
    return None


def is_meta_sheet(name: str) -> bool:
    """Whether a sheet of this name holds a version's metadata ("版本信息", "说明", "About").

    Parameters
    ----------
    name
        A sheet's name as the workbook spells it.

    Returns
    -------
    bool
        True for the names jixiao writes and the ones bureaus commonly use for the same sheet.

    Notes
    -----
    The name is compared after :func:`indicators.io_sheets.canonical_header`, so spacing,
    full-width characters and letter case do not matter.

    Examples
    --------
    >>> is_meta_sheet("版本信息"), is_meta_sheet(" About "), is_meta_sheet("指标")
    (True, True, False)
    """
    return canonical_header(name) in _META_SHEET_NAMES


def read_meta_sheet(grid: Grid, log: IssueLog) -> dict[str, Any]:
    """The fields written on a metadata sheet, as the types LibraryVersion takes.

    Parameters
    ----------
    grid
        The sheet.
    log
        Where unknown, repeated and malformed items are reported, with their row.

    Returns
    -------
    dict
        Field name to value, for the fields the sheet names; ``source_documents`` and
        ``changelog`` are always present (possibly empty).

    Notes
    -----
    Rows whose first cell is empty, and the header row (``字段``), are skipped. A field given
    twice is reported with the row of its first appearance rather than silently overwritten.

    Examples
    --------
    >>> grid = Grid("lib.xlsx", "版本信息", (("字段", "值"), ("版本号（version）", "1.0.0"),
    ...                                     ("类型", "target"), ("来源文件", "财预〔2020〕10号")))
    >>> fields = read_meta_sheet(grid, IssueLog("lib.xlsx"))
    >>> fields["version"], fields["kind"].value, fields["source_documents"]
    ('1.0.0', 'target', ('财预〔2020〕10号',))
    """
    fields: dict[str, Any] = {}
    at: dict[str, int] = {}
    documents: list[str] = []
    changelog: list[ChangelogEntry] = []
    for number, cells in enumerate(grid.rows, start=1):
        values = [to_text(c).strip() for c in cells]
        if not values or not values[0] or canonical_header(values[0]) in ("字段", "field"):
            continue
        name = _meta_key(values[0])
        values += [""] * 5
        if name is None:
            log.add("unknown_metadata", f"未知的版本信息项 '{values[0]}'，应为 "
                    f"{'、'.join(_META_LABELS.values())} 之一", f"unknown metadata item "
                    f"'{values[0]}'; expected one of {', '.join(_META_LABELS)}",
                    sheet=grid.sheet, row=number, column="字段")
        elif name == "source_documents":
            if values[1]:
                documents.append(values[1])
        elif name == "changelog":
            changelog.append(ChangelogEntry(*values[1:5]))
        elif name in at:
            log.add("duplicate_metadata", f"'{values[0]}' 与第 {at[name]} 行重复",
                    f"'{values[0]}' repeats row {at[name]}", sheet=grid.sheet, row=number,
                    column="字段")
        else:
            at[name] = number
            try:
                fields[name] = meta_value(name, cells[1] if len(cells) > 1 else None)
            except InputError as exc:
                log.add("bad_metadata", exc.zh, exc.en, sheet=grid.sheet, row=number, column="值")
    return {**fields, "source_documents": tuple(documents), "changelog": tuple(changelog)}


def meta_value(name: str, value: Any) -> Any:
    """A metadata value (a cell or a keyword argument) in the type LibraryVersion takes.

    Parameters
    ----------
    name
        The LibraryVersion field.
    value
        A cell's value or a value passed by code; values already of a non-text type
        (enums, tuples, datetimes) are taken as they are.

    Returns
    -------
    Any
        The value: an enum for ``kind`` and ``status``, an ``int`` year, a ``datetime``,
        ``None`` for an empty optional field.

    Raises
    ------
    InputError
        A value the field cannot take, with what was expected.

    Notes
    -----
    The same conversion serves a sheet's cells and the keyword arguments a CSV import takes,
    so a value means the same whichever way it arrives. An empty ``region`` means national.

    Examples
    --------
    >>> meta_value("kind", "target"), meta_value("effective_year", "2021年")
    (<FrameworkKind.TARGET: 'target'>, 2021)
    """
    if name == "changelog" and not isinstance(value, str):
        return tuple(ChangelogEntry(**e) if isinstance(e, Mapping) else e for e in value or ())
    if name == "source_documents" and not isinstance(value, str):
        return tuple(value or ())
    if not isinstance(value, str | int | float | datetime) and value is not None:
        return value  # values passed in by code in their own types are taken as they are
    text = to_text(value).strip()
    if name == "kind" and not text:
        return None
    if name == "status" and not text:
        return Status.DRAFT
    if name == "kind":
        return parse_choice(text, FrameworkKind, ("指标库类型", "library kind"))
    if name == "status":
        return parse_choice(text, Status, ("状态", "status"))
    if name == "version" and text:
        parse_version(text)
    if name == "effective_year" and text:
        if not re.fullmatch(r"\d{4}年?", text):
            raise InputError(f"生效年度 '{text}' 不是四位年份", f"effective year '{text}' is not "
                             "a four-digit year")
        return int(text.removesuffix("年"))
    if name == "published_at" and text:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(text)
        except ValueError as exc:
            raise InputError(f"发布时间 '{text}' 不是 ISO 格式（如 2021-03-01T09:00:00）",
                             f"published_at '{text}' is not ISO format "
                             "(e.g. 2021-03-01T09:00:00)") from exc
    if name in (*_OPTIONAL_TEXT_META, "effective_year", "published_at"):
        return text or None
    if name == "region":
        return text or "national"
    return text


def merge_meta(sheet_fields: Mapping[str, Any], overrides: Mapping[str, Any], log: IssueLog, *,
               sheet: str | None) -> dict[str, Any]:
    """The LibraryVersion fields from a metadata sheet, overridden by keyword arguments.

    Parameters
    ----------
    sheet_fields
        What :func:`read_meta_sheet` found (empty for a CSV file).
    overrides
        Fields passed by the caller; they win over the sheet.
    log
        Where malformed overrides and missing required fields are reported.
    sheet
        The metadata sheet's name, or ``None`` when the file has none (CSV).

    Returns
    -------
    dict
        Keyword arguments for LibraryVersion (without ``indicators``).

    Notes
    -----
    A missing required field (:data:`REQUIRED_META`) is reported with where to give it: on the
    metadata sheet, or, for a file that cannot carry one, as an argument of the import.

    Examples
    --------
    >>> log = IssueLog("lib.csv")
    >>> fields = merge_meta({}, {"framework_id": "demo", "version": "1.0.0"}, log, sheet=None)
    >>> sorted(i.location.field for i in log.issues)
    ['kind', 'title']
    """
    fields = dict(sheet_fields)
    for name, value in overrides.items():
        try:
            fields[name] = meta_value(name, value)
        except InputError as exc:
            log.add("bad_metadata", exc.zh, exc.en, field=name)
    for name in REQUIRED_META:
        if fields.get(name) in (None, ""):
            where_zh = (f"请在“{sheet}”工作表中填写，或在导入时指定" if sheet
                        else f"文件中没有“{META_SHEET}”工作表（CSV 文件无法包含），请在导入时指定")
            where_en = (f"fill it in sheet '{sheet}' or pass it as a keyword argument" if sheet
                        else f"the file has no '{META_SHEET}' sheet (a CSV file cannot carry "
                        "one): pass it as a keyword argument")
            log.add("missing_metadata", f"缺少指标库信息 '{name}'（{_META_LABELS[name]}）：{where_zh}",
                    f"missing library field '{name}': {where_en}", sheet=sheet, field=name)
    return {k: v for k, v in fields.items() if v is not None or k in _OPTIONAL_TEXT_META}


def meta_rows(version: LibraryVersion) -> list[list[Any]]:
    """The metadata sheet's rows (below :data:`META_HEADERS`) for a version.

    Parameters
    ----------
    version
        The library version to describe.

    Returns
    -------
    list of list
        One row per field as ``[中文名（field）, value]``, one per source document, and one per
        changelog entry as ``[key, version, text, author, date]``.

    Notes
    -----
    The rows are what :func:`read_meta_sheet` reads back, so an exported workbook imports to
    the same version.

    Examples
    --------
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue")
    >>> meta_rows(lib)[:2]
    [['框架编号（framework_id）', 'demo'], ['版本号（version）', '1.0.0']]
    """
    values = {**version.to_dict(), "effective_year": version.effective_year}
    rows: list[list[Any]] = []
    for name, label in _META_FIELDS:
        key = f"{label}（{name}）"
        if name == "source_documents":
            rows += [[key, doc] for doc in version.source_documents]
        elif name == "changelog":
            rows += [[key, e.version, e.text, e.author, e.date] for e in version.changelog]
        else:
            rows.append([key, values[name]])
    return rows
