"""Basics of the indicator library's domain values (indicators/model.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from indicators.errors import InputError
from indicators.model import (
    BudgetType,
    Category,
    ChangelogEntry,
    Direction,
    FrameworkKind,
    Indicator,
    LibraryVersion,
    Project,
    Status,
    Target,
    ValueBasis,
    parse_version,
)


def _library(**overrides) -> LibraryVersion:
    indicators = (
        Indicator("A", "产出指标", 1, category="产出", weight=60),
        Indicator("A1", "数量指标", 2, parent="A", weight=60),
        Indicator("A11", "维修里程", 3, parent="A1", direction="≥", unit="公里", weight=60,
                  value_basis="计划标准", rule="trim_over", rule_params={"threshold": 1.2},
                  valid_from=2021, valid_to=2025),
        Indicator("B", "满意度指标", 1, category="满意度", weight=40),
        Indicator("B1", "服务对象满意度", 2, parent="B", direction="定性", weight=40,
                  rule="qualitative_bands",
                  rule_params={"bands": {"达成": [80, 100], "未达成": [0, 80]}}),
    )
    fields = dict(framework_id="county-target", version="1.2.0", title="项目绩效目标指标库",
                  kind="target", indicators=indicators)
    fields.update(overrides)
    return LibraryVersion(**fields)


@pytest.mark.parametrize(("text", "expected"), [
    ("≥", Direction.HIGHER), (">=", Direction.HIGHER), (">", Direction.HIGHER),
    ("正向", Direction.HIGHER), ("越高越好", Direction.HIGHER), ("Higher", Direction.HIGHER),
    ("≤", Direction.LOWER), ("<=", Direction.LOWER), ("<", Direction.LOWER),
    ("反向", Direction.LOWER), ("越低越好", Direction.LOWER), ("LOWER", Direction.LOWER),
    ("=", Direction.EQUAL), ("等于", Direction.EQUAL), ("equal", Direction.EQUAL),
    ("定性", Direction.QUALITATIVE), (" qualitative ", Direction.QUALITATIVE),
    (Direction.LOWER, Direction.LOWER),
])
def test_direction_parse_accepts_symbols_aliases_and_words(text, expected):
    assert Direction.parse(text) is expected


def test_direction_parse_folds_full_width_signs():
    # What a Chinese input method types in full-width mode.
    assert Direction.parse("＞＝") is Direction.HIGHER
    assert Direction.parse("＜") is Direction.LOWER
    assert Direction.parse("　＝ ") is Direction.EQUAL


@pytest.mark.parametrize("bad", ["up", "", None, 1])
def test_direction_parse_rejects_unknown_values_bilingually(bad):
    with pytest.raises(InputError) as err:
        Direction.parse(bad, field_name="方向")
    assert err.value.location.field == "方向"
    assert f"'{bad}'" in err.value.zh and f"'{bad}'" in err.value.en
    assert "≥" in err.value.zh and "expected" in err.value.en


def test_indicator_coerces_enums_and_freezes_its_parameters():
    ind = Indicator("X", "x", 1, direction=">=", category="效益", value_basis="历史标准",
                    rule_params={"cap": 1.0})
    assert ind.direction is Direction.HIGHER and ind.is_quantitative
    assert ind.category is Category.BENEFIT and ind.value_basis is ValueBasis.HISTORY
    with pytest.raises(TypeError):
        ind.rule_params["cap"] = 2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        ind.name = "y"
    assert not Indicator("Q", "q", 1, direction="定性").is_quantitative
    assert ind.as_dict()["direction"] == "≥" and ind.as_dict()["rule_params"] == {"cap": 1.0}


def test_to_dict_from_dict_round_trip_keeps_every_field():
    original = _library(status="published", published_by="李", effective_year=2021,
                        published_at=datetime(2024, 3, 1, 9, 30), based_on="county-target@1.1.0",
                        source_documents=("财预〔2021〕101号",), description="示例",
                        changelog=(ChangelogEntry("1.2.0", "加入满意度", "李", "2024-03-01"),))
    data = original.to_dict()
    assert data["kind"] == "target" and data["status"] == "published"
    assert data["indicators"][2]["direction"] == "≥"
    assert "parent" not in data["indicators"][0]  # blanks are left out of the file layout
    again = LibraryVersion.from_dict(data)
    assert again == original
    assert again.to_dict() == data


def test_from_dict_names_an_unknown_top_level_field():
    data = _library().to_dict() | {"colour": "red"}
    with pytest.raises(InputError) as err:
        LibraryVersion.from_dict(data, file="lib.yaml")
    assert err.value.location.field == "colour" and err.value.location.file == "lib.yaml"
    assert "colour" in err.value.zh and "colour" in err.value.en


def test_from_dict_names_an_unknown_indicator_field_with_its_position():
    data = _library().to_dict()
    data["indicators"][1]["wieght"] = 3
    with pytest.raises(InputError) as err:
        LibraryVersion.from_dict(data)
    assert err.value.location.field == "indicators[2].wieght"
    assert "wieght" in err.value.en


@pytest.mark.parametrize("missing", ["framework_id", "version", "title", "kind"])
def test_from_dict_names_a_missing_required_field(missing):
    data = _library().to_dict()
    del data[missing]
    with pytest.raises(InputError) as err:
        LibraryVersion.from_dict(data)
    assert err.value.location.field == missing


def test_from_dict_reports_missing_indicator_fields_and_bad_values():
    data = _library().to_dict()
    del data["indicators"][0]["name"]
    with pytest.raises(InputError) as err:
        LibraryVersion.from_dict(data)
    assert err.value.location.field == "indicators[1].name"
    data = _library().to_dict()
    data["indicators"][2]["direction"] = "sideways"
    with pytest.raises(InputError) as err:
        LibraryVersion.from_dict(data)
    assert err.value.location.field == "indicators[3]" and "A11" in err.value.en
    with pytest.raises(InputError):
        LibraryVersion.from_dict(["not", "a", "mapping"])


def test_ref_status_and_version_format():
    lib = _library()
    assert lib.ref == "county-target@1.2.0"
    assert lib.status is Status.DRAFT and not lib.is_frozen
    assert _library(status="retired").is_frozen and lib.kind is FrameworkKind.TARGET
    assert parse_version("v2.10.3") == (2, 10, 3)
    with pytest.raises(InputError) as err:
        _library(version="1.2")
    assert err.value.location.field == "version"


def test_children_leaves_path_and_by_code():
    lib = _library()
    assert [i.code for i in lib.children(None)] == ["A", "B"]
    assert [i.code for i in lib.children("A")] == ["A1"]
    assert lib.children("A11") == ()
    assert [i.code for i in lib.leaves()] == ["A11", "B1"]
    assert [i.code for i in lib.path("A11")] == ["A", "A1", "A11"]
    assert [i.code for i in lib.path("B")] == ["B"]
    assert lib.path("missing") == ()
    assert lib.by_code["A1"].name == "数量指标"


def test_project_and_target_coerce_their_enums():
    project = Project("P1", "道路维修", "交通局", "政府性基金预算", 1.5e6, 2024)
    assert project.budget_type is BudgetType.FUND
    target = Target("P1", "T1", "维修里程", "产出指标", "数量指标", "正向", 50, 12, unit="公里")
    assert target.direction is Direction.HIGHER
