"""Delphi rounds in the database: lifecycle, blindness in the store, statistics, the draft.

The store only wires the kernels (review.delphi, review.delphi_screen) to stored answers, so
expected statistics come from the kernels called directly on the same ratings, or are worked by
hand from the tiny round's answers (review/delphi_demo.py): 质量达标率 rated 2, 3, 1 (mean 2,
SD 1, CV 0.5); authority Ca = 1.0, 0.9, 0.6 and Cs = 0.8, so Cr = 0.9, 0.85, 0.7.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel

import review.ahp_survey_tables
import review.delphi_store
from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.model import Status
from indicators.store import get_library, list_libraries
from review import store
from review.delphi import round_statistics
from review.delphi_answers import (
    add_proposal,
    list_proposals,
    questionnaire,
    remove_proposal,
    save_answers,
    submit_answers,
)
from review.delphi_demo import TINY_ANSWERS, seed_tiny_delphi
from review.delphi_feedback import round_feedback
from review.delphi_results import (
    expert_authority,
    paper_tables_for,
    propose_draft,
    rating_table,
    response_progress,
    round_statistics_for,
    screen_round,
)
from review.delphi_screen import screen
from review.delphi_store import (
    close_round,
    create_round,
    create_study,
    get_round,
    invite_experts,
    list_rounds,
    list_studies,
)
from tests.review.databases import BACKENDS, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def _kernel_round(label: str = "第1轮", invited: int = 3):
    """The tiny round's statistics computed by the kernel directly from TINY_ANSWERS."""
    ratings = pd.DataFrame({e: a["ratings"] for e, a in TINY_ANSWERS.items()}).T.astype(float)
    basis = pd.DataFrame({e: a["basis"] for e, a in TINY_ANSWERS.items()}).T
    familiarity = pd.Series({e: a["familiarity"] for e, a in TINY_ANSWERS.items()})
    levels = {"A": "一级指标", "B": "一级指标", "A1": "二级指标", "A2": "二级指标",
              "B1": "二级指标", "B2": "二级指标"}
    return round_statistics(ratings, label=label, invited=invited, groups=levels, basis=basis,
                            familiarity=familiarity)


def _new_expert(s: Session, staff, name: str):
    user = store.create_user(s, username=name, display_name=name, role="expert", by=staff)
    return store.get_viewer(s, user_id=user.user_id)


def test_migration_creates_exactly_the_delphi_tables(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in diff if "rev_delphi_" in repr(d)] == []


def test_docstring_examples_run() -> None:
    # The other Delphi modules' examples run in tests/test_docstrings.py.
    assert doctest.testmod(review.delphi_store, optionflags=doctest.ELLIPSIS).failed == 0


def test_closing_computes_what_the_kernel_computes_on_the_same_answers(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s, closed=True)
    with Session(engine) as s:
        got = round_statistics_for(s, round_id=tiny.round_id, by=tiny.staff)
        rnd = get_round(s, round_id=tiny.round_id, by=tiny.staff)
        table = rating_table(s, round_id=tiny.round_id, by=tiny.staff)
    want = _kernel_round()
    pd.testing.assert_frame_equal(got.indicators, want.indicators.loc[got.indicators.index])
    pd.testing.assert_frame_equal(got.concordance, want.concordance)
    assert got.response_rate == 1.0 and got.invited == 3
    assert list(got.concordance["scope"]) == ["全部指标 (all)", "一级指标", "二级指标"]
    b2 = got.indicators.loc["B2"]
    assert (b2["mean"], b2["sd"], b2["cv"]) == pytest.approx((2.0, 1.0, 0.5))
    assert got.authority.experts["cr"].tolist() == pytest.approx([0.9, 0.85, 0.7])
    assert got.authority.cr == pytest.approx((0.9 + 0.85 + 0.7) / 3)
    assert table.loc["expert3"].tolist() == [5.0, 4.0, 5.0, 4.0, 5.0, 1.0]
    assert rnd.status.value == "closed" and rnd.closed_at is not None


def test_the_close_keeps_a_snapshot_and_counts_only_submitted_questionnaires(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s, answered=True)
        late = _new_expert(s, tiny.staff, "late")
        invite_experts(s, round_id=tiny.round_id, user_ids=[late.user_id], by=tiny.staff)
        # A draft never submitted: invited, but not a response.
        save_answers(s, round_id=tiny.round_id, ratings={"A": 1, "B2": 5}, expected_version=1,
                     by=late)
        s.commit()
    with Session(engine) as s, s.begin():
        close_round(s, round_id=tiny.round_id, by=tiny.staff)
    with Session(engine) as s:
        got = round_statistics_for(s, round_id=tiny.round_id, by=tiny.staff)
        from review.delphi_access import round_row

        snapshot = round_row(s, tiny.round_id).results
    assert got.responded == 3 and got.invited == 4 and got.response_rate == 0.75
    assert got.indicators.loc["B2", "mean"] == 2.0
    assert snapshot["responded"] == 3 and snapshot["response_rate"] == 0.75
    w = {r["scope"]: r["w"] for r in snapshot["concordance"]}
    assert w["全部指标 (all)"] == pytest.approx(_kernel_round(invited=4).concordance["w"][0])
    assert {int(k): v for k, v in snapshot["authority"]["experts"].items()} == pytest.approx(
        {e.user_id: cr for e, cr in zip(tiny.experts, (0.9, 0.85, 0.7), strict=True)})


def test_an_expert_reads_only_his_own_answers_and_never_the_panels(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s, answered=True)
        outsider = _new_expert(s, tiny.staff, "outsider")
        s.commit()
    expert = tiny.experts[1]
    with Session(engine) as s:
        mine = questionnaire(s, round_id=tiny.round_id, by=expert)
        assert dict(mine.ratings) == TINY_ANSWERS["expert2"]["ratings"]
        assert [p.expert for p in list_proposals(s, round_id=tiny.round_id, by=expert)] == []
        assert len(list_proposals(s, round_id=tiny.round_id, by=tiny.staff)) == 1
        for call in (rating_table, round_statistics_for, expert_authority, screen_round,
                     response_progress):
            with pytest.raises(PermissionDeniedError):
                call(s, round_id=tiny.round_id, by=expert)
        with pytest.raises(PermissionDeniedError):
            paper_tables_for(s, study_id=tiny.study_id, by=expert)
        # The group's feedback would reveal answers while the round is open.
        with pytest.raises(ConflictError):
            round_feedback(s, round_id=tiny.round_id, by=expert)
        for call in (questionnaire, get_round, list_proposals):
            with pytest.raises(PermissionDeniedError):
                call(s, round_id=tiny.round_id, by=outsider)
        assert list_rounds(s, by=outsider) == [] and list_studies(s, by=outsider) == []
        # Staff run the study; they do not answer it.
        with pytest.raises(PermissionDeniedError):
            questionnaire(s, round_id=tiny.round_id, by=tiny.staff)
    with Session(engine) as s, s.begin():
        close_round(s, round_id=tiny.round_id, by=tiny.staff)
    with Session(engine) as s:
        fb = round_feedback(s, round_id=tiny.round_id, by=expert)
        everyone = round_feedback(s, round_id=tiny.round_id, by=tiny.staff)
        with pytest.raises(PermissionDeniedError):
            propose_draft(s, round_id=tiny.round_id, by=expert)
    assert set(fb.by_expert["expert"]) == {"expert2"} and len(fb.by_expert) == 6
    assert set(everyone.by_expert["expert"]) == {"expert1", "expert2", "expert3"}
    # Group means by hand: A (5 + 4 + 5)/3, B2 (2 + 3 + 1)/3.
    assert fb.group.loc["A", "mean"] == pytest.approx(14 / 3)
    assert fb.group.loc["B2", "mean"] == 2.0 and fb.group.loc["B2", "median"] == 2.0


def test_saves_are_compare_and_set_and_a_submit_locks(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s)
    expert = tiny.experts[0]
    with Session(engine) as s, s.begin():
        q = save_answers(s, round_id=tiny.round_id, ratings={"A": 4}, comments={"A": "重要"},
                         basis={"实践经验": "大"}, familiarity="很熟悉", comment="总体可行",
                         expected_version=1, by=expert)
    assert q.version == 2 and q.comments == {"A": "重要"} and q.basis == {"实践经验": "大"}
    with Session(engine) as s, pytest.raises(ConflictError):
        save_answers(s, round_id=tiny.round_id, ratings={"A": 5}, expected_version=1, by=expert)
    bad = [({"A": 6}, {}, ""), ({"A": 3.5}, {}, ""), ({"ZZ": 3}, {}, ""),
           ({"A": 3}, {"直觉": "很大"}, ""), ({"A": 3}, {"灵感": "大"}, ""),
           ({"A": 3}, {}, "略知")]
    for ratings, basis, familiarity in bad:
        with Session(engine) as s, pytest.raises(InputError):
            save_answers(s, round_id=tiny.round_id, ratings=ratings, basis=basis,
                         familiarity=familiarity, expected_version=2, by=expert)
    with Session(engine) as s, s.begin():
        q = submit_answers(s, round_id=tiny.round_id, expected_version=2, by=expert)
    assert q.status.value == "submitted"
    with Session(engine) as s, pytest.raises(ConflictError):
        save_answers(s, round_id=tiny.round_id, ratings={"A": 5}, expected_version=q.version,
                     by=expert)
    with Session(engine) as s, pytest.raises(ConflictError):
        add_proposal(s, round_id=tiny.round_id, name="新指标", by=expert)
    # Nothing rated: nothing to submit.
    with Session(engine) as s, pytest.raises(InputError):
        submit_answers(s, round_id=tiny.round_id, expected_version=1, by=tiny.experts[1])


def test_a_closed_round_takes_no_answers_and_rounds_run_one_at_a_time(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s)
        with pytest.raises(ConflictError):
            create_round(s, study_id=tiny.study_id, library_ref=tiny.library_ref, by=tiny.staff)
        p = add_proposal(s, round_id=tiny.round_id, name="群众获得感", parent_code="B",
                         by=tiny.experts[2])
        with pytest.raises(InputError):
            add_proposal(s, round_id=tiny.round_id, name="x", parent_code="ZZ",
                         by=tiny.experts[2])
        with pytest.raises(PermissionDeniedError):
            remove_proposal(s, proposal_id=p.proposal_id, by=tiny.experts[0])
        close_round(s, round_id=tiny.round_id, by=tiny.staff)
        s.commit()
    with Session(engine) as s:
        with pytest.raises(ConflictError):
            save_answers(s, round_id=tiny.round_id, ratings={"A": 5}, expected_version=1,
                         by=tiny.experts[0])
        with pytest.raises(ConflictError):
            close_round(s, round_id=tiny.round_id, by=tiny.staff)
        with pytest.raises(ConflictError):
            invite_experts(s, round_id=tiny.round_id, user_ids=[tiny.experts[0].user_id],
                           by=tiny.staff)
        # Closed without answers: only its counts, and no statistics to read.
        with pytest.raises(InputError):
            round_statistics_for(s, round_id=tiny.round_id, by=tiny.staff)
        nxt = create_round(s, study_id=tiny.study_id, library_ref=tiny.library_ref,
                           deadline="2022-06-30", by=tiny.staff)
    assert nxt.number == 2 and nxt.label == "第2轮" and nxt.deadline.isoformat() == "2022-06-30"


def test_the_proposed_draft_drops_what_the_screening_drops_and_cites_the_round(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s, closed=True)
    with Session(engine) as s:
        screening = screen_round(s, round_id=tiny.round_id, by=tiny.staff)
    assert screening.codes("drop") == ("B2",)
    pd.testing.assert_frame_equal(screening.table, screen(_kernel_round()).table.loc[
        screening.table.index])
    with Session(engine) as s:
        draft = propose_draft(s, round_id=tiny.round_id, by=tiny.staff)
    with Session(engine) as s:
        stored = get_library(s, ref="delphi-demo@1.1.0")
        rnd = get_round(s, round_id=tiny.round_id, by=tiny.staff)
        base = get_library(s, ref="delphi-demo@1.0.0")
    assert stored == draft and stored.status is Status.DRAFT
    assert [i.code for i in stored.indicators] == ["A", "A1", "A2", "B", "B1"]
    assert stored.changelog[-1].text.startswith("德尔菲第1轮筛选")
    assert "B2" in stored.changelog[-1].text and stored.changelog[-1].author == "管理员"
    assert rnd.draft_ref == "delphi-demo@1.1.0" and rnd.screening["method"] == "threshold"
    assert len(base.indicators) == 6 and base.status is Status.PUBLISHED


def test_an_override_keeps_an_indicator_and_the_next_round_edits_the_draft(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s, closed=True)
    with Session(engine) as s:
        draft = propose_draft(s, round_id=tiny.round_id, method="cutoff",
                              overrides={"B2": "revise"}, new_version="2.0.0", by=tiny.staff)
    assert draft.ref == "delphi-demo@2.0.0" and "B2" in draft.by_code
    with Session(engine) as s, s.begin():
        second = create_round(s, study_id=tiny.study_id, library_ref=draft.ref, by=tiny.staff)
        invite_experts(s, round_id=second.round_id, user_ids=[e.user_id for e in tiny.experts],
                       by=tiny.staff)
    with Session(engine) as s:
        q = questionnaire(s, round_id=second.round_id, by=tiny.experts[2])
    # Round 1 fed back: group means and expert3's own ratings (5, 4, 5, 4, 5, 1).
    assert q.previous.index.name == "第1轮"
    assert q.previous["own_rating"].tolist() == [5.0, 4.0, 5.0, 4.0, 5.0, 1.0]
    assert q.previous.loc["A", "group_mean"] == pytest.approx(14 / 3)
    assert q.previous.loc["B2", "group_sd"] == pytest.approx(1.0)
    with Session(engine) as s, s.begin():
        for expert in tiny.experts:
            version = questionnaire(s, round_id=second.round_id, by=expert).version
            answer = dict(TINY_ANSWERS[expert.username]["ratings"], B2=1)
            q = save_answers(s, round_id=second.round_id, ratings=answer,
                             expected_version=version, by=expert)
            submit_answers(s, round_id=second.round_id, expected_version=q.version, by=expert)
        close_round(s, round_id=second.round_id, by=tiny.staff)
    with Session(engine) as s:
        # B2 now 1, 1, 1: CV 0 passes and the mean fails, so only "any" drops it.
        again = propose_draft(s, round_id=second.round_id, drop_when="any", by=tiny.staff)
    with Session(engine) as s:
        refs = [x.ref for x in list_libraries(s) if x.id == "delphi-demo"]
        tables = paper_tables_for(s, study_id=tiny.study_id, by=tiny.staff)
    # The draft was edited in place: no third version.
    assert again.ref == "delphi-demo@2.0.0" and "B2" not in again.by_code
    assert refs == ["delphi-demo@1.0.0", "delphi-demo@2.0.0"]
    assert tables["积极系数"]["轮次"].tolist() == ["第1轮", "第2轮"]
    scores = tables["指标得分"].set_index("指标")
    assert scores.loc["B2", "第2轮 均值"] == 1.0 and scores.loc["B2", "第1轮 均值"] == 2.0
    assert scores.loc["B2", "筛选结果"] == "删除" and scores.loc["A", "指标名称"] == "决策"
    assert tables["协调系数"]["轮次"].tolist() == ["第1轮"] * 3 + ["第2轮"] * 3


def test_progress_counts_and_staff_only_authority(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s, closed=True)
    with Session(engine) as s:
        progress = response_progress(s, round_id=tiny.round_id, by=tiny.staff)
        cr = expert_authority(s, round_id=tiny.round_id, by=tiny.staff)
    assert progress["status"].tolist() == ["submitted"] * 3
    assert progress["rated"].tolist() == [6, 6, 6] and progress["proposals"].tolist() == [1, 0, 0]
    assert cr.loc[[e.user_id for e in tiny.experts]].tolist() == pytest.approx([0.9, 0.85, 0.7])
    assert np.isfinite(cr).all()


def test_studies_need_a_title_a_known_table_and_a_scale(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_delphi(s)
        for kwargs in ({"title": " "}, {"title": "t", "authority": "nope"},
                       {"title": "t", "scale_max": 1}):
            with pytest.raises(InputError):
                create_study(s, by=tiny.staff, **kwargs)
        with pytest.raises(PermissionDeniedError):
            create_study(s, title="t", by=tiny.experts[0])
        with pytest.raises(InputError):
            invite_experts(s, round_id=tiny.round_id, user_ids=[tiny.staff.user_id],
                           by=tiny.staff)
        seven = create_study(s, title="七级量表", scale_max=7, authority="zeng1994_zero_floor",
                             by=tiny.staff)
    assert seven.scale_max == 7 and seven.authority_table == "zeng1994_zero_floor"
