"""How the review store's rows become the frozen values pages see.

One function per row type; none of them touches the database. A password hash, a failure count
or a document's bytes never leave through here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from indicators.frontdoor import Role, Viewer
from review.model import (
    AuditEntry,
    PanelChoice,
    PanelMethod,
    ReportPublic,
    RoundPublic,
    RoundStatus,
    RubricItem,
    SheetPublic,
    SheetStatus,
    UserPublic,
)
from review.tables import AssignmentRow, AuditRow, ReportRow, RoundRow, UserRow, as_utc

__all__ = ["audit_changes", "audit_entry", "earlier_values", "report_public", "round_public",
           "rubric_of", "sheet_public", "user_public", "viewer_of"]

def viewer_of(row: UserRow) -> Viewer:
    """The signed-in view of an account row.

    Parameters
    ----------
    row
        An account row.

    Returns
    -------
    Viewer

    Notes
    -----
    The viewer carries no password hash.

    Examples
    --------
    >>> viewer_of(UserRow(id=3, username="d1", display_name="代表", role="deputy")).role
    <Role.DEPUTY: 'deputy'>
    """
    return Viewer(user_id=int(row.id), username=row.username, display_name=row.display_name,
                  role=Role(row.role), department=row.department)


def user_public(row: UserRow) -> UserPublic:
    """The public view of an account row.

    Parameters
    ----------
    row
        An account row.

    Returns
    -------
    UserPublic

    Notes
    -----
    The password hash and failure count stay in the store.

    Examples
    --------
    >>> user_public(UserRow(id=3, username="d1", display_name="代表", role="deputy")).disabled
    False
    """
    return UserPublic(user_id=int(row.id), username=row.username,
                      display_name=row.display_name, role=Role(row.role),
                      department=row.department, disabled=bool(row.disabled),
                      locked_until=as_utc(row.locked_until))


def round_public(row: RoundRow, creator: str) -> RoundPublic:
    """The public view of a round row.

    Parameters
    ----------
    row
        A round row.
    creator
        The username of the account that created it.

    Returns
    -------
    RoundPublic

    Notes
    -----
    Times come back in UTC (see :func:`review.tables.as_utc`).

    Examples
    --------
    >>> row = RoundRow(id=1, title="轮次", year=2021, rubric_ref="r@1.0.0")
    >>> round_public(row, "admin").panel_method
    <PanelMethod.MEAN: 'mean'>
    """
    return RoundPublic(
        round_id=int(row.id), title=row.title, year=int(row.year), rubric_ref=row.rubric_ref,
        status=RoundStatus(row.status), deadline=row.deadline,
        raters_per_report=int(row.raters_per_report), panel_method=PanelMethod(row.panel_method),
        created_by=creator, created_at=as_utc(row.created_at), closed_at=as_utc(row.closed_at),
        panel_choice=None if row.panel_choice is None else PanelChoice(row.panel_choice),
        panel_choice_reason=row.panel_choice_reason)


def report_public(row: ReportRow) -> ReportPublic:
    """The public view of a report row, without its content.

    Parameters
    ----------
    row
        A report row.

    Returns
    -------
    ReportPublic

    Notes
    -----
    The checksum travels with the view so a reader can verify the document.

    Examples
    --------
    >>> row = ReportRow(id=1, round_id=1, title="报告", filename="r.md", mime="text/markdown",
    ...                 sha256="ab", size=2, content=b"# ")
    >>> report_public(row).size
    2
    """
    return ReportPublic(report_id=int(row.id), round_id=int(row.round_id), title=row.title,
                        project_code=row.project_code, department=row.department,
                        filename=row.filename, mime=row.mime, sha256=row.sha256,
                        size=int(row.size))


def rubric_of(rnd: RoundRow) -> list[RubricItem]:
    """The rubric items a round is scored against, from its snapshot.

    Parameters
    ----------
    rnd
        A round row.

    Returns
    -------
    list of RubricItem

    Notes
    -----
    The snapshot is taken when the round is created.

    Examples
    --------
    >>> row = RoundRow(id=1, title="t", year=2021, rubric_ref="r@1", rubric=[
    ...     {"code": "A", "name": "甲", "min_score": 0, "max_score": 5}])
    >>> rubric_of(row)[0].max_score
    5.0
    """
    return [RubricItem(code=i["code"], name=i["name"], explanation=i.get("explanation", ""),
                       min_score=float(i["min_score"]), max_score=float(i["max_score"]),
                       level1=i.get("level1", ""), checkpoints=i.get("checkpoints", ""))
            for i in rnd.rubric]


def sheet_public(row: AssignmentRow, codes: list[str]) -> SheetPublic:
    """The public view of a sheet row.

    Parameters
    ----------
    row
        A sheet row.
    codes
        The round's item codes; each appears in ``scores``.

    Returns
    -------
    SheetPublic

    Notes
    -----
    Unscored items are None, so a page can show every item.

    Examples
    --------
    >>> row = AssignmentRow(id=1, round_id=1, report_id=1, rater_id=2, scores={"A": 3})
    >>> sheet_public(row, ["A", "B"]).scores
    {'A': 3.0, 'B': None}
    """
    stored = dict(row.scores or {})
    scores = {c: (None if stored.get(c) is None else float(stored[c])) for c in codes}
    return SheetPublic(
        assignment_id=int(row.id), round_id=int(row.round_id), report_id=int(row.report_id),
        rater_id=int(row.rater_id), status=SheetStatus(row.status), version=int(row.version),
        scores=scores, comments={c: str(v) for c, v in (row.comments or {}).items()},
        overall_comment=row.overall_comment, updated_at=as_utc(row.updated_at),
        submitted_at=as_utc(row.submitted_at))


def audit_entry(row: AuditRow) -> AuditEntry:
    """The public view of an audit row.

    Parameters
    ----------
    row
        An audit row.

    Returns
    -------
    AuditEntry

    Notes
    -----
    The time comes back in UTC.

    Examples
    --------
    >>> audit_entry(AuditRow(id=1, actor="admin", entity="round", action="open")).actor
    'admin'
    """
    return AuditEntry(entry_id=int(row.id), at=as_utc(row.at), actor=row.actor,
                      entity=row.entity, entity_id=row.entity_id, action=row.action,
                      old=row.old, new=row.new)



def _flat(values: Mapping[str, Any] | None) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, Mapping):
            # One level down (scores and comments by item), so one changed item is one line.
            # An empty mapping adds no line: its items, when any, are lines of their own.
            flat.update({f"{key}.{inner}": v for inner, v in value.items()})
        else:
            flat[str(key)] = value
    return flat


def audit_changes(old: Mapping[str, Any] | None,
                  new: Mapping[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """What an audit line changed, field by field: ``(field, old value, new value)``.

    Parameters
    ----------
    old, new
        The line's logged values before and after (either may be None).

    Returns
    -------
    list of tuple
        One triple per field whose value differs, in the order the fields were logged
        (``new`` first, then fields only ``old`` has). A nested mapping such as a sheet's
        ``scores`` is opened one level, as ``scores.<item code>``. A field absent on one side
        comes back as None there.

    Notes
    -----
    A line logged with neither side (a password reset) changes no field it records, and gives
    an empty list; the raw values stay in the log for auditors.

    Examples
    --------
    >>> audit_changes({"status": "assigned", "version": 1, "scores": {"A": None, "B": 2.0}},
    ...               {"status": "draft", "version": 2, "scores": {"A": 3.5, "B": 2.0}})
    [('status', 'assigned', 'draft'), ('version', 1, 2), ('scores.A', None, 3.5)]
    >>> audit_changes(None, {"title": "轮次"})
    [('title', None, '轮次')]
    >>> audit_changes(None, None)
    []
    """
    before, after = _flat(old), _flat(new)
    fields = list(after) + [f for f in before if f not in after]
    return [(f, before.get(f), after.get(f)) for f in fields if before.get(f) != after.get(f)]


def earlier_values(entries: Sequence[AuditEntry],
                   kinds: Sequence[str]) -> dict[int, Mapping[str, Any]]:
    """For lines logged with new values only, the values the same person last logged before.

    Parameters
    ----------
    entries
        Audit lines, oldest first.
    kinds
        The entity kinds whose lines log only what is there now (e.g. ``delphi_response``,
        whose save logs how many indicators are rated, not what was before).

    Returns
    -------
    dict
        Entry id → the ``new`` of the previous line of the same kind, entity id and actor;
        lines with logged ``old`` values, or with no earlier line, are absent.

    Notes
    -----
    Used to read such a line as a change ("已评指标数：2 → 3"); the log itself is unchanged.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t = datetime(2021, 5, 1, tzinfo=UTC)
    >>> log = [AuditEntry(1, t, "e1", "delphi_response", 7, "save", new={"rated": 2}),
    ...        AuditEntry(2, t, "e2", "delphi_response", 7, "save", new={"rated": 1}),
    ...        AuditEntry(3, t, "e1", "delphi_response", 7, "save", new={"rated": 3})]
    >>> earlier_values(log, ["delphi_response"])
    {3: {'rated': 2}}
    """
    wanted = set(kinds)
    last: dict[tuple[str, int | None, str], Mapping[str, Any]] = {}
    found: dict[int, Mapping[str, Any]] = {}
    for entry in entries:
        if entry.entity not in wanted or entry.new is None:
            continue
        key = (entry.entity, entry.entity_id, entry.actor)
        if entry.old is None and key in last:
            found[entry.entry_id] = last[key]
        last[key] = entry.new
    return found
