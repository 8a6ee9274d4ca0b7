"""The ``jixiao`` command: the command-line front door.

It translates arguments into calls on the three floors and nothing more. Each package adds its
own commands through ``<package>.cli.register(group)``; a package whose ``cli`` module does not
exist yet is simply left out, while any other import error still surfaces. The database is
opened only when a command needs it, from ``--database-url`` or ``JIXIAO_DATABASE_URL``, and its
schema is brought up to date at that moment.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

import click

from indicators import cli as indicators_cli
from indicators.cli import CliState, ReportingGroup
from indicators.errors import JixiaoError

__all__ = ["cli", "main"]

# Packages above the ground floor, in floor order; each may or may not offer commands yet.
_OPTIONAL_COMMAND_MODULES = ("scoring.cli", "scoring.cli_lifecycle", "scoring.cli_calibrate",
                             "review.cli", "review.cli_delphi")


def _version() -> str:
    try:
        return package_version("jixiao")
    except PackageNotFoundError:
        return "source checkout (not installed)"


@click.group("jixiao", cls=ReportingGroup,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", metavar="URL", default=None,
              help="数据库地址，优先于环境变量 JIXIAO_DATABASE_URL / database URL, overrides "
                   "JIXIAO_DATABASE_URL (default: sqlite:///jixiao.sqlite3)")
@click.version_option(_version(), "--version", "-V", prog_name="jixiao")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """绩效 jixiao — 预算绩效管理：指标库、评分、专家评审。

    Public-budget performance management: indicator library, scoring, expert review.
    """
    ctx.obj = CliState(database_url)


def _register_optional(group: click.Group, module_name: str) -> bool:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only "this module is not written yet" is tolerated; a broken import inside it is not.
        if exc.name != module_name:
            raise
        return False
    module.register(group)
    return True


indicators_cli.register(cli)
for _module_name in _OPTIONAL_COMMAND_MODULES:
    _register_optional(cli, _module_name)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``jixiao`` command (the console script's entry point).

    Parameters
    ----------
    argv
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    None
        Exits the process with the command's exit code: 0 on success, 2 for a jixiao error
        (bad input, a refused change), 1 for anything else.

    Notes
    -----
    A jixiao error is printed in Chinese and English without a traceback. An unexpected error
    is reported in one line too; ``JIXIAO_DEBUG=1`` lets its traceback through for a bug report.

    Examples
    --------
    >>> try:
    ...     main(["--version"])  # doctest: +ELLIPSIS
    ... except SystemExit as done:
    ...     print(done.code)
    jixiao, version ...
    0
    """
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="jixiao")
    except JixiaoError as exc:
        click.echo(f"错误：{exc.message('zh')}\nError: {exc.message('en')}", err=True)
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("JIXIAO_DEBUG"):
            raise
        click.echo(f"内部错误 internal error: {type(exc).__name__}: {exc}\n"
                   "设置 JIXIAO_DEBUG=1 可查看详情 / set JIXIAO_DEBUG=1 to see the traceback",
                   err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
