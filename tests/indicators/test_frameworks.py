"""The shipped frameworks load, pass validation and follow DOMAIN.md §2; the loader names files."""

from __future__ import annotations

import os
import shutil
from collections import Counter

import pytest
import yaml

import indicators.resources as resources
from indicators.errors import InputError, NotFoundError
from indicators.frameworks import builtin_frameworks, load_builtin, load_framework_file
from indicators.model import Direction, FrameworkKind, LibraryVersion, Status
from indicators.validate import validate_library

EXPECTED = {
    "national-target": FrameworkKind.TARGET,
    "national-evaluation": FrameworkKind.EVALUATION,
    "national-department": FrameworkKind.DEPARTMENT,
    "national-exante": FrameworkKind.EX_ANTE,
    "report-review-rubric": FrameworkKind.RUBRIC,
    "sector-catalogue": FrameworkKind.CATALOGUE,
}
SECTORS = {"教育", "农业农村与乡村振兴", "卫生健康", "交通与基础设施", "社会保障与就业", "生态环境",
           "文化旅游体育"}
MINIMAL = "framework_id: mini\nversion: 1.0.0\ntitle: 示例\nkind: catalogue\n"


def first_levels(lib: LibraryVersion) -> dict[str, float | None]:
    return {ind.name: ind.weight for ind in lib.children(None)}


def descendants(lib: LibraryVersion, code: str) -> list[str]:
    out = []
    for child in lib.children(code):
        out.append(child.code)
        out.extend(descendants(lib, child.code))
    return out


def test_every_expected_framework_is_shipped():
    assert set(EXPECTED) <= set(builtin_frameworks())
    assert builtin_frameworks() == sorted(builtin_frameworks())


@pytest.mark.parametrize("framework_id", sorted(EXPECTED))
def test_builtin_loads_published_and_named(framework_id):
    lib = load_builtin(framework_id)
    assert lib.framework_id == framework_id
    assert lib.kind is EXPECTED[framework_id]
    assert lib.status is Status.PUBLISHED
    assert lib.published_at is not None and lib.changelog[0].version == lib.version
    assert lib.source_documents and all("〔" in doc and "〕" in doc for doc in lib.source_documents)
    assert lib.description


@pytest.mark.parametrize("framework_id", sorted(EXPECTED))
def test_builtin_passes_library_validation(framework_id):
    issues = validate_library(load_builtin(framework_id))
    assert issues == [], [issue.message("en") for issue in issues]


@pytest.mark.parametrize("framework_id", sorted(EXPECTED))
def test_codes_are_unique_and_every_leaf_explained(framework_id):
    lib = load_builtin(framework_id)
    repeated = [code for code, n in Counter(ind.code for ind in lib.indicators).items() if n > 1]
    assert repeated == []
    for leaf in lib.leaves():
        assert leaf.direction is not None and leaf.explanation, leaf.code
        if leaf.is_quantitative:
            assert leaf.unit, leaf.code


@pytest.mark.parametrize("framework_id", sorted(EXPECTED))
def test_yaml_layout_is_the_model_layout(framework_id):
    path = resources.data_path("frameworks", f"{framework_id}.yaml")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert load_builtin(framework_id).to_dict() == raw


def test_target_first_levels_are_the_self_evaluation_weights():
    # 财预〔2020〕10号: 预算执行率 10, 产出 50, 效益 30, 满意度 10.
    lib = load_builtin("national-target")
    assert first_levels(lib) == {"预算执行率": 10, "产出指标": 50, "效益指标": 30, "满意度指标": 10}
    assert lib.by_code["YS"].rule == "budget_execution"
    seconds = {code: [c.name for c in lib.children(code)] for code in ("CC", "XY", "MY")}
    assert seconds["CC"] == ["数量指标", "质量指标", "时效指标", "成本指标"]
    assert seconds["XY"] == ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]
    assert seconds["MY"] == ["服务对象满意度指标"]
    cost_leaves = " ".join(lib.by_code[c].explanation for c in descendants(lib, "CC04"))
    for family in ("经济成本", "社会成本", "生态环境成本"):
        assert family in cost_leaves


def test_evaluation_framework_has_the_common_third_level_indicators():
    lib = load_builtin("national-evaluation")
    assert list(first_levels(lib)) == ["决策", "过程", "产出", "效益"]
    weights = first_levels(lib)
    assert weights["产出"] + weights["效益"] >= 60  # 财预〔2020〕10号: results weigh at least 60 %
    names = {ind.name for ind in lib.leaves()}
    for name in ("立项依据充分性", "立项程序规范性", "绩效目标合理性", "绩效指标明确性",
                 "预算编制科学性", "资金分配合理性", "资金到位率", "预算执行率", "资金使用合规性",
                 "管理制度健全性", "制度执行有效性", "实际完成率", "质量达标率", "完成及时性",
                 "成本节约率", "经济效益", "社会效益", "生态效益", "可持续影响", "服务对象满意度"):
        assert name in names
    for leaf in lib.leaves():
        if leaf.direction is Direction.QUALITATIVE:
            assert leaf.rule == "qualitative_bands" and leaf.checkpoints, leaf.code


def test_department_framework_follows_the_2013_common_framework():
    lib = load_builtin("national-department")
    assert list(first_levels(lib)) == ["投入", "过程", "产出", "效果"]
    seconds = {ind.name for ind in lib.indicators if ind.level == 2}
    assert {"目标设定", "预算配置", "预算执行", "预算管理", "资产管理", "职责履行", "履职效益",
            "满意度"} <= seconds
    names = {ind.name for ind in lib.leaves()}
    assert {"在职人员控制率", "“三公经费”变动率", "重点支出安排率"} <= names


def test_exante_has_five_dimensions_with_two_to_four_checkpoints_each():
    lib = load_builtin("national-exante")
    assert list(first_levels(lib)) == ["立项必要性", "投入经济性", "绩效目标合理性", "实施方案可行性",
                                       "筹资合规性"]
    for dimension in lib.children(None):
        items = [c for c in descendants(lib, dimension.code) if lib.by_code[c].level == 3]
        assert 2 <= len(items) <= 4, dimension.name
        assert all(lib.by_code[c].checkpoints for c in items)


def test_rubric_items_are_qualitative_scores_summing_to_100():
    lib = load_builtin("report-review-rubric")
    leaves = lib.leaves()
    assert all(leaf.direction is Direction.QUALITATIVE for leaf in leaves)
    assert sum(leaf.weight for leaf in leaves) == 100
    assert sum(first_levels(lib).values()) == 100


def test_catalogue_covers_the_seven_sectors_with_150_indicators():
    lib = load_builtin("sector-catalogue")
    third = [ind for ind in lib.indicators if ind.level == 3]
    assert len(third) >= 150
    assert {ind.sector for ind in third} == SECTORS
    per_sector = Counter(ind.sector for ind in third)
    assert min(per_sector.values()) >= 15
    for ind in third:
        assert ind.parent is not None and lib.by_code[ind.parent].level == 2
        assert ind.value_basis is not None and ind.reference_value and ind.data_source, ind.code
        if ind.is_quantitative:
            assert ind.unit, ind.code
    units = {ind.unit for ind in third}
    assert {"%", "人次", "所", "公里", "亩", "万元", "元/人"} <= units
    names = {ind.name for ind in third}
    assert {"义务教育巩固率", "高标准农田建设面积", "村卫生室标准化建设率", "农村公路新改建里程",
            "城乡居民基本养老保险参保率", "城镇污水处理率", "公共文化场馆免费开放率"} <= names


def test_broken_yaml_names_the_file_and_the_line(tmp_path):
    file = tmp_path / "broken.yaml"
    file.write_text(MINIMAL + "indicators:\n  - code: A\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_framework_file(file)
    assert info.value.location.file == "broken.yaml"
    assert info.value.location.row is not None and info.value.location.row >= 6
    assert "broken.yaml" in info.value.message("zh") and "broken.yaml" in info.value.message("en")


def test_an_unquoted_equals_direction_is_reported_with_its_line(tmp_path):
    file = tmp_path / "equals.yaml"
    file.write_text(MINIMAL + "indicators:\n- code: A\n  name: 事故\n  level: 1\n  direction: =\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_framework_file(file)
    assert info.value.location.file == "equals.yaml" and info.value.location.row == 9


def test_content_errors_name_the_file_and_field(tmp_path):
    file = tmp_path / "wrong.yaml"
    file.write_text(MINIMAL + "colour: red\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_framework_file(file)
    assert info.value.location.file == "wrong.yaml" and info.value.location.field == "colour"
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty.yaml"):
        load_framework_file(empty)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(MINIMAL.replace("示例", "caf\xe9").encode("latin-1"))
    with pytest.raises(InputError, match="latin.yaml"):
        load_framework_file(latin)


def test_missing_files_and_unknown_ids_are_not_found(tmp_path):
    with pytest.raises(NotFoundError, match="nothing.yaml"):
        load_framework_file(tmp_path / "nothing.yaml")
    for bad in ("no-such-framework", "../national-target", "National-Target", ""):
        with pytest.raises(NotFoundError):
            load_builtin(bad)


def test_unquoted_changelog_dates_are_kept_as_text(tmp_path):
    file = tmp_path / "dated.yaml"
    file.write_text(MINIMAL + "changelog:\n- {version: 1.0.0, text: 初版, date: 2024-03-01}\n",
                    encoding="utf-8")
    assert load_framework_file(file).changelog[0].date == "2024-03-01"


def test_loads_are_cached_until_the_file_changes(tmp_path):
    file = tmp_path / "mini.yaml"
    file.write_text(MINIMAL, encoding="utf-8")
    first = load_framework_file(file)
    assert load_framework_file(str(file)) is first
    file.write_text(MINIMAL.replace("示例", "修改后的示例"), encoding="utf-8")
    stat = file.stat()
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_framework_file(file).title == "修改后的示例"


def test_frameworks_are_found_through_the_data_locator(tmp_path, monkeypatch):
    # A wheel ships data/ as the jixiao_data package; the loader must only ask indicators.resources.
    (tmp_path / "frameworks").mkdir()
    source = resources.data_path("frameworks", "national-exante.yaml")
    shutil.copy(source, tmp_path / "frameworks" / "national-exante.yaml")
    monkeypatch.setattr(resources, "data_dir", lambda: tmp_path)
    assert builtin_frameworks() == ["national-exante"]
    assert load_builtin("national-exante").kind is FrameworkKind.EX_ANTE
    with pytest.raises(NotFoundError):
        load_builtin("national-target")


def test_a_file_whose_id_differs_from_its_name_is_refused(tmp_path, monkeypatch):
    (tmp_path / "frameworks").mkdir()
    (tmp_path / "frameworks" / "renamed.yaml").write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setattr(resources, "data_dir", lambda: tmp_path)
    with pytest.raises(InputError) as info:
        load_builtin("renamed")
    assert info.value.location.file == "renamed.yaml"
    assert info.value.location.field == "framework_id"
