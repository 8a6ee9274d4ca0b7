"""Tests of the ex-ante trigger rules and assessment scoring (scoring/exante.py)."""

from __future__ import annotations

import dataclasses
import doctest
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

import scoring.exante as exante_module
from indicators.errors import InputError
from indicators.frameworks import load_builtin
from scoring.exante import exante_triggers, score_exante
from scoring.lifecycle_config import load_lifecycle_config

CONFIG = load_lifecycle_config("kaijiang-2021")
FRAMEWORK = load_builtin("national-exante")
LEAVES = [leaf.code for leaf in FRAMEWORK.leaves()]


def requests(*rows: tuple) -> pd.DataFrame:
    """Rows of (project, amount, previous, is_new, years, is_key)."""
    return pd.DataFrame(rows, columns=["project", "amount", "previous_amount", "is_new",
                                       "years_running", "is_key"])


def flags(frame: pd.DataFrame) -> dict[str, list[bool]]:
    table = exante_triggers(frame, CONFIG).table
    return {rule: table[rule].tolist() for rule in
            ("new_large", "growth_share", "growth_amount", "key_long_running", "triggered")}


def test_new_project_of_exactly_one_million_is_caught_and_a_fen_less_is_not():
    got = flags(requests(("A", 1_000_000, None, True, 0, False),
                         ("B", 999_999.99, None, True, 0, False),
                         ("C", 1_000_000.01, np.nan, True, 0, False)))
    assert got["new_large"] == [True, False, True]
    assert got["triggered"] == [True, False, True]


def test_growth_of_exactly_twenty_percent_is_caught_in_yuan_not_lost_to_rounding():
    # The growth ratio as usually written, a/p - 1, is 0.19999999999999996 for 1,000,000 →
    # 1,200,000 in binary floating point; the rule must still see 20 %.
    naive_growth = 1.2e6 / 1e6 - 1
    assert naive_growth < 0.2
    got = flags(requests(("A", 1_200_000, 1_000_000, False, 2, False),
                         ("B", 360_000, 300_000, False, 2, False),
                         ("C", 1_199_999, 1_000_000, False, 2, False),
                         ("D", 359_990, 300_000, False, 2, False)))
    assert got["growth_share"] == [True, True, False, False]


def test_increase_of_exactly_one_million_is_caught_even_at_a_small_share():
    got = flags(requests(("A", 11_000_000, 10_000_000, False, 2, False),
                         ("B", 10_999_999, 10_000_000, False, 2, False)))
    assert got["growth_amount"] == [True, False]
    assert got["growth_share"] == [False, False]          # 10 % growth only
    assert got["triggered"] == [True, False]


def test_key_project_running_more_than_three_years():
    got = flags(requests(("A", 5e5, 5e5, False, 3, True), ("B", 5e5, 5e5, False, 4, True),
                         ("C", 5e5, 5e5, False, 10, False)))
    assert got["key_long_running"] == [False, True, False]


def test_new_projects_are_not_judged_on_growth_and_shrinking_ones_not_at_all():
    got = flags(requests(("A", 900_000, None, True, 0, False),
                         ("B", 800_000, 1_000_000, False, 5, False),
                         ("C", 0, 0, False, 1, False)))
    assert got["triggered"] == [False, False, False]


def test_rules_are_named_with_the_configured_numbers():
    table = exante_triggers(requests(("A", 2_500_000, 1_000_000, False, 5, True)), CONFIG).table
    assert table["rules"].iat[0] == "延续项目增幅≥20%；延续项目增加≥100万元；重点项目延续3年以上"
    assert "20%" in table["rules_en"].iat[0]


def test_thresholds_come_from_the_settings():
    stricter = dataclasses.replace(CONFIG.exante, new_min_amount=500_000, growth_share=0.5)
    table = exante_triggers(requests(("A", 600_000, None, True, 0, False),
                                     ("B", 1_300_000, 1_000_000, False, 2, False)),
                            stricter).table
    assert table["new_large"].tolist() == [True, False]
    assert table["growth_share"].tolist() == [False, False]
    assert table["rules"].iat[0] == "新增项目金额≥50万元"


@pytest.mark.parametrize("column, value, row", [("amount", "abc", 2), ("amount", -5, 2),
                                                ("previous_amount", "x", 2)])
def test_bad_values_are_refused_with_their_row(column, value, row):
    frame = requests(("A", 1e6, 1e6, False, 2, False), ("B", 1e6, 1e6, False, 2, False))
    frame[column] = frame[column].astype(object)
    frame.loc[row - 1, column] = value
    with pytest.raises(InputError) as err:
        exante_triggers(frame, CONFIG)
    assert err.value.location.row == row and err.value.location.column == column


def test_continuing_request_without_last_years_amount_is_refused():
    with pytest.raises(InputError) as err:
        exante_triggers(requests(("A", 1e6, 1e6, False, 2, False),
                                 ("B", 1e6, None, False, 2, False)), CONFIG)
    assert err.value.location.row == 2 and err.value.location.column == "previous_amount"


def test_yes_no_columns_must_be_booleans():
    frame = requests(("A", 1e6, 1e6, False, 2, False))
    frame["is_new"] = frame["is_new"].astype(object)
    frame.loc[0, "is_new"] = "maybe"
    with pytest.raises(InputError) as err:
        exante_triggers(frame, CONFIG)
    assert err.value.location.column == "is_new"


def test_missing_column_is_named():
    with pytest.raises(InputError) as err:
        exante_triggers(requests(("A", 1e6, 1e6, False, 2, False)).drop(columns="is_key"), CONFIG)
    assert err.value.location.column == "is_key"


# --------------------------------------------------------------------------- assessment

def sheet(project: str, level: str | dict[str, str], score: dict[str, float] | None = None
          ) -> pd.DataFrame:
    levels = {code: level for code in LEAVES} if isinstance(level, str) else level
    frame = pd.DataFrame({"project": project, "indicator": LEAVES,
                          "level": [levels[c] for c in LEAVES]})
    if score is not None:
        frame["score"] = [score.get(c, np.nan) for c in LEAVES]
    return frame


def leaf_weight() -> dict[str, float]:
    return {leaf.code: float(leaf.weight) for leaf in FRAMEWORK.leaves()}


def test_framework_has_five_dimensions_of_twenty():
    top = [i for i in FRAMEWORK.indicators if i.level == 1]
    assert [i.name for i in top] == ["立项必要性", "投入经济性", "绩效目标合理性", "实施方案可行性",
                                     "筹资合规性"]
    assert [i.weight for i in top] == [20] * 5
    assert sum(leaf_weight().values()) == 100


def test_outcomes_and_budget_changes_by_level():
    sheets = pd.concat([sheet("A", "达成"), sheet("B", "部分达成"), sheet("C", "未达成")])
    asked = pd.DataFrame({"project": ["A", "B", "C"], "amount": [2_000_000, 1_234_567, 800_000]})
    res = score_exante(sheets, asked, CONFIG).results.set_index("project")
    # Midpoints of the framework's bands: 90 %, 70 %, 30 % of every point's weight.
    assert res["total"].tolist() == [90.0, 70.0, 30.0]
    assert res["outcome"].tolist() == ["支持", "调整后支持", "不予支持"]
    # 10 % of 1,234,567 = 123,456.7, rounded half up to the hundred yuan.
    assert res["cut"].tolist() == [0.0, 123_500.0, 800_000.0]
    assert res["approved_amount"].tolist() == [2_000_000.0, 1_111_067.0, 0.0]
    assert res["立项必要性"].tolist() == [18.0, 14.0, 6.0]


def test_a_dimension_below_its_floor_caps_the_outcome():
    weights = leaf_weight()
    weak = {c for c in LEAVES if c.startswith("CZ")}          # 筹资合规性
    levels = {c: ("未达成" if c in weak else "达成") for c in LEAVES}
    # 58 % of each weak point, 100 % of the others.
    scores = {c: (0.58 if c in weak else 1.0) * weights[c] for c in LEAVES}
    res = score_exante(sheet("A", levels, scores),
                       pd.DataFrame({"project": ["A"], "amount": [1e6]}), CONFIG).results
    expected_total = sum(scores.values())
    assert res["total"].iat[0] == pytest.approx(round(expected_total, 2))
    assert expected_total >= 80
    assert res["outcome_before_floor"].iat[0] == "支持"
    assert bool(res["below_floor"].iat[0])
    assert res["outcome"].iat[0] == "调整后支持"


def test_a_dimension_exactly_at_its_floor_is_not_capped():
    weights = leaf_weight()
    weak = {c for c in LEAVES if c.startswith("CZ")}
    levels = {c: ("未达成" if c in weak else "达成") for c in LEAVES}
    scores = {c: (0.6 if c in weak else 1.0) * weights[c] for c in LEAVES}
    res = score_exante(sheet("A", levels, scores),
                       pd.DataFrame({"project": ["A"], "amount": [1e6]}), CONFIG).results
    assert not res["below_floor"].iat[0] and res["outcome"].iat[0] == "支持"


def test_proposed_amount_sets_the_cut_of_an_adjusted_request():
    res = score_exante(sheet("A", "部分达成"), pd.DataFrame({"project": ["A"], "amount": [1e6]}),
                       CONFIG, proposals=pd.DataFrame({"project": ["A"],
                                                       "proposed_amount": [750_000]})).results
    assert res["cut"].iat[0] == 250_000 and res["approved_amount"].iat[0] == 750_000


def test_random_sheets_match_a_hand_computation():
    rng = np.random.default_rng(7)
    weights = leaf_weight()
    share = {"达成": 0.9, "部分达成": 0.7, "未达成": 0.3}
    parents = {leaf.code: FRAMEWORK.path(leaf.code)[0].name for leaf in FRAMEWORK.leaves()}
    frames, amounts = [], {}
    for k in range(40):
        levels = dict(zip(LEAVES, rng.choice(list(share), size=len(LEAVES),
                                             p=[0.6, 0.3, 0.1]), strict=True))
        frames.append(sheet(f"P{k}", levels))
        amounts[f"P{k}"] = float(rng.integers(5, 500)) * 10_000 + 50
    res = score_exante(pd.concat(frames), pd.DataFrame({"project": list(amounts),
                                                        "amount": list(amounts.values())}),
                       CONFIG).results.set_index("project")
    for frame in frames:
        p = frame["project"].iat[0]
        points = {c: weights[c] * share[lvl] for c, lvl in zip(frame["indicator"], frame["level"],
                                                                strict=True)}
        total = float(Decimal(str(sum(points.values()))).quantize(Decimal("0.01"), ROUND_HALF_UP))
        dims: dict[str, float] = {}
        for c, v in points.items():
            dims[parents[c]] = dims.get(parents[c], 0.0) + v
        outcome = "支持" if total >= 80 else "调整后支持" if total >= 60 else "不予支持"
        if outcome == "支持" and any(v < 0.6 * 20 for v in dims.values()):
            outcome = "调整后支持"
        cut = {"支持": 0.0, "不予支持": amounts[p],
               "调整后支持": float((Decimal(str(amounts[p])) * Decimal("0.1") / 100).quantize(
                   Decimal("1"), ROUND_HALF_UP) * 100)}[outcome]
        assert res.loc[p, "total"] == pytest.approx(total)
        assert res.loc[p, "outcome"] == outcome
        assert res.loc[p, "cut"] == pytest.approx(cut)


def test_unknown_point_duplicate_and_missing_points_are_refused():
    good = sheet("A", "达成")
    asked = pd.DataFrame({"project": ["A"], "amount": [1e6]})
    bad = good.copy()
    bad.loc[3, "indicator"] = "XX99"
    with pytest.raises(InputError) as err:
        score_exante(bad, asked, CONFIG)
    assert err.value.location.row == 4 and err.value.location.column == "indicator"
    with pytest.raises(InputError) as err:
        score_exante(pd.concat([good, good.iloc[[0]]]), asked, CONFIG)
    assert err.value.location.row == len(good) + 1
    with pytest.raises(InputError, match="BY0101"):
        score_exante(good.iloc[1:], asked, CONFIG)
    with pytest.raises(InputError, match="没有预算申请"):
        score_exante(good, pd.DataFrame({"project": ["B"], "amount": [1e6]}), CONFIG)


def test_manual_score_outside_its_band_is_refused():
    with pytest.raises(InputError):
        score_exante(sheet("A", "部分达成", {LEAVES[0]: 4.5}),
                     pd.DataFrame({"project": ["A"], "amount": [1e6]}), CONFIG)


def test_docstring_examples_run():
    assert doctest.testmod(exante_module).failed == 0
