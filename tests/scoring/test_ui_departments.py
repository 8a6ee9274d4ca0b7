"""部门整体评价, driven through Streamlit's AppTest against a temporary SQLite database.

The page's numbers are checked against the demo county's own files (its unit list), against
the blend formula recomputed here from the shown columns, and against the year run of the
kernels; never against the page's output alone.
"""

from __future__ import annotations

import doctest
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import scoring.ui_departments as module
import scoring.year_departments as year_departments
from indicators.frontdoor import STAFF_ROLES
from indicators.i18n import catalogue
from indicators.resources import data_path
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_demo import demo_county_year
from scoring.ui_dashboard import pages
from scoring.ui_lifecycle import SECTION
from scoring.year import run_year
from tests.scoring.pages import database_copy, frame, run_page, seed_database, texts, wang
from tests.scoring.test_ui_dashboard import assert_tiles_fit

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
FACTS = "主管部门,指标编码,实际值,定性结论\n县教育局,TR0101,,达成\n县教育局,TR0201,98,\n"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_database(tmp_path_factory.mktemp("departments") / "seed.sqlite3")


@pytest.fixture
def url(seeded: Path, tmp_path: Path) -> Iterator[str]:
    yield from database_copy(seeded, tmp_path)


@pytest.fixture(scope="module")
def kernel():
    config = load_lifecycle_config("kaijiang-2021")
    return run_year(demo_county_year(config), config).departments


def page(url: str, *, lang: str = "zh", role: str = "finance", demo: bool = True) -> AppTest:
    return run_page(url, "scoring.ui_dashboard", "lifecycle-departments", wang(role), lang=lang,
                    demo=demo)


def test_the_page_follows_the_dashboard_for_staff_with_labels_in_both_languages():
    keys = [p.key for p in pages()]
    assert keys == ["lifecycle-dashboard", "lifecycle-departments"]
    spec = pages()[1]
    assert spec.roles == STAFF_ROLES and spec.section == SECTION and not spec.default
    source = (ROOT / "scoring" / "ui_departments.py").read_text(encoding="utf-8")
    used = set(re.findall(r'ctx\.t\(\s*"(departments\.[a-z_.]+)"', source)) | {spec.title}
    used |= {f"departments.status.{s}" for s in ("scored", "incomplete", "unscored",
                                                "not_evaluated")}
    assert len(used) > 15 and used - set(catalogue()) == set()
    for key in [k for k in catalogue() if k.startswith("departments.")]:
        assert catalogue()[key]["zh"] and catalogue()[key]["en"]


def test_the_examples_in_the_docstrings_run():
    assert doctest.testmod(module).failed == 0


def test_an_expert_is_refused(url):
    at = page(url, role="expert")
    assert not at.exception and len(at.error) == 1 and not at.dataframe


def test_every_demo_unit_is_shown_with_its_blended_total(url, kernel):
    at = page(url)
    assert not at.exception and not at.error
    units = pd.read_csv(data_path("demo", "departments.csv"), encoding="utf-8-sig")
    table = frame(at, "部门（单位）", "部门框架得分", "总分")
    assert set(table["部门（单位）"]) == set(units["单位名称"])
    # total = (1 − s)·F + s·P, recomputed from the shown columns (s = 0 without projects).
    share = table["项目得分占比"].astype(float)
    blended = (1 - share) * table["部门框架得分"] + share * table["项目得分（金额加权）"].fillna(0)
    assert np.allclose(table["总分"], np.floor(blended * 100 + 0.5) / 100)
    assert set(share) == {load_lifecycle_config("kaijiang-2021").departments.project_share}
    expected = kernel.scores.totals.set_index("department")["grade"]
    assert table.set_index("部门（单位）")["等级"].to_dict() == expected.to_dict()
    # The columns a reader looks for first, at the left where a 1440 px screen shows them.
    assert table.columns.tolist()[:4] == ["部门（单位）", "总分", "等级", "评价状态"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["已评价部门"] == f"{len(units)}/{len(units)}"
    for grade in ("优", "良", "中", "差"):
        assert metrics[f"等级“{grade}”"] == str(int((expected == grade).sum()))
    # Units lacking a fact are listed with the reason, and their grade is capped.
    missing = frame(at, "事实数", "缺项数", "说明")
    assert (missing["缺项数"] > 0).all() and missing["说明"].str.contains("缺少").all()
    capped = table.set_index("部门（单位）").loc[missing["部门（单位）"]]
    assert capped["等级封顶（否决）"].all() and set(capped["等级"]) <= {"中", "差"}


def test_a_chosen_department_shows_its_level1_subtotals_and_leaves(url):
    at = page(url)
    table = frame(at, "部门（单位）", "部门框架得分").set_index("部门（单位）")
    at.selectbox(key="departments.pick").set_value("县教育局").run()
    assert not at.exception
    first = frame(at, "指标", "得分", "满分")
    leaves = frame(at, "指标编码", "指标名称", "得分")
    assert first["指标"].tolist() == ["投入", "过程", "产出", "效果"]
    assert first["满分"].tolist() == [20, 30, 25, 25]
    assert first["得分"].sum() == pytest.approx(table.at["县教育局", "部门框架得分"])
    assert leaves["得分"].sum() == pytest.approx(first["得分"].sum())
    assert len(leaves) == 29 and (leaves["得分"] <= leaves["分值"] + 1e-9).all()
    assert any(b.key == "departments.download" for b in at.get("download_button"))
    # Its total and grade show above its subtotals, as the department table has them.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["总分"] == f"{table.at['县教育局', '总分']:.2f}"
    assert metrics["等级"] == table.at["县教育局", "等级"]
    assert metrics["部门框架得分"] == f"{first['得分'].sum():.2f}"
    assert_tiles_fit(at)
    # Qualitative leaves have no target: the table shows "—", never "None".
    element = next(e for e in at.dataframe
                   if {"指标编码", "指标名称"} <= set(getattr(e.value, "data", e.value).columns))
    shown = element.proto.arrow_data.styler.display_values.decode("utf-8", "ignore")
    assert "—" in shown and "None" not in shown and "nan" not in shown
    # The browser draws an empty numeric cell from the data, not from the styler's text: only
    # the table's placeholder keeps it from printing "None".
    leaves = frame(at, "指标编码", "目标值", "实际值")
    assert leaves["目标值"].isna().any() and leaves["实际值"].isna().any()
    assert {e.proto.placeholder for e in at.dataframe} == {"—"}


def test_the_english_page_shows_english_labels(url):
    at = page(url, lang="en")
    assert not at.exception and not at.error
    for element in at.dataframe:
        value = element.value
        value = value.data if hasattr(value, "data") else value
        assert not [c for c in value.columns if CJK.search(str(c))], list(value.columns)
    table = frame(at, "Department", "Framework points", "Grade")
    assert set(table["Grade"]) <= {"excellent", "good", "fair", "poor"}
    assert set(table["Status"]) <= {"scored", "scored, facts missing"}
    assert_tiles_fit(at)
    for label in [m.label for m in at.metric] + texts(at, "subheader"):
        assert not CJK.search(label.replace("“", "")), label
    assert "not evaluated" not in " ".join(frame(at, "Facts missing", "Note")["Note"]) \
        and frame(at, "Facts missing", "Note")["Note"].str.contains("lack").all()
    # The leaves of a department: direction and qualitative levels in English; 分值 is the
    # most an indicator can score, not a weight.
    leaves = frame(at, "Indicator code", "Direction", "Qualitative level")
    assert "Weight" not in leaves.columns and "Points (max)" in leaves.columns
    assert (leaves["Points"] <= leaves["Points (max)"] + 1e-9).all()
    assert "qualitative" in set(leaves["Direction"])
    levels = set(leaves["Qualitative level"]) - {"—"}
    assert levels and levels <= {"met", "partly met", "not met"}
    for column in ("Direction", "Qualitative level"):
        assert not [v for v in leaves[column] if CJK.search(str(v))], column
    # A qualitative leaf has no target or actual: a dash in English too, never "None".
    assert leaves.loc[leaves["Direction"] == "qualitative", ["Target", "Actual"]].isna().all(
        axis=None)
    assert {e.proto.placeholder for e in at.dataframe} == {"—"}


def test_a_facts_file_is_read_and_a_bad_one_names_its_row(url):
    at = page(url, demo=False)
    assert not at.exception
    uploader = "departments.import.file.department_facts.0"
    bad = FACTS.replace(",98,", ",九十八,")
    at.file_uploader(key=uploader).upload("部门事实.csv", bad.encode("gbk"), "text/csv").run()
    assert "未导入任何内容" in texts(at, "error")[0]
    assert frame(at, "行", "列")[["行", "列"]].values.tolist() == [[3, "实际值"]]
    at.file_uploader(key=uploader).upload("部门事实.csv", FACTS.encode("gbk"), "text/csv").run()
    assert any("2 行" in text for text in texts(at, "success"))
    assert any(b.key == "departments.import.store" for b in at.button)


def test_a_stored_facts_file_replaces_the_demo_facts_on_the_page(url):
    at = page(url)
    uploader = "departments.import.file.department_facts.0"
    at.file_uploader(key=uploader).upload("部门事实.csv", FACTS.encode("gbk"), "text/csv").run()
    at.button(key="departments.import.store").click().run()
    assert not at.exception
    from sqlmodel import Session

    from indicators.database import get_engine
    from scoring.lifecycle_store import current_table

    with Session(get_engine(url)) as session:
        stored = current_table(session, year=2021, kind="department_facts")
    assert sorted(stored["indicator_code"]) == ["TR0101", "TR0201"]
    assert set(stored["department"]) == {"县教育局"}
    # Only the imported department has facts now: the page scores it alone.
    units = pd.read_csv(data_path("demo", "departments.csv"), encoding="utf-8-sig")
    table = frame(at, "部门（单位）", "部门框架得分", "总分")
    scored = table.loc[table["总分"].notna(), "部门（单位）"].tolist()
    assert scored == ["县教育局"] and len(table) == len(units)
    # 27 of the framework's 29 leaves lack a fact: the grade is capped (DOMAIN §6 veto gate).
    assert table.set_index("部门（单位）").loc["县教育局", "缺项数"] == 27
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["已评价部门"] == f"1/{len(units)}"


def test_the_export_rounds_points_half_up_to_two_decimals(kernel):
    # The trial's workbook showed 94.369474… beside 93.24; a person rounds 0.005 up.
    table = year_departments.department_table(kernel)
    rounded = module.rounded_points(table)
    for column in ("framework_points", "project_points", "total"):
        for raw, shown in zip(table[column], rounded[column], strict=True):
            if pd.isna(raw):
                assert pd.isna(shown)
                continue
            expected = float(Decimal(repr(float(raw))).quantize(Decimal("0.01"),
                                                                rounding=ROUND_HALF_UP))
            assert shown == expected, (column, raw, shown)
    assert (rounded["framework_points"] != table["framework_points"]).any()
    assert rounded["n_facts"].tolist() == table["n_facts"].tolist()
    halves = module.rounded_points(pd.DataFrame({"points": [2.675, 89.995, 0.125]}))
    assert halves["points"].tolist() == [2.68, 90.0, 0.13]
