"""The lifecycle's tables in and out: a bureau's CSV/Excel with Chinese headers ↔ kernel frames.

Each table the lifecycle reads — budget requests, projects, targets, actuals, spending,
ex-ante assessment sheets, target progress — has a :class:`TableSpec` naming its Chinese
headers, the English column each becomes and its type. :func:`read_table` reads a CSV (UTF-8 or
GBK) or .xlsx file with the shared sheet readers of :mod:`indicators.io_sheets`, logs every bad
cell with its row and column, and returns nothing until the file is clean (a
:class:`~indicators.errors.ValidationError` lists every problem). :func:`from_headers` does the
same for a frame already in memory (the demo county). :func:`write_sheets` writes result frames
to one workbook.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.errors import InputError
from indicators.io_files import Grid, read_csv_grid, read_workbook_grids, write_workbook
from indicators.io_sheets import (
    Column,
    IssueLog,
    Table,
    bool_column,
    locate_table,
    number_column,
    text_column,
)

__all__ = ["Field", "TableSpec", "SPECS", "read_table", "from_headers", "write_sheets"]


@dataclass(frozen=True)
class Field:
    """One column: Chinese header, English name, kind (text, number, integer, bool), required,
    the value an empty cell stands for and the least value allowed (numbers only; None: any)."""

    header: str
    name: str
    kind: str = "text"
    required: bool = True
    aliases: tuple[str, ...] = ()
    default: float | None = None
    minimum: float | None = 0.0


@dataclass(frozen=True)
class TableSpec:
    """A table's columns and what it is called, in Chinese and English."""

    zh: str
    en: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()


_P = Field("项目编码", "project", aliases=("项目代码", "项目编号"))
SPECS: Mapping[str, TableSpec] = {
    "requests": TableSpec("预算申请表", "budget requests", (
        _P, Field("项目名称", "name", required=False), Field("主管部门", "department", required=False),
        Field("预算类型", "budget_type", required=False),
        Field("申请金额(元)", "amount", "number", aliases=("申请金额", "项目金额(元)", "预算金额(元)")),
        Field("上年金额(元)", "previous_amount", "number", required=False, aliases=("上年预算(元)",)),
        Field("是否新增", "is_new", "bool"), Field("延续年数", "years_running", "integer", required=False, default=0),
        Field("是否重点项目", "is_key", "bool", required=False)), key=("project",)),
    "projects": TableSpec("项目表", "projects", (
        _P, Field("项目名称", "name", required=False), Field("主管部门", "department"),
        Field("预算类型", "budget_type", required=False),
        Field("项目金额(元)", "amount", "number", aliases=("预算金额(元)",)),
        Field("是否重点项目", "is_key", "bool", required=False)), key=("project",)),
    "targets": TableSpec("绩效目标表", "targets", (
        _P, Field("一级指标", "level1"), Field("二级指标", "level2"), Field("三级指标", "name"),
        Field("指标编码", "indicator_code"), Field("指标方向", "direction"),
        Field("指标值", "target", "number", required=False),
        Field("指标值描述", "target_text", required=False, aliases=("目标值描述",)),
        Field("计量单位", "unit", required=False), Field("权重", "weight", "number"),
        Field("指标库版本", "library_ref", required=False)), key=("project", "indicator_code")),
    "actuals": TableSpec("实际完成表", "actuals", (
        _P, Field("指标编码", "indicator_code"), Field("实际值", "actual", "number", required=False),
        Field("定性结论", "level", required=False)), key=("project", "indicator_code")),
    "spending": TableSpec("支出表", "spending", (
        _P, Field("截至月份", "month", "integer"), Field("累计支出(元)", "spent", "number")),
        key=("project", "month")),
    "exante_sheets": TableSpec("事前评估打分表", "ex-ante assessment sheets", (
        _P, Field("评估要点编码", "indicator", aliases=("指标编码",)),
        Field("评估等级", "level", aliases=("定性结论",)),
        Field("得分", "score", "number", required=False)), key=("project", "indicator")),
    "progress": TableSpec("目标进度表", "target progress", (
        _P, Field("指标编码", "indicator_code"), Field("指标方向", "direction"),
        Field("指标值", "target", "number"), Field("计量单位", "unit", required=False),
        Field("权重", "weight", "number", required=False),
        Field("截至实际值", "actual", "number", required=False)), key=("project", "indicator_code")),
    "key_results": TableSpec("重点评价结果表", "key-evaluation results", (
        _P, Field("评价得分", "total", "number", aliases=("得分", "专家组得分")),
        Field("评价等级", "grade", required=False, aliases=("等级",))), key=("project",)),
    "department_facts": TableSpec("部门整体评价事实表", "department facts", (
        Field("主管部门", "department", aliases=("单位", "部门", "单位名称")),
        # A change rate (e.g. “三公经费”变动率 −5 %) may be below zero.
        Field("指标编码", "indicator_code"),
        Field("实际值", "actual", "number", required=False, minimum=None),
        Field("定性结论", "level", required=False)), key=("department", "indicator_code")),
}
"""Every table the lifecycle reads, by kind."""


def _grid(path: Path) -> Grid:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        grids = read_workbook_grids(path)
        if not grids:
            raise InputError("工作簿没有工作表", "the workbook has no sheet", file=path.name)
        return next(iter(grids.values()))
    return read_csv_grid(path)


def _convert(table: Table, spec: TableSpec, log: IssueLog) -> pd.DataFrame:
    out = {}
    for f in spec.fields:
        if f.kind == "text":
            out[f.name] = text_column(table, f.header, log, required=f.required,
                                      what=(f.header, f.header))
        elif f.kind == "bool":
            out[f.name] = bool_column(table, f.header, log)
        else:
            out[f.name] = number_column(table, f.header, log, integer=f.kind == "integer",
                                        required=f.required, minimum=f.minimum,
                                        suffixes=("元", "年"))
    frame = pd.DataFrame(out, index=table.frame.index)
    if spec.key:
        twice = frame.duplicated(list(spec.key))
        header = next(f.header for f in spec.fields if f.name == spec.key[-1])
        for row in frame.index[twice]:
            table.report(log, "duplicate_row", "与上文某行重复（同一编码出现两次）",
                         "repeats an earlier row (the same code twice)", row=int(row), column=header)
    return frame


def _typed(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    out = frame.copy()
    for f in spec.fields:
        if f.kind in ("number", "integer"):
            out[f.name] = pd.to_numeric(out[f.name], errors="coerce").astype(float)
            if f.default is not None:
                out[f.name] = out[f.name].fillna(f.default)
            if f.kind == "integer" and (f.required or f.default is not None):
                out[f.name] = out[f.name].astype(int)
        elif f.kind == "bool":
            out[f.name] = out[f.name].astype(bool)
    out.index.name = "row"
    return out


def _request_checks(frame: pd.DataFrame, table: Table, log: IssueLog) -> None:
    """A continuing request must say last year's amount, or its growth cannot be judged."""
    orphan = (frame["is_new"] == False) & frame["previous_amount"].isna()  # noqa: E712
    for row in frame.index[orphan.to_numpy(dtype=bool)]:
        table.report(log, "missing_previous", "延续项目缺少上年金额",
                     "a continuing project needs last year's amount", row=int(row),
                     column="上年金额(元)")


def read_table(path: str | os.PathLike[str], kind: str) -> pd.DataFrame:
    """Read one lifecycle table from a CSV or .xlsx file with Chinese headers.

    Parameters
    ----------
    path
        The file (CSV in UTF-8 or GBK, or the first sheet of an .xlsx workbook).
    kind
        A key of :data:`SPECS`: ``"requests"``, ``"projects"``, ``"targets"``, ``"actuals"``,
        ``"spending"``, ``"exante_sheets"`` or ``"progress"``.

    Returns
    -------
    pandas.DataFrame
        English columns, indexed by the spreadsheet row of each record (index name ``row``).

    Raises
    ------
    ValidationError
        Every bad cell, missing column and repeated code, each with its row and column.
    InputError
        A file that cannot be read at all, or an unknown ``kind``.

    Notes
    -----
    Headers are matched after NFKC folding and without spaces, with or without a unit suffix
    (``申请金额`` matches ``申请金额(元)``); a title row above the header is skipped. Numbers may
    carry thousands separators and a trailing 元. Nothing is returned unless the whole file is
    clean — a half-imported budget is worse than none.

    Examples
    --------
    >>> import tempfile
    >>> text = "项目编码,申请金额(元),上年金额(元),是否新增,延续年数\\nA,1200000,1000000,否,2\\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "r.csv").write_text(text, encoding="gbk")
    ...     frame = read_table(Path(tmp) / "r.csv", "requests")
    >>> frame[["project", "amount", "is_new"]].values.tolist(), frame.index.tolist()
    ([['A', 1200000.0, False]], [2])
    """
    if kind not in SPECS:
        raise InputError(f"未知的表类型：{kind}", f"unknown table kind {kind!r}", field="kind")
    spec = SPECS[kind]
    path = Path(path)
    grid = _grid(path)
    log = IssueLog(path.name)
    columns = [Column(f.header, required=f.required, aliases=f.aliases) for f in spec.fields]
    table = locate_table(grid, columns, log)
    if table is None:
        log.raise_if_any()
        raise InputError("找不到表格", "no table found", file=path.name)
    frame = _convert(table, spec, log)
    if kind == "requests":
        _request_checks(frame, table, log)
    log.raise_if_any()
    return _typed(frame, spec)


def from_headers(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A frame with the Chinese headers of :data:`SPECS` turned into the kernels' English columns.

    Parameters
    ----------
    frame
        E.g. a table of :func:`indicators.demo.load_demo_county`.
    kind
        A key of :data:`SPECS`.

    Returns
    -------
    pandas.DataFrame
        The known columns renamed and typed; other columns are kept as they are.

    Raises
    ------
    InputError
        A required column is missing.

    Notes
    -----
    The frame is assumed already parsed (numbers as numbers); files go through
    :func:`read_table`, which checks every cell.

    Examples
    --------
    >>> frame = pd.DataFrame({"项目编码": ["A"], "截至月份": [9], "累计支出(元)": [1.5]})
    >>> from_headers(frame, "spending").columns.tolist()
    ['project', 'month', 'spent']
    """
    spec = SPECS[kind]
    names = {}
    for f in spec.fields:
        header = next((h for h in (f.header, *f.aliases) if h in frame), None)
        if header is None:
            if f.required:
                raise InputError(f"{spec.zh}缺少列 '{f.header}'",
                                 f"the {spec.en} table lacks the column '{f.header}'",
                                 column=f.header)
            continue
        names[header] = f.name
    out = frame.rename(columns=names)
    for f in spec.fields:
        if f.name not in out and f.default is not None:
            out[f.name] = f.default
        if f.name in out and f.kind in ("number", "integer"):
            out[f.name] = pd.to_numeric(out[f.name], errors="coerce")
            if f.default is not None:
                out[f.name] = out[f.name].fillna(f.default)
        elif f.name in out and f.kind == "bool":
            out[f.name] = out[f.name].fillna(False).astype(bool)
        elif f.name in out and f.kind == "text":
            out[f.name] = out[f.name].where(out[f.name].notna(), "").astype(str)
    return out


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.bool_ | bool):
        return "是" if value else "否"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value if isinstance(value, int | float | str) else str(value)


def write_sheets(path: str | os.PathLike[str], sheets: Sequence[tuple[str, pd.DataFrame]], *,
                 title: str = "") -> Path:
    """Write ``(sheet name, frame)`` pairs to one .xlsx workbook, headers as the frames hold them.

    Parameters
    ----------
    path
        Where to write (``.xlsx``).
    sheets
        Sheet name (at most 31 characters) and its table.
    title
        The workbook's title property.

    Returns
    -------
    pathlib.Path
        The written file.

    Notes
    -----
    Booleans are written as 是/否 and missing values as empty cells, as a bureau reads them.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_sheets(Path(tmp) / "a.xlsx", [("小结", pd.DataFrame({"项目": ["A"]}))])
    ...     read_workbook_grids(out)["小结"].rows
    (('项目',), ('A',))
    """
    path = Path(path)
    payload = [(name[:31], [str(c) for c in frame.columns],
                [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)])
               for name, frame in sheets]
    write_workbook(path, payload, title=title)
    return path
