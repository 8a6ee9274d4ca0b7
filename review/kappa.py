"""Kappa-family agreement coefficients for categorical ratings.

Fleiss' kappa and Cohen's (weighted) kappa live here; Gwet's AC1/AC2, Brennan–Prediger's
coefficient and percent agreement live in :mod:`review.gwet` and are re-exported, so every
kappa-family coefficient can be imported from this module. Each returns an
:class:`review.ratings.AgreementResult` with its standard error, confidence interval and, where a
test of "no agreement beyond chance" is defined, the test statistic and p-value. Ratings are
items × raters (NaN missing); categories are fixed by ``levels`` (see :mod:`review.categories`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from indicators.errors import InputError
from review.categories import agreement_weights, code_labels, rating_counts
from review.gwet import (
    MISSING_RULE,
    brennan_prediger,
    gwet_ac,
    linearised_agreement,
    percent_agreement,
    t_interval,
    validate_confidence,
)
from review.ratings import AgreementResult

__all__ = [
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac",
    "percent_agreement",
]


def _fleiss_null_variance(p_two: np.ndarray, p_three: np.ndarray, m: np.ndarray,
                          two: np.ndarray) -> np.ndarray:
    """Variance of Fleiss' kappa when raters agree only by chance, for any ratings per item.

    ``p_two`` = Σ p², ``p_three`` = Σ p³ (arrays: one entry per coefficient). With equal
    ratings per item this is Fleiss, Nee & Landis (1979); see :func:`fleiss_kappa`.
    """
    n, n2 = m.size, int(two.sum())
    mt = m[two]
    a1 = (2.0 / (mt * (mt - 1.0))).sum()
    a2 = (4.0 * (mt - 2.0) / (mt * (mt - 1.0))).sum()
    b = (1.0 / mt).sum()
    c = (1.0 / m).sum()
    spread = p_three - p_two**2
    numerator = ((a1 * (p_two - p_two**2) + a2 * spread) / n2**2
                 - 8.0 * spread * b / (n * n2) + 4.0 * spread * c / n**2)
    return numerator / (1.0 - p_two) ** 2


def fleiss_kappa(
    ratings: Any = None,
    *,
    counts: Any = None,
    levels: Sequence[Any] | None = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Fleiss' kappa for many raters, with per-category kappas and both standard errors.

    Parameters
    ----------
    ratings
        Items × raters labels (NaN missing). Give this or ``counts``.
    counts
        Items × categories table of how many raters chose each category; a DataFrame's
        columns name the categories.
    levels
        The category set in order (names the columns of ``counts``).
    confidence
        Level of the confidence interval.

    Returns
    -------
    AgreementResult
        ``se`` and the interval use the general (non-null) standard error; ``statistic`` is
        the z test of kappa = 0 with the null standard error. ``details`` holds ``se_null``,
        ``se_general``, ``pa``, ``pe`` and ``per_category`` (DataFrame: kappa, se_null, z,
        p_value per category).

    Raises
    ------
    InputError
        Neither or both inputs, fewer than two raters or items, a label outside ``levels``,
        a negative or fractional count, or every rating in one category.

    Notes
    -----
    With :math:`x_{ik}` raters putting item :math:`i` in category :math:`k` and
    :math:`m_i = \\sum_k x_{ik}`, the observed agreement is
    :math:`p_a = \\frac{1}{n_2}\\sum_{m_i \\ge 2} \\sum_k x_{ik}(x_{ik}-1)/(m_i(m_i-1))`,
    the category shares :math:`\\pi_k = \\frac{1}{n}\\sum_i x_{ik}/m_i`, chance agreement
    :math:`p_e = \\sum_k \\pi_k^2` and :math:`\\kappa = (p_a - p_e)/(1 - p_e)` (Fleiss 1971;
    with equal :math:`m_i` the shares are Fleiss' pooled proportions).

    *SE under H0* (for the z test): Fleiss, Nee & Landis (1979),
    :math:`\\mathrm{Var}_0 = \\frac{2}{nm(m-1)} \\frac{(\\sum p_kq_k)^2 -
    \\sum p_kq_k(q_k-p_k)}{(\\sum p_kq_k)^2}`; for unequal :math:`m_i` we use the same
    delta-method derivation item by item, which reduces to it when every item has m ratings.
    Per-category kappas are Fleiss' :math:`\\kappa_k`, i.e. kappa of category k against the
    rest, with null SE :math:`\\sqrt{2/(nm(m-1))}`.

    *General SE* (for the interval): Gwet's (2014, ch. 5) linearisation, valid when kappa is
    not zero; the interval uses t with n − 1 degrees of freedom, capped at 1.

    References: Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    *Psychological Bulletin*, 76(5), 378–382. Fleiss, J. L., Nee, J. C. M., & Landis, J. R.
    (1979). Large sample variance of kappa in the case of different sets of raters.
    *Psychological Bulletin*, 86(5), 974–977. Gwet, K. L. (2014). *Handbook of Inter-Rater
    Reliability* (4th ed.). Advanced Analytics.

    Examples
    --------
    >>> r = fleiss_kappa([["a", "a", "b"], ["b", "b", "b"], ["a", "a", "a"], ["c", "c", "b"]])
    >>> round(r.value, 3)
    0.467
    """
    validate_confidence(confidence)
    if (ratings is None) == (counts is None):
        raise InputError("请给出评分表 ratings 或计数表 counts 之一",
                         "give exactly one of ratings or counts", field="ratings")
    if counts is not None:
        if isinstance(counts, pd.DataFrame) and levels is None:
            levels = list(counts.columns)
        table = np.asarray(counts, dtype=float)
        if table.ndim != 2 or not np.all(np.isfinite(table)) or (table < 0).any() \
                or np.mod(table, 1.0).any():
            raise InputError("计数表必须是非负整数的二维表（行：对象，列：类别）",
                             "counts must be a 2-D table of non-negative whole numbers "
                             "(items × categories)", field="counts")
        levels = list(levels) if levels is not None else list(range(table.shape[1]))
        if len(levels) != table.shape[1]:
            raise InputError(f"类别数 {len(levels)} 与计数表列数 {table.shape[1]} 不一致",
                             f"{len(levels)} levels for {table.shape[1]} count columns",
                             field="levels")
        n_raters = int(table.sum(axis=1).max())
        if n_raters < 2:
            raise InputError("每个对象至多只有 1 个评分，无法计算一致性",
                             "no item has two or more ratings, so agreement is undefined",
                             field="counts")
    else:
        table, levels, n_raters = rating_counts(ratings, levels)
    q = len(levels)
    parts = linearised_agreement(table, np.eye(q), "fleiss")
    m, two, x, pi = parts.m, parts.two, parts.counts, parts.pi
    n, n2 = parts.n, parts.n2
    se_null = float(np.sqrt(_fleiss_null_variance(
        np.array([(pi**2).sum()]), np.array([(pi**3).sum()]), m, two))[0])

    # Category k against the rest: the same coefficient on a two-category table, where
    # x(x-1) + (m-x)(m-x-1) = 2x^2 - 2mx + m(m-1) per item gives p_a as two products.
    per_pair = np.where(two, 1.0 / np.where(two, m * (m - 1.0), 1.0), 0.0)
    pa_k = 1.0 + 2.0 * (per_pair @ (x * x) - (per_pair * m) @ x) / n2
    pe_k = pi**2 + (1.0 - pi) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa_k = (pa_k - pe_k) / (1.0 - pe_k)
        se_k = np.sqrt(_fleiss_null_variance(pe_k, pi**3 + (1.0 - pi) ** 3, m, two))
        z_k = kappa_k / se_k
    per_category = pd.DataFrame(
        {"kappa": kappa_k, "se_null": se_k, "z": z_k, "p_value": 2.0 * stats.norm.sf(np.abs(z_k))},
        index=pd.Index(levels, name="category"))

    value, se = parts.value, parts.se
    ci_low, ci_high = t_interval(value, se, n, confidence)
    statistic = value / se_null if se_null > 0 else None
    p_value = float(2.0 * stats.norm.sf(abs(statistic))) if statistic is not None else None
    equal_m = bool(np.all(m[two] == m[two][0])) and n2 == n
    method = (
        "Fleiss' kappa (Fleiss 1971), unweighted, "
        + ("equal ratings per item; " if equal_m else "unequal ratings per item; ")
        + MISSING_RULE + ". SE and interval: general (non-null) SE by Gwet's (2014) "
        "linearisation, t interval with n-1 df capped at 1. z test and p-value: SE under H0 "
        "by Fleiss, Nee & Landis (1979)"
        + ("" if equal_m else ", generalised to unequal ratings per item") + "."
    )
    return AgreementResult(
        coefficient="Fleiss' kappa", value=value, n_items=n, n_raters=n_raters,
        n_ratings=parts.n_ratings, method=method, ci_low=ci_low,
        ci_high=ci_high, confidence=confidence, se=se, statistic=statistic,
        statistic_name="z" if statistic is not None else None, p_value=p_value,
        details={"se_general": se, "se_null": se_null, "pa": parts.pa, "pe": parts.pe,
                 "n_items_agreement": n2, "levels": list(levels),
                 "per_category": per_category},
    )


def cohen_kappa(
    a: Any,
    b: Any,
    *,
    weights: str | Any | None = None,
    levels: Sequence[Any] | None = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Cohen's kappa between two raters, unweighted or weighted, with asymptotic SE.

    Parameters
    ----------
    a, b
        The two raters' labels for the same items, in the same order (NaN missing).
    weights
        ``None`` (unweighted), ``"linear"``, ``"quadratic"``, or a q × q matrix of agreement
        weights (1 on the diagonal, in [0, 1]; rows follow ``a``, columns ``b``).
    levels
        The category set, in order; fixes the weights' order and keeps unused categories.
    confidence
        Level of the confidence interval.

    Returns
    -------
    AgreementResult
        Kappa with its non-null SE and normal interval; ``statistic`` is z = kappa / SE0 with
        the SE under H0. ``details`` holds ``se_null``, ``po``, ``pe``, ``weights`` (matrix)
        and ``table`` (the q × q cross-table, unused levels included).

    Raises
    ------
    InputError
        Different lengths, fewer than two complete pairs, a label outside ``levels``, a bad
        weight matrix, or chance agreement of 1.

    Notes
    -----
    With cell proportions :math:`p_{ij}`, margins :math:`p_{i.}, p_{.j}` and agreement
    weights :math:`w_{ij}`: :math:`p_o = \\sum w_{ij} p_{ij}`,
    :math:`p_e = \\sum w_{ij} p_{i.} p_{.j}`, :math:`\\kappa_w = (p_o - p_e)/(1 - p_e)`
    (Cohen 1960, 1968). With :math:`\\bar w_{i.} = \\sum_j p_{.j} w_{ij}` and
    :math:`\\bar w_{.j} = \\sum_i p_{i.} w_{ij}` (Fleiss, Cohen & Everitt 1969):

    .. math::
        \\mathrm{Var}(\\hat\\kappa_w) = \\frac{\\sum_{ij} p_{ij}[w_{ij} - (\\bar w_{i.} +
        \\bar w_{.j})(1-\\kappa_w)]^2 - [\\kappa_w - p_e(1-\\kappa_w)]^2}{n(1-p_e)^2}

    .. math::
        \\mathrm{Var}_0(\\hat\\kappa_w) = \\frac{\\sum_{ij} p_{i.}p_{.j}[w_{ij} -
        (\\bar w_{i.} + \\bar w_{.j})]^2 - p_e^2}{n(1-p_e)^2}

    Pairs with a missing rating are dropped. The interval is normal and not capped.

    References: Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational
    and Psychological Measurement*, 20, 37–46. Cohen, J. (1968). Weighted kappa.
    *Psychological Bulletin*, 70(4), 213–220. Fleiss, J. L., Cohen, J., & Everitt, B. S.
    (1969). Large sample standard errors of kappa and weighted kappa. *Psychological
    Bulletin*, 72(5), 323–327.

    Examples
    --------
    >>> r = cohen_kappa([1, 2, 3, 1, 2], [1, 2, 3, 2, 2], weights="linear")
    >>> round(r.value, 3)
    0.737
    """
    validate_confidence(confidence)
    first, second = np.asarray(a).ravel(), np.asarray(b).ravel()
    if first.dtype.kind not in "biuf" or second.dtype.kind not in "biuf":
        first, second = first.astype(object), second.astype(object)
    if first.size != second.size:
        raise InputError(f"两名评分人的评分数不同：{first.size} 与 {second.size}",
                         f"the two raters rated different numbers of items: "
                         f"{first.size} and {second.size}", field="ratings")
    codes, levels = code_labels(np.vstack([first, second]), levels)
    complete = (codes >= 0).all(axis=0)
    n = int(complete.sum())
    if n < 2:
        raise InputError(f"至少需要 2 个两人都评过的对象，实际 {n} 个",
                         f"need at least 2 items rated by both raters, got {n}",
                         field="ratings")
    q = len(levels)
    w, weight_name = agreement_weights(weights, levels)
    cells = codes[0, complete] * q + codes[1, complete]
    table = np.bincount(cells, minlength=q * q).reshape(q, q).astype(float)
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po = float((w * p).sum())
    pe = float((w * np.outer(rows, cols)).sum())
    if pe >= 1.0 - 1e-12:
        raise InputError("机会一致性为 1（评分只落在一个类别），kappa 无定义",
                         "chance agreement is 1 (all ratings in one category), "
                         "so kappa is undefined", field="ratings")
    kappa = (po - pe) / (1.0 - pe)
    w_row = w @ cols
    w_col = rows @ w
    spread = (p * (w - np.add.outer(w_row, w_col) * (1.0 - kappa)) ** 2).sum()
    var = (spread - (kappa - pe * (1.0 - kappa)) ** 2) / (n * (1.0 - pe) ** 2)
    spread0 = (np.outer(rows, cols) * (w - np.add.outer(w_row, w_col)) ** 2).sum()
    var0 = (spread0 - pe**2) / (n * (1.0 - pe) ** 2)
    se, se0 = float(np.sqrt(max(var, 0.0))), float(np.sqrt(max(var0, 0.0)))
    half = float(stats.norm.ppf(0.5 + confidence / 2.0)) * se
    statistic = kappa / se0 if se0 > 0 else None
    label = "Cohen's kappa" if weight_name == "identity" else f"Cohen's weighted kappa ({weight_name})"
    method = (f"{label} for two raters (Cohen 1960/1968); {n} items rated by both, pairs with a "
              "missing rating dropped. SE and normal interval: Fleiss, Cohen & Everitt (1969) "
              "non-null SE; z test and p-value: their SE under H0.")
    return AgreementResult(
        coefficient=label, value=float(kappa), n_items=n, n_raters=2, n_ratings=2 * n,
        method=method, ci_low=kappa - half, ci_high=kappa + half, confidence=confidence,
        se=se, statistic=statistic, statistic_name="z" if statistic is not None else None,
        p_value=float(2.0 * stats.norm.sf(abs(statistic))) if statistic is not None else None,
        details={"se_null": se0, "po": po, "pe": pe, "levels": list(levels), "weights": w,
                 "table": pd.DataFrame(table, index=pd.Index(levels, name="a"),
                                       columns=pd.Index(levels, name="b"))},
    )
