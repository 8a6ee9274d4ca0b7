"""Group AHP surveys in the database: creating one, inviting members, watching, closing.

Staff create a survey on one library version (its indicator tree is copied into the survey),
invite members, watch who answered and close it. Members' judgments and staff's exclusion
decisions are in :mod:`review.ahp_survey_judgments`; aggregation and the saved weights in
:mod:`review.ahp_survey_results`. A member sees a survey only once invited. Functions take the
session first and keyword arguments after it, flush, and leave the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlmodel import Session, select, update

from indicators.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from indicators.frontdoor import Viewer
from indicators.store import get_library
from review.access import active_user, audit, rater_ids, require_staff
from review.ahp_survey_tables import (
    AhpJudgmentRow,
    AhpMemberRow,
    AhpSurveyPublic,
    AhpSurveyRow,
    SurveyStatus,
    survey_nodes,
    survey_public,
)
from review.delphi_access import is_staff, round_row
from review.delphi_tables import DelphiRoundStatus
from review.tables import UserRow, as_utc, utc_now
from scoring.random_index import random_index_tables

__all__ = [
    "close_survey",
    "create_survey",
    "get_survey",
    "invite_members",
    "list_surveys",
    "member_progress",
    "survey_row",
    "visible_survey",
]


def survey_row(session: Session, survey_id: int) -> AhpSurveyRow:
    """The survey's row.

    Parameters
    ----------
    session
        An open session.
    survey_id
        The survey.

    Returns
    -------
    AhpSurveyRow

    Raises
    ------
    NotFoundError
        No such survey.

    Notes
    -----
    Rows stay inside the store modules.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     try:
    ...         survey_row(s, 4)
    ...     except NotFoundError as err:
    ...         print(err.en)
    AHP survey 4 not found
    >>> clear_engine_cache()
    """
    row = session.get(AhpSurveyRow, survey_id)
    if row is None:
        raise NotFoundError(f"找不到层次分析问卷 {survey_id}", f"AHP survey {survey_id} not found",
                            field="survey_id")
    return row


def create_survey(session: Session, *, title: str, library_ref: str,
                  priority_method: str = "eigenvector", ri: str = "saaty1980",
                  delphi_round_id: int | None = None, by: Viewer) -> AhpSurveyPublic:
    """Create a group AHP survey on the indicator tree of one library version.

    Parameters
    ----------
    session
        An open session; the caller commits.
    title
        For example "乡村振兴衔接资金指标权重专家咨询".
    library_ref
        The library version whose tree is weighed (``framework_id@version``).
    priority_method
        ``"eigenvector"`` or ``"geometric"`` (see :func:`scoring.ahp.priorities`).
    ri
        The random-index table (see :func:`scoring.random_index.random_index_tables`).
    delphi_round_id
        A closed Delphi round whose authority coefficients may weigh the members.
    by
        Admin or finance staff.

    Returns
    -------
    AhpSurveyPublic
        Open, with the tree copied from the library version.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    InputError
        Empty title, unknown method or table, a tree with nothing to compare, or a Delphi
        round that is not closed.

    Notes
    -----
    The tree is copied so that later edits of a draft cannot change what was asked.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    ...     survey = create_survey(s, title="再问一次", library_ref=tiny.library_ref,
    ...                            by=tiny.staff)
    >>> [(n.key, len(n.codes)) for n in survey.nodes]
    [('', 3), ('CC', 3), ('XY', 2)]
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    title = str(title or "").strip()
    if not title:
        raise InputError("问卷名称不能为空", "a survey needs a title", field="title")
    if priority_method not in ("eigenvector", "geometric"):
        raise InputError(f"未知的排序方法 {priority_method!r}",
                         f"unknown priority method {priority_method!r}", field="priority_method")
    if ri not in random_index_tables():
        raise InputError(f"未知的随机一致性指标表 {ri!r}", f"unknown random-index table {ri!r}",
                         field="ri")
    if delphi_round_id is not None:
        if round_row(session, delphi_round_id).status != DelphiRoundStatus.CLOSED.value:
            raise InputError("用于专家权威系数的德尔菲轮次尚未结束",
                             "the Delphi round giving the authority coefficients is not closed",
                             field="delphi_round_id")
    library = get_library(session, ref=library_ref)
    snapshot = [{"code": i.code, "name": i.name, "level": int(i.level), "parent": i.parent}
                for i in library.indicators]
    if not survey_nodes(snapshot):
        raise InputError(f"指标库 {library.ref} 没有需要两两比较的指标",
                         f"library {library.ref} has nothing to compare", field="library_ref")
    row = AhpSurveyRow(title=title, library_ref=library.ref, indicators=snapshot,
                       priority_method=priority_method, ri_table=ri,
                       delphi_round_id=delphi_round_id, created_by=int(actor.id))
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="ahp_survey", entity_id=int(row.id), action="create",
          new={"title": title, "library_ref": library.ref, "priority_method": priority_method,
               "ri_table": ri, "delphi_round_id": delphi_round_id})
    session.flush()
    return survey_public(row)


def _member_ids(session: Session, user_id: int) -> list[int]:
    return [int(r) for r in session.exec(select(AhpMemberRow.survey_id).where(
        AhpMemberRow.user_id == user_id)).all()]


def list_surveys(session: Session, *, by: Viewer) -> list[AhpSurveyPublic]:
    """Surveys a person may see, newest first: all for staff, his own for a member.

    Parameters
    ----------
    session
        An open session.
    by
        The signed-in person.

    Returns
    -------
    list of AhpSurveyPublic

    Notes
    -----
    A member sees a survey once invited.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    >>> with Session(engine) as s:
    ...     [x.title for x in list_surveys(s, by=tiny.members[0])]
    ['示例权重咨询']
    >>> clear_engine_cache()
    """
    user = active_user(session, by)
    statement = select(AhpSurveyRow).order_by(AhpSurveyRow.id.desc())
    if not is_staff(user):
        statement = statement.where(AhpSurveyRow.id.in_(_member_ids(session, int(user.id))))
    return [survey_public(r) for r in session.exec(statement).all()]


def visible_survey(session: Session, survey_id: int,
                   viewer: Viewer) -> tuple[AhpSurveyRow, UserRow]:
    """The survey and the viewer's account, when the viewer is staff or a member.

    Parameters
    ----------
    session
        An open session.
    survey_id
        The survey.
    viewer
        The signed-in person.

    Returns
    -------
    tuple
        The survey row and the account row.

    Raises
    ------
    PermissionDeniedError
        A disabled account, or someone neither staff nor a member.

    Notes
    -----
    The account is re-read, so a disabled account counts at once.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    ...     visible_survey(s, tiny.survey_id, tiny.members[1])[1].username
    'expert2'
    >>> clear_engine_cache()
    """
    user = active_user(session, viewer)
    row = survey_row(session, survey_id)
    if not is_staff(user) and session.get(AhpMemberRow, (row.id, user.id)) is None:
        raise PermissionDeniedError("您不是该问卷的专家组成员",
                                    "you are not a member of this survey's panel",
                                    field="survey_id")
    return row, user


def get_survey(session: Session, *, survey_id: int, by: Viewer) -> AhpSurveyPublic:
    """One survey, for staff or a member.

    Parameters
    ----------
    session
        An open session.
    survey_id
        The survey.
    by
        The signed-in person.

    Returns
    -------
    AhpSurveyPublic

    Notes
    -----
    Carries no judgments.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    ...     get_survey(s, survey_id=tiny.survey_id, by=tiny.staff).library_ref
    'ahp-demo@1.0.0'
    >>> clear_engine_cache()
    """
    row, _ = visible_survey(session, survey_id, by)
    return survey_public(row)


def invite_members(session: Session, *, survey_id: int, user_ids: Iterable[int],
                   by: Viewer) -> list[int]:
    """Invite experts (or deputies) to an open survey.

    Parameters
    ----------
    session
        An open session; the caller commits.
    survey_id
        An open survey.
    user_ids
        Accounts to invite; members already invited are left as they are.
    by
        Admin or finance staff.

    Returns
    -------
    list of int
        The accounts newly invited.

    Raises
    ------
    ConflictError
        The survey is closed.
    InputError
        An account missing, disabled, or not an expert or deputy.

    Notes
    -----
    Audited as one line.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    ...     invite_members(s, survey_id=tiny.survey_id, user_ids=[tiny.members[0].user_id],
    ...                    by=tiny.staff)
    []
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    row = survey_row(session, survey_id)
    if row.status != SurveyStatus.OPEN.value:
        raise ConflictError("问卷已结束，不能再邀请专家", "the survey is closed; no more invitations",
                            field="survey_id")
    added = []
    for uid in rater_ids(session, user_ids):
        if session.get(AhpMemberRow, (row.id, uid)) is None:
            session.add(AhpMemberRow(survey_id=int(row.id), user_id=uid))
            added.append(uid)
    session.flush()
    if added:
        audit(session, actor=actor, entity="ahp_survey", entity_id=int(row.id),
              action="invite", new={"members": added})
        session.flush()
    return added


def close_survey(session: Session, *, survey_id: int, by: Viewer) -> AhpSurveyPublic:
    """Close an open survey: members can no longer save or submit.

    Parameters
    ----------
    session
        An open session; the caller commits.
    survey_id
        An open survey.
    by
        Admin or finance staff.

    Returns
    -------
    AhpSurveyPublic

    Raises
    ------
    ConflictError
        Not open, or changed concurrently.

    Notes
    -----
    A compare-and-set on the survey's version; aggregation works on open and closed surveys
    alike, over submitted members.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    ...     close_survey(s, survey_id=tiny.survey_id, by=tiny.staff).status.value
    'closed'
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    row = survey_row(session, survey_id)
    changed = session.exec(update(AhpSurveyRow).where(
        AhpSurveyRow.id == row.id, AhpSurveyRow.version == row.version,
        AhpSurveyRow.status == SurveyStatus.OPEN.value).values(
        status=SurveyStatus.CLOSED.value, closed_at=utc_now(),
        version=AhpSurveyRow.version + 1))
    if changed.rowcount != 1:
        raise ConflictError("问卷已结束或刚被他人修改", "the survey is closed or was just changed",
                            field="survey_id")
    audit(session, actor=actor, entity="ahp_survey", entity_id=int(row.id), action="close",
          old={"status": "open"}, new={"status": "closed"})
    session.flush()
    return survey_public(session.exec(select(AhpSurveyRow).where(
        AhpSurveyRow.id == row.id).execution_options(populate_existing=True)).one())


def member_progress(session: Session, *, survey_id: int, by: Viewer) -> pd.DataFrame:
    """Who was invited and how far each member got (staff only).

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
        One row per member: ``user_id``, ``username``, ``display_name``, ``status``,
        ``answered`` (comparisons given), ``pairs`` (comparisons asked), ``updated_at``,
        ``submitted_at``.

    Notes
    -----
    Counts only; the judgments are read by :func:`review.ahp_survey_results.survey_result`.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.ahp_survey_demo import seed_tiny_survey
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s, answered=True)
    ...     member_progress(s, survey_id=tiny.survey_id, by=tiny.staff)["answered"].tolist()
    [7, 7, 6]
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    row = survey_row(session, survey_id)
    pairs = sum(len(n.pairs) for n in survey_nodes(row.indicators))
    members = session.exec(select(AhpMemberRow, UserRow).join(
        UserRow, UserRow.id == AhpMemberRow.user_id).where(
        AhpMemberRow.survey_id == row.id).order_by(UserRow.username)).all()
    answered: dict[int, int] = {}
    for j in session.exec(select(AhpJudgmentRow).where(AhpJudgmentRow.survey_id == row.id)):
        answered[int(j.user_id)] = answered.get(int(j.user_id), 0) + len(j.judgments or {})
    return pd.DataFrame(
        [{"user_id": int(u.id), "username": u.username, "display_name": u.display_name,
          "status": m.status, "answered": answered.get(int(u.id), 0), "pairs": pairs,
          "updated_at": as_utc(m.updated_at), "submitted_at": as_utc(m.submitted_at)}
         for m, u in members],
        columns=["user_id", "username", "display_name", "status", "answered", "pairs",
                 "updated_at", "submitted_at"])


