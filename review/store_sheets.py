"""Changing a score sheet: drafts, the locking submit, and an admin's reopen.

Every write to a sheet is one conditional ``UPDATE`` on its row, guarded by the version the
writer last saw, the sheet's status and the round being open, so of two concurrent writers
exactly one wins and the other gets :class:`~indicators.errors.ConflictError`. Scores,
comments, status and version live in the same row and change in that one statement, so a sheet
is never half written. Each change appends its old and new values to the audit log in the same
transaction. Reading sheets (and blindness) is :mod:`review.store_tasks`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select, update

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.frontdoor import Viewer
from review.access import (
    active_user,
    assignment_row,
    audit,
    require_admin,
    round_row,
)
from review.model import RoundStatus, RubricItem, SheetPublic, SheetStatus
from review.tables import AssignmentRow, RoundRow, utc_now
from review.views import rubric_of, sheet_public

__all__ = ["reopen_sheet", "save_draft", "submit_sheet"]

def _number(code: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(f"评分项 {code} 的分数不是数字", f"the score of {code} is not a number",
                         field=code)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"评分项 {code} 的分数 {value!r} 不是数字",
                         f"the score of {code}, {value!r}, is not a number", field=code) from exc
    return None if math.isnan(number) else number


def _merge(items: list[RubricItem], row: AssignmentRow, scores: Mapping[str, Any] | None,
           comments: Mapping[str, Any] | None) -> tuple[dict[str, float | None], dict[str, str]]:
    by_code = {i.code: i for i in items}
    for given in (scores or {}, comments or {}):
        unknown = sorted(set(map(str, given)) - set(by_code))
        if unknown:
            raise InputError(f"评分表中没有评分项 {unknown}", f"no rubric item {unknown}",
                             field="scores")
    merged = {c: v for c, v in (row.scores or {}).items() if c in by_code}
    for code, value in (scores or {}).items():
        number = _number(str(code), value)
        item = by_code[str(code)]
        if number is not None and not item.min_score <= number <= item.max_score:
            raise InputError(
                f"评分项 {item.code}（{item.name}）的分数 {number:g} 超出范围 "
                f"{item.min_score:g}–{item.max_score:g}",
                f"score {number:g} for {item.code} ({item.name}) is outside "
                f"{item.min_score:g}–{item.max_score:g}", field=item.code)
        merged[str(code)] = number
    notes = dict(row.comments or {})
    for code, text in (comments or {}).items():
        text = "" if text is None else str(text)
        if text.strip():
            notes[str(code)] = text
        else:
            notes.pop(str(code), None)
    return merged, notes


def _writable(session: Session, assignment_id: int, viewer: Viewer,
              expected_version: int) -> tuple[AssignmentRow, RoundRow]:
    row = assignment_row(session, assignment_id, fresh=True)
    user = active_user(session, viewer)
    if int(row.rater_id) != int(user.id):
        raise PermissionDeniedError("只能填写分配给自己的评分表",
                                    "only the assigned rater may fill in this sheet",
                                    field="assignment_id")
    rnd = round_row(session, row.round_id)
    _check_state(row, rnd, expected_version)
    return row, rnd


def _check_state(row: AssignmentRow, rnd: RoundRow, expected_version: int) -> None:
    if RoundStatus(rnd.status) is not RoundStatus.OPEN:
        raise ConflictError(f"轮次状态为 {rnd.status}，不能评分",
                            f"the round is {rnd.status}; scoring is closed", field="round_id")
    if SheetStatus(row.status) is SheetStatus.SUBMITTED:
        raise ConflictError("评分表已提交并锁定", "the sheet is already submitted and locked",
                            field="assignment_id")
    if int(row.version) != int(expected_version):
        raise ConflictError("评分表已在别处修改，请刷新后重试",
                            "the sheet was changed elsewhere; reload and retry",
                            field="expected_version")


def _compare_and_set(session: Session, row: AssignmentRow, expected_version: int,
                     **values: Any) -> AssignmentRow:
    """One conditional UPDATE; a row count of zero means another writer won (or a close)."""
    result = session.exec(update(AssignmentRow).where(
        AssignmentRow.id == row.id,
        AssignmentRow.version == int(expected_version),
        AssignmentRow.status != SheetStatus.SUBMITTED.value,
        AssignmentRow.round_id.in_(select(RoundRow.id).where(
            RoundRow.status == RoundStatus.OPEN.value)),
    ).values(version=AssignmentRow.version + 1, **values))
    if result.rowcount != 1:
        fresh = assignment_row(session, int(row.id), fresh=True)
        _check_state(fresh, round_row(session, fresh.round_id), expected_version)
        raise ConflictError("评分表已在别处修改，请刷新后重试",
                            "the sheet was changed elsewhere; reload and retry",
                            field="expected_version")
    return assignment_row(session, int(row.id), fresh=True)


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = sorted(set(old) | set(new))
    changed = [k for k in keys if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in changed}, {k: new.get(k) for k in changed}


def save_draft(
    session: Session,
    *,
    assignment_id: int,
    viewer: Viewer,
    scores: Mapping[str, float | None],
    comments: Mapping[str, str] | None = None,
    overall_comment: str = "",
    expected_version: int,
) -> SheetPublic:
    """Save the rater's work in progress; a reload of the page loses nothing.

    Parameters
    ----------
    session
        An open session; the caller commits.
    assignment_id
        The sheet.
    viewer
        The rater it is assigned to.
    scores
        Item code → score (None clears it); items not given keep their stored score.
    comments
        Item code → comment (empty clears it); items not given keep theirs.
    overall_comment
        The sheet's general comment (replaces the stored one).
    expected_version
        The ``version`` of the sheet as the rater last loaded it.

    Returns
    -------
    SheetPublic
        With the new version (unchanged when nothing changed).

    Raises
    ------
    PermissionDeniedError
        Not the sheet's rater.
    InputError
        An unknown item, a non-number, or a score outside the item's range (the message names
        the item and the range).
    ConflictError
        The round is not open, the sheet is submitted, or ``expected_version`` is stale.

    Notes
    -----
    Compare-and-set: ``UPDATE … SET …, version = version + 1 WHERE id = :id AND version =
    :expected AND status <> 'submitted' AND round is open``; a row count of zero raises.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     sheet = save_draft(s, assignment_id=tiny.sheets[0], viewer=tiny.raters[0],
    ...                        scores={"YJ0101": 3.5}, expected_version=1)
    >>> sheet.status.value, sheet.version, sheet.scores["YJ0101"]
    ('draft', 2, 3.5)
    >>> clear_engine_cache()
    """
    row, rnd = _writable(session, assignment_id, viewer, expected_version)
    items = rubric_of(rnd)
    merged, notes = _merge(items, row, scores, comments)
    overall = str(overall_comment or "")
    old_scores, new_scores = _diff(dict(row.scores or {}), merged)
    old_notes, new_notes = _diff(dict(row.comments or {}), notes)
    if not new_scores and not old_scores and not old_notes and not new_notes \
            and overall == row.overall_comment:
        return sheet_public(row, [i.code for i in items])
    # The update refreshes ``row`` in place, so what it held is read first.
    status, old_overall = row.status, row.overall_comment
    updated = _compare_and_set(
        session, row, expected_version, scores=merged, comments=notes, overall_comment=overall,
        status=SheetStatus.DRAFT.value, updated_at=utc_now())
    audit(session, actor=active_user(session, viewer), entity="sheet", entity_id=int(row.id),
          action="save_draft",
          old={"status": status, "version": int(expected_version), "scores": old_scores,
               "comments": old_notes, "overall_comment": old_overall},
          new={"status": SheetStatus.DRAFT.value, "version": int(updated.version),
               "scores": new_scores, "comments": new_notes, "overall_comment": overall})
    session.flush()
    return sheet_public(updated, [i.code for i in items])


def submit_sheet(
    session: Session,
    *,
    assignment_id: int,
    viewer: Viewer,
    expected_version: int,
    scores: Mapping[str, float | None] | None = None,
    comments: Mapping[str, str] | None = None,
) -> SheetPublic:
    """Submit a complete sheet and lock it.

    Parameters
    ----------
    session
        An open session; the caller commits.
    assignment_id
        The sheet.
    viewer
        The rater it is assigned to.
    expected_version
        The ``version`` the rater last saw.
    scores, comments
        Last changes to apply with the submit (merged as in :func:`save_draft`).

    Returns
    -------
    SheetPublic
        Status ``submitted``.

    Raises
    ------
    PermissionDeniedError
        Not the sheet's rater.
    InputError
        An item left unscored or out of range (the first is named).
    ConflictError
        Already submitted (including by a concurrent submit that won), the round is not open,
        or ``expected_version`` is stale.

    Notes
    -----
    One conditional ``UPDATE … WHERE id = :id AND status <> 'submitted' AND version =
    :expected``. The database serialises writers on the row, and the loser finds the version
    moved and updates nothing, so of two concurrent submits exactly one wins. Validation runs on
    the values read at ``expected_version``; the same condition guarantees they are still the
    stored ones when the update applies.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from review.store_tasks import rubric_items
    >>> with Session(engine) as s, s.begin():
    ...     items = rubric_items(s, round_id=tiny.round_id)
    ...     sheet = submit_sheet(s, assignment_id=tiny.sheets[0], viewer=tiny.raters[0],
    ...                          expected_version=1, scores={i.code: i.max_score for i in items})
    >>> sheet.status.value, sheet.total
    ('submitted', 100.0)
    >>> clear_engine_cache()
    """
    row, rnd = _writable(session, assignment_id, viewer, expected_version)
    items = rubric_of(rnd)
    merged, notes = _merge(items, row, scores, comments)
    missing = [i for i in items if merged.get(i.code) is None]
    if missing:
        first = missing[0]
        raise InputError(f"还有 {len(missing)} 个评分项未打分，例如 {first.code}（{first.name}）",
                         f"{len(missing)} item(s) not scored yet, e.g. {first.code} "
                         f"({first.name})", field=first.code)
    now = utc_now()
    # The update refreshes ``row`` in place, so what it held is read first.
    old = {"status": row.status, "version": int(expected_version),
           "scores": dict(row.scores or {})}
    updated = _compare_and_set(
        session, row, expected_version, scores=merged, comments=notes,
        status=SheetStatus.SUBMITTED.value, updated_at=now, submitted_at=now)
    audit(session, actor=active_user(session, viewer), entity="sheet", entity_id=int(row.id),
          action="submit", old=old,
          new={"status": SheetStatus.SUBMITTED.value, "version": int(updated.version),
               "scores": merged, "comments": notes})
    session.flush()
    return sheet_public(updated, [i.code for i in items])


def reopen_sheet(session: Session, *, assignment_id: int, reason: str, by: Viewer) -> SheetPublic:
    """Unlock a submitted sheet so its rater can change it (admins only, with a reason).

    Parameters
    ----------
    session
        An open session; the caller commits.
    assignment_id
        A submitted sheet in an open round.
    reason
        Why, for the audit log (required).
    by
        An admin.

    Returns
    -------
    SheetPublic
        Status ``draft`` with its scores kept and a new version.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not an admin.
    InputError
        No reason given.
    ConflictError
        The sheet is not submitted, or the round is not open.

    Notes
    -----
    A compare-and-set on ``status = 'submitted'``, logged with the reason.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from review.store_tasks import rubric_items
    >>> with Session(engine) as s, s.begin():
    ...     items = rubric_items(s, round_id=tiny.round_id)
    ...     _ = submit_sheet(s, assignment_id=tiny.sheets[0], viewer=tiny.raters[0],
    ...                      expected_version=1, scores={i.code: i.max_score for i in items})
    ...     sheet = reopen_sheet(s, assignment_id=tiny.sheets[0], reason="第一项误填",
    ...                          by=tiny.admin)
    >>> sheet.status.value, sheet.version
    ('draft', 3)
    >>> clear_engine_cache()
    """
    actor = require_admin(session, by)
    reason = str(reason or "").strip()
    if not reason:
        raise InputError("退回重评必须说明理由", "reopening needs a reason", field="reason")
    row = assignment_row(session, assignment_id, fresh=True)
    before = int(row.version)
    rnd = round_row(session, row.round_id)
    if RoundStatus(rnd.status) is not RoundStatus.OPEN:
        raise ConflictError(f"轮次状态为 {rnd.status}，不能退回评分表",
                            f"the round is {rnd.status}; sheets can only be reopened while open",
                            field="round_id")
    result = session.exec(update(AssignmentRow).where(
        AssignmentRow.id == row.id, AssignmentRow.status == SheetStatus.SUBMITTED.value).values(
        status=SheetStatus.DRAFT.value, version=AssignmentRow.version + 1, submitted_at=None,
        updated_at=utc_now()))
    if result.rowcount != 1:
        raise ConflictError("评分表尚未提交，无需退回", "the sheet is not submitted",
                            field="assignment_id")
    updated = assignment_row(session, int(row.id), fresh=True)
    audit(session, actor=actor, entity="sheet", entity_id=int(row.id), action="reopen",
          old={"status": SheetStatus.SUBMITTED.value, "version": before},
          new={"status": SheetStatus.DRAFT.value, "version": int(updated.version),
               "reason": reason})
    session.flush()
    return sheet_public(updated, [i.code for i in rubric_of(rnd)])
