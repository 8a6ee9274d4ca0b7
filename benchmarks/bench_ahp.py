"""Benchmark: AHP priorities and CR for 10,000 stacked 9x9 random reciprocal matrices.

jixiao computes the whole stack in one vectorised call; AHPy (``ahpy.Compare``) and
pyDecision (``pyDecision.algorithm.ahp_method``) are called once per matrix, on the same
matrices, in the same run. The exact reference is LAPACK's eigen-decomposition
(``numpy.linalg.eig``) of every matrix. A peer too slow for the whole stack is timed on a
subset and extrapolated (the table says so).

Run: ``python benchmarks/bench_ahp.py [--count 10000] [--subset 2000]``
Needs the benchmark peers: ``pip install ahpy pyDecision``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.ahp import priorities
from scoring.pairwise import SAATY_SCALE
from scoring.random_index import random_index

N = 9


def random_stack(count: int, seed: int = 2024) -> np.ndarray:
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(N, 1)
    upper = rng.choice(SAATY_SCALE, size=(count, len(iu[0])))
    a = np.ones((count, N, N))
    a[:, iu[0], iu[1]] = upper
    a[:, iu[1], iu[0]] = 1.0 / upper
    return a


def exact(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vals, vecs = np.linalg.eig(a)
    k = np.argmax(vals.real, axis=-1)
    lam = np.take_along_axis(vals.real, k[:, None], axis=-1)[:, 0]
    v = np.abs(np.take_along_axis(vecs.real, k[:, None, None], axis=-1)[..., 0])
    return v / v.sum(axis=-1, keepdims=True), lam


def timed(fn, *args, repeat: int = 3):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_ahpy(a: np.ndarray) -> np.ndarray:
    import ahpy

    names = [f"c{k}" for k in range(N)]
    pairs = list(itertools.combinations(range(N), 2))
    out = np.empty((len(a), N))
    for m, mat in enumerate(a):
        comparisons = {(names[i], names[j]): float(mat[i, j]) for i, j in pairs}
        res = ahpy.Compare("m", comparisons, precision=4, random_index="saaty")
        out[m] = [res.local_weights[name] for name in names]
    return out


def run_pydecision(a: np.ndarray) -> np.ndarray:
    from pyDecision.algorithm import ahp_method

    out = np.empty((len(a), N))
    for m, mat in enumerate(a):
        out[m], _ = ahp_method(mat, wd="max_eigen")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--subset", type=int, default=2_000, help="matrices timed for a slow peer")
    args = parser.parse_args()
    a = random_stack(args.count)
    ref_w, ref_lam = exact(a)
    ref_cr = (ref_lam - N) / (N - 1) / float(random_index(N))

    rows = []
    priorities(a[:10])  # import and first-call costs are not what we measure
    t_ours, res = timed(priorities, a)
    rows.append(
        (
            "jixiao priorities (vectorised)",
            args.count,
            t_ours,
            res.weights,
            float(np.abs(res.cr - ref_cr).max()),
        )
    )
    t_eig, _ = timed(exact, a)
    rows.append(("numpy.linalg.eig (exact reference)", args.count, t_eig, ref_w, 0.0))
    for name, fn in (
        ("AHPy 2.1 Compare, per matrix", run_ahpy),
        ("pyDecision ahp_method(me), per matrix", run_pydecision),
    ):
        try:
            fn(a[:5])
        except ImportError as err:
            print(f"{name}: not installed ({err.name}); skipped")
            continue
        # time the full stack if a subset says it takes under a minute, else extrapolate
        t_sub, w_sub = timed(fn, a[: args.subset], repeat=1)
        if t_sub * args.count / args.subset < 60:
            t_full, w_full = timed(fn, a, repeat=1)
            rows.append((name, args.count, t_full, w_full, None))
        else:
            rows.append(
                (
                    name + " [extrapolated]",
                    args.subset,
                    t_sub * args.count / args.subset,
                    w_sub,
                    None,
                )
            )

    print(
        f"AHP priorities + CR of {args.count:,} random reciprocal {N}x{N} matrices (Saaty 1-9 scale)"
    )
    print(
        f"{'method':<42} {'timed':>7} {'s per stack':>12} {'jixiao faster':>14} {'max |w - exact|':>16} {'max |CR - exact|':>17}"
    )
    for name, timed_n, seconds, w, dcr in rows:
        dw = np.abs(w - ref_w[: len(w)]).max()
        speed = seconds / t_ours
        cr_text = f"{dcr:>17.1e}" if dcr is not None else f"{'-':>17}"
        print(f"{name:<42} {timed_n:>7,} {seconds:>12.4f} {speed:>13.1f}x {dw:>16.1e} {cr_text}")
    print("AHPy rounds weights to 4 decimals (precision=4), so its |w - exact| is bounded by 5e-5.")


if __name__ == "__main__":
    main()
