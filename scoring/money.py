"""Money as the budget lifecycle writes it: suggested amounts rounded to a unit, totals in 万元.

Budget cuts and recoveries are suggested in whole units (a bureau writes 250.85 万元, i.e.
multiples of 100 yuan) and the year summary reports them in 万元 with at most two decimals.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from indicators.errors import InputError
from scoring.project import round_half_up

__all__ = ["round_money", "format_wan", "million"]


def round_money(yuan: ArrayLike, round_to: float) -> np.ndarray:
    """Amounts rounded half up to a multiple of ``round_to`` yuan (e.g. 100: to the hundred).

    Parameters
    ----------
    yuan
        Amounts in yuan; NaN stays NaN.
    round_to
        The unit of rounding in yuan, positive.

    Returns
    -------
    numpy.ndarray
        Rounded amounts.

    Notes
    -----
    Half away from zero, as :func:`scoring.project.round_half_up` rounds points.

    Examples
    --------
    >>> round_money([12_350, 12_349.99, 0], 100).tolist()
    [12400.0, 12300.0, 0.0]
    """
    if not round_to > 0:
        raise InputError("取整单位必须为正数", "round_to must be positive", field="round_to")
    return round_half_up(np.asarray(yuan, dtype=float) / round_to, 0) * round_to


def format_wan(yuan: float) -> str:
    """An amount in yuan written in 万元 with at most two decimals, as annual reports write it.

    Parameters
    ----------
    yuan
        The amount in yuan.

    Returns
    -------
    str
        E.g. ``"204"`` for 2,040,000 yuan and ``"250.85"`` for 2,508,500 yuan.

    Notes
    -----
    Rounded half up to 0.01 万元 (100 yuan); trailing zeros are dropped.

    Examples
    --------
    >>> format_wan(2_040_000), format_wan(2_508_500), format_wan(2_739_700), format_wan(0)
    ('204', '250.85', '273.97', '0')
    """
    value = float(round_half_up(float(yuan) / 1e4, 2))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def million(yuan: float) -> str:
    """An amount in yuan written in millions for the English summary, as exact as 万元 is.

    Parameters
    ----------
    yuan
        The amount in yuan.

    Returns
    -------
    str
        E.g. ``"2.04"`` for 2,040,000 yuan and ``"2.5085"`` for 2,508,500 yuan.

    Notes
    -----
    Rounded half up to 0.0001 million (100 yuan), the precision of
    :func:`scoring.money.format_wan`'s 0.01 万元, so the English and Chinese texts state the
    same amount; trailing zeros are dropped.

    Examples
    --------
    >>> million(2_040_000), million(2_508_500), million(27_397), million(0)
    ('2.04', '2.5085', '0.0274', '0')
    """
    value = float(round_half_up(float(yuan) / 1e6, 4))
    return f"{value:.4f}".rstrip("0").rstrip(".")
