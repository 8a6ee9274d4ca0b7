"""Delphi rounds: what a round of expert ratings measured.

A Delphi round is an experts × indicators table of importance ratings (5-point scale by
default, NaN where an expert left an indicator blank), the number of experts invited, and, for
the authority coefficient, each expert's judgment basis and familiarity. From it this module
computes what Chinese Delphi studies report (DOMAIN.md §5): the positive coefficient (response
rate), per-indicator mean, standard deviation, coefficient of variation, full-score ratio and
rank sum, Kendall's W with its χ² test for the panel and per level, and the expert authority
coefficient Cr = (Ca + Cs)/2 (:mod:`review.delphi_authority`, handed on here).
Screening, the proposed library, feedback and the paper tables are in
:mod:`review.delphi_screen`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from indicators.errors import InputError
from review.agreement import kendall_w
from review.delphi_authority import (
    AuthorityResult,
    AuthorityTable,
    authority_coefficients,
    authority_table,
    available_authority_tables,
)

__all__ = [
    "AuthorityResult",
    "AuthorityTable",
    "DelphiRound",
    "authority_coefficients",
    "authority_table",
    "available_authority_tables",
    "concordance",
    "indicator_statistics",
    "ratings_frame",
    "response_rate",
    "round_statistics",
]

#: Label of the whole-panel row of :func:`concordance`.
ALL_SCOPE = "全部指标 (all)"


def ratings_frame(ratings: Any, *, scale: tuple[float, float] = (1, 5)) -> pd.DataFrame:
    """Check and coerce an experts × indicators ratings table.

    Parameters
    ----------
    ratings
        DataFrame (experts in rows, indicator codes in columns) or a 2-D array; NaN or None
        for a rating left blank.
    scale
        Lowest and highest point of the rating scale; every rating must lie within it.

    Returns
    -------
    pandas.DataFrame
        Float ratings with text labels (``E1…``/``I1…`` when the input had none).

    Raises
    ------
    InputError
        Not 2-D, a non-numeric rating or one outside the scale (naming the 1-based row and
        the indicator column), or an indicator nobody rated.

    Notes
    -----
    Rows are experts, as SPSS-style Delphi data sheets lay them out; the agreement
    functions take the transpose (items × raters).

    Examples
    --------
    >>> ratings_frame([[5, 4], [4, None]]).to_dict()
    {'I1': {'E1': 5.0, 'E2': 4.0}, 'I2': {'E1': 4.0, 'E2': nan}}
    """
    frame = ratings.copy() if isinstance(ratings, pd.DataFrame) else pd.DataFrame(
        np.asarray(ratings, dtype=object))
    if frame.ndim != 2 or frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError("评分表必须是二维的（行：专家，列：指标）",
                         "ratings must be a 2-D experts × indicators table", field="ratings")
    if not isinstance(ratings, pd.DataFrame):
        frame.index = [f"E{i + 1}" for i in range(frame.shape[0])]
        frame.columns = [f"I{j + 1}" for j in range(frame.shape[1])]
    frame.index = frame.index.map(str)
    frame.columns = frame.columns.map(str)
    values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = frame.notna().to_numpy() & np.isnan(values)
    low, high = scale
    bad |= ~np.isnan(values) & ((values < low) | (values > high))
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise InputError(f"专家 {frame.index[i]} 对指标 {frame.columns[j]} 的评分 "
                         f"{frame.iat[i, j]!r} 不是 {low:g}–{high:g} 之间的数字",
                         f"rating {frame.iat[i, j]!r} of expert {frame.index[i]} on indicator "
                         f"{frame.columns[j]} is not a number from {low:g} to {high:g}",
                         row=i + 1, column=str(frame.columns[j]), field="ratings")
    unrated = np.isnan(values).all(axis=0)
    if unrated.any():
        code = frame.columns[int(np.flatnonzero(unrated)[0])]
        raise InputError(f"指标 {code} 没有任何专家评分", f"no expert rated indicator {code}",
                         column=str(code), field="ratings")
    return pd.DataFrame(values, index=frame.index, columns=frame.columns)


def response_rate(invited: int, responded: int) -> float:
    """The positive coefficient (专家积极系数): responses over invitations.

    Parameters
    ----------
    invited
        Experts sent the questionnaire.
    responded
        Valid questionnaires returned.

    Returns
    -------
    float
        ``responded / invited``, in [0, 1].

    Raises
    ------
    InputError
        No invitation, or more responses than invitations.

    Notes
    -----
    Babbie (The Practice of Social Research, Wadsworth) reads a return of 50 % as adequate and
    70 % as very good; Chinese Delphi studies report it as the experts'
    positive coefficient (积极系数).

    Examples
    --------
    >>> response_rate(20, 18)
    0.9
    """
    if int(invited) <= 0 or int(responded) < 0 or int(responded) > int(invited):
        raise InputError(f"回收 {responded} 份、发放 {invited} 份，数目不合理",
                         f"{responded} responses from {invited} invitations is impossible",
                         field="invited")
    return int(responded) / int(invited)


def indicator_statistics(ratings: Any, *, scale: tuple[float, float] = (1, 5)) -> pd.DataFrame:
    """Per-indicator mean, SD, coefficient of variation, full-score ratio and rank sum.

    Parameters
    ----------
    ratings
        Experts × indicators (see :func:`ratings_frame`).
    scale
        Lowest and highest point; the highest is the full score.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator: ``n`` (experts who rated it), ``mean``, ``sd`` (ddof = 1),
        ``cv`` = sd/mean, ``full_score_ratio`` (share of its ratings at the top of the scale),
        ``rank_sum`` and ``mean_rank``.

    Notes
    -----
    Each expert ranks the indicators he rated, 1 for his highest rating, tied ratings sharing
    the mean rank; the rank sum (等级和) adds an indicator's ranks over experts, so a smaller
    sum means a more important indicator. Mean, CV and the full-score frequency as in
    王春枝 & 斯琴 (2011, 德尔菲法中的数据统计处理方法及其应用研究, 内蒙古财经学院学报 (4)).

    Examples
    --------
    >>> table = indicator_statistics([[5, 3], [4, 3], [5, 2]])
    >>> table[["mean", "full_score_ratio", "rank_sum"]].round(3).to_dict("list")
    {'mean': [4.667, 2.667], 'full_score_ratio': [0.667, 0.0], 'rank_sum': [3.0, 6.0]}
    """
    frame = ratings_frame(ratings, scale=scale)
    values = frame.to_numpy()
    present = ~np.isnan(values)
    n = present.sum(axis=0)
    mean = np.nansum(values, axis=0) / n
    deviations = np.where(present, values - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((deviations**2).sum(axis=0) / (n - 1))
        cv = sd / mean
    full = (values == scale[1]).sum(axis=0) / n
    ranks = stats.rankdata(-values, axis=1, nan_policy="omit")
    rank_sum = np.nansum(ranks, axis=0)
    return pd.DataFrame({"n": n, "mean": mean, "sd": sd, "cv": cv, "full_score_ratio": full,
                         "rank_sum": rank_sum, "mean_rank": rank_sum / n},
                        index=pd.Index(frame.columns, name="indicator"))


def concordance(ratings: Any, *, groups: Mapping[str, str] | pd.Series | None = None,
                missing: str = "drop_raters",
                scale: tuple[float, float] = (1, 5)) -> pd.DataFrame:
    """Kendall's W with its χ² test for the whole panel and for each group of indicators.

    Parameters
    ----------
    ratings
        Experts × indicators.
    groups
        Indicator code → level or group (e.g. its 一级 parent); each group gets its own row.
        Indicators without a group count only in the whole-panel row.
    missing
        Passed to :func:`review.agreement.kendall_w`; the default ``"drop_raters"`` keeps
        the experts who rated every indicator of the scope, as SPSS's listwise deletion does.
    scale
        Rating scale, for the checks of :func:`ratings_frame`.

    Returns
    -------
    pandas.DataFrame
        One row per scope (whole panel first): ``scope``, ``n_indicators``, ``n_experts``,
        ``w``, ``chi2``, ``df``, ``p_value``, ``note``. W is NaN, with a note, where it is
        undefined (fewer than two indicators, or every expert tying them all).

    Notes
    -----
    W = 12 S / (m²(n³ − n) − m Σ T) and χ² = m(n − 1) W with n − 1 df, m experts ranking n
    indicators by their ratings (Kendall & Babington Smith 1939, Annals of Mathematical
    Statistics 10(3), 275-287); see :func:`review.agreement.kendall_w`, which takes the
    transpose (indicators × experts).

    Examples
    --------
    >>> r = [[5, 4, 3, 2], [5, 3, 4, 1], [4, 5, 3, 2]]
    >>> table = concordance(r, groups={"I1": "A", "I2": "A", "I3": "B", "I4": "B"})
    >>> table[["scope", "n_indicators", "w"]].round(3).values.tolist()
    [['全部指标 (all)', 4, 0.778], ['A', 2, 0.111], ['B', 2, 1.0]]
    """
    frame = ratings_frame(ratings, scale=scale)
    scopes: list[tuple[str, list[str]]] = [(ALL_SCOPE, list(frame.columns))]
    if groups is not None:
        mapping = pd.Series(groups, dtype=object).reindex(frame.columns)
        for name in pd.unique(mapping.dropna()):
            scopes.append((str(name), list(mapping.index[mapping == name])))
    rows = []
    for scope, codes in scopes:
        row: dict[str, Any] = {"scope": scope, "n_indicators": len(codes), "n_experts": np.nan,
                               "w": np.nan, "chi2": np.nan, "df": np.nan, "p_value": np.nan,
                               "note": ""}
        try:
            result = kendall_w(frame[codes].to_numpy().T, missing=missing)
        except InputError as err:
            row["note"] = f"{err.zh} / {err.en}"
        else:
            row.update(n_indicators=result.n_items, n_experts=result.n_raters, w=result.value,
                       chi2=result.statistic, df=result.df, p_value=result.p_value)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class DelphiRound:
    """Everything one Delphi round measured.

    Attributes
    ----------
    label
        The round's name as reports print it (e.g. ``"第1轮"``).
    ratings
        The checked experts × indicators ratings of the experts who responded.
    invited, responded, response_rate
        The positive coefficient and its counts.
    indicators
        :func:`indicator_statistics`, with a ``group`` column when groups were given.
    concordance
        :func:`concordance` (whole panel, then each group).
    authority
        :func:`authority_coefficients`, or None without basis and familiarity answers.
    scale
        The rating scale.
    """

    label: str
    ratings: pd.DataFrame
    invited: int
    responded: int
    response_rate: float
    indicators: pd.DataFrame
    concordance: pd.DataFrame
    authority: AuthorityResult | None
    scale: tuple[float, float]


def round_statistics(ratings: Any, *, label: str = "第1轮", invited: int | None = None,
                     groups: Mapping[str, str] | pd.Series | None = None,
                     basis: pd.DataFrame | None = None,
                     familiarity: pd.Series | Mapping[str, Any] | None = None,
                     authority: str | AuthorityTable | None = None,
                     scale: tuple[float, float] = (1, 5),
                     missing: str = "drop_raters") -> DelphiRound:
    """All the statistics of one Delphi round.

    Parameters
    ----------
    ratings
        Experts × indicators; an expert whose row is blank was invited but did not respond.
    label
        The round's name.
    invited
        Experts invited; by default the number of rows of ``ratings``.
    groups
        Indicator → level or group, for per-group W and the ``group`` column.
    basis, familiarity
        Judgment-basis and familiarity answers (see :func:`authority_coefficients`); the
        authority coefficient is computed for the experts who responded.
    authority
        The authority table.
    scale
        Rating scale (lowest, highest).
    missing
        Missing-rating rule for Kendall's W.

    Returns
    -------
    DelphiRound
        The round's statistics.

    Notes
    -----
    Combines :func:`response_rate`, :func:`indicator_statistics`, :func:`concordance` and
    :func:`authority_coefficients`; see each for its formula and reference.

    Examples
    --------
    >>> r = round_statistics([[5, 4, 3], [5, 3, 3], [None, None, None]], label="第1轮")
    >>> r.invited, r.responded, round(r.response_rate, 3), float(r.indicators["mean"].iloc[0])
    (3, 2, 0.667, 5.0)
    """
    frame = ratings_frame(ratings, scale=scale)
    answered = frame.notna().any(axis=1)
    responding = frame[answered]
    invited_n = int(frame.shape[0] if invited is None else invited)
    rate = response_rate(invited_n, int(answered.sum()))
    table = indicator_statistics(responding, scale=scale)
    if groups is not None:
        table.insert(0, "group", pd.Series(groups, dtype=object).reindex(table.index))
    result = None
    if basis is not None or familiarity is not None:
        if basis is None or familiarity is None:
            raise InputError("计算权威系数需要同时提供判断依据和熟悉程度",
                             "the authority coefficient needs both judgment basis and "
                             "familiarity", field="authority")
        fam = pd.Series(familiarity, dtype=object)
        fam.index = fam.index.map(str)
        basis_frame = basis.copy()
        basis_frame.index = basis_frame.index.map(str)
        who = responding.index
        missing_experts = [e for e in who if e not in basis_frame.index or e not in fam.index]
        if missing_experts:
            raise InputError(f"专家 {missing_experts[0]} 没有判断依据或熟悉程度记录",
                             f"expert {missing_experts[0]} has no judgment basis or "
                             "familiarity record", field="authority")
        result = authority_coefficients(basis_frame.loc[who], fam.loc[who], table=authority)
    return DelphiRound(label=str(label), ratings=responding, invited=invited_n,
                       responded=int(answered.sum()), response_rate=rate, indicators=table,
                       concordance=concordance(responding, groups=groups, missing=missing,
                                               scale=scale),
                       authority=result, scale=(float(scale[0]), float(scale[1])))
