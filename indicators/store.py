"""Storage of library versions, and the door to the stored projects and target tables.

The tables are the SQLModel classes of :mod:`indicators.tables` (``LibraryVersionRow``,
``IndicatorRow``, …, over the ``ind_`` tables that ``indicators/migrations`` creates). Functions
take the session first and keyword arguments after it, and hand back the frozen values of
:mod:`indicators.model`, never rows. Projects and target tables are stored by
:mod:`indicators.target_store`; their functions are offered here too, so callers need one import.

Every write is one transaction: it commits at the end, and on any error it rolls back and
re-raises, so nothing is half-stored. A published or retired version is refused a change in the
same transaction as the write (a compare-and-set on its status), and the database triggers of
migration ``ind_0002`` refuse it again for any other writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select, update
from sqlmodel import delete as sql_delete

from indicators.errors import ConflictError, ImmutableVersionError, NotFoundError
from indicators.frameworks import builtin_frameworks, load_builtin
from indicators.model import LibraryVersion, Status, parse_version
from indicators.tables import (
    ChangelogRow,
    IndicatorRow,
    LibraryVersionRow,
    ProjectRow,
    TargetRow,
    find_version_row,
    load_version,
    utc_now,
    version_content,
    version_header,
    write_transaction,
)
from indicators.target_store import get_target_table, list_projects, save_target_tables
from indicators.validate import check_library
from indicators.versioning import publish, retire

__all__ = [
    "ChangelogRow",
    "IndicatorRow",
    "LibrarySummary",
    "LibraryVersionRow",
    "ProjectRow",
    "TargetRow",
    "delete_draft",
    "get_library",
    "get_target_table",
    "list_libraries",
    "list_projects",
    "publish_library",
    "retire_library",
    "save_library",
    "save_target_tables",
    "seed_builtin_libraries",
    "update_draft",
]


@dataclass(frozen=True)
class LibrarySummary:
    """One line of :func:`list_libraries`: a version without its indicators.

    ``id`` is the framework id (``national-target``), not a database key.
    """

    id: str
    version: str
    status: Status
    title: str
    kind: str
    indicator_count: int
    region: str = "national"
    published_at: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON output.

        Returns
        -------
        dict
            The summary's fields with ``ref`` added and the status as its text.

        Notes
        -----
        What ``jixiao library list --json`` prints, one dict per version.

        Examples
        --------
        >>> LibrarySummary("demo", "1.0.0", Status.DRAFT, "示例", "catalogue", 3).as_dict()["ref"]
        'demo@1.0.0'
        """
        return {"id": self.id, "version": self.version, "ref": self.ref,
                "status": self.status.value, "title": self.title, "kind": self.kind,
                "indicator_count": self.indicator_count, "region": self.region,
                "published_at": self.published_at}


def _exists(session: Session, version: LibraryVersion) -> bool:
    return session.exec(select(LibraryVersionRow.id).where(
        LibraryVersionRow.framework_id == version.framework_id,
        LibraryVersionRow.version == version.version)).first() is not None


def _insert_version(session: Session, version: LibraryVersion) -> None:
    if _exists(session, version):
        raise ConflictError(f"指标库版本 '{version.ref}' 已存在，不能覆盖",
                            f"library version '{version.ref}' already exists and cannot be "
                            "overwritten", field="ref")
    if version.is_frozen:
        check_library(version)
    # Stored as a draft first: the triggers refuse indicator rows under a frozen version.
    row = LibraryVersionRow(status=Status.DRAFT.value, **version_header(version))
    session.add(row)
    session.flush()
    session.add_all(version_content(row.id, version))
    session.flush()
    if version.is_frozen:
        row.status = version.status.value
        session.flush()


def _claim_draft(session: Session, row: LibraryVersionRow, **values: Any) -> None:
    """Compare-and-set on the row: it must still be a draft at the version we read."""
    result = session.exec(
        update(LibraryVersionRow)
        .where(LibraryVersionRow.id == row.id,
               LibraryVersionRow.status == Status.DRAFT.value,
               LibraryVersionRow.row_version == row.row_version)
        .values(row_version=row.row_version + 1, updated_at=utc_now(), **values))
    if result.rowcount == 1:
        return
    current = session.exec(select(LibraryVersionRow.status).where(
        LibraryVersionRow.id == row.id)).first()
    ref = f"{row.framework_id}@{row.version}"
    if current is None:
        raise NotFoundError(f"指标库版本 '{ref}' 已被删除", f"library version '{ref}' was deleted",
                            field="ref")
    if current != Status.DRAFT.value:
        raise ImmutableVersionError(f"指标库版本 '{ref}' 状态为 {current}，不可修改",
                                    f"library version '{ref}' is {current} and cannot be changed",
                                    field="ref")
    raise ConflictError(f"指标库版本 '{ref}' 刚被他人修改，请重新载入后再试",
                        f"library version '{ref}' was changed by someone else; reload and retry",
                        field="ref")


def _replace_content(session: Session, row: LibraryVersionRow, version: LibraryVersion) -> None:
    for table in (IndicatorRow, ChangelogRow):
        session.exec(sql_delete(table).where(table.library_version_id == row.id))
    session.add_all(version_content(row.id, version))
    session.flush()


def save_library(session: Session, *, version: LibraryVersion) -> LibraryVersion:
    """Store a new library version; an existing ``framework_id@version`` is never overwritten.

    Parameters
    ----------
    session
        An open session; the write commits it.
    version
        The version to store, with its status (a draft, or a published version from a file).

    Returns
    -------
    LibraryVersion
        The version as stored (equal to ``version``).

    Raises
    ------
    ConflictError
        ``framework_id@version`` is already stored.
    ValidationError
        A published or retired version that fails :func:`indicators.validate.check_library`.

    Notes
    -----
    One transaction: the version row, its indicators and its changelog are stored together or
    not at all. Drafts are stored as they are, so a half-finished library can be saved.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from indicators.model import Indicator, LibraryVersion
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> draft = LibraryVersion("demo", "0.1.0", "示例", "catalogue",
    ...                        (Indicator("A", "满意度", 1, direction="定性"),))
    >>> with Session(engine) as session:
    ...     save_library(session, version=draft) == draft
    True
    >>> clear_engine_cache()
    """
    with write_transaction(session):
        _insert_version(session, version)
    return version


def get_library(session: Session, *, ref: str) -> LibraryVersion:
    """Load a library version by ``framework_id@version``, or the latest published by ``framework_id``.

    Parameters
    ----------
    session
        An open session.
    ref
        ``"national-target@1.0.0"`` (a leading ``v`` on the version is allowed) for exactly
        that version in any status, or ``"national-target"`` for its highest published version.

    Returns
    -------
    LibraryVersion
        The stored version, indicators and changelog in their stored order.

    Raises
    ------
    NotFoundError
        No such version, or no published version of that framework.

    Notes
    -----
    "Latest" compares semantic versions numerically, so 1.10.0 comes after 1.9.0.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> with Session(engine) as session:
    ...     try:
    ...         get_library(session, ref="nothing")
    ...     except NotFoundError as err:
    ...         print(err.en)
    library 'nothing' has no published version
    >>> clear_engine_cache()
    """
    return load_version(session, find_version_row(session, ref))


def list_libraries(session: Session) -> list[LibrarySummary]:
    """Every stored version with its indicator count, by framework and then version.

    Parameters
    ----------
    session
        An open session.

    Returns
    -------
    list of LibrarySummary
        Ordered by framework id and numerically by version.

    Notes
    -----
    One query with a grouped count; indicators are not loaded.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> with Session(engine) as session:
    ...     list_libraries(session)
    []
    >>> clear_engine_cache()
    """
    count = func.count(IndicatorRow.id)
    rows = session.exec(
        select(LibraryVersionRow, count)
        .join(IndicatorRow, IndicatorRow.library_version_id == LibraryVersionRow.id,
              isouter=True)
        .group_by(LibraryVersionRow.id)).all()
    summaries = [LibrarySummary(id=row.framework_id, version=row.version,
                                status=Status(row.status), title=row.title, kind=row.kind,
                                indicator_count=int(n), region=row.region,
                                published_at=row.published_at)
                 for row, n in rows]
    return sorted(summaries, key=lambda s: (s.id, parse_version(s.version)))


def update_draft(session: Session, *, version: LibraryVersion) -> LibraryVersion:
    """Replace the stored content of a draft with ``version`` (same ``framework_id@version``).

    Parameters
    ----------
    session
        An open session; the write commits it.
    version
        The edited draft (as :mod:`indicators.versioning` returns it); its status must be draft.

    Returns
    -------
    LibraryVersion
        The version as stored.

    Raises
    ------
    NotFoundError
        The draft is not stored.
    ImmutableVersionError
        The stored version is published or retired, or ``version`` is not a draft.

    Notes
    -----
    The status check is a compare-and-set inside the write transaction (``UPDATE … WHERE
    status = 'draft'``), so a draft published by someone else a moment earlier is not edited.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from indicators.model import Indicator, LibraryVersion
    >>> from dataclasses import replace
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> draft = LibraryVersion("demo", "0.1.0", "示例", "catalogue",
    ...                        (Indicator("A", "满意度", 1, direction="定性"),))
    >>> with Session(engine) as session:
    ...     _ = save_library(session, version=draft)
    ...     update_draft(session, version=replace(draft, title="新标题")).title
    '新标题'
    >>> clear_engine_cache()
    """
    if version.is_frozen:
        raise ImmutableVersionError(
            f"'{version.ref}' 的状态为 {version.status.value}，只能保存草稿",
            f"'{version.ref}' is {version.status.value}; only a draft can be saved over",
            field="status")
    with write_transaction(session):
        row = find_version_row(session, version.ref)
        _claim_draft(session, row, **version_header(version))
        _replace_content(session, row, version)
    return version


def publish_library(session: Session, *, ref: str, by: str, changelog: str) -> LibraryVersion:
    """Publish a stored draft: validate it, add the changelog line, freeze it.

    Parameters
    ----------
    session
        An open session; the write commits it.
    ref
        ``framework_id@version`` of the draft.
    by
        Who publishes (recorded as ``published_by``).
    changelog
        The changelog line for this version.

    Returns
    -------
    LibraryVersion
        The published version.

    Raises
    ------
    NotFoundError
        No such version.
    ImmutableVersionError
        It is already published or retired.
    ValidationError
        The draft fails :func:`indicators.validate.check_library`.
    ConflictError
        Someone changed the draft between reading and publishing.

    Notes
    -----
    :func:`indicators.versioning.publish` makes the published value; the store then writes it
    with a compare-and-set on the draft's status and row version read at the start.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from indicators.model import Indicator, LibraryVersion
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> draft = LibraryVersion("demo", "0.1.0", "示例", "catalogue",
    ...                        (Indicator("A", "满意度", 1, direction="定性"),))
    >>> with Session(engine) as session:
    ...     _ = save_library(session, version=draft)
    ...     publish_library(session, ref="demo@0.1.0", by="王科长", changelog="首版").status.value
    'published'
    >>> clear_engine_cache()
    """
    with write_transaction(session):
        row = find_version_row(session, ref)
        draft = load_version(session, row)
        if draft.is_frozen:
            raise ImmutableVersionError(f"'{draft.ref}' 已是 {draft.status.value}，不能再次发布",
                                        f"'{draft.ref}' is already {draft.status.value}",
                                        field="ref")
        published = publish(draft, by=by, changelog=changelog)
        _claim_draft(session, row, **version_header(published))
        _replace_content(session, row, published)
        session.exec(update(LibraryVersionRow).where(LibraryVersionRow.id == row.id)
                     .values(status=published.status.value))
    return published


def retire_library(session: Session, *, ref: str, by: str, reason: str) -> LibraryVersion:
    """Retire a published version: it stays readable (old scores name it) but is no longer offered.

    Parameters
    ----------
    session
        An open session; the write commits it.
    ref
        ``framework_id@version``.
    by
        Who retires it.
    reason
        Why; recorded as a changelog line.

    Returns
    -------
    LibraryVersion
        The retired version.

    Raises
    ------
    NotFoundError
        No such version.
    ConflictError
        It is a draft (delete it instead).
    ImmutableVersionError
        It is already retired.

    Notes
    -----
    :func:`indicators.versioning.retire` makes the retired value; the store changes the status
    with a compare-and-set from ``published`` and appends the changelog line. Indicators are not
    touched; a frozen version's changelog only grows.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from indicators.model import Indicator, LibraryVersion
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                      (Indicator("A", "满意度", 1, direction="定性"),), status="published")
    >>> with Session(engine) as session:
    ...     _ = save_library(session, version=lib)
    ...     retire_library(session, ref="demo@1.0.0", by="李", reason="已有新版").status.value
    'retired'
    >>> clear_engine_cache()
    """
    with write_transaction(session):
        row = find_version_row(session, ref)
        current = load_version(session, row)
        retired = retire(current, by=by, reason=reason)
        result = session.exec(
            update(LibraryVersionRow)
            .where(LibraryVersionRow.id == row.id,
                   LibraryVersionRow.status == Status.PUBLISHED.value)
            .values(status=Status.RETIRED.value, row_version=row.row_version + 1,
                    updated_at=utc_now()))
        if result.rowcount != 1:
            raise ImmutableVersionError(f"'{ref}' 刚被他人停用", f"'{ref}' was just retired by "
                                        "someone else", field="ref")
        start = len(current.changelog)
        session.add_all([ChangelogRow(library_version_id=row.id, position=start + i,
                                      version=entry.version, text=entry.text,
                                      author=entry.author, date=entry.date)
                         for i, entry in enumerate(retired.changelog[start:])])
        session.flush()
    return retired


def delete_draft(session: Session, *, ref: str) -> None:
    """Delete a draft with its indicators and changelog; published versions are never deleted.

    Parameters
    ----------
    session
        An open session; the write commits it.
    ref
        ``framework_id@version`` of the draft.

    Returns
    -------
    None

    Raises
    ------
    NotFoundError
        No such version.
    ImmutableVersionError
        The version is published or retired.
    ConflictError
        Project targets were picked from the draft.

    Notes
    -----
    The draft is first claimed by a compare-and-set on its status, so a version published a
    moment earlier is not removed.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from indicators.model import LibraryVersion
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> with Session(engine) as session:
    ...     _ = save_library(session, version=LibraryVersion("demo", "0.1.0", "示例", "catalogue"))
    ...     delete_draft(session, ref="demo@0.1.0")
    ...     list_libraries(session)
    []
    >>> clear_engine_cache()
    """
    with write_transaction(session):
        row = find_version_row(session, ref)
        if row.status != Status.DRAFT.value:
            raise ImmutableVersionError(f"'{ref}' 的状态为 {row.status}，只能删除草稿",
                                        f"'{ref}' is {row.status}; only drafts can be deleted",
                                        field="ref")
        used = session.exec(select(func.count(TargetRow.id)).where(
            TargetRow.library_version_id == row.id)).one()
        if used:
            raise ConflictError(f"有 {used} 条项目目标引用了草稿 '{ref}'，不能删除",
                                f"{used} project target(s) refer to draft '{ref}'; it cannot be "
                                "deleted", field="ref")
        # The claim is the compare-and-set: it fails if the draft was published meanwhile.
        _claim_draft(session, row)
        for table in (IndicatorRow, ChangelogRow):
            session.exec(sql_delete(table).where(table.library_version_id == row.id))
        session.exec(sql_delete(LibraryVersionRow).where(LibraryVersionRow.id == row.id))


def seed_builtin_libraries(session: Session) -> list[str]:
    """Store every framework shipped with jixiao that is not stored yet.

    Parameters
    ----------
    session
        An open session; the write commits it.

    Returns
    -------
    list of str
        The refs stored by this call (empty when all were there already).

    Notes
    -----
    Idempotent: a version already stored is left alone (stored versions never change), so every
    start of a front door may call it. All new versions go in one transaction.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> with Session(engine) as session:
    ...     first = seed_builtin_libraries(session)
    ...     seed_builtin_libraries(session)
    []
    >>> clear_engine_cache()
    """
    stored: list[str] = []
    with write_transaction(session):
        for framework_id in builtin_frameworks():
            version = load_builtin(framework_id)
            if not _exists(session, version):
                _insert_version(session, version)
                stored.append(version.ref)
    return stored
