"""The group AHP survey keeps each judgment as a draft as it is chosen, through AppTest.

A member fills part of two nodes and closes the tab: a fresh AppTest session stands for his
coming back. No save button is pressed — the boxes' change callbacks store every judgment —
and what the page restores is checked against the store, read back directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators.database import clear_engine_cache, get_engine
from indicators.frontdoor import Viewer
from review.ahp_survey_demo import seed_tiny_survey
from review.ahp_survey_judgments import my_judgments
from review.ui_ahp_survey import judgment_key
from tests.review.databases import review_database
from tests.scoring.pages import run_page, texts


@pytest.fixture
def db(tmp_path: Path):
    with review_database("sqlite", tmp_path) as engine:
        yield str(engine.url)
    clear_engine_cache()


def page(url: str, who: Viewer) -> AppTest:
    return run_page(url, "review.ui_ahp_survey", "ahp-survey-answer", who)


def stored(url: str, sid: int, who: Viewer):
    with Session(get_engine(url)) as s:
        return my_judgments(s, survey_id=sid, by=who)


def captions(at: AppTest) -> str:
    return " ".join(texts(at, "caption"))


def test_judgments_are_saved_as_chosen_and_are_there_when_the_member_comes_back(db) -> None:
    with Session(get_engine(db)) as s:
        tiny = seed_tiny_survey(s)
    sid, member = tiny.survey_id, tiny.members[0]
    at = page(db, member)
    assert not at.exception and not at.error
    assert "自动保存为草稿" in captions(at)
    at.selectbox(key=judgment_key(sid, "", "CC", "XY")).set_value(3.0).run()
    assert not at.exception and not at.error, texts(at, "error")
    assert "草稿已自动保存" in captions(at)
    at.selectbox(key=judgment_key(sid, "", "XY", "MY")).set_value(1 / 2).run()
    at.radio(key=f"ahp_survey.node.{sid}").set_value("CC").run()
    at.selectbox(key=judgment_key(sid, "CC", "CC1", "CC3")).set_value(5.0).run()
    assert not at.exception and not at.error, texts(at, "error")
    draft = stored(db, sid, member)
    assert draft.status.value == "draft"
    assert dict(draft.judgments[""]) == {("CC", "XY"): 3.0, ("XY", "MY"): 0.5}
    assert dict(draft.judgments["CC"]) == {("CC1", "CC3"): 5.0}
    again = page(db, member)
    assert not again.exception and not again.error
    assert again.selectbox(key=judgment_key(sid, "", "CC", "XY")).value == 3.0
    assert again.selectbox(key=judgment_key(sid, "", "XY", "MY")).value == 1 / 2
    assert again.selectbox(key=judgment_key(sid, "", "CC", "MY")).value is None
    assert "草稿已自动保存" in captions(again)
    again.radio(key=f"ahp_survey.node.{sid}").set_value("CC").run()
    assert again.selectbox(key=judgment_key(sid, "CC", "CC1", "CC3")).value == 5.0
    assert again.selectbox(key=judgment_key(sid, "CC", "CC1", "CC2")).value is None
    # Reading the drafts back saved nothing new.
    assert stored(db, sid, member).version == draft.version


def test_another_member_never_sees_the_draft(db) -> None:
    with Session(get_engine(db)) as s:
        tiny = seed_tiny_survey(s)
    sid = tiny.survey_id
    at = page(db, tiny.members[0])
    at.selectbox(key=judgment_key(sid, "", "CC", "XY")).set_value(7.0).run()
    other = page(db, tiny.members[1])
    assert not other.exception and not other.error
    assert all(other.selectbox(key=judgment_key(sid, "", a, b)).value is None
               for a, b in (("CC", "XY"), ("CC", "MY"), ("XY", "MY")))
    assert dict(stored(db, sid, tiny.members[1]).judgments) == {}


def test_the_submit_replaces_the_draft_and_locks_every_node(db) -> None:
    with Session(get_engine(db)) as s:
        tiny = seed_tiny_survey(s)
    sid, member = tiny.survey_id, tiny.members[2]
    first = page(db, member)
    first.selectbox(key=judgment_key(sid, "", "CC", "XY")).set_value(2.0).run()
    again = page(db, member)
    again.selectbox(key=judgment_key(sid, "", "CC", "MY")).set_value(4.0)
    again.checkbox(key="ahp_survey.answer.confirm").check().run()
    again.button(key="ahp_survey.answer.submit").click().run()
    assert not again.exception and not again.error, texts(again, "error")
    done = stored(db, sid, member)
    assert done.status.value == "submitted"
    assert dict(done.judgments[""]) == {("CC", "XY"): 2.0, ("CC", "MY"): 4.0}
    # The first tab, still open on the draft, cannot change the submitted judgments.
    first.selectbox(key=judgment_key(sid, "", "XY", "MY")).set_value(3.0).run()
    assert not first.exception
    assert any("已在别处提交" in e for e in texts(first, "error"))
    assert stored(db, sid, member).version == done.version
    reopened = page(db, member)
    assert any("已提交" in s for s in texts(reopened, "success"))
    assert reopened.selectbox(key=judgment_key(sid, "", "CC", "MY")).value == 4.0
    assert reopened.selectbox(key=judgment_key(sid, "", "CC", "MY")).disabled
