"""Kappa-family coefficients and rater severity beside their peer libraries, same data, one run.

Run: ``python benchmarks/bench_kappa.py``. Peers: statsmodels (Fleiss, Cohen, OLS),
scikit-learn (Cohen), irrCAC (Gwet's AC1, Brennan-Prediger; optional), krippendorff (alpha).
Each row prints both values, their largest absolute difference and the median wall time.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from review.kappa import brennan_prediger, cohen_kappa, fleiss_kappa, gwet_ac
from review.raters import rater_diagnostics, severity


def _timed(run: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return out, 1000.0 * float(np.median(times))


def _row(task: str, data: str, peer: str, ours: Any, theirs: Any, ms_ours: float,
         ms_theirs: float) -> dict[str, Any]:
    ours, theirs = np.atleast_1d(np.asarray(ours, float)), np.atleast_1d(np.asarray(theirs, float))
    return {"task": task, "data": data, "peer": peer, "jixiao": ours[0], "peer value": theirs[0],
            "max |diff|": float(np.max(np.abs(ours - theirs))), "jixiao ms": ms_ours,
            "peer ms": ms_theirs}


def _statsmodels_cohen(a: np.ndarray, b: np.ndarray, weights: str | None) -> Any:
    from statsmodels.stats.inter_rater import cohens_kappa

    table = np.zeros((5, 5))
    np.add.at(table, (a, b), 1)
    if weights is None:
        return cohens_kappa(table)
    return cohens_kappa(table, weights=np.arange(5), wt=weights)


def main() -> None:
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    rng = np.random.default_rng(2026)
    rows = []

    # Fleiss' kappa, 100,000 items x 6 raters, 5 categories, raters who mostly agree.
    truth = rng.integers(0, 5, size=(100_000, 1))
    labels = np.where(rng.random((100_000, 6)) < 0.6, truth, rng.integers(0, 5, (100_000, 6)))
    ours, t_ours = _timed(lambda: fleiss_kappa(labels).value)
    theirs, t_theirs = _timed(lambda: sm_fleiss(aggregate_raters(labels)[0]))
    rows.append(_row("Fleiss kappa (raw labels)", "100k x 6", "statsmodels", ours, theirs,
                     t_ours, t_theirs))
    counts = aggregate_raters(labels)[0]
    ours, t_ours = _timed(lambda: fleiss_kappa(counts=counts).value)
    theirs, t_theirs = _timed(lambda: sm_fleiss(counts))
    rows.append(_row("Fleiss kappa (count table)", "100k x 5", "statsmodels", ours, theirs,
                     t_ours, t_theirs))

    # Cohen's kappa, 100,000 pairs, 5 ordered categories.
    a, b = labels[:, 0], labels[:, 1]
    for weights in (None, "quadratic"):
        name = f"Cohen kappa ({weights or 'unweighted'})"
        ours, t_ours = _timed(lambda w=weights: cohen_kappa(a, b, weights=w).value)
        theirs, t_theirs = _timed(lambda w=weights: cohen_kappa_score(a, b, weights=w))
        rows.append(_row(name, "100k pairs", "scikit-learn", ours, theirs, t_ours, t_theirs))
        mine, t_ours = _timed(lambda w=weights: cohen_kappa(a, b, weights=w))
        res, t_theirs = _timed(lambda w=weights: _statsmodels_cohen(a, b, w))
        rows.append(_row(name + " + SE", "100k pairs", "statsmodels (incl. crosstab)",
                         [mine.value, mine.se], [res.kappa, res.std_kappa], t_ours, t_theirs))

    # Gwet's AC1 and Brennan-Prediger with 20% missing ratings.
    small = labels[:2000, :5].astype(float) + 1.0
    small[rng.random(small.shape) < 0.2] = np.nan
    frame = pd.DataFrame(small)
    try:
        from irrCAC.raw import CAC
    except ImportError:
        CAC = None
    for label, ours_fn, peer_name in (("Gwet AC1", gwet_ac, "gwet"),
                                      ("Brennan-Prediger", brennan_prediger, "bp")):
        mine, t_ours = _timed(lambda f=ours_fn: f(frame))
        ours = [mine.value, mine.se]
        if CAC is None:
            rows.append(_row(label, "2k x 5, 20% missing", "irrCAC (not installed)", ours,
                             [np.nan, np.nan], t_ours, np.nan))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est, t_theirs = _timed(lambda p=peer_name: getattr(
                CAC(frame, categories=[1, 2, 3, 4, 5], digits=10), p)()["est"], repeat=1)
        rows.append(_row(label + " + SE", "2k x 5, 20% missing", "irrCAC", ours,
                         [est["coefficient_value"], est["se"]], t_ours, t_theirs))

    # Rater severity on an incomplete design: 2,000 items, 8 raters, each item by 4.
    n_items, n_raters = 2000, 8
    effects = np.linspace(-2.0, 2.0, n_raters)
    values = np.full((n_items, n_raters), np.nan)
    quality = rng.normal(75, 8, n_items)
    for offset in range(4):
        cols = (np.arange(n_items) + offset) % n_raters
        values[np.arange(n_items), cols] = quality + effects[cols] + rng.normal(0, 2, n_items)
    values = np.round(values)  # panels give whole-number scores
    table = pd.DataFrame(values, columns=[f"r{j}" for j in range(n_raters)])
    fitted, t_ours = _timed(lambda: severity(table))
    long = table.stack().rename("y").reset_index()
    long.columns = ["item", "rater", "y"]
    import statsmodels.formula.api as smf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ols, t_theirs = _timed(lambda: smf.ols("y ~ C(item) + C(rater, Sum)", data=long).fit(),
                               repeat=1)
    ours = np.r_[fitted.raters["effect"].to_numpy()[:-1], fitted.raters["se"].to_numpy()[:-1]]
    theirs = np.r_[ols.params.filter(like="rater").to_numpy(),
                   ols.bse.filter(like="rater").to_numpy()]
    rows.append(_row("Severity effects + SE", "2k x 8, half missing", "statsmodels OLS", ours,
                     theirs, t_ours, t_theirs))

    # Leave-one-out interval alpha in rater_diagnostics against the krippendorff package.
    import krippendorff

    diag, t_ours = _timed(lambda: rater_diagnostics(table))

    def peer_loo() -> list[float]:
        return [krippendorff.alpha(reliability_data=np.delete(values, j, axis=1).T,
                                   level_of_measurement="interval") for j in range(n_raters)]

    theirs, t_theirs = _timed(peer_loo, repeat=1)
    rows.append(_row("Leave-one-out interval alpha", "2k x 8, half missing", "krippendorff",
                     diag["alpha_without"].to_numpy(), theirs, t_ours, t_theirs))

    report = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.6g}".format):
        print(report.to_string(index=False))


if __name__ == "__main__":
    main()
