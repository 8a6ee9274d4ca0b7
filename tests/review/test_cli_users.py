"""The ``jixiao user`` commands on a bare click group (review/cli_users.py)."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlmodel import Session

import review.cli_users as cli_module
from indicators.cli import CliState
from indicators.database import clear_engine_cache
from indicators.errors import PermissionDeniedError
from indicators.frontdoor import Role
from review.auth import PasswordAuthenticator
from review.cli_users import register
from review.store import create_user, set_user_disabled

PASSWORD = "county-admin-2024"


@pytest.fixture
def state(tmp_path: Path):
    clear_engine_cache()
    yield CliState(f"sqlite:///{tmp_path / 'users.sqlite3'}")
    clear_engine_cache()


@pytest.fixture
def run(state):
    group = click.Group("jixiao")
    register(group)

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(group, ["user", *args], obj=state, input=input)

    return invoke


def sign_in(state: CliState, username: str, password: str):
    with Session(state.engine) as session, session.begin():
        return PasswordAuthenticator().authenticate(session, username=username,
                                                     password=password)


def test_the_first_admin_from_standard_input_signs_in(run, state) -> None:
    result = run("create-admin", "--username", " zhang ", "--display-name", "张伟",
                 "--password-stdin", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "zhang" in result.output and "张伟" in result.output
    viewer = sign_in(state, "zhang", PASSWORD)
    assert viewer.role is Role.ADMIN and viewer.display_name == "张伟"


def test_the_prompt_hides_the_password_and_asks_again_on_a_mismatch(run, state) -> None:
    typed = f"{PASSWORD}\nsomething-else-1\n{PASSWORD}\n{PASSWORD}\n"
    result = run("create-admin", "--username", "zhang", "--display-name", "张伟", input=typed)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert sign_in(state, "zhang", PASSWORD).username == "zhang"


def test_a_taken_username_or_an_existing_admin_is_refused(run, state) -> None:
    assert run("create-admin", "--username", "zhang", "--display-name", "张伟",
               "--password-stdin", input=f"{PASSWORD}\n").exit_code == 0
    again = run("create-admin", "--username", "zhang", "--display-name", "张伟",
                "--password-stdin", input=f"{PASSWORD}\n")
    assert again.exit_code == 2
    assert "'zhang'" in again.output and "用户名" in again.output and "is taken" in again.output
    second = run("create-admin", "--username", "li", "--display-name", "李娜",
                 "--password-stdin", input=f"{PASSWORD}\n")
    assert second.exit_code == 2 and "already exists" in second.output
    assert "Traceback" not in second.output
    with pytest.raises(PermissionDeniedError):
        sign_in(state, "li", PASSWORD)


def test_a_short_password_stores_nothing(run) -> None:
    result = run("create-admin", "--username", "zhang", "--display-name", "张伟",
                 "--password-stdin", input="short\n")
    assert result.exit_code == 2 and "password" in result.output
    assert "no accounts yet" in run("list").output


def test_list_shows_roles_and_disabled_accounts_never_hashes(run, state) -> None:
    assert "create-admin" in run("list").output
    with Session(state.engine) as session, session.begin():
        create_user(session, username="admin", display_name="管理员", role="admin",
                    password=PASSWORD, by=None)
    admin = sign_in(state, "admin", PASSWORD)
    with Session(state.engine) as session, session.begin():
        expert = create_user(session, username="wang", display_name="王建国", role="expert",
                             department="县教育局", by=admin)
        set_user_disabled(session, user_id=expert.user_id, disabled=True, by=admin)
    text = run("list").output
    wang = next(line for line in text.splitlines() if line.startswith("wang "))
    assert "expert" in wang and "县教育局" in wang and "disabled" in wang
    assert "active" in next(line for line in text.splitlines() if line.startswith("admin "))
    listed = json.loads(run("list", "--json").output)
    assert [(a["username"], a["role"], a["disabled"]) for a in listed] == [
        ("admin", "admin", False), ("wang", "expert", True)]
    assert "argon2" not in text and all("password_hash" not in a for a in listed)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(cli_module).failed == 0
