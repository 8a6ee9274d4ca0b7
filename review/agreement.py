"""Agreement between raters: every coefficient in one place, and a report that reads them.

This is the module researchers import: ``from review import agreement``. It holds Kendall's W
and the report, and hands on the ICC (:mod:`review.icc`), Krippendorff's alpha
(:mod:`review.krippendorff_alpha`) and the kappa family (:mod:`review.kappa`). Ratings are
always an items × raters table, NaN for a missing rating; every coefficient returns an
:class:`review.ratings.AgreementResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from indicators.errors import InputError
from indicators.resources import shipped_yaml
from review.icc import ICC_FORMS, icc, icc_table
from review.kappa import brennan_prediger, cohen_kappa, fleiss_kappa, gwet_ac, percent_agreement
from review.krippendorff_alpha import krippendorff_alpha
from review.ratings import AgreementResult, as_ratings

__all__ = [
    "SCALES",
    "Band",
    "BandTable",
    "agreement_report",
    "band_table",
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac",
    "icc",
    "icc_table",
    "interpret",
    "kendall_w",
    "krippendorff_alpha",
    "percent_agreement",
]

#: Scales of measurement :func:`agreement_report` knows.
SCALES = ("nominal", "ordinal", "interval", "ratio")

_MISSING_RULES = ("drop_items", "drop_raters", "raise")

# Which band table reads which family of coefficient, unless the caller says otherwise.
_DEFAULT_BANDS = {"icc": "koo_li_2016", "kappa": "landis_koch_1977"}


@dataclass(frozen=True)
class Band:
    """One verbal band: values at or above ``lower`` (strictly above if not inclusive)."""

    zh: str
    en: str
    lower: float | None
    inclusive: bool = True


@dataclass(frozen=True)
class BandTable:
    """A named table of verbal bands, top band first, with the publication it comes from."""

    name: str
    source: str
    bands: tuple[Band, ...]


def _shipped_tables() -> dict[str, Any]:
    return shipped_yaml("agreement", "interpretation_bands.yaml")["tables"]


def band_table(name: str) -> BandTable:
    """A shipped band table by name (``"koo_li_2016"``, ``"landis_koch_1977"``).

    Parameters
    ----------
    name
        Key in ``data/agreement/interpretation_bands.yaml``.

    Returns
    -------
    BandTable
        The bands, top first, and their source.

    Raises
    ------
    InputError
        No table of that name.

    Notes
    -----
    Koo & Li (2016, Journal of Chiropractic Medicine 15(2), 155-163) for ICCs; Landis & Koch
    (1977, Biometrics 33(1), 159-174) for kappa-type coefficients and alpha.

    Examples
    --------
    >>> [b.en for b in band_table("koo_li_2016").bands]
    ['excellent', 'good', 'moderate', 'poor']
    """
    tables = _shipped_tables()
    if name not in tables:
        raise InputError(f"没有名为 {name!r} 的解释标准，可选：{', '.join(tables)}",
                         f"no band table {name!r}; choose one of {', '.join(tables)}",
                         field="bands")
    spec = tables[name]
    return BandTable(
        name=name, source=" ".join(spec["source"].split()),
        bands=tuple(Band(zh=b["zh"], en=b["en"], lower=b.get("lower"),
                         inclusive=bool(b.get("inclusive", True))) for b in spec["bands"]),
    )


def interpret(value: float | None, table: BandTable | str) -> tuple[str | None, str | None]:
    """The verbal band of a coefficient, in Chinese and English.

    Parameters
    ----------
    value
        The coefficient; None or NaN gives no band.
    table
        A :class:`BandTable` or the name of a shipped one.

    Returns
    -------
    tuple
        ``(zh, en)``, or ``(None, None)`` when there is no value.

    Notes
    -----
    Bands are checked from the top: the first whose lower bound the value reaches wins.

    Examples
    --------
    >>> interpret(0.62, "koo_li_2016")
    ('中等', 'moderate')
    >>> interpret(0.61, "landis_koch_1977")[1]
    'substantial'
    """
    bands = band_table(table) if isinstance(table, str) else table
    if value is None or not np.isfinite(value):
        return None, None
    for band in bands.bands:
        if band.lower is None or value > band.lower or (band.inclusive and value == band.lower):
            return band.zh, band.en
    return None, None


def _tie_sum(ranked_columns: np.ndarray) -> float:
    """Sum over raters and tie groups of t³ − t, from each rater's sorted column."""
    ordered = np.sort(ranked_columns, axis=0)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    flat = starts.T.ravel()  # every column starts a group, so groups never span raters
    lengths = np.diff(np.append(np.flatnonzero(flat), flat.size)).astype(float)
    return float(np.sum(lengths**3 - lengths))


def kendall_w(ratings: Any, *, ties: bool = True, missing: str = "drop_items") -> AgreementResult:
    """Kendall's coefficient of concordance W, with the tie correction and its χ² test.

    Parameters
    ----------
    ratings
        Items (the objects ranked) × raters; each rater's column is ranked within itself, so
        scores and ranks both work. NaN for a missing rating.
    ties
        Apply the correction for tied ranks (Kendall & Babington Smith 1939).
    missing
        ``"drop_items"`` (default): keep only the items every remaining rater ranked;
        ``"drop_raters"``: keep only the raters who ranked every item; ``"raise"``: refuse.
        Raters with no rating at all are always left out. W needs complete rankings, and
        re-ranking partial ones would change what a rank means, so the counts kept are
        stated in ``method``.

    Returns
    -------
    AgreementResult
        ``value`` = W, ``statistic`` = χ² = m(n − 1)W with ``df`` = n − 1 and its p-value;
        ``details`` holds S, the tie sum and the mean rank of each item kept.

    Raises
    ------
    InputError
        Unusable table, fewer than two items or raters after missing ratings are handled,
        ``missing="raise"`` with a missing rating, or every rater giving all items one rank.

    Notes
    -----
    With n items, m raters and R_i the sum of item i's ranks,
    S = Σ (R_i − m(n + 1)/2)² and W = 12 S / (m²(n³ − n) − m Σ T), where
    T = Σ (t³ − t) over each rater's groups of t tied items (T = 0 without the correction).
    Under H0 (no concordance) m(n − 1)W is approximately χ² with n − 1 df (Kendall &
    Babington Smith 1939, Annals of Mathematical Statistics 10(3), 275-287; Siegel &
    Castellan 1988, Nonparametric Statistics for the Behavioral Sciences, 2nd ed., §9.4).

    Examples
    --------
    >>> ranks = [[1, 1, 2], [6, 5, 3], [3, 6, 6], [2, 2, 5], [5, 4, 4], [4, 3, 1]]
    >>> round(kendall_w(ranks).value, 3)
    0.568
    """
    if missing not in _MISSING_RULES:
        raise InputError(f"未知的缺失处理方式 {missing!r}，可选：{', '.join(_MISSING_RULES)}",
                         f"unknown missing rule {missing!r}; choose one of "
                         f"{', '.join(_MISSING_RULES)}", field="missing")
    table = as_ratings(ratings)
    table = table[:, ~np.isnan(table).all(axis=0)]
    gaps = np.isnan(table)
    rows_in, cols_in = table.shape
    if gaps.any():
        if missing == "raise":
            i, j = map(int, np.argwhere(gaps)[0])
            raise InputError("肯德尔 W 需要完整的排序，存在缺失评分",
                             "Kendall's W needs complete rankings and a rating is missing",
                             row=i + 1, field="ratings")
        if missing == "drop_items":
            table = table[~gaps.any(axis=1)]
        else:
            table = table[:, ~gaps.any(axis=0)]
    n, m = table.shape
    if n < 2 or m < 2:
        raise InputError(f"处理缺失后只剩 {n} 个对象、{m} 名评分人，至少各需 2 个",
                         f"after missing ratings only {n} items and {m} raters remain; "
                         "need at least 2 of each", field="ratings")
    ranks = stats.rankdata(table, axis=0)
    rank_sums = ranks.sum(axis=1)
    s = float(np.sum((rank_sums - m * (n + 1) / 2.0) ** 2))
    tie_sum = _tie_sum(table) if ties else 0.0
    denominator = m**2 * (n**3 - n) - m * tie_sum
    if denominator <= 0:
        raise InputError("每位评分人都给所有对象相同的等级，W 无定义",
                         "every rater gave all items the same rank, so W is undefined",
                         field="ratings")
    w = 12.0 * s / denominator
    chi2 = m * (n - 1) * w
    kept = (f"{rows_in - n} items with a missing rating dropped" if n < rows_in
            else f"{cols_in - m} raters with a missing rating dropped" if m < cols_in
            else "no missing ratings")
    method = ("Kendall's W on ranks within each rater, average ranks for ties, "
              + ("tie-corrected denominator" if ties else "no tie correction")
              + f" (Kendall & Babington Smith 1939); chi-square test with n-1 df; {kept}"
              f" ({n} items × {m} raters used)")
    return AgreementResult(
        coefficient="Kendall's W", value=float(w), n_items=n, n_raters=m, n_ratings=n * m,
        method=method, statistic=float(chi2), statistic_name="chi2", df=float(n - 1),
        p_value=float(stats.chi2.sf(chi2, n - 1)),
        details={"S": s, "tie_sum": tie_sum, "mean_ranks": tuple(rank_sums / m)},
    )


def _categories(ratings: Any, scale: str) -> int:
    if scale == "nominal":
        labels = as_ratings(ratings, numeric=False)
        return int(pd.unique(pd.Series(labels[pd.notna(labels)], dtype=object)).size)
    values = as_ratings(ratings)
    return int(np.unique(values[~np.isnan(values)]).size)


def _bands(bands: Mapping[str, str | BandTable] | None) -> dict[str, BandTable]:
    chosen = dict(_DEFAULT_BANDS)
    chosen.update(bands or {})
    unknown = set(chosen) - set(_DEFAULT_BANDS)
    if unknown:
        raise InputError(f"未知的系数类别 {sorted(unknown)}，可选：icc、kappa",
                         f"unknown coefficient family {sorted(unknown)}; use icc or kappa",
                         field="bands")
    return {k: band_table(v) if isinstance(v, str) else v for k, v in chosen.items()}


def agreement_report(
    ratings: Any,
    *,
    scale: str = "interval",
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int | None = 0,
    max_categories: int = 20,
    bands: Mapping[str, str | BandTable] | None = None,
) -> pd.DataFrame:
    """Every agreement coefficient that fits the scale, with verbal bands, in one table.

    Parameters
    ----------
    ratings
        Items × raters table, NaN for a missing rating.
    scale
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"``.
    confidence
        Level of every confidence interval.
    bootstrap, seed
        Resamples and seed of Krippendorff's alpha interval.
    max_categories
        Kappa-type coefficients treat every distinct value as a category; with more distinct
        values than this (e.g. continuous 0-100 scores) they are skipped with a note.
    bands
        Band table per family, ``{"icc": ..., "kappa": ...}``, as a shipped table name or a
        :class:`BandTable`; defaults Koo & Li (2016) and Landis & Koch (1977).

    Returns
    -------
    pandas.DataFrame
        One row per coefficient: ``coefficient``, ``value``, ``ci_low``, ``ci_high``,
        ``confidence``, ``se``, ``statistic``, ``statistic_name``, ``df``, ``p_value``,
        ``n_items``, ``n_raters``, ``n_ratings``, ``interpretation_zh``,
        ``interpretation_en``, ``band_table``, ``method``, ``note_zh``, ``note_en``. A
        coefficient that cannot be computed on these data keeps its row with NaN and a note.

    Raises
    ------
    InputError
        Unknown scale or band family/table, or ratings that are not a usable table.

    Notes
    -----
    Interval and ratio: the six ICC forms (:func:`icc`), Kendall's W, alpha at that level,
    Fleiss' kappa, Gwet's AC2 with quadratic (interval) or ratio weights, percent agreement.
    Ordinal: Kendall's W, ordinal alpha, Fleiss' kappa, AC2 with ordinal weights, percent
    agreement. Nominal: nominal alpha, Fleiss' kappa, AC1, percent agreement. ICCs are read
    with Koo & Li (2016); kappa-type coefficients and alpha with Landis & Koch (1977);
    Kendall's W and percent agreement have no accepted bands and are left unlabelled (read
    W with its χ² p-value).

    Examples
    --------
    >>> table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> report = agreement_report(table, scale="interval", bootstrap=0)
    >>> report.set_index("coefficient").loc["ICC(3,k)", "interpretation_en"]
    'excellent'
    """
    if scale not in SCALES:
        raise InputError(f"未知的测量尺度 {scale!r}，可选：{', '.join(SCALES)}",
                         f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}",
                         field="scale")
    tables = _bands(bands)
    jobs: list[tuple[str, str | None, Callable[[], AgreementResult]]] = []
    if scale in ("interval", "ratio"):
        jobs += [(form, "icc", lambda f=form: icc(ratings, f, confidence)) for form in ICC_FORMS]
    if scale != "nominal":
        jobs.append(("Kendall's W", None, lambda: kendall_w(ratings)))
    jobs.append((f"Krippendorff's alpha ({scale})", "kappa",
                 lambda: krippendorff_alpha(ratings, level=scale, bootstrap=bootstrap,
                                            confidence=confidence, seed=seed)))
    gwet_weights = {"nominal": None, "ordinal": "ordinal", "interval": "quadratic",
                    "ratio": "ratio"}[scale]
    categorical = [
        ("Fleiss' kappa", "kappa", lambda: fleiss_kappa(ratings, confidence=confidence)),
        ("Gwet's AC1" if gwet_weights is None else f"Gwet's AC2 ({gwet_weights})", "kappa",
         lambda: gwet_ac(ratings, weights=gwet_weights, confidence=confidence)),
        ("Percent agreement", None, lambda: percent_agreement(ratings, confidence=confidence)),
    ]
    n_categories = _categories(ratings, scale)
    rows = []
    flagged = [(job, False) for job in jobs] + [(job, True) for job in categorical]
    for (name, family, compute), is_categorical in flagged:
        row: dict[str, Any] = {"coefficient": name}
        if is_categorical and n_categories > max_categories:
            row.update(
                note_zh=f"有 {n_categories} 个不同取值，超过分类系数上限 {max_categories}，未计算",
                note_en=f"{n_categories} distinct values exceed max_categories="
                        f"{max_categories} for a categorical coefficient; not computed")
            rows.append(row)
            continue
        try:
            result = compute()
        except InputError as exc:
            # A coefficient undefined on these data is reported as such, not fatal to the rest;
            # any other error is a bug and surfaces.
            row.update(note_zh=exc.zh, note_en=exc.en)
            rows.append(row)
            continue
        row.update(result.as_dict())
        row["coefficient"] = result.coefficient
        if family is not None:
            zh, en = interpret(result.value, tables[family])
            row.update(interpretation_zh=zh, interpretation_en=en,
                       band_table=tables[family].name)
        rows.append(row)
    columns = ["coefficient", "value", "ci_low", "ci_high", "confidence", "se", "statistic",
               "statistic_name", "df", "p_value", "n_items", "n_raters", "n_ratings",
               "interpretation_zh", "interpretation_en", "band_table", "method", "note_zh",
               "note_en"]
    return pd.DataFrame(rows).reindex(columns=columns)
