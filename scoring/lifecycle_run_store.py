"""Storage of budget-year runs: what the closed loop produced, for the county dashboard.

A year run (:func:`scoring.year.run_year`) is kept as a record the dashboard reads: the year,
the settings' ``name@version``, where each table came from, who ran it and when, the year's
numbers and summary text, coverage and grades by department exactly as the kernels computed
them, the department overall evaluation of every unit, and one tidy row per project (every stage's result side by side) and per request of next
year. Runs are written once and never changed. The county's year a run works on is assembled
by :func:`scoring.county_year_store.load_county_year`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, DateTime, UniqueConstraint, func, insert
from sqlmodel import Field, Session, SQLModel, select

from indicators.errors import InputError, NotFoundError
from indicators.tables import utc_now, write_transaction
from scoring.lifecycle_store import _who
from scoring.store import as_utc, plain_value, run_foreign_key
from scoring.year import CountyYear, YearResult
from scoring.year_departments import DEPARTMENT_COLUMNS, department_table

__all__ = [
    "LifeRunRow",
    "LifeRunProjectRow",
    "LifeRunRequestRow",
    "YearRunSummary",
    "StoredYearRun",
    "save_year_run",
    "list_year_runs",
    "get_year_run",
    "latest_year_run",
]


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
    departments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    sources: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    note: str = ""
    created_by: str
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


def _run_id(name: str) -> Any:
    return run_foreign_key("sco_life_run", name)


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
    departments
        One row per unit (:data:`scoring.year_departments.DEPARTMENT_COLUMNS`): the department
        overall evaluation as computed; empty for a year without department facts.
    sources
        Table kind → where it came from (``demo``, ``stored`` or ``import #id``).
    """

    summary: YearRunSummary
    coverage: pd.DataFrame
    grades: pd.DataFrame
    projects: pd.DataFrame
    requests: pd.DataFrame
    departments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(DEPARTMENT_COLUMNS)))
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))


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
    return [{str(k): plain_value(v) for k, v in row.items()} for row in frame.to_dict("records")]


def save_year_run(session: Session, *, result: YearResult, data: CountyYear, source: str,
                  created_by: str, sources: Mapping[str, str] | None = None, note: str = ""
                  ) -> YearRunSummary:
    """Store a year run with its numbers, text, coverage, grades, departments and project rows.

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
    One transaction (bulk inserts). Coverage, grades, the department table and numbers are
    stored exactly as the kernels computed them, so the dashboard shows the numbers ``jixiao year run`` prints.

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
    >>> with Session(engine) as session:
    ...     len(get_year_run(session, run_id=run.id).departments) == run.numbers["dept_units"]
    True
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
            numbers={k: plain_value(v) for k, v in result.summary.items()},
            text_zh=result.text_zh, text_en=result.text_en,
            coverage=_records(result.coverage), grades=_records(result.grades_by_department),
            departments=_records(department_table(result.departments)),
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
        note=row.note, created_by=row.created_by, created_at=as_utc(row.created_at),
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
    Three queries (run, projects, requests); coverage, grades and the department table are
    unpacked from the run's JSON in the column order they were computed in.

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
                         requests=tables[1], departments=_departments(run.departments),
                         sources=run.sources or {})


def _departments(records: list[dict[str, Any]] | None) -> pd.DataFrame:
    # Runs stored before departments were scored have none: the same columns, no rows.
    table = pd.DataFrame(records or [])
    return table.reindex(columns=list(DEPARTMENT_COLUMNS)) if table.empty else table


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
