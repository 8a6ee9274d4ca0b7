"""Indicator scoring rules: (direction, target, actual, weight) → points, for many indicators at once.

The rules are the defaults of DOMAIN.md §3 (local practice, widely used in county self-evaluation):

========  ==============================================================================
≥ 正向    actual ≥ target → full weight; else weight × actual / target (negative actual → 0)
≤ 反向    actual ≤ target → full; target < actual < 2·target → weight × (1 − (actual − target)/target);
          actual ≥ 2·target → 0
= 等于    target 0 → full if actual ≤ 0, else 0; otherwise weight × (1 − |actual − target| / |target|),
          clipped at 0
定性      a level (达成 / 部分达成 / 未达成) picks a band of the weight (80–100 %, 60–80 %, 0–60 % by
          default); a manual score must lie in its band; without one the band's default point is used
========  ==============================================================================

:func:`score_indicators` returns an :class:`IndicatorScores` with the points and the flags (missing
actual or target, over-achievement) and the reason of each flag; :func:`points` is the short form
that returns the points alone. Points are never rounded here: DOMAIN.md §3 rounds at the total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from indicators.errors import InputError

__all__ = [
    "DIRECTION_SYMBOLS",
    "QUALITATIVE_LEVELS",
    "DEFAULT_QUALITATIVE_BANDS",
    "REASONS",
    "IndicatorScores",
    "direction_codes",
    "score_indicators",
    "points",
]

# Direction codes used inside the kernel; the symbols are what results show.
GE, LE, EQ, QUAL = 0, 1, 2, 3
DIRECTION_SYMBOLS: tuple[str, ...] = ("≥", "≤", "=", "定性")

_DIRECTION_ALIASES: dict[str, int] = {
    "≥": GE, ">=": GE, "higher": GE, "正向": GE,
    "≤": LE, "<=": LE, "lower": LE, "反向": LE,
    "=": EQ, "==": EQ, "equal": EQ, "等于": EQ,
    "定性": QUAL, "qualitative": QUAL,
}

QUALITATIVE_LEVELS: tuple[str, ...] = ("达成", "部分达成", "未达成")
_LEVEL_ALIASES: dict[str, str] = {
    "达成": "达成", "达成年度指标": "达成", "achieved": "达成",
    "部分达成": "部分达成", "部分达成年度指标": "部分达成", "partial": "部分达成",
    "partially achieved": "部分达成",
    "未达成": "未达成", "未达成年度指标": "未达成", "not achieved": "未达成",
    "not_achieved": "未达成",
}

DEFAULT_QUALITATIVE_BANDS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"达成": (0.8, 1.0), "部分达成": (0.6, 0.8), "未达成": (0.0, 0.6)}
)

# Reason codes of IndicatorScores.reason_code; index 0 means "nothing to report".
REASONS: tuple[str, ...] = (
    "",
    "实际值缺失，记 0 分 / actual value missing, scored 0",
    "目标值缺失，记 0 分 / target value missing, scored 0",
    "定性等级缺失，记 0 分 / qualitative level missing, scored 0",
    "超额完成（可能目标偏低） / over-achievement (target may be set too low)",
)
_OK, _MISSING_ACTUAL, _MISSING_TARGET, _MISSING_LEVEL, _OVER = range(5)

# Relative tolerance for the boundary comparisons, so 120 % typed as decimals is still 120 %.
_RTOL = 1e-9


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class IndicatorScores:
    """Points and flags of many indicators, scored by :func:`score_indicators`.

    Attributes
    ----------
    points
        Unrounded points, in ``[0, weight]``; read-only array of the broadcast shape.
    missing
        True where an actual (or target, or qualitative level) was missing: scored 0, never full.
    over_achievement
        True where a "≥" indicator reached ``trim_over`` × target or more.
    reason_code
        Index into :data:`REASONS` for each indicator (0: nothing to report).
    direction_code
        Index into :data:`DIRECTION_SYMBOLS` for each indicator.
    rule_params
        The rule constants used (over-achievement threshold, penalty, qualitative bands and default).
    method
        The rules in words.
    """

    points: np.ndarray
    missing: np.ndarray
    over_achievement: np.ndarray
    reason_code: np.ndarray
    direction_code: np.ndarray
    rule_params: Mapping[str, Any] = field(default_factory=dict)
    method: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_params", MappingProxyType(dict(self.rule_params)))

    @property
    def reasons(self) -> np.ndarray:
        """The reason of each flag as bilingual text ("" where there is none)."""
        return np.asarray(REASONS, dtype=object)[self.reason_code]

    @property
    def directions(self) -> np.ndarray:
        """The normalised direction symbol (≥, ≤, =, 定性) of each indicator."""
        return np.asarray(DIRECTION_SYMBOLS, dtype=object)[self.direction_code]

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator (flattened): direction, points, missing, over_achievement, reason.

        Returns
        -------
        pandas.DataFrame
            Columns ``direction``, ``points``, ``missing``, ``over_achievement``, ``reason``, in
            the order of the flattened input.

        Notes
        -----
        The arrays keep the input's shape for batch work; the frame is for reading and export.

        Examples
        --------
        >>> score_indicators(["≥"], [90], [45], [10]).to_frame()["points"].tolist()
        [5.0]
        """
        return pd.DataFrame({
            "direction": self.directions.ravel(),
            "points": self.points.ravel(),
            "missing": self.missing.ravel(),
            "over_achievement": self.over_achievement.ravel(),
            "reason": self.reasons.ravel(),
        })


def _where(flat_index: int, shape: tuple[int, ...]) -> str:
    """An element's index as a person reads it: ``5`` for 1-D, ``(2, 3)`` otherwise."""
    if len(shape) <= 1:
        return str(flat_index)
    return str(tuple(int(i) for i in np.unravel_index(flat_index, shape)))


def _as_float(values: ArrayLike, name: str) -> np.ndarray:
    """Float array with None → NaN; a non-numeric entry is an error naming its index."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raw = np.asarray(values, dtype=object)
        flat = raw.ravel()
        coerced = pd.to_numeric(pd.Series(flat), errors="coerce").to_numpy()
        bad = np.flatnonzero(pd.notna(flat) & np.isnan(coerced))
        i = int(bad[0]) if bad.size else 0
        raise InputError(
            f"{name} 第 {_where(i, raw.shape)} 个值不是数字：{flat[i]!r}",
            f"{name} at index {_where(i, raw.shape)} is not a number: {flat[i]!r}",
            field=name,
        ) from None


def _coded(values: ArrayLike, aliases: Mapping[str, Any], name: str, *, allow_missing: bool
           ) -> tuple[np.ndarray, np.ndarray]:
    """Map labels to alias values through their distinct values only (a handful), not row by row.

    Returns the array of distinct mapped values and the code array (-1 where missing).
    """
    if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        # A pandas column is factorised as it is: converting it to objects first costs more.
        shape: tuple[int, ...] = (len(values),)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = np.asarray(codes)
    else:
        raw = np.asarray(values, dtype=object)
        shape = raw.shape
        codes, uniques = pd.factorize(raw.ravel(), use_na_sentinel=True)
    mapped = []
    blank = []
    for k, u in enumerate(uniques):
        key = str(u).strip()
        hit = aliases.get(key, aliases.get(key.lower()))
        if key == "" and allow_missing:
            blank.append(k)
            continue
        if hit is None:
            i = int(np.flatnonzero(codes == k)[0])
            raise InputError(
                f"{name} 第 {_where(i, shape)} 个值无法识别：{u!r}"
                f"（可用：{'、'.join(sorted(set(map(str, aliases))))}）",
                f"unknown {name} at index {_where(i, shape)}: {u!r}",
                field=name,
            )
        mapped.append(hit)
    if blank:
        # A blank cell is a missing value, as a spreadsheet user means it.
        keep = np.ones(len(uniques), dtype=bool)
        keep[blank] = False
        renumber = np.where(keep, np.cumsum(keep) - 1, -1)
        codes = np.where(codes >= 0, renumber[codes], -1)
    if not allow_missing and (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise InputError(f"{name} 第 {_where(i, shape)} 个值缺失",
                         f"{name} at index {_where(i, shape)} is missing", field=name)
    return np.asarray(mapped, dtype=object), codes.reshape(shape)


def direction_codes(direction: ArrayLike) -> np.ndarray:
    """Normalise directions to codes into :data:`DIRECTION_SYMBOLS` (0 ≥, 1 ≤, 2 =, 3 定性).

    Parameters
    ----------
    direction
        A direction or an array of them: ``"≥"``, ``"≤"``, ``"="``, ``"定性"`` or the aliases
        ``"higher"``, ``"lower"``, ``"equal"``, ``"qualitative"`` (also ``>=``, ``<=``, 正向, 反向).

    Returns
    -------
    numpy.ndarray
        int8 codes of the same shape.

    Raises
    ------
    InputError
        An unknown or missing direction, naming its index and value.

    Notes
    -----
    The four directions are those of a target table (DOMAIN.md §2: ≥ 正向, ≤ 反向, = 等于, 定性).
    Only the distinct labels are looked up, so a million rows cost one hashing pass.

    Examples
    --------
    >>> direction_codes(["≥", "lower", "=", "定性"]).tolist()
    [0, 1, 2, 3]
    """
    mapped, codes = _coded(direction, _DIRECTION_ALIASES, "direction", allow_missing=False)
    return mapped.astype(np.int8)[codes] if mapped.size else codes.astype(np.int8)


def score_indicators(
    direction: ArrayLike,
    target: ArrayLike,
    actual: ArrayLike,
    weight: ArrayLike,
    *,
    level: ArrayLike | None = None,
    manual_score: ArrayLike | None = None,
    trim_over: float = 1.2,
    trim_penalty: float = 0.0,
    qualitative_bands: Mapping[str, tuple[float, float]] = DEFAULT_QUALITATIVE_BANDS,
    qualitative_default: str | Mapping[str, float] = "midpoint",
) -> IndicatorScores:
    """Score many indicators at once with the DOMAIN.md §3 rules.

    Parameters
    ----------
    direction
        ``"≥"``/``"higher"``, ``"≤"``/``"lower"``, ``"="``/``"equal"``, ``"定性"``/``"qualitative"``;
        a scalar or an array. All array inputs broadcast together.
    target, actual
        Target and actual values (ignored for 定性). NaN or None is missing: scored 0 and flagged.
        Targets of "≥" and "≤" indicators must not be negative (the rules are ratios to the target).
    weight
        Full points of each indicator, ≥ 0.
    level
        Qualitative level of each 定性 indicator: 达成, 部分达成, 未达成 (or ``"achieved"``,
        ``"partial"``, ``"not achieved"``); missing → 0 points and flagged. Ignored elsewhere.
    manual_score
        The evaluator's points for a 定性 indicator (in points, not percent); must lie inside its
        level's band of the weight, bounds included. NaN → the band's default point.
    trim_over
        Over-achievement threshold as a ratio to the target for "≥" indicators (DOMAIN: 1.2).
    trim_penalty
        Share of the points taken off flagged over-achieving indicators (0: flag only).
    qualitative_bands
        Level → (low, high) share of the weight. Default 达成 0.8–1.0, 部分达成 0.6–0.8, 未达成 0–0.6.
    qualitative_default
        Point used when there is no manual score: ``"midpoint"`` (default), ``"upper"``, ``"lower"``
        of the band, or a mapping level → share of the weight.

    Returns
    -------
    IndicatorScores
        Unrounded points and the missing / over-achievement flags with their reasons.

    Raises
    ------
    InputError
        Unknown direction or level, a negative or missing weight, a negative ratio target, or a
        manual score outside its band (naming the index, level, score and band).

    Notes
    -----
    With target :math:`t`, actual :math:`a`, weight :math:`w`:

    * "≥": :math:`w \\cdot \\min(1, \\max(a, 0)/t)` for :math:`t > 0`; for :math:`t = 0`, full if
      :math:`a \\ge 0`.
    * "≤": :math:`w \\cdot \\mathrm{clip}(1 - (a - t)/t, 0, 1)` for :math:`t > 0`, which is full up
      to :math:`t`, linear down to 0 at :math:`2t`, and 0 beyond; for :math:`t = 0`, full if
      :math:`a \\le 0`, else 0.
    * "=": :math:`w \\cdot \\max(0, 1 - |a - t|/|t|)` for :math:`t \\ne 0` (closeness, so both
      over- and under-shooting by the full target scores 0); for :math:`t = 0`, full if
      :math:`a \\le 0`, else 0.
    * 定性: the manual score, or the band's default point (midpoint: 达成 90 %, 部分达成 70 %,
      未达成 30 % of the weight).

    Over-achievement is flagged where :math:`a \\ge` ``trim_over`` :math:`\\cdot t` (relative
    tolerance 1e-9). Rules: 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号) and the county
    self-evaluation practice summarised in DOMAIN.md §3.

    Examples
    --------
    >>> r = score_indicators(["≥", "≤", "≥"], [100, 10, 100], [80, 15, None], 10)
    >>> r.points.tolist()
    [8.0, 5.0, 0.0]
    >>> r.missing.tolist()
    [False, False, True]
    >>> score_indicators("定性", 0, 0, 20, level="部分达成").points.item()
    14.0
    """
    if not np.isfinite(trim_over) or trim_over <= 0:
        raise InputError("超额阈值必须为正数", "trim_over must be a positive number", field="trim_over")
    if not 0.0 <= trim_penalty <= 1.0:
        raise InputError("超额扣减比例必须在 0 到 1 之间", "trim_penalty must lie in [0, 1]",
                         field="trim_penalty")
    bands = _check_bands(qualitative_bands)
    defaults = _default_points(bands, qualitative_default)

    code = direction_codes(direction)
    t = _as_float(target, "target")
    a = _as_float(actual, "actual")
    w = _as_float(weight, "weight")
    arrays = [code, t, a, w]
    if level is not None:
        level_values, level_code = _coded(level, _LEVEL_ALIASES, "level", allow_missing=True)
        arrays.append(level_code)
    if manual_score is not None:
        arrays.append(_as_float(manual_score, "manual_score"))
    try:
        arrays = np.broadcast_arrays(*arrays)
    except ValueError:
        raise InputError("输入数组形状不一致，无法对齐",
                         "input arrays have shapes that do not broadcast together") from None
    code, t, a, w = arrays[:4]
    shape = code.shape

    bad_w = ~(w >= 0)
    if bad_w.any():
        i = int(np.flatnonzero(bad_w.ravel())[0])
        raise InputError(f"第 {_where(i, shape)} 个指标的权重无效：{w.ravel()[i]}",
                         f"indicator {_where(i, shape)} has an invalid weight: {w.ravel()[i]}",
                         field="weight")
    ratio_rule = (code == GE) | (code == LE)
    bad_t = ratio_rule & (t < 0)
    if bad_t.any():
        i = int(np.flatnonzero(bad_t.ravel())[0])
        raise InputError(
            f"第 {_where(i, shape)} 个指标（{DIRECTION_SYMBOLS[code.ravel()[i]]}）目标值为负：{t.ravel()[i]}",
            f"indicator {_where(i, shape)} ({DIRECTION_SYMBOLS[code.ravel()[i]]}) has a negative "
            f"target: {t.ravel()[i]}",
            field="target",
        )

    quantitative = code != QUAL
    missing_target = quantitative & np.isnan(t)
    missing_actual = quantitative & np.isnan(a) & ~missing_target
    # Tiny targets overflow the ratio to inf, which clips to the right answer.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        share = a / t
        ge = np.where(t > 0, np.clip(share, 0.0, 1.0), a >= 0)
        le = np.where(t > 0, np.clip(2.0 - share, 0.0, 1.0), a <= 0)
        # |a − t| / |t| is |a/t − 1|: the ratio already computed serves all three rules.
        eq = np.where(t != 0, np.clip(1.0 - np.abs(share - 1.0), 0.0, 1.0), a <= 0)
        over = (share >= trim_over * (1.0 - _RTOL)) & (t > 0) & (code == GE)

    qual_share, missing_level = _qualitative_share(
        code, w, arrays, level is not None, manual_score is not None,
        level_values if level is not None else None, bands, defaults,
    )
    # Direction codes are 0..3 in the order of the rule arrays: one pass picks the right rule.
    factor = np.choose(code, [ge, le, eq, qual_share])
    missing = missing_target | missing_actual | missing_level
    factor = np.where(missing, 0.0, factor)
    factor = np.where(over, factor * (1.0 - trim_penalty), factor)
    pts = w * factor

    # The four conditions exclude one another, so their codes can simply be added.
    reason = (missing_actual * np.int8(_MISSING_ACTUAL) + missing_target * np.int8(_MISSING_TARGET)
              + missing_level * np.int8(_MISSING_LEVEL) + over * np.int8(_OVER)).astype(np.int8)
    return IndicatorScores(
        points=_readonly(np.asarray(pts, dtype=float)),
        missing=_readonly(np.asarray(missing, dtype=bool)),
        over_achievement=_readonly(np.asarray(over, dtype=bool)),
        reason_code=_readonly(np.asarray(reason)),
        direction_code=_readonly(np.array(code, dtype=np.int8)),
        rule_params={
            "trim_over": float(trim_over),
            "trim_penalty": float(trim_penalty),
            "qualitative_bands": dict(bands),
            "qualitative_default": dict(defaults),
        },
        method="DOMAIN.md §3 default rules (≥ ratio, ≤ linear to 2×target, = closeness, 定性 bands)",
    )


def points(direction: ArrayLike, target: ArrayLike, actual: ArrayLike, weight: ArrayLike,
           **rule_params: Any) -> np.ndarray:
    """Unrounded points of many indicators: :func:`score_indicators` without the flags.

    Parameters
    ----------
    direction, target, actual, weight
        As in :func:`score_indicators`; arrays broadcast together.
    **rule_params
        Any keyword of :func:`score_indicators` (``level``, ``manual_score``, ``trim_over``,
        ``trim_penalty``, ``qualitative_bands``, ``qualitative_default``).

    Returns
    -------
    numpy.ndarray
        Points in ``[0, weight]``, unrounded (round at the total, DOMAIN.md §3).

    Notes
    -----
    The rules and their formulas are those of :func:`score_indicators` (DOMAIN.md §3, after
    财政部《项目支出绩效评价管理办法》, 财预〔2020〕10号). Use :func:`score_indicators` when the
    missing and over-achievement flags are needed.

    Examples
    --------
    >>> points(["≥", "≤", "="], [90, 5, 0], [45, 7.5, 0], [20, 10, 5]).tolist()
    [10.0, 5.0, 5.0]
    """
    return score_indicators(direction, target, actual, weight, **rule_params).points


def _check_bands(bands: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for name in QUALITATIVE_LEVELS:
        if name not in bands:
            raise InputError(f"定性区间缺少等级“{name}”", f"qualitative bands lack level {name!r}",
                             field="qualitative_bands")
        lo, hi = (float(x) for x in bands[name])
        if not 0.0 <= lo <= hi <= 1.0:
            raise InputError(f"定性等级“{name}”的区间无效：{lo}–{hi}",
                             f"invalid band for level {name!r}: {lo}-{hi} (need 0 ≤ low ≤ high ≤ 1)",
                             field="qualitative_bands")
        out[name] = (lo, hi)
    return out


def _default_points(bands: Mapping[str, tuple[float, float]],
                    how: str | Mapping[str, float]) -> dict[str, float]:
    if isinstance(how, Mapping):
        out = {}
        for name, (lo, hi) in bands.items():
            value = float(how.get(name, np.nan))
            if not lo <= value <= hi:
                raise InputError(f"定性等级“{name}”的默认分值 {value} 不在区间 {lo}–{hi} 内",
                                 f"default share {value} for level {name!r} is outside {lo}-{hi}",
                                 field="qualitative_default")
            out[name] = value
        return out
    pick = {"midpoint": lambda lo, hi: (lo + hi) / 2, "upper": lambda lo, hi: hi,
            "lower": lambda lo, hi: lo}.get(how)
    if pick is None:
        raise InputError(f"未知的定性默认取值方式：{how!r}",
                         f"unknown qualitative_default {how!r} (midpoint, upper, lower or a mapping)",
                         field="qualitative_default")
    return {name: pick(lo, hi) for name, (lo, hi) in bands.items()}


def _qualitative_share(code: np.ndarray, w: np.ndarray, arrays: list[np.ndarray], has_level: bool,
                       has_manual: bool, level_values: np.ndarray | None,
                       bands: Mapping[str, tuple[float, float]], defaults: Mapping[str, float]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Share of the weight earned by 定性 indicators, and where their level is missing."""
    qual = code == QUAL
    if not qual.any():
        return np.zeros(code.shape), np.zeros(code.shape, dtype=bool)
    if not has_level:
        return np.zeros(code.shape), qual.copy()
    level_code = arrays[4]
    # Level values are the canonical names; index them into per-level constants.
    names = [str(v) for v in level_values]
    lo = np.append([bands[n][0] for n in names], np.nan)[level_code]
    hi = np.append([bands[n][1] for n in names], np.nan)[level_code]
    default = np.append([defaults[n] for n in names], 0.0)[level_code]
    missing_level = qual & (level_code < 0)
    share = default
    if has_manual:
        manual = arrays[5]
        given = qual & ~missing_level & ~np.isnan(manual)
        with np.errstate(invalid="ignore"):
            tol = _RTOL * np.maximum(w, 1.0)
            outside = given & ((manual < lo * w - tol) | (manual > hi * w + tol))
        if outside.any():
            i = int(np.flatnonzero(outside.ravel())[0])
            name = names[level_code.ravel()[i]]
            wi, si = w.ravel()[i], manual.ravel()[i]
            band = f"{lo.ravel()[i] * wi:g}–{hi.ravel()[i] * wi:g}"
            where = _where(i, code.shape)
            raise InputError(
                f"第 {where} 个指标：定性等级“{name}”的人工评分 {si:g} 不在区间 {band} 内",
                f"indicator {where}: manual score {si:g} for level {name!r} is outside its band {band}",
                field="manual_score",
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            manual_share = np.where(w > 0, manual / w, 0.0)
        share = np.where(given, np.clip(manual_share, lo, hi), default)
    return np.where(qual, share, 0.0), missing_level
