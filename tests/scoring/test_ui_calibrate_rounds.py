"""权重校准 with the panel's scores from closed review rounds (scoring/ui_calibrate_panel.py).

The front door hands the rounds down as ``ctx.key_results``; here a fake feed built in the
page script stands in for it, so each test controls the panel's totals. A planted panel whose
totals are the stored run's own shares times known weights shows that the page fits exactly
the totals the feed gave; the demo's six key projects are compared with the kernel called
directly on the same shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators import store
from indicators.database import get_engine
from scoring.calibrate import fit_weights
from scoring.ui_shares import demo_county_shares
from tests.scoring import test_ui_calibrate as calibrate_page
from tests.scoring.test_ui_calibrate import TRUE, frame, page, run_shares, texts

# The same seeded database as the file route's tests: the stored 2021 run of the demo county.
seeded = calibrate_page.seeded
url = calibrate_page.url

TITLE = "2021 年度财政重点评价报告评审（第一批）"
# The six key projects the demo's closed first batch reviewed, with panel totals of the kind it
# gives; what matters here is their number and that the demo county has shares for them.
DEMO_PANEL = {"P202100107": 70.18, "P202100202": 65.88, "P202100402": 82.18,
              "P202100506": 64.68, "P202101104": 82.87, "P202101204": 86.37}


def _script(url: str, lang: str, demo: bool, totals_by_year: dict, basis: str) -> None:
    import pandas as pd

    from indicators.database import get_engine
    from indicators.frontdoor import PageContext, Role, Viewer, YearFeed
    from scoring.ui_calibrate import pages

    def load(year: int) -> pd.DataFrame:
        totals = totals_by_year.get(year, {})
        return pd.DataFrame({"project": list(totals), "total": list(totals.values()),
                             "basis": basis, "n_ratings": 4, "round_id": 7,
                             "round_title": "2021 年度财政重点评价报告评审（第一批）",
                             "method": "trimmed_mean"})

    feed = YearFeed(version=lambda year: (year, len(totals_by_year.get(year, {}))), load=load)
    ctx = PageContext(get_engine(url), Viewer(1, "wang", "王科长", Role.FINANCE), lang=lang,
                      demo_mode=demo, key_results=feed)
    next(p for p in pages() if p.key == "scoring-calibrate").render(ctx)


def rounds_page(url: str, totals_by_year: dict, *, lang: str = "zh", demo: bool = False,
                basis: str = "adjusted") -> AppTest:
    at = AppTest.from_function(_script, args=(url, lang, demo, totals_by_year, basis),
                               default_timeout=90).run()
    at.radio(key="calibrate.panel_source").set_value("rounds").run()
    return at


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def test_without_a_feed_the_panel_comes_from_a_file_only(url) -> None:
    at = page(url)
    assert not at.exception and not at.error
    assert "calibrate.panel_source" not in [r.key for r in at.radio]
    assert [u.key for u in at.get("file_uploader")] == ["calibrate.panel_file"]


def test_the_rounds_totals_are_what_the_fit_reproduces(url) -> None:
    shares = run_shares(url)
    planted = shares.index[:12]
    # The panel of the rounds: each project's shares times the true weights, plus one project
    # the stored run does not hold.
    totals = dict(zip(planted, shares.loc[planted, list(TRUE)].to_numpy()
                      @ np.array(list(TRUE.values())), strict=True))
    totals["P-NO-DATA"] = 80.0
    at = rounds_page(url, {2021: totals})
    assert not at.exception and not at.error, texts(at, "error")
    # The stored run is of 2021, so that is the year looked up.
    assert at.selectbox(key="calibrate.panel_year").value == 2021
    text = captions(at)
    assert f"《{TITLE}》13 个项目" in text
    assert "共 13 个项目有专家组得分" in text and "宽严调整后得分（已确定） 13 个" in text
    assert "其中 12 个有指标数据" in text
    assert any("P-NO-DATA" in w for w in texts(at, "warning"))
    listed = frame(at, "项目编码", "专家组得分", "有指标数据").set_index("项目编码")
    assert listed.loc["P-NO-DATA", "有指标数据"] == "否（不计入）"
    assert (listed.loc[list(planted), "有指标数据"] == "是").all()
    assert listed.loc[planted[0], "专家组得分"] == pytest.approx(totals[planted[0]])
    at.button(key="calibrate.fit_button").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    weights = frame(at, "指标", "现行权重", "校准权重").set_index("指标")
    np.testing.assert_allclose(weights.loc[list(TRUE), "校准权重"].to_numpy(dtype=float),
                               list(TRUE.values()), atol=1e-3)
    fit = frame(at, "权重", "R²").set_index("权重")
    assert fit.loc["校准权重（样本内）", "R²"] == pytest.approx(1.0, abs=1e-6)
    assert not [w for w in texts(at, "warning") if "低于 0" in w]
    # The changelog line names the rounds the panel's scores came from.
    at.button(key="calibrate.save_draft").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    with Session(get_engine(url)) as session:
        draft = store.get_library(session, ref="national-target@1.1.0")
    line = draft.changelog[-1].text
    assert line.startswith("权重校准") and f"专家组：《{TITLE}》" in line and "12 个项目" in line


def test_the_year_is_picked_from_the_years_that_have_closed_rounds(url) -> None:
    # Every other page offers a dropdown of years with data; a number spinner offered 1990–2100.
    shares = run_shares(url)
    totals = dict(zip(shares.index[:8], np.linspace(60, 95, 8), strict=True))
    at = rounds_page(url, {2019: totals, 2020: totals})
    assert not at.exception and not at.error
    assert "calibrate.panel_year" not in [n.key for n in at.number_input]
    picker = at.selectbox(key="calibrate.panel_year")
    # The stored run is of 2021, which has no rounds: the latest year that has them is read.
    assert picker.options == ["2019", "2020"] and picker.value == 2020
    assert "2020 年度已结束的评审轮次" in captions(at) and "其中 8 个有指标数据" in captions(at)
    picker.set_value(2019).run()
    assert not at.exception and "2019 年度已结束的评审轮次" in captions(at)


def test_without_closed_rounds_in_any_year_the_page_says_so(url) -> None:
    at = rounds_page(url, {})
    assert not at.exception and not at.error
    assert any("还没有哪个年度" in i for i in texts(at, "info"))
    assert not [b for b in at.button if b.key == "calibrate.fit_button"]


def test_unchosen_scores_are_flagged(url) -> None:
    shares = run_shares(url)
    totals = dict(zip(shares.index[:5], [88.0, 71.0, 93.5, 64.0, 79.0], strict=True))
    at = rounds_page(url, {2021: totals}, basis="raw_no_choice")
    assert not at.exception and not at.error
    assert "原始得分（未确定采用哪种得分） 5 个" in captions(at)
    assert any("暂用原始得分" in w for w in texts(at, "warning"))


@pytest.mark.parametrize(("lang", "refusal", "advice"), [
    ("zh", "4 个项目", "请上传包含更多项目的专家组评价文件"),
    ("en", "4 are needed for 3 free weights", "Upload a panel file with more projects"),
])
def test_too_few_projects_are_refused_with_the_way_out(url, lang, refusal, advice) -> None:
    shares = run_shares(url)
    totals = dict(zip(shares.index[:3], [88.0, 71.0, 93.5], strict=True))
    at = rounds_page(url, {2021: totals}, lang=lang)
    at.button(key="calibrate.fit_button").click().run()
    assert not at.exception
    assert any(refusal in e for e in texts(at, "error")), texts(at, "error")
    assert any(advice in i for i in texts(at, "info")), texts(at, "info")
    assert not [d for d in at.dataframe if "R²" in d.value.columns]


def test_the_demo_rounds_six_key_projects_are_enough(url) -> None:
    shares, weights = demo_county_shares()
    points = shares.loc[list(DEMO_PANEL), list(weights.index)]
    want = fit_weights(points, pd.Series(DEMO_PANEL), prior=weights, cv=5)
    at = rounds_page(url, {2021: DEMO_PANEL}, demo=True)
    assert not at.exception and not at.error
    assert at.selectbox(key="calibrate.panel_year").value == 2021
    assert "其中 6 个有指标数据" in captions(at)
    at.button(key="calibrate.fit_button").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    shown = frame(at, "指标", "校准权重").set_index("指标")["校准权重"]
    np.testing.assert_allclose(shown.loc[list(weights.index)].to_numpy(dtype=float),
                               want.weights.round(4).to_numpy())
    fit = frame(at, "权重", "R²").set_index("权重")
    assert fit.loc["校准权重（交叉验证）", "R²"] == round(want.cross_validated.r2, 4)
    # These totals are not made of the shares; when the fit explains them worse than their
    # mean, the page says so.
    poor = [w for w in texts(at, "warning") if "低于 0" in w]
    assert len(poor) == int(want.fit.r2 < 0)
    # Six projects fit worse than the mean or than the current weights: saving is not the
    # offered next step until a confirmation says the fit is worse.
    worse = want.fit.r2 < 0 or want.cross_validated.r2 < want.prior_fit.r2
    assert worse, (want.fit.r2, want.cross_validated.r2, want.prior_fit.r2)
    save = at.button(key="calibrate.save_draft")
    assert save.disabled and save.proto.type == "secondary"
    at.checkbox(key="calibrate.worse_confirm").check().run()
    save = at.button(key="calibrate.save_draft")
    assert not save.disabled
    save.click().run()
    assert not at.exception and not at.error, texts(at, "error")
    # The method line and the changelog read in Chinese on a Chinese page.
    method = next(c for c in texts(at, "caption") if c.startswith("方法："))
    assert "非负最小二乘" in method and "least squares" not in method
    with Session(get_engine(url)) as session:
        drafts = [s for s in store.list_libraries(session) if s.status.value == "draft"]
        line = store.get_library(session, ref=drafts[-1].ref).changelog[-1].text
    assert "非负最小二乘" in line and "least squares" not in line and "target" not in line


def test_the_english_page_keeps_the_method_in_english(url) -> None:
    at = rounds_page(url, {2021: DEMO_PANEL}, demo=True, lang="en")
    at.button(key="calibrate.fit_button").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    method = next(c for c in texts(at, "caption") if c.startswith("Method: "))
    assert "non-negative least squares" in method and "target = panel scores" in method
    assert any("Understand" in c.label or "understand" in c.label for c in at.checkbox)
