"""Diffs between library versions and the version bump they call for (indicators/changes.py)."""

from __future__ import annotations

import dataclasses
import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import indicators.changes as changes_module
from indicators.changes import (
    MAJOR_FIELDS,
    MINOR_FIELDS,
    PATCH_FIELDS,
    bump_version,
    diff,
)
from indicators.errors import InputError
from indicators.model import Indicator, LibraryVersion


def _library(*indicators: Indicator, version: str = "1.2.0", **fields) -> LibraryVersion:
    indicators = indicators or (
        Indicator("A", "产出指标", 1, weight=60),
        Indicator("A1", "数量指标", 2, parent="A", weight=60),
        Indicator("A11", "维修里程", 3, parent="A1", direction="≥", unit="公里", weight=60),
        Indicator("B", "效益指标", 1, weight=40),
        Indicator("B1", "满意度", 2, parent="B", direction="定性", weight=40),
    )
    return LibraryVersion("county", version, "指标库", fields.pop("kind", "target"),
                          tuple(indicators), **fields)


def _edit(library: LibraryVersion, code: str, /, **changes) -> LibraryVersion:
    return dataclasses.replace(library, version="9.9.9", indicators=tuple(
        dataclasses.replace(i, **changes) if i.code == code else i for i in library.indicators))


@pytest.mark.parametrize(("version", "part", "expected"), [
    ("1.2.3", "major", "2.0.0"), ("1.2.3", "minor", "1.3.0"), ("1.2.3", "patch", "1.2.4"),
    ("0.9.9", "minor", "0.10.0"), ("v3.0.0", "patch", "3.0.1"),
])
def test_bump_version(version, part, expected):
    assert bump_version(version, part) == expected


def test_bump_version_rejects_bad_input():
    with pytest.raises(InputError) as err:
        bump_version("1.2.3", "micro")
    assert err.value.location.field == "part" and "micro" in err.value.en
    with pytest.raises(InputError):
        bump_version("1.2", "minor")


def test_policy_covers_every_indicator_field_once():
    policy = [*MAJOR_FIELDS, *MINOR_FIELDS, *PATCH_FIELDS]
    assert len(policy) == len(set(policy))
    structural = {"code", "parent", "level", "weight"}  # matched, moved or reweighted
    assert set(policy) | structural == {f.name for f in dataclasses.fields(Indicator)}


def test_added_indicator_is_a_minor_change():
    old = _library()
    new = dataclasses.replace(old, indicators=(*old.indicators,
                                               Indicator("B2", "受益人数", 2, parent="B")))
    d = diff(old, new)
    assert [i.code for i in d.added] == ["B2"] and not d.removed
    assert (d.suggested_bump, d.suggested_version) == ("minor", "1.3.0")


def test_removed_indicator_is_a_major_change():
    old = _library()
    new = dataclasses.replace(old, indicators=old.indicators[:-1])
    d = diff(old, new)
    assert [i.code for i in d.removed] == ["B1"] and not d.added
    assert (d.suggested_bump, d.suggested_version) == ("major", "2.0.0")


def test_renamed_code_is_a_removal_and_an_addition():
    d = diff(_library(), _edit(_library(), "B1", code="B9"))
    assert [i.code for i in d.removed] == ["B1"] and [i.code for i in d.added] == ["B9"]
    assert d.suggested_bump == "major"


def test_moved_indicator_records_parents_and_levels():
    d = diff(_library(), _edit(_library(), "B1", parent="A", level=2))
    assert [(m.code, m.old_parent, m.new_parent, m.old_level, m.new_level) for m in d.moved] \
        == [("B1", "B", "A", 2, 2)]
    assert not d.changed and d.suggested_bump == "major"


@pytest.mark.parametrize(("field", "value", "bump"), [
    ("direction", "≤", "major"),
    ("unit", "千米", "minor"), ("rule", "ratio", "minor"), ("rule_params", {"cap": 1}, "minor"),
    ("category", "效益", "minor"), ("valid_to", 2030, "minor"),
    ("name", "道路维修里程", "patch"), ("explanation", "当年完成的里程", "patch"),
    ("source_document", "财预〔2021〕101号", "patch"),
])
def test_changed_field_and_its_bump(field, value, bump):
    old = _library()
    new = _edit(old, "A11", **{field: value})
    d = diff(old, new)
    assert len(d.changed) == 1
    change = d.changed[0]
    assert (change.code, change.field) == ("A11", field)
    assert change.old == getattr(old.by_code["A11"], field)
    assert change.new == getattr(new.by_code["A11"], field)
    assert d.suggested_bump == bump


def test_weight_changes_carry_old_new_and_delta():
    d = diff(_library(), _edit(_edit(_library(), "B1", weight=35), "B", weight=35))
    assert [(w.code, w.old, w.new, w.delta) for w in d.weights] == \
        [("B", 40, 35, -5), ("B1", 40, 35, -5)]
    assert d.suggested_bump == "minor" and not d.changed
    cleared = diff(_library(), _edit(_library(), "B1", weight=None))
    assert [(w.old, w.new, w.delta) for w in cleared.weights] == [(40, None, None)]


def test_metadata_changes():
    old = _library()
    d = diff(old, dataclasses.replace(old, title="新标题", description="说明"))
    assert {c.field for c in d.metadata} == {"title", "description"}
    assert d.suggested_bump == "patch" and not d.changed_codes()
    assert diff(old, dataclasses.replace(old, kind="evaluation")).suggested_bump == "major"


def test_frame_and_summaries():
    old = _library()
    new = _edit(_edit(old, "A11", unit="千米", weight=50), "A1", weight=50)
    new = dataclasses.replace(new, indicators=(*new.indicators[:-1],
                                               Indicator("A12", "新指标", 3, parent="A1")))
    d = diff(old, new)
    frame = d.to_frame()
    assert list(frame.columns) == ["change", "code", "name", "field", "old", "new"]
    rows = set(frame.itertuples(index=False, name=None))
    assert ("added", "A12", "新指标", None, None, None) in rows
    assert ("removed", "B1", "满意度", None, None, None) in rows
    assert ("changed", "A11", "维修里程", "unit", "公里", "千米") in rows
    assert ("weight", "A11", "维修里程", "weight", 60, 50) in rows
    assert len(frame) == 5
    assert d.changed_codes() == {"A12", "B1", "A11", "A1"}
    zh, en = d.summary_zh(), d.summary_en()
    assert zh.startswith("county@1.2.0 → county@9.9.9：新增 1 项，删除 1 项")
    assert "主版本" in zh and "2.0.0" in zh and "单位" in zh and "（-10）" in zh
    assert "1 added, 1 removed" in en and "major bump to 2.0.0" in en and "(-10)" in en
    assert len(zh.splitlines()) == len(en.splitlines()) == 1 + len(frame)


def test_an_unchanged_version_has_an_empty_diff():
    d = diff(_library(), _library())
    assert d.is_empty and d.suggested_bump is None and d.suggested_version == "1.2.0"
    assert d.to_frame().empty
    assert d.summary_en().endswith("no changes") and d.summary_zh().endswith("无变化")


@st.composite
def libraries(draw) -> LibraryVersion:
    """Random three-level trees with random weights (not necessarily balanced)."""
    weights = st.floats(min_value=0, max_value=100, allow_nan=False)
    indicators = []
    for a in range(draw(st.integers(1, 4))):
        indicators.append(Indicator(f"{a}", f"一级{a}", 1, weight=draw(weights)))
        for b in range(draw(st.integers(0, 3))):
            indicators.append(Indicator(f"{a}.{b}", f"二级{a}.{b}", 2, parent=f"{a}",
                                        weight=draw(weights)))
            for c in range(draw(st.integers(0, 2))):
                indicators.append(Indicator(f"{a}.{b}.{c}", f"三级{a}.{b}.{c}", 3,
                                            parent=f"{a}.{b}", direction="定性",
                                            weight=draw(weights)))
    return _library(*indicators)


@given(libraries())
@settings(max_examples=60, deadline=None)
def test_diff_of_a_version_with_itself_is_empty(library):
    d = diff(library, library)
    assert d.is_empty and d.suggested_bump is None and d.to_frame().empty


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_diff_after_random_reweights_lists_exactly_the_changed_codes(data):
    library = data.draw(libraries())
    codes = [i.code for i in library.indicators]
    chosen = data.draw(st.lists(st.sampled_from(codes), unique=True))
    # Shift by at least 0.01 so every chosen weight really changes.
    shifts = {code: data.draw(st.floats(min_value=0.01, max_value=50)) for code in chosen}
    new = dataclasses.replace(library, indicators=tuple(
        dataclasses.replace(i, weight=i.weight + shifts[i.code]) if i.code in shifts else i
        for i in library.indicators))
    d = diff(library, new)
    assert {w.code for w in d.weights} == set(chosen) == d.changed_codes()
    assert not (d.added or d.removed or d.moved or d.changed)
    for w in d.weights:
        assert w.delta == pytest.approx(shifts[w.code])
    assert d.suggested_bump == ("minor" if chosen else None)


def test_docstring_examples_run():
    assert doctest.testmod(changes_module).failed == 0
