"""The review module's values: status enums as stored, frozen results, a sheet's total."""

from __future__ import annotations

import dataclasses

import pytest

from review.model import (
    PanelChoice,
    PanelMethod,
    RoundStatus,
    RubricItem,
    SheetPublic,
    SheetStatus,
)


def test_enum_values_are_what_the_database_and_its_checks_store() -> None:
    assert [s.value for s in RoundStatus] == ["draft", "open", "closed"]
    assert [s.value for s in SheetStatus] == ["assigned", "draft", "submitted"]
    assert [m.value for m in PanelMethod] == ["mean", "trimmed_mean", "median"]
    assert [c.value for c in PanelChoice] == ["raw", "adjusted"]
    assert RoundStatus("open") is RoundStatus.OPEN and SheetStatus.SUBMITTED == "submitted"


def _sheet(scores: dict) -> SheetPublic:
    return SheetPublic(assignment_id=1, round_id=1, report_id=1, rater_id=1,
                       status=SheetStatus.DRAFT, version=1, scores=scores, comments={},
                       overall_comment="", updated_at=None, submitted_at=None)


def test_sheet_total_only_when_every_item_is_scored() -> None:
    assert _sheet({"A": 3.5, "B": 4.0}).total == pytest.approx(7.5)
    assert _sheet({"A": 3.5, "B": None}).total is None
    assert _sheet({}).total is None


def test_values_are_frozen() -> None:
    item = RubricItem("YJ0101", "政策和制度依据完整", "", 0.0, 4.0, "评价依据与方法")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.max_score = 5.0  # type: ignore[misc]
    assert item.checkpoints == ""
