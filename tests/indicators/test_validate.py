"""Every rule of the library checks (indicators/validate.py): one failing and one passing case.

The passing library is a small project target tree in the shape of DOMAIN.md §2: 预算执行率 10,
产出 50, 效益 30, 满意度 10, three levels deep, children summing to their parents.
"""

from __future__ import annotations

import doctest
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import indicators.validate as validate_module
from indicators.errors import ValidationError
from indicators.model import Indicator, LibraryVersion
from indicators.validate import check_library, validate_library, validate_records

BANDS = {"达成": [80, 100], "部分达成": [60, 80], "未达成": [0, 60]}


def _library(kind: str = "target") -> LibraryVersion:
    return LibraryVersion("county-target", "1.0.0", "项目绩效目标", kind, (
        Indicator("A", "产出指标", 1, category="产出", weight=50),
        Indicator("A1", "数量指标", 2, parent="A", weight=30),
        Indicator("A11", "道路维修里程", 3, parent="A1", direction="≥", unit="公里", weight=30,
                  rule="trim_over", rule_params={"threshold": 1.2}),
        Indicator("A2", "质量指标", 2, parent="A", weight=20),
        Indicator("A21", "验收合格率", 3, parent="A2", direction="≥", unit="%", weight=20,
                  rule="ratio", rule_params={"cap": 1.0}),
        Indicator("B", "效益指标", 1, category="效益", weight=30),
        Indicator("B1", "社会效益指标", 2, parent="B", weight=30),
        Indicator("B11", "群众出行便利度", 3, parent="B1", direction="定性", weight=30,
                  rule="qualitative_bands", rule_params={"bands": BANDS},
                  valid_from=2021, valid_to=2025),
        Indicator("C", "满意度指标", 1, category="满意度", weight=10),
        Indicator("C1", "服务对象满意度", 2, parent="C", direction="≥", unit="%", weight=10,
                  value_basis="历史标准"),
        Indicator("D", "预算执行率", 1, category="预算执行", direction="≥", unit="%", weight=10,
                  rule="budget_execution", rule_params={"full_at": 1.0}),
    ))


def _records(kind: str = "target") -> list[dict]:
    return [ind.as_dict() for ind in _library(kind).indicators]


def _edit(records: list[dict], code: str, /, **changes) -> list[dict]:
    return [{**r, **changes} if r["code"] == code else dict(r) for r in records]


def _issues(records: list[dict], code: str, kind: str = "target"):
    return [i for i in validate_records(records, kind) if i.code == code]


def _assert_names(issue, code: str, field: str) -> None:
    assert issue.location.field == f"{code}.{field}"
    assert f"{code}" in issue.zh and f"{code}" in issue.en


def test_the_reference_library_passes_every_rule():
    assert validate_library(_library()) == []
    check_library(_library())
    assert validate_records(_records(), "target") == []


@pytest.mark.parametrize(("field", "issue_code"), [("code", "missing_code"),
                                                  ("name", "missing_name")])
@pytest.mark.parametrize("blank", [None, "", "  ", math.nan])
def test_missing_code_and_name(field, issue_code, blank):
    records = _edit(_records(), "C1", **{field: blank})
    found = _issues(records, issue_code)
    assert len(found) == 1
    if field == "name":
        _assert_names(found[0], "C1", "name")
    else:
        assert found[0].location.field == "indicators[10].code"
        assert "第 10 条指标" in found[0].zh and "#10" in found[0].en


def test_duplicate_code_names_both_rows():
    records = _records()
    records.append({**records[-1], "name": "预算执行率（重复）"})
    found = _issues(records, "duplicate_code")
    assert len(found) == 1
    _assert_names(found[0], "D", "code")
    assert "第 11 条" in found[0].zh and "#11" in found[0].en
    assert "预算执行率（重复）" in found[0].zh


def test_unknown_parent():
    found = _issues(_edit(_records(), "A21", parent="A9"), "unknown_parent")
    assert len(found) == 1
    _assert_names(found[0], "A21", "parent")
    assert "A9" in found[0].en
    assert _issues(_records(), "unknown_parent") == []


def test_cycle_is_reported_once_with_its_chain():
    records = _edit(_records(), "A", parent="A11")
    found = _issues(records, "cycle")
    assert len(found) == 1
    _assert_names(found[0], "A", "parent")
    assert "A → A11 → A1 → A" in found[0].en
    self_loop = _issues(_edit(_records(), "D", parent="D"), "cycle")
    assert len(self_loop) == 1 and "D → D" in self_loop[0].zh
    assert _issues(_records(), "cycle") == []


@given(st.lists(st.integers(min_value=-1, max_value=7), min_size=1, max_size=8))
@settings(max_examples=150, deadline=None)
def test_cycles_match_a_walk_along_the_parents(parents):
    n = len(parents)
    parents = [p if p < n else -1 for p in parents]
    records = [{"code": f"N{i}", "name": f"n{i}", "level": 1, "weight": 1, "direction": "定性",
                "parent": f"N{p}" if p >= 0 else None} for i, p in enumerate(parents)]

    def on_cycle(i: int) -> bool:
        node = parents[i]
        for _ in range(n):
            if node == i:
                return True
            if node < 0:
                return False
            node = parents[node]
        return False

    members = {i for i in range(n) if on_cycle(i)}
    cycles = {frozenset(k for k in members if on_cycle(k) and _reaches(parents, i, k))
              for i in members}
    expected_first = sorted(min(cycle) for cycle in cycles)
    found = _issues(records, "cycle")
    assert sorted(int(i.location.field.split(".")[0][1:]) for i in found) == expected_first


def _reaches(parents: list[int], start: int, goal: int) -> bool:
    node = parents[start]
    for _ in range(len(parents)):
        if node == goal:
            return True
        if node < 0:
            return False
        node = parents[node]
    return False


@pytest.mark.parametrize("level", ["x", None, 2.5])
def test_invalid_level(level):
    found = _issues(_edit(_records(), "B1", level=level), "invalid_level")
    assert len(found) == 1
    _assert_names(found[0], "B1", "level")
    assert _issues(_edit(_records(), "B1", level="2"), "invalid_level") == []


def test_level_out_of_range():
    records = _records() + [{"code": "A111", "name": "第四级", "level": 4, "parent": "A11",
                             "direction": "定性", "weight": 30}]
    found = _issues(records, "level_out_of_range")
    assert len(found) == 1
    _assert_names(found[0], "A111", "level")
    assert "1–3" in found[0].en


@pytest.mark.parametrize(("code", "changes", "mentions"), [
    ("A21", {"level": 2}, "plus one (3)"),          # child not one below its parent
    ("D", {"level": 2}, "level must be 1"),          # first level has no parent
    ("C", {"parent": "D", "level": 1}, "plus one (2)"),  # a parent forces level 2
])
def test_level_mismatch(code, changes, mentions):
    found = _issues(_edit(_records(), code, **changes), "level_mismatch")
    assert len(found) == 1
    _assert_names(found[0], code, "level")
    assert mentions in found[0].en


def test_levels_agree_in_the_reference_tree():
    assert _issues(_records(), "level_mismatch") == []
    assert _issues(_records(), "level_out_of_range") == []


@pytest.mark.parametrize(("field", "issue_code", "bad", "good"), [
    ("direction", "unknown_direction", "越大越好", "正向"),
    ("category", "unknown_category", "产量", "产出"),
    ("value_basis", "unknown_value_basis", "国际标准", "行业标准"),
])
def test_unknown_enum_values_are_reported_per_row(field, issue_code, bad, good):
    found = _issues(_edit(_records(), "A21", **{field: bad}), issue_code)
    assert len(found) == 1
    _assert_names(found[0], "A21", field)
    assert bad in found[0].zh and bad in found[0].en
    assert _issues(_edit(_records(), "A21", **{field: good}), issue_code) == []


def test_leaf_without_direction():
    found = _issues(_edit(_records(), "B11", direction=None), "leaf_without_direction")
    assert len(found) == 1
    _assert_names(found[0], "B11", "direction")
    # A parent needs no direction; its leaves carry them.
    assert _issues(_records(), "leaf_without_direction") == []


@pytest.mark.parametrize("direction", ["≥", "≤", "="])
def test_missing_unit_on_quantitative_leaves(direction):
    found = _issues(_edit(_records(), "A11", direction=direction, unit=""), "missing_unit")
    assert len(found) == 1
    _assert_names(found[0], "A11", "unit")
    assert direction in found[0].zh
    assert _issues(_edit(_records(), "B11", unit=""), "missing_unit") == []  # qualitative


def test_unknown_rule():
    found = _issues(_edit(_records(), "A21", rule="linear"), "unknown_rule")
    assert len(found) == 1
    _assert_names(found[0], "A21", "rule")
    assert "linear" in found[0].en and "ratio" in found[0].en
    assert _issues(_edit(_records(), "A21", rule="default", rule_params={}), "unknown_rule") == []


@pytest.mark.parametrize(("rule", "params", "mentions"), [
    ("ratio", {"cap": 0}, "cap"),
    ("ratio", {"limit": 1}, "limit"),
    ("default", {"cap": 1}, "cap"),
    ("trim_over", {"threshold": 0.9}, "threshold"),
    ("trim_over", {}, "threshold"),
    ("budget_execution", {"full_at": 1.5}, "full_at"),
    ("qualitative_bands", {"bands": {"达成": [80, 110]}}, "达成"),
    ("qualitative_bands", {"bands": {"达成": [70, 100], "部分达成": [60, 80]}}, "overlap"),
    ("qualitative_bands", {"bands": []}, "bands"),
    ("ratio", "cap=1", "mapping"),
])
def test_invalid_rule_params(rule, params, mentions):
    found = _issues(_edit(_records(), "A21", rule=rule, rule_params=params), "invalid_rule_params")
    assert found
    _assert_names(found[0], "A21", "rule_params")
    assert mentions in " ".join(i.en for i in found)


def test_touching_bands_and_optional_params_pass():
    records = _edit(_records(), "A21", rule="qualitative_bands", rule_params={"bands": BANDS})
    records = _edit(records, "D", rule="budget_execution", rule_params=None)
    records = _edit(records, "A11", rule="ratio", rule_params={})
    assert validate_records(records, "target") == []


@pytest.mark.parametrize("weight", ["三十", "", math.inf])
def test_invalid_or_missing_weight(weight):
    issue_code = "missing_weight" if weight == "" else "invalid_weight"
    found = _issues(_edit(_records(), "C1", weight=weight), issue_code)
    assert len(found) == 1
    _assert_names(found[0], "C1", "weight")


def test_weight_negative_in_every_kind():
    for kind in ("target", "catalogue"):
        found = _issues(_edit(_records(kind), "C1", weight=-10), "weight_negative", kind)
        assert len(found) == 1
        _assert_names(found[0], "C1", "weight")


def test_weights_not_sum_to_parent_states_both_sums():
    found = _issues(_edit(_records(), "A21", weight=19.5), "weights_not_sum_to_parent")
    assert len(found) == 1
    _assert_names(found[0], "A2", "weight")
    assert "19.5" in found[0].en and "20" in found[0].en
    assert "19.5" in found[0].zh and "20" in found[0].zh
    # Within the 1e-6 tolerance float noise is not an issue.
    assert _issues(_edit(_records(), "A21", weight=20 + 1e-9), "weights_not_sum_to_parent") == []


@given(st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), min_size=1, max_size=6),
       st.floats(min_value=0, max_value=100, allow_nan=False))
@settings(max_examples=100, deadline=None)
def test_sum_check_agrees_with_a_plain_sum(child_weights, parent_weight):
    records = [{"code": "P", "name": "上级", "level": 1, "weight": parent_weight}]
    records += [{"code": f"P{i}", "name": f"下级{i}", "level": 2, "parent": "P", "weight": w,
                 "direction": "定性"} for i, w in enumerate(child_weights)]
    flagged = bool(_issues(records, "weights_not_sum_to_parent"))
    assert flagged == (abs(math.fsum(child_weights) - parent_weight) > 1e-6)


def test_tree_not_100_lists_the_first_level():
    found = _issues(_edit(_records(), "D", weight=5), "tree_not_100")
    assert len(found) == 1
    assert found[0].location.field == "weight"
    assert "95" in found[0].en and "A, B, C, D" in found[0].en and "A、B、C、D" in found[0].zh


def test_catalogues_need_no_weights_and_no_sums():
    records = [{**r, "weight": None} for r in _records("catalogue")]
    assert validate_records(records, "catalogue") == []
    records = _edit(_records("catalogue"), "D", weight=5)  # sums are not checked either
    assert validate_records(records, "catalogue") == []
    assert _issues([{**r, "weight": None} for r in _records()], "missing_weight")


@pytest.mark.parametrize(("changes", "mentions"), [
    ({"valid_from": 2026, "valid_to": 2025}, "2026"),
    ({"valid_from": "二〇二一"}, "二〇二一"),
    ({"valid_to": 2025.5}, "2025.5"),
])
def test_validity_years(changes, mentions):
    found = _issues(_edit(_records(), "B11", **changes), "validity_years")
    assert len(found) == 1
    assert found[0].location.field.startswith("B11.valid_")
    assert "B11" in found[0].zh and mentions in found[0].en
    assert _issues(_edit(_records(), "B11", valid_from=2025, valid_to=2025), "validity_years") == []


def test_empty_library():
    empty = LibraryVersion("x", "1.0.0", "空", "target")
    assert [i.code for i in validate_library(empty)] == ["empty_library"]
    assert "x@1.0.0" in validate_library(empty)[0].en


def test_rows_read_by_pandas_report_file_sheet_row_and_column():
    frame = pd.DataFrame(_edit(_records(), "A21", direction="大于"))
    records = frame.where(frame.notna(), math.nan).to_dict("records")  # blanks arrive as NaN
    assert any(isinstance(r["parent"], float) and math.isnan(r["parent"]) for r in records)
    issues = validate_records(records, "target", rows=range(2, 2 + len(records)),
                              file="指标库.xlsx", sheet="指标", columns={"direction": "方向"})
    assert [i.code for i in issues] == ["unknown_direction"]
    location = issues[0].location
    assert (location.file, location.sheet, location.row, location.column) == \
        ("指标库.xlsx", "指标", 6, "方向")
    assert "第 6 行" in issues[0].message("zh") and "row 6" in issues[0].message("en")


def test_numeric_codes_from_a_spreadsheet_match_their_parents():
    # pandas reads a numeric code column as int and a parent column with blanks as float.
    frame = pd.DataFrame({"code": [1, 11, 12], "name": ["产出", "数量", "质量"],
                          "level": [1, 2, 2], "parent": [None, 1, 1],
                          "weight": [100, 60, 40], "direction": [None, "定性", "定性"]})
    assert frame["parent"].dtype == float
    assert validate_records(frame.to_dict("records"), "target") == []
    found = _issues(frame.assign(parent=[None, 1, 2]).to_dict("records"), "unknown_parent")
    assert [i.location.field for i in found] == ["12.parent"] and "'2'" in found[0].en


def test_check_library_raises_with_every_issue():
    records = _edit(_edit(_records(), "A21", weight=-1, direction="?"), "D", unit="", weight=5)
    library = LibraryVersion("x", "1.0.0", "t", "target",
                             tuple(Indicator(**{**r, "direction": None}) if r["code"] == "A21"
                                   else Indicator(**r) for r in records))
    with pytest.raises(ValidationError) as err:
        check_library(library)
    codes = sorted(i.code for i in err.value.issues)
    assert codes == sorted(i.code for i in validate_library(library))
    assert {"weight_negative", "leaf_without_direction", "missing_unit",
            "weights_not_sum_to_parent", "tree_not_100"} <= set(codes)


def test_issues_come_row_by_row():
    records = _edit(_edit(_records(), "D", unit=""), "A11", unit="")
    fields = [i.location.field for i in validate_records(records, "target")]
    assert fields == ["A11.unit", "D.unit"]


def test_docstring_examples_run():
    assert doctest.testmod(validate_module).failed == 0
