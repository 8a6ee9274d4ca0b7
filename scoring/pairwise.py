"""Pairwise comparison matrices: checking, random indices, principal eigenvectors, completion.

The numerical kernels under :mod:`scoring.ahp`. Every function works on one ``(n, n)`` matrix
or a stack ``(..., n, n)`` at once; NaN marks a judgment nobody gave.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from indicators.errors import InputError

__all__ = [
    "SAATY_SCALE",
    "check_pairwise",
    "complete_harker",
    "complete_lambda_optimal",
    "geometric_vector",
    "nearest_scale",
    "perron_vector",
]

#: The Saaty 1-9 scale and its reciprocals (Saaty 1980).
SAATY_SCALE = np.array([1 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)])

_DEFAULT_RECIPROCAL_RTOL = 0.02


def _where(stack_shape: tuple[int, ...], flat: int, n: int) -> tuple[str, int, int]:
    """Human place of a flat index into a (..., n, n) array: matrix prefix, row, column."""
    idx = np.unravel_index(flat, (*stack_shape, n, n))
    prefix = ""
    if stack_shape:
        prefix = "matrix " + ",".join(str(int(i)) for i in idx[:-2]) + ": "
    return prefix, int(idx[-2]) + 1, int(idx[-1]) + 1


def check_pairwise(
    matrix: Any,
    *,
    enforce_scale: bool = False,
    reciprocal_rtol: float = _DEFAULT_RECIPROCAL_RTOL,
    labels: list[str] | None = None,
) -> np.ndarray:
    """Validate a pairwise comparison matrix (or stack) and return it exactly reciprocal.

    Parameters
    ----------
    matrix : array_like, shape (..., n, n)
        Judgments :math:`a_{ij}` (how many times i is preferred to j). NaN marks a missing
        judgment; when only one of :math:`a_{ij}, a_{ji}` is given the other is its reciprocal.
    enforce_scale : bool
        Also require every judgment to be on the Saaty 1-9 scale or its reciprocals.
    reciprocal_rtol : float
        Allowed relative departure of :math:`a_{ij} a_{ji}` from 1 (typed ``0.33`` for 1/3).
    labels : list of str, optional
        Criterion names used in error messages instead of 1-based positions.

    Returns
    -------
    numpy.ndarray
        Float array of the same shape, with :math:`a_{ji} = 1/a_{ij}` exactly (the given pair
        is replaced by its geometric reconciliation :math:`\\sqrt{a_{ij}/a_{ji}}`), ones on the
        diagonal and NaN on both sides of each missing pair.

    Notes
    -----
    Raises :class:`~indicators.errors.InputError` naming the first wrong entry (row i,
    column j and the values) when the matrix is not square, has a non-positive or infinite
    entry, a diagonal other than 1, a pair that is not reciprocal, or (with
    ``enforce_scale``) a judgment off the 1-9 scale (Saaty 1980).

    Examples
    --------
    >>> check_pairwise([[1, 3], [np.nan, 1]]).round(4).tolist()
    [[1.0, 3.0], [0.3333, 1.0]]
    """
    try:
        a = np.array(matrix, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(
            "判断矩阵含有非数值", "the matrix holds a non-numeric value", field="matrix"
        ) from err
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or a.shape[-1] == 0:
        raise InputError(
            f"判断矩阵不是方阵（形状 {a.shape}）",
            f"matrix is not square (shape {a.shape})",
            field="matrix",
        )
    n = a.shape[-1]
    stack = a.shape[:-2]

    def name(k: int) -> str:
        return labels[k - 1] if labels is not None and len(labels) == n else str(k)

    def fail(zh: str, en: str, flat: int) -> None:
        prefix, i, j = _where(stack, flat, n)
        raise InputError(prefix + zh, prefix + en, row=i, column=name(j), field="matrix")

    valid = (a > 0) & (a < np.inf)
    if not valid.all():
        bad = ~valid & ~np.isnan(a)
        if bad.any():
            flat = int(np.flatnonzero(bad)[0])
            v = a.reshape(-1)[flat]
            _, i, j = _where(stack, flat, n)
            fail(
                f"判断值 a[{i},{j}] = {v:g} 必须是正的有限数",
                f"judgment a[{i},{j}] = {v:g} must be a positive finite number",
                flat,
            )
    idx = np.arange(n)
    diag = a[..., idx, idx]
    diag_bad = ~(np.abs(diag - 1.0) <= 1e-9)
    if diag_bad.any():
        pos = np.unravel_index(int(np.flatnonzero(diag_bad)[0]), diag.shape)
        i = int(pos[-1])
        flat = int(np.ravel_multi_index((*pos[:-1], i, i), a.shape))
        fail(
            f"对角线元素 a[{i + 1},{i + 1}] = {diag[pos]:g} 必须为 1",
            f"diagonal entry a[{i + 1},{i + 1}] = {diag[pos]:g} must be 1",
            flat,
        )
    # work on the pairs above the diagonal; the lower triangle only holds reciprocals
    iu, ju = np.triu_indices(n, 1)
    flat_a = a.reshape(*stack, n * n)
    up, low = flat_a[..., iu * n + ju], flat_a[..., ju * n + iu]
    if np.isnan(up).any() or np.isnan(low).any():
        up, low = np.where(np.isnan(up), 1.0 / low, up), np.where(np.isnan(low), 1.0 / up, low)
    off = np.abs(up * low - 1.0) > reciprocal_rtol
    if off.any():
        pos = np.unravel_index(int(np.flatnonzero(off)[0]), off.shape)
        i, j = int(iu[pos[-1]]), int(ju[pos[-1]])
        flat = int(np.ravel_multi_index((*pos[:-1], i, j), a.shape))
        fail(
            f"a[{i + 1},{j + 1}] = {up[pos]:g} 与 a[{j + 1},{i + 1}] = {low[pos]:g} 不互为倒数",
            f"a[{i + 1},{j + 1}] = {up[pos]:g} and a[{j + 1},{i + 1}] = {low[pos]:g} are not reciprocal",
            flat,
        )
    # reconcile typed pairs such as 3 and 0.33 into an exactly reciprocal pair
    g = np.sqrt(up / low)
    if enforce_scale:
        ratio = g[..., None] / SAATY_SCALE
        on_scale = np.isnan(g) | (np.abs(ratio - 1.0) <= reciprocal_rtol).any(axis=-1)
        if not on_scale.all():
            pos = np.unravel_index(int(np.flatnonzero(~on_scale)[0]), on_scale.shape)
            i, j = int(iu[pos[-1]]), int(ju[pos[-1]])
            flat = int(np.ravel_multi_index((*pos[:-1], i, j), a.shape))
            fail(
                f"判断值 a[{i + 1},{j + 1}] = {g[pos]:g} 不在 1-9 标度上",
                f"judgment a[{i + 1},{j + 1}] = {g[pos]:g} is not on the 1-9 scale",
                flat,
            )
    out = np.ones((*stack, n * n))
    out[..., iu * n + ju] = g
    out[..., ju * n + iu] = 1.0 / g
    a = out.reshape(a.shape)
    return a


def nearest_scale(value: Any) -> np.ndarray:
    """The Saaty 1-9 scale value (or reciprocal) nearest to ``value`` on a log scale.

    Parameters
    ----------
    value : array_like
        Positive ratios.

    Returns
    -------
    numpy.ndarray
        Values from :data:`SAATY_SCALE`, same shape as ``value``.

    Notes
    -----
    Distance is :math:`|\\ln v - \\ln s|`, so 1/3 and 3 are equally far from 1 (Saaty 1980).

    Examples
    --------
    >>> nearest_scale([2.6, 0.3, 12.0]).round(4).tolist()
    [3.0, 0.3333, 9.0]
    """
    v = np.asarray(value, dtype=float)
    k = np.abs(np.log(v)[..., None] - np.log(SAATY_SCALE)).argmin(axis=-1)
    return SAATY_SCALE[k]


def perron_vector(
    a: np.ndarray, *, tol: float = 1e-15, max_squarings: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """Principal right eigenvector (summing to 1) and eigenvalue of a stack of primitive matrices.

    Parameters
    ----------
    a : numpy.ndarray, shape (..., n, n)
        Nonnegative primitive matrices (positive reciprocal matrices, or Harker's matrices).
    tol : float
        Stop when no weight moves by more than this between two squarings.
    max_squarings : int
        Safety bound on the number of squarings.

    Returns
    -------
    weights : numpy.ndarray, shape (..., n)
    lambda_max : numpy.ndarray, shape (...)

    Notes
    -----
    Power iteration by repeated squaring: :math:`A^{2^k}` is renormalised after each
    squaring, and its row sums converge to the Perron vector at rate
    :math:`|\\lambda_2/\\lambda_1|^{2^k}` (Perron-Frobenius; Saaty 1980 computes priorities
    as the limit of normalised row sums of powers of A). Two plain power steps on A then
    polish the vector, and :math:`\\lambda_{max} = \\sum_i (A w)_i` for :math:`\\sum_i w_i = 1`.

    Examples
    --------
    >>> w, lam = perron_vector(np.array([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]]))
    >>> w.round(4).tolist(), round(float(lam), 6)
    ([0.5714, 0.2857, 0.1429], 3.0)
    """
    a = np.asarray(a, dtype=float)
    # row sums through matmul: numpy reduces short last axes far more slowly
    ones = np.ones(a.shape[-1])
    rows = a @ ones
    total = rows @ ones
    b = a / total[..., None, None]
    w = rows / total[..., None]
    for _ in range(max_squarings):
        b = b @ b
        rows = b @ ones
        total = rows @ ones
        # rescale so that powers neither overflow nor underflow
        b /= total[..., None, None]
        new = rows / total[..., None]
        done = np.abs(new - w).max() <= tol if new.size else True
        w = new
        if done:
            break
    for _ in range(2):
        aw = (a @ w[..., None])[..., 0]
        w = aw / (aw @ ones)[..., None]
    lam = (a @ w[..., None])[..., 0] @ ones
    return w, lam


def geometric_vector(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row geometric mean priorities and the matching lambda_max estimate.

    Parameters
    ----------
    a : numpy.ndarray, shape (..., n, n)
        Complete positive reciprocal matrices.

    Returns
    -------
    weights : numpy.ndarray, shape (..., n)
    lambda_max : numpy.ndarray, shape (...)

    Notes
    -----
    :math:`w_i \\propto (\\prod_j a_{ij})^{1/n}` (Crawford & Williams 1985, J. Math. Psychol.
    29, 387-405), and :math:`\\lambda_{max} = \\frac1n \\sum_i (A w)_i / w_i`.

    Examples
    --------
    >>> w, lam = geometric_vector(np.array([[1, 3], [1 / 3, 1]]))
    >>> w.round(6).tolist(), round(float(lam), 6)
    ([0.75, 0.25], 2.0)
    """
    g = np.exp(np.log(a).mean(axis=-1))
    w = g / g.sum(axis=-1, keepdims=True)
    lam = (np.einsum("...ij,...j->...i", a, w) / w).mean(axis=-1)
    return w, lam


def _check_connected(known: np.ndarray) -> None:
    """Missing judgments are recoverable only if the comparison graph is connected."""
    n = known.shape[-1]
    reach = known | np.eye(n, dtype=bool)
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))))):
        reach = (reach.astype(np.int64) @ reach.astype(np.int64)) > 0
    if not reach.all():
        raise InputError(
            "缺失的判断太多：比较关系不连通，无法推出全部权重",
            "too many missing judgments: the comparisons do not connect all criteria",
            field="matrix",
        )


def complete_harker(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill missing judgments by Harker's (1987) method.

    Parameters
    ----------
    a : numpy.ndarray, shape (..., n, n)
        Reciprocal matrices from :func:`check_pairwise`, NaN for missing pairs.

    Returns
    -------
    completed : numpy.ndarray
        Missing :math:`a_{ij}` replaced by :math:`w_i/w_j`.
    weights : numpy.ndarray, shape (..., n)
    lambda_max : numpy.ndarray, shape (...)

    Notes
    -----
    Harker, P.T. (1987). Incomplete pairwise comparisons in the analytic hierarchy process.
    Mathematical Modelling 9(11), 837-848: set missing entries to 0 and each diagonal entry
    to 1 + (number of missing judgments in its row), then take the principal eigenvector.
    It equals the eigenvector of the matrix completed with :math:`a_{ij} = w_i/w_j`, with the
    same eigenvalue.

    Examples
    --------
    >>> a = check_pairwise([[1, 2, np.nan], [0.5, 1, 2], [np.nan, 0.5, 1]])
    >>> filled, w, lam = complete_harker(a)
    >>> round(float(filled[0, 2]), 6), round(float(lam), 6)
    (4.0, 3.0)
    """
    missing = np.isnan(a)
    _check_connected(~missing)
    c = np.where(missing, 0.0, a)
    n = a.shape[-1]
    idx = np.arange(n)
    c[..., idx, idx] = 1.0 + missing.sum(axis=-1)
    w, lam = perron_vector(c)
    ratio = w[..., :, None] / w[..., None, :]
    return np.where(missing, ratio, a), w, lam


def _eigen_pair(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, lam = perron_vector(a)
    y, _ = perron_vector(np.swapaxes(a, -1, -2))
    return x, y, lam


def complete_lambda_optimal(
    a: np.ndarray, *, tol: float = 1e-10, max_iter: int = 2000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill missing judgments with the values that minimise lambda_max.

    Parameters
    ----------
    a : numpy.ndarray, shape (..., n, n)
        Reciprocal matrices from :func:`check_pairwise`, NaN for missing pairs.
    tol : float
        Stop when no missing log-judgment moves by more than this.
    max_iter : int
        Safety bound on iterations.

    Returns
    -------
    completed, weights, lambda_max
        As :func:`complete_harker`.

    Notes
    -----
    Shiraishi, Obata & Daigo (1998, J. Oper. Res. Soc. Japan 41(3), 404-414) proposed
    completing an incomplete matrix so that :math:`\\lambda_{max}` is smallest; Bozóki, Fülöp
    & Rónyai (2010, Mathematical and Computer Modelling 52, 318-333) proved that
    :math:`\\lambda_{max}` is a strictly convex function of the log-judgments
    :math:`x_{ij} = \\ln a_{ij}` when the comparison graph is connected, so the optimum is
    unique. With right and left Perron vectors :math:`w, v`, the partial derivative is
    :math:`\\partial\\lambda/\\partial x_{ij} \\propto a_{ij} v_i w_j - v_j w_i / a_{ij}`, zero
    at :math:`a_{ij}^* = \\sqrt{w_i v_j / (w_j v_i)}`. All missing log-judgments move toward
    that point together (a descent direction), halving the step until
    :math:`\\lambda_{max}` decreases, for every matrix of the stack at once; this replaces
    the cyclic one-coordinate line searches of Bozóki et al. and reaches the same optimum.

    Examples
    --------
    >>> a = check_pairwise([[1, 2, np.nan], [0.5, 1, 2], [np.nan, 0.5, 1]])
    >>> filled, w, lam = complete_lambda_optimal(a)
    >>> round(float(filled[0, 2]), 6), round(float(lam), 6)
    (4.0, 3.0)
    """
    missing = np.isnan(a)
    _check_connected(~missing)
    filled, _, _ = complete_harker(a)
    if not missing.any():
        w, lam = perron_vector(filled)
        return filled, w, lam
    logs = np.log(filled)
    w, v, lam = _eigen_pair(filled)
    step = np.ones(lam.shape)
    for _ in range(max_iter):
        target = 0.5 * (
            np.log(w[..., :, None] * v[..., None, :]) - np.log(w[..., None, :] * v[..., :, None])
        )
        direction = np.where(missing, target - logs, 0.0)
        move = np.abs(direction).max(axis=(-1, -2))
        active = move > tol
        if not active.any():
            break
        trial = logs + step[..., None, None] * direction
        tw, tv, tlam = _eigen_pair(np.exp(trial))
        better = (tlam <= lam + 1e-15) & active
        keep = better[..., None, None]
        logs = np.where(keep, trial, logs)
        w = np.where(better[..., None], tw, w)
        v = np.where(better[..., None], tv, v)
        lam = np.where(better, tlam, lam)
        step = np.where(better, np.minimum(1.0, step * 2.0), step * 0.5)
        if (step[active] < 1e-12).all():
            break
    completed = np.exp(logs)
    w, lam = perron_vector(completed)
    return completed, w, lam
