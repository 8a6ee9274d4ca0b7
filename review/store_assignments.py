"""Panels and assignments: who sits on a round, and who scores which report.

Manual and automatic assignment share one conflict-of-interest rule: nobody scores a report of
their own department. Automatic assignment uses the :mod:`review.assign` kernel. Every change is
audited with the pairs added or removed. Functions flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlmodel import Session, delete, select

from indicators.errors import ConflictError, InputError
from indicators.frontdoor import Role, Viewer
from review.access import (
    RATER_ROLES,
    audit,
    editable_round,
    is_panel_member,
    require_staff,
    user_row,
)
from review.assign import assign_reports
from review.model import RoundStatus, UserPublic
from review.tables import AssignmentRow, PanelRow, ReportRow, RoundRow, UserRow
from review.views import user_public

__all__ = ["assign", "auto_assign", "panel_members", "set_panel"]


def panel_members(session: Session, *, round_id: int, by: Viewer) -> list[UserPublic]:
    """Who sits on a round's panel.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        Admin or finance staff (raters never see who else is on the panel).

    Returns
    -------
    list of UserPublic
        The panel, by username.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    ...     _ = set_panel(s, round_id=tiny.round_id,
    ...                   user_ids=[r.user_id for r in tiny.raters], by=tiny.admin)
    >>> with Session(engine) as s:
    ...     [u.username for u in panel_members(s, round_id=tiny.round_id, by=tiny.admin)]
    ['rater1', 'rater2']
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    rows = session.exec(select(UserRow).join(PanelRow, PanelRow.user_id == UserRow.id)
                        .where(PanelRow.round_id == round_id)).all()
    return sorted((user_public(r) for r in rows), key=lambda u: u.username)


def set_panel(session: Session, *, round_id: int, user_ids: Sequence[int], by: Viewer) -> list[UserPublic]:
    """Set who sits on a round's panel (experts and deputies).

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft or open.
    user_ids
        The whole panel; members not listed are removed.
    by
        Admin or finance staff.

    Returns
    -------
    list of UserPublic
        The panel, by username.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is closed, or a member to remove still has sheets in it.
    InputError
        An account that is not an expert or deputy, or is disabled.
    NotFoundError
        An unknown account.

    Notes
    -----
    The change is logged with the panel before and after.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     [u.username for u in set_panel(s, round_id=tiny.round_id,
    ...                                    user_ids=[r.user_id for r in tiny.raters], by=tiny.admin)]
    ['rater1', 'rater2']
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = editable_round(session, round_id, allowed=(RoundStatus.DRAFT, RoundStatus.OPEN))
    wanted = sorted({int(u) for u in user_ids})
    rows = [user_row(session, u) for u in wanted]
    for row in rows:
        if Role(row.role) not in RATER_ROLES or row.disabled:
            raise InputError(f"'{row.username}' 不是可用的专家或人大代表",
                             f"'{row.username}' is not an active expert or deputy",
                             field="user_ids")
    current = sorted(int(u) for u in session.exec(
        select(PanelRow.user_id).where(PanelRow.round_id == rnd.id)).all())
    removed = sorted(set(current) - set(wanted))
    if removed:
        busy = session.exec(select(AssignmentRow.rater_id).where(
            AssignmentRow.round_id == rnd.id, AssignmentRow.rater_id.in_(removed))).first()
        if busy is not None:
            raise ConflictError(f"用户 {busy} 在本轮已有评分表，不能移出评审组",
                                f"user {busy} has sheets in this round and cannot leave the "
                                "panel", field="user_ids")
        session.exec(delete(PanelRow).where(PanelRow.round_id == rnd.id,
                                            PanelRow.user_id.in_(removed)))
    session.add_all(PanelRow(round_id=int(rnd.id), user_id=u)
                    for u in wanted if u not in set(current))
    audit(session, actor=actor, entity="panel", entity_id=int(rnd.id), action="set",
          old={"user_ids": current}, new={"user_ids": wanted})
    session.flush()
    return sorted((user_public(r) for r in rows), key=lambda u: u.username)


def _insert_assignments(session: Session, rnd: RoundRow, pairs: list[tuple[int, int]],
                        actor: UserRow, action: str) -> int:
    session.add_all(AssignmentRow(round_id=int(rnd.id), report_id=r, rater_id=u)
                    for r, u in pairs)
    session.flush()
    audit(session, actor=actor, entity="assignment", entity_id=int(rnd.id), action=action,
          new={"pairs": [[r, u] for r, u in pairs]})
    session.flush()
    return len(pairs)


def assign(session: Session, *, round_id: int, pairs: Sequence[tuple[int, int]], by: Viewer) -> int:
    """Assign reports to raters by hand.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft or open.
    pairs
        ``(report_id, rater_id)`` pairs to add.
    by
        Admin or finance staff.

    Returns
    -------
    int
        The number of sheets created.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is closed, or a pair is already assigned.
    InputError
        A report not in this round, a rater not on its panel, or a rater from the report's
        own department (conflict of interest).

    Notes
    -----
    The conflict-of-interest rule is the same as automatic assignment's
    (:func:`review.assign.conflict_mask`).

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from review.store_reports import add_report
    >>> with Session(engine) as s, s.begin():
    ...     extra = add_report(s, round_id=tiny.round_id, title="补充报告", filename="extra.md",
    ...                        content="# 补充".encode(), by=tiny.admin)
    ...     assign(s, round_id=tiny.round_id, pairs=[(extra.report_id, tiny.raters[0].user_id)],
    ...            by=tiny.admin)
    1
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = editable_round(session, round_id, allowed=(RoundStatus.DRAFT, RoundStatus.OPEN))
    wanted = [(int(r), int(u)) for r, u in pairs]
    if len(set(wanted)) != len(wanted):
        raise InputError("分配中有重复的报告与评审人组合", "a pair is listed twice", field="pairs")
    reports = {int(r.id): r for r in session.exec(
        select(ReportRow).where(ReportRow.round_id == rnd.id)).all()}
    for report_id, rater_id in wanted:
        if report_id not in reports:
            raise InputError(f"报告 {report_id} 不属于本轮", f"report {report_id} is not in this round",
                             field="pairs")
        rater = user_row(session, rater_id)
        if not is_panel_member(session, int(rnd.id), rater_id):
            raise InputError(f"'{rater.username}' 不在本轮评审组中",
                             f"'{rater.username}' is not on this round's panel", field="pairs")
        department = reports[report_id].department
        if rater.department and rater.department == department:
            raise InputError(f"'{rater.username}' 与报告 {report_id} 同属 {department}，须回避",
                             f"'{rater.username}' works in {department}, the department of "
                             f"report {report_id} (conflict of interest)", field="pairs")
    taken = session.exec(select(AssignmentRow.report_id, AssignmentRow.rater_id).where(
        AssignmentRow.round_id == rnd.id)).all()
    clash = set(wanted) & {(int(r), int(u)) for r, u in taken}
    if clash:
        r, u = sorted(clash)[0]
        raise ConflictError(f"报告 {r} 已分配给用户 {u}", f"report {r} is already assigned to user {u}",
                            field="pairs")
    return _insert_assignments(session, rnd, wanted, actor, "assign")


def auto_assign(session: Session, *, round_id: int, k: int | None = None, seed: int = 0,
                by: Viewer) -> pd.DataFrame:
    """Assign every report of a draft round to k panel members automatically.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft (nothing is scored yet, so earlier assignments are replaced).
    k
        Raters per report; None uses the round's ``raters_per_report``.
    seed
        Seed of :func:`review.assign.assign_reports`.
    by
        Admin or finance staff.

    Returns
    -------
    pandas.DataFrame
        One row per rater: ``rater_id``, ``username``, ``department``, ``load``.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is not in draft.
    InputError
        No reports or panel, or no assignment satisfies k and the conflict rule (the message
        names the first report that lacks eligible raters).

    Notes
    -----
    The plan is the kernel's: exactly k raters per report, loads as even as conflicts allow,
    no rater on a report of their own department.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from review.store_rounds import create_round
    >>> from review.store_reports import add_report
    >>> with Session(engine) as s, s.begin():
    ...     rnd = create_round(s, title="新轮次", year=2022, rubric_ref="report-review-rubric",
    ...                        deadline=None, raters_per_report=1, by=tiny.admin)
    ...     for n in range(4):
    ...         _ = add_report(s, round_id=rnd.round_id, title=f"报告{n}", filename="r.md",
    ...                        content=b"# r", by=tiny.admin)
    ...     _ = set_panel(s, round_id=rnd.round_id, user_ids=[r.user_id for r in tiny.raters],
    ...                   by=tiny.admin)
    ...     auto_assign(s, round_id=rnd.round_id, by=tiny.admin)["load"].tolist()
    [2, 2]
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = editable_round(session, round_id, allowed=(RoundStatus.DRAFT,))
    reports = session.exec(select(ReportRow.id, ReportRow.department, ReportRow.title).where(
        ReportRow.round_id == rnd.id).order_by(ReportRow.id)).all()
    raters = session.exec(select(UserRow.id, UserRow.username, UserRow.department).join(
        PanelRow, PanelRow.user_id == UserRow.id).where(
        PanelRow.round_id == rnd.id, UserRow.disabled.is_(False)).order_by(UserRow.id)).all()
    if not raters:
        raise InputError("本轮还没有评审组成员", "the round has no panel yet", field="round_id")
    k = int(rnd.raters_per_report if k is None else k)
    plan = assign_reports([r[1] for r in reports], [d for _, _, d in raters], k, seed=seed,
                          report_labels=[f"'{r[2]}' ({r[0]})" for r in reports])
    old = session.exec(select(AssignmentRow.report_id, AssignmentRow.rater_id).where(
        AssignmentRow.round_id == rnd.id)).all()
    if old:
        session.exec(delete(AssignmentRow).where(AssignmentRow.round_id == rnd.id))
        audit(session, actor=actor, entity="assignment", entity_id=int(rnd.id),
              action="clear", old={"pairs": [[int(r), int(u)] for r, u in old]})
    pairs = [(int(reports[i][0]), int(raters[j][0])) for i, j in plan.pairs]
    _insert_assignments(session, rnd, pairs, actor, f"auto_assign(k={k}, seed={seed})")
    return pd.DataFrame({"rater_id": [int(r[0]) for r in raters],
                         "username": [r[1] for r in raters],
                         "department": [r[2] for r in raters],
                         "load": plan.loads.astype(int)})
