"""The scoring rules a library may name, and the parameters each one accepts.

An indicator names its scoring rule (``rule``) and the rule's parameters (``rule_params``) in the
library, so a bureau changes how an indicator is scored by publishing a new library version, not
by changing code. This registry is what the library is checked against; the scoring package
implements the rules under the same names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["RULES", "RuleSpec", "check_rule_params", "is_blank"]

Problem = tuple[str, str, str]


def is_blank(value: Any) -> bool:
    """True for ``None``, NaN and strings of blanks: what an empty spreadsheet cell reads as.

    Parameters
    ----------
    value
        Any cell value.

    Returns
    -------
    bool
        Whether the value counts as not given.

    Notes
    -----
    pandas reads empty cells as NaN, YAML as ``None``, hand-made records as ``""``; all three
    mean "not given".

    Examples
    --------
    >>> [is_blank(v) for v in (None, float("nan"), "  ", 0, "x")]
    [True, True, True, False, False]
    """
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float | np.floating):
        return bool(math.isnan(value))
    return False


def _number(value: Any) -> float | None:
    """The value as a finite float, or ``None`` when it is not a plain number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _bad(param: str, value: Any, zh: str, en: str) -> Problem:
    return ("invalid_rule_params", f"参数 {param}={value!r} 无效：{zh}",
            f"parameter {param}={value!r} is invalid: {en}")


def _check_ratio(params: Mapping[str, Any]) -> list[Problem]:
    if "cap" not in params:
        return []
    cap = _number(params["cap"])
    if cap is None or cap <= 0:
        return [_bad("cap", params["cap"], "应为正数", "must be a positive number")]
    return []


def _check_trim_over(params: Mapping[str, Any]) -> list[Problem]:
    threshold = _number(params["threshold"])
    if threshold is None or threshold < 1:
        return [_bad("threshold", params["threshold"], "应为不小于 1 的数（如 1.2 表示 120%）",
                     "must be a number of at least 1 (1.2 means 120%)")]
    return []


def _check_budget_execution(params: Mapping[str, Any]) -> list[Problem]:
    if "full_at" not in params:
        return []
    full_at = _number(params["full_at"])
    if full_at is None or not 0 < full_at <= 1:
        return [_bad("full_at", params["full_at"], "应在 (0, 1] 之间（1.0 表示全部执行得满分）",
                     "must lie in (0, 1] (1.0 means full points at full execution)")]
    return []


def _check_bands(params: Mapping[str, Any]) -> list[Problem]:
    bands = params["bands"]
    if not isinstance(bands, Mapping) or not bands:
        return [_bad("bands", bands, "应为 等级: [下限, 上限] 的非空映射",
                     "must be a non-empty mapping of label: [low, high]")]
    problems: list[Problem] = []
    intervals: list[tuple[float, float, str]] = []
    for label, band in bands.items():
        pair = list(band) if isinstance(band, Sequence) and not isinstance(band, str) else None
        low, high = (_number(pair[0]), _number(pair[1])) if pair and len(pair) == 2 \
            else (None, None)
        if low is None or high is None or not 0 <= low < high <= 100:
            problems.append(_bad(f"bands.{label}", band, "应为 [下限, 上限]，且 0 ≤ 下限 < 上限 ≤ 100",
                                 "must be [low, high] with 0 ≤ low < high ≤ 100"))
            continue
        intervals.append((low, high, str(label)))
    intervals.sort()
    reach, reach_label = -math.inf, ""
    for low, high, label in intervals:
        # Bands may touch (60–80 and 80–100 share 80) but may not overlap.
        if low < reach:
            problems.append(("invalid_rule_params",
                             f"参数 bands 中“{reach_label}”与“{label}”的区间重叠",
                             f"in parameter bands, '{reach_label}' and '{label}' overlap"))
        if high > reach:
            reach, reach_label = high, label
    return problems


@dataclass(frozen=True)
class RuleSpec:
    """A scoring rule's name, meaning, and the parameters it takes.

    ``check`` receives parameters that name no unknown key and miss no required one, and
    returns ``(code, zh, en)`` problems with their values.
    """

    name: str
    zh: str
    en: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    check: Callable[[Mapping[str, Any]], list[Problem]] = lambda params: []


RULES: Mapping[str, RuleSpec] = MappingProxyType({
    spec.name: spec for spec in (
        RuleSpec("default", "按指标方向计分（≥ 正向、≤ 反向、= 等于、定性 分档）",
                 "scored by direction (≥, ≤, =, qualitative bands)"),
        RuleSpec("ratio", "实际值/目标值 × 权重，比值不超过 cap",
                 "weight × actual/target, the ratio capped at cap", optional=("cap",),
                 check=_check_ratio),
        RuleSpec("qualitative_bands", "定性分档：每档给出得分率区间（0–100）",
                 "qualitative bands: each label gives a score-rate interval in 0–100",
                 required=("bands",), check=_check_bands),
        RuleSpec("trim_over", "超过目标 threshold 倍时视为目标偏低，超出部分不加分",
                 "beyond threshold × target the target was set too low; no extra credit",
                 required=("threshold",), check=_check_trim_over),
        RuleSpec("budget_execution", "预算执行率得分：执行率达到 full_at 得满分",
                 "budget-execution score: full points once execution reaches full_at",
                 optional=("full_at",), check=_check_budget_execution),
    )
})
"""Known rules by name; an empty rule name means ``default``."""


def check_rule_params(rule: str | None, params: Mapping[str, Any] | None) -> list[Problem]:
    """Check a rule name and its parameters against :data:`RULES`.

    Parameters
    ----------
    rule
        The rule name; ``None`` or blank means ``default``.
    params
        The rule's parameters, or ``None`` for none.

    Returns
    -------
    list of tuple
        ``(code, zh, en)`` for each problem: ``unknown_rule`` for a name not in the registry,
        ``invalid_rule_params`` for parameters that are not a mapping, unknown, missing or out of
        range. Empty when the rule and parameters are usable.

    Notes
    -----
    Qualitative bands follow the common local practice (DOMAIN.md §3): 达成 80–100,
    部分达成 60–80, 未达成 0–60 percent of the weight; bands may share an end point but not
    overlap.

    Examples
    --------
    >>> check_rule_params("trim_over", {"threshold": 1.2})
    []
    >>> [code for code, _, _ in check_rule_params("ratio", {"cap": -1})]
    ['invalid_rule_params']
    """
    name = "default" if is_blank(rule) else str(rule).strip().lower()
    spec = RULES.get(name)
    if spec is None:
        known = ", ".join(RULES)
        return [("unknown_rule", f"未知的计分规则 '{rule}'，可用：{known}",
                 f"unknown scoring rule '{rule}', known rules: {known}")]
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        return [("invalid_rule_params", f"规则 {name} 的参数应为键值映射，实为 {params!r}",
                 f"parameters of rule {name} must be a mapping, got {params!r}")]
    problems: list[Problem] = []
    for key in sorted(set(params) - set(spec.required) - set(spec.optional)):
        allowed = ", ".join((*spec.required, *spec.optional)) or "无 / none"
        problems.append(("invalid_rule_params", f"规则 {name} 没有参数 '{key}'（可用：{allowed}）",
                         f"rule {name} has no parameter '{key}' (allowed: {allowed})"))
    for key in spec.required:
        if key not in params:
            problems.append(("invalid_rule_params", f"规则 {name} 缺少参数 '{key}'",
                             f"rule {name} needs parameter '{key}'"))
    if problems:
        return problems
    return spec.check(params)
