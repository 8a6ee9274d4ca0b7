"""The ``jixiao`` command: the command-line front door.

It translates arguments into calls on the three floors and nothing more. Each package adds its
own commands through ``<package>.cli.register(group)``; a package whose ``cli`` module does not
exist yet is simply left out, while any other import error still surfaces. Command modules above
the ground floor are imported only when one of their commands runs (or shows its own help), so
``jixiao --help`` does not pay for scipy and pandas. The database is opened only when a command
needs it, from ``--database-url`` or ``JIXIAO_DATABASE_URL``, and its schema is brought up to
date at that moment.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
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
                             "review.cli", "review.cli_delphi", "review.cli_demo",
                             "review.cli_key_results", "review.cli_users")

# Commands whose module is imported only when they are used: name -> (module, the first
# paragraph of the command's help, which `jixiao --help` shows). tests/test_app_cli.py checks
# that these match the commands the modules really register. A module listed above but not
# here is registered when the front door starts.
_LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "ahp": ("scoring.cli", "AHP priorities, λmax, CI and CR of a pairwise comparison matrix in "
                           "a CSV file (层次分析法)."),
    "score": ("scoring.cli", "按指标库评分并分级，写出结果工作簿 — score and grade a county's "
                             "projects."),
    "year": ("scoring.cli_lifecycle", "预算年度全过程 / a budget year's closed loop"),
    "exante": ("scoring.cli_lifecycle", "事前绩效评估 / ex-ante assessment"),
    "calibrate": ("scoring.cli_calibrate", "Fit weights that reproduce a panel's scores or "
                                           "grades (权重校准)."),
    "sensitivity": ("scoring.cli_calibrate", "How grades depend on the weights (权重敏感性): "
                                             "tornado, robustness, what-if."),
    "agreement": ("review.cli", "Agreement between raters and each rater's severity "
                                "(评分一致性与评分人宽严)."),
    "delphi": ("review.cli_delphi", "Delphi rounds for building an indicator library "
                                    "(德尔菲专家咨询)."),
    "key-results": ("review.cli_key_results", "Key-evaluation results of closed review rounds "
                                              "(重点评价结果), for year run."),
    "demo": ("review.cli_demo", "Seed the demo county, its libraries and a review round (示范数据)."),
    "user": ("review.cli_users", "Accounts: create the first admin, list accounts (账户管理)."),
}


def _version() -> str:
    try:
        return package_version("jixiao")
    except PackageNotFoundError:
        return "source checkout (not installed)"


def _module_exists(module_name: str) -> bool:
    # Look for the file without importing the package, whose __init__ may pull in pandas.
    package = module_name.rpartition(".")[0]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        return False
    finder = importlib.machinery.PathFinder
    return finder.find_spec(module_name, list(spec.submodule_search_locations)) is not None


class _FrontDoorGroup(ReportingGroup):
    """The ``jixiao`` group: lists every command, imports a command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = {name for name, (module, _) in _LAZY_COMMANDS.items() if _module_exists(module)}
        return sorted(set(self.commands) | lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _LAZY_COMMANDS:
            _register_optional(self, _LAZY_COMMANDS[cmd_name][0])
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # A stand-in carrying the help's first paragraph shortens it exactly as the real
        # command would, without importing the command's module.
        commands = [(name, self.commands.get(name)
                     or click.Command(name, help=_LAZY_COMMANDS[name][1]))
                    for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if not command.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in commands)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit))
                                for name, command in commands])


@click.group("jixiao", cls=_FrontDoorGroup,
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
_lazy_modules = {module for module, _ in _LAZY_COMMANDS.values()}
for _module_name in _OPTIONAL_COMMAND_MODULES:
    if _module_name not in _lazy_modules:
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
