"""The indicator package's database tables, their translation to model values, and writes.

Each class mirrors one table that ``indicators/migrations`` creates (the migrations are the
source of truth; ``tests/indicators/test_tables.py`` checks that the two agree). The classes are
named by role, ``…Row``. :func:`find_version_row`, :func:`version_header`,
:func:`version_content` and :func:`load_version` translate between a library version and its
rows; :func:`write_transaction` makes a block of writes all-or-nothing. The functions other code
calls live in :mod:`indicators.store` and :mod:`indicators.target_store`, which hand out frozen
model values, never rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    UniqueConstraint,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from indicators.errors import ConflictError, ImmutableVersionError, NotFoundError
from indicators.model import ChangelogEntry, Indicator, LibraryVersion, Status, parse_version

__all__ = [
    "FROZEN_VERSION_MARK",
    "ChangelogRow",
    "IndicatorRow",
    "LibraryVersionRow",
    "ProjectRow",
    "TargetRow",
    "find_version_row",
    "load_version",
    "utc_now",
    "version_content",
    "version_header",
    "write_transaction",
]

FROZEN_VERSION_MARK = "ind_frozen_version"
"""How the triggers of migration ``ind_0002`` begin their message."""


def utc_now() -> datetime:
    """The current time in UTC, as the ``created_at``/``updated_at`` columns store it.

    Returns
    -------
    datetime
        An aware datetime in UTC.

    Notes
    -----
    The columns are ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL; SQLite keeps the text.

    Examples
    --------
    >>> utc_now().utcoffset().total_seconds()
    0.0
    """
    return datetime.now(UTC)


class LibraryVersionRow(SQLModel, table=True):
    """One library version (``framework_id@version``) and its status."""

    __tablename__ = "ind_library_version"
    __table_args__ = (
        UniqueConstraint("framework_id", "version", name="uq_ind_library_version_ref"),
        CheckConstraint("status IN ('draft', 'published', 'retired')",
                        name="ck_ind_library_version_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    framework_id: str
    version: str
    title: str
    kind: str
    status: str
    region: str
    effective_year: int | None = None
    source_documents: list[str] = Field(default_factory=list, sa_type=JSON)
    based_on: str | None = None
    published_by: str | None = None
    # ISO 8601 text keeps the UTC offset of the model's datetime, which DATETIME would drop.
    published_at: str | None = None
    description: str = ""
    # Bumped by every write, so a publish can tell that the draft changed after it was read.
    row_version: int = 1
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class IndicatorRow(SQLModel, table=True):
    """One indicator of one library version; ``position`` keeps the library's order."""

    __tablename__ = "ind_indicator"
    __table_args__ = (UniqueConstraint("library_version_id", "code", name="uq_ind_indicator_code"),)

    id: int | None = Field(default=None, primary_key=True)
    library_version_id: int = Field(sa_column=Column(
        Integer, ForeignKey("ind_library_version.id", name="fk_ind_indicator_version",
                            ondelete="CASCADE"), nullable=False))
    position: int
    code: str
    name: str
    level: int
    parent: str | None = None
    category: str | None = None
    direction: str | None = None
    unit: str = ""
    value_basis: str | None = None
    reference_value: str = ""
    explanation: str = ""
    checkpoints: str = ""
    data_source: str = ""
    rule: str = ""
    rule_params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    weight: float | None = None
    source_document: str = ""
    valid_from: int | None = None
    valid_to: int | None = None
    sector: str = ""


class ChangelogRow(SQLModel, table=True):
    """One changelog line of one library version."""

    __tablename__ = "ind_changelog"

    id: int | None = Field(default=None, primary_key=True)
    library_version_id: int = Field(sa_column=Column(
        Integer, ForeignKey("ind_library_version.id", name="fk_ind_changelog_version",
                            ondelete="CASCADE"), nullable=False, index=True))
    position: int
    version: str
    text: str
    author: str = ""
    date: str = ""


class ProjectRow(SQLModel, table=True):
    """One budget project in one budget year."""

    __tablename__ = "ind_project"
    __table_args__ = (UniqueConstraint("code", "year", name="uq_ind_project_code_year"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str
    year: int = Field(index=True)
    name: str
    department: str
    budget_type: str
    amount: float
    is_new: bool = False
    previous_amount: float | None = None
    years_running: int = 0
    is_key: bool = False
    township: str = ""
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class TargetRow(SQLModel, table=True):
    """One line of a project's target table, pointing at its library version when picked from one."""

    __tablename__ = "ind_target"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(sa_column=Column(
        Integer, ForeignKey("ind_project.id", name="fk_ind_target_project", ondelete="CASCADE"),
        nullable=False, index=True))
    # No cascade: a version that targets were picked from must outlive them.
    library_version_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("ind_library_version.id", name="fk_ind_target_version"),
        nullable=True, index=True))
    position: int
    indicator_code: str
    name: str
    level1: str
    level2: str
    direction: str
    weight: float
    target_value: float | None = None
    target_text: str = ""
    unit: str = ""


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run a block of writes as one transaction: commit at the end, roll back on any error.

    Parameters
    ----------
    session
        The session to write with. Anything already pending in it commits with the block.

    Returns
    -------
    contextmanager of Session
        Yields ``session``.

    Raises
    ------
    ImmutableVersionError
        The database refused a change to a published or retired version (its triggers).
    ConflictError
        Any other integrity error (a duplicate key, a broken reference), with the database's
        own words appended.

    Notes
    -----
    Rolling back on every exception, not only database ones, is what makes a write
    all-or-nothing: an error raised halfway through building rows leaves nothing behind.

    Examples
    --------
    >>> from sqlmodel import create_engine
    >>> with Session(create_engine("sqlite://")) as session:
    ...     with write_transaction(session):
    ...         pass
    """
    try:
        yield session
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if FROZEN_VERSION_MARK in str(exc.orig):
            raise ImmutableVersionError("已发布或已停用的指标库版本不可修改",
                                        "a published or retired library version cannot be "
                                        "changed") from exc
        raise ConflictError(f"写入与已有数据冲突：{exc.orig}",
                            f"the write conflicts with stored data: {exc.orig}") from exc
    except BaseException:
        session.rollback()
        raise


def find_version_row(session: Session, ref: str) -> LibraryVersionRow:
    """The row of ``framework_id@version``, or of the highest published version of ``framework_id``.

    Parameters
    ----------
    session
        An open session.
    ref
        ``"national-target@1.0.0"`` (a leading ``v`` on the version is allowed) for exactly that
        version in any status; ``"national-target"`` for its highest published version.

    Returns
    -------
    LibraryVersionRow
        The row; other packages' stores use its ``id`` to point at a library version.

    Raises
    ------
    NotFoundError
        No such version, or no published version of that framework.

    Notes
    -----
    Versions compare numerically (:func:`indicators.model.parse_version`), so 1.10.0 is later
    than 1.9.0.

    Examples
    --------
    >>> from sqlmodel import create_engine
    >>> engine = create_engine("sqlite://")
    >>> SQLModel.metadata.create_all(engine, tables=[LibraryVersionRow.__table__])
    >>> with Session(engine) as session:
    ...     try:
    ...         find_version_row(session, "demo@1.0.0")
    ...     except NotFoundError as err:
    ...         print(err.en)
    library version 'demo@1.0.0' not found
    """
    framework_id, sep, version = str(ref).strip().partition("@")
    query = select(LibraryVersionRow).where(LibraryVersionRow.framework_id == framework_id.strip())
    if sep:
        row = session.exec(query.where(
            LibraryVersionRow.version == version.strip().removeprefix("v"))).first()
        if row is None:
            raise NotFoundError(f"找不到指标库版本 '{ref}'", f"library version '{ref}' not found",
                                field="ref")
        return row
    published = session.exec(query.where(LibraryVersionRow.status == Status.PUBLISHED.value)).all()
    if not published:
        raise NotFoundError(f"指标库 '{ref}' 没有已发布的版本",
                            f"library '{ref}' has no published version", field="ref")
    return max(published, key=lambda row: parse_version(row.version))


def version_header(version: LibraryVersion) -> dict[str, Any]:
    """The column values of ``version``'s :class:`LibraryVersionRow`, status aside.

    Parameters
    ----------
    version
        A library version.

    Returns
    -------
    dict
        Column name → value; ``published_at`` as ISO 8601 text, keeping its offset.

    Notes
    -----
    The status is left out on purpose: writers set it last, after the content (see
    :mod:`indicators.store`).

    Examples
    --------
    >>> version_header(LibraryVersion("demo", "1.0.0", "示例", "catalogue"))["kind"]
    'catalogue'
    """
    return {
        "framework_id": version.framework_id, "version": version.version,
        "title": version.title, "kind": version.kind.value, "region": version.region,
        "effective_year": version.effective_year,
        "source_documents": list(version.source_documents), "based_on": version.based_on,
        "published_by": version.published_by,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "description": version.description,
    }


def version_content(version_id: int, version: LibraryVersion) -> list[IndicatorRow | ChangelogRow]:
    """New indicator and changelog rows of ``version``, under the version row ``version_id``.

    Parameters
    ----------
    version_id
        The id of the version's :class:`LibraryVersionRow`.
    version
        The library version.

    Returns
    -------
    list
        One :class:`IndicatorRow` per indicator and one :class:`ChangelogRow` per changelog line,
        each with its ``position`` in the version.

    Notes
    -----
    Enums are stored as their text, so the table reads plainly in any database browser.

    Examples
    --------
    >>> from indicators.model import Indicator
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                      (Indicator("A", "满意度", 1, direction="定性"),))
    >>> [row.direction for row in version_content(1, lib)]
    ['定性']
    """
    rows: list[IndicatorRow | ChangelogRow] = []
    for position, ind in enumerate(version.indicators):
        values = ind.as_dict()
        values["rule_params"] = dict(ind.rule_params)
        rows.append(IndicatorRow(library_version_id=version_id, position=position, **values))
    rows += [ChangelogRow(library_version_id=version_id, position=position, version=entry.version,
                          text=entry.text, author=entry.author, date=entry.date)
             for position, entry in enumerate(version.changelog)]
    return rows


def load_version(session: Session, row: LibraryVersionRow) -> LibraryVersion:
    """The library version stored under ``row``, indicators and changelog in stored order.

    Parameters
    ----------
    session
        An open session.
    row
        The version's row (see :func:`find_version_row`).

    Returns
    -------
    LibraryVersion
        Equal to the value that was stored.

    Notes
    -----
    Two queries, one per content table, ordered by ``position``.

    Examples
    --------
    >>> from sqlmodel import create_engine
    >>> engine = create_engine("sqlite://")
    >>> SQLModel.metadata.create_all(engine, tables=[LibraryVersionRow.__table__,
    ...                              IndicatorRow.__table__, ChangelogRow.__table__])
    >>> with Session(engine) as session:
    ...     row = LibraryVersionRow(status="draft", **version_header(
    ...         LibraryVersion("demo", "1.0.0", "示例", "catalogue")))
    ...     session.add(row)
    ...     session.flush()
    ...     load_version(session, row).ref
    'demo@1.0.0'
    """
    indicators = session.exec(select(IndicatorRow).where(
        IndicatorRow.library_version_id == row.id).order_by(IndicatorRow.position)).all()
    changelog = session.exec(select(ChangelogRow).where(
        ChangelogRow.library_version_id == row.id).order_by(ChangelogRow.position)).all()
    skip = {"id", "library_version_id", "position"}
    return LibraryVersion(
        framework_id=row.framework_id, version=row.version, title=row.title, kind=row.kind,
        indicators=tuple(Indicator(**{k: v for k, v in ind.model_dump().items() if k not in skip})
                         for ind in indicators),
        status=Status(row.status), region=row.region, effective_year=row.effective_year,
        source_documents=tuple(row.source_documents), based_on=row.based_on,
        changelog=tuple(ChangelogEntry(version=c.version, text=c.text, author=c.author,
                                       date=c.date) for c in changelog),
        published_by=row.published_by,
        published_at=datetime.fromisoformat(row.published_at) if row.published_at else None,
        description=row.description,
    )
