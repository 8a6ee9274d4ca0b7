"""The review module's values as pages see them: rounds, reports, sheets, tasks, audit entries.

Frozen dataclasses with no storage behind them. :mod:`review.store` reads its ``rev_`` tables
and hands these out, so a page never holds a database row (nor a password hash). Status values
are ``StrEnum`` members whose values are what the database stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from indicators.frontdoor import Role

__all__ = [
    "AuditEntry",
    "PanelChoice",
    "PanelMethod",
    "ReportPublic",
    "RoundPublic",
    "RoundStatus",
    "RubricItem",
    "SheetPublic",
    "SheetStatus",
    "TaskPublic",
    "UserPublic",
]


class RoundStatus(StrEnum):
    """A round is prepared as a draft, scored while open, and read once closed."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class SheetStatus(StrEnum):
    """One rater's score sheet for one report: untouched, saved as a draft, or submitted."""

    ASSIGNED = "assigned"
    DRAFT = "draft"
    SUBMITTED = "submitted"


class PanelMethod(StrEnum):
    """How a report's panel score combines its raters' totals (see :mod:`review.panel`)."""

    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"
    MEDIAN = "median"


class PanelChoice(StrEnum):
    """Which panel score a round's result uses: as scored, or adjusted for rater severity."""

    RAW = "raw"
    ADJUSTED = "adjusted"


@dataclass(frozen=True)
class UserPublic:
    """An account without its password hash; ``locked_until`` is set while logins are refused."""

    user_id: int
    username: str
    display_name: str
    role: Role
    department: str
    disabled: bool
    locked_until: datetime | None = None


@dataclass(frozen=True)
class RoundPublic:
    """A review round. ``rubric_ref`` is the exact library version (``id@version``) scored against.

    ``panel_choice`` and ``panel_choice_reason`` are set once staff record whether the round's
    result uses raw or severity-adjusted panel scores.
    """

    round_id: int
    title: str
    year: int
    rubric_ref: str
    status: RoundStatus
    deadline: date | None
    raters_per_report: int
    panel_method: PanelMethod
    created_by: str
    created_at: datetime
    closed_at: datetime | None = None
    panel_choice: PanelChoice | None = None
    panel_choice_reason: str = ""


@dataclass(frozen=True)
class ReportPublic:
    """An evaluation report under review; the document itself is read with ``report_content``."""

    report_id: int
    round_id: int
    title: str
    project_code: str
    department: str
    filename: str
    mime: str
    sha256: str
    size: int


@dataclass(frozen=True)
class RubricItem:
    """One item a rater scores: a leaf of the rubric tree, scored from ``min_score`` to ``max_score``.

    ``level1`` is the name of the item's top-level group, for grouping the sheet on screen.
    """

    code: str
    name: str
    explanation: str
    min_score: float
    max_score: float
    level1: str
    checkpoints: str = ""


@dataclass(frozen=True)
class SheetPublic:
    """One rater's sheet for one report. ``version`` is what the next save or submit must expect."""

    assignment_id: int
    round_id: int
    report_id: int
    rater_id: int
    status: SheetStatus
    version: int
    scores: Mapping[str, float | None]
    comments: Mapping[str, str]
    overall_comment: str
    updated_at: datetime | None
    submitted_at: datetime | None

    @property
    def total(self) -> float | None:
        """The sum of the scores, or None while an item is unscored."""
        values = list(self.scores.values())
        if not values or any(v is None for v in values):
            return None
        return float(sum(values))


@dataclass(frozen=True)
class TaskPublic:
    """One line of "我的评审任务": a sheet the viewer has to score."""

    assignment_id: int
    round_id: int
    round_title: str
    report_id: int
    report_title: str
    status: SheetStatus
    deadline: date | None
    overdue: bool


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who changed what, when, from what to what."""

    entry_id: int
    at: datetime
    actor: str
    entity: str
    entity_id: int | None
    action: str
    old: Mapping[str, Any] | None = field(default=None)
    new: Mapping[str, Any] | None = field(default=None)
