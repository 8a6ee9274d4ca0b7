"""The review package's database tables, as SQLModel classes.

Each class mirrors one ``rev_`` table that ``review/migrations`` creates (the migration is the
source of truth; ``tests/review/test_store.py`` checks that the two agree). Only the review
store modules use these rows; everyone else gets the frozen values of :mod:`review.model`.

Times are stored in UTC. SQLite hands them back without an offset, so :func:`as_utc` restores it
before any comparison.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

__all__ = [
    "AssignmentRow",
    "AuditRow",
    "InviteRow",
    "PanelRow",
    "ReportRow",
    "RoundRow",
    "UserRow",
    "as_utc",
    "utc_now",
]


def utc_now() -> datetime:
    """The current time, aware, in UTC.

    Returns
    -------
    datetime

    Notes
    -----
    Every ``rev_`` time column holds UTC.

    Examples
    --------
    >>> utc_now().utcoffset().total_seconds()
    0.0
    """
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite drops the offset on the way back).

    Parameters
    ----------
    value
        A datetime read from the database, naive (meaning UTC) or aware.

    Returns
    -------
    datetime or None

    Notes
    -----
    Naive values are taken to be UTC because :func:`utc_now` is the only writer.

    Examples
    --------
    >>> as_utc(datetime(2021, 5, 1)).isoformat()
    '2021-05-01T00:00:00+00:00'
    """
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _time(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)


class UserRow(SQLModel, table=True):
    """An account: admin, finance staff, expert or NPC deputy."""

    __tablename__ = "rev_user"
    __table_args__ = (
        UniqueConstraint("username", name="uq_rev_user_username"),
        CheckConstraint("role IN ('admin', 'finance', 'expert', 'deputy')", name="ck_rev_user_role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str
    display_name: str
    role: str
    department: str = ""
    # None for an account that can only be entered through an invite until a password is set.
    password_hash: str | None = None
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = _time(default=None)
    created_at: datetime = _time(default_factory=utc_now)
    updated_at: datetime = _time(default_factory=utc_now)


class InviteRow(SQLModel, table=True):
    """A one-time invite: only the SHA-256 of the token is kept, bound to one user."""

    __tablename__ = "rev_invite"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_rev_invite_token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str
    user_id: int = Field(sa_column=Column(
        Integer, ForeignKey("rev_user.id", name="fk_rev_invite_user"), nullable=False,
        index=True))
    expires_at: datetime = _time()
    used_at: datetime | None = _time(default=None)
    created_by: int | None = None
    created_at: datetime = _time(default_factory=utc_now)


class RoundRow(SQLModel, table=True):
    """A review round; ``rubric`` is the snapshot of the rubric items it is scored against."""

    __tablename__ = "rev_round"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="ck_rev_round_status"),
        CheckConstraint("panel_method IN ('mean', 'trimmed_mean', 'median')",
                        name="ck_rev_round_panel_method"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str
    year: int
    rubric_ref: str
    rubric: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: str = "draft"
    deadline: date | None = Field(default=None, sa_type=Date)
    raters_per_report: int = 4
    panel_method: str = "mean"
    panel_choice: str | None = None
    panel_choice_reason: str = ""
    created_by: int | None = None
    created_at: datetime = _time(default_factory=utc_now)
    opened_at: datetime | None = _time(default=None)
    closed_at: datetime | None = _time(default=None)
    version: int = 1


class ReportRow(SQLModel, table=True):
    """An evaluation report and its document, with the document's SHA-256."""

    __tablename__ = "rev_report"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(sa_column=Column(
        Integer, ForeignKey("rev_round.id", name="fk_rev_report_round"), nullable=False,
        index=True))
    title: str
    project_code: str = ""
    department: str = ""
    filename: str
    mime: str
    sha256: str
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _time(default_factory=utc_now)


class PanelRow(SQLModel, table=True):
    """A rater on a round's panel."""

    __tablename__ = "rev_panel"

    round_id: int = Field(sa_column=Column(
        Integer, ForeignKey("rev_round.id", name="fk_rev_panel_round"), primary_key=True))
    user_id: int = Field(sa_column=Column(
        Integer, ForeignKey("rev_user.id", name="fk_rev_panel_user"), primary_key=True))


class AssignmentRow(SQLModel, table=True):
    """One rater's score sheet for one report; ``version`` is the compare-and-set counter."""

    __tablename__ = "rev_assignment"
    __table_args__ = (
        UniqueConstraint("report_id", "rater_id", name="uq_rev_assignment_report_rater"),
        CheckConstraint("status IN ('assigned', 'draft', 'submitted')",
                        name="ck_rev_assignment_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(sa_column=Column(
        Integer, ForeignKey("rev_round.id", name="fk_rev_assignment_round"), nullable=False,
        index=True))
    report_id: int = Field(sa_column=Column(
        Integer, ForeignKey("rev_report.id", name="fk_rev_assignment_report"), nullable=False,
        index=True))
    rater_id: int = Field(sa_column=Column(
        Integer, ForeignKey("rev_user.id", name="fk_rev_assignment_rater"), nullable=False,
        index=True))
    status: str = "assigned"
    version: int = 1
    # Scores and comments live in the sheet's own row, so one UPDATE writes all of them or none.
    scores: dict[str, float | None] = Field(default_factory=dict, sa_type=JSON)
    comments: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    overall_comment: str = ""
    created_at: datetime = _time(default_factory=utc_now)
    updated_at: datetime | None = _time(default=None)
    submitted_at: datetime | None = _time(default=None)


class AuditRow(SQLModel, table=True):
    """One line of the append-only audit log; database triggers refuse UPDATE and DELETE."""

    __tablename__ = "rev_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time(default_factory=utc_now)
    actor_id: int | None = None
    actor: str
    entity: str = Field(sa_column=Column(String, nullable=False, index=True))
    entity_id: int | None = None
    action: str
    old: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    new: dict[str, Any] | None = Field(default=None, sa_type=JSON)
