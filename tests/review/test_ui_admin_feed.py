"""The audit page through AppTest: other floors' records, people by name, a picker that never repeats.

An admin sees who changed a budget cut, who ran a year and who published a library version in
the same table as the review log, with stages, outcomes and amounts in words, and picks any one
line by a label no other line shares, the newest first in either language.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import app_streamlit
from indicators.database import clear_engine_cache, get_engine
from scoring.lifecycle_decision_store import record_decisions
from tests.review.test_ui import request_page, sign_in


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


def cut_then_recover(db: str) -> None:
    """finance records a cut of 120,000 yuan on P001, then changes it to a recovery, with why."""
    for outcome, amount, reason in (("追减", 120_000.0, ""), ("收回", 80_000.0, "项目已完工")):
        frame = pd.DataFrame({"project": ["P001"], "recommendation": ["追减"],
                              "outcome": [outcome], "recommended_amount": [120_000.0],
                              "amount": [amount], "reason": [reason]})
        with Session(get_engine(db)) as session:
            record_decisions(session, year=2022, stage="application", decisions=frame,
                             created_by="finance")


def audit_page(db: str) -> AppTest:
    at = request_page(sign_in("admin"), "review-audit")
    assert not at.exception
    return at


def test_a_changed_budget_cut_shows_who_what_and_why(db: str) -> None:
    cut_then_recover(db)
    at = audit_page(db)
    table = at.dataframe[0].value
    # The decisions are the newest lines, merged into the same table by time.
    newest, older = table.iloc[0], table.iloc[1]
    assert (newest["对象"], newest["操作"], older["操作"]) == ("全过程决定", "改变决定", "作出决定")
    assert newest["操作人"] == "绩效股 李娟（finance）"
    lines = newest["变更"].split("；")
    assert lines[:4] == ["年度：2022", "环节：结果应用", "项目：P001", "现行：是"]
    assert "决定：追减 → 收回" in lines
    assert "金额：120,000.00 元 → 80,000.00 元" in lines
    assert "理由：— → 项目已完工" in lines
    assert "现行：否" in older["变更"] and "建议金额：120,000.00 元" in older["变更"]
    at.selectbox(key="review.audit.entity").set_value("lifecycle_decision").run()
    assert set(at.dataframe[0].value["对象"]) == {"全过程决定"}


def test_library_publications_are_lines_of_their_own_kind(db: str) -> None:
    at = audit_page(db)
    box = at.selectbox(key="review.audit.entity")
    assert {"全过程决定", "年度运行", "指标库发布"} <= set(box.options)
    box.set_value("library_version").run()
    table = at.dataframe[0].value
    assert len(table) and set(table["操作"]) == {"发布"}
    assert all(text.startswith("指标库版本：") and "变更说明：" in text
               for text in table["变更"])


def test_people_read_by_name_with_their_username(db: str) -> None:
    table = audit_page(db).dataframe[0].value
    actors = set(table["操作人"])
    assert "系统管理员（admin）" in actors
    assert not {"admin", "finance", "expert1"} & actors


def test_a_delphi_submit_says_the_log_holds_only_the_count(db: str) -> None:
    at = audit_page(db)
    at.selectbox(key="review.audit.entity").set_value("delphi_response").run()
    table = at.dataframe[0].value
    submitted = table[table["操作"] == "提交评分"]["变更"]
    assert len(submitted)
    assert all(text.startswith("已评指标数：") and "与此人上一条相同" in text
               and "—" not in text for text in submitted)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_pick_label_is_unique_and_the_newest_comes_first(db: str, lang: str) -> None:
    cut_then_recover(db)
    at = audit_page(db)
    if lang == "en":
        at.radio(key="app.lang").set_value("en").run()
        assert not at.exception
    box = at.selectbox(key="review.audit.pick")
    labels = box.options
    assert len(labels) == len(set(labels)) == len(at.dataframe[0].value)
    assert box.index == 0 and box.value.startswith("lifecycle_decision:")
    assert ("改变决定" if lang == "zh" else "decision changed") in labels[0]


def test_switching_language_keeps_the_picked_line(db: str) -> None:
    cut_then_recover(db)
    at = audit_page(db)
    at.selectbox(key="review.audit.pick").select_index(5).run()
    chosen = at.selectbox(key="review.audit.pick").value
    at.radio(key="app.lang").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="review.audit.pick").value == chosen
