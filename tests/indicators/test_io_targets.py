"""Project target tables through Excel (two sheets) and a long CSV file: round trips, the
tolerances a bureau's sheets need, and bad cells named by file, sheet, row and column."""

from __future__ import annotations

import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.errors import InputError, ValidationError
from indicators.io_targets import (
    PROJECT_COLUMNS,
    TARGET_COLUMNS,
    read_target_tables,
    write_target_tables,
)
from indicators.model import BudgetType, Direction, Project, Target, TargetTable

PROJECT_HEADERS = [c.header for c in PROJECT_COLUMNS]
TARGET_HEADERS = [c.header for c in TARGET_COLUMNS]


def road_project() -> TargetTable:
    project = Project("2022-JT-001", "农村公路养护", "县交通运输局", "一般公共预算", 1_500_000.0,
                      2022, is_new=False, previous_amount=1_200_000.0, years_running=3,
                      is_key=True, township="新宁镇")
    return TargetTable(project, (
        Target(project.code, "A11", "养护里程", "产出指标", "数量指标", "≥", 30,
               target_value=120.5, unit="公里", library_ref="county-target@1.1.0"),
        Target(project.code, "A21", "验收合格率", "产出指标", "质量指标", "=", 20,
               target_value=100, unit="%", library_ref="county-target@1.1.0"),
        Target(project.code, "OWN-1", "事故下降率", "效益指标", "社会效益指标", "≤", 30,
               target_value=5, unit="%"),
        Target(project.code, "C11", "沿线群众满意度", "满意度指标", "服务对象满意度指标", "定性", 10,
               target_text="满意"),
    ))


def school_project() -> TargetTable:
    return TargetTable(Project("2022-JY-007", "学校食堂改造", "县教育局", "政府性基金预算",
                               800_000.5, 2022, is_new=True))


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def two_sheets() -> dict[str, list[list]]:
    return {
        "项目": [PROJECT_HEADERS,
               ["P1", "道路养护", "交通运输局", "一般公共预算", 1500000, "否", "", "", "是", 2022, ""]],
        "绩效目标": [TARGET_HEADERS,
                 ["P1", "产出指标", "数量指标", "养护里程", "", "≥", 120, "公里", 50, ""],
                 ["P1", "满意度指标", "服务对象满意度指标", "群众满意度", "", "定性", "满意", "", 40, ""]],
    }


def error_of(call) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value


def issue_at(exc: InputError, *, sheet, row, column):
    issues = exc.issues if isinstance(exc, ValidationError) else [exc]
    for issue in issues:
        if (issue.location.sheet, issue.location.row, issue.location.column) == (sheet, row, column):
            return issue
    raise AssertionError(f"no issue at {sheet}/{row}/{column}: {exc}")


def assert_both_languages(exc: InputError, zh: str, en: str, file: str) -> None:
    text = str(exc)
    assert file in text and zh in text and en in text, text


# --------------------------------------------------------------------------- round trips

def test_excel_round_trip(tmp_path):
    tables = [road_project(), school_project()]
    write_target_tables(tables, tmp_path / "targets.xlsx")
    assert read_target_tables(tmp_path / "targets.xlsx") == tables


@pytest.mark.parametrize("encoding", [None, "utf-8", "gbk"])
def test_long_csv_round_trip(tmp_path, encoding):
    tables = [road_project(), school_project()]
    path = tmp_path / "targets.csv"
    write_target_tables(tables, path, encoding=encoding)
    # one row per target, plus one for the project without targets, plus the header
    assert len(path.read_bytes().splitlines()) == 4 + 1 + 1
    assert read_target_tables(path) == tables


def test_single_long_sheet_workbook_is_read(tmp_path):
    tables = [road_project(), school_project()]
    write_target_tables(tables, tmp_path / "long.csv")
    lines = (tmp_path / "long.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = [line.split(",") for line in lines]
    assert read_target_tables(write_xlsx(tmp_path / "long.xlsx", {"Sheet1": rows})) == tables


TEXT = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=5)
# Excel keeps 15 significant digits, so amounts are drawn in fen and values in hundredths,
# as a bureau writes them
CENTS = st.integers(0, 10**10).map(lambda n: n / 100)


@st.composite
def target_tables(draw) -> list[TargetTable]:
    tables = []
    for p in range(draw(st.integers(1, 3))):
        code = f"P{p}"
        project = Project(code, draw(TEXT), draw(TEXT), draw(st.sampled_from(list(BudgetType))),
                          draw(CENTS), draw(st.integers(2015, 2030)),
                          is_new=draw(st.booleans()),
                          previous_amount=draw(st.none() | CENTS),
                          years_running=draw(st.integers(0, 9)), is_key=draw(st.booleans()),
                          township=draw(st.just("") | TEXT))
        targets = []
        for t in range(draw(st.integers(0, 4))):
            direction = draw(st.sampled_from(list(Direction)))
            qualitative = direction is Direction.QUALITATIVE
            targets.append(Target(
                code, f"{code}-{t + 1:02d}", draw(TEXT), draw(TEXT), draw(TEXT), direction,
                draw(st.integers(0, 10000)) / 100,
                target_value=None if qualitative else draw(st.integers(-10**8, 10**8)) / 100,
                target_text=draw(TEXT) if qualitative else "",
                unit=draw(st.sampled_from(["", "%", "个", "公里"])),
                library_ref=draw(st.none() | st.just("national-target@1.0.0"))))
        tables.append(TargetTable(project, tuple(targets)))
    return tables


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=target_tables(), suffix=st.sampled_from(["xlsx", "csv"]))
def test_any_target_tables_round_trip(tables, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"t.{suffix}"
        write_target_tables(tables, path)
        assert read_target_tables(path) == tables


# --------------------------------------------------------------------------- tolerances

def test_bureau_spellings_are_understood(tmp_path):
    sheets = two_sheets()
    sheets["项目"][1] = [" P1 ", "道路养护", "交通运输局", "一般公共", "1,500,000元", "是", "", "3年",
                       "", "2022年", ""]
    sheets["项目"][0][4] = "项目金额（元）"
    sheets["绩效目标"][1][6] = "≥120公里"
    sheets["绩效目标"].append(["P1", "产出指标", "质量指标", "合格率", "", "≥", "95%", "%", 10, ""])
    [table] = read_target_tables(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert table.project.amount == 1_500_000 and table.project.year == 2022
    assert table.project.budget_type is BudgetType.GENERAL and table.project.is_new
    assert table.project.years_running == 3
    assert [t.target_value for t in table.targets] == [120, None, 95]
    assert table.targets[1].target_text == "满意"
    assert [t.indicator_code for t in table.targets] == ["P1-01", "P1-02", "P1-03"]


# --------------------------------------------------------------------------- bad files

def test_wrong_type_in_project_amount(tmp_path):
    sheets = two_sheets()
    sheets["项目"] += [[f"P{i}", "x", "y", "一般公共预算", 10, "", "", "", "", 2022, ""]
                     for i in range(2, 37)]
    sheets["项目"][36][4] = "十万"
    exc = error_of(lambda: read_target_tables(write_xlsx(tmp_path / "t.xlsx", sheets)))
    issue_at(exc, sheet="项目", row=37, column="项目金额(元)")
    assert_both_languages(exc, "第 37 行，列 '项目金额(元)'：不是数字：'十万'",
                          "row 37, column '项目金额(元)': not a number: '十万'", "t.xlsx")


def test_every_bad_cell_is_reported_at_once(tmp_path):
    sheets = two_sheets()
    sheets["项目"][1][3] = "专项资金"      # budget type
    sheets["项目"][1][5] = "也许"          # yes/no
    sheets["项目"].append(["P1", "重复", "y", "一般公共预算", 1, "", "", "", "", 2022, ""])
    sheets["绩效目标"][1][5] = "向上"      # direction
    sheets["绩效目标"][2][8] = ""          # weight missing
    sheets["绩效目标"].append(["P9", "产出指标", "数量指标", "x", "", "≥", "多", "个", 1, "v1"])
    exc = error_of(lambda: read_target_tables(write_xlsx(tmp_path / "t.xlsx", sheets)))
    issue_at(exc, sheet="项目", row=2, column="预算类型")
    issue_at(exc, sheet="项目", row=2, column="是否新增")
    issue_at(exc, sheet="项目", row=3, column="项目编码")
    issue_at(exc, sheet="绩效目标", row=2, column="指标方向")
    issue_at(exc, sheet="绩效目标", row=3, column="权重")
    issue_at(exc, sheet="绩效目标", row=4, column="项目编码")
    issue_at(exc, sheet="绩效目标", row=4, column="指标值")
    issue_at(exc, sheet="绩效目标", row=4, column="指标库版本")
    assert_both_languages(exc, "未知的预算类型 '专项资金'", "unknown budget type '专项资金'", "t.xlsx")
    assert_both_languages(exc, "项目编码 'P9' 不在“项目”中", "project code 'P9' is not among",
                          "t.xlsx")
    assert_both_languages(exc, "定量指标（≥）的指标值应为数字", "needs a numeric target value",
                          "t.xlsx")


def test_sign_that_contradicts_the_direction(tmp_path):
    sheets = two_sheets()
    sheets["绩效目标"][1][6] = "≤120"
    exc = error_of(lambda: read_target_tables(write_xlsx(tmp_path / "t.xlsx", sheets)))
    issue_at(exc, sheet="绩效目标", row=2, column="指标值")
    assert_both_languages(exc, "与指标方向 '≥' 不一致", "contradicts direction '≥'", "t.xlsx")


def test_duplicate_target_codes_within_a_project(tmp_path):
    sheets = two_sheets()
    sheets["绩效目标"][1][4] = sheets["绩效目标"][2][4] = "A11"
    exc = error_of(lambda: read_target_tables(write_xlsx(tmp_path / "t.xlsx", sheets)))
    issue_at(exc, sheet="绩效目标", row=3, column="指标编码")
    assert_both_languages(exc, "与第 2 行重复", "repeats row 2", "t.xlsx")


def test_missing_sheet_and_missing_column(tmp_path):
    sheets = two_sheets()
    del sheets["绩效目标"]
    sheets["目标"] = [TARGET_HEADERS]
    exc = error_of(lambda: read_target_tables(write_xlsx(tmp_path / "t.xlsx", sheets)))
    assert exc.location.sheet == "绩效目标"
    assert_both_languages(exc, "缺少工作表 绩效目标", "missing sheet(s) 绩效目标", "t.xlsx")

    sheets = two_sheets()
    sheets["项目"] = [[h for h in row if h != "年度"] for row in sheets["项目"]]
    sheets["项目"][0][5] = "是否新项目"
    exc = error_of(lambda: read_target_tables(write_xlsx(tmp_path / "t2.xlsx", sheets)))
    issue_at(exc, sheet="项目", row=1, column="年度")
    assert_both_languages(exc, "缺少必需的列 '年度'", "required column '年度' is missing", "t2.xlsx")


def test_empty_projects_sheet(tmp_path):
    sheets = {"项目": [PROJECT_HEADERS], "绩效目标": [TARGET_HEADERS]}
    exc = error_of(lambda: read_target_tables(write_xlsx(tmp_path / "t.xlsx", sheets)))
    issue_at(exc, sheet="项目", row=1, column=None)
    assert_both_languages(exc, "只有表头", "no data rows", "t.xlsx")


def test_long_csv_with_inconsistent_project_rows(tmp_path):
    path = tmp_path / "t.csv"
    write_target_tables([road_project()], path, encoding="gbk")
    lines = path.read_bytes().decode("gbk").splitlines()
    lines[3] = lines[3].replace("县交通运输局", "县住建局")
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    exc = error_of(lambda: read_target_tables(path))
    issue_at(exc, sheet=None, row=4, column="主管部门")
    assert_both_languages(exc, "与第 2 行的 '县交通运输局' 不一致",
                          "'县住建局' here but '县交通运输局' on row 2", "t.csv")


def test_not_excel_and_bad_encoding(tmp_path):
    (tmp_path / "t.xlsx").write_text("项目编码,项目名称\n", encoding="utf-8")
    assert_both_languages(error_of(lambda: read_target_tables(tmp_path / "t.xlsx")),
                          "不是 Excel 工作簿", "not an Excel workbook", "t.xlsx")
    (tmp_path / "t.csv").write_bytes(b"\xff\xfe" + "项目编码".encode("utf-16-le"))
    assert_both_languages(error_of(lambda: read_target_tables(tmp_path / "t.csv")),
                          "无法识别文件编码", "unknown text encoding", "t.csv")
    assert_both_languages(error_of(lambda: read_target_tables(tmp_path / "t.json")),
                          "不支持的文件类型", "unsupported file type", "t.json")
