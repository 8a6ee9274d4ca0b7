"""The life of a library version (indicators/versioning.py): drafts, edits, publishing, retiring."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import indicators.versioning as versioning_module
from indicators.errors import (
    ConflictError,
    ImmutableVersionError,
    InputError,
    NotFoundError,
    ValidationError,
)
from indicators.model import Direction, Indicator, LibraryVersion, Status
from indicators.versioning import (
    add_indicator,
    diff,
    edit_indicator,
    move_indicator,
    publish,
    remove_indicator,
    retire,
    reweight,
    start_draft,
)

AT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _library(status: str = "published", version: str = "1.0.0") -> LibraryVersion:
    # Weights after DOMAIN.md §2: 预算执行率 10, 产出 50, 效益 30, 满意度 10.
    return LibraryVersion("county-target", version, "项目绩效目标", "target", (
        Indicator("A", "产出指标", 1, weight=50),
        Indicator("A1", "数量指标", 2, parent="A", weight=30),
        Indicator("A11", "道路维修里程", 3, parent="A1", direction="≥", unit="公里", weight=30),
        Indicator("A2", "质量指标", 2, parent="A", weight=20),
        Indicator("A21", "验收合格率", 3, parent="A2", direction="≥", unit="%", weight=20),
        Indicator("B", "效益指标", 1, weight=30),
        Indicator("B1", "群众出行便利度", 2, parent="B", direction="定性", weight=30),
        Indicator("C", "服务对象满意度", 1, direction="≥", unit="%", weight=10),
        Indicator("D", "预算执行率", 1, direction="≥", unit="%", weight=10),
    ), status=status)


def _draft() -> LibraryVersion:
    return start_draft(_library(), author="王", at=AT)


def _codes(version: LibraryVersion) -> list[str]:
    return [i.code for i in version.indicators]


WRITES = {
    "add_indicator": lambda v: add_indicator(v, Indicator("E", "新指标", 1)),
    "remove_indicator": lambda v: remove_indicator(v, "D"),
    "move_indicator": lambda v: move_indicator(v, "B1", "A"),
    "reweight": lambda v: reweight(v, {"D": 5}),
    "edit_indicator": lambda v: edit_indicator(v, "D", name="预算执行"),
    "publish": lambda v: publish(v, by="李", changelog="再次发布", at=AT),
}


@pytest.mark.parametrize("status", ["published", "retired"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_write_refuses_a_frozen_version(write, status):
    frozen = _library(status)
    with pytest.raises(ImmutableVersionError) as err:
        WRITES[write](frozen)
    assert "county-target@1.0.0" in err.value.zh and "county-target@1.0.0" in err.value.en
    assert status in err.value.en and ("已发布" if status == "published" else "已停用") in err.value.zh
    assert frozen == _library(status)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_write_leaves_its_input_draft_untouched(write):
    draft = _draft()
    WRITES[write](draft)
    assert draft == _draft()


def test_retired_versions_cannot_be_retired_again_and_drafts_are_not_retired():
    with pytest.raises(ImmutableVersionError) as err:
        retire(_library("retired"), by="李", reason="再停用")
    assert "county-target@1.0.0" in err.value.en and "retired" in err.value.en
    with pytest.raises(ConflictError):
        retire(_draft(), by="李", reason="不用了")


def test_start_draft_from_published_or_retired():
    draft = _draft()
    assert (draft.version, draft.status, draft.based_on) == \
        ("1.1.0", Status.DRAFT, "county-target@1.0.0")
    assert draft.published_by is None and draft.published_at is None
    assert draft.changelog[-1].author == "王" and draft.changelog[-1].date == "2024-03-01"
    assert draft.indicators == _library().indicators
    assert start_draft(_library("retired"), new_version="2.0.0").version == "2.0.0"


def test_start_draft_refuses_drafts_and_earlier_versions():
    with pytest.raises(ConflictError):
        start_draft(_library("draft"))
    for version in ("1.0.0", "0.9.0"):
        with pytest.raises(InputError) as err:
            start_draft(_library(), new_version=version)
        assert err.value.location.field == "version"


def test_add_indicator_places_it_after_its_parents_subtree():
    added = add_indicator(_draft(), Indicator("A12", "维修桥梁", 3, parent="A1", direction="≥",
                                              unit="座"))
    assert _codes(added) == ["A", "A1", "A11", "A12", "A2", "A21", "B", "B1", "C", "D"]
    top = add_indicator(_draft(), Indicator("E", "成本指标", 1))
    assert _codes(top)[-1] == "E"


@pytest.mark.parametrize(("indicator", "error"), [
    (Indicator("A1", "重复", 2, parent="A"), InputError),
    (Indicator("X", "孤儿", 2, parent="Z"), NotFoundError),  # reported on X.parent
    (Indicator("X", "层级错", 3, parent="A"), InputError),
    (Indicator("X", "第四级", 4, parent="A11"), InputError),
    (Indicator("", "无编码", 1), InputError),
])
def test_add_indicator_refuses_inconsistent_indicators(indicator, error):
    with pytest.raises(error):
        add_indicator(_draft(), indicator)


def test_remove_indicator_with_children_needs_cascade():
    with pytest.raises(ConflictError) as err:
        remove_indicator(_draft(), "A")
    assert "A1" in err.value.en and "A2" in err.value.en
    assert _codes(remove_indicator(_draft(), "A", cascade=True)) == ["B", "B1", "C", "D"]
    assert _codes(remove_indicator(_draft(), "A21")) == ["A", "A1", "A11", "A2", "B", "B1", "C",
                                                         "D"]
    with pytest.raises(NotFoundError):
        remove_indicator(_draft(), "Z")


def test_move_indicator_relevels_the_subtree():
    moved = move_indicator(_draft(), "A2", "B")
    levels = {i.code: (i.parent, i.level) for i in moved.indicators}
    assert levels["A2"] == ("B", 2) and levels["A21"] == ("A2", 3)
    assert _codes(moved) == ["A", "A1", "A11", "B", "B1", "A2", "A21", "C", "D"]
    up = move_indicator(_draft(), "A2", None)
    assert {i.code: i.level for i in up.indicators}["A21"] == 2
    assert up.by_code["A2"].parent is None


@pytest.mark.parametrize(("code", "new_parent", "error"), [
    ("A", "A11", InputError),     # under its own descendant
    ("A", "A", InputError),       # under itself
    ("A1", "A2", InputError),     # A11 would sit at level 4
    ("A1", "Z", NotFoundError),
    ("Z", "A", NotFoundError),
])
def test_move_indicator_refuses_cycles_depth_and_unknown_codes(code, new_parent, error):
    with pytest.raises(error):
        move_indicator(_draft(), code, new_parent)


def test_reweight():
    draft = reweight(_draft(), {"C": 5, "D": 15})
    assert (draft.by_code["C"].weight, draft.by_code["D"].weight) == (5.0, 15.0)
    assert draft.by_code["A"].weight == 50
    with pytest.raises(NotFoundError):
        reweight(_draft(), {"Z": 1})
    for bad in (-1, float("nan"), float("inf"), "十", True):
        with pytest.raises(InputError) as err:
            reweight(_draft(), {"D": bad})
        assert err.value.location.field == "D.weight"


def test_edit_indicator_renames_and_repoints_children():
    edited = edit_indicator(_draft(), "A1", code="OUT-QTY", name="产出数量")
    assert _codes(edited)[1] == "OUT-QTY"
    assert edited.by_code["A11"].parent == "OUT-QTY"
    assert edited.by_code["OUT-QTY"].name == "产出数量"
    aliased = edit_indicator(_draft(), "C", direction="越低越好", rule_params={"cap": 1})
    assert aliased.by_code["C"].direction is Direction.LOWER


@pytest.mark.parametrize(("changes", "field"), [
    ({"parent": "B"}, "A11.parent"), ({"level": 2}, "A11.level"), ({"colour": "红"}, "A11.colour"),
    ({"code": "A21"}, "A11.code"), ({"name": " "}, "A11.code"),
    ({"category": "产量"}, "A11.category"), ({"direction": "上"}, "A11.direction"),
    ({"weight": -3}, "A11.weight"),
])
def test_edit_indicator_refuses_bad_changes(changes, field):
    with pytest.raises(InputError) as err:
        edit_indicator(_draft(), "A11", **changes)
    assert err.value.location.field == field
    # People read message(), which leaves ``field`` out: the indicator is named in the text.
    assert "A11" in err.value.message("zh") and "A11" in err.value.message("en")


def test_a_value_the_model_refuses_is_reported_with_the_indicator_code():
    with pytest.raises(InputError) as err:
        edit_indicator(_draft(), "A11", category="产量")
    assert err.value.message("zh").startswith("指标 A11：'产量' 不是有效的取值")
    assert err.value.message("en").startswith("indicator A11: '产量' is not a valid value")
    assert err.value.location.field == "A11.category"


@pytest.mark.parametrize(("indicator", "zh", "en"), [
    (Indicator("", "无编码", 1), "指标 无编码 的编码和名称不能为空",
     "indicator 无编码 needs a code and a name"),
    (Indicator("E", " ", 1), "指标 E 的编码和名称不能为空", "indicator E needs a code and a name"),
    (Indicator("", "", 1), "指标编码和名称不能为空", "an indicator needs a code and a name"),
    (Indicator("X", "第四级", 4, parent="A11"), "指标 X 将位于第 4 级", "indicator X would be at "
     "level 4"),
])
def test_add_indicator_names_the_indicator_it_refuses(indicator, zh, en):
    with pytest.raises(InputError) as err:
        add_indicator(_draft(), indicator)
    assert err.value.message("zh").startswith(zh)
    assert err.value.message("en").startswith(en)


def test_publish_refuses_an_invalid_draft_with_every_issue():
    broken = reweight(_draft(), {"A11": 25, "D": 0})
    broken = edit_indicator(broken, "C", unit="")
    with pytest.raises(ValidationError) as err:
        publish(broken, by="李", changelog="调整", at=AT)
    assert {i.code for i in err.value.issues} == {"weights_not_sum_to_parent", "tree_not_100",
                                                  "missing_unit"}
    with pytest.raises(InputError):
        publish(_draft(), by=" ", changelog="调整")
    with pytest.raises(InputError):
        publish(_draft(), by="李", changelog="")


def test_draft_edit_publish_round():
    v1 = _library()
    draft = start_draft(v1, author="王", at=AT)
    draft = add_indicator(draft, Indicator("A12", "维修桥梁", 3, parent="A1", direction="≥",
                                           unit="座"))
    draft = reweight(draft, {"A11": 20, "A12": 10})
    draft = edit_indicator(draft, "B1", explanation="群众出行时间缩短情况")
    change = diff(v1, draft)
    assert [i.code for i in change.added] == ["A12"]
    assert {w.code for w in change.weights} == {"A11"}  # A12 is new, not reweighted
    assert [(c.code, c.field) for c in change.changed] == [("B1", "explanation")]
    assert change.suggested_version == draft.version == "1.1.0"

    v2 = publish(draft, by="李", changelog=change.summary_zh(), at=AT)
    assert (v2.status, v2.published_by, v2.published_at) == (Status.PUBLISHED, "李", AT)
    assert v2.based_on == v1.ref and v2.changelog[-1].text.startswith(v1.ref)
    assert [e.author for e in v2.changelog] == ["王", "李"]
    assert diff(draft, v2).is_empty
    with pytest.raises(ImmutableVersionError):
        reweight(v2, {"A11": 30})

    retired = retire(v1, by="李", reason="由 1.1.0 取代", at=AT)
    assert retired.status is Status.RETIRED and "1.1.0" in retired.changelog[-1].text
    assert retired.indicators == v1.indicators


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_reweighting_a_draft_diffs_to_exactly_the_reweighted_codes(data):
    published = _library()
    draft = start_draft(published, at=AT)
    assert diff(published, draft).changed_codes() == frozenset()
    chosen = data.draw(st.lists(st.sampled_from(_codes(published)), unique=True))
    new = {code: published.by_code[code].weight + data.draw(st.integers(1, 20))
           for code in chosen}
    d = diff(published, reweight(draft, new))
    assert {w.code for w in d.weights} == set(chosen) == d.changed_codes()


def test_docstring_examples_run():
    assert doctest.testmod(versioning_module).failed == 0
