"""Ex-ante performance assessment (事前绩效评估): which requests need one, and what it concludes.

:func:`exante_triggers` applies the trigger rules to next year's budget requests, all rows at
once: a new project of at least ``new_min_amount``; a continuing project growing by at least
``growth_share`` or by at least ``growth_amount``; a key project continued for more than
``key_years_over`` years. :func:`score_exante` scores the assessment sheets on the five
dimensions of the ex-ante framework with the project scoring kernel, grades the totals into
支持 / 调整后支持 / 不予支持 and records the budget change of each request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from indicators.frameworks import load_builtin
from indicators.model import LibraryVersion
from scoring.grades import cap_grades
from scoring.lifecycle_config import ExanteConfig, LifecycleConfig
from scoring.money import format_wan, round_money
from scoring.project import score_projects

__all__ = [
    "REQUEST_COLUMNS",
    "ExanteTriggers",
    "ExanteAssessment",
    "exante_triggers",
    "score_exante",
]

REQUEST_COLUMNS: tuple[str, ...] = (
    "project", "amount", "previous_amount", "is_new", "years_running", "is_key")
"""Columns :func:`exante_triggers` needs (``name``, ``department`` … are carried along)."""

_RULES = ("new_large", "growth_share", "growth_amount", "key_long_running")
# Half a fen: amounts are in yuan with cents, so a rule's boundary is met within this tolerance.
_MONEY_TOLERANCE = 0.005


@dataclass(frozen=True)
class ExanteTriggers:
    """Which requests need an ex-ante assessment, and by which rule.

    Attributes
    ----------
    table
        One row per request: the input columns, ``growth`` (share), ``increase`` (yuan), one
        boolean column per rule (``new_large``, ``growth_share``, ``growth_amount``,
        ``key_long_running``), ``triggered`` and ``rules`` / ``rules_en`` (the rules in words).
    rules
        Rule column → (Chinese, English) wording with the configured numbers.
    config
        The settings' ``name@version``.
    constants
        The thresholds used.
    """

    table: pd.DataFrame
    rules: Mapping[str, tuple[str, str]]
    config: str
    constants: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        object.__setattr__(self, "constants", MappingProxyType(dict(self.constants)))

    @property
    def triggered(self) -> pd.DataFrame:
        """The requests that need an assessment."""
        return self.table.loc[self.table["triggered"]].reset_index(drop=True)


@dataclass(frozen=True)
class ExanteAssessment:
    """Scored ex-ante assessments with their conclusion and budget change.

    Attributes
    ----------
    results
        One row per assessed request: ``project``, ``total``, one column per dimension (一级
        name), ``outcome_before_floor``, ``below_floor``, ``outcome``, ``request``,
        ``proposed_amount``, ``approved_amount``, ``cut`` (yuan, ≥ 0).
    framework, band_table
        The ex-ante framework (``id@version``) and the outcome bands used.
    config
        The settings' ``name@version``.
    constants
        Floor share, adjustment share, rounding unit.
    """

    results: pd.DataFrame
    framework: str
    band_table: str
    config: str
    constants: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "constants", MappingProxyType(dict(self.constants)))


def _exante(config: ExanteConfig | LifecycleConfig) -> tuple[ExanteConfig, str]:
    if isinstance(config, LifecycleConfig):
        return config.exante, config.ref
    return config, "custom"


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: tuple[str, str]) -> None:
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise InputError(f"{what[0]}缺少列：{'、'.join(lacking)}",
                         f"the {what[1]} table lacks columns: {', '.join(lacking)}",
                         column=lacking[0])


def _numbers(frame: pd.DataFrame, column: str, *, allow_missing: bool) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) & (frame[column].notna().to_numpy() | (not allow_missing))
    bad |= values < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"第 {i + 1} 行 {column} 不是非负数字：{frame[column].iat[i]!r}",
                         f"row {i + 1}: {column} is not a non-negative number: "
                         f"{frame[column].iat[i]!r}", row=i + 1, column=column)
    return values


def _flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    # An object column: check the handful of distinct values, not every row.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    good = np.append([isinstance(u, bool | np.bool_) for u in uniques], False)
    ok = good[np.where(codes < 0, len(uniques), codes)]
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise InputError(f"第 {i + 1} 行 {column} 应为是/否：{values.iat[i]!r}",
                         f"row {i + 1}: {column} must be true or false: {values.iat[i]!r}",
                         row=i + 1, column=column)
    return values.to_numpy(dtype=bool)


def _rule_words(c: ExanteConfig) -> dict[str, tuple[str, str]]:
    return {
        "new_large": (f"新增项目金额≥{format_wan(c.new_min_amount)}万元",
                      f"new project of {c.new_min_amount:,.0f} yuan or more"),
        "growth_share": (f"延续项目增幅≥{c.growth_share:.0%}",
                         f"continuing project growing by {c.growth_share:.0%} or more"),
        "growth_amount": (f"延续项目增加≥{format_wan(c.growth_amount)}万元",
                          f"continuing project growing by {c.growth_amount:,.0f} yuan or more"),
        "key_long_running": (f"重点项目延续{c.key_years_over}年以上",
                             f"key project continued for more than {c.key_years_over} years"),
    }


def exante_triggers(requests: pd.DataFrame, config: ExanteConfig | LifecycleConfig
                    ) -> ExanteTriggers:
    """Apply the ex-ante trigger rules to next year's budget requests.

    Parameters
    ----------
    requests
        One row per request with :data:`REQUEST_COLUMNS`: ``project``, ``amount`` (requested,
        yuan), ``previous_amount`` (last year's, yuan; may be missing for new projects),
        ``is_new``, ``years_running`` (years the project will have run), ``is_key``.
    config
        The lifecycle settings (or their ``exante`` part).

    Returns
    -------
    ExanteTriggers
        Every request with the rules it meets.

    Raises
    ------
    InputError
        A missing column, an amount that is not a non-negative number, a continuing request
        without last year's amount, or a yes/no column that is not boolean — naming the row.

    Notes
    -----
    With request :math:`a`, last year's amount :math:`p` and thresholds from the settings:
    new and :math:`a \\ge` ``new_min_amount``; continuing and :math:`(a - p)/p \\ge`
    ``growth_share`` or :math:`a - p \\ge` ``growth_amount``; key and years running
    :math:`>` ``key_years_over``. Boundaries are compared in yuan within half a fen, so a request
    of exactly 1,000,000 yuan or exactly 20 % growth is caught. Rules of the reference county
    (开江县, 2021): "对新增100万元（含）以上的部门预算项目；延续性项目年度预算增幅达到20%或增加
    金额100万元（含）以上的项目；延续执行三年以上的重点项目开展绩效评估".

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> requests = pd.DataFrame({"project": ["A", "B", "C"], "amount": [1e6, 1.2e6, 5e5],
    ...     "previous_amount": [None, 1e6, 5e5], "is_new": [True, False, False],
    ...     "years_running": [0, 2, 4], "is_key": [False, False, True]})
    >>> exante_triggers(requests, load_lifecycle_config()).table["rules"].tolist()
    ['新增项目金额≥100万元', '延续项目增幅≥20%', '重点项目延续3年以上']
    """
    c, ref = _exante(config)
    _require(requests, REQUEST_COLUMNS, ("预算申请表", "requests"))
    frame = requests.reset_index(drop=True)
    amount = _numbers(frame, "amount", allow_missing=False)
    previous = _numbers(frame, "previous_amount", allow_missing=True)
    years = _numbers(frame, "years_running", allow_missing=False)
    is_new = _flags(frame, "is_new")
    is_key = _flags(frame, "is_key")
    orphan = ~is_new & np.isnan(previous)
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        raise InputError(f"第 {i + 1} 行是延续项目，但缺少上年金额",
                         f"row {i + 1} is a continuing project without last year's amount",
                         row=i + 1, column="previous_amount")
    increase = amount - previous
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(previous > 0, increase / previous, np.where(increase > 0, np.inf, 0.0))
    continuing = ~is_new
    flags = {
        "new_large": is_new & (amount >= c.new_min_amount - _MONEY_TOLERANCE),
        # Compare the increase with share × previous in yuan, not the ratio, so 20 % exactly holds.
        "growth_share": continuing & (increase >= c.growth_share * previous - _MONEY_TOLERANCE),
        "growth_amount": continuing & (increase >= c.growth_amount - _MONEY_TOLERANCE),
        "key_long_running": is_key & (years > c.key_years_over),
    }
    # A continuing request with last year's amount 0 and no increase has not grown.
    flags["growth_share"] &= (previous > 0) | (increase > 0)
    words = _rule_words(c)
    table = frame.copy()
    table["growth"] = np.where(continuing, growth, np.nan)
    table["increase"] = np.where(continuing, increase, np.nan)
    zh = pd.Series("", index=table.index, dtype=object)
    en = pd.Series("", index=table.index, dtype=object)
    for rule in _RULES:
        table[rule] = flags[rule]
        zh = zh + np.where(flags[rule], words[rule][0] + "；", "")
        en = en + np.where(flags[rule], words[rule][1] + "; ", "")
    table["triggered"] = np.logical_or.reduce([flags[r] for r in _RULES])
    table["rules"] = zh.str.removesuffix("；")
    table["rules_en"] = en.str.removesuffix("; ")
    return ExanteTriggers(
        table=table, rules=words, config=ref,
        constants={"new_min_amount": c.new_min_amount, "growth_share": c.growth_share,
                   "growth_amount": c.growth_amount, "key_years_over": c.key_years_over,
                   "money_tolerance": _MONEY_TOLERANCE},
    )


def _tree(framework: LibraryVersion) -> pd.DataFrame:
    """Leaves of the ex-ante framework with their 二级 and 一级 names and weights."""
    rows = []
    for leaf in framework.leaves():
        chain = framework.path(leaf.code)
        if len(chain) != 3:
            raise InputError(f"事前评估框架的指标 {leaf.code} 不在三级",
                             f"ex-ante indicator {leaf.code} is not at level 3", field="framework")
        rows.append({"indicator": leaf.code, "level2": chain[1].name, "level1": chain[0].name,
                     "weight": float(leaf.weight or 0.0), "bands": leaf.rule_params.get("bands")})
    return pd.DataFrame(rows)


def _bands(tree: pd.DataFrame) -> dict[str, tuple[float, float]] | None:
    """The qualitative bands the framework sets (in percent), as shares; one set for all leaves."""
    given = [b for b in tree["bands"] if b]
    if not given:
        return None
    first = {k: tuple(v) for k, v in given[0].items()}
    if any({k: tuple(v) for k, v in b.items()} != first for b in given):
        raise InputError("事前评估框架各指标的定性分档不一致",
                         "the ex-ante framework's qualitative bands differ between indicators",
                         field="framework")
    return {k: (lo / 100.0, hi / 100.0) for k, (lo, hi) in first.items()}


def _sheet_rows(sheets: pd.DataFrame, tree: pd.DataFrame) -> pd.DataFrame:
    _require(sheets, ("project", "indicator", "level"), ("评估打分表", "assessment sheet"))
    frame = sheets.reset_index(drop=True)
    known = pd.Index(tree["indicator"])
    at = known.get_indexer(frame["indicator"].astype(str))
    if (at < 0).any():
        i = int(np.flatnonzero(at < 0)[0])
        raise InputError(f"第 {i + 1} 行的评估要点 {frame['indicator'].iat[i]!r} 不在事前评估框架中",
                         f"row {i + 1}: {frame['indicator'].iat[i]!r} is not an indicator of the "
                         "ex-ante framework", row=i + 1, column="indicator")
    twice = frame.duplicated(["project", "indicator"]).to_numpy()
    if twice.any():
        i = int(np.flatnonzero(twice)[0])
        raise InputError(f"第 {i + 1} 行重复打分：{frame['project'].iat[i]} / "
                         f"{frame['indicator'].iat[i]}", f"row {i + 1} scores "
                         f"{frame['project'].iat[i]} / {frame['indicator'].iat[i]} twice",
                         row=i + 1, column="indicator")
    counts = frame.groupby("project", sort=False).size()
    short = counts[counts < len(tree)]
    if len(short):
        project = short.index[0]
        done = set(frame.loc[frame["project"] == project, "indicator"].astype(str))
        gap = [code for code in tree["indicator"] if code not in done]
        raise InputError(f"项目 {project} 缺少评估要点：{'、'.join(gap)}",
                         f"project {project} lacks assessment points: {', '.join(gap)}",
                         field="indicator")
    rows = tree.iloc[at].drop(columns="bands").reset_index(drop=True)
    rows["project"] = frame["project"].to_numpy()
    rows["direction"] = "定性"
    rows["target"] = np.nan
    rows["actual"] = np.nan
    rows["qualitative_level"] = frame["level"].to_numpy()
    if "score" in frame:
        rows["manual_score"] = pd.to_numeric(frame["score"], errors="coerce").to_numpy()
    return rows


def score_exante(
    sheets: pd.DataFrame,
    requests: pd.DataFrame,
    config: ExanteConfig | LifecycleConfig,
    *,
    proposals: pd.DataFrame | None = None,
    framework: LibraryVersion | None = None,
    round_to: float | None = None,
) -> ExanteAssessment:
    """Score ex-ante assessments on the five dimensions and conclude 支持 / 调整后支持 / 不予支持.

    Parameters
    ----------
    sheets
        One row per (project, assessment point): ``project``, ``indicator`` (a level-3 code of
        the ex-ante framework), ``level`` (达成 / 部分达成 / 未达成, i.e. 充分 / 基本充分 /
        不充分) and optionally ``score`` (the assessor's points inside the level's band).
    requests
        ``project`` and ``amount`` (requested yuan) of every assessed project.
    config
        The lifecycle settings (or their ``exante`` part).
    proposals
        Optional ``project``, ``proposed_amount``: the amount the assessors propose for a
        调整后支持 request; without one, the request is cut by ``adjust_share``.
    framework
        The ex-ante framework; by default the shipped one named in the settings.
    round_to
        Cuts are rounded half up to a multiple of this many yuan (the settings' unit by default,
        100 yuan when only the ``exante`` part is given).

    Returns
    -------
    ExanteAssessment
        Totals, dimension scores, outcome and the budget change of every assessed project.

    Raises
    ------
    InputError
        An unknown point, a point scored twice, a project lacking points, a request missing, or
        any error of :func:`scoring.project.score_projects`.

    Notes
    -----
    Each point earns a share of its weight by level (达成 80–100 %, 部分达成 60–80 %, 未达成
    0–60 %, the framework's bands; the midpoint without a manual score); the total of 100 is
    graded by the outcome bands (default ≥ 80 支持, ≥ 60 调整后支持, else 不予支持). A dimension
    scoring below ``dimension_floor_share`` of its weight caps the outcome at the middle band, as
    a veto gate (cf. US PART's "Results Not Demonstrated", OMB 2004). Cut: 0 for 支持; the request
    less the proposed amount (or ``adjust_share`` of it) for 调整后支持; the whole request for
    不予支持. Dimensions: 中发〔2018〕34号 (立项必要性、投入经济性、绩效目标合理性、实施方案可行性、
    筹资合规性).

    Examples
    --------
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> framework = load_builtin("national-exante")
    >>> codes = [leaf.code for leaf in framework.leaves()]
    >>> sheets = pd.DataFrame({"project": "A", "indicator": codes, "level": "达成"})
    >>> result = score_exante(sheets, pd.DataFrame({"project": ["A"], "amount": [2e6]}),
    ...                       load_lifecycle_config())
    >>> result.results[["total", "outcome", "cut"]].values.tolist()
    [[90.0, '支持', 0.0]]
    """
    c, ref = _exante(config)
    if round_to is None:
        round_to = config.round_to if isinstance(config, LifecycleConfig) else 100.0
    framework = framework or load_builtin(c.framework)
    tree = _tree(framework)
    rows = _sheet_rows(sheets, tree)
    _require(requests, ("project", "amount"), ("预算申请表", "requests"))
    bands = _bands(tree)
    extra = {"qualitative_bands": bands} if bands else {}
    scored = score_projects(rows, budget_weight=0.0, total_weight=None,
                            library_version=framework.ref, weight_set="framework",
                            bands=c.outcome_bands, **extra)
    totals = scored.totals
    dims = scored.subtotals[scored.subtotals["level"] == 1]
    # A dimension below its floor caps the outcome at the middle band (a veto gate).
    low = dims["points"].to_numpy() < c.dimension_floor_share * dims["max_points"].to_numpy() - 1e-9
    below = totals["project"].isin(dims.loc[low, "project"]).to_numpy()
    labels = c.outcome_bands.labels
    outcome = cap_grades(totals["grade"].to_numpy(), labels[1], c.outcome_bands, where=below)
    wide = dims.pivot_table(index="project", columns="code", values="points", observed=True,
                            sort=False)
    out = pd.DataFrame({"project": totals["project"], "total": totals["total"]})
    out = out.join(wide, on="project")
    out["outcome_before_floor"] = totals["grade"].to_numpy()
    out["below_floor"] = below
    out["outcome"] = outcome
    request = requests.drop_duplicates("project").set_index("project")["amount"]
    out["request"] = request.reindex(out["project"]).to_numpy(dtype=float)
    if np.isnan(out["request"]).any():
        missing = out.loc[np.isnan(out["request"]), "project"].iloc[0]
        raise InputError(f"项目 {missing} 有评估打分但没有预算申请",
                         f"project {missing} has an assessment but no request", field="requests")
    proposed = np.full(len(out), np.nan)
    if proposals is not None:
        _require(proposals, ("project", "proposed_amount"), ("建议金额表", "proposals"))
        given = proposals.drop_duplicates("project", keep="last").set_index("project")
        proposed = pd.to_numeric(given["proposed_amount"], errors="coerce").reindex(
            out["project"]).to_numpy(dtype=float)
    out["proposed_amount"] = proposed
    asked = out["request"].to_numpy()
    adjusted_cut = np.where(np.isnan(proposed), asked * c.adjust_share,
                            np.clip(asked - proposed, 0.0, None))
    adjusted_cut = np.minimum(round_money(adjusted_cut, round_to), asked)
    out["cut"] = np.select([outcome == labels[0], outcome == labels[1]], [0.0, adjusted_cut],
                           default=asked)
    out["approved_amount"] = out["request"] - out["cut"]
    return ExanteAssessment(
        results=out, framework=framework.ref, band_table=c.outcome_bands.describe(), config=ref,
        constants={"dimension_floor_share": c.dimension_floor_share,
                   "adjust_share": c.adjust_share, "round_to": round_to,
                   "qualitative_bands": bands or "rules default"},
    )
