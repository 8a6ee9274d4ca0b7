"""Rows become public values without hashes or documents, with every rubric item on a sheet."""

from __future__ import annotations

from datetime import UTC, datetime

from indicators.frontdoor import Role
from review.model import AuditEntry, PanelMethod, RoundStatus, SheetStatus
from review.tables import AssignmentRow, ReportRow, RoundRow, UserRow
from review.views import (
    audit_changes,
    earlier_values,
    report_public,
    round_public,
    rubric_of,
    sheet_public,
    user_public,
    viewer_of,
)


def test_account_views_carry_no_password_hash() -> None:
    row = UserRow(id=4, username="e1", display_name="专家", role="expert", department="县教育局",
                  password_hash="$argon2id$secret", locked_until=datetime(2021, 6, 1, 8))
    public = user_public(row)
    assert public.role is Role.EXPERT and public.locked_until.tzinfo is not None
    assert "argon2" not in repr(public) and "argon2" not in repr(viewer_of(row))
    assert viewer_of(row).department == "县教育局"


def test_report_view_has_the_checksum_but_not_the_document() -> None:
    row = ReportRow(id=2, round_id=1, title="报告", filename="r.pdf", mime="application/pdf",
                    sha256="0" * 64, size=5, content=b"%PDF-")
    public = report_public(row)
    assert public.sha256 == "0" * 64 and not hasattr(public, "content")


def test_round_view_and_rubric_snapshot() -> None:
    row = RoundRow(id=1, title="轮次", year=2021, rubric_ref="r@1.0.0", status="closed",
                   panel_method="median", created_at=datetime(2021, 5, 1),
                   rubric=[{"code": "A", "name": "甲", "min_score": 0, "max_score": 4,
                            "level1": "一"}])
    public = round_public(row, "finance")
    assert public.status is RoundStatus.CLOSED and public.panel_method is PanelMethod.MEDIAN
    assert public.created_by == "finance" and public.panel_choice is None
    item = rubric_of(row)[0]
    assert (item.code, item.min_score, item.max_score, item.level1) == ("A", 0.0, 4.0, "一")


def test_sheet_view_lists_every_item_and_drops_unknown_ones() -> None:
    row = AssignmentRow(id=1, round_id=1, report_id=2, rater_id=3, status="draft", version=4,
                        scores={"A": 2, "B": None, "OLD": 1}, comments={"A": "好"})
    public = sheet_public(row, ["A", "B", "C"])
    assert public.scores == {"A": 2.0, "B": None, "C": None}
    assert public.status is SheetStatus.DRAFT and public.version == 4
    assert public.comments == {"A": "好"} and public.total is None


def test_audit_changes_name_each_changed_field_and_open_scores_by_item() -> None:
    old = {"status": "draft", "version": 3, "scores": {"A": 2.0, "B": None},
           "comments": {"A": "旧意见"}, "overall_comment": "同"}
    new = {"status": "submitted", "version": 4, "scores": {"A": 2.0, "B": 3.5},
           "comments": {}, "overall_comment": "同"}
    assert audit_changes(old, new) == [
        ("status", "draft", "submitted"), ("version", 3, 4), ("scores.B", None, 3.5),
        ("comments.A", "旧意见", None)]
    # A creation lists every field, a removal every old one, a bare line none.
    assert audit_changes(None, {"title": "轮次", "year": 2021}) == [
        ("title", None, "轮次"), ("year", None, 2021)]
    assert audit_changes({"name": "指标"}, None) == [("name", "指标", None)]
    assert audit_changes(None, None) == [] and audit_changes({"a": [1]}, {"a": [1]}) == []


def test_a_count_only_line_reads_against_the_same_persons_previous_line() -> None:
    t = datetime(2021, 5, 1, tzinfo=UTC)
    log = [AuditEntry(1, t, "e1", "delphi_response", 7, "save", new={"rated": 2}),
           AuditEntry(2, t, "e2", "delphi_response", 7, "save", new={"rated": 5}),
           AuditEntry(3, t, "e1", "delphi_response", 8, "save", new={"rated": 1}),
           AuditEntry(4, t, "e1", "sheet", 7, "save_draft", new={"rated": 9}),
           AuditEntry(5, t, "e1", "delphi_response", 7, "save", new={"rated": 3}),
           AuditEntry(6, t, "e1", "delphi_response", 7, "save", old={"rated": 0},
                      new={"rated": 4})]
    found = earlier_values(log, ["delphi_response"])
    # Another expert, another round and another kind are not "before"; a logged old wins.
    assert found == {5: {"rated": 2}}
    assert audit_changes(found[5], log[4].new) == [("rated", 2, 3)]
