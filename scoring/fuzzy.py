"""Fuzzy comprehensive evaluation (模糊综合评价).

Weights A over m factors and a membership matrix R (m factors × g grades) give the
evaluation vector B = A∘R. Membership matrices may be stacked ``(..., m, g)`` to evaluate
many projects in one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError

__all__ = [
    "FuzzyResult",
    "HierarchyResult",
    "OPERATORS",
    "evaluate",
    "evaluate_hierarchy",
    "membership_from_votes",
]

#: Composition operators: name -> (textbook notation, description).
OPERATORS = {
    "weighted_average": ("M(·,⊕)", "加权平均型: b_j = min(1, Σ a_i r_ij)"),
    "min_max": ("M(∧,∨)", "主因素决定型: b_j = max_i min(a_i, r_ij)"),
    "product_max": ("M(·,∨)", "主因素突出型: b_j = max_i a_i r_ij"),
    "min_bounded_sum": ("M(∧,⊕)", "取小上界和型: b_j = min(1, Σ min(a_i, r_ij))"),
}

_DEFAULT_GRADES = ("优", "良", "中", "差")


@dataclass(frozen=True)
class FuzzyResult:
    """Result of a fuzzy comprehensive evaluation.

    Attributes
    ----------
    composite : numpy.ndarray, shape (..., g)
        B = A∘R as the operator gives it.
    membership : numpy.ndarray, shape (..., g)
        B normalised to sum to 1 (the vector used for grades and scores).
    grade : numpy.ndarray of str, shape (...)
        Grade of maximum membership (the first, i.e. better, grade on a tie).
    tie : numpy.ndarray of bool, shape (...)
        True where two or more grades share the maximum membership.
    score : numpy.ndarray or None, shape (...)
        :math:`\\sum_j b_j s_j` with normalised b and the grade scores, if given.
    grades : tuple of str
        The grade labels, best first.
    operator : str
        Name of the composition operator (see :data:`OPERATORS`).
    """

    composite: np.ndarray
    membership: np.ndarray
    grade: np.ndarray
    tie: np.ndarray
    score: np.ndarray | None
    grades: tuple[str, ...]
    operator: str


def _grade_scores(grade_scores: Any, grades: tuple[str, ...]) -> np.ndarray | None:
    if grade_scores is None:
        return None
    if isinstance(grade_scores, Mapping):
        missing = [g for g in grades if g not in grade_scores]
        if missing:
            raise InputError(
                f"缺少等级 {missing[0]} 的分值",
                f"no score given for grade {missing[0]}",
                field="grade_scores",
            )
        values = np.array([float(grade_scores[g]) for g in grades])
    else:
        values = np.asarray(grade_scores, dtype=float)
    if values.shape != (len(grades),) or not np.isfinite(values).all():
        raise InputError(
            f"等级分值须为 {len(grades)} 个有限数",
            f"grade scores must be {len(grades)} finite numbers",
            field="grade_scores",
        )
    return values


def evaluate(
    weights: Any,
    membership: Any,
    *,
    operator: str = "weighted_average",
    grade_scores: Sequence[float] | Mapping[str, float] | None = None,
    grades: Sequence[str] = _DEFAULT_GRADES,
) -> FuzzyResult:
    """Fuzzy comprehensive evaluation B = A∘R.

    Parameters
    ----------
    weights : array_like, shape (m,) or (..., m)
        Factor weights A; normalised to sum to 1 (weights on a 100-point scale are fine).
    membership : array_like or DataFrame, shape (m, g) or (..., m, g)
        Membership matrix R in [0, 1]: row i is factor i's membership in each grade.
    operator : {"weighted_average", "min_max", "product_max", "min_bounded_sum"}
        Composition: M(·,⊕), M(∧,∨), M(·,∨) or M(∧,⊕), see :data:`OPERATORS`.
    grade_scores : sequence or mapping, optional
        Score of each grade (e.g. 95, 85, 70, 50 for 优/良/中/差) to turn B into a score.
    grades : sequence of str
        Grade labels, best first.

    Returns
    -------
    FuzzyResult

    Notes
    -----
    Zadeh-type composition with the operators of 汪培庄 (1983) *模糊集合论及其应用*
    (上海科学技术出版社): M(·,⊕) keeps every factor's contribution (加权平均型, the
    default); M(∧,∨) and M(·,∨) let the main factor decide. ⊕ is the bounded sum
    :math:`\\min(1, a + b)`. With Σa = 1 and rows of R summing to 1, M(·,⊕) already sums
    to 1; the other operators do not, so ``membership`` is always B divided by its sum (归一化)
    and ``composite`` keeps B as the operator gives it. The grade is chosen by maximum
    membership (最大隶属度原则); the score is :math:`\\sum_j b_j s_j` with normalised b.

    Examples
    --------
    >>> R = [[0.2, 0.5, 0.2, 0.1], [0.7, 0.2, 0.1, 0.0], [0.0, 0.4, 0.5, 0.1], [0.2, 0.3, 0.5, 0.0]]
    >>> r = evaluate([0.1, 0.2, 0.3, 0.4], R, operator="min_max")
    >>> r.composite.round(2).tolist(), str(r.grade)
    ([0.2, 0.3, 0.4, 0.1], '中')
    """
    if operator not in OPERATORS:
        raise InputError(
            f"未知的合成算子 '{operator}'，可选：{', '.join(OPERATORS)}",
            f"unknown operator '{operator}'; choose one of {', '.join(OPERATORS)}",
            field="operator",
        )
    grades = tuple(str(g) for g in grades)
    if isinstance(membership, pd.DataFrame):
        membership = membership.to_numpy(dtype=float)
    r = np.asarray(membership, dtype=float)
    a = np.asarray(weights, dtype=float)
    if r.ndim < 2 or r.shape[-1] != len(grades):
        raise InputError(
            f"隶属度矩阵须有 {len(grades)} 列（每个等级一列）",
            f"the membership matrix needs {len(grades)} columns, one per grade",
            field="membership",
        )
    if a.ndim < 1 or a.shape[-1] != r.shape[-2]:
        raise InputError(
            f"权重个数 {a.shape[-1] if a.ndim else 0} 与因素个数 {r.shape[-2]} 不一致",
            f"{a.shape[-1] if a.ndim else 0} weights for {r.shape[-2]} factors",
            field="weights",
        )
    bad = ~np.isfinite(r) | (r < 0) | (r > 1)
    if bad.any():
        idx = np.unravel_index(int(np.flatnonzero(bad)[0]), r.shape)
        i, j = int(idx[-2]), int(idx[-1])
        raise InputError(
            f"隶属度 r[{i + 1},{j + 1}] = {r[idx]:g} 不在 [0, 1] 内",
            f"membership r[{i + 1},{j + 1}] = {r[idx]:g} is outside [0, 1]",
            row=i + 1,
            column=grades[j],
            field="membership",
        )
    if not np.isfinite(a).all() or (a < 0).any() or (a.sum(axis=-1) <= 0).any():
        raise InputError(
            "权重须为非负数且和为正",
            "weights must be non-negative with a positive sum",
            field="weights",
        )
    a = a / a.sum(axis=-1, keepdims=True)
    a_col = a[..., :, None]
    if operator == "weighted_average":
        b = np.minimum(1.0, (a_col * r).sum(axis=-2))
    elif operator == "min_max":
        b = np.minimum(a_col, r).max(axis=-2)
    elif operator == "product_max":
        b = (a_col * r).max(axis=-2)
    else:
        b = np.minimum(1.0, np.minimum(a_col, r).sum(axis=-2))
    total = b.sum(axis=-1, keepdims=True)
    if (total <= 0).any():
        raise InputError(
            "所有等级的隶属度都为 0，无法评定",
            "every grade has zero membership; no grade can be given",
            field="membership",
        )
    normalized = b / total
    top = normalized.max(axis=-1, keepdims=True)
    at_top = np.isclose(normalized, top, rtol=0.0, atol=1e-12)
    grade = np.asarray(grades, dtype=object)[at_top.argmax(axis=-1)]
    tie = at_top.sum(axis=-1) > 1
    scores = _grade_scores(grade_scores, grades)
    score = None if scores is None else normalized @ scores
    return FuzzyResult(
        composite=b,
        membership=normalized,
        grade=np.asarray(grade, dtype=object),
        tie=tie,
        score=score,
        grades=grades,
        operator=operator,
    )


def membership_from_votes(votes: Any, grades: Sequence[str] = _DEFAULT_GRADES) -> pd.DataFrame:
    """Membership matrix R from experts' grade votes: the share choosing each grade.

    Parameters
    ----------
    votes : DataFrame or array_like, shape (experts, factors)
        Each cell is the grade one expert gave one factor; empty (None/NaN) cells are
        abstentions and leave that factor's denominator.
    grades : sequence of str
        Grade labels, best first.

    Returns
    -------
    pandas.DataFrame
        Factors (rows; the DataFrame's columns if given) by grades (columns), each row
        summing to 1.

    Notes
    -----
    :math:`r_{ij}` = (number of experts giving factor i grade j) / (number of experts who
    graded factor i), the usual statistical way to build R in 模糊综合评价.

    Examples
    --------
    >>> v = pd.DataFrame({"质量": ["优", "良", "良", "中"], "时效": ["优", "优", "良", None]})
    >>> membership_from_votes(v).round(4).values.tolist()
    [[0.25, 0.5, 0.25, 0.0], [0.6667, 0.3333, 0.0, 0.0]]
    """
    grades = tuple(str(g) for g in grades)
    if isinstance(votes, pd.DataFrame):
        factors = [str(c) for c in votes.columns]
        v = votes.to_numpy(dtype=object)
    else:
        v = np.asarray(votes, dtype=object)
        if v.ndim != 2:
            raise InputError(
                "投票表须为 专家 × 因素 的二维表",
                "votes must be a 2-D table of experts × factors",
                field="votes",
            )
        factors = [str(k + 1) for k in range(v.shape[1])]
    empty = pd.isna(v)
    labels = np.where(empty, "", v).astype(str)
    hits = labels[..., None] == np.asarray(grades)
    unknown = ~empty & ~hits.any(axis=-1)
    if unknown.any():
        i, j = (int(k) for k in np.argwhere(unknown)[0])
        raise InputError(
            f"评语 '{labels[i, j]}' 不是等级之一（{'/'.join(grades)}）",
            f"vote '{labels[i, j]}' is not one of the grades ({'/'.join(grades)})",
            row=i + 1,
            column=factors[j],
            field="votes",
        )
    counts = hits.sum(axis=0).astype(float)
    voters = counts.sum(axis=-1, keepdims=True)
    if (voters == 0).any():
        j = int(np.flatnonzero(voters[:, 0] == 0)[0])
        raise InputError(
            "该因素没有任何专家评语",
            "no expert graded this factor",
            column=factors[j],
            field="votes",
        )
    return pd.DataFrame(counts / voters, index=factors, columns=list(grades))


@dataclass(frozen=True)
class HierarchyResult:
    """Two-level fuzzy evaluation: each group's B becomes one row of the top-level R.

    Attributes
    ----------
    top : FuzzyResult
        The first-level (overall) evaluation.
    groups : tuple of FuzzyResult
        The second-level evaluation of each factor group, in order.
    membership : numpy.ndarray, shape (..., k, g)
        The first-level membership matrix built from the groups' normalised B.
    """

    top: FuzzyResult
    groups: tuple[FuzzyResult, ...]
    membership: np.ndarray


def evaluate_hierarchy(
    top_weights: Any,
    group_weights: Sequence[Any],
    group_memberships: Sequence[Any],
    *,
    operator: str = "weighted_average",
    group_operator: str | None = None,
    grade_scores: Sequence[float] | Mapping[str, float] | None = None,
    grades: Sequence[str] = _DEFAULT_GRADES,
) -> HierarchyResult:
    """Multi-level fuzzy comprehensive evaluation by composition.

    Parameters
    ----------
    top_weights : array_like, shape (k,) or (..., k)
        Weights of the k factor groups (first-level factors).
    group_weights : sequence of array_like
        For each group, the weights of its second-level factors.
    group_memberships : sequence of array_like
        For each group, its membership matrix (m_k × g, or stacked (..., m_k, g)).
    operator : str
        Operator of the first level; ``group_operator`` (default: the same) of the second.
    grade_scores, grades
        As in :func:`evaluate`.

    Returns
    -------
    HierarchyResult

    Notes
    -----
    Each group is evaluated on its own, :math:`B_k = A_k \\circ R_k`; the normalised
    :math:`B_k` form the rows of the first-level matrix :math:`R = (B_1; ...; B_k)`, and
    :math:`B = A \\circ R` (多层次模糊综合评判, 汪培庄 1983). Deeper hierarchies repeat
    the step.

    Examples
    --------
    >>> r = evaluate_hierarchy([0.5, 0.5], [[1.0], [0.5, 0.5]],
    ...                        [[[1, 0, 0, 0]], [[0, 1, 0, 0], [0, 1, 0, 0]]])
    >>> r.top.membership.tolist(), str(r.top.grade)
    ([0.5, 0.5, 0.0, 0.0], '优')
    """
    if len(group_weights) != len(group_memberships):
        raise InputError(
            "各组的权重与隶属度矩阵个数不一致",
            "as many weight vectors as membership matrices are needed",
            field="group_weights",
        )
    inner = group_operator or operator
    groups = tuple(
        evaluate(w, r, operator=inner, grade_scores=grade_scores, grades=grades)
        for w, r in zip(group_weights, group_memberships, strict=True)
    )
    rows = np.broadcast_arrays(*[g.membership for g in groups])
    membership = np.stack(rows, axis=-2)
    top = evaluate(
        top_weights, membership, operator=operator, grade_scores=grade_scores, grades=grades
    )
    return HierarchyResult(top=top, groups=groups, membership=membership)
