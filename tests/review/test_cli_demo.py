"""The ``jixiao demo`` command on a bare click group (review/cli_demo.py)."""

from __future__ import annotations

import doctest
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlmodel import Session

import review.cli_demo as cli_module
from indicators.cli import CliState
from indicators.database import clear_engine_cache
from indicators.demo import load_demo_county
from indicators.target_store import list_projects
from review.building_demo import DEMO_STUDY_TITLE
from review.cli_demo import register
from review.demo import DEMO_ACCOUNTS, DEMO_CLOSED_ROUND_TITLE, DEMO_ROUND_TITLE
from review.demo_all import non_demo_accounts
from review.store import create_user


@pytest.fixture
def state(tmp_path: Path):
    clear_engine_cache()
    yield CliState(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    clear_engine_cache()


@pytest.fixture
def run(state):
    group = click.Group("jixiao")
    register(group)
    return lambda *args: CliRunner().invoke(group, ["demo", *args], obj=state)


def test_demo_beside_a_trainee_needs_force_then_seeds_once(run, state) -> None:
    # A trainee account left in a training database is not one of the demo's.
    with Session(state.engine) as session, session.begin():
        create_user(session, username="trainee", display_name="学员", role="expert", by=None)
    refused = run()
    assert refused.exit_code == 2 and "trainee" in refused.output and "--force" in refused.output
    with Session(state.engine) as session:
        assert list_projects(session) == []

    seeded = run("--force")
    assert seeded.exit_code == 0, seeded.output
    projects = len(load_demo_county().projects)
    assert f"{projects} demo county projects" in seeded.output
    assert f"{len(DEMO_ACCOUNTS)} added" in seeded.output
    assert "评审轮次 review rounds（新建 created）" in seeded.output
    assert f"{DEMO_CLOSED_ROUND_TITLE}（已结束" in seeded.output
    assert f"{DEMO_ROUND_TITLE}（进行中" in seeded.output
    assert f"{DEMO_STUDY_TITLE}（新建 created）" in seeded.output
    for account in DEMO_ACCOUNTS:
        line = next(ln for ln in seeded.output.splitlines()
                    if ln.split()[:1] == [account.username])
        assert account.password in line and account.role.value in line

    again = run("--force")
    assert again.exit_code == 0, again.output
    assert "none added" in again.output and "0 added" in again.output
    assert "already there" in again.output
    assert non_demo_accounts(state.engine) == ["trainee"]


def test_a_real_admin_refuses_the_demo_even_with_force(run, state) -> None:
    with Session(state.engine) as session, session.begin():
        create_user(session, username="zhang", display_name="张伟", role="admin",
                    password="county-admin-2024", by=None)
    for args in ((), ("--force",)):
        result = run(*args)
        assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'admin'" in result.output
    with Session(state.engine) as session:
        assert list_projects(session) == []


def test_docstring_examples_run() -> None:
    assert doctest.testmod(cli_module).failed == 0
