"""An expert's Delphi draft in the store: kept, read back by him alone, replaced by the submit.

The questionnaire page saves every answer as a draft as it is given (review/ui_answer_drafts.py);
these tests hold the store to what that relies on, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from indicators.errors import ConflictError, PermissionDeniedError
from review.delphi_answers import questionnaire, save_answers, submit_answers
from review.delphi_demo import seed_tiny_delphi
from review.delphi_results import rating_table, response_progress
from tests.review.databases import BACKENDS, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def _draft(engine, tiny, who, **answers):
    with Session(engine) as s, s.begin():
        version = questionnaire(s, round_id=tiny.round_id, by=who).version
        return save_answers(s, round_id=tiny.round_id, expected_version=version, by=who,
                            **answers)


def test_a_draft_is_kept_with_its_time_and_read_back_by_its_author(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s)
    expert = tiny.experts[0]
    with Session(engine) as s:
        fresh = questionnaire(s, round_id=tiny.round_id, by=expert)
    assert fresh.status.value == "invited" and fresh.updated_at is None
    before = datetime.now(UTC)
    _draft(engine, tiny, expert, ratings={"A": 5, "B2": 2}, comments={"B2": "口径不一"},
           basis={"直觉": "小"}, familiarity="熟悉", comment="先填一半")
    with Session(engine) as s:
        back = questionnaire(s, round_id=tiny.round_id, by=expert)
    assert back.status.value == "draft" and back.version == 2
    assert dict(back.ratings) == {"A": 5, "B2": 2} and dict(back.comments) == {"B2": "口径不一"}
    assert dict(back.basis) == {"直觉": "小"} and back.familiarity == "熟悉"
    assert back.comment == "先填一半"
    assert back.updated_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= back.updated_at <= datetime.now(UTC)


def test_no_one_else_reads_a_draft(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s)
    author, other = tiny.experts[0], tiny.experts[1]
    _draft(engine, tiny, author, ratings={"A": 5, "A1": 4}, comments={"A": "很重要"})
    with Session(engine) as s:
        theirs = questionnaire(s, round_id=tiny.round_id, by=other)
        # Staff run the study but read only submitted ratings; the draft has only its counts.
        table = rating_table(s, round_id=tiny.round_id, by=tiny.staff)
        progress = response_progress(s, round_id=tiny.round_id, by=tiny.staff)
        with pytest.raises(PermissionDeniedError):
            questionnaire(s, round_id=tiny.round_id, by=tiny.staff)
    assert theirs.status.value == "invited"
    assert dict(theirs.ratings) == {} and dict(theirs.comments) == {}
    assert "expert1" not in table.index
    mine = progress.set_index("username").loc["expert1"]
    assert mine["status"] == "draft" and mine["rated"] == 2


def test_the_submit_replaces_the_draft_and_nothing_is_drafted_over_it(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s)
    expert = tiny.experts[0]
    _draft(engine, tiny, expert, ratings={"A": 3})
    draft = _draft(engine, tiny, expert, ratings={"A": 4, "B": 5}, familiarity="很熟悉")
    with Session(engine) as s, s.begin():
        done = submit_answers(s, round_id=tiny.round_id, expected_version=draft.version,
                              by=expert)
    assert done.status.value == "submitted" and dict(done.ratings) == {"A": 4, "B": 5}
    with Session(engine) as s:
        assert rating_table(s, round_id=tiny.round_id, by=tiny.staff).loc[
            "expert1", ["A", "B"]].tolist() == [4.0, 5.0]
    # A late autosave (another tab, or a save racing the submit) is refused at any version.
    for version in (draft.version, done.version):
        with Session(engine) as s, pytest.raises(ConflictError):
            save_answers(s, round_id=tiny.round_id, ratings={"A": 1}, expected_version=version,
                         by=expert)
    with Session(engine) as s:
        after = questionnaire(s, round_id=tiny.round_id, by=expert)
    assert after.status.value == "submitted" and dict(after.ratings) == {"A": 4, "B": 5}
    assert after.version == done.version
