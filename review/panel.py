"""Panel scores of a review round: combine the raters' totals, adjust for severity, measure agreement.

A pure kernel over the round's long table of submitted scores (one row per report, rater and
rubric item). Each report's total per rater makes a reports × raters table; its panel score is
the mean, the trimmed mean or the median of its raters' totals; the severity-adjusted score
applies the same rule after removing each rater's effect (:func:`review.raters.severity`);
agreement is :func:`review.agreement.agreement_report` on the totals and on each rubric item,
with Kendall's W for incomplete rankings, since each report is scored by part of the panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from review.agreement import agreement_report
from review.model import PanelMethod
from review.raters import outlying_ratings, rater_diagnostics, severity

__all__ = ["PanelResult", "panel_result", "panel_scores", "score_table"]

LONG_COLUMNS = ("report_id", "rater_id", "item_code", "score")

# Reports go to a few raters each, so W must rank within raters over what each one scored.
_KENDALL_MISSING = "incomplete"


@dataclass(frozen=True)
class PanelResult:
    """Everything a closed round's dashboard shows, recomputable from ``totals``.

    Attributes
    ----------
    method
        The panel rule used for ``raw_score`` and ``adjusted_score``.
    reports
        One row per report (index ``report_id``): ``n_ratings``, ``raw_score``,
        ``adjusted_score``, ``adjustment`` (adjusted minus raw), ``min_total``, ``max_total``.
    totals
        Reports × raters table of each sheet's total (NaN where a rater did not score).
    agreement
        :func:`review.agreement.agreement_report` on ``totals``; empty if it could not run.
        Kendall's W uses every rating of the incomplete panel (``kendall_missing`` in
        ``constants``).
    item_agreement
        The same per rubric item, stacked with an ``item_code`` column (no bootstrap).
    raters
        One row per rater (index ``rater_id``): severity ``effect``, ``se``, ``z``, ``flag``,
        labels, and the diagnostics ``mean_deviation``, ``correlation``, ``alpha_without``,
        ``alpha_change``.
    outliers
        :func:`review.raters.outlying_ratings` on ``totals``.
    notes
        Why a part is missing (too few reports, an unconnected design), in Chinese and English.
    constants
        Trim count, bootstrap resamples, seed, the severity model's description and the
        missing-rating rule of Kendall's W.
    """

    method: PanelMethod
    reports: pd.DataFrame
    totals: pd.DataFrame
    agreement: pd.DataFrame
    item_agreement: pd.DataFrame
    raters: pd.DataFrame
    outliers: pd.DataFrame
    notes: tuple[str, ...] = ()
    constants: dict[str, Any] = field(default_factory=dict)


def panel_scores(totals: Any, method: PanelMethod | str = "mean", *, trim: int = 1) -> np.ndarray:
    """Each row's panel score from its raters' totals, every row at once.

    Parameters
    ----------
    totals
        Reports × raters numbers, NaN where a rater did not score.
    method
        ``mean``, ``trimmed_mean`` (drop the ``trim`` highest and ``trim`` lowest, average
        the rest) or ``median``.
    trim
        Scores dropped at each end by the trimmed mean.

    Returns
    -------
    numpy.ndarray
        One score per row; NaN for a row without scores. A row with ``2 * trim`` scores or
        fewer falls back to its plain mean under ``trimmed_mean``.

    Raises
    ------
    InputError
        An unknown method or a negative ``trim``.

    Notes
    -----
    The trimmed mean with g = ``trim`` scores cut at each end,
    :math:`\\bar x_t = \\frac{1}{n - 2g} \\sum_{i=g+1}^{n-g} x_{(i)}`, is the rule of "去掉一个
    最高分和一个最低分" in Chinese expert panels (g = 1); see Wilcox (2012), *Introduction to
    Robust Estimation and Hypothesis Testing*, 3rd ed., Academic Press, sec. 3.3. Rows are
    sorted with NaN last and summed by rank, so no Python loop runs over reports.

    Examples
    --------
    >>> panel_scores([[70, 80, 90, 100], [60, 62, np.nan, np.nan]], "trimmed_mean").tolist()
    [85.0, 61.0]
    >>> panel_scores([[70, 80, 95]], "median").tolist()
    [80.0]
    """
    try:
        method = PanelMethod(method)
    except ValueError as exc:
        raise InputError(f"未知的合议方法 {method!r}", f"unknown panel method {method!r}",
                         field="method") from exc
    if int(trim) < 0:
        raise InputError("trim 不能为负", "trim must not be negative", field="trim")
    values = np.atleast_2d(np.asarray(totals, dtype=float))
    present = ~np.isnan(values)
    n = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.where(present, values, 0.0).sum(axis=1) / np.maximum(n, 1),
                        np.nan)
        if method is PanelMethod.MEAN:
            return mean
        if method is PanelMethod.MEDIAN:
            median = np.full(values.shape[0], np.nan)
            rows = n > 0
            median[rows] = np.nanmedian(values[rows], axis=1)
            return median
        g = int(trim)
        ordered = np.sort(values, axis=1)  # NaN sorts last
        rank = np.arange(values.shape[1])[None, :]
        keep = (rank >= g) & (rank < (n - g)[:, None])
        kept = np.where(keep, ordered, 0.0).sum(axis=1) / np.maximum(n - 2 * g, 1)
        return np.where(n > 2 * g, kept, mean)


def score_table(scores: pd.DataFrame, items: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Pivot long scores to sheet totals and a per-item stack.

    Parameters
    ----------
    scores
        Long table with columns ``report_id``, ``rater_id``, ``item_code``, ``score``.
    items
        The rubric's item codes, in order.

    Returns
    -------
    totals : pandas.DataFrame
        Reports × raters sums over items; a sheet missing any item is left NaN.
    by_item : numpy.ndarray
        Items × reports × raters scores aligned with ``totals``.

    Raises
    ------
    InputError
        Missing columns, or a (report, rater, item) given twice.

    Notes
    -----
    Only complete sheets count toward a total, so a total is always over the same items.

    Examples
    --------
    >>> long = pd.DataFrame({"report_id": [1, 1, 1, 1], "rater_id": [7, 7, 8, 8],
    ...                      "item_code": ["A", "B", "A", "B"], "score": [3, 4, 2, 5]})
    >>> score_table(long, ["A", "B"])[0].to_numpy().tolist()
    [[7.0, 7.0]]
    """
    missing = [c for c in LONG_COLUMNS if c not in scores.columns]
    if missing:
        raise InputError(f"评分表缺少列 {missing}", f"scores lack columns {missing}", field="scores")
    data = scores.loc[scores["item_code"].isin(list(items)), list(LONG_COLUMNS)]
    if data.duplicated(["report_id", "rater_id", "item_code"]).any():
        raise InputError("同一报告、评审人和评分项出现了两次",
                         "a (report, rater, item) score appears twice", field="scores")
    cube = data.set_index(["item_code", "report_id", "rater_id"])["score"].astype(float)
    reports = np.sort(data["report_id"].unique())
    raters = np.sort(data["rater_id"].unique())
    index = pd.MultiIndex.from_product([list(items), reports, raters],
                                       names=["item_code", "report_id", "rater_id"])
    stack = cube.reindex(index).to_numpy().reshape(len(items), reports.size, raters.size)
    complete = ~np.isnan(stack).any(axis=0)
    totals = np.where(complete, np.nansum(stack, axis=0), np.nan)
    frame = pd.DataFrame(totals, index=pd.Index(reports, name="report_id"),
                         columns=pd.Index(raters, name="rater_id"))
    return frame, np.where(complete[None, :, :], stack, np.nan)


def panel_result(
    scores: pd.DataFrame,
    items: Sequence[str],
    *,
    method: PanelMethod | str = "mean",
    trim: int = 1,
    bootstrap: int = 1000,
    seed: int = 0,
    item_agreement: bool = True,
) -> PanelResult:
    """Panel scores, severity-adjusted scores, agreement and rater statistics of a round.

    Parameters
    ----------
    scores
        Long table of submitted scores (see :func:`score_table`).
    items
        The rubric's item codes.
    method, trim
        The panel rule (see :func:`panel_scores`).
    bootstrap, seed
        Resamples and seed of Krippendorff's alpha interval on the totals.
    item_agreement
        Whether to compute agreement per rubric item too.

    Returns
    -------
    PanelResult

    Raises
    ------
    InputError
        Missing columns, duplicate scores, or an unknown method.

    Notes
    -----
    Severity comes from the additive model rating = mean + report + rater + error
    (:func:`review.raters.severity`, Searle 1971, *Linear Models*, ch. 7). The adjusted score
    applies the panel rule to each rating minus its rater's effect; for the mean this is the
    model's adjusted report score. Parts that need at least two reports and two raters, or a
    connected design, are left empty with a note rather than failing the whole result.
    Kendall's W is computed from incomplete rankings, each rater ranking only the reports they
    scored (:func:`review.concordance.kendall_w`: Durbin 1951; Benard & van Elteren 1953;
    Kendall & Gibbons 1990), so an assignment of a few raters per report still shows it.

    Examples
    --------
    >>> long = pd.DataFrame({
    ...     "report_id": [1, 1, 2, 2, 3, 3] * 2, "rater_id": [7, 8] * 6,
    ...     "item_code": ["A"] * 6 + ["B"] * 6,
    ...     "score": [8, 6, 7, 5, 9, 7, 9, 7, 8, 6, 9, 7]})
    >>> result = panel_result(long, ["A", "B"], bootstrap=0, item_agreement=False)
    >>> result.reports["raw_score"].tolist(), result.reports["adjusted_score"].tolist()
    ([15.0, 13.0, 16.0], [15.0, 13.0, 16.0])
    >>> result.raters["effect"].round(6).tolist()
    [2.0, -2.0]
    """
    method = PanelMethod(method)
    totals, stack = score_table(scores, items)
    notes: list[str] = []
    raw = panel_scores(totals.to_numpy(), method, trim=trim)
    values = totals.to_numpy()
    adjusted = np.full(raw.shape, np.nan)
    raters = pd.DataFrame(index=totals.columns)
    outliers = pd.DataFrame(columns=["item", "rater", "rating", "others_mean", "others_n",
                                     "deviation", "z"])
    severity_method = ""
    try:
        fitted = severity(totals)
        effect = fitted.raters["effect"].reindex(totals.columns).to_numpy()
        adjusted = panel_scores(values - effect[None, :], method, trim=trim)
        raters = fitted.raters.join(
            rater_diagnostics(totals).drop(columns="n_ratings"), how="left")
        outliers = outlying_ratings(totals)
        severity_method = fitted.method
    except InputError as exc:
        notes.append(f"宽严调整未计算：{exc.zh} / severity not computed: {exc.en}")
    raters.index.name = "rater_id"
    try:
        agreement = agreement_report(totals, scale="interval", bootstrap=bootstrap, seed=seed,
                                     kendall_missing=_KENDALL_MISSING)
    except InputError as exc:
        agreement = pd.DataFrame()
        notes.append(f"一致性未计算：{exc.zh} / agreement not computed: {exc.en}")
    per_item: list[pd.DataFrame] = []
    if item_agreement:
        # One report per rubric item: a loop over a handful of items, each call vectorised.
        for code, table in zip(items, stack, strict=True):
            try:
                part = agreement_report(table, scale="interval", bootstrap=0, seed=seed,
                                        kendall_missing=_KENDALL_MISSING)
            except InputError:
                continue
            per_item.append(part.assign(item_code=code))
    n = (~np.isnan(values)).sum(axis=1)
    # fmin/fmax skip NaN and give NaN only for a row with no totals, without a warning; the
    # NaN start lets a round with no submitted sheet reduce over zero raters.
    low = np.fmin.reduce(values, axis=1, initial=np.nan)
    high = np.fmax.reduce(values, axis=1, initial=np.nan)
    reports = pd.DataFrame({"n_ratings": n, "raw_score": raw, "adjusted_score": adjusted,
                            "adjustment": adjusted - raw, "min_total": low, "max_total": high},
                           index=totals.index)
    return PanelResult(
        method=method, reports=reports, totals=totals, agreement=agreement,
        item_agreement=pd.concat(per_item, ignore_index=True) if per_item else pd.DataFrame(),
        raters=raters, outliers=outliers, notes=tuple(notes),
        constants={"trim": int(trim), "bootstrap": int(bootstrap), "seed": int(seed),
                   "severity_method": severity_method, "scale": "interval",
                   "kendall_missing": _KENDALL_MISSING})
