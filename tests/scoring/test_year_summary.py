"""Tests of the year summary, coverage and workbook layout (scoring/year_summary.py)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from indicators.errors import InputError
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_demo import demo_county_year
from scoring.money import million
from scoring.year import run_year
from scoring.year_summary import grades_by_department, workbook_sheets

CONFIG = load_lifecycle_config("kaijiang-2021")


@pytest.fixture(scope="module")
def data():
    return demo_county_year(CONFIG)


def test_a_template_naming_an_unknown_field_is_refused(data):
    broken = dataclasses.replace(CONFIG, summary_zh=("{year}年，{no_such_number}。",))
    with pytest.raises(InputError) as err:
        run_year(data, broken)
    assert err.value.location.field == "summary.zh"


def test_templates_are_the_settings_words(data):
    plain = dataclasses.replace(CONFIG, summary_zh=("自评{self_count}个，差{grade_差}个。",),
                                summary_en=("{self_count} self-evaluated.",))
    result = run_year(data, plain)
    assert result.text_zh == f"自评{result.summary['self_count']}个，差{result.summary['grade_差']}个。"


def test_grades_by_department_lists_every_grade_best_first():
    ev = pd.DataFrame({"department": ["甲", "乙", "乙"], "final_grade": ["差", "良", None]})
    table = grades_by_department(ev, CONFIG)
    assert table.columns.tolist() == ["department", "优", "良", "中", "差", "total"]
    assert table.set_index("department").loc["乙", "total"] == 1


def test_workbook_sheets_have_chinese_headers(data):
    result = run_year(data, CONFIG)
    sheets = dict(workbook_sheets(result, CONFIG))
    assert sheets["绩效监控"].columns[:3].tolist() == ["项目编码", "预算数(元)", "累计支出(元)"]
    assert "立项必要性" in sheets["事前评估结果"].columns
    assert len(sheets["目标审核问题"]) == len(result.review.findings)
    assert sheets["结果应用批次"]["批次"].tolist() == ["追减", "收回", "反馈整改"]


def test_the_english_summary_writes_amounts_in_millions_as_exactly_as_the_chinese(data):
    result = run_year(data, CONFIG)
    n = result.summary
    for key in ("exante_cut", "review_cut", "cut_amount"):
        # 万元 to two decimals and millions to four are both hundreds of yuan.
        wan = f"{round(n[key] / 1e4, 2):.2f}".rstrip("0").rstrip(".")
        mio = f"{round(n[key] / 1e6, 4):.4f}".rstrip("0").rstrip(".")
        assert f"{wan}万元" in result.text_zh and f"{mio} million yuan" in result.text_en, key
    assert "200,000 yuan or more" in result.text_en and "ten-thousand" not in result.text_en
    assert million(2_040_000) == "2.04" and million(2_508_500) == "2.5085"


def test_the_department_sentence_and_sheet(data):
    result = run_year(data, CONFIG)
    n = result.summary
    counts = "、".join(f"{g}{n[f'dept_grade_{g}']}个" for g in ("优", "良", "中", "差"))
    assert (f"全县{n['dept_units']}个部门（单位）中{n['dept_count']}个开展了部门整体支出绩效评价，"
            f"其中{counts}。") in result.text_zh
    sheet = dict(workbook_sheets(result, CONFIG))["部门整体评价"]
    assert len(sheet) == n["dept_units"]
    assert int(sheet["等级"].notna().sum()) == n["dept_count"]
    # Headed as the 部门整体评价 page and the dashboard's workbook head it.
    assert {"部门（单位）", "部门框架得分", "项目得分（金额加权）", "总分", "等级封顶（否决）",
            "说明"} <= set(sheet.columns)
    assert not set(sheet["评价状态"]) & {"scored", "incomplete", "unscored", "not_evaluated"}
    # Points rounded half up to two decimals, as the dashboard's workbook has them.
    totals = sheet["总分"].dropna()
    assert (totals.round(2) == totals).all()


def test_the_numbers_sheet_names_every_number_as_the_dashboard_does(data):
    from scoring.year_overview import number_label

    result = run_year(data, CONFIG)
    sheet = dict(workbook_sheets(result, CONFIG))["主要数字"]
    assert sheet["项目"].tolist() == [number_label(k, "zh") for k in result.summary]
    assert not set(sheet["项目"]) & set(result.summary)
