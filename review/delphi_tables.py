"""The Delphi tables (``rev_delphi_``) and the values pages get from them.

A study holds numbered rounds; a round rates a snapshot of one library version's indicators.
Each invited expert has one response (status, judgment basis, familiarity, a general comment),
one rating row per indicator rated, and any new indicators proposed. Migration ``rev_0002``
creates the tables; the classes here mirror it (``tests/review/test_delphi_store.py`` checks
that the two agree). Only :mod:`review.delphi_store` and :mod:`review.delphi_answers` read or
write the rows; everyone else gets the frozen values below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from review.tables import as_utc, utc_now

__all__ = [
    "DelphiProposalRow",
    "DelphiQuestionnaire",
    "DelphiRatingRow",
    "DelphiResponseRow",
    "DelphiRoundPublic",
    "DelphiRoundRow",
    "DelphiRoundStatus",
    "DelphiStudyPublic",
    "DelphiStudyRow",
    "ProposalPublic",
    "ResponseStatus",
    "level_label",
    "proposal_public",
    "round_public",
    "study_public",
]


class DelphiRoundStatus(StrEnum):
    """A round takes answers while open; its statistics are fixed once it is closed."""

    OPEN = "open"
    CLOSED = "closed"


class ResponseStatus(StrEnum):
    """One expert's questionnaire in one round: invited, saved as a draft, or submitted."""

    INVITED = "invited"
    DRAFT = "draft"
    SUBMITTED = "submitted"


def _time(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)


def _user(name: str, *, primary_key: bool = False) -> Any:
    return Field(sa_column=Column(Integer, ForeignKey("rev_user.id", name=name),
                                  primary_key=primary_key, nullable=False,
                                  index=not primary_key))


def _round(name: str, *, primary_key: bool = False) -> Any:
    return Field(sa_column=Column(Integer, ForeignKey("rev_delphi_round.id", name=name),
                                  primary_key=primary_key, nullable=False,
                                  index=not primary_key))


class DelphiStudyRow(SQLModel, table=True):
    """A Delphi study: its title, rating scale and authority table."""

    __tablename__ = "rev_delphi_study"
    __table_args__ = (CheckConstraint("scale_max >= 2", name="ck_rev_delphi_study_scale"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str
    description: str = ""
    scale_max: int = 5
    authority_table: str
    created_by: int | None = None
    created_at: datetime = _time(default_factory=utc_now)


class DelphiRoundRow(SQLModel, table=True):
    """One round: the indicator snapshot it rates, its status and, once closed, its results."""

    __tablename__ = "rev_delphi_round"
    __table_args__ = (
        UniqueConstraint("study_id", "number", name="uq_rev_delphi_round_number"),
        CheckConstraint("status IN ('open', 'closed')", name="ck_rev_delphi_round_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(sa_column=Column(
        Integer, ForeignKey("rev_delphi_study.id", name="fk_rev_delphi_round_study"),
        nullable=False, index=True))
    number: int
    label: str
    library_ref: str
    indicators: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: str = "open"
    deadline: date | None = Field(default=None, sa_type=Date)
    results: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    screening: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    draft_ref: str | None = None
    created_by: int | None = None
    created_at: datetime = _time(default_factory=utc_now)
    closed_at: datetime | None = _time(default=None)
    version: int = 1


class DelphiResponseRow(SQLModel, table=True):
    """An invitation and the expert's answers besides the ratings; ``version`` is the CAS counter."""

    __tablename__ = "rev_delphi_response"
    __table_args__ = (
        CheckConstraint("status IN ('invited', 'draft', 'submitted')",
                        name="ck_rev_delphi_response_status"),
    )

    round_id: int = _round("fk_rev_delphi_response_round", primary_key=True)
    expert_id: int = _user("fk_rev_delphi_response_expert", primary_key=True)
    status: str = "invited"
    basis: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    familiarity: str = ""
    comment: str = ""
    invited_at: datetime = _time(default_factory=utc_now)
    updated_at: datetime | None = _time(default=None)
    submitted_at: datetime | None = _time(default=None)
    version: int = 1


class DelphiRatingRow(SQLModel, table=True):
    """One expert's importance rating of one indicator in one round, with a comment."""

    __tablename__ = "rev_delphi_rating"
    __table_args__ = (CheckConstraint("rating IS NULL OR rating >= 1",
                                      name="ck_rev_delphi_rating_positive"),)

    round_id: int = _round("fk_rev_delphi_rating_round", primary_key=True)
    expert_id: int = _user("fk_rev_delphi_rating_expert", primary_key=True)
    indicator_code: str = Field(sa_column=Column(String, primary_key=True, nullable=False))
    rating: int | None = None
    comment: str = ""


class DelphiProposalRow(SQLModel, table=True):
    """A new indicator an expert proposes in a round."""

    __tablename__ = "rev_delphi_proposal"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = _round("fk_rev_delphi_proposal_round")
    expert_id: int = _user("fk_rev_delphi_proposal_expert")
    parent_code: str = ""
    name: str
    explanation: str = ""
    reason: str = ""
    created_at: datetime = _time(default_factory=utc_now)


@dataclass(frozen=True)
class DelphiStudyPublic:
    """A study as pages see it."""

    study_id: int
    title: str
    description: str
    scale_max: int
    authority_table: str
    created_at: datetime


@dataclass(frozen=True)
class DelphiRoundPublic:
    """A round as pages see it; ``indicators`` is the snapshot rated (code, name, level, parent)."""

    round_id: int
    study_id: int
    number: int
    label: str
    library_ref: str
    status: DelphiRoundStatus
    deadline: date | None
    indicators: tuple[Mapping[str, Any], ...]
    draft_ref: str | None
    created_at: datetime
    closed_at: datetime | None = None
    screening: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ProposalPublic:
    """A proposed new indicator; ``expert`` is the proposer's username."""

    proposal_id: int
    round_id: int
    expert: str
    parent_code: str
    name: str
    explanation: str
    reason: str


@dataclass(frozen=True)
class DelphiQuestionnaire:
    """What one expert sees of one round: the indicators and only their own answers.

    Attributes
    ----------
    round
        The round.
    status, version
        The response's status and the version the next save or submit must expect.
    ratings, comments
        Indicator code → the expert's rating (None if blank) and comment.
    basis, familiarity, comment
        Judgment basis (basis → 大/中/小), familiarity and a general comment.
    proposals
        The expert's own proposals in this round.
    previous
        Feedback of the study's previous closed round for this expert, indexed by indicator:
        ``group_mean``, ``group_sd``, ``group_median``, ``own_rating``; None in round 1.
    scale_max, basis_levels, familiarity_levels
        The rating scale's top and the answers the study's authority table accepts.
    updated_at
        When the expert last saved (a draft, or the submit), in UTC; None before.
    """

    round: DelphiRoundPublic
    status: ResponseStatus
    version: int
    ratings: Mapping[str, int | None]
    comments: Mapping[str, str]
    basis: Mapping[str, str]
    familiarity: str
    comment: str
    proposals: tuple[ProposalPublic, ...]
    previous: Any = None
    scale_max: int = 5
    basis_levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    familiarity_levels: tuple[str, ...] = ()
    updated_at: datetime | None = None


_LEVEL_WORDS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五"}


def level_label(level: int) -> str:
    """The Chinese name of an indicator level, used to group Kendall's W per level.

    Parameters
    ----------
    level
        1 for 一级 indicators, 2 for 二级, …

    Returns
    -------
    str

    Notes
    -----
    Delphi papers report W per level of the indicator system (一级/二级/三级指标).

    Examples
    --------
    >>> level_label(2)
    '二级指标'
    """
    return f"{_LEVEL_WORDS.get(int(level), str(level))}级指标"


def study_public(row: DelphiStudyRow) -> DelphiStudyPublic:
    """A study row as its public value.

    Parameters
    ----------
    row
        The stored study.

    Returns
    -------
    DelphiStudyPublic

    Notes
    -----
    Times come back in UTC.

    Examples
    --------
    >>> study_public(DelphiStudyRow(id=1, title="t", authority_table="zeng1994")).scale_max
    5
    """
    return DelphiStudyPublic(study_id=int(row.id), title=row.title, description=row.description,
                             scale_max=int(row.scale_max), authority_table=row.authority_table,
                             created_at=as_utc(row.created_at))


def round_public(row: DelphiRoundRow) -> DelphiRoundPublic:
    """A round row as its public value.

    Parameters
    ----------
    row
        The stored round.

    Returns
    -------
    DelphiRoundPublic

    Notes
    -----
    The results snapshot stays in the row; statistics are read through the store.

    Examples
    --------
    >>> row = DelphiRoundRow(id=2, study_id=1, number=1, label="第1轮", library_ref="x@1.0.0")
    >>> round_public(row).status.value
    'open'
    """
    return DelphiRoundPublic(
        round_id=int(row.id), study_id=int(row.study_id), number=int(row.number),
        label=row.label, library_ref=row.library_ref, status=DelphiRoundStatus(row.status),
        deadline=row.deadline, indicators=tuple(dict(i) for i in row.indicators or ()),
        draft_ref=row.draft_ref, created_at=as_utc(row.created_at),
        closed_at=as_utc(row.closed_at),
        screening=None if row.screening is None else dict(row.screening))


def proposal_public(row: DelphiProposalRow, expert: str) -> ProposalPublic:
    """A proposal row as its public value.

    Parameters
    ----------
    row
        The stored proposal.
    expert
        The proposer's username.

    Returns
    -------
    ProposalPublic

    Notes
    -----
    The store decides who may read whose proposals.

    Examples
    --------
    >>> row = DelphiProposalRow(id=1, round_id=1, expert_id=3, name="数字化水平")
    >>> proposal_public(row, "expert1").name
    '数字化水平'
    """
    return ProposalPublic(proposal_id=int(row.id), round_id=int(row.round_id), expert=expert,
                          parent_code=row.parent_code, name=row.name,
                          explanation=row.explanation, reason=row.reason)
