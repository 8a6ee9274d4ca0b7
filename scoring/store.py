"""Storage of score runs: what a county's projects scored, and what they were scored with.

A score run is a record: the year, the library version, the weight set, the band table and its
version, the rule parameters, who ran it and when, with one row per project (total, grade,
subtotals) and one per indicator (points and flags). Runs are written once and never changed, so
"last year's results still show scored with v1.0" (JOURNEYS.md) holds by construction.

:func:`resolve_library` finds the library version a run is scored with: the stored one, or else
the framework shipped with jixiao.

The tables are the ``sco_`` tables that ``scoring/migrations`` creates (the migration is the
source of truth; ``tests/scoring/test_store.py`` checks that the two agree). Functions take the
session first and keyword arguments after it, and hand back frozen values and DataFrames, never
rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, UniqueConstraint, func, insert
from sqlmodel import Field, Session, SQLModel, select

from indicators.clock import format_time
from indicators.errors import InputError, NotFoundError
from indicators.frameworks import load_builtin
from indicators.model import LibraryVersion, TargetTable
from indicators.store import get_library
from indicators.tables import utc_now, write_transaction
from scoring.project import ProjectScores
from scoring.report import (
    INDICATOR_RESULT_COLUMNS,
    PROJECT_RESULT_COLUMNS,
    indicator_results,
    level_subtotals,
    project_results,
)
from scoring.targets import project_frame

__all__ = [
    "IndicatorPointsRow",
    "ProjectResultRow",
    "ScoreRunRow",
    "ScoreRunSummary",
    "StoredScoreRun",
    "as_utc",
    "get_score_run",
    "list_score_runs",
    "plain_value",
    "resolve_library",
    "save_score_run",
]


class ScoreRunRow(SQLModel, table=True):
    """One scoring of a year's projects and what it was computed with."""

    __tablename__ = "sco_score_run"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    library_ref: str
    weight_set: str
    band_table: str
    band_version: str
    rule_params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    n_projects: int
    note: str = ""
    created_by: str
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


def run_foreign_key(table: str, name: str) -> Any:
    """A required, indexed ``run_id`` column pointing at ``table.id``, deleted with its run."""
    return Field(sa_column=Column(Integer, ForeignKey(f"{table}.id", name=name,
                                                      ondelete="CASCADE"),
                                  nullable=False, index=True))


def _run_id(name: str) -> Any:
    return run_foreign_key("sco_score_run", name)


class ProjectResultRow(SQLModel, table=True):
    """One project's total, grade and subtotals in one run."""

    __tablename__ = "sco_project_result"
    __table_args__ = (UniqueConstraint("run_id", "project_code",
                                       name="uq_sco_project_result_project"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = _run_id("fk_sco_project_result_run")
    project_code: str
    project_name: str
    department: str
    budget_type: str
    amount: float
    execution_rate: float | None = None
    budget_points: float
    indicator_points: float
    total: float
    grade: str | None = None
    grade_before_veto: str | None = None
    vetoed: bool = False
    n_missing: int = 0
    n_over_achievement: int = 0
    subtotals: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class IndicatorPointsRow(SQLModel, table=True):
    """One indicator's points and flags in one run; ``position`` keeps the scored order."""

    __tablename__ = "sco_indicator_points"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = _run_id("fk_sco_indicator_points_run")
    position: int
    project_code: str
    indicator_code: str
    name: str
    level1: str
    level2: str
    direction: str
    weight: float
    target: float | None = None
    actual: float | None = None
    qualitative_level: str | None = None
    points: float
    missing: bool = False
    over_achievement: bool = False
    reason: str = ""


@dataclass(frozen=True)
class ScoreRunSummary:
    """One line of :func:`list_score_runs`: a run without its rows.

    Attributes
    ----------
    id, year, library_ref, weight_set, band_table, band_version, n_projects, note, created_by,
    created_at
        The run's record (``created_at`` in UTC).
    grades
        Projects per grade in this run.
    rule_params
        The rule constants the run used.
    """

    id: int
    year: int
    library_ref: str
    weight_set: str
    band_table: str
    band_version: str
    n_projects: int
    note: str
    created_by: str
    created_at: datetime
    grades: Mapping[str, int] = field(default_factory=dict)
    rule_params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grades", MappingProxyType(dict(self.grades)))
        object.__setattr__(self, "rule_params", MappingProxyType(dict(self.rule_params)))

    def label(self) -> str:
        """A line to pick the run by: ``#3 2021 sector-catalogue@1.0.0 national 2020.1 …``."""
        return (f"#{self.id} {self.year} {self.library_ref} {self.band_table} "
                f"{self.band_version} {format_time(self.created_at)} {self.created_by}")


@dataclass(frozen=True)
class StoredScoreRun:
    """A stored run with its results.

    Attributes
    ----------
    summary
        The run's record.
    projects
        :data:`scoring.report.PROJECT_RESULT_COLUMNS` (``name`` and the rest as stored).
    subtotals
        ``project``, ``level``, ``code``, ``parent``, ``points``, ``max_points``.
    indicators
        :data:`scoring.report.INDICATOR_RESULT_COLUMNS` that are stored, in scored order.
    """

    summary: ScoreRunSummary
    projects: pd.DataFrame
    subtotals: pd.DataFrame
    indicators: pd.DataFrame


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime.

    Parameters
    ----------
    value
        A datetime read back from the database, naive (meaning UTC) or aware.

    Returns
    -------
    datetime

    Notes
    -----
    SQLite drops the offset; every scoring store writes UTC, so a naive value is UTC.

    Examples
    --------
    >>> as_utc(datetime(2021, 5, 1)).isoformat()
    '2021-05-01T00:00:00+00:00'
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def plain_value(value: Any) -> Any:
    """A value JSON columns and the database driver accept: Python scalars, NaN as None.

    Parameters
    ----------
    value
        A cell of a result table (numpy scalar, float, text, …).

    Returns
    -------
    Any

    Notes
    -----
    Drivers refuse numpy scalars and PostgreSQL's JSON refuses NaN.

    Examples
    --------
    >>> plain_value(np.float64("nan")) is None, plain_value(np.int64(3))
    (True, 3)
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: plain_value(v) for k, v in row.items()} for row in frame.to_dict("records")]


def save_score_run(session: Session, *, result: ProjectScores, tables: Sequence[TargetTable],
                   year: int, created_by: str, note: str = "") -> ScoreRunSummary:
    """Store a scoring result as a new run, all or nothing.

    Parameters
    ----------
    session
        An open session; the write commits it.
    result
        The scoring result (:func:`scoring.targets.score_target_tables`).
    tables
        The target tables that were scored (names, departments, budget types, amounts).
    year
        The budget year the projects belong to.
    created_by
        Who ran the scoring.
    note
        Free text, e.g. why the run was repeated.

    Returns
    -------
    ScoreRunSummary
        The stored run with its id.

    Raises
    ------
    InputError
        ``created_by`` is blank, or a scored project has no target table.

    Notes
    -----
    One transaction: the run, its project rows and its indicator rows are inserted together
    (bulk inserts, one statement per table), or not at all.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from indicators.frameworks import load_builtin
    >>> from indicators.model import Project, Target
    >>> from scoring.targets import score_target_tables
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> p = Project("P1", "道路养护", "交通运输局", "一般公共预算", 100.0, 2022)
    >>> tables = [TargetTable(p, (Target("P1", "A", "养护里程", "产出指标", "数量指标", "≥", 90,
    ...                                   100.0),))]
    >>> r = score_target_tables(tables, load_builtin("national-target"),
    ...     actuals=pd.DataFrame({"project": ["P1"], "indicator": ["A"], "actual": [95.0]}),
    ...     spending=pd.DataFrame({"project": ["P1"], "spent": [100.0]}))
    >>> with Session(engine) as session:
    ...     run = save_score_run(session, result=r, tables=tables, year=2022, created_by="王科长")
    >>> run.n_projects, dict(run.grades)
    (1, {'优': 1})
    >>> clear_engine_cache()
    """
    if not str(created_by).strip():
        raise InputError("请填写评分人", "a score run needs who ran it", field="created_by")
    projects = project_results(result, project_frame(tables))
    subtotals = level_subtotals(result)
    indicators = indicator_results(result)
    # Each project's subtotals travel with it as JSON, grouped once for all projects.
    sub_records = _records(subtotals.drop(columns="project"))
    by_project: dict[Any, list[dict[str, Any]]] = {}
    for code, record in zip(subtotals["project"], sub_records, strict=True):
        by_project.setdefault(code, []).append(record)
    with write_transaction(session):
        run = ScoreRunRow(year=int(year), library_ref=result.library_version,
                          weight_set=result.weight_set, band_table=result.band_table,
                          band_version=result.band_version,
                          rule_params=_json_ready(dict(result.rule_params)),
                          n_projects=len(projects), note=note, created_by=created_by.strip())
        session.add(run)
        session.flush()
        project_rows = projects[list(PROJECT_RESULT_COLUMNS)].rename(
            columns={"project": "project_code", "name": "project_name"})
        project_rows["run_id"] = run.id
        project_rows["subtotals"] = [by_project.get(c, []) for c in projects["project"]]
        if len(project_rows):
            session.exec(insert(ProjectResultRow), params=_records(project_rows))
        kept = indicators[["project", "indicator", "name", "level1", "level2", "direction",
                           "weight", "target", "actual", "qualitative_level", "points",
                           "missing", "over_achievement", "reason"]].rename(
            columns={"project": "project_code", "indicator": "indicator_code"})
        kept["reason"] = kept["reason"].fillna("").astype(object)
        kept["qualitative_level"] = kept["qualitative_level"].astype(object)
        kept["run_id"] = run.id
        kept["position"] = np.arange(len(kept))
        if len(kept):
            session.exec(insert(IndicatorPointsRow), params=_records(kept))
        summary = _summary(run, dict(projects["grade"].value_counts()))
    return summary


def _json_ready(value: Any) -> Any:
    """Rule parameters as JSON values (tuples become lists, numpy scalars plain)."""
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return plain_value(value)


def _summary(row: ScoreRunRow, grades: Mapping[str, int]) -> ScoreRunSummary:
    return ScoreRunSummary(
        id=int(row.id), year=row.year, library_ref=row.library_ref, weight_set=row.weight_set,
        band_table=row.band_table, band_version=row.band_version, n_projects=row.n_projects,
        note=row.note, created_by=row.created_by, created_at=as_utc(row.created_at),
        grades={str(k): int(v) for k, v in grades.items()}, rule_params=row.rule_params)


def list_score_runs(session: Session, *, year: int | None = None) -> list[ScoreRunSummary]:
    """Stored runs, newest first, optionally of one budget year.

    Parameters
    ----------
    session
        An open session.
    year
        Keep only runs of this year.

    Returns
    -------
    list of ScoreRunSummary
        With the count of projects per grade of each run.

    Notes
    -----
    Two queries: the runs, then one grouped count of grades over all of them.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     list_score_runs(session, year=2021)
    []
    >>> clear_engine_cache()
    """
    query = select(ScoreRunRow).order_by(ScoreRunRow.created_at.desc(), ScoreRunRow.id.desc())
    if year is not None:
        query = query.where(ScoreRunRow.year == year)
    runs = session.exec(query).all()
    if not runs:
        return []
    counts = session.exec(
        select(ProjectResultRow.run_id, ProjectResultRow.grade, func.count())
        .where(ProjectResultRow.run_id.in_([r.id for r in runs]))
        .group_by(ProjectResultRow.run_id, ProjectResultRow.grade)).all()
    grades: dict[int, dict[str, int]] = {}
    for run_id, grade, n in counts:
        if grade is not None:
            grades.setdefault(run_id, {})[grade] = int(n)
    return [_summary(run, grades.get(run.id, {})) for run in runs]


def get_score_run(session: Session, *, run_id: int) -> StoredScoreRun:
    """One stored run with its project results, subtotals and indicator points as DataFrames.

    Parameters
    ----------
    session
        An open session.
    run_id
        The run's id (:attr:`ScoreRunSummary.id`).

    Returns
    -------
    StoredScoreRun
        Projects in stored order; indicators in scored order.

    Raises
    ------
    NotFoundError
        No run with that id.

    Notes
    -----
    Three queries (run, projects, indicators); subtotals are unpacked from the projects' JSON.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     try:
    ...         get_score_run(session, run_id=7)
    ...     except NotFoundError as err:
    ...         print(err.en)
    score run 7 not found
    >>> clear_engine_cache()
    """
    run = session.get(ScoreRunRow, run_id)
    if run is None:
        raise NotFoundError(f"找不到评分记录 {run_id}", f"score run {run_id} not found",
                            field="run_id")
    project_rows = session.exec(select(ProjectResultRow).where(
        ProjectResultRow.run_id == run_id).order_by(ProjectResultRow.id)).all()
    indicator_rows = session.exec(select(IndicatorPointsRow).where(
        IndicatorPointsRow.run_id == run_id).order_by(IndicatorPointsRow.position)).all()
    projects = pd.DataFrame([r.model_dump() for r in project_rows],
                            columns=[*ProjectResultRow.model_fields])
    subtotals = pd.DataFrame(
        [{"project": r.project_code, **s} for r in project_rows for s in r.subtotals],
        columns=["project", "level", "code", "parent", "points", "max_points"])
    projects = projects.rename(columns={"project_code": "project", "project_name": "name"})
    projects = projects[list(PROJECT_RESULT_COLUMNS)]
    indicators = pd.DataFrame([r.model_dump() for r in indicator_rows],
                              columns=[*IndicatorPointsRow.model_fields]).rename(
        columns={"project_code": "project", "indicator_code": "indicator"})
    indicators = indicators[[c for c in INDICATOR_RESULT_COLUMNS if c in indicators.columns]]
    return StoredScoreRun(summary=_summary(run, dict(projects["grade"].value_counts())),
                          projects=projects, subtotals=subtotals, indicators=indicators)


def resolve_library(session: Session | None, *, ref: str) -> LibraryVersion:
    """A library version from the database, or else from the frameworks shipped with jixiao.

    Parameters
    ----------
    session
        An open session on the database, or ``None`` to look at the shipped frameworks only.
    ref
        ``framework_id@version`` (or ``framework_id`` for its latest published version).

    Returns
    -------
    LibraryVersion
        The stored version when there is one, so a bureau's own versions win.

    Raises
    ------
    NotFoundError
        Neither stored nor shipped, or shipped under another version.

    Notes
    -----
    A fresh database holds no library until a front door seeds it; scoring with a shipped
    framework must work from the first command.

    Examples
    --------
    >>> resolve_library(None, ref="national-target@1.0.0").ref
    'national-target@1.0.0'
    """
    if session is not None:
        try:
            return get_library(session, ref=ref)
        except NotFoundError:
            pass
    framework_id, _, version = str(ref).strip().partition("@")
    builtin = load_builtin(framework_id.strip())
    if version and builtin.version != version.strip().removeprefix("v"):
        raise NotFoundError(f"找不到指标库版本 '{ref}'（内置版本为 {builtin.ref}）",
                            f"library version '{ref}' not found (the shipped one is "
                            f"{builtin.ref})", field="library")
    return builtin
