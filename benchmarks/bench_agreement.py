"""ICC, Kendall's W, Krippendorff's alpha and Fleiss' kappa beside their peers, same data, one run.

Run: ``python benchmarks/bench_agreement.py`` (with the package installed or the repository
root on ``PYTHONPATH``). Peers: pingouin (ICC, Kendall's W through its Friedman test),
krippendorff (alpha), statsmodels (Fleiss). The last rows time the whole agreement report on
a review round's shape (200 reports, 40 raters, 5 per report), which no peer computes.
Times are the median wall time of a few runs and include each side's own input handling
(ours: coercion of the wide table; pingouin: its pivot of the long table it takes). Peak
memory is measured with tracemalloc.
"""

from __future__ import annotations

import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from review.agreement import agreement_report, fleiss_kappa, icc, kendall_w, krippendorff_alpha


def _timed(run: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times))


def _peak_mb(run: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _row(task: str, data: str, peer: str, ours: float, theirs: float, s_ours: float,
         s_theirs: float, goal: str, note: str = "") -> dict[str, Any]:
    speedup = s_theirs / s_ours if np.isfinite(s_theirs) else np.nan
    return {"task": task, "data": data, "peer": peer, "jixiao": ours, "peer value": theirs,
            "jixiao s": s_ours, "peer s": s_theirs, "speed-up": speedup, "goal": goal,
            "note": note}


def _long(table: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(table).rename_axis("item").reset_index()
    return frame.melt(id_vars="item", var_name="rater", value_name="score").dropna()


def main() -> None:
    import krippendorff
    import pingouin
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    rng = np.random.default_rng(2026)
    rows = []

    # ICC(2,1): 10,000 reports × 20 raters, complete, then with 30% of ratings missing.
    n, k = 10_000, 20
    scores = (75 + rng.normal(0, 8, (n, 1)) + rng.normal(0, 2, (1, k))
              + rng.normal(0, 5, (n, k)))
    long = _long(scores)
    ours, s_ours = _timed(lambda: icc(scores, "ICC(2,1)").value, repeat=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer, s_peer = _timed(lambda: pingouin.intraclass_corr(
            long, targets="item", raters="rater", ratings="score").loc[1, "ICC"])
    rows.append(_row("ICC(2,1)", "10k x 20, complete", "pingouin", ours, peer, s_ours, s_peer,
                     ">= 1000x"))

    holes = scores.copy()
    holes[rng.random(holes.shape) < 0.3] = np.nan
    long_holes = _long(holes)
    result, s_ours = _timed(lambda: icc(holes, "ICC(2,1)"), repeat=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer_table, s_peer = _timed(lambda: pingouin.intraclass_corr(
            long_holes, targets="item", raters="rater", ratings="score", nan_policy="omit"))
    kept = int((~np.isnan(holes)).all(axis=1).sum())
    rows.append(_row("ICC(2,1)", "10k x 20, 30% missing", "pingouin (omit)", result.value,
                     float(peer_table.loc[1, "ICC"]), s_ours, s_peer, "uses every report",
                     f"jixiao uses {result.n_items} reports; pingouin keeps the {kept} "
                     "complete ones"))

    # Kendall's W: 2,000 reports ranked by 20 raters, complete; pingouin's Friedman gives W.
    ranked = np.round(rng.normal(0, 1, (2000, 1)) + rng.normal(0, 1, (2000, 20)), 1)
    long_ranked = _long(ranked)
    ours, s_ours = _timed(lambda: kendall_w(ranked).value, repeat=7)
    peer, s_peer = _timed(lambda: float(pingouin.friedman(
        long_ranked, dv="score", within="item", subject="rater")["W"].iloc[0]))
    rows.append(_row("Kendall's W", "2k x 20, complete, ties", "pingouin (friedman)", ours, peer,
                     s_ours, s_peer, "-"))

    # A review round: 200 reports, each to 5 of 40 raters, whole-number totals.
    n_reports, n_panel, per_report = 200, 40, 5
    design = np.zeros((n_reports, n_panel), dtype=bool)
    for i in range(n_reports):
        design[i, rng.choice(n_panel, per_report, replace=False)] = True
    round_scores = np.where(design, np.round(75 + rng.normal(0, 8, (n_reports, 1))
                                             + rng.normal(0, 3, (1, n_panel))
                                             + rng.normal(0, 4, (n_reports, n_panel))), np.nan)
    w_round, s_w = _timed(lambda: kendall_w(round_scores), repeat=7)
    rows.append(_row("Kendall's W, incomplete", "200 x 40, 5 raters per report", "-",
                     w_round.value, np.nan, s_w, np.nan, "-",
                     f"chi2 = {w_round.statistic:.2f} on {w_round.df:g} df, p = "
                     f"{w_round.p_value:.2g}; no Python peer computes W for incomplete "
                     "rankings (pingouin's Friedman, like R's irr::kendall, deletes every "
                     "report not scored by all raters listwise: none is left here)"))
    report, s_report = _timed(lambda: agreement_report(round_scores, bootstrap=0), repeat=7)
    rows.append(_row("agreement_report", "200 x 40, 5 raters per report", "-",
                     float(report.set_index("coefficient").loc["ICC(2,1)", "value"]), np.nan,
                     s_report, np.nan, "< 50 ms", "value shown: ICC(2,1); six ICC forms from "
                     "one fit, W, alpha and the categorical rows in one call"))

    # Interval alpha: 20,000 units × 50 raters, 10% missing, whole-number 0-100 scores.
    units, raters = 20_000, 50
    whole = np.round(rng.normal(60, 12, (units, 1)) + rng.normal(0, 6, (units, raters)))
    whole = whole.clip(0, 100)
    whole[rng.random(whole.shape) < 0.1] = np.nan
    ours, s_ours = _timed(lambda: krippendorff_alpha(whole, bootstrap=0).value)
    peer, s_peer = _timed(lambda: krippendorff.alpha(
        reliability_data=whole.T, level_of_measurement="interval"), repeat=1)
    rows.append(_row("alpha interval", "20k x 50, 10% missing, 0-100 integers",
                     "krippendorff", ours, float(peer), s_ours, s_peer, ">= 10x"))
    boot, s_boot = _timed(lambda: krippendorff_alpha(whole, bootstrap=1000), repeat=1)
    rows.append(_row("alpha interval + 1000 bootstrap", "same", "-", boot.value, np.nan,
                     s_boot, np.nan, "-", f"95% CI [{boot.ci_low:.4f}, {boot.ci_high:.4f}]"))

    # The same design with continuous scores: every rating is a distinct value.
    continuous = (rng.normal(60, 12, (units, 1)) + rng.normal(0, 6, (units, raters)))
    continuous = continuous.clip(0, 100)
    continuous[rng.random(continuous.shape) < 0.1] = np.nan
    distinct = np.unique(continuous[~np.isnan(continuous)]).size
    ours, s_ours = _timed(lambda: krippendorff_alpha(continuous, bootstrap=0).value)
    peak = _peak_mb(lambda: krippendorff_alpha(continuous, bootstrap=0))
    peak_boot = _peak_mb(lambda: krippendorff_alpha(continuous, bootstrap=1000))
    need_gb = (units * distinct + distinct**2) * 8 / 1e9
    rows.append(_row("alpha interval, continuous", "20k x 50, 10% missing, 0-100 reals",
                     "krippendorff (not run)", ours, np.nan, s_ours, np.nan, "< 500 MB",
                     f"jixiao peak {peak:.0f} MB ({peak_boot:.0f} MB with 1000 bootstrap); "
                     f"{distinct:,} distinct values: the peer's unit-by-value and value-by-value "
                     f"tables would need about {need_gb:,.0f} GB"))

    # Fleiss' kappa: 100,000 items × 6 raters, 5 categories.
    truth = rng.integers(0, 5, size=(100_000, 1))
    labels = np.where(rng.random((100_000, 6)) < 0.6, truth, rng.integers(0, 5, (100_000, 6)))
    ours, s_ours = _timed(lambda: fleiss_kappa(labels).value)
    peer, s_peer = _timed(lambda: sm_fleiss(aggregate_raters(labels)[0]))
    rows.append(_row("Fleiss kappa", "100k x 6, 5 categories", "statsmodels", ours, peer,
                     s_ours, s_peer, "-", "statsmodels: value only; jixiao adds both SEs, "
                     "interval, z test and per-category kappas"))

    report = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 20,
                           "display.max_colwidth", 120, "display.float_format", "{:.6g}".format):
        print(report.drop(columns="note").to_string(index=False))
        print()
        for row in rows:
            if row["note"]:
                print(f"{row['task']} ({row['data']}): {row['note']}")


if __name__ == "__main__":
    main()
