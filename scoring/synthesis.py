"""Hierarchic synthesis: from local priorities to global weights.

AHP priorities are local (among siblings); a score needs global weights over the whole
indicator tree, or overall priorities of alternatives under weighted criteria.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError

__all__ = ["global_weights", "synthesize"]


def synthesize(criteria_weights: Any, alternative_weights: Any) -> np.ndarray:
    """Overall priorities of alternatives under weighted criteria (distributive mode).

    Parameters
    ----------
    criteria_weights : array_like, shape (..., m)
        Priorities of the m criteria.
    alternative_weights : array_like, shape (..., m, k)
        Row c holds the priorities of the k alternatives with respect to criterion c.

    Returns
    -------
    numpy.ndarray, shape (..., k)
        :math:`u_a = \\sum_c w_c\\, p_{a|c}`.

    Notes
    -----
    Hierarchic composition (Saaty 1980, *The Analytic Hierarchy Process*, ch. 2): each
    alternative's global priority is the sum over criteria of criterion weight times local
    priority. Apply level by level for deeper hierarchies.

    Examples
    --------
    >>> synthesize([0.6, 0.4], [[0.5, 0.5], [0.2, 0.8]]).round(2).tolist()
    [0.38, 0.62]
    """
    w = np.asarray(criteria_weights, dtype=float)
    p = np.asarray(alternative_weights, dtype=float)
    if p.shape[-2] != w.shape[-1]:
        raise InputError(
            f"准则数 {w.shape[-1]} 与方案权重矩阵的行数 {p.shape[-2]} 不一致",
            f"{w.shape[-1]} criteria but {p.shape[-2]} rows of alternative priorities",
            field="alternative_weights",
        )
    return np.einsum("...c,...ck->...k", w, p)


def global_weights(
    local_weights: Mapping[str, float] | pd.Series,
    parent_of: Mapping[str, str | None] | pd.Series,
    *,
    total: float = 100.0,
) -> pd.Series:
    """Global weights of every node of an indicator tree from local (sibling) weights.

    Parameters
    ----------
    local_weights : mapping or Series
        ``{code: weight among its siblings}``, e.g. AHP priorities of each node's children.
        Each sibling group is normalised to sum to 1.
    parent_of : mapping or Series
        ``{code: parent code}``, with None (or NaN, or "") for top-level nodes.
    total : float
        What the top level sums to (the tree sums to 100 in jixiao).

    Returns
    -------
    pandas.Series
        Global weight per code: top-level nodes sum to ``total``, children sum to their
        parent, so the leaves sum to ``total``.

    Notes
    -----
    The global weight is the product of the local weights along the path from the top
    (Saaty 1980, hierarchic composition). The products are taken by pointer doubling, in
    ``ceil(log2(depth))`` vectorised steps.

    Examples
    --------
    >>> local = {"A": 0.6, "B": 0.4, "A1": 0.5, "A2": 0.5, "B1": 1.0}
    >>> parent = {"A": None, "B": None, "A1": "A", "A2": "A", "B1": "B"}
    >>> global_weights(local, parent).to_dict()
    {'A': 60.0, 'B': 40.0, 'A1': 30.0, 'A2': 30.0, 'B1': 40.0}
    """
    local = pd.Series(local_weights, dtype=float)
    parents = pd.Series(parent_of, dtype=object).reindex(local.index)
    codes = list(local.index)
    if len(set(codes)) != len(codes):
        raise InputError("指标代码重复", "duplicate indicator codes", field="code")
    top_level = parents.isna() | (parents.astype(str) == "")
    parent_idx = pd.Index(codes).get_indexer(parents.where(~top_level, None))
    unknown = ~top_level.to_numpy() & (parent_idx < 0)
    if unknown.any():
        k = int(np.flatnonzero(unknown)[0])
        code, p = codes[k], parents.iloc[k]
        raise InputError(
            f"指标 {code} 的上级 {p} 不存在",
            f"parent {p} of {code} is not in the tree",
            field="parent",
        )
    parent_idx = np.where(top_level.to_numpy(), -1, parent_idx)
    values = local.to_numpy()
    if not np.isfinite(values).all() or (values < 0).any():
        bad = codes[int(np.flatnonzero(~np.isfinite(values) | (values < 0))[0])]
        raise InputError(
            f"指标 {bad} 的权重须为非负数", f"weight of {bad} must be non-negative", field="weight"
        )
    group = np.where(parent_idx >= 0, parent_idx, len(codes))
    sums = np.bincount(group, weights=values, minlength=len(codes) + 1)
    if (sums[group] <= 0).any():
        bad = codes[int(np.flatnonzero(sums[group] <= 0)[0])]
        raise InputError(
            f"指标 {bad} 所在同级权重之和为 0",
            f"the siblings of {bad} have zero total weight",
            field="weight",
        )
    g = values / sums[group]
    anc = parent_idx.copy()
    for _ in range(len(codes)):
        has = anc >= 0
        if not has.any():
            break
        g = np.where(has, g * g[np.where(has, anc, 0)], g)
        anc = np.where(has, anc[np.where(has, anc, 0)], -1)
    else:
        raise InputError("指标树存在循环", "the indicator tree has a cycle", field="parent")
    return pd.Series(g * total, index=local.index)
