"""What a group AHP survey yields: group priorities per node, consensus, members' CRs, weights.

For every node of the survey's tree, the submitted members' matrices (blank comparisons
completed by Harker's method) are aggregated with :func:`scoring.ahp.aggregate` — judgments
(AIJ) or priorities (AIP) — with equal, authority (each member's Cr from the survey's Delphi
round) or hand-set expert weights, leaving out the matrices staff excluded. Each member's CR
is reported beside the group's priorities and the group's consensus (Kendall's W of the
members' priorities). The local priorities become global weights by hierarchic composition
(:func:`scoring.ahp.global_weights`), and :func:`save_weights` writes them, rounded so that every
parent still equals the sum of its children, into a draft library version. Staff only: the
members' judgments never leave the store otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session, select, update

from indicators.errors import ConflictError, InputError
from indicators.frontdoor import Viewer
from indicators.model import ChangelogEntry, LibraryVersion, Status
from indicators.store import get_library, save_library, update_draft
from indicators.versioning import reweight, start_draft
from review.access import audit, require_staff
from review.agreement import kendall_w
from review.ahp_survey_judgments import parse_pair
from review.ahp_survey_store import survey_row
from review.ahp_survey_tables import (
    AhpExclusionRow,
    AhpJudgmentRow,
    AhpMemberRow,
    AhpNode,
    AhpSurveyRow,
    MemberStatus,
    survey_nodes,
)
from review.delphi_access import json_ready
from review.delphi_results import expert_authority
from review.tables import UserRow
from scoring.ahp import aggregate, global_weights, priorities
from scoring.weight_sets import judgment_matrix, split_weight

__all__ = ["NodeResult", "SurveyResult", "WEIGHTINGS", "save_weights", "survey_result"]

WEIGHTINGS: tuple[str, ...] = ("equal", "authority", "manual")
"""How members are weighed: equally, by their Delphi authority coefficient Cr, or by hand."""


@dataclass(frozen=True)
class NodeResult:
    """The group's priorities of one node's children and how the members stood.

    Attributes
    ----------
    key, name, codes, names
        The node ("" for the first level) and its children.
    weights
        Group local priorities by child code (sum 1); NaN when no member's matrix is usable.
    group_cr
        CR of the aggregated matrix (AIJ only; None for AIP).
    consensus, consensus_p, consensus_note
        Kendall's W of the included members' priorities, its χ² p-value, and why it is NaN
        when it is undefined (fewer than two members, all ties).
    members
        One row per submitted member: ``user_id``, ``username``, ``display_name``,
        ``answered`` (a usable matrix), ``n_missing``, ``cr``, ``acceptable`` (CR < 0.10),
        ``excluded``, ``reason``, ``weight`` (normalised expert weight if included), and one
        column per child code with the member's own priority.
    """

    key: str
    name: str
    codes: tuple[str, ...]
    names: tuple[str, ...]
    weights: pd.Series
    group_cr: float | None
    consensus: float
    consensus_p: float
    consensus_note: str
    members: pd.DataFrame

    @property
    def complete(self) -> bool:
        """Whether the node has group priorities."""
        return bool(self.weights.notna().all())


@dataclass(frozen=True)
class SurveyResult:
    """A survey's aggregation, node by node, and the global weights it gives.

    Attributes
    ----------
    survey_id, title, library_ref
        The survey.
    method, weighting
        ``"AIJ"``/``"AIP"`` and ``"equal"``/``"authority"``/``"manual"``.
    priority_method, ri_table
        As the survey set them.
    nodes
        One :class:`NodeResult` per compared node, first level first.
    local
        Local weight of every indicator among its siblings (1 for an only child); NaN under
        a node without group priorities.
    global_weights
        Global weights summing to 100 over the first level (NaN while incomplete).
    expert_weights
        The members' raw weights by user id, before normalisation per node.
    overrides
        Nodes whose local weights were set from outside (e.g. combined with entropy).
    """

    survey_id: int
    title: str
    library_ref: str
    method: str
    weighting: str
    priority_method: str
    ri_table: str
    nodes: tuple[NodeResult, ...]
    local: pd.Series
    global_weights: pd.Series
    expert_weights: pd.Series
    overrides: Mapping[str, Mapping[str, float]]

    @property
    def complete(self) -> bool:
        """Whether every node has group priorities, so weights can be saved."""
        return all(n.complete for n in self.nodes) and bool(self.global_weights.notna().all())


def _connected(known: np.ndarray) -> np.ndarray:
    """Whether each matrix's given comparisons connect all its criteria (stack axis first)."""
    n = known.shape[-1]
    reach = known | np.eye(n, dtype=bool)
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))))):
        reach = (reach.astype(np.int64) @ reach.astype(np.int64)) > 0
    return reach.all(axis=(-1, -2))


def _expert_weights(session: Session, row: AhpSurveyRow, users: list[UserRow], weighting: str,
                    manual: Mapping[int, float] | None, by: Viewer) -> pd.Series:
    ids = [int(u.id) for u in users]
    if weighting == "equal":
        return pd.Series(1.0, index=ids, dtype=float)
    if weighting == "authority":
        if row.delphi_round_id is None:
            raise InputError("问卷没有关联德尔菲轮次，无法按权威系数加权",
                             "the survey names no Delphi round to take authority from",
                             field="weighting")
        cr = expert_authority(session, round_id=int(row.delphi_round_id), by=by).reindex(ids)
    else:
        given = {int(k): v for k, v in (manual or {}).items()}
        cr = pd.Series([given.get(i) for i in ids], index=ids, dtype=float)
    bad = cr.isna() | (cr < 0)
    if bad.any():
        who = next(u.username for u in users if int(u.id) == int(cr.index[bad.to_numpy()][0]))
        raise InputError(f"专家 {who} 没有可用的权重", f"member {who} has no usable weight",
                         field="manual_weights" if weighting == "manual" else "weighting")
    return cr


def _latest_exclusions(session: Session, survey_id: int) -> dict[tuple[int, str], tuple[bool,
                                                                                        str]]:
    decisions = session.exec(select(AhpExclusionRow).where(
        AhpExclusionRow.survey_id == survey_id).order_by(AhpExclusionRow.id)).all()
    return {(int(d.user_id), d.node_key): (bool(d.excluded), d.reason) for d in decisions}


def _node_result(node: AhpNode, users: list[UserRow], stored: Mapping[tuple[int, str],
                 Mapping[str, float]], lam: pd.Series, exclusions: Mapping[tuple[int, str],
                 tuple[bool, str]], method: str, options: Mapping[str, str]) -> NodeResult:
    n = len(node.codes)
    order = {c: k for k, c in enumerate(node.codes)}
    stack = np.stack([judgment_matrix(n, {
        (order[a], order[b]): float(v) for a, b, v in (
            (*parse_pair(key), value) for key, value in stored.get((int(u.id), node.key),
                                                                  {}).items())})
        for u in users]) if users else np.empty((0, n, n))
    usable = _connected(~np.isnan(stack)) if len(users) else np.zeros(0, dtype=bool)
    decided = [exclusions.get((int(u.id), node.key), (False, "")) for u in users]
    excluded = np.array([d[0] for d in decided], dtype=bool)
    included = usable & ~excluded
    members = pd.DataFrame({
        "user_id": [int(u.id) for u in users], "username": [u.username for u in users],
        "display_name": [u.display_name for u in users], "answered": usable,
        "n_missing": np.triu(np.isnan(stack), 1).sum(axis=(-1, -2)) if len(users) else [],
        "cr": np.nan, "acceptable": False, "excluded": excluded,
        "reason": [d[1] for d in decided], "weight": np.nan})
    for code in node.codes:
        members[code] = np.nan
    weights = pd.Series(np.nan, index=list(node.codes), dtype=float)
    group_cr, w_value, w_p, note = None, float("nan"), float("nan"), ""
    if usable.any():
        own = priorities(stack[usable], method=options["priority_method"],
                         ri=options["ri"], missing="harker")
        members.loc[usable, "cr"] = np.asarray(own.cr, dtype=float)
        members.loc[usable, "acceptable"] = np.asarray(own.acceptable, dtype=bool)
        members.loc[usable, list(node.codes)] = np.asarray(own.weights)
    if included.any():
        lam_k = lam.reindex(members.loc[included, "user_id"]).to_numpy(dtype=float)
        group = aggregate(stack[included], method=method, expert_weights=lam_k,
                          priority_method=options["priority_method"], ri=options["ri"],
                          missing="harker")
        weights = pd.Series(np.asarray(group.weights, dtype=float), index=list(node.codes))
        members.loc[included, "weight"] = group.expert_weights
        group_cr = None if group.group is None else float(group.group.cr)
        try:
            concordance = kendall_w(members.loc[included, list(node.codes)].to_numpy().T)
        except InputError as err:
            note = f"{err.zh} / {err.en}"
        else:
            w_value, w_p = float(concordance.value), float(concordance.p_value)
    else:
        note = "没有可用的判断矩阵 / no usable matrix"
    return NodeResult(key=node.key, name=node.name, codes=node.codes, names=node.names,
                      weights=weights, group_cr=group_cr, consensus=w_value, consensus_p=w_p,
                      consensus_note=note, members=members)


def _checked_overrides(nodes: tuple[AhpNode, ...], overrides: Mapping[str, Mapping[str, float]]
                       ) -> dict[str, dict[str, float]]:
    by_key = {n.key: n for n in nodes}
    out = {}
    for key, weights in overrides.items():
        node = by_key.get(key)
        values = pd.Series(dict(weights), dtype=float)
        if node is None or set(values.index) != set(node.codes):
            raise InputError(f"替换权重须恰好给出节点 {key or '一级指标'} 的下级指标",
                             f"replacement weights must name exactly the children of "
                             f"{key or 'the first level'}", field="overrides")
        if not np.isfinite(values).all() or (values < 0).any() or values.sum() <= 0:
            raise InputError("替换权重须为非负数且和为正", "replacement weights must be "
                             "non-negative with a positive sum", field="overrides")
        out[key] = (values / values.sum()).reindex(node.codes).to_dict()
    return out


def survey_result(session: Session, *, survey_id: int, method: str = "AIJ",
                  weighting: str = "equal", manual_weights: Mapping[int, float] | None = None,
                  overrides: Mapping[str, Mapping[str, float]] | None = None,
                  by: Viewer) -> SurveyResult:
    """Aggregate a survey's submitted judgments, node by node, into global weights (staff only).

    Parameters
    ----------
    session
        An open session.
    survey_id
        The survey.
    method
        ``"AIJ"`` (aggregate judgments, weighted geometric mean) or ``"AIP"`` (aggregate
        priorities, weighted geometric mean).
    weighting
        ``"equal"``, ``"authority"`` (each member's Cr in the survey's Delphi round) or
        ``"manual"``.
    manual_weights
        User id → weight, for ``"manual"``.
    overrides
        Node key → {child code: weight}: local weights set from outside (for example AHP
        combined with entropy weights); recorded in the result.
    by
        Admin or finance staff.

    Returns
    -------
    SurveyResult

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    InputError
        Unknown method or weighting, a member without a usable weight, bad overrides.

    Notes
    -----
    Blank comparisons are completed by Harker's (1987) method, for the members and, under
    AIJ, for the aggregated matrix (Forman & Peniwati 1998, EJOR 108(1), 165-169, on AIJ and
    AIP). A member's matrix counts at a node when his comparisons connect all its children
    and staff did not exclude it; expert weights are renormalised over the members counted
    there. Consensus is Kendall's W of the counted members' priorities (Kendall & Babington
    Smith 1939). Global weights multiply local weights down the tree (Saaty 1980).

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s, answered=True)
    ...     result = survey_result(s, survey_id=tiny.survey_id, by=tiny.staff)
    >>> round(float(result.global_weights[["CC", "XY", "MY"]].sum()), 6), result.complete
    (100.0, True)
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    if method not in ("AIJ", "AIP"):
        raise InputError(f"未知的集结方法 {method!r}，可选 AIJ、AIP",
                         f"unknown aggregation {method!r}; use AIJ or AIP", field="method")
    if weighting not in WEIGHTINGS:
        raise InputError(f"未知的专家权重方式 {weighting!r}", f"unknown expert weighting "
                         f"{weighting!r}", field="weighting")
    row = survey_row(session, survey_id)
    users = [u for _, u in session.exec(select(AhpMemberRow, UserRow).join(
        UserRow, UserRow.id == AhpMemberRow.user_id).where(
        AhpMemberRow.survey_id == row.id,
        AhpMemberRow.status == MemberStatus.SUBMITTED.value).order_by(UserRow.username)).all()]
    lam = _expert_weights(session, row, users, weighting, manual_weights, by)
    stored = {(int(j.user_id), j.node_key): dict(j.judgments or {})
              for j in session.exec(select(AhpJudgmentRow).where(
                  AhpJudgmentRow.survey_id == row.id))}
    exclusions = _latest_exclusions(session, int(row.id))
    options = {"priority_method": row.priority_method, "ri": row.ri_table}
    nodes = survey_nodes(row.indicators)
    results = tuple(_node_result(node, users, stored, lam, exclusions, method, options)
                    for node in nodes)
    replaced = _checked_overrides(nodes, overrides or {})
    codes = [i["code"] for i in row.indicators]
    local = pd.Series(1.0, index=codes, dtype=float)
    for node in results:
        local[list(node.codes)] = (pd.Series(replaced[node.key]) if node.key in replaced
                                   else node.weights).reindex(node.codes).to_numpy()
    parents = {i["code"]: i.get("parent") for i in row.indicators}
    if local.notna().all():
        weights = global_weights(local, parents, total=100.0)
    else:
        weights = pd.Series(np.nan, index=codes, dtype=float)
    return SurveyResult(survey_id=int(row.id), title=row.title, library_ref=row.library_ref,
                        method=method, weighting=weighting,
                        priority_method=row.priority_method, ri_table=row.ri_table,
                        nodes=results, local=local, global_weights=weights,
                        expert_weights=lam, overrides=replaced)


def _rounded(indicators: list[dict[str, Any]], local: pd.Series) -> dict[str, float]:
    """Weights to two decimals, first level summing to 100 and children to their parent."""
    children: dict[str | None, list[str]] = {}
    for i in indicators:
        children.setdefault(i.get("parent") or None, []).append(i["code"])
    out: dict[str, float] = {}
    for parent in [None, *(i["code"] for i in indicators)]:
        kids = children.get(parent)
        if not kids:
            continue
        total = 100.0 if parent is None else out[parent]
        out.update(zip(kids, split_weight(total, local[kids].tolist()), strict=True))
    return out


def save_weights(session: Session, *, survey_id: int, method: str = "AIJ",
                 weighting: str = "equal", manual_weights: Mapping[int, float] | None = None,
                 overrides: Mapping[str, Mapping[str, float]] | None = None, note: str = "",
                 new_version: str | None = None, by: Viewer) -> LibraryVersion:
    """Save a survey's synthesised global weights as the weights of a draft library version.

    Parameters
    ----------
    session
        An open session. The library write commits it, together with the survey's record of
        the settings (one transaction).
    survey_id
        The survey.
    method, weighting, manual_weights, overrides
        As in :func:`survey_result`, recomputed here so what is saved is what they give.
    note
        Words added to the changelog line (e.g. how overriding weights were combined).
    new_version
        The draft's version when the survey's library version is published (default: next
        minor); a draft is edited in place.
    by
        Admin or finance staff.

    Returns
    -------
    LibraryVersion
        The stored draft with the new weights and a changelog line naming the survey, the
        method, the expert weighting and the exclusions.

    Raises
    ------
    InputError
        A node without group priorities.
    ConflictError
        The library version's tree changed since the survey was created, or the new version
        exists already.

    Notes
    -----
    Weights are rounded to two decimals top-down by largest remainders
    (:func:`scoring.weight_sets.split_weight`), so the first level sums to exactly 100 and
    every parent to the sum of its children, then written with
    :func:`indicators.versioning.reweight` and stored through the library store.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s, answered=True)
    ...     draft = save_weights(s, survey_id=tiny.survey_id, by=tiny.staff)
    >>> draft.ref, round(sum(i.weight for i in draft.children(None)), 2)
    ('ahp-demo@1.1.0', 100.0)
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    result = survey_result(session, survey_id=survey_id, method=method, weighting=weighting,
                           manual_weights=manual_weights, overrides=overrides, by=by)
    if not result.complete:
        missing = next(n for n in result.nodes if not n.complete)
        raise InputError(f"节点 {missing.name or '一级指标'} 还没有可用的群组判断",
                         f"node {missing.key or '(first level)'} has no usable group judgments",
                         field="survey_id")
    row = survey_row(session, survey_id)
    base = get_library(session, ref=row.library_ref)
    if [(i.code, i.parent) for i in base.indicators] != [
            (i["code"], i.get("parent")) for i in row.indicators]:
        raise ConflictError(f"{base.ref} 的指标结构在问卷创建后改变了，权重无法对应",
                            f"the tree of {base.ref} changed since the survey was created",
                            field="library_ref")
    draft = base if base.status is Status.DRAFT else start_draft(
        base, new_version=new_version, author=actor.display_name)
    excluded = [(m["username"], n.key or "一级") for n in result.nodes
                for m in n.members.to_dict("records") if m["excluded"]]
    text = (f"群组 AHP 权重（问卷“{row.title}”，{method}，专家权重 {weighting}，"
            f"剔除 {'、'.join(f'{u}@{k}' for u, k in excluded) or '无'}）/ Group AHP weights "
            f"(survey '{row.title}', {method}, {weighting} expert weights, excluded "
            f"{', '.join(f'{u}@{k}' for u, k in excluded) or 'none'})")
    if result.overrides:
        text += f"；替换节点 / replaced nodes: {', '.join(k or '一级' for k in result.overrides)}"
    if note.strip():
        text += f"；{note.strip()}"
    updated = reweight(draft, _rounded(list(row.indicators), result.local))
    entry = ChangelogEntry(version=draft.version, text=text, author=actor.display_name,
                           date=datetime.now(UTC).date().isoformat())
    updated = replace(updated, changelog=(*updated.changelog, entry))
    settings = {"method": method, "weighting": weighting, "draft_ref": updated.ref,
                "manual_weights": {str(k): v for k, v in (manual_weights or {}).items()},
                "overrides": result.overrides, "excluded": excluded, "note": note.strip()}
    session.exec(update(AhpSurveyRow).where(AhpSurveyRow.id == row.id).values(
        saved_ref=updated.ref, saved_settings=json_ready(settings),
        version=AhpSurveyRow.version + 1))
    audit(session, actor=actor, entity="ahp_survey", entity_id=int(row.id),
          action="save_weights", new=json_ready(settings))
    session.flush()
    if base.status is Status.DRAFT:
        return update_draft(session, version=updated)
    return save_library(session, version=updated)
