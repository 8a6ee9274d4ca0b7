"""End-to-end year on the demo county, checked against an independent row-by-row computation.

Everything below the fixtures recomputes the year from the demo county's raw tables (Chinese
headers, as shipped) in plain Python loops with exact decimal money, without calling any
lifecycle kernel, and compares counts and amounts with :func:`scoring.year.run_year`.
"""

from __future__ import annotations

import dataclasses
import doctest
import math
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

import scoring.lifecycle_demo as lifecycle_demo_module
import scoring.year as year_module
import scoring.year_summary as year_summary_module
from indicators.demo import load_demo_county
from indicators.errors import InputError
from indicators.frameworks import load_builtin
from scoring.lifecycle_config import load_lifecycle_config
from scoring.lifecycle_demo import demo_county_year
from scoring.year import run_year

CONFIG = load_lifecycle_config("kaijiang-2021")
SHARE = {"达成": 0.9, "部分达成": 0.7, "未达成": 0.3}      # midpoints of the 80/60/0 % bands


def money(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def to_hundred(x: Decimal) -> float:
    return float((x / 100).quantize(Decimal("1"), ROUND_HALF_UP) * 100)


def two(x: float) -> float:
    return float(Decimal(repr(x)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


@pytest.fixture(scope="module")
def raw():
    return load_demo_county()


@pytest.fixture(scope="module")
def data():
    return demo_county_year(CONFIG)


@pytest.fixture(scope="module")
def result(data):
    return run_year(data, CONFIG)


# --------------------------------------------------------------------------- independent year

@pytest.fixture(scope="module")
def triggered(raw) -> list[str]:
    hit = []
    for r in raw.requests.to_dict("records"):
        amount = money(r["申请金额(元)"])
        if r["是否新增"]:
            caught = amount >= 1_000_000
        else:
            prev = money(r["上年金额(元)"])
            caught = (amount - prev) * 100 >= 20 * prev or amount - prev >= 1_000_000
        caught = caught or (bool(r["是否重点项目"]) and int(r["延续年数"]) > 3)
        if caught:
            hit.append(r["项目编码"])
    return hit


@pytest.fixture(scope="module")
def exante_by_hand(raw, data, triggered) -> dict[str, float]:
    framework = load_builtin("national-exante")
    weight = {leaf.code: float(leaf.weight) for leaf in framework.leaves()}
    dimension = {leaf.code: framework.path(leaf.code)[0].code for leaf in framework.leaves()}
    request = dict(zip(raw.requests["项目编码"], raw.requests["申请金额(元)"], strict=True))
    points: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in data.exante_sheets.to_dict("records"):
        points[r["project"]][dimension[r["indicator"]]] += weight[r["indicator"]] * SHARE[r["level"]]
    cuts = {}
    for project in triggered:
        dims = points[project]
        total = two(sum(dims.values()))
        outcome = "支持" if total >= 80 else "调整后支持" if total >= 60 else "不予支持"
        if outcome == "支持" and min(dims.values()) < 0.6 * 20:
            outcome = "调整后支持"
        asked = request[project]
        cuts[project] = {"支持": 0.0, "不予支持": asked,
                         "调整后支持": min(asked, to_hundred(money(asked) * Decimal("0.1")))}[outcome]
    return cuts


@pytest.fixture(scope="module")
def review_by_hand(raw) -> dict[str, tuple[str, float]]:
    rules = CONFIG.target_review
    deduction = {k: r.deduction for k, r in rules.findings.items()}
    error = {k for k, r in rules.findings.items() if r.severity == "error"}
    by_project = defaultdict(list)
    for t in raw.targets.to_dict("records"):
        by_project[t["项目编码"]].append(t)
    out = {}
    for p in raw.projects.to_dict("records"):
        rows, found = by_project.get(p["项目编码"], []), []
        codes, names = set(), set()
        for t in rows:
            quant = t["指标方向"] != "定性"
            name, unit = t["三级指标"], "" if nan(t["计量单位"]) else t["计量单位"]
            sat = t["一级指标"].startswith("满意度") or "满意度" in name
            if not t["权重"] > 0:
                found.append("invalid_weight")
            if quant and nan(t["指标值"]):
                found.append("missing_target_value")
            if not quant:
                found.append("missing_target_text")          # the demo carries no written target
            if quant and unit == "":
                found.append("missing_unit")
            if quant and t["指标方向"] == "≥" and unit in rules.percent_units and t["指标值"] > 100:
                found.append("percent_over_max")
            if quant and t["指标值"] < 0:
                found.append("negative_target")
            if sat and t["指标方向"] == "≤":
                found.append("satisfaction_not_higher")
            low = any(w in name for w in rules.lower_words)
            high = any(w in name for w in rules.higher_words)
            if not sat and ((t["指标方向"] == "≥" and low and not high)
                            or (t["指标方向"] == "≤" and high and not low)):
                found.append("direction_suspect")
            if t["指标编码"] in codes or name in names:
                found.append("duplicate_target")
            codes.add(t["指标编码"])
            names.add(name)
        level1 = [t["一级指标"] for t in rows]
        if not rows:
            found.append("no_targets")
        else:
            for prefix, code in (("产出", "missing_output"), ("效益", "missing_benefit"),
                                 ("满意度", "missing_satisfaction")):
                if not any(x.startswith(prefix) for x in level1):
                    found.append(code)
            cost = any(t["一级指标"].startswith("成本") or t["二级指标"].startswith("成本")
                       for t in rows)
            if p["项目金额(元)"] >= 1_000_000 and not cost:
                found.append("missing_cost")
            if abs(sum(t["权重"] for t in rows) - 90) > 1e-6:
                found.append("weights_not_total")
        score = max(0.0, 100 - sum(deduction[c] for c in found))
        grade = ("不通过" if any(c in error for c in found) else
                 "通过" if score >= 90 else "修改后通过" if score >= 60 else "不通过")
        share = {"通过": 0, "修改后通过": Decimal("0.05"), "不通过": Decimal("0.15")}[grade]
        out[p["项目编码"]] = (grade, to_hundred(money(p["项目金额(元)"]) * share))
    return out


@pytest.fixture(scope="module")
def monitoring_by_hand(raw, data) -> dict[str, tuple[str, float]]:
    month = CONFIG.monitoring.cutoff_month
    spent = {(r["项目编码"], r["截至月份"]): r["累计支出(元)"] for r in raw.spending.to_dict("records")}
    progress = defaultdict(list)
    for r in data.progress.to_dict("records"):
        progress[r["project"]].append(r)

    def light(x):
        return None if x is None else "红灯" if x < 60 else "黄灯" if x < 80 else "绿灯"

    out = {}
    for p in raw.projects.to_dict("records"):
        budget, s = p["项目金额(元)"], spent[(p["项目编码"], month)]
        ratio = round(s * 1200 / (budget * month), 9)
        num = den = 0.0
        over = False
        for r in progress[p["项目编码"]]:
            t, a, w = r["target"], r["actual"], r["weight"]
            if r["direction"] != "≥" or nan(t) or not t > 0 or nan(a) or not w > 0:
                continue
            rate = r["unit"] in ("%", "％", "‰")
            prog = a * 100 / t if rate else a * 1200 / (t * month)
            num += w * min(round(prog, 9), 100.0)
            den += w
            over = over or a >= 1.2 * t * (1 - 1e-9)
        target = num / den if den else None
        e, g = light(ratio), light(target)
        if ratio < 40 or (e == "红灯" and g == "红灯"):
            kind = "调整调减"
            cut = to_hundred(Decimal(repr(0.5 * max(0.0, budget - s * 12 / month))))
        else:
            kind = ("督促加快" if e != "绿灯" else
                    "整改纠偏" if g in ("红灯", "黄灯") or over else "正常")
            cut = 0.0
        out[p["项目编码"]] = (kind, cut)
    return out


@pytest.fixture(scope="module")
def evaluation_by_hand(raw) -> dict[str, tuple[float, str, bool]]:
    actual = {(r["项目编码"], r["指标编码"]): r for r in raw.actuals.to_dict("records")}
    spent = {r["项目编码"]: r["累计支出(元)"] for r in raw.spending.to_dict("records")
             if r["截至月份"] == 12}
    targets = defaultdict(list)
    for t in raw.targets.to_dict("records"):
        targets[t["项目编码"]].append(t)
    out = {}
    for p in raw.projects.to_dict("records"):
        if p["项目金额(元)"] < 200_000:
            continue
        total, over = 0.0, False
        for t in targets[p["项目编码"]]:
            w, d, tv = t["权重"], t["指标方向"], t["指标值"]
            fact = actual.get((p["项目编码"], t["指标编码"]), {})
            a = fact.get("实际值")
            if d == "定性":
                total += w * SHARE.get(fact.get("定性结论"), 0.0)
                continue
            if nan(tv) or nan(a):
                continue
            if d == "≥":
                total += w * (min(1.0, max(a, 0) / tv) if tv > 0 else float(a >= 0))
                over = over or (tv > 0 and a >= 1.2 * tv * (1 - 1e-9))
            elif d == "≤":
                total += w * (min(1.0, max(0.0, 2 - a / tv)) if tv > 0 else float(a <= 0))
            else:
                total += w * (max(0.0, 1 - abs(a / tv - 1)) if tv != 0 else float(a <= 0))
        total += min(10.0, 10 * spent[p["项目编码"]] / p["项目金额(元)"])
        total = two(total)
        grade = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
        out[p["项目编码"]] = (total, grade, over)
    return out


# --------------------------------------------------------------------------- the comparisons

def test_ex_ante_count_and_cut(result, triggered, exante_by_hand):
    assert result.summary["exante_triggered"] == len(triggered) > 0
    assert set(result.triggers.triggered["project"]) == set(triggered)
    assert result.summary["exante_count"] == len(exante_by_hand)
    assert result.summary["exante_cut"] == pytest.approx(sum(exante_by_hand.values()))
    got = result.exante.results.set_index("project")["cut"]
    assert got.to_dict() == pytest.approx(exante_by_hand)


def test_target_review_adjustments(result, review_by_hand):
    adjusted = {p: a for p, (_, a) in review_by_hand.items() if a > 0}
    assert result.summary["review_count"] == len(adjusted)
    assert result.summary["review_cut"] == pytest.approx(sum(adjusted.values()))
    grades = Counter(g for g, _ in review_by_hand.values())
    assert {g: result.summary[f"review_{g}"] for g in ("通过", "修改后通过", "不通过")} == {
        g: grades[g] for g in ("通过", "修改后通过", "不通过")}


def test_monitoring_counts_and_cut(result, monitoring_by_hand):
    kinds = Counter(k for k, _ in monitoring_by_hand.values())
    assert result.summary["monitor_count"] == kinds["调整调减"]
    assert result.summary["speed_count"] == kinds["督促加快"]
    assert result.summary["fix_count"] == kinds["整改纠偏"]
    assert result.summary["monitor_cut"] == pytest.approx(
        sum(c for _, c in monitoring_by_hand.values()))


def test_self_evaluation_grades(result, evaluation_by_hand):
    assert result.summary["self_count"] == len(evaluation_by_hand)
    grades = Counter(g for _, g, _ in evaluation_by_hand.values())
    assert {g: result.summary[f"grade_{g}"] for g in "优良中差"} == {g: grades[g] for g in "优良中差"}
    totals = result.evaluated.set_index("project")["total"]
    for project, (total, _, _) in evaluation_by_hand.items():
        assert totals[project] == pytest.approx(total)


def test_result_application_batches(raw, result, evaluation_by_hand, exante_by_hand):
    request = dict(zip(raw.requests["项目编码"], raw.requests["申请金额(元)"], strict=True))
    spent = {r["项目编码"]: r["累计支出(元)"] for r in raw.spending.to_dict("records")
             if r["截至月份"] == 12}
    budget = dict(zip(raw.projects["项目编码"], raw.projects["项目金额(元)"], strict=True))
    cut = recover = rework_amount = 0.0
    n_cut = n_recover = n_rework = 0
    for project, (_, grade, over) in evaluation_by_hand.items():
        code = project.replace("2021", "2022", 1)
        base = request.get(code, 0.0) - exante_by_hand.get(code, 0.0)
        c = {"优": 0.0, "良": 0.0, "差": base,
             "中": min(base, to_hundred(money(base) * Decimal("0.1")))}[grade]
        r = max(0.0, budget[project] - spent[project]) if grade in "中差" else 0.0
        cut, recover = cut + c, recover + r
        n_cut, n_recover = n_cut + (c > 0), n_recover + (r > 0)
        if grade in "中差" or over:
            n_rework += 1
            rework_amount += base
    s = result.summary
    assert (s["cut_count"], s["recover_count"], s["rework_count"]) == (n_cut, n_recover, n_rework)
    assert s["cut_amount"] == pytest.approx(cut)
    assert s["recover_amount"] == pytest.approx(recover, abs=0.01)
    assert s["rework_amount"] == pytest.approx(rework_amount)


def test_sample_and_key_counts(raw, result, evaluation_by_hand):
    per_department = Counter(raw.projects.set_index("项目编码").loc[list(evaluation_by_hand),
                                                                  "主管部门"])
    expected = sum(min(n, max(1, math.ceil(0.2 * n - 1e-9))) for n in per_department.values())
    assert result.summary["sample_count"] == expected
    assert result.summary["key_count"] == int(raw.projects["是否重点项目"].sum()) == 15


def test_summary_text_carries_the_numbers_in_the_reports_words(result):
    s = result.summary

    def wan(x):
        text = f"{Decimal(repr(x / 1e4)).quantize(Decimal('0.01'), ROUND_HALF_UP):f}"
        return text.rstrip("0").rstrip(".")

    zh = result.text_zh
    assert zh.startswith("2021年，")
    assert f"财政开展{s['exante_count']}个项目事前绩效评估，经评估追减预算{wan(s['exante_cut'])}万元" in zh
    assert f"经绩效目标审核，调整{s['review_count']}个项目预算，涉及预算资金{wan(s['review_cut'])}万元" in zh
    assert "以9月份为监控时点" in zh
    assert f"通过重点监控调整项目{s['monitor_count']}个，调减资金{wan(s['monitor_cut'])}万元" in zh
    assert (f"对资金20万元以上的{s['self_count']}个项目开展了自评（优{s['grade_优']}个、"
            f"良{s['grade_良']}个、中{s['grade_中']}个、差{s['grade_差']}个）") in zh
    assert f"对{s['key_count']}个政策和项目开展了财政重点评价" in zh
    assert f"追减一批项目{s['cut_count']}个、资金{wan(s['cut_amount'])}万元" in zh
    assert " " not in zh
    assert result.text_en.startswith("In 2021, ")


def test_coverage_adds_up_over_the_four_budgets(raw, result):
    cov = result.coverage.set_index("budget_type")
    assert set(cov.index) == {*raw.projects["预算类型"].unique(), "合计"}
    assert cov.loc["合计", "n_projects"] == len(raw.projects)
    assert cov.loc["合计", "funds"] == pytest.approx(raw.projects["项目金额(元)"].sum())
    assert cov.drop("合计")["n_self_scored"].sum() == result.summary["self_count"]
    by_department = result.grades_by_department
    assert by_department["total"].sum() == result.summary["self_count"]


def test_key_evaluation_grade_replaces_the_self_evaluation_grade(data, result):
    key = result.evaluated.loc[result.evaluated["is_key"], "project"].iloc[0]
    given = dataclasses.replace(data, key_results=pd.DataFrame(
        {"project": [key], "total": [55.0], "grade": ["差"]}))
    redone = run_year(given, CONFIG)
    row = redone.application.projects.set_index("project").loc[key]
    assert row["grade"] == "差"
    assert redone.disclosure.key_evaluation["评价等级"].tolist() == ["差"]


def test_a_cut_off_month_without_spending_is_refused(data):
    with pytest.raises(InputError, match="监控时点"):
        run_year(data, CONFIG.with_monitoring(cutoff_month=6))


def test_docstring_examples_run():
    for module in (year_module, year_summary_module, lifecycle_demo_module):
        assert doctest.testmod(module).failed == 0
