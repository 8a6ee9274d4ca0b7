"""Expert authority (review/delphi_authority.py) against a published table of answer counts."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import review.delphi_authority as authority_module
from indicators.errors import InputError
from review.delphi_authority import (
    AuthorityTable,
    authority_coefficients,
    authority_table,
    available_authority_tables,
)


def _panel(theory, practice, literature, intuition, familiarity):
    """16 experts' answers from the counts of 大/中/小 per basis and of each familiarity."""
    def column(counts):
        return np.repeat(["大", "中", "小"], counts)

    basis = pd.DataFrame({"理论分析": column(theory), "实践经验": column(practice),
                          "参考国内外文献": column(literature), "直觉": column(intuition)})
    fam = pd.Series(np.repeat(["很熟悉", "熟悉", "一般", "不熟悉", "很不熟悉"], familiarity))
    return basis, fam


class TestPublishedCounts:
    # A BMJ Open Delphi study of 16 experts prints, under its Table 4 (expert authority
    # coefficients), the counts behind Ca and Cs with the coefficients of the zeng1994 table:
    # round 1, Ca = (16×0.5 + 7×0.3 + 9×0.2 + 3×0.1 + 11×0.1 + 2×0.1 + 2×0.1 + 8×0.1 + 6×0.1)/16
    # = 0.944, Cs = (1×1 + 12×0.8 + 3×0.6)/16 = 0.775, Cr = 0.860; round 2, Cs = (3×1 + 12×0.8
    # + 1×0.6)/16 = 0.825. (Its round-2 Ca, printed 0.963, does not follow from its own counts,
    # which give 15.3/16 = 0.956, so only round 2's Cs is checked.)
    def test_round_one(self):
        basis, fam = _panel([7, 9, 0], [16, 0, 0], [3, 11, 2], [2, 8, 6], [1, 12, 3, 0, 0])
        result = authority_coefficients(basis, fam)
        assert round(result.ca, 3) == 0.944
        assert round(result.cs, 3) == 0.775
        assert abs(result.cr - 0.860) <= 0.001  # printed from the rounded Ca and Cs
        assert result.n_experts == 16 and result.table == "zeng1994"

    def test_round_two_familiarity(self):
        basis, fam = _panel([9, 7, 0], [16, 0, 0], [5, 10, 1], [5, 8, 3], [3, 12, 1, 0, 0])
        result = authority_coefficients(basis, fam)
        assert round(result.cs, 3) == 0.825
        assert result.ca == pytest.approx(15.3 / 16)


class TestAnswers:
    def test_aliases_and_numbers_are_read_as_the_table_says(self):
        basis = pd.DataFrame({"theory": ["high", 0.2], "practical experience": ["大", "low"],
                              "文献": ["小", "中"], "直观感觉": ["medium", "小"]},
                             index=["a", "b"])
        result = authority_coefficients(basis, {"a": "非常熟悉", "b": 0.6})
        assert result.experts["ca"].tolist() == pytest.approx([0.3 + 0.5 + 0.1 + 0.1,
                                                               0.2 + 0.3 + 0.1 + 0.1])
        assert result.experts["cs"].tolist() == pytest.approx([1.0, 0.6])
        assert result.experts["authoritative"].tolist() == [True, False]
        assert result.share_authoritative == 0.5

    def test_a_blank_answer_leaves_the_expert_out_of_the_panel_mean(self):
        basis = pd.DataFrame({"理论分析": ["大", None], "实践经验": ["大", "大"],
                              "参考国内外文献": ["中", "中"], "直觉": ["小", "小"]},
                             index=["a", "b"])
        result = authority_coefficients(basis, {"a": "熟悉", "b": "熟悉"})
        assert np.isnan(result.experts.loc["b", "cr"])
        assert result.n_experts == 1 and result.cr == pytest.approx((1.0 + 0.8) / 2)
        assert "1 experts with complete answers of 2" in result.method

    def test_unknown_wording_and_missing_basis_are_refused(self):
        basis = pd.DataFrame({"理论分析": ["很大"], "实践经验": ["大"], "参考国内外文献": ["中"],
                              "直觉": ["小"]}, index=["a"])
        with pytest.raises(InputError) as err:
            authority_coefficients(basis, {"a": "熟悉"})
        assert err.value.location.column == "理论分析" and err.value.location.row == 1
        with pytest.raises(InputError, match="直觉"):
            authority_coefficients(basis.drop(columns="直觉").replace("很大", "大"), {"a": "熟悉"})

    def test_the_zero_floor_variant_and_a_table_of_ones_own(self):
        basis = pd.DataFrame({"理论分析": ["小"], "实践经验": ["小"], "参考国内外文献": ["小"],
                              "直觉": ["小"]}, index=["a"])
        zero = authority_coefficients(basis, {"a": "很不熟悉"}, table="zeng1994_zero_floor")
        assert zero.cs == 0.0 and zero.ca == pytest.approx(0.6)
        own = AuthorityTable("own", "自定", "test", 0.8, {"经验": {"大": 0.8, "小": 0.4}},
                             {"熟": 1.0, "生": 0.0})
        result = authority_coefficients(pd.DataFrame({"经验": ["大"]}, index=["a"]),
                                        {"a": "熟"}, table=own)
        assert result.cr == pytest.approx(0.9) and result.threshold == 0.8

    def test_shipped_tables_carry_their_source(self):
        assert available_authority_tables() == ["zeng1994", "zeng1994_zero_floor"]
        table = authority_table()
        assert "曾光" in table.source and table.threshold == 0.7
        assert sum(levels["大"] for levels in table.basis.values()) == pytest.approx(1.0)
        assert list(table.familiarity.values()) == [1.0, 0.8, 0.6, 0.4, 0.2]
        with pytest.raises(InputError):
            authority_table("nope")


def test_docstring_examples_run():
    assert doctest.testmod(authority_module).failed == 0
