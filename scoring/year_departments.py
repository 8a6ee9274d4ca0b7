"""Department overall evaluation (部门整体评价) of a budget year, from each department's facts.

:func:`framework_targets` reads the department framework's leaves (投入 / 过程 / 产出 / 效果,
``national-department``) with each target parsed from its reference value ("≥60", "≤10",
"100"); :func:`score_year_departments` lays every department's facts (actual values and
qualitative levels) over those leaves, scores them all at once through
:func:`scoring.department.score_departments` and blends in the department's self-evaluated
projects by amount with the configured share. Departments without facts are listed as not
evaluated, with the reason, rather than stopping the year.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.errors import InputError
from indicators.model import LibraryVersion
from scoring.department import DepartmentScores, score_departments
from scoring.project import ProjectScores

__all__ = ["NO_FACTS", "UNKNOWN_CODES", "INCOMPLETE", "DEPARTMENT_COLUMNS", "YearDepartments",
           "framework_targets", "score_year_departments", "department_table"]

NO_FACTS = "没有部门整体评价事实，未评价 / no department facts, not evaluated"
"""Reason of a unit that has no facts at all."""
UNKNOWN_CODES = "事实表含框架中没有的指标编码，未评分：{codes} / facts name codes not in the framework, not scored: {codes}"
"""Reason of a department whose facts name indicators the framework does not have."""
INCOMPLETE = "{n} 个指标缺少实际值或定性结论，记 0 分 / {n} indicator(s) lack a fact, scored 0"
"""Note on a department scored with some facts missing."""

DEPARTMENT_COLUMNS: tuple[str, ...] = (
    "department", "status", "framework_points", "project_points", "project_amount", "n_projects",
    "project_share", "total", "grade_before_veto", "vetoed", "grade", "n_facts", "n_missing",
    "n_over_achievement", "reason")
"""Columns of :func:`department_table`: one row per unit, scored or not."""

# A reference value: an optional comparison sign, a number, an optional percent or per-mille sign.
_REFERENCE = r"^(?:[≥≤><]=?|=)?\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:%|‰)?$"


@dataclass(frozen=True)
class YearDepartments:
    """The year's department overall evaluation.

    Attributes
    ----------
    scores
        The scored departments (:class:`~scoring.department.DepartmentScores`); None when no
        department could be scored.
    framework
        The framework's ``id@version``.
    project_share
        The configured share of the project points in the total.
    status
        One row per unit of the county and per department with facts: ``department``,
        ``status`` (``scored``, ``incomplete``, ``unscored`` or ``not_evaluated``),
        ``n_facts``, ``n_missing``, ``reason``.
    targets
        The framework's leaves with their parsed targets (:func:`framework_targets`).
    """

    scores: DepartmentScores | None
    framework: str
    project_share: float
    status: pd.DataFrame
    targets: pd.DataFrame

    @property
    def not_evaluated(self) -> pd.DataFrame:
        """The units not scored, or scored with facts missing, and why."""
        return self.status.loc[self.status["status"] != "scored"].reset_index(drop=True)


def framework_targets(framework: LibraryVersion) -> pd.DataFrame:
    """The leaves of a department framework with their targets read from the reference values.

    Parameters
    ----------
    framework
        E.g. ``load_builtin("national-department")``.

    Returns
    -------
    pandas.DataFrame
        One row per leaf in framework order: ``indicator_code``, ``indicator`` (name),
        ``level1``, ``level2`` (names), ``weight``, ``direction``, ``unit``,
        ``reference_value`` and ``target`` (NaN for 定性 leaves).

    Raises
    ------
    InputError
        A quantitative leaf whose reference value is not a number with an optional sign
        (≥, ≤, >, <, =) and percent sign, naming every such leaf and its text.

    Notes
    -----
    Text is NFKC-folded first, so the full-width signs and digits of a Chinese input method
    (＞＝６０％) read as ASCII; "≥60", ">= 60", "60%", "100" all give 60 or 100. The sign
    itself is not used: the leaf's direction decides the rule (DOMAIN.md §3). A qualitative
    leaf ("符合要求") takes its level from the facts and needs no target.

    Examples
    --------
    >>> from indicators.frameworks import load_builtin
    >>> t = framework_targets(load_builtin("national-department")).set_index("indicator_code")
    >>> t.loc[["TR0203", "GC0102", "TR0202", "GC0101"], "target"].tolist()
    [60.0, 10.0, 0.0, 100.0]
    """
    parents = {ind.code: ind for ind in framework.indicators}
    leaves = framework.leaves()
    frame = pd.DataFrame({
        "indicator_code": [leaf.code for leaf in leaves],
        "indicator": [leaf.name for leaf in leaves],
        "level2": [parents[leaf.parent].name if leaf.parent in parents else "" for leaf in leaves],
        "level1": [parents[parents[leaf.parent].parent].name
                   if leaf.parent in parents and parents[leaf.parent].parent in parents else ""
                   for leaf in leaves],
        "weight": [float(leaf.weight or 0.0) for leaf in leaves],
        "direction": [leaf.direction.value if leaf.direction is not None else "" for leaf in leaves],
        "unit": [leaf.unit for leaf in leaves],
        "reference_value": [leaf.reference_value for leaf in leaves],
    })
    text = frame["reference_value"].map(lambda v: unicodedata.normalize("NFKC", str(v))).str.strip()
    # NFKC leaves ≥ and ≤ alone but folds ＞＝ to >=; a signed number is one pattern for all.
    frame["target"] = pd.to_numeric(text.str.extract(_REFERENCE, expand=False), errors="coerce")
    bad = (frame["direction"] != "定性") & frame["target"].isna()
    if bad.any():
        named = frame.loc[bad, ["indicator_code", "indicator", "reference_value"]].to_numpy()
        zh = "、".join(f"{c}（{n}）“{v}”" for c, n, v in named)
        en = ", ".join(f"{c} ({v!r})" for c, _, v in named)
        raise InputError(f"{framework.ref} 中以下指标的参考值不是数字，无法作为目标值：{zh}",
                         f"{framework.ref}: these reference values are not numbers and cannot "
                         f"be targets: {en}", field="reference_value")
    return frame


def score_year_departments(facts: pd.DataFrame | None, *, framework: LibraryVersion,
                           units: Iterable[str], projects: pd.DataFrame | None = None,
                           project_scores: ProjectScores | None = None,
                           project_share: float = 0.0, bands: str = "national",
                           veto_on_missing: bool = False, veto_cap: str = "中"
                           ) -> YearDepartments:
    """Score every department that has facts on the department framework, blending its projects.

    Parameters
    ----------
    facts
        ``department``, ``indicator_code``, ``actual`` (quantitative leaves) and ``level``
        (定性 leaves: 达成 / 部分达成 / 未达成); None or empty when none were gathered.
    framework
        The department framework (``kind: department``).
    units
        The county's units (departments and townships), listed as not evaluated when they
        have no facts.
    projects
        ``project``, ``department``, ``amount``: which projects each department ran.
    project_scores
        The year's self-evaluation scores; projects not in it are not blended in.
    project_share
        Share of the total taken from the department's projects, in [0, 1].
    bands, veto_on_missing, veto_cap
        Band table, and whether a department lacking a fact has its grade capped at
        ``veto_cap``.

    Returns
    -------
    YearDepartments
        The scores, the framework and share used, and each unit's status with its reason.

    Raises
    ------
    InputError
        A missing column in ``facts``, an unparsable reference value
        (:func:`framework_targets`), a bad level or share.

    Notes
    -----
    Rows are (department × leaf): a missing fact scores 0 and is counted (DOMAIN.md §3: a
    missing actual never earns full points). Leaf points follow DOMAIN.md §3; the total is
    (1 − s)·F + s·Σ aᵢTᵢ/Σ aᵢ (:func:`scoring.department.score_departments`), with the
    department's self-evaluated projects i of amount aᵢ and unrounded total Tᵢ. A department
    whose facts name a code the framework lacks is not scored: the typo would otherwise cost
    it the points of the indicator it meant.

    Examples
    --------
    >>> from indicators.frameworks import load_builtin
    >>> fw = load_builtin("national-department")
    >>> t = framework_targets(fw)
    >>> facts = pd.DataFrame({"department": "甲", "indicator_code": t["indicator_code"],
    ...     "actual": t["target"], "level": np.where(t["direction"] == "定性", "达成", None)})
    >>> r = score_year_departments(facts, framework=fw, units=["甲", "乙"])
    >>> r.scores.totals[["department", "total", "grade"]].values.tolist()
    [['甲', 96.3, '优']]
    >>> r.not_evaluated[["department", "status"]].values.tolist()
    [['乙', 'not_evaluated']]
    """
    targets = framework_targets(framework)
    if facts is None:
        facts = pd.DataFrame({"department": [], "indicator_code": [], "actual": [], "level": []})
    lacking = [c for c in ("department", "indicator_code") if c not in facts]
    if lacking:
        raise InputError(f"部门整体评价事实表缺少列：{'、'.join(lacking)}",
                         f"the department facts lack column(s): {', '.join(lacking)}",
                         column=lacking[0])
    facts = facts.assign(department=facts["department"].astype(str),
                         indicator_code=facts["indicator_code"].astype(str))
    for column in ("actual", "level"):
        if column not in facts:
            facts = facts.assign(**{column: np.nan})
    known = facts["indicator_code"].isin(targets["indicator_code"])
    unknown = (facts.loc[~known].drop_duplicates(["department", "indicator_code"])
               .groupby("department", sort=False)["indicator_code"].agg("、".join))
    n_facts = facts.groupby("department", sort=False).size()
    scored_ids = n_facts.index[~n_facts.index.isin(unknown.index)]
    grid = pd.MultiIndex.from_product([scored_ids, targets["indicator_code"]],
                                      names=["department", "indicator_code"]).to_frame(index=False)
    rows = grid.merge(targets, on="indicator_code", how="left").merge(
        facts.loc[known, ["department", "indicator_code", "actual", "level"]]
        .drop_duplicates(["department", "indicator_code"], keep="last"),
        on=["department", "indicator_code"], how="left")
    scores = None
    if len(rows):
        level = rows["level"].astype(object)
        rows = pd.DataFrame({
            "department": rows["department"], "indicator": rows["indicator_code"],
            "level1": rows["level1"], "level2": rows["level2"], "weight": rows["weight"],
            "direction": rows["direction"], "target": rows["target"].astype(float),
            "actual": pd.to_numeric(rows["actual"], errors="coerce").astype(float),
            "qualitative_level": level.where(level.notna() & (rows["direction"] == "定性"), "")
            .astype(str),
        })
        links = None
        if project_share > 0 and projects is not None and project_scores is not None:
            scored_projects = projects["project"].isin(project_scores.totals["project"])
            links = projects.loc[scored_projects & projects["department"].isin(scored_ids),
                                 ["department", "project", "amount"]]
        share = project_share if links is not None and len(links) else 0.0
        scores = score_departments(
            rows, library_version=framework.ref,
            weight_set=f"{framework.ref} (框架权重 / framework weights)",
            projects=project_scores if share > 0 else None, links=links if share > 0 else None,
            project_share=share, bands=bands, veto_on_missing=veto_on_missing, veto_cap=veto_cap)
    status = _status(units, n_facts, unknown, scores)
    return YearDepartments(scores=scores, framework=framework.ref,
                           project_share=float(project_share), status=status, targets=targets)


def _status(units: Iterable[str], n_facts: pd.Series, unknown: pd.Series,
            scores: DepartmentScores | None) -> pd.DataFrame:
    """Each unit's evaluation status: scored, scored with facts missing, unscored, not evaluated."""
    names = pd.Index(pd.unique(pd.Series([*map(str, units), *n_facts.index], dtype=object)))
    missing = (pd.Series(dtype=float) if scores is None
               else scores.totals.set_index("department")["n_missing"])
    n_missing = missing.reindex(names).fillna(0).astype(int).to_numpy()
    has_facts = names.isin(n_facts.index)
    bad = names.isin(unknown.index)
    state = np.select([~has_facts, bad, n_missing > 0], ["not_evaluated", "unscored", "incomplete"],
                      default="scored")
    reason = np.select(
        [~has_facts, bad, n_missing > 0],
        [NO_FACTS,
         pd.Series(unknown.reindex(names).fillna("").to_numpy()).map(
             lambda c: UNKNOWN_CODES.format(codes=c)).to_numpy(dtype=object),
         pd.Series(n_missing).map(lambda n: INCOMPLETE.format(n=n)).to_numpy(dtype=object)],
        default="")
    return pd.DataFrame({"department": names, "status": state,
                         "n_facts": n_facts.reindex(names).fillna(0).astype(int).to_numpy(),
                         "n_missing": n_missing, "reason": reason})


def department_table(departments: YearDepartments | None) -> pd.DataFrame:
    """One row per unit: its points, grade and veto when scored, its status and reason always.

    Parameters
    ----------
    departments
        A year's department evaluation; None gives an empty table.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`DEPARTMENT_COLUMNS`, scored departments first (by total,
        highest first), then the others by name.

    Notes
    -----
    The table a year run stores and the dashboard and workbook show: ``framework_points`` F,
    ``project_points`` (Σ aᵢTᵢ/Σ aᵢ), ``project_share`` s actually applied, ``total`` =
    (1 − s)·F + s·project points rounded half up to 2 decimals, ``grade`` after any veto.

    Examples
    --------
    >>> department_table(None).columns[:3].tolist()
    ['department', 'status', 'framework_points']
    """
    if departments is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DEPARTMENT_COLUMNS})
    table = departments.status
    if departments.scores is not None:
        table = table.merge(departments.scores.totals.drop(columns=["n_missing"]),
                            on="department", how="left")
    table = table.reindex(columns=list(DEPARTMENT_COLUMNS))
    # Unscored units sort after every scored one, whatever their (missing) total.
    order = np.lexsort((table["department"].to_numpy(dtype=str),
                        -table["total"].fillna(-np.inf).to_numpy(dtype=float)))
    return table.iloc[order].reset_index(drop=True)
