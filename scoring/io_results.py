"""The result workbook a bureau hands on: totals, grades, subtotals, points and summaries.

Sheets 项目得分 (one row per project with its 一级 subtotals, total and grade, coloured by grade),
分级小计, 指标得分, 部门汇总, 预算类型汇总 and 评分说明 (what the scores were computed with), all
with Chinese headers. The tables come from :mod:`scoring.report`; :mod:`scoring.io` offers the
writers beside the scoring workbook's reader.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from indicators.errors import JixiaoError
from indicators.model import TargetTable
from scoring.grades import load_bands
from scoring.project import ProjectScores
from scoring.report import indicator_results, level_subtotals, project_results, summary_by
from scoring.targets import project_frame

__all__ = ["GRADE_COLOURS", "result_workbook_bytes", "write_result_workbook"]

GRADE_COLOURS: dict[str, str] = {"优": "#c6efce", "良": "#ddebf7", "中": "#fff2cc", "差": "#f8cbad"}
"""Cell background of each grade in the result workbook and on the scoring page."""

_PROJECT_HEADERS = {
    "project": "项目编码", "name": "项目名称", "department": "主管部门", "budget_type": "预算类型",
    "amount": "项目金额(元)", "execution_rate": "预算执行率(%)", "budget_points": "预算执行得分",
    "indicator_points": "指标得分", "total": "总分", "grade": "等级",
    "grade_before_veto": "封顶前等级", "vetoed": "是否封顶", "n_missing": "缺失实际值数",
    "n_over_achievement": "超额完成数",
}
_SUBTOTAL_HEADERS = {"project": "项目编码", "level": "层级", "code": "指标", "parent": "上级指标",
                     "points": "得分", "max_points": "满分"}
_INDICATOR_HEADERS = {
    "project": "项目编码", "level1": "一级指标", "level2": "二级指标", "name": "三级指标",
    "indicator": "指标编码", "direction": "指标方向", "target": "指标值",
    "target_text": "定性目标", "unit": "计量单位", "actual": "实际值",
    "qualitative_level": "定性结论", "weight": "权重", "points": "得分", "missing": "实际值缺失",
    "over_achievement": "超额完成", "reason": "说明",
}
_SUMMARY_HEADERS = {"department": "主管部门", "budget_type": "预算类型", "n_projects": "项目数",
                    "amount": "项目金额(元)", "mean_total": "平均分",
                    "weighted_total": "金额加权平均分", "good_share": "优良率(%)"}
_TWO_DECIMALS = "0.00"


def _result_sheets(result: ProjectScores, tables: Sequence[TargetTable], *, created_by: str,
                   created_at: datetime) -> list[tuple[str, pd.DataFrame]]:
    projects = project_results(result, project_frame(tables))
    first_level = list(projects.columns[len(_PROJECT_HEADERS):])
    shown = projects.copy()
    shown["execution_rate"] = shown["execution_rate"] * 100.0
    shown["vetoed"] = np.where(shown["vetoed"], "是", "否")
    # 一级 subtotals sit between the indicator points and the total.
    order = [*list(_PROJECT_HEADERS)[:8], *first_level, *list(_PROJECT_HEADERS)[8:]]
    shown = shown[order].rename(columns={**_PROJECT_HEADERS,
                                         **{c: f"{c}得分" for c in first_level}})
    subtotals = level_subtotals(result).rename(columns=_SUBTOTAL_HEADERS)
    indicators = indicator_results(result)
    for column in ("missing", "over_achievement"):
        indicators[column] = np.where(indicators[column], "是", "")
    indicators = indicators.rename(columns=_INDICATOR_HEADERS)
    summaries = []
    for by in ("department", "budget_type"):
        frame = summary_by(projects, by, labels=_grade_labels(result))
        frame["good_share"] = frame["good_share"] * 100.0
        summaries.append(frame.rename(columns=_SUMMARY_HEADERS))
    try:
        table = load_bands(result.band_table)
        bands_text = table.describe() if table.version == result.band_version else ""
        source = table.source if table.version == result.band_version else ""
    except JixiaoError:
        bands_text, source = "", ""
    about = pd.DataFrame([
        ("指标库版本 library version", result.library_version),
        ("权重方案 weight set", result.weight_set),
        ("等级表 band table", f"{result.band_table} {result.band_version}"),
        ("等级划分 bands", bands_text),
        ("等级依据 source", source),
        ("项目数 projects", len(projects)),
        ("评分规则参数 rule parameters",
         json.dumps(dict(result.rule_params), ensure_ascii=False, default=str)),
        ("评分人 scored by", created_by),
        ("评分时间 scored at (UTC)", created_at.strftime("%Y-%m-%d %H:%M:%S")),
    ], columns=["项目 item", "内容 value"])
    return [("项目得分", shown), ("分级小计", subtotals), ("指标得分", indicators),
            ("部门汇总", summaries[0]), ("预算类型汇总", summaries[1]), ("评分说明", about)]


def _grade_labels(result: ProjectScores) -> tuple[str, ...]:
    """The labels of the band table that graded ``result``, best first."""
    try:
        table = load_bands(result.band_table)
    except JixiaoError:
        table = None
    if table is not None and table.version == result.band_version:
        return table.labels
    # A table built in code: order the grades seen by the totals that earned them.
    totals = result.totals.groupby("grade_before_veto")["total"].min()
    return tuple(totals.sort_values(ascending=False).index)


def write_result_workbook(result: ProjectScores, tables: Sequence[TargetTable],
                          path: str | os.PathLike[str] | BinaryIO, *, created_by: str = "",
                          created_at: datetime | None = None) -> None:
    """Write the result workbook a bureau hands on: totals, grades, points, summaries.

    Parameters
    ----------
    result
        The scoring result (:func:`scoring.targets.score_target_tables`).
    tables
        The target tables that were scored (for names, departments, budget types, amounts).
    path
        The .xlsx file, or a binary file object (a download buffer).
    created_by
        Who ran the scoring, recorded on the 评分说明 sheet.
    created_at
        When (default: now, UTC).

    Returns
    -------
    None

    Notes
    -----
    Sheets: 项目得分 (one row per project, 一级 subtotals, total, grade coloured by grade),
    分级小计 (一级 and 二级 subtotals), 指标得分 (points and flags of every indicator), 部门汇总
    and 预算类型汇总 (counts per grade, mean and amount-weighted mean totals), 评分说明 (library
    version, weight set, band table and rule parameters, so the result can be recomputed).
    Points keep every digit and show two decimals; totals are already rounded half up.

    Examples
    --------
    >>> import tempfile
    >>> from indicators.model import Project, Target
    >>> from indicators.frameworks import load_builtin
    >>> from scoring.targets import score_target_tables
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 100.0, 2022)
    >>> t = (Target("P1", "A", "养护里程", "产出指标", "数量指标", "≥", 90, 100.0),)
    >>> r = score_target_tables([TargetTable(p, t)], load_builtin("national-target"),
    ...     actuals=pd.DataFrame({"project": ["P1"], "indicator": ["A"], "actual": [100.0]}),
    ...     spending=pd.DataFrame({"project": ["P1"], "spent": [100.0]}))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_result_workbook(r, [TargetTable(p, t)], f"{tmp}/r.xlsx")
    ...     pd.read_excel(f"{tmp}/r.xlsx", sheet_name="项目得分")[["总分", "等级"]].values.tolist()
    [[100, '优']]
    """
    when = created_at or datetime.now(UTC)
    sheets = _result_sheets(result, tables, created_by=created_by, created_at=when)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = "绩效评价结果"
    bold = Font(bold=True)
    fills = {g: PatternFill("solid", fgColor=c.lstrip("#")) for g, c in GRADE_COLOURS.items()}
    for name, frame in sheets:
        sheet = workbook.create_sheet(name)
        headers = [str(h) for h in frame.columns]
        for col, header in enumerate(headers, start=1):
            sheet.cell(1, col, header).font = bold
            sheet.column_dimensions[get_column_letter(col)].width = max(10, 2.2 * len(header) + 2)
        sheet.freeze_panes = "A2"
        numeric = [pd.api.types.is_float_dtype(frame[c]) for c in frame.columns]
        grade_cols = {k for k, h in enumerate(headers) if h in ("等级", "封顶前等级")}
        for r, values in enumerate(frame.itertuples(index=False), start=2):
            for k, value in enumerate(values):
                if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
                    continue
                cell = sheet.cell(r, k + 1, value.item() if isinstance(value, np.generic)
                                  else value)
                if isinstance(value, str):
                    cell.data_type = "s"
                if numeric[k]:
                    cell.number_format = _TWO_DECIMALS
                if k in grade_cols and value in fills:
                    cell.fill = fills[value]
    workbook.save(path if hasattr(path, "write") else Path(path))


def result_workbook_bytes(result: ProjectScores, tables: Sequence[TargetTable], *,
                          created_by: str = "", created_at: datetime | None = None) -> bytes:
    """The result workbook as bytes, for a download button.

    Parameters
    ----------
    result, tables, created_by, created_at
        As in :func:`write_result_workbook`.

    Returns
    -------
    bytes
        The .xlsx file.

    Notes
    -----
    Built in memory; nothing touches the disk.

    Examples
    --------
    >>> from indicators.model import Project, Target
    >>> from indicators.frameworks import load_builtin
    >>> from scoring.targets import score_target_tables
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 100.0, 2022)
    >>> t = (Target("P1", "A", "养护里程", "产出指标", "数量指标", "≥", 90, 100.0),)
    >>> r = score_target_tables([TargetTable(p, t)], load_builtin("national-target"),
    ...     actuals=pd.DataFrame({"project": ["P1"], "indicator": ["A"], "actual": [50.0]}),
    ...     spending=pd.DataFrame({"project": ["P1"], "spent": [100.0]}))
    >>> result_workbook_bytes(r, [TargetTable(p, t)])[:2]
    b'PK'
    """
    buffer = io.BytesIO()
    write_result_workbook(result, tables, buffer, created_by=created_by, created_at=created_at)
    return buffer.getvalue()

