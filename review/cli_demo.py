"""The ``jixiao demo`` command: the whole demo on the current database, as the app seeds it.

``register(group)`` adds ``demo`` to the front door's click group. It calls
:func:`review.demo_all.seed_demo`, the same function the Streamlit front door runs on a demo
start, and prints what was added and the demo accounts with their published passwords. A
database where people other than the demo accounts sign in is refused unless ``--force``.
"""

from __future__ import annotations

import click

from indicators.cli import CliState, JixiaoCliError, text_table
from indicators.errors import ConflictError, JixiaoError
from review.building_demo import DEMO_STUDY_TITLE
from review.demo import DEMO_ACCOUNTS, DEMO_CLOSED_ROUND_TITLE, DEMO_ROUND_TITLE
from review.demo_all import non_demo_accounts, seed_demo

__all__ = ["register"]

# How many names a refusal lists before it says "and N more".
_NAMES_SHOWN = 5


def _refuse_beside_real_accounts(names: list[str]) -> None:
    shown = ", ".join(names[:_NAMES_SHOWN])
    if len(names) > _NAMES_SHOWN:
        shown += f" … (+{len(names) - _NAMES_SHOWN})"
    raise ConflictError(
        f"数据库中已有非示范账户（{shown}）；示范账户的密码是公开的，确需加入示范数据请加 --force",
        f"the database holds accounts that are not demo accounts ({shown}); the demo passwords "
        "are published, so add --force only if you mean it")


def _state(created: int) -> str:
    return "新建 created" if created else "已有，未改动 already there, unchanged"


def _print_seeded(url: str, added: dict[str, int]) -> None:
    echo = click.echo
    echo(f"示范数据 demo data: {url}")
    echo(f"  指标库 libraries: 新增 {added['libraries']} 个版本 / {added['libraries']} "
         "version(s) added")
    if added["projects"]:
        echo(f"  项目 projects: 新增示范县 {added['projects']} 个项目及绩效目标 / "
             f"{added['projects']} demo county projects with their targets added")
    else:
        echo("  项目 projects: 已有项目，未添加 / projects already stored, none added")
    echo(f"  账户 accounts: 新增 {added['accounts']} 个 / {added['accounts']} added")
    echo(f"  评审轮次 review rounds（{_state(added['rounds'])}）:")
    echo(f"    {DEMO_CLOSED_ROUND_TITLE}（已结束，结果计入 2021 年度 / closed, its results "
         "feed the 2021 year）")
    echo(f"    {DEMO_ROUND_TITLE}（进行中 / open for scoring）")
    echo(f"  德尔菲咨询与层次分析问卷 Delphi study and AHP survey: {DEMO_STUDY_TITLE}"
         f"（{_state(added['studies'])}）")
    echo("")
    echo("示范账户（密码公开，仅供演示）/ demo accounts (published passwords, for the demo only):")
    rows = [[a.username, a.password, f"{a.role.label('zh')} {a.role.value}", a.display_name]
            for a in DEMO_ACCOUNTS]
    for line in text_table(["用户名 username", "密码 password", "角色 role", "姓名 name"], rows,
                           rule=True):
        echo(f"  {line}")


def _register_demo(group: click.Group) -> None:
    @group.command("demo")
    @click.option("--force", is_flag=True,
                  help="Seed even where accounts other than the demo accounts exist.")
    @click.pass_context
    def demo(ctx: click.Context, force: bool) -> None:
        """Seed the demo county, its libraries and a review round (示范数据).

        Does what the app does on a demo start: the shipped libraries, the demo county's
        projects (only when no project is stored), ten demo accounts, a half-scored review
        round, and a Delphi study with its AHP survey. Running it again adds nothing.
        """
        state = ctx.ensure_object(CliState)
        try:
            engine = state.engine
            others = non_demo_accounts(engine)
            if others and not force:
                _refuse_beside_real_accounts(others)
            added = seed_demo(engine)
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        _print_seeded(engine.url.render_as_string(hide_password=True), added)


def register(group: click.Group) -> None:
    """Add the ``demo`` command to the ``jixiao`` command group.

    Parameters
    ----------
    group : click.Group
        The front door's command group.

    Returns
    -------
    None

    Notes
    -----
    ``jixiao [--database-url URL] demo [--force]`` seeds through
    :func:`review.demo_all.seed_demo`, so the command line and the Streamlit app seed the same
    demo. A refusal (accounts that are not the demo's, without ``--force``; another admin
    account) exits with status 2 and a message in Chinese and English.

    Examples
    --------
    >>> cli = click.Group("jixiao")
    >>> register(cli)
    >>> sorted(cli.commands)
    ['demo']
    """
    _register_demo(group)
