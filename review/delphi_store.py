"""Delphi studies in the database: studies, rounds, invitations, progress and the close.

Staff create a study and its rounds (each round rates a snapshot of one library version's
indicators), invite experts, watch the responses and close the round; closing computes the
round's statistics with :func:`review.delphi.round_statistics` and keeps a snapshot of them on
the round. What a closed round yields — statistics, screening, paper tables, the proposed draft
library version — is read through :mod:`review.delphi_results`; experts answer through
:mod:`review.delphi_answers`.

Blindness lives in the store, not in the pages: ratings, statistics and authority are for staff
only; an expert reads only his own answers and, after a round closes, the group feedback.
Functions take the session first and keyword arguments after it, flush, and leave the commit to
the caller (``with Session(engine) as s, s.begin(): ...``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlmodel import Session, select, update

from indicators.errors import ConflictError, InputError
from indicators.frontdoor import Viewer
from indicators.model import LibraryVersion
from indicators.store import get_library
from review.access import active_user, as_date, audit, rater_ids, require_staff
from review.delphi import DelphiRound
from review.delphi_access import (
    invited_count,
    is_staff,
    json_ready,
    round_row,
    statistics_of,
    study_row,
    submitted_experts,
    visible_round,
)
from review.delphi_authority import authority_table
from review.delphi_tables import (
    DelphiResponseRow,
    DelphiRoundPublic,
    DelphiRoundRow,
    DelphiRoundStatus,
    DelphiStudyPublic,
    DelphiStudyRow,
    round_public,
    study_public,
)
from review.tables import utc_now

__all__ = [
    "close_round",
    "create_round",
    "create_study",
    "get_round",
    "invite_experts",
    "list_rounds",
    "list_studies",
]


def _invited_round_ids(session: Session, user_id: int) -> list[int]:
    return [int(r) for r in session.exec(select(DelphiResponseRow.round_id).where(
        DelphiResponseRow.expert_id == user_id)).all()]


def create_study(session: Session, *, title: str, authority: str | None = None,
                 scale_max: int = 5, description: str = "", by: Viewer) -> DelphiStudyPublic:
    """Create a Delphi study.

    Parameters
    ----------
    session
        An open session; the caller commits.
    title
        For example "乡村振兴衔接资金项目绩效指标体系德尔菲咨询".
    authority
        Name of the authority table (``data/delphi/authority.yaml``); the default table if None.
    scale_max
        Top of the importance scale (the full score); the bottom is 1.
    description
        Free text shown to staff.
    by
        Admin or finance staff.

    Returns
    -------
    DelphiStudyPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    InputError
        Empty title, an unknown authority table or a scale below 2.

    Notes
    -----
    The authority table is fixed per study so every round's Cr is computed the same way.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     create_study(s, title="第二项研究", by=tiny.staff).authority_table
    'zeng1994'
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    title = str(title or "").strip()
    if not title:
        raise InputError("研究名称不能为空", "a study needs a title", field="title")
    if int(scale_max) < 2:
        raise InputError("评分等级至少为 2 级", "the scale needs at least 2 points", field="scale_max")
    table = authority_table(authority)
    row = DelphiStudyRow(title=title, description=str(description or "").strip(),
                         scale_max=int(scale_max), authority_table=table.name,
                         created_by=int(actor.id))
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="delphi_study", entity_id=int(row.id), action="create",
          new={"title": title, "scale_max": int(scale_max), "authority_table": table.name})
    session.flush()
    return study_public(row)


def list_studies(session: Session, *, by: Viewer) -> list[DelphiStudyPublic]:
    """The studies a person may see, newest first: all for staff, those inviting an expert.

    Parameters
    ----------
    session
        An open session.
    by
        The signed-in person.

    Returns
    -------
    list of DelphiStudyPublic

    Notes
    -----
    An expert sees a study once invited to one of its rounds.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    >>> with Session(engine) as s:
    ...     [x.title for x in list_studies(s, by=tiny.experts[0])]
    ['示例德尔菲研究']
    >>> clear_engine_cache()
    """
    user = active_user(session, by)
    statement = select(DelphiStudyRow).order_by(DelphiStudyRow.id.desc())
    if not is_staff(user):
        studies = select(DelphiRoundRow.study_id).where(
            DelphiRoundRow.id.in_(_invited_round_ids(session, int(user.id))))
        statement = statement.where(DelphiStudyRow.id.in_(studies))
    return [study_public(r) for r in session.exec(statement).all()]


def _snapshot(library: LibraryVersion) -> list[dict[str, Any]]:
    return [{"code": i.code, "name": i.name, "level": int(i.level), "parent": i.parent,
             "explanation": i.explanation} for i in library.indicators]


def create_round(session: Session, *, study_id: int, library_ref: str, label: str | None = None,
                 deadline: date | str | None = None, by: Viewer) -> DelphiRoundPublic:
    """Open the next round of a study on the indicators of one library version.

    Parameters
    ----------
    session
        An open session; the caller commits.
    study_id
        The study.
    library_ref
        The library version whose indicators are rated (published, or the draft a previous
        round proposed), ``framework_id@version``.
    label
        The round's name (default ``第n轮``).
    deadline
        Last day for answers (``date`` or ``YYYY-MM-DD``), or None.
    by
        Admin or finance staff.

    Returns
    -------
    DelphiRoundPublic
        Open, with the indicators copied from the library version.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        A round of the study is still open.
    NotFoundError
        No such study or library version.
    InputError
        A library version without indicators, or a bad deadline.

    Notes
    -----
    The indicators are copied into the round, so later edits of a draft do not change what
    was rated.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     study = create_study(s, title="另一研究", by=tiny.staff)
    ...     rnd = create_round(s, study_id=study.study_id, library_ref=tiny.library_ref,
    ...                        by=tiny.staff)
    >>> rnd.label, rnd.status.value, len(rnd.indicators)
    ('第1轮', 'open', 6)
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    study = study_row(session, study_id)
    rounds = session.exec(select(DelphiRoundRow).where(
        DelphiRoundRow.study_id == study.id)).all()
    if any(r.status == DelphiRoundStatus.OPEN.value for r in rounds):
        raise ConflictError("本研究还有未结束的轮次，请先结束它",
                            "a round of this study is still open; close it first",
                            field="study_id")
    library = get_library(session, ref=library_ref)
    if not library.indicators:
        raise InputError(f"指标库 {library.ref} 没有指标", f"library {library.ref} has no indicators",
                         field="library_ref")
    number = max((int(r.number) for r in rounds), default=0) + 1
    row = DelphiRoundRow(study_id=int(study.id), number=number,
                         label=str(label or "").strip() or f"第{number}轮",
                         library_ref=library.ref, indicators=_snapshot(library),
                         status=DelphiRoundStatus.OPEN.value, deadline=as_date(deadline),
                         created_by=int(actor.id))
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="delphi_round", entity_id=int(row.id), action="create",
          new={"study_id": int(study.id), "number": number, "label": row.label,
               "library_ref": library.ref, "indicators": len(row.indicators)})
    session.flush()
    return round_public(row)


def list_rounds(session: Session, *, study_id: int | None = None,
                by: Viewer) -> list[DelphiRoundPublic]:
    """Rounds a person may see, by study and number: all for staff, the invited ones for experts.

    Parameters
    ----------
    session
        An open session.
    study_id
        Only this study's rounds; all studies when None.
    by
        The signed-in person.

    Returns
    -------
    list of DelphiRoundPublic

    Notes
    -----
    An expert sees a round only once invited to it.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    >>> with Session(engine) as s:
    ...     [r.label for r in list_rounds(s, by=tiny.experts[1])]
    ['第1轮']
    >>> clear_engine_cache()
    """
    user = active_user(session, by)
    statement = select(DelphiRoundRow).order_by(DelphiRoundRow.study_id, DelphiRoundRow.number)
    if study_id is not None:
        statement = statement.where(DelphiRoundRow.study_id == study_id)
    if not is_staff(user):
        statement = statement.where(DelphiRoundRow.id.in_(
            _invited_round_ids(session, int(user.id))))
    return [round_public(r) for r in session.exec(statement).all()]


def get_round(session: Session, *, round_id: int, by: Viewer) -> DelphiRoundPublic:
    """One round, for staff or an invited expert.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        The signed-in person.

    Returns
    -------
    DelphiRoundPublic

    Raises
    ------
    NotFoundError
        No such round.
    PermissionDeniedError
        An expert not invited to it.

    Notes
    -----
    The round carries no answers; those are read through the functions that check blindness.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    >>> with Session(engine) as s:
    ...     get_round(s, round_id=tiny.round_id, by=tiny.staff).library_ref
    'delphi-demo@1.0.0'
    >>> clear_engine_cache()
    """
    row, _ = visible_round(session, round_id, by)
    return round_public(row)


def invite_experts(session: Session, *, round_id: int, user_ids: Iterable[int],
                   by: Viewer) -> list[int]:
    """Invite experts (or NPC deputies) to an open round.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        An open round.
    user_ids
        Accounts to invite; those already invited are left as they are.
    by
        Admin or finance staff.

    Returns
    -------
    list of int
        The accounts newly invited.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is closed.
    InputError
        An account that is missing, disabled, or not an expert or deputy.

    Notes
    -----
    Each invitation is a response in status ``invited``; the positive coefficient counts
    every invitation.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     invite_experts(s, round_id=tiny.round_id, user_ids=[tiny.experts[0].user_id],
    ...                    by=tiny.staff)
    []
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = round_row(session, round_id)
    if rnd.status != DelphiRoundStatus.OPEN.value:
        raise ConflictError("本轮已结束，不能再邀请专家", "the round is closed; no more invitations",
                            field="round_id")
    added = []
    for uid in rater_ids(session, user_ids):
        if session.get(DelphiResponseRow, (rnd.id, uid)) is None:
            session.add(DelphiResponseRow(round_id=int(rnd.id), expert_id=uid))
            added.append(uid)
    session.flush()
    if added:
        audit(session, actor=actor, entity="delphi_round", entity_id=int(rnd.id),
              action="invite", new={"experts": added})
        session.flush()
    return added


def _snapshot_results(session: Session, rnd: DelphiRoundRow, result: DelphiRound) -> dict[str,
                                                                                          Any]:
    ids = {u.username: int(u.id) for _, u in submitted_experts(session, rnd)}
    authority = result.authority
    return json_ready({
        "invited": result.invited, "responded": result.responded,
        "response_rate": result.response_rate,
        "unrated": [i["code"] for i in rnd.indicators if i["code"] not in result.indicators.index],
        "indicators": result.indicators.rename_axis("indicator").reset_index().to_dict("records"),
        "concordance": result.concordance.to_dict("records"),
        "authority": None if authority is None else {
            "ca": authority.ca, "cs": authority.cs, "cr": authority.cr,
            "n_experts": authority.n_experts, "share_authoritative": authority.share_authoritative,
            "threshold": authority.threshold, "table": authority.table,
            "experts": {str(ids[name]): cr for name, cr in authority.experts["cr"].items()
                        if name in ids}},
    })


def close_round(session: Session, *, round_id: int, by: Viewer) -> DelphiRoundPublic:
    """Close an open round: answers stop and the round's statistics are computed and kept.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        An open round.
    by
        Admin or finance staff.

    Returns
    -------
    DelphiRoundPublic
        Closed; the statistics snapshot is stored on the round (``results``).

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is not open, or it changed concurrently.

    Notes
    -----
    Only submitted questionnaires count; drafts stay out, and an invitation without a
    submitted answer lowers the positive coefficient. A round closed without any answer keeps
    only its counts. The status change is a compare-and-set on the round's version, so answers
    saved at the same moment either land before the close or are refused.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, answered=True)
    ...     close_round(s, round_id=tiny.round_id, by=tiny.staff).status.value
    'closed'
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = round_row(session, round_id)
    if rnd.status != DelphiRoundStatus.OPEN.value:
        raise ConflictError(f"{rnd.label} 已结束", f"{rnd.label} is already closed",
                            field="round_id")
    if submitted_experts(session, rnd):
        results = _snapshot_results(session, rnd, statistics_of(session, rnd))
    else:
        results = {"invited": invited_count(session, rnd), "responded": 0,
                   "response_rate": 0.0}
    changed = session.exec(update(DelphiRoundRow).where(
        DelphiRoundRow.id == rnd.id, DelphiRoundRow.version == rnd.version,
        DelphiRoundRow.status == DelphiRoundStatus.OPEN.value).values(
        status=DelphiRoundStatus.CLOSED.value, closed_at=utc_now(), results=results,
        version=DelphiRoundRow.version + 1))
    if changed.rowcount != 1:
        raise ConflictError("轮次刚被他人修改，请刷新后重试",
                            "the round was changed by someone else; reload and retry",
                            field="round_id")
    audit(session, actor=actor, entity="delphi_round", entity_id=int(rnd.id), action="close",
          old={"status": "open"}, new={"status": "closed", "responded": results["responded"],
                                       "response_rate": results["response_rate"]})
    session.flush()
    fresh = session.exec(select(DelphiRoundRow).where(DelphiRoundRow.id == rnd.id)
                         .execution_options(populate_existing=True)).one()
    return round_public(fresh)
