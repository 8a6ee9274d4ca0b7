"""The lifecycle pages in English: coded values shown in English, stored in Chinese.

Every page is drawn in English on the demo county and every table, metric, option, header and
caption is scanned for Chinese characters; the columns that hold data (project, department and
indicator names, units) are allowed by name. A choice made on the English page is read back
from the decision store and must be the Chinese code a Chinese user's choice stores. Result
application is also drawn with key-evaluation results handed down, as the front door does after
a review round closes, to check that each grade names where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators.database import get_engine
from indicators.frontdoor import PageContext, Role, Viewer
from scoring.application import BATCHES
from scoring.lifecycle_decision_store import current_decisions
from scoring.monitoring import CLASSES, LIGHTS
from scoring.ui_lifecycle_application import GRADE_SOURCES, grade_sources
from scoring.ui_lifecycle_tables import shown_values, value_label, value_labels
from tests.scoring.pages import database_copy, run_page, seed_database, wang

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")
PAGES = ("lifecycle-exante", "lifecycle-targets", "lifecycle-monitoring",
         "lifecycle-application", "lifecycle-disclosure")
# Headers (as shown in English, or as the kernels name them in an editor) of columns holding
# data that stays as the bureau wrote it.
DATA_COLUMNS = {"Project", "Department", "Level-1 indicator", "Level-2 indicator", "Indicator",
                "Unit", "name", "department", "By", "Decided by", "decided_by", "Reason",
                "reason"}
EN = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="en")
ZH = PageContext(None, Viewer(1, "w", "王", Role.FINANCE), lang="zh")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_database(tmp_path_factory.mktemp("lifecycle-en") / "seed.sqlite3")


@pytest.fixture
def url(seeded: Path, tmp_path: Path) -> Iterator[str]:
    yield from database_copy(seeded, tmp_path)


def page(url: str, key: str, lang: str = "en") -> AppTest:
    return run_page(url, "scoring.ui_lifecycle", key, wang("finance"), lang=lang, demo=True)


def stored(url: str, stage: str) -> pd.DataFrame:
    with Session(get_engine(url)) as session:
        return current_decisions(session, year=2021, stage=stage)


def chinese(text: object) -> bool:
    return bool(CJK.search(str(text)))


def tables(at: AppTest) -> list[pd.DataFrame]:
    found = []
    for element in [*at.dataframe, *at.data_editor]:
        value = element.value
        found.append(value.data if hasattr(value, "data") else value)
    return found


def chinese_cells(at: AppTest) -> dict[str, list[str]]:
    """Cells with Chinese characters in every table and editor, by column, data allowed."""
    bad: dict[str, list[str]] = {}
    for table in tables(at):
        for column in table.columns:
            if chinese(column):
                bad.setdefault(f"header {column}", []).append(column)
            if column in DATA_COLUMNS:
                continue
            cells = table[column].astype(str)
            if column in ("message", "Finding"):
                # A finding quotes the indicator's name (data); the sentence around it is not.
                cells = cells.str.replace(r"'[^']*'", "''", regex=True)
            hits = sorted({c for c in cells if chinese(c)})
            if hits:
                bad.setdefault(column, []).extend(hits[:3])
    return bad


# --------------------------------------------------------------------------- every page

@pytest.mark.parametrize("key", PAGES)
def test_every_lifecycle_page_shows_no_chinese_beyond_data_in_english(url, key):
    at = page(url, key)
    assert not at.exception
    assert tables(at), "the page shows no table"
    assert chinese_cells(at) == {}
    for metric in at.metric:
        assert not chinese(metric.label) and not chinese(metric.value), metric.label
    for kind in ("header", "subheader", "info", "success", "warning", "error"):
        for element in getattr(at, kind):
            assert not chinese(element.value), (kind, element.value)
    for caption in at.caption:
        assert not chinese(caption.value), caption.value
    for widget in [*at.selectbox, *at.radio]:
        if widget.key.startswith("lifecycle.exante.level."):
            # Labelled by the assessment point's name (library data); the levels are English.
            assert set(widget.options) == {"met (sufficient)", "partly met", "not met"}
            continue
        assert not chinese(widget.label), widget.key
        if widget.key != "lifecycle.exante.project":  # code and project name (data)
            assert not any(chinese(o) for o in widget.options), (widget.key, widget.options)


def test_monitoring_shows_lights_and_classes_in_english(url):
    at = page(url, "lifecycle-monitoring")
    table = next(t for t in tables(at) if "Execution light" in t.columns)
    english = {value_label(EN, "light", light) for light in LIGHTS}
    assert english == {"red", "yellow", "green"}
    for column in ("Execution light", "Target light", "Light"):
        assert set(table[column]) - {""} <= english
    assert set(table["Classification"]) <= {value_label(EN, "class", c) for c in CLASSES}
    labels = [m.label for m in at.metric]
    assert labels == ["red", "yellow", "green", "Decided", "adjust or cut", "speed up",
                      "correct deviations", "Cuts (10k yuan)"]
    assert all(m.delta.startswith("recommended ") for m in at.metric[4:])


def test_result_application_shows_grades_actions_and_batches_in_english(url):
    at = page(url, "lifecycle-application")
    editor = at.data_editor(key="lifecycle.application.editor").value
    assert set(editor["grade"]) <= {"excellent", "good", "fair", "poor"}
    assert set(editor["action"]) <= {"keep or increase", "fund as justified",
                                     "cut by the set share", "cancel or suspend"}
    assert "graded fair" in set(editor["reasons"])
    batches = next(t for t in tables(at) if "Batch" in t.columns)
    assert batches["Batch"].tolist() == [value_label(EN, "batch", b) for b in BATCHES]
    # Without key-evaluation results every grade is the self-evaluation's: no source column.
    assert "grade_source" not in editor


# --------------------------------------------------------------------------- stored as Chinese

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_monitoring_choice_stores_the_chinese_code_in_either_language(url, lang):
    ctx = EN if lang == "en" else ZH
    at = page(url, "lifecycle-monitoring", lang)
    editor = "lifecycle.monitoring.decisions.editor"
    shown = at.data_editor(key=editor).value
    assert set(shown["outcome"]) <= set(value_labels(ctx, "class", CLASSES).values())
    choice = value_label(ctx, "class", CLASSES[3])
    at.session_state[editor] = {"edited_rows": {0: {"outcome": choice, "decided_amount": 0.0,
                                                    "reason": "资金已拨付到位"}},
                                "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="lifecycle.monitoring.decisions.record").click().run()
    assert not at.exception and not at.error
    decided = stored(url, "monitoring").set_index("project")
    first = decided.loc[shown["project"].iloc[0]]
    assert (first["outcome"], first["changed"]) == ("正常", True)
    assert set(decided["recommendation"]) <= set(CLASSES[:3])
    assert set(decided["outcome"]) <= set(CLASSES)


def test_a_finding_dismissed_in_english_is_stored_as_dismissed_in_chinese(url):
    at = page(url, "lifecycle-targets")
    # A project with several findings, so that some remain to accept after one is dismissed.
    for project in at.selectbox(key="lifecycle.targets.project").options:
        at.selectbox(key="lifecycle.targets.project").set_value(project).run()
        key = f"lifecycle.targets.findings.{project}"
        findings = at.data_editor(key=f"{key}.editor").value
        if len(findings) > 1:
            break
    assert len(findings) > 1
    assert set(findings["recommendation"]) == {"stands"}
    assert set(findings["severity"]) <= {"error", "warning"}
    at.session_state[f"{key}.editor"] = {
        "edited_rows": {0: {"outcome": "dismissed", "reason": "已按规范填写"}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key=f"{key}.record").click().run()
    assert not at.exception and not at.error
    decided = stored(url, "target_finding")
    # Only the finding changed is recorded, as dismissed in Chinese.
    assert decided["outcome"].tolist() == ["驳回"] and decided["changed"].tolist() == [True]
    assert set(decided["recommendation"]) == {"成立"}
    # Accepting the rest records every other finding as it stands.
    accept = at.button(key=f"{key}.accept")
    assert accept.label == f"Accept the remaining {len(findings) - 1} recommendation(s)"
    accept.click().run()
    decided = stored(url, "target_finding")
    assert sorted(decided["outcome"]) == sorted(["驳回", *["成立"] * (len(findings) - 1)])


def test_an_ex_ante_decision_in_english_names_the_outcome_in_english_and_stores_chinese(url):
    at = page(url, "lifecycle-exante")
    radio = at.radio[0]
    assert list(radio.options) == ["approve", "approve as adjusted", "reject"]
    recommended = {m.label: m.value for m in at.metric}["Recommended"]
    assert recommended in radio.options
    at.button(key="lifecycle.exante.decide").click().run()
    assert not at.exception and not at.error
    (row,) = stored(url, "exante").to_dict("records")
    assert row["outcome"] in ("支持", "调整后支持", "不予支持")
    assert value_label(EN, "exante", row["outcome"]) == recommended
    # The kept message, the listing's decision and the decision history read in English too.
    assert any(text.endswith(f": {recommended}.") for text in
               [s.value for s in at.success])
    listing = next(t for t in tables(at) if "Rules met" in t.columns)
    assert recommended in set(listing["Decision"])
    history = next(t for t in tables(at) if "When" in t.columns)
    assert history["Decision"].tolist() == [recommended]
    assert chinese_cells(at) == {}


# --------------------------------------------------------------------------- grade sources

def _with_key_results(url: str, viewer: dict, lang: str, key_totals: dict) -> None:
    # AppTest runs this function's source alone, so everything it needs is imported inside.
    import pandas as pd

    from indicators.database import get_engine
    from indicators.frontdoor import PageContext, Role, Viewer, YearFeed
    from scoring.ui_lifecycle import pages

    results = pd.DataFrame({"project": list(key_totals), "total": list(key_totals.values())})
    feed = YearFeed(version=lambda year: (year, len(results)),
                    load=lambda year: results if year == 2021 else None)
    person = Viewer(viewer["user_id"], viewer["username"], viewer["display_name"],
                    Role(viewer["role"]))
    ctx = PageContext(get_engine(url), person, lang=lang, demo_mode=True, key_results=feed)
    next(p for p in pages() if p.key == "lifecycle-application").render(ctx)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_result_application_shows_where_each_grade_came_from(url, lang):
    plain = page(url, "lifecycle-application", lang)
    projects = plain.data_editor(key="lifecycle.application.editor").value["project"]
    key_totals = {projects.iloc[0]: 55.0, projects.iloc[1]: 95.0}
    viewer = {"user_id": 1, "username": "wang", "display_name": "王科长", "role": "finance"}
    at = AppTest.from_function(_with_key_results, args=(url, viewer, lang, key_totals),
                               default_timeout=60).run()
    assert not at.exception
    table = at.data_editor(key="lifecycle.application.editor").value.set_index("project")
    ctx = EN if lang == "en" else ZH
    self_label, key_label = (value_label(ctx, "source", s) for s in GRADE_SOURCES)
    keyed = table.loc[list(key_totals)]
    assert set(keyed["grade_source"]) == {key_label}
    assert keyed["key_total"].tolist() == [55.0, 95.0]
    assert keyed["grade"].tolist() == [value_label(ctx, "grade", g) for g in ("差", "优")]
    assert keyed["self_total"].notna().all()
    rest = table.drop(index=list(key_totals))
    assert set(rest["grade_source"]) == {self_label}
    assert rest["key_total"].isna().all()
    # Elsewhere the grade in force is the self-evaluation's own.
    assert (rest["grade"] == rest["self_grade"]).all()


def test_grade_sources_follow_the_key_grade():
    evaluated = pd.DataFrame({"project": ["A", "B", "C"], "total": [92.0, 61.0, np.nan],
                              "grade": ["优", "中", None], "key_total": [np.nan, 88.0, 45.0],
                              "key_grade": [None, "良", "差"]})
    sources = grade_sources(evaluated)
    assert sources["grade_source"].tolist() == ["单位自评", "财政重点评价", "财政重点评价"]
    assert sources["self_grade"].tolist()[:2] == ["优", "中"]
    assert pd.isna(sources["self_grade"].iloc[2])
    assert grade_sources(evaluated.drop(columns=["key_total", "key_grade"])) is None


# --------------------------------------------------------------------------- the catalogue

def test_values_without_a_translation_show_as_themselves_and_lists_piece_by_piece():
    assert value_label(EN, "light", "紫灯") == "紫灯"
    assert np.isnan(value_label(EN, "grade", np.nan))
    assert value_label(EN, "reason", "评价等级为差；有指标超额完成120%以上，目标可能偏低") == (
        "graded poor; an indicator reached 120% or more of its target; the target may be too low")
    assert value_label(ZH, "reason", "评价等级为差；新原因") == "评价等级为差；新原因"
    frame = pd.DataFrame({"budget_type": ["一般公共预算", "自定义预算"], "name": ["绿灯", "x"]})
    assert shown_values(EN, frame).values.tolist() == [["general public budget", "绿灯"],
                                                       ["自定义预算", "x"]]


def test_labels_that_would_read_the_same_fall_back_to_the_stored_values():
    assert value_labels(EN, "class", ["正常", "督促加快"]) == {"正常": "on track",
                                                              "督促加快": "speed up"}
    # Two unknown values are shown as themselves; a known one reading like another is not
    # allowed to hide it.
    clash = value_labels(EN, "light", ["红灯", "red"])
    assert clash == {"红灯": "红灯", "red": "red"}
