"""Analytic Hierarchy Process: priorities, consistency, group aggregation and synthesis.

Everything is vectorised over stacks of pairwise comparison matrices ``(..., n, n)`` so that
many experts, many criteria groups or many simulated matrices are handled in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from scoring.pairwise import (
    check_pairwise,
    complete_harker,
    complete_lambda_optimal,
    geometric_vector,
    nearest_scale,
    perron_vector,
)
from scoring.random_index import random_index
from scoring.synthesis import global_weights, synthesize

__all__ = [
    "AHPResult",
    "GroupResult",
    "Revision",
    "aggregate",
    "global_weights",
    "inconsistent_judgments",
    "priorities",
    "random_index",
    "synthesize",
]

_METHODS = ("eigenvector", "geometric")
_MISSING = ("harker", "lambda_optimal")


@dataclass(frozen=True)
class AHPResult:
    """Priorities of one pairwise comparison matrix or of a stack of them.

    Attributes
    ----------
    weights : numpy.ndarray, shape (..., n)
        Priorities summing to 1.
    lambda_max, ci, cr : numpy.ndarray, shape (...)
        Principal eigenvalue (or its estimate), consistency index and consistency ratio.
    ri : float
        Random index used; ``ri_table`` names its table and ``ri_source`` its source.
    method : str
        ``"eigenvector"`` or ``"geometric"``.
    missing : str or None
        How missing judgments were filled (``"harker"``, ``"lambda_optimal"``) or None.
    n_missing : numpy.ndarray, shape (...)
        Number of missing judgment pairs per matrix.
    completed : numpy.ndarray, shape (..., n, n)
        The reciprocal matrix actually used, missing judgments filled.
    cr_threshold : float
        Acceptance threshold: CR below it passes (Saaty 1980: 0.10).
    note : str or None
        Set when RI was interpolated or came from the Alonso-Lamata formula.
    """

    weights: np.ndarray
    lambda_max: np.ndarray
    ci: np.ndarray
    cr: np.ndarray
    ri: float
    ri_table: str
    ri_source: str
    method: str
    missing: str | None
    n_missing: np.ndarray
    completed: np.ndarray
    cr_threshold: float = 0.10
    note: str | None = None

    @property
    def acceptable(self) -> np.ndarray:
        """True where CR < ``cr_threshold`` (通过)."""
        return np.asarray(self.cr) < self.cr_threshold


def priorities(
    matrix: Any,
    *,
    method: str = "eigenvector",
    ri: str = "saaty1980",
    missing: str = "harker",
    enforce_scale: bool = False,
    cr_threshold: float = 0.10,
) -> AHPResult:
    """Priorities, lambda_max, CI and CR of pairwise comparison matrices.

    Parameters
    ----------
    matrix : array_like, shape (n, n) or (..., n, n)
        Reciprocal judgment matrices; NaN marks a missing judgment.
    method : {"eigenvector", "geometric"}
        Principal right eigenvector (Saaty 1980) or row geometric mean (Crawford & Williams
        1985), with :math:`\\lambda_{max} = \\frac1n\\sum_i (Aw)_i/w_i` for the latter.
    ri : str
        Random-index table, see :func:`random_index`.
    missing : {"harker", "lambda_optimal"}
        How missing judgments are filled before the priorities are computed: Harker (1987)
        or the completion minimising :math:`\\lambda_{max}` (Shiraishi, Obata & Daigo 1998;
        Bozóki, Fülöp & Rónyai 2010). See :mod:`scoring.pairwise`.
    enforce_scale : bool
        Reject judgments off the Saaty 1-9 scale.
    cr_threshold : float
        CR below this passes (Saaty 1980: 0.10).

    Returns
    -------
    AHPResult

    Notes
    -----
    :math:`CI = (\\lambda_{max} - n)/(n - 1)` and :math:`CR = CI/RI(n)` (Saaty, T.L. 1980,
    *The Analytic Hierarchy Process*, McGraw-Hill). For n <= 2 every reciprocal matrix is
    consistent and CI = CR = 0. Rounding noise below 1e-12 in CI is set to 0.

    Examples
    --------
    >>> r = priorities([[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]])
    >>> r.weights.round(4).tolist(), round(float(r.cr), 4), bool(r.acceptable)
    ([0.637, 0.2583, 0.1047], 0.0332, True)
    """
    if method not in _METHODS:
        raise InputError(f"未知的排序方法 '{method}'", f"unknown method '{method}'", field="method")
    if missing not in _MISSING:
        raise InputError(
            f"未知的缺失判断处理 '{missing}'",
            f"unknown missing-judgment rule '{missing}'",
            field="missing",
        )
    a = check_pairwise(matrix, enforce_scale=enforce_scale)
    n = a.shape[-1]
    gaps = np.isnan(a)
    n_missing = np.triu(gaps, 1).sum(axis=(-1, -2))
    if gaps.any():
        complete = complete_harker if missing == "harker" else complete_lambda_optimal
        a, w, lam = complete(a)
    elif method == "eigenvector":
        w, lam = perron_vector(a)
    if method == "geometric":
        w, lam = geometric_vector(a)
    rindex = random_index(n, ri)
    if n <= 2:
        ci = np.zeros_like(lam)
        cr = np.zeros_like(lam)
    else:
        ci = (lam - n) / (n - 1)
        ci = np.where(np.abs(ci) < 1e-12, 0.0, ci)
        cr = ci / float(rindex)
    return AHPResult(
        weights=w,
        lambda_max=lam,
        ci=ci,
        cr=cr,
        ri=float(rindex),
        ri_table=rindex.table,
        ri_source=rindex.source,
        method=method,
        missing=missing if gaps.any() else None,
        n_missing=n_missing,
        completed=a,
        cr_threshold=cr_threshold,
        note=rindex.note,
    )


@dataclass(frozen=True)
class GroupResult:
    """Group priorities from several experts' matrices.

    Attributes
    ----------
    weights : numpy.ndarray, shape (..., n)
        Group priorities summing to 1.
    method : str
        ``"AIJ"`` or ``"AIP"``; ``mean`` says which mean combined the priorities under AIP.
    expert_weights : numpy.ndarray, shape (k,)
        Normalised weights of the experts.
    individual : AHPResult
        Each expert's own priorities (stack axis -2 of ``weights`` is the expert).
    group : AHPResult or None
        For AIJ, the result on the aggregated matrix (its CR is the group's consistency).
    matrix : numpy.ndarray or None
        For AIJ, the aggregated judgment matrix.
    """

    weights: np.ndarray
    method: str
    mean: str
    expert_weights: np.ndarray
    individual: AHPResult
    group: AHPResult | None
    matrix: np.ndarray | None


def aggregate(
    matrices: Any,
    *,
    method: str = "AIJ",
    expert_weights: Sequence[float] | None = None,
    mean: str = "geometric",
    **options: Any,
) -> GroupResult:
    """Combine several experts' pairwise comparison matrices (group AHP).

    Parameters
    ----------
    matrices : array_like, shape (k, n, n) or (..., k, n, n)
        One matrix per expert on axis -3; NaN for judgments an expert did not give.
    method : {"AIJ", "AIP"}
        Aggregation of individual judgments, or of individual priorities.
    expert_weights : sequence of float, optional
        Importance of each expert (normalised to sum to 1); equal by default.
    mean : {"geometric", "arithmetic"}
        For AIP only: weighted geometric mean of the priorities, renormalised to sum to 1,
        or weighted arithmetic mean. AIJ always uses the weighted geometric mean.
    **options
        Passed to :func:`priorities` (``method`` there is named ``priority_method`` here,
        plus ``ri``, ``missing``, ``enforce_scale``).

    Returns
    -------
    GroupResult

    Notes
    -----
    AIJ: :math:`a^G_{ij} = \\prod_k a_{ij}^{(k)\\,\\lambda_k}`, the only synthesis that keeps
    reciprocity and unanimity (Aczél & Saaty 1983, J. Math. Psychol. 27, 93-102); a judgment
    missing for some experts is the weighted geometric mean of those who gave it (weights
    renormalised) and stays missing only if nobody gave it. AIP:
    :math:`w^G_i \\propto \\prod_k (w^{(k)}_i)^{\\lambda_k}` or :math:`\\sum_k \\lambda_k w^{(k)}_i`.
    Forman, E. & Peniwati, K. (1998). Aggregating individual judgments and priorities with
    the analytic hierarchy process. EJOR 108(1), 165-169: AIJ when the group acts as one
    unit, AIP when experts act as separate individuals.

    Examples
    --------
    >>> r = aggregate([[[1, 2], [1/2, 1]], [[1, 8], [1/8, 1]]])
    >>> round(float(r.matrix[0, 1]), 6), r.weights.round(4).tolist()
    (4.0, [0.8, 0.2])
    """
    if method not in ("AIJ", "AIP"):
        raise InputError(
            f"未知的群组集结方法 '{method}'", f"unknown aggregation '{method}'", field="method"
        )
    if mean not in ("geometric", "arithmetic"):
        raise InputError(f"未知的均值 '{mean}'", f"unknown mean '{mean}'", field="mean")
    a = check_pairwise(matrices)
    if a.ndim < 3:
        raise InputError(
            "需要至少一位专家的矩阵堆叠 (k, n, n)",
            "expected a stack (k, n, n) of expert matrices",
            field="matrices",
        )
    k = a.shape[-3]
    lam_k = np.ones(k) if expert_weights is None else np.asarray(expert_weights, dtype=float)
    if lam_k.shape != (k,) or (lam_k < 0).any() or not np.isfinite(lam_k).all() or lam_k.sum() <= 0:
        raise InputError(
            f"专家权重须为 {k} 个非负数且和为正",
            f"expert weights must be {k} non-negative numbers with a positive sum",
            field="expert_weights",
        )
    lam_k = lam_k / lam_k.sum()
    prio = {"method": options.pop("priority_method", "eigenvector"), **options}
    individual = priorities(a, **prio)
    if method == "AIJ":
        given = ~np.isnan(a)
        lw = np.where(given, lam_k[:, None, None], 0.0)
        total = lw.sum(axis=-3)
        logs = np.where(given, np.log(np.where(given, a, 1.0)), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            agg = np.exp((lw * logs).sum(axis=-3) / total)
        agg = np.where(total > 0, agg, np.nan)
        group = priorities(agg, **prio)
        return GroupResult(group.weights, "AIJ", "geometric", lam_k, individual, group, agg)
    w = individual.weights
    if mean == "geometric":
        g = np.exp((lam_k[:, None] * np.log(w)).sum(axis=-2))
        weights = g / g.sum(axis=-1, keepdims=True)
    else:
        weights = (lam_k[:, None] * w).sum(axis=-2)
    return GroupResult(weights, "AIP", mean, lam_k, individual, None, None)


@dataclass(frozen=True)
class Revision:
    """Which judgments to revise first, and which missing judgment to ask next.

    Attributes
    ----------
    revise : pandas.DataFrame
        One row per judgment (i < j, 1-based ``row``/``column``), best first: ``label_i``,
        ``label_j``, ``value`` (current :math:`a_{ij}`), ``epsilon`` (:math:`a_{ij}w_j/w_i`),
        ``consistent_value`` (:math:`w_i/w_j`), ``nearest_scale``, ``lambda_after`` and
        ``cr_after`` (with :math:`a_{ij}` set to the nearest scale value), ``lambda_drop``
        and ``dlambda`` (:math:`\\partial\\lambda_{max}/\\partial a_{ij}`, Harker 1987).
    ask_next : pandas.DataFrame
        For incomplete matrices, missing judgments ordered by how much the priorities react
        to them (``sensitivity``), with the value the others suggest (``suggested``).
    judgments : pandas.DataFrame
        The same columns as ``revise`` for every given judgment, including those already at
        their consistent scale value (which ``revise`` leaves out).
    result : AHPResult
        Priorities of the matrix as given.
    """

    revise: pd.DataFrame
    ask_next: pd.DataFrame
    judgments: pd.DataFrame
    result: AHPResult


def _derivatives(
    a: np.ndarray, pairs_i: np.ndarray, pairs_j: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """d lambda_max / d a_ij and d w / d a_ij for reciprocal changes of each pair (Harker 1987)."""
    n = a.shape[-1]
    x, lam = perron_vector(a)
    y, _ = perron_vector(a.T)
    y = y / (y @ x)
    m = len(pairs_i)
    da = np.zeros((m, n, n))
    da[np.arange(m), pairs_i, pairs_j] = 1.0
    da[np.arange(m), pairs_j, pairs_i] = -1.0 / a[pairs_i, pairs_j] ** 2
    dlam = np.einsum("i,mij,j->m", y, da, x)
    # solve (A - lam I) dx = -(dA - dlam I) x with sum(dx) = 0 through a bordered system
    border = np.zeros((n + 1, n + 1))
    border[:n, :n] = a - lam * np.eye(n)
    border[:n, n] = x
    border[n, :n] = 1.0
    rhs = np.zeros((m, n + 1))
    rhs[:, :n] = -(np.einsum("mij,j->mi", da, x) - dlam[:, None] * x)
    dx = np.linalg.solve(np.broadcast_to(border, (m, n + 1, n + 1)), rhs[..., None])[..., :n, 0]
    return dlam, dx


def inconsistent_judgments(
    matrix: Any,
    top: int = 3,
    *,
    labels: Sequence[str] | None = None,
    method: str = "eigenvector",
    ri: str = "saaty1980",
    missing: str = "harker",
) -> Revision:
    """The judgments whose revision would improve consistency most.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        One pairwise comparison matrix; NaN for missing judgments.
    top : int
        How many judgments to list in ``revise`` and ``ask_next``.
    labels : sequence of str, optional
        Criterion names.
    method, ri, missing : str
        As in :func:`priorities`; the weights of ``method`` give :math:`w_i/w_j`.

    Returns
    -------
    Revision

    Notes
    -----
    Every given judgment :math:`a_{ij}` is tried at the 1-9 scale value nearest to
    :math:`w_i/w_j` (what the other judgments imply), all at once as a stack, and the
    judgments are ranked by the resulting fall of :math:`\\lambda_{max}`; the
    deviation :math:`\\varepsilon_{ij} = a_{ij} w_j / w_i` (Saaty 2003, EJOR 145, 85-91)
    and the derivative :math:`\\partial\\lambda_{max}/\\partial a_{ij} = v_i w_j - v_j
    w_i / a_{ij}^2` (Harker 1987, Math. Modelling 9(11), 837-848; :math:`v^T w = 1`) are
    reported alongside. For missing judgments, Harker (1987) asks next for the one whose
    gradient :math:`\\partial w/\\partial a_{ij}` on the completed matrix has the largest
    max-norm; ``suggested`` is :math:`w_i/w_j`.

    Examples
    --------
    >>> rev = inconsistent_judgments([[1, 2, 4], [1/2, 1, 1/2], [1/4, 2, 1]], top=1)
    >>> rev.revise[["row", "column"]].values.tolist()
    [[2, 3]]
    """
    res = priorities(matrix, method=method, ri=ri, missing=missing)
    a = np.asarray(res.completed)
    if a.ndim != 2:
        raise InputError("请给出单个判断矩阵", "give one matrix, not a stack", field="matrix")
    n = a.shape[-1]
    names = list(labels) if labels is not None else [str(k + 1) for k in range(n)]
    given = ~np.isnan(check_pairwise(matrix))
    w = res.weights
    iu, ju = np.triu_indices(n, 1)
    known = given[iu, ju]
    ki, kj = iu[known], ju[known]
    consistent = w[ki] / w[kj]
    scale = nearest_scale(consistent)
    trial = np.broadcast_to(a, (len(ki), n, n)).copy()
    trial[np.arange(len(ki)), ki, kj] = scale
    trial[np.arange(len(ki)), kj, ki] = 1.0 / scale
    kernel = perron_vector if method == "eigenvector" else geometric_vector
    _, lam_after = kernel(trial) if len(ki) else (None, np.zeros(0))
    dlam, _ = _derivatives(a, ki, kj) if len(ki) else (np.zeros(0), None)
    r = float(res.ri)
    revise = pd.DataFrame(
        {
            "row": ki + 1,
            "column": kj + 1,
            "label_i": [names[i] for i in ki],
            "label_j": [names[j] for j in kj],
            "value": a[ki, kj],
            "epsilon": a[ki, kj] * w[kj] / w[ki],
            "consistent_value": consistent,
            "nearest_scale": scale,
            "lambda_after": lam_after,
            "cr_after": (lam_after - n) / (n - 1) / r if n > 2 else np.zeros(len(ki)),
            "lambda_drop": float(res.lambda_max) - lam_after,
            "dlambda": dlam,
        }
    )
    # a judgment already at its consistent scale value cannot help; rank the others first
    judgments = revise.sort_values(["lambda_drop", "epsilon"], ascending=[False, False])
    judgments = judgments.reset_index(drop=True)
    changes = judgments["nearest_scale"].round(9) != judgments["value"].round(9)
    revise = judgments[changes].head(top).reset_index(drop=True)
    mi, mj = iu[~known], ju[~known]
    if len(mi):
        _, dw = _derivatives(a, mi, mj)
        sens = np.abs(dw).max(axis=-1)
        ask = pd.DataFrame(
            {
                "row": mi + 1,
                "column": mj + 1,
                "label_i": [names[i] for i in mi],
                "label_j": [names[j] for j in mj],
                "suggested": w[mi] / w[mj],
                "nearest_scale": nearest_scale(w[mi] / w[mj]),
                "sensitivity": sens,
            }
        ).sort_values("sensitivity", ascending=False)
        ask = ask.head(top).reset_index(drop=True)
    else:
        ask = pd.DataFrame(
            columns=[
                "row",
                "column",
                "label_i",
                "label_j",
                "suggested",
                "nearest_scale",
                "sensitivity",
            ]
        )
    return Revision(revise=revise, ask_next=ask, judgments=judgments, result=res)
