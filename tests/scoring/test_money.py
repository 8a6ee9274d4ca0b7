"""Tests of money rounding and 万元 formatting (scoring/money.py)."""

from __future__ import annotations

import doctest
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import scoring.money as money_module
from indicators.errors import InputError
from scoring.money import format_wan, round_money


def test_reference_county_amounts_print_as_in_its_report():
    # 开江县 2021: 追减预算204万元; 调整…250.85万元; 调减资金273.97万元.
    assert [format_wan(x) for x in (2_040_000, 2_508_500, 2_739_700)] == ["204", "250.85", "273.97"]


def test_halves_round_away_from_zero():
    assert round_money([150, 250, -150, 149.999], 100).tolist() == [200, 300, -200, 100]


@given(st.integers(min_value=0, max_value=10**10))
def test_rounding_matches_decimal_on_whole_fen(fen):
    yuan = fen / 100
    expected = float((Decimal(fen) / 10000).quantize(Decimal("1"), ROUND_HALF_UP) * 100)
    assert round_money([yuan], 100)[0] == pytest.approx(expected)


def test_non_positive_unit_is_refused():
    with pytest.raises(InputError):
        round_money([1.0], 0)
    assert np.isnan(round_money([np.nan], 100)[0])


def test_docstring_examples_run():
    assert doctest.testmod(money_module).failed == 0
