"""The tables behind the library pages: tree, search, edit grid round trip, weight sums, diff colours.

Expected values are worked out by hand from the small trees built here.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.changes import diff
from indicators.errors import ConflictError, InputError, NotFoundError
from indicators.model import Indicator, LibraryVersion
from indicators.ui_frames import (
    DIFF_COLOURS,
    GRID_FIELDS,
    ORIGINAL,
    apply_grid,
    diff_styler,
    filter_codes,
    grid_frame,
    tree_frame,
    weight_sums,
)
from indicators.validate import validate_library


def draft() -> LibraryVersion:
    """产出 60 (数量 40: 完成率 25 + 完成数 15; 质量 20: 合格率 20), 满意度 40 (群众满意度 40)."""
    return LibraryVersion("demo", "1.1.0", "示例", "target", (
        Indicator("CC", "产出指标", 1, category="产出", weight=60),
        Indicator("CC01", "数量指标", 2, parent="CC", category="产出", weight=40),
        Indicator("CC0101", "实际完成率", 3, parent="CC01", direction="≥", unit="%", weight=25,
                  explanation="实际完成数/计划数"),
        Indicator("CC0102", "完成户数", 3, parent="CC01", direction="≥", unit="户", weight=15,
                  sector="农业农村与乡村振兴"),
        Indicator("CC02", "质量指标", 2, parent="CC", category="产出", weight=20),
        Indicator("CC0201", "验收合格率", 3, parent="CC02", direction="=", unit="%", weight=20),
        Indicator("MY", "满意度指标", 1, category="满意度", weight=40),
        Indicator("MY01", "服务对象满意度指标", 2, parent="MY", category="满意度", weight=40),
        Indicator("MY0101", "群众满意度", 3, parent="MY01", direction="≥", unit="%", weight=40),
    ))


def row_of(grid: pd.DataFrame, code: str) -> int:
    return int(grid.index[grid["code"] == code][0])


# --------------------------------------------------------------------------- tree and search

def test_tree_frame_keeps_library_order_and_every_field():
    frame = tree_frame(draft())
    assert frame["code"].tolist() == [ind.code for ind in draft().indicators]
    assert set(Indicator.__dataclass_fields__) <= set(frame.columns)
    assert frame.loc[0, "direction"] is None and frame.loc[2, "direction"] == "≥"


def test_search_keeps_matches_with_their_ancestors_only():
    frame = tree_frame(draft())
    assert filter_codes(frame, query="完成") == ["CC", "CC01", "CC0101", "CC0102"]
    # explanation text and codes are searched too, case-insensitively
    assert filter_codes(frame, query="计划数") == ["CC", "CC01", "CC0101"]
    assert filter_codes(frame, query="my0101") == ["MY", "MY01", "MY0101"]
    assert filter_codes(frame, query="不存在") == []
    assert filter_codes(frame) == frame["code"].tolist()


def test_filters_combine_with_search():
    frame = tree_frame(draft())
    assert filter_codes(frame, directions=["="]) == ["CC", "CC02", "CC0201"]
    assert filter_codes(frame, sectors=["农业农村与乡村振兴"]) == ["CC", "CC01", "CC0102"]
    assert filter_codes(frame, categories=["满意度"]) == ["MY", "MY01"]
    assert filter_codes(frame, query="率", directions=["≥"]) == ["CC", "CC01", "CC0101"]


# --------------------------------------------------------------------------- grid round trip

def test_an_untouched_grid_gives_back_the_same_draft():
    before = grid_frame(draft())
    assert apply_grid(draft(), before, before.copy()) == draft()
    assert list(before.columns) == [*GRID_FIELDS, ORIGINAL]


def test_a_weight_edit_shows_up_as_a_bad_sum():
    before = grid_frame(draft())
    after = before.copy()
    after.loc[row_of(after, "CC0101"), "weight"] = 30.0
    edited = apply_grid(draft(), before, after)
    assert edited.by_code["CC0101"].weight == 30.0
    codes = [issue.code for issue in validate_library(edited)]
    assert codes == ["weights_not_sum_to_parent"]  # CC01: 30 + 15 = 45, not 40


def test_renaming_a_code_re_points_its_children_and_is_one_indicator():
    before = grid_frame(draft())
    after = before.copy()
    after.loc[row_of(after, "CC01"), "code"] = "CC09"
    edited = apply_grid(draft(), before, after)
    assert edited.by_code["CC0101"].parent == "CC09"
    assert "CC01" not in edited.by_code
    assert len(edited.indicators) == len(draft().indicators)


def test_text_and_enum_edits_and_clearing_a_cell():
    before = grid_frame(draft())
    after = before.copy()
    i = row_of(after, "CC0101")
    after.loc[i, "direction"] = "≤"
    after.loc[i, "unit"] = None
    after.loc[i, "value_basis"] = "历史标准"
    edited = apply_grid(draft(), before, after).by_code["CC0101"]
    assert (edited.direction.value, edited.unit, edited.value_basis.value) == ("≤", "", "历史标准")


def test_deleting_a_branch_and_adding_rows_under_existing_and_new_parents():
    before = grid_frame(draft())
    after = before[~before["code"].isin(["CC02", "CC0201"])]
    added = pd.DataFrame([
        {"code": "CC03", "name": "时效指标", "parent": "CC", "weight": 20.0},
        {"code": "CC0301", "name": "按时完成率", "parent": "CC03", "direction": "≥",
         "unit": "%", "weight": 20.0},
        {code: None for code in GRID_FIELDS},  # an added row left blank
    ])
    edited = apply_grid(draft(), before, pd.concat([after, added], ignore_index=True))
    assert "CC02" not in edited.by_code and "CC0201" not in edited.by_code
    assert (edited.by_code["CC03"].level, edited.by_code["CC0301"].level) == (2, 3)
    assert validate_library(edited) == []
    assert len(edited.indicators) == len(draft().indicators)


def test_an_existing_row_can_move_under_a_parent_added_in_the_same_edit():
    before = grid_frame(draft())
    after = before.copy()
    after.loc[row_of(after, "CC0201"), "parent"] = "CC03"
    added = pd.DataFrame([{"code": "CC03", "name": "时效指标", "parent": "CC", "weight": 20.0}])
    edited = apply_grid(draft(), before, pd.concat([after, added], ignore_index=True))
    assert edited.by_code["CC0201"].parent == "CC03"
    assert diff(draft(), edited).moved[0].code == "CC0201"


def test_impossible_edits_are_refused_naming_the_indicator():
    before = grid_frame(draft())
    with pytest.raises(ConflictError, match="CC01"):
        apply_grid(draft(), before, before[before["code"] != "CC01"])
    duplicate = before.copy()
    duplicate.loc[row_of(duplicate, "CC0102"), "code"] = "CC0101"
    with pytest.raises(InputError, match="CC0101"):
        apply_grid(draft(), before, duplicate)
    orphan = pd.concat([before, pd.DataFrame([{"code": "X1", "name": "x", "parent": "NOPE"}])],
                       ignore_index=True)
    with pytest.raises(NotFoundError, match="NOPE"):
        apply_grid(draft(), before, orphan)
    negative = before.copy()
    negative.loc[row_of(negative, "CC0101"), "weight"] = -1.0
    with pytest.raises(InputError, match="CC0101"):
        apply_grid(draft(), before, negative)



@pytest.mark.parametrize(("row", "zh", "en", "field"), [
    ({"code": "CC03", "name": "时效指标", "parent": "CC", "category": "产量"},
     "指标 CC03：", "indicator CC03: ", "CC03.category"),
    ({"code": "CC03", "name": "时效指标", "parent": "CC", "direction": "上"},
     "指标 CC03：", "indicator CC03: ", "CC03.direction"),
    ({"code": "CC03", "name": "时效指标", "parent": "CC", "weight": "二十"},
     "指标 CC03：权重 '二十'", "indicator CC03: weight '二十'", "CC03.weight"),
    # A new row typed without a code is named by what the user did type.
    ({"name": "时效指标", "parent": "CC", "category": "产量"},
     "新增指标“时效指标”：", "new indicator '时效指标': ", "None.category"),
    ({"parent": "CC", "weight": "x"}, "新增的一行：", "an added row: ", "None.weight"),
])
def test_a_bad_value_in_an_added_row_is_refused_naming_the_indicator(row, zh, en, field):
    # People see err.message(lang), which leaves ``field`` out, so the name must be in the text.
    before = grid_frame(draft())
    after = pd.concat([before, pd.DataFrame([row])], ignore_index=True)
    with pytest.raises(InputError) as err:
        apply_grid(draft(), before, after)
    assert err.value.message("zh").startswith(zh)
    assert err.value.message("en").startswith(en)
    assert err.value.location.field == field


def test_a_bad_value_in_an_existing_row_is_refused_naming_the_indicator():
    before = grid_frame(draft())
    after = before.copy()
    after.loc[row_of(after, "CC0102"), "direction"] = "上"
    with pytest.raises(InputError) as err:
        apply_grid(draft(), before, after)
    assert err.value.message("zh").startswith("指标 CC0102：")
    assert err.value.message("en").startswith("indicator CC0102: ")
    assert err.value.location.field == "CC0102.direction"

@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100), min_size=9, max_size=9))
def test_any_weights_typed_into_the_grid_are_the_weights_stored(weights):
    before = grid_frame(draft())
    after = before.copy()
    after["weight"] = [float(w) for w in weights]
    edited = apply_grid(draft(), before, after)
    assert [ind.weight for ind in edited.indicators] == [float(w) for w in weights]


# --------------------------------------------------------------------------- sums and colours

def test_weight_sums_compare_each_parent_with_its_children():
    sums = weight_sums(draft()).set_index(weight_sums(draft())["parent"].fillna("(top)"))
    assert sums.loc["(top)", ["expected", "total"]].tolist() == [100.0, 100.0]
    assert sums.loc["CC", ["expected", "total"]].tolist() == [60.0, 60.0]
    assert sums.loc["CC01", ["expected", "total"]].tolist() == [40.0, 40.0]
    assert sums["ok"].all()
    unbalanced = apply_grid(draft(), grid_frame(draft()), grid_frame(draft()).assign(
        weight=lambda g: g["weight"].where(g["code"] != "MY", 30.0)))
    by_parent = weight_sums(unbalanced).set_index("parent", drop=False)
    assert weight_sums(unbalanced)["ok"].tolist()[0] is False  # 60 + 30 ≠ 100
    assert by_parent.loc["MY", "gap"] == 10.0  # MY01 40 under MY 30


def test_a_catalogue_without_weights_has_no_sums():
    catalogue = LibraryVersion("c", "1.0.0", "目录", "catalogue", (Indicator("A", "产出", 1),))
    assert weight_sums(catalogue).empty


def test_diff_rows_are_coloured_by_kind():
    frame = pd.DataFrame({"code": ["A", "B", "C"], "old": ["", "", "1"]})
    html = diff_styler(frame, pd.Series(["added", "removed", "weight"])).to_html()
    for colour in (DIFF_COLOURS["added"], DIFF_COLOURS["removed"], DIFF_COLOURS["weight"]):
        assert f"background-color: {colour}" in html
    assert DIFF_COLOURS["added"] != DIFF_COLOURS["removed"] != DIFF_COLOURS["changed"]
