"""Delphi round statistics (review/delphi.py): hand-computed moments, W against Friedman's test."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import review.delphi as delphi_module
from indicators.errors import InputError
from review.delphi import (
    ALL_SCOPE,
    concordance,
    indicator_statistics,
    ratings_frame,
    response_rate,
    round_statistics,
)


def _from_counts(counts: dict[str, list[int]]) -> pd.DataFrame:
    """An experts × indicators table from per-indicator counts of the ratings 5, 4, 3, 2, 1.

    Each column is filled independently (its order of experts is irrelevant to the
    per-indicator statistics).
    """
    return pd.DataFrame({code: np.repeat([5.0, 4.0, 3.0, 2.0, 1.0], n)
                         for code, n in counts.items()})


# A 33-expert teaching example of a Delphi course-selection survey: numbers of experts giving
# 5, 4, 3, 2, 1 points to four courses (思想政治理论, 公共英语, 卫生政策学, 卫生法律与法规).
COURSES = {"思想政治理论": [10, 12, 9, 2, 0], "公共英语": [20, 11, 1, 1, 0],
           "卫生政策学": [9, 17, 7, 0, 0], "卫生法律与法规": [13, 14, 5, 1, 0]}


class TestIndicatorStatistics:
    def test_moments_match_a_hand_computation_from_counts(self):
        table = indicator_statistics(_from_counts(COURSES))
        # 思想政治理论 by hand: Σx = 50 + 48 + 27 + 4 = 129, Σx² = 250 + 192 + 81 + 8 = 531,
        # mean = 129/33, s² = (531 − 129²/33)/32, full-score ratio = 10/33.
        mean = 129 / 33
        sd = np.sqrt((531 - 129**2 / 33) / 32)
        row = table.loc["思想政治理论"]
        assert row["n"] == 33
        assert row["mean"] == pytest.approx(mean) and round(row["mean"], 2) == 3.91
        assert row["sd"] == pytest.approx(sd) and round(row["sd"], 2) == 0.91
        assert row["cv"] == pytest.approx(sd / mean) and round(row["cv"], 3) == 0.234
        assert row["full_score_ratio"] == pytest.approx(10 / 33)
        # 公共英语: Σx = 100 + 44 + 3 + 2 = 149, Σx² = 500 + 176 + 9 + 4 = 689.
        english = table.loc["公共英语"]
        assert english["mean"] == pytest.approx(149 / 33)
        assert english["sd"] == pytest.approx(np.sqrt((689 - 149**2 / 33) / 32))
        assert english["full_score_ratio"] == pytest.approx(20 / 33)

    def test_rank_sum_ranks_each_experts_ratings_highest_first(self):
        ratings = pd.DataFrame({"A": [5, 4, 5], "B": [3, 4, 4], "C": [1, 2, 4]},
                               index=["甲", "乙", "丙"])
        table = indicator_statistics(ratings)
        # 甲: A1 B2 C3; 乙: A and B tie for 1-2 (1.5 each), C3; 丙: A1, B and C tie (2.5 each).
        assert table["rank_sum"].tolist() == [1 + 1.5 + 1, 2 + 1.5 + 2.5, 3 + 3 + 2.5]
        assert table["mean_rank"].tolist() == pytest.approx([3.5 / 3, 6 / 3, 8.5 / 3])

    def test_blank_ratings_are_left_out_of_each_indicator(self):
        ratings = pd.DataFrame({"A": [5, np.nan, 3], "B": [4, 4, 4]})
        table = indicator_statistics(ratings)
        assert table.loc["A", "n"] == 2 and table.loc["A", "mean"] == 4.0
        assert table.loc["A", "full_score_ratio"] == 0.5
        assert table.loc["B", "sd"] == 0.0 and table.loc["B", "cv"] == 0.0

    def test_other_scales_use_their_top_as_the_full_score(self):
        table = indicator_statistics([[9, 7], [9, 9], [8, 9]], scale=(1, 9))
        assert table["full_score_ratio"].tolist() == pytest.approx([2 / 3, 2 / 3])

    def test_ratings_off_the_scale_are_refused_by_place(self):
        with pytest.raises(InputError) as err:
            ratings_frame(pd.DataFrame({"A1": [5, 4], "A2": [3, 6]}, index=["张", "王"]))
        assert err.value.location.row == 2 and err.value.location.column == "A2"
        assert "王" in err.value.zh
        with pytest.raises(InputError):
            ratings_frame([[5, "很重要"]])
        with pytest.raises(InputError, match="no expert rated"):
            ratings_frame(pd.DataFrame({"A1": [5, 4], "A2": [np.nan, np.nan]}))


class TestConcordance:
    @settings(max_examples=40, deadline=None)
    @given(st.integers(3, 12), st.integers(3, 9), st.integers(0, 10_000))
    def test_w_equals_friedman_chi2_over_m_n_minus_1(self, m, n, seed):
        # Friedman's χ² with the tie correction (scipy) is m(n − 1)W (Siegel & Castellan
        # 1988, §7.2 and §9.4): an independent route to the same coefficient and p-value.
        rng = np.random.default_rng(seed)
        ratings = rng.integers(1, 6, size=(m, n)).astype(float)
        ratings[:, 0] = 5.0  # at least one column differs, so not every expert ties all
        ratings[0, 1] = 1.0
        row = concordance(ratings).iloc[0]
        chi2, p = stats.friedmanchisquare(*ratings.T)
        assert row["chi2"] == pytest.approx(chi2)
        assert row["w"] == pytest.approx(chi2 / (m * (n - 1)))
        assert row["p_value"] == pytest.approx(p)
        assert row["df"] == n - 1 and row["n_experts"] == m

    def test_w_by_hand_without_ties(self):
        # Three experts ranking four indicators in the same order: W = 1, χ² = 3 × 3 × 1.
        ratings = [[5, 4, 3, 2], [5, 4, 3, 1], [4, 3, 2, 1]]
        row = concordance(ratings).iloc[0]
        assert row["w"] == pytest.approx(1.0) and row["chi2"] == pytest.approx(9.0)

    def test_groups_get_their_own_rows_and_an_undefined_w_is_a_note(self):
        ratings = pd.DataFrame({"A1": [5, 4, 5], "A2": [3, 4, 2], "B1": [4, 4, 4]})
        table = concordance(ratings, groups={"A1": "决策", "A2": "决策", "B1": "过程"})
        assert table["scope"].tolist() == [ALL_SCOPE, "决策", "过程"]
        assert table.loc[1, "w"] == pytest.approx(
            concordance(ratings[["A1", "A2"]]).loc[0, "w"])
        assert np.isnan(table.loc[2, "w"]) and "2" in table.loc[2, "note"]

    def test_experts_with_a_blank_are_dropped_like_spss_listwise(self):
        ratings = pd.DataFrame({"A": [5, 4, 5, 3], "B": [3, 4, 2, np.nan], "C": [1, 2, 4, 2]})
        row = concordance(ratings).iloc[0]
        assert row["n_experts"] == 3
        assert row["w"] == pytest.approx(concordance(ratings.iloc[:3]).loc[0, "w"])


class TestRound:
    def test_response_rate_counts_blank_rows_as_non_response(self):
        ratings = pd.DataFrame({"A": [5, 4, np.nan, 4], "B": [4, 4, np.nan, 3]},
                               index=["E1", "E2", "E3", "E4"])
        r = round_statistics(ratings, label="第2轮")
        assert (r.invited, r.responded) == (4, 3) and r.response_rate == 0.75
        assert list(r.ratings.index) == ["E1", "E2", "E4"] and r.label == "第2轮"
        assert round_statistics(ratings, invited=5).response_rate == 3 / 5

    def test_response_rate_refuses_impossible_counts(self):
        assert response_rate(18, 18) == 1.0
        with pytest.raises(InputError):
            response_rate(10, 11)
        with pytest.raises(InputError):
            response_rate(0, 0)

    def test_authority_for_the_experts_who_responded(self):
        ratings = pd.DataFrame({"A": [5, 4, np.nan], "B": [4, 4, np.nan]},
                               index=["张", "王", "李"])
        basis = pd.DataFrame({"理论分析": ["大", "中", "小"], "实践经验": ["大", "大", "小"],
                              "参考国内外文献": ["中", "中", "小"], "直觉": ["小", "小", "小"]},
                             index=["张", "王", "李"])
        r = round_statistics(ratings, basis=basis,
                             familiarity={"张": "很熟悉", "王": "熟悉", "李": "很不熟悉"})
        assert r.authority is not None and r.authority.n_experts == 2
        # 张: Ca = 0.3 + 0.5 + 0.1 + 0.1 = 1.0, Cs = 1.0; 王: Ca = 0.9, Cs = 0.8.
        assert r.authority.cr == pytest.approx(((1.0 + 1.0) / 2 + (0.9 + 0.8) / 2) / 2)
        with pytest.raises(InputError):
            round_statistics(ratings, basis=basis)

    def test_groups_label_the_indicator_table(self):
        r = round_statistics(pd.DataFrame({"A1": [5, 4], "B1": [3, 4]}),
                             groups={"A1": "决策", "B1": "过程"})
        assert r.indicators["group"].tolist() == ["决策", "过程"]
        assert r.concordance["scope"].tolist()[1:] == ["决策", "过程"]


def test_docstring_examples_run():
    assert doctest.testmod(delphi_module).failed == 0
