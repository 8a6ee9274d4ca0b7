"""The whole demo on one database (review/demo_all.py): what it adds, once, and where it refuses."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from sqlmodel import Session

import review.demo_all as demo_all_module
from indicators.database import clear_engine_cache, ensure_schema, get_engine
from indicators.demo import demo_target_tables, load_demo_county
from indicators.errors import PermissionDeniedError
from indicators.frameworks import builtin_frameworks
from indicators.frontdoor import Role
from indicators.store import list_libraries, seed_builtin_libraries
from indicators.target_store import list_projects, save_target_tables
from review.demo import DEMO_ACCOUNTS
from review.demo_all import non_demo_accounts, seed_demo
from review.store import create_user


@pytest.fixture
def engine(tmp_path: Path):
    clear_engine_cache()
    yield get_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    clear_engine_cache()


def test_a_fresh_database_gets_the_whole_demo_once(engine) -> None:
    first = seed_demo(engine)
    assert first == {"libraries": len(builtin_frameworks()),
                     "projects": len(load_demo_county().projects),
                     "accounts": len(DEMO_ACCOUNTS), "rounds": 2, "studies": 1}
    assert seed_demo(engine) == {"libraries": 0, "projects": 0, "accounts": 0, "rounds": 0,
                                 "studies": 0}
    assert non_demo_accounts(engine) == []


def test_stored_projects_are_left_alone(engine) -> None:
    ensure_schema(engine)
    one = demo_target_tables()[:1]
    with Session(engine) as session:
        seed_builtin_libraries(session)
    with Session(engine) as session:
        save_target_tables(session, tables=one)
    added = seed_demo(engine)
    assert added == {"libraries": 0, "projects": 0, "accounts": len(DEMO_ACCOUNTS), "rounds": 2,
                     "studies": 1}
    with Session(engine) as session:
        assert [p.code for p in list_projects(session)] == [one[0].project.code]


def test_a_real_admin_means_nothing_is_added(engine) -> None:
    ensure_schema(engine)
    with Session(engine) as session, session.begin():
        create_user(session, username="zhang", display_name="张伟", role=Role.ADMIN,
                    password="county-admin-pass", by=None)
    assert non_demo_accounts(engine) == ["zhang"]
    with pytest.raises(PermissionDeniedError, match="'admin'"):
        seed_demo(engine)
    assert non_demo_accounts(engine) == ["zhang"]
    with Session(engine) as session:
        assert list_projects(session) == [] and list_libraries(session) == []


def test_docstring_examples_run() -> None:
    assert doctest.testmod(demo_all_module).failed == 0
