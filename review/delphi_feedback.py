"""What experts see between Delphi rounds: the group's ratings beside their own.

Controlled feedback is what makes a Delphi iterate (Dalkey & Helmer 1963, Management Science
9(3), 458-467): after a round closes, each expert sees, per indicator, the group's mean, SD and
median and his own rating; in the next round's questionnaire the same figures stand beside each
indicator. The group figures are computed here from every submitted rating; only aggregates and
the reader's own ratings leave the store.
"""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session, select

from indicators.errors import InputError
from indicators.frontdoor import Viewer
from review.delphi_access import is_staff, ratings_of, require_closed, study_row, visible_round
from review.delphi_screen import Feedback, group_feedback
from review.delphi_tables import DelphiRoundRow, DelphiRoundStatus

__all__ = ["previous_feedback", "round_feedback"]


def previous_feedback(session: Session, rnd: DelphiRoundRow,
                      username: str) -> pd.DataFrame | None:
    """The study's last closed round before ``rnd``: the group's statistics and one's own rating.

    Parameters
    ----------
    session
        An open session.
    rnd
        The round being answered.
    username
        The expert reading it.

    Returns
    -------
    pandas.DataFrame or None
        Indexed by indicator (the index named after the earlier round): ``group_mean``,
        ``group_sd``, ``group_median`` and ``own_rating`` (NaN where he left it blank or did
        not answer); None in a study's first round or after a round without answers.

    Notes
    -----
    Computed from every expert's submitted ratings in the store; only the aggregates and the
    reader's own ratings come out.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_access import round_row
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    ...     previous_feedback(s, round_row(s, tiny.round_id), "expert1") is None
    True
    >>> clear_engine_cache()
    """
    earlier = session.exec(select(DelphiRoundRow).where(
        DelphiRoundRow.study_id == rnd.study_id, DelphiRoundRow.number < rnd.number,
        DelphiRoundRow.status == DelphiRoundStatus.CLOSED.value).order_by(
        DelphiRoundRow.number.desc())).first()
    if earlier is None:
        return None
    frame = ratings_of(session, earlier)
    frame = frame.loc[:, frame.notna().any(axis=0)]
    if frame.empty:
        return None
    study = study_row(session, rnd.study_id)
    fb = group_feedback(frame, round_label=earlier.label, scale=(1, int(study.scale_max)))
    mine = fb.by_expert[fb.by_expert["expert"] == username].set_index("indicator")
    return pd.DataFrame({"group_mean": fb.group["mean"], "group_sd": fb.group["sd"],
                         "group_median": fb.group["median"],
                         "own_rating": mine["own_rating"].reindex(fb.group.index)}).rename_axis(
        earlier.label)


def round_feedback(session: Session, *, round_id: int, by: Viewer) -> Feedback:
    """A closed round's feedback: the group's ratings, and each expert's own beside them.

    Parameters
    ----------
    session
        An open session.
    round_id
        A closed round with answers.
    by
        Staff (every expert's rows) or an invited expert (only his own rows).

    Returns
    -------
    Feedback
        :func:`review.delphi_screen.group_feedback`; for an expert ``by_expert`` holds only his
        own ratings.

    Raises
    ------
    ConflictError
        The round is still open (the group's view would reveal answers in progress).
    PermissionDeniedError
        An expert not invited to the round.

    Notes
    -----
    The group statistics are computed in the store from every submitted rating; only the
    aggregates and the reader's own ratings leave it.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, closed=True)
    >>> with Session(engine) as s:
    ...     fb = round_feedback(s, round_id=tiny.round_id, by=tiny.experts[0])
    >>> sorted(set(fb.by_expert["expert"])), float(fb.group.loc["B2", "mean"])
    (['expert1'], 2.0)
    >>> clear_engine_cache()
    """
    rnd, user = visible_round(session, round_id, by)
    require_closed(rnd)
    frame = ratings_of(session, rnd)
    frame = frame.loc[:, frame.notna().any(axis=0)]
    if frame.empty:
        raise InputError(f"{rnd.label} 没有已提交的问卷", f"{rnd.label} has no submitted answers",
                         field="round_id")
    study = study_row(session, rnd.study_id)
    fb = group_feedback(frame, round_label=rnd.label, scale=(1, int(study.scale_max)))
    if is_staff(user):
        return fb
    own = fb.by_expert[fb.by_expert["expert"] == user.username].reset_index(drop=True)
    return Feedback(group=fb.group, by_expert=own, round_label=fb.round_label)
