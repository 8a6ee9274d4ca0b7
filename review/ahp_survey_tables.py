"""The group AHP survey tables (``rev_ahp_``) and the values pages get from them.

A survey asks its members for pairwise comparisons of the children of every node of one
library version's indicator tree (a snapshot is kept on the survey). Each member has one row of
status, one row of judgments per node (blank judgments are simply absent), and staff decisions to
exclude or keep a member's matrix at a node are appended, each with its reason, so the history
stays. Migration ``rev_0003`` creates the tables; the classes here mirror it. Only
:mod:`review.ahp_survey_store` and :mod:`review.ahp_survey_results` read or write the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from review.tables import as_utc, utc_now

__all__ = [
    "AhpExclusionRow",
    "AhpJudgmentRow",
    "AhpMemberRow",
    "AhpNode",
    "AhpSurveyPublic",
    "AhpSurveyRow",
    "MemberJudgments",
    "MemberStatus",
    "SurveyStatus",
    "survey_nodes",
    "survey_public",
]


class SurveyStatus(StrEnum):
    """A survey takes judgments while open."""

    OPEN = "open"
    CLOSED = "closed"


class MemberStatus(StrEnum):
    """One member's answers: invited, saved, or submitted (locked)."""

    INVITED = "invited"
    DRAFT = "draft"
    SUBMITTED = "submitted"


def _time(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)


def _key(table: str, name: str, *, primary_key: bool) -> Any:
    return Field(sa_column=Column(Integer, ForeignKey(f"{table}.id", name=name),
                                  primary_key=primary_key, nullable=False,
                                  index=not primary_key))


class AhpSurveyRow(SQLModel, table=True):
    """A group AHP survey on one library version, with the tree snapshot it asks about."""

    __tablename__ = "rev_ahp_survey"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="ck_rev_ahp_survey_status"),
        CheckConstraint("priority_method IN ('eigenvector', 'geometric')",
                        name="ck_rev_ahp_survey_method"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str
    library_ref: str
    indicators: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: str = "open"
    priority_method: str = "eigenvector"
    ri_table: str = "saaty1980"
    delphi_round_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("rev_delphi_round.id", name="fk_rev_ahp_survey_delphi_round"),
        nullable=True))
    saved_ref: str | None = None
    saved_settings: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_by: int | None = None
    created_at: datetime = _time(default_factory=utc_now)
    closed_at: datetime | None = _time(default=None)
    version: int = 1


class AhpMemberRow(SQLModel, table=True):
    """A panel member of a survey; ``version`` is the compare-and-set counter of his answers."""

    __tablename__ = "rev_ahp_member"
    __table_args__ = (CheckConstraint("status IN ('invited', 'draft', 'submitted')",
                                      name="ck_rev_ahp_member_status"),)

    survey_id: int = _key("rev_ahp_survey", "fk_rev_ahp_member_survey",
                          primary_key=True)
    user_id: int = _key("rev_user", "fk_rev_ahp_member_user", primary_key=True)
    status: str = "invited"
    invited_at: datetime = _time(default_factory=utc_now)
    updated_at: datetime | None = _time(default=None)
    submitted_at: datetime | None = _time(default=None)
    version: int = 1


class AhpJudgmentRow(SQLModel, table=True):
    """One member's judgments at one node: ``{"A|B": a_AB}``, a blank pair left out."""

    __tablename__ = "rev_ahp_judgment"

    survey_id: int = _key("rev_ahp_survey", "fk_rev_ahp_judgment_survey",
                          primary_key=True)
    user_id: int = _key("rev_user", "fk_rev_ahp_judgment_user", primary_key=True)
    node_key: str = Field(sa_column=Column(String, primary_key=True, nullable=False))
    judgments: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = _time(default_factory=utc_now)


class AhpExclusionRow(SQLModel, table=True):
    """A staff decision to exclude (or keep) a member's matrix at a node, with its reason."""

    __tablename__ = "rev_ahp_exclusion"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = _key("rev_ahp_survey", "fk_rev_ahp_exclusion_survey",
                          primary_key=False)
    user_id: int = _key("rev_user", "fk_rev_ahp_exclusion_user", primary_key=False)
    node_key: str
    excluded: bool
    reason: str
    decided_by: int | None = None
    decided_at: datetime = _time(default_factory=utc_now)


@dataclass(frozen=True)
class AhpNode:
    """A node whose children are compared; ``key`` is the parent's code, "" for the first level."""

    key: str
    name: str
    codes: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Every pair of children once, in the order the form asks them."""
        return tuple((a, b) for k, a in enumerate(self.codes) for b in self.codes[k + 1:])


@dataclass(frozen=True)
class AhpSurveyPublic:
    """A survey as pages see it; ``nodes`` are the parents with at least two children."""

    survey_id: int
    title: str
    library_ref: str
    status: SurveyStatus
    priority_method: str
    ri_table: str
    delphi_round_id: int | None
    nodes: tuple[AhpNode, ...]
    indicators: tuple[Mapping[str, Any], ...]
    saved_ref: str | None
    created_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True)
class MemberJudgments:
    """One member's own answers: node key → {(code_i, code_j): a_ij}; blank pairs are absent.

    ``saved_at`` holds, per node saved at least once, when the member last saved it (UTC).
    """

    survey: AhpSurveyPublic
    status: MemberStatus
    version: int
    judgments: Mapping[str, Mapping[tuple[str, str], float]]
    saved_at: Mapping[str, datetime] = field(default_factory=dict)


def survey_nodes(indicators: Sequence[Mapping[str, Any]]) -> tuple[AhpNode, ...]:
    """The nodes of a tree snapshot whose children are compared, first level first.

    Parameters
    ----------
    indicators
        ``code``, ``name``, ``parent`` of every indicator, in tree order.

    Returns
    -------
    tuple of AhpNode
        The first level (key "") and every indicator with two or more children, in tree order.

    Notes
    -----
    A single child needs no comparison: its local weight is 1.

    Examples
    --------
    >>> tree = [{"code": "A", "name": "甲", "parent": None},
    ...         {"code": "A1", "name": "甲一", "parent": "A"},
    ...         {"code": "A2", "name": "甲二", "parent": "A"},
    ...         {"code": "B", "name": "乙", "parent": None}]
    >>> [(n.key, n.codes) for n in survey_nodes(tree)]
    [('', ('A', 'B')), ('A', ('A1', 'A2'))]
    """
    names = {i["code"]: i["name"] for i in indicators}
    children: dict[str, list[str]] = {}
    for i in indicators:
        children.setdefault(i.get("parent") or "", []).append(i["code"])
    order = ["", *(i["code"] for i in indicators)]
    return tuple(AhpNode(key=key, name=names.get(key, ""), codes=tuple(children[key]),
                         names=tuple(names[c] for c in children[key]))
                 for key in order if len(children.get(key, ())) >= 2)


def survey_public(row: AhpSurveyRow) -> AhpSurveyPublic:
    """A survey row as its public value.

    Parameters
    ----------
    row
        The stored survey.

    Returns
    -------
    AhpSurveyPublic

    Notes
    -----
    Nodes are derived from the stored tree snapshot.

    Examples
    --------
    >>> row = AhpSurveyRow(id=1, title="t", library_ref="x@1.0.0", indicators=[
    ...     {"code": "A", "name": "甲", "parent": None}, {"code": "B", "name": "乙", "parent": None}])
    >>> survey_public(row).nodes[0].pairs
    (('A', 'B'),)
    """
    snapshot = tuple(dict(i) for i in row.indicators or ())
    return AhpSurveyPublic(
        survey_id=int(row.id), title=row.title, library_ref=row.library_ref,
        status=SurveyStatus(row.status), priority_method=row.priority_method,
        ri_table=row.ri_table, delphi_round_id=row.delphi_round_id,
        nodes=survey_nodes(snapshot), indicators=snapshot, saved_ref=row.saved_ref,
        created_at=as_utc(row.created_at), closed_at=as_utc(row.closed_at))
