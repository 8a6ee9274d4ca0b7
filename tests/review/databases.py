"""Migrated databases for the review storage tests, on SQLite and (when given) PostgreSQL.

Each test gets a fresh database copied from a template that was migrated and seeded with the
shipped libraries once per test process: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE``
on PostgreSQL. PostgreSQL cases run when ``JIXIAO_TEST_POSTGRES_URL`` names a server whose user
may create databases (``.ci/postgres.sh start`` prints one) and are skipped otherwise.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from indicators.database import clear_engine_cache, get_engine, upgrade
from indicators.frontdoor import Viewer
from indicators.store import seed_builtin_libraries
from review import store

PG_URL = os.environ.get("JIXIAO_TEST_POSTGRES_URL", "").strip()
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="JIXIAO_TEST_POSTGRES_URL is not set (bash .ci/postgres.sh start)")),
]
RUBRIC = "report-review-rubric@1.0.0"

_templates: dict[str, str] = {}


def _prepare(url: str) -> None:
    engine = get_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        seed_builtin_libraries(session)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    clear_engine_cache()


def _admin_engine() -> Engine:
    return sa.create_engine(make_url(PG_URL).set(database="postgres"),
                            isolation_level="AUTOCOMMIT")


def _sqlite_template() -> Path:
    if "sqlite" not in _templates:
        folder = Path(tempfile.mkdtemp(prefix="jixiao-review-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.sqlite3"
        _prepare(f"sqlite:///{path}")
        _templates["sqlite"] = str(path)
    return Path(_templates["sqlite"])


def _pg_template() -> str:
    if "postgresql" not in _templates:
        name = f"jixiao_template_{uuid.uuid4().hex[:12]}"
        admin = _admin_engine()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        _prepare(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))

        def drop() -> None:
            engine = _admin_engine()
            with engine.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            engine.dispose()

        atexit.register(drop)
        _templates["postgresql"] = name
    return _templates["postgresql"]


@contextmanager
def review_database(backend: str, folder: Path) -> Iterator[Engine]:
    """A migrated, library-seeded database of its own, through the production engine factory."""
    clear_engine_cache()
    if backend == "sqlite":
        path = folder / "review.sqlite3"
        shutil.copyfile(_sqlite_template(), path)
        try:
            yield get_engine(f"sqlite:///{path}")
        finally:
            clear_engine_cache()
        return
    template = _pg_template()
    name = f"jixiao_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield get_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    finally:
        clear_engine_cache()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass
class World:
    """A round ready for scoring: staff, raters, reports and sheets, by id."""

    engine: Engine
    admin: Viewer
    finance: Viewer
    raters: list[Viewer]
    round_id: int
    report_ids: list[int]
    sheets: dict[tuple[int, int], int] = field(default_factory=dict)  # (report, rater) → sheet

    def session(self) -> Session:
        return Session(self.engine)

    def sheet_of(self, rater: Viewer) -> int:
        return next(a for (_, u), a in self.sheets.items() if u == rater.user_id)

    def items(self) -> list:
        with self.session() as s:
            return store.rubric_items(s, round_id=self.round_id)


def build_world(engine: Engine, *, n_reports: int = 3, n_raters: int = 3, k: int = 2,
                departments: list[str] | None = None, report_departments: list[str] | None = None,
                open_it: bool = True, seed: int = 0) -> World:
    """Admin, finance officer and raters (no passwords, for speed), a round with Markdown reports."""
    departments = departments or [""] * n_raters
    report_departments = report_departments or [f"部门{i}" for i in range(n_reports)]
    with Session(engine) as s, s.begin():
        admin = store.create_user(s, username="admin", display_name="管理员", role="admin",
                                  by=None)
        admin_v = store.get_viewer(s, user_id=admin.user_id)
        finance = store.create_user(s, username="finance", display_name="财政", role="finance",
                                    by=admin_v)
        raters = [store.create_user(s, username=f"rater{i:02d}", display_name=f"评审人{i}",
                                    role="expert" if i % 2 == 0 else "deputy",
                                    department=departments[i], by=admin_v)
                  for i in range(n_raters)]
        finance_v = store.get_viewer(s, user_id=finance.user_id)
        rnd = store.create_round(s, title="测试轮次", year=2021, rubric_ref=RUBRIC,
                                 deadline="2021-06-30", raters_per_report=k, by=finance_v)
        reports = [store.add_report(s, round_id=rnd.round_id, title=f"报告{i}",
                                    filename=f"r{i}.md", content=f"# 报告{i}\n".encode(),
                                    department=report_departments[i], by=finance_v)
                   for i in range(n_reports)]
        store.set_panel(s, round_id=rnd.round_id, user_ids=[r.user_id for r in raters],
                        by=finance_v)
        store.auto_assign(s, round_id=rnd.round_id, k=k, seed=seed, by=finance_v)
        if open_it:
            store.open_round(s, round_id=rnd.round_id, by=finance_v)
        rater_vs = [store.get_viewer(s, user_id=r.user_id) for r in raters]
        progress = store.progress(s, round_id=rnd.round_id, by=admin_v)
        sheets = {(int(r), int(u)): int(a) for a, r, u in
                  progress[["assignment_id", "report_id", "rater_id"]].itertuples(index=False)}
    return World(engine=engine, admin=admin_v, finance=finance_v, raters=rater_vs,
                 round_id=rnd.round_id, report_ids=[r.report_id for r in reports], sheets=sheets)


def full_scores(items: list, share: float) -> dict[str, float]:
    """Every item scored at ``share`` of its maximum, rounded to half points."""
    return {i.code: round(i.max_score * share * 2) / 2 for i in items}
