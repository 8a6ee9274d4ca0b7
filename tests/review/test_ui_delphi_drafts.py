"""The Delphi questionnaire keeps a draft as the expert answers, through Streamlit's AppTest.

李教授 answers half the questionnaire and closes the tab: a fresh AppTest session stands for
his coming back another day. Nothing is saved by a button here — every answer goes to the
store through the boxes' change callbacks — and what the page restores is checked against the
store, which is read back directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators.database import clear_engine_cache, get_engine
from indicators.frontdoor import Viewer
from review.delphi_answers import questionnaire
from review.delphi_demo import seed_tiny_delphi
from review.ui_answer_drafts import basis_key, comment_key, familiarity_key, general_key
from review.ui_delphi import rating_key
from tests.review.databases import review_database
from tests.scoring.pages import run_page, texts


@pytest.fixture
def db(tmp_path: Path):
    with review_database("sqlite", tmp_path) as engine:
        yield str(engine.url)
    clear_engine_cache()


def page(url: str, who: Viewer, *, lang: str = "zh") -> AppTest:
    return run_page(url, "review.ui_delphi", "delphi-answer", who, lang=lang)


def stored(url: str, rid: int, who: Viewer):
    with Session(get_engine(url)) as s:
        return questionnaire(s, round_id=rid, by=who)


def captions(at: AppTest) -> str:
    return " ".join(texts(at, "caption"))


def test_answers_are_saved_as_given_and_are_there_when_the_expert_comes_back(db) -> None:
    with Session(get_engine(db)) as s:
        tiny = seed_tiny_delphi(s)
    rid, expert = tiny.round_id, tiny.experts[0]
    at = page(db, expert)
    assert not at.exception and not at.error
    assert "自动保存为草稿" in captions(at)
    at.radio(key=rating_key(rid, "A")).set_value(5).run()
    assert not at.exception and not at.error, texts(at, "error")
    assert "草稿已自动保存" in captions(at)
    at.radio(key=rating_key(rid, "B2")).set_value(2).run()
    at.text_input(key=comment_key(rid, "B2")).input("口径不统一").run()
    at.radio(key=basis_key(rid, "实践经验")).set_value("大").run()
    at.radio(key=familiarity_key(rid)).set_value("熟悉").run()
    at.text_area(key=general_key(rid)).input("先填到这里").run()
    assert not at.exception and not at.error, texts(at, "error")
    draft = stored(db, rid, expert)
    assert draft.status.value == "draft" and dict(draft.ratings) == {"A": 5, "B2": 2}
    assert dict(draft.comments) == {"B2": "口径不统一"} and draft.comment == "先填到这里"
    # The tab is closed; another day, a new session as the same expert.
    again = page(db, expert)
    assert not again.exception and not again.error
    assert again.radio(key=rating_key(rid, "A")).value == 5
    assert again.radio(key=rating_key(rid, "B2")).value == 2
    assert again.radio(key=rating_key(rid, "A1")).value is None
    assert again.text_input(key=comment_key(rid, "B2")).value == "口径不统一"
    assert again.radio(key=basis_key(rid, "实践经验")).value == "大"
    assert again.radio(key=basis_key(rid, "直觉")).value is None
    assert again.radio(key=familiarity_key(rid)).value == "熟悉"
    assert again.text_area(key=general_key(rid)).value == "先填到这里"
    assert "草稿已自动保存" in captions(again)
    # Reading the draft back saved nothing new.
    assert stored(db, rid, expert).version == draft.version


def test_another_expert_never_sees_the_draft(db) -> None:
    with Session(get_engine(db)) as s:
        tiny = seed_tiny_delphi(s)
    rid = tiny.round_id
    at = page(db, tiny.experts[0])
    at.radio(key=rating_key(rid, "A")).set_value(5).run()
    at.text_input(key=comment_key(rid, "A")).input("只有我能看到").run()
    other = page(db, tiny.experts[1])
    assert not other.exception and not other.error
    assert other.radio(key=rating_key(rid, "A")).value is None
    assert other.text_input(key=comment_key(rid, "A")).value == ""
    shown = [*texts(other, "text_input"), *texts(other, "text_area"), *texts(other, "caption"),
             *texts(other, "markdown")]
    assert not any("只有我能看到" in str(v) for v in shown)


def test_the_submit_replaces_the_draft_and_locks_the_questionnaire(db) -> None:
    with Session(get_engine(db)) as s:
        tiny = seed_tiny_delphi(s)
    rid, expert = tiny.round_id, tiny.experts[2]
    first = page(db, expert)
    first.radio(key=rating_key(rid, "A")).set_value(3).run()
    first.radio(key=rating_key(rid, "B")).set_value(4).run()
    again = page(db, expert)
    # Changed once more and submitted without waiting for anything else.
    again.radio(key=rating_key(rid, "A")).set_value(5)
    again.checkbox(key="delphi.answer.confirm").check().run()
    again.button(key="delphi.answer.submit").click().run()
    assert not again.exception and not again.error, texts(again, "error")
    assert any("已提交" in s for s in texts(again, "success"))
    done = stored(db, rid, expert)
    assert done.status.value == "submitted" and dict(done.ratings) == {"A": 5, "B": 4}
    # The first tab is still open on the draft: its next answer is refused, not stored.
    first.radio(key=rating_key(rid, "A1")).set_value(1).run()
    assert not first.exception
    assert stored(db, rid, expert).version == done.version
    assert dict(stored(db, rid, expert).ratings) == {"A": 5, "B": 4}
    reopened = page(db, expert)
    assert any("已提交" in s for s in texts(reopened, "success")) and not reopened.radio


def test_two_tabs_of_one_expert_keep_both_answers(db) -> None:
    with Session(get_engine(db)) as s:
        tiny = seed_tiny_delphi(s)
    rid, expert = tiny.round_id, tiny.experts[1]
    first, second = page(db, expert), page(db, expert)
    first.radio(key=rating_key(rid, "A")).set_value(4).run()
    # The second tab saves on a version the first already moved on: it merges, losing nothing.
    second.radio(key=rating_key(rid, "B")).set_value(3).run()
    assert not second.exception and not second.error, texts(second, "error")
    assert "另一个窗口" in captions(second)
    assert second.radio(key=rating_key(rid, "A")).value == 4
    assert dict(stored(db, rid, expert).ratings) == {"A": 4, "B": 3}
    assert first.run().radio(key=rating_key(rid, "B")).value == 3


def test_the_saved_note_reads_in_english(db) -> None:
    with Session(get_engine(db)) as s:
        tiny = seed_tiny_delphi(s)
    at = page(db, tiny.experts[0], lang="en")
    assert "saved as a draft" in captions(at)
    at.radio(key=rating_key(tiny.round_id, "A")).set_value(4).run()
    assert "Draft saved automatically" in captions(at)
