"""Screening, the proposed draft library, feedback and paper tables (review/delphi_screen.py)."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

import review.delphi_screen as screen_module
from indicators.errors import ConflictError, InputError
from indicators.model import Indicator, LibraryVersion, Status
from review.delphi import round_statistics
from review.delphi_screen import group_feedback, paper_tables, proposed_library, screen

AT = datetime(2024, 5, 6, tzinfo=UTC)
IMPORTANT = [0.0, 0.02, 0.08, 0.35, 0.55]  # P(rating = 1 … 5)
UNIMPORTANT = [0.15, 0.35, 0.3, 0.15, 0.05]


def planted_panel(seed: int, experts: int = 18) -> pd.DataFrame:
    """18 experts rating 12 indicators; B2 and C3 are planted as unimportant."""
    rng = np.random.default_rng(seed)
    codes = ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3", "C4", "D1", "D2"]
    return pd.DataFrame({c: rng.choice(np.arange(1, 6), size=experts,
                                       p=UNIMPORTANT if c in ("B2", "C3") else IMPORTANT)
                         for c in codes}, index=[f"E{i + 1}" for i in range(experts)])


def library(status: str = "published") -> LibraryVersion:
    leaves = [("A", ["A1", "A2", "A3"]), ("B", ["B1", "B2", "B3"]), ("C", ["C1", "C2", "C3", "C4"]),
              ("D", ["D1", "D2"])]
    items = []
    for parent, children in leaves:
        items.append(Indicator(parent, f"一级{parent}", 1))
        items += [Indicator(c, f"指标{c}", 2, parent=parent) for c in children]
    return LibraryVersion("sector-x", "1.0.0", "某行业指标库", "catalogue", tuple(items),
                          status=status)


class TestScreening:
    @pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
    @pytest.mark.parametrize("method", ["threshold", "cutoff"])
    def test_planted_unimportant_indicators_are_dropped(self, seed, method):
        result = screen(round_statistics(planted_panel(seed)), method=method)
        assert set(result.codes("drop")) == {"B2", "C3"}
        assert "B2" not in result.codes("keep") and len(result.codes("keep")) >= 8

    def test_thresholds_include_their_bounds(self):
        stats = pd.DataFrame({"mean": [3.5, 3.49, 4.0], "cv": [0.25, 0.1, 0.2501],
                              "full_score_ratio": [0.2, 0.5, 0.5]}, index=["X", "Y", "Z"])
        result = screen(stats)
        assert result.table["decision"].tolist() == ["keep", "revise", "revise"]
        assert result.table.loc["Y", "reason_zh"] == "均值 3.490 低于界值 3.500"
        assert result.table.loc["Z", "reason_en"] == "CV 0.250 above 0.250"
        assert "full_score_ratio_ok" not in result.table
        strict = screen(stats, drop_when="any", min_full_score=0.3)
        assert strict.table["decision"].tolist() == ["drop", "drop", "drop"]
        assert strict.table.loc["X", "reason_zh"] == "满分比 0.200 低于界值 0.300"

    def test_cutoffs_are_mean_minus_and_plus_one_sd_of_the_indicators(self):
        stats = pd.DataFrame({"mean": [4.0, 4.5, 3.0, 4.1], "cv": [0.1, 0.05, 0.4, 0.12],
                              "full_score_ratio": [0.3, 0.6, 0.05, 0.35]},
                             index=["P", "Q", "R", "S"])
        result = screen(stats, method="cutoff")
        # By hand: means 4.0, 4.5, 3.0, 4.1 average 3.9 with sample SD
        # sqrt((0.01 + 0.36 + 0.81 + 0.04)/3) = sqrt(1.22/3).
        assert result.cutoffs["min_mean"] == pytest.approx(3.9 - np.sqrt(1.22 / 3))
        cv = np.array([0.1, 0.05, 0.4, 0.12])
        assert result.cutoffs["max_cv"] == pytest.approx(cv.mean() + cv.std(ddof=1))
        assert result.table["decision"].tolist() == ["keep", "keep", "drop", "keep"]
        assert result.table.loc["R", "reason_zh"].count("；") == 2

    def test_unknown_method_or_rule(self):
        stats = pd.DataFrame({"mean": [4.0], "cv": [0.1], "full_score_ratio": [0.3]})
        with pytest.raises(InputError):
            screen(stats, method="median")
        with pytest.raises(InputError):
            screen(stats, drop_when="some")


class TestProposedLibrary:
    def test_draft_holds_exactly_the_kept_indicators_and_cites_the_round(self):
        base = library()
        rnd = round_statistics(planted_panel(1), label="第1轮")
        result = screen(rnd)
        draft = proposed_library(base, result, author="陈博士", at=AT)
        kept = {c for c in rnd.indicators.index if c not in ("B2", "C3")}
        leaves = {ind.code for ind in draft.indicators if ind.level == 2}
        assert leaves == kept
        assert {ind.code for ind in draft.indicators if ind.level == 1} == {"A", "B", "C", "D"}
        assert draft.status is Status.DRAFT and draft.based_on == "sector-x@1.0.0"
        assert draft.version == "1.1.0"
        line = draft.changelog[-1]
        assert "德尔菲第1轮筛选" in line.text and "删除 B2、C3" in line.text
        assert "Delphi 第1轮 screening (threshold): removed B2, C3" in line.text
        assert line.author == "陈博士" and line.date == "2024-05-06" and line.version == "1.1.0"
        assert len(base.indicators) == 16  # the published base is untouched

    def test_revisions_are_kept_and_listed_and_overrides_win(self):
        stats = pd.DataFrame({"mean": [4.5, 3.2, 4.4], "cv": [0.1, 0.2, 0.1],
                              "full_score_ratio": [0.6, 0.2, 0.5]}, index=["A1", "A2", "A3"])
        result = screen(stats, round_label="第2轮")
        draft = proposed_library(library(), result, at=AT)
        assert "A2" in draft.by_code and "待修改 A2" in draft.changelog[-1].text
        decided = proposed_library(library(), result, at=AT, overrides={"A2": "drop"})
        assert "A2" not in decided.by_code and "删除 A2" in decided.changelog[-1].text
        with pytest.raises(InputError):
            proposed_library(library(), result, overrides={"A2": "maybe"})

    def test_a_dropped_parent_takes_its_subtree_unless_a_child_is_kept(self):
        stats = pd.DataFrame({"mean": [2.0, 2.5, 2.4, 2.1], "cv": [0.5, 0.5, 0.5, 0.5],
                              "full_score_ratio": [0.0] * 4}, index=["D", "D1", "D2", "A1"])
        draft = proposed_library(library(), screen(stats), "第1轮", at=AT)
        assert not {"D", "D1", "D2", "A1"} & set(draft.by_code)
        # Keeping D2 leaves its parent D needed, so dropping D is refused.
        with pytest.raises(ConflictError, match="D2"):
            proposed_library(library(), screen(stats), "第1轮", overrides={"D2": "keep"})

    def test_a_draft_is_edited_in_place_and_unknown_codes_are_refused(self):
        draft = library(status="draft")
        stats = pd.DataFrame({"mean": [2.0], "cv": [0.5], "full_score_ratio": [0.0]},
                             index=["B3"])
        edited = proposed_library(draft, screen(stats), "第3轮", at=AT)
        assert edited.version == "1.0.0" and "B3" not in edited.by_code
        with pytest.raises(InputError, match="Z9"):
            proposed_library(draft, screen(stats.rename(index={"B3": "Z9"})), "第3轮")


class TestFeedback:
    def test_each_expert_sees_own_rating_beside_the_group(self):
        ratings = pd.DataFrame({"A1": [5, 3, 4], "A2": [4, np.nan, 2]}, index=["张", "王", "李"])
        fb = group_feedback(round_statistics(ratings, label="第1轮"))
        assert fb.round_label == "第1轮"
        assert fb.group.loc["A1", "mean"] == 4.0 and fb.group.loc["A2", "median"] == 3.0
        rows = fb.by_expert.set_index(["expert", "indicator"])
        assert rows.loc[("张", "A1"), "own_rating"] == 5.0
        assert rows.loc[("张", "A1"), "difference"] == 1.0
        assert np.isnan(rows.loc[("王", "A2"), "own_rating"])
        assert rows.loc[("王", "A2"), "group_mean"] == 3.0
        assert len(fb.by_expert) == 6


class TestPaperTables:
    def test_two_rounds_side_by_side(self):
        r1 = round_statistics(planted_panel(1), label="第1轮", invited=20,
                              groups={c: c[0] for c in planted_panel(1).columns})
        r2 = round_statistics(planted_panel(2).drop(columns=["B2", "C3"]), label="第2轮",
                              groups={c: c[0] for c in planted_panel(2).columns})
        profile = pd.DataFrame({"性别": ["男"] * 10 + ["女"] * 8,
                                "职称": ["正高"] * 6 + ["副高"] * 12})
        tables = paper_tables([r1, r2], experts=profile, screening=screen(r2),
                              names={"A1": "立项依据充分性"})
        assert list(tables) == ["专家基本情况", "积极系数", "权威系数", "指标得分", "协调系数"]
        assert tables["积极系数"]["积极系数(%)"].tolist() == [90.0, 100.0]
        people = tables["专家基本情况"].set_index(["项目", "类别"])
        assert people.loc[("性别", "女"), "人数"] == 8
        assert people.loc[("职称", "副高"), "构成比(%)"] == pytest.approx(66.67)
        scores = tables["指标得分"].set_index("指标")
        assert scores.loc["A1", "指标名称"] == "立项依据充分性"
        assert scores.loc["A1", "第1轮 均值"] == round(r1.indicators.loc["A1", "mean"], 2)
        assert np.isnan(scores.loc["B2", "第2轮 均值"]) and scores.loc["A1", "筛选结果"] == "保留"
        w = tables["协调系数"]
        assert w["轮次"].tolist().count("第1轮") == 5 and w.loc[0, "P"] == "<0.001"
        assert tables["权威系数"].empty

    def test_one_round_has_plain_column_names(self):
        r = round_statistics(planted_panel(3), label="第1轮")
        scores = paper_tables(r)["指标得分"]
        assert {"均值", "标准差", "变异系数", "满分比"} <= set(scores.columns)
        with pytest.raises(InputError):
            paper_tables([])


def test_docstring_examples_run():
    assert doctest.testmod(screen_module).failed == 0
