"""The calibration and sensitivity pages through Streamlit's AppTest, on a temporary SQLite file.

The database holds the shipped libraries and one stored score run of the demo county, seeded
once per module and copied for each test. The panel's scores are built from that run's own
shares and known weights, so the page must recover the weights; everything else is compared
with the kernels (scoring.calibrate, scoring.sensitivity) called directly on the same data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators import store
from indicators.clock import bureau_today
from indicators.database import clear_engine_cache, get_engine, upgrade
from indicators.demo import demo_target_tables, load_demo_county
from indicators.model import Status
from scoring.level_shares import level_shares
from scoring.sensitivity import monte_carlo, one_at_a_time, what_if
from scoring.store import get_score_run, list_score_runs, save_score_run
from scoring.targets import score_target_tables
from scoring.ui_calibrate import pages
from scoring.ui_sensitivity import chunked_monte_carlo

TRUE = {"预算执行率": 5.0, "产出指标": 45.0, "效益指标": 35.0, "满意度指标": 15.0}
CURRENT = {"预算执行率": 10.0, "产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calibrate-ui") / "seed.sqlite3"
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{path}")
    upgrade(engine, packages=("indicators", "scoring"))
    county = load_demo_county()
    tables = demo_target_tables(county)
    actuals = county.actuals.rename(columns={"项目编码": "project", "指标编码": "indicator",
                                             "实际值": "actual", "定性结论": "level"})
    last = county.spending[county.spending["截至月份"] == county.spending["截至月份"].max()]
    spending = last.rename(columns={"项目编码": "project", "累计支出(元)": "spent"})
    with Session(engine) as session:
        store.seed_builtin_libraries(session)
        library = store.get_library(session, ref="sector-catalogue@1.0.0")
        result = score_target_tables(tables, library, actuals=actuals,
                                     spending=spending[["project", "spent"]])
        save_score_run(session, result=result, tables=tables, year=2021, created_by="王科长")
    clear_engine_cache()
    return path


@pytest.fixture
def url(seeded: Path, tmp_path: Path):
    copy = tmp_path / "jixiao.sqlite3"
    shutil.copy(seeded, copy)
    yield f"sqlite:///{copy}"
    clear_engine_cache()


def run_shares(url: str) -> pd.DataFrame:
    """The stored run's shares, computed here from the run with the kernel."""
    with Session(get_engine(url)) as session:
        run = get_score_run(session, run_id=list_score_runs(session)[0].id)
    shares = level_shares(run.subtotals, run.projects.set_index("project")["budget_points"],
                          budget_weight=10.0)
    return shares.dropna()


def _script(url: str, key: str, role: str, lang: str) -> None:
    from indicators.database import get_engine
    from indicators.frontdoor import PageContext, Role, Viewer
    from scoring.ui_calibrate import pages

    ctx = PageContext(get_engine(url), Viewer(1, "wang", "王科长", Role(role)), lang=lang)
    next(page for page in pages() if page.key == key).render(ctx)


def page(url: str, key: str = "scoring-calibrate", *, role: str = "finance",
         lang: str = "zh") -> AppTest:
    return AppTest.from_function(_script, args=(url, key, role, lang), default_timeout=60).run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [element.value for element in getattr(at, kind)]


def frame(at: AppTest, *columns: str) -> pd.DataFrame:
    for element in at.dataframe:
        value = element.value
        value = value.data if hasattr(value, "data") else value
        if set(columns) <= set(value.columns):
            return value
    raise KeyError(columns)


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def test_pages_are_staff_pages_and_experts_are_refused(url) -> None:
    assert [p.key for p in pages()] == ["scoring-calibrate", "scoring-sensitivity"]
    for key in ("scoring-calibrate", "scoring-sensitivity"):
        at = page(url, key, role="expert")
        assert not at.exception and len(at.error) == 1 and not at.button


def test_calibration_recovers_the_panels_weights_and_publishes_them(url) -> None:
    shares = run_shares(url)
    panel = pd.DataFrame({"项目": shares.index,
                          "总分": shares[list(TRUE)].to_numpy() @ np.array(list(TRUE.values()))})
    at = page(url)
    assert not at.exception and not at.error
    at.file_uploader(key="calibrate.panel_file").upload("专家组.csv", csv(panel), "text/csv").run()
    at.button(key="calibrate.fit_button").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    weights = frame(at, "指标", "现行权重", "校准权重").set_index("指标")
    np.testing.assert_allclose(weights.loc[list(TRUE), "校准权重"].to_numpy(dtype=float),
                               list(TRUE.values()), atol=1e-3)
    np.testing.assert_allclose(weights.loc[list(CURRENT), "现行权重"].to_numpy(dtype=float),
                               list(CURRENT.values()))
    fit = frame(at, "权重", "R²").set_index("权重")
    assert fit.loc["校准权重（样本内）", "R²"] == pytest.approx(1.0, abs=1e-6)
    assert fit.loc["校准权重（交叉验证）", "R²"] == pytest.approx(1.0, abs=1e-6)
    assert fit.loc["现行权重", "R²"] < 0.999
    # The fitted weights belong to the 绩效目标 framework, so it is the picker's default.
    assert at.selectbox(key="calibrate.version").value == "national-target@1.0.0"
    at.selectbox(key="calibrate.version").set_value("national-target@1.0.0").run()
    assert at.selectbox(key="calibrate.node.national-target@1.0.0").value is None
    at.button(key="calibrate.save_draft").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    with Session(get_engine(url)) as session:
        draft = store.get_library(session, ref="national-target@1.1.0")
    assert draft.status is Status.DRAFT
    assert {c.code: c.weight for c in draft.children(None)} == {
        "YS": 5.0, "CC": 45.0, "XY": 35.0, "MY": 15.0}
    assert draft.changelog[-1].text.startswith("权重校准") and "R² 1.000" in \
        draft.changelog[-1].text
    # A perfect fit is offered as the next step, without a confirmation; the line is dated by
    # the bureau's calendar (a save at 07:00 in Beijing is still yesterday in UTC).
    assert not [c for c in at.checkbox if c.key == "calibrate.worse_confirm"]
    assert draft.changelog[-1].date == bureau_today().isoformat()
    at.button(key="calibrate.publish").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    with Session(get_engine(url)) as session:
        published = store.get_library(session, ref="national-target@1.1.0")
    assert published.status is Status.PUBLISHED and published.published_by == "王科长"
    assert published.changelog[-1].text.startswith("权重校准")


def test_an_uploaded_table_with_a_weights_file_that_lacks_a_heading_is_refused(url) -> None:
    points = pd.DataFrame({"项目": ["P1", "P2", "P3"], "A": [0.9, 0.5, 0.7],
                           "B": [0.6, 1.0, 0.8]})
    at = page(url)
    at.radio(key="calibrate.source").set_value("upload").run()
    at.file_uploader(key="calibrate.points_file").upload("得分率.csv", csv(points),
                                                         "text/csv").run()
    assert any("3 个项目" in c.value for c in at.caption)
    at.file_uploader(key="calibrate.weights_file").upload(
        "权重.csv", csv(pd.DataFrame({"指标": ["A"], "权重": [100]})), "text/csv").run()
    assert not at.exception and any("B" in e and "权重.csv" in e for e in texts(at, "error"))


def test_what_if_and_one_at_a_time_match_the_kernels(url) -> None:
    shares = run_shares(url)[list(CURRENT)]
    at = page(url, "scoring-sensitivity")
    assert not at.exception and not at.error
    assert at.slider(key="sensitivity.weight.产出指标").value == 50.0
    at.slider(key="sensitivity.weight.产出指标").set_value(30.0).run()
    new = pd.Series({**CURRENT, "产出指标": 30.0}) * 100 / 80
    want = what_if(shares, pd.Series(CURRENT), new)
    shown = next(e.value for e in at.dataframe if e.value.shape == want.transitions.shape)
    np.testing.assert_array_equal(shown.to_numpy(), want.transitions.to_numpy())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["等级上升"] == str(want.n_up) and metrics["等级下降"] == str(want.n_down)
    # The rank-change table is keyed by project; its header is Chinese like the others.
    heads = [str(e.value.index.name) for e in at.dataframe] + [
        str(c) for e in at.dataframe for c in e.value.columns]
    assert "project" not in heads and "项目编码" in heads, heads
    at.slider(key="sensitivity.delta").set_value(20).run()
    tornado = one_at_a_time(shares, pd.Series(CURRENT), delta=0.2)
    table = frame(at, "上调时改变等级", "下调时改变等级")
    assert list(table.index) == list(tornado.index)
    np.testing.assert_array_equal(table["上调时改变等级"].to_numpy(), tornado["flips_up"])
    assert len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart")) >= 1


def test_monte_carlo_runs_in_chunks_and_matches_the_kernel(url) -> None:
    shares = run_shares(url)[list(CURRENT)]
    # One chunk is the kernel itself; ten chunks of 50 draws pool their shares.
    single = chunked_monte_carlo(shares, pd.Series(CURRENT), draws=500, concentration=400,
                                 seed=3, bands="national", chunks=1)
    pd.testing.assert_frame_equal(single, monte_carlo(shares, pd.Series(CURRENT), draws=500,
                                                      seed=3).projects)
    parts = [monte_carlo(shares, pd.Series(CURRENT), draws=50, seed=3 + k).projects["p_keep"]
             for k in range(10)]
    pooled = chunked_monte_carlo(shares, pd.Series(CURRENT), draws=500, concentration=400,
                                 seed=3, bands="national")
    np.testing.assert_allclose(pooled["p_keep"], sum(parts) / 10)
    at = page(url, "scoring-sensitivity")
    at.number_input(key="sensitivity.draws").set_value(500)
    at.number_input(key="sensitivity.seed").set_value(3)
    at.button(key="sensitivity.mc_run").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["平均保持等级概率"] == f"{pooled['p_keep'].mean():.1%}"
    assert metrics["保持概率低于 90% 的项目"] == str(int((pooled["p_keep"] < 0.9).sum()))
