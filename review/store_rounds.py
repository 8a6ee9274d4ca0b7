"""Review rounds: create one with a snapshot of its rubric, list and read them, open and close.

Staff run rounds; a rater sees the rounds whose panel they sit on. Status changes are a
compare-and-set on the round's version, audited. Functions flush; the caller commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select, update

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.frontdoor import Role, Viewer
from indicators.model import Status
from indicators.store import get_library
from review.access import (
    active_user,
    as_date,
    audit,
    editable_round,
    require_staff,
    round_row,
    usernames,
)
from review.model import PanelMethod, RoundPublic, RoundStatus
from review.tables import AssignmentRow, PanelRow, RoundRow, UserRow, utc_now
from review.views import round_public

__all__ = ["close_round", "create_round", "get_round", "list_rounds", "open_round"]


def _rubric_snapshot(session: Session, ref: str) -> tuple[str, list[dict[str, Any]]]:
    library = get_library(session, ref=ref)
    if library.status is not Status.PUBLISHED:
        raise InputError(f"评分表 '{library.ref}' 未发布（{library.status.value}），不能用于评审",
                         f"rubric '{library.ref}' is {library.status.value}, not published",
                         field="rubric_ref")
    items = []
    for leaf in library.leaves():
        if leaf.weight is None or leaf.weight <= 0:
            raise InputError(f"评分项 {leaf.code} 没有正的权重（满分）",
                             f"rubric item {leaf.code} has no positive weight (maximum score)",
                             field="rubric_ref")
        top = library.path(leaf.code)[0]
        items.append({"code": leaf.code, "name": leaf.name, "explanation": leaf.explanation,
                      "checkpoints": leaf.checkpoints, "min_score": 0.0,
                      "max_score": float(leaf.weight), "level1": top.name})
    if not items:
        raise InputError(f"评分表 '{library.ref}' 没有评分项", f"rubric '{library.ref}' has no items",
                         field="rubric_ref")
    return library.ref, items


def create_round(
    session: Session,
    *,
    title: str,
    year: int,
    rubric_ref: str,
    deadline: date | str | None,
    raters_per_report: int = 4,
    panel_method: PanelMethod | str = "mean",
    by: Viewer,
) -> RoundPublic:
    """Create a review round in draft, with a snapshot of its rubric.

    Parameters
    ----------
    session
        An open session; the caller commits.
    title
        For example "2021 年度财政重点评价报告评审".
    year
        The budget year under review.
    rubric_ref
        A published rubric library version, ``"report-review-rubric@1.0.0"``, or a framework
        id for its latest published version.
    deadline
        The last day for submitting (a ``date`` or ``YYYY-MM-DD``), or None.
    raters_per_report
        k for automatic assignment.
    panel_method
        ``mean``, ``trimmed_mean`` or ``median`` (see :mod:`review.panel`).
    by
        Admin or finance staff.

    Returns
    -------
    RoundPublic
        With ``rubric_ref`` resolved to the exact version.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    NotFoundError
        No such rubric.
    InputError
        Empty title, k < 1, unknown method, a rubric that is not published or has an item
        without a positive weight.
    ConflictError
        A round with the same title exists.

    Notes
    -----
    The rubric's leaves become the items scored, from 0 to their weight. They are copied into
    the round, so the round keeps the exact sheet it was scored on.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     rnd = create_round(s, title="2022 年度评审", year=2022,
    ...                        rubric_ref="report-review-rubric", deadline="2022-06-30",
    ...                        by=tiny.admin)
    >>> rnd.rubric_ref, rnd.status.value, rnd.deadline.isoformat()
    ('report-review-rubric@1.0.0', 'draft', '2022-06-30')
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    title = str(title or "").strip()
    if not title:
        raise InputError("轮次名称不能为空", "a round needs a title", field="title")
    # Rounds are picked by title in the pages; two alike sent uploads to the wrong one.
    if session.exec(select(RoundRow.id).where(RoundRow.title == title)).first() is not None:
        raise ConflictError(f"已有名为“{title}”的评审轮次，请换一个名称",
                            f"a review round named '{title}' already exists; choose another title",
                            field="title")
    if int(raters_per_report) < 1:
        raise InputError("每份报告的评审人数至少为 1", "raters_per_report must be at least 1",
                         field="raters_per_report")
    try:
        method = PanelMethod(panel_method)
    except ValueError as exc:
        raise InputError(f"未知的合议方法 {panel_method!r}", f"unknown panel method {panel_method!r}",
                         field="panel_method") from exc
    ref, items = _rubric_snapshot(session, rubric_ref)
    row = RoundRow(title=title, year=int(year), rubric_ref=ref, rubric=items,
                   status=RoundStatus.DRAFT.value, deadline=as_date(deadline),
                   raters_per_report=int(raters_per_report), panel_method=method.value,
                   created_by=int(actor.id))
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="round", entity_id=int(row.id), action="create",
          new={"title": title, "year": int(year), "rubric_ref": ref,
               "deadline": None if row.deadline is None else row.deadline.isoformat(),
               "raters_per_report": int(raters_per_report), "panel_method": method.value})
    session.flush()
    return round_public(row, actor.username)


def _visible_round_ids(session: Session, viewer: Viewer) -> list[int] | None:
    """None means every round (staff); otherwise the rounds the viewer sits on."""
    user = active_user(session, viewer)
    if Role(user.role) in (Role.ADMIN, Role.FINANCE):
        return None
    return [int(r) for r in session.exec(
        select(PanelRow.round_id).where(PanelRow.user_id == user.id)).all()]


def list_rounds(session: Session, *, by: Viewer) -> list[RoundPublic]:
    """The rounds a person may see, newest first: every round for staff, their panels' for raters.

    Parameters
    ----------
    session
        An open session.
    by
        The signed-in person.

    Returns
    -------
    list of RoundPublic

    Raises
    ------
    PermissionDeniedError
        A disabled or missing account.

    Notes
    -----
    A rater sees a round only once they are on its panel.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     [r.title for r in list_rounds(s, by=tiny.raters[0])]
    ['示例轮次']
    >>> clear_engine_cache()
    """
    visible = _visible_round_ids(session, by)
    statement = select(RoundRow).order_by(RoundRow.id.desc())
    if visible is not None:
        statement = statement.where(RoundRow.id.in_(visible))
    rows = session.exec(statement).all()
    names = usernames(session, (r.created_by for r in rows))
    return [round_public(r, names.get(r.created_by, "")) for r in rows]


def get_round(session: Session, *, round_id: int, by: Viewer) -> RoundPublic:
    """One round, for staff or a member of its panel.

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
    RoundPublic

    Raises
    ------
    NotFoundError
        No such round.
    PermissionDeniedError
        A rater not on its panel.

    Notes
    -----
    The round's status tells a page whether results may be shown.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     get_round(s, round_id=tiny.round_id, by=tiny.raters[0]).status.value
    'open'
    >>> clear_engine_cache()
    """
    row = round_row(session, round_id)
    visible = _visible_round_ids(session, by)
    if visible is not None and int(row.id) not in visible:
        raise PermissionDeniedError("您不在该轮次的评审组中", "you are not on this round's panel",
                                    field="round_id")
    names = usernames(session, [row.created_by])
    return round_public(row, names.get(row.created_by, ""))


def _set_round_status(session: Session, rnd: RoundRow, status: RoundStatus, actor: UserRow,
                      **values: Any) -> RoundPublic:
    old = rnd.status
    changed = session.exec(update(RoundRow).where(
        RoundRow.id == rnd.id, RoundRow.version == rnd.version, RoundRow.status == old).values(
        status=status.value, version=RoundRow.version + 1, **values))
    if changed.rowcount != 1:
        raise ConflictError("轮次刚被他人修改，请刷新后重试",
                            "the round was changed by someone else; reload and retry",
                            field="round_id")
    audit(session, actor=actor, entity="round", entity_id=int(rnd.id), action=status.value,
          old={"status": old}, new={"status": status.value})
    session.flush()
    fresh = session.exec(select(RoundRow).where(RoundRow.id == rnd.id).execution_options(
        populate_existing=True)).one()
    names = usernames(session, [fresh.created_by])
    return round_public(fresh, names.get(fresh.created_by, ""))


def open_round(session: Session, *, round_id: int, by: Viewer) -> RoundPublic:
    """Open a draft round for scoring.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft with at least one assignment.
    by
        Admin or finance staff.

    Returns
    -------
    RoundPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is not in draft, or changed concurrently.
    InputError
        Nothing is assigned yet.

    Notes
    -----
    A compare-and-set on the round's status and version, so two staff opening and closing at
    once cannot both succeed.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     get_round(s, round_id=tiny.round_id, by=tiny.admin).status.value  # opened by the seed
    'open'
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = editable_round(session, round_id, allowed=(RoundStatus.DRAFT,))
    if session.exec(select(AssignmentRow.id).where(AssignmentRow.round_id == rnd.id)).first() is None:
        raise InputError("本轮还没有分配评审任务", "nothing is assigned in this round yet",
                         field="round_id")
    return _set_round_status(session, rnd, RoundStatus.OPEN, actor, opened_at=utc_now())


def close_round(session: Session, *, round_id: int, by: Viewer) -> RoundPublic:
    """Close an open round: scoring stops and results become visible to its panel.

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
    RoundPublic

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is not open, or changed concurrently.

    Notes
    -----
    Sheets not submitted by then stay out of the results. Saves and submits check the round's
    status inside their own conditional UPDATE, so none starts after the close commits.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     close_round(s, round_id=tiny.round_id, by=tiny.admin).status.value
    'closed'
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = editable_round(session, round_id, allowed=(RoundStatus.OPEN,))
    return _set_round_status(session, rnd, RoundStatus.CLOSED, actor, closed_at=utc_now())
