"""Storage of budget projects and their target tables (绩效目标表).

A project is identified by its code and budget year; saving a target table again replaces that
project's targets as a whole, since a bureau revises a table and resubmits it. A target picked
from the library keeps a reference to the stored library version, so the version it names must
exist. Other packages should therefore refer to a target by project code, year and indicator
code, never by a row id, which a resubmission replaces.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select
from sqlmodel import delete as sql_delete

from indicators.errors import InputError, NotFoundError
from indicators.model import Project, Target, TargetTable
from indicators.tables import LibraryVersionRow, ProjectRow, TargetRow, utc_now, write_transaction

__all__ = ["get_target_table", "list_projects", "save_target_tables"]

_PROJECT_FIELDS = ("name", "department", "amount", "is_new", "previous_amount", "years_running",
                   "is_key", "township")


def _project_values(project: Project) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(project, name) for name in _PROJECT_FIELDS}
    values["budget_type"] = project.budget_type.value
    return values


def _project_from_row(row: ProjectRow) -> Project:
    return Project(code=row.code, year=row.year, budget_type=row.budget_type,
                   **{name: getattr(row, name) for name in _PROJECT_FIELDS})


def _library_ids(session: Session, refs: set[str]) -> dict[str, int]:
    """Map each ``framework_id@version`` to its row id; every ref must be stored."""
    if not refs:
        return {}
    framework_ids = {ref.partition("@")[0] for ref in refs}
    rows = session.exec(select(LibraryVersionRow.id, LibraryVersionRow.framework_id,
                               LibraryVersionRow.version)
                        .where(LibraryVersionRow.framework_id.in_(framework_ids))).all()
    ids = {f"{framework_id}@{version}": row_id for row_id, framework_id, version in rows}
    missing = sorted(refs - set(ids))
    if missing:
        raise NotFoundError(f"目标引用的指标库版本不存在：{'、'.join(missing)}",
                            f"targets refer to library versions that are not stored: "
                            f"{', '.join(missing)}", field="library_ref")
    return ids


def save_target_tables(session: Session, *, tables: Iterable[TargetTable]) -> int:
    """Store projects with their target tables, replacing the targets of projects already stored.

    Parameters
    ----------
    session
        An open session; the write commits it.
    tables
        The target tables, one per project and year.

    Returns
    -------
    int
        The number of target tables stored.

    Raises
    ------
    InputError
        The same project and year appear twice, or a target names another project.
    NotFoundError
        A target's ``library_ref`` is not a stored library version.

    Notes
    -----
    One transaction for all tables: a bad table anywhere leaves every project as it was, as a
    bureau expects of an import ("nothing half-imported").

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from indicators.model import Project, Target, TargetTable
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> project = Project("P1", "道路维修", "交通局", "一般公共预算", 1e6, 2024)
    >>> target = Target("P1", "T1", "维修里程", "产出指标", "数量指标", "≥", 20, 12.0, unit="公里")
    >>> with Session(engine) as session:
    ...     save_target_tables(session, tables=[TargetTable(project, (target,))])
    1
    >>> clear_engine_cache()
    """
    tables = list(tables)
    keys = [(table.project.code, table.project.year) for table in tables]
    seen: set[tuple[str, int]] = set()
    for code, year in keys:
        if (code, year) in seen:
            raise InputError(f"项目 {code}（{year} 年）出现了两次", f"project {code} ({year}) "
                             "appears twice", field="project.code")
        seen.add((code, year))
    for table in tables:
        stray = [t.indicator_code for t in table.targets if t.project_code != table.project.code]
        if stray:
            raise InputError(
                f"项目 {table.project.code} 的目标表中有属于其他项目的指标：{'、'.join(stray)}",
                f"the target table of project {table.project.code} holds targets of another "
                f"project: {', '.join(stray)}", field="project_code")

    with write_transaction(session):
        library_ids = _library_ids(session, {t.library_ref for table in tables
                                             for t in table.targets if t.library_ref})
        existing = {(row.code, row.year): row for row in session.exec(
            select(ProjectRow).where(ProjectRow.code.in_({code for code, _ in keys}))).all()
            if (row.code, row.year) in seen}
        if existing:
            session.exec(sql_delete(TargetRow).where(
                TargetRow.project_id.in_([row.id for row in existing.values()])))
        rows: list[ProjectRow] = []
        for table, key in zip(tables, keys, strict=True):
            row = existing.get(key)
            if row is None:
                row = ProjectRow(code=key[0], year=key[1], **_project_values(table.project))
                session.add(row)
            else:
                for name, value in _project_values(table.project).items():
                    setattr(row, name, value)
                row.updated_at = utc_now()
            rows.append(row)
        session.flush()
        session.add_all([
            TargetRow(project_id=row.id, position=i, indicator_code=t.indicator_code, name=t.name,
                      level1=t.level1, level2=t.level2, direction=t.direction.value,
                      weight=t.weight, target_value=t.target_value, target_text=t.target_text,
                      unit=t.unit, library_version_id=library_ids.get(t.library_ref or ""))
            for table, row in zip(tables, rows, strict=True)
            for i, t in enumerate(table.targets)])
        session.flush()
    return len(tables)


def list_projects(session: Session, *, year: int | None = None) -> list[Project]:
    """The stored projects, by year and code, optionally of one budget year.

    Parameters
    ----------
    session
        An open session.
    year
        Keep only this budget year.

    Returns
    -------
    list of Project
        Without their targets (see :func:`get_target_table`).

    Notes
    -----
    A project code recurs across years: each year's project is its own row.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> with Session(engine) as session:
    ...     list_projects(session, year=2024)
    []
    >>> clear_engine_cache()
    """
    query = select(ProjectRow).order_by(ProjectRow.year, ProjectRow.code)
    if year is not None:
        query = query.where(ProjectRow.year == year)
    return [_project_from_row(row) for row in session.exec(query).all()]


def get_target_table(session: Session, *, project_code: str, year: int) -> TargetTable:
    """One project's target table for one budget year, targets in their stored order.

    Parameters
    ----------
    session
        An open session.
    project_code
        The project's code.
    year
        The budget year.

    Returns
    -------
    TargetTable
        The project and its targets; ``library_ref`` is restored from the stored version.

    Raises
    ------
    NotFoundError
        No such project in that year.

    Notes
    -----
    Two queries: the project, then its targets joined to their library versions.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators",))
    >>> with Session(engine) as session:
    ...     try:
    ...         get_target_table(session, project_code="P9", year=2024)
    ...     except NotFoundError as err:
    ...         print(err.en)
    project P9 of 2024 not found
    >>> clear_engine_cache()
    """
    project = session.exec(select(ProjectRow).where(ProjectRow.code == project_code,
                                                    ProjectRow.year == year)).first()
    if project is None:
        raise NotFoundError(f"找不到 {year} 年的项目 {project_code}",
                            f"project {project_code} of {year} not found", field="project_code")
    rows = session.exec(
        select(TargetRow, LibraryVersionRow.framework_id, LibraryVersionRow.version)
        .join(LibraryVersionRow, TargetRow.library_version_id == LibraryVersionRow.id,
              isouter=True)
        .where(TargetRow.project_id == project.id)
        .order_by(TargetRow.position)).all()
    targets = tuple(
        Target(project_code=project.code, indicator_code=row.indicator_code, name=row.name,
               level1=row.level1, level2=row.level2, direction=row.direction, weight=row.weight,
               target_value=row.target_value, target_text=row.target_text, unit=row.unit,
               library_ref=f"{framework_id}@{version}" if framework_id else None)
        for row, framework_id, version in rows)
    return TargetTable(project=_project_from_row(project), targets=targets)
