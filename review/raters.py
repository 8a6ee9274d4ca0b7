"""Rater statistics: how each rater relates to the panel, who is severe or lenient, odd ratings.

Ratings are items × raters (NaN missing), numeric. :func:`rater_diagnostics` describes each
rater against the others; :func:`severity` fits the additive model rating = mean + item effect
+ rater effect + error on whatever incomplete design the round produced and returns the rater
effects with standard errors and severity-adjusted item scores; :func:`outlying_ratings` lists
single ratings far from the item's other ratings, for a panel to justify or correct.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from indicators.errors import InputError
from review.agreement import krippendorff_alpha
from review.ratings import as_ratings

__all__ = ["SeverityResult", "outlying_ratings", "rater_diagnostics", "severity"]

_LABELS = {"severe": "偏严", "lenient": "偏宽", "normal": "正常"}


def _labelled(ratings: Any, *, min_items: int = 2) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """Numeric ratings with item and rater names, items and raters without ratings dropped."""
    values = as_ratings(ratings, min_items=min_items)
    frame = ratings if isinstance(ratings, pd.DataFrame) else None
    items = frame.index if frame is not None else pd.RangeIndex(values.shape[0])
    raters = frame.columns if frame is not None else pd.RangeIndex(values.shape[1])
    present = ~np.isnan(values)
    keep_items, keep_raters = present.any(axis=1), present.any(axis=0)
    return values[keep_items][:, keep_raters], items[keep_items], raters[keep_raters]


def _interval_alpha(values: np.ndarray) -> float:
    """Krippendorff's interval alpha, NaN where the panel leaves nothing to compare."""
    try:
        return krippendorff_alpha(values, level="interval", bootstrap=0).value
    except InputError:
        return float("nan")


def _others_mean(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the mean of the item's other ratings and how many there are."""
    present = ~np.isnan(values)
    x = np.where(present, values, 0.0)
    total, count = x.sum(axis=1, keepdims=True), present.sum(axis=1, keepdims=True)
    others = count - present
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(present & (others > 0), (total - x) / others, np.nan)
    return mean, others


def rater_diagnostics(ratings: Any) -> pd.DataFrame:
    """One row per rater: how many ratings, how far from and how close to the others.

    Parameters
    ----------
    ratings
        Items × raters numeric ratings (DataFrame columns name the raters), NaN missing.

    Returns
    -------
    pandas.DataFrame
        Indexed by rater, columns ``n_ratings``; ``mean_deviation`` (mean of the rater's
        rating minus the mean of the other raters on the same item); ``correlation``
        (Pearson correlation of the rater's ratings with the other raters' item means, NaN
        with fewer than three shared items or no spread); ``alpha_without`` (Krippendorff's
        interval alpha of the panel without this rater) and ``alpha_change``
        (``alpha_without`` minus the whole panel's alpha: positive means the panel agrees
        better without this rater).

    Raises
    ------
    InputError
        Fewer than two items or raters, non-numeric or all-missing ratings.

    Notes
    -----
    Everything is leave-one-out: a rater is compared with the others, never with a mean that
    contains the rater's own rating. Alpha comes from
    :func:`review.agreement.krippendorff_alpha` (interval level, no bootstrap); it is
    :math:`1 - D_o/D_e` with :math:`D_o = \\frac1n \\sum_u \\frac{1}{m_u-1}
    \\sum_{c \\ne k \\in u} (x_c - x_k)^2` and :math:`D_e = \\frac{1}{n(n-1)}
    \\sum_{c \\ne k} (x_c - x_k)^2` over all n pairable ratings (Krippendorff 2004, ch. 11;
    Hayes & Krippendorff 2007).

    References: Krippendorff, K. (2004). *Content Analysis: An Introduction to Its
    Methodology* (2nd ed.). Sage. Hayes, A. F., & Krippendorff, K. (2007). Answering the call
    for a standard reliability measure for coding data. *Communication Methods and
    Measures*, 1(1), 77–89.

    Examples
    --------
    >>> table = pd.DataFrame({"甲": [7, 8, 9, 6], "乙": [7, 8, 8, 6], "丙": [5, 6, 6, 4]})
    >>> rater_diagnostics(table)["mean_deviation"].round(2).tolist()
    [1.25, 0.88, -2.12]
    """
    values, _, raters = _labelled(ratings)
    present = ~np.isnan(values)
    others, n_others = _others_mean(values)
    shared = present & (n_others > 0)
    deviation = np.where(shared, values - others, np.nan)
    with np.errstate(invalid="ignore"):
        mean_deviation = np.nanmean(np.where(shared, deviation, np.nan), axis=0)

    # Column-wise Pearson correlation over each rater's shared items, all raters at once.
    k = shared.sum(axis=0).astype(float)
    xs = np.where(shared, values, 0.0)
    ys = np.where(shared, others, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mx, my = xs.sum(axis=0) / k, ys.sum(axis=0) / k
        dx, dy = np.where(shared, xs - mx, 0.0), np.where(shared, ys - my, 0.0)
        sxy, sxx, syy = (dx * dy).sum(axis=0), (dx**2).sum(axis=0), (dy**2).sum(axis=0)
        correlation = np.where((k >= 3) & (sxx > 0) & (syy > 0), sxy / np.sqrt(sxx * syy),
                               np.nan)

    alpha_all = _interval_alpha(values)
    # A panel is a handful of raters, so one pass per rater is cheap.
    alpha_without = np.array([_interval_alpha(np.delete(values, j, axis=1))
                              for j in range(values.shape[1])])
    return pd.DataFrame(
        {"n_ratings": present.sum(axis=0), "mean_deviation": mean_deviation,
         "correlation": correlation, "alpha_without": alpha_without,
         "alpha_change": alpha_without - alpha_all},
        index=pd.Index(raters, name="rater"))


@dataclass(frozen=True)
class SeverityResult:
    """Rater effects from the additive model, and the item scores with and without them.

    Attributes
    ----------
    raters
        One row per rater: ``n_ratings``, ``effect`` (mean shift of this rater's ratings
        against the panel; negative is severe), ``se``, ``z``, ``flag`` (|z| above the
        threshold), ``label_zh`` (偏严/偏宽/正常) and ``label_en`` (severe/lenient/normal).
    adjusted_scores
        One row per item: ``n_ratings``, ``raw_mean``, ``adjusted_mean`` (ratings minus their
        raters' effects, averaged) and ``adjustment`` (adjusted minus raw).
    grand_mean, sigma, df_residual
        Mean of the adjusted item scores, residual SD and its degrees of freedom.
    threshold
        The |z| beyond which a rater is flagged.
    method
        How the model was fitted, in words.
    """

    raters: pd.DataFrame
    adjusted_scores: pd.DataFrame
    grand_mean: float
    sigma: float
    df_residual: int
    threshold: float
    method: str
    details: dict[str, Any] = field(default_factory=dict)


def _check_connected(present: np.ndarray, raters: pd.Index) -> None:
    """Raters can only be compared through items they share (directly or by a chain)."""
    n_items, n_raters = present.shape
    rows, cols = np.nonzero(present)
    graph = coo_matrix((np.ones(rows.size), (rows, n_items + cols)),
                       shape=(n_items + n_raters, n_items + n_raters))
    n_parts, part = connected_components(graph, directed=False)
    rater_parts = part[n_items:]
    if np.unique(rater_parts).size > 1:
        groups = [[str(r) for r in raters[rater_parts == p]] for p in np.unique(rater_parts)]
        raise InputError(
            f"评分人分成互不相连的组 {groups}：组间没有共同评过的对象，无法比较宽严",
            f"raters fall into unconnected groups {groups}: no shared items link them, so "
            "their severity cannot be compared", field="ratings")


def severity(ratings: Any, *, z: float = 2.0) -> SeverityResult:
    """Rater severity from rating = μ + item effect + rater effect + error, any design.

    Parameters
    ----------
    ratings
        Items × raters numeric ratings, NaN where a rater did not rate an item.
    z
        Flag a rater whose |effect / SE| exceeds this.

    Returns
    -------
    SeverityResult

    Raises
    ------
    InputError
        Fewer than two items or raters, non-numeric ratings, or raters that share no items
        even through chains of other raters (the design is not connected).

    Notes
    -----
    Least squares for :math:`x_{ij} = \\mu + a_i + b_j + e_{ij}` on the observed cells with
    :math:`\\sum_j b_j = 0`. Item effects are absorbed (the intra-block analysis of an
    incomplete block design, items as blocks): with :math:`N` the items × raters incidence
    matrix, :math:`D_I, D_R` ratings per item and per rater, :math:`T_I, T_R` their totals,

    .. math::
        C = D_R - N' D_I^{-1} N, \\quad Q = T_R - N' D_I^{-1} T_I, \\quad
        \\hat b = C^{+} Q, \\quad \\mathrm{Cov}(\\hat b) = \\hat\\sigma^2 C^{+}

    where :math:`C^{+}` is the Moore–Penrose inverse (its null space is the constant vector
    in a connected design, so it imposes :math:`\\sum b_j = 0`) and
    :math:`\\hat\\sigma^2 = RSS/(N_{obs} - n_{items} - n_{raters} + 1)`. The adjusted item
    score is :math:`\\hat\\mu + \\hat a_i = \\operatorname{mean}_j (x_{ij} - \\hat b_j)`.
    z = effect / SE; with no residual degrees of freedom SEs are NaN and nobody is flagged.

    References: Searle, S. R. (1971). *Linear Models*, ch. 7 (two-way classification with
    unequal numbers). Wiley. John, J. A., & Williams, E. R. (1995). *Cyclic and Computer
    Generated Designs* (2nd ed.), ch. 2 (intra-block analysis). Chapman & Hall.

    Examples
    --------
    >>> table = pd.DataFrame({"甲": [80, 70, 90, 60], "乙": [82, 72, 92, 62],
    ...                       "丙": [75, 65, None, 55]})
    >>> severity(table).raters["effect"].round(2).tolist()
    [1.0, 3.0, -4.0]
    """
    values, items, raters = _labelled(ratings)
    present = ~np.isnan(values)
    _check_connected(present, raters)
    incidence = present.astype(float)
    x = np.where(present, values, 0.0)
    per_item, per_rater = incidence.sum(axis=1), incidence.sum(axis=0)
    item_total, rater_total = x.sum(axis=1), x.sum(axis=0)
    scaled = incidence / per_item[:, None]
    info = np.diag(per_rater) - incidence.T @ scaled
    adjusted_totals = rater_total - scaled.T @ item_total
    info_inverse = np.linalg.pinv(info)
    effect = info_inverse @ adjusted_totals
    item_score = (item_total - incidence @ effect) / per_item
    residual = np.where(present, values - item_score[:, None] - effect[None, :], 0.0)
    n_obs, n_items, n_raters = int(present.sum()), values.shape[0], values.shape[1]
    df = n_obs - n_items - n_raters + 1
    if df > 0:
        sigma = float(np.sqrt((residual**2).sum() / df))
        se = sigma * np.sqrt(np.clip(np.diag(info_inverse), 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            zscore = np.where(se > 0, effect / se, np.nan)
    else:
        sigma, se, zscore = float("nan"), np.full(n_raters, np.nan), np.full(n_raters, np.nan)
    flag = np.abs(np.nan_to_num(zscore)) > z
    label_en = np.where(flag & (effect < 0), "severe",
                        np.where(flag & (effect > 0), "lenient", "normal"))
    rater_table = pd.DataFrame(
        {"n_ratings": per_rater.astype(int), "effect": effect, "se": se, "z": zscore,
         "flag": flag, "label_zh": [_LABELS[v] for v in label_en], "label_en": label_en},
        index=pd.Index(raters, name="rater"))
    raw_mean = item_total / per_item
    scores = pd.DataFrame(
        {"n_ratings": per_item.astype(int), "raw_mean": raw_mean, "adjusted_mean": item_score,
         "adjustment": item_score - raw_mean},
        index=pd.Index(items, name="item"))
    method = (
        "Additive model rating = mean + item + rater + error, least squares on the "
        f"{n_obs} observed ratings with rater effects summing to zero (item effects absorbed, "
        "Moore-Penrose inverse of the reduced normal equations); SE from the residual "
        f"variance on {df} df; flagged when |effect/SE| > {z}. Adjusted score = mean over the "
        "item's ratings of rating minus that rater's effect."
    )
    return SeverityResult(
        raters=rater_table, adjusted_scores=scores, grand_mean=float(item_score.mean()),
        sigma=sigma, df_residual=int(df), threshold=float(z), method=method,
        details={"p_value": 2.0 * stats.norm.sf(np.abs(zscore))},
    )


def outlying_ratings(ratings: Any, *, z: float = 2.5) -> pd.DataFrame:
    """Single ratings far from the same item's other ratings, for the panel to justify.

    Parameters
    ----------
    ratings
        Items × raters numeric ratings, NaN missing.
    z
        Report a rating whose studentised deviation exceeds this in absolute value.

    Returns
    -------
    pandas.DataFrame
        One row per outlying rating, largest first, columns ``item``, ``rater``, ``rating``,
        ``others_mean`` (mean of the item's other ratings), ``others_n``, ``deviation``
        (rating minus ``others_mean``) and ``z``. Empty when nothing stands out.

    Raises
    ------
    InputError
        Fewer than two items or raters, non-numeric or all-missing ratings.

    Notes
    -----
    Rule chosen: the externally studentised deletion residual of the one-way item model. For
    rating :math:`x_{ij}` on an item with :math:`m_i` ratings, :math:`d_{ij} = x_{ij} -
    \\bar x_{i,(j)}` (mean of the others), and

    .. math::
        z_{ij} = \\frac{d_{ij}}{s_{(ij)} \\sqrt{m_i/(m_i - 1)}}, \\quad
        s_{(ij)}^2 = \\frac{SS_W - \\frac{m_i-1}{m_i} d_{ij}^2}{\\sum_i (m_i - 1) - 1}

    where :math:`SS_W` is the pooled within-item sum of squares; leaving the rating out of
    :math:`s` keeps a gross error from hiding itself. Under normal errors :math:`z_{ij}`
    follows t with :math:`\\sum_i(m_i-1) - 1` df. Items need at least three ratings (with two,
    either could be the odd one). A rater who is consistently severe is a matter for
    :func:`severity`, not for this list. A gross error also pulls the others' mean seen by
    its neighbours on the same item, so read the list from the top. A median/MAD rule was not
    chosen because on panels of three to seven raters with whole-number scores the MAD is
    often zero.

    References: Cook, R. D., & Weisberg, S. (1982). *Residuals and Influence in Regression*,
    sec. 2.2 (externally studentised residuals). Chapman & Hall.

    Examples
    --------
    >>> table = pd.DataFrame({"甲": [80, 70, 90, 60, 85], "乙": [82, 71, 88, 61, 84],
    ...                       "丙": [81, 69, 89, 95, 86]})
    >>> outlying_ratings(table)[["item", "rater"]].values.tolist()
    [[3, '丙']]
    """
    values, items, raters = _labelled(ratings)
    present = ~np.isnan(values)
    others, n_others = _others_mean(values)
    m = present.sum(axis=1, keepdims=True).astype(float)
    x = np.where(present, values, 0.0)
    item_mean = np.where(m > 0, x.sum(axis=1, keepdims=True) / np.maximum(m, 1.0), 0.0)
    within = float((np.where(present, values - item_mean, 0.0) ** 2).sum())
    df_within = float((m[m >= 2] - 1.0).sum())
    columns = ["item", "rater", "rating", "others_mean", "others_n", "deviation", "z"]
    usable = present & (m >= 3)
    if df_within <= 1 or not usable.any():
        return pd.DataFrame(columns=columns)
    deviation = np.where(usable, values - others, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        left_out = (within - (m - 1.0) / m * deviation**2) / (df_within - 1.0)
        zscore = np.where(usable & (left_out > 0),
                          deviation / np.sqrt(left_out * m / (m - 1.0)), np.nan)
    hit = usable & (np.abs(np.nan_to_num(zscore)) > z)
    rows, cols = np.nonzero(hit)
    found = pd.DataFrame({
        "item": items[rows], "rater": raters[cols], "rating": values[rows, cols],
        "others_mean": others[rows, cols], "others_n": n_others[rows, cols],
        "deviation": deviation[rows, cols], "z": zscore[rows, cols]}, columns=columns)
    order = np.argsort(-np.abs(found["z"].to_numpy()), kind="stable")
    return found.iloc[order].reset_index(drop=True)
