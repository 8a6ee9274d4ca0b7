"""Benchmark: score, total and grade 100,000 projects × 10 indicators (one million rows).

jixiao's kernel (``scoring.project.score_projects``: rules → tree subtotals → budget execution →
rounding → grade, all vectorised) runs side by side with a plain pandas implementation that
scores each row with ``DataFrame.apply(axis=1)``, sums per project with ``groupby`` and grades
each project with ``Series.apply`` — the way a spreadsheet-minded analyst would write it. Both
run on the same data in the same run; the table shows their times and whether the totals agree.

Run: ``python benchmarks/bench_scoring.py [--projects 100000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.grades import grade, load_bands
from scoring.project import round_half_up, score_projects
from scoring.rules import points

LEVEL2 = ["数量指标", "数量指标", "质量指标", "时效指标", "成本指标", "社会效益指标",
          "经济效益指标", "可持续影响指标", "服务对象满意度指标", "服务对象满意度指标"]
LEVEL1 = ["产出指标"] * 5 + ["效益指标"] * 3 + ["满意度指标"] * 2
WEIGHTS = [10.0, 10, 10, 10, 10, 10, 10, 10, 5, 5]
DIRECTIONS = ["≥", "≥", "≥", "≤", "≤", "≥", "=", "≥", "≥", "≥"]


def make_data(n_projects: int, seed: int = 2021) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    k = len(WEIGHTS)
    n = n_projects * k
    rows = pd.DataFrame({
        "project": np.repeat(np.arange(n_projects), k),
        "indicator": np.tile([f"指标{j + 1}" for j in range(k)], n_projects),
        "level2": np.tile(LEVEL2, n_projects),
        "level1": np.tile(LEVEL1, n_projects),
        "weight": np.tile(WEIGHTS, n_projects),
        "direction": np.tile(DIRECTIONS, n_projects),
        "target": rng.uniform(10, 100, n),
    })
    rows["actual"] = rows["target"] * rng.uniform(0.3, 1.6, n)
    budgets = pd.DataFrame({"project": np.arange(n_projects),
                            "budget": rng.uniform(1e5, 5e6, n_projects)})
    budgets["spent"] = budgets["budget"] * rng.uniform(0.5, 1.1, n_projects)
    return rows, budgets


def row_points(row: pd.Series) -> float:
    """One indicator, the DOMAIN.md §3 rules written out as a row function."""
    t, a, w = row["target"], row["actual"], row["weight"]
    if row["direction"] == "≥":
        return w if a >= t else w * max(a, 0.0) / t
    if row["direction"] == "≤":
        if a <= t:
            return w
        return 0.0 if a >= 2 * t else w * (1 - (a - t) / t)
    return max(0.0, w * (1 - abs(a - t) / abs(t)))


def row_grade(total: float) -> str:
    if total >= 90:
        return "优"
    if total >= 80:
        return "良"
    return "中" if total >= 60 else "差"


def pandas_row_by_row(rows: pd.DataFrame, budgets: pd.DataFrame) -> pd.DataFrame:
    scored = rows.assign(points=rows.apply(row_points, axis=1))
    per_project = scored.groupby("project")["points"].sum()
    b = budgets.set_index("project")
    execution = b.apply(lambda r: min(10.0, r["spent"] / r["budget"] * 10.0), axis=1)
    total = (per_project + execution).apply(lambda x: float(round_half_up(x)))
    return pd.DataFrame({"total": total, "grade": total.apply(row_grade)})


def jixiao_kernel(rows: pd.DataFrame, budgets: pd.DataFrame) -> pd.DataFrame:
    r = score_projects(rows, budgets, library_version="bench", weight_set="10-50-30-10")
    return r.totals.set_index("project")[["total", "grade"]]


def timed(fn, *args, repeats: int = 1):
    """Result, best and median wall time of ``repeats`` runs (best is timeit's convention)."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - start)
    return out, min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs of each jixiao variant (best and median shown)")
    args = parser.parse_args()
    rows, budgets = make_data(args.projects)
    n_rows = len(rows)
    load_bands("national")  # file read and parse kept out of the timings

    ours, t_ours, m_ours = timed(jixiao_kernel, rows, budgets, repeats=args.repeats)
    bare, t_bare, m_bare = timed(lambda: grade(round_half_up(np.bincount(
        rows["project"].to_numpy(), points(rows["direction"], rows["target"].to_numpy(),
                                          rows["actual"].to_numpy(), rows["weight"].to_numpy()))
        + np.minimum(10.0, budgets["spent"].to_numpy() / budgets["budget"].to_numpy() * 10.0))),
        repeats=args.repeats)
    theirs, t_theirs, _ = timed(pandas_row_by_row, rows, budgets)

    theirs = theirs.loc[ours.index]
    diff = float(np.max(np.abs(ours["total"].to_numpy() - theirs["total"].to_numpy())))
    same_grades = bool((ours["grade"].to_numpy() == theirs["grade"].to_numpy()).all())
    same_bare = bool((bare == ours["grade"].to_numpy()).all())

    print(f"Scoring {args.projects:,} projects × {len(WEIGHTS)} indicators = {n_rows:,} rows "
          f"(rules → subtotals → budget execution → total → grade)\n")
    header = (f"{'implementation':<46}{'best (s)':>10}{'median (s)':>12}{'rows/s (best)':>15}"
              f"{'speed-up':>10}")
    print(header)
    print("-" * len(header))
    for name, t, m in (("pandas DataFrame.apply, row by row (1 run)", t_theirs, t_theirs),
                       ("jixiao score_projects (full result frames)", t_ours, m_ours),
                       ("jixiao kernels alone (points→bincount→grade)", t_bare, m_bare)):
        print(f"{name:<46}{t:>10.3f}{m:>12.3f}{n_rows / t:>15,.0f}{t_theirs / t:>9.1f}×")
    print()
    print(f"totals agree: max |difference| = {diff:.2e}; grades identical: {same_grades}; "
          f"kernel-alone grades identical: {same_bare}")
    print(f"goal: score_projects under 1 s and ≥ 50× faster → "
          f"{'met' if t_ours < 1.0 and t_theirs / t_ours >= 50 else 'NOT met'} "
          f"(best {t_ours:.3f} s, {t_theirs / t_ours:.0f}×; median {m_ours:.3f} s, "
          f"{t_theirs / m_ours:.0f}×)")


if __name__ == "__main__":
    main()
