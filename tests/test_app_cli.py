"""The ``jixiao`` front door: its groups, the database option, and errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import app_cli
from indicators.database import clear_engine_cache
from indicators.errors import InputError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def env_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clear_engine_cache()
    path = tmp_path / "env.sqlite3"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("JIXIAO_DEBUG", raising=False)
    yield path
    clear_engine_cache()


def test_help_lists_the_groups() -> None:
    result = CliRunner().invoke(app_cli.cli, ["--help"])
    assert result.exit_code == 0
    assert "library" in result.stdout and "db" in result.stdout
    assert "--database-url" in result.stdout
    library = CliRunner().invoke(app_cli.cli, ["library", "--help"])
    for command in ("list", "show", "diff", "validate", "import", "export", "draft", "publish"):
        assert command in library.stdout


def test_version_option() -> None:
    result = CliRunner().invoke(app_cli.cli, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("jixiao, version")


def test_database_url_option_overrides_the_environment(tmp_path: Path, env_db: Path) -> None:
    chosen = tmp_path / "chosen.sqlite3"
    result = CliRunner().invoke(app_cli.cli, ["--database-url", f"sqlite:///{chosen}",
                                              "library", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert chosen.exists() and not env_db.exists()


def test_help_touches_no_database(env_db: Path) -> None:
    CliRunner().invoke(app_cli.cli, ["library", "--help"])
    assert not env_db.exists()


def test_errors_exit_2_without_traceback() -> None:
    result = CliRunner().invoke(app_cli.cli, ["library", "show", "nothing@1.0.0"])
    assert result.exit_code == 2
    assert "错误" in result.stderr and "Error" in result.stderr
    assert "Traceback" not in result.output


def test_main_reports_errors_in_both_languages(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    def fail(*args, **kwargs):
        raise InputError("坏输入", "bad input", field="x")

    monkeypatch.setattr(app_cli.cli, "main", fail)
    with pytest.raises(SystemExit) as done:
        app_cli.main(["library", "list"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "坏输入" in err and "bad input" in err and "Traceback" not in err


def test_main_hides_unexpected_tracebacks_unless_debugging(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def crash(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(app_cli.cli, "main", crash)
    with pytest.raises(SystemExit) as done:
        app_cli.main([])
    assert done.value.code == 1
    assert "internal error" in capsys.readouterr().err
    monkeypatch.setenv("JIXIAO_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        app_cli.main([])


def test_console_script_exit_codes(env_db: Path) -> None:
    # The real process, as `jixiao` runs it: exit codes and stderr as a user sees them.
    script = [sys.executable, "-c", "import app_cli; app_cli.main()"]
    ok = subprocess.run([*script, "library", "list", "--json"], cwd=REPO, capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([*script, "library", "publish", "national-target@1.0.0", "--by", "王",
                          "--changelog", "x"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2
    assert "错误" in bad.stderr and "Error" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_missing_command_module_is_skipped_but_broken_one_surfaces(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    group = click.Group("test")
    (tmp_path / "jixiao_pkg_without_cli").mkdir()
    (tmp_path / "jixiao_pkg_without_cli" / "__init__.py").write_text("", encoding="utf-8")
    package = tmp_path / "jixiao_broken_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "cli.py").write_text(textwrap.dedent("""
        import jixiao_dependency_that_is_missing

        def register(group):
            pass
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert app_cli._register_optional(group, "jixiao_pkg_without_cli.cli") is False
    with pytest.raises(ModuleNotFoundError, match="jixiao_dependency_that_is_missing"):
        app_cli._register_optional(group, "jixiao_broken_pkg.cli")


def test_lazy_command_table_matches_the_modules() -> None:
    # The front door lists these commands without importing their modules; what it shows must
    # be what the modules really register.
    import inspect

    import click

    modules = {module for module, _ in app_cli._LAZY_COMMANDS.values()}
    for module_name in modules:
        group = click.Group("probe")
        assert app_cli._register_optional(group, module_name), module_name
        listed = {name for name, (module, _) in app_cli._LAZY_COMMANDS.items()
                  if module == module_name}
        assert set(group.commands) == listed, module_name
        for name in listed:
            first_paragraph = inspect.cleandoc(group.commands[name].help).split("\n\n")[0]
            assert app_cli._LAZY_COMMANDS[name][1] == first_paragraph, name


def test_every_command_module_is_in_the_lazy_table() -> None:
    # A module left out of the table would be imported by every `jixiao --help`.
    lazy = {module for module, _ in app_cli._LAZY_COMMANDS.values()}
    assert set(app_cli._OPTIONAL_COMMAND_MODULES) == lazy


def test_help_lists_the_local_admin_commands() -> None:
    result = CliRunner().invoke(app_cli.cli, ["--help"])
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()
              if line.strip()}
    assert {"demo", "user", "year", "exante", "delphi", "calibrate", "sensitivity"} <= listed
    user = CliRunner().invoke(app_cli.cli, ["user", "--help"])
    assert user.exit_code == 0 and "create-admin" in user.stdout and "list" in user.stdout


def test_help_imports_no_command_module_and_reads_as_when_all_are_loaded() -> None:
    probe = textwrap.dedent("""
        import sys
        from click.testing import CliRunner
        import app_cli

        before = CliRunner().invoke(app_cli.cli, ["--help"]).stdout
        heavy = sorted(m for m in ("pandas", "scipy", "sqlalchemy",
                                   *app_cli._OPTIONAL_COMMAND_MODULES) if m in sys.modules)
        for name in app_cli._LAZY_COMMANDS:
            app_cli.cli.get_command(None, name)
        after = CliRunner().invoke(app_cli.cli, ["--help"]).stdout
        print(heavy, before == after, "ahp" in before and "agreement" in before)
    """)
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True", "True"]


def test_a_lazy_command_runs_through_the_front_door() -> None:
    result = CliRunner().invoke(app_cli.cli, ["agreement", "--help"])
    assert result.exit_code == 0, result.output
    assert "RATINGS_FILE" in result.stdout
