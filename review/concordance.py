"""Kendall's coefficient of concordance W, for complete panels and for incomplete ones.

A review round rarely has every rater score every report: each report goes to a few of the
panel. Kendall's classical W needs complete rankings, so this module also computes W from
incomplete rankings, where each rater ranks only the items they rated. The test is Durbin's
(1951) for incomplete block designs, taken to any design with Benard & van Elteren's (1953)
exact within-rater covariance and Alvo & Cabilio's (1991) rescaled ranks; W is its χ² over the
χ² of a panel agreeing on the consensus order, as Kendall read Friedman's statistic. On a
complete table it equals the classical W, and on a balanced incomplete design Kendall &
Gibbons' (1990) W. :mod:`review.agreement` re-exports :func:`kendall_w`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import linalg, sparse, stats
from scipy.sparse import csgraph

from indicators.errors import InputError
from review.ratings import AgreementResult, as_ratings

__all__ = ["MISSING_RULES", "kendall_w"]

#: How :func:`kendall_w` treats missing ratings; the first is the default.
MISSING_RULES = ("incomplete", "drop_items", "drop_raters", "raise")

_REFERENCES = ("Durbin 1951; Benard & van Elteren 1953; Alvo & Cabilio 1991; "
               "Kendall & Gibbons 1990")


def _tie_sums(table: np.ndarray) -> np.ndarray:
    """Per rater, the sum over groups of t tied ratings of t³ − t (missing ratings never tie)."""
    ordered = np.sort(table, axis=0)  # NaN sorts last and NaN != NaN, so gaps form no group
    n = ordered.shape[0]
    starts = np.ones(ordered.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    flat = starts.T.ravel()  # every column starts a group, so groups never span raters
    first = np.flatnonzero(flat)
    lengths = np.diff(np.append(first, flat.size)).astype(float)
    return np.bincount(first // n, weights=lengths**3 - lengths, minlength=ordered.shape[1])


def _classical(table: np.ndarray, ties: bool, kept: str) -> AgreementResult:
    """Kendall & Babington Smith's W on a complete items × raters table."""
    n, m = table.shape
    ranks = stats.rankdata(table, axis=0)
    rank_sums = ranks.sum(axis=1)
    s = float(np.sum((rank_sums - m * (n + 1) / 2.0) ** 2))
    tie_sum = float(_tie_sums(table).sum()) if ties else 0.0
    denominator = m**2 * (n**3 - n) - m * tie_sum
    if denominator <= 0:
        raise InputError("每位评分人都给所有对象相同的等级，W 无定义",
                         "every rater gave all items the same rank, so W is undefined",
                         field="ratings")
    w = 12.0 * s / denominator
    chi2 = m * (n - 1) * w
    method = ("Kendall's W on ranks within each rater, average ranks for ties, "
              + ("tie-corrected denominator" if ties else "no tie correction")
              + f" (Kendall & Babington Smith 1939); chi-square test with n-1 df; {kept}"
              f" ({n} items × {m} raters used)")
    return AgreementResult(
        coefficient="Kendall's W", value=float(w), n_items=n, n_raters=m, n_ratings=n * m,
        method=method, statistic=float(chi2), statistic_name="chi2", df=float(n - 1),
        p_value=float(stats.chi2.sf(chi2, n - 1)),
        details={"S": s, "tie_sum": tie_sum, "mean_ranks": tuple(rank_sums / m)},
    )


def _components(gram: np.ndarray) -> tuple[int, np.ndarray]:
    """Groups of raters linked by co-rated items, from the raters × raters co-rating counts."""
    return csgraph.connected_components(sparse.csr_matrix(gram > 0), directed=False)


def _balanced(gram: np.ndarray, r: np.ndarray, k: np.ndarray) -> bool:
    """Whether every rater ranks k items, every item is ranked r times, and every pair λ times.

    With equal k and r the off-diagonal concurrences have a fixed sum, so they are all equal
    exactly when the sum of their squares, ‖XᵀX‖² − n r², is its Cauchy–Schwarz minimum;
    XᵀX is raters × raters, so no items × items matrix is formed.
    """
    if np.ptp(k) or np.ptp(r):
        return False
    n = r.size
    off_sum = n * float(r[0]) * (k[0] - 1.0)
    off_squares = float(np.vdot(gram, gram)) - n * float(r[0]) ** 2
    return bool(np.isclose(off_squares, off_sum**2 / (n * (n - 1.0)), rtol=1e-12, atol=1e-9))


def _compatible_scores(table: np.ndarray, present: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Each rater's ranks as centred compatible scores, 0 where the rater did not rate.

    Alvo & Cabilio's compatible score r(n + 1)/(k + 1) is the mean position among all n items
    over every complete ranking that agrees with the rater's partial one.
    """
    n = table.shape[0]
    ranks = stats.rankdata(np.where(present, table, np.inf), axis=0)
    return np.where(present, (ranks - (k + 1.0) / 2.0) * (n + 1.0) / (k + 1.0), 0.0)


def _quadratic_form(present: np.ndarray, scores: np.ndarray,
                    var: np.ndarray) -> tuple[float, np.ndarray, float]:
    """χ² = Qᵀ V⁺ Q, the items' effects V⁺Q and the df, solved in the raters' space.

    This is the weighted intra-rater analysis of variance of the scores (weights ``var``):
    items are absorbed, the raters' reduced equations are solved, and the items' effects
    recovered, so no items × items matrix is formed. Raters with zero variance (all tied)
    carry no ranking and are left out; items only they rated get effect 0.
    """
    n = present.shape[0]
    informative = var > 0
    xi, wi = present[:, informative].astype(float), var[informative]
    totals = scores @ np.ones(scores.shape[1])  # Q: each item's summed centred score
    per_item = xi @ wi  # the item's information
    rated = per_item > 0
    n_linked, group = _components(xi.T @ xi)
    inverse_info = np.divide(1.0, per_item, out=np.zeros(n), where=rated)
    k = xi.sum(axis=0)
    reduced = np.diag(wi * k) - (wi[:, None] * (xi.T * inverse_info)) @ (xi * wi)
    adjusted = -wi * (xi.T @ (totals * inverse_info))
    # The reduced matrix is singular along each group's ones vector, which the right-hand
    # side is orthogonal to; adding that projector gives the pseudo-inverse solution directly.
    member = (group[:, None] == np.arange(n_linked)[None, :]).astype(float)
    lift = member @ member.T * float(np.mean(wi * k))
    rater_effect = linalg.solve(reduced + lift, adjusted, assume_a="pos")
    item_effect = (totals - xi @ (wi * rater_effect)) * inverse_info
    chi2 = max(float(item_effect @ totals), 0.0)
    # Effects are fixed only up to a constant per group: centre each group, as the
    # pseudo-inverse does, so an item no informative rater ranked sits in the middle.
    item_group = np.where(rated, group[np.argmax(xi, axis=1)], n_linked)
    sums = np.bincount(item_group, weights=item_effect, minlength=n_linked + 1)
    counts = np.bincount(item_group, minlength=n_linked + 1)
    item_effect = np.where(rated, item_effect - (sums / np.maximum(counts, 1))[item_group], 0.0)
    return chi2, item_effect, float(n - n_linked - np.count_nonzero(~rated))


def _incomplete(table: np.ndarray, ties: bool, dropped: str) -> AgreementResult:
    """W and its χ² from incomplete rankings: compatible scores, exact permutation variance."""
    n, m = table.shape
    present = ~np.isnan(table)
    k = present.sum(axis=0).astype(float)  # items ranked by each rater
    x = present.astype(float)
    gram = x.T @ x  # items each pair of raters both ranked
    n_groups = _components(gram)[0]
    if n_groups > 1:
        raise InputError(f"处理缺失后对象分成 {n_groups} 组，没有评分人把它们联系起来，"
                         "无法得到所有对象的共同排序",
                         f"after missing ratings the items fall into {n_groups} groups that no "
                         "rater links, so there is no common ranking of all items",
                         field="ratings")
    scores = _compatible_scores(table, present, k)
    tie_per_rater = _tie_sums(table) if ties else np.zeros(m)
    # Exact variance of a rater's scores under random ranking (ddof 1); ties lower it.
    untied = ((n + 1.0) / (k + 1.0)) ** 2 * (k**3 - k) / (12.0 * (k - 1.0))
    var = untied * (1.0 - tie_per_rater / (k**3 - k))
    if not (var > 0).any():
        raise InputError("每位评分人都给所有对象相同的等级，W 无定义",
                         "every rater gave all items the same rank, so W is undefined",
                         field="ratings")
    chi2, item_effect, df = _quadratic_form(present, scores, var)
    if df < 1:
        raise InputError("每位评分人都给所有对象相同的等级，W 无定义",
                         "every rater gave all items the same rank, so W is undefined",
                         field="ratings")
    # The χ² of a panel agreeing on the consensus order (items by estimated effect): every
    # rater ranks their items in that order, once untied and once keeping their own ties.
    # By the rearrangement and Cauchy–Schwarz inequalities the tied version is at least the
    # observed χ², so 0 <= W <= 1; the untied one is m(n-1) on a complete table, the larger.
    consensus = np.argsort(np.argsort(item_effect, kind="stable"), kind="stable") + 1.0
    in_order = np.where(present, consensus[:, None], np.nan)
    untied_agree = _quadratic_form(present, _compatible_scores(in_order, present, k), untied)[0]
    position = stats.rankdata(np.where(present, in_order, np.inf), axis=0).astype(int) - 1
    own = np.take_along_axis(np.sort(np.where(present, scores, np.inf), axis=0),
                             np.where(present, position, 0), axis=0)
    tied_agree = _quadratic_form(present, np.where(present, own, 0.0), var)[0]
    agree = max(untied_agree, tied_agree)
    w = chi2 / agree
    balanced = _balanced(gram, present.sum(axis=1), k)
    design = ("complete rankings, so W is the classical W" if present.all() else
              "incomplete rankings in a balanced incomplete design, so W is Kendall & "
              "Gibbons' W for it" if balanced else "incomplete rankings, unbalanced design")
    loads = f"{k.min():g}" if k.min() == k.max() else f"{k.min():g}-{k.max():g}"
    method = ("Kendall's W from each rater's own ranking of the items they rated (average "
              "ranks for ties, rescaled to the items' range as r(n+1)/(k+1)); chi-square = "
              "Durbin's statistic for any connected design with the exact within-rater "
              "permutation variance" + (" (tie-corrected)" if ties else " (no tie correction)")
              + f", {df:g} df; W = chi-square / {agree:.6g}, the chi-square of a panel "
              f"agreeing on the consensus order ({_REFERENCES}); {design}; {dropped}"
              f"{int(present.sum())} ratings of {n} items by {m} raters ({loads} items each)")
    per_item = present.sum(axis=1)
    mean_scores = scores.sum(axis=1) / per_item + (n + 1.0) / 2.0
    return AgreementResult(
        coefficient="Kendall's W", value=float(w), n_items=n, n_raters=m,
        n_ratings=int(present.sum()), method=method, statistic=chi2, statistic_name="chi2",
        df=df, p_value=float(stats.chi2.sf(chi2, df)),
        details={"S": float(np.sum(scores.sum(axis=1) ** 2)),
                 "tie_sum": float(tie_per_rater.sum()), "mean_ranks": tuple(mean_scores.tolist()),
                 "chi2_in_agreement": agree, "consensus_order": tuple(consensus.tolist()),
                 "balanced": balanced},
    )


def kendall_w(ratings: Any, *, ties: bool = True, missing: str = "incomplete") -> AgreementResult:
    """Kendall's coefficient of concordance W, with the tie correction and its χ² test.

    Parameters
    ----------
    ratings
        Items (the objects ranked) × raters; each rater's column is ranked within itself, so
        scores and ranks both work. NaN for a missing rating.
    ties
        Apply the correction for tied ranks (Kendall & Babington Smith 1939).
    missing
        ``"incomplete"`` (default): every rating counts, each rater ranking only the items
        they rated (see Notes); raters who rated fewer than two items carry no ranking and are
        left out. ``"drop_items"``: keep only the items every remaining rater ranked;
        ``"drop_raters"``: keep only the raters who ranked every item; ``"raise"``: refuse.
        Raters with no rating at all are always left out. ``method`` states the rule used
        and the counts kept.

    Returns
    -------
    AgreementResult
        ``value`` = W, ``statistic`` = χ² with ``df`` = n − 1 and its p-value; ``details``
        holds S, the tie sum and each kept item's mean rank (on the 1..n scale), and for
        ``"incomplete"`` also ``chi2_in_agreement`` (the divisor of W), the panel's
        ``consensus_order`` (1 = lowest) and whether the design is ``balanced``.

    Raises
    ------
    InputError
        Unusable table, fewer than two items or raters after missing ratings are handled,
        ``missing="raise"`` with a missing rating, items that no chain of raters links
        (``"incomplete"``), or every rater giving all items one rank.

    Notes
    -----
    **Complete rankings.** With n items, m raters and R_i the sum of item i's ranks,
    S = Σ (R_i − m(n + 1)/2)² and W = 12 S / (m²(n³ − n) − m Σ T), where
    T = Σ (t³ − t) over each rater's groups of t tied items (T = 0 without the correction).
    Under H0 (no concordance) m(n − 1)W is approximately χ² with n − 1 df (Kendall &
    Babington Smith 1939, Annals of Mathematical Statistics 10(3), 275-287; Siegel &
    Castellan 1988, Nonparametric Statistics for the Behavioral Sciences, 2nd ed., §9.4);
    it is Friedman's statistic.

    **Incomplete rankings** (``"incomplete"``). Rater j ranks the k_j items they rated,
    1..k_j (average ranks for ties), and each rank r becomes the compatible score
    r(n + 1)/(k_j + 1): the mean position among all n items over every complete ranking
    that agrees with the rater's (Alvo & Cabilio 1991, Annals of Statistics 19(3),
    1597-1613). With d_ij the score centred on (n + 1)/2, Q_i = Σ_j d_ij and, under H0, the
    exact covariance of Q from random ranking within each rater is
    V = Σ_j c_j (D_j − x_j x_jᵀ / k_j), where x_j marks rater j's items, D_j = diag(x_j) and
    c_j is the variance of rater j's scores (ddof 1; ties lower it). The statistic is
    χ² = Qᵀ V⁺ Q with n − 1 df for a connected design (Benard & van Elteren 1953,
    Indagationes Mathematicae 15, 358-369): on a balanced incomplete block design without
    ties it is Durbin's statistic 12(n − 1) Σ (R_i − r(k + 1)/2)² / (r n (k² − 1))
    (Durbin 1951, British Journal of Psychology, Statistical Section 4, 85-90; Conover 1999,
    Practical Nonparametric Statistics, 3rd ed., §5.9), and on a complete table it is the
    tie-corrected Friedman statistic above. Then

    W = χ² / χ²_agree,

    where χ²_agree is the χ² of a panel that agrees on the consensus order, the items sorted
    by their estimated effects V⁺Q: every rater ranks their own items in that order, once
    without ties (variances c⁰_j = k_j(k_j + 1)/12 on the rank scale) and once keeping their
    own tied scores (the observed c_j), the larger of the two counting. In a complete table
    the untied value is m(n − 1) whatever the order and the larger one, so W is the
    classical W exactly; in a balanced incomplete design it is λ(n² − 1)/(k + 1) and, without
    ties, W = 12 S / (λ² n (n² − 1)), Kendall's W for balanced incomplete rankings (Kendall &
    Gibbons 1990, Rank Correlation Methods, 5th ed., ch. 6), so W = 1 exactly when all
    raters follow one order. In an unbalanced design (the usual review round) an agreeing
    panel's χ² depends a little on the order it agrees on; scaling by the consensus order's
    keeps 0 ≤ W ≤ 1 on any data, because each rater's scores laid along V⁺Q give
    Q*ᵀV⁺Q ≥ QᵀV⁺Q (rearrangement inequality) and so Q*ᵀV⁺Q* ≥ QᵀV⁺Q (Cauchy–Schwarz);
    raters who all follow one order then get W = 1 or slightly less (0.97 at worst over
    300 random rounds of 15 reports, 8 raters, 4 per report). χ² is computed in the raters'
    space (items absorbed, as in a two-way analysis of variance), so no items × items matrix
    is formed.

    Examples
    --------
    >>> ranks = [[1, 1, 2], [6, 5, 3], [3, 6, 6], [2, 2, 5], [5, 4, 4], [4, 3, 1]]
    >>> round(kendall_w(ranks).value, 3)
    0.568
    >>> nan = float("nan")  # Conover (1999) ice cream: 7 varieties, 7 judges taste 3 each
    >>> table = [[2, nan, nan, nan, 3, nan, 3], [3, 3, nan, nan, nan, 3, nan],
    ...          [nan, 1, 2, nan, nan, nan, 1], [1, nan, 1, 1, nan, nan, nan],
    ...          [nan, 2, nan, 2, 1, nan, nan], [nan, nan, 3, nan, 2, 1, nan],
    ...          [nan, nan, nan, 3, nan, 2, 2]]
    >>> result = kendall_w(table)
    >>> round(result.statistic, 6), result.df, round(result.p_value, 7), round(result.value, 6)
    (12.0, 6.0, 0.0619688, 1.0)
    """
    if missing not in MISSING_RULES:
        raise InputError(f"未知的缺失处理方式 {missing!r}，可选：{', '.join(MISSING_RULES)}",
                         f"unknown missing rule {missing!r}; choose one of "
                         f"{', '.join(MISSING_RULES)}", field="missing")
    table = as_ratings(ratings)
    table = table[:, ~np.isnan(table).all(axis=0)]
    gaps = np.isnan(table)
    rows_in, cols_in = table.shape
    if missing == "incomplete":
        # A rater with one item ranks nothing; dropping them may empty an item.
        ranking = (~gaps).sum(axis=0) >= 2
        kept_items = (~gaps[:, ranking]).any(axis=1)
        table = table[kept_items][:, ranking]
        n, m = table.shape
        if n < 2 or m < 2:
            raise InputError(f"处理缺失后只剩 {n} 个对象、{m} 名给两个以上对象评分的评分人，至少各需 2 个",
                             f"after missing ratings only {n} items and {m} raters who rated "
                             "two or more items remain; need at least 2 of each",
                             field="ratings")
        dropped = "".join([
            f"{cols_in - m} raters with one rating left out; " if m < cols_in else "",
            f"{rows_in - n} items rated only by them left out; " if n < rows_in else ""])
        return _incomplete(table, ties, dropped)
    if gaps.any():
        if missing == "raise":
            i, _ = map(int, np.argwhere(gaps)[0])
            raise InputError("肯德尔 W 需要完整的排序，存在缺失评分",
                             "Kendall's W needs complete rankings and a rating is missing",
                             row=i + 1, field="ratings")
        if missing == "drop_items":
            table = table[~gaps.any(axis=1)]
        else:
            table = table[:, ~gaps.any(axis=0)]
    n, m = table.shape
    if n < 2 or m < 2:
        raise InputError(f"处理缺失后只剩 {n} 个对象、{m} 名评分人，至少各需 2 个",
                         f"after missing ratings only {n} items and {m} raters remain; "
                         "need at least 2 of each", field="ratings")
    kept = (f"{rows_in - n} items with a missing rating dropped" if n < rows_in
            else f"{cols_in - m} raters with a missing rating dropped" if m < cols_in
            else "no missing ratings")
    return _classical(table, ties, kept)
