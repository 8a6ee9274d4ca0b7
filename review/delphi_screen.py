"""What a Delphi round decides: screening, the proposed library, feedback and the paper tables.

Screening reads :func:`review.delphi.indicator_statistics` by fixed thresholds or by the
cut-off method (DOMAIN.md §5) and proposes, per indicator, keep / revise / drop with the
reasons. :func:`proposed_library` turns the proposal into a new draft library version whose
changelog cites the round; a person still decides, so overrides are accepted and nothing is
published here. :func:`group_feedback` is what experts see before the next round, and
:func:`paper_tables` lays the round out as research papers report it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import ConflictError, InputError
from indicators.model import ChangelogEntry, LibraryVersion, Status
from indicators.versioning import remove_indicator, start_draft
from review.delphi import DelphiRound, indicator_statistics, ratings_frame

__all__ = [
    "DECISIONS",
    "Feedback",
    "Screening",
    "group_feedback",
    "paper_tables",
    "proposed_library",
    "screen",
]

#: Decisions a screening proposes, with their Chinese labels.
DECISIONS: Mapping[str, str] = MappingProxyType({"keep": "保留", "revise": "修改", "drop": "删除"})

_METHODS = {"threshold": "界值法（固定阈值）", "cutoff": "界值法（均数±标准差）"}


@dataclass(frozen=True)
class Screening:
    """A proposed change list: one decision per indicator, with the reasons.

    Attributes
    ----------
    table
        Indexed by indicator: ``mean``, ``cv``, ``full_score_ratio``, one ``*_ok`` column per
        criterion used, ``decision`` (keep/revise/drop), ``decision_zh``, ``reason_zh`` and
        ``reason_en``.
    method
        ``"threshold"`` or ``"cutoff"``.
    cutoffs
        The bounds applied: ``min_mean``, ``max_cv`` and ``min_full_score`` (None if unused).
    drop_when
        ``"all"``: drop only when every criterion fails, revise when some do; ``"any"``: drop
        when any fails.
    round_label
        The round screened.
    """

    table: pd.DataFrame
    method: str
    cutoffs: Mapping[str, float | None]
    drop_when: str
    round_label: str

    def codes(self, decision: str) -> tuple[str, ...]:
        """Indicator codes with one decision.

        Parameters
        ----------
        decision
            ``"keep"``, ``"revise"`` or ``"drop"``.

        Returns
        -------
        tuple of str
            The codes, in the order of the screened table.

        Examples
        --------
        >>> stats = pd.DataFrame({"mean": [4.6, 3.1], "cv": [0.1, 0.4],
        ...                       "full_score_ratio": [0.7, 0.1]}, index=["A1", "A2"])
        >>> screen(stats).codes("drop")
        ('A2',)
        """
        return tuple(self.table.index[self.table["decision"] == decision])


def screen(statistics: DelphiRound | pd.DataFrame, *, method: str = "threshold",
           min_mean: float = 3.5, max_cv: float = 0.25, min_full_score: float | None = None,
           drop_when: str = "all", round_label: str | None = None) -> Screening:
    """Screen indicators by fixed thresholds or by the cut-off method.

    Parameters
    ----------
    statistics
        A :class:`~review.delphi.DelphiRound` or the table of
        :func:`~review.delphi.indicator_statistics`.
    method
        ``"threshold"``: keep when mean ≥ ``min_mean`` and CV ≤ ``max_cv`` (and full-score
        ratio ≥ ``min_full_score`` if given). ``"cutoff"``: keep when the mean and the
        full-score ratio are above their mean − SD over all indicators and the CV below its
        mean + SD.
    min_mean, max_cv, min_full_score
        The fixed thresholds (ignored by the cut-off method).
    drop_when
        ``"all"`` (default): drop an indicator only when it fails every criterion and propose
        a revision when it fails some; ``"any"``: drop it when it fails any.
    round_label
        The round's name (taken from a DelphiRound when not given).

    Returns
    -------
    Screening
        The decisions with their reasons and the bounds used.

    Raises
    ------
    InputError
        Unknown method or drop rule.

    Notes
    -----
    Fixed thresholds (mean ≥ 3.5, CV ≤ 0.25) and the cut-off method (界值 = 均数 − 标准差 for
    the mean and the full-score ratio, 均数 + 标准差 for the CV, computed over the indicators'
    values with the sample SD) are the research conventions of DOMAIN.md §5; see 王春枝 &
    斯琴 (2011, 内蒙古财经学院学报 (4)). Thresholds include their bound; cut-offs are strict
    ("above", "below"). An undefined CV (one rating) fails its criterion.

    Examples
    --------
    >>> stats = pd.DataFrame({"mean": [4.6, 3.1], "cv": [0.1, 0.4],
    ...                       "full_score_ratio": [0.7, 0.1]}, index=["A1", "A2"])
    >>> screen(stats).table["decision"].tolist()
    ['keep', 'drop']
    """
    if method not in _METHODS:
        raise InputError(f"未知的筛选方法 {method!r}，可选：threshold、cutoff",
                         f"unknown screening method {method!r}; use threshold or cutoff",
                         field="method")
    if drop_when not in ("all", "any"):
        raise InputError(f"未知的删除规则 {drop_when!r}，可选：all、any",
                         f"unknown drop rule {drop_when!r}; use all or any", field="drop_when")
    label = round_label if round_label is not None else getattr(statistics, "label", "")
    table = statistics.indicators if isinstance(statistics, DelphiRound) else statistics
    mean, cv, full = (table[c].astype(float) for c in ("mean", "cv", "full_score_ratio"))
    if method == "cutoff":
        bounds = {"min_mean": float(mean.mean() - mean.std(ddof=1)),
                  "max_cv": float(cv.mean() + cv.std(ddof=1)),
                  "min_full_score": float(full.mean() - full.std(ddof=1))}
        checks = {"mean": mean > bounds["min_mean"], "cv": cv < bounds["max_cv"],
                  "full_score_ratio": full > bounds["min_full_score"]}
    else:
        bounds = {"min_mean": float(min_mean), "max_cv": float(max_cv),
                  "min_full_score": None if min_full_score is None else float(min_full_score)}
        checks = {"mean": mean >= min_mean, "cv": cv <= max_cv}
        if min_full_score is not None:
            checks["full_score_ratio"] = full >= min_full_score
    passed = pd.DataFrame(checks)
    failed = (~passed).sum(axis=1).to_numpy()
    everything = failed == passed.shape[1]
    decision = np.where(failed == 0, "keep",
                        np.where(everything | ((drop_when == "any") & (failed > 0)),
                                 "drop", "revise"))
    words = {"mean": ("均值", "mean", "低于", "below", "min_mean"),
             "cv": ("变异系数", "CV", "高于", "above", "max_cv"),
             "full_score_ratio": ("满分比", "full-score ratio", "低于", "below",
                                  "min_full_score")}
    zh_parts, en_parts = [], []
    for name in passed.columns:
        zh, en, rel_zh, rel_en, bound = words[name]
        value = table[name].astype(float).map("{:.3f}".format)
        limit = f"{bounds[bound]:.3f}"
        fails = ~passed[name]
        zh_parts.append(np.where(fails, f"{zh} " + value + f" {rel_zh}界值 {limit}", ""))
        en_parts.append(np.where(fails, f"{en} " + value + f" {rel_en} {limit}", ""))

    def joined(parts: list[np.ndarray], sep: str) -> pd.Series:
        text = pd.Series(parts[0], index=table.index, dtype=object)
        for part in parts[1:]:
            text = text + sep + part
        return text.str.replace(f"({sep})+", sep, regex=True).str.strip(sep)

    out = pd.DataFrame({"mean": mean, "cv": cv, "full_score_ratio": full}, index=table.index)
    for name in passed.columns:
        out[f"{name}_ok"] = passed[name].to_numpy()
    out["decision"] = decision
    out["decision_zh"] = pd.Series(decision, index=table.index).map(DECISIONS)
    out["reason_zh"] = joined(zh_parts, "；").replace("", "各项均达标")
    out["reason_en"] = joined(en_parts, "; ").replace("", "meets every criterion")
    return Screening(table=out, method=method, cutoffs=MappingProxyType(bounds),
                     drop_when=drop_when, round_label=str(label))


def proposed_library(draft_of: LibraryVersion, screening: Screening,
                     round_label: str | None = None, *,
                     overrides: Mapping[str, str] | None = None, author: str = "",
                     at: datetime | None = None,
                     new_version: str | None = None) -> LibraryVersion:
    """The draft library version a screening proposes, its changelog citing the round.

    Parameters
    ----------
    draft_of
        A published (or retired) version, from which a new draft is started, or a draft,
        which is edited.
    screening
        The proposal; its indicator codes must be codes of the library.
    round_label
        The round cited in the changelog (default: the screening's).
    overrides
        Code → decision, where the panel or the bureau decided otherwise.
    author, at
        Who and when, for the changelog.
    new_version
        The draft's version (default: next minor of a published base).

    Returns
    -------
    LibraryVersion
        A draft without the dropped indicators (and their subtrees); revised ones are kept
        and listed in the changelog.

    Raises
    ------
    InputError
        A screened code not in the library, or an unknown override.
    ConflictError
        An indicator is dropped while one of its sub-indicators is kept or revised.

    Notes
    -----
    Drafting and removal go through :func:`indicators.versioning.start_draft` and
    :func:`indicators.versioning.remove_indicator`, so the published base stays as it was.
    Weights are not rebalanced: :func:`indicators.versioning.publish` checks the sums.

    Examples
    --------
    >>> from indicators.model import Indicator
    >>> v1 = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                     (Indicator("A1", "甲", 1), Indicator("A2", "乙", 1)),
    ...                     status="published")
    >>> stats = pd.DataFrame({"mean": [4.6, 3.1], "cv": [0.1, 0.4],
    ...                       "full_score_ratio": [0.7, 0.1]}, index=["A1", "A2"])
    >>> draft = proposed_library(v1, screen(stats), "第1轮")
    >>> [i.code for i in draft.indicators], draft.changelog[-1].text.split("：")[0]
    (['A1'], '德尔菲第1轮筛选（界值法（固定阈值））')
    """
    label = screening.round_label if round_label is None else str(round_label)
    decisions = screening.table["decision"].astype(str).copy()
    for code, decision in (overrides or {}).items():
        if decision not in DECISIONS:
            raise InputError(f"指标 {code}：未知的决定 {decision!r}，可选：keep、revise、drop",
                             f"indicator {code}: unknown decision {decision!r}; use keep, "
                             "revise or drop", field=f"overrides.{code}")
        decisions[str(code)] = decision
    unknown = [c for c in decisions.index if c not in draft_of.by_code]
    if unknown:
        raise InputError(f"指标库 {draft_of.ref} 中没有指标 {'、'.join(unknown[:5])}",
                         f"library {draft_of.ref} has no indicator {', '.join(unknown[:5])}",
                         field="screening")
    dropped = set(decisions.index[decisions == "drop"])
    retained = set(decisions.index[decisions != "drop"])
    for code in dropped:
        below = _descendants(draft_of, code) & retained
        if below:
            raise ConflictError(f"建议删除指标 {code}，但其下级 {'、'.join(sorted(below))} 被保留",
                                f"indicator {code} is to be dropped but its sub-indicators "
                                f"{', '.join(sorted(below))} are kept", field=f"{code}.code")
    draft = draft_of if draft_of.status is Status.DRAFT else start_draft(
        draft_of, new_version=new_version, author=author, at=at)
    for ind in draft_of.indicators:
        if ind.code in dropped and ind.code in draft.by_code:
            draft = remove_indicator(draft, ind.code, cascade=True)
    revise = [c for c in decisions.index if decisions[c] == "revise"]
    kept = int((decisions != "drop").sum())
    removed = [i.code for i in draft_of.indicators if i.code in dropped]
    method_zh = _METHODS[screening.method]
    text = (f"德尔菲{label}筛选（{method_zh}）：删除 {'、'.join(removed) or '无'}；"
            f"待修改 {'、'.join(revise) or '无'}；保留 {kept} 项 / Delphi {label} screening "
            f"({screening.method}): removed {', '.join(removed) or 'none'}; to revise "
            f"{', '.join(revise) or 'none'}; {kept} kept")
    when = at if at is not None else datetime.now(UTC)
    entry = ChangelogEntry(version=draft.version, text=text, author=author,
                           date=when.date().isoformat())
    return replace(draft, changelog=(*draft.changelog, entry))


def _descendants(version: LibraryVersion, code: str) -> set[str]:
    found: set[str] = set()
    frontier = [code]
    while frontier:
        frontier = [child.code for parent in frontier for child in version.children(parent)]
        found.update(frontier)
    return found


@dataclass(frozen=True)
class Feedback:
    """What each expert sees before the next round.

    Attributes
    ----------
    group
        Indexed by indicator: ``n``, ``mean``, ``sd``, ``median``, ``full_score_ratio``.
    by_expert
        One row per expert and indicator: ``expert``, ``indicator``, ``own_rating`` (NaN if
        left blank), ``group_mean``, ``group_median``, ``group_sd``, ``difference``
        (own − group mean).
    round_label
        The round fed back.
    """

    group: pd.DataFrame
    by_expert: pd.DataFrame
    round_label: str


def group_feedback(ratings: DelphiRound | Any, *, round_label: str | None = None,
                   scale: tuple[float, float] = (1, 5)) -> Feedback:
    """The group's ratings and each expert's own rating, for the next round's questionnaire.

    Parameters
    ----------
    ratings
        A :class:`~review.delphi.DelphiRound` or an experts × indicators table.
    round_label
        The round fed back.
    scale
        Rating scale.

    Returns
    -------
    Feedback
        Group summary per indicator and the long table of own versus group ratings.

    Notes
    -----
    Controlled feedback of the group's statistical response, each panellist seeing his own
    earlier answer beside it, is what makes a Delphi iterate (Dalkey & Helmer 1963,
    Management Science 9(3), 458-467).

    Examples
    --------
    >>> fb = group_feedback(pd.DataFrame({"A1": [5, 3], "A2": [4, 4]}, index=["张", "王"]))
    >>> row = fb.by_expert.iloc[0]
    >>> row["expert"], row["indicator"], float(row["own_rating"]), float(row["group_mean"])
    ('张', 'A1', 5.0, 4.0)
    """
    if isinstance(ratings, DelphiRound):
        frame, label, scale = ratings.ratings, ratings.label, ratings.scale
    else:
        frame, label = ratings_frame(ratings, scale=scale), ""
    label = label if round_label is None else str(round_label)
    stats = indicator_statistics(frame, scale=scale)
    group = stats[["n", "mean", "sd"]].assign(median=frame.median(axis=0),
                                              full_score_ratio=stats["full_score_ratio"])
    own = frame.rename_axis(index="expert", columns="indicator").stack(future_stack=True)
    long = own.rename("own_rating").reset_index()
    long = long.join(group[["mean", "median", "sd"]].add_prefix("group_"), on="indicator")
    long["difference"] = long["own_rating"] - long["group_mean"]
    return Feedback(group=group, by_expert=long, round_label=label)


def _p_text(p: float) -> str:
    if not np.isfinite(p):
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def paper_tables(rounds: DelphiRound | Sequence[DelphiRound], *,
                 experts: pd.DataFrame | None = None, screening: Screening | None = None,
                 names: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The round tables as Delphi papers print them, keyed by their Chinese titles.

    Parameters
    ----------
    rounds
        One round or several in order.
    experts
        Descriptive columns of the panel (性别, 年龄, 学历, 职称, 工作年限, …), one row per
        expert, for 专家基本情况.
    screening
        The screening of the last round, added to 指标得分.
    names
        Indicator code → name.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``专家基本情况`` (if ``experts``), ``积极系数``, ``权威系数`` (rounds with answers),
        ``指标得分`` (均值, 标准差, 变异系数, 满分比 per round) and ``协调系数`` (W, χ², P).

    Notes
    -----
    Means and SDs to 2 decimals, CV, full-score ratio, W and the coefficients to 3, χ² to 2
    and P as text (``<0.001``), the way Chinese Delphi papers print them; with several rounds
    the score columns are prefixed by the round label.

    Examples
    --------
    >>> from review.delphi import round_statistics
    >>> r = round_statistics(pd.DataFrame({"A1": [5, 4], "A2": [3, 3]}), label="第1轮")
    >>> sorted(paper_tables(r))
    ['协调系数', '指标得分', '权威系数', '积极系数']
    """
    series = [rounds] if isinstance(rounds, DelphiRound) else list(rounds)
    if not series:
        raise InputError("至少需要一轮", "need at least one round", field="rounds")
    tables: dict[str, pd.DataFrame] = {}
    if experts is not None:
        long = experts.astype(object).melt(var_name="项目", value_name="类别").dropna()
        long["类别"] = long["类别"].astype(str)
        counts = long.groupby(["项目", "类别"], sort=False).size().rename("人数").reset_index()
        totals = counts.groupby("项目", sort=False)["人数"].transform("sum")
        counts["构成比(%)"] = (counts["人数"] / totals * 100).round(2)
        tables["专家基本情况"] = counts
    tables["积极系数"] = pd.DataFrame({
        "轮次": [r.label for r in series], "发放问卷(份)": [r.invited for r in series],
        "回收有效问卷(份)": [r.responded for r in series],
        "积极系数(%)": [round(r.response_rate * 100, 2) for r in series]})
    authority = [(r.label, r.authority) for r in series if r.authority is not None]
    tables["权威系数"] = pd.DataFrame({
        "轮次": [label for label, _ in authority],
        "专家数": [a.n_experts for _, a in authority],
        "判断系数 Ca": [round(a.ca, 3) for _, a in authority],
        "熟悉程度 Cs": [round(a.cs, 3) for _, a in authority],
        "权威系数 Cr": [round(a.cr, 3) for _, a in authority],
        "Cr≥界值占比(%)": [round(a.share_authoritative * 100, 2) for _, a in authority]},
        columns=["轮次", "专家数", "判断系数 Ca", "熟悉程度 Cs", "权威系数 Cr", "Cr≥界值占比(%)"])
    order = list(dict.fromkeys(code for r in series for code in r.indicators.index))
    scores = pd.DataFrame(index=pd.Index(order, name="指标"))
    if names:
        scores["指标名称"] = pd.Series(names, dtype=object).reindex(scores.index)
    if "group" in series[-1].indicators:
        scores["所属层级"] = series[-1].indicators["group"].reindex(scores.index)
    columns = {"mean": ("均值", 2), "sd": ("标准差", 2), "cv": ("变异系数", 3),
               "full_score_ratio": ("满分比", 3)}
    for r in series:
        prefix = f"{r.label} " if len(series) > 1 else ""
        for key, (title, digits) in columns.items():
            scores[prefix + title] = r.indicators[key].reindex(scores.index).round(digits)
    if screening is not None:
        scores["筛选结果"] = screening.table["decision_zh"].reindex(scores.index)
        scores["说明"] = screening.table["reason_zh"].reindex(scores.index)
    tables["指标得分"] = scores.reset_index()
    rows = pd.concat([r.concordance.assign(轮次=r.label) for r in series], ignore_index=True)
    tables["协调系数"] = pd.DataFrame({
        "轮次": rows["轮次"], "范围": rows["scope"], "指标数": rows["n_indicators"],
        "专家数": rows["n_experts"], "W": rows["w"].round(3), "χ²": rows["chi2"].round(2),
        "自由度": rows["df"], "P": rows["p_value"].map(_p_text)})
    return tables
