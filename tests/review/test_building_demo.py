"""The demo Delphi study and AHP survey (review/building_demo.py) on a fresh demo database."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from sqlmodel import Session

import review.building_demo as module
from indicators.store import list_libraries
from review.ahp_survey_results import survey_result
from review.ahp_survey_store import list_surveys, member_progress
from review.building_demo import DEMO_LIBRARY, _viewer, seed_demo_building
from review.delphi_answers import questionnaire
from review.delphi_results import round_statistics_for, screen_round
from review.delphi_store import list_rounds
from review.demo import seed_demo_review
from tests.review.databases import review_database


@pytest.fixture
def engine(tmp_path: Path):
    with review_database("sqlite", tmp_path) as engine:
        with Session(engine) as s:
            seed_demo_review(s)
            s.commit()
        yield engine


def test_docstring_example_runs() -> None:
    assert doctest.testmod(module).failed == 0


def test_the_demo_walks_a_two_round_study_and_a_survey(engine) -> None:
    with Session(engine) as s:
        before = [x.ref for x in list_libraries(s)]
        first = seed_demo_building(s)
        again = seed_demo_building(s)
    assert first.created and not again.created and first.study_id == again.study_id
    with Session(engine) as s:
        staff = _viewer(s, "finance")
        expert1 = _viewer(s, "expert1")
        one, two = list_rounds(s, by=staff)
        stats = round_statistics_for(s, round_id=one.round_id, by=staff)
        screening = screen_round(s, round_id=one.round_id, by=staff)
        mine = questionnaire(s, round_id=two.round_id, by=expert1)
        (survey,) = list_surveys(s, by=staff)
        progress = member_progress(s, survey_id=survey.survey_id, by=staff)
        result = survey_result(s, survey_id=survey.survey_id, weighting="authority", by=staff)
        after = [x.ref for x in list_libraries(s)]
    assert (one.status.value, two.status.value) == ("closed", "open")
    # Seven of the eight panellists answered round 1.
    assert stats.response_rate == 7 / 8 and one.library_ref == DEMO_LIBRARY
    assert "CC0404" in screening.codes("drop") + screening.codes("revise")
    # expert1 meets round 2 with round 1's feedback and his own earlier ratings.
    assert mine.status.value == "invited" and mine.previous is not None
    assert mine.previous["own_rating"].notna().all()
    assert sorted(progress.loc[progress["status"] == "submitted", "username"]) == [
        "expert2", "expert3", "expert5"]
    assert result.complete and result.global_weights[["YS", "CC", "XY", "MY"]].sum() == \
        pytest.approx(100)
    worst = max(n.members.set_index("username").loc["expert5", "cr"] for n in result.nodes)
    assert worst > 0.10
    assert after == before
