"""Krippendorff's alpha for nominal, ordinal, interval and ratio ratings with missing values.

Every level is computed from per-unit sums, so memory grows with the number of ratings and
never with the square of the number of distinct values: continuous 0-100 scores are as cheap as
a five-point scale. The same per-unit sums, re-weighted, give the bootstrap replicates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from indicators.errors import InputError
from review.ratings import AgreementResult, as_ratings

__all__ = ["ALPHA_LEVELS", "krippendorff_alpha"]

#: Levels of measurement, each with its difference function (Krippendorff 2011).
ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")

# Replicates are evaluated in blocks so that no block holds more than this many floats.
_BLOCK_FLOATS = 4_000_000
# Step of the trapezoid rule in log-time for the ratio metric's expected disagreement.
_RATIO_STEP = 0.25

# A replicate function maps unit weights (replicates × units) to alpha per replicate.
Replicates = Callable[[np.ndarray], np.ndarray]


def _alpha(n: np.ndarray, observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """alpha = 1 - (n - 1) * sum_u D_u / sum_{pairs} delta^2 from the summed pieces."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - (n - 1.0) * observed / expected
    return np.where(expected > 0, out, np.nan)


def _interval(values: np.ndarray, present: np.ndarray) -> Replicates:
    """Closed form: within-unit and overall sums of squared differences from sums and squares."""
    m = present.sum(axis=1).astype(float)
    centred = np.where(present, values - np.nanmean(values), 0.0)
    s1 = centred.sum(axis=1)
    unit_mean = s1 / m
    ss_unit = np.where(present, centred - unit_mean[:, None], 0.0)
    # sum over ordered pairs (v_i - v_j)^2 within a unit = 2 m SS_u; divided by m - 1.
    within = 2.0 * m * np.einsum("ij,ij->i", ss_unit, ss_unit) / (m - 1.0)
    s2 = np.einsum("ij,ij->i", centred, centred)
    stacked = np.column_stack([m, within, s1, s2])

    def run(weights: np.ndarray) -> np.ndarray:
        n, obs, t1, t2 = (weights @ stacked).T
        return _alpha(n, obs, 2.0 * (n * t2 - t1**2))

    return run


def _counts(codes: np.ndarray, unit: np.ndarray, n_units: int, n_values: int) -> sparse.csr_matrix:
    ones = np.ones(codes.size)
    return sparse.csr_matrix((ones, (unit, codes)), shape=(n_units, n_values))


def _nominal(counts: sparse.csr_matrix, m: np.ndarray) -> Replicates:
    """delta = 1 for different values: pairs that differ are m^2 - sum_c n_c^2."""
    within = (m**2 - np.asarray(counts.multiply(counts).sum(axis=1)).ravel()) / (m - 1.0)
    stacked = np.column_stack([m, within])
    counts_t = counts.T.tocsr()

    def run(weights: np.ndarray) -> np.ndarray:
        n, obs = (weights @ stacked).T
        marginal = (counts_t @ weights.T).T
        return _alpha(n, obs, n**2 - np.einsum("bv,bv->b", marginal, marginal))

    return run


def _ordinal(counts: sparse.csr_matrix, m: np.ndarray) -> Replicates:
    """Ordinal delta_ck is the difference of the values' mid-ranks in the pooled marginals.

    With r_c = sum_{g<c} n_g + n_c / 2, Krippendorff's (sum_{g=c..k} n_g - (n_c + n_k)/2)^2
    equals (r_k - r_c)^2, so the ordinal metric is the interval metric on mid-ranks.
    """
    counts_t = counts.T.tocsr()

    def run(weights: np.ndarray) -> np.ndarray:
        marginal = (counts_t @ weights.T).T  # replicates × values
        midrank = np.cumsum(marginal, axis=1) - marginal / 2.0
        s1 = counts @ midrank.T  # units × replicates
        s2 = counts @ (midrank**2).T
        within = 2.0 * (m[:, None] * s2 - s1**2) / (m[:, None] - 1.0)
        n = weights @ m
        obs = np.einsum("bu,ub->b", weights, within)
        t1 = np.einsum("bv,bv->b", marginal, midrank)
        t2 = np.einsum("bv,bv->b", marginal, midrank**2)
        return _alpha(n, obs, 2.0 * (n * t2 - t1**2))

    return run


def _ratio(values: np.ndarray, present: np.ndarray, distinct: np.ndarray,
           counts: sparse.csr_matrix) -> Replicates:
    """Ratio delta^2 = ((a - b) / (a + b))^2, zero when a = b = 0.

    Within units the pairs are summed directly. Over all pairs, 1/(a+b)^2 = ∫ t e^{-t(a+b)} dt
    separates the sum: sum_{a,b} (a-b)^2/(a+b)^2 = ∫ 2t (S0 S2 - S1^2) dt with
    S_p(t) = sum_a (a - c)^p e^{-ta} for any centre c, chosen per t. The integral is a trapezoid rule in
    log t, which converges geometrically for this analytic integrand, so the cost is linear in
    the number of distinct values; the integrand is itself of the size of the disagreement, so
    closely agreeing values lose no precision to cancellation.
    """
    m = present.sum(axis=1).astype(float)
    units, k = values.shape
    within = np.empty(units)
    step = max(1, _BLOCK_FLOATS // (k * k))
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, units, step):  # blocks of units, to bound memory
            block = values[start:start + step]
            a, b = block[:, :, None], block[:, None, :]
            within[start:start + step] = np.nansum(((a - b) / (a + b)) ** 2, axis=(1, 2))
    within /= m - 1.0

    positive = distinct[distinct > 0]
    if positive.size:
        # Nodes cover pair sums from the smallest positive value to twice the largest.
        s = np.arange(-np.log(positive.max()) - 21.0,
                      np.log(50.0 / positive.min()) + _RATIO_STEP, _RATIO_STEP)
        t = np.exp(s)
        pooled = np.asarray(counts.sum(axis=0)).ravel()
        # moments[p][u, j] = sum over unit u's values of (a - c_j)^p e^{-t_j a}, centred at
        # each node's weighted mean c_j so that S0 S2 - S1^2 does not cancel.
        moments = [np.empty((units, t.size)) for _ in range(3)]
        step = max(1, _BLOCK_FLOATS // distinct.size)
        for start in range(0, t.size, step):  # blocks of nodes, to bound memory
            decay = np.exp(-np.outer(distinct, t[start:start + step]))
            centre = (pooled * distinct) @ decay / (pooled @ decay)
            centred = distinct[:, None] - centre[None, :]
            for p, moment in enumerate(moments):
                moment[:, start:start + step] = counts @ (centred**p * decay)
        quadrature = 2.0 * _RATIO_STEP * t**2
    else:
        moments = [np.zeros((units, 1))] * 3
        quadrature = np.zeros(1)
    stacked = np.column_stack([m, within])

    def run(weights: np.ndarray) -> np.ndarray:
        n, obs = (weights @ stacked).T
        s0, s1, s2 = (weights @ moment for moment in moments)
        return _alpha(n, obs, (s0 * s2 - s1**2) @ quadrature)

    return run


def _replicates(table: np.ndarray, present: np.ndarray, level: str) -> tuple[Replicates, int]:
    """The replicate function of one level on pairable units, and its widest per-unit row."""
    if level == "interval":
        return _interval(table, present), 4
    unit_index, _ = np.nonzero(present)
    codes, distinct = pd.factorize(table[present], sort=level != "nominal")
    distinct = np.asarray(distinct)
    counts = _counts(codes, unit_index, table.shape[0], distinct.size)
    m = present.sum(axis=1).astype(float)
    if level == "nominal":
        return _nominal(counts, m), distinct.size
    if level == "ordinal":
        return _ordinal(counts, m), distinct.size
    if np.any(distinct < 0):
        raise InputError("比率尺度的评分不能为负", "ratio-level ratings must be ≥ 0",
                         field="ratings")
    return _ratio(table, present, distinct.astype(float), counts), distinct.size


def _bootstrap(run: Replicates, n_units: int, replicates: int, seed: int | None,
               width: int) -> np.ndarray:
    """Resample units with replacement; each replicate is a vector of unit multiplicities."""
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_FLOATS // max(n_units, width))
    out = []
    for start in range(0, replicates, block):  # blocks of replicates, to bound memory
        b = min(block, replicates - start)
        draws = rng.integers(0, n_units, size=(b, n_units)) + n_units * np.arange(b)[:, None]
        weights = np.bincount(draws.ravel(), minlength=b * n_units).reshape(b, n_units)
        out.append(run(weights.astype(float)))
    return np.concatenate(out)


def krippendorff_alpha(
    ratings: Any,
    *,
    level: str = "interval",
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> AgreementResult:
    """Krippendorff's alpha at one level of measurement, with a unit-bootstrap interval.

    Parameters
    ----------
    ratings
        Items (units) × raters table, array-like or DataFrame, NaN for a missing rating.
        For ``level="nominal"`` the entries may be labels (strings); otherwise numbers.
    level
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"`` (ratio values must be ≥ 0).
    bootstrap
        Number of bootstrap resamples of units for the confidence interval; 0 for none.
    confidence
        Level of the two-sided percentile interval.
    seed
        Seed of the resampling, recorded in ``details`` so the interval can be reproduced.

    Returns
    -------
    AgreementResult
        ``value``; with ``bootstrap > 0`` also ``ci_low``, ``ci_high`` and ``se`` (standard
        deviation of the replicates). ``n_items``, ``n_raters`` and ``n_ratings`` count the
        pairable units, the raters with a pairable value and the pairable values.

    Raises
    ------
    InputError
        Unusable table, unknown level, negative ratio values, no unit with two ratings, no
        variation among the pairable values, or a bad ``bootstrap``/``confidence``.

    Notes
    -----
    alpha = 1 − D_o / D_e with, over pairable units u (those with m_u ≥ 2 values) and
    n = Σ m_u pairable values,

    D_o = (1/n) Σ_u 1/(m_u − 1) Σ_{i≠j in u} δ²(v_i, v_j),
    D_e = 1/(n(n − 1)) Σ_{i≠j over all pairable values} δ²(v_i, v_j)

    (Krippendorff 2011, "Computing Krippendorff's alpha-reliability", Annenberg School for
    Communication; Krippendorff 2019, Content Analysis, 4th ed., ch. 12). Units with a single
    value cannot be paired and are left out, as the definition requires. The coincidence
    matrix is never formed: interval pair sums are 2(m Σv² − (Σv)²); nominal pairs that differ
    number m² − Σ_c n_c²; the ordinal metric equals the interval metric on the values'
    mid-ranks in the pooled marginal counts; for ratio, see ``_ratio``. The interval is the
    percentile interval of a nonparametric bootstrap resampling units with replacement
    (Zapf et al. 2016, BMC Medical Research Methodology 16:93), not Krippendorff's own
    algorithm, which resamples pairs of values.

    Examples
    --------
    >>> import numpy as np
    >>> nan = np.nan
    >>> observers = np.array([  # Krippendorff (2011), 4 observers × 12 units
    ...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])
    >>> round(krippendorff_alpha(observers.T, level="interval", bootstrap=0).value, 3)
    0.849
    """
    if level not in ALPHA_LEVELS:
        raise InputError(f"未知的测量尺度 {level!r}，可选：{', '.join(ALPHA_LEVELS)}",
                         f"unknown level {level!r}; choose one of {', '.join(ALPHA_LEVELS)}",
                         field="level")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer) or bootstrap < 0:
        raise InputError(f"自助抽样次数必须是非负整数，实际 {bootstrap!r}",
                         f"bootstrap must be a non-negative integer, got {bootstrap!r}",
                         field="bootstrap")
    if not 0 < confidence < 1:
        raise InputError(f"置信水平必须在 0 与 1 之间，实际 {confidence}",
                         f"confidence must be between 0 and 1, got {confidence}",
                         field="confidence")
    table = as_ratings(ratings, numeric=level != "nominal", min_items=1)
    present = pd.notna(table) if level == "nominal" else ~np.isnan(table)
    if level != "nominal" and np.isinf(table).any():
        i, j = map(int, np.argwhere(np.isinf(table))[0])
        raise InputError("评分不能是无穷大", "a rating is infinite", row=i + 1, column=str(j + 1))
    per_unit = present.sum(axis=1)
    pairable = per_unit >= 2
    if not pairable.any():
        raise InputError("没有任何对象有两个评分，α 无法计算",
                         "no unit has two ratings, so alpha cannot be computed", field="ratings")
    dropped = int((~pairable & (per_unit > 0)).sum())
    if not pairable.all():
        table, present = table[pairable], present[pairable]
    n_raters = int(present.any(axis=0).sum())
    n_values = int(per_unit[pairable].sum())

    run, width = _replicates(table, present, level)
    value = float(run(np.ones((1, table.shape[0])))[0])
    if not np.isfinite(value):
        raise InputError("所有可配对的评分都相同，α 无定义",
                         "all pairable ratings are identical, so alpha is undefined",
                         field="ratings")

    method = (f"Krippendorff's alpha, {level} metric (Krippendorff 2011), from per-unit sums "
              f"without a coincidence matrix over value pairs; {n_values} pairable ratings in "
              f"{table.shape[0]} units")
    method += (f"; {dropped} units with a single rating left out as unpairable"
               if dropped else "; every rated unit pairable")
    details: dict[str, Any] = {"level": level, "units_unpairable": dropped}
    low = high = se = None
    if bootstrap:
        reps = _bootstrap(run, table.shape[0], bootstrap, seed, width)
        finite = reps[np.isfinite(reps)]
        tail = (1 - confidence) / 2 * 100
        if finite.size:
            low, high = (float(q) for q in np.percentile(finite, [tail, 100 - tail]))
            se = float(np.std(finite, ddof=1)) if finite.size > 1 else None
        details.update(bootstrap=bootstrap, seed=seed,
                       bootstrap_undefined=int(reps.size - finite.size))
        method += (f"; CI: percentile bootstrap resampling units with replacement "
                   f"({bootstrap} resamples, seed {seed}; Zapf et al. 2016)")
    return AgreementResult(
        coefficient=f"Krippendorff's alpha ({level})", value=value,
        ci_low=low, ci_high=high, confidence=confidence if bootstrap else None, se=se,
        n_items=int(table.shape[0]), n_raters=n_raters, n_ratings=n_values,
        method=method, details=details,
    )
