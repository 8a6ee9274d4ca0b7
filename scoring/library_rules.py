"""What the library's scoring rules mean for the kernel, read once per scoring run.

An indicator of a library version names its rule (``default``, ``ratio``,
``qualitative_bands``, ``trim_over``, ``budget_execution``; see :mod:`indicators.rule_params`)
and the rule's parameters. The kernel (:func:`scoring.project.score_projects`) takes one set of
constants per call. :func:`rule_settings` turns the rules of the indicators being scored into
that set, and refuses a library whose indicators would need two.

The library stores qualitative bands as percent of the weight (0–100, as a bureau writes them);
the kernel takes shares (0–1). :func:`band_shares` is the one place that converts them.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from indicators.errors import InputError
from indicators.model import LibraryVersion
from indicators.rule_params import check_rule_params
from scoring.project import score_projects
from scoring.rules import DEFAULT_QUALITATIVE_BANDS, score_indicators

__all__ = ["RuleSettings", "band_shares", "rule_settings"]

# The kernels' own defaults, read from their signatures so they are stated in one place only.
_PROJECT_DEFAULTS = {name: p.default for name, p in
                     inspect.signature(score_projects).parameters.items()}
_RULE_DEFAULTS = {name: p.default for name, p in
                  inspect.signature(score_indicators).parameters.items()}


def band_shares(bands: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, float]]:
    """Qualitative bands as the library stores them (percent, 0–100) → shares of the weight (0–1).

    Parameters
    ----------
    bands
        Level → ``[low, high]`` in percent, as in a ``qualitative_bands`` rule's parameters.

    Returns
    -------
    dict
        Level → ``(low, high)`` as shares, what :func:`scoring.rules.score_indicators` takes.

    Raises
    ------
    InputError
        Bands that :func:`indicators.rule_params.check_rule_params` refuses (not a mapping,
        outside 0–100, low ≥ high, overlapping), or bands that all end at 1 or below (shares
        typed where percent belongs).

    Notes
    -----
    DOMAIN.md §3 writes the bands as percentages (达成 80–100 %, 部分达成 60–80 %, 未达成
    0–60 %); the kernel multiplies the weight by a share. Converting here and nowhere else keeps
    a band from being divided by 100 twice, or not at all.

    Examples
    --------
    >>> band_shares({"达成": [80, 100], "部分达成": [60, 80], "未达成": [0, 60]})
    {'达成': (0.8, 1.0), '部分达成': (0.6, 0.8), '未达成': (0.0, 0.6)}
    """
    problems = check_rule_params("qualitative_bands", {"bands": bands})
    if problems:
        _, zh, en = problems[0]
        raise InputError(zh, en, field="rule_params.bands")
    if max(float(high) for _, high in bands.values()) <= 1.0:
        # Bands of at most 1 % are shares typed where percent belongs, not a real rule.
        raise InputError("定性分档应以百分数（0–100）填写，如 达成: [80, 100]；现在看来是比例（0–1）",
                         "qualitative bands are stored as percent (0–100), e.g. 达成: [80, 100]; "
                         "these look like shares (0–1)", field="rule_params.bands")
    return {str(label): (float(low) / 100.0, float(high) / 100.0)
            for label, (low, high) in bands.items()}


@dataclass(frozen=True)
class RuleSettings:
    """The rule constants one scoring run uses, and where each came from.

    Attributes
    ----------
    qualitative_bands
        Level → (low, high) share of the weight for 定性 indicators.
    trim_over
        Over-achievement threshold as a ratio to the target ("≥" indicators are flagged there).
    budget_weight, budget_full_ratio
        Budget-execution points and the execution rate that earns them in full.
    sources
        Setting → where it came from: the library indicator codes that state it, or the kernel
        default.
    """

    qualitative_bands: Mapping[str, tuple[float, float]]
    trim_over: float
    budget_weight: float
    budget_full_ratio: float
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "qualitative_bands",
                           MappingProxyType(dict(self.qualitative_bands)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    def kernel_params(self) -> dict[str, Any]:
        """Keyword arguments of :func:`scoring.project.score_projects` these settings fix."""
        return {"qualitative_bands": dict(self.qualitative_bands), "trim_over": self.trim_over,
                "budget_weight": self.budget_weight,
                "budget_full_ratio": self.budget_full_ratio}


def _codes_text(codes: Iterable[str], limit: int = 5) -> str:
    codes = list(dict.fromkeys(codes))
    more = f" …（+{len(codes) - limit}）" if len(codes) > limit else ""
    return "、".join(codes[:limit]) + more


def _distinct(params: pd.Series) -> list[str]:
    return list(pd.unique(params))


def rule_settings(library: LibraryVersion, rows: pd.DataFrame) -> RuleSettings:
    """The rule constants of one scoring run, read from the library version.

    Parameters
    ----------
    library
        The library version (its ``budget_execution`` indicator sets the budget weight).
    rows
        The rows to score, from :func:`target_rows` (columns ``indicator``, ``direction``,
        ``rule``, ``rule_params``).

    Returns
    -------
    RuleSettings
        Bands as shares, over-achievement threshold, budget weight and full ratio, each with
        its source; what the library does not state is the kernel's default.

    Raises
    ------
    InputError
        The scored indicators state two different sets of qualitative bands or two thresholds
        (the kernel applies one set per run), or the library has two budget-execution
        indicators, or one without a weight.

    Notes
    -----
    A 定性 indicator scored by the ``default`` rule uses the kernel's bands (DOMAIN.md §3:
    80–100 / 60–80 / 0–60 %), so a library stating other bands for some 定性 indicators and
    none for others is refused rather than silently scored two ways. The budget-execution
    score is min(weight, weight × spent/budget / full_at) (DOMAIN.md §2).

    Examples
    --------
    >>> from indicators.frameworks import load_builtin
    >>> rows = pd.DataFrame({"indicator": ["CC0101"], "direction": ["≥"], "rule": ["default"],
    ...                      "rule_params": ["{}"]})
    >>> s = rule_settings(load_builtin("national-target"), rows)
    >>> s.budget_weight, s.trim_over, s.qualitative_bands["达成"]
    (10.0, 1.2, (0.8, 1.0))
    """
    sources: dict[str, str] = {}
    qualitative = (rows["direction"] == "定性").to_numpy()
    banded = qualitative & (rows["rule"] == "qualitative_bands").to_numpy()
    default_json = json.dumps({"bands": {k: [lo * 100, hi * 100] for k, (lo, hi)
                                         in DEFAULT_QUALITATIVE_BANDS.items()}},
                              ensure_ascii=False, sort_keys=True)
    effective = rows["rule_params"].where(banded, default_json)[qualitative]
    band_sets = _distinct(effective)
    bands = dict(_RULE_DEFAULTS["qualitative_bands"])
    sources["qualitative_bands"] = "kernel default (DOMAIN.md §3)"
    if len(band_sets) > 1:
        first = rows.loc[effective.index[effective == band_sets[0]], "indicator"]
        second = rows.loc[effective.index[effective == band_sets[1]], "indicator"]
        raise InputError(
            f"定性指标的分档不一致（{_codes_text(first)} 与 {_codes_text(second)}），一次评分只能用"
            "一套分档；请在指标库中统一分档",
            f"qualitative indicators state different bands ({_codes_text(first)} vs "
            f"{_codes_text(second)}); one run uses one set: make the library's bands agree",
            field="rule_params.bands")
    if banded.any():
        bands = band_shares(json.loads(band_sets[0])["bands"])
        sources["qualitative_bands"] = "library: " + _codes_text(rows.loc[banded, "indicator"])

    trimmed = (rows["rule"] == "trim_over").to_numpy()
    trim_over = float(_RULE_DEFAULTS["trim_over"])
    sources["trim_over"] = "kernel default (DOMAIN.md §3)"
    if trimmed.any():
        thresholds = pd.unique(rows.loc[trimmed, "rule_params"].map(
            lambda p: float(json.loads(p)["threshold"])))
        if len(thresholds) > 1:
            raise InputError(
                f"超额完成阈值不一致：{'、'.join(f'{x:g}' for x in thresholds)}，一次评分只能用一个",
                f"over-achievement thresholds differ: {', '.join(f'{x:g}' for x in thresholds)}; "
                "one run uses one", field="rule_params.threshold")
        trim_over = float(thresholds[0])
        sources["trim_over"] = "library: " + _codes_text(rows.loc[trimmed, "indicator"])

    budget = [ind for ind in library.indicators if ind.rule.strip().lower() == "budget_execution"]
    weight = float(_PROJECT_DEFAULTS["budget_weight"])
    full = float(_PROJECT_DEFAULTS["budget_full_ratio"])
    sources["budget_execution"] = "kernel default (DOMAIN.md §2)"
    if len(budget) > 1:
        raise InputError(f"指标库 {library.ref} 有多个预算执行率指标：{_codes_text(i.code for i in budget)}",
                         f"library {library.ref} has several budget-execution indicators: "
                         f"{_codes_text(i.code for i in budget)}", field="rule")
    if budget:
        ind = budget[0]
        if ind.weight is None:
            raise InputError(f"预算执行率指标 {ind.code} 没有权重",
                             f"budget-execution indicator {ind.code} has no weight",
                             field=f"{ind.code}.weight")
        weight = float(ind.weight)
        full = float(ind.rule_params.get("full_at", full))
        sources["budget_execution"] = f"library: {ind.code}"
    return RuleSettings(qualitative_bands=bands, trim_over=trim_over, budget_weight=weight,
                        budget_full_ratio=full, sources=sources)


