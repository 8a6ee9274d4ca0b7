"""Rating categories: turning labels into category codes, and how close two categories are.

Every categorical coefficient in :mod:`review.kappa` first fixes the category set (the
``levels``), codes each rating as the position of its label in that set, and, for weighted
coefficients, builds an agreement-weight matrix ``W`` (1 on the diagonal, partial credit off it).
Both steps live here so that Cohen's, Fleiss', Gwet's and Brennan–Prediger's coefficients agree
on what a category is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError

__all__ = ["WEIGHT_KINDS", "agreement_weights", "code_labels", "count_table", "rating_counts"]

# Widest range of whole-number ratings coded through a lookup table (0-100 scores fit easily).
_LOOKUP_SPAN = 100_000

#: Named agreement-weight schemes (Gwet 2014, ch. 3); ``None`` means unweighted (identity).
WEIGHT_KINDS: tuple[str, ...] = ("identity", "linear", "quadratic", "ordinal", "radical", "ratio")


def _sorted_levels(values: np.ndarray) -> list[Any]:
    """The distinct labels in ``values``, numbers in numeric order, anything else as text."""
    distinct = pd.unique(pd.Series(values, dtype=object).dropna())
    try:
        return sorted(distinct.tolist())
    except TypeError:
        # Mixed numbers and text cannot be ordered together; text order is at least stable.
        return sorted(distinct.tolist(), key=str)


def code_labels(
    labels: Any, levels: Sequence[Any] | None = None, *, field: str = "ratings"
) -> tuple[np.ndarray, list[Any]]:
    """Code labels as positions in the category set, -1 for a missing rating.

    Parameters
    ----------
    labels
        Array-like of labels of any shape (numbers or text); NaN or None is missing.
    levels
        The category set in order. When given, categories nobody used still count (they
        matter to Brennan–Prediger's chance agreement and to weights), and a label outside
        the set is an error naming it. When omitted, the distinct labels used, sorted.
    field
        Name of the input, used in error messages.

    Returns
    -------
    codes : numpy.ndarray
        Integer array of the same shape as ``labels``; -1 marks a missing rating.
    levels : list
        The category set used.

    Raises
    ------
    InputError
        A label is not among ``levels``, ``levels`` repeats a label, or every rating is missing.

    Notes
    -----
    Matching is by value, so the number 1 and the float 1.0 are the same label but the text
    ``"1"`` is not.

    Examples
    --------
    >>> codes, levels = code_labels([["a", "b"], ["b", None]])
    >>> codes.tolist(), levels
    ([[0, 1], [1, -1]], ['a', 'b'])
    """
    array = np.asarray(labels)
    numeric_levels = levels is None or all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in levels)
    if array.dtype.kind in "biuf" and numeric_levels:
        codes, levels = _code_numbers(array.astype(float), levels, field)
    else:
        codes, levels = _code_objects(array.astype(object), levels, field)
    return codes, levels


def _checked_levels(levels: Sequence[Any]) -> list[Any]:
    levels = list(levels)
    if len(levels) == 0:
        raise InputError("类别集合为空", "levels is empty", field="levels")
    if len(set(levels)) != len(levels):
        raise InputError(f"类别集合中有重复：{levels}", f"levels repeat a label: {levels}",
                         field="levels")
    return levels


def _unknown_label(array: np.ndarray, unknown: np.ndarray, levels: list[Any],
                   field: str) -> InputError:
    """The error naming the first label outside the category set and where it is."""
    flat_at = int(np.flatnonzero(unknown.ravel())[0])
    label = array.ravel()[flat_at]
    if isinstance(label, float) and label.is_integer():
        label = int(label)
    place = tuple(int(p) + 1 for p in np.unravel_index(flat_at, array.shape))
    return InputError(f"评分 {label!r} 不在类别集合 {levels} 中（位置 {place}）",
                      f"rating {label!r} is not one of the levels {levels} (at {place})",
                      field=field)


def _code_numbers(values: np.ndarray, levels: Sequence[Any] | None,
                  field: str) -> tuple[np.ndarray, list[Any]]:
    """Fast path for numeric ratings: a lookup table for whole-number scales, else a search."""
    missing = np.isnan(values)
    if missing.all():
        raise InputError("评分全部缺失", "every rating is missing", field=field)
    given = values[~missing]
    low, high = float(given.min()), float(given.max())
    whole = high - low <= _LOOKUP_SPAN and bool(np.all(given == np.floor(given)))
    if levels is None:
        if whole:
            used = np.flatnonzero(np.bincount((given - low).astype(np.int64))) + low
        else:
            used = np.unique(given)
        levels = [int(v) if float(v).is_integer() else float(v) for v in used]
    levels = _checked_levels(levels)
    if whole:
        # Score scales are small ranges of whole numbers: index a table instead of searching.
        lookup = np.full(int(high - low) + 1, -1, dtype=np.int64)
        level_values = np.asarray(levels, dtype=float)
        inside = (level_values >= low) & (level_values <= high) & \
            (level_values == np.floor(level_values))
        lookup[(level_values[inside] - low).astype(np.int64)] = np.flatnonzero(inside)
        codes = np.full(values.shape, -1, dtype=np.int64)
        codes[~missing] = lookup[(given - low).astype(np.int64)]
        unknown = (codes < 0) & ~missing
        if unknown.any():
            raise _unknown_label(values, unknown, levels, field)
        return codes, levels
    level_values = np.asarray(levels, dtype=float)
    order = np.argsort(level_values, kind="stable")
    ordered = level_values[order]
    slot = np.clip(np.searchsorted(ordered, values), 0, len(levels) - 1)
    found = ordered[slot] == values
    unknown = ~found & ~missing
    if unknown.any():
        raise _unknown_label(values, unknown, levels, field)
    return np.where(missing, -1, order[slot]).astype(np.int64), levels


def _code_objects(array: np.ndarray, levels: Sequence[Any] | None,
                  field: str) -> tuple[np.ndarray, list[Any]]:
    """Labels of any kind (text, mixed), matched by hashing."""
    flat = array.ravel()
    missing = pd.isna(flat)
    if missing.all():
        raise InputError("评分全部缺失", "every rating is missing", field=field)
    levels = _checked_levels(_sorted_levels(flat[~missing]) if levels is None else levels)
    codes = pd.Index(levels, dtype=object).get_indexer(flat)
    unknown = (codes < 0) & ~missing
    if unknown.any():
        raise _unknown_label(array, unknown.reshape(array.shape), levels, field)
    return np.where(missing, -1, codes).reshape(array.shape).astype(np.int64), levels


def count_table(codes: np.ndarray, n_levels: int) -> np.ndarray:
    """Items × categories table of how many raters put each item in each category.

    Parameters
    ----------
    codes
        Items × raters integer codes from :func:`code_labels`, -1 missing.
    n_levels
        Number of categories.

    Returns
    -------
    numpy.ndarray
        Float array of shape (items, n_levels).

    Notes
    -----
    :math:`x_{ik} = \\#\\{j : c_{ij} = k\\}`, the table of Fleiss (1971, Table 1), built with
    one ``bincount`` over item × category cell numbers.

    Examples
    --------
    >>> count_table(np.array([[0, 1, 1], [2, -1, 2]]), 3).tolist()
    [[1.0, 2.0, 0.0], [0.0, 0.0, 2.0]]
    """
    n_items = codes.shape[0]
    rows = np.broadcast_to(np.arange(n_items)[:, None], codes.shape)
    present = codes >= 0
    flat = rows[present] * n_levels + codes[present]
    counts = np.bincount(flat, minlength=n_items * n_levels)
    return counts.reshape(n_items, n_levels).astype(float)


def rating_counts(
    ratings: Any, levels: Sequence[Any] | None = None
) -> tuple[np.ndarray, list[Any], int]:
    """Items × categories counts from an items × raters table of labels.

    Parameters
    ----------
    ratings
        Items × raters labels (array-like or DataFrame), NaN or None missing.
    levels
        The category set in order; see :func:`code_labels`.

    Returns
    -------
    counts : numpy.ndarray
        Items × categories counts (items nobody rated give a row of zeros).
    levels : list
        The category set used.
    n_raters : int
        Raters with at least one rating.

    Raises
    ------
    InputError
        Not two-dimensional, a label outside ``levels``, all missing, or fewer than two
        raters with ratings.

    Notes
    -----
    :func:`code_labels` followed by :func:`count_table`; the raters' identities are dropped,
    as the multi-rater coefficients of Fleiss (1971) and Gwet (2014) only need the counts.

    Examples
    --------
    >>> counts, levels, n_raters = rating_counts([[1, 2], [2, 2]])
    >>> counts.tolist(), levels, n_raters
    ([[1.0, 1.0], [0.0, 2.0]], [1, 2], 2)
    """
    frame = ratings if isinstance(ratings, pd.DataFrame) else pd.DataFrame(np.asarray(ratings))
    if frame.ndim != 2 or frame.shape[1] == 0:
        raise InputError("评分表必须是二维的（行：对象，列：评分人）",
                         "ratings must be a 2-D items × raters table", field="ratings")
    codes, levels = code_labels(frame.to_numpy(), levels)
    n_raters = int((codes >= 0).any(axis=0).sum())
    if n_raters < 2:
        raise InputError(f"至少需要 2 名有评分的评分人，实际 {n_raters} 名",
                         f"need at least 2 raters with ratings, got {n_raters}", field="ratings")
    return count_table(codes, len(levels)), levels, n_raters


def _level_values(levels: Sequence[Any]) -> np.ndarray:
    """Numeric values of the levels when they are all numbers, else their ranks 1..q."""
    try:
        values = np.asarray([float(v) for v in levels])
    except (TypeError, ValueError):
        return np.arange(1.0, len(levels) + 1.0)
    if isinstance(levels[0], str) or not np.all(np.isfinite(values)):
        return np.arange(1.0, len(levels) + 1.0)
    return values


def agreement_weights(weights: str | Any | None, levels: Sequence[Any]) -> tuple[np.ndarray, str]:
    """The q × q agreement-weight matrix for a named scheme or a given matrix.

    Parameters
    ----------
    weights
        ``None`` or ``"identity"`` (unweighted), ``"linear"``, ``"quadratic"``, ``"ordinal"``,
        ``"radical"``, ``"ratio"``, or a q × q array of agreement weights.
    levels
        The ordered category set. Distances use the level values when every level is a number,
        otherwise the positions 1..q.

    Returns
    -------
    W : numpy.ndarray
        Agreement weights, 1 on the diagonal, in [0, 1].
    name : str
        The scheme's name (``"custom"`` for a given matrix).

    Raises
    ------
    InputError
        Unknown scheme; a matrix that is not q × q, not finite, outside [0, 1], or without 1 on
        the diagonal; ratio weights on levels whose sum is zero.

    Notes
    -----
    With values :math:`x_k`, range :math:`R = x_{max} - x_{min}` (Gwet 2014, sec. 3.3;
    Cohen 1968 for the linear and quadratic cases):

    * linear :math:`1 - |x_k - x_l| / R`; quadratic :math:`1 - (x_k - x_l)^2 / R^2`;
    * radical :math:`1 - \\sqrt{|x_k - x_l|} / \\sqrt{R}`;
    * ratio :math:`1 - [(x_k - x_l)/(x_k + x_l)]^2 / [R/(x_{max} + x_{min})]^2`;
    * ordinal, from ranks only: with :math:`M_{kl} = \\binom{|k-l|+1}{2}`,
      :math:`1 - M_{kl} / \\max M`.

    References: Cohen, J. (1968). Weighted kappa. *Psychological Bulletin*, 70(4), 213–220.
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.). Advanced Analytics.

    Examples
    --------
    >>> agreement_weights("linear", [1, 2, 3])[0].tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    """
    q = len(levels)
    if weights is None or (isinstance(weights, str) and weights == "identity"):
        return np.eye(q), "identity"
    if not isinstance(weights, str):
        matrix = np.asarray(weights, dtype=float)
        if matrix.shape != (q, q):
            raise InputError(f"权重矩阵应为 {q}×{q}（与类别数一致），实际 {matrix.shape}",
                             f"weight matrix must be {q}×{q} (one row per level), "
                             f"got {matrix.shape}", field="weights")
        if not np.all(np.isfinite(matrix)):
            raise InputError("权重矩阵含非有限值", "weight matrix has non-finite entries",
                             field="weights")
        if not np.allclose(np.diag(matrix), 1.0):
            raise InputError("一致性权重矩阵的对角线必须全为 1",
                             "agreement weights must be 1 on the diagonal", field="weights")
        if matrix.min() < 0 or matrix.max() > 1:
            raise InputError("一致性权重必须在 0 到 1 之间",
                             "agreement weights must lie in [0, 1]", field="weights")
        return matrix, "custom"
    if weights not in WEIGHT_KINDS:
        raise InputError(f"未知的权重方案 '{weights}'，可选 {list(WEIGHT_KINDS)}",
                         f"unknown weights '{weights}', choose one of {list(WEIGHT_KINDS)}",
                         field="weights")
    if q < 2:
        return np.eye(q), weights
    if weights == "ordinal":
        steps = np.abs(np.subtract.outer(np.arange(q), np.arange(q))) + 1.0
        pairs = steps * (steps - 1.0) / 2.0
        return 1.0 - pairs / pairs.max(), weights
    x = _level_values(levels)
    span = x.max() - x.min()
    diff = np.subtract.outer(x, x)
    if weights == "linear":
        matrix = 1.0 - np.abs(diff) / span
    elif weights == "quadratic":
        matrix = 1.0 - diff**2 / span**2
    elif weights == "radical":
        matrix = 1.0 - np.sqrt(np.abs(diff)) / np.sqrt(span)
    else:
        total = np.add.outer(x, x)
        scale = span / (x.max() + x.min()) if x.max() + x.min() != 0 else np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            matrix = 1.0 - (diff / total) ** 2 / scale**2
        np.fill_diagonal(matrix, 1.0)
        if not np.all(np.isfinite(matrix)):
            raise InputError("比率权重要求类别取值为正数",
                             "ratio weights need positive level values", field="weights")
    return matrix, weights
