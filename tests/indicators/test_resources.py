"""Shipped data: where it lives, which tables a folder holds, and reading them once."""

from __future__ import annotations

import yaml

from indicators.resources import data_path, shipped_names, shipped_yaml


def test_shipped_names_are_the_yaml_stems_of_a_folder() -> None:
    expected = sorted(p.stem for p in data_path("bands").glob("*.yaml"))
    assert list(shipped_names("bands")) == expected
    assert "national" in expected
    assert shipped_names("no-such-folder") == ()


def test_shipped_yaml_is_the_file_read_once() -> None:
    text = data_path("ahp", "random_index.yaml").read_text(encoding="utf-8")
    first = shipped_yaml("ahp", "random_index.yaml")
    assert first == yaml.safe_load(text)
    # Every kernel that looks a table up by name shares the one parsed copy.
    assert shipped_yaml("ahp", "random_index.yaml") is first
