"""Objective weights from data (entropy, CRITIC) and their combination with subjective weights.

A decision matrix has one row per evaluated object (project, department, year) and one column
per indicator. Arrays may carry extra leading axes ``(..., m, n)`` to weigh many matrices at
once; DataFrames keep their column labels in the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError

__all__ = [
    "CombinedWeights",
    "CriticResult",
    "EntropyResult",
    "combine_weights",
    "critic_weights",
    "entropy_weights",
]


@dataclass(frozen=True)
class EntropyResult:
    """Entropy weights with their intermediates.

    Attributes
    ----------
    weights : numpy.ndarray or pandas.Series
        Weights summing to 1 (a Series labelled by column for DataFrame input).
    entropy : numpy.ndarray or pandas.Series
        Normalised Shannon entropy :math:`e_j` of each indicator, in [0, 1].
    divergence : numpy.ndarray or pandas.Series
        Degree of divergence :math:`d_j = 1 - e_j`.
    normalized : numpy.ndarray or pandas.DataFrame
        The direction-adjusted, normalised matrix the proportions came from.
    normalization : str
        ``"minmax"`` or ``"ratio"``.
    note : str or None
        Set when every indicator was constant and equal weights were returned.
    """

    weights: Any
    entropy: Any
    divergence: Any
    normalized: Any
    normalization: str
    note: str | None = None


@dataclass(frozen=True)
class CriticResult:
    """CRITIC weights with their intermediates.

    Attributes
    ----------
    weights : numpy.ndarray or pandas.Series
        Weights summing to 1.
    std : numpy.ndarray or pandas.Series
        Sample standard deviation (ddof = 1) of each normalised indicator (contrast).
    conflict : numpy.ndarray or pandas.Series
        :math:`\\sum_k (1 - r_{jk})` over the non-constant indicators k (conflict).
    information : numpy.ndarray or pandas.Series
        :math:`C_j` = std × conflict.
    correlation : numpy.ndarray or pandas.DataFrame
        Pearson correlations of the normalised indicators (NaN where one is constant).
    note : str or None
        Set when every indicator was constant and equal weights were returned.
    """

    weights: Any
    std: Any
    conflict: Any
    information: Any
    correlation: Any
    note: str | None = None


@dataclass(frozen=True)
class CombinedWeights:
    """Subjective and objective weights combined.

    Attributes
    ----------
    weights : numpy.ndarray or pandas.Series
        Combined weights summing to 1.
    method : str
        ``"linear"`` or ``"multiplicative"``.
    alpha : float or None
        Share of the subjective weights in the linear method.
    """

    weights: Any
    method: str
    alpha: float | None


def _matrix(x: Any) -> tuple[np.ndarray, pd.Index | None, pd.Index | None]:
    if isinstance(x, pd.DataFrame):
        try:
            values = x.to_numpy(dtype=float)
        except (TypeError, ValueError) as err:
            raise InputError(
                "决策矩阵含有非数值", "the decision matrix holds a non-numeric value", field="X"
            ) from err
        return values, x.index, x.columns
    try:
        values = np.array(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(
            "决策矩阵含有非数值", "the decision matrix holds a non-numeric value", field="X"
        ) from err
    return values, None, None


def _check(values: np.ndarray, columns: pd.Index | None, rows: pd.Index | None) -> None:
    if values.ndim < 2 or values.shape[-2] < 2 or values.shape[-1] < 1:
        raise InputError(
            "决策矩阵至少需要 2 个评价对象（行）和 1 个指标（列）",
            "the decision matrix needs at least 2 objects (rows) and 1 indicator (column)",
            field="X",
        )
    bad = ~np.isfinite(values)
    if bad.any():
        idx = np.unravel_index(int(np.flatnonzero(bad)[0]), values.shape)
        i, j = int(idx[-2]), int(idx[-1])
        col = str(columns[j]) if columns is not None else str(j + 1)
        raise InputError(
            "决策矩阵有缺失或非有限值",
            "the decision matrix has a missing or infinite value",
            row=i + 1,
            column=col,
            field="X",
        )


def _directions(
    benefit: bool | Sequence[bool] | Mapping[Any, bool], n: int, columns: pd.Index | None
) -> np.ndarray:
    if isinstance(benefit, (bool, np.bool_)):
        return np.full(n, bool(benefit))
    if isinstance(benefit, Mapping):
        if columns is None:
            raise InputError(
                "按列名给出方向需要 DataFrame",
                "directions by column name need a DataFrame",
                field="benefit",
            )
        missing = [c for c in columns if c not in benefit]
        if missing:
            raise InputError(
                f"缺少指标 {missing[0]} 的方向",
                f"no direction given for indicator {missing[0]}",
                field="benefit",
            )
        return np.array([bool(benefit[c]) for c in columns])
    d = np.asarray(benefit, dtype=bool)
    if d.shape != (n,):
        raise InputError(
            f"方向须为 {n} 个布尔值", f"benefit must hold {n} booleans", field="benefit"
        )
    return d


def _minmax(values: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    lo = values.min(axis=-2, keepdims=True)
    hi = values.max(axis=-2, keepdims=True)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        up = (values - lo) / span
        down = (hi - values) / span
    out = np.where(benefit, up, down)
    # a constant indicator cannot separate objects: give it no spread at all
    return np.where(span > 0, out, 0.0)


def _label(x: np.ndarray, columns: pd.Index | None) -> Any:
    return pd.Series(x, index=columns) if columns is not None and x.ndim == 1 else x


def entropy_weights(
    X: Any,
    *,
    benefit: bool | Sequence[bool] | Mapping[Any, bool],
    normalization: str = "minmax",
) -> EntropyResult:
    """Entropy weights (熵权法) of the indicators of a decision matrix.

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., m, n)
        m objects (rows) by n indicators (columns).
    benefit : bool, sequence of bool, or mapping
        True where higher is better (正向), False where lower is better (反向); one value
        for all columns, one per column, or ``{column: bool}`` for a DataFrame.
    normalization : {"minmax", "ratio"}
        ``"minmax"``: :math:`(x - \\min)/(\\max - \\min)` for benefit indicators and
        :math:`(\\max - x)/(\\max - \\min)` for cost ones. ``"ratio"``: :math:`x/\\max` and
        :math:`\\min/x` (requires positive values for cost indicators and non-negative ones
        for benefit indicators).

    Returns
    -------
    EntropyResult

    Notes
    -----
    With :math:`p_{ij} = x'_{ij}/\\sum_i x'_{ij}`, :math:`e_j = -\\sum_i p_{ij}\\ln p_{ij}/\\ln m`
    (with :math:`0 \\ln 0 = 0`), :math:`d_j = 1 - e_j` and :math:`w_j = d_j/\\sum_k d_k`
    (Shannon 1948; Zeleny 1982, *Multiple Criteria Decision Making*, McGraw-Hill). No
    small constant is added after min-max normalisation: a zero share simply contributes
    nothing to the entropy. A constant indicator (all :math:`x'` equal, or all zero) has
    :math:`e_j = 1`, :math:`d_j = 0` and weight 0; if every indicator is constant the weights
    are equal and ``note`` says so.

    Examples
    --------
    >>> r = entropy_weights([[1, 10], [2, 10], [3, 10]], benefit=True)
    >>> r.weights.round(4).tolist(), r.entropy.round(4).tolist()
    ([1.0, 0.0], [0.5794, 1.0])
    """
    if normalization not in ("minmax", "ratio"):
        raise InputError(
            f"未知的标准化方法 '{normalization}'",
            f"unknown normalization '{normalization}'",
            field="normalization",
        )
    values, rows, columns = _matrix(X)
    _check(values, columns, rows)
    direction = _directions(benefit, values.shape[-1], columns)
    if normalization == "minmax":
        norm = _minmax(values, direction)
    else:
        bad = np.where(direction, values < 0, values <= 0)
        if bad.any():
            i, j = (
                int(k) for k in np.unravel_index(int(np.flatnonzero(bad)[0]), values.shape)[-2:]
            )
            col = str(columns[j]) if columns is not None else str(j + 1)
            raise InputError(
                "比值标准化要求正向指标非负、反向指标为正",
                "ratio normalization needs non-negative benefit and positive cost values",
                row=i + 1,
                column=col,
                field="X",
            )
        hi = values.max(axis=-2, keepdims=True)
        lo = values.min(axis=-2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = np.where(direction, values / hi, lo / values)
        norm = np.where(np.isfinite(norm), norm, 0.0)
    m = values.shape[-2]
    total = norm.sum(axis=-2, keepdims=True)
    p = np.where(total > 0, norm / np.where(total > 0, total, 1.0), 1.0 / m)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = np.clip(-plogp.sum(axis=-2) / np.log(m), 0.0, 1.0)
    # uniform shares give exactly e = 1; set it so rounding leaves no weight on them
    e = np.where(np.ptp(norm, axis=-2) == 0, 1.0, e)
    d = 1.0 - e
    dsum = d.sum(axis=-1, keepdims=True)
    n = values.shape[-1]
    w = np.where(dsum > 0, d / np.where(dsum > 0, dsum, 1.0), 1.0 / n)
    note = "all indicators are constant; equal weights returned" if (dsum <= 0).any() else None
    normalized: Any = norm
    if columns is not None:
        normalized = pd.DataFrame(norm, index=rows, columns=columns)
    return EntropyResult(
        weights=_label(w, columns),
        entropy=_label(e, columns),
        divergence=_label(d, columns),
        normalized=normalized,
        normalization=normalization,
        note=note,
    )


def critic_weights(X: Any, *, benefit: bool | Sequence[bool] | Mapping[Any, bool]) -> CriticResult:
    """CRITIC weights (Criteria Importance Through Intercriteria Correlation).

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., m, n)
        m objects (rows) by n indicators (columns).
    benefit : bool, sequence of bool, or mapping
        Direction of each indicator, as in :func:`entropy_weights`.

    Returns
    -------
    CriticResult

    Notes
    -----
    Diakoulaki, D., Mavrotas, G. & Papayannakis, L. (1995). Determining objective weights in
    multiple criteria problems: the CRITIC method. Computers & Operations Research 22(7),
    763-770. After min-max normalisation by direction, :math:`C_j = \\sigma_j
    \\sum_k (1 - r_{jk})` and :math:`w_j = C_j/\\sum_k C_k`, with :math:`\\sigma_j` the
    standard deviation and :math:`r_{jk}` the Pearson correlation of indicators j and k.
    The sample standard deviation is used; the population one gives the same weights.
    A constant indicator has :math:`\\sigma_j = 0` and weight 0, and is left out of the other
    indicators' conflict sums (its correlation is undefined). If every indicator is constant
    the weights are equal and ``note`` says so.

    Examples
    --------
    >>> r = critic_weights([[1, 4, 2], [2, 3, 2], [4, 1, 2]], benefit=True)
    >>> r.weights.round(4).tolist()
    [0.5, 0.5, 0.0]
    """
    values, rows, columns = _matrix(X)
    _check(values, columns, rows)
    direction = _directions(benefit, values.shape[-1], columns)
    norm = _minmax(values, direction)
    m, n = values.shape[-2:]
    centred = norm - norm.mean(axis=-2, keepdims=True)
    std = np.sqrt((centred**2).sum(axis=-2) / (m - 1))
    varying = std > 0
    cov = np.einsum("...ij,...ik->...jk", centred, centred) / (m - 1)
    outer = std[..., :, None] * std[..., None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(outer > 0, cov / np.where(outer > 0, outer, 1.0), np.nan)
    conflict = np.where(varying[..., None, :], 1.0 - np.nan_to_num(r), 0.0).sum(axis=-1)
    info = std * conflict
    total = info.sum(axis=-1, keepdims=True)
    w = np.where(total > 0, info / np.where(total > 0, total, 1.0), 1.0 / n)
    note = "all indicators are constant; equal weights returned" if (total <= 0).any() else None
    corr: Any = r
    if columns is not None and r.ndim == 2:
        corr = pd.DataFrame(r, index=columns, columns=columns)
    return CriticResult(
        weights=_label(w, columns),
        std=_label(std, columns),
        conflict=_label(conflict, columns),
        information=_label(info, columns),
        correlation=corr,
        note=note,
    )


def _as_weights(x: Any, name: str) -> tuple[np.ndarray, pd.Index | None]:
    if isinstance(x, pd.Series):
        values, index = x.to_numpy(dtype=float), x.index
    else:
        values, index = np.asarray(x, dtype=float), None
    if values.ndim < 1 or not np.isfinite(values).all() or (values < 0).any():
        raise InputError(
            f"{name} 权重须为非负有限数",
            f"{name} weights must be non-negative finite numbers",
            field=name,
        )
    total = values.sum(axis=-1, keepdims=True)
    if (total <= 0).any():
        raise InputError(
            f"{name} 权重之和须为正", f"{name} weights must have a positive sum", field=name
        )
    return values / total, index


def combine_weights(
    subjective: Any,
    objective: Any,
    *,
    method: str = "linear",
    alpha: float = 0.5,
) -> CombinedWeights:
    """Combine subjective (e.g. AHP) and objective (e.g. entropy) weights.

    Parameters
    ----------
    subjective, objective : array_like or Series, shape (..., n)
        Non-negative weights; each is normalised to sum to 1 first. Series are aligned by
        label (the objective one is reordered to the subjective one's labels).
    method : {"linear", "multiplicative"}
        Linear combination or the product method (乘积法).
    alpha : float
        Share of the subjective weights in the linear combination, in [0, 1].

    Returns
    -------
    CombinedWeights

    Notes
    -----
    Linear: :math:`w_i = \\alpha s_i + (1 - \\alpha) o_i`. Multiplicative:
    :math:`w_i = s_i o_i / \\sum_k s_k o_k` (the 乘积法 of Chinese evaluation practice; it
    fails when the two sets of weights share no positive indicator).

    Examples
    --------
    >>> r = combine_weights([0.5, 0.3, 0.2], [0.2, 0.2, 0.6], method="multiplicative")
    >>> r.weights.round(4).tolist()
    [0.3571, 0.2143, 0.4286]
    """
    if method not in ("linear", "multiplicative"):
        raise InputError(
            f"未知的组合方法 '{method}'", f"unknown combination method '{method}'", field="method"
        )
    s, s_index = _as_weights(subjective, "subjective")
    if isinstance(objective, pd.Series) and s_index is not None:
        if set(objective.index) != set(s_index):
            raise InputError(
                "主观与客观权重的指标不一致",
                "subjective and objective weights name different indicators",
                field="objective",
            )
        objective = objective.reindex(s_index)
    o, _ = _as_weights(objective, "objective")
    if s.shape != o.shape:
        raise InputError(
            "主观与客观权重的个数不一致",
            "subjective and objective weights differ in length",
            field="objective",
        )
    if method == "linear":
        if not 0.0 <= alpha <= 1.0:
            raise InputError(
                "alpha 须在 0 到 1 之间", "alpha must lie between 0 and 1", field="alpha"
            )
        w = alpha * s + (1.0 - alpha) * o
        return CombinedWeights(_label(w, s_index), "linear", float(alpha))
    prod = s * o
    total = prod.sum(axis=-1, keepdims=True)
    if (total <= 0).any():
        raise InputError(
            "主观与客观权重没有共同的正权重，乘积法无法使用",
            "subjective and objective weights share no positive indicator; the product method cannot be used",
            field="objective",
        )
    return CombinedWeights(_label(prod / total, s_index), "multiplicative", None)
