"""The tables a bureau reads from a scoring run: per project, per indicator, per department.

Pure pandas over a :class:`~scoring.project.ProjectScores` and the projects' metadata
(:func:`scoring.targets.project_frame`); no files and no pages. :mod:`scoring.io` writes these
tables to the result workbook with Chinese headers, :mod:`scoring.ui` shows them, and
:mod:`scoring.store` keeps the same columns, so all three say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.project import ProjectScores

__all__ = [
    "GRADE_CHART_COLOURS",
    "grade_count_chart",
    "grade_stack_chart",
    "row_bar_chart",
    "INDICATOR_RESULT_COLUMNS",
    "PROJECT_RESULT_COLUMNS",
    "grade_counts",
    "indicator_results",
    "level_subtotals",
    "project_results",
    "summary_by",
    "best_grades_order",
]

PROJECT_RESULT_COLUMNS: tuple[str, ...] = (
    "project", "name", "department", "budget_type", "amount", "execution_rate",
    "budget_points", "indicator_points", "total", "grade", "grade_before_veto", "vetoed",
    "n_missing", "n_over_achievement",
)
"""Columns of :func:`project_results` before the 一级 subtotal columns."""

INDICATOR_RESULT_COLUMNS: tuple[str, ...] = (
    "project", "level1", "level2", "name", "indicator", "direction", "target", "target_text",
    "unit", "actual", "qualitative_level", "weight", "points", "missing", "over_achievement",
    "reason",
)
"""Columns of :func:`indicator_results`."""


def level_subtotals(result: ProjectScores) -> pd.DataFrame:
    """一级 and 二级 subtotals of every project, with their parent, as a plain table.

    Parameters
    ----------
    result
        A scoring result.

    Returns
    -------
    pandas.DataFrame
        Columns ``project``, ``level`` (1 or 2), ``code`` (the indicator's name as the target
        tables write it), ``parent`` (the 一级 of a 二级 row, else empty), ``points``,
        ``max_points``; codes as text rather than categories.

    Notes
    -----
    The kernel keeps codes as pandas categories to group fast; a report wants text.

    Examples
    --------
    >>> from scoring.project import score_projects
    >>> r = score_projects({"project": ["P1"], "indicator": ["a"], "level2": ["数量指标"],
    ...                     "level1": ["产出指标"], "weight": [100], "direction": ["≥"],
    ...                     "target": [10], "actual": [5]}, library_version="v", weight_set="w",
    ...                    budget_weight=0)
    >>> level_subtotals(r)[["level", "code", "points"]].values.tolist()
    [[1, '产出指标', 50.0], [2, '数量指标', 50.0]]
    """
    sub = result.subtotals
    return pd.DataFrame({
        "project": sub["project"].astype(object).to_numpy(),
        "level": sub["level"].to_numpy(dtype=int),
        "code": sub["code"].astype(object).to_numpy(),
        "parent": sub["parent"].astype(object).where(sub["parent"].notna(), "").to_numpy(),
        "points": sub["points"].to_numpy(dtype=float),
        "max_points": sub["max_points"].to_numpy(dtype=float),
    })


def project_results(result: ProjectScores, projects: pd.DataFrame) -> pd.DataFrame:
    """One row per scored project: who runs it, budget execution, points, total, grade, 一级 subtotals.

    Parameters
    ----------
    result
        A scoring result.
    projects
        :func:`scoring.targets.project_frame` of the same projects.

    Returns
    -------
    pandas.DataFrame
        :data:`PROJECT_RESULT_COLUMNS`, then one column per 一级 indicator (its name) holding
        the project's subtotal (NaN where the project has no such 一级), in the kernel's
        project order.

    Raises
    ------
    InputError
        A scored project missing from ``projects``.

    Notes
    -----
    Totals are the kernel's, rounded half up to two decimals once (DOMAIN.md §3); subtotals
    are left unrounded so that a reader summing them meets the total.

    Examples
    --------
    >>> from scoring.project import score_projects
    >>> r = score_projects({"project": ["P1"], "indicator": ["a"], "level2": ["数量指标"],
    ...                     "level1": ["产出指标"], "weight": [100], "direction": ["≥"],
    ...                     "target": [10], "actual": [9]}, library_version="v", weight_set="w",
    ...                    budget_weight=0)
    >>> meta = pd.DataFrame({"project": ["P1"], "name": ["道路"], "department": ["交通局"],
    ...                      "budget_type": ["一般公共预算"], "amount": [1e6]})
    >>> project_results(r, meta)[["project", "total", "grade", "产出指标"]].values.tolist()
    [['P1', 90.0, '优', 90.0]]
    """
    totals = result.totals
    at = pd.Index(projects["project"]).get_indexer(totals["project"])
    if (at < 0).any():
        missing = totals["project"].to_numpy()[at < 0][0]
        raise InputError(f"评分结果中的项目 {missing} 没有项目信息",
                         f"scored project {missing} has no project record", field="project")
    out = pd.DataFrame({
        "project": totals["project"].astype(object).to_numpy(),
        "name": projects["name"].to_numpy(dtype=object)[at],
        "department": projects["department"].to_numpy(dtype=object)[at],
        "budget_type": projects["budget_type"].to_numpy(dtype=object)[at],
        "amount": projects["amount"].to_numpy(dtype=float)[at],
        "execution_rate": totals["execution_rate"].to_numpy(dtype=float),
        "budget_points": totals["budget_points"].to_numpy(dtype=float),
        "indicator_points": totals["indicator_points"].to_numpy(dtype=float),
        "total": totals["total"].to_numpy(dtype=float),
        "grade": totals["grade"].to_numpy(dtype=object),
        "grade_before_veto": totals["grade_before_veto"].to_numpy(dtype=object),
        "vetoed": totals["vetoed"].to_numpy(dtype=bool),
        "n_missing": totals["n_missing"].to_numpy(dtype=int),
        "n_over_achievement": totals["n_over_achievement"].to_numpy(dtype=int),
    })
    sub = level_subtotals(result)
    first = sub[sub["level"] == 1]
    wide = first.pivot(index="project", columns="code", values="points")
    # Keep the 一级 columns in the order the tree first shows them.
    wide = wide.reindex(index=out["project"], columns=pd.unique(first["code"]))
    return pd.concat([out, pd.DataFrame(wide.to_numpy(), columns=list(wide.columns))], axis=1)


def indicator_results(result: ProjectScores) -> pd.DataFrame:
    """One row per scored indicator: target, actual, weight, points and the reason of any flag.

    Parameters
    ----------
    result
        A scoring result.

    Returns
    -------
    pandas.DataFrame
        :data:`INDICATOR_RESULT_COLUMNS`; a column the input rows lacked is blank. Points are
        unrounded.

    Notes
    -----
    A missing actual scores 0 and says so in ``reason`` (DOMAIN.md §3: never full marks by
    default).

    Examples
    --------
    >>> from scoring.project import score_projects
    >>> r = score_projects({"project": ["P1"], "indicator": ["a"], "level2": ["数量指标"],
    ...                     "level1": ["产出指标"], "weight": [100], "direction": ["≥"],
    ...                     "target": [10], "actual": [None]}, library_version="v",
    ...                    weight_set="w", budget_weight=0)
    >>> indicator_results(r)[["points", "missing"]].values.tolist()
    [[0.0, True]]
    """
    ind = result.indicators.reindex(columns=list(INDICATOR_RESULT_COLUMNS))
    out = ind.astype({"direction": object, "reason": object, "project": object})
    out["points"] = ind["points"].to_numpy(dtype=float)
    for column in ("missing", "over_achievement"):
        out[column] = ind[column].to_numpy(dtype=bool)
    return out.reset_index(drop=True)


def grade_counts(grades: pd.Series, labels: Sequence[str]) -> pd.Series:
    """How many projects got each grade, best first, zeros included.

    Parameters
    ----------
    grades
        Grade labels (None for ungraded).
    labels
        The band table's labels, best first.

    Returns
    -------
    pandas.Series
        Count per label, indexed by ``labels``.

    Notes
    -----
    Labels outside ``labels`` are not counted; ungraded projects are not either.

    Examples
    --------
    >>> grade_counts(pd.Series(["良", "优", "良"]), ["优", "良", "中", "差"]).tolist()
    [1, 2, 0, 0]
    """
    return pd.Series(grades).value_counts().reindex(list(labels), fill_value=0).astype(int)


def summary_by(projects: pd.DataFrame, by: str, *,
               labels: Sequence[str] = ("优", "良", "中", "差")) -> pd.DataFrame:
    """Scored projects summarised by department or budget type.

    Parameters
    ----------
    projects
        :func:`project_results`.
    by
        ``"department"`` or ``"budget_type"``.
    labels
        The grades of the band table used, best first; each becomes a count column
        (``load_bands(name).labels``; the national labels by default).

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``n_projects``, ``amount``, ``mean_total``, ``weighted_total``
        (amount-weighted mean), one count column per grade label and ``good_share`` (share of
        the best two grades), sorted by ``by``.

    Notes
    -----
    The amount-weighted mean Σ aᵢ Tᵢ / Σ aᵢ is how a department's project results are
    combined in its overall evaluation (财预〔2020〕10号; :func:`scoring.department.score_departments`).

    Examples
    --------
    >>> p = pd.DataFrame({"department": ["甲", "甲", "乙"], "amount": [1.0, 3.0, 2.0],
    ...                   "total": [90.0, 70.0, 50.0], "grade": ["优", "中", "差"]})
    >>> summary_by(p, "department")[["department", "mean_total", "weighted_total", "优"]
    ...                             ].values.tolist()
    [['乙', 50.0, 50.0, 0], ['甲', 80.0, 75.0, 1]]
    """
    if by not in projects.columns:
        raise InputError(f"无法按 {by} 汇总", f"cannot summarise by {by!r}", field="by")
    labels = tuple(labels)
    keys, groups = pd.factorize(projects[by], sort=True)
    n = len(groups)
    amount = projects["amount"].to_numpy(dtype=float)
    total = projects["total"].to_numpy(dtype=float)
    count = np.bincount(keys, minlength=n)
    amount_sum = np.bincount(keys, weights=amount, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(keys, weights=total, minlength=n) / count
        weighted = np.bincount(keys, weights=amount * total, minlength=n) / amount_sum
    out = pd.DataFrame({by: np.asarray(groups, dtype=object), "n_projects": count,
                        "amount": amount_sum, "mean_total": mean, "weighted_total": weighted})
    grade = projects["grade"].to_numpy(dtype=object)
    for label in labels:
        out[label] = np.bincount(keys, weights=(grade == label).astype(float),
                                 minlength=n).astype(int)
    out["good_share"] = out[list(labels[:2])].sum(axis=1) / count
    return out


GRADE_CHART_COLOURS: dict[str, str] = {"优": "#2e7d32", "良": "#1565c0", "中": "#f9a825",
                                       "差": "#c62828"}
"""One fixed colour per grade on every chart: green, blue, amber, red (best to worst)."""

_ROW_PX = 26


def _grade_scale(labels: Sequence[str]) -> alt.Scale:
    # Grades outside the four standard ones keep a neutral grey so colours never shift.
    return alt.Scale(domain=list(labels),
                     range=[GRADE_CHART_COLOURS.get(g, "#9e9e9e") for g in labels])


def grade_count_chart(counts: pd.Series, *, grade_title: str, count_title: str) -> alt.Chart:
    """Bar chart of projects per grade, best grade first, one fixed colour per grade.

    Parameters
    ----------
    counts
        Count per grade, indexed by the band table's labels best first (see
        :func:`grade_counts`).
    grade_title, count_title
        Axis titles in the page's language.

    Returns
    -------
    altair.Chart
        Vertical bars in label order with horizontal axis labels; the count axis ticks at
        whole numbers only.

    Notes
    -----
    The order is the band table's (优, 良, 中, 差), not alphabetical, so the chart reads like
    the grading rule.

    Examples
    --------
    >>> chart = grade_count_chart(pd.Series([1, 2, 0, 0], index=["优", "良", "中", "差"]),
    ...                           grade_title="等级", count_title="项目数")
    >>> chart.to_dict()["encoding"]["x"]["sort"]
    ['优', '良', '中', '差']
    """
    labels = [str(g) for g in counts.index]
    data = pd.DataFrame({"grade": labels, "count": counts.to_numpy()})
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("grade:N", sort=labels, title=grade_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("count:Q", title=count_title, axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("grade:N", scale=_grade_scale(labels), legend=None),
        tooltip=["grade", "count"])


def best_grades_order(frame: pd.DataFrame, labels: Sequence[str], *, by: str,
                      best: int = 2) -> list[str]:
    """Rows ordered by their share of the best grades (优+良), best first.

    Parameters
    ----------
    frame
        One row per ``by`` value and one count column per grade label.
    labels
        The grade labels, best first.
    by
        The column naming the rows (e.g. ``department``).
    best
        How many of the first labels count as good (2: 优 and 良).

    Returns
    -------
    list of str
        The ``by`` values: highest share of the ``best`` grades first; equal shares by more
        graded projects first, then by name; rows without a graded project last.

    Notes
    -----
    Sorting by name puts departments in character-code order (东城街道, 任市镇, 八庙镇, 县…),
    which tells a reader nothing; the share of good grades is what the chart is read for.

    Examples
    --------
    >>> f = pd.DataFrame({"department": ["东城街道", "任市镇", "县教育局"], "优": [0, 2, 1],
    ...                   "良": [1, 0, 1], "中": [3, 0, 0], "差": [0, 0, 0]})
    >>> best_grades_order(f, ["优", "良", "中", "差"], by="department")
    ['任市镇', '县教育局', '东城街道']
    """
    labels = [str(g) for g in labels]
    counts = frame[labels].to_numpy(dtype=float)
    total = counts.sum(axis=1)
    share = np.divide(counts[:, :best].sum(axis=1), total, out=np.full(len(frame), -1.0),
                      where=total > 0)
    names = frame[by].astype(str).to_numpy()
    # lexsort's last key sorts first: share, then count, then name.
    order = np.lexsort((names, -total, -share))
    return names[order].tolist()


def grade_stack_chart(frame: pd.DataFrame, labels: Sequence[str], *, by: str,
                      by_title: str, grade_title: str, count_title: str,
                      names: Mapping[str, str] | None = None) -> alt.Chart:
    """Horizontal stacked bars of grades per row (department), every row labelled.

    Parameters
    ----------
    frame
        One row per ``by`` value and one count column per grade label.
    labels
        The grade labels, best first.
    by
        The column naming the rows (e.g. ``department``).
    by_title, grade_title, count_title
        Axis and legend titles in the page's language.
    names
        Label → the name the legend and tooltips show (e.g. ``优`` → ``excellent (优)`` on an
        English page); a label not named shows as itself.

    Returns
    -------
    altair.Chart
        Stacked bars, grades in label order with fixed colours, tall enough for every row; the
        count axis has whole-number ticks; rows in :func:`best_grades_order` (the highest share
        of the two best grades at the top).

    Notes
    -----
    The height grows with the number of rows so no department label is dropped. Colours stay
    keyed by the label, so a translated legend keeps the grade's colour. Counts are whole
    projects, so the axis never ticks at halves.

    Examples
    --------
    >>> frame = pd.DataFrame({"department": ["教育局", "卫健局"], "优": [1, 0], "良": [2, 1],
    ...                       "中": [0, 1], "差": [0, 0]})
    >>> chart = grade_stack_chart(frame, ["优", "良", "中", "差"], by="department",
    ...                           by_title="部门", grade_title="等级", count_title="项目数")
    >>> chart.to_dict()["height"]
    92
    >>> named = grade_stack_chart(frame, ["优", "良", "中", "差"], by="department",
    ...     by_title="Department", grade_title="Grade", count_title="Projects",
    ...     names={"优": "excellent (优)"})
    >>> named.to_dict()["encoding"]["color"]["scale"]["domain"][:2]
    ['excellent (优)', '良']
    >>> chart.to_dict()["encoding"]["y"]["sort"]
    ['教育局', '卫健局']
    """
    labels = [str(g) for g in labels]
    shown = [str((names or {}).get(g, g)) for g in labels]
    long = frame.melt(id_vars=[by], value_vars=labels, var_name="grade", value_name="count")
    # The rank keeps 优 at the left of each bar whatever order the data came in.
    long["rank"] = long["grade"].map({g: i for i, g in enumerate(labels)})
    long["grade"] = long["grade"].map(dict(zip(labels, shown, strict=True)))
    scale = alt.Scale(domain=shown, range=[GRADE_CHART_COLOURS.get(g, "#9e9e9e")
                                           for g in labels])
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y(f"{by}:N", title=by_title, axis=alt.Axis(labelLimit=240),
                sort=best_grades_order(frame, labels, by=by)),
        x=alt.X("count:Q", title=count_title, stack="zero",
                axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("grade:N", scale=scale, sort=shown, title=grade_title),
        order=alt.Order("rank:Q"),
        tooltip=[by, "grade", "count"]).properties(height=_ROW_PX * len(frame) + 40)


def row_bar_chart(values: pd.Series, *, by_title: str, value_title: str) -> alt.Chart:
    """Horizontal bars, one per labelled row, tall enough that every label shows.

    Parameters
    ----------
    values
        One number per row, indexed by the row label (e.g. a department's mean total).
    by_title, value_title
        Axis titles in the page's language.

    Returns
    -------
    altair.Chart
        Bars in the series' order.

    Notes
    -----
    The height grows with the number of rows so no label is dropped.

    Examples
    --------
    >>> row_bar_chart(pd.Series([80.0, 90.0], index=["甲", "乙"]), by_title="部门",
    ...               value_title="平均分").to_dict()["height"]
    92
    """
    labels = [str(i) for i in values.index]
    data = pd.DataFrame({"row": labels, "value": values.to_numpy()})
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("row:N", sort=labels, title=by_title, axis=alt.Axis(labelLimit=240)),
        x=alt.X("value:Q", title=value_title),
        tooltip=["row", "value"]).properties(height=_ROW_PX * len(values) + 40)
