"""Checks of a project's target table (indicators/target_checks.py), one failing and one passing
case per rule. The table follows the 产出-效益-满意度 layout of DOMAIN.md §2, weighted 90 so that
预算执行率 keeps its 10 points.
"""

from __future__ import annotations

import dataclasses
import doctest

import pytest

import indicators.target_checks as target_checks_module
from indicators.errors import ValidationError
from indicators.model import Indicator, LibraryVersion, Project, Target, TargetTable
from indicators.target_checks import check_target_table, validate_target_table
from indicators.validate import validate_target_table as reexported

REF = "county-target@1.0.0"
PROJECT = Project("P1", "农村道路维修", "交通运输局", "一般公共预算", 1_200_000, 2024)


def _table(**edits) -> TargetTable:
    targets = [
        Target("P1", "A11", "道路维修里程", "产出指标", "数量指标", "≥", 30, 12, unit="公里",
               library_ref=REF),
        Target("P1", "A21", "验收合格率", "产出指标", "质量指标", "≥", 20, 100, unit="%",
               library_ref=REF),
        Target("P1", "X1", "单位维修成本", "成本指标", "经济成本指标", "≤", 10, 8, unit="万元/公里"),
        Target("P1", "B11", "群众出行便利度", "效益指标", "社会效益指标", "定性", 20,
               target_text="明显改善", library_ref=REF),
        Target("P1", "C1", "服务对象满意度", "满意度指标", "服务对象满意度指标", "≥", 10, 90,
               unit="%", library_ref=REF),
    ]
    for code, changes in edits.items():
        targets = [dataclasses.replace(t, **changes) if t.indicator_code == code else t
                   for t in targets]
    return TargetTable(PROJECT, targets)


def _library() -> LibraryVersion:
    return LibraryVersion("county-target", "1.0.0", "项目绩效目标", "target", (
        Indicator("A11", "道路维修里程", 1, direction="≥", unit="公里"),
        Indicator("A21", "验收合格率", 1, direction="≥", unit="%"),
        Indicator("B11", "群众出行便利度", 1, direction="定性"),
        Indicator("C1", "服务对象满意度", 1, direction="≥", unit="%"),
    ), status="published")


def _issues(table, code, **kwargs):
    return [i for i in validate_target_table(table, **kwargs) if i.code == code]


def _assert_names(issue, code: str, field: str) -> None:
    assert issue.location.field == f"{code}.{field}"
    assert code in issue.zh and code in issue.en


def test_the_reference_table_passes_every_rule():
    assert validate_target_table(_table(), _library()) == []
    check_target_table(_table(), _library())
    assert reexported is validate_target_table


def test_empty_table():
    found = validate_target_table(TargetTable(PROJECT))
    assert [i.code for i in found] == ["empty_target_table"]
    assert "P1" in found[0].zh and "P1" in found[0].en


@pytest.mark.parametrize(("code", "level1", "missing"), [
    ("C1", "效益指标", "满意度"), ("B11", "产出指标", "效益"),
])
def test_missing_first_level(code, level1, missing):
    found = _issues(_table(**{code: {"level1": level1}}), "missing_first_level")
    assert len(found) == 1
    assert missing in found[0].zh and found[0].location.field == "level1"


def test_missing_output_first_level():
    table = _table(A11={"level1": "成本指标"}, A21={"level1": "成本指标"})
    found = _issues(table, "missing_first_level")
    assert len(found) == 1 and "output" in found[0].en


def test_unknown_first_level():
    found = _issues(_table(X1={"level1": "投入指标"}), "unknown_first_level")
    assert len(found) == 1
    _assert_names(found[0], "X1", "level1")


def test_weights_must_sum_to_the_expected_total():
    found = _issues(_table(C1={"weight": 5}), "weights_not_expected_total")
    assert len(found) == 1
    assert "85" in found[0].en and "90" in found[0].en
    # Without a budget-execution share the table itself must make 100.
    assert _issues(_table(), "weights_not_expected_total", expected_total=100.0)
    assert not _issues(_table(C1={"weight": 20}), "weights_not_expected_total",
                       expected_total=100.0)


def test_weight_negative():
    found = _issues(_table(X1={"weight": -10}), "weight_negative")
    assert len(found) == 1
    _assert_names(found[0], "X1", "weight")
    assert "-10" in found[0].en


@pytest.mark.parametrize("weight", [None, "十", float("inf"), True])
def test_invalid_weight(weight):
    found = _issues(_table(X1={"weight": weight}), "invalid_weight")
    assert len(found) == 1
    _assert_names(found[0], "X1", "weight")
    # The other weights still count: 80 of the expected 90.
    assert "80" in _issues(_table(X1={"weight": weight}), "weights_not_expected_total")[0].en


@pytest.mark.parametrize("value", [None, float("nan"), "12"])
def test_quantitative_targets_need_numeric_values(value):
    found = _issues(_table(A11={"target_value": value}), "missing_target_value")
    assert len(found) == 1
    _assert_names(found[0], "A11", "target_value")


def test_quantitative_targets_need_units():
    found = _issues(_table(A21={"unit": " "}), "missing_unit")
    assert len(found) == 1
    _assert_names(found[0], "A21", "unit")
    assert not _issues(_table(B11={"unit": ""}), "missing_unit")


def test_qualitative_targets_need_a_written_target():
    found = _issues(_table(B11={"target_text": ""}), "missing_target_text")
    assert len(found) == 1
    _assert_names(found[0], "B11", "target_text")


def test_duplicate_names_and_codes():
    found = _issues(_table(X1={"name": "验收合格率"}), "duplicate_indicator_name")
    assert len(found) == 1
    _assert_names(found[0], "X1", "name")
    assert "2" in found[0].en  # the line it repeats
    found = _issues(_table(X1={"indicator_code": "A21"}), "duplicate_code")
    assert len(found) == 1 and found[0].location.field == "A21.indicator_code"


def test_project_mismatch():
    found = _issues(_table(C1={"project_code": "P2"}), "project_mismatch")
    assert len(found) == 1
    _assert_names(found[0], "C1", "project_code")


def test_library_codes_must_exist_and_match():
    library = _library()
    found = _issues(_table(A21={"indicator_code": "A29"}), "unknown_indicator", library=library)
    assert len(found) == 1
    _assert_names(found[0], "A29", "indicator_code")
    assert REF in found[0].en
    found = _issues(_table(A21={"library_ref": "county-target@0.9.0"}), "library_mismatch",
                    library=library)
    assert len(found) == 1 and "0.9.0" in found[0].en
    found = _issues(_table(C1={"direction": "≤"}), "direction_mismatch", library=library)
    assert len(found) == 1
    _assert_names(found[0], "C1", "direction")
    # The project's own indicators (no library_ref) and tables checked without a library pass.
    assert not _issues(_table(A21={"indicator_code": "A29"}), "unknown_indicator")
    assert not _issues(_table(), "unknown_indicator", library=library)


def test_check_target_table_raises_with_every_issue():
    table = _table(A11={"unit": ""}, B11={"target_text": ""})
    with pytest.raises(ValidationError) as err:
        check_target_table(table)
    assert [i.code for i in err.value.issues] == ["missing_unit", "missing_target_text"]


def test_docstring_examples_run():
    assert doctest.testmod(target_checks_module).failed == 0
