"""Tests of scoring.pefa: M1 (weakest link) and M2 (averaging) aggregation of dimension scores.

M1 follows the rule of PEFA Secretariat (2016), *Framework for assessing public financial
management*, section 2.2 ("Scoring of indicators with multiple dimensions"): the overall score is
the lowest dimension score, with "+" where any other dimension scores higher. The M2 rows for two
dimensions are the arithmetic mean on A=4 … D=1 with "+" for a half step; the shipped three- and
four-dimension rows follow the rule the PEFA training material describes (mean + 0.33 or + 0.25,
then the half grade at or below) and are checked here against that rule and the properties any
averaging table must have (order-free, monotone, between the lowest and highest dimension).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import InputError
from scoring.pefa import load_pefa_m2, pefa_scores

ORDER = ("D", "D+", "C", "C+", "B", "B+", "A")
VALUE = {"A": 4, "B": 3, "C": 2, "D": 1}


def one(dims: list[str], method: str) -> str:
    return pefa_scores([dims], method).scores["score"].iat[0]


@pytest.mark.parametrize(
    ("dims", "expected"),
    [
        (["C", "B", "A"], "C+"),    # lowest C, others higher
        (["B", "B"], "B"),          # no other dimension higher: no "+"
        (["D", "A", "A", "A"], "D+"),
        (["A", "A", "A"], "A"),
        (["B", "C", "C"], "C+"),
        (["D*", "C"], "D+"),        # D* aggregates as D
        (["D*", "D"], "D"),
        (["B"], "B"),               # one dimension keeps its score
    ],
)
def test_m1_weakest_link(dims: list[str], expected: str) -> None:
    assert one(dims, "M1") == expected


@pytest.mark.parametrize(
    ("dims", "expected"),
    [(["D", "D"], "D"), (["D", "C"], "D+"), (["D", "B"], "C"), (["D", "A"], "C+"),
     (["C", "C"], "C"), (["C", "B"], "C+"), (["C", "A"], "B"), (["B", "B"], "B"),
     (["B", "A"], "B+"), (["A", "A"], "A")],
)
def test_m2_two_dimensions_is_the_half_step_mean(dims: list[str], expected: str) -> None:
    assert one(dims, "M2") == expected
    assert one(list(reversed(dims)), "AV") == expected


def test_m2_rows_follow_the_documented_rule() -> None:
    adjust = {2: 0.0, 3: 1 / 3, 4: 1 / 4}
    table = load_pefa_m2()
    for n in (2, 3, 4):
        for combo in itertools.combinations_with_replacement(range(1, 5), n):
            halves = int((sum(combo) / n + adjust[n]) * 2 + 1e-9)  # half grades at or below
            assert table.rows[combo] == ORDER[halves - 2], combo


def test_m2_table_is_monotone_and_between_the_extremes() -> None:
    table = load_pefa_m2()
    for combo, score in table.rows.items():
        rank = ORDER.index(score)
        assert ORDER.index(_plain(min(combo))) <= rank <= ORDER.index(_plain(max(combo)))
        for i in range(len(combo)):
            if combo[i] < 4:
                raised = tuple(sorted((*combo[:i], combo[i] + 1, *combo[i + 1:])))
                assert ORDER.index(table.rows[raised]) >= rank, (combo, raised)


def _plain(value: int) -> str:
    return "DCBA"[value - 1]


def test_table_records_its_source_and_verification_status() -> None:
    table = load_pefa_m2()
    assert "PEFA" in table.source and "2016" in table.source
    assert "not yet been compared" in table.verification
    r = pefa_scores([["A", "B"]], "M2")
    assert (r.table_name, r.table_version) == ("pefa2016_m2", "2016.1")


def test_na_dimensions_are_left_out_and_nr_propagates() -> None:
    r = pefa_scores([["A", "NA", "C"], ["NA", "NA"], ["B", "NR"], ["A", "", None]],
                    ["M1", "M1", "M2", "M2"])
    assert r.scores["score"].tolist() == ["C+", "NA", "NR", "A"]
    assert r.scores["n_dimensions"].tolist() == [2, 0, 1, 1]


def test_ragged_rows_names_and_methods_per_indicator() -> None:
    r = pefa_scores([["B", "A", "C"], ["B", "A", "C"], ["D"]], ["WL", "AV", "M2"],
                    indicators=["PI-11", "PI-14", "PI-16"])
    assert r.scores.set_index("indicator")["score"].to_dict() == \
        {"PI-11": "C+", "PI-14": "B", "PI-16": "D"}
    assert r.scores["method"].tolist() == ["M1", "M2", "M2"]


@pytest.mark.parametrize(
    ("dims", "method"),
    [([["A", "E"]], "M1"), ([["A", "B"]], "M3"), ([["A", "B", "C", "D", "A"]], "M1")],
)
def test_bad_input_is_an_error(dims: list[list[str]], method: str) -> None:
    with pytest.raises(InputError):
        pefa_scores(dims, method)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4))
def test_m1_never_above_m2_and_order_free(dims: list[str]) -> None:
    m1, m2 = one(dims, "M1"), one(dims, "M2")
    assert ORDER.index(m1) <= ORDER.index(m2)
    assert one(sorted(dims), "M2") == m2
    lowest = min(VALUE[d] for d in dims)
    assert m1.rstrip("+") == _plain(lowest)
