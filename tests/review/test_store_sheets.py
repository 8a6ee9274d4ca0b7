"""Changing sheets: drafts that persist, the locking submit, reopen, and their audit lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from review import store
from review.model import SheetStatus
from tests.review.databases import BACKENDS, build_world, full_scores, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def world(engine: sa.Engine):
    return build_world(engine, n_reports=3, n_raters=3, k=2)


def _sheet(world, rater):
    with world.session() as s:
        return store.get_sheet(s, assignment_id=world.sheet_of(rater), viewer=rater)


def test_draft_persists_across_sessions_and_versions_move(world) -> None:
    rater = world.raters[0]
    items = world.items()
    sheet = _sheet(world, rater)
    assert sheet.version == 1 and all(v is None for v in sheet.scores.values())
    with world.session() as s, s.begin():
        saved = store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                                 scores={items[0].code: 3.5, items[1].code: 2},
                                 comments={items[0].code: "依据较全"}, overall_comment="初稿",
                                 expected_version=sheet.version)
    assert saved.version == 2 and saved.status is SheetStatus.DRAFT
    reloaded = _sheet(world, rater)  # a new session, as after a page reload
    assert reloaded.scores[items[0].code] == 3.5 and reloaded.scores[items[1].code] == 2
    assert reloaded.comments == {items[0].code: "依据较全"} and reloaded.overall_comment == "初稿"
    with world.session() as s, s.begin():
        merged = store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                                  scores={items[1].code: None, items[2].code: 1},
                                  comments={items[0].code: ""}, overall_comment="初稿",
                                  expected_version=2)
        assert merged.scores[items[0].code] == 3.5 and merged.scores[items[1].code] is None
        assert merged.comments == {} and merged.version == 3
        same = store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                                scores={items[0].code: 3.5}, overall_comment="初稿",
                                expected_version=3)
        assert same.version == 3  # nothing changed, nothing written


def test_stale_version_and_foreign_sheet_are_refused(world) -> None:
    rater, other = world.raters[0], world.raters[1]
    items = world.items()
    sheet = _sheet(world, rater)
    with world.session() as s, s.begin():
        store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                         scores={items[0].code: 1}, expected_version=1)
    with world.session() as s:
        with pytest.raises(ConflictError):
            store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                             scores={items[0].code: 2}, expected_version=1)
        with pytest.raises(PermissionDeniedError):
            store.save_draft(s, assignment_id=sheet.assignment_id, viewer=other,
                             scores={items[0].code: 2}, expected_version=2)
        with pytest.raises(PermissionDeniedError):
            store.save_draft(s, assignment_id=sheet.assignment_id, viewer=world.admin,
                             scores={items[0].code: 2}, expected_version=2)


def test_out_of_range_and_unknown_scores_name_the_item(world) -> None:
    rater = world.raters[0]
    item = world.items()[0]  # YJ0101, 0 to 4
    sheet = _sheet(world, rater)
    with world.session() as s:
        with pytest.raises(InputError) as high:
            store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                             scores={item.code: 4.5}, expected_version=1)
        assert high.value.location.field == item.code and "0–4" in high.value.en
        for bad in (-1, "很好", True):
            with pytest.raises(InputError):
                store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                                 scores={item.code: bad}, expected_version=1)
        with pytest.raises(InputError):
            store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                             scores={"NOPE": 1}, expected_version=1)
    assert _sheet(world, rater).version == 1


def test_submit_needs_every_item_then_locks_the_sheet(world) -> None:
    rater = world.raters[0]
    items = world.items()
    sheet = _sheet(world, rater)
    with world.session() as s:
        with pytest.raises(InputError) as incomplete:
            store.submit_sheet(s, assignment_id=sheet.assignment_id, viewer=rater,
                               expected_version=1, scores={items[0].code: 3})
        assert incomplete.value.location.field == items[1].code
    with world.session() as s, s.begin():
        done = store.submit_sheet(s, assignment_id=sheet.assignment_id, viewer=rater,
                                  expected_version=1, scores=full_scores(items, 0.8))
    assert done.status is SheetStatus.SUBMITTED and done.version == 2
    assert done.submitted_at is not None and done.total == pytest.approx(80.0, abs=2)
    with world.session() as s:
        with pytest.raises(ConflictError) as locked:
            store.save_draft(s, assignment_id=sheet.assignment_id, viewer=rater,
                             scores={items[0].code: 1}, expected_version=2)
        assert "submitted" in locked.value.en
        with pytest.raises(ConflictError):
            store.submit_sheet(s, assignment_id=sheet.assignment_id, viewer=rater,
                               expected_version=2)


def test_nothing_is_scored_outside_an_open_round(engine: sa.Engine) -> None:
    world = build_world(engine, open_it=False)
    rater = world.raters[0]
    item = world.items()[0]
    with world.session() as s:
        assert store.my_tasks(s, viewer=rater) == []
        with pytest.raises(ConflictError):
            store.save_draft(s, assignment_id=world.sheet_of(rater), viewer=rater,
                             scores={item.code: 1}, expected_version=1)
    with world.session() as s, s.begin():
        store.open_round(s, round_id=world.round_id, by=world.admin)
        store.close_round(s, round_id=world.round_id, by=world.admin)
    with world.session() as s:
        with pytest.raises(ConflictError):
            store.save_draft(s, assignment_id=world.sheet_of(rater), viewer=rater,
                             scores={item.code: 1}, expected_version=1)


def test_admin_reopens_with_a_reason_and_the_rater_resubmits(world) -> None:
    rater = world.raters[0]
    items = world.items()
    sheet_id = world.sheet_of(rater)
    with world.session() as s, s.begin():
        store.submit_sheet(s, assignment_id=sheet_id, viewer=rater, expected_version=1,
                           scores=full_scores(items, 0.7))
    with world.session() as s, s.begin():
        with pytest.raises(PermissionDeniedError):
            store.reopen_sheet(s, assignment_id=sheet_id, reason="错分", by=world.finance)
        with pytest.raises(InputError):
            store.reopen_sheet(s, assignment_id=sheet_id, reason="  ", by=world.admin)
        reopened = store.reopen_sheet(s, assignment_id=sheet_id, reason="第3项明显错填",
                                      by=world.admin)
        assert reopened.status is SheetStatus.DRAFT and reopened.version == 3
        assert reopened.scores == full_scores(items, 0.7)
        with pytest.raises(ConflictError):
            store.reopen_sheet(s, assignment_id=sheet_id, reason="再来", by=world.admin)
    with world.session() as s, s.begin():
        again = store.submit_sheet(s, assignment_id=sheet_id, viewer=rater, expected_version=3,
                                   scores={items[2].code: items[2].max_score})
        assert again.status is SheetStatus.SUBMITTED
    with world.session() as s:
        log = [(e.action, e.actor, e.old, e.new) for e in store.audit_log(s, by=world.admin,
                                                                          entity="sheet")]
    assert [a for a, *_ in log] == ["submit", "reopen", "submit"]
    # Each entry holds the sheet as it was before the change, not as the update left it.
    assert (log[0][2]["status"], log[0][2]["version"], log[0][3]["status"]) == (
        "assigned", 1, "submitted")
    _, actor, old, new = log[1]
    assert actor == "admin" and old == {"status": "submitted", "version": 2}
    assert new == {"status": "draft", "version": 3, "reason": "第3项明显错填"}
    assert (log[2][2]["status"], log[2][2]["version"]) == ("draft", 3)


def test_every_score_change_is_audited_with_old_and_new_values(world) -> None:
    rater = world.raters[0]
    items = world.items()
    sheet_id = world.sheet_of(rater)
    with world.session() as s, s.begin():
        store.save_draft(s, assignment_id=sheet_id, viewer=rater, scores={items[0].code: 2},
                         expected_version=1)
    with world.session() as s, s.begin():
        store.save_draft(s, assignment_id=sheet_id, viewer=rater, scores={items[0].code: 3},
                         expected_version=2)
    with world.session() as s:
        drafts = store.audit_log(s, by=world.admin, entity="sheet")
    assert [(e.action, e.entity_id, e.actor) for e in drafts] == [
        ("save_draft", sheet_id, rater.username)] * 2
    assert drafts[0].old["scores"] == {items[0].code: None} and drafts[0].new["scores"] == {
        items[0].code: 2.0}
    assert drafts[1].old["scores"] == {items[0].code: 2.0} and drafts[1].new["scores"] == {
        items[0].code: 3.0}
    assert drafts[0].at <= drafts[1].at
    assert (drafts[0].old["status"], drafts[0].old["version"]) == ("assigned", 1)
    assert drafts[0].new["version"] == 2
