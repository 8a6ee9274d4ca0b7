"""The ``jixiao db`` commands: per-package revisions on an empty file, part way, after upgrade."""

from __future__ import annotations

import doctest
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

import indicators.cli_db as cli_db_module
from indicators.cli import register
from indicators.database import clear_engine_cache, get_engine, head_revisions, upgrade


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    clear_engine_cache()
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    yield url
    clear_engine_cache()


@pytest.fixture
def run(db_url: str):
    root = click.Group("jixiao")
    register(root)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        result = runner.invoke(root, [str(a) for a in args])
        assert "Traceback" not in result.output
        return result

    return invoke


def _status_rows(output: str) -> dict[str, list[str]]:
    lines = output.splitlines()
    body = lines[lines.index(next(line for line in lines if line.startswith("包 package"))) + 2:]
    return {cells[0]: cells[1:] for line in body if len(cells := line.split(None, 3)) == 4
            and cells[0] in ("indicators", "scoring", "review")}


def test_db_current_on_an_empty_file_then_after_upgrade(run, db_url: str) -> None:
    Path(db_url.removeprefix("sqlite:///")).touch()
    heads = {head[:3]: head for head in head_revisions()}
    before = run("db", "current")
    assert before.exit_code == 0, before.output
    rows = _status_rows(before.stdout)
    assert set(rows) == {"indicators", "scoring", "review"}
    for package, (current, head, status) in rows.items():
        assert current == "—" and head == heads[package[:3]]
        assert "未建表" in status and "pending" in status
    assert "需要升级" in before.stdout and "jixiao db upgrade" in before.stdout
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0
    after = run("db", "current")
    for package, (current, head, status) in _status_rows(after.stdout).items():
        assert current == head == heads[package[:3]], package
        assert status == "已是最新 up to date"
    assert "数据库已是最新 / the database is up to date" in after.stdout
    with get_engine(db_url).connect() as conn:
        assert "ind_library_version" in sa.inspect(conn).get_table_names()


def test_db_current_does_not_create_a_missing_sqlite_file(run, db_url: str) -> None:
    path = Path(db_url.removeprefix("sqlite:///"))
    result = run("db", "current")
    assert result.exit_code == 1
    assert "数据库文件不存在" in result.output and "jixiao db upgrade" in result.output
    assert not path.exists()


def test_db_current_names_each_package_part_way_up(run, db_url: str) -> None:
    # Review's first revision depends on indicators' head, so indicators is complete while
    # review is one revision up and scoring not started: alembic_version holds only rev_0001.
    upgrade(get_engine(db_url), revision="rev_0001")
    rows = _status_rows(run("db", "current").stdout)
    assert rows["indicators"][0] == rows["indicators"][1]
    assert rows["indicators"][2] == "已是最新 up to date"
    assert rows["review"][0] == "rev_0001" and rows["review"][1] != "rev_0001"
    assert rows["review"][2].endswith("pending") and "未建表" not in rows["review"][2]
    assert rows["scoring"][0] == "—"


def test_docstring_examples_run() -> None:
    assert doctest.testmod(cli_db_module).failed == 0
