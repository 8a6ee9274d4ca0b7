"""Public disclosure (信息公开): targets and evaluation results as clean tables a portal can post.

A bureau publishes project targets, self-evaluation results and key-evaluation results. The
tables here are built from a whitelist of columns, so reviewer names, comments, scores of single
raters and anything else not listed never reach them; every text cell is also scanned for
personal data (mainland ID numbers, mobile numbers, e-mail addresses), which is refused with
its row and column named, or masked on request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.project import round_half_up

__all__ = ["DisclosureTables", "scan_personal_data", "disclosure_tables"]

# Project facts every public table starts with: English input column → public header.
_PROJECT = {"project": "项目编码", "name": "项目名称", "department": "主管部门",
            "budget_type": "预算类型"}
_TARGET = {"level1": "一级指标", "level2": "二级指标", "indicator": "三级指标",
           "direction": "指标方向", "target": "指标值", "unit": "计量单位", "weight": "分值"}
_SELF = {"budget": "预算数(元)", "spent": "执行数(元)", "execution_rate": "预算执行率(%)",
         "total": "自评得分", "grade": "评价等级"}
_KEY = {"total": "评价得分", "grade": "评价等级"}

_PERSONAL = re.compile(
    r"(?<!\d)\d{17}[\dXx](?![\dXx])"          # 18-digit resident ID number
    r"|(?<!\d)1[3-9]\d{9}(?!\d)"              # mainland mobile number
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")         # e-mail address


@dataclass(frozen=True)
class DisclosureTables:
    """The three public tables, with Chinese headers.

    Attributes
    ----------
    targets, self_evaluation, key_evaluation
        绩效目标, 单位自评结果 and 财政重点评价结果.
    """

    targets: pd.DataFrame
    self_evaluation: pd.DataFrame
    key_evaluation: pd.DataFrame

    def sheets(self) -> list[tuple[str, pd.DataFrame]]:
        """(sheet name, table) pairs in publishing order."""
        return [("公开_绩效目标", self.targets), ("公开_单位自评结果", self.self_evaluation),
                ("公开_重点评价结果", self.key_evaluation)]


def scan_personal_data(table: pd.DataFrame, *, mask: bool = False) -> pd.DataFrame:
    """Refuse (or mask) personal data in the text cells of a table about to be published.

    Parameters
    ----------
    table
        The table, headers as published.
    mask
        Replace each match by ``***`` instead of refusing the table.

    Returns
    -------
    pandas.DataFrame
        The table (a copy when masked).

    Raises
    ------
    InputError
        A cell holding an ID number, mobile number or e-mail address, naming its row (1-based,
        below the header) and column, unless ``mask``.

    Notes
    -----
    Patterns: 18-character resident ID numbers (GB 11643-1999), 11-digit mobile numbers
    beginning 13–19, and e-mail addresses. Publishing such data is barred by the Personal
    Information Protection Law (个人信息保护法, 2021).

    Examples
    --------
    >>> scan_personal_data(pd.DataFrame({"项目名称": ["联系人 13812345678"]}), mask=True).iat[0, 0]
    '联系人 ***'
    """
    out = table.copy() if mask else table
    for column in table.columns:
        if not (pd.api.types.is_object_dtype(table[column])
                or pd.api.types.is_string_dtype(table[column])):
            continue
        text = table[column].fillna("").astype(str)
        hit = text.str.contains(_PERSONAL, regex=True).to_numpy()
        if not hit.any():
            continue
        if mask:
            out[column] = table[column].where(~hit, text.str.replace(_PERSONAL, "***", regex=True))
            continue
        i = int(np.flatnonzero(hit)[0])
        raise InputError("公开表格中含有个人信息（身份证号、手机号或电子邮箱）",
                         "a public table holds personal data (ID number, mobile or e-mail)",
                         row=i + 1, column=str(column))
    return out


def _pick(frame: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    present = [k for k in mapping if k in frame]
    return frame[present].rename(columns=mapping)


def _with_projects(frame: pd.DataFrame, projects: pd.DataFrame, body: dict[str, str]
                   ) -> pd.DataFrame:
    facts = projects[[k for k in _PROJECT if k in projects]].drop_duplicates("project")
    joined = frame.merge(facts, on="project", how="left", suffixes=("", "_project"))
    return _pick(joined, {**_PROJECT, **body})


def disclosure_tables(
    projects: pd.DataFrame,
    targets: pd.DataFrame,
    self_evaluation: pd.DataFrame,
    key_evaluation: pd.DataFrame | None = None,
    *,
    mask_personal_data: bool = False,
) -> DisclosureTables:
    """Build the public tables of targets, self-evaluation and key-evaluation results.

    Parameters
    ----------
    projects
        ``project`` and optionally ``name``, ``department``, ``budget_type``.
    targets
        ``project``, ``level1``, ``level2``, ``indicator`` (三级 name), ``direction``, ``target``,
        ``unit``, ``weight``; other columns are left out.
    self_evaluation
        ``project``, ``budget``, ``spent``, ``execution_rate`` (share), ``total``, ``grade``
        (e.g. :attr:`scoring.project.ProjectScores.totals` with the budgets).
    key_evaluation
        ``project``, ``total``, ``grade`` of the key evaluations (panel results); reviewer-level
        columns are never read.
    mask_personal_data
        Mask personal data instead of refusing the tables.

    Returns
    -------
    DisclosureTables
        The three tables with Chinese headers, amounts and scores to two decimals.

    Raises
    ------
    InputError
        A missing ``project`` column, or personal data found (see :func:`scan_personal_data`).

    Notes
    -----
    The reference county publishes "绩效目标、单位自评结果、财政重点评价结果" on department and
    finance portals (开江县, 2021). Only whitelisted columns are copied, so comments and reviewer
    names cannot leak whatever the input holds.

    Examples
    --------
    >>> projects = pd.DataFrame({"project": ["P1"], "name": ["道路维修"], "department": ["交通局"]})
    >>> se = pd.DataFrame({"project": ["P1"], "budget": [1e6], "spent": [9.5e5],
    ...                    "execution_rate": [0.95], "total": [91.234], "grade": ["优"],
    ...                    "reviewer": ["张三"], "comment": ["很好"]})
    >>> tables = disclosure_tables(projects, pd.DataFrame({"project": []}), se)
    >>> tables.self_evaluation.columns.tolist()
    ['项目编码', '项目名称', '主管部门', '预算数(元)', '执行数(元)', '预算执行率(%)', '自评得分', '评价等级']
    >>> tables.self_evaluation["自评得分"].tolist()
    [91.23]
    """
    for name, frame in (("projects", projects), ("targets", targets),
                        ("self_evaluation", self_evaluation), ("key_evaluation", key_evaluation)):
        if frame is not None and "project" not in frame:
            raise InputError(f"{name} 缺少列 project", f"{name} lacks the column 'project'",
                             column="project", field=name)
    public_targets = _with_projects(targets, projects, _TARGET)
    se = self_evaluation.copy()
    if "execution_rate" in se:
        se["execution_rate"] = round_half_up(se["execution_rate"].to_numpy(dtype=float) * 100, 2)
    for column in ("budget", "spent", "total"):
        if column in se:
            se[column] = round_half_up(se[column].to_numpy(dtype=float), 2)
    public_self = _with_projects(se, projects, _SELF)
    key = (key_evaluation if key_evaluation is not None
           else pd.DataFrame({"project": pd.Series(dtype=object), "total": pd.Series(dtype=float),
                              "grade": pd.Series(dtype=object)})).copy()
    if "total" in key:
        key["total"] = round_half_up(key["total"].to_numpy(dtype=float), 2)
    public_key = _with_projects(key, projects, _KEY)
    return DisclosureTables(*(scan_personal_data(t.reset_index(drop=True), mask=mask_personal_data)
                              for t in (public_targets, public_self, public_key)))
