"""Storage of budget-year runs, and the county's year assembled from what is stored.

A year run (:func:`scoring.year.run_year`) is kept as a record the county dashboard reads: the
year, the settings' ``name@version``, where each table came from, who ran it and when, the
year's numbers and summary text, coverage and grades by department as the kernels computed
them, and one tidy row per project (every stage's result side by side) and per request of
next year. Runs are written once and never changed.

:func:`load_county_year` builds the :class:`~scoring.year.CountyYear` the pages and a run work
on: projects and targets from the library's store, the lifecycle tables from their newest
imports (:mod:`scoring.lifecycle_store`), and, in demo mode for the demo year, the demo
county's table wherever nothing was imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, UniqueConstraint, func, insert
from sqlmodel import Field, Session, SQLModel, select

from indicators.demo import DEMO_YEAR
from indicators.errors import InputError, NotFoundError
from indicators.tables import LibraryVersionRow, ProjectRow, TargetRow, utc_now, write_transaction
from scoring.lifecycle_config import LifecycleConfig
from scoring.lifecycle_io import SPECS
from scoring.lifecycle_store import LifeImportRow, _as_utc, _plain, _who, current_table
from scoring.year import CountyYear, YearResult

__all__ = [
    "YEAR_KINDS",
    "LifeRunRow",
    "LifeRunProjectRow",
    "LifeRunRequestRow",
    "YearRunSummary",
    "StoredYearRun",
    "load_county_year",
    "year_data_version",
    "save_year_run",
    "list_year_runs",
    "get_year_run",
    "latest_year_run",
]

YEAR_KINDS: tuple[str, ...] = ("projects", "targets", "actuals", "spending", "requests",
                               "exante_sheets", "progress")
"""The tables of a county year, in the order :class:`~scoring.year.CountyYear` holds them."""

_REQUIRED = ("projects", "targets", "actuals", "spending", "requests")


class LifeRunRow(SQLModel, table=True):
    """One run of a budget year's closed loop and what it was run with."""

    __tablename__ = "sco_life_run"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    config: str
    source: str
    month: int
    rule_set: str
    n_projects: int
    n_requests: int
    numbers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    text_zh: str
    text_en: str
    coverage: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    grades: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    sources: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    note: str = ""
    created_by: str
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


def _run_id(name: str) -> Any:
    return Field(sa_column=Column(Integer, ForeignKey("sco_life_run.id", name=name,
                                                      ondelete="CASCADE"),
                                  nullable=False, index=True))


class LifeRunProjectRow(SQLModel, table=True):
    """One project of a run: every stage's result side by side."""

    __tablename__ = "sco_life_run_project"
    __table_args__ = (UniqueConstraint("run_id", "project",
                                       name="uq_sco_life_run_project_project"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = _run_id("fk_sco_life_run_project_run")
    project: str
    name: str
    department: str
    budget_type: str
    amount: float
    has_targets: bool
    monitored: bool
    review_score: float | None = None
    review_grade: str | None = None
    review_adjustment: float
    execution_ratio: float | None = None
    light: str
    classification: str
    suggested_cut: float
    self_scope: bool
    scored: bool
    total: float | None = None
    grade: str | None = None
    final_grade: str | None = None
    in_sample: bool
    is_key: bool
    action: str | None = None
    next_amount: float | None = None
    cut: float
    recover: float
    rework: bool


class LifeRunRequestRow(SQLModel, table=True):
    """One request of next year in a run: the trigger rules it met and the assessment's result."""

    __tablename__ = "sco_life_run_request"
    __table_args__ = (UniqueConstraint("run_id", "project",
                                       name="uq_sco_life_run_request_project"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = _run_id("fk_sco_life_run_request_run")
    project: str
    name: str
    department: str
    budget_type: str
    amount: float
    previous_amount: float | None = None
    triggered: bool
    rules: str
    outcome: str | None = None
    exante_total: float | None = None
    exante_cut: float
    approved_amount: float | None = None


_PROJECT_COLUMNS = [c for c in LifeRunProjectRow.model_fields if c not in ("id", "run_id")]
_REQUEST_COLUMNS = [c for c in LifeRunRequestRow.model_fields if c not in ("id", "run_id")]


@dataclass(frozen=True)
class YearRunSummary:
    """A stored run without its rows.

    Attributes
    ----------
    id, year, config, source, month, rule_set, n_projects, n_requests, note, created_by,
    created_at
        The record (``source`` is ``demo`` or ``stored``; ``created_at`` in UTC).
    numbers
        :attr:`scoring.year.YearResult.summary` as computed.
    text_zh, text_en
        The year's summary in the reference report's words.
    """

    id: int
    year: int
    config: str
    source: str
    month: int
    rule_set: str
    n_projects: int
    n_requests: int
    note: str
    created_by: str
    created_at: datetime
    numbers: Mapping[str, Any] = field(default_factory=dict)
    text_zh: str = ""
    text_en: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "numbers", MappingProxyType(dict(self.numbers)))

    def label(self) -> str:
        """A line to pick the run by: ``#3 2021 kaijiang-2021@1.0.0 demo 2026-12-05 09:30 王科长``."""
        return (f"#{self.id} {self.year} {self.config} {self.source} "
                f"{self.created_at:%Y-%m-%d %H:%M} {self.created_by}")


@dataclass(frozen=True)
class StoredYearRun:
    """A stored run with its tables.

    Attributes
    ----------
    summary
        The run's record.
    coverage, grades
        :attr:`~scoring.year.YearResult.coverage` and
        :attr:`~scoring.year.YearResult.grades_by_department` as computed.
    projects, requests
        One row per project (the columns of :class:`LifeRunProjectRow`) and per request.
    sources
        Table kind → where it came from (``demo``, ``stored`` or ``import #id``).
    """

    summary: YearRunSummary
    coverage: pd.DataFrame
    grades: pd.DataFrame
    projects: pd.DataFrame
    requests: pd.DataFrame
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))


def _empty(kind: str) -> pd.DataFrame:
    return pd.DataFrame({f.name: pd.Series(dtype=float if f.kind in ("number", "integer")
                                           else (bool if f.kind == "bool" else object))
                         for f in SPECS[kind].fields})


def _stored_projects(session: Session, year: int) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    rows = session.exec(select(ProjectRow).where(ProjectRow.year == year)
                        .order_by(ProjectRow.code)).all()
    if not rows:
        return None
    projects = pd.DataFrame([{
        "project": r.code, "name": r.name, "department": r.department,
        "budget_type": r.budget_type, "amount": float(r.amount), "is_key": bool(r.is_key),
        "is_new": bool(r.is_new), "previous_amount": r.previous_amount,
        "years_running": int(r.years_running), "township": r.township} for r in rows])
    lines = session.exec(
        select(ProjectRow.code, TargetRow, LibraryVersionRow.framework_id,
               LibraryVersionRow.version)
        .join(TargetRow, TargetRow.project_id == ProjectRow.id)
        .join(LibraryVersionRow, TargetRow.library_version_id == LibraryVersionRow.id,
              isouter=True)
        .where(ProjectRow.year == year).order_by(ProjectRow.code, TargetRow.position)).all()
    targets = pd.DataFrame([{
        "project": code, "level1": t.level1, "level2": t.level2, "name": t.name,
        "indicator_code": t.indicator_code, "direction": t.direction,
        "target": np.nan if t.target_value is None else float(t.target_value),
        "target_text": t.target_text, "unit": t.unit, "weight": float(t.weight),
        "library_ref": f"{framework}@{version}" if framework else ""}
        for code, t, framework, version in lines], columns=[
        "project", "level1", "level2", "name", "indicator_code", "direction", "target",
        "target_text", "unit", "weight", "library_ref"])
    return projects, targets


def _layer(stored: pd.DataFrame, demo: pd.DataFrame | None, scope: str) -> pd.DataFrame:
    """Stored rows, plus the demo rows of every month or project nothing was imported for."""
    if demo is None or demo.empty:
        return stored
    extra = demo.loc[~demo[scope].isin(stored[scope])]
    return pd.concat([stored, extra[[c for c in extra if c in stored]]], ignore_index=True)


def load_county_year(session: Session, *, year: int, config: LifecycleConfig,
                     demo: bool = False, require: Sequence[str] = _REQUIRED
                     ) -> tuple[CountyYear, dict[str, str]]:
    """The county's year from what is stored, with the demo county filling gaps in demo mode.

    Parameters
    ----------
    session
        An open session.
    year
        The budget year (requests are next year's).
    config
        The lifecycle settings (the demo sheets and progress depend on them).
    demo
        Fill every table nothing was imported for from the demo county, when ``year`` is the
        demo county's year.
    require
        Kinds (of :data:`YEAR_KINDS`) that must be present; others may be empty.

    Returns
    -------
    tuple of (CountyYear, dict)
        The tables with the kernels' English columns (empty frames for absent optional tables,
        None for absent sheets and progress), and kind → ``stored``, ``import #id``, ``demo``,
        ``import #id + demo`` or ``missing``.

    Raises
    ------
    InputError
        A required table is missing, naming every one.

    Notes
    -----
    Projects and targets come from the library's store (``ind_project``, ``ind_target``);
    requests, spending, progress, actuals and assessment sheets from
    :func:`scoring.lifecycle_store.current_table`. Demo spending fills the months nothing was
    imported for, and demo sheets the projects no sheet was stored for; demo sheets only serve
    demo requests, and demo progress only demo spending.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     data, sources = load_county_year(session, year=2021, demo=True,
    ...                                      config=load_lifecycle_config("kaijiang-2021"))
    >>> len(data.projects), sources["projects"], sources["requests"]
    (289, 'demo', 'demo')
    >>> clear_engine_cache()
    """
    demo_data = None
    if demo and int(year) == DEMO_YEAR:
        from scoring.lifecycle_demo import demo_county_year

        demo_data = demo_county_year(config)
    tables: dict[str, pd.DataFrame | None] = {}
    sources: dict[str, str] = {}
    stored = _stored_projects(session, year)
    if stored is not None:
        tables["projects"], tables["targets"] = stored
        sources["projects"] = sources["targets"] = "stored"
    for kind in YEAR_KINDS:
        if kind in ("projects", "targets") and stored is not None:
            continue
        found = None if kind in ("projects", "targets") else current_table(
            session, year=year, kind=kind)
        fallback = getattr(demo_data, kind) if demo_data is not None else None
        # Demo sheets are drawn for the demo requests, demo progress from demo spending.
        feeds = {"exante_sheets": "requests", "progress": "spending"}.get(kind)
        if feeds and sources.get(feeds) != "demo":
            fallback = None
        if found is not None:
            ids = "、".join(f"#{i}" for i in sorted(found["import_id"].unique()))
            found = found.drop(columns=["import_id", "row"])
            sources[kind] = f"import {ids}"
            if kind in ("spending", "exante_sheets") and fallback is not None:
                scope = "month" if kind == "spending" else "project"
                layered = _layer(found, fallback, scope)
                if len(layered) > len(found):
                    sources[kind] += " + demo"
                found = layered
            tables[kind] = found
        elif fallback is not None:
            tables[kind], sources[kind] = fallback, "demo"
        else:
            sources[kind] = "missing"
            tables[kind] = None if kind in ("exante_sheets", "progress") else _empty(kind)
    lacking = [k for k in require if sources.get(k) == "missing"]
    if lacking:
        raise InputError(
            f"{year} 年度缺少：{'、'.join(SPECS[k].zh for k in lacking)}（请先导入）",
            f"the year {year} lacks: {', '.join(SPECS[k].en for k in lacking)} (import them first)",
            field=lacking[0])
    return CountyYear(year=int(year), **tables), sources


def year_data_version(session: Session, *, year: int) -> tuple[Any, ...]:
    """A value that changes whenever the stored tables of ``year`` change.

    Parameters
    ----------
    session
        An open session.
    year
        The budget year.

    Returns
    -------
    tuple
        (newest import id, number of projects, newest project update) of the year.

    Notes
    -----
    A page may keep a computed year while this value stays the same, instead of reading and
    computing the whole county on every click.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     year_data_version(session, year=2021)
    (None, 0, None)
    >>> clear_engine_cache()
    """
    newest = session.exec(select(func.max(LifeImportRow.id)).where(
        LifeImportRow.year == year)).one()
    n, updated = session.exec(select(func.count(ProjectRow.id), func.max(ProjectRow.updated_at))
                              .where(ProjectRow.year == year)).one()
    return newest, int(n), updated


def _project_rows(result: YearResult, data: CountyYear) -> pd.DataFrame:
    """Every stage's result per project, one row each (the tidy table the dashboard reads)."""
    p = data.projects
    out = pd.DataFrame({"project": p["project"].astype(str)})
    for name in ("name", "department", "budget_type"):
        out[name] = p[name].fillna("").astype(str).to_numpy() if name in p else ""
    out["amount"] = p["amount"].astype(float).to_numpy()
    out["has_targets"] = p["project"].isin(data.targets["project"]).to_numpy()
    last = int(data.spending["month"].max()) if len(data.spending) else 12
    # As coverage_table counts them: spending reported before the year-end month.
    out["monitored"] = p["project"].isin(
        data.spending.loc[data.spending["month"] < last, "project"]).to_numpy()

    def take(frame: pd.DataFrame, columns: dict[str, str]) -> None:
        at = frame.drop_duplicates("project").set_index("project")
        for source, target in columns.items():
            out[target] = at[source].reindex(out["project"]).to_numpy()

    take(result.review.projects, {"score": "review_score", "grade": "review_grade",
                                  "adjustment": "review_adjustment"})
    take(result.monitoring.projects, {"execution_ratio": "execution_ratio", "light": "light",
                                      "classification": "classification",
                                      "suggested_cut": "suggested_cut"})
    ev = result.evaluated
    take(ev, {"scored": "scored", "total": "total", "grade": "grade",
              "final_grade": "final_grade", "in_sample": "in_sample", "is_key": "is_key"})
    out["self_scope"] = out["project"].isin(ev["project"]).to_numpy()
    take(result.application.projects, {"action": "action", "next_amount": "next_amount",
                                       "cut": "cut", "recover": "recover", "rework": "rework"})
    for name in ("review_adjustment", "suggested_cut", "cut", "recover"):
        out[name] = out[name].astype(float).fillna(0.0)
    for name in ("scored", "in_sample", "is_key", "rework"):
        out[name] = out[name].astype(object).where(out[name].notna(), False).astype(bool)
    for name in ("light", "classification"):
        out[name] = out[name].astype(object).where(out[name].notna(), "").astype(str)
    return out[_PROJECT_COLUMNS]


def _request_rows(result: YearResult) -> pd.DataFrame:
    t = result.triggers.table
    out = pd.DataFrame({"project": t["project"].astype(str)})
    for name in ("name", "department", "budget_type"):
        out[name] = t[name].fillna("").astype(str).to_numpy() if name in t else ""
    out["amount"] = t["amount"].astype(float).to_numpy()
    out["previous_amount"] = pd.to_numeric(t["previous_amount"], errors="coerce").to_numpy()
    out["triggered"] = t["triggered"].astype(bool).to_numpy()
    out["rules"] = t["rules"].astype(str).to_numpy()
    out["outcome"], out["exante_total"], out["exante_cut"] = None, np.nan, 0.0
    out["approved_amount"] = np.nan
    if result.exante is not None:
        at = result.exante.results.set_index("project")
        for source, target in (("outcome", "outcome"), ("total", "exante_total"),
                               ("cut", "exante_cut"), ("approved_amount", "approved_amount")):
            found = at[source].reindex(out["project"])
            out[target] = found.where(found.notna(), out[target].to_numpy()).to_numpy()
    out["exante_cut"] = out["exante_cut"].astype(float)
    return out[_REQUEST_COLUMNS]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def save_year_run(session: Session, *, result: YearResult, data: CountyYear, source: str,
                  created_by: str, sources: Mapping[str, str] | None = None, note: str = ""
                  ) -> YearRunSummary:
    """Store a year run with its numbers, text, coverage, grades and per-project rows.

    Parameters
    ----------
    session
        An open session; the write commits it.
    result
        :func:`scoring.year.run_year` on ``data``.
    data
        The county's tables the run used.
    source
        ``demo`` or ``stored``: what the run was asked to run on.
    created_by
        Who ran it.
    sources
        Kind → where that table came from (:func:`load_county_year`'s second value).
    note
        Free text.

    Returns
    -------
    YearRunSummary
        The stored run with its id.

    Raises
    ------
    InputError
        A blank ``created_by`` or a source other than ``demo`` / ``stored``.

    Notes
    -----
    One transaction (bulk inserts). Coverage, grades and numbers are stored exactly as the
    kernels computed them, so the dashboard shows the numbers ``jixiao year run`` prints.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from scoring.lifecycle_config import load_lifecycle_config
    >>> from scoring.lifecycle_demo import demo_county_year
    >>> from scoring.year import run_year
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> config = load_lifecycle_config("kaijiang-2021")
    >>> data = demo_county_year(config)
    >>> with Session(engine) as session:
    ...     run = save_year_run(session, result=run_year(data, config), data=data,
    ...                         source="demo", created_by="王科长")
    >>> run.n_projects, run.numbers["self_scope"] >= run.numbers["self_count"]
    (289, True)
    >>> clear_engine_cache()
    """
    who = _who(created_by)
    if source not in ("demo", "stored"):
        raise InputError("数据来源应为 demo 或 stored", "the source must be demo or stored",
                         field="source")
    projects = _project_rows(result, data)
    requests = _request_rows(result)
    with write_transaction(session):
        run = LifeRunRow(
            year=int(result.year), config=result.config, source=source,
            month=int(result.monitoring.month), rule_set=result.monitoring.rule_set,
            n_projects=len(projects), n_requests=len(requests),
            numbers={k: _plain(v) for k, v in result.summary.items()},
            text_zh=result.text_zh, text_en=result.text_en,
            coverage=_records(result.coverage), grades=_records(result.grades_by_department),
            sources=dict(sources or {}), note=note, created_by=who)
        session.add(run)
        session.flush()
        for table, frame in ((LifeRunProjectRow, projects), (LifeRunRequestRow, requests)):
            if len(frame):
                session.exec(insert(table), params=_records(frame.assign(run_id=run.id)))
        summary = _summary(run)
    return summary


def _summary(row: LifeRunRow) -> YearRunSummary:
    return YearRunSummary(
        id=int(row.id), year=row.year, config=row.config, source=row.source, month=row.month,
        rule_set=row.rule_set, n_projects=row.n_projects, n_requests=row.n_requests,
        note=row.note, created_by=row.created_by, created_at=_as_utc(row.created_at),
        numbers=row.numbers, text_zh=row.text_zh, text_en=row.text_en)


def list_year_runs(session: Session, *, year: int | None = None) -> list[YearRunSummary]:
    """Stored year runs, newest first, optionally of one budget year.

    Parameters
    ----------
    session
        An open session.
    year
        Keep only runs of this year.

    Returns
    -------
    list of YearRunSummary

    Notes
    -----
    One query; the per-project rows are not read.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     list_year_runs(session, year=2021)
    []
    >>> clear_engine_cache()
    """
    query = select(LifeRunRow).order_by(LifeRunRow.id.desc())
    if year is not None:
        query = query.where(LifeRunRow.year == year)
    return [_summary(row) for row in session.exec(query).all()]


def get_year_run(session: Session, *, run_id: int) -> StoredYearRun:
    """One stored year run with its coverage, grades, project and request tables.

    Parameters
    ----------
    session
        An open session.
    run_id
        The run's id.

    Returns
    -------
    StoredYearRun

    Raises
    ------
    NotFoundError
        No run with that id.

    Notes
    -----
    Three queries (run, projects, requests); coverage and grades are unpacked from the run's
    JSON in the column order they were computed in.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     try:
    ...         get_year_run(session, run_id=3)
    ...     except NotFoundError as err:
    ...         print(err.en)
    year run 3 not found
    >>> clear_engine_cache()
    """
    run = session.get(LifeRunRow, run_id)
    if run is None:
        raise NotFoundError(f"找不到年度运行记录 {run_id}", f"year run {run_id} not found",
                            field="run_id")
    tables = []
    for table, columns in ((LifeRunProjectRow, _PROJECT_COLUMNS),
                           (LifeRunRequestRow, _REQUEST_COLUMNS)):
        rows = session.exec(select(table).where(table.run_id == run_id).order_by(table.id)).all()
        tables.append(pd.DataFrame([r.model_dump() for r in rows], columns=[
            "id", "run_id", *columns])[columns])
    return StoredYearRun(summary=_summary(run), coverage=pd.DataFrame(run.coverage),
                         grades=pd.DataFrame(run.grades), projects=tables[0],
                         requests=tables[1], sources=run.sources or {})


def latest_year_run(session: Session, *, year: int) -> StoredYearRun | None:
    """The newest stored run of a budget year, or None.

    Parameters
    ----------
    session
        An open session.
    year
        The budget year.

    Returns
    -------
    StoredYearRun or None

    Notes
    -----
    What the dashboard opens on.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     latest_year_run(session, year=2021) is None
    True
    >>> clear_engine_cache()
    """
    newest = session.exec(select(func.max(LifeRunRow.id)).where(LifeRunRow.year == year)).one()
    return None if newest is None else get_year_run(session, run_id=int(newest))
