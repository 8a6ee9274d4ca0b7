"""The autosave engine on a form of two text boxes over a store kept in memory, through AppTest.

The real forms (score sheet, Delphi questionnaire, AHP survey) are tested on the database in
their own page tests; here the store is a dictionary this module holds, so a test can move it
behind the page's back (another tab), make every save lose its compare-and-set, or lock it, and
check exactly what the engine wrote and what the page says.
"""

from __future__ import annotations

from collections.abc import Mapping

from streamlit.testing.v1 import AppTest

from indicators.errors import ConflictError
from review.ui_autosave import DraftForm, Stored, bookkeeping_key

KEYS = ("box.a", "box.b")
MESSAGES = {"saved": "review.sheet.saved", "merged": "review.sheet.merged",
            "conflict": "review.sheet.conflict", "busy": "review.sheet.busy"}
STORE: dict = {}


def reset(**extra: object) -> None:
    STORE.clear()
    STORE.update(values={key: "" for key in KEYS}, version=1, writable=True, writes=0,
                 always_conflict=False, **extra)


def _stored() -> Stored:
    return Stored(dict(STORE["values"]), STORE["version"], STORE["writable"], None, None)


def form() -> DraftForm:
    def read(session: object) -> Stored:
        return _stored()

    def write(session: object, pending: Mapping[str, object], base: Mapping[str, object],
              version: int) -> Stored:
        if STORE["always_conflict"] or version != STORE["version"] or not STORE["writable"]:
            raise ConflictError("版本已变", "stale version")
        # Like the Delphi store: the whole form is replaced by what the engine sends.
        STORE["values"] = {**base, **pending}
        STORE["version"] += 1
        STORE["writes"] += 1
        return _stored()

    return DraftForm(name="test.form", keys=KEYS, read=read, write=write, messages=MESSAGES,
                     clean=lambda key, value: str(value or ""))


def _script() -> None:
    import streamlit as st

    from indicators.database import get_engine
    from indicators.frontdoor import PageContext, Role, Viewer
    from review.ui_autosave import save_form, show_status, sync_form
    from tests.review.test_ui_autosave import form

    ctx = PageContext(get_engine("sqlite://"), Viewer(7, "li", "李教授", Role.EXPERT))
    boxes = form()
    latest = sync_form(ctx, boxes)
    show_status(ctx, boxes, latest, "提示")
    for key in boxes.keys:
        st.text_input(key, key=key, on_change=save_form, args=(ctx, boxes))


def page() -> AppTest:
    return AppTest.from_function(_script, default_timeout=30).run()


def test_a_box_is_saved_when_it_changes_and_only_then() -> None:
    reset()
    at = page()
    assert not at.exception and STORE["writes"] == 0
    assert at.caption[0].value == "提示"
    at.text_input(key="box.a").input("甲").run()
    assert not at.exception and not at.error
    assert STORE["values"] == {"box.a": "甲", "box.b": ""} and STORE["writes"] == 1
    assert at.caption[0].value.startswith("草稿已自动保存")
    assert at.session_state[bookkeeping_key("test.form", "version")] == 2
    at.run()
    assert STORE["writes"] == 1


def test_a_change_made_elsewhere_is_merged_not_overwritten() -> None:
    reset()
    at = page()
    # Another tab stores box b; this tab, still on version 1, then types into box a.
    STORE.update(values={"box.a": "", "box.b": "乙"}, version=2)
    at.text_input(key="box.a").input("甲").run()
    assert not at.exception and not at.error
    assert STORE["values"] == {"box.a": "甲", "box.b": "乙"} and STORE["version"] == 3
    assert "另一个窗口" in at.caption[0].value
    assert at.text_input(key="box.b").value == "乙"


def test_saves_that_keep_losing_give_up_and_keep_the_typing() -> None:
    reset()
    at = page()
    STORE["always_conflict"] = True
    at.text_input(key="box.a").input("甲").run()
    assert STORE["writes"] == 0 and STORE["values"]["box.a"] == ""
    assert "暂未保存成功" in at.error[0].value
    assert at.text_input(key="box.a").value == "甲"
    # Once the store takes saves again, the next run stores the waiting typing.
    STORE["always_conflict"] = False
    at.run()
    assert STORE["values"]["box.a"] == "甲" and not at.error


def test_a_locked_form_takes_nothing_and_says_why() -> None:
    reset()
    at = page()
    STORE.update(writable=False, version=2)
    at.text_input(key="box.a").input("甲").run()
    assert STORE["writes"] == 0 and STORE["values"]["box.a"] == ""
    assert "已在别处提交或修改" in at.error[0].value
