"""Panels and assignments: active raters only, no conflicts of interest, k per report, balance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from indicators.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from review import store
from tests.review.databases import BACKENDS, build_world, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_panel_accepts_only_active_raters_and_keeps_busy_members(engine: sa.Engine) -> None:
    world = build_world(engine, open_it=False)
    with Session(engine) as s, s.begin():
        with pytest.raises(InputError):
            store.set_panel(s, round_id=world.round_id, user_ids=[world.finance.user_id],
                            by=world.admin)
        with pytest.raises(ConflictError):
            store.set_panel(s, round_id=world.round_id, user_ids=[world.raters[0].user_id],
                            by=world.admin)
        with pytest.raises(NotFoundError):
            store.set_panel(s, round_id=world.round_id, user_ids=[12345], by=world.admin)
        with pytest.raises(PermissionDeniedError):
            store.set_panel(s, round_id=world.round_id, user_ids=[], by=world.raters[0])


def test_manual_assignment_refuses_conflicts_duplicates_and_outsiders(engine: sa.Engine) -> None:
    world = build_world(engine, n_reports=2, n_raters=3, k=1,
                        departments=["县教育局", "", ""], report_departments=["县教育局", "县水务局"],
                        open_it=False)
    report_edu, report_water = world.report_ids
    edu_rater = world.raters[0]
    with Session(engine) as s, s.begin():
        with pytest.raises(InputError) as conflict:
            store.assign(s, round_id=world.round_id, pairs=[(report_edu, edu_rater.user_id)],
                         by=world.admin)
        assert "conflict of interest" in conflict.value.en
        taken = next(iter(world.sheets))
        with pytest.raises(ConflictError):
            store.assign(s, round_id=world.round_id, pairs=[taken], by=world.admin)
        with pytest.raises(InputError):
            store.assign(s, round_id=world.round_id, pairs=[(999, edu_rater.user_id)],
                         by=world.admin)
        free = [(r, u.user_id) for r in world.report_ids for u in world.raters
                if (r, u.user_id) not in world.sheets and not (r == report_edu and u == edu_rater)]
        assert store.assign(s, round_id=world.round_id, pairs=free[:1], by=world.admin) == 1


def test_auto_assign_gives_k_raters_balanced_and_without_conflicts(engine: sa.Engine) -> None:
    departments = ["县教育局", "县水务局", "", "", "县教育局", ""]
    report_departments = ["县教育局", "县水务局", "县林业局", "县教育局", "县民政局"] * 2
    world = build_world(engine, n_reports=10, n_raters=6, k=3, departments=departments,
                        report_departments=report_departments)
    pairs = np.array(list(world.sheets))
    per_report = np.unique(pairs[:, 0], return_counts=True)[1]
    per_rater = np.unique(pairs[:, 1], return_counts=True)[1]
    assert (per_report == 3).all() and per_rater.max() - per_rater.min() <= 1
    rater_dept = {r.user_id: d for r, d in zip(world.raters, departments, strict=True)}
    report_dept = dict(zip(world.report_ids, report_departments, strict=True))
    assert not any(rater_dept[u] and rater_dept[u] == report_dept[r] for r, u in world.sheets)
    with Session(engine) as s, s.begin():
        with pytest.raises(ConflictError):  # the round is open now
            store.auto_assign(s, round_id=world.round_id, by=world.admin)


def test_auto_assign_replaces_a_draft_plan_and_reports_infeasibility(engine: sa.Engine) -> None:
    world = build_world(engine, n_reports=4, n_raters=4, k=1, open_it=False,
                        departments=["甲", "甲", "甲", ""], report_departments=["甲"] * 4)
    with Session(engine) as s, s.begin():
        with pytest.raises(InputError) as infeasible:
            store.auto_assign(s, round_id=world.round_id, k=2, by=world.admin)
        assert "'报告0'" in infeasible.value.en and "fewer than k = 2" in infeasible.value.en
    with Session(engine) as s, s.begin():
        loads = store.auto_assign(s, round_id=world.round_id, k=1, seed=3, by=world.admin)
        assert loads["load"].tolist() == [0, 0, 0, 4]
        assert len(store.progress(s, round_id=world.round_id, by=world.admin)) == 4
        actions = [e.action for e in store.audit_log(s, by=world.admin, entity="assignment")]
        assert actions[-2:] == ["clear", "auto_assign(k=1, seed=3)"]
