"""The county's budget year assembled from what is stored, with the demo county filling gaps.

:func:`load_county_year` builds the :class:`~scoring.year.CountyYear` the lifecycle pages and a
year run work on: projects and targets from the library's store (``ind_project``,
``ind_target``), the lifecycle tables from their newest imports
(:func:`scoring.lifecycle_store.current_table`), and, in demo mode for the demo year, the demo
county's table wherever nothing was imported. :func:`year_data_version` tells a page when the
stored tables of a year have changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from indicators.demo import DEMO_YEAR
from indicators.errors import InputError
from indicators.tables import LibraryVersionRow, ProjectRow, TargetRow
from scoring.lifecycle_config import LifecycleConfig
from scoring.lifecycle_decision_store import LifeDecisionRow, current_decisions
from scoring.lifecycle_io import SPECS
from scoring.lifecycle_store import IMPORT_KINDS, LifeImportRow, current_table
from scoring.year import CountyYear

__all__ = ["YEAR_KINDS", "load_county_year", "year_data_version"]

YEAR_KINDS: tuple[str, ...] = ("projects", "targets", "actuals", "spending", "requests",
                               "exante_sheets", "progress", "department_facts")
"""The tables of a county year, in the order :class:`~scoring.year.CountyYear` holds them."""

_REQUIRED = ("projects", "targets", "actuals", "spending", "requests")


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
        None for absent sheets, progress and department facts) and the decisions in force, and kind → ``stored``, ``import #id``, ``demo``,
        ``import #id + demo`` or ``missing``.

    Raises
    ------
    InputError
        A required table is missing, naming every one.

    Notes
    -----
    Projects and targets come from the library's store (``ind_project``, ``ind_target``);
    requests, spending, progress, actuals, assessment sheets and department facts from
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
        # Only the kinds the import store takes can have been imported.
        found = current_table(session, year=year, kind=kind) if kind in IMPORT_KINDS else None
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
            tables[kind] = (None if kind in ("exante_sheets", "progress", "department_facts")
                            else _empty(kind))
    lacking = [k for k in require if sources.get(k) == "missing"]
    if lacking:
        raise InputError(
            f"{year} 年度缺少：{'、'.join(SPECS[k].zh for k in lacking)}（请先导入）",
            f"the year {year} lacks: {', '.join(SPECS[k].en for k in lacking)} (import them first)",
            field=lacking[0])
    decisions = current_decisions(session, year=int(year))
    return CountyYear(year=int(year), **tables, decisions=decisions), sources


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
        (newest import id, number of projects, newest project update, newest decision id) of
        the year.

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
    (None, 0, None, None)
    >>> clear_engine_cache()
    """
    newest = session.exec(select(func.max(LifeImportRow.id)).where(
        LifeImportRow.year == year)).one()
    n, updated = session.exec(select(func.count(ProjectRow.id), func.max(ProjectRow.updated_at))
                              .where(ProjectRow.year == year)).one()
    decided = session.exec(select(func.max(LifeDecisionRow.id)).where(
        LifeDecisionRow.year == year)).one()
    return newest, int(n), updated, decided
