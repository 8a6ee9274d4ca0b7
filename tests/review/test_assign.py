"""Automatic assignment: k raters per report, balanced load, no conflict of interest, seeded."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import InputError
from review.assign import assign_reports, conflict_mask

DEPARTMENTS = ["县教育局", "县水务局", "县林业局", "县民政局"]


def test_conflict_mask_compares_trimmed_names_and_ignores_empty_departments() -> None:
    mask = conflict_mask(["县教育局 ", "县水务局", ""], ["县教育局", "", None, " 县水务局"])
    assert mask.tolist() == [[True, False, False, False],
                             [False, False, False, True],
                             [False, False, False, False]]


@settings(max_examples=25, deadline=None)
@given(n_reports=st.integers(1, 12), n_raters=st.integers(2, 9), k=st.integers(1, 4),
       seed=st.integers(0, 1000), data=st.data())
def test_every_report_gets_k_raters_without_conflicts_and_loads_within_one(
        n_reports: int, n_raters: int, k: int, seed: int, data: st.DataObject) -> None:
    k = min(k, n_raters - 1)
    reports = data.draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=n_reports,
                                 max_size=n_reports))
    # At most one rater per department, so each report has at least n_raters - 1 eligible.
    raters = data.draw(st.lists(st.sampled_from(DEPARTMENTS + [""] * 4), min_size=n_raters,
                                max_size=n_raters))
    seen: set[str] = set()
    raters = [d if d and d not in seen and not seen.add(d) else "" for d in raters]
    plan = assign_reports(reports, raters, k, seed=seed)
    conflicts = conflict_mask(reports, raters)
    assert (plan.matrix.sum(axis=1) == k).all()
    assert not (plan.matrix & conflicts).any()
    assert plan.loads.sum() == n_reports * k
    # Balance within one is attainable when every rater may take a full share.
    share = -(-n_reports * k // n_raters)
    if ((~conflicts).sum(axis=0) >= share).all():
        assert plan.spread <= 1
    assert sorted(map(tuple, plan.pairs.tolist())) == sorted(
        map(tuple, np.argwhere(plan.matrix).tolist()))


def test_loads_are_the_most_even_the_conflicts_allow_by_brute_force() -> None:
    # 4 reports × 4 raters, k = 2; rater 0 may score only reports of 甲's neighbours.
    reports = ["甲", "甲", "甲", "乙"]
    raters = ["甲", "", "乙", ""]
    plan = assign_reports(reports, raters, 2, seed=5)
    allowed = ~conflict_mask(reports, raters)
    best = None
    per_report = [[c for c in itertools.combinations(range(4), 2) if all(allowed[i, c])]
                  for i in range(4)]
    for choice in itertools.product(*per_report):
        loads = np.bincount(np.concatenate(choice), minlength=4)
        value = int((loads ** 2).sum())
        best = value if best is None else min(best, value)
    assert int((plan.loads ** 2).sum()) == best
    assert not (plan.matrix & ~allowed).any()


def test_same_seed_same_plan_and_seeds_spread_pairings() -> None:
    reports = DEPARTMENTS * 3
    raters = ["", "", "", "", "", ""]
    first = assign_reports(reports, raters, 2, seed=7)
    assert np.array_equal(first.matrix, assign_reports(reports, raters, 2, seed=7).matrix)
    plans = {assign_reports(reports, raters, 2, seed=s).matrix.tobytes() for s in range(6)}
    assert len(plans) > 1


def test_extra_mask_is_respected() -> None:
    allowed = np.ones((3, 4), dtype=bool)
    allowed[:, 0] = False
    plan = assign_reports(["", "", ""], ["", "", "", ""], 2, allowed=allowed)
    assert not plan.matrix[:, 0].any() and (plan.matrix.sum(axis=1) == 2).all()
    with pytest.raises(InputError):
        assign_reports(["", ""], ["", ""], 1, allowed=np.ones((3, 2), dtype=bool))


@pytest.mark.parametrize(("reports", "raters", "k", "needle"), [
    ([], ["", ""], 1, "no reports"),
    (["甲"], ["", ""], 0, "at least 1"),
    (["甲"], ["", ""], 3, "only 2"),
    (["乙", "甲"], ["甲", "甲", ""], 2, "report 2 has only 1"),
])
def test_infeasible_requests_say_why(reports, raters, k, needle) -> None:
    with pytest.raises(InputError) as refused:
        assign_reports(reports, raters, k)
    assert needle in refused.value.en


def test_report_labels_name_the_report_in_the_error() -> None:
    with pytest.raises(InputError) as refused:
        assign_reports(["甲"], ["甲", ""], 2, report_labels=["'水库报告' (7)"])
    assert "'水库报告' (7)" in refused.value.en and "'水库报告' (7)" in refused.value.zh
