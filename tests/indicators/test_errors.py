"""Bilingual errors: the place and the message, in either language or both."""

from __future__ import annotations

import doctest

import indicators.errors as errors_module
from indicators.errors import ErrorLocation, InputError, ValidationError, ValidationIssue


def test_place_names_every_part_a_person_can_find_widest_first() -> None:
    place = ErrorLocation(file="a.xlsx", sheet="指标", row=3, column="权重", field="weight")
    assert place.zh() == "文件 'a.xlsx'，工作表 '指标'，第 3 行，列 '权重'"
    assert place.en() == "file 'a.xlsx', sheet '指标', row 3, column '权重'"
    assert ErrorLocation().zh() == "" and not ErrorLocation()


def test_internal_field_stays_on_the_error_but_out_of_the_message() -> None:
    error = InputError("邀请链接无效、已使用或已过期", "invite link invalid, used or expired",
                       field="token")
    assert error.location.field == "token" and error.location
    assert error.message() == "邀请链接无效、已使用或已过期\ninvite link invalid, used or expired"
    assert str(error) == error.message() and "token" not in str(error)
    located = InputError("不是数字", "not a number", row=37, column="项目金额", field="amount")
    assert located.message("zh") == "第 37 行，列 '项目金额'：不是数字"
    assert located.message("en") == "row 37, column '项目金额': not a number"
    issue = ValidationIssue("x", "指标 C01：权重为空", "indicator C01: weight is empty",
                            ErrorLocation(field="C01.weight"))
    assert issue.message() == "指标 C01：权重为空 / indicator C01: weight is empty"


def test_error_message_in_one_language_or_both() -> None:
    error = InputError("不是数字", "not a number", file="a.csv", row=2)
    assert error.message("zh") == "文件 'a.csv'，第 2 行：不是数字"
    assert error.message("en") == "file 'a.csv', row 2: not a number"
    assert error.message() == f"{error.message('zh')}\n{error.message('en')}"
    assert InputError("坏", "bad").message("en") == "bad"


def test_validation_error_lists_issues_on_one_line_each() -> None:
    issues = [ValidationIssue("empty", "为空", "is empty", ErrorLocation(row=r)) for r in (2, 3)]
    error = ValidationError(issues, file="lib.xlsx")
    assert issues[0].message() == "第 2 行：为空 / row 2: is empty"
    assert "row 3: is empty" in error.message("en") and "2 problem(s)" in error.message("en")


def test_docstring_examples_run() -> None:
    assert doctest.testmod(errors_module).failed == 0
