"""The wheel must carry every package and the shipped data, since pyproject lists them by hand."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _listed_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_listed_in_pyproject():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("indicators", "scoring", "review")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found - _listed_packages() == set()


def test_data_folder_ships_as_a_package_with_the_frameworks():
    assert "jixiao_data" in _listed_packages()
    assert (ROOT / "data" / "__init__.py").is_file()
    assert any((ROOT / "data" / "frameworks").glob("*.yaml"))


def test_console_script_points_at_the_cli_front_door():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["scripts"]["jixiao"] == "app_cli:main"
