"""What the Delphi store modules share: finding rows, who may see a round, reading its ratings.

:mod:`review.delphi_store` (studies and rounds), :mod:`review.delphi_results` (statistics,
screening, the proposed draft) and :mod:`review.delphi_answers` (the expert's questionnaire)
read rows through these functions, so the rule "staff see everything, an expert sees a round
only once invited" is written once. Ratings are read here only for staff-side statistics and
aggregate feedback; an expert's own answers are read in :mod:`review.delphi_answers`.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from indicators.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from indicators.frontdoor import STAFF_ROLES, Role, Viewer
from review.access import active_user, as_date
from review.delphi import DelphiRound, round_statistics
from review.delphi_authority import authority_table
from review.delphi_tables import (
    DelphiRatingRow,
    DelphiResponseRow,
    DelphiRoundRow,
    DelphiRoundStatus,
    DelphiStudyRow,
    ResponseStatus,
    level_label,
)
from review.tables import UserRow

__all__ = [
    "as_date",
    "invited_count",
    "is_staff",
    "json_ready",
    "ratings_of",
    "require_closed",
    "round_row",
    "statistics_of",
    "study_row",
    "submitted_experts",
    "visible_round",
]


def study_row(session: Session, study_id: int) -> DelphiStudyRow:
    """The study's row.

    Parameters
    ----------
    session
        An open session.
    study_id
        The study.

    Returns
    -------
    DelphiStudyRow

    Raises
    ------
    NotFoundError
        No such study.

    Notes
    -----
    Rows stay inside the store modules.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     try:
    ...         study_row(s, 9)
    ...     except NotFoundError as err:
    ...         print(err.en)
    Delphi study 9 not found
    >>> clear_engine_cache()
    """
    row = session.get(DelphiStudyRow, study_id)
    if row is None:
        raise NotFoundError(f"找不到德尔菲研究 {study_id}", f"Delphi study {study_id} not found",
                            field="study_id")
    return row


def round_row(session: Session, round_id: int) -> DelphiRoundRow:
    """The round's row.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.

    Returns
    -------
    DelphiRoundRow

    Raises
    ------
    NotFoundError
        No such round.

    Notes
    -----
    Rows stay inside the store modules.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     try:
    ...         round_row(s, 9)
    ...     except NotFoundError as err:
    ...         print(err.en)
    Delphi round 9 not found
    >>> clear_engine_cache()
    """
    row = session.get(DelphiRoundRow, round_id)
    if row is None:
        raise NotFoundError(f"找不到德尔菲轮次 {round_id}", f"Delphi round {round_id} not found",
                            field="round_id")
    return row


def is_staff(user: UserRow) -> bool:
    """Whether an account is admin or finance staff.

    Parameters
    ----------
    user
        An account row.

    Returns
    -------
    bool

    Notes
    -----
    Staff are :data:`indicators.frontdoor.STAFF_ROLES`.

    Examples
    --------
    >>> is_staff(UserRow(username="f", display_name="F", role="finance"))
    True
    """
    return Role(user.role) in STAFF_ROLES


def visible_round(session: Session, round_id: int,
                  viewer: Viewer) -> tuple[DelphiRoundRow, UserRow]:
    """The round and the viewer's account, when the viewer is staff or invited to the round.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    viewer
        The signed-in person.

    Returns
    -------
    tuple
        The round's row and the viewer's account row.

    Raises
    ------
    NotFoundError
        No such round.
    PermissionDeniedError
        A disabled account, or an expert not invited to the round.

    Notes
    -----
    The account is re-read, so a disabled account or a changed role counts at once.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    >>> with Session(engine) as s:
    ...     visible_round(s, tiny.round_id, tiny.experts[0])[1].username
    'expert1'
    >>> clear_engine_cache()
    """
    user = active_user(session, viewer)
    row = round_row(session, round_id)
    if not is_staff(user) and session.get(DelphiResponseRow, (row.id, user.id)) is None:
        raise PermissionDeniedError("您没有受邀参加该轮咨询", "you are not invited to this round",
                                    field="round_id")
    return row, user


def require_closed(rnd: DelphiRoundRow) -> None:
    """Refuse a round that is still open.

    Parameters
    ----------
    rnd
        The round.

    Returns
    -------
    None

    Raises
    ------
    ConflictError
        The round is open.

    Notes
    -----
    Statistics, screening and feedback exist only once the answers are final.

    Examples
    --------
    >>> require_closed(DelphiRoundRow(study_id=1, number=1, label="第1轮", library_ref="x",
    ...                               status="closed"))
    """
    if rnd.status != DelphiRoundStatus.CLOSED.value:
        raise ConflictError(f"{rnd.label} 尚未结束，统计结果在结束后生成",
                            f"{rnd.label} is still open; its statistics come when it closes",
                            field="round_id")


def invited_count(session: Session, rnd: DelphiRoundRow) -> int:
    """How many experts the round invited.

    Parameters
    ----------
    session
        An open session.
    rnd
        The round.

    Returns
    -------
    int

    Notes
    -----
    The denominator of the positive coefficient.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     invited_count(s, round_row(s, tiny.round_id))
    3
    >>> clear_engine_cache()
    """
    return len(session.exec(select(DelphiResponseRow.expert_id).where(
        DelphiResponseRow.round_id == rnd.id)).all())


def submitted_experts(session: Session,
                      rnd: DelphiRoundRow) -> list[tuple[DelphiResponseRow, UserRow]]:
    """The submitted responses of a round with their accounts, by username.

    Parameters
    ----------
    session
        An open session.
    rnd
        The round.

    Returns
    -------
    list of tuple
        (response row, account row) pairs.

    Notes
    -----
    Drafts do not count: a questionnaire counts once submitted.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, answered=True)
    ...     [u.username for _, u in submitted_experts(s, round_row(s, tiny.round_id))]
    ['expert1', 'expert2', 'expert3']
    >>> clear_engine_cache()
    """
    return list(session.exec(select(DelphiResponseRow, UserRow).join(
        UserRow, UserRow.id == DelphiResponseRow.expert_id).where(
        DelphiResponseRow.round_id == rnd.id,
        DelphiResponseRow.status == ResponseStatus.SUBMITTED.value).order_by(
        UserRow.username)).all())


def ratings_of(session: Session, rnd: DelphiRoundRow) -> pd.DataFrame:
    """Submitted experts × the round's indicators, NaN where left blank.

    Parameters
    ----------
    session
        An open session.
    rnd
        The round.

    Returns
    -------
    pandas.DataFrame
        Indexed by username; one column per indicator code of the round's snapshot.

    Notes
    -----
    For staff-side statistics only; callers check who is asking.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, answered=True)
    ...     ratings_of(s, round_row(s, tiny.round_id))["B2"].tolist()
    [2.0, 3.0, 1.0]
    >>> clear_engine_cache()
    """
    experts = submitted_experts(session, rnd)
    names = {int(u.id): u.username for _, u in experts}
    codes = [i["code"] for i in rnd.indicators]
    frame = pd.DataFrame(float("nan"), index=pd.Index(list(names.values()), dtype=object),
                         columns=codes)
    rows = session.exec(select(DelphiRatingRow).where(
        DelphiRatingRow.round_id == rnd.id,
        DelphiRatingRow.expert_id.in_(list(names)))).all()
    for r in rows:
        if r.rating is not None and r.indicator_code in frame.columns:
            frame.loc[names[int(r.expert_id)], r.indicator_code] = float(r.rating)
    return frame


def statistics_of(session: Session, rnd: DelphiRoundRow) -> DelphiRound:
    """The round's statistics from its submitted answers.

    Parameters
    ----------
    session
        An open session.
    rnd
        The round.

    Returns
    -------
    DelphiRound
        :func:`review.delphi.round_statistics` with groups by indicator level, the study's
        scale and authority table, and every invitation counted.

    Raises
    ------
    InputError
        Nobody submitted.

    Notes
    -----
    Indicators nobody rated are left out (their statistics are undefined); the close records
    which.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, answered=True)
    ...     statistics_of(s, round_row(s, tiny.round_id)).responded
    3
    >>> clear_engine_cache()
    """
    study = study_row(session, rnd.study_id)
    experts = submitted_experts(session, rnd)
    if not experts:
        raise InputError(f"{rnd.label} 没有已提交的问卷", f"{rnd.label} has no submitted answers",
                         field="round_id")
    frame = ratings_of(session, rnd)
    frame = frame.loc[:, frame.notna().any(axis=0)]
    levels = {i["code"]: level_label(i["level"]) for i in rnd.indicators}
    table = authority_table(study.authority_table)
    who = [u.username for _, u in experts]
    basis = pd.DataFrame([{b: (resp.basis or {}).get(b) or None for b in table.basis}
                          for resp, _ in experts], index=who, columns=list(table.basis),
                         dtype=object)
    familiarity = pd.Series([resp.familiarity or None for resp, _ in experts], index=who,
                            dtype=object)
    return round_statistics(frame, label=rnd.label, invited=invited_count(session, rnd),
                            groups={c: levels[c] for c in frame.columns}, basis=basis,
                            familiarity=familiarity, authority=table,
                            scale=(1, int(study.scale_max)))


def json_ready(value: Any) -> Any:
    """A value JSON columns accept on every database: NaN as None, numpy scalars as Python.

    Parameters
    ----------
    value
        Nested dicts, lists and scalars.

    Returns
    -------
    Any

    Notes
    -----
    PostgreSQL's JSON type refuses NaN, which pandas produces for undefined statistics.

    Examples
    --------
    >>> json_ready({"w": float("nan"), "n": [1.5]})
    {'w': None, 'n': [1.5]}
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

