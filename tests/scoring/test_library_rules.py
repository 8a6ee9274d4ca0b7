"""Tests of scoring.library_rules: the library's rule parameters as the kernel's constants."""

from __future__ import annotations

import pandas as pd
import pytest

from indicators.errors import InputError
from indicators.frameworks import load_builtin
from indicators.model import Indicator, LibraryVersion, Project, Target, TargetTable
from scoring.library_rules import band_shares, rule_settings
from scoring.targets import target_rows


def library(*extra: Indicator) -> LibraryVersion:
    budget = Indicator("YS", "预算执行率", 1, direction="≥", rule="budget_execution",
                       rule_params={"full_at": 0.8}, weight=20)
    return LibraryVersion("test-lib", "1.0.0", "测试库", "target", (budget, *extra),
                          status="published")


RULED = library(
    Indicator("T1", "完成数量", 3, direction="≥", rule="trim_over",
              rule_params={"threshold": 1.5}),
    Indicator("R1", "单位成本", 3, direction="≤", rule="ratio"),
    Indicator("Q1", "群众满意度", 3, direction="定性", rule="qualitative_bands",
              rule_params={"bands": {"达成": [70, 100], "部分达成": [50, 70], "未达成": [0, 50]}}),
)


def ruled_table(code: str = "P1") -> TargetTable:
    p = Project(code, f"项目{code}", "县交通运输局", "一般公共预算", 100.0, 2021)
    return TargetTable(p, (
        Target(code, "T1", "完成数量", "产出指标", "数量指标", "≥", 30, 100.0),
        Target(code, "R1", "单位成本", "产出指标", "成本指标", "≤", 20, 50.0),
        Target(code, "Q1", "群众满意度", "满意度指标", "服务对象满意度指标", "定性", 20),
        Target(code, "OWN", "受益人数", "效益指标", "社会效益指标", "≥", 10, 10.0),
    ))


def test_band_shares_converts_percent_once():
    # DOMAIN.md §3: 达成 80–100 %, 部分达成 60–80 %, 未达成 0–60 % of the weight.
    assert band_shares({"达成": [80, 100], "部分达成": [60, 80], "未达成": [0, 60]}) == {
        "达成": (0.8, 1.0), "部分达成": (0.6, 0.8), "未达成": (0.0, 0.6)}


def test_band_shares_refuses_shares_and_bad_bands():
    with pytest.raises(InputError, match="percent"):
        band_shares({"达成": [0.8, 1.0], "部分达成": [0.6, 0.8], "未达成": [0, 0.6]})
    with pytest.raises(InputError, match="overlap"):
        band_shares({"达成": [70, 100], "部分达成": [60, 80], "未达成": [0, 60]})
    with pytest.raises(InputError):
        band_shares({"达成": [80, 120]})


def test_settings_come_from_the_library_with_their_sources():
    s = rule_settings(RULED, target_rows([ruled_table()], RULED))
    assert s.qualitative_bands == {"达成": (0.7, 1.0), "部分达成": (0.5, 0.7), "未达成": (0.0, 0.5)}
    assert (s.trim_over, s.budget_weight, s.budget_full_ratio) == (1.5, 20.0, 0.8)
    assert s.sources == {"qualitative_bands": "library: Q1", "trim_over": "library: T1",
                         "budget_execution": "library: YS"}
    assert s.kernel_params()["budget_weight"] == 20.0


def test_kernel_defaults_fill_what_the_library_leaves_out():
    rows = pd.DataFrame({"indicator": ["A"], "direction": ["定性"], "rule": ["default"],
                         "rule_params": ["{}"]})
    s = rule_settings(load_builtin("sector-catalogue"), rows)
    assert s.qualitative_bands["部分达成"] == (0.6, 0.8) and s.trim_over == 1.2
    assert (s.budget_weight, s.budget_full_ratio) == (10.0, 1.0)
    assert s.sources["budget_execution"].startswith("kernel default")


def test_conflicting_bands_are_refused_naming_both_indicators():
    lib = library(*RULED.indicators[1:],
                  Indicator("Q2", "办事便利度", 3, direction="定性", rule="default"))
    base = ruled_table()
    table = TargetTable(base.project, (*base.targets, Target(
        "P1", "Q2", "办事便利度", "满意度指标", "服务对象满意度指标", "定性", 0)))
    with pytest.raises(InputError) as err:
        rule_settings(lib, target_rows([table], lib))
    assert "Q1" in err.value.en and "Q2" in err.value.en


def test_several_thresholds_or_budget_indicators_are_refused():
    lib = library(*RULED.indicators[1:],
                  Indicator("OWN", "受益人数", 3, direction="≥", rule="trim_over",
                            rule_params={"threshold": 1.3}))
    with pytest.raises(InputError, match="thresholds differ"):
        rule_settings(lib, target_rows([ruled_table()], lib))
    two = library(Indicator("YS2", "预算执行率（二）", 1, rule="budget_execution", weight=10))
    with pytest.raises(InputError, match="several budget-execution"):
        rule_settings(two, target_rows([ruled_table()], two))


