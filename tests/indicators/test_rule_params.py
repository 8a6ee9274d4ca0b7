"""The registry of scoring rules a library may name (indicators/rule_params.py)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import indicators.rule_params as rule_params_module
from indicators.rule_params import RULES, check_rule_params, is_blank

# The three-band practice of DOMAIN.md §3: 达成 80–100, 部分达成 60–80, 未达成 0–60.
BANDS = {"达成": [80, 100], "部分达成": [60, 80], "未达成": [0, 60]}


def _codes(rule, params):
    return [code for code, _, _ in check_rule_params(rule, params)]


@pytest.mark.parametrize(("rule", "params"), [
    (None, None), ("", {}), ("default", None), (" Default ", {}),
    ("ratio", {}), ("ratio", {"cap": 1}), ("ratio", {"cap": np.float64(1.2)}),
    ("qualitative_bands", {"bands": BANDS}),
    ("qualitative_bands", {"bands": {"达成": (90, 100), "未达成": (0, 90)}}),
    ("trim_over", {"threshold": 1}), ("trim_over", {"threshold": 1.2}),
    ("budget_execution", {}), ("budget_execution", {"full_at": 1.0}),
    ("budget_execution", {"full_at": 0.9}),
])
def test_known_rules_with_good_parameters_pass(rule, params):
    assert check_rule_params(rule, params) == []


@pytest.mark.parametrize(("rule", "params", "mentions"), [
    ("ratio", {"cap": 0}, "cap"), ("ratio", {"cap": "1"}, "cap"), ("ratio", {"cap": True}, "cap"),
    ("ratio", {"cap": math.nan}, "cap"),
    ("trim_over", {"threshold": 0.99}, "threshold"), ("trim_over", {}, "needs parameter"),
    ("budget_execution", {"full_at": 0}, "full_at"), ("budget_execution", {"full_at": 1.01}, "full_at"),
    ("default", {"threshold": 1.2}, "no parameter 'threshold'"),
    ("qualitative_bands", {"bands": {}}, "non-empty"),
    ("qualitative_bands", {"bands": {"达成": [80]}}, "bands.达成"),
    ("qualitative_bands", {"bands": {"达成": [100, 80]}}, "bands.达成"),
    ("qualitative_bands", {"bands": {"达成": [-5, 60]}}, "bands.达成"),
    ("qualitative_bands", {"bands": {"达成": "80-100"}}, "bands.达成"),
    ("qualitative_bands", {"bands": {"甲": [0, 100], "乙": [10, 20], "丙": [30, 40]}}, "overlap"),
    ("ratio", ["cap", 1], "mapping"),
])
def test_bad_parameters_are_named(rule, params, mentions):
    problems = check_rule_params(rule, params)
    assert problems and {code for code, _, _ in problems} == {"invalid_rule_params"}
    assert mentions in " ".join(en for _, _, en in problems)
    assert all(zh for _, zh, _ in problems)


def test_every_overlap_is_found_even_when_not_adjacent():
    bands = {"甲": [0, 100], "乙": [10, 20], "丙": [30, 40]}
    problems = check_rule_params("qualitative_bands", {"bands": bands})
    assert len(problems) == 2
    assert all("甲" in en for _, _, en in problems)


def test_unknown_rule_lists_the_known_ones():
    problems = check_rule_params("piecewise", {})
    assert _codes("piecewise", {}) == ["unknown_rule"]
    assert all(name in problems[0][2] for name in RULES)


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        RULES["mine"] = RULES["ratio"]
    assert set(RULES) == {"default", "ratio", "qualitative_bands", "trim_over", "budget_execution"}


@pytest.mark.parametrize(("value", "blank"), [
    (None, True), ("", True), (" \t", True), (math.nan, True), (np.float64("nan"), True),
    (0, False), (0.0, False), ("0", False), ({}, False),
])
def test_is_blank(value, blank):
    assert is_blank(value) is blank


def test_docstring_examples_run():
    assert doctest.testmod(rule_params_module).failed == 0
