"""Decisions laid over recommendations: each stage as decided, recommendations kept beside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.errors import InputError
from scoring.application import apply_results
from scoring.exante import score_exante
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_demo import demo_county_year
from scoring.monitoring import monitor
from scoring.target_review import review_targets
from scoring.year_decisions import (
    application_batches,
    decide_application,
    decide_exante,
    decide_monitoring,
    decide_review,
    decision_ledger,
    dismissed_findings,
    overlay,
    stage_decisions,
)

CONFIG = load_lifecycle_config("kaijiang-2021")


@pytest.fixture(scope="module")
def year():
    return demo_county_year(CONFIG)


def _decisions(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column, default in (("item", ""), ("reason", ""), ("amount", np.nan)):
        if column not in frame:
            frame[column] = default
    frame["detail"] = [r.get("detail", {}) for r in rows]
    return frame


def test_overlay_replaces_decided_rows_and_keeps_the_rest():
    table = pd.DataFrame({"project": ["A", "B", "C"], "classification": ["调整调减", "督促加快", "正常"],
                          "suggested_cut": [100.0, 0.0, 0.0]})
    d = _decisions([
        {"stage": "monitoring", "project": "A", "recommendation": "调整调减", "outcome": "整改纠偏",
         "amount": 0.0, "reason": "已整改"},
        {"stage": "monitoring", "project": "B", "recommendation": "正常", "outcome": "调整调减",
         "amount": 40.0, "reason": "进度严重滞后"}])
    out = overlay(table, stage_decisions(d, "monitoring"), outcome="classification",
                  amount="suggested_cut")
    assert out["classification"].tolist() == ["整改纠偏", "调整调减", "正常"]
    assert out["suggested_cut"].tolist() == [0.0, 40.0, 0.0]
    assert out["recommended_classification"].tolist() == ["调整调减", "督促加快", "正常"]
    assert out["recommended_suggested_cut"].tolist() == [100.0, 0.0, 0.0]
    assert out["decided"].tolist() == [True, True, False]
    # B's decision answered 正常, but today the kernel recommends 督促加快.
    assert out["stale"].tolist() == [False, True, False]
    assert out["decision_reason"].tolist() == ["已整改", "进度严重滞后", ""]


def test_a_decision_without_an_amount_keeps_the_recommended_amount():
    table = pd.DataFrame({"project": ["A"], "classification": ["调整调减"], "suggested_cut": [70.0]})
    d = _decisions([{"stage": "monitoring", "project": "A", "recommendation": "调整调减",
                     "outcome": "调整调减"}])
    out = overlay(table, stage_decisions(d, "monitoring"), outcome="classification",
                  amount="suggested_cut")
    assert out["suggested_cut"].tolist() == [70.0]


def test_stage_decisions_names_a_missing_column():
    with pytest.raises(InputError) as err:
        stage_decisions(pd.DataFrame({"stage": ["exante"], "project": ["A"]}), "exante")
    assert err.value.location.column == "recommendation"


def test_exante_as_decided_approves_the_request_less_the_decided_cut(year):
    assessment = score_exante(year.exante_sheets, year.requests, CONFIG)
    results = assessment.results
    a, b = results.iloc[0], results.iloc[1]
    d = _decisions([
        {"stage": "exante", "project": a["project"], "recommendation": a["outcome"],
         "outcome": "调整后支持", "amount": 123_400.0, "reason": "压减培训费"},
        {"stage": "exante", "project": b["project"], "recommendation": b["outcome"],
         "outcome": "不予支持", "amount": b["request"] + 5.0, "reason": "重复立项"}])
    decided = decide_exante(assessment, d).results.set_index("project")
    assert decided.loc[a["project"], "approved_amount"] == pytest.approx(a["request"] - 123_400.0)
    assert decided.loc[b["project"], "approved_amount"] == 0.0
    assert decided.loc[a["project"], "recommended_cut"] == a["cut"]
    rest = results.iloc[2:].set_index("project")
    assert (decided.loc[rest.index, "cut"] == rest["cut"]).all()
    assert decide_exante(None, d) is None


def test_review_as_decided_adjusts_the_amount(year):
    review = review_targets(year.targets, year.projects[["project", "amount"]], CONFIG)
    first = review.projects.iloc[0]
    d = _decisions([{"stage": "target_review", "project": first["project"],
                     "recommendation": first["grade"], "outcome": "修改后通过",
                     "amount": 20_000.0, "reason": "指标值偏低"}])
    out = decide_review(review, d).projects.iloc[0]
    assert out["grade"] == "修改后通过"
    assert out["adjusted_amount"] == pytest.approx(first["amount"] - 20_000.0)


def test_monitoring_as_decided(year):
    watched = monitor(year.projects.rename(columns={"amount": "budget"})[["project", "budget"]],
                      year.spending, CONFIG, progress=year.progress)
    cut = watched.projects.loc[watched.projects["suggested_cut"] > 0].iloc[0]
    d = _decisions([{"stage": "monitoring", "project": cut["project"],
                     "recommendation": cut["classification"], "outcome": "督促加快",
                     "amount": 0.0, "reason": "四季度集中支付"}])
    out = decide_monitoring(watched, d).projects
    assert out["suggested_cut"].sum() == pytest.approx(
        watched.projects["suggested_cut"].sum() - cut["suggested_cut"])


def test_application_batches_follow_the_decided_values():
    ev = pd.DataFrame({"project": ["A", "B", "C"], "grade": ["优", "中", "差"],
                       "budget": [1e6, 1e6, 5e5], "spent": [1e6, 8e5, 3e5],
                       "next_amount": [1e6, 1e6, 5e5]})
    rec = apply_results(ev, CONFIG)
    action = dict(zip(rec.projects["project"], rec.projects["action"], strict=True))
    d = _decisions([
        {"stage": "application", "project": "B", "recommendation": action["B"],
         "outcome": action["B"], "amount": 0.0, "reason": "民生刚性支出",
         "detail": {"recover": 50_000.0, "rework": False}},
        {"stage": "application", "project": "C", "recommendation": action["C"],
         "outcome": action["C"], "amount": 300_000.0, "reason": "保留续建部分",
         "detail": {"recover": 200_000.0, "rework": True}}])
    decided = decide_application(rec, d)
    got = decided.projects.set_index("project")
    assert got["cut"].tolist() == [0.0, 0.0, 300_000.0]
    assert got["recover"].tolist() == [0.0, 50_000.0, 200_000.0]
    assert got["rework"].tolist() == [False, False, True]
    assert got.loc["C", "suggested_next"] == 200_000.0
    batches = decided.batches.set_index("batch")
    # By hand: one cut (C 300,000); two recoveries (50,000 + 200,000); C reworked on 500,000.
    assert batches["n_projects"].tolist() == [1, 2, 1]
    assert batches["amount"].tolist() == [300_000.0, 250_000.0, 500_000.0]
    assert got["recommended_cut"].tolist() == rec.projects["cut"].tolist()


def test_application_batches_count_positive_amounts():
    d = pd.DataFrame({"cut": [0.0, 5.0], "recover": [1.0, 0.0], "rework": [None, True],
                      "next_amount": [np.nan, 10.0]})
    assert application_batches(d)["n_projects"].tolist() == [1, 1, 1]
    assert application_batches(d)["amount"].tolist() == [5.0, 1.0, 10.0]


def test_dismissed_findings_parse_the_item_and_keep_only_dismissals():
    d = _decisions([
        {"stage": "target_finding", "project": "A", "item": "vague_value|A0102",
         "recommendation": "成立", "outcome": "驳回", "reason": "有量化依据"},
        {"stage": "target_finding", "project": "B", "item": "no_cost|",
         "recommendation": "成立", "outcome": "驳回", "reason": "非建设项目"},
        {"stage": "target_finding", "project": "C", "item": "no_cost|",
         "recommendation": "成立", "outcome": "成立"}])
    assert dismissed_findings(d).values.tolist() == [["A", "vague_value", "A0102"],
                                                     ["B", "no_cost", ""]]
    assert dismissed_findings(None).empty


def test_the_ledger_lists_decisions_that_could_not_be_applied():
    d = _decisions([
        {"stage": "monitoring", "project": "A", "recommendation": "调整调减", "outcome": "督促加快",
         "amount": 0.0, "reason": "x"},
        {"stage": "monitoring", "project": "GONE", "recommendation": "调整调减",
         "outcome": "督促加快", "amount": 0.0, "reason": "x"}])
    table = pd.DataFrame({"project": ["A"], "decided": [True], "stale": [True]})
    ledger = decision_ledger(d, {"monitoring": table}).set_index("project")
    assert ledger.loc["A", "applied"] and ledger.loc["A", "stale"]
    assert not ledger.loc["GONE", "applied"]
    assert decision_ledger(None, {"monitoring": table}).empty


def test_the_year_is_run_as_decided(year):
    from dataclasses import replace

    from scoring.year import run_year

    base = run_year(year, CONFIG)
    results = base.exante.results
    # A new request, so refusing it does not change a graded project's next-year amount.
    graded = set(base.application.projects["project"].str.replace("2021", "2022", n=1))
    ex = results.loc[(results["cut"] < results["request"])
                     & ~results["project"].isin(graded)].iloc[0]
    mon = base.monitoring.projects.loc[base.monitoring.projects["suggested_cut"] > 0].iloc[0]
    app = base.application.projects.loc[base.application.projects["cut"] > 0].iloc[0]
    finding = base.review.findings.iloc[0]
    d = _decisions([
        {"stage": "exante", "project": ex["project"], "recommendation": ex["outcome"],
         "outcome": "不予支持", "amount": ex["request"], "reason": "与上级专项重复"},
        {"stage": "monitoring", "project": mon["project"], "recommendation": mon["classification"],
         "outcome": "督促加快", "amount": 0.0, "reason": "四季度集中支付"},
        {"stage": "application", "project": app["project"], "recommendation": app["action"],
         "outcome": app["action"], "amount": 0.0, "reason": "民生刚性支出",
         "detail": {"recover": float(app["recover"]), "rework": bool(app["rework"])}},
        {"stage": "target_finding", "project": finding["project"],
         "item": f"{finding['code']}|{finding['indicator_code']}", "recommendation": "成立",
         "outcome": "驳回", "reason": "指标值描述见附件"},
        {"stage": "monitoring", "project": "P-NOT-THIS-YEAR", "recommendation": "调整调减",
         "outcome": "督促加快", "amount": 0.0, "reason": "项目已撤并"}])
    decided = run_year(replace(year, decisions=d), CONFIG)
    was, now = base.summary, decided.summary
    assert now["exante_cut"] == pytest.approx(was["exante_cut"] - ex["cut"] + ex["request"])
    assert now["exante_cut_recommended"] == pytest.approx(was["exante_cut"])
    assert now["exante_不予支持"] == was["exante_不予支持"] + (ex["outcome"] != "不予支持")
    assert now["monitor_cut"] == pytest.approx(was["monitor_cut"] - mon["suggested_cut"])
    assert now["monitor_count"] == was["monitor_count"] - 1
    assert now["monitor_cut_recommended"] == pytest.approx(was["monitor_cut"])
    assert now["cut_amount"] == pytest.approx(was["cut_amount"] - app["cut"])
    assert now["cut_count"] == was["cut_count"] - 1
    assert now["cut_amount_recommended"] == pytest.approx(was["cut_amount"])
    # The dismissed finding no longer costs its deduction.
    live = base.review.findings.loc[(base.review.findings["project"] == finding["project"])
                                    & ~base.review.findings["dismissed"]]
    score = decided.review.projects.set_index("project").loc[finding["project"], "score"]
    assert score == pytest.approx(max(0.0, 100.0 - (live["deduction"].sum()
                                                    - finding["deduction"])))
    assert (now["decisions_applied"], now["decisions_unapplied"]) == (4, 1)
    assert "与上级专项重复" in set(decided.decisions["reason"])


def test_an_ex_ante_decision_sets_next_years_amount_of_a_continuing_project(year):
    from dataclasses import replace

    from scoring.year import run_year

    base = run_year(year, CONFIG)
    apps = base.application.projects
    continuing = dict(zip(apps["project"].str.replace("2021", "2022", n=1), apps["project"],
                          strict=True))
    results = base.exante.results
    ex = results.loc[results["project"].isin(continuing)].iloc[0]
    d = _decisions([{"stage": "exante", "project": ex["project"],
                     "recommendation": ex["outcome"], "outcome": "调整后支持",
                     "amount": 100_000.0, "reason": "压减设备购置"}])
    decided = run_year(replace(year, decisions=d), CONFIG)
    row = decided.application.projects.set_index("project").loc[continuing[ex["project"]]]
    assert row["next_amount"] == pytest.approx(ex["request"] - 100_000.0)


def test_a_project_decided_out_of_the_cut_class_keeps_its_budget(year):
    from dataclasses import replace

    from scoring.year import run_year

    base = run_year(year, CONFIG)
    mon = base.monitoring.projects.loc[base.monitoring.projects["suggested_cut"] > 0].iloc[0]
    # The person changes the class but leaves the amount: only 调整调减 cuts funds.
    d = _decisions([{"stage": "monitoring", "project": mon["project"],
                     "recommendation": mon["classification"], "outcome": "整改纠偏",
                     "amount": mon["suggested_cut"], "reason": "先整改后调整"}])
    now = run_year(replace(year, decisions=d), CONFIG).summary
    assert now["monitor_count"] == base.summary["monitor_count"] - 1
    assert now["monitor_cut"] == pytest.approx(base.summary["monitor_cut"] - mon["suggested_cut"])
    assert now["fix_count"] == base.summary["fix_count"] + 1
