"""The scoring pages, driven through Streamlit's AppTest against a temporary SQLite database.

The database holds the shipped libraries and the demo county's target tables, seeded once per
module and copied for each test. Expected values come from the kernels called directly on the
same data (the pages only wire them) or are worked by hand, never from the pages' own output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators import store
from indicators.database import get_engine
from indicators.frontdoor import STAFF_ROLES
from indicators.i18n import catalogue
from indicators.model import Project, Target, TargetTable
from indicators.validate import check_library
from scoring.ahp import priorities
from scoring.io import write_scoring_workbook
from scoring.store import get_score_run, list_score_runs
from scoring.ui import SECTION, pages
from scoring.weight_sets import judgment_matrix
from tests.scoring.pages import database_copy, frame, run_page, seed_database, texts, wang

ROOT = Path(__file__).resolve().parents[2]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_database(tmp_path_factory.mktemp("scoring-ui") / "seed.sqlite3")


@pytest.fixture
def url(seeded: Path, tmp_path: Path) -> Iterator[str]:
    yield from database_copy(seeded, tmp_path)


def page(url: str, key: str = "scoring-projects", *, lang: str = "zh", role: str = "finance",
         demo: bool = False) -> AppTest:
    return run_page(url, "scoring.ui", key, wang(role), lang=lang, demo=demo)


def small_tables() -> list[TargetTable]:
    out = []
    for code, amount in (("S1", 100.0), ("S2", 200.0)):
        p = Project(code, f"项目{code}", "县水务局", "一般公共预算", amount, 2022)
        out.append(TargetTable(p, (
            Target(code, "A", "完成数量", "产出指标", "数量指标", "≥", 60, 100.0),
            Target(code, "B", "满意度", "满意度指标", "服务对象满意度指标", "定性", 30),
        )))
    return out


def small_workbook(tmp_path: Path, *, actual_s1: object = 100.0) -> bytes:
    path = tmp_path / "small.xlsx"
    write_scoring_workbook(small_tables(), path, actuals=pd.DataFrame({
        "project": ["S1", "S1", "S2", "S2"], "indicator": ["A", "B", "A", "B"],
        "actual": [actual_s1, None, 50.0, None], "level": [None, "达成", None, "未达成"]}),
        spending=pd.DataFrame({"project": ["S1", "S2"], "spent": [100.0, 100.0]}))
    return path.read_bytes()


# --------------------------------------------------------------------------- registration

def test_pages_are_staff_pages_with_labels_in_both_languages():
    specs = {spec.key: spec for spec in pages()}
    assert list(specs) == ["scoring-projects", "scoring-ahp"]
    for spec in specs.values():
        assert spec.roles == STAFF_ROLES and spec.section == SECTION
        assert spec.title in catalogue() and spec.section in catalogue()


def test_every_label_the_pages_ask_for_exists():
    used = set()
    for name in ("ui.py", "ui_ahp.py"):
        source = (ROOT / "scoring" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'ctx\.t\(\s*"(scoring\.[a-z_.]+)"', source))
    used |= {f"scoring.projects.source.{s}" for s in ("stored", "upload")}
    used |= {f"scoring.ahp.source.{s}" for s in ("library", "custom")}
    used |= {f"scoring.ahp.method.{m}" for m in ("eigenvector", "geometric")}
    used |= {f"scoring.saaty.{k}" for k in range(1, 10)}
    assert len(used) > 50
    assert used - set(catalogue()) == set()


def test_an_expert_who_reaches_the_page_is_refused(url):
    for key in ("scoring-projects", "scoring-ahp"):
        at = page(url, key, role="expert")
        assert not at.exception and len(at.error) == 1 and not at.button


# --------------------------------------------------------------------------- 项目评分

def test_demo_county_is_scored_shown_and_saved(url):
    at = page(url, demo=True)
    assert not at.exception
    assert at.selectbox(key="scoring.projects.year").value == 2021
    # Projects are graded against 绩效目标表, so the target framework is what opens.
    assert at.selectbox(key="scoring.projects.library").value.startswith("national-target@")
    at.selectbox(key="scoring.projects.library").set_value("sector-catalogue@1.0.0")
    at.button(key="scoring.projects.score").click().run()
    assert not at.exception and not at.error
    table = frame(at, "项目编码", "等级")
    assert len(table) == 289 and table["等级"].isin(["优", "良", "中", "差"]).all()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["项目数"] == "289"
    assert sum(int(metrics[g]) for g in ("优", "良", "中", "差")) == 289
    assert len(at.get("vega_lite_chart")) == 2
    assert at.download_button(key="scoring.projects.download")
    at.text_input(key="scoring.projects.note").input("年终自评")
    at.button(key="scoring.projects.save").click().run()
    assert not at.exception, at.exception
    assert not at.error, texts(at, "error")
    assert any("#1" in text for text in texts(at, "success")), texts(at, "success")
    with Session(get_engine(url)) as session:
        runs = list_score_runs(session, year=2021)
        stored = get_score_run(session, run_id=runs[0].id)
    assert runs[0].created_by == "王科长" and runs[0].note == "年终自评"
    assert runs[0].library_ref == "sector-catalogue@1.0.0" and runs[0].n_projects == 289
    shown = table.set_index("项目编码")["总分"]
    kept = stored.projects.set_index("project")["total"]
    np.testing.assert_allclose(shown.loc[kept.index].to_numpy(dtype=float), kept.to_numpy())
    assert frame(at, "记录", "评分人").shape[0] == 1
    # The history reads the stored UTC time in China Standard Time, as the review pages do.
    at_utc = runs[0].created_at
    at_utc = at_utc if at_utc.tzinfo is None else at_utc.astimezone(UTC).replace(tzinfo=None)
    shown_at = frame(at, "记录", "评分人").iloc[0, -1]
    assert shown_at == (at_utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def test_uploaded_workbook_is_scored_as_worked_by_hand(url, tmp_path):
    at = page(url)
    at.radio(key="scoring.projects.source").set_value("upload").run()
    at.file_uploader(key="scoring.projects.upload").upload("评分.xlsx", small_workbook(tmp_path),
                                                           XLSX).run()
    at.selectbox(key="scoring.projects.library").set_value("national-target@1.0.0")
    at.button(key="scoring.projects.score").click().run()
    assert not at.exception and not at.error
    table = frame(at, "项目编码", "等级").set_index("项目编码")
    # S1: 60 (100 ≥ 100) + 27 (达成, 90 % of 30) + 10 (100/100 spent) = 97 优.
    # S2: 60 × 50/100 = 30 + 9 (未达成, 30 % of 30) + 5 (100/200) = 44 差.
    assert table.loc["S1", "总分"] == 97.0 and table.loc["S1", "等级"] == "优"
    assert table.loc["S2", "总分"] == 44.0 and table.loc["S2", "等级"] == "差"


def test_a_bad_cell_is_named_and_nothing_is_scored(url, tmp_path):
    at = page(url)
    at.radio(key="scoring.projects.source").set_value("upload").run()
    at.file_uploader(key="scoring.projects.upload").upload(
        "评分.xlsx", small_workbook(tmp_path, actual_s1="很多"), XLSX).run()
    at.button(key="scoring.projects.score").click().run()
    assert not at.exception
    shown = " ".join(texts(at, "error")) + " ".join(
        frame.value.to_string() for frame in at.dataframe)
    assert "很多" in shown and "绩效目标" in shown
    assert "scoring.projects.result" not in at.session_state


def test_stored_projects_need_their_facts_outside_demo_mode(url, tmp_path):
    at = page(url)
    assert any("上传" in text for text in texts(at, "info"))
    assert at.download_button(key="scoring.projects.template")
    with Session(get_engine(url)) as session:
        store.save_target_tables(session, tables=small_tables())
    at = page(url)
    at.selectbox(key="scoring.projects.year").set_value(2022).run()
    at.file_uploader(key="scoring.projects.facts").upload("实际值.xlsx", small_workbook(tmp_path),
                                                          XLSX).run()
    at.button(key="scoring.projects.score").click().run()
    assert not at.exception and not at.error
    assert frame(at, "项目编码", "等级")["总分"].tolist() == [97.0, 44.0]


def test_the_page_speaks_english(url):
    at = page(url, lang="en", demo=True)
    assert at.header[0].value == "Score projects"
    assert at.button(key="scoring.projects.score").label == "Score"


# --------------------------------------------------------------------------- AHP 权重

def pick_pairs(at: AppTest, scope: str, values: dict[tuple[str, str], float]) -> None:
    for (a, b), value in values.items():
        at.selectbox(key=f"scoring.ahp.pair.{scope}.{a}.{b}").set_value(value)
    at.run()


def test_custom_criteria_weights_follow_the_kernel_and_cr_updates_live(url):
    at = page(url, "scoring-ahp")
    at.radio(key="scoring.ahp.source").set_value("custom").run()
    names = ["产出指标", "效益指标", "满意度指标"]
    pick_pairs(at, "custom", {("产出指标", "效益指标"): 3.0, ("产出指标", "满意度指标"): 5.0,
                              ("效益指标", "满意度指标"): 3.0})
    expected = priorities(judgment_matrix(3, {(0, 1): 3.0, (0, 2): 5.0, (1, 2): 3.0}))
    weights = frame(at, "准则", "权重")
    assert weights["准则"].tolist() == names
    np.testing.assert_allclose(weights["权重"].to_numpy(dtype=float), expected.weights)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["CR"] == f"{float(expected.cr):.4f}" and any("通过" in s for s in texts(at, "success"))
    # 效益 extremely below 满意度 contradicts the other two judgments.
    pick_pairs(at, "custom", {("效益指标", "满意度指标"): 1 / 9})
    assert any("未通过" in w for w in texts(at, "warning"))
    revise = frame(at, "判断", "建议")
    assert len(revise) >= 1 and "（反向）" in " ".join(revise["当前"])
    labels = at.selectbox(key="scoring.ahp.pair.custom.效益指标.满意度指标").options
    assert "极端重要（反向） 1/9" in labels and "同等重要 1" in labels and "稍微重要 3" in labels


def test_library_weights_are_saved_into_a_new_draft(url):
    at = page(url, "scoring-ahp")
    at.selectbox(key="scoring.ahp.version").set_value("national-target@1.0.0").run()
    scope = "national-target@1.0.0.top"
    # 产出 twice 效益, 效益 twice 满意度 and 预算执行率, 产出 four times both: consistent.
    pick_pairs(at, scope, {("YS", "CC"): 1 / 4, ("YS", "XY"): 1 / 2, ("YS", "MY"): 1.0,
                           ("CC", "XY"): 2.0, ("CC", "MY"): 4.0, ("XY", "MY"): 2.0})
    assert any("通过" in s for s in texts(at, "success"))
    at.button(key="scoring.ahp.save").click().run()
    assert not at.exception and any("national-target@1.1.0" in s for s in texts(at, "success"))
    with Session(get_engine(url)) as session:
        draft = store.get_library(session, ref="national-target@1.1.0")
    top = {ind.code: ind.weight for ind in draft.children(None)}
    # Priorities 1:4:2:1 of 100 → 12.5, 50, 25, 12.5.
    assert top == {"YS": 12.5, "CC": 50.0, "XY": 25.0, "MY": 12.5}
    for ind in draft.indicators:
        children = draft.children(ind.code)
        if children and ind.weight is not None:
            assert sum(c.weight for c in children) == pytest.approx(ind.weight, abs=1e-9)
    assert "AHP" in draft.changelog[-1].text and draft.changelog[-1].author == "王科长"
    check_library(draft)


def test_an_inconsistent_matrix_cannot_be_saved(url):
    at = page(url, "scoring-ahp")
    at.selectbox(key="scoring.ahp.version").set_value("national-target@1.0.0").run()
    pick_pairs(at, "national-target@1.0.0.top", {("YS", "CC"): 9.0, ("CC", "XY"): 9.0,
                                                 ("YS", "XY"): 1 / 9})
    assert at.button(key="scoring.ahp.save").disabled


def test_ahp_page_reads_in_english(url):
    at = page(url, "scoring-ahp", lang="en")
    at.radio(key="scoring.ahp.source").set_value("custom").run()
    options = at.selectbox(key="scoring.ahp.pair.custom.产出指标.效益指标").options
    assert "Moderately more important (reverse) 1/3" in options

