"""Tests of the public disclosure tables (scoring/disclosure.py)."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

import scoring.disclosure as disclosure_module
from indicators.errors import InputError
from scoring.disclosure import disclosure_tables, scan_personal_data

PROJECTS = pd.DataFrame({"project": ["P1", "P2"], "name": ["农村公路养护", "学生资助"],
                         "department": ["县交通运输局", "县教育局"],
                         "budget_type": ["一般公共预算", "一般公共预算"],
                         "contact": ["王五 13812345678", "赵六"]})
TARGETS = pd.DataFrame({"project": ["P1", "P2"], "level1": ["产出指标", "满意度指标"],
                        "level2": ["数量指标", "服务对象满意度指标"],
                        "indicator": ["养护里程", "受助学生满意度"], "direction": ["≥", "≥"],
                        "target": [120.0, 90.0], "unit": ["公里", "%"], "weight": [50.0, 10.0],
                        "reviewer_note": ["审核人：李四", "请补充"]})
SELF = pd.DataFrame({"project": ["P1", "P2"], "budget": [1e6, 5e5], "spent": [987_654.321, 5e5],
                     "execution_rate": [0.987654321, 1.0], "total": [89.995, 72.5],
                     "grade": ["良", "中"], "rater": ["张三", "李四"], "comment": ["资料不全", "差"]})
KEY = pd.DataFrame({"project": ["P1"], "total": [86.125], "grade": ["良"],
                    "expert_scores": ["88, 84"], "expert": ["王教授"]})


def test_only_public_columns_reach_the_tables():
    tables = disclosure_tables(PROJECTS, TARGETS, SELF, KEY)
    everything = " ".join(str(v) for t in (tables.targets, tables.self_evaluation,
                                           tables.key_evaluation) for v in t.to_numpy().ravel())
    for secret in ("张三", "李四", "王教授", "审核人", "请补充", "资料不全", "13812345678", "88, 84"):
        assert secret not in everything
    assert tables.targets.columns.tolist() == [
        "项目编码", "项目名称", "主管部门", "预算类型", "一级指标", "二级指标", "三级指标",
        "指标方向", "指标值", "计量单位", "分值"]
    assert tables.key_evaluation.columns.tolist() == [
        "项目编码", "项目名称", "主管部门", "预算类型", "评价得分", "评价等级"]


def test_numbers_are_rounded_half_up_to_two_decimals():
    se = disclosure_tables(PROJECTS, TARGETS, SELF, KEY).self_evaluation
    assert se["自评得分"].tolist() == [90.0, 72.5]
    assert se["预算执行率(%)"].tolist() == [98.77, 100.0]
    assert se["执行数(元)"].tolist() == [987_654.32, 500_000.0]
    key = disclosure_tables(PROJECTS, TARGETS, SELF, KEY).key_evaluation
    assert key["评价得分"].tolist() == [86.13]


def test_without_key_results_the_key_table_is_empty_but_has_headers():
    tables = disclosure_tables(PROJECTS, TARGETS, SELF)
    assert tables.key_evaluation.empty
    assert "评价等级" in tables.key_evaluation.columns
    assert [name for name, _ in tables.sheets()] == [
        "公开_绩效目标", "公开_单位自评结果", "公开_重点评价结果"]


@pytest.mark.parametrize("text", ["联系电话 13912345678", "身份证 51172319800101123X",
                                  "邮箱 someone@example.gov.cn"])
def test_personal_data_in_a_public_cell_is_refused_with_its_place(text):
    projects = PROJECTS.copy()
    projects.loc[1, "name"] = f"学生资助（{text}）"
    with pytest.raises(InputError) as err:
        disclosure_tables(projects, TARGETS, SELF)
    assert err.value.location.row == 2 and err.value.location.column == "项目名称"


def test_masking_instead_of_refusing():
    projects = PROJECTS.copy()
    projects.loc[0, "name"] = "农村公路养护 联系 13912345678"
    tables = disclosure_tables(projects, TARGETS, SELF, mask_personal_data=True)
    assert tables.targets["项目名称"].iat[0] == "农村公路养护 联系 ***"


def test_numbers_that_only_look_long_are_not_personal_data():
    frame = pd.DataFrame({"项目编码": ["P20210010101", "2021年"], "金额": [13812345678.0, 1.0]})
    assert scan_personal_data(frame) is frame


def test_missing_project_column_is_refused():
    with pytest.raises(InputError) as err:
        disclosure_tables(PROJECTS, TARGETS.drop(columns="project"), SELF)
    assert err.value.location.field == "targets"


def test_docstring_examples_run():
    assert doctest.testmod(disclosure_module).failed == 0
