"""Delphi round workbooks in, paper tables and feedback sheets out (Excel).

A round workbook holds a ratings sheet and, optionally, an expert sheet and an indicator
sheet; headers may be Chinese or English. Every problem is an
:class:`~indicators.errors.InputError` naming the file, the sheet, the spreadsheet row
(header = row 1) and the column.

Ratings sheet (``评分`` / ``ratings``, else the first sheet), either layout:

- wide: first column the expert, then one column per indicator code, one row per expert
  invited (a blank row is an expert who did not respond);
- long: columns 专家 / expert, 指标 / indicator and 评分 / score, one rating per row.

Expert sheet (``专家`` / ``experts``): 专家 / expert, the four judgment bases (理论分析,
实践经验, 参考国内外文献, 直觉, each 大/中/小), 熟悉程度 / familiarity, and any descriptive
columns (性别, 职称, 工作年限, …) for the panel table.

Indicator sheet (``指标`` / ``indicators``): 指标 / code, optional 指标名称 / name and
一级指标 / 层级 / group for per-level Kendall's W.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from indicators.cli import display_width
from indicators.errors import InputError
from indicators.io_files import read_csv_grid
from review.delphi_authority import (
    AuthorityTable,
    authority_coefficients,
    authority_table,
    canonical_words,
)
from review.delphi_screen import Feedback

__all__ = ["RoundWorkbook", "read_round_workbook", "write_feedback", "write_paper_tables"]

_SHEETS = {
    "ratings": ("评分", "评分表", "重要性评分", "ratings", "scores"),
    "experts": ("专家", "专家信息", "专家情况", "专家基本情况", "experts"),
    "indicators": ("指标", "指标体系", "指标表", "indicators"),
}
_COLUMNS = {
    "expert": ("专家", "专家编号", "专家姓名", "专家代码", "expert", "expert id"),
    "indicator": ("指标", "指标编码", "指标代码", "指标编号", "indicator", "code"),
    "score": ("评分", "得分", "分数", "重要性", "重要性评分", "score", "rating"),
    "name": ("指标名称", "名称", "name"),
    "group": ("一级指标", "所属层级", "层级", "分组", "上级指标", "group", "level", "parent"),
    "familiarity": ("熟悉程度", "熟悉", "familiarity"),
}
_MISSING = {"", "-", "—", "na", "n/a", "nan", "缺", "none", "null"}


@dataclass(frozen=True)
class RoundWorkbook:
    """What a round workbook holds, checked and ready for :func:`review.delphi.round_statistics`.

    Attributes
    ----------
    ratings
        Experts × indicators, NaN where blank; every expert listed, responding or not.
    basis, familiarity
        Judgment-basis answers (experts × bases) and familiarity (expert → answer), or None.
    profile
        Descriptive columns of the expert sheet, or None.
    names, groups
        Indicator code → name and → group (empty when there is no indicator sheet).
    file
        The file's name.
    """

    ratings: pd.DataFrame
    basis: pd.DataFrame | None
    familiarity: pd.Series | None
    profile: pd.DataFrame | None
    names: Mapping[str, str]
    groups: Mapping[str, str]
    file: str


def _missing(cell: Any) -> bool:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return True
    return isinstance(cell, str) and cell.strip().lower() in _MISSING


def _text(cell: Any) -> str | None:
    if _missing(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet as rows of raw cells (a CSV file is one sheet called 评分)."""
    name = path.name
    if not path.is_file():
        raise InputError("找不到文件", "file not found", file=name)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            with pd.ExcelFile(path, engine="openpyxl") as book:
                return {str(s): pd.read_excel(book, sheet_name=s, header=None, dtype=object)
                        .to_numpy(dtype=object).tolist() for s in book.sheet_names}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as err:
            raise InputError("无法读取 Excel 文件", f"cannot read the Excel file ({err})",
                             file=name) from err
    if suffix in (".csv", ".txt"):
        return {"评分": [list(r) for r in read_csv_grid(path).rows]}
    raise InputError(f"不支持的文件类型 '{path.suffix}'，请用 .xlsx 或 .csv",
                     f"unsupported file type '{path.suffix}'; use .xlsx or .csv", file=name)


def _pick_sheet(sheets: Mapping[str, Any], role: str) -> str | None:
    wanted = {w.lower() for w in _SHEETS[role]}
    return next((s for s in sheets if s.strip().lower() in wanted), None)


def _table(rows: list[list[Any]], where: dict[str, Any]) -> tuple[list[str], pd.DataFrame]:
    """Header texts and body (spreadsheet row numbers as index) of a sheet."""
    numbered = [(k + 1, r) for k, r in enumerate(rows) if not all(_missing(c) for c in r)]
    if not numbered:
        raise InputError("工作表是空的", "the sheet is empty", **where)
    width = max(len(r) for _, r in numbered)
    header_row, header = numbered[0]
    header = [_text(c) or "" for c in list(header) + [None] * (width - len(header))]
    body = pd.DataFrame([list(r) + [None] * (width - len(r)) for _, r in numbered[1:]],
                        index=[k for k, _ in numbered[1:]], columns=range(width), dtype=object)
    if body.empty:
        raise InputError("工作表只有表头", "the sheet has a header but no rows",
                         row=header_row, **where)
    return header, body


def _find(header: list[str], role: str) -> int | None:
    wanted = {w.lower() for w in _COLUMNS[role]}
    return next((k for k, h in enumerate(header) if h.strip().lower() in wanted), None)


def _numbers(cells: pd.Series, column: str, scale: tuple[float, float],
             where: dict[str, Any]) -> pd.Series:
    text = cells.map(_text)
    values = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (values.isna() | (values < scale[0]) | (values > scale[1]))
    if bad.any():
        at = bad.index[bad.to_numpy()][0]
        raise InputError(f"评分 {text[at]!r} 不是 {scale[0]:g}–{scale[1]:g} 之间的数字",
                         f"rating {text[at]!r} is not a number from {scale[0]:g} to "
                         f"{scale[1]:g}", row=int(at), column=column, **where)
    return values.astype(float)


def _ids(cells: pd.Series, column: str, what: tuple[str, str], where: dict[str, Any],
         unique: bool = True) -> pd.Series:
    ids = cells.map(_text)
    if ids.isna().any():
        at = ids.index[ids.isna().to_numpy()][0]
        raise InputError(f"{what[0]}为空", f"{what[1]} is empty", row=int(at), column=column,
                         **where)
    repeated = ids.duplicated().to_numpy()
    if unique and repeated.any():
        at = ids.index[repeated][0]
        raise InputError(f"{what[0]} '{ids[at]}' 重复", f"{what[1]} '{ids[at]}' appears twice",
                         row=int(at), column=column, **where)
    return ids


def _ratings(rows: list[list[Any]], scale: tuple[float, float],
             where: dict[str, Any]) -> pd.DataFrame:
    header, body = _table(rows, where)
    expert, indicator, score = (_find(header, r) for r in ("expert", "indicator", "score"))
    if None not in (expert, indicator, score):
        experts = _ids(body[expert], header[expert], ("专家", "expert"), where, unique=False)
        codes = _ids(body[indicator], header[indicator], ("指标", "indicator"), where,
                     unique=False)
        values = _numbers(body[score], header[score], scale, where)
        pairs = pd.DataFrame({"expert": experts, "indicator": codes, "score": values})
        twice = pairs.duplicated(["expert", "indicator"]).to_numpy()
        if twice.any():
            at = pairs.index[twice][0]
            raise InputError(f"专家 {experts[at]} 对指标 {codes[at]} 评分两次",
                             f"expert {experts[at]} rated indicator {codes[at]} twice",
                             row=int(at), column=header[score], **where)
        wide = pairs.pivot(index="expert", columns="indicator", values="score")
        return wide.reindex(index=pd.unique(experts), columns=pd.unique(codes))
    codes = header[1:]
    for k, code in enumerate(codes):
        if not code:
            raise InputError(f"第 {k + 2} 列没有指标编码", f"column {k + 2} has no indicator code",
                             row=1, **where)
        if code in codes[:k]:
            raise InputError(f"指标 '{code}' 重复", f"indicator '{code}' appears twice", row=1,
                             column=code, **where)
    if not codes:
        raise InputError("除专家列外没有指标列", "no indicator columns after the expert column",
                         row=1, **where)
    experts = _ids(body[0], header[0] or "专家", ("专家", "expert"), where)
    wide = pd.DataFrame({code: _numbers(body[k + 1], code, scale, where).to_numpy()
                         for k, code in enumerate(codes)}, index=experts.to_numpy())
    return wide.rename_axis(index=None)


def _experts(rows: list[list[Any]], spec: AuthorityTable, where: dict[str, Any]
             ) -> tuple[pd.DataFrame | None, pd.Series | None, pd.DataFrame | None]:
    header, body = _table(rows, where)
    expert = _find(header, "expert")
    if expert is None:
        raise InputError("专家表缺少“专家”列", "the expert sheet has no 专家 / expert column",
                         row=1, **where)
    ids = _ids(body[expert], header[expert], ("专家", "expert"), where)
    bases = canonical_words("basis", spec.basis)
    basis_cols = [k for k, h in enumerate(header) if h.strip().lower() in bases]
    fam = _find(header, "familiarity")
    used = {expert, *basis_cols, *([fam] if fam is not None else [])}
    other = [k for k, h in enumerate(header) if k not in used and h]
    basis = familiarity = None
    if basis_cols or fam is not None:
        basis = pd.DataFrame({header[k]: body[k].map(_text).to_numpy() for k in basis_cols},
                             index=ids.to_numpy())
        fam_cells = body[fam].map(_text) if fam is not None else pd.Series(None, index=body.index)
        familiarity = pd.Series(fam_cells.to_numpy(), index=ids.to_numpy(), dtype=object)
        try:
            authority_coefficients(basis, familiarity, table=spec)
        except InputError as err:
            row = None if err.location.row is None else int(body.index[err.location.row - 1])
            raise InputError(err.zh, err.en, row=row, column=err.location.column or "熟悉程度",
                             **where) from err
    profile = pd.DataFrame({header[k]: body[k].map(_text).to_numpy() for k in other},
                           index=ids.to_numpy()) if other else None
    return basis, familiarity, profile


def read_round_workbook(path: str | Path, *, scale: tuple[float, float] = (1, 5),
                        authority: str | AuthorityTable | None = None) -> RoundWorkbook:
    """Read and check a Delphi round workbook (layout in the module docstring).

    Parameters
    ----------
    path
        ``.xlsx`` (or a ``.csv`` holding only the ratings, UTF-8 or GBK).
    scale
        Rating scale; ratings outside it are refused.
    authority
        The authority table the expert sheet's answers must fit.

    Returns
    -------
    RoundWorkbook
        Ratings, authority answers, panel profile, indicator names and groups.

    Raises
    ------
    InputError
        Naming file, sheet, row and column: unreadable file, missing or repeated expert or
        indicator, a rating not on the scale, an unknown basis or familiarity answer, an
        indicator sheet code with no ratings column.

    Notes
    -----
    Sheets and columns are found by their Chinese or English names (case-insensitive); see
    the module docstring for the names accepted.

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
    >>> _ = f.write("专家,A1,A2\\n张,5,4\\n王,4,\\n"); f.close()
    >>> book = read_round_workbook(f.name); os.unlink(f.name)
    >>> book.ratings.to_dict()
    {'A1': {'张': 5.0, '王': 4.0}, 'A2': {'张': 4.0, '王': nan}}
    """
    path = Path(path)
    sheets = _sheets(path)
    spec = authority if isinstance(authority, AuthorityTable) else authority_table(authority)
    rating_sheet = _pick_sheet(sheets, "ratings") or next(iter(sheets))
    ratings = _ratings(sheets[rating_sheet], scale, {"file": path.name, "sheet": rating_sheet})
    basis = familiarity = profile = None
    expert_sheet = _pick_sheet(sheets, "experts")
    if expert_sheet is not None and expert_sheet != rating_sheet:
        basis, familiarity, profile = _experts(sheets[expert_sheet], spec,
                                               {"file": path.name, "sheet": expert_sheet})
    names: dict[str, str] = {}
    groups: dict[str, str] = {}
    indicator_sheet = _pick_sheet(sheets, "indicators")
    if indicator_sheet is not None and indicator_sheet != rating_sheet:
        where = {"file": path.name, "sheet": indicator_sheet}
        header, body = _table(sheets[indicator_sheet], where)
        code = _find(header, "indicator")
        if code is None:
            raise InputError("指标表缺少“指标”列", "the indicator sheet has no 指标 / code column",
                             row=1, **where)
        codes = _ids(body[code], header[code], ("指标", "indicator"), where)
        stray = ~codes.isin(ratings.columns)
        if stray.any():
            at = codes.index[stray.to_numpy()][0]
            raise InputError(f"指标 {codes[at]} 在评分表中没有对应的列",
                             f"indicator {codes[at]} has no column in the ratings sheet",
                             row=int(at), column=header[code], **where)
        for role, target in (("name", names), ("group", groups)):
            k = _find(header, role)
            if k is not None:
                values = body[k].map(_text)
                target.update({c: v for c, v in zip(codes, values, strict=True) if v})
    return RoundWorkbook(ratings=ratings, basis=basis, familiarity=familiarity, profile=profile,
                         names=names, groups=groups, file=path.name)


def _write_sheets(frames: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    target = Path(path)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for title, frame in frames.items():
            sheet = title[:31]  # Excel's limit on sheet names
            frame.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for k, column in enumerate(frame.columns, start=1):
                cells = frame[column].astype(object).where(frame[column].notna(), "")
                longest = max([display_width(str(column)),
                               *(display_width(str(v)) for v in cells.head(500))])
                ws.column_dimensions[get_column_letter(k)].width = min(60, longest + 2)
    return target


def write_paper_tables(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write :func:`review.delphi_screen.paper_tables` to an Excel file, one sheet per table.

    Parameters
    ----------
    tables
        Title → table, in the order the sheets should appear.
    path
        The ``.xlsx`` file to write (overwritten).

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    Headers frozen and columns sized to their content (Chinese characters count double), so
    the sheets can be pasted into a manuscript as they are.

    Examples
    --------
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "t.xlsx")
    >>> write_paper_tables({"积极系数": pd.DataFrame({"轮次": ["第1轮"]})}, out).name
    't.xlsx'
    """
    if not tables:
        raise InputError("没有可写出的表", "no tables to write", field="tables")
    return _write_sheets(tables, path)


def write_feedback(feedback: Feedback, path: str | Path) -> Path:
    """Write the between-round feedback: the group's summary and each expert's own ratings.

    Parameters
    ----------
    feedback
        From :func:`review.delphi_screen.group_feedback`.
    path
        The ``.xlsx`` file to write.

    Returns
    -------
    pathlib.Path
        The file written, with sheets 组内反馈 and 专家反馈.

    Notes
    -----
    The expert sheet is long (one row per expert and indicator) so it can be filtered to one
    expert and mailed with the next round's questionnaire.

    Examples
    --------
    >>> import tempfile, os
    >>> from review.delphi_screen import group_feedback
    >>> fb = group_feedback(pd.DataFrame({"A1": [5, 3], "A2": [4, 4]}))
    >>> write_feedback(fb, os.path.join(tempfile.mkdtemp(), "fb.xlsx")).suffix
    '.xlsx'
    """
    group = feedback.group.rename(columns={
        "n": "评分人数", "mean": "均值", "sd": "标准差", "median": "中位数",
        "full_score_ratio": "满分比"}).round(3).rename_axis("指标").reset_index()
    mine = feedback.by_expert.rename(columns={
        "expert": "专家", "indicator": "指标", "own_rating": "本人评分", "group_mean": "组均值",
        "group_median": "组中位数", "group_sd": "组标准差", "difference": "与均值之差"})
    return _write_sheets({"组内反馈": group, "专家反馈": mine.round(3)}, path)
