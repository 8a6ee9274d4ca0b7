"""Indicator libraries through Excel, CSV and YAML: round trips, a bureau's own layout, and
every kind of bad file named by file, sheet, row and column in Chinese and English."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.errors import InputError, ValidationError
from indicators.io import LIBRARY_COLUMNS, read_library, write_library
from indicators.model import ChangelogEntry, Direction, Indicator, LibraryVersion

HEADERS = tuple(c.header for c in LIBRARY_COLUMNS[:10])
CSV_META = {"framework_id": "county-target", "version": "1.1.0", "title": "县级项目绩效目标指标库",
            "kind": "target"}


def small_library(**overrides) -> LibraryVersion:
    """A target library as DOMAIN.md §2 lays it out: 产出 / 效益 / 满意度, weights to 100."""
    indicators = (
        Indicator("A", "产出指标", 1, category="产出", weight=60),
        Indicator("A1", "数量指标", 2, parent="A", weight=30),
        Indicator("A11", "道路养护里程", 3, parent="A1", direction="≥", unit="公里",
                  reference_value="≥120", weight=30, value_basis="计划标准",
                  explanation="当年完成养护的农村公路里程", data_source="交通运输局台账",
                  rule="ratio", rule_params={"cap": 1.2}, checkpoints="核对验收单",
                  source_document="财预〔2020〕10号", sector="交通运输", valid_from=2021,
                  valid_to=2025),
        Indicator("A2", "质量指标", 2, parent="A", weight=30),
        Indicator("A21", "验收合格率", 3, parent="A2", direction="=", unit="%",
                  reference_value="=100", weight=30),
        Indicator("B", "效益指标", 1, category="效益", weight=30),
        Indicator("B1", "社会效益指标", 2, parent="B", weight=30),
        Indicator("B11", "通行事故下降率", 3, parent="B1", direction="≤", unit="%", weight=30),
        Indicator("C", "满意度指标", 1, category="满意度", weight=10),
        Indicator("C1", "服务对象满意度指标", 2, parent="C", weight=10),
        Indicator("C11", "沿线群众满意度", 3, parent="C1", direction="定性", weight=10,
                  reference_value="满意"),
    )
    fields = dict(framework_id="county-target", version="1.1.0", title="县级项目绩效目标指标库",
                  kind="target", indicators=indicators, region="开江县", effective_year=2021,
                  source_documents=("财预〔2020〕10号", "财预〔2021〕101号"),
                  changelog=(ChangelogEntry("1.1.0", "增加道路养护指标", "王科长", "2021-03-01"),),
                  description="示例")
    fields.update(overrides)
    return LibraryVersion(**fields)


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def bureau_rows() -> list[list]:
    """The layout a bureau sends: no codes, parents implied by names, weights on 三级 only."""
    return [
        list(HEADERS),
        ["产出指标", "数量指标", "道路养护里程", "≥", "120", "公里", 30, "", "计划标准", "台账"],
        ["产出指标", "数量指标", "桥梁检测座数", "正向", "15", "座", 20, "", "", ""],
        ["产出指标", "质量指标", "验收合格率", ">=", "95", "%", 20, "", "行业", ""],
        ["效益指标", "社会效益指标", "通行时间缩短", "≥", "10", "分钟", 20, "", "", ""],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "定性", "满意", "", 10, "", "", ""],
    ]


def error_of(call) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value


def issue_at(exc: InputError, *, sheet, row, column):
    """The issue reported at one cell; the error as a whole must also name the file."""
    issues = exc.issues if isinstance(exc, ValidationError) else [exc]
    for issue in issues:
        loc = issue.location
        if (loc.sheet, loc.row, loc.column) == (sheet, row, column):
            return issue
    raise AssertionError(f"no issue at {sheet}/{row}/{column}: {exc}")


def assert_both_languages(exc: InputError, zh: str, en: str, file: str) -> None:
    text = str(exc)
    assert file in text
    assert zh in text, text
    assert en in text, text


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("suffix", ["xlsx", "yaml", "yml"])
def test_round_trip_with_metadata(tmp_path, suffix):
    lib = small_library()
    write_library(lib, tmp_path / f"lib.{suffix}")
    assert read_library(tmp_path / f"lib.{suffix}") == lib


def test_round_trip_published_version(tmp_path):
    from datetime import datetime

    lib = small_library(status="published", published_by="王科长",
                        published_at=datetime(2021, 3, 1, 9, 30), based_on="county-target@1.0.0")
    for suffix in ("xlsx", "yaml"):
        write_library(lib, tmp_path / f"lib.{suffix}")
        assert read_library(tmp_path / f"lib.{suffix}") == lib


@pytest.mark.parametrize("encoding", [None, "utf-8-sig", "utf-8", "gbk"])
def test_csv_round_trip(tmp_path, encoding):
    lib = small_library(changelog=(), source_documents=(), description="", region="national",
                        effective_year=None)
    path = tmp_path / "lib.csv"
    write_library(lib, path, encoding=encoding)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding in (None, "utf-8-sig"))
    if encoding == "gbk":
        raw.decode("gbk")
    assert read_library(path, **CSV_META) == lib


def test_csv_cannot_carry_metadata_so_it_is_asked_for(tmp_path):
    path = tmp_path / "lib.csv"
    write_library(small_library(), path)
    exc = error_of(lambda: read_library(path))
    fields = sorted(i.location.field for i in exc.issues)
    assert fields == ["framework_id", "kind", "title", "version"]
    assert_both_languages(exc, "文件中没有“版本信息”工作表", "the file has no '版本信息' sheet",
                          "lib.csv")


def test_keyword_metadata_overrides_the_sheet(tmp_path):
    write_library(small_library(), tmp_path / "lib.xlsx")
    back = read_library(tmp_path / "lib.xlsx", version="1.2.0", region="达州市")
    assert (back.version, back.region) == ("1.2.0", "达州市")


# --------------------------------------------------------------------------- a bureau's layout

def test_implied_parents_get_summed_weights_and_stable_codes(tmp_path):
    path = write_xlsx(tmp_path / "bureau.xlsx", {"Sheet1": bureau_rows()})
    lib = read_library(path, **CSV_META)
    by_name = {ind.name: ind for ind in lib.indicators}
    # 30 + 20 under 数量指标, + 20 under 质量指标: 产出指标 = 70 (sums written out by hand)
    assert by_name["数量指标"].weight == 50
    assert by_name["产出指标"].weight == 70
    assert by_name["效益指标"].weight == 20
    assert [ind.code for ind in lib.indicators[:4]] == ["L1-01", "L1-01-01", "L1-01-01-01",
                                                         "L1-01-01-02"]
    assert by_name["验收合格率"].code == "L1-01-02-01"
    assert by_name["群众满意度"].parent == "L1-03-01"
    assert by_name["桥梁检测座数"].direction is Direction.HIGHER
    assert by_name["验收合格率"].value_basis.value == "行业标准"
    # the same file read twice gives the same codes
    assert read_library(path, **CSV_META) == lib


def test_written_parent_rows_keep_their_stated_weight(tmp_path):
    rows = bureau_rows()
    rows.insert(1, ["产出指标", "", "", "", "", "", 70, "产出总体", "", ""])
    rows.insert(2, ["产出指标", "数量指标", "", "", "", "", 50, "", "", ""])
    lib = read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}), **CSV_META)
    first = lib.indicators[0]
    assert (first.name, first.weight, first.explanation) == ("产出指标", 70, "产出总体")


def test_title_row_spaces_full_width_and_merged_cells_are_tolerated(tmp_path):
    rows = bureau_rows()
    rows[0] = [f"　{h} " if i % 2 else h.replace("指标", " 指标") for i, h in enumerate(rows[0])]
    rows[1][2] = "\u3000道路养护里程\u3000"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["开江县项目支出绩效指标库（2021 年）"])
    for row in rows:
        sheet.append(row)
    # 一级指标 merged down over the three 产出 rows, as bureaus lay it out
    for r in (4, 5):
        sheet.cell(r, 1).value = None
    sheet.merge_cells("A3:A5")
    workbook.save(tmp_path / "t.xlsx")
    lib = read_library(tmp_path / "t.xlsx", **CSV_META)
    names = [ind.name for ind in lib.indicators]
    assert names.count("产出指标") == 1 and "道路养护里程" in names
    assert next(i for i in lib.indicators if i.name == "产出指标").weight == 70


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_bureau_csv_in_each_encoding(tmp_path, encoding):
    text = "\n".join(",".join(str(c) for c in row) for row in bureau_rows())
    path = tmp_path / "bureau.csv"
    path.write_bytes(text.encode(encoding))
    # 3 first-level, 4 second-level and 5 third-level indicators
    assert len(read_library(path, **CSV_META).indicators) == 12


# --------------------------------------------------------------------------- property-based

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
NAMES = st.text(CJK, min_size=1, max_size=6)
PROSE = st.text(st.one_of(CJK, st.sampled_from("abc123，。、 ()%≥")), max_size=20).map(str.strip)
UNITS = st.sampled_from(["%", "个", "公里", "元", "人次", "天", "座"])
RULES = st.sampled_from([("", {}), ("ratio", {"cap": 1.5}), ("trim_over", {"threshold": 1.2}),
                         ("default", {})])


@st.composite
def libraries(draw) -> LibraryVersion:
    shape = draw(st.lists(st.lists(st.integers(1, 3), min_size=1, max_size=3), min_size=1,
                          max_size=3))
    leaves = sum(sum(groups) for groups in shape)
    # leaf weights in half points summing to 100, so every parent sum is exact in binary
    cuts = sorted(draw(st.lists(st.integers(0, 200), min_size=leaves - 1, max_size=leaves - 1)))
    halves = [b - a for a, b in zip([0, *cuts], [*cuts, 200], strict=True)]
    indicators: list[Indicator] = []
    top_names = draw(st.lists(NAMES, min_size=len(shape), max_size=len(shape), unique=True))
    leaf = iter(halves)
    for i, (groups, top) in enumerate(zip(shape, top_names, strict=True), start=1):
        mid_names = draw(st.lists(NAMES, min_size=len(groups), max_size=len(groups), unique=True))
        top_code = f"T{i}"
        top_index = len(indicators)
        indicators.append(Indicator(top_code, top, 1))
        top_weight = 0.0
        for j, (count, mid) in enumerate(zip(groups, mid_names, strict=True), start=1):
            mid_code = f"{top_code}.{j}"
            mid_index = len(indicators)
            indicators.append(Indicator(mid_code, mid, 2, parent=top_code))
            mid_weight = 0.0
            for k, name in enumerate(draw(st.lists(NAMES, min_size=count, max_size=count,
                                                   unique=True)), start=1):
                weight = next(leaf) / 2
                mid_weight += weight
                direction = draw(st.sampled_from(list(Direction)))
                unit = draw(UNITS) if direction is not Direction.QUALITATIVE else ""
                rule, params = draw(RULES)
                start = draw(st.none() | st.integers(2015, 2030))
                indicators.append(Indicator(
                    f"{mid_code}.{k}", name, 3, parent=mid_code, direction=direction, unit=unit,
                    weight=weight, reference_value=draw(st.sampled_from(["", "≥95", "=0", "100",
                                                                         "达标"])),
                    explanation=draw(PROSE), rule=rule, rule_params=params,
                    value_basis=draw(st.none() | st.sampled_from(["计划标准", "历史标准"])),
                    valid_from=start, valid_to=None if start is None else start + 3))
            indicators[mid_index] = Indicator(mid_code, mid, 2, parent=top_code, weight=mid_weight)
            top_weight += mid_weight
        indicators[top_index] = Indicator(top_code, top, 1, weight=top_weight,
                                          category=draw(st.none() | st.sampled_from(["产出", "效益"])))
    return LibraryVersion(
        "prop", "0.1.0", draw(NAMES), draw(st.sampled_from(["target", "evaluation", "rubric"])),
        tuple(indicators), region=draw(NAMES),
        source_documents=tuple(draw(st.lists(NAMES, max_size=2))),
        changelog=tuple(ChangelogEntry("0.1.0", text) for text in draw(st.lists(NAMES, max_size=2))))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lib=libraries(), suffix=st.sampled_from(["xlsx", "yaml"]))
def test_any_small_valid_library_round_trips(lib, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"lib.{suffix}"
        write_library(lib, path)
        assert read_library(path) == lib


# --------------------------------------------------------------------------- bad files

def test_missing_column_is_named_with_the_columns_found(tmp_path):
    rows = [[c for c in row[:6]] + row[7:] for row in bureau_rows()]  # drop 权重
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}),
                                        **CSV_META))
    assert isinstance(exc, ValidationError)
    issue_at(exc, sheet="指标", row=1, column="权重")
    assert_both_languages(exc, "缺少必需的列 '权重'", "required column '权重' is missing", "b.xlsx")
    assert "找到的列：一级指标、二级指标" in str(exc) and "Columns found: 一级指标" in str(exc)


def test_renamed_column_suggests_the_expected_header(tmp_path):
    rows = bureau_rows()
    rows[0][6] = "权值"
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}),
                                        **CSV_META))
    issue_at(exc, sheet="指标", row=1, column="权重")
    assert_both_languages(exc, "列 '权值' 是否应为 '权重'", "Did you mean '权重' for column '权值'",
                          "b.xlsx")


def test_misspelt_optional_column_is_not_silently_ignored(tmp_path):
    rows = bureau_rows()
    rows[0].append("指标编马")
    for row in rows[1:]:
        row.append("X")
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}),
                                        **CSV_META))
    issue_at(exc, sheet="指标", row=1, column="指标编码")


def test_wrong_type_names_the_spreadsheet_row(tmp_path):
    rows = [list(HEADERS)] + [["产出指标", "数量指标", f"指标{i}", "≥", "1", "个", 100 / 40, "", "", ""]
                        for i in range(40)]
    rows[36][6] = "abc"  # list index 36 is spreadsheet row 37 (the header is row 1)
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}),
                                        **CSV_META))
    issue_at(exc, sheet="指标", row=37, column="权重")
    assert_both_languages(exc, "第 37 行，列 '权重'：不是数字：'abc'",
                          "row 37, column '权重': not a number: 'abc'", "b.xlsx")


def test_all_row_errors_are_reported_together(tmp_path):
    rows = bureau_rows()
    rows[1][3] = "向上"             # unknown direction, row 2
    rows[2][6] = "二十"             # not a number, row 3
    rows[4][0] = rows[4][1] = ""    # a 三级 row with no 一级 / 二级, row 5
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}),
                                        **CSV_META))
    issue_at(exc, sheet="指标", row=2, column="指标方向")
    issue_at(exc, sheet="指标", row=3, column="权重")
    issue_at(exc, sheet="指标", row=5, column="一级指标")
    issue_at(exc, sheet="指标", row=5, column="二级指标")
    assert_both_languages(exc, "未知的指标方向 '向上'", "unknown direction '向上'", "b.xlsx")
    assert_both_languages(exc, "缺少所属的二级指标", "has no parent: '二级指标' is empty", "b.xlsx")


def test_issue_count_is_capped(tmp_path):
    rows = [list(HEADERS)] + [["产出指标", "数量指标", f"指标{i}", "向上", "1", "个", "x", "", "", ""]
                        for i in range(150)]
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}),
                                        **CSV_META))
    assert len(exc.issues) == 201 and exc.issues[-1].code == "too_many_issues"
    assert "另有" in str(exc) and "more" in str(exc)


def test_duplicate_codes(tmp_path):
    path = tmp_path / "lib.xlsx"
    write_library(small_library(), path)
    workbook = openpyxl.load_workbook(path)
    workbook["指标"]["K6"] = "A11"  # row 6 is A21, now claiming A11's code (row 4)
    workbook.save(path)
    exc = error_of(lambda: read_library(path))
    issue = issue_at(exc, sheet="指标", row=6, column="指标编码")
    assert issue.code == "duplicate_code"
    assert_both_languages(exc, "指标编码 'A11' 与第 4 行重复", "code 'A11' repeats row 4", "lib.xlsx")


def test_duplicate_indicator_rows(tmp_path):
    rows = bureau_rows()
    rows.append(list(rows[1]))
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}),
                                        **CSV_META))
    issue_at(exc, sheet="指标", row=7, column="三级指标")
    assert_both_languages(exc, "与第 2 行重复", "repeats row 2", "b.xlsx")


def test_weights_that_do_not_sum_are_located(tmp_path):
    path = tmp_path / "lib.xlsx"
    write_library(small_library(), path)
    workbook = openpyxl.load_workbook(path)
    workbook["指标"]["G4"] = 25  # A11 under A1 (weight 30, row 3)
    workbook.save(path)
    exc = error_of(lambda: read_library(path))
    issue = issue_at(exc, sheet="指标", row=3, column="权重")
    assert issue.code == "weights_not_sum_to_parent"
    assert_both_languages(exc, "下级指标权重合计 25", "children's weights sum to 25", "lib.xlsx")


def test_tree_not_summing_to_100(tmp_path):
    rows = bureau_rows()
    rows[1][6] = 35
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "b.xlsx", {"指标": rows}),
                                        **CSV_META))
    assert [i.code for i in exc.issues] == ["tree_not_100"]
    assert_both_languages(exc, "应为 100", "not 100", "b.xlsx")


def test_unknown_direction_and_bad_json(tmp_path):
    path = tmp_path / "lib.xlsx"
    write_library(small_library(), path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["指标"]
    sheet["D4"] = "越大越好呀"
    sheet["M4"] = "{“cap”: 1.2}"
    sheet["M6"] = "[1, 2]"
    workbook.save(path)
    exc = error_of(lambda: read_library(path))
    issue_at(exc, sheet="指标", row=4, column="指标方向")
    issue_at(exc, sheet="指标", row=4, column="规则参数")
    issue_at(exc, sheet="指标", row=6, column="规则参数")
    assert_both_languages(exc, "规则参数不是合法的 JSON", "rule parameters are not valid JSON",
                          "lib.xlsx")
    assert_both_languages(exc, "请使用英文双引号", "use ASCII quotes", "lib.xlsx")
    assert_both_languages(exc, "规则参数应为 JSON 对象", "must be a JSON object", "lib.xlsx")


def test_unknown_category_value_basis_and_year(tmp_path):
    path = tmp_path / "lib.xlsx"
    write_library(small_library(), path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["指标"]
    sheet["N2"], sheet["I4"], sheet["R4"] = "产值", "领导要求", "2021.5"
    workbook.save(path)
    exc = error_of(lambda: read_library(path))
    issue_at(exc, sheet="指标", row=2, column="分类")
    issue_at(exc, sheet="指标", row=4, column="取值依据")
    issue_at(exc, sheet="指标", row=4, column="有效起始年度")
    assert_both_languages(exc, "未知的取值依据 '领导要求'", "unknown value basis '领导要求'", "lib.xlsx")


@pytest.mark.parametrize("rows, zh, en", [
    ([], "工作表为空", "the sheet is empty"),
    ([list(HEADERS)], "只有表头", "a header row but no data rows"),
])
def test_empty_sheets(tmp_path, rows, zh, en):
    exc = error_of(lambda: read_library(write_xlsx(tmp_path / "e.xlsx", {"指标": rows}),
                                        **CSV_META))
    assert exc.issues[0].location.sheet == "指标"
    assert_both_languages(exc, zh, en, "e.xlsx")


def test_bad_metadata_is_located_on_its_sheet(tmp_path):
    path = tmp_path / "lib.xlsx"
    write_library(small_library(), path)
    workbook = openpyxl.load_workbook(path)
    meta = workbook["版本信息"]
    meta["B3"] = "1.0"       # 版本号 row
    meta["B5"] = "项目"      # 类型 row
    meta["A20"] = "负责人"
    workbook.save(path)
    exc = error_of(lambda: read_library(path))
    issue_at(exc, sheet="版本信息", row=3, column="值")
    issue_at(exc, sheet="版本信息", row=5, column="值")
    issue_at(exc, sheet="版本信息", row=20, column="字段")
    assert_both_languages(exc, "不是 主.次.修订 格式", "is not MAJOR.MINOR.PATCH", "lib.xlsx")
    assert_both_languages(exc, "未知的指标库类型 '项目'", "unknown library kind '项目'", "lib.xlsx")


@pytest.mark.parametrize("content", [
    b"this is a text file, renamed\n",
    b"",
    "一级指标,二级指标\n".encode(),
])
def test_a_file_that_is_not_excel(tmp_path, content):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)
    exc = error_of(lambda: read_library(path))
    assert exc.location.file == "fake.xlsx"
    assert_both_languages(exc, "不是 Excel 工作簿", "not an Excel workbook", "fake.xlsx")


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    exc = error_of(lambda: read_library(path))
    assert_both_languages(exc, "不是 Excel 工作簿", "not an Excel workbook", "fake.xlsx")


def test_unknown_encoding(tmp_path):
    path = tmp_path / "lib.csv"
    path.write_bytes("一级指标,权重\n".encode() + b"\x81\xff\xfe\x80\n")
    exc = error_of(lambda: read_library(path, **CSV_META))
    assert (exc.location.file, exc.location.row) == ("lib.csv", 2)
    assert_both_languages(exc, "无法识别文件编码", "unknown text encoding", "lib.csv")


def test_unsupported_suffixes_and_missing_sheet(tmp_path):
    (tmp_path / "lib.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert_both_languages(error_of(lambda: read_library(tmp_path / "lib.xls")),
                          "不支持旧版 .xls", "legacy .xls format", "lib.xls")
    assert_both_languages(error_of(lambda: read_library(tmp_path / "lib.json")),
                          "不支持的文件类型", "unsupported file type", "lib.json")
    write_library(small_library(), tmp_path / "lib.xlsx")
    exc = error_of(lambda: read_library(tmp_path / "lib.xlsx", sheet="指标库"))
    assert exc.location.sheet == "指标库"
    assert_both_languages(exc, "没有名为 '指标库' 的工作表", "there is no sheet '指标库'", "lib.xlsx")
    assert_both_languages(error_of(lambda: read_library(tmp_path / "lib.xlsx", colour="red")),
                          "未知的指标库字段", "unknown library field", "")


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "lib.yaml"
    path.write_text("framework_id: x\nversion: 1.0.0\nindicators: [\n  {code: A\n", encoding="utf-8")
    exc = error_of(lambda: read_library(path))
    assert exc.location.file == "lib.yaml" and exc.location.row is not None
    assert_both_languages(exc, "YAML 格式错误", "malformed YAML", "lib.yaml")


def test_yaml_tree_problems_name_the_line_of_the_indicator(tmp_path):
    data = small_library().to_dict()
    data["indicators"][2]["weight"] = 25  # A11 no longer sums to A1's 30
    path = tmp_path / "lib.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    a1_line = next(n for n, line in enumerate(lines, start=1) if "code: A1" == line.strip("- "))
    exc = error_of(lambda: read_library(path))
    issue = next(i for i in exc.issues if i.code == "weights_not_sum_to_parent")
    assert issue.location.row == a1_line
    assert_both_languages(exc, "下级指标权重合计 25", "children's weights sum to 25", "lib.yaml")


def test_writing_refuses_what_a_sheet_cannot_hold(tmp_path):
    broken = LibraryVersion("x", "1.0.0", "t", "catalogue",
                            (Indicator("B1", "孤儿", 2, parent="B"),))
    exc = error_of(lambda: write_library(broken, tmp_path / "x.xlsx"))
    assert_both_languages(exc, "上级链不完整", "parent chain is broken", "x.xlsx")
    assert_both_languages(error_of(lambda: write_library(small_library(), tmp_path / "x.xlsx",
                                                         encoding="gbk")),
                          "只有 CSV 文件可以指定编码", "an encoding applies to CSV files only", "x.xlsx")
