"""The score sheet through AppTest: an out-of-range score is named at its box, in the page's language.

The browser's own range check on a number box speaks English in a tooltip and keeps the number
from the page; the sheet leaves the box unbounded and says it itself, next to the item.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import app_streamlit
from indicators.database import clear_engine_cache, get_engine
from review import store
from review.model import SheetStatus
from review.ui_sheet import score_key
from tests.review.demo_pages import round_sheets, untouched_sheet
from tests.review.test_ui import fill_all, open_sheet, sign_in


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "demo.sqlite3"
    app_streamlit.prepare_database(get_engine(f"sqlite:///{path}"), demo=True)
    clear_engine_cache()
    return path


@pytest.fixture
def db(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "app.sqlite3"
    shutil.copy(seeded, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    monkeypatch.setenv("JIXIAO_DEMO", "1")
    yield url
    clear_engine_cache()


def first_box(at: AppTest, aid: int):
    return next(b for b in at.number_input if b.key.startswith(f"review.score.{aid}."))


def item_name(db: str, round_id: int, code: str) -> str:
    with Session(get_engine(db)) as session:
        return next(i.name for i in store.rubric_items(session, round_id=round_id)
                    if i.code == code)


def test_an_out_of_range_score_is_named_at_its_box_in_chinese(db: str) -> None:
    username, sheet = untouched_sheet(db)
    aid = sheet.assignment_id
    at = open_sheet(sign_in(username), aid)
    box = first_box(at, aid)
    # Unbounded in the browser, so the number reaches the page instead of an English tooltip.
    assert not box.proto.has_min and not box.proto.has_max
    assert "0–4" in box.label
    code = box.key.rsplit(".", 1)[1]
    name = item_name(db, sheet.round_id, code)
    box.set_value(5.0).run()
    assert not at.exception
    said = [e.value for e in at.error if name in e.value]
    assert said == [f"“{name}”的分数 5 超出范围，应在 0 到 4 分之间。改正之前，评分表的改动不会"
                    "保存，也不能提交。"]
    # The message sits in the item's own box, between its score and its comment.
    assert not any(name in e.value for e in at.error if "Number is" in e.value)
    # Nothing out of range is stored; a corrected value is, and the message goes.
    stored = next(s for s in round_sheets(db) if s.assignment_id == aid)
    assert stored.scores[code] is None
    at.number_input(key=score_key(aid, code)).set_value(3.5).run()
    assert not [e for e in at.error if name in e.value]
    stored = next(s for s in round_sheets(db) if s.assignment_id == aid)
    assert stored.scores[code] == 3.5


def test_an_out_of_range_score_is_said_in_english_in_english_mode(db: str) -> None:
    username, sheet = untouched_sheet(db)
    aid = sheet.assignment_id
    at = open_sheet(sign_in(username), aid)
    at.radio(key="app.lang").set_value("en").run()
    assert at.button(key="review.sheet.submit").label == "Submit scores"
    box = first_box(at, aid)
    name = item_name(db, sheet.round_id, box.key.rsplit(".", 1)[1])
    box.set_value(-1.0).run()
    assert any(e.value.startswith(f"The score for “{name}”, -1, is out of range: it must be "
                                  "between 0 and 4.") for e in at.error)
    assert not any("超出范围" in e.value for e in at.error)


def test_submit_is_refused_while_a_score_is_out_of_range(db: str) -> None:
    username, sheet = untouched_sheet(db)
    aid = sheet.assignment_id
    at = fill_all(open_sheet(sign_in(username), aid), aid, 2.0)
    box = first_box(at, aid)
    name = item_name(db, sheet.round_id, box.key.rsplit(".", 1)[1])
    box.set_value(40.0).run()
    at.button(key="review.sheet.submit").click().run()
    assert not at.warning or not any("确认提交吗" in w.value for w in at.warning)
    assert sum(name in e.value and "超出范围" in e.value for e in at.error) >= 1
    assert next(s for s in round_sheets(db) if s.assignment_id == aid).status is not \
        SheetStatus.SUBMITTED


def test_a_score_changed_out_of_range_under_the_confirmation_withdraws_it(db: str) -> None:
    username, sheet = untouched_sheet(db)
    aid = sheet.assignment_id
    at = fill_all(open_sheet(sign_in(username), aid), aid, 2.0)
    at.button(key="review.sheet.submit").click().run()
    assert any("确认提交吗" in w.value for w in at.warning)
    first_box(at, aid).set_value(9.0).run()
    assert not any("确认提交吗" in w.value for w in at.warning)
    assert at.button(key="review.sheet.submit")
    assert next(s for s in round_sheets(db) if s.assignment_id == aid).status is not \
        SheetStatus.SUBMITTED


def test_a_score_with_two_decimals_is_shown_and_stored_as_typed(db: str) -> None:
    username, sheet = untouched_sheet(db)
    aid = sheet.assignment_id
    at = open_sheet(sign_in(username), aid)
    box = first_box(at, aid)
    # The browser formats the box with this; "%.1f" turned a typed 3.33 into 3.3 unsaid.
    assert box.proto.format == "%.2f"
    assert "两位小数" in box.proto.help
    code = box.key.rsplit(".", 1)[1]
    box.set_value(3.33).run()
    assert not at.exception and not at.error
    stored = next(s for s in round_sheets(db) if s.assignment_id == aid)
    assert stored.scores[code] == 3.33
