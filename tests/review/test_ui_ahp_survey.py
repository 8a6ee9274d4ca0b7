"""The group AHP pages through Streamlit's AppTest, on a migrated temporary SQLite database.

The database is seeded with the tiny survey (review/ahp_survey_demo.py). What the pages show is
compared with scoring.ahp and scoring.weights called directly on the same matrices and data;
what they store is read back through the survey store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators.database import clear_engine_cache, get_engine
from indicators.frontdoor import STAFF_ROLES, Viewer
from indicators.store import get_library
from review.ahp_survey_demo import TINY_JUDGMENTS, seed_tiny_survey
from review.ahp_survey_judgments import exclusion_history, my_judgments
from review.ahp_survey_store import list_surveys
from review.ui_ahp_survey import judgment_key, pages
from review.ui_delphi import EXPERT_ROLES
from scoring.ahp import aggregate, priorities
from scoring.weights import combine_weights, entropy_weights
from tests.review.databases import review_database
from tests.review.test_ahp_survey_store import stack
from tests.scoring.pages import frame, run_page, texts

TOP = {("CC", "XY"): 3.0, ("CC", "MY"): 5.0, ("XY", "MY"): 2.0}


@pytest.fixture
def db(tmp_path: Path):
    with review_database("sqlite", tmp_path) as engine:
        yield str(engine.url)
    clear_engine_cache()


def page(url: str, key: str, who: Viewer, *, lang: str = "zh", demo: bool = False) -> AppTest:
    return run_page(url, "review.ui_ahp_survey", key, who, lang=lang, demo=demo)


def seeded(url: str, **kwargs):
    with Session(get_engine(url)) as s:
        return seed_tiny_survey(s, **kwargs)


def frames(at: AppTest, *columns: str) -> list[pd.DataFrame]:
    out = []
    for element in at.dataframe:
        value = element.value
        value = value.data if hasattr(value, "data") else value
        if set(columns) <= set(value.columns):
            out.append(value)
    return out


def fill(at: AppTest, survey_id: int, node: str, judgments: dict) -> AppTest:
    for (a, b), value in judgments.items():
        at.selectbox(key=judgment_key(survey_id, node, a, b)).set_value(value)
    return at.run()


def test_pages_are_registered_for_their_roles() -> None:
    specs = {spec.key: spec for spec in pages()}
    assert specs["ahp-survey-answer"].roles == EXPERT_ROLES
    assert specs["ahp-survey-manage"].roles == STAFF_ROLES


def test_a_member_sees_his_own_cr_live_and_saves_with_a_blank(db) -> None:
    tiny = seeded(db)
    member = tiny.members[0]
    at = page(db, "ahp-survey-answer", member)
    assert not at.exception and not at.error
    fill(at, tiny.survey_id, "", TOP)
    want = priorities([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["CR"] == f"{float(want.cr):.4f}"
    shown = frame(at, "指标", "权重")
    assert shown["指标"].tolist() == ["产出指标", "效益指标", "满意度指标"]
    np.testing.assert_allclose(shown["权重"].to_numpy(dtype=float), want.weights.round(4))
    assert any("通过" in s for s in texts(at, "success"))
    # MY far above CC contradicts the others: CR fails and the judgments to revise appear.
    fill(at, tiny.survey_id, "", {("CC", "MY"): 1 / 9})
    assert any("未通过" in w for w in texts(at, "warning"))
    assert len(frame(at, "判断", "建议", "修改后 CR")) >= 1
    # Back to consistent, one comparison left blank: completed by Harker's method.
    fill(at, tiny.survey_id, "", {("CC", "MY"): None, ("CC", "XY"): 2.0})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["空缺判断"] == "1" and metrics["CR"] == "0.0000"
    at.button(key="ahp_survey.answer.save").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    with Session(get_engine(db)) as s:
        mine = my_judgments(s, survey_id=tiny.survey_id, by=member)
    assert mine.judgments[""] == {("CC", "XY"): 2.0, ("XY", "MY"): 2.0}
    at.radio(key=f"ahp_survey.node.{tiny.survey_id}").set_value("CC").run()
    fill(at, tiny.survey_id, "CC", TINY_JUDGMENTS["expert1"]["CC"])
    at.checkbox(key="ahp_survey.answer.confirm").check().run()
    at.button(key="ahp_survey.answer.submit").click().run()
    assert not at.exception and not at.error
    with Session(get_engine(db)) as s:
        mine = my_judgments(s, survey_id=tiny.survey_id, by=member)
    assert mine.status.value == "submitted" and len(mine.judgments["CC"]) == 3
    at = page(db, "ahp-survey-answer", member)
    assert any("已提交" in s for s in texts(at, "success"))
    assert at.selectbox(key=judgment_key(tiny.survey_id, "", "CC", "XY")).disabled


def test_a_member_never_sees_another_members_judgments(db) -> None:
    tiny = seeded(db, answered=True)
    with Session(get_engine(db)) as s:
        from review.ahp_survey_store import create_survey, invite_members

        survey = create_survey(s, title="第二次", library_ref=tiny.library_ref, by=tiny.staff)
        invite_members(s, survey_id=survey.survey_id,
                       user_ids=[m.user_id for m in tiny.members], by=tiny.staff)
        s.commit()
    at = page(db, "ahp-survey-answer", tiny.members[1])
    at.selectbox(key="ahp_survey.answer.survey").set_value(tiny.survey_id).run()
    # His own submitted judgments, not expert1's (2.0) or expert3's (4.0).
    assert at.selectbox(key=judgment_key(tiny.survey_id, "", "CC", "XY")).value == 3.0
    at.selectbox(key="ahp_survey.answer.survey").set_value(survey.survey_id).run()
    assert at.selectbox(key=judgment_key(survey.survey_id, "", "CC", "XY")).value is None


def test_staff_aggregate_exclude_with_a_reason_and_weigh_by_authority(db) -> None:
    tiny = seeded(db, answered=True)
    at = page(db, "ahp-survey-manage", tiny.staff)
    assert not at.exception and not at.error, texts(at, "error")
    groups = frames(at, "指标", "群组权重", "全局权重")
    first = groups[0].set_index("指标")["群组权重"]
    np.testing.assert_allclose(first.to_numpy(dtype=float),
                               aggregate(stack("")).weights.round(4))
    members = frames(at, "专家", "CR", "CR 通过")[0].set_index("专家")
    assert members.loc["专家3", "CR 通过"] == "否" and members.loc["专家1", "CR 通过"] == "是"
    at.selectbox(key="ahp_survey.exclude.who.top").set_value(tiny.members[2].user_id)
    at.text_input(key="ahp_survey.exclude.reason.top").input("循环判断，CR 远超 0.10")
    at.button(key="ahp_survey.exclude.top").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    with Session(get_engine(db)) as s:
        history = exclusion_history(s, survey_id=tiny.survey_id, by=tiny.staff)
    assert history["reason"].tolist() == ["循环判断，CR 远超 0.10"] and history["excluded"].all()
    at = page(db, "ahp-survey-manage", tiny.staff)
    first = frames(at, "指标", "群组权重")[0]["群组权重"].to_numpy(dtype=float)
    np.testing.assert_allclose(first, aggregate(stack("", ("expert1", "expert2"))).weights
                               .round(4))
    at.radio(key=f"ahp_survey.weighting.{tiny.survey_id}").set_value("authority").run()
    assert not at.exception and not at.error
    cc = frames(at, "专家", "专家权重")[1]["专家权重"].to_numpy(dtype=float)
    np.testing.assert_allclose(cc, (np.array([0.9, 0.85, 0.7]) / 2.45).round(4))


def test_combined_weights_from_the_demo_county_are_saved_into_a_draft(db) -> None:
    tiny = seeded(db, answered=True)
    at = page(db, "ahp-survey-manage", tiny.staff, demo=True)
    assert at.selectbox(key="ahp_survey.combine.node").value == ""
    at.radio(key="ahp_survey.combine.how").set_value("linear").run()
    table = frame(at, "指标", "AHP", "熵权法", "组合权重").set_index("指标")
    from scoring.ui_shares import demo_county_shares

    shares, _ = demo_county_shares()
    data = shares[["产出指标", "效益指标", "满意度指标"]].dropna()
    objective = entropy_weights(data, benefit=True).weights.to_numpy()
    subjective = aggregate(stack("")).weights
    combined = combine_weights(subjective, objective, alpha=0.5).weights
    np.testing.assert_allclose(table["熵权法"].to_numpy(dtype=float), objective.round(4))
    np.testing.assert_allclose(table["组合权重"].to_numpy(dtype=float), combined.round(4))
    at.button(key="ahp_survey.combine.use").click().run()
    assert not at.exception and not at.error
    at.button(key="ahp_survey.manage.save").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    assert any("ahp-demo@1.1.0" in s for s in texts(at, "success"))
    with Session(get_engine(db)) as s:
        draft = get_library(s, ref="ahp-demo@1.1.0")
    top = [draft.by_code[c].weight for c in ("CC", "XY", "MY")]
    np.testing.assert_allclose(top, combined * 100, atol=0.011)
    assert "熵权法" in draft.changelog[-1].text and sum(top) == pytest.approx(100)


def test_staff_create_a_survey_and_experts_are_refused(db) -> None:
    tiny = seeded(db)
    at = page(db, "ahp-survey-manage", tiny.staff)
    at.text_input(key="ahp_survey.new.title").input("国家目标框架权重")
    at.selectbox(key="ahp_survey.new.library").set_value("national-target@1.0.0")
    at.selectbox(key="ahp_survey.new.delphi").set_value(tiny.delphi_round_id)
    at.button(key="ahp_survey.new.create").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    with Session(get_engine(db)) as s:
        made = list_surveys(s, by=tiny.staff)[0]
    assert made.title == "国家目标框架权重" and made.delphi_round_id == tiny.delphi_round_id
    assert [n.key for n in made.nodes][:2] == ["", "CC"]
    at = page(db, "ahp-survey-manage", tiny.members[0])
    assert not at.exception and len(at.error) == 1 and not at.button
    at = page(db, "ahp-survey-answer", tiny.members[0], lang="en")
    options = at.selectbox(key=judgment_key(tiny.survey_id, "", "CC", "XY")).options
    assert "(leave blank)" in options and "Moderately more important (reverse) 1/3" in options
