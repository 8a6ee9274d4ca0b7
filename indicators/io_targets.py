"""Import and export of project target tables (绩效目标表) as Excel or CSV.

A workbook holds two sheets: "项目" (one row per project: 项目编码, 项目名称, 主管部门, 预算类型,
项目金额(元), 是否新增, 上年金额(元), 延续年数, 是否重点项目, 年度, 乡镇) and "绩效目标" (one row
per target: 项目编码, 一级指标, 二级指标, 三级指标, 指标编码, 指标方向, 指标值, 计量单位, 权重,
指标库版本). A CSV file is a single long table: the project columns followed by the target
columns, one row per target, the project repeated on each of its rows (a project without targets
has one row with the target columns empty). One file in, one file out; a workbook with a single
sheet in that long layout is read as well.

Reading is all-or-nothing, like :func:`indicators.io.read_library`: every bad cell is reported
with file, sheet, row and column in one :class:`~indicators.errors.ValidationError`. Whether
the targets are *good enough* (产出/效益/满意度 present, weights adding up) is the review's
question, answered by :func:`indicators.validate.validate_target_table`; a draft table that
fails it still imports, so it can be reviewed.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from indicators.errors import InputError
from indicators.io_files import (
    Grid,
    encode_csv,
    read_csv_grid,
    read_workbook_grids,
    to_text,
    write_workbook,
)
from indicators.io_sheets import (
    Column,
    IssueLog,
    Table,
    bool_column,
    canonical_header,
    locate_table,
    number_column,
    parse_choice,
    parse_column,
    text_column,
)
from indicators.model import BudgetType, Direction, Project, Target, TargetTable

__all__ = [
    "PROJECT_COLUMNS",
    "PROJECT_SHEET",
    "TARGET_COLUMNS",
    "TARGET_SHEET",
    "read_target_tables",
    "write_target_tables",
]

PROJECT_SHEET = "项目"
TARGET_SHEET = "绩效目标"

PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("项目编码", aliases=("项目代码", "项目编号")),
    Column("项目名称"),
    Column("主管部门", aliases=("部门",)),
    Column("预算类型"),
    Column("项目金额(元)", aliases=("金额(元)",)),
    Column("是否新增", required=False),
    Column("上年金额(元)", required=False),
    Column("延续年数", required=False),
    Column("是否重点项目", required=False),
    Column("年度"),
    Column("乡镇", required=False),
)
"""The project sheet's columns in export order; the optional ones default to 否, empty and 0."""

TARGET_COLUMNS: tuple[Column, ...] = (
    Column("项目编码", aliases=("项目代码", "项目编号"), fill_merged=True),
    Column("一级指标", fill_merged=True),
    Column("二级指标", fill_merged=True),
    Column("三级指标"),
    Column("指标编码", required=False, aliases=("指标编号",)),
    Column("指标方向", aliases=("方向",)),
    Column("指标值", aliases=("目标值",)),
    Column("计量单位", aliases=("单位",)),
    Column("权重", aliases=("分值",)),
    Column("指标库版本", required=False),
)
"""The target sheet's columns in export order."""

_LONG_COLUMNS = tuple(Column(c.header, c.required, c.aliases, fill_merged=True)
                      for c in PROJECT_COLUMNS) + TARGET_COLUMNS[1:]
_TARGET_ONLY = [c.header for c in TARGET_COLUMNS[1:]]
_SIGN = r"^(≥|>=|>|≤|<=|<|=)\s*"
_LIBRARY_REF = re.compile(r"^\S+@v?\d+\.\d+\.\d+$")


def read_target_tables(path: str | os.PathLike[str]) -> list[TargetTable]:
    """Read projects and their targets from an .xlsx workbook or a long .csv file.

    Parameters
    ----------
    path
        The file: .xlsx with sheets "项目" and "绩效目标" (or one sheet in the long layout), or
        .csv in the long layout, UTF-8 (with or without BOM) or GBK.

    Returns
    -------
    list of TargetTable
        One per project, in the order of the projects' rows; targets in row order. Returned
        only when every cell is valid.

    Raises
    ------
    InputError
        A file that cannot be read at all, or a workbook without the expected sheets.
    ValidationError
        Every bad cell, missing column, duplicate or unknown project code, each with file,
        sheet, row and column, in Chinese and English.

    Notes
    -----
    For a quantitative direction (≥, ≤, =) 指标值 must be a number; a leading sign that agrees
    with the direction ("≥95") and a trailing unit equal to 计量单位 ("95%") are accepted. For
    定性 the 指标值 is kept as text. A target without 指标编码 gets ``<项目编码>-NN`` from its
    position within the project.

    Examples
    --------
    >>> import tempfile
    >>> from indicators.model import Project, Target
    >>> table = TargetTable(Project("P1", "道路养护", "交通运输局", "一般公共预算", 1.5e6, 2022),
    ...                     (Target("P1", "P1-01", "养护里程", "产出指标", "数量指标", "≥", 50,
    ...                             target_value=120, unit="公里"),))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_target_tables([table], f"{tmp}/targets.xlsx")
    ...     read_target_tables(f"{tmp}/targets.xlsx") == [table]
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_long(read_csv_grid(path))
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        raise InputError(f"不支持的文件类型 '{path.suffix}'，应为 .xlsx 或 .csv",
                         f"unsupported file type '{path.suffix}'; expected .xlsx or .csv",
                         file=path.name)
    grids = read_workbook_grids(path)
    by_name = {canonical_header(name): grid for name, grid in grids.items()}
    projects = by_name.get(PROJECT_SHEET) or by_name.get("projects")
    targets = by_name.get(TARGET_SHEET) or by_name.get("targets")
    if projects is not None and targets is not None:
        return _read_two_sheets(projects, targets)
    if len(grids) == 1 and projects is None and targets is None:
        return _read_long(next(iter(grids.values())))
    missing = [s for s, g in ((PROJECT_SHEET, projects), (TARGET_SHEET, targets)) if g is None]
    found = "、".join(grids)
    raise InputError(f"缺少工作表 {'、'.join(missing)}；工作簿中的工作表：{found}",
                     f"missing sheet(s) {', '.join(missing)}; the workbook has: {', '.join(grids)}",
                     file=path.name, sheet=missing[0])


def write_target_tables(tables: Sequence[TargetTable], path: str | os.PathLike[str], *,
                        encoding: str | None = None) -> None:
    """Write target tables as an .xlsx workbook (two sheets) or a long .csv file.

    Parameters
    ----------
    tables
        The projects and their targets.
    path
        The file; its suffix decides the format.
    encoding
        CSV only: ``"utf-8-sig"`` (default, opens correctly in Excel), ``"utf-8"`` or ``"gbk"``.

    Returns
    -------
    None

    Notes
    -----
    Reading the file back gives equal tables. A qualitative target is written as its text and a
    quantitative one as its number, so a target holding both keeps only the one its direction
    uses. An .xlsx cell keeps 15–16 significant digits of a number (amounts in fen and targets
    as a bureau writes them are exact); CSV keeps every digit.

    Examples
    --------
    >>> import tempfile
    >>> table = TargetTable(Project("P1", "道路养护", "交通运输局", "一般公共预算", 1.5e6, 2022))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_target_tables([table], f"{tmp}/t.csv")
    ...     Path(f"{tmp}/t.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    'P1,道路养护,交通运输局,一般公共预算,1500000,否,,0,否,2022,,,,,,,,,,'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if encoding is not None and suffix != ".csv":
        raise InputError("只有 CSV 文件可以指定编码", "an encoding applies to CSV files only",
                         file=path.name, field="encoding")
    project_rows = [_project_row(t.project) for t in tables]
    if suffix == ".csv":
        rows: list[list[Any]] = []
        for table, project_row in zip(tables, project_rows, strict=True):
            targets = [_target_row(t)[1:] for t in table.targets] or [[None] * len(_TARGET_ONLY)]
            rows += [project_row + target for target in targets]
        headers = [c.header for c in _LONG_COLUMNS]
        text_rows = [[to_text(v) for v in row] for row in rows]
        path.write_bytes(encode_csv(headers, text_rows, encoding or "utf-8-sig", file=path.name))
    elif suffix in (".xlsx", ".xlsm"):
        target_rows = [_target_row(t) for table in tables for t in table.targets]
        write_workbook(path, [(PROJECT_SHEET, [c.header for c in PROJECT_COLUMNS], project_rows),
                              (TARGET_SHEET, [c.header for c in TARGET_COLUMNS], target_rows)],
                       title="绩效目标表")
    else:
        raise InputError(f"不支持的文件类型 '{path.suffix}'，应为 .xlsx 或 .csv",
                         f"unsupported file type '{path.suffix}'; expected .xlsx or .csv",
                         file=path.name)


# --------------------------------------------------------------------------- reading

def _read_two_sheets(projects_grid: Grid, targets_grid: Grid) -> list[TargetTable]:
    log = IssueLog(projects_grid.file)
    projects_table = locate_table(projects_grid, PROJECT_COLUMNS, log)
    targets_table = locate_table(targets_grid, TARGET_COLUMNS, log, allow_empty=True)
    projects = _projects(projects_table, log) if projects_table is not None else {}
    targets = _targets(targets_table, projects, log) if targets_table is not None else []
    log.raise_if_any()
    return _assemble(projects, targets)


def _read_long(grid: Grid) -> list[TargetTable]:
    log = IssueLog(grid.file)
    table = locate_table(grid, _LONG_COLUMNS, log)
    if table is None:
        log.raise_if_any()
    frame = table.frame
    codes = text_column(table, "项目编码")
    named = (codes != "").to_numpy()
    first = ~codes.duplicated().to_numpy() | ~named
    # a project repeated on its target rows must read the same on every one of them
    first_row = pd.Series(codes.index[first & named], index=codes[first & named])
    for column in PROJECT_COLUMNS[1:]:
        texts = frame[column.header].map(to_text)
        expected = texts.reindex(first_row.reindex(codes).to_numpy()).to_numpy()
        for row in texts.index[(texts.to_numpy() != expected) & named]:
            origin = int(first_row[codes[row]])
            table.report(log, "inconsistent_project",
                         f"项目 '{codes[row]}' 的 '{column.header}' 为 '{texts[row]}'，与第 {origin} "
                         f"行的 '{texts[origin]}' 不一致", f"project '{codes[row]}' has "
                         f"'{column.header}' = '{texts[row]}' here but '{texts[origin]}' on row "
                         f"{origin}", row=int(row), column=column.header)
    headers = [c.header for c in PROJECT_COLUMNS]
    projects = _projects(Table(table.file, table.sheet, table.header_row,
                               frame.loc[first, headers]), log)
    has_target = frame[_TARGET_ONLY].notna().any(axis=1)
    targets = _targets(Table(table.file, table.sheet, table.header_row,
                             frame.loc[has_target, [c.header for c in TARGET_COLUMNS]]),
                       projects, log)
    log.raise_if_any()
    return _assemble(projects, targets)


def _assemble(projects: Mapping[str, Project], targets: Sequence[Target]) -> list[TargetTable]:
    grouped: dict[str, list[Target]] = {code: [] for code in projects}
    for target in targets:
        grouped[target.project_code].append(target)
    return [TargetTable(project, tuple(grouped[code])) for code, project in projects.items()]


def _parse_budget_type(text: str) -> BudgetType:
    return parse_choice(text, BudgetType, ("预算类型", "budget type"),
                        spellings=lambda key: (key, key + "预算"))


def _parse_library_ref(text: str) -> str:
    if not _LIBRARY_REF.match(text):
        raise InputError(f"指标库版本 '{text}' 应形如 national-target@1.0.0",
                         f"library version '{text}' should look like national-target@1.0.0")
    return text


def _projects(table: Table, log: IssueLog) -> dict[str, Project]:
    code = text_column(table, "项目编码", log, required=True, what=("项目编码", "a project code"))
    name = text_column(table, "项目名称", log, required=True, what=("项目名称", "a project name"))
    department = text_column(table, "主管部门", log, required=True,
                             what=("主管部门", "the department"))
    budget_type = parse_column(table, "预算类型", log, _parse_budget_type,
                               required=("预算类型", "a budget type"))
    amount = number_column(table, "项目金额(元)", log, required=True, minimum=0, suffixes=("元",))
    is_new = bool_column(table, "是否新增", log)
    previous = number_column(table, "上年金额(元)", log, minimum=0, suffixes=("元",))
    years_running = number_column(table, "延续年数", log, integer=True, minimum=0, suffixes=("年",))
    is_key = bool_column(table, "是否重点项目", log)
    year = number_column(table, "年度", log, integer=True, required=True, minimum=1949,
                         suffixes=("年", "年度"))
    township = text_column(table, "乡镇")
    for row in code.index[code.duplicated() & (code != "")]:
        first = int(code.index[code == code[row]][0])
        table.report(log, "duplicate_project", f"项目编码 '{code[row]}' 与第 {first} 行重复",
                     f"project code '{code[row]}' repeats row {first}", row=int(row),
                     column="项目编码")
    if len(log):
        return {c: None for c in code[code != ""]}  # known codes, so targets are still checked
    return {
        code[row]: Project(code[row], name[row], department[row], budget_type[row],
                           amount[row], year[row], is_new=is_new[row],
                           previous_amount=previous[row], years_running=years_running[row] or 0,
                           is_key=is_key[row], township=township[row])
        for row in table.frame.index
    }


def _targets(table: Table, projects: Mapping[str, Any], log: IssueLog) -> list[Target]:
    project = text_column(table, "项目编码", log, required=True, what=("项目编码", "a project code"))
    names = {h: text_column(table, h, log, required=True, what=(h, "an indicator name"))
             for h in ("一级指标", "二级指标", "三级指标")}
    direction = parse_column(table, "指标方向", log, Direction.parse,
                             required=("指标方向（≥、≤、=、定性）", "a direction (≥, ≤, =, 定性)"))
    unit = text_column(table, "计量单位")
    weight = number_column(table, "权重", log, required=True, minimum=0, suffixes=("分",))
    library_ref = parse_column(table, "指标库版本", log, _parse_library_ref)
    value, text = _target_values(table, direction, unit, log)
    position = project.groupby(project, sort=False).cumcount() + 1
    written = text_column(table, "指标编码")
    code = written.where(written != "", project + "-" + position.map("{:02d}".format))
    for row in project.index[(project != "") & ~project.isin(list(projects))]:
        table.report(log, "unknown_project", f"项目编码 '{project[row]}' 不在“{PROJECT_SHEET}”中",
                     f"project code '{project[row]}' is not among the projects "
                     f"('{PROJECT_SHEET}')", row=int(row), column="项目编码")
    pair = project + "\x00" + code
    for row in pair.index[pair.duplicated()]:
        first = int(pair.index[pair == pair[row]][0])
        table.report(log, "duplicate_code", f"指标编码 '{code[row]}' 在项目 '{project[row]}' 中与"
                     f"第 {first} 行重复", f"code '{code[row]}' repeats row {first} within "
                     f"project '{project[row]}'", row=int(row), column="指标编码")
    if len(log):
        return []
    return [Target(project[row], code[row], names["三级指标"][row], names["一级指标"][row],
                   names["二级指标"][row], direction[row], weight[row], target_value=value[row],
                   target_text=text[row], unit=unit[row], library_ref=library_ref[row])
            for row in table.frame.index]


def _target_values(table: Table, direction: pd.Series, unit: pd.Series,
                   log: IssueLog) -> tuple[pd.Series, pd.Series]:
    """指标值 as a number (quantitative directions) or as text (定性)."""
    raw = table.frame["指标值"].map(to_text)
    folded = raw.map(lambda t: unicodedata.normalize("NFKC", t).strip())
    sign = folded.str.extract(_SIGN, expand=False)
    body = folded.str.replace(_SIGN, "", regex=True)
    # "95%" with unit "%", or "120公里" with unit "公里", is the number 95 / 120
    body = pd.Series([b.removesuffix(u).strip() if u else b for b, u in zip(body, unit, strict=True)],
                     index=body.index, dtype=object)
    number = pd.to_numeric(body.str.replace(",", ""), errors="coerce").astype(float)
    qualitative = (direction == Direction.QUALITATIVE).to_numpy()
    quantitative = direction.notna().to_numpy() & ~qualitative
    for row in raw.index[quantitative & (folded != "").to_numpy() & number.isna().to_numpy()]:
        table.report(log, "not_a_number", f"定量指标（{direction[row].value}）的指标值应为数字："
                     f"'{raw[row]}'", f"a quantitative indicator ({direction[row].value}) needs a "
                     f"numeric target value, not '{raw[row]}'", row=int(row), column="指标值")
    for row in raw.index[quantitative & sign.notna().to_numpy()]:
        if Direction.parse(sign[row]) is not direction[row]:
            table.report(log, "sign_contradicts_direction", f"指标值 '{raw[row]}' 的符号与指标方向 "
                         f"'{direction[row].value}' 不一致", f"target value '{raw[row]}' has a sign "
                         f"that contradicts direction '{direction[row].value}'", row=int(row),
                         column="指标值")
    value = pd.Series([float(v) if q and v == v else None for v, q in zip(number, quantitative,
                                                                        strict=True)],
                      index=raw.index, dtype=object)
    text = raw.where(qualitative, "")
    return value, text


# --------------------------------------------------------------------------- writing

def _project_row(project: Project) -> list[Any]:
    return [project.code, project.name, project.department, project.budget_type.value,
            project.amount, "是" if project.is_new else "否", project.previous_amount,
            project.years_running, "是" if project.is_key else "否", project.year, project.township]


def _target_row(target: Target) -> list[Any]:
    if target.direction is Direction.QUALITATIVE:
        value = target.target_text or target.target_value
    else:
        value = target.target_value if target.target_value is not None else target.target_text
    return [target.project_code, target.level1, target.level2, target.name,
            target.indicator_code, target.direction.value, value, target.unit, target.weight,
            target.library_ref or ""]
