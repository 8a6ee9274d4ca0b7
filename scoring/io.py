"""The scoring workbook a bureau fills in, and the result workbook it hands on.

The scoring workbook is the target-table workbook of :mod:`indicators.io_targets` (sheets 项目
and 绩效目标) with the year-end facts added: columns 实际值 and 定性结论 (and, optionally, 定性评分
in points) on the 绩效目标 sheet, and a sheet 预算执行 with 项目编码, 预算金额(元) and 实际支出(元).
:func:`write_scoring_workbook` writes it (empty 实际值 columns make a template to fill in);
:func:`read_scoring_workbook` reads it all-or-nothing, every bad cell named by file, sheet, row and
column in Chinese and English.

The result workbook (:func:`write_result_workbook`, written by :mod:`scoring.io_results` and
offered here too) has the per-project totals, grades and subtotals, the per-indicator points and
flags, summaries by department and by budget type, and a sheet saying what the scores were
computed with.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from indicators.errors import InputError
from indicators.io_files import Grid, read_workbook_grids, to_text
from indicators.io_sheets import (
    Column,
    IssueLog,
    Table,
    canonical_header,
    locate_table,
    number_column,
    parse_column,
    text_column,
)
from indicators.io_targets import (
    TARGET_COLUMNS,
    TARGET_SHEET,
    read_target_tables,
    write_target_tables,
)
from indicators.model import Direction, TargetTable
from scoring.io_results import GRADE_COLOURS, result_workbook_bytes, write_result_workbook
from scoring.rules import score_indicators
from scoring.targets import ACTUAL_COLUMNS, SPENDING_COLUMNS

__all__ = [
    "ACTUAL_SHEET_COLUMNS",
    "GRADE_COLOURS",
    "SPENDING_SHEET",
    "SPENDING_SHEET_COLUMNS",
    "ScoringInput",
    "read_scoring_workbook",
    "result_workbook_bytes",
    "write_result_workbook",
    "write_scoring_workbook",
]

SPENDING_SHEET = "预算执行"

ACTUAL_SHEET_COLUMNS: tuple[Column, ...] = (
    Column("实际值", aliases=("实际完成值", "完成值", "实际数", "实际完成")),
    Column("定性结论", required=False, aliases=("评价结论", "定性评价", "完成情况")),
    Column("定性评分", required=False, aliases=("人工评分", "定性得分")),
)
"""Columns added to the 绩效目标 sheet after the target columns."""

SPENDING_SHEET_COLUMNS: tuple[Column, ...] = (
    Column("项目编码", aliases=("项目代码", "项目编号")),
    Column("项目名称", required=False),
    Column("预算金额(元)", required=False, aliases=("预算数", "全年预算数", "调整后预算数")),
    Column("实际支出(元)", aliases=("实际支出数", "支出金额", "累计支出(元)", "执行数")),
)
"""The 预算执行 sheet; a blank 预算金额 means the project's amount."""

_PERCENT_SIGNS = ("%", "％")


@dataclass(frozen=True)
class ScoringInput:
    """What a scoring workbook holds: the target tables and the year-end facts.

    Attributes
    ----------
    tables
        Projects with their targets.
    actuals
        Columns :data:`scoring.targets.ACTUAL_COLUMNS`, one row per target with a fact.
    spending
        Columns :data:`scoring.targets.SPENDING_COLUMNS`.
    file
        The workbook's name.
    """

    tables: tuple[TargetTable, ...]
    actuals: pd.DataFrame
    spending: pd.DataFrame
    file: str = ""


def _sheet(grids: dict[str, Grid], name: str) -> Grid | None:
    wanted = canonical_header(name)
    return next((g for n, g in grids.items() if canonical_header(n) == wanted), None)


def read_scoring_workbook(path: str | os.PathLike[str] | BinaryIO, *,
                          name: str | None = None) -> ScoringInput:
    """Read target tables, actuals and spending from one .xlsx workbook, all or nothing.

    Parameters
    ----------
    path
        The workbook, or an open binary file (an upload); then ``name`` names it in errors.
    name
        The file name to report, for an open file.

    Returns
    -------
    ScoringInput
        Returned only when every cell is valid.

    Raises
    ------
    InputError
        Not an .xlsx workbook.
    ValidationError
        Every bad cell of the target tables, or (once those are clean) every missing sheet or
        column and every bad actual, level, manual score and spending cell, each with file,
        sheet, row and column.

    Notes
    -----
    实际值 accepts a number with the row's unit or a percent sign after it ("95%", "120公里").
    On a 定性 row, a conclusion written into 实际值 (达成 / 部分达成 / 未达成) is read as the
    定性结论. Which words a conclusion may use is the scoring kernel's decision
    (:func:`scoring.rules.score_indicators`), asked here once per distinct word.

    Examples
    --------
    >>> import tempfile
    >>> from indicators.model import Project, Target
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 1.5e6, 2022)
    >>> t = Target("P1", "A", "养护里程", "产出指标", "数量指标", "≥", 90, 120.0, unit="公里")
    >>> facts = pd.DataFrame({"project": ["P1"], "indicator": ["A"], "actual": [108.0]})
    >>> money = pd.DataFrame({"project": ["P1"], "budget": [1.5e6], "spent": [1.2e6]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_scoring_workbook([TargetTable(p, (t,))], f"{tmp}/s.xlsx", actuals=facts,
    ...                            spending=money)
    ...     got = read_scoring_workbook(f"{tmp}/s.xlsx")
    >>> got.actuals["actual"].tolist(), got.spending["spent"].tolist()
    ([108.0], [1200000.0])
    """
    if hasattr(path, "read"):
        # An upload: the readers open files by path, so spool it into a folder of its own.
        file = Path(name or getattr(path, "name", None) or "upload.xlsx").name
        with tempfile.TemporaryDirectory(prefix="jixiao-") as folder:
            local = Path(folder) / file
            local.write_bytes(path.read())
            return _read(local)
    return _read(Path(path))


def _read(path: Path) -> ScoringInput:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError("评分工作簿须为 .xlsx（需要“预算执行”工作表）",
                         "a scoring workbook must be .xlsx (it needs the 预算执行 sheet)",
                         file=path.name)
    tables = read_target_tables(path)
    grids = read_workbook_grids(path)
    log = IssueLog(path.name)
    actuals = _actuals(_sheet(grids, TARGET_SHEET) or next(iter(grids.values())), tables, log)
    spending_grid = _sheet(grids, SPENDING_SHEET)
    if spending_grid is None:
        log.add("missing_sheet", f"缺少工作表“{SPENDING_SHEET}”（项目编码、预算金额(元)、实际支出(元)）",
                f"missing sheet '{SPENDING_SHEET}' (项目编码, 预算金额(元), 实际支出(元))",
                sheet=SPENDING_SHEET)
        spending = pd.DataFrame(columns=list(SPENDING_COLUMNS))
    else:
        spending = _spending(spending_grid, tables, log)
    log.raise_if_any()
    return ScoringInput(tuple(tables), actuals, spending, path.name)


def _parse_level(text: str) -> str:
    try:
        score_indicators("定性", np.nan, np.nan, 1.0, level=[text])
    except InputError:
        raise InputError(f"定性结论 '{text}' 无法识别，应为 达成、部分达成、未达成 之一",
                         f"qualitative conclusion '{text}' is not one of 达成, 部分达成, "
                         "未达成 (achieved, partial, not achieved)") from None
    return text


def _actuals(grid: Grid, tables: Sequence[TargetTable], log: IssueLog) -> pd.DataFrame:
    table = locate_table(grid, TARGET_COLUMNS + ACTUAL_SHEET_COLUMNS, log, allow_empty=True)
    if table is None:
        return pd.DataFrame(columns=list(ACTUAL_COLUMNS))
    frame = table.frame
    target_headers = [c.header for c in TARGET_COLUMNS]
    fact_headers = [c.header for c in ACTUAL_SHEET_COLUMNS]
    has_target = frame[target_headers].notna().any(axis=1).to_numpy()
    for row in frame.index[~has_target & frame[fact_headers].notna().any(axis=1).to_numpy()]:
        table.report(log, "fact_without_target", "这一行有实际值但没有绩效目标",
                     "this row has an actual value but no target", row=int(row), column="实际值")
    rows = Table(table.file, table.sheet, table.header_row, frame.loc[has_target])
    project = text_column(rows, "项目编码")
    # Targets are matched by their place within the project, as the target reader numbers them.
    position = project.groupby(project, sort=False).cumcount().to_numpy()
    known = pd.DataFrame([(t.project_code, k, t.indicator_code, t.direction.value, t.unit)
                          for table_ in tables for k, t in enumerate(table_.targets)],
                         columns=["project", "position", "indicator", "direction", "unit"])
    keys = pd.MultiIndex.from_frame(known[["project", "position"]])
    at = keys.get_indexer(pd.MultiIndex.from_arrays([project.to_numpy(), position]))
    matched = at >= 0
    direction = known["direction"].to_numpy(dtype=object)[np.where(matched, at, 0)]
    unit = known["unit"].to_numpy(dtype=object)[np.where(matched, at, 0)]
    qualitative = matched & (direction == Direction.QUALITATIVE.value)

    raw = rows.frame["实际值"].map(to_text)
    text = raw.map(lambda s: unicodedata.normalize("NFKC", s).strip().replace(",", ""))
    body = pd.Series([_strip_unit(s, u) for s, u in zip(text, unit, strict=True)],
                     index=text.index, dtype=object)
    number = pd.to_numeric(body, errors="coerce").astype(float)
    level_in_value = qualitative & (text != "").to_numpy() & number.isna().to_numpy()
    bad = ~qualitative & (text != "").to_numpy() & number.isna().to_numpy()
    for row in raw.index[bad]:
        table.report(log, "not_a_number", f"实际值应为数字：'{raw[row]}'",
                     f"the actual value must be a number, not '{raw[row]}'", row=int(row),
                     column="实际值")
    level_text = rows.frame["定性结论"].where(rows.frame["定性结论"].notna(),
                                           rows.frame["实际值"].where(level_in_value))
    level_table = Table(rows.file, rows.sheet, rows.header_row,
                        pd.DataFrame({"定性结论": level_text}, dtype=object))
    level = parse_column(level_table, "定性结论", log, _parse_level)
    manual = number_column(rows, "定性评分", log, minimum=0, suffixes=("分",))
    actual = number.where(~qualitative, np.nan)
    return pd.DataFrame({
        "project": project.to_numpy(dtype=object)[matched],
        "indicator": known["indicator"].to_numpy(dtype=object)[at[matched]],
        "actual": actual.to_numpy(dtype=float)[matched],
        "level": level.to_numpy(dtype=object)[matched],
        "manual_score": manual.astype(float).to_numpy()[matched],
    }, columns=list(ACTUAL_COLUMNS))


def _strip_unit(text: str, unit: str) -> str:
    if unit and text.endswith(unit):
        text = text.removesuffix(unit).strip()
    for sign in _PERCENT_SIGNS:
        text = text.removesuffix(sign).strip()
    return text


def _spending(grid: Grid, tables: Sequence[TargetTable], log: IssueLog) -> pd.DataFrame:
    table = locate_table(grid, SPENDING_SHEET_COLUMNS, log, allow_empty=True)
    if table is None:
        return pd.DataFrame(columns=list(SPENDING_COLUMNS))
    code = text_column(table, "项目编码", log, required=True, what=("项目编码", "a project code"))
    budget = number_column(table, "预算金额(元)", log, minimum=0, suffixes=("元",))
    spent = number_column(table, "实际支出(元)", log, required=True, minimum=0, suffixes=("元",))
    known = {t.project.code for t in tables}
    for row in code.index[(code != "") & ~code.isin(list(known))]:
        table.report(log, "unknown_project", f"项目编码 '{code[row]}' 不在“项目”工作表中",
                     f"project code '{code[row]}' is not on the 项目 sheet", row=int(row),
                     column="项目编码")
    for row in code.index[code.duplicated() & (code != "")]:
        first = int(code.index[code == code[row]][0])
        table.report(log, "duplicate_project", f"项目编码 '{code[row]}' 与第 {first} 行重复",
                     f"project code '{code[row]}' repeats row {first}", row=int(row),
                     column="项目编码")
    for row in budget.index[budget.map(lambda v: v == 0)]:
        table.report(log, "zero_budget", "预算金额为 0，无法计算执行率；不填则按项目金额",
                     "a budget of 0 gives no execution rate; leave it blank to use the project "
                     "amount", row=int(row), column="预算金额(元)")
    return pd.DataFrame({"project": code.to_numpy(dtype=object),
                         "budget": budget.astype(float).to_numpy(),
                         "spent": spent.astype(float).to_numpy()}, columns=list(SPENDING_COLUMNS))


def write_scoring_workbook(tables: Sequence[TargetTable], path: str | os.PathLike[str], *,
                           actuals: pd.DataFrame | None = None,
                           spending: pd.DataFrame | None = None) -> None:
    """Write target tables with their actuals and spending as a scoring workbook (.xlsx).

    Parameters
    ----------
    tables
        Projects and their targets.
    path
        The .xlsx file to write.
    actuals
        Columns :data:`scoring.targets.ACTUAL_COLUMNS`; ``None`` leaves 实际值 and 定性结论
        blank, which makes a template to fill in.
    spending
        Columns :data:`scoring.targets.SPENDING_COLUMNS`; a blank budget is written as the
        project's amount, and ``None`` writes every project that way with a blank 实际支出(元).

    Returns
    -------
    None

    Notes
    -----
    The target sheets are written by :func:`indicators.io_targets.write_target_tables`, so the
    workbook reads back with it; the fact columns go to the right of the target columns.

    Examples
    --------
    >>> import tempfile
    >>> from indicators.model import Project
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 1.5e6, 2022)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_scoring_workbook([TargetTable(p)], f"{tmp}/t.xlsx")
    ...     openpyxl.load_workbook(f"{tmp}/t.xlsx").sheetnames
    ['项目', '绩效目标', '预算执行']
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError("评分工作簿须为 .xlsx", "a scoring workbook must be .xlsx", file=path.name)
    write_target_tables(tables, path)
    facts = (actuals if actuals is not None else pd.DataFrame(columns=list(ACTUAL_COLUMNS))
             ).reindex(columns=list(ACTUAL_COLUMNS))
    lookup = {(str(p), str(i)): (a, lv, m) for p, i, a, lv, m in facts.itertuples(index=False)}
    with_manual = bool(facts["manual_score"].notna().any())
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[TARGET_SHEET]
    headers = [c.header for c in ACTUAL_SHEET_COLUMNS][: 3 if with_manual else 2]
    first = sheet.max_column + 1
    bold = Font(bold=True)
    for k, header in enumerate(headers):
        sheet.cell(1, first + k, header).font = bold
        sheet.column_dimensions[get_column_letter(first + k)].width = 12
    code_col = [c.header for c in TARGET_COLUMNS].index("指标编码") + 1
    for r in range(2, sheet.max_row + 1):
        key = (to_text(sheet.cell(r, 1).value), to_text(sheet.cell(r, code_col).value))
        actual, level, manual = lookup.get(key, (None, None, None))
        for k, value in enumerate((actual, level, manual)[: len(headers)]):
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                cell = sheet.cell(r, first + k, value)
                if isinstance(value, str):
                    cell.data_type = "s"
    money = workbook.create_sheet(SPENDING_SHEET)
    for k, header in enumerate(c.header for c in SPENDING_SHEET_COLUMNS):
        money.cell(1, k + 1, header).font = bold
        money.column_dimensions[get_column_letter(k + 1)].width = 16
    money.freeze_panes = "A2"
    given = (spending if spending is not None else pd.DataFrame(columns=list(SPENDING_COLUMNS))
             ).reindex(columns=list(SPENDING_COLUMNS))
    by_project = {str(p): (b, s) for p, b, s in given.itertuples(index=False)}
    for r, table in enumerate(tables, start=2):
        project = table.project
        budget, spent = by_project.get(project.code, (None, None))
        # The budget the execution rate divides by is written out, so the bureau sees it.
        if budget is None or (isinstance(budget, float) and np.isnan(budget)):
            budget = project.amount
        for k, value in enumerate((project.code, project.name, budget, spent)):
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                cell = money.cell(r, k + 1, value)
                if isinstance(value, str):
                    cell.data_type = "s"
    workbook.save(path)
