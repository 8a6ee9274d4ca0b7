"""The Delphi pages through Streamlit's AppTest, on a migrated temporary SQLite database.

Each test copies a database migrated and seeded with the shipped libraries, then seeds the tiny
Delphi study (review/delphi_demo.py). What a page stores is read back through the store; what a
page shows is compared with the kernels on the same answers or with values worked by hand
(质量达标率 rated 2, 3, 1: mean 2, CV 0.5, dropped by the default thresholds).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators.database import clear_engine_cache, get_engine
from indicators.frontdoor import STAFF_ROLES, Viewer
from indicators.i18n import catalogue
from indicators.store import get_library
from review.delphi_answers import questionnaire
from review.delphi_demo import TINY_ANSWERS, seed_tiny_delphi
from review.delphi_results import response_progress
from review.delphi_store import get_round, list_rounds, list_studies
from review.ui_delphi import EXPERT_ROLES, SECTION, pages, rating_key
from tests.review.databases import review_database
from tests.scoring.pages import frame, run_page, texts

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("ui_delphi.py", "ui_delphi_staff.py", "ui_ahp_survey.py", "ui_ahp_survey_staff.py")


@pytest.fixture
def db(tmp_path: Path):
    with review_database("sqlite", tmp_path) as engine:
        yield str(engine.url)
    clear_engine_cache()


def page(url: str, key: str, who: Viewer, *, lang: str = "zh") -> AppTest:
    return run_page(url, "review.ui_delphi", key, who, lang=lang)


def seeded(url: str, **kwargs):
    with Session(get_engine(url)) as s:
        return seed_tiny_delphi(s, **kwargs)


def test_pages_and_every_label_they_ask_for() -> None:
    specs = {spec.key: spec for spec in pages()}
    assert specs["delphi-answer"].roles == EXPERT_ROLES
    assert specs["delphi-manage"].roles == STAFF_ROLES and specs["delphi-manage"].section == SECTION
    used = set()
    for name in MODULES:
        source = (ROOT / "review" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:ctx\.t\(|label=)\s*"((?:delphi|ahp_survey)\.[a-z_.]+)"',
                               source))
    for name in ("ui_calibrate.py", "ui_sensitivity.py", "ui_shares.py"):
        source = (ROOT / "scoring" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'ctx\.t\(\s*"(calibrate\.[a-z_.]+)"', source))
    used |= {f"delphi.{kind}.{v}" for kind, values in (
        ("status", ("open", "closed")), ("response", ("invited", "draft", "submitted")),
        ("decision", ("keep", "revise", "drop"))) for v in values}
    assert len(used) > 250
    assert used - set(catalogue()) == set()
    for spec in pages():
        assert spec.title in catalogue() and spec.section in catalogue()


def test_an_expert_rates_saves_and_submits_and_the_store_keeps_it(db) -> None:
    tiny = seeded(db)
    expert = tiny.experts[0]
    at = page(db, "delphi-answer", expert)
    assert not at.exception and not at.error
    answer = TINY_ANSWERS["expert1"]
    for code, rating in answer["ratings"].items():
        assert at.radio(key=rating_key(tiny.round_id, code)).value is None
        at.radio(key=rating_key(tiny.round_id, code)).set_value(rating)
    at.text_input(key=f"delphi.comment.{tiny.round_id}.B2").input("质量标准不统一")
    for basis, level in answer["basis"].items():
        at.radio(key=f"delphi.basis.{tiny.round_id}.{basis}").set_value(level)
    at.radio(key=f"delphi.familiarity.{tiny.round_id}").set_value("熟悉")
    at.button(key="delphi.answer.save").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    assert any("已保存" in s for s in texts(at, "success"))
    with Session(get_engine(db)) as s:
        q = questionnaire(s, round_id=tiny.round_id, by=expert)
    assert dict(q.ratings) == answer["ratings"] and q.status.value == "draft"
    assert q.comments == {"B2": "质量标准不统一"} and dict(q.basis) == answer["basis"]
    # Submitting needs the confirmation.
    assert at.button(key="delphi.answer.submit").disabled
    at.checkbox(key="delphi.answer.confirm").check().run()
    at.button(key="delphi.answer.submit").click().run()
    assert not at.exception and not at.error
    with Session(get_engine(db)) as s:
        assert questionnaire(s, round_id=tiny.round_id, by=expert).status.value == "submitted"
    at = page(db, "delphi-answer", expert)
    assert any("已提交" in s for s in texts(at, "success")) and not at.radio


def test_an_expert_never_sees_another_experts_answers(db) -> None:
    tiny = seeded(db, answered=True)
    with Session(get_engine(db)) as s:
        from review.delphi_store import create_round, create_study, invite_experts

        study = create_study(s, title="盲评检查", by=tiny.staff)
        rnd = create_round(s, study_id=study.study_id, library_ref=tiny.library_ref,
                           by=tiny.staff)
        invite_experts(s, round_id=rnd.round_id, user_ids=[e.user_id for e in tiny.experts],
                       by=tiny.staff)
        s.commit()
    at = page(db, "delphi-answer", tiny.experts[1])
    at.selectbox(key="delphi.answer.round").set_value(rnd.round_id).run()
    assert all(at.radio(key=rating_key(rnd.round_id, c)).value is None
               for c in TINY_ANSWERS["expert1"]["ratings"])
    # The first study's round is open and submitted: expert2 sees only his own ratings.
    at.selectbox(key="delphi.answer.round").set_value(tiny.round_id).run()
    mine = frame(at, "指标", "本人评分").set_index("指标")["本人评分"]
    assert mine.to_dict() == TINY_ANSWERS["expert2"]["ratings"]
    assert "数字化管理水平" not in str([t.value for t in at.markdown])


def test_staff_close_read_the_tables_override_and_propose_a_draft(db) -> None:
    tiny = seeded(db, answered=True)
    at = page(db, "delphi-manage", tiny.staff)
    assert not at.exception and not at.error
    assert any("结束后" in s for s in texts(at, "info"))
    assert at.button(key="delphi.manage.close").disabled
    at.checkbox(key="delphi.manage.close_confirm").check().run()
    at.button(key="delphi.manage.close").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    with Session(get_engine(db)) as s:
        assert get_round(s, round_id=tiny.round_id, by=tiny.staff).status.value == "closed"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["积极系数"] == "100.0%"
    # Cr = (0.9 + 0.85 + 0.7)/3 = 0.817 by hand.
    assert metrics["权威系数 Cr"] == "0.817"
    scores = frame(at, "指标", "均值", "变异系数").set_index("指标")
    assert scores.loc["B2", "均值"] == 2.0 and scores.loc["B2", "变异系数"] == 0.5
    screening = frame(at, "指标", "建议", "说明").set_index("指标")
    assert screening.loc["B2", "建议"] == "删除" and screening.loc["A", "建议"] == "保留"
    assert at.download_button(key="delphi.manage.export")
    at.selectbox(key=f"delphi.override.{tiny.round_id}.B2").set_value("revise").run()
    assert any("删除 0 项" in m.value for m in at.markdown)
    at.button(key="delphi.screen.propose").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    assert any("delphi-demo@1.1.0" in s for s in texts(at, "success"))
    with Session(get_engine(db)) as s:
        draft = get_library(s, ref="delphi-demo@1.1.0")
        rnd = get_round(s, round_id=tiny.round_id, by=tiny.staff)
    assert "B2" in draft.by_code and "待修改 B2" in draft.changelog[-1].text
    assert rnd.screening["overrides"] == {"B2": "revise"}
    proposals = frame(at, "专家", "指标名称")
    assert proposals["指标名称"].tolist() == ["数字化管理水平"]


def test_staff_create_a_study_and_a_round_and_invite(db) -> None:
    tiny = seeded(db, closed=True)
    at = page(db, "delphi-manage", tiny.staff)
    at.text_input(key="delphi.new.title").input("乡村振兴指标体系")
    at.button(key="delphi.new.create").click().run()
    assert not at.exception and not at.error
    with Session(get_engine(db)) as s:
        study = next(x for x in list_studies(s, by=tiny.staff) if x.title == "乡村振兴指标体系")
    assert at.selectbox(key="delphi.manage.study").value == study.study_id
    at.selectbox(key="delphi.manage.library").set_value("national-target@1.0.0")
    at.button(key="delphi.new_round.create").click().run()
    assert not at.exception and not at.error
    with Session(get_engine(db)) as s:
        (rnd,) = list_rounds(s, study_id=study.study_id, by=tiny.staff)
    assert rnd.library_ref == "national-target@1.0.0" and len(rnd.indicators) == 32
    at.multiselect(key=f"delphi.invite.{rnd.round_id}").set_value(
        [e.user_id for e in tiny.experts[:2]]).run()
    at.button(key="delphi.manage.invite_button").click().run()
    assert not at.exception and not at.error
    with Session(get_engine(db)) as s:
        progress = response_progress(s, round_id=rnd.round_id, by=tiny.staff)
    assert progress["username"].tolist() == ["expert1", "expert2"]


def test_between_rounds_the_expert_sees_the_group_and_his_own_rating(db) -> None:
    tiny = seeded(db, closed=True)
    at = page(db, "delphi-answer", tiny.experts[2])
    feedback = frame(at, "指标", "均值", "本人评分").set_index("指标")
    assert feedback.loc["A", "均值"] == pytest.approx(4.67)
    assert feedback["本人评分"].tolist() == [5.0, 4.0, 5.0, 4.0, 5.0, 1.0]
    with Session(get_engine(db)) as s:
        from review.delphi_store import create_round, invite_experts

        rnd = create_round(s, study_id=tiny.study_id, library_ref=tiny.library_ref,
                           by=tiny.staff)
        invite_experts(s, round_id=rnd.round_id, user_ids=[tiny.experts[2].user_id],
                       by=tiny.staff)
        s.commit()
    at = page(db, "delphi-answer", tiny.experts[2])
    assert at.selectbox(key="delphi.answer.round").value == rnd.round_id
    captions = " ".join(c.value for c in at.caption)
    # 质量达标率 in round 1: 2, 3, 1 → mean 2.00, SD 1.00; expert3 gave 1.
    assert "上轮组均值 2.00（标准差 1.00），您上轮评分 1" in captions


def test_an_expert_reaching_the_staff_page_is_refused_and_english_reads(db) -> None:
    tiny = seeded(db)
    at = page(db, "delphi-manage", tiny.experts[0])
    assert not at.exception and len(at.error) == 1 and not at.button
    at = page(db, "delphi-answer", tiny.experts[0], lang="en")
    assert at.title[0].value == "Delphi questionnaire"
    assert at.button(key="delphi.answer.submit").label == "Submit questionnaire"
