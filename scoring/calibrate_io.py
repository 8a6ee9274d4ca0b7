"""Reading the calibration files: projects' points, the panel's results, weight sets.

Files are ``.xlsx`` (first sheet) or ``.csv`` (UTF-8 or GBK) with Chinese or English headers:

- points: first column the project, then one column per indicator code holding the project's
  achievement share 0–1 (or its points);
- panel: the project column and 总分 / score (0–100) or 等级 / grade; the table
  ``jixiao key-results`` writes (项目编码, 评价得分, …) is one;
- weights: 指标 / indicator, 权重 / weight and optionally 分组 / group (e.g. the 一级
  indicator).

Every problem is an :class:`~indicators.errors.InputError` naming the file, the sheet, the
spreadsheet row (header = row 1) and the column.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from indicators.errors import InputError
from indicators.io_files import read_csv_grid

__all__ = ["read_panel", "read_points", "read_weights"]

_MISSING = {"", "-", "—", "na", "n/a", "nan", "缺", "none", "null"}
_PROJECT = ("项目", "项目编号", "项目编码", "项目名称", "project", "project id")
# 评价得分 is the score header of ``jixiao key-results`` files (closed review rounds' panel scores).
_SCORE = ("总分", "得分", "分数", "评分", "专家组评分", "综合得分", "评价得分", "score", "total")
_GRADE = ("等级", "评级", "评价等级", "grade")
_INDICATOR = ("指标", "指标编码", "指标代码", "indicator", "code")
_WEIGHT = ("权重", "分值", "weight")
_GROUP = ("分组", "一级指标", "上级指标", "group", "level")


def _blank(cell: Any) -> bool:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return True
    return isinstance(cell, str) and cell.strip().lower() in _MISSING


def _text(cell: Any) -> str | None:
    if _blank(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _grid(path: str | Path) -> tuple[list[str], pd.DataFrame, dict[str, Any]]:
    """Header texts, body indexed by spreadsheet row, and where it came from."""
    path = Path(path)
    where: dict[str, Any] = {"file": path.name}
    if not path.is_file():
        raise InputError("找不到文件", "file not found", **where)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            with pd.ExcelFile(path, engine="openpyxl") as book:
                where["sheet"] = book.sheet_names[0]
                rows = pd.read_excel(book, sheet_name=where["sheet"], header=None,
                                     dtype=object).to_numpy(dtype=object).tolist()
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as err:
            raise InputError("无法读取 Excel 文件", f"cannot read the Excel file ({err})",
                             **where) from err
    elif suffix in (".csv", ".txt"):
        rows = [list(r) for r in read_csv_grid(path).rows]
    else:
        raise InputError(f"不支持的文件类型 '{path.suffix}'，请用 .xlsx 或 .csv",
                         f"unsupported file type '{path.suffix}'; use .xlsx or .csv", **where)
    numbered = [(k + 1, list(r)) for k, r in enumerate(rows) if not all(_blank(c) for c in r)]
    if len(numbered) < 2:
        raise InputError("文件没有数据行", "the file has no data rows", **where)
    width = max(len(r) for _, r in numbered)
    header = [_text(c) or "" for c in numbered[0][1] + [None] * (width - len(numbered[0][1]))]
    body = pd.DataFrame([r + [None] * (width - len(r)) for _, r in numbered[1:]],
                        index=[k for k, _ in numbered[1:]], columns=range(width), dtype=object)
    return header, body, where


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {n.lower() for n in names}
    return next((k for k, h in enumerate(header) if h.lower() in wanted), None)


def _ids(cells: pd.Series, column: str, where: dict[str, Any], what: tuple[str, str]) -> pd.Series:
    ids = cells.map(_text)
    if ids.isna().any():
        at = ids.index[ids.isna().to_numpy()][0]
        raise InputError(f"{what[0]}为空", f"{what[1]} is empty", row=int(at), column=column,
                         **where)
    twice = ids.duplicated().to_numpy()
    if twice.any():
        at = ids.index[twice][0]
        raise InputError(f"{what[0]} '{ids[at]}' 重复", f"{what[1]} '{ids[at]}' appears twice",
                         row=int(at), column=column, **where)
    return ids


def _numbers(cells: pd.Series, column: str, where: dict[str, Any]) -> np.ndarray:
    text = cells.map(_text)
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna()
    if bad.any():
        at = values.index[bad.to_numpy()][0]
        raise InputError(f"'{text[at] or ''}' 不是数字", f"'{text[at] or ''}' is not a number",
                         row=int(at), column=column, **where)
    return values.to_numpy(dtype=float)


def read_points(path: str | Path) -> pd.DataFrame:
    """Projects × indicators achievement (or points) from a file.

    Parameters
    ----------
    path
        ``.xlsx`` (first sheet) or ``.csv``: first column the project, one column per indicator.

    Returns
    -------
    pandas.DataFrame
        Numbers, projects as index, indicator codes as columns.

    Raises
    ------
    InputError
        Naming file, sheet, row and column: empty or repeated project or indicator, a cell
        that is not a number.

    Notes
    -----
    Whether values are shares or points is for the caller (``--as-points``).

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
    >>> _ = f.write("项目,A,B\\nP1,0.9,1\\nP2,0.5,0.8\\n"); f.close()
    >>> read_points(f.name).to_dict(); os.unlink(f.name)
    {'A': {'P1': 0.9, 'P2': 0.5}, 'B': {'P1': 1.0, 'P2': 0.8}}
    """
    header, body, where = _grid(path)
    codes = header[1:]
    for k, code in enumerate(codes):
        if not code or code in codes[:k]:
            raise InputError(f"第 {k + 2} 列的指标编码为空或重复",
                             f"indicator code of column {k + 2} is empty or repeated",
                             row=1, column=code or None, **where)
    if not codes:
        raise InputError("除项目列外没有指标列", "no indicator columns after the project column",
                         row=1, **where)
    projects = _ids(body[0], header[0] or "项目", where, ("项目", "project"))
    return pd.DataFrame({code: _numbers(body[k + 1], code, where)
                         for k, code in enumerate(codes)}, index=projects.to_numpy())


def read_panel(path: str | Path) -> pd.Series:
    """The panel's overall score or grade per project.

    Parameters
    ----------
    path
        ``.xlsx`` or ``.csv`` with a project column (项目 / project, else the first) and
        总分 / score or 等级 / grade (else the second column).

    Returns
    -------
    pandas.Series
        Scores as floats, or grades as text, indexed by project.

    Raises
    ------
    InputError
        Naming file, sheet, row and column: empty or repeated project, a score that is
        not a number, a blank grade.

    Notes
    -----
    A score column wins over a grade column when both are present. The file of
    ``jixiao key-results`` (项目编码, 评价得分 and columns saying where each score came from)
    reads as a score file.

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
    >>> _ = f.write("项目,等级\\nP1,优\\nP2,中\\n"); f.close()
    >>> read_panel(f.name).tolist(); os.unlink(f.name)
    ['优', '中']
    """
    header, body, where = _grid(path)
    project = _column(header, _PROJECT)
    project = 0 if project is None else project
    score, grade_col = _column(header, _SCORE), _column(header, _GRADE)
    if score is None and grade_col is None:
        if len(header) < 2:
            raise InputError("缺少总分或等级列", "no score or grade column", row=1, **where)
        score = 1 if project == 0 else 0
    ids = _ids(body[project], header[project] or "项目", where, ("项目", "project"))
    if score is not None:
        return pd.Series(_numbers(body[score], header[score], where), index=ids.to_numpy(),
                         name="score")
    labels = body[grade_col].map(_text)
    if labels.isna().any():
        at = labels.index[labels.isna().to_numpy()][0]
        raise InputError("等级为空", "grade is empty", row=int(at), column=header[grade_col],
                         **where)
    return pd.Series(labels.to_numpy(dtype=object), index=ids.to_numpy(), name="grade")


def read_weights(path: str | Path) -> tuple[pd.Series, pd.Series | None]:
    """Weights by indicator, and each indicator's group if the file has one.

    Parameters
    ----------
    path
        ``.xlsx`` or ``.csv`` with 指标 / indicator, 权重 / weight and optional 分组 / group.

    Returns
    -------
    tuple
        ``(weights, groups)``; ``groups`` is None without a group column.

    Raises
    ------
    InputError
        Naming file, sheet, row and column: missing columns, empty or repeated indicator, a
        weight that is not a number.

    Notes
    -----
    ``jixiao calibrate --out`` writes this layout, so a fitted set can be read
    back as ``--weights``.

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
    >>> _ = f.write("指标,权重\\nA,60\\nB,40\\n"); f.close()
    >>> w, g = read_weights(f.name); os.unlink(f.name)
    >>> w.to_dict(), g
    ({'A': 60.0, 'B': 40.0}, None)
    """
    header, body, where = _grid(path)
    code, weight = _column(header, _INDICATOR), _column(header, _WEIGHT)
    if code is None or weight is None:
        raise InputError("权重文件需要“指标”和“权重”两列",
                         "a weights file needs 指标 / indicator and 权重 / weight columns",
                         row=1, **where)
    codes = _ids(body[code], header[code], where, ("指标", "indicator"))
    weights = pd.Series(_numbers(body[weight], header[weight], where), index=codes.to_numpy(),
                        name="weight")
    group = _column(header, _GROUP)
    groups = None
    if group is not None:
        groups = pd.Series(body[group].map(_text).to_numpy(dtype=object), index=codes.to_numpy(),
                           name="group")
    return weights, groups
