"""The ``jixiao db`` commands: bring the schema up to date, and say how far it is.

Each package (indicators, scoring, review) owns an Alembic branch (:mod:`indicators.database`).
``db current`` prints, per package, the revision the database is at and the newest one the code
knows, in Chinese and English; ``db upgrade`` applies what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from indicators.cli import CliState, ReportingGroup, text_table

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["register"]


def register(group: click.Group) -> None:
    """Add the ``db`` command group (``upgrade``, ``current``) to the ``jixiao`` group.

    Parameters
    ----------
    group
        The ``jixiao`` click group (or any group, e.g. in a test).

    Returns
    -------
    None

    Notes
    -----
    :func:`indicators.cli.register` calls this; commands find the database through the
    :class:`~indicators.cli.CliState` in ``ctx.obj`` and open it without upgrading it.

    Examples
    --------
    >>> root = click.Group("jixiao")
    >>> register(root)
    >>> sorted(root.commands["db"].commands)
    ['current', 'upgrade']
    """

    @group.group("db", cls=ReportingGroup)
    def db() -> None:
        """数据库结构迁移 — database schema migrations."""

    @db.command("upgrade")
    @click.pass_context
    def upgrade_command(ctx: click.Context) -> None:
        """升级到最新结构 — apply every pending migration."""
        from indicators.database import head_revisions, upgrade

        upgrade(ctx.ensure_object(CliState).raw_engine)
        click.echo(f"已升级到最新 upgraded to heads: {', '.join(head_revisions())}")

    @db.command("current")
    @click.pass_context
    def current_command(ctx: click.Context) -> None:
        """每个包的当前版本与最新版本 — each package's current and head revision."""
        from sqlalchemy.engine import make_url

        from indicators.database import database_url, pending_revisions

        state = ctx.ensure_object(CliState)
        url = make_url(state.database_url or database_url())
        # A status query must not create the file it reports on, as connecting to SQLite would.
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
                and not Path(url.database).exists():
            click.echo(f"数据库文件不存在 the database file does not exist: {url.database}\n"
                       "运行 jixiao db upgrade 建立它 / run jixiao db upgrade to create it")
            ctx.exit(1)
        engine = state.raw_engine
        # First, so a revision this code does not know ends in its ConflictError.
        pending = pending_revisions(engine)
        click.echo(f"数据库 database: {engine.url.render_as_string(hide_password=True)}")
        rows = []
        for package, current, head, missing in _package_revisions(engine):
            if not missing:
                status = "已是最新 up to date"
            elif current is None:
                status = f"未建表，待应用 {missing} 个 / no tables yet, {missing} pending"
            else:
                status = f"待应用 {missing} 个 / {missing} pending"
            rows.append([package, current or "—", head, status])
        click.echo("\n".join(text_table(
            ["包 package", "当前 current", "最新 head", "状态 status"], rows, rule=True)))
        if pending:
            click.echo("需要升级，请运行 jixiao db upgrade / upgrade needed: run jixiao db upgrade")
        else:
            click.echo("数据库已是最新 / the database is up to date")


def _package_revisions(engine: Engine) -> list[tuple[str, str | None, str, int]]:
    """Per migration package: its current revision (None before any), its head, how many to go.

    ``alembic_version`` keeps one row per line of descent, and a branch that depends on
    another (review and scoring on indicators) stands for it there; so a package's current
    revision is read as the newest of its own revisions the database has reached.
    """
    from alembic.script import ScriptDirectory

    from indicators.database import MIGRATION_PACKAGES, alembic_config, current_revisions

    script = ScriptDirectory.from_config(alembic_config())
    reached = {rev.revision
               for rev in script.iterate_revisions(current_revisions(engine), "base")}
    # A package without a migrations folder has no branch to report.
    labels = set().union(*(script.get_revision(head).branch_labels
                           for head in script.get_heads()))
    found = []
    for package in MIGRATION_PACKAGES:
        if package not in labels:
            continue
        own = [rev.revision for rev in script.iterate_revisions(f"{package}@head", "base")
               if package in rev.branch_labels]
        current = next((rev for rev in own if rev in reached), None)
        found.append((package, current, own[0], sum(rev not in reached for rev in own)))
    return found
