"""The ``library`` and ``db`` commands, run through click against a temporary database."""

from __future__ import annotations

import errno
import json
from dataclasses import replace
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlmodel import Session

from indicators import store
from indicators.cli import CliState, ReportingGroup, register
from indicators.database import clear_engine_cache, get_engine
from indicators.frameworks import builtin_frameworks, load_builtin
from indicators.model import Status
from indicators.versioning import edit_indicator, reweight


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


def stored(db_url: str) -> list[tuple[str, str, str, int]]:
    with Session(get_engine(db_url)) as session:
        return [(r.id, r.version, r.status.value, r.indicator_count)
                for r in store.list_libraries(session)]


def test_list_json_has_every_builtin(run) -> None:
    result = run("library", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    shipped = {f: load_builtin(f) for f in builtin_frameworks()}
    assert [row["id"] for row in listed] == sorted(shipped)
    for row in listed:
        lib = shipped[row["id"]]
        assert row["version"] == lib.version
        assert row["status"] == "published"
        assert row["indicator_count"] == len(lib.indicators)
        assert row["title"] == lib.title and row["kind"] == lib.kind.value


def test_list_text_is_labelled_in_both_languages(run) -> None:
    result = run("library", "list")
    assert result.exit_code == 0
    header = result.stdout.splitlines()[0]
    assert "状态 status" in header and "指标数 indicators" in header
    assert "national-target" in result.stdout


def test_show_tree_and_json(run) -> None:
    lib = load_builtin("national-target")
    text = run("library", "show", "national-target")
    assert text.exit_code == 0
    first = next(i for i in lib.indicators if i.level == 1 and lib.children(i.code))
    child = lib.children(first.code)[0]
    lines = text.stdout.splitlines()
    parent_line = next(line for line in lines if line.strip().startswith(f"{first.code} "))
    child_line = next(line for line in lines if line.strip().startswith(f"{child.code} "))
    indent = len(child_line) - len(child_line.lstrip())
    assert indent == len(parent_line) - len(parent_line.lstrip()) + 2
    as_json = run("library", "show", lib.ref, "--json")
    assert json.loads(as_json.stdout) == json.loads(json.dumps(lib.to_dict(), default=str))


def test_import_bad_file_exits_2_and_stores_nothing(run, db_url: str, tmp_path: Path) -> None:
    run("library", "list")
    before = stored(db_url)
    bad = tmp_path / "bad.yaml"
    bad.write_text("framework_id: x\nversion: not-a-version\ntitle: t\nkind: target\n",
                   encoding="utf-8")
    result = run("library", "import", bad)
    assert result.exit_code == 2
    assert "错误" in result.stderr and "Error" in result.stderr
    assert "version" in result.stderr
    assert stored(db_url) == before


def test_import_wrong_columns_names_the_problem(run, db_url: str, tmp_path: Path) -> None:
    run("library", "list")
    before = stored(db_url)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n", encoding="utf-8")
    result = run("library", "import", bad, "--framework-id", "x", "--version", "1.0.0",
                 "--title", "t", "--kind", "target")
    assert result.exit_code == 2
    assert "一级指标" in result.stderr
    assert stored(db_url) == before


@pytest.mark.parametrize("suffix", ["xlsx", "csv", "yaml"])
def test_export_then_import_round_trip(run, db_url: str, tmp_path: Path, suffix: str) -> None:
    original = load_builtin("national-evaluation")
    out = tmp_path / f"lib.{suffix}"
    exported = run("library", "export", original.ref, out)
    assert exported.exit_code == 0, exported.output
    assert out.exists()
    meta = ["--framework-id", "county-evaluation"]
    if suffix == "csv":
        meta += ["--version", original.version, "--title", original.title,
                 "--kind", original.kind.value]
    imported = run("library", "import", out, *meta)
    assert imported.exit_code == 0, imported.output
    with Session(get_engine(db_url)) as session:
        loaded = store.get_library(session, ref=f"county-evaluation@{original.version}")
    assert loaded.status is Status.DRAFT
    assert loaded.indicators == original.indicators
    if suffix != "csv":
        expected = replace(original, framework_id="county-evaluation", status=Status.DRAFT,
                           published_by=None, published_at=None)
        assert loaded == expected


def test_import_refuses_an_existing_ref(run, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "lib.yaml"
    run("library", "export", "national-target", out)
    before = stored(db_url)
    result = run("library", "import", out)
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert stored(db_url) == before


def test_draft_then_publish(run, db_url: str) -> None:
    drafted = run("library", "draft", "national-target", "--version", "1.1.0", "--by", "王科长")
    assert drafted.exit_code == 0, drafted.output
    assert ("national-target", "1.1.0", "draft") in [r[:3] for r in stored(db_url)]
    published = run("library", "publish", "national-target@1.1.0", "--by", "王科长",
                    "--changelog", "增加乡村振兴指标")
    assert published.exit_code == 0, published.output
    again = run("library", "publish", "national-target@1.1.0", "--by", "王科长",
                "--changelog", "再发一次")
    assert again.exit_code == 2
    assert "already published" in again.stderr and "已是" in again.stderr
    shown = json.loads(run("library", "show", "national-target", "--json").stdout)
    assert shown["version"] == "1.1.0" and shown["status"] == "published"
    assert shown["changelog"][-1]["text"] == "增加乡村振兴指标"


def test_draft_from_a_draft_is_refused(run) -> None:
    run("library", "draft", "national-target")
    result = run("library", "draft", "national-target@1.1.0")
    assert result.exit_code == 2
    assert "draft" in result.stderr


def test_diff_text_and_json(run, db_url: str) -> None:
    run("library", "draft", "national-target", "--version", "1.1.0")
    with Session(get_engine(db_url)) as session:
        draft = store.get_library(session, ref="national-target@1.1.0")
        edited = edit_indicator(reweight(draft, {"YS": 5.0}), "YS", name="预算执行率（调整）")
        store.update_draft(session, version=edited)
    text = run("library", "diff", "national-target@1.0.0", "national-target@1.1.0")
    assert text.exit_code == 0
    assert "权重" in text.stdout and "weight" in text.stdout
    result = run("library", "diff", "national-target@1.0.0", "national-target@1.1.0", "--json")
    data = json.loads(result.stdout)
    assert data["old"] == "national-target@1.0.0" and data["new"] == "national-target@1.1.0"
    changes = {(c["change"], c["code"], c["field"]) for c in data["changes"]}
    assert ("weight", "YS", "weight") in changes
    assert ("changed", "YS", "name") in changes
    assert data["suggested_version"]


def test_validate_file_and_ref(run, tmp_path: Path) -> None:
    assert run("library", "validate", "national-target").exit_code == 0
    good = tmp_path / "good.yaml"
    run("library", "export", "national-target", good)
    ok = run("library", "validate", good)
    assert ok.exit_code == 0 and "valid" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("weight: 10", "weight: 11", 1),
                   encoding="utf-8")
    failed = run("library", "validate", bad)
    assert failed.exit_code == 2
    assert "problem(s)" in failed.stderr and "问题" in failed.stderr


def test_retire_and_delete(run, db_url: str) -> None:
    run("library", "draft", "national-target", "--version", "2.0.0")
    deleted = run("library", "delete", "national-target@2.0.0", "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert "2.0.0" not in [v for _, v, _, _ in stored(db_url)]
    refused = run("library", "delete", "national-target@1.0.0", "--yes")
    assert refused.exit_code == 2
    retired = run("library", "retire", "national-target@1.0.0", "--by", "李",
                  "--reason", "测试")
    assert retired.exit_code == 0
    assert ("national-target", "1.0.0", "retired") in [r[:3] for r in stored(db_url)]


def test_unknown_ref_is_a_clean_error(run) -> None:
    result = run("library", "show", "no-such-library@1.0.0")
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：")
    assert "Error: " in result.stderr and "not found" in result.stderr


def test_database_error_is_reported_without_traceback(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    clear_engine_cache()
    monkeypatch.setenv("JIXIAO_DATABASE_URL",
                       f"sqlite:///{tmp_path / 'missing-folder' / 'x.sqlite3'}")
    root = click.Group("jixiao")
    register(root)
    result = CliRunner().invoke(root, ["library", "list"])
    assert result.exit_code == 1
    assert "数据库错误" in result.stderr and "database error" in result.stderr
    assert "Traceback" not in result.output
    clear_engine_cache()


def test_state_opens_the_engine_lazily(db_url: str) -> None:
    state = CliState()
    assert state._engine is None
    assert state.engine is get_engine(db_url)
    with get_engine(db_url).connect() as conn:
        assert "ind_library_version" in sa.inspect(conn).get_table_names()


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    # `jixiao library list | head` closes the pipe early; that is no file error to report.
    group = ReportingGroup("probe")

    @group.command("talk")
    def talk() -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    result = CliRunner().invoke(group, ["talk"])
    assert result.exit_code == 1 and "file error" not in result.output
