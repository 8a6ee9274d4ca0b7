"""What kind of scale a ratings table is on, read from the ratings themselves.

The coefficients in :mod:`review.agreement` fit different scales of measurement: the ICC and
interval alpha want scores whose differences mean something; the kappa family and percent
agreement treat every distinct value as a category. Continuous scores (0-100 with decimals)
make almost every value its own category, so a categorical coefficient computed on them says
nothing. This module tells the two apart and, when nobody said which scale the ratings are on,
makes a guess a front door can show and a user can overrule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SHORT_SCALE_LIMIT", "ScaleGuess", "infer_scale", "is_short_scale"]

#: Largest size of a whole-number rating read as an ordered category: 1-5, 1-7, 0-10 and
#: -3..3 ratings count as categories; 0-100 scores do not, even when a panel happens to use
#: only a narrow band of them (82-90).
SHORT_SCALE_LIMIT = 10


@dataclass(frozen=True)
class ScaleGuess:
    """The scale a ratings table looks to be on, and why.

    Attributes
    ----------
    scale
        ``"nominal"``, ``"ordinal"`` or ``"interval"`` (a guess never says ``"ratio"``: only
        the user knows whether zero means none).
    n_values
        Distinct ratings in the table.
    mixed
        Both numbers and text labels were found; as labels they are nominal, but in a table
        of scores a text cell is more often a typing slip.
    reason_zh, reason_en
        One line on what in the data led to the guess.
    """

    scale: str
    n_values: int
    mixed: bool
    reason_zh: str
    reason_en: str


def _numbers(ratings: Any) -> tuple[np.ndarray, int, int]:
    """The ratings that read as numbers, and how many cells were present and were text."""
    cells = pd.Series(np.asarray(ratings, dtype=object).ravel())
    present = cells.notna() & (cells.astype(str).str.strip() != "")
    numbers = pd.to_numeric(cells.where(present), errors="coerce")
    return numbers.dropna().to_numpy(dtype=float), int(present.sum()), int(
        (present & numbers.isna()).sum())


def is_short_scale(ratings: Any) -> bool:
    """Whether numeric ratings are few ordered categories (small whole numbers).

    Parameters
    ----------
    ratings
        Items × raters table (or any array) of numbers, NaN for a missing rating.

    Returns
    -------
    bool
        True when every rating is a whole number no larger in size than
        :data:`SHORT_SCALE_LIMIT`; False for decimals, larger numbers, and no ratings.

    Notes
    -----
    The test is on the scale, not on how many values happen to occur: a small panel scoring
    0-100 may use only eight values, yet those are not eight categories.

    Examples
    --------
    >>> is_short_scale([[1, 2], [5, 4]])
    True
    >>> is_short_scale([[78.5, 80], [91, 66]])
    False
    """
    values, _, _ = _numbers(ratings)
    if values.size == 0:
        return False
    whole = bool(np.all(values == np.round(values)))
    return whole and float(np.abs(values).max()) <= SHORT_SCALE_LIMIT


def infer_scale(ratings: Any) -> ScaleGuess:
    """Guess the scale of a ratings table from the ratings.

    Parameters
    ----------
    ratings
        Items × raters table of numbers or labels (text), NaN or None for a missing rating.

    Returns
    -------
    ScaleGuess
        ``"nominal"`` when any rating is text; ``"ordinal"`` for small whole numbers
        (:func:`is_short_scale`); ``"interval"`` otherwise (decimals, or scores such as
        0-100), with the reason in both languages.

    Notes
    -----
    A guess, shown as one: five-point importance ratings (Delphi rounds) come out ordinal and
    report scores out of 100 come out interval, which is how they are read in the field; a
    user who knows better names the scale.

    Examples
    --------
    >>> infer_scale([[82.5, 80], [91, 66.5], [70, 74]]).scale
    'interval'
    >>> infer_scale([[4, 5], [3, 3], [5, 4]]).scale
    'ordinal'
    >>> infer_scale([["优", "良"], ["良", "良"]]).reason_en
    'ratings are text labels'
    """
    values, n_present, n_text = _numbers(ratings)
    if n_text:
        labels = pd.Series(np.asarray(ratings, dtype=object).ravel()).dropna()
        n_values = int(pd.unique(labels.astype(str).str.strip()).size)
        return ScaleGuess("nominal", n_values, mixed=n_text < n_present,
                          reason_zh="评分是文字类别", reason_en="ratings are text labels")
    n_values = int(np.unique(values).size)
    if values.size == 0:
        return ScaleGuess("interval", 0, mixed=False, reason_zh="没有评分",
                          reason_en="there are no ratings")
    low, high = f"{values.min():g}", f"{values.max():g}"
    if is_short_scale(values):
        return ScaleGuess("ordinal", n_values, mixed=False,
                          reason_zh=f"评分是 {low}–{high} 的整数，共 {n_values} 个不同取值",
                          reason_en=f"ratings are whole numbers from {low} to {high}, "
                                    f"{n_values} distinct values")
    whole = bool(np.all(values == np.round(values)))
    what_zh = f"评分在 {low}–{high} 之间" if whole else "评分含小数"
    what_en = f"ratings range from {low} to {high}" if whole else "ratings have decimals"
    return ScaleGuess("interval", n_values, mixed=False,
                      reason_zh=f"{what_zh}，共 {n_values} 个不同取值",
                      reason_en=f"{what_en}, {n_values} distinct values")
