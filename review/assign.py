"""Automatic assignment of reports to raters: k raters each, balanced load, no conflict of interest.

A pure kernel over arrays. The assignment is a 0/1 reports × raters matrix found by one small
integer programme: every report gets exactly k raters, a rater never gets a report of their own
department, the loads are as even as the conflicts allow, and among the equally even plans a
seeded random one is chosen, so two rounds with the same
inputs and seed get the same plan and different seeds spread pairings differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from indicators.errors import InputError

__all__ = ["AssignmentPlan", "assign_reports", "conflict_mask"]


@dataclass(frozen=True)
class AssignmentPlan:
    """An assignment of reports to raters.

    Attributes
    ----------
    matrix
        Boolean reports × raters, True where the rater scores the report.
    pairs
        ``(report index, rater index)`` rows of the True cells, by report then rater.
    loads
        Reports per rater.
    spread
        ``loads.max() - loads.min()``: 0 or 1 whenever no conflict of interest binds.
    k, seed, method
        The raters per report, the seed and how the plan was found.
    """

    matrix: np.ndarray
    pairs: np.ndarray
    loads: np.ndarray
    spread: int
    k: int
    seed: int
    method: str
    details: dict[str, Any] = field(default_factory=dict)


def conflict_mask(report_departments: Any, rater_departments: Any) -> np.ndarray:
    """Which rater may not score which report because they share a department.

    Parameters
    ----------
    report_departments
        The department of each report (the department whose project it evaluates).
    rater_departments
        The department each rater works in; an empty string or None means none (for example
        an NPC deputy or an outside expert) and conflicts with nothing.

    Returns
    -------
    numpy.ndarray
        Boolean reports × raters, True where the pair is a conflict of interest.

    Notes
    -----
    Names are compared after trimming spaces. This is the recusal rule (回避原则) of expert
    review: nobody judges the work of their own unit.

    Examples
    --------
    >>> conflict_mask(["县教育局", "县水务局"], ["县教育局", ""]).tolist()
    [[True, False], [False, False]]
    """
    reports = np.array([str(d or "").strip() for d in np.asarray(report_departments,
                                                                dtype=object).ravel()])
    raters = np.array([str(d or "").strip() for d in np.asarray(rater_departments,
                                                               dtype=object).ravel()])
    return (reports[:, None] == raters[None, :]) & (raters[None, :] != "")


def _check(n_reports: int, n_raters: int, k: int, allowed: np.ndarray,
           labels: list[str]) -> None:
    if n_reports == 0:
        raise InputError("没有要分配的报告", "there are no reports to assign", field="reports")
    if k < 1:
        raise InputError("每份报告的评审人数至少为 1", "k must be at least 1", field="k")
    if k > n_raters:
        raise InputError(f"每份报告需要 {k} 名评审人，但评审组只有 {n_raters} 人",
                         f"each report needs {k} raters but the panel has only {n_raters}",
                         field="k")
    eligible = allowed.sum(axis=1)
    short = np.flatnonzero(eligible < k)
    if short.size:
        i = int(short[0])
        raise InputError(
            f"报告 {labels[i]} 只有 {int(eligible[i])} 名无利益冲突的评审人，少于所需的 {k} 名"
            f"（共 {short.size} 份报告如此）",
            f"report {labels[i]} has only {int(eligible[i])} raters without a conflict of "
            f"interest, fewer than k = {k} ({short.size} report(s) like this)", field="k")


def assign_reports(
    report_departments: Any,
    rater_departments: Any,
    k: int,
    *,
    seed: int = 0,
    allowed: Any | None = None,
    report_labels: Sequence[str] | None = None,
) -> AssignmentPlan:
    """Give every report k raters with balanced load and no conflict of interest.

    Parameters
    ----------
    report_departments, rater_departments
        As in :func:`conflict_mask`.
    k
        Raters per report.
    seed
        Seed of the random tie-break among equally balanced plans.
    allowed
        Optional boolean reports × raters mask of further permitted pairs (False forbids a
        pair for another reason); combined with the department rule.
    report_labels
        Names of the reports for error messages; default their 1-based positions.

    Returns
    -------
    AssignmentPlan

    Raises
    ------
    InputError
        No reports, k < 1, k above the panel size, a report with fewer than k eligible raters,
        or no plan at all under the constraints (the message says which).

    Notes
    -----
    With :math:`x_{ij} \\in \\{0, 1\\}` (report i to rater j), loads
    :math:`L_j = \\sum_i x_{ij}` and :math:`c_{ij} \\sim U(0, 1)/(nk + 1)` drawn from ``seed``,
    solve

    .. math::
        \\min \\sum_j L_j^2 + \\sum_{ij} c_{ij} x_{ij} \\quad \\text{s.t.} \\quad
        \\sum_j x_{ij} = k, \\; x_{ij} = 0 \\text{ on conflicts.}

    The total load :math:`nk` is fixed, so the smallest :math:`\\sum_j L_j^2` is the most even
    spread the conflicts allow: loads :math:`\\lfloor nk/m \\rfloor` or
    :math:`\\lceil nk/m \\rceil` when no conflict binds, and a rater who may take only a few
    reports does not drag the others apart. :math:`L_j^2` is written exactly on the integers
    by its secants (:math:`z_j \\ge (2t+1)L_j - t(t+1)` for each integer t), and the random
    costs, summing to less than 1, only break ties between equally even plans. Solved by
    HiGHS through :func:`scipy.optimize.milp` with a zero optimality gap (Huangfu & Hall
    2018, "Parallelizing the dual revised simplex method", Mathematical Programming
    Computation 10, 119–142). Reviewer assignment as a transportation-type programme follows
    Taylor (2008), "On the optimal assignment of conference papers to reviewers", University
    of Pennsylvania, tech. report MS-CIS-08-30.

    Examples
    --------
    >>> plan = assign_reports(["甲", "乙", "丙", "丁"], ["甲", "乙", "", ""], 2, seed=1)
    >>> plan.matrix.sum(axis=1).tolist(), int(plan.spread)
    ([2, 2, 2, 2], 0)
    >>> bool((plan.matrix & conflict_mask(["甲", "乙", "丙", "丁"], ["甲", "乙", "", ""])).any())
    False
    """
    conflicts = conflict_mask(report_departments, rater_departments)
    n, m = conflicts.shape
    k = int(k)
    permitted = ~conflicts
    if allowed is not None:
        extra = np.asarray(allowed, dtype=bool)
        if extra.shape != (n, m):
            raise InputError(f"allowed 的形状应为 {(n, m)}，实际为 {extra.shape}",
                             f"allowed must have shape {(n, m)}, got {extra.shape}",
                             field="allowed")
        permitted &= extra
    labels = ([str(x) for x in report_labels] if report_labels is not None
              else [str(i + 1) for i in range(n)])
    _check(n, m, k, permitted, labels)

    nx = n * m
    cap = np.minimum(permitted.sum(axis=0), n)
    # Variables: x (reports × raters, row-major), loads L_j, and z_j >= L_j^2 on integers.
    steps = np.arange(int(cap.max()) if cap.size else 0)
    n_steps = steps.size
    cost = np.random.default_rng(seed).random(nx) / (n * k + 1)
    objective = np.concatenate([cost, np.zeros(m), np.ones(m)])
    report_sum = sparse.hstack([sparse.kron(sparse.eye(n), np.ones((1, m))),
                                sparse.csr_matrix((n, 2 * m))])
    load_def = sparse.hstack([sparse.kron(np.ones((1, n)), sparse.eye(m)), -sparse.eye(m),
                              sparse.csr_matrix((m, m))])
    # Secant of t^2 between t and t+1: z_j - (2t+1) L_j >= -t(t+1), exact at every integer L_j.
    slopes = sparse.kron(sparse.eye(m), -(2.0 * steps + 1.0)[:, None])
    picks = sparse.kron(sparse.eye(m), np.ones((n_steps, 1)))
    secants = sparse.hstack([sparse.csr_matrix((m * n_steps, nx)), slopes, picks])
    a = sparse.vstack([report_sum, load_def, secants]).tocsr()
    lower = np.concatenate([np.full(n, k), np.zeros(m), np.tile(-steps * (steps + 1.0), m)])
    upper = np.concatenate([np.full(n, k), np.zeros(m), np.full(m * n_steps, np.inf)])
    bounds = Bounds(np.zeros(nx + 2 * m),
                    np.concatenate([permitted.ravel().astype(float), cap, np.full(m, np.inf)]))
    integrality = np.concatenate([np.ones(nx + m), np.zeros(m)])
    result = milp(objective, constraints=LinearConstraint(a, lower, upper),
                  integrality=integrality, bounds=bounds, options={"mip_rel_gap": 0.0})
    if result.x is None:
        raise InputError(
            f"在利益冲突回避的限制下无法为每份报告分配 {k} 名评审人：{result.message}",
            f"no assignment gives every report {k} raters without conflicts of interest: "
            f"{result.message}", field="k")
    matrix = np.rint(result.x[:nx]).reshape(n, m).astype(bool)
    loads = matrix.sum(axis=0)
    return AssignmentPlan(
        matrix=matrix, pairs=np.argwhere(matrix), loads=loads,
        spread=int(loads.max() - loads.min()), k=k, seed=int(seed),
        method="Integer programme (HiGHS via scipy.optimize.milp): exactly k raters per "
               "report, no pair sharing a department, spread of loads minimised first, then a "
               "seeded random cost among equally balanced plans.",
        details={"conflicts": int(conflicts.sum()), "objective": float(result.fun)})
