"""Members' pairwise judgments in a group AHP survey, and staff's decisions to exclude them.

A member fills, node by node, the pairwise comparisons of its children on Saaty's scale,
leaving any comparison blank if he wishes, and submits once; every save and submit is a
compare-and-set on his version that also checks, in the same UPDATE, that the survey is open.
Staff may exclude a member's matrix at a node (or keep it), always with a reason; each decision
is appended, so the history stays. Blindness lives here: a member reads only his own judgments;
staff read all of them through :mod:`review.ahp_survey_results`. Functions flush; the caller
commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlmodel import Session, select, update

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.frontdoor import Viewer
from review.access import audit, require_staff
from review.ahp_survey_store import survey_row, visible_survey
from review.ahp_survey_tables import (
    AhpExclusionRow,
    AhpJudgmentRow,
    AhpMemberRow,
    AhpNode,
    AhpSurveyRow,
    MemberJudgments,
    MemberStatus,
    SurveyStatus,
    survey_nodes,
    survey_public,
)
from review.tables import UserRow, as_utc, utc_now
from scoring.weight_sets import scale_key

__all__ = [
    "exclusion_history",
    "my_judgments",
    "parse_pair",
    "save_judgments",
    "set_exclusion",
    "submit_judgments",
]


def _own_member(session: Session, survey_id: int,
                viewer: Viewer) -> tuple[AhpSurveyRow, UserRow, AhpMemberRow]:
    row, user = visible_survey(session, survey_id, viewer)
    member = session.get(AhpMemberRow, (row.id, user.id))
    if member is None:
        raise PermissionDeniedError("只有专家组成员可以填写判断",
                                    "only a panel member gives judgments", field="survey_id")
    return row, user, member


def parse_pair(key: str) -> tuple[str, str]:
    """A stored pair key ``"A|B"`` as ``("A", "B")``.

    Parameters
    ----------
    key
        The key as stored.

    Returns
    -------
    tuple of str

    Notes
    -----
    The first code is the one the judgment favours when it is above 1.

    Examples
    --------
    >>> parse_pair("CC1|CC2")
    ('CC1', 'CC2')
    """
    first, _, second = key.partition("|")
    return first, second


def my_judgments(session: Session, *, survey_id: int, by: Viewer) -> MemberJudgments:
    """A member's own judgments, node by node.

    Parameters
    ----------
    session
        An open session.
    survey_id
        A survey the member belongs to.
    by
        The member.

    Returns
    -------
    MemberJudgments
        Only ``by``'s own judgments, and the version the next save must expect.

    Raises
    ------
    PermissionDeniedError
        Not a member (staff included: they do not answer).

    Notes
    -----
    A blank comparison is absent from its node's mapping.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s, answered=True)
    ...     mine = my_judgments(s, survey_id=tiny.survey_id, by=tiny.members[0])
    >>> mine.status.value, mine.judgments[""][("CC", "XY")]
    ('submitted', 2.0)
    >>> clear_engine_cache()
    """
    row, user, member = _own_member(session, survey_id, by)
    rows = session.exec(select(AhpJudgmentRow).where(
        AhpJudgmentRow.survey_id == row.id, AhpJudgmentRow.user_id == user.id)).all()
    return MemberJudgments(
        survey=survey_public(row), status=MemberStatus(member.status),
        version=int(member.version),
        judgments={j.node_key: {parse_pair(k): float(v) for k, v in (j.judgments or {}).items()}
                   for j in rows},
        saved_at={j.node_key: as_utc(j.updated_at) for j in rows})


def _node(row: AhpSurveyRow, node_key: str) -> AhpNode:
    for node in survey_nodes(row.indicators):
        if node.key == node_key:
            return node
    raise InputError(f"问卷中没有节点 {node_key or '一级指标'}",
                     f"the survey has no node {node_key or '(first level)'}", field="node_key")


def _checked_judgments(node: AhpNode,
                       judgments: Mapping[tuple[str, str], float | None]) -> dict[str, float]:
    order = {c: k for k, c in enumerate(node.codes)}
    out: dict[str, float] = {}
    for (a, b), value in judgments.items():
        if a not in order or b not in order or a == b:
            raise InputError(f"{a} 与 {b} 不是节点 {node.key or '一级指标'} 下的一对指标",
                             f"{a} and {b} are not a pair under {node.key or 'the first level'}",
                             field="judgments")
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        value = float(value)
        scale_key(value)  # refuses a value off Saaty's 1-9 scale
        if order[a] > order[b]:
            a, b, value = b, a, 1.0 / value
        out[f"{a}|{b}"] = value
    return out


def _open_survey(survey_id: int) -> Any:
    return select(AhpSurveyRow.id).where(AhpSurveyRow.id == survey_id,
                                         AhpSurveyRow.status == SurveyStatus.OPEN.value).exists()


def _cas(session: Session, row: AhpSurveyRow, user: UserRow, expected_version: int,
         **values: Any) -> None:
    changed = session.exec(update(AhpMemberRow).where(
        AhpMemberRow.survey_id == row.id, AhpMemberRow.user_id == user.id,
        AhpMemberRow.version == int(expected_version),
        AhpMemberRow.status != MemberStatus.SUBMITTED.value, _open_survey(int(row.id))).values(
        version=AhpMemberRow.version + 1, updated_at=utc_now(), **values))
    if changed.rowcount != 1:
        raise ConflictError("判断已提交、问卷已结束，或刚在别处保存过，请刷新后重试",
                            "the judgments are submitted, the survey closed, or they were saved "
                            "elsewhere; reload and retry", field="expected_version")


def save_judgments(session: Session, *, survey_id: int, node_key: str,
                   judgments: Mapping[tuple[str, str], float | None], expected_version: int,
                   by: Viewer) -> MemberJudgments:
    """Save a member's judgments at one node, replacing what he saved there before.

    Parameters
    ----------
    session
        An open session; the caller commits.
    survey_id
        An open survey the member belongs to.
    node_key
        The parent's code, "" for the first level.
    judgments
        ``{(code_i, code_j): a_ij}`` on Saaty's scale (k or 1/k, k = 1…9); None leaves the
        comparison blank. Either order of a pair is accepted.
    expected_version
        The version the member's page read.
    by
        The member.

    Returns
    -------
    MemberJudgments

    Raises
    ------
    InputError
        An unknown node, a pair not under it, or a value off the scale.
    ConflictError
        Submitted, survey closed, or saved elsewhere since ``expected_version``.

    Notes
    -----
    Blank comparisons are completed when priorities are computed, by Harker's (1987) method.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    ...     mine = save_judgments(s, survey_id=tiny.survey_id, node_key="XY",
    ...                           judgments={("XY2", "XY1"): 3.0}, expected_version=1,
    ...                           by=tiny.members[0])
    >>> mine.version, round(mine.judgments["XY"][("XY1", "XY2")], 4)
    (2, 0.3333)
    >>> clear_engine_cache()
    """
    row, user, _ = _own_member(session, survey_id, by)
    stored = _checked_judgments(_node(row, node_key), judgments)
    _cas(session, row, user, expected_version, status=MemberStatus.DRAFT.value)
    existing = session.get(AhpJudgmentRow, (row.id, user.id, node_key))
    if existing is None:
        session.add(AhpJudgmentRow(survey_id=int(row.id), user_id=int(user.id),
                                   node_key=node_key, judgments=stored))
    else:
        existing.judgments = stored
        existing.updated_at = utc_now()
    audit(session, actor=user, entity="ahp_member", entity_id=int(row.id), action="save",
          new={"node": node_key, "judgments": stored})
    session.flush()
    session.expire_all()
    return my_judgments(session, survey_id=survey_id, by=by)


def submit_judgments(session: Session, *, survey_id: int, expected_version: int,
                     by: Viewer) -> MemberJudgments:
    """Submit the member's judgments; they are locked from then on.

    Parameters
    ----------
    session
        An open session; the caller commits.
    survey_id
        An open survey.
    expected_version
        The version the member's page read.
    by
        The member.

    Returns
    -------
    MemberJudgments

    Raises
    ------
    InputError
        No judgment given at all.
    ConflictError
        Already submitted, survey closed, or saved elsewhere.

    Notes
    -----
    Only submitted members count in the aggregation.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    ...     mine = save_judgments(s, survey_id=tiny.survey_id, node_key="",
    ...                           judgments={("CC", "XY"): 2.0}, expected_version=1,
    ...                           by=tiny.members[0])
    ...     submit_judgments(s, survey_id=tiny.survey_id, expected_version=mine.version,
    ...                      by=tiny.members[0]).status.value
    'submitted'
    >>> clear_engine_cache()
    """
    row, user, _ = _own_member(session, survey_id, by)
    given = session.exec(select(AhpJudgmentRow).where(
        AhpJudgmentRow.survey_id == row.id, AhpJudgmentRow.user_id == user.id)).all()
    if not any(j.judgments for j in given):
        raise InputError("请至少填写一项判断后再提交", "give at least one judgment before submitting",
                         field="judgments")
    _cas(session, row, user, expected_version, status=MemberStatus.SUBMITTED.value,
         submitted_at=utc_now())
    audit(session, actor=user, entity="ahp_member", entity_id=int(row.id), action="submit",
          new={"nodes": sorted(j.node_key for j in given)})
    session.flush()
    session.expire_all()
    return my_judgments(session, survey_id=survey_id, by=by)


def set_exclusion(session: Session, *, survey_id: int, user_id: int, node_key: str,
                  excluded: bool, reason: str, by: Viewer) -> None:
    """Record a decision to exclude (or keep) a member's matrix at a node, with its reason.

    Parameters
    ----------
    session
        An open session; the caller commits.
    survey_id
        The survey.
    user_id
        The member.
    node_key
        The node ("" for the first level).
    excluded
        True to leave the matrix out of the aggregation, False to keep it (e.g. an
        inconsistent matrix kept on purpose).
    reason
        Why, in words; required.
    by
        Admin or finance staff.

    Returns
    -------
    None

    Raises
    ------
    InputError
        No reason, an unknown node, or someone who is not a member.

    Notes
    -----
    Decisions are appended; the latest per member and node counts, and the audit log repeats
    it.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s, answered=True)
    ...     set_exclusion(s, survey_id=tiny.survey_id, user_id=tiny.members[2].user_id,
    ...                   node_key="", excluded=True, reason="CR 超过 0.10", by=tiny.staff)
    ...     exclusion_history(s, survey_id=tiny.survey_id, by=tiny.staff)["reason"].tolist()
    ['CR 超过 0.10']
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    row = survey_row(session, survey_id)
    _node(row, node_key)
    reason = str(reason or "").strip()
    if not reason:
        raise InputError("请说明剔除或保留的理由", "give the reason for the decision", field="reason")
    if session.get(AhpMemberRow, (row.id, int(user_id))) is None:
        raise InputError(f"账户 {user_id} 不是该问卷的成员", f"account {user_id} is not a member",
                         field="user_id")
    session.add(AhpExclusionRow(survey_id=int(row.id), user_id=int(user_id), node_key=node_key,
                                excluded=bool(excluded), reason=reason,
                                decided_by=int(actor.id)))
    audit(session, actor=actor, entity="ahp_survey", entity_id=int(row.id),
          action="exclude" if excluded else "keep",
          new={"user_id": int(user_id), "node": node_key, "reason": reason})
    session.flush()


def exclusion_history(session: Session, *, survey_id: int, by: Viewer) -> pd.DataFrame:
    """Every exclude/keep decision of a survey, oldest first (staff only).

    Parameters
    ----------
    session
        An open session.
    survey_id
        The survey.
    by
        Admin or finance staff.

    Returns
    -------
    pandas.DataFrame
        ``user_id``, ``username``, ``node_key``, ``excluded``, ``reason``, ``decided_by``
        (username), ``decided_at``.

    Notes
    -----
    The latest decision per member and node is the one in force.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    ...     len(exclusion_history(s, survey_id=tiny.survey_id, by=tiny.staff))
    0
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    row = survey_row(session, survey_id)
    decisions = session.exec(select(AhpExclusionRow).where(
        AhpExclusionRow.survey_id == row.id).order_by(AhpExclusionRow.id)).all()
    names = {int(u.id): u.username for u in session.exec(select(UserRow)).all()}
    return pd.DataFrame(
        [{"user_id": int(d.user_id), "username": names.get(int(d.user_id), ""),
          "node_key": d.node_key, "excluded": bool(d.excluded), "reason": d.reason,
          "decided_by": names.get(int(d.decided_by or 0), ""),
          "decided_at": as_utc(d.decided_at)} for d in decisions],
        columns=["user_id", "username", "node_key", "excluded", "reason", "decided_by",
                 "decided_at"])
