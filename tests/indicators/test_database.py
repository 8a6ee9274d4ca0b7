"""Engines and migrations: pragmas, one engine per URL, empty → head, no-op reruns, rollback."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError

from indicators import database
from indicators.database import (
    DEFAULT_DATABASE_URL,
    alembic_config,
    clear_engine_cache,
    current_revisions,
    database_url,
    ensure_schema,
    get_engine,
    head_revisions,
    pending_revisions,
    upgrade,
)
from indicators.errors import ConflictError, InputError

IND_TABLES = {"ind_library_version", "ind_indicator", "ind_changelog", "ind_project", "ind_target"}
PG_URL = os.environ.get("JIXIAO_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _fresh_engines():
    clear_engine_cache()
    yield
    clear_engine_cache()


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'jixiao.sqlite3'}"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    return url


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def _schema_sql(engine: sa.Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()


# ------------------------------------------------------------------ URL and engine

def test_database_url_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIXIAO_DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_DATABASE_URL == "sqlite:///jixiao.sqlite3"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", "  ")
    assert database_url() == DEFAULT_DATABASE_URL
    monkeypatch.setenv("JIXIAO_DATABASE_URL", "postgresql+psycopg://u:p@db/jixiao")
    assert database_url() == "postgresql+psycopg://u:p@db/jixiao"


def test_one_engine_per_url(db_url: str, tmp_path: Path) -> None:
    assert get_engine() is get_engine(db_url)
    other = get_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert other is not get_engine()
    clear_engine_cache()
    assert get_engine() is not other


def test_relative_sqlite_path_is_pinned_to_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = get_engine("sqlite:///relative.sqlite3")
    assert engine.url.database == str(tmp_path / "relative.sqlite3")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert get_engine("sqlite:///relative.sqlite3") is not engine


def test_sqlite_pragmas_on_every_connection(db_url: str) -> None:
    engine = get_engine()
    # Two connections open at once: both came through the connect listener.
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_bad_url_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        get_engine("not a url")
    assert err.value.location.field == "JIXIAO_DATABASE_URL"
    with pytest.raises(InputError):
        get_engine("nosuchdialect://host/db")


def test_postgresql_url_passes_through_with_pre_ping() -> None:
    engine = get_engine("postgresql+psycopg://user:secret@localhost:1/jixiao")
    assert engine.dialect.name == "postgresql"
    assert engine.pool._pre_ping is True


# ------------------------------------------------------------------ migrations

def test_version_locations_skip_packages_without_migrations() -> None:
    config = alembic_config(packages=("indicators", "no_such_package_here"))
    locations = config.get_version_locations_list()
    assert len(locations) == 1
    assert Path(locations[0]).parts[-3:] == ("indicators", "migrations", "versions")


def test_upgrade_from_empty_to_head(db_url: str) -> None:
    engine = get_engine()
    assert current_revisions(engine) == ()
    revisions = upgrade(engine, packages=("indicators",))
    assert revisions == ("ind_0002",) == head_revisions(packages=("indicators",))
    assert IND_TABLES <= _tables(engine)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    assert rows == [("ind_0002",)]


def test_upgrade_all_packages_reaches_every_head(db_url: str) -> None:
    engine = get_engine()
    assert pending_revisions(engine) == head_revisions()
    current = upgrade(engine)
    # A branch that depends on another absorbs its head, so the rows may be fewer than heads.
    assert current and set(current) <= set(head_revisions())
    assert pending_revisions(engine) == ()
    assert ensure_schema(engine) == current
    assert IND_TABLES <= _tables(engine)


def test_running_again_is_a_no_op(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine()
    upgrade(engine, packages=("indicators",))
    before = _schema_sql(engine)
    assert upgrade(engine, packages=("indicators",)) == ("ind_0002",)
    assert _schema_sql(engine) == before

    # At the heads, ensure_schema must not even start an upgrade.
    def refuse(*args, **kwargs):
        raise AssertionError("upgrade called on a current schema")

    monkeypatch.setattr(database, "upgrade", refuse)
    assert ensure_schema(engine, packages=("indicators",)) == ("ind_0002",)
    assert _schema_sql(engine) == before


def test_downgrade_to_base_and_back(db_url: str) -> None:
    engine = get_engine()
    upgrade(engine, packages=("indicators",))
    config = alembic_config(packages=("indicators",))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert not (IND_TABLES & _tables(engine))
    assert current_revisions(engine) == ()
    assert upgrade(engine, packages=("indicators",)) == ("ind_0002",)


BROKEN_REVISION = '''
import sqlalchemy as sa
from alembic import op

revision = "test_broken"
down_revision = "ind_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))
    op.add_column("ind_project", sa.Column("extra", sa.String(), nullable=True))
    raise RuntimeError("migration failed halfway")


def downgrade():
    pass
'''


def test_failed_upgrade_leaves_schema_as_it_was(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine()
    upgrade(engine, packages=("indicators",))
    before = _schema_sql(engine)
    broken = tmp_path / "broken_versions"
    broken.mkdir()
    (broken / "test_broken.py").write_text(BROKEN_REVISION, encoding="utf-8")
    real_config = database.alembic_config

    def with_broken(*, packages):
        config = real_config(packages=packages)
        locations = [*config.get_version_locations_list(), str(broken)]
        config.set_main_option("version_locations", os.pathsep.join(locations))
        return config

    monkeypatch.setattr(database, "alembic_config", with_broken)
    with pytest.raises(RuntimeError, match="halfway"):
        upgrade(engine, packages=("indicators",))
    assert "half_done" not in _tables(engine)
    assert _schema_sql(engine) == before
    assert current_revisions(engine) == ("ind_0002",)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_unknown_revision_in_database_is_a_conflict(db_url: str) -> None:
    engine = get_engine()
    upgrade(engine, packages=("indicators",))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'from_the_future'")
    with pytest.raises(ConflictError) as err:
        ensure_schema(engine, packages=("indicators",))
    assert "newer jixiao" in err.value.en


@pytest.mark.parametrize("attempt", range(8))
def test_two_processes_starting_at_once_both_succeed(tmp_path: Path, attempt: int) -> None:
    # Two engines on one new file stand in for the Streamlit app and the CLI starting together
    # (a query argument makes a second engine on the same file). A race shows only sometimes,
    # hence several fresh files.
    url = f"sqlite:///{tmp_path / f'race{attempt}.sqlite3'}"
    engines = [get_engine(url), get_engine(url + "?timeout=30")]
    assert engines[0] is not engines[1]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def start(engine: sa.Engine) -> None:
        try:
            barrier.wait()
            ensure_schema(engine, packages=("indicators",))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert current_revisions(engines[0]) == ("ind_0002",)
    with engines[1].connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# ------------------------------------------------------------------ PostgreSQL

@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="JIXIAO_TEST_POSTGRES_URL is not set")
def test_postgresql_migrations_and_triggers() -> None:
    engine = get_engine(PG_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    assert upgrade(engine, packages=("indicators",)) == ("ind_0002",)
    assert ensure_schema(engine, packages=("indicators",)) == ("ind_0002",)
    assert IND_TABLES <= _tables(engine)
    with engine.begin() as conn:
        version_id = conn.execute(sa.text(
            "INSERT INTO ind_library_version (framework_id, version, title, kind, status, region,"
            " source_documents, description, row_version, created_at, updated_at) VALUES"
            " ('pg', '1.0.0', 't', 'catalogue', 'draft', 'national', '[]', '', 1, now(), now())"
            " RETURNING id")).scalar_one()
        conn.execute(sa.text(
            "INSERT INTO ind_indicator (library_version_id, position, code, name, level, unit,"
            " reference_value, explanation, checkpoints, data_source, rule, rule_params,"
            " source_document, sector) VALUES (:v, 0, 'A', 'a', 1, '', '', '', '', '', '', '{}',"
            " '', '')"), {"v": version_id})
        conn.execute(sa.text("UPDATE ind_library_version SET status = 'published'"))
    for statement in ("UPDATE ind_indicator SET name = 'b'",
                      "DELETE FROM ind_indicator",
                      "UPDATE ind_library_version SET title = 'x'",
                      "UPDATE ind_library_version SET status = 'retired', title = 'x'",
                      "DELETE FROM ind_library_version"):
        with pytest.raises(IntegrityError, match="ind_frozen_version"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE ind_library_version SET status = 'retired'"))
    config = alembic_config(packages=("indicators",))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert not (IND_TABLES & _tables(engine))
