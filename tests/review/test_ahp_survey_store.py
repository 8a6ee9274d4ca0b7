"""Group AHP surveys in the database: judgments, blindness in the store, aggregation, weights.

The store wires scoring.ahp to stored judgments, so group priorities are checked against
scoring.ahp.aggregate called directly on the members' matrices built here from TINY_JUDGMENTS
(review/ahp_survey_demo.py), and against values worked by hand where the judgments are
consistent: expert1's first level 2/4/2 gives priorities 4/7, 2/7, 1/7 with CR 0.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel

import review.ahp_survey_store
import review.delphi_tables
from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.model import Indicator, LibraryVersion, Status
from indicators.store import get_library, save_library, update_draft
from indicators.validate import check_library
from indicators.versioning import remove_indicator, start_draft
from review import store
from review.ahp_survey_demo import TINY_AHP_LIBRARY, TINY_JUDGMENTS, seed_tiny_survey
from review.ahp_survey_judgments import (
    exclusion_history,
    my_judgments,
    save_judgments,
    set_exclusion,
    submit_judgments,
)
from review.ahp_survey_results import save_weights, survey_result
from review.ahp_survey_store import (
    close_survey,
    create_survey,
    get_survey,
    invite_members,
    list_surveys,
    member_progress,
)
from scoring.ahp import aggregate, priorities
from tests.review.databases import BACKENDS, review_database

NODES = {"": ("CC", "XY", "MY"), "CC": ("CC1", "CC2", "CC3"), "XY": ("XY1", "XY2")}
EXPERTS = ("expert1", "expert2", "expert3")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def matrix(expert: str, node: str) -> np.ndarray:
    """The member's matrix at a node, built by hand from TINY_JUDGMENTS (NaN where blank)."""
    codes = NODES[node]
    a = np.eye(len(codes))
    a[~np.eye(len(codes), dtype=bool)] = np.nan
    for (x, y), value in TINY_JUDGMENTS[expert][node].items():
        i, j = codes.index(x), codes.index(y)
        a[i, j], a[j, i] = value, 1 / value
    return a


def stack(node: str, experts=EXPERTS) -> np.ndarray:
    return np.stack([matrix(e, node) for e in experts])


def test_migration_creates_exactly_the_survey_tables(engine: sa.Engine) -> None:
    assert review.delphi_tables.DelphiRoundRow.__tablename__ == "rev_delphi_round"
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in diff if "rev_ahp_" in repr(d)] == []


def test_docstring_examples_run() -> None:
    # The other survey modules' examples run in tests/test_docstrings.py.
    assert doctest.testmod(review.ahp_survey_store, optionflags=doctest.ELLIPSIS).failed == 0


@pytest.mark.parametrize("method", ["AIJ", "AIP"])
def test_group_priorities_are_the_kernels_on_the_members_matrices(engine, method) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s, answered=True)
        result = survey_result(s, survey_id=tiny.survey_id, method=method, by=tiny.staff)
    for node in result.nodes:
        want = aggregate(stack(node.key), method=method)
        np.testing.assert_allclose(node.weights.to_numpy(), want.weights, rtol=1e-9)
        np.testing.assert_allclose(node.members["weight"], [1 / 3] * 3)
        if method == "AIJ":
            assert node.group_cr == pytest.approx(float(want.group.cr))
        else:
            assert node.group_cr is None
    first = result.nodes[0].members.set_index("username")
    # expert1 is consistent: 2, 4, 2 give 4/7, 2/7, 1/7 and CR 0.
    assert first.loc["expert1", ["CC", "XY", "MY"]].tolist() == pytest.approx([4 / 7, 2 / 7,
                                                                                1 / 7])
    assert first.loc["expert1", "cr"] == pytest.approx(0, abs=1e-12)
    assert not first.loc["expert3", "acceptable"] and first.loc["expert3", "cr"] > 0.10
    crs = priorities(stack("")).cr
    np.testing.assert_allclose(first["cr"].to_numpy(dtype=float), crs)


def test_a_blank_comparison_is_completed_by_harkers_method(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s, answered=True)
        result = survey_result(s, survey_id=tiny.survey_id, by=tiny.staff)
    node = next(n for n in result.nodes if n.key == "CC").members.set_index("username")
    assert node.loc["expert3", "n_missing"] == 1 and node.loc["expert3", "answered"]
    # CC1 ≻ CC2 by 3 and CC2 ≻ CC3 by 2, CC1-CC3 blank: consistent completion 6, so the
    # priorities are 6 : 2 : 1 over 9 with CR 0 (Harker 1987).
    assert node.loc["expert3", ["CC1", "CC2", "CC3"]].tolist() == pytest.approx([6 / 9, 2 / 9,
                                                                                 1 / 9])
    assert node.loc["expert3", "cr"] == pytest.approx(0, abs=1e-9)


def test_global_weights_multiply_local_weights_down_the_tree(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s, answered=True)
        result = survey_result(s, survey_id=tiny.survey_id, by=tiny.staff)
    local, g = result.local, result.global_weights
    for parent, children in NODES.items():
        total = 100.0 if parent == "" else g[parent]
        for child in children:
            assert g[child] == pytest.approx(total * local[child])
    # 满意度 has one child, which carries all of its weight.
    assert local["MY1"] == 1.0 and g["MY1"] == pytest.approx(g["MY"])
    assert g[["CC", "XY", "MY"]].sum() == pytest.approx(100.0) and result.complete


def test_exclusions_are_recorded_with_a_reason_and_the_latest_counts(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s, answered=True)
    expert3 = tiny.members[2]
    with Session(engine) as s, s.begin():
        with pytest.raises(InputError):
            set_exclusion(s, survey_id=tiny.survey_id, user_id=expert3.user_id, node_key="",
                          excluded=True, reason=" ", by=tiny.staff)
        set_exclusion(s, survey_id=tiny.survey_id, user_id=expert3.user_id, node_key="",
                      excluded=True, reason="一致性比率 0.8，远超 0.10", by=tiny.staff)
    with Session(engine) as s:
        result = survey_result(s, survey_id=tiny.survey_id, by=tiny.staff)
    first = result.nodes[0]
    np.testing.assert_allclose(first.weights.to_numpy(),
                               aggregate(stack("", EXPERTS[:2])).weights)
    row = first.members.set_index("username").loc["expert3"]
    assert row["excluded"] and row["reason"].startswith("一致性比率") and np.isnan(row["weight"])
    # Excluded at the first level only: still counted under 产出.
    cc = next(n for n in result.nodes if n.key == "CC")
    assert not cc.members["excluded"].any()
    with Session(engine) as s, s.begin():
        set_exclusion(s, survey_id=tiny.survey_id, user_id=expert3.user_id, node_key="",
                      excluded=False, reason="复核后保留：其判断反映地方实际", by=tiny.staff)
    with Session(engine) as s:
        kept = survey_result(s, survey_id=tiny.survey_id, by=tiny.staff).nodes[0]
        history = exclusion_history(s, survey_id=tiny.survey_id, by=tiny.staff)
    np.testing.assert_allclose(kept.weights.to_numpy(), aggregate(stack("")).weights)
    assert history["excluded"].tolist() == [True, False]
    assert history["decided_by"].tolist() == ["admin", "admin"]


def test_authority_and_manual_expert_weights(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s, answered=True)
        by_authority = survey_result(s, survey_id=tiny.survey_id, weighting="authority",
                                     by=tiny.staff)
        ids = [m.user_id for m in tiny.members]
        manual = survey_result(s, survey_id=tiny.survey_id, weighting="manual",
                               manual_weights=dict(zip(ids, (2, 1, 1), strict=True)),
                               by=tiny.staff)
        with pytest.raises(InputError):
            survey_result(s, survey_id=tiny.survey_id, weighting="manual",
                          manual_weights={ids[0]: 1}, by=tiny.staff)
        with pytest.raises(InputError):
            survey_result(s, survey_id=tiny.survey_id, method="AIX", by=tiny.staff)
    # Cr of the tiny Delphi round: 0.9, 0.85, 0.7.
    for node in by_authority.nodes:
        want = aggregate(stack(node.key), expert_weights=[0.9, 0.85, 0.7])
        np.testing.assert_allclose(node.weights.to_numpy(), want.weights, rtol=1e-9)
        np.testing.assert_allclose(node.members["weight"], np.array([0.9, 0.85, 0.7]) / 2.45)
    np.testing.assert_allclose(manual.nodes[0].weights.to_numpy(),
                               aggregate(stack(""), expert_weights=[2, 1, 1]).weights)


def test_consensus_is_kendalls_w_of_the_members_priorities(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s, answered=True)
        result = survey_result(s, survey_id=tiny.survey_id, by=tiny.staff)
    # First level: expert1 and expert2 rank CC > XY > MY; expert3's judgments go round in a
    # circle (CC 4 × XY, XY 4 × MY, MY 4 × CC), so his priorities tie at 1/3 (ranks 2, 2, 2).
    # Rank sums 4, 6, 8 against a mean of 6: S = 8; the tie term of expert3 is 3³ − 3 = 24, so
    # W = 12·8 / (3²·(3³ − 3) − 3·24) = 96/144 = 2/3 (Kendall & Babington Smith 1939).
    own = result.nodes[0].members.set_index("username")[["CC", "XY", "MY"]]
    assert own.loc["expert3"].tolist() == pytest.approx([1 / 3] * 3)
    assert result.nodes[0].consensus == pytest.approx(2 / 3)


def test_weights_are_saved_into_a_draft_that_could_be_published(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s, answered=True)
        result = survey_result(s, survey_id=tiny.survey_id, by=tiny.staff)
    with Session(engine) as s:
        draft = save_weights(s, survey_id=tiny.survey_id, note="AHP 与熵权法线性组合",
                             overrides={"XY": {"XY1": 0.6, "XY2": 0.4}}, by=tiny.staff)
    with Session(engine) as s:
        stored = get_library(s, ref="ahp-demo@1.1.0")
        survey = get_survey(s, survey_id=tiny.survey_id, by=tiny.staff)
    assert stored == draft and stored.status is Status.DRAFT and survey.saved_ref == draft.ref
    weights = {i.code: i.weight for i in stored.indicators}
    assert sum(weights[c] for c in ("CC", "XY", "MY")) == pytest.approx(100, abs=1e-9)
    for ind in stored.indicators:
        kids = stored.children(ind.code)
        if kids:
            assert sum(k.weight for k in kids) == pytest.approx(ind.weight, abs=1e-9)
    for code in ("CC", "XY", "MY", "CC1"):
        assert weights[code] == pytest.approx(result.global_weights[code], abs=0.011)
    # The override is applied: 效益's weight split 60:40.
    assert weights["XY1"] / weights["XY"] == pytest.approx(0.6, abs=0.001)
    text = stored.changelog[-1].text
    assert "示例权重咨询" in text and "AIJ" in text and "AHP 与熵权法线性组合" in text
    assert all(len(str(w).split(".")[-1]) <= 2 for w in weights.values())
    check_library(stored)


def test_a_tree_changed_after_the_survey_refuses_the_weights(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s)
        draft = start_draft(TINY_AHP_LIBRARY, new_version="1.5.0")
        save_library(s, version=draft)
        survey = create_survey(s, title="草稿上的问卷", library_ref=draft.ref, by=tiny.staff)
        invite_members(s, survey_id=survey.survey_id, user_ids=[tiny.members[0].user_id],
                       by=tiny.staff)
        version = 1
        for node, given in TINY_JUDGMENTS["expert1"].items():
            version = save_judgments(s, survey_id=survey.survey_id, node_key=node,
                                     judgments=given, expected_version=version,
                                     by=tiny.members[0]).version
        submit_judgments(s, survey_id=survey.survey_id, expected_version=version,
                         by=tiny.members[0])
        s.commit()
        update_draft(s, version=remove_indicator(draft, "XY2"))
    with Session(engine) as s, pytest.raises(ConflictError):
        save_weights(s, survey_id=survey.survey_id, by=tiny.staff)


def test_a_member_reads_only_his_own_judgments_and_no_aggregate(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s, answered=True)
        outsider_row = store.create_user(s, username="outsider", display_name="局外人",
                                         role="expert", by=tiny.staff)
        outsider = store.get_viewer(s, user_id=outsider_row.user_id)
        s.commit()
    member = tiny.members[1]
    with Session(engine) as s:
        mine = my_judgments(s, survey_id=tiny.survey_id, by=member)
        assert {node: dict(j) for node, j in mine.judgments.items()} == TINY_JUDGMENTS["expert2"]
        for call in (survey_result, member_progress, exclusion_history):
            with pytest.raises(PermissionDeniedError):
                call(s, survey_id=tiny.survey_id, by=member)
        with pytest.raises(PermissionDeniedError):
            set_exclusion(s, survey_id=tiny.survey_id, user_id=member.user_id, node_key="",
                          excluded=True, reason="x", by=member)
        with pytest.raises(PermissionDeniedError):
            save_weights(s, survey_id=tiny.survey_id, by=member)
        for call in (my_judgments, get_survey):
            with pytest.raises(PermissionDeniedError):
                call(s, survey_id=tiny.survey_id, by=outsider)
        with pytest.raises(PermissionDeniedError):
            my_judgments(s, survey_id=tiny.survey_id, by=tiny.staff)
        assert list_surveys(s, by=outsider) == []


def test_judgments_are_checked_compare_and_set_and_locked(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s)
    member = tiny.members[0]
    bad = [("", {("CC", "XY"): 2.5}), ("", {("CC", "CC1"): 3.0}), ("ZZ", {("CC", "XY"): 3.0}),
           ("", {("CC", "CC"): 1.0}), ("", {("CC", "XY"): 10.0})]
    for node, given in bad:
        with Session(engine) as s, pytest.raises(InputError):
            save_judgments(s, survey_id=tiny.survey_id, node_key=node, judgments=given,
                           expected_version=1, by=member)
    with Session(engine) as s, s.begin():
        # Blank (None) comparisons are not stored; the reverse order is accepted.
        mine = save_judgments(s, survey_id=tiny.survey_id, node_key="",
                              judgments={("XY", "CC"): 1 / 3, ("CC", "MY"): None},
                              expected_version=1, by=member)
    assert mine.judgments[""] == {("CC", "XY"): pytest.approx(3.0)}
    with Session(engine) as s, pytest.raises(ConflictError):
        save_judgments(s, survey_id=tiny.survey_id, node_key="", judgments={}, expected_version=1,
                       by=member)
    with Session(engine) as s, pytest.raises(InputError):
        submit_judgments(s, survey_id=tiny.survey_id, expected_version=1, by=tiny.members[1])
    with Session(engine) as s, s.begin():
        submit_judgments(s, survey_id=tiny.survey_id, expected_version=2, by=member)
    with Session(engine) as s, pytest.raises(ConflictError):
        save_judgments(s, survey_id=tiny.survey_id, node_key="", judgments={}, expected_version=3,
                       by=member)
    with Session(engine) as s, s.begin():
        close_survey(s, survey_id=tiny.survey_id, by=tiny.staff)
    with Session(engine) as s:
        with pytest.raises(ConflictError):
            save_judgments(s, survey_id=tiny.survey_id, node_key="", judgments={},
                           expected_version=1, by=tiny.members[1])
        with pytest.raises(ConflictError):
            invite_members(s, survey_id=tiny.survey_id, user_ids=[], by=tiny.staff)
        progress = member_progress(s, survey_id=tiny.survey_id, by=tiny.staff)
    assert progress["status"].tolist() == ["submitted", "invited", "invited"]
    assert progress["answered"].tolist() == [1, 0, 0] and set(progress["pairs"]) == {7}


def test_surveys_are_checked_when_created(engine) -> None:
    with Session(engine) as s:
        tiny = seed_tiny_survey(s)
        for kwargs in ({"title": ""}, {"priority_method": "power"}, {"ri": "nope"}):
            with pytest.raises(InputError):
                create_survey(s, **{"title": "t", "library_ref": tiny.library_ref, **kwargs},
                              by=tiny.staff)
        with pytest.raises(PermissionDeniedError):
            create_survey(s, title="t", library_ref=tiny.library_ref, by=tiny.members[0])
        # One indicator: nothing to compare.
        flat = save_library(s, version=LibraryVersion(
            "flat", "1.0.0", "单层", "catalogue", (Indicator("A", "满意度", 1, direction="定性"),),
            status="published"))
        with pytest.raises(InputError):
            create_survey(s, title="t", library_ref=flat.ref, by=tiny.staff)
