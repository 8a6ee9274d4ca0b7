"""Intraclass correlation coefficients for panels where not everyone rated everything.

The six Shrout & Fleiss (1979) forms, with their F tests and confidence intervals, from
variance components that use every available rating. On a complete table the components are
the classic two-way ANOVA mean squares and every number equals the textbook formula; on an
incomplete table (each report scored by part of the panel, the normal case in a review round)
they are Henderson's method III estimators, so no report is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, sparse, stats
from scipy.sparse import csgraph

from indicators.errors import InputError
from review.ratings import AgreementResult, as_ratings

__all__ = ["ICC_FORMS", "icc", "icc_forms", "icc_table"]

#: The six forms, in Shrout & Fleiss (1979) order.
ICC_FORMS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")

# Names other software prints for the same forms (psych::ICC, McGraw & Wong 1996).
_ALIASES = {
    "ICC1": "ICC(1,1)", "ICC2": "ICC(2,1)", "ICC3": "ICC(3,1)",
    "ICC1K": "ICC(1,k)", "ICC2K": "ICC(2,k)", "ICC3K": "ICC(3,k)",
    "ICC(A,1)": "ICC(2,1)", "ICC(C,1)": "ICC(3,1)", "ICC(A,K)": "ICC(2,k)", "ICC(C,K)": "ICC(3,k)",
}

_MODELS = {
    "1": "one-way random effects, absolute agreement",
    "2": "two-way random effects, absolute agreement",
    "3": "two-way mixed effects, consistency",
}


@dataclass(frozen=True)
class _Anova:
    """Mean squares, degrees of freedom and variance components of one ratings table."""

    n_items: int
    n_raters: int
    n_ratings: int
    n_missing: int
    complete: bool
    ms_between: float  # one-way: between items
    ms_within: float  # one-way: within items
    df_between: float
    df_within: float
    n0: float  # one-way: effective ratings per item (equals k when complete)
    ms_items: float  # two-way: items adjusted for raters
    ms_raters: float  # two-way: raters adjusted for items
    ms_error: float
    df_items: float
    df_raters: float
    df_error: float
    c_items: float  # E[ms_items] = s2_error + c_items * s2_items
    c_raters: float  # E[ms_raters] = s2_error + c_raters * s2_raters
    k_mean: float  # harmonic mean of ratings per item: the k of the average-measure forms


def _anova(values: np.ndarray) -> _Anova:
    """Henderson method III sums of squares for the additive items + raters model.

    Items are absorbed first; the rater effects then solve the k × k reduced normal equations
    (in closed form on a complete table), whose rank is known from the design, so a
    disconnected design lowers the rank, never fails.
    """
    if np.isinf(values).any():
        i, j = map(int, np.argwhere(np.isinf(values))[0])
        raise InputError("评分不能是无穷大", "a rating is infinite", row=i + 1, column=str(j + 1))
    present = ~np.isnan(values)
    w = present.astype(float)
    # Row and column sums as matrix-vector products: much faster than axis sums on wide data.
    per_item, per_rater = w @ np.ones(w.shape[1]), np.ones(w.shape[0]) @ w
    if not (per_item.all() and per_rater.all()):
        # Rows and columns with no rating at all carry no information; they are not counted.
        values = values[per_item > 0][:, per_rater > 0]
        present = ~np.isnan(values)
        w = present.astype(float)
        per_item, per_rater = w @ np.ones(w.shape[1]), np.ones(w.shape[0]) @ w
    n, k = values.shape
    total = float(per_item.sum())
    complete = total == n * k
    if total - n < 1:
        raise InputError("没有任何对象有两个以上评分，无法估计评分误差",
                         "no item has two or more ratings, so rating error cannot be estimated",
                         field="ratings")
    # Centring on the grand mean keeps the sums of squares free of cancellation.
    y = np.where(present, values, 0.0)
    np.subtract(y, y.sum() / total, out=y, where=present)
    item_totals, rater_totals = y @ np.ones(k), np.ones(n) @ y
    item_mean = item_totals / per_item
    sum_sq = float(np.vdot(y, y))

    ss_between = float(item_totals @ item_mean)
    ss_within = sum_sq - ss_between
    ss_about_raters = sum_sq - float(rater_totals @ (rater_totals / per_rater))

    if complete:
        # Every item rated by all k raters: the reduced matrix is n(I - J/k), the totals sum
        # to zero, so the rater effects are the column totals over n.
        rank = k - 1
        rater_effect = rater_totals / n
        adjusted_totals = rater_totals
    else:
        reduced = np.diag(per_rater) - (w / per_item[:, None]).T @ w
        adjusted_totals = rater_totals - w.T @ item_mean
        # The rank is known exactly from the design: k minus the number of groups of raters
        # linked by co-rated items. Guessing it from tiny eigenvalues would shift the df.
        n_groups, group = csgraph.connected_components(sparse.csr_matrix(reduced < 0),
                                                       directed=False)
        rank = k - n_groups
        # The reduced matrix is singular along each group's ones vector, and the adjusted
        # totals sum to zero within each group; adding that projector makes it positive
        # definite with the same solution on those totals as the pseudo-inverse, so one
        # Cholesky solve replaces an eigen-decomposition.
        member = (group[:, None] == np.arange(n_groups)[None, :]).astype(float)
        lift = member @ member.T * float(np.mean(per_rater))
        rater_effect = linalg.solve(reduced + lift, adjusted_totals, assume_a="pos")
    sse = ss_within - float(rater_effect @ adjusted_totals)
    if sse < 1e-6 * sum_sq:
        # Near-perfect agreement: the difference above lost digits, so sum the residuals.
        item_effect = item_mean - (w @ rater_effect) / per_item
        resid = np.where(present, y - item_effect[:, None] - rater_effect[None, :], 0.0)
        within = np.where(present, y - item_mean[:, None], 0.0)
        sse, ss_within = float(np.vdot(resid, resid)), float(np.vdot(within, within))

    df_error = total - n - rank
    if df_error < 1:
        raise InputError("评分太少，无法在扣除对象和评分人效应后估计误差",
                         "too few ratings to estimate error after item and rater effects",
                         field="ratings")
    df_items = n + rank - k
    df_raters = float(rank)
    ms_items = (ss_about_raters - sse) / df_items
    ms_raters = (ss_within - sse) / df_raters if rank > 0 else np.nan
    ms_error = sse / df_error
    if ss_between + ss_within <= 0:
        raise InputError("所有评分都相同，组内相关系数无定义",
                         "every rating is the same, so the ICC is undefined", field="ratings")
    return _Anova(
        n_items=n, n_raters=k, n_ratings=int(total), n_missing=int(n * k - total),
        complete=complete,
        ms_between=ss_between / (n - 1), ms_within=ss_within / (total - n),
        df_between=float(n - 1), df_within=float(total - n),
        n0=(total - float(np.sum(per_item**2)) / total) / (n - 1),
        ms_items=ms_items, ms_raters=ms_raters, ms_error=ms_error,
        df_items=float(df_items), df_raters=df_raters, df_error=float(df_error),
        c_items=(total - k) / df_items, c_raters=(total - n) / df_raters if rank > 0 else np.nan,
        k_mean=float(n / np.sum(1.0 / per_item)),
    )


def _ratio(num: float, den: float) -> float:
    # F = inf (no error at all) gives an ICC and bounds of exactly 1, not inf/inf.
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(num) / np.float64(den))


def _consistency_bounds(f: float, df1: float, df2: float, c: float,
                        alpha: float) -> tuple[float, float]:
    """Exact F-based bounds of sigma2_a / (sigma2_a + sigma2_e), Shrout & Fleiss (1979) Table 3."""
    if np.isinf(f):
        return 1.0, 1.0
    f_low = f / stats.f.ppf(1 - alpha / 2, df1, df2)
    f_high = f * stats.f.ppf(1 - alpha / 2, df2, df1)
    return (f_low - 1) / (f_low + c - 1), (f_high - 1) / (f_high + c - 1)


def _agreement_bounds(a: _Anova, rho: float, alpha: float) -> tuple[float, float]:
    """McGraw & Wong (1996) / Fleiss & Shrout (1978) bounds for ICC(2,1), Satterthwaite df.

    Written with the expected-mean-square coefficients c_items and c_raters, so that on a
    complete table (c_items = k, c_raters = n) it is exactly the published formula.
    """
    if not rho < 1:  # no rater and no error variance: agreement is perfect
        return 1.0, 1.0
    if not np.isfinite(a.ms_raters):
        return np.nan, np.nan
    odds = a.c_items * rho / (1 - rho)
    coef_raters = odds / a.c_raters
    coef_error = 1 + odds - coef_raters
    num = (coef_raters * a.ms_raters + coef_error * a.ms_error) ** 2
    den = ((coef_raters * a.ms_raters) ** 2 / a.df_raters
           + (coef_error * a.ms_error) ** 2 / a.df_error)
    # Both mean squares zero (or a zero df): the Satterthwaite df is undefined, not infinite.
    if not (np.isfinite(den) and den > 0):
        return np.nan, np.nan
    v = num / den
    if not np.isfinite(v) or v <= 0:
        return np.nan, np.nan
    s2_raters = (a.ms_raters - a.ms_error) / a.c_raters

    def bound(ms_items: float) -> float:
        s2_items = (ms_items - a.ms_error) / a.c_items
        return s2_items / (s2_items + s2_raters + a.ms_error)

    low = bound(a.ms_items / stats.f.ppf(1 - alpha / 2, a.df_items, v))
    high = bound(a.ms_items * stats.f.ppf(1 - alpha / 2, v, a.df_items))
    return low, high


def _spearman_brown(rho: float, k: float) -> float:
    return _ratio(k * rho, 1 + (k - 1) * rho)


def _all_forms(values: np.ndarray, confidence: float) -> dict[str, AgreementResult]:
    if not 0 < confidence < 1:
        raise InputError(f"置信水平必须在 0 与 1 之间，实际 {confidence}",
                         f"confidence must be between 0 and 1, got {confidence}",
                         field="confidence")
    a = _anova(values)
    alpha = 1 - confidence

    # One-way (case 1): items random, raters nested in items.
    f1 = _ratio(a.ms_between, a.ms_within)
    s2_items_1 = (a.ms_between - a.ms_within) / a.n0
    icc1 = _ratio(s2_items_1, s2_items_1 + a.ms_within)
    ci1 = _consistency_bounds(f1, a.df_between, a.df_within, a.n0, alpha)
    p1 = float(stats.f.sf(f1, a.df_between, a.df_within))

    # Two-way (cases 2 and 3): one F test of the item effect adjusted for raters.
    f23 = _ratio(a.ms_items, a.ms_error)
    s2_items = (a.ms_items - a.ms_error) / a.c_items
    s2_raters = (a.ms_raters - a.ms_error) / a.c_raters if np.isfinite(a.ms_raters) else 0.0
    icc3 = _ratio(s2_items, s2_items + a.ms_error)
    icc2 = _ratio(s2_items, s2_items + s2_raters + a.ms_error)
    ci3 = _consistency_bounds(f23, a.df_items, a.df_error, a.c_items, alpha)
    ci2 = _agreement_bounds(a, icc2, alpha)
    p23 = float(stats.f.sf(f23, a.df_items, a.df_error))

    if a.complete:
        handling = (f"complete table of {a.n_items} items × {a.n_raters} raters: classic ANOVA "
                    "mean squares (Shrout & Fleiss 1979)")
    else:
        handling = (f"{a.n_missing} missing ratings: variance components by Henderson's method "
                    f"III (fitting constants; Searle, Casella & McCulloch 1992, ch. 5) on all "
                    f"{a.n_ratings} available ratings of {a.n_items} items, no item dropped; "
                    "equal to the classic ANOVA on complete data")
    single = {
        "1": (icc1, ci1, f1, (a.df_between, a.df_within), p1),
        "2": (icc2, ci2, f23, (a.df_items, a.df_error), p23),
        "3": (icc3, ci3, f23, (a.df_items, a.df_error), p23),
    }
    components = {
        "s2_items": s2_items, "s2_raters": s2_raters, "s2_error": a.ms_error,
        "ms_between": a.ms_between, "ms_within": a.ms_within, "ms_items": a.ms_items,
        "ms_raters": a.ms_raters, "ms_error": a.ms_error, "n0": a.n0,
        "c_items": a.c_items, "c_raters": a.c_raters, "k_mean": a.k_mean,
    }
    ci_text = {
        "1": "exact F interval (Shrout & Fleiss 1979)",
        "2": "Satterthwaite interval (McGraw & Wong 1996; Fleiss & Shrout 1978)",
        "3": "exact F interval (Shrout & Fleiss 1979)",
    }
    out: dict[str, AgreementResult] = {}
    for model, (value, (low, high), f, df, p) in single.items():
        for average in (False, True):
            name = f"ICC({model},k)" if average else f"ICC({model},1)"
            if average:
                value_out = _spearman_brown(value, a.k_mean)
                low, high = _spearman_brown(low, a.k_mean), _spearman_brown(high, a.k_mean)
                unit = (f"mean of k = {a.k_mean:.4g} ratings (harmonic mean of ratings per "
                        "item), Spearman-Brown step-up of the single-rater form")
            else:
                value_out = value
                unit = "single rater"
            out[name] = AgreementResult(
                coefficient=name, value=float(value_out),
                ci_low=float(low), ci_high=float(high), confidence=confidence,
                statistic=float(f), statistic_name="F", df=df, p_value=p,
                n_items=a.n_items, n_raters=a.n_raters, n_ratings=a.n_ratings,
                method=f"{_MODELS[model]}, {unit}; {handling}; CI: {ci_text[model]}",
                details=components,
            )
    return out


def _form(form: str) -> str:
    key = str(form).strip()
    if key in ICC_FORMS:
        return key
    upper = key.upper().replace(" ", "")
    for known in ICC_FORMS:
        if upper == known.upper():
            return known
    if upper in _ALIASES:
        return _ALIASES[upper]
    raise InputError(f"未知的 ICC 形式 {form!r}，可选：{', '.join(ICC_FORMS)}",
                     f"unknown ICC form {form!r}; choose one of {', '.join(ICC_FORMS)}",
                     field="form")


def icc(ratings: Any, form: str = "ICC(2,1)", confidence: float = 0.95) -> AgreementResult:
    """Intraclass correlation of one Shrout & Fleiss form, with F test and confidence interval.

    Parameters
    ----------
    ratings
        Items × raters table (array-like or DataFrame), NaN for a missing rating.
    form
        ``"ICC(1,1)"``, ``"ICC(2,1)"``, ``"ICC(3,1)"``, ``"ICC(1,k)"``, ``"ICC(2,k)"`` or
        ``"ICC(3,k)"``; psych's ``"ICC2k"`` and McGraw & Wong's ``"ICC(A,1)"``/``"ICC(C,1)"``
        spellings are accepted too.
    confidence
        Level of the two-sided confidence interval.

    Returns
    -------
    AgreementResult
        ``value``, ``ci_low``/``ci_high``, ``statistic`` (F), ``df`` (df1, df2), ``p_value``
        of H0: ICC = 0, and in ``details`` the variance components and mean squares.

    Raises
    ------
    InputError
        Unusable table, no item rated twice, no variance at all, an unknown form or a
        confidence level outside (0, 1).

    Notes
    -----
    With item effects :math:`a_i`, rater effects :math:`b_j` and error :math:`e_{ij}`:

    * ICC(1,1) :math:`= \\sigma_a^2/(\\sigma_a^2+\\sigma_w^2)` from the one-way model;
    * ICC(2,1) :math:`= \\sigma_a^2/(\\sigma_a^2+\\sigma_b^2+\\sigma_e^2)` (absolute agreement);
    * ICC(3,1) :math:`= \\sigma_a^2/(\\sigma_a^2+\\sigma_e^2)` (consistency);
    * the ``k`` forms are the Spearman-Brown step-up to the mean of k ratings.

    On a complete n × k table the components come from the mean squares MSR, MSC, MSE and
    MSW, giving e.g. ICC(2,1) = (MSR − MSE) / (MSR + (k−1)MSE + k(MSC − MSE)/n)
    (Shrout & Fleiss 1979, Psychological Bulletin 86(2), 420-428). With missing ratings the
    two-way components are Henderson's method III estimates: the sums of squares for items
    adjusted for raters, raters adjusted for items and the residual of the additive fit, with
    expected values σe² + c·σ² whose coefficients are N − k and N − n (Henderson 1953,
    Biometrics 9(2), 226-252; Searle, Casella & McCulloch 1992, Variance Components, ch. 5); the one-way components use the unbalanced
    ANOVA with n0 = (N − Σnᵢ²/N)/(n − 1). k for the average forms is the harmonic mean of the
    ratings per item. The F tests are exact under normality; the intervals are those of
    Shrout & Fleiss (1979) and McGraw & Wong (1996, Psychological Methods 1(1), 30-46), exact
    on complete data and approximate (the effective n0 or c in place of k) otherwise.

    Examples
    --------
    >>> table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> round(icc(table, "ICC(2,1)").value, 2)
    0.29
    >>> table[0][1] = float("nan")
    >>> icc(table, "ICC(3,1)").n_ratings
    23
    """
    name = _form(form)
    return _all_forms(as_ratings(ratings), confidence)[name]


def icc_forms(ratings: Any, confidence: float = 0.95) -> dict[str, AgreementResult]:
    """All six ICC forms from one variance-component fit, as results keyed by form.

    Parameters
    ----------
    ratings
        Items × raters table (array-like or DataFrame), NaN for a missing rating.
    confidence
        Level of the two-sided confidence intervals.

    Returns
    -------
    dict
        ``{"ICC(1,1)": AgreementResult, ..., "ICC(3,k)": AgreementResult}`` in
        :data:`ICC_FORMS` order, each as :func:`icc` returns it.

    Raises
    ------
    InputError
        As :func:`icc`.

    Notes
    -----
    The six forms share one set of mean squares (Shrout & Fleiss 1979, Psychological
    Bulletin 86(2), 420-428; Henderson's method III on incomplete tables, Searle, Casella &
    McCulloch 1992, ch. 5), so fitting once and reading six times is what a report of all
    forms should do rather than calling :func:`icc` six times.

    Examples
    --------
    >>> table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> forms = icc_forms(table)
    >>> list(forms) == list(ICC_FORMS), round(forms["ICC(3,k)"].value, 2)
    (True, 0.91)
    """
    forms = _all_forms(as_ratings(ratings), confidence)
    return {name: forms[name] for name in ICC_FORMS}


def icc_table(ratings: Any, confidence: float = 0.95) -> pd.DataFrame:
    """All six ICC forms side by side, indexed by form.

    Parameters
    ----------
    ratings
        Items × raters table (array-like or DataFrame), NaN for a missing rating.
    confidence
        Level of the two-sided confidence intervals.

    Returns
    -------
    pandas.DataFrame
        Index ``form``; columns ``value``, ``ci_low``, ``ci_high``, ``confidence``, ``F``,
        ``df1``, ``df2``, ``p_value``, ``n_items``, ``n_raters``, ``n_ratings``, ``method``.

    Notes
    -----
    One decomposition serves all six forms; see :func:`icc` for formulas and references
    (Shrout & Fleiss 1979; McGraw & Wong 1996; Searle, Casella & McCulloch 1992).

    Examples
    --------
    >>> table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> icc_table(table)["value"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    forms = icc_forms(ratings, confidence)
    rows = [{
        "form": name, "value": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high,
        "confidence": r.confidence, "F": r.statistic, "df1": r.df[0], "df2": r.df[1],
        "p_value": r.p_value, "n_items": r.n_items, "n_raters": r.n_raters,
        "n_ratings": r.n_ratings, "method": r.method,
    } for name, r in forms.items()]
    return pd.DataFrame(rows).set_index("form").loc[list(ICC_FORMS)]
