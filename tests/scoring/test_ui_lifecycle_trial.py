"""What the second new-user trial of the lifecycle pages found, each checked on the page.

One change records one decision and accepting the rest is its own button; the monitoring tiles
count the decisions; times read in China Standard Time; monitoring offers only months with
spending and names the Sichuan checkpoint; result application says when next year's amount
comes from an ex-ante decision; metric labels and editor columns fit; no cell or line reads
"None" or "nan". Expected values come from the demo county's CSV files, the settings and the
store, worked apart from the pages.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators.database import get_engine
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_decision_store import current_decisions, decision_history, record_decisions
from scoring.lifecycle_demo import demo_county_year
from scoring.lifecycle_store import list_imports
from scoring.year import run_year
from tests.scoring.pages import database_copy, frame, run_page, seed_database, texts, wang

PAGES = ("lifecycle-exante", "lifecycle-targets", "lifecycle-monitoring",
         "lifecycle-application", "lifecycle-disclosure")
CONFIG = load_lifecycle_config("kaijiang-2021")
REQUESTS = ("项目编码,项目名称,主管部门,申请金额(元),上年金额(元),是否新增,延续年数,是否重点项目\n"
            "N1,新建甲,县教育局,1000000,,是,0,否\n")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_database(tmp_path_factory.mktemp("lifecycle-trial") / "seed.sqlite3")


@pytest.fixture
def url(seeded: Path, tmp_path: Path) -> Iterator[str]:
    yield from database_copy(seeded, tmp_path)


@pytest.fixture(scope="module")
def kernel():
    """The demo year as the kernels recommend it, with no decision taken."""
    return run_year(demo_county_year(CONFIG), CONFIG)


def page(url: str, key: str, *, lang: str = "zh") -> AppTest:
    return run_page(url, "scoring.ui_lifecycle", key, wang("finance"), lang=lang, demo=True)


def stored(url: str, stage: str) -> pd.DataFrame:
    with Session(get_engine(url)) as session:
        return current_decisions(session, year=2021, stage=stage)


def edit(at: AppTest, key: str, rows: dict[int, dict]) -> None:
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


def china(t) -> str:
    """A stored UTC time as Beijing reads it, by adding eight hours (no daylight saving)."""
    return (t.replace(tzinfo=None) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def columns_wide(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# --------------------------------------------------------------------------- 1. one change

def test_one_monitoring_change_records_one_decision_and_the_rest_is_its_own_button(url):
    at = page(url, "lifecycle-monitoring")
    editor = "lifecycle.monitoring.decisions.editor"
    flagged = at.data_editor(key=editor).value
    assert len(flagged) > 2
    edit(at, editor, {0: {"outcome": "正常", "decided_amount": 0.0, "reason": "资金已拨付到位"}})
    record = at.button(key="lifecycle.monitoring.decisions.record")
    accept = at.button(key="lifecycle.monitoring.decisions.accept")
    assert record.label == "记录决定（1 项改动）"
    # The changed row is not among "the rest": it waits for its own record.
    assert accept.label == f"接受其余全部建议（{len(flagged) - 1} 项）"
    record.click().run()
    assert not at.exception and not at.error
    assert "已记录 1 项决定。" in texts(at, "toast")
    now = stored(url, "monitoring")
    assert now["project"].tolist() == [flagged["project"].iloc[0]]
    assert now["outcome"].tolist() == ["正常"] and now["changed"].tolist() == [True]

    # Drawn again the recorded row is decided; the rest are still open.
    accept = at.button(key="lifecycle.monitoring.decisions.accept")
    assert accept.label == f"接受其余全部建议（{len(flagged) - 1} 项）"
    accept.click().run()
    assert f"已记录 {len(flagged) - 1} 项决定。" in texts(at, "toast")
    now = stored(url, "monitoring").set_index("project")
    assert sorted(now.index) == sorted(flagged["project"])
    rest = now.drop(index=flagged["project"].iloc[0])
    assert not rest["changed"].any()
    expected = flagged.set_index("project").loc[rest.index]
    assert (rest["outcome"] == expected["recommendation"]).all()
    assert np.allclose(rest["amount"], expected["recommended_amount"])
    # The first decision was not touched by accepting the rest.
    assert now.loc[flagged["project"].iloc[0], "n_versions"] == 1
    assert at.button(key="lifecycle.monitoring.decisions.accept").disabled


def test_one_application_change_records_one_decision_and_accepting_records_the_rest(url):
    at = page(url, "lifecycle-application")
    editor = "lifecycle.application.editor"
    table = at.data_editor(key=editor).value
    row = int(np.flatnonzero(table["cut"].to_numpy() > 0)[0])
    edit(at, editor, {row: {"cut": 0.0, "reason": "政策刚性支出"}})
    assert at.button(key="lifecycle.application.accept").label == (
        f"接受其余全部建议（{len(table) - 1} 项）")
    at.button(key="lifecycle.application.record").click().run()
    assert not at.error
    now = stored(url, "application")
    assert now["project"].tolist() == [table["project"].iloc[row]]
    assert now["amount"].tolist() == [0.0]
    at.button(key="lifecycle.application.accept").click().run()
    assert not at.error
    now = stored(url, "application").set_index("project")
    assert len(now) == len(table) and int(now["changed"].sum()) == 1
    others = now.drop(index=table["project"].iloc[row])
    assert np.allclose(others["amount"], table.set_index("project").loc[others.index, "cut"])


# --------------------------------------------------------------------------- 2. tiles decided

def test_monitoring_tiles_count_the_decisions_beside_the_recommendation(url):
    at = page(url, "lifecycle-monitoring")
    editor = "lifecycle.monitoring.decisions.editor"
    flagged = at.data_editor(key=editor).value
    row = int(np.flatnonzero((flagged["recommendation"] == "调整调减").to_numpy())[0])
    cut = float(flagged["recommended_amount"].iloc[row])
    n_cut = int((flagged["recommendation"] == "调整调减").sum())
    n_speed = int((flagged["recommendation"] == "督促加快").sum())
    total = float(flagged["recommended_amount"].sum())
    edit(at, editor, {row: {"outcome": "督促加快", "decided_amount": 0.0, "reason": "四季度集中支付"}})
    at.button(key="lifecycle.monitoring.decisions.record").click().run()
    assert not at.error
    tiles = {m.label: m for m in at.metric}
    assert (tiles["调整调减"].value, tiles["调整调减"].delta) == (str(n_cut - 1), f"建议 {n_cut}")
    assert (tiles["督促加快"].value, tiles["督促加快"].delta) == (str(n_speed + 1),
                                                          f"建议 {n_speed}")
    assert float(tiles["调减（万元）"].value) == pytest.approx((total - cut) / 1e4, abs=0.006)
    assert float(tiles["调减（万元）"].delta.split()[1]) == pytest.approx(total / 1e4, abs=0.006)
    assert tiles["已决定"].value == f"1 / {len(flagged)}"


# --------------------------------------------------------------------------- 3. China time

def test_times_read_in_china_standard_time(url):
    at = page(url, "lifecycle-exante")
    project = at.selectbox(key="lifecycle.exante.project").value
    at.button(key="lifecycle.exante.decide").click().run()
    assert not at.error
    with Session(get_engine(url)) as session:
        (row,) = decision_history(session, year=2021, stage="exante", project=project
                                  ).to_dict("records")
    when = china(row["created_at"])
    again = page(url, "lifecycle-exante")
    (note,) = [t for t in texts(again, "info") if t.startswith("已记录的决定")]
    assert f"于 {when}。" in note
    assert frame(again, "时间", "决定人")["时间"].tolist() == [when]
    # The import caption reads the same clock.
    again.file_uploader(key="lifecycle.exante.import.file.requests.0").upload(
        "预算申请.csv", REQUESTS.encode("gbk"), "text/csv").run()
    again.button(key="lifecycle.exante.import.store").click().run()
    with Session(get_engine(url)) as session:
        (done,) = list_imports(session, year=2021, kind="requests")
    (caption,) = [c for c in texts(again, "caption") if c.startswith("最近一次导入")]
    assert caption == f"最近一次导入：预算申请.csv，1 行，王科长，{china(done.created_at)}（共 1 次）"


# --------------------------------------------------------------------------- 4. months

def test_monitoring_offers_only_months_with_spending_and_names_the_sichuan_checkpoint(url):
    spending = pd.read_csv(Path(__file__).parents[2] / "data" / "demo" / "spending_2021.csv",
                           encoding="utf-8-sig")
    months = sorted(spending["截至月份"].unique().tolist())
    at = page(url, "lifecycle-monitoring")
    month = at.selectbox(key="lifecycle.monitoring.month")
    assert list(month.options) == [f"{m} 月末" for m in months]
    assert month.value == CONFIG.monitoring.cutoff_month
    at.radio(key="lifecycle.monitoring.rules").set_value("sichuan").run()
    assert not at.exception
    points = CONFIG.monitoring.sichuan.checkpoints
    for m in months:
        at.selectbox(key="lifecycle.monitoring.month").set_value(m).run()
        due = max(k for k in points if k <= m)
        (note,) = [c for c in texts(at, "caption") if c.startswith("四川式预警")]
        assert note.startswith(f"四川式预警：{m} 月末按 {due} 月末的节点判断，"
                               f"预算执行率应不低于 {points[due]:g}%")
    en = page(url, "lifecycle-monitoring", lang="en")
    en.radio(key="lifecycle.monitoring.rules").set_value("sichuan").run()
    (note,) = [c for c in texts(en, "caption") if c.startswith("Sichuan")]
    assert "the checkpoint of month 8 applies: at least 60% of the budget spent" in note


# --------------------------------------------------------------------------- 5. knock-on

def test_result_application_says_when_next_years_amount_follows_an_ex_ante_decision(url, kernel):
    app = kernel.application.projects.set_index("project")
    assessed = kernel.exante.results.set_index("project")
    # A project whose cut the kernel recommends and whose continuation was assessed.
    follows = [p for p in app.index[app["cut"] > 0]
               if p.replace("2021", "2022", 1) in assessed.index]
    project = follows[0]
    request = float(assessed.loc[project.replace("2021", "2022", 1), "request"])
    with Session(get_engine(url)) as session:
        record_decisions(session, year=2021, stage="exante", created_by="王科长",
                         decisions=pd.DataFrame({
                             "project": [project.replace("2021", "2022", 1)],
                             "recommendation": [assessed.loc[project.replace("2021", "2022", 1),
                                                             "outcome"]],
                             "recommended_amount": [0.0], "outcome": ["不予支持"],
                             "amount": [request], "reason": ["与已有项目重复"]}))
    at = page(url, "lifecycle-application")
    assert not at.exception
    table = at.data_editor(key="lifecycle.application.editor").value.set_index("project")
    row = table.loc[project]
    # Rejected: nothing next year, so nothing left to cut by a share of it.
    assert row["next_amount"] == 0.0 and row["recommended_amount"] == 0.0
    assert row["next_basis"] == (f"下年金额按事前评估决定：不予支持，申请 {request:,.2f} 元，"
                                 f"追减 {request:,.2f} 元")
    (note,) = [t for t in texts(at, "info") if "下年金额按事前评估决定计" in t]
    assert note.startswith("1 个项目")
    # Assessed but undecided continuations say they follow the recommendation.
    others = [p for p in table.index if p != project
              and p.replace("2021", "2022", 1) in assessed.index]
    assert others and all(str(table.loc[p, "next_basis"]).startswith("下年金额按事前评估建议")
                          for p in others)
    plain = [p for p in table.index if p.replace("2021", "2022", 1) not in assessed.index]
    assert table.loc[plain, "next_basis"].isna().all()


# --------------------------------------------------------------------------- 6. layout

@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", PAGES)
def test_every_metric_label_fits_its_tile(url, key, lang):
    at = page(url, key, lang=lang)
    for metric in at.metric:
        assert columns_wide(metric.label) <= 22, metric.label


@pytest.mark.parametrize("key, editor", [
    ("lifecycle-monitoring", "lifecycle.monitoring.decisions.editor"),
    ("lifecycle-targets", "lifecycle.targets.decisions.editor"),
    ("lifecycle-application", "lifecycle.application.editor")])
def test_editor_columns_are_wide_enough_for_their_english_headers_and_values(url, key, editor):
    at = page(url, key, lang="en")
    element = at.data_editor(key=editor)
    config = json.loads(element.proto.columns)
    shown = element.value
    assert set(shown.columns) <= set(config)
    for column in shown.columns:
        settings = config[column]
        if column == "reason":
            assert settings["width"] == "large"
            continue
        header = settings.get("label", column)
        longest = max([columns_wide(header),
                       *(columns_wide(str(v)) for v in shown[column].dropna())])
        # About 7 px a character is the least a narrow font needs.
        assert isinstance(settings["width"], int), column
        assert settings["width"] >= min(7 * longest, 320), (column, header)


# --------------------------------------------------------------------------- 7. no None, nan

WORD = re.compile(r"\b(None|nan|NaN)\b")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", PAGES)
def test_no_line_or_cell_reads_none_or_nan(url, key, lang):
    at = page(url, key, lang=lang)
    for kind in ("caption", "info", "success", "warning", "markdown", "subheader"):
        for text in texts(at, kind):
            assert not WORD.search(str(text)), (kind, text)
    for metric in at.metric:
        assert not WORD.search(f"{metric.value} {metric.delta or ''}"), metric.label
    for element in [*at.dataframe, *at.data_editor]:
        value = element.value
        value = value.data if hasattr(value, "data") else value
        cells = value.astype(object).map(lambda v: v if isinstance(v, str) else "")
        assert not cells.map(lambda v: v in ("None", "nan", "NaN")).any().any()
        styler = element.proto.arrow_data.styler
        if styler.display_values:
            # A styled table shows the styler's text, which prints "nan" unless told.
            shown = pa.ipc.open_stream(styler.display_values).read_all().to_pandas()
            assert not shown.astype(str).isin(["None", "nan", "NaN"]).any().any()
