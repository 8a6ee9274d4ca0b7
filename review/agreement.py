"""Agreement between raters: every coefficient in one place, and a report that reads them.

This is the module researchers import: ``from review import agreement``. It holds the report and
its verbal bands, and hands on the ICC (:mod:`review.icc`), Kendall's W
(:mod:`review.concordance`), Krippendorff's alpha (:mod:`review.krippendorff_alpha`) and the
kappa family (:mod:`review.kappa`). Ratings are
always an items × raters table, NaN for a missing rating; every coefficient returns an
:class:`review.ratings.AgreementResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from indicators.resources import shipped_yaml
from review.concordance import MISSING_RULES, kendall_w
from review.icc import ICC_FORMS, icc, icc_forms, icc_table
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
    "icc_forms",
    "icc_table",
    "interpret",
    "kendall_w",
    "krippendorff_alpha",
    "percent_agreement",
]

#: Scales of measurement :func:`agreement_report` knows.
SCALES = ("nominal", "ordinal", "interval", "ratio")

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


def _categories(values: np.ndarray, scale: str) -> int:
    """Distinct values in an already coerced table: labels for nominal, numbers otherwise."""
    if scale == "nominal":
        return int(pd.unique(pd.Series(values[pd.notna(values)], dtype=object)).size)
    return int(np.unique(values[~np.isnan(values)]).size)


def _noted(name: str, exc: InputError) -> dict[str, Any]:
    return {"coefficient": name, "note_zh": exc.zh, "note_en": exc.en}


def _row(result: AgreementResult, table: BandTable | None) -> dict[str, Any]:
    row: dict[str, Any] = result.as_dict()
    if table is not None:
        zh, en = interpret(result.value, table)
        row.update(interpretation_zh=zh, interpretation_en=en, band_table=table.name)
    return row


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
    kendall_missing: str = "incomplete",
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
    kendall_missing
        How Kendall's W treats missing ratings (:func:`review.concordance.kendall_w`): the
        default ``"incomplete"`` uses every rating of an incomplete panel; ``"drop_items"``,
        ``"drop_raters"`` or ``"raise"`` keep the complete-ranking W.

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
        Unknown scale, band family/table or missing rule, or ratings that are not a usable
        table.

    Notes
    -----
    Interval and ratio: the six ICC forms (:func:`icc`), Kendall's W, alpha at that level,
    Fleiss' kappa, Gwet's AC2 with quadratic (interval) or ratio weights, percent agreement.
    Ordinal: Kendall's W, ordinal alpha, Fleiss' kappa, AC2 with ordinal weights, percent
    agreement. Nominal: nominal alpha, Fleiss' kappa, AC1, percent agreement. ICCs are read
    with Koo & Li (2016); kappa-type coefficients and alpha with Landis & Koch (1977);
    Kendall's W and percent agreement have no accepted bands and are left unlabelled (read
    W with its χ² p-value). The table is coerced once and one variance-component fit serves
    all six ICC forms (:func:`icc_forms`), so the report costs little more than its slowest
    coefficient.

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
    if kendall_missing not in MISSING_RULES:
        raise InputError(f"未知的缺失处理方式 {kendall_missing!r}，可选：{', '.join(MISSING_RULES)}",
                         f"unknown missing rule {kendall_missing!r}; choose one of "
                         f"{', '.join(MISSING_RULES)}", field="kendall_missing")
    tables = _bands(bands)
    # Coerce once: errors still name the caller's own cells, and every coefficient below
    # takes the array through as_ratings' cheap path.
    values = as_ratings(ratings, numeric=scale != "nominal")
    rows: list[dict[str, Any]] = []
    if scale in ("interval", "ratio"):
        try:
            forms = icc_forms(values, confidence)
        except InputError as exc:
            rows += [_noted(name, exc) for name in ICC_FORMS]
        else:
            rows += [_row(forms[name], tables["icc"]) for name in ICC_FORMS]
    jobs: list[tuple[str, BandTable | None, bool, Callable[[], AgreementResult]]] = []
    if scale != "nominal":
        jobs.append(("Kendall's W", None, False,
                     lambda: kendall_w(values, missing=kendall_missing)))
    jobs.append((f"Krippendorff's alpha ({scale})", tables["kappa"], False,
                 lambda: krippendorff_alpha(values, level=scale, bootstrap=bootstrap,
                                            confidence=confidence, seed=seed)))
    gwet_weights = {"nominal": None, "ordinal": "ordinal", "interval": "quadratic",
                    "ratio": "ratio"}[scale]
    jobs += [
        ("Fleiss' kappa", tables["kappa"], True,
         lambda: fleiss_kappa(values, confidence=confidence)),
        ("Gwet's AC1" if gwet_weights is None else f"Gwet's AC2 ({gwet_weights})",
         tables["kappa"], True, lambda: gwet_ac(values, weights=gwet_weights,
                                                confidence=confidence)),
        ("Percent agreement", None, True,
         lambda: percent_agreement(values, confidence=confidence)),
    ]
    n_categories = _categories(values, scale)
    for name, table, is_categorical, compute in jobs:
        if is_categorical and n_categories > max_categories:
            rows.append({
                "coefficient": name,
                "note_zh": f"有 {n_categories} 个不同取值，超过分类系数上限 {max_categories}，未计算",
                "note_en": f"{n_categories} distinct values exceed max_categories="
                           f"{max_categories} for a categorical coefficient; not computed"})
            continue
        try:
            result = compute()
        except InputError as exc:
            # A coefficient undefined on these data is reported as such, not fatal to the rest;
            # any other error is a bug and surfaces.
            rows.append(_noted(name, exc))
            continue
        rows.append(_row(result, table))
    columns = ["coefficient", "value", "ci_low", "ci_high", "confidence", "se", "statistic",
               "statistic_name", "df", "p_value", "n_items", "n_raters", "n_ratings",
               "interpretation_zh", "interpretation_en", "band_table", "method", "note_zh",
               "note_en"]
    return pd.DataFrame(rows).reindex(columns=columns)
