"""Bilingual errors: the place and the message, in either language or both."""

from __future__ import annotations

import doctest

import indicators.errors as errors_module
from indicators.errors import ErrorLocation, InputError, ValidationError, ValidationIssue


def test_place_names_every_known_part_widest_first() -> None:
    place = ErrorLocation(file="a.xlsx", sheet="指标", row=3, column="权重", field="weight")
    assert place.zh() == "文件 'a.xlsx'，工作表 '指标'，第 3 行，列 '权重'，字段 'weight'"
    assert place.en() == "file 'a.xlsx', sheet '指标', row 3, column '权重', field 'weight'"
    assert ErrorLocation().zh() == "" and not ErrorLocation()


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
