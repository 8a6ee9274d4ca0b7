"""Rounds: the rubric snapshot, input checks, who sees which round, draft → open → closed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlmodel import Session

from indicators.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from indicators.resources import data_path
from review import store
from review.model import RoundStatus
from tests.review.databases import BACKENDS, RUBRIC, build_world, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_round_snapshots_the_published_rubric(engine: sa.Engine) -> None:
    world = build_world(engine, open_it=False)
    with Session(engine) as s:
        rnd = store.get_round(s, round_id=world.round_id, by=world.admin)
        assert rnd.rubric_ref == RUBRIC and rnd.status is RoundStatus.DRAFT
        assert rnd.created_by == "finance" and rnd.raters_per_report == 2
        items = store.rubric_items(s, round_id=world.round_id)
    # The shipped YAML, read directly: its third-level items, whose weights add up to 100.
    shipped = yaml.safe_load((data_path("frameworks") / "report-review-rubric.yaml").read_text(
        encoding="utf-8"))["indicators"]
    leaves = [i for i in shipped if i["level"] == 3]
    assert [(i.code, i.max_score) for i in items] == [(i["code"], i["weight"]) for i in leaves]
    assert len(items) == 23 and sum(i.max_score for i in items) == pytest.approx(100.0)
    assert all(i.min_score == 0 for i in items)
    assert items[0].code == "YJ0101" and items[0].max_score == 4 and items[0].level1 == "评价依据与方法"


def test_round_creation_checks_its_inputs(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        make = dict(title="轮次", year=2021, deadline="2021-06-30")
        with pytest.raises(PermissionDeniedError):
            store.create_round(s, rubric_ref=RUBRIC, by=world.raters[0], **make)
        with pytest.raises(NotFoundError):
            store.create_round(s, rubric_ref="no-such-rubric@1.0.0", by=world.admin, **make)
        with pytest.raises(InputError):
            store.create_round(s, rubric_ref=RUBRIC, by=world.admin, panel_method="mode", **make)
        with pytest.raises(InputError):
            store.create_round(s, rubric_ref=RUBRIC, by=world.admin, title="t", year=2021,
                               deadline="30/06/2021")
        latest = store.create_round(s, rubric_ref="report-review-rubric", by=world.admin, **make)
        assert latest.rubric_ref == RUBRIC
        s.flush()
        with pytest.raises(ConflictError) as err:
            store.create_round(s, rubric_ref=RUBRIC, by=world.admin, **make)
        assert "轮次" in err.value.zh and err.value.location.field == "title"


def test_rounds_are_visible_to_staff_and_to_their_panel_only(engine: sa.Engine) -> None:
    world = build_world(engine, n_raters=3)
    with Session(engine) as s, s.begin():
        outsider = store.create_user(s, username="outsider", display_name="局外人",
                                     role="deputy", by=world.admin)
        outsider_v = store.get_viewer(s, user_id=outsider.user_id)
        assert [r.round_id for r in store.list_rounds(s, by=world.finance)] == [world.round_id]
        assert [r.round_id for r in store.list_rounds(s, by=world.raters[0])] == [world.round_id]
        assert store.list_rounds(s, by=outsider_v) == []
        with pytest.raises(PermissionDeniedError):
            store.get_round(s, round_id=world.round_id, by=outsider_v)
        with pytest.raises(NotFoundError):
            store.get_round(s, round_id=999, by=world.admin)


def test_round_moves_draft_open_closed_once_each(engine: sa.Engine) -> None:
    world = build_world(engine, open_it=False)
    with Session(engine) as s, s.begin():
        empty = store.create_round(s, title="空", year=2021, rubric_ref=RUBRIC, deadline=None,
                                   by=world.admin)
        with pytest.raises(InputError):
            store.open_round(s, round_id=empty.round_id, by=world.admin)
        with pytest.raises(ConflictError):
            store.close_round(s, round_id=world.round_id, by=world.admin)
        with pytest.raises(PermissionDeniedError):
            store.open_round(s, round_id=world.round_id, by=world.raters[0])
        assert store.open_round(s, round_id=world.round_id, by=world.finance).status == "open"
        with pytest.raises(ConflictError):
            store.open_round(s, round_id=world.round_id, by=world.finance)
        closed = store.close_round(s, round_id=world.round_id, by=world.finance)
        assert closed.status is RoundStatus.CLOSED and closed.closed_at is not None
        with pytest.raises(ConflictError):
            store.add_report(s, round_id=world.round_id, title="迟到", filename="a.md",
                             content=b"# a", by=world.admin)
        steps = [(e.action, e.old, e.new) for e in store.audit_log(s, by=world.admin, entity="round")
                 if e.entity_id == world.round_id]
        assert steps[-2:] == [("open", {"status": "draft"}, {"status": "open"}),
                              ("closed", {"status": "open"}, {"status": "closed"})]
