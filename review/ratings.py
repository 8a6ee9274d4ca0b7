"""What a ratings table is, and the result every agreement coefficient returns.

Ratings are an items × raters table: rows are the things rated (reports, indicators, objects),
columns the raters, NaN a missing rating. Every coefficient in :mod:`review.agreement` and
:mod:`review.kappa` accepts the same inputs through :func:`as_ratings` and returns an
:class:`AgreementResult`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError

__all__ = ["AgreementResult", "as_ratings"]


@dataclass(frozen=True)
class AgreementResult:
    """One agreement coefficient, with everything needed to audit and recompute it.

    Attributes
    ----------
    coefficient
        Its name as reported, e.g. ``"ICC(2,1)"``, ``"Krippendorff's alpha (interval)"``.
    value
        The point estimate.
    ci_low, ci_high, confidence
        The confidence interval and its level, where defined.
    se
        Standard error, where defined.
    statistic, statistic_name, df, p_value
        The test statistic (e.g. ``F``, ``chi2``, ``z``), its degrees of freedom and p-value.
    n_items, n_raters, n_ratings
        What was actually used after missing ratings were handled.
    method
        How it was computed, in words, including how missing ratings were handled.
    details
        Anything else the coefficient defines (per-category kappas, variance components, ...).
    """

    coefficient: str
    value: float
    n_items: int
    n_raters: int
    n_ratings: int
    method: str
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float | None = None
    se: float | None = None
    statistic: float | None = None
    statistic_name: str | None = None
    df: float | tuple[float, ...] | None = None
    p_value: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A frozen result must not be mutable through its details either.
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def as_dict(self) -> dict[str, Any]:
        """A flat dict (details left out) for tables and JSON.

        Returns
        -------
        dict
            The value, its interval and test, the counts and the method, by name.

        Notes
        -----
        ``details`` varies by coefficient, so it stays out of a table with one row per
        coefficient.

        Examples
        --------
        >>> AgreementResult("W", 0.5, 3, 2, 6, "Kendall's W").as_dict()["value"]
        0.5
        """
        return {
            "coefficient": self.coefficient,
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "se": self.se,
            "statistic": self.statistic,
            "statistic_name": self.statistic_name,
            "df": self.df,
            "p_value": self.p_value,
            "n_items": self.n_items,
            "n_raters": self.n_raters,
            "n_ratings": self.n_ratings,
            "method": self.method,
        }


def _column_label(ratings: Any, frame: pd.DataFrame | None, j: int) -> str:
    """A DataFrame's own column name; for unlabelled input the rater's 1-based number."""
    if isinstance(ratings, pd.DataFrame) and frame is not None:
        return str(frame.columns[j])
    return str(j + 1)


def as_ratings(
    ratings: Any,
    *,
    numeric: bool = True,
    min_items: int = 2,
    min_raters: int = 2,
) -> np.ndarray:
    """Coerce an items × raters table to a 2-D array, checking it is usable.

    Parameters
    ----------
    ratings
        Array-like or DataFrame, items in rows and raters in columns; NaN (or None) is missing.
    numeric
        If true the result is float64 and a non-numeric entry is an error naming its place;
        if false the result is an object array of labels (for nominal coefficients).
    min_items, min_raters
        Fewest items and raters with at least one rating.

    Returns
    -------
    numpy.ndarray
        Shape (items, raters).

    Raises
    ------
    InputError
        Not two-dimensional, too few items or raters, all missing, or a non-numeric entry.

    Notes
    -----
    Every coefficient calls this first, so they all read the same input the same way: an
    items × raters table as in Shrout & Fleiss (1979, Psychological Bulletin 86(2), 420-428)
    and Krippendorff (2011, "Computing Krippendorff's alpha-reliability"), NaN for a rating
    not given. Items and raters with no rating at all do not count towards the minimums.

    Examples
    --------
    >>> as_ratings([[1, 2], [3, None]]).shape
    (2, 2)
    """
    if numeric and isinstance(ratings, np.ndarray) and ratings.dtype.kind in "fiub":
        # Fast path: a numeric array needs no per-column parsing.
        if ratings.ndim != 2 or ratings.shape[1] == 0:
            raise InputError("评分表必须是二维的（行：对象，列：评分人）",
                             "ratings must be a 2-D items × raters table", field="ratings")
        values = ratings.astype(float, copy=False)
        frame = None
    else:
        frame = ratings if isinstance(ratings, pd.DataFrame) else pd.DataFrame(
            ratings if isinstance(ratings, np.ndarray) else np.asarray(ratings, dtype=object))
        if frame.ndim != 2 or frame.shape[1] == 0:
            raise InputError("评分表必须是二维的（行：对象，列：评分人）",
                             "ratings must be a 2-D items × raters table", field="ratings")
    if numeric:
        if frame is not None and all(dtype.kind in "fiub" for dtype in frame.dtypes):
            # Numeric columns need no parsing: one conversion instead of one per column.
            values = frame.to_numpy(dtype=float, na_value=np.nan)
        elif frame is not None:
            values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
            bad = frame.notna().to_numpy() & np.isnan(values)
            if bad.any():
                i, j = map(int, np.argwhere(bad)[0])
                raise InputError(
                    f"评分不是数字：{frame.iat[i, j]!r}",
                    f"rating is not a number: {frame.iat[i, j]!r}",
                    row=i + 1, column=_column_label(ratings, frame, j),
                )
        infinite = np.isinf(values)
        if infinite.any():
            i, j = map(int, np.argwhere(infinite)[0])
            raise InputError("评分不能是无穷大", "a rating is infinite",
                             row=i + 1, column=_column_label(ratings, frame, j))
        present = ~np.isnan(values)
    else:
        values = frame.to_numpy(dtype=object)
        present = frame.notna().to_numpy()
    if not present.any():
        raise InputError("评分表全部缺失", "every rating is missing", field="ratings")
    n_items = int(present.any(axis=1).sum())
    n_raters = int(present.any(axis=0).sum())
    if n_items < min_items:
        raise InputError(f"至少需要 {min_items} 个有评分的对象，实际 {n_items} 个",
                         f"need at least {min_items} rated items, got {n_items}", field="ratings")
    if n_raters < min_raters:
        raise InputError(f"至少需要 {min_raters} 名有评分的评分人，实际 {n_raters} 名",
                         f"need at least {min_raters} raters with ratings, got {n_raters}",
                         field="ratings")
    return values
