"""An expert's Delphi questionnaire: reading his own answers, saving, submitting, proposing.

An invited expert rates every indicator of the round's snapshot on the study's scale (blank
allowed), comments, states his judgment basis and familiarity, and may propose new indicators;
he saves as often as he likes and submits once, which locks the questionnaire. Every save and
submit is a compare-and-set on the response's version that also checks, in the same UPDATE,
that the round is still open. Between rounds he sees the group's feedback on the previous round
(means, SD, median) beside his own earlier rating, and after a round closes its feedback — never
another expert's ratings. Functions flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlmodel import Session, delete, select, update

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.frontdoor import Viewer
from review.access import audit
from review.delphi_access import (
    is_staff,
    study_row,
    visible_round,
)
from review.delphi_authority import authority_table
from review.delphi_feedback import previous_feedback
from review.delphi_tables import (
    DelphiProposalRow,
    DelphiQuestionnaire,
    DelphiRatingRow,
    DelphiResponseRow,
    DelphiRoundRow,
    DelphiRoundStatus,
    ProposalPublic,
    ResponseStatus,
    proposal_public,
    round_public,
)
from review.tables import UserRow, as_utc, utc_now

__all__ = [
    "add_proposal",
    "list_proposals",
    "questionnaire",
    "remove_proposal",
    "save_answers",
    "submit_answers",
]


def _own_response(session: Session, round_id: int,
                  viewer: Viewer) -> tuple[DelphiRoundRow, UserRow, DelphiResponseRow]:
    rnd, user = visible_round(session, round_id, viewer)
    response = session.get(DelphiResponseRow, (rnd.id, user.id))
    if response is None:
        raise PermissionDeniedError("只有受邀专家可以填写问卷",
                                    "only an invited expert answers the questionnaire",
                                    field="round_id")
    return rnd, user, response


def _proposals(session: Session, round_id: int, expert_id: int | None) -> list[ProposalPublic]:
    statement = select(DelphiProposalRow, UserRow).join(
        UserRow, UserRow.id == DelphiProposalRow.expert_id).where(
        DelphiProposalRow.round_id == round_id).order_by(DelphiProposalRow.id)
    if expert_id is not None:
        statement = statement.where(DelphiProposalRow.expert_id == expert_id)
    return [proposal_public(p, u.username) for p, u in session.exec(statement).all()]


def questionnaire(session: Session, *, round_id: int, by: Viewer) -> DelphiQuestionnaire:
    """The round's questionnaire with the expert's own answers, and the previous round's feedback.

    Parameters
    ----------
    session
        An open session.
    round_id
        A round the expert is invited to.
    by
        The invited expert.

    Returns
    -------
    DelphiQuestionnaire
        Only ``by``'s own ratings, comments, basis, familiarity and proposals; ``previous``
        holds the group statistics of the study's last closed round beside his own rating.

    Raises
    ------
    PermissionDeniedError
        Anyone not invited to the round (staff included: they do not answer).

    Notes
    -----
    Controlled feedback between rounds (Dalkey & Helmer 1963, Management Science 9(3),
    458-467): the group's mean, SD and median, computed in the store from every expert's
    ratings, and the expert's own earlier rating; no other expert's rating leaves the store.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, answered=True)
    >>> with Session(engine) as s:
    ...     q = questionnaire(s, round_id=tiny.round_id, by=tiny.experts[2])
    >>> q.status.value, q.ratings["B2"], q.familiarity
    ('submitted', 1, '熟悉')
    >>> clear_engine_cache()
    """
    rnd, user, response = _own_response(session, round_id, by)
    study = study_row(session, rnd.study_id)
    table = authority_table(study.authority_table)
    rows = session.exec(select(DelphiRatingRow).where(
        DelphiRatingRow.round_id == rnd.id, DelphiRatingRow.expert_id == user.id)).all()
    return DelphiQuestionnaire(
        round=round_public(rnd), status=ResponseStatus(response.status),
        version=int(response.version),
        ratings={r.indicator_code: r.rating for r in rows},
        comments={r.indicator_code: r.comment for r in rows if r.comment},
        basis=dict(response.basis or {}), familiarity=response.familiarity,
        comment=response.comment, proposals=tuple(_proposals(session, rnd.id, int(user.id))),
        previous=previous_feedback(session, rnd, user.username),
        scale_max=int(study.scale_max),
        basis_levels={b: tuple(levels) for b, levels in table.basis.items()},
        familiarity_levels=tuple(table.familiarity), updated_at=as_utc(response.updated_at))


def _checked_ratings(rnd: DelphiRoundRow, scale_max: int, ratings: Mapping[str, Any],
                     comments: Mapping[str, str]) -> dict[str, tuple[int | None, str]]:
    codes = {i["code"] for i in rnd.indicators}
    out: dict[str, tuple[int | None, str]] = {}
    for code in [*ratings, *comments]:
        if code not in codes:
            raise InputError(f"指标 {code} 不在本轮问卷中", f"indicator {code} is not in this round",
                             field=f"ratings.{code}")
        value = ratings.get(code)
        rating = None
        if value is not None and not (isinstance(value, float) and pd.isna(value)):
            number = float(value)
            if not number.is_integer() or not 1 <= number <= scale_max:
                raise InputError(f"指标 {code} 的评分 {value!r} 应为 1–{scale_max} 的整数",
                                 f"rating {value!r} of {code} must be a whole number from 1 to "
                                 f"{scale_max}", field=f"ratings.{code}")
            rating = int(number)
        text = str(comments.get(code) or "").strip()
        if rating is not None or text:
            out[code] = (rating, text)
    return out


def _open_and_current(round_id: int) -> Any:
    return select(DelphiRoundRow.id).where(
        DelphiRoundRow.id == round_id,
        DelphiRoundRow.status == DelphiRoundStatus.OPEN.value).exists()


def _update_unsubmitted(session: Session, rnd: DelphiRoundRow, user: UserRow,
                        expected_version: int, **values: Any) -> None:
    # One compare-and-set for save and submit: a stale version, a submitted questionnaire or
    # a closed round all refuse, so an answer never lands after the close.
    changed = session.exec(update(DelphiResponseRow).where(
        DelphiResponseRow.round_id == rnd.id, DelphiResponseRow.expert_id == user.id,
        DelphiResponseRow.version == int(expected_version),
        DelphiResponseRow.status != ResponseStatus.SUBMITTED.value,
        _open_and_current(int(rnd.id))).values(**values, version=DelphiResponseRow.version + 1))
    if changed.rowcount != 1:
        raise ConflictError("问卷已提交、本轮已结束，或问卷刚在别处保存过，请刷新后重试",
                            "the questionnaire is submitted, the round closed, or it was saved "
                            "elsewhere; reload and retry", field="expected_version")


def save_answers(session: Session, *, round_id: int, ratings: Mapping[str, Any],
                 comments: Mapping[str, str] | None = None,
                 basis: Mapping[str, str] | None = None, familiarity: str = "",
                 comment: str = "", expected_version: int, by: Viewer) -> DelphiQuestionnaire:
    """Save the expert's answers as a draft, replacing what he saved before.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        An open round the expert is invited to.
    ratings
        Indicator code → rating on the study's scale (whole numbers), or None for blank.
    comments
        Indicator code → comment.
    basis
        Judgment basis (理论分析, 实践经验, 参考国内外文献, 直觉) → influence (大/中/小); a basis
        left out stays blank.
    familiarity
        One of the authority table's familiarity answers, or "".
    comment
        A general comment.
    expected_version
        The version the expert's page read (:attr:`DelphiQuestionnaire.version`).
    by
        The invited expert.

    Returns
    -------
    DelphiQuestionnaire
        The saved questionnaire with its new version.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not invited.
    InputError
        An indicator not in the round, a rating off the scale, an unknown basis or answer.
    ConflictError
        The round is closed, the questionnaire is submitted, or it was saved elsewhere since
        ``expected_version`` (reload and retry).

    Notes
    -----
    One conditional UPDATE checks the version, that the questionnaire is not submitted and
    that the round is open; the rating rows are replaced only when it succeeds.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     q = save_answers(s, round_id=tiny.round_id, ratings={"A": 5, "B": None},
    ...                      familiarity="很熟悉", expected_version=1, by=tiny.experts[0])
    >>> q.status.value, q.version, dict(q.ratings)
    ('draft', 2, {'A': 5})
    >>> clear_engine_cache()
    """
    rnd, user, _ = _own_response(session, round_id, by)
    study = study_row(session, rnd.study_id)
    table = authority_table(study.authority_table)
    checked = _checked_ratings(rnd, int(study.scale_max), ratings, comments or {})
    stated = {}
    for name, level in (basis or {}).items():
        if name not in table.basis:
            raise InputError(f"未知的判断依据 {name!r}", f"unknown judgment basis {name!r}",
                             field="basis")
        if level and level not in table.basis[name]:
            raise InputError(f"“{name}”的影响程度应为 {'、'.join(table.basis[name])}",
                             f"the influence of {name} must be one of "
                             f"{', '.join(table.basis[name])}", field=f"basis.{name}")
        if level:
            stated[name] = str(level)
    if familiarity and familiarity not in table.familiarity:
        raise InputError(f"熟悉程度应为 {'、'.join(table.familiarity)}",
                         f"familiarity must be one of {', '.join(table.familiarity)}",
                         field="familiarity")
    _update_unsubmitted(session, rnd, user, expected_version, status=ResponseStatus.DRAFT.value,
                        basis=stated, familiarity=str(familiarity or ""),
                        comment=str(comment or "").strip(), updated_at=utc_now())
    session.exec(delete(DelphiRatingRow).where(DelphiRatingRow.round_id == rnd.id,
                                               DelphiRatingRow.expert_id == user.id))
    session.add_all([DelphiRatingRow(round_id=int(rnd.id), expert_id=int(user.id),
                                     indicator_code=code, rating=rating, comment=text)
                     for code, (rating, text) in checked.items()])
    audit(session, actor=user, entity="delphi_response", entity_id=int(rnd.id), action="save",
          new={"rated": sum(r is not None for r, _ in checked.values())})
    session.flush()
    session.expire_all()
    return questionnaire(session, round_id=round_id, by=by)


def submit_answers(session: Session, *, round_id: int, expected_version: int,
                   by: Viewer) -> DelphiQuestionnaire:
    """Submit the saved questionnaire; it is locked from then on.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        An open round the expert is invited to.
    expected_version
        The version of the last save the expert saw.
    by
        The invited expert.

    Returns
    -------
    DelphiQuestionnaire

    Raises
    ------
    InputError
        Nothing rated yet.
    ConflictError
        Already submitted, round closed, or saved elsewhere since ``expected_version``.

    Notes
    -----
    Only submitted questionnaires count in the round's statistics and its positive coefficient.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     q = save_answers(s, round_id=tiny.round_id, ratings={"A": 5}, expected_version=1,
    ...                      by=tiny.experts[0])
    ...     submit_answers(s, round_id=tiny.round_id, expected_version=q.version,
    ...                    by=tiny.experts[0]).status.value
    'submitted'
    >>> clear_engine_cache()
    """
    rnd, user, _ = _own_response(session, round_id, by)
    rated = session.exec(select(DelphiRatingRow.indicator_code).where(
        DelphiRatingRow.round_id == rnd.id, DelphiRatingRow.expert_id == user.id,
        DelphiRatingRow.rating.is_not(None))).all()
    if not rated:
        raise InputError("请至少为一个指标评分后再提交", "rate at least one indicator before submitting",
                         field="ratings")
    now = utc_now()
    _update_unsubmitted(session, rnd, user, expected_version,
                        status=ResponseStatus.SUBMITTED.value, submitted_at=now, updated_at=now)
    audit(session, actor=user, entity="delphi_response", entity_id=int(rnd.id),
          action="submit", new={"rated": len(rated)})
    session.flush()
    session.expire_all()
    return questionnaire(session, round_id=round_id, by=by)


def _editable(session: Session, rnd: DelphiRoundRow, response: DelphiResponseRow) -> None:
    if rnd.status != DelphiRoundStatus.OPEN.value:
        raise ConflictError(f"{rnd.label} 已结束", f"{rnd.label} is closed", field="round_id")
    if response.status == ResponseStatus.SUBMITTED.value:
        raise ConflictError("问卷已提交，不能再修改", "the questionnaire is submitted and locked",
                            field="round_id")


def add_proposal(session: Session, *, round_id: int, name: str, parent_code: str = "",
                 explanation: str = "", reason: str = "", by: Viewer) -> ProposalPublic:
    """Propose a new indicator in an open round.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        An open round the expert is invited to and has not submitted.
    name
        The proposed indicator's name.
    parent_code
        The indicator it belongs under ("" for the first level).
    explanation, reason
        What it measures and why it should be added.
    by
        The invited expert.

    Returns
    -------
    ProposalPublic

    Raises
    ------
    InputError
        Empty name or a parent not in the round.
    ConflictError
        The round is closed or the questionnaire submitted.

    Notes
    -----
    Staff read every proposal; the expert reads his own.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     add_proposal(s, round_id=tiny.round_id, name="群众获得感", parent_code="B",
    ...                  by=tiny.experts[1]).expert
    'expert2'
    >>> clear_engine_cache()
    """
    rnd, user, response = _own_response(session, round_id, by)
    _editable(session, rnd, response)
    name = str(name or "").strip()
    if not name:
        raise InputError("请填写建议新增指标的名称", "a proposed indicator needs a name", field="name")
    parent = str(parent_code or "").strip()
    if parent and parent not in {i["code"] for i in rnd.indicators}:
        raise InputError(f"上级指标 {parent} 不在本轮问卷中", f"parent {parent} is not in this round",
                         field="parent_code")
    row = DelphiProposalRow(round_id=int(rnd.id), expert_id=int(user.id), parent_code=parent,
                            name=name, explanation=str(explanation or "").strip(),
                            reason=str(reason or "").strip())
    session.add(row)
    session.flush()
    audit(session, actor=user, entity="delphi_proposal", entity_id=int(row.id), action="create",
          new={"round_id": int(rnd.id), "parent_code": parent, "name": name})
    session.flush()
    return proposal_public(row, user.username)


def remove_proposal(session: Session, *, proposal_id: int, by: Viewer) -> None:
    """Withdraw one's own proposal while the questionnaire is still open.

    Parameters
    ----------
    session
        An open session; the caller commits.
    proposal_id
        The proposal.
    by
        Its proposer.

    Returns
    -------
    None

    Raises
    ------
    PermissionDeniedError
        Not the proposer's own, or no such proposal.
    ConflictError
        The round is closed or the questionnaire submitted.

    Notes
    -----
    The audit log keeps what was withdrawn.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     p = add_proposal(s, round_id=tiny.round_id, name="群众获得感", by=tiny.experts[1])
    ...     remove_proposal(s, proposal_id=p.proposal_id, by=tiny.experts[1])
    ...     list_proposals(s, round_id=tiny.round_id, by=tiny.experts[1])
    []
    >>> clear_engine_cache()
    """
    row = session.get(DelphiProposalRow, proposal_id)
    if row is None or row.expert_id != by.user_id:
        raise PermissionDeniedError("只能撤回本人的建议", "only your own proposal can be withdrawn",
                                    field="proposal_id")
    rnd, user, response = _own_response(session, int(row.round_id), by)
    _editable(session, rnd, response)
    audit(session, actor=user, entity="delphi_proposal", entity_id=int(row.id), action="remove",
          old={"name": row.name, "parent_code": row.parent_code})
    session.delete(row)
    session.flush()


def list_proposals(session: Session, *, round_id: int, by: Viewer) -> list[ProposalPublic]:
    """New indicators proposed in a round: all of them for staff, an expert's own for him.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        Staff, or an expert invited to the round.

    Returns
    -------
    list of ProposalPublic
        In the order they were made.

    Notes
    -----
    Proposals are blind like ratings: no expert reads another's.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, answered=True)
    >>> with Session(engine) as s:
    ...     [p.name for p in list_proposals(s, round_id=tiny.round_id, by=tiny.staff)]
    ['数字化管理水平']
    >>> clear_engine_cache()
    """
    rnd, user = visible_round(session, round_id, by)
    return _proposals(session, int(rnd.id), None if is_staff(user) else int(user.id))
