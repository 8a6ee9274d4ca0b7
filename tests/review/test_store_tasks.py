"""A rater's tasks and reading sheets: overdue flags in China time, blindness until close."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from indicators.errors import NotFoundError, PermissionDeniedError
from review import store
from review.model import SheetStatus
from review.store_tasks import bureau_today
from tests.review.databases import BACKENDS, build_world, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def world(engine: sa.Engine):
    return build_world(engine, n_reports=3, n_raters=3, k=2)


def test_deadline_day_is_counted_in_china_standard_time() -> None:
    assert bureau_today(datetime(2021, 6, 30, 15, 59, tzinfo=UTC)).isoformat() == "2021-06-30"
    assert bureau_today(datetime(2021, 6, 30, 16, 0, tzinfo=UTC)).isoformat() == "2021-07-01"


def test_my_tasks_lists_own_sheets_with_overdue_flags(world) -> None:
    rater = world.raters[0]
    mine = sorted(a for (_, u), a in world.sheets.items() if u == rater.user_id)
    with world.session() as s:
        before = store.my_tasks(s, viewer=rater, now=datetime(2021, 6, 30, 12, tzinfo=UTC))
        after = store.my_tasks(s, viewer=rater, now=datetime(2021, 6, 30, 16, 1, tzinfo=UTC))
        assert sorted(t.assignment_id for t in before) == mine
        assert not any(t.overdue for t in before) and all(t.overdue for t in after)
        assert all(t.round_title == "测试轮次" and t.status is SheetStatus.ASSIGNED for t in before)
        assert store.my_tasks(s, viewer=world.admin) == []


def test_rater_reads_only_own_sheet_until_the_round_closes(world) -> None:
    a, b = world.raters[0], world.raters[1]
    sheet_a = world.sheet_of(a)
    with world.session() as s:
        assert store.get_sheet(s, assignment_id=sheet_a, viewer=a).rater_id == a.user_id
        assert store.get_sheet(s, assignment_id=sheet_a, viewer=world.finance).rater_id == a.user_id
        with pytest.raises(PermissionDeniedError):
            store.get_sheet(s, assignment_id=sheet_a, viewer=b)
        assert {x.rater_id for x in store.list_sheets(s, round_id=world.round_id, viewer=b)} == {
            b.user_id}
        assert len(store.list_sheets(s, round_id=world.round_id, viewer=world.admin)) == 6
        with pytest.raises(NotFoundError):
            store.get_sheet(s, assignment_id=9999, viewer=a)
    with world.session() as s, s.begin():
        store.close_round(s, round_id=world.round_id, by=world.admin)
    with world.session() as s:
        assert store.get_sheet(s, assignment_id=sheet_a, viewer=b).rater_id == a.user_id
        assert len(store.list_sheets(s, round_id=world.round_id, viewer=b)) == 6
