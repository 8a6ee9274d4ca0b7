"""The 版本信息 sheet: a version's identity read back from its rows, and its errors located."""

from __future__ import annotations

from datetime import datetime

from indicators.io_files import Grid
from indicators.io_meta import (
    META_HEADERS,
    is_meta_sheet,
    merge_meta,
    meta_rows,
    meta_value,
    read_meta_sheet,
)
from indicators.io_sheets import IssueLog
from indicators.model import ChangelogEntry, FrameworkKind, LibraryVersion, Status


def test_rows_written_are_rows_read():
    lib = LibraryVersion("demo", "2.0.1", "示例", "evaluation", region="开江县",
                         effective_year=2022, source_documents=("甲", "乙"),
                         changelog=(ChangelogEntry("2.0.1", "修订", "李", "2022-01-05"),),
                         status="published", published_at=datetime(2022, 1, 5, 8, 0))
    grid = Grid("lib.xlsx", "版本信息", (META_HEADERS, *map(tuple, meta_rows(lib))))
    log = IssueLog("lib.xlsx")
    fields = merge_meta(read_meta_sheet(grid, log), {}, log, sheet="版本信息")
    assert len(log) == 0
    assert LibraryVersion(**fields) == lib


def test_either_name_is_accepted_and_unknown_items_are_located():
    grid = Grid("lib.xlsx", "说明", (
        ("字段", "值"),
        ("framework_id", "demo"),
        ("版本号", "1.0"),
        ("类型（kind）", "rubric"),
        ("负责人", "王"),
        ("类型", "target"),
    ))
    log = IssueLog("lib.xlsx")
    fields = read_meta_sheet(grid, log)
    assert fields["framework_id"] == "demo" and fields["kind"] is FrameworkKind.RUBRIC
    assert [(i.code, i.location.row, i.location.column) for i in log.issues] == [
        ("bad_metadata", 3, "值"), ("unknown_metadata", 5, "字段"), ("duplicate_metadata", 6, "字段")]


def test_keyword_values_override_and_missing_fields_are_named():
    log = IssueLog("lib.xlsx")
    fields = merge_meta({"title": "旧", "kind": FrameworkKind.TARGET}, {"title": "新", "kind": "x"},
                        log, sheet="版本信息")
    assert fields["title"] == "新"
    assert sorted((i.code, i.location.field) for i in log.issues) == [
        ("bad_metadata", "kind"), ("missing_metadata", "framework_id"),
        ("missing_metadata", "version")]
    missing = next(i for i in log.issues if i.location.field == "version")
    assert "请在“版本信息”工作表中填写" in missing.zh and "fill it in sheet '版本信息'" in missing.en


def test_values_take_the_library_types():
    assert meta_value("status", "") is Status.DRAFT
    assert meta_value("region", "") == "national"
    assert meta_value("based_on", "") is None
    assert meta_value("published_at", "2021-03-01T09:00:00") == datetime(2021, 3, 1, 9)
    assert meta_value("changelog", [{"version": "1.0.0", "text": "初版"}]) == (
        ChangelogEntry("1.0.0", "初版"),)
    assert is_meta_sheet("About") and not is_meta_sheet("Sheet1")
