"""The library pages, driven through Streamlit's AppTest against a seeded SQLite database.

Each test copies one seeded database file (the built-in frameworks, stored once per module),
renders one page as a signed-in person would see it, clicks and types, and checks both what the
page shows and what the store holds afterwards. The expected values come from the shipped
framework files (national-target: 产出指标 CC 50 → 数量指标 CC01 20 → 实际完成率 CC0101 12 and
CC0102 8), not from the pages' own output.
"""

from __future__ import annotations

import io
import re
import shutil
import string
from dataclasses import fields
from datetime import UTC, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators import store
from indicators.changes import MAJOR_FIELDS
from indicators.database import clear_engine_cache, ensure_schema, get_engine
from indicators.errors import InputError
from indicators.frontdoor import ALL_ROLES, STAFF_ROLES
from indicators.i18n import LANGUAGES, catalogue
from indicators.io import read_library, write_library, write_target_tables
from indicators.model import (
    FrameworkKind,
    Indicator,
    LibraryVersion,
    Project,
    Status,
    Target,
    TargetTable,
)
from indicators.ui import SECTION, pages
from indicators.ui_edit import grid_key
from indicators.ui_transfer import EXPORT_FORMATS, export_bytes, read_upload
from indicators.versioning import edit_indicator, reweight, start_draft

ROOT = Path(__file__).resolve().parents[2]
TARGET = "national-target@1.0.0"
DRAFT = "national-target@1.1.0"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui") / "seed.sqlite3"
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    with Session(engine) as session:
        store.seed_builtin_libraries(session)
    clear_engine_cache()
    return path


@pytest.fixture
def url(seeded: Path, tmp_path: Path) -> str:
    copy = tmp_path / "jixiao.sqlite3"
    shutil.copy(seeded, copy)
    yield f"sqlite:///{copy}"
    clear_engine_cache()


def _script(url: str, key: str, lang: str, role: str) -> None:
    from indicators.database import get_engine
    from indicators.frontdoor import PageContext, Role, Viewer
    from indicators.ui import pages

    viewer = Viewer(1, "wang", "王科长", Role(role))
    ctx = PageContext(get_engine(url), viewer, lang=lang)
    next(page for page in pages() if page.key == key).render(ctx)


def page(url: str, key: str, *, lang: str = "zh", role: str = "finance") -> AppTest:
    return AppTest.from_function(_script, args=(url, key, lang, role), default_timeout=30).run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [element.value for element in getattr(at, kind)]


def library(url: str, ref: str) -> LibraryVersion:
    with Session(get_engine(url)) as session:
        return store.get_library(session, ref=ref)


def count_libraries(url: str) -> int:
    with Session(get_engine(url)) as session:
        return len(store.list_libraries(session))


def save(url: str, version: LibraryVersion) -> None:
    with Session(get_engine(url)) as session:
        store.save_library(session, version=version)


def shown_codes(at: AppTest) -> list[str]:
    """Codes in the tree tables (every dataframe with a code column except the detail)."""
    codes: list[str] = []
    for frame in at.dataframe:
        value = frame.value
        if "指标编码" in value.columns and "指标" in value.columns:
            codes += value["指标编码"].tolist()
    return codes


# --------------------------------------------------------------------------- registration

def test_pages_offer_browse_to_everyone_and_writing_to_staff_only():
    specs = {spec.key: spec for spec in pages()}
    assert specs["library"].roles == ALL_ROLES
    for key in ("library-edit", "library-diff", "library-transfer"):
        assert specs[key].roles == STAFF_ROLES
    assert len(specs) == 4
    for spec in specs.values():
        assert spec.section == SECTION
        assert spec.title in catalogue() and spec.section in catalogue()


def test_staff_pages_refuse_an_expert_who_reaches_them(url):
    at = page(url, "library-edit", role="expert")
    assert not at.exception
    assert texts(at, "error") == [catalogue()["indicators.error.staff_only"]["zh"]]
    assert not at.selectbox


# --------------------------------------------------------------------------- browse

def test_browse_shows_the_tree_and_search_filters_it(url):
    at = page(url, "library")
    at.selectbox(key="indicators.browse.version").set_value(TARGET).run()
    expected = library(url, TARGET)
    first_level = [ind for ind in expected.indicators if ind.level == 1]
    labels = [e.label for e in at.expander]
    for ind in first_level:
        assert any(label.startswith(f"{ind.name} · {ind.code}") for label in labels)
    assert sorted(shown_codes(at)) == sorted(ind.code for ind in expected.indicators)

    at.text_input(key="indicators.browse.query").input("满意度").run()
    codes = shown_codes(at)
    matches = {ind.code for ind in expected.indicators
               if "满意度" in ind.name or "满意度" in ind.explanation or "满意度" in ind.code}
    ancestors = {a.code for code in matches for a in expected.path(code)}
    assert set(codes) == matches | ancestors
    assert "CC0101" not in codes  # 实际完成率 says nothing of satisfaction
    assert any(f"显示 {len(codes)} / {len(expected.indicators)} 个指标" in text
               for text in texts(at, "caption"))


def test_browse_filters_by_sector_and_direction_and_shows_the_detail(url):
    at = page(url, "library")
    at.selectbox(key="indicators.browse.version").set_value("sector-catalogue@1.0.0").run()
    at.multiselect(key="indicators.browse.sectors").select("教育").run()
    at.multiselect(key="indicators.browse.directions").select("≤").run()
    catalogue_lib = library(url, "sector-catalogue@1.0.0")
    codes = shown_codes(at)
    leaves = [catalogue_lib.by_code[c] for c in codes if catalogue_lib.by_code[c].direction]
    assert leaves and all(ind.sector == "教育" and ind.direction.value == "≤" for ind in leaves)

    at.selectbox(key="indicators.browse.detail").set_value(leaves[0].code).run()
    detail = at.dataframe[-2].value  # the detail table comes before the changelog
    as_dict = dict(zip(detail["字段"], detail["内容"], strict=True))
    assert as_dict["指标编码"] == leaves[0].code
    assert as_dict["指标解释"] == leaves[0].explanation
    assert len(as_dict) == len(fields(Indicator))


def test_browse_shows_publisher_and_changelog_and_speaks_english(url):
    at = page(url, "library", lang="en")
    at.selectbox(key="indicators.browse.version").set_value(TARGET).run()
    assert at.header[0].value == "Browse libraries"
    assert any("published by jixiao" in text for text in texts(at, "markdown"))
    # The publication time reads in China Standard Time, as the review pages read times.
    stamp = library(url, TARGET).published_at
    stamp = stamp.replace(tzinfo=None) if stamp.tzinfo is None else stamp.astimezone(
        UTC).replace(tzinfo=None)
    local = (stamp + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    header = next(text for text in texts(at, "markdown") if "published by jixiao" in text)
    assert local in header and stamp.strftime("%Y-%m-%d %H:%M") not in header
    changelog = at.dataframe[-1].value
    assert changelog.columns.tolist() == ["Version", "Change", "By", "Date"]
    assert changelog["Version"].tolist() == ["1.0.0"]


def test_browse_hides_drafts_from_reviewers(url):
    save(url, start_draft(library(url, TARGET), author="王科长"))
    staff = page(url, "library").selectbox(key="indicators.browse.version").options
    expert = page(url, "library", role="expert").selectbox(key="indicators.browse.version").options
    assert any(DRAFT in option for option in staff)
    assert not any(DRAFT in option for option in expert)


# --------------------------------------------------------------------------- edit

def test_a_draft_is_started_edited_validated_saved_and_published(url):
    before = count_libraries(url)
    at = page(url, "library-edit")
    at.selectbox(key="indicators.edit.version").set_value(TARGET).run()
    assert "不能修改" in texts(at, "info")[0]
    assert not at.data_editor
    assert at.text_input(key=f"indicators.edit.new_version.{TARGET}").value == "1.1.0"

    at.button(key="indicators.edit.start_button").click().run()
    assert not at.exception
    assert count_libraries(url) == before + 1
    assert library(url, DRAFT).status is Status.DRAFT
    assert at.selectbox(key="indicators.edit.version").value == DRAFT
    assert texts(at, "success")[0] == f"已新建草稿 {DRAFT}。"

    grid = at.data_editor[0].value
    row = {code: i for i, code in enumerate(grid["code"])}
    # CC0101 12 → 15 leaves 数量指标 CC01 (20) with children summing to 15 + 8 = 23.
    at.session_state[grid_key(DRAFT, 0)] = {
        "edited_rows": {row["CC0101"]: {"weight": 15.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert any("1 个问题" in text for text in texts(at, "warning"))
    issues = at.dataframe[-1].value
    assert issues["问题"].str.contains("下级指标权重合计 23，不等于本指标权重 20").any()

    at.text_input(key=f"indicators.edit.changelog.{DRAFT}").input("调整产出权重").run()
    at.button(key="indicators.edit.publish_button").click().run()
    assert any("不能发布" in text for text in texts(at, "error"))
    assert library(url, DRAFT).status is Status.DRAFT

    at.button(key="indicators.edit.save").click().run()
    assert library(url, DRAFT).by_code["CC0101"].weight == 15.0
    assert not at.exception

    grid = at.data_editor[0].value
    row = {code: i for i, code in enumerate(grid["code"])}
    at.session_state[grid_key(DRAFT, 1)] = {
        "edited_rows": {row["CC0102"]: {"weight": 5.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert texts(at, "success")[-1] == "校验通过，可以发布。"
    at.text_input(key=f"indicators.edit.changelog.{DRAFT}").input("调整产出权重").run()
    at.button(key="indicators.edit.publish_button").click().run()
    assert not at.exception

    published = library(url, DRAFT)
    assert published.status is Status.PUBLISHED
    assert published.published_by == "王科长"
    assert published.changelog[-1].text == "调整产出权重"
    assert (published.by_code["CC0101"].weight, published.by_code["CC0102"].weight) == (15.0, 5.0)
    assert "不能修改" in texts(at, "info")[0]
    assert not at.data_editor


def test_the_grid_adds_and_deletes_rows_and_names_an_impossible_edit(url):
    save(url, start_draft(library(url, TARGET), author="王科长"))
    at = page(url, "library-edit")
    at.selectbox(key="indicators.edit.version").set_value(DRAFT).run()
    grid = at.data_editor[0].value
    row = {code: i for i, code in enumerate(grid["code"])}
    at.session_state[grid_key(DRAFT, 0)] = {
        "edited_rows": {},
        "added_rows": [{"code": "CC0103", "name": "乡村振兴项目覆盖村数", "parent": "CC01",
                        "direction": "≥", "unit": "个", "weight": 0.0}],
        "deleted_rows": [row["CC0102"]]}
    at.run()
    at.button(key="indicators.edit.save").click().run()
    stored = library(url, DRAFT)
    assert "CC0102" not in stored.by_code
    assert stored.by_code["CC0103"].parent == "CC01" and stored.by_code["CC0103"].level == 3
    # Removing an indicator breaks old targets: a major bump, which 1.1.0 is not.
    assert any("主版本" in text and "2.0.0" in text for text in texts(at, "caption"))
    assert any("1.1.0" in text and "2.0.0" in text and "删除此草稿" in text
               for text in texts(at, "caption"))

    # Deleting 数量指标 while keeping its children cannot be applied; the page says which.
    grid = at.data_editor[0].value
    row = {code: i for i, code in enumerate(grid["code"])}
    at.session_state[grid_key(DRAFT, 1)] = {
        "edited_rows": {}, "added_rows": [], "deleted_rows": [row["CC01"]]}
    at.run()
    assert any("CC01" in text and "下级指标" in text for text in texts(at, "error"))
    assert "CC01" in library(url, DRAFT).by_code


# --------------------------------------------------------------------------- diff

def test_diff_page_shows_the_changed_weight_and_suggests_a_minor_bump(url):
    draft = reweight(start_draft(library(url, TARGET), author="王科长"),
                     {"CC0101": 15.0, "CC0102": 5.0})
    save(url, draft)
    at = page(url, "library-diff")
    assert at.selectbox(key="indicators.diff.old").value == TARGET
    assert at.selectbox(key="indicators.diff.new").value == DRAFT
    table = at.dataframe[0].value
    weights = table[table["变更"] == "权重调整"]
    assert sorted(zip(weights["指标编码"], weights["原值"], weights["新值"], strict=True)) == [
        ("CC0101", "12", "15"), ("CC0102", "8", "5")]
    assert any("次版本" in text and "1.1.0" in text for text in texts(at, "markdown"))
    assert [m.value for m in at.metric if m.label == "权重调整"] == ["2"]


def test_diff_page_never_opens_on_two_different_frameworks(url):
    # Only one version of each shipped framework: nothing of the same framework to compare.
    at = page(url, "library-diff")
    assert not at.exception and not at.dataframe
    assert any("同一指标库" in text for text in texts(at, "info"))
    save(url, start_draft(library(url, "sector-catalogue@1.0.0"), author="王科长"))
    save(url, start_draft(library(url, TARGET), author="王科长"))
    at = page(url, "library-diff")
    old = at.selectbox(key="indicators.diff.old").value
    new = at.selectbox(key="indicators.diff.new").value
    assert old.split("@")[0] == new.split("@")[0] and old != new


def test_diff_page_marks_a_direction_change_as_major(url):
    save(url, edit_indicator(start_draft(library(url, TARGET), author="王科长"), "CC0101",
                             direction="≤"))
    assert "direction" in MAJOR_FIELDS
    at = page(url, "library-diff", lang="en")
    assert any("**major**" in text and "2.0.0" in text for text in texts(at, "markdown"))
    table = at.dataframe[0].value
    changed = table[table["Change"] == "Changed"]
    assert changed[["Code", "Field", "Old", "New"]].values.tolist() == [
        ["CC0101", "Direction", "≥", "≤"]]


# --------------------------------------------------------------------------- import / export

def _target_workbook_with_bad_weight(tmp_path: Path, url: str) -> tuple[bytes, int]:
    """national-target as Excel with CC0101's weight replaced by text; returns bytes and row."""
    path = tmp_path / "指标库.xlsx"
    write_library(library(url, TARGET), path)
    book = openpyxl.load_workbook(path)
    sheet = book["指标"]
    headers = [cell.value for cell in sheet[1]]
    code_col, weight_col = headers.index("指标编码") + 1, headers.index("权重") + 1
    bad_row = next(r for r in range(2, sheet.max_row + 1)
                   if sheet.cell(r, code_col).value == "CC0101")
    sheet.cell(bad_row, weight_col).value = "十二"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), bad_row


def test_a_bad_upload_names_the_row_and_column_and_stores_nothing(url, tmp_path):
    data, bad_row = _target_workbook_with_bad_weight(tmp_path, url)
    before = count_libraries(url)
    at = page(url, "library-transfer")
    at.text_input(key="indicators.transfer.version").input("1.1.0")
    at.file_uploader(key="indicators.transfer.library_file").upload("指标库.xlsx", data).run()
    assert not at.exception
    assert "未导入任何内容" in texts(at, "error")[0]
    issues = at.dataframe[0].value
    hit = issues[issues["问题"].str.contains("十二")]
    assert hit[["文件", "行", "列"]].values.tolist() == [["指标库.xlsx", bad_row, "权重"]]
    assert not at.button  # no import button for a file that did not read
    assert count_libraries(url) == before


def test_a_file_that_is_not_excel_is_refused_in_english(url):
    before = count_libraries(url)
    at = page(url, "library-transfer", lang="en")
    at.file_uploader(key="indicators.transfer.library_file").upload(
        "budget.xlsx", b"this is not a workbook").run()
    assert "nothing was imported" in texts(at, "error")[0]
    assert "budget.xlsx" in texts(at, "error")[1]
    assert count_libraries(url) == before


def test_a_good_upload_is_previewed_then_imported_as_a_draft(url):
    name, data, _ = export_bytes(library(url, TARGET), "yaml")
    before = count_libraries(url)
    at = page(url, "library-transfer")
    at.text_input(key="indicators.transfer.version").input("1.2.0")
    at.file_uploader(key="indicators.transfer.library_file").upload(name, data).run()
    assert any("national-target@1.2.0" in text for text in texts(at, "success"))
    assert count_libraries(url) == before  # previewed, not yet stored
    at.button(key="indicators.transfer.import_button").click().run()
    imported = library(url, "national-target@1.2.0")
    assert imported.status is Status.DRAFT and imported.published_by is None
    assert imported.indicators == library(url, TARGET).indicators


@pytest.mark.parametrize("fmt", sorted(EXPORT_FORMATS))
def test_export_gives_back_an_equal_library(url, fmt):
    original = library(url, TARGET)
    name, data, _ = export_bytes(original, fmt)
    assert name == f"national-target-1.0.0{EXPORT_FORMATS[fmt][0]}"
    meta = {"framework_id": "national-target", "version": "1.0.0", "kind": "target",
            "title": original.title} if fmt.startswith("csv") else {}
    back = read_upload(name, data, read_library, **meta)
    assert back.indicators == original.indicators
    if fmt == "csv-gbk":
        data.decode("gbk")


def test_export_tab_offers_the_download(url):
    at = page(url, "library-transfer")
    at.selectbox(key="indicators.transfer.export_version").set_value(TARGET).run()
    at.radio(key="indicators.transfer.format").set_value("yaml").run()
    assert at.get("download_button")[0].proto.label == "下载 national-target-1.0.0.yaml"


def _one_table() -> TargetTable:
    project = Project("P2024-001", "农村道路养护", "交通运输局", "一般公共预算", 1_500_000, 2024)
    return TargetTable(project, (
        Target("P2024-001", "P2024-001-01", "养护里程", "产出指标", "数量指标", "≥", 45,
               target_value=120, unit="公里"),
        Target("P2024-001", "P2024-001-02", "群众满意度", "满意度指标", "服务对象满意度指标",
               "≥", 45, target_value=90, unit="%")))


def test_target_tables_are_previewed_then_saved(url, tmp_path):
    path = tmp_path / "绩效目标表.xlsx"
    write_target_tables([_one_table()], path)
    at = page(url, "library-transfer")
    at.file_uploader(key="indicators.transfer.targets_file").upload(
        path.name, path.read_bytes()).run()
    projects = at.dataframe[0].value
    assert projects["项目编码"].tolist() == ["P2024-001"]
    assert at.dataframe[1].value["三级指标"].tolist() == ["养护里程", "群众满意度"]
    with Session(get_engine(url)) as session:
        assert store.list_projects(session) == []
    at.button(key="indicators.transfer.save_targets").click().run()
    assert texts(at, "success")[-1] == "已保存 1 个项目的绩效目标表。"
    with Session(get_engine(url)) as session:
        assert store.get_target_table(session, project_code="P2024-001", year=2024) == _one_table()


def test_a_bad_target_file_names_the_cell_and_stores_nothing(url, tmp_path):
    path = tmp_path / "targets.csv"
    write_target_tables([_one_table()], path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("1500000", "一百五十万")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    at = page(url, "library-transfer")
    at.file_uploader(key="indicators.transfer.targets_file").upload(
        path.name, path.read_bytes()).run()
    issues = at.dataframe[0].value
    hit = issues[issues["问题"].str.contains("一百五十万")]
    assert hit[["行", "列"]].values.tolist() == [[3, "项目金额(元)"]]
    assert not at.button
    with Session(get_engine(url)) as session:
        assert store.list_projects(session) == []


# --------------------------------------------------------------------------- catalogue

_LITERAL = re.compile(r"""(?:\bt\(|(?:label|title|section)=|SECTION = )\s*"(indicators\.[^"]+)\"""")
# Keys built at run time, as the pages build them: prefix and every suffix used.
_FAMILIES = {
    "indicators.status": [s.value for s in Status],
    "indicators.kind": [k.value for k in FrameworkKind],
    "indicators.bump": ["major", "minor", "patch"],
    "indicators.field": [f.name for f in fields(Indicator)] + [
        "indicator", "framework_id", "version", "title", "kind", "region", "effective_year",
        "source_documents", "description"],
    "indicators.issue": ["file", "sheet", "row", "column", "message"],
    "indicators.changelog": ["version", "text", "author", "date"],
    "indicators.sums": ["parent", "name", "expected", "total", "gap", "ok"],
    "indicators.diff.kind": ["added", "removed", "moved", "changed", "weight", "metadata"],
    "indicators.diff.column": ["change", "code", "name", "field", "old", "new"],
    "indicators.transfer.format": list(EXPORT_FORMATS),
    "indicators.project": ["code", "name", "department", "budget_type", "amount", "year",
                           "is_new", "is_key", "township", "targets"],
    "indicators.target": ["project_code", "level1", "level2", "name", "indicator_code",
                          "direction", "target_value", "target_text", "unit", "weight",
                          "library_ref"],
}


def _used_keys() -> set[str]:
    sources = sorted((ROOT / "indicators").glob("ui*.py"))
    assert len(sources) >= 5
    found = {key for path in sources
             for key in _LITERAL.findall(path.read_text(encoding="utf-8"))}
    found |= {f"{prefix}.{suffix}" for prefix, suffixes in _FAMILIES.items()
              for suffix in suffixes}
    return found


def test_every_key_the_pages_use_exists_in_both_languages():
    messages = catalogue()
    used = _used_keys()
    assert len(used) > 150
    missing = sorted(key for key in used if key not in messages)
    assert missing == []
    for key in used:
        for lang in LANGUAGES:
            assert messages[key][lang].strip(), (key, lang)


def test_every_dynamic_key_family_is_one_the_sources_build():
    sources = "".join(p.read_text(encoding="utf-8")
                      for p in sorted((ROOT / "indicators").glob("ui*.py")))
    for prefix in _FAMILIES:
        assert f'"{prefix}.{{' in sources.replace("f\"", "\""), prefix


def test_every_library_message_has_the_same_placeholders_in_both_languages():
    formatter = string.Formatter()
    for key, texts_by_lang in catalogue().items():
        if not key.startswith("indicators."):
            continue
        names = [{name for _, name, _, _ in formatter.parse(texts_by_lang[lang]) if name}
                 for lang in LANGUAGES]
        assert names[0] == names[1], key


def test_an_upload_name_cannot_leave_the_temporary_folder(tmp_path):
    outside = tmp_path / "escaped.xlsx"
    with pytest.raises(InputError) as caught:
        read_upload(f"..\\..\\{outside}", b"not a workbook", read_library)
    assert caught.value.location.file == "escaped.xlsx"
    assert not outside.exists()
