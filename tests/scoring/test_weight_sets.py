"""Tests of scoring.weight_sets: Saaty's scale in words, reciprocal matrices, weights into drafts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.errors import ImmutableVersionError, InputError
from indicators.frameworks import load_builtin
from indicators.model import Indicator, LibraryVersion
from indicators.validate import check_library
from indicators.versioning import start_draft
from scoring.ahp import priorities
from scoring.weight_sets import (
    SCALE_VALUES,
    apply_priorities,
    judgment_matrix,
    scale_key,
    scale_text,
    split_weight,
)


def test_scale_has_the_seventeen_values_of_saaty():
    # Saaty (1980), Table 1.1: 1–9 and their reciprocals.
    assert len(SCALE_VALUES) == 17 and SCALE_VALUES[0] == 9 and SCALE_VALUES[-1] == 1 / 9
    assert [scale_key(v) for v in (1.0, 3.0, 1 / 3, 8.0)] == [
        ("scoring.saaty.1", False), ("scoring.saaty.3", False), ("scoring.saaty.3", True),
        ("scoring.saaty.8", False)]
    assert [scale_text(v) for v in (9.0, 1 / 9, 1.0)] == ["9", "1/9", "1"]
    with pytest.raises(InputError):
        scale_key(2.5)


def test_judgment_matrix_is_reciprocal_with_gaps():
    a = judgment_matrix(4, {(0, 1): 3.0, (0, 3): 1 / 5, (2, 3): 7.0})
    assert a[1, 0] == pytest.approx(1 / 3) and a[3, 0] == 5.0 and a[3, 2] == pytest.approx(1 / 7)
    assert np.isnan(a[0, 2]) and np.isnan(a[1, 3]) and (np.diag(a) == 1).all()
    with pytest.raises(InputError):
        judgment_matrix(3, {(1, 0): 2.0})
    with pytest.raises(InputError):
        judgment_matrix(3, {(0, 1): 0.0})


@given(st.floats(0, 1000, allow_nan=False),
       st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=12)
       .filter(lambda s: sum(s) > 1e-3))
def test_split_weight_adds_up_exactly_and_stays_near_the_shares(total, shares):
    parts = split_weight(total, shares)
    cents = round(total * 100)
    assert round(sum(parts) * 100) == cents
    exact = np.asarray(shares) / sum(shares) * cents / 100
    assert np.all(np.abs(np.asarray(parts) - exact) <= 0.01 + 1e-9)


def test_apply_priorities_rescales_subtrees_and_keeps_the_tree_valid():
    draft = start_draft(load_builtin("national-target"), author="王")
    top = [ind.code for ind in draft.children(None)]
    res = priorities(judgment_matrix(4, {(0, 1): 1 / 4, (0, 2): 1 / 2, (0, 3): 1.0,
                                         (1, 2): 2.0, (1, 3): 4.0, (2, 3): 2.0}))
    new = apply_priorities(draft, None, dict(zip(top, res.weights, strict=True)), result=res,
                           author="王")
    weights = {ind.code: ind.weight for ind in new.children(None)}
    # A consistent 1:4:2:1 matrix gives priorities 1/8, 4/8, 2/8, 1/8 of the top's 100.
    assert weights == {"YS": 12.5, "CC": 50.0, "XY": 25.0, "MY": 12.5}
    # 效益 went from 30 to 25: its children keep their shares of it.
    old_children = [c.weight for c in draft.children("XY")]
    new_children = [c.weight for c in new.children("XY")]
    assert sum(new_children) == pytest.approx(25.0)
    np.testing.assert_allclose(np.array(new_children) / 25.0, np.array(old_children) / 30.0,
                               atol=0.01 / 25)
    assert "CR = 0.0000" in new.changelog[-1].text and new.changelog[-1].author == "王"
    check_library(new)


def test_apply_priorities_names_what_is_wrong():
    draft = LibraryVersion("demo", "0.1.0", "示例", "target", (
        Indicator("A", "产出", 1, weight=60), Indicator("B", "效益", 1, weight=40)))
    with pytest.raises(InputError, match="children"):
        apply_priorities(draft, None, {"A": 1.0})
    published = load_builtin("national-target")
    with pytest.raises(ImmutableVersionError):
        apply_priorities(published, None, {c.code: 1.0 for c in published.children(None)})
    unweighted = LibraryVersion("demo", "0.1.0", "示例", "catalogue", (
        Indicator("A", "产出", 1), Indicator("B", "效益", 1)))
    # Without weights, the first level shares 100.
    assert [i.weight for i in apply_priorities(unweighted, None, {"A": 3, "B": 1}).indicators] \
        == [75.0, 25.0]
