"""The admin's audit feed: the review log beside the other floors' append-only records.

Who changed a budget cut, who ran a year, who published a library version: those records are
kept, append-only, by :mod:`scoring.lifecycle_decision_store`, :mod:`scoring.lifecycle_run_store`
and :mod:`indicators.store`. This module reads them (never writes) and hands them back as
:class:`FeedEntry` lines beside the review audit log's own, so one page shows them all by time.
It also reads the names the log's codes stand for: each sheet's rubric items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from indicators.frontdoor import Viewer
from indicators.store import ChangelogRow, LibraryVersionRow
from review.access import require_admin
from review.model import AuditEntry
from review.store_results import audit_log
from review.tables import AssignmentRow, RoundRow
from scoring.lifecycle_decision_store import LifeDecisionRow
from scoring.lifecycle_run_store import YearRunSummary, list_year_runs

__all__ = ["FEED_KINDS", "FeedEntry", "audit_feed", "rubric_names"]

FEED_KINDS: tuple[str, ...] = ("lifecycle_decision", "year_run", "library_version")
"""Entity kinds of the feed that the review log does not hold."""

# What a superseding decision is compared on; the rest names the decision (``about``).
_DECIDED = ("recommendation", "recommended_amount", "outcome", "amount", "reason")
_RETIRED_PREFIX = "停用 / retired: "


@dataclass(frozen=True)
class FeedEntry(AuditEntry):
    """A line of the feed read from another floor's record, with what it is about.

    ``about`` names the thing (year, stage, project; a library's ``ref``) so a reader knows
    which one changed even when only its outcome differs from the record it supersedes.
    ``entry_id`` is the record's id in its own table, unique within its ``entity`` kind.
    """

    about: Mapping[str, Any] = field(default_factory=dict)


def _utc(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    # Stored times without an offset are UTC on every floor (SQLite drops the offset).
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _decision_entries(rows: list[LifeDecisionRow]) -> list[FeedEntry]:
    by_id = {int(r.id): r for r in rows}
    superseded = {int(r.supersedes) for r in rows if r.supersedes is not None}
    entries = []
    for row in rows:
        before = by_id.get(int(row.supersedes)) if row.supersedes is not None else None
        about: dict[str, Any] = {"year": row.year, "stage": row.stage, "project": row.project}
        if row.item:
            about["item"] = row.item
        about["in_force"] = int(row.id) not in superseded
        entries.append(FeedEntry(
            entry_id=int(row.id), at=_utc(row.created_at), actor=row.created_by,
            entity="lifecycle_decision", entity_id=int(row.id),
            action="decide" if before is None else "redecide",
            old=None if before is None else {k: getattr(before, k) for k in _DECIDED},
            new={k: getattr(row, k) for k in _DECIDED}, about=about))
    return entries


def _run_entry(run: YearRunSummary) -> FeedEntry:
    return FeedEntry(
        entry_id=run.id, at=_utc(run.created_at), actor=run.created_by, entity="year_run",
        entity_id=run.id, action="run",
        new={"config": run.config, "source": run.source, "month": run.month,
             "n_projects": run.n_projects, "n_requests": run.n_requests, "note": run.note},
        about={"year": run.year})


def _library_entries(versions: list[LibraryVersionRow],
                     lines: list[ChangelogRow]) -> list[FeedEntry]:
    own: dict[int, list[ChangelogRow]] = {}
    for line in lines:
        own.setdefault(int(line.library_version_id), []).append(line)
    entries = []
    for row in versions:
        about = {"library_ref": f"{row.framework_id}@{row.version}"}
        mine = [c for c in own.get(int(row.id), []) if c.version == row.version]
        retired = [c for c in mine if c.text.startswith(_RETIRED_PREFIX)]
        published = [c for c in mine if c not in retired]
        entries.append(FeedEntry(
            entry_id=int(row.id), at=_utc(row.published_at), actor=row.published_by or "",
            entity="library_version", entity_id=int(row.id), action="publish",
            new={"title": row.title, "changelog": published[0].text if published else ""},
            about=about))
        if row.status == "retired" and retired:
            # A retired version changes no more, so its last write is the retirement.
            entries.append(FeedEntry(
                entry_id=int(row.id), at=_utc(row.updated_at), actor=retired[-1].author,
                entity="library_version", entity_id=int(row.id), action="retire",
                new={"reason": retired[-1].text.removeprefix(_RETIRED_PREFIX)}, about=about))
    return entries


def _foreign(session: Session, kind: str) -> list[FeedEntry]:
    if kind == "lifecycle_decision":
        return _decision_entries(list(session.exec(
            select(LifeDecisionRow).order_by(LifeDecisionRow.id)).all()))
    if kind == "year_run":
        return [_run_entry(run) for run in reversed(list_year_runs(session))]
    versions = list(session.exec(select(LibraryVersionRow)
                                 .where(LibraryVersionRow.published_at.is_not(None))
                                 .order_by(LibraryVersionRow.id)).all())
    lines = list(session.exec(select(ChangelogRow).where(
        ChangelogRow.library_version_id.in_([int(v.id) for v in versions]))
        .order_by(ChangelogRow.library_version_id, ChangelogRow.position)).all())
    return _library_entries(versions, lines)


def audit_feed(session: Session, *, by: Viewer, entity: str | None = None) -> list[AuditEntry]:
    """The review audit log and the other floors' records, oldest first by time.

    Parameters
    ----------
    session
        An open session.
    by
        An admin.
    entity
        One kind: a review kind as :func:`review.store_results.audit_log` takes it, or one of
        :data:`FEED_KINDS` (``"lifecycle_decision"``, ``"year_run"``, ``"library_version"``);
        None for everything.

    Returns
    -------
    list of AuditEntry
        The review log's lines as logged, and :class:`FeedEntry` lines for lifecycle
        decisions (``decide``, or ``redecide`` with the superseded decision as ``old``), year
        runs (``run``) and library versions (``publish``, and ``retire`` once retired).

    Raises
    ------
    PermissionDeniedError
        ``by`` is not an admin.

    Notes
    -----
    Read-only: every record comes from an append-only table of its own floor. A library
    version's publication time is its ``published_at``; a retirement's is the version's last
    write, since a retired version is never written again. Ties in time keep the review log
    first, in its own order.

    Examples
    --------
    >>> import pandas as pd
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> from scoring.lifecycle_decision_store import record_decisions
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> d = pd.DataFrame({"project": ["P1"], "recommendation": ["支持"], "outcome": ["支持"]})
    >>> with Session(engine) as s:
    ...     _ = record_decisions(s, year=2021, stage="exante", decisions=d, created_by="admin")
    ...     feed = audit_feed(s, by=tiny.admin, entity="lifecycle_decision")
    >>> [(e.action, dict(e.about)["project"], e.new["outcome"]) for e in feed]
    [('decide', 'P1', '支持')]
    >>> clear_engine_cache()
    """
    require_admin(session, by)
    if entity in FEED_KINDS:
        return _foreign(session, entity)
    entries: list[AuditEntry] = audit_log(session, by=by, entity=entity)
    if entity is None:
        for kind in FEED_KINDS:
            entries.extend(_foreign(session, kind))
    # Stable: lines at the same moment keep the order they were read in.
    return sorted(entries, key=lambda e: e.at or datetime.min.replace(tzinfo=UTC))


def rubric_names(session: Session, *, by: Viewer) -> dict[int, dict[str, str]]:
    """Each sheet's rubric item names by code, from its round's snapshot.

    Parameters
    ----------
    session
        An open session.
    by
        An admin.

    Returns
    -------
    dict
        Sheet (assignment) id → item code → item name.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not an admin.

    Notes
    -----
    The snapshot, not the library, names the items: it is what the rater scored against.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     names = rubric_names(s, by=tiny.admin)
    >>> all(isinstance(n, str) for items in names.values() for n in items.values())
    True
    >>> clear_engine_cache()
    """
    require_admin(session, by)
    rounds = {int(r.id): {str(i["code"]): str(i["name"]) for i in r.rubric or []}
              for r in session.exec(select(RoundRow)).all()}
    return {int(aid): rounds.get(int(rid), {}) for aid, rid in
            session.exec(select(AssignmentRow.id, AssignmentRow.round_id)).all()}

