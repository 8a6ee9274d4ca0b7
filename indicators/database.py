"""Engines and schema migrations shared by every jixiao package.

The front doors own the engine (DESIGN.md): one engine per database URL, read from
``JIXIAO_DATABASE_URL`` and defaulting to a SQLite file in the working folder. SQLite connections
run in WAL mode with foreign keys on and a busy timeout, so the Streamlit app and the command line
can share one file; PostgreSQL (``postgresql+psycopg://…``) serves a shared server.

Each package owns its tables' migrations in ``<package>/migrations/versions`` (an Alembic branch
labelled with the package name); the Alembic environment itself lives in
``indicators/migrations``. :func:`upgrade` finds every package's folder and applies them all, so
``scoring`` and ``review`` add a branch by adding a folder, with ``depends_on`` pointing at the
``indicators`` revision their tables need.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from indicators.errors import ConflictError, InputError

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "MIGRATION_PACKAGES",
    "SQLITE_BUSY_TIMEOUT_MS",
    "alembic_config",
    "clear_engine_cache",
    "current_revisions",
    "database_url",
    "ensure_schema",
    "get_engine",
    "head_revisions",
    "pending_revisions",
    "upgrade",
]

DATABASE_URL_ENV = "JIXIAO_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///jixiao.sqlite3"
MIGRATION_PACKAGES: tuple[str, ...] = ("indicators", "scoring", "review")
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Any fixed number: every jixiao process upgrading a PostgreSQL database takes the same lock.
_PG_MIGRATION_LOCK = 7_715_300_211

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url() -> str:
    """The database URL from ``JIXIAO_DATABASE_URL``, or the SQLite file in the working folder.

    Returns
    -------
    str
        A SQLAlchemy URL such as ``sqlite:///jixiao.sqlite3`` or
        ``postgresql+psycopg://user:pass@host/jixiao``.

    Notes
    -----
    An empty variable counts as unset, so ``JIXIAO_DATABASE_URL= jixiao …`` falls back to the
    default instead of failing on an empty URL.

    Examples
    --------
    >>> database_url().startswith(("sqlite", "postgresql"))
    True
    """
    return os.environ.get(DATABASE_URL_ENV, "").strip() or DEFAULT_DATABASE_URL


def _parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"数据库地址 '{url}' 无效", f"database URL '{url}' is not valid",
                         field=DATABASE_URL_ENV) from exc
    database = parsed.database
    if (parsed.get_backend_name() == "sqlite" and database and database != ":memory:"
            and not database.startswith("file:")):
        # A relative file means the working folder at first use; pin it so a later chdir
        # cannot make one cached engine point at two files.
        parsed = parsed.set(database=str(Path(database).expanduser().resolve()))
    return parsed


def _switch_to_wal(cursor: Any) -> None:
    # WAL is stored in the file, so only the first connection to a new file switches. SQLite
    # answers "locked" at once, without its busy handler, when another connection opening the
    # same new file holds a lock; so retry until the busy timeout has passed.
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _create_engine(url: URL) -> Engine:
    # Chinese text stays readable in JSON columns when someone opens the database by hand.
    serializer = functools.partial(json.dumps, ensure_ascii=False)
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"check_same_thread": False},
                                   json_serializer=serializer)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True, json_serializer=serializer)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise InputError(
            f"无法使用数据库地址 '{url.render_as_string(hide_password=True)}'：{exc}",
            f"cannot use database URL '{url.render_as_string(hide_password=True)}': {exc}",
            field=DATABASE_URL_ENV,
        ) from exc


def get_engine(url: str | None = None) -> Engine:
    """The one engine for a database URL, created on first use.

    Parameters
    ----------
    url
        A SQLAlchemy URL; ``None`` means :func:`database_url`. A relative SQLite path is
        resolved against the working folder at first use.

    Returns
    -------
    sqlalchemy.engine.Engine
        The cached engine. SQLite engines set ``journal_mode=WAL``, ``foreign_keys=ON`` and
        ``busy_timeout`` on every new connection and allow use across threads (Streamlit runs
        each session in its own thread); other URLs get ``pool_pre_ping`` so a server restart
        costs a retry, not an error.

    Notes
    -----
    WAL lets readers proceed while one writer commits (SQLite documentation, "Write-Ahead
    Logging"); the busy timeout makes a second writer wait instead of failing at once.

    Examples
    --------
    >>> engine = get_engine("sqlite://")
    >>> engine is get_engine("sqlite://")
    True
    >>> clear_engine_cache()
    """
    parsed = _parse_url(url or database_url())
    key = parsed.render_as_string(hide_password=False)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = _create_engine(parsed)
        return engine


def clear_engine_cache() -> None:
    """Dispose of every cached engine and forget them (tests call this between cases).

    Returns
    -------
    None

    Notes
    -----
    Disposing closes pooled connections, so a test's temporary database file can be removed.

    Examples
    --------
    >>> clear_engine_cache()
    """
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def _versions_folder(package: str) -> Path | None:
    # find_spec does not import the package, so a half-written package cannot break migrations.
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "migrations" / "versions"
        if folder.is_dir():
            return folder
    return None


def alembic_config(*, packages: Sequence[str] = MIGRATION_PACKAGES) -> Config:
    """An Alembic configuration over the migration folders of ``packages``, built in code.

    Parameters
    ----------
    packages
        Package names whose ``migrations/versions`` folder joins the version locations;
        packages without one (not written yet, or without tables) are skipped.

    Returns
    -------
    alembic.config.Config
        ``script_location`` is ``indicators/migrations`` (the shared ``env.py`` and
        ``script.py.mako``); ``version_locations`` lists each package's folder. Put an open
        connection in ``config.attributes["connection"]`` to run commands on it.

    Notes
    -----
    No ``alembic.ini`` is needed, so an installed wheel migrates its database the same way as a
    source checkout. To add a revision to a package's branch::

        command.revision(alembic_config(), "add a column", head="scoring@head",
                         version_path=".../scoring/migrations/versions")

    Examples
    --------
    >>> config = alembic_config(packages=("indicators",))
    >>> config.get_main_option("script_location").endswith("migrations")
    True
    """
    script_location = Path(__file__).resolve().parent / "migrations"
    folders = [folder for folder in map(_versions_folder, packages) if folder is not None]
    config = Config()
    # ConfigParser interpolates '%'; a path containing one must reach Alembic unchanged.
    config.set_main_option("script_location", str(script_location).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations",
                           os.pathsep.join(str(f).replace("%", "%%") for f in folders))
    return config


def head_revisions(*, packages: Sequence[str] = MIGRATION_PACKAGES) -> tuple[str, ...]:
    """The newest revision of every migration branch the code knows, sorted.

    Parameters
    ----------
    packages
        As in :func:`alembic_config`.

    Returns
    -------
    tuple of str
        One revision identifier per branch head.

    Notes
    -----
    Read from the migration files only; no database is opened.

    Examples
    --------
    >>> "ind_0002" in head_revisions(packages=("indicators",))
    True
    """
    script = ScriptDirectory.from_config(alembic_config(packages=packages))
    return tuple(sorted(script.get_heads()))


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions a database is at (one per branch), sorted; empty for a new database.

    Parameters
    ----------
    engine
        The database.

    Returns
    -------
    tuple of str
        The rows of ``alembic_version``.

    Notes
    -----
    Reads only; a database that was never migrated has no ``alembic_version`` table and
    gives ``()``.

    Examples
    --------
    >>> current_revisions(get_engine("sqlite://"))
    ()
    >>> clear_engine_cache()
    """
    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def _run_sqlite(connection: Connection, config: Config, revision: str) -> None:
    # SQLite's procedure for schema changes (sqlite.org, "ALTER TABLE", 12 steps): foreign keys
    # off outside the transaction, so a batch table rebuild cannot cascade-delete child rows,
    # then one exclusive transaction, a foreign-key check, commit. BEGIN IMMEDIATE also makes a
    # second process starting at the same moment wait and then find the schema already current.
    dbapi_connection = connection.connection.dbapi_connection
    previous = dbapi_connection.isolation_level
    connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    dbapi_connection.isolation_level = None
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise ConflictError(
                    f"迁移后有 {len(broken)} 行外键无效（表 {broken[0][0]}），已撤销",
                    f"migration left {len(broken)} broken foreign key(s) (table {broken[0][0]}); "
                    "rolled back")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    finally:
        dbapi_connection.isolation_level = previous
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        connection.commit()


def upgrade(
    engine: Engine,
    *,
    packages: Sequence[str] = MIGRATION_PACKAGES,
    revision: str = "heads",
) -> tuple[str, ...]:
    """Apply migrations to ``revision`` (all branch heads by default) in one transaction.

    Parameters
    ----------
    engine
        The database to migrate.
    packages
        Packages whose migration branches take part (see :func:`alembic_config`).
    revision
        An Alembic target: ``"heads"``, a branch head such as ``"indicators@head"``, or a
        revision identifier.

    Returns
    -------
    tuple of str
        :func:`current_revisions` after the upgrade.

    Raises
    ------
    ConflictError
        The database is at a revision this code does not know (a newer jixiao wrote it), or the
        target does not exist.

    Notes
    -----
    On SQLite the whole upgrade runs inside ``BEGIN IMMEDIATE`` with foreign keys switched off
    and checked before commit; on PostgreSQL DDL is transactional and a transaction-level
    advisory lock serialises concurrent upgrades. Either way a failed upgrade leaves the schema
    as it was. Migrations are rendered in batch mode on SQLite (``render_as_batch``), which
    rebuilds a table to alter it.

    Examples
    --------
    >>> engine = get_engine("sqlite://")
    >>> "ind_0002" in upgrade(engine, packages=("indicators",))
    True
    >>> clear_engine_cache()
    """
    config = alembic_config(packages=packages)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                _run_sqlite(connection, config, revision)
            else:
                with connection.begin():
                    if engine.dialect.name == "postgresql":
                        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                           {"key": _PG_MIGRATION_LOCK})
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
    except (CommandError, RevisionError) as exc:
        raise _unknown_revision(exc) from exc
    return current_revisions(engine)


def _unknown_revision(exc: Exception) -> ConflictError:
    return ConflictError(
        f"数据库迁移失败（数据库可能由更新版本的 jixiao 创建）：{exc}",
        f"database migration failed (the database may come from a newer jixiao): {exc}")


def pending_revisions(engine: Engine, *, packages: Sequence[str] = MIGRATION_PACKAGES,
                      ) -> tuple[str, ...]:
    """The branch heads a database has not reached yet; empty when its schema is current.

    Parameters
    ----------
    engine
        The database.
    packages
        As in :func:`alembic_config`.

    Returns
    -------
    tuple of str
        Sorted head revisions still to apply.

    Raises
    ------
    ConflictError
        The database is at a revision this code does not know.

    Notes
    -----
    ``alembic_version`` holds only the newest revision of each line of descent, and a branch
    that ``depends_on`` another (review on indicators) absorbs the other's head. So a head
    counts as reached when it is the current revision or one of its ancestors, dependencies
    included, rather than when it appears in ``alembic_version``.

    Examples
    --------
    >>> engine = get_engine("sqlite://")
    >>> pending_revisions(engine, packages=("indicators",))
    ('ind_0002',)
    >>> _ = upgrade(engine, packages=("indicators",))
    >>> pending_revisions(engine, packages=("indicators",))
    ()
    >>> clear_engine_cache()
    """
    script = ScriptDirectory.from_config(alembic_config(packages=packages))
    current = current_revisions(engine)
    try:
        reached = {rev.revision for rev in script.iterate_revisions(current, "base")}
    except (CommandError, RevisionError) as exc:
        raise _unknown_revision(exc) from exc
    return tuple(sorted(set(script.get_heads()) - reached))


def ensure_schema(engine: Engine, *, packages: Sequence[str] = MIGRATION_PACKAGES) -> tuple[str, ...]:
    """Bring the schema to every branch head; what the front doors call when they start.

    Parameters
    ----------
    engine
        The database.
    packages
        As in :func:`alembic_config`.

    Returns
    -------
    tuple of str
        The revisions the database is at afterwards.

    Notes
    -----
    When the database is already at the heads nothing is locked or written, so calling this
    on every Streamlit rerun costs one small read.

    Examples
    --------
    >>> engine = get_engine("sqlite://")
    >>> ensure_schema(engine, packages=("indicators",)) == ensure_schema(engine, packages=("indicators",))
    True
    >>> clear_engine_cache()
    """
    if not pending_revisions(engine, packages=packages):
        return current_revisions(engine)
    return upgrade(engine, packages=packages)
