"""Benchmark: Monte-Carlo weight robustness, 10,000 Dirichlet draws × 3,000 projects (goal < 2 s).

jixiao's kernel (``scoring.sensitivity.monte_carlo``: chunks of draws scored by one matrix
product each, grade bands compared as shifted edges) runs beside a plain per-draw Python loop
that scores every project with ``a @ w``, rounds half up and grades with
``scoring.grades.grade``, the way one would write it first. The loop is too slow for all
10,000 draws, so it runs on the first ``--loop-draws`` of the same draws and its time is
extrapolated linearly (stated in the table); both must give the same keep-probabilities on
those draws. A second table does the same for the weight fit: ``scoring.calibrate.fit_weights``
(Lawson–Hanson NNLS) beside SciPy's SLSQP on the same constrained least squares.

Run: ``python benchmarks/bench_calibration.py [--projects 3000] [--draws 10000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import optimize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.calibrate import fit_weights
from scoring.grades import grade
from scoring.project import round_half_up
from scoring.sensitivity import monte_carlo, one_at_a_time

WEIGHTS = np.array([10.0, 10, 10, 5, 5, 10, 10, 10, 10, 5, 5, 10])


def make_data(n_projects: int, seed: int = 2021) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Achievement mostly high with a long low tail, as in county self-evaluations.
    return np.clip(rng.beta(6, 1.6, size=(n_projects, WEIGHTS.size)), 0, 1)


def loop_monte_carlo(a: np.ndarray, draws: int, concentration: float, seed: int) -> np.ndarray:
    """Keep-probability by a Python loop over draws, grading each total with grade()."""
    gammas = np.random.default_rng(seed).standard_gamma(concentration * WEIGHTS / 100,
                                                        size=(draws, WEIGHTS.size))
    base = grade(round_half_up(a @ WEIGHTS))
    kept = np.zeros(a.shape[0])
    for g in gammas:
        w = g / g.sum() * 100
        kept += grade(round_half_up(a @ w)) == base
    return kept / draws


def timed(fn, repeats: int) -> tuple[float, float, float, object]:
    """Best and median wall time, best CPU time of this process (all its threads), result.

    CPU time is printed too because a shared machine's other jobs inflate wall time.
    """
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), statistics.median(walls), min(cpus), out


def slsqp_fit(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    k = a.shape[1]
    out = optimize.minimize(lambda w: np.mean((y - a @ w) ** 2), np.full(k, 100.0 / k),
                            jac=lambda w: -2 * a.T @ (y - a @ w) / y.size, method="SLSQP",
                            bounds=[(0, None)] * k,
                            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 100}],
                            options={"ftol": 1e-12, "maxiter": 500})
    return out.x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=3000)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop-draws", type=int, default=500)
    parser.add_argument("--concentration", type=float, default=400.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    a = make_data(args.projects)
    n, draws, c = args.projects, args.draws, args.concentration

    best, median, cpu, result = timed(
        lambda: monte_carlo(a, WEIGHTS, draws=draws, concentration=c, seed=7), args.repeats)
    loop_best, loop_median, loop_cpu, loop_p = timed(
        lambda: loop_monte_carlo(a, args.loop_draws, c, seed=7), args.repeats)
    small = monte_carlo(a, WEIGHTS, draws=args.loop_draws, concentration=c, seed=7)
    agree = np.array_equal(small.projects["p_keep"].to_numpy(), loop_p)
    scale = draws / args.loop_draws
    oat_best, oat_median, oat_cpu, _ = timed(lambda: one_at_a_time(a, WEIGHTS, delta=0.1),
                                             args.repeats)

    print(f"Monte-Carlo robustness: {draws:,} draws × {n:,} projects × {WEIGHTS.size} "
          f"indicators, concentration {c:g}; best and median wall time of {args.repeats} runs, "
          "best CPU time")
    rows = [
        ("jixiao monte_carlo (chunked matmul)", f"{draws:,}", f"{best:.3f}", f"{median:.3f}",
         f"{cpu:.3f}", f"{best:.3f}", "—"),
        ("plain per-draw loop with grade()", f"{args.loop_draws:,}", f"{loop_best:.3f}",
         f"{loop_median:.3f}", f"{loop_cpu:.3f}",
         f"{loop_best * scale:.2f} (extrapolated ×{scale:g})",
         "same p_keep" if agree else "DIFFERENT p_keep"),
        ("jixiao one_at_a_time ±10%", f"{2 * WEIGHTS.size} sets", f"{oat_best:.4f}",
         f"{oat_median:.4f}", f"{oat_cpu:.4f}", "—", "—"),
    ]
    header = ("method", "draws run", "best s", "median s", "CPU s", f"wall s for {draws:,}",
              "check")
    _print(header, rows)
    print(f"speed-up over the loop (best wall): ×{loop_best * scale / best:.1f}, (CPU): "
          f"×{loop_cpu * scale / max(cpu, 1e-9):.1f}; goal < 2 s: "
          f"{'met' if best < 2 else 'NOT met'} (best run)")
    print(f"projects with p_keep ≥ 0.95: {(result.projects['p_keep'] >= 0.95).mean():.1%}")

    rng = np.random.default_rng(3)
    y = np.clip(a @ rng.dirichlet(np.ones(WEIGHTS.size)) * 100 + rng.normal(0, 3, n), 0, 100)
    fit_best, fit_median, fit_cpu, fitted = timed(lambda: fit_weights(a, y, cv=None),
                                                  args.repeats)
    sl_best, sl_median, sl_cpu, sl_w = timed(lambda: slsqp_fit(a, y), args.repeats)
    gap = np.abs(fitted.weights.to_numpy() - sl_w).max()
    print()
    print(f"Weight fit: {n:,} projects × {WEIGHTS.size} indicators, non-negative weights "
          "summing to 100")
    rows = [("jixiao fit_weights (NNLS, weighting method)", f"{fit_best:.4f}",
             f"{fit_median:.4f}", f"{fit_cpu:.4f}", f"{fitted.weights.sum():.12f}"),
            ("scipy SLSQP (analytic gradient)", f"{sl_best:.4f}", f"{sl_median:.4f}",
             f"{sl_cpu:.4f}", f"{sl_w.sum():.12f}")]
    _print(("method", "best s", "median s", "CPU s", "sum of weights"), rows)
    print(f"largest weight difference between the two: {gap:.2e} points")


def _print(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
