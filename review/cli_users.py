"""The ``jixiao user`` commands: the first admin account, and the list of accounts.

``register(group)`` adds a ``user`` group to the front door's click group:

* ``jixiao user create-admin --username U --display-name N`` creates the first administrator
  of a new database, whose password is typed twice without echo (or read from standard input
  with ``--password-stdin``); once an admin exists, further accounts are made in the app;
* ``jixiao user list`` prints every account with its role and whether it is disabled.

These run on the machine that holds the database, by whoever can open it, so they ask for no
sign-in: access to the database file or server is the permission.
"""

from __future__ import annotations

import json
import sys

import click
from sqlmodel import Session, select

from indicators.cli import CliState, JixiaoCliError, text_table
from indicators.errors import ConflictError, JixiaoError, PermissionDeniedError
from indicators.frontdoor import Role
from review.model import UserPublic
from review.store import admin_exists, create_user
from review.tables import UserRow
from review.views import user_public

__all__ = ["register"]


def _accounts(session: Session) -> list[UserPublic]:
    # The store's list_users asks for a signed-in staff member; this local tool has none.
    rows = session.exec(select(UserRow).order_by(UserRow.username)).all()
    return [user_public(row) for row in rows]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line, as `echo "$PW" | jixiao user create-admin …` or a secrets file gives it.
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("密码 password", hide_input=True,
                            confirmation_prompt="再次输入密码 repeat the password"))


def _register_create_admin(user: click.Group) -> None:
    @user.command("create-admin")
    @click.option("--username", required=True, help="Sign-in name of the new admin.")
    @click.option("--display-name", required=True, help="The name pages show (e.g. 张伟).")
    @click.option("--password-stdin", is_flag=True,
                  help="Read the password from the first line of standard input.")
    @click.pass_context
    def create_admin(ctx: click.Context, username: str, display_name: str,
                     password_stdin: bool) -> None:
        """Create the first administrator account of a new database (创建管理员).

        Refused when the username is taken or an administrator already exists: from then on
        an admin creates accounts in the app, where each change is recorded with who made it.
        """
        state = ctx.ensure_object(CliState)
        name = username.strip()
        try:
            with Session(state.engine) as session:
                taken = session.exec(select(UserRow.id).where(UserRow.username == name)).first()
                if taken is not None:
                    raise ConflictError(f"用户名 '{name}' 已存在", f"username '{name}' is taken",
                                        field="username")
                if admin_exists(session):
                    raise PermissionDeniedError(
                        "已有管理员账户；其他账户请由管理员在网页上创建",
                        "an admin account already exists; an admin creates further accounts "
                        "in the app")
            # Asked only once the name is known to be free, so no one types a password in vain.
            password = _read_password(password_stdin)
            with Session(state.engine) as session, session.begin():
                created = create_user(session, username=name, display_name=display_name,
                                      role=Role.ADMIN, password=password, by=None)
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        click.echo(f"已创建管理员 admin created: {created.username}（{created.display_name}）")


def _register_list(user: click.Group) -> None:
    @user.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
    @click.pass_context
    def list_command(ctx: click.Context, as_json: bool) -> None:
        """List every account: username, name, role, department, disabled (账户列表)."""
        state = ctx.ensure_object(CliState)
        with Session(state.engine) as session:
            accounts = _accounts(session)
        if as_json:
            click.echo(json.dumps([{"username": a.username, "display_name": a.display_name,
                                    "role": a.role.value, "department": a.department,
                                    "disabled": a.disabled} for a in accounts],
                                  ensure_ascii=False, indent=2))
            return
        if not accounts:
            click.echo("还没有账户；用 jixiao user create-admin 创建第一个管理员 / no accounts "
                       "yet; create the first admin with jixiao user create-admin")
            return
        rows = [[a.username, a.display_name, f"{a.role.label('zh')} {a.role.value}",
                 a.department, "已停用 disabled" if a.disabled else "正常 active"]
                for a in accounts]
        for line in text_table(["用户名 username", "姓名 name", "角色 role", "部门 department",
                                "状态 status"], rows, rule=True):
            click.echo(line)


def register(group: click.Group) -> None:
    """Add the ``user`` command group (``create-admin``, ``list``) to the ``jixiao`` group.

    Parameters
    ----------
    group : click.Group
        The front door's command group.

    Returns
    -------
    None

    Notes
    -----
    ``jixiao user create-admin --username U --display-name N [--password-stdin]`` calls
    :func:`review.store.create_user` with ``role=admin`` and ``by=None``, which the store
    allows only while no active admin exists; the password is stored as an argon2id hash.
    ``jixiao user list [--json]`` never shows a password hash. Refusals exit with status 2 and
    a message in Chinese and English.

    Examples
    --------
    >>> cli = click.Group("jixiao")
    >>> register(cli)
    >>> sorted(cli.commands["user"].commands)
    ['create-admin', 'list']
    """
    @group.group("user")
    def user() -> None:
        """Accounts: create the first admin, list accounts (账户管理)."""

    _register_create_admin(user)
    _register_list(user)
