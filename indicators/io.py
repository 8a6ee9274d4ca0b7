"""Import and export of indicator libraries (Excel, CSV, YAML) and project target tables.

The Excel layout is the one a bureau already uses: one row per 三级指标 under the columns
一级指标, 二级指标, 三级指标, 指标方向, 指标值, 计量单位, 权重, 指标解释, 取值依据, 数据来源, with the
optional columns of :data:`LIBRARY_COLUMNS` after them. A first- or second-level indicator is
either implied by the names (its weight is then the sum of its children's) or written as its
own row with the deeper name columns empty (its weight is then the one written). A sheet
"版本信息" carries the version's identity and history, so exporting and importing gives back an
equal :class:`~indicators.model.LibraryVersion`. CSV has the same columns and no metadata
sheet; YAML is :meth:`LibraryVersion.to_dict` as it is.

Reading is all-or-nothing: every problem in a file (missing columns, bad cells, duplicate codes,
weights that do not add up) is collected, each with its file, sheet, row and column, and raised
together as one :class:`~indicators.errors.ValidationError`; a value is returned only when the
whole file is valid. Target tables live in :mod:`indicators.io_targets` and are re-exported here.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from indicators.errors import InputError, ValidationIssue
from indicators.io_files import (
    Grid,
    encode_csv,
    read_csv_grid,
    read_workbook_grids,
    to_text,
    write_workbook,
)
from indicators.io_meta import (
    META_HEADERS,
    META_SHEET,
    is_meta_sheet,
    merge_meta,
    meta_rows,
    read_meta_sheet,
)
from indicators.io_sheets import (
    Column,
    IssueLog,
    Table,
    canonical_header,
    locate_table,
    number_column,
    parse_choice,
    parse_column,
    text_column,
)
from indicators.io_targets import read_target_tables, write_target_tables
from indicators.model import (
    Category,
    Direction,
    FrameworkKind,
    Indicator,
    LibraryVersion,
    ValueBasis,
)
from indicators.validate import check_library, validate_records

__all__ = [
    "INDICATOR_SHEET",
    "LIBRARY_COLUMNS",
    "META_SHEET",
    "read_library",
    "read_target_tables",
    "write_library",
    "write_target_tables",
]

INDICATOR_SHEET = "指标"
"""The sheet an exported library's indicators are written to."""

_NAME_COLUMNS = ("一级指标", "二级指标", "三级指标")

LIBRARY_COLUMNS: tuple[Column, ...] = (
    Column("一级指标", fill_merged=True),
    Column("二级指标", fill_merged=True),
    Column("三级指标"),
    Column("指标方向", aliases=("方向",)),
    Column("指标值", aliases=("参考值",)),
    Column("计量单位", aliases=("单位",)),
    Column("权重", aliases=("分值",)),
    Column("指标解释", aliases=("指标说明",)),
    Column("取值依据"),
    Column("数据来源"),
    Column("指标编码", required=False, aliases=("指标编号", "编码")),
    Column("评分规则", required=False),
    Column("规则参数", required=False),
    Column("分类", required=False, aliases=("指标类别",)),
    Column("检查要点", required=False, aliases=("评价要点",)),
    Column("来源文件", required=False),
    Column("所属行业", required=False, aliases=("行业",)),
    Column("有效起始年度", required=False),
    Column("有效截止年度", required=False),
)
"""The library sheet's columns in export order: the ten a bureau uses, then the optional ones."""

# Indicator field → column header, for the fields a row carries as text
_TEXT_FIELDS = {"reference_value": "指标值", "unit": "计量单位", "explanation": "指标解释",
                "data_source": "数据来源", "rule": "评分规则", "checkpoints": "检查要点",
                "source_document": "来源文件", "sector": "所属行业"}
_FIELD_COLUMNS = {**_TEXT_FIELDS, "code": "指标编码", "direction": "指标方向", "weight": "权重",
                  "value_basis": "取值依据", "rule_params": "规则参数", "category": "分类",
                  "valid_from": "有效起始年度", "valid_to": "有效截止年度"}

_VERSION_FIELDS = set(LibraryVersion.__dataclass_fields__) - {"indicators"}


def read_library(path: str | os.PathLike[str], *, sheet: str | None = None,
                 **meta: Any) -> LibraryVersion:
    """Read an indicator library from an .xlsx, .csv or .yaml file, checked as a whole.

    Parameters
    ----------
    path
        The file; its suffix decides the format (.xlsx/.xlsm, .csv/.txt, .yaml/.yml).
    sheet
        Excel only: the sheet holding the indicators (default "指标", else the first sheet that
        is not the metadata sheet).
    **meta
        Fields of :class:`~indicators.model.LibraryVersion` (``framework_id``, ``version``,
        ``title``, ``kind``, ``region``, …). A CSV file carries no metadata, so at least the
        first four are required for it; for Excel and YAML they override the file's values.

    Returns
    -------
    LibraryVersion
        The version, returned only when every row is valid and it passes
        :func:`indicators.validate.check_library`.

    Raises
    ------
    InputError
        A file that cannot be read at all (not an Excel workbook, unknown encoding, bad YAML).
    ValidationError
        Every problem found in the rows, columns and metadata, each with file, sheet, row and
        column, in Chinese and English.

    Notes
    -----
    Cells are stripped of surrounding (full-width) spaces; headers are matched after NFKC
    folding with spaces removed, and may sit below a title row. Indicators without a 指标编码
    get stable codes from their position: ``L1-01`` for the first first-level indicator,
    ``L1-01-02`` for its second child, and so on. The tree rules checked (three levels,
    children's weights summing to their parent, the tree to 100) are those of 财政部
    《项目支出绩效评价管理办法》(财预〔2020〕10号, 2020), via :mod:`indicators.validate`.

    Examples
    --------
    >>> import tempfile
    >>> from indicators.model import Indicator
    >>> lib = LibraryVersion("demo", "1.0.0", "示例指标库", "target", (
    ...     Indicator("A", "满意度指标", 1, weight=100),
    ...     Indicator("A1", "服务对象满意度指标", 2, parent="A", weight=100),
    ...     Indicator("A11", "群众满意度", 3, parent="A1", direction="≥", unit="%", weight=100)))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_library(lib, f"{tmp}/lib.xlsx")
    ...     read_library(f"{tmp}/lib.xlsx") == lib
    True
    """
    path = Path(path)
    unknown = sorted(set(meta) - _VERSION_FIELDS)
    if unknown:
        raise InputError(f"未知的指标库字段 '{unknown[0]}'", f"unknown library field '{unknown[0]}'",
                         field=unknown[0])
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path, meta)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_table(read_csv_grid(path), None, meta)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        grids = read_workbook_grids(path)
        meta_grid = next((g for name, g in grids.items()
                          if is_meta_sheet(name)), None)
        return _read_table(_indicator_grid(grids, sheet, path.name, meta_grid), meta_grid, meta)
    raise InputError(f"不支持的文件类型 '{path.suffix}'，应为 .xlsx、.csv 或 .yaml",
                     f"unsupported file type '{path.suffix}'; expected .xlsx, .csv or .yaml",
                     file=path.name)


def write_library(version: LibraryVersion, path: str | os.PathLike[str], *,
                  encoding: str | None = None) -> None:
    """Write a library version as .xlsx (with its metadata sheet), .csv or .yaml.

    Parameters
    ----------
    version
        The version to write.
    path
        The file; its suffix decides the format.
    encoding
        CSV only: ``"utf-8-sig"`` (default, UTF-8 with the BOM Excel needs to show Chinese),
        ``"utf-8"`` or ``"gbk"``/``"gb18030"``.

    Returns
    -------
    None

    Notes
    -----
    Every indicator, first- and second-level ones included, is written as its own row in
    library order with its 指标编码, so reading the file back gives an equal version. The CSV
    form cannot carry the metadata sheet. YAML is UTF-8, in the layout of
    :meth:`~indicators.model.LibraryVersion.to_dict`. An .xlsx cell keeps 15–16 significant
    digits, so a weight such as ``0.1 + 0.2`` comes back as ``0.3``; CSV and YAML keep every
    digit.

    Examples
    --------
    >>> import tempfile
    >>> lib = LibraryVersion("demo", "1.0.0", "示例指标库", "catalogue",
    ...                      (Indicator("A", "满意度", 1, direction="定性"),))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_library(lib, f"{tmp}/lib.csv", encoding="gbk")
    ...     Path(f"{tmp}/lib.csv").read_bytes().decode("gbk").splitlines()[1]
    '满意度,,,定性,,,,,,,A,,,,,,,,'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if encoding is not None and suffix != ".csv":
        raise InputError("只有 CSV 文件可以指定编码", "an encoding applies to CSV files only",
                         file=path.name, field="encoding")
    if suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(version.to_dict(), allow_unicode=True, sort_keys=False, width=100)
        path.write_text(text, encoding="utf-8")
        return
    headers = [c.header for c in LIBRARY_COLUMNS]
    rows = _library_rows(version, path.name)
    if suffix == ".csv":
        text_rows = [[to_text(v) for v in row] for row in rows]
        path.write_bytes(encode_csv(headers, text_rows, encoding or "utf-8-sig", file=path.name))
    elif suffix in (".xlsx", ".xlsm"):
        write_workbook(path, [(INDICATOR_SHEET, headers, rows),
                              (META_SHEET, list(META_HEADERS),
                               meta_rows(version))], title=version.title)
    else:
        raise InputError(f"不支持的文件类型 '{path.suffix}'，应为 .xlsx、.csv 或 .yaml",
                         f"unsupported file type '{path.suffix}'; expected .xlsx, .csv or .yaml",
                         file=path.name)


# --------------------------------------------------------------------------- reading

def _indicator_grid(grids: Mapping[str, Grid], sheet: str | None, file: str,
                    meta_grid: Grid | None) -> Grid:
    names = list(grids)
    if sheet is not None:
        found = next((g for name, g in grids.items()
                      if canonical_header(name) == canonical_header(sheet)), None)
        if found is not None:
            return found
        raise InputError(f"没有名为 '{sheet}' 的工作表；工作簿中的工作表：{'、'.join(names)}",
                         f"there is no sheet '{sheet}'; the workbook has: {', '.join(names)}",
                         file=file, sheet=sheet)
    if INDICATOR_SHEET in grids:
        return grids[INDICATOR_SHEET]
    data = [g for g in grids.values() if g is not meta_grid]
    if not data:
        raise InputError("工作簿中只有版本信息，没有指标工作表",
                         "the workbook holds only the metadata sheet, no indicator sheet", file=file)
    return data[0]


def _read_table(grid: Grid, meta_grid: Grid | None, meta: Mapping[str, Any]) -> LibraryVersion:
    log = IssueLog(grid.file)
    sheet_fields = read_meta_sheet(meta_grid, log) if meta_grid is not None else {}
    fields = merge_meta(sheet_fields, meta, log, sheet=meta_grid.sheet if meta_grid else None)
    table = locate_table(grid, LIBRARY_COLUMNS, log)
    kind = fields.get("kind") if isinstance(fields.get("kind"), FrameworkKind) else None
    records = _indicator_records(table, log, kind) if table is not None else []
    log.raise_if_any()
    try:
        version = LibraryVersion(indicators=tuple(Indicator(**r) for r in records), **fields)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"指标库字段取值无效：{exc}", f"invalid library field value: {exc}",
                         file=grid.file) from exc
    _check(version, grid.file)
    return version


def _check(version: LibraryVersion, file: str) -> None:
    try:
        check_library(version)
    except InputError as exc:
        if exc.location.file is None and hasattr(exc, "issues"):
            log = IssueLog(file)
            log.extend(exc.issues)
            log.raise_if_any()
        raise


def _indicator_records(table: Table, log: IssueLog,
                       kind: FrameworkKind | None) -> list[dict[str, Any]]:
    """Turn the rows into Indicator fields (library order, implied parents included)."""
    names = [text_column(table, h) for h in _NAME_COLUMNS]
    has = [n != "" for n in names]
    level = np.select([has[2], has[1], has[0]], [3, 2, 1], default=0)
    index = table.frame.index
    for row in index[level == 0]:
        table.report(log, "missing_name", "这一行没有指标名称：一级、二级、三级指标都为空",
                     "this row names no indicator: 一级指标, 二级指标 and 三级指标 are all empty",
                     row=int(row), column="一级指标")
    for depth, parent_column in ((1, "二级指标"), (0, "一级指标")):
        orphan = (level > depth + 1) & ~has[depth].to_numpy()
        for row in index[orphan]:
            child = names[int(level[index.get_loc(row)]) - 1][row]
            table.report(log, "missing_parent",
                         f"指标 '{child}' 缺少所属的{parent_column}（'{parent_column}' 为空）",
                         f"indicator '{child}' has no parent: '{parent_column}' is empty",
                         row=int(row), column=parent_column)
    valid = (level > 0) & has[0].to_numpy() & (has[1].to_numpy() | (level < 3))
    keys = {int(row): tuple(n[row] for n in names[:lv])
            for row, lv in zip(index[valid], level[valid], strict=True)}

    explicit: dict[tuple[str, ...], int] = {}
    for row, key in keys.items():
        if key in explicit:
            table.report(log, "duplicate_indicator", f"指标 '{'／'.join(key)}' 与第 {explicit[key]} "
                         "行重复", f"indicator '{' / '.join(key)}' repeats row {explicit[key]}",
                         row=row, column=_NAME_COLUMNS[len(key) - 1])
        else:
            explicit[key] = row
    # An implied parent takes its place just before its first child; a written row keeps its own.
    origin: dict[tuple[str, ...], int] = {}
    for row, key in keys.items():
        for depth in range(1, len(key) + 1):
            node = key[:depth]
            if node not in origin and (node == key or node not in explicit):
                origin[node] = row
    children: defaultdict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for node in origin:
        children[node[:-1]].append(node)

    given = text_column(table, "指标编码")
    weights = number_column(table, "权重", log, suffixes=("分",))
    codes: dict[tuple[str, ...], str] = {}

    def code_of(node: tuple[str, ...]) -> str:
        if node not in codes:
            written = given[explicit[node]] if node in explicit else ""
            position = children[node[:-1]].index(node) + 1
            prefix = code_of(node[:-1]) if len(node) > 1 else "L1"
            codes[node] = written or f"{prefix}-{position:02d}"
        return codes[node]

    def weight_of(node: tuple[str, ...]) -> float | None:
        if node in explicit:
            return weights[explicit[node]]
        parts = [weight_of(child) for child in children[node]]
        if not parts or any(w is None for w in parts):
            return None
        return round(math.fsum(parts), 10)

    cells = {
        "direction": parse_column(table, "指标方向", log, Direction.parse),
        "category": parse_column(table, "分类", log, _parse_category),
        "value_basis": parse_column(table, "取值依据", log, _parse_value_basis),
        "rule_params": parse_column(table, "规则参数", log, _parse_rule_params),
        "valid_from": number_column(table, "有效起始年度", log, integer=True, suffixes=("年",)),
        "valid_to": number_column(table, "有效截止年度", log, integer=True, suffixes=("年",)),
        **{name: text_column(table, header) for name, header in _TEXT_FIELDS.items()},
    }
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    first_row: dict[str, int] = {}
    for node, row in origin.items():
        record: dict[str, Any] = {
            "code": code_of(node), "name": node[-1], "level": len(node),
            "parent": code_of(node[:-1]) if len(node) > 1 else None, "weight": weight_of(node)}
        if node in explicit:
            record.update({name: column[row] for name, column in cells.items()})
            record["rule_params"] = record["rule_params"] or {}
        if record["code"] in first_row:
            table.report(log, "duplicate_code", f"指标编码 '{record['code']}' 与第 "
                         f"{first_row[record['code']]} 行重复，编码必须唯一",
                         f"code '{record['code']}' repeats row {first_row[record['code']]}; "
                         "codes must be unique", row=row, column="指标编码")
        first_row.setdefault(record["code"], row)
        records.append(record)
        rows.append(row)

    # One problem per cell: what this reader already reported is not reported twice.
    seen = {(i.location.row, i.location.column) for i in log.issues}
    implied = {codes[node] for node in origin if node not in explicit}
    checked = validate_records(records, kind or FrameworkKind.CATALOGUE, rows=rows,
                               file=table.file, sheet=table.sheet, columns=_FIELD_COLUMNS)
    log.extend([issue for issue in checked if _new_issue(issue, seen, implied)])
    return records


def _new_issue(issue: ValidationIssue, seen: set[tuple[int | None, str | None]],
               implied: set[str]) -> bool:
    if issue.code == "duplicate_code":
        return False
    if issue.location.column and (issue.location.row, issue.location.column) in seen:
        return False
    # an implied parent's weight is derived; a missing child weight is reported at the child
    owner = (issue.location.field or "").rsplit(".", 1)[0]
    return not (issue.code == "missing_weight" and owner in implied)


def _parse_category(text: str) -> Category:
    # "产出指标" and "产出类" are both written for the category 产出.
    return parse_choice(text, Category, ("分类", "category"),
                        spellings=lambda key: (key, key.removesuffix("指标"),
                                               key.removesuffix("类")))


def _parse_value_basis(text: str) -> ValueBasis:
    return parse_choice(text, ValueBasis, ("取值依据", "value basis"),
                        spellings=lambda key: (key, key + "标准"))


def _parse_rule_params(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        quotes_zh = "；请使用英文双引号 \" 而不是中文引号 “”" if "“" in text or "”" in text else ""
        quotes_en = "; use ASCII quotes \" rather than “”" if quotes_zh else ""
        raise InputError(f"规则参数不是合法的 JSON（第 {exc.colno} 个字符处有误）{quotes_zh}，"
                         "应形如 {\"cap\": 1.2}",
                         f"rule parameters are not valid JSON (character {exc.colno}: {exc.msg})"
                         f"{quotes_en}; expected an object such as {{\"cap\": 1.2}}") from exc
    if not isinstance(value, dict):
        raise InputError("规则参数应为 JSON 对象，形如 {\"cap\": 1.2}",
                         "rule parameters must be a JSON object such as {\"cap\": 1.2}")
    return value


# --------------------------------------------------------------------------- YAML

def _read_yaml(path: Path, meta: Mapping[str, Any]) -> LibraryVersion:
    if not path.is_file():
        raise InputError("文件不存在或不是普通文件", "file does not exist or is not a regular file",
                         file=path.name)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("YAML 文件应为 UTF-8 编码", "a YAML file must be UTF-8 encoded",
                         file=path.name, row=data[:exc.start].count(b"\n") + 1) from exc
    try:
        loaded = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"YAML 格式错误：{getattr(exc, 'problem', exc)}",
                         f"malformed YAML: {getattr(exc, 'problem', exc)}", file=path.name,
                         row=mark.line + 1 if mark else None) from exc
    if isinstance(loaded, Mapping):
        loaded = {**loaded, **meta}
    version = LibraryVersion.from_dict(loaded, file=path.name)
    lines = _indicator_lines(node)
    issues = validate_records([ind.as_dict() for ind in version.indicators], version.kind,
                              rows=lines if len(lines) == len(version.indicators) else None,
                              file=path.name)
    log = IssueLog(path.name)
    log.extend(issues)
    log.raise_if_any()
    _check(version, path.name)
    return version


def _indicator_lines(node: yaml.Node | None) -> list[int]:
    """The line each entry of the ``indicators`` list starts on, so issues can name it."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "indicators" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


# --------------------------------------------------------------------------- writing

def _library_rows(version: LibraryVersion, file: str) -> list[list[Any]]:
    rows: list[list[Any]] = []
    paths: dict[tuple[str, ...], str] = {}
    for ind in version.indicators:
        chain = version.path(ind.code)
        if [node.level for node in chain] != list(range(1, ind.level + 1)) or ind.level > 3:
            raise InputError(f"指标 {ind.code} 的上级链不完整或层级不连续，无法写成一级/二级/三级表格",
                             f"indicator {ind.code}'s parent chain is broken or skips a level; "
                             "it cannot be written as 一级/二级/三级 columns", file=file,
                             field=f"{ind.code}.parent")
        names = tuple(node.name for node in chain)
        if names in paths:
            raise InputError(f"指标 {ind.code} 与 {paths[names]} 同名且上级相同，表格无法区分",
                             f"indicators {paths[names]} and {ind.code} share a name under the "
                             "same parent; a spreadsheet could not tell them apart", file=file,
                             field=f"{ind.code}.name")
        paths[names] = ind.code
        rows.append([
            *names, *[""] * (3 - len(names)),
            ind.direction.value if ind.direction else "", ind.reference_value, ind.unit,
            ind.weight, ind.explanation, ind.value_basis.value if ind.value_basis else "",
            ind.data_source, ind.code, ind.rule,
            json.dumps(dict(ind.rule_params), ensure_ascii=False) if ind.rule_params else "",
            ind.category.value if ind.category else "", ind.checkpoints, ind.source_document,
            ind.sector, ind.valid_from, ind.valid_to,
        ])
    return rows
