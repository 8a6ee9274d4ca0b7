"""A member's AHP draft in the store: kept node by node, read by him alone, replaced by the submit.

The survey page saves every judgment as a draft as it is chosen (review/ui_answer_drafts.py);
these tests hold the store to what that relies on, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from indicators.errors import ConflictError, PermissionDeniedError
from review.ahp_survey_demo import seed_tiny_survey
from review.ahp_survey_judgments import my_judgments, save_judgments, submit_judgments
from review.ahp_survey_store import member_progress
from tests.review.databases import BACKENDS, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def _draft(engine, tiny, who, node, judgments):
    with Session(engine) as s, s.begin():
        version = my_judgments(s, survey_id=tiny.survey_id, by=who).version
        return save_judgments(s, survey_id=tiny.survey_id, node_key=node, judgments=judgments,
                              expected_version=version, by=who)


def test_a_draft_is_kept_node_by_node_with_its_time(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s)
    member = tiny.members[0]
    with Session(engine) as s:
        fresh = my_judgments(s, survey_id=tiny.survey_id, by=member)
    assert fresh.status.value == "invited" and dict(fresh.saved_at) == {}
    before = datetime.now(UTC)
    _draft(engine, tiny, member, "", {("CC", "XY"): 3.0, ("CC", "MY"): None})
    _draft(engine, tiny, member, "CC", {("CC1", "CC2"): 1 / 2})
    with Session(engine) as s:
        back = my_judgments(s, survey_id=tiny.survey_id, by=member)
    assert back.status.value == "draft" and back.version == 3
    assert dict(back.judgments[""]) == {("CC", "XY"): 3.0}
    assert dict(back.judgments["CC"]) == {("CC1", "CC2"): 0.5}
    assert set(back.saved_at) == {"", "CC"}
    for when in back.saved_at.values():
        assert before - timedelta(seconds=1) <= when <= datetime.now(UTC)


def test_no_one_else_reads_a_draft(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s)
    author, other = tiny.members[0], tiny.members[1]
    _draft(engine, tiny, author, "", {("CC", "XY"): 5.0})
    with Session(engine) as s:
        theirs = my_judgments(s, survey_id=tiny.survey_id, by=other)
        progress = member_progress(s, survey_id=tiny.survey_id, by=tiny.staff)
        with pytest.raises(PermissionDeniedError):
            my_judgments(s, survey_id=tiny.survey_id, by=tiny.staff)
    assert theirs.status.value == "invited" and dict(theirs.judgments) == {}
    # Staff see how far the member got, not what he judged.
    assert progress["status"].tolist()[0] == "draft" and progress["answered"].tolist()[0] == 1
    assert "judgments" not in progress.columns


def test_the_submit_replaces_the_draft_and_nothing_is_drafted_over_it(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s)
    member = tiny.members[0]
    _draft(engine, tiny, member, "", {("CC", "XY"): 2.0})
    draft = _draft(engine, tiny, member, "", {("CC", "XY"): 3.0, ("XY", "MY"): 2.0})
    with Session(engine) as s, s.begin():
        done = submit_judgments(s, survey_id=tiny.survey_id, expected_version=draft.version,
                                by=member)
    assert done.status.value == "submitted"
    assert dict(done.judgments[""]) == {("CC", "XY"): 3.0, ("XY", "MY"): 2.0}
    for version, node in ((draft.version, ""), (done.version, "CC")):
        with Session(engine) as s, pytest.raises(ConflictError):
            save_judgments(s, survey_id=tiny.survey_id, node_key=node,
                           judgments={("CC1", "CC2"): 9.0} if node else {("CC", "XY"): 9.0},
                           expected_version=version, by=member)
    with Session(engine) as s:
        after = my_judgments(s, survey_id=tiny.survey_id, by=member)
    assert after.status.value == "submitted" and after.version == done.version
    assert dict(after.judgments) == {"": {("CC", "XY"): 3.0, ("XY", "MY"): 2.0}}
