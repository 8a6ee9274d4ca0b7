"""The demo review rounds: accounts that sign in, 15 key reports split between a closed first
batch and an open round, 4 raters each, once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, func, select

from indicators.demo import load_demo_county
from review import store
from review.auth import PasswordAuthenticator
from review.demo import (
    DEMO_ACCOUNTS,
    DEMO_CLOSED_ROUND_TITLE,
    DEMO_ROUND_TITLE,
    FIRST_BATCH,
    demo_report_markdown,
    seed_demo_review,
)
from review.key_results import key_evaluation_results
from review.tables import AuditRow, UserRow
from tests.review.databases import BACKENDS, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_demo_round_is_seeded_once_and_half_scored(engine) -> None:
    with Session(engine) as s, s.begin():
        first = seed_demo_review(s)
    with Session(engine) as s:
        audit_lines = s.exec(select(func.count()).select_from(AuditRow)).one()
    with Session(engine) as s, s.begin():
        again = seed_demo_review(s)
    assert first.created and not again.created and again.round_id == first.round_id
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(AuditRow)).one() == audit_lines
        assert s.exec(select(func.count()).select_from(UserRow)).one() == len(DEMO_ACCOUNTS)
        admin = store.get_viewer(s, user_id=s.exec(
            select(UserRow.id).where(UserRow.username == "admin")).one())
        rnd = store.get_round(s, round_id=first.round_id, by=admin)
        reports = store.list_reports(s, round_id=first.round_id, by=admin)
        progress = store.progress(s, round_id=first.round_id, by=admin)
        users = {u.user_id: u for u in store.list_users(s, by=admin)}
    assert rnd.title == DEMO_ROUND_TITLE and rnd.status == "open"
    county = load_demo_county()
    key = sorted(county.projects.loc[county.projects["是否重点项目"].astype(bool), "项目编码"])
    # The open round holds the key projects the closed first batch did not.
    assert sorted(r.project_code for r in reports) == key[FIRST_BATCH:]
    assert all(r.mime == "text/markdown" for r in reports)
    n_open = len(key) - FIRST_BATCH
    assert (progress.groupby("report_id").size() == 4).all() and len(progress) == 4 * n_open
    share = progress["submitted"].mean()
    assert 0.35 <= share <= 0.65
    assert set(progress["status"]) == {"assigned", "draft", "submitted"}
    department = {r.report_id: r.department for r in reports}
    assert not any(users[u].department and users[u].department == department[r]
                   for r, u in zip(progress["report_id"], progress["rater_id"], strict=True))
    loads = progress.groupby("rater_id").size()
    assert loads.max() - loads.min() <= 1 and len(loads) == 8


def test_the_closed_first_batch_gives_the_year_its_key_results(engine) -> None:
    with Session(engine) as s, s.begin():
        demo = seed_demo_review(s)
    with Session(engine) as s:
        users = {row.username: row for row in s.exec(select(UserRow)).all()}
        admin = store.get_viewer(s, user_id=users["admin"].id)
        rnd = store.get_round(s, round_id=demo.closed_round_id, by=admin)
        reports = store.list_reports(s, round_id=demo.closed_round_id, by=admin)
        progress = store.progress(s, round_id=demo.closed_round_id, by=admin)
        result = store.panel_results(s, round_id=demo.closed_round_id, by=admin, bootstrap=0,
                                     item_agreement=False)
        found = key_evaluation_results(s, year=2021, by=admin)
    assert rnd.title == DEMO_CLOSED_ROUND_TITLE and rnd.status == "closed"
    assert rnd.panel_choice.value == "adjusted" and rnd.panel_choice_reason
    # Created before the open round, so the open round is the newest one.
    assert demo.closed_round_id < demo.round_id
    county = load_demo_county()
    key = sorted(county.projects.loc[county.projects["是否重点项目"].astype(bool), "项目编码"])
    assert sorted(r.project_code for r in reports) == key[:FIRST_BATCH]
    assert progress["submitted"].all() and len(progress) == 4 * FIRST_BATCH
    # The severe expert was not on the first batch's panel.
    assert users["expert1"].id not in set(progress["rater_id"])
    assert progress["rater_id"].nunique() == 7
    # Every first-batch project gets its adjusted panel score (the rubric sums to 100).
    by_report = {r.report_id: r.project_code for r in reports}
    adjusted = result.reports["adjusted_score"].rename(index=by_report)
    assert found["project"].tolist() == key[:FIRST_BATCH]
    assert set(found["basis"]) == {"adjusted"} and set(found["round_id"]) == {rnd.round_id}
    assert found.set_index("project")["total"].to_numpy() == pytest.approx(
        adjusted.reindex(key[:FIRST_BATCH]).clip(0, 100).to_numpy(), abs=0.005)


def test_demo_accounts_sign_in_with_their_demo_passwords(engine) -> None:
    with Session(engine) as s, s.begin():
        seed_demo_review(s)
    authenticator = PasswordAuthenticator()
    with Session(engine) as s, s.begin():
        for account in DEMO_ACCOUNTS[:3] + DEMO_ACCOUNTS[-1:]:
            viewer = authenticator.authenticate(s, username=account.username,
                                                password=account.password)
            assert viewer.role == account.role and viewer.display_name == account.display_name


def test_demo_severity_finds_the_severe_expert_among_submitted_sheets(engine) -> None:
    with Session(engine) as s, s.begin():
        demo = seed_demo_review(s)
    with Session(engine) as s:
        admin = store.get_viewer(s, user_id=s.exec(
            select(UserRow.id).where(UserRow.username == "admin")).one())
        result = store.panel_results(s, round_id=demo.round_id, by=admin, bootstrap=0)
    effects = result.raters.set_index("rater_name")["effect"]
    assert effects.idxmin() == "专家 王建国（高校）" and np.isfinite(effects).all()


def test_every_demo_report_prints_a_dash_where_the_county_gave_nothing() -> None:
    county = load_demo_county()
    qualitative = set(county.targets.loc[county.targets["指标方向"] == "定性", "项目编码"])
    assert qualitative
    for _, project in county.projects.iterrows():
        code = project["项目编码"]
        text = demo_report_markdown(project, county.targets[county.targets["项目编码"] == code],
                                    county.actuals[county.actuals["项目编码"] == code])
        words = set(text.replace("|", " ").split())
        assert not {"nan", "NaN", "None"} & words, code
        if code in qualitative:
            rows = [line for line in text.splitlines() if "| 定性 |" in line]
            assert rows and all(line.count("| — |") >= 1 for line in rows), code
