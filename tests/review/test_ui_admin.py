"""The audit-log page through AppTest: entities, actions and changes in words, raw JSON kept.

An administrator reads who changed what as "字段：原值 → 新值" lines in the page's language;
the values exactly as logged stay available, for auditors, under an expander.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import app_streamlit
from indicators.database import clear_engine_cache, get_engine
from review import store
from review.model import SheetStatus
from tests.review.demo_pages import round_sheets
from tests.review.test_ui import request_page, shown_cells, sign_in, viewer


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


def audit_table(at: AppTest):
    """The readable table: the first one on the page, newest line first."""
    return at.dataframe[0].value


def reopen_one(db: str, reason: str) -> tuple[int, int]:
    """Reopen a submitted sheet; its id and the version it had."""
    done = next(s for s in round_sheets(db) if s.status is SheetStatus.SUBMITTED)
    with Session(get_engine(db)) as session:
        store.reopen_sheet(session, assignment_id=done.assignment_id, reason=reason,
                           by=viewer(db, "admin"))
        session.commit()
    return done.assignment_id, done.version


def test_entities_actions_and_changes_read_as_chinese_words(db: str) -> None:
    aid, version = reopen_one(db, "评分项 YJ0101 录入有误")
    at = request_page(sign_in("admin"), "review-audit")
    assert not at.exception
    table = audit_table(at)
    assert list(table.columns) == ["时间", "操作人", "对象", "编号", "操作", "变更"]
    assert set(table["对象"]) <= {"账户", "轮次", "报告", "评审组", "分配", "评分表", "德尔菲研究",
                                "德尔菲轮次", "德尔菲答卷", "德尔菲新增指标建议", "层次分析法问卷",
                                "层次分析法答卷", "全过程决定", "年度运行", "指标库发布"}
    assert {"创建", "开始评审", "提交评分", "保存草稿", "退回重评"} <= set(table["操作"])
    assert "自动分配（k=4, seed=2021）" in set(table["操作"])
    # The newest line is the reopen, its change spelt out field by field.
    newest = table.iloc[0]
    assert (newest["对象"], newest["编号"], newest["操作"]) == ("评分表", aid, "退回重评")
    lines = newest["变更"].split("；")
    assert lines[0] == "状态：已提交 → 草稿" and lines[-1] == "理由：— → 评分项 YJ0101 录入有误"
    assert set(lines[1:-1]) <= {f"版本号：{version} → {version + 1}"}
    cells = set(shown_cells(at)[:table.size])
    assert not {"sheet", "round", "save_draft", "submit", "reopen"} & cells
    assert not any(cell.startswith("{") or "auto_assign" in cell for cell in cells)
    # A draft save names the item whose score changed, by the round's rubric.
    drafts = table[table["操作"] == "保存草稿"]["变更"]
    assert any("得分「政策和制度依据完整」（YJ0101）：— → " in text for text in drafts)
    assert any("状态：未开始 → 草稿" in text for text in drafts)
    # A round's creation lists what it was created with, without "— →".
    created = table[(table["对象"] == "轮次") & (table["操作"] == "创建")]["变更"].iloc[0]
    assert "每份报告评审人数：4" in created and "合议方法：" in created and " → " not in created
    # The assignment's 60 pairs read as a count.
    assert any("项" in text for text in table[table["对象"] == "分配"]["变更"])


def test_one_line_is_spelt_out_and_its_raw_json_kept_for_auditors(db: str) -> None:
    reopen_one(db, "录入有误")
    at = request_page(sign_in("admin"), "review-audit")
    detail = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert detail and "状态：已提交 → 草稿" in detail[0].replace("\\", "")
    assert "理由：— → 录入有误" in detail[0].replace("\\", "")
    raw = [j.value for j in at.json]
    assert raw and json.loads(raw[0])["new"]["reason"] == "录入有误"
    assert json.loads(raw[0])["old"]["status"] == "submitted"
    # The raw table keeps every line as logged, codes and JSON included.
    logged = at.dataframe[1].value
    assert list(logged.columns) == ["时间", "操作人", "对象", "编号", "操作", "原值", "新值"]
    assert (logged.iloc[0]["对象"], logged.iloc[0]["操作"]) == ("sheet", "reopen")
    assert '"reason": "录入有误"' in logged.iloc[0]["新值"]
    assert len(logged) == len(audit_table(at))


def test_the_audit_log_reads_in_english_in_english_mode(db: str) -> None:
    reopen_one(db, "typo")
    at = request_page(sign_in("admin"), "review-audit")
    at.radio(key="app.lang").set_value("en").run()
    assert not at.exception
    table = audit_table(at)
    assert list(table.columns) == ["Time", "Actor", "Entity", "ID", "Action", "Changes"]
    newest = table.iloc[0]
    assert (newest["Entity"], newest["Action"]) == ("sheet", "reopen")
    assert newest["Changes"].startswith("Status: Submitted → Draft")
    assert "draft saved" in set(table["Action"])
    assert not any("状态" in text for text in table["Changes"].dropna())


def test_the_filter_offers_delphi_and_ahp_lines_too(db: str) -> None:
    at = request_page(sign_in("admin"), "review-audit")
    box = at.selectbox(key="review.audit.entity")
    assert {"全部", "评分表", "德尔菲轮次", "层次分析法问卷"} <= set(box.options)
    box.set_value("sheet").run()
    assert set(audit_table(at)["对象"]) == {"评分表"}
