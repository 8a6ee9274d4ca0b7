"""Tests of the year summary, coverage and workbook layout (scoring/year_summary.py)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from indicators.errors import InputError
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_demo import demo_county_year
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
