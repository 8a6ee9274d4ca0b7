"""What staff read of a Delphi round: progress, ratings, statistics, authority, screening, draft.

Everything here is for staff: who answered so far, the experts × indicators ratings, the
statistics of
:func:`review.delphi.round_statistics` (recomputed from the stored ratings, which a closed round
no longer changes), each expert's authority coefficient, the screening of
:func:`review.delphi_screen.screen`, the paper tables of the whole study and, with
:func:`propose_draft`, the draft library version the screening proposes — stored, with the
screening and any overrides recorded on the round. An expert asking for any of them is refused
by the store, whatever a page shows.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlmodel import Session, select, update

from indicators.errors import InputError
from indicators.frontdoor import Viewer
from indicators.model import LibraryVersion, Status
from indicators.store import get_library, save_library, update_draft
from review.access import audit, require_staff
from review.delphi import DelphiRound
from review.delphi_access import (
    json_ready,
    ratings_of,
    require_closed,
    round_row,
    statistics_of,
    study_row,
)
from review.delphi_screen import DECISIONS, Screening, paper_tables, proposed_library, screen
from review.delphi_tables import (
    DelphiProposalRow,
    DelphiRatingRow,
    DelphiResponseRow,
    DelphiRoundRow,
    DelphiRoundStatus,
)
from review.tables import UserRow, as_utc

__all__ = [
    "expert_authority",
    "paper_tables_for",
    "propose_draft",
    "rating_table",
    "response_progress",
    "round_statistics_for",
    "screen_round",
]


def response_progress(session: Session, *, round_id: int, by: Viewer) -> pd.DataFrame:
    """Who was invited, who answered and how far: the staff's view of a round.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        Admin or finance staff.

    Returns
    -------
    pandas.DataFrame
        One row per invited expert: ``expert_id``, ``username``, ``display_name``, ``status``,
        ``rated`` (indicators rated), ``indicators``, ``proposals``, ``updated_at``,
        ``submitted_at``.

    Notes
    -----
    Counts only: the ratings themselves are read with :func:`rating_table`.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    >>> with Session(engine) as s:
    ...     response_progress(s, round_id=tiny.round_id, by=tiny.staff)["status"].tolist()
    ['invited', 'invited', 'invited']
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    rnd = round_row(session, round_id)
    rows = session.exec(select(DelphiResponseRow, UserRow).join(
        UserRow, UserRow.id == DelphiResponseRow.expert_id).where(
        DelphiResponseRow.round_id == rnd.id).order_by(UserRow.username)).all()
    rated: dict[int, int] = {}
    for r in session.exec(select(DelphiRatingRow).where(DelphiRatingRow.round_id == rnd.id)):
        rated[int(r.expert_id)] = rated.get(int(r.expert_id), 0) + (r.rating is not None)
    proposed: dict[int, int] = {}
    for p in session.exec(select(DelphiProposalRow).where(DelphiProposalRow.round_id == rnd.id)):
        proposed[int(p.expert_id)] = proposed.get(int(p.expert_id), 0) + 1
    return pd.DataFrame(
        [{"expert_id": int(u.id), "username": u.username, "display_name": u.display_name,
          "status": resp.status, "rated": rated.get(int(u.id), 0),
          "indicators": len(rnd.indicators), "proposals": proposed.get(int(u.id), 0),
          "updated_at": as_utc(resp.updated_at), "submitted_at": as_utc(resp.submitted_at)}
         for resp, u in rows],
        columns=["expert_id", "username", "display_name", "status", "rated", "indicators",
                 "proposals", "updated_at", "submitted_at"])


def rating_table(session: Session, *, round_id: int, by: Viewer) -> pd.DataFrame:
    """Every submitted rating of a round: experts × indicators (staff only).

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        Admin or finance staff; an expert is refused, whatever the round's status.

    Returns
    -------
    pandas.DataFrame
        Indexed by username, one column per indicator code of the round; NaN where blank.

    Notes
    -----
    Drafts are not included: a rating counts once its questionnaire is submitted.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, answered=True)
    >>> with Session(engine) as s:
    ...     rating_table(s, round_id=tiny.round_id, by=tiny.staff).shape
    (3, 6)
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    return ratings_of(session, round_row(session, round_id))


def round_statistics_for(session: Session, *, round_id: int, by: Viewer) -> DelphiRound:
    """The statistics of a closed round (staff only).

    Parameters
    ----------
    session
        An open session.
    round_id
        A closed round with at least one submitted questionnaire.
    by
        Admin or finance staff.

    Returns
    -------
    DelphiRound
        As :func:`review.delphi.round_statistics` computes it: response rate, per-indicator
        statistics with the ``group`` (level), Kendall's W per level, authority.

    Raises
    ------
    ConflictError
        The round is still open.
    InputError
        Nobody submitted.

    Notes
    -----
    Recomputed from the stored ratings, which a closed round no longer changes, so it equals
    the snapshot taken at the close. Experts are indexed by username.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, closed=True)
    >>> with Session(engine) as s:
    ...     round(round_statistics_for(s, round_id=tiny.round_id, by=tiny.staff).response_rate, 2)
    1.0
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    rnd = round_row(session, round_id)
    require_closed(rnd)
    return statistics_of(session, rnd)


def expert_authority(session: Session, *, round_id: int, by: Viewer) -> pd.Series:
    """Each responding expert's authority coefficient Cr in a closed round (staff only).

    Parameters
    ----------
    session
        An open session.
    round_id
        A closed round.
    by
        Admin or finance staff.

    Returns
    -------
    pandas.Series
        Cr by user id (NaN where the expert left basis or familiarity blank).

    Notes
    -----
    Read from the snapshot taken at the close; a group AHP survey weighs its members by it.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, closed=True)
    >>> with Session(engine) as s:
    ...     expert_authority(s, round_id=tiny.round_id, by=tiny.staff).round(2).tolist()
    [0.9, 0.85, 0.7]
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    rnd = round_row(session, round_id)
    require_closed(rnd)
    experts = ((rnd.results or {}).get("authority") or {}).get("experts") or {}
    return pd.Series({int(k): float("nan") if v is None else float(v)
                      for k, v in experts.items()}, dtype=float, name="cr")


def screen_round(session: Session, *, round_id: int, method: str = "threshold",
                 min_mean: float = 3.5, max_cv: float = 0.25,
                 min_full_score: float | None = None, drop_when: str = "all",
                 by: Viewer) -> Screening:
    """Screen a closed round's indicators by fixed thresholds or the cut-off method (staff only).

    Parameters
    ----------
    session
        An open session.
    round_id
        A closed round.
    method, min_mean, max_cv, min_full_score, drop_when
        As in :func:`review.delphi_screen.screen`.
    by
        Admin or finance staff.

    Returns
    -------
    Screening

    Notes
    -----
    Nothing is stored: the screening a draft was built from is stored by
    :func:`propose_draft`.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, closed=True)
    >>> with Session(engine) as s:
    ...     screen_round(s, round_id=tiny.round_id, by=tiny.staff).codes("drop")
    ('B2',)
    >>> clear_engine_cache()
    """
    return screen(round_statistics_for(session, round_id=round_id, by=by), method=method,
                  min_mean=min_mean, max_cv=max_cv, min_full_score=min_full_score,
                  drop_when=drop_when)


def paper_tables_for(session: Session, *, study_id: int, by: Viewer) -> dict[str, pd.DataFrame]:
    """The study's closed rounds laid out as a Delphi paper reports them (staff only).

    Parameters
    ----------
    session
        An open session.
    study_id
        The study.
    by
        Admin or finance staff.

    Returns
    -------
    dict of str to pandas.DataFrame
        :func:`review.delphi_screen.paper_tables` over every closed round that has answers,
        with the last round's stored screening (if a draft was proposed from it).

    Raises
    ------
    InputError
        No closed round with answers.

    Notes
    -----
    Indicator names come from the rounds' snapshots.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, closed=True)
    >>> with Session(engine) as s:
    ...     sorted(paper_tables_for(s, study_id=tiny.study_id, by=tiny.staff))
    ['协调系数', '指标得分', '权威系数', '积极系数']
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    study = study_row(session, study_id)
    rows = [r for r in session.exec(select(DelphiRoundRow).where(
        DelphiRoundRow.study_id == study.id).order_by(DelphiRoundRow.number)).all()
        if r.status == DelphiRoundStatus.CLOSED.value and (r.results or {}).get("responded")]
    if not rows:
        raise InputError("本研究还没有已结束且有答卷的轮次",
                         "the study has no closed round with answers yet", field="study_id")
    rounds = [statistics_of(session, r) for r in rows]
    names = {i["code"]: i["name"] for r in rows for i in r.indicators}
    stored = rows[-1].screening
    screening = None
    if stored:
        screening = screen(rounds[-1], **{k: stored[k] for k in (
            "method", "min_mean", "max_cv", "min_full_score", "drop_when")})
        overrides = stored.get("overrides") or {}
        if overrides:
            table = screening.table.copy()
            for code, decision in overrides.items():
                if code in table.index:
                    table.loc[code, "decision"] = decision
            table["decision_zh"] = table["decision"].map(DECISIONS)
            screening = Screening(table=table, method=screening.method,
                                  cutoffs=screening.cutoffs, drop_when=screening.drop_when,
                                  round_label=screening.round_label)
    return paper_tables(rounds, screening=screening, names=names)


def propose_draft(session: Session, *, round_id: int, method: str = "threshold",
                  min_mean: float = 3.5, max_cv: float = 0.25,
                  min_full_score: float | None = None, drop_when: str = "all",
                  overrides: Mapping[str, str] | None = None, new_version: str | None = None,
                  by: Viewer) -> LibraryVersion:
    """Store the draft library version a closed round's screening proposes.

    Parameters
    ----------
    session
        An open session. The library write commits it, together with the round's record of
        the screening (one transaction).
    round_id
        A closed round with answers.
    method, min_mean, max_cv, min_full_score, drop_when
        The screening, as in :func:`review.delphi_screen.screen`.
    overrides
        Indicator code → ``keep``/``revise``/``drop`` where staff decided otherwise.
    new_version
        The draft's version when the round rated a published version (default: next minor).
    by
        Admin or finance staff.

    Returns
    -------
    LibraryVersion
        The stored draft, without the dropped indicators, its last changelog line citing the
        round.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is open, the version exists already, or a kept indicator sits under a
        dropped one.
    InputError
        A bad screening setting or override.

    Notes
    -----
    Built by :func:`review.delphi_screen.proposed_library`: a published base starts a new draft
    (:func:`indicators.store.save_library`); a draft base (one a previous round proposed) is
    edited in place (:func:`indicators.store.update_draft`). The screening settings and the
    overrides are kept on the round, and the audit log records them. Publishing stays a
    separate, human step in the library editor.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.delphi_demo import seed_tiny_delphi
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s, closed=True)
    >>> with Session(engine) as s:
    ...     draft = propose_draft(s, round_id=tiny.round_id, by=tiny.staff)
    >>> draft.ref, [i.code for i in draft.indicators]
    ('delphi-demo@1.1.0', ['A', 'A1', 'A2', 'B', 'B1'])
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = round_row(session, round_id)
    require_closed(rnd)
    settings = {"method": method, "min_mean": float(min_mean), "max_cv": float(max_cv),
                "min_full_score": None if min_full_score is None else float(min_full_score),
                "drop_when": drop_when}
    screening = screen(statistics_of(session, rnd), **settings)
    chosen = {str(k): str(v) for k, v in (overrides or {}).items()}
    base = get_library(session, ref=rnd.library_ref)
    draft = proposed_library(base, screening, rnd.label, overrides=chosen,
                             author=actor.display_name,
                             new_version=None if base.status is Status.DRAFT else new_version)
    record = {**settings, "overrides": chosen, "draft_ref": draft.ref}
    session.exec(update(DelphiRoundRow).where(DelphiRoundRow.id == rnd.id).values(
        screening=json_ready(record), draft_ref=draft.ref, version=DelphiRoundRow.version + 1))
    audit(session, actor=actor, entity="delphi_round", entity_id=int(rnd.id),
          action="propose_draft", new=json_ready(record))
    session.flush()
    if base.status is Status.DRAFT:
        return update_draft(session, version=draft)
    return save_library(session, version=draft)
