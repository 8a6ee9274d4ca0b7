"""Tests of the ``jixiao year run`` and ``jixiao exante check`` commands (scoring/cli_lifecycle.py)."""

from __future__ import annotations

import doctest
import json
import re
import shutil
from pathlib import Path

import click
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import scoring.cli_lifecycle as cli_module
from indicators.io_files import read_workbook_grids
from indicators.resources import data_path
from scoring.cli_lifecycle import register

REQUESTS = data_path("demo", "requests_2022.csv")


@pytest.fixture(scope="module")
def cli() -> click.Group:
    group = click.Group("jixiao")
    register(group)
    return group


def invoke(cli: click.Group, *args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_run(cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("year") / "summary.xlsx"
    result = invoke(cli, "year", "run", "--year", "2021", "--out", str(out), "--json")
    return result, out


def test_year_run_writes_the_summary_workbook(demo_run):
    result, out = demo_run
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["summary_zh"].startswith("2021年，财政开展")
    sheets = read_workbook_grids(out)
    assert list(sheets)[:4] == ["年度小结", "主要数字", "覆盖情况", "事前评估清单"]
    assert {"公开_绩效目标", "公开_单位自评结果", "公开_重点评价结果", "参数来源"} <= set(sheets)
    # The workbook shows the same numbers the command reports.
    numbers = {row[0]: row[1] for row in sheets["主要数字"].rows[1:]}
    assert numbers["需事前评估项目数"] == report["numbers"]["exante_triggered"]
    assert numbers["已自评项目数"] == report["numbers"]["self_count"]
    assert numbers["追减一批金额(元)"] == pytest.approx(report["numbers"]["cut_amount"])
    assert sheets["年度小结"].rows[1][0] in report["summary_zh"]


def test_the_workbook_names_every_number_in_chinese(demo_run):
    # A trial user found 26 rows of 主要数字 named by internal keys (exante_cut_recommended,
    # dept_grade_优, decisions_applied …) where the dashboard's workbook has Chinese labels.
    result, out = demo_run
    keys = list(json.loads(result.output)["numbers"])
    sheet = openpyxl.load_workbook(out, read_only=True)["主要数字"]
    rows = list(sheet.iter_rows(values_only=True))
    labels = [row[0] for row in rows[1:]]
    assert len(labels) == len(keys) > 40
    assert not set(labels) & set(keys)
    assert not [label for label in labels if re.fullmatch(r"[a-z_0-9]+.*", str(label))]
    assert "事前评估建议追减(元)" in labels and "部门整体评价等级为“优”的部门数" in labels
    assert "运行时应用的决定数" in labels
    # The department sheet is headed as the 部门整体评价 page and the dashboard's workbook.
    headers = next(openpyxl.load_workbook(out, read_only=True)["部门整体评价"].iter_rows(
        values_only=True))
    assert headers[:2] == ("部门（单位）", "评价状态") and "总分" in headers


def test_year_run_prints_the_summary(cli, tmp_path):
    result = invoke(cli, "year", "run", "--year", "2021", "--out", str(tmp_path / "s.xlsx"),
                    "--rules", "sichuan", "--config", "national-2021")
    assert result.exit_code == 0, result.output
    assert "经绩效目标审核" in result.output and "In 2021" in result.output
    assert "national-2021@1.0.0" in result.output


def test_year_other_than_the_demo_needs_data(cli, tmp_path):
    out = tmp_path / "s.xlsx"
    result = invoke(cli, "year", "run", "--year", "2020", "--out", str(out))
    assert result.exit_code == 2
    assert "--data" in result.output and not out.exists()


def test_unknown_settings_exit_with_code_two(cli, tmp_path):
    result = invoke(cli, "year", "run", "--year", "2021", "--out", str(tmp_path / "s.xlsx"),
                    "--config", "nowhere-1999")
    assert result.exit_code == 2 and "nowhere-1999" in result.output


def test_cut_off_month_without_spending_is_refused(cli, tmp_path):
    result = invoke(cli, "year", "run", "--year", "2021", "--out", str(tmp_path / "s.xlsx"),
                    "--month", "6")
    assert result.exit_code == 2


@pytest.fixture
def county_folder(tmp_path) -> Path:
    folder = tmp_path / "county"
    shutil.copytree(data_path("demo"), folder)
    return folder


def test_year_run_on_a_folder_of_county_tables(cli, county_folder, demo_run, tmp_path):
    out = tmp_path / "s.xlsx"
    result = invoke(cli, "year", "run", "--year", "2021", "--out", str(out), "--data",
                    str(county_folder), "--json")
    assert result.exit_code == 0, result.output
    numbers = json.loads(result.output)["numbers"]
    demo = json.loads(demo_run[0].output)["numbers"]
    # Same tables, same review and self-evaluation; no assessment sheets in the folder.
    for key in ("review_count", "review_cut", "self_count", "grade_优", "grade_差", "key_count",
                "exante_triggered"):
        assert numbers[key] == demo[key]
    assert numbers["exante_count"] == 0 and numbers["exante_pending"] == demo["exante_triggered"]


def test_bad_cell_in_a_county_file_names_row_and_column_and_writes_nothing(cli, county_folder,
                                                                            tmp_path):
    path = county_folder / "projects_2021.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[4].split(",")
    cells[4] = "五十万"
    lines[4] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    out = tmp_path / "s.xlsx"
    result = invoke(cli, "year", "run", "--year", "2021", "--out", str(out), "--data",
                    str(county_folder))
    assert result.exit_code == 2
    assert "第 5 行" in result.output and "项目金额(元)" in result.output
    assert "row 5" in result.output
    assert not out.exists()


def _key_sheet(out: Path) -> dict[str, tuple]:
    rows = read_workbook_grids(out)["公开_重点评价结果"].rows
    header = list(rows[0])
    at = [header.index(h) for h in ("项目编码", "评价得分", "评价等级")]
    return {row[at[0]]: (row[at[1]], row[at[2]]) for row in rows[1:]}


def test_year_run_without_key_results_discloses_no_key_evaluation(demo_run):
    _, out = demo_run
    assert _key_sheet(out) == {}


def test_year_run_takes_key_results_from_a_file(cli, tmp_path):
    # Two demo key projects graded by the national bands (优 ≥ 90, 中 60–79.99) and one whose
    # file gives its own grade, which is kept.
    path = tmp_path / "key.csv"
    path.write_text("项目编码,评价得分,评价等级,得分依据\n"
                    "P202100107,95.5,,原始得分\nP202100202,65,,原始得分\n"
                    "P202100402,85,优,地方标准\n", encoding="utf-8")
    out = tmp_path / "s.xlsx"
    result = invoke(cli, "year", "run", "--year", "2021", "--out", str(out),
                    "--key-results", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert _key_sheet(out) == {"P202100107": (95.5, "优"), "P202100202": (65, "中"),
                               "P202100402": (85, "优")}


def test_key_results_out_of_range_exit_with_code_two(cli, tmp_path):
    path = tmp_path / "key.csv"
    path.write_text("项目编码,评价得分\nP202100107,150\n", encoding="utf-8")
    out = tmp_path / "s.xlsx"
    result = invoke(cli, "year", "run", "--year", "2021", "--out", str(out),
                    "--key-results", str(path))
    assert result.exit_code == 2 and "P202100107" in result.output and not out.exists()


def test_exante_check_lists_the_projects_with_their_rules(cli):
    result = invoke(cli, "exante", "check", str(REQUESTS))
    assert result.exit_code == 0, result.output
    assert "触发规则" in result.output and "新增项目金额≥100万元" in result.output
    assert "of 314 requests need an ex-ante assessment" in result.output


def test_exante_check_json_reports_rows(cli):
    report = json.loads(invoke(cli, "exante", "check", str(REQUESTS), "--json").output)
    assert report["n_requests"] == 314
    first = report["projects"][0]
    assert first["row"] >= 2 and first["rules"]
    frame = pd.read_csv(REQUESTS, encoding="utf-8-sig")
    assert frame.loc[first["row"] - 2, "项目编码"] == first["project"]


def write_requests(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    header = ["项目编码", "项目名称", "申请金额(元)", "上年金额(元)", "是否新增", "延续年数", "是否重点项目"]
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        book.active.append(["2022 年预算申请"])            # a title row above the header
        book.active.append(header)
        for row in rows:
            book.active.append(row)
        book.save(path)
    else:
        text = "\n".join(",".join(map(str, r)) for r in [header, *rows])
        path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("name, encoding", [("r.csv", "gbk"), ("r.csv", "utf-8"),
                                            ("r.xlsx", None)])
def test_exante_check_reads_gbk_utf8_and_excel(cli, tmp_path, name, encoding):
    path = write_requests(tmp_path / name, [["A", "新建", 1_000_000, "", "是", 0, "否"],
                                            ["B", "延续", 1_200_000, 1_000_000, "否", 2, "否"],
                                            ["C", "延续", 500_000, 500_000, "否", 3, "是"]],
                          encoding=encoding or "utf-8")
    report = json.loads(invoke(cli, "exante", "check", str(path), "--json").output)
    assert [p["project"] for p in report["projects"]] == ["A", "B"]


def test_exante_check_bad_import_names_row_and_column(cli, tmp_path):
    path = write_requests(tmp_path / "r.csv", [["A", "x", 1_000_000, "", "是", 0, "否"],
                                               ["B", "y", "一百万", 900_000, "否", 2, "否"],
                                               ["C", "z", 900_000, "", "否", 2, "否"]], "gbk")
    result = invoke(cli, "exante", "check", str(path))
    assert result.exit_code == 2
    assert "第 3 行，列 '申请金额(元)'" in result.output
    assert "第 4 行，列 '上年金额(元)'" in result.output
    assert "row 3, column '申请金额(元)'" in result.output


def test_exante_check_missing_column_is_named(cli, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("项目编码,申请金额(元)\nA,100\n", encoding="utf-8")
    result = invoke(cli, "exante", "check", str(path))
    assert result.exit_code == 2 and "是否新增" in result.output


def test_docstring_examples_run():
    assert doctest.testmod(cli_module).failed == 0


def test_year_run_stored_applies_the_decisions_recorded_in_the_database(cli, demo_run, tmp_path,
                                                                       monkeypatch):
    from sqlmodel import Session

    from indicators.database import clear_engine_cache, get_engine, upgrade
    from scoring.lifecycle_decision_store import record_decisions

    url = f"sqlite:///{tmp_path / 'county.sqlite3'}"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    clear_engine_cache()
    bare = CliRunner().invoke(cli, ["year", "run", "--year", "2021", "--stored", "--out",
                                    str(tmp_path / "bare.xlsx")])
    assert bare.exit_code == 2 and "导入" in bare.output  # nothing stored, no demo fill
    engine = get_engine(url)
    upgrade(engine)
    projects = pd.read_csv(data_path("demo", "projects_2021.csv"), encoding="utf-8-sig")
    project = projects["项目编码"].iloc[0]
    with Session(engine) as session:
        record_decisions(session, year=2021, stage="monitoring", created_by="王科长",
                         decisions=pd.DataFrame({
                             "project": [project], "recommendation": ["督促加快"],
                             "outcome": ["调整调减"], "amount": [12_345.0],
                             "reason": ["项目暂停实施"]}))
    result = invoke(cli, "year", "run", "--year", "2021", "--stored", "--fill-demo",
                    "--out", str(tmp_path / "stored.xlsx"), "--json")
    clear_engine_cache()
    numbers = json.loads(result.output)["numbers"]
    before = json.loads(demo_run[0].output)["numbers"]
    # The demo recommends 督促加快 for this project (no cut); the decision cuts 12,345 yuan.
    assert numbers["decisions_applied"] == 1
    assert numbers["monitor_cut_recommended"] == pytest.approx(before["monitor_cut"])
    assert numbers["monitor_cut"] == pytest.approx(before["monitor_cut"] + 12_345.0)
    assert numbers["monitor_count"] == before["monitor_count"] + 1
