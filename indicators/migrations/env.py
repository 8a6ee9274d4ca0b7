"""Alembic environment for every jixiao package's migrations.

:func:`indicators.database.upgrade` builds the configuration in code and hands over an open
connection in ``config.attributes["connection"]``, inside a transaction it owns. Run without one
(an ``alembic`` command with its own ini file), the environment opens the database named by
``sqlalchemy.url`` or ``JIXIAO_DATABASE_URL``. Migrations are written by hand, so there is no
target metadata to compare against.
"""

from __future__ import annotations

from alembic import context

from indicators.database import database_url, get_engine

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def run_offline() -> None:
    """Write the SQL to standard output instead of running it (``alembic upgrade --sql``)."""
    context.configure(url=_url(), literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the handed-over connection, or on a fresh one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    with get_engine(_url()).connect() as fresh:
        context.configure(connection=fresh, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        fresh.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
