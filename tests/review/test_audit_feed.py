"""The admin's audit feed: lifecycle decisions, year runs and library versions beside the review log.

Each record is read from its own floor's append-only table; the review log's lines come back
exactly as :func:`review.store_results.audit_log` gives them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session

from indicators.errors import PermissionDeniedError
from indicators.store import list_libraries, retire_library
from review import store
from review.audit_feed import FEED_KINDS, FeedEntry, audit_feed, rubric_names
from scoring.lifecycle_decision_store import record_decisions
from tests.review.databases import BACKENDS, build_world, review_database


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield build_world(engine)


def decide(world, outcome: str, amount: float, reason: str = "") -> None:
    frame = pd.DataFrame({"project": ["P001"], "recommendation": ["追减"], "outcome": [outcome],
                          "recommended_amount": [120_000.0], "amount": [amount],
                          "reason": [reason]})
    with world.session() as session:
        record_decisions(session, year=2022, stage="application", decisions=frame,
                         created_by="finance")


def test_a_changed_decision_reads_against_the_one_it_supersedes(world) -> None:
    decide(world, "追减", 120_000.0)
    decide(world, "收回", 80_000.0, reason="项目已完工")
    with world.session() as session:
        feed = audit_feed(session, by=world.admin, entity="lifecycle_decision")
    first, second = feed
    assert isinstance(second, FeedEntry)
    assert (first.action, second.action) == ("decide", "redecide")
    assert first.old is None and first.new["amount"] == 120_000.0
    assert dict(second.about) == {"year": 2022, "stage": "application", "project": "P001",
                                  "in_force": True}
    assert first.about["in_force"] is False
    assert second.old["outcome"] == "追减" and second.new["outcome"] == "收回"
    assert second.new["reason"] == "项目已完工" and second.actor == "finance"
    assert first.at <= second.at


def test_everything_merges_by_time_and_the_review_log_is_unchanged(world) -> None:
    decide(world, "追减", 120_000.0)
    with world.session() as session:
        review_only = store.audit_log(session, by=world.admin)
        everything = audit_feed(session, by=world.admin)
        sheets = audit_feed(session, by=world.admin, entity="sheet")
    kinds = {e.entity for e in everything}
    assert {"lifecycle_decision", "library_version"} <= kinds
    assert [e for e in everything if not isinstance(e, FeedEntry)] == review_only
    times = [e.at for e in everything]
    assert times == sorted(times)
    assert sheets == [e for e in review_only if e.entity == "sheet"]


def test_library_publications_and_retirements_name_who_and_why(world) -> None:
    ref = next(s.ref for s in list_libraries(world.session())
               if s.status.value == "published")
    with world.session() as session:
        retire_library(session, ref=ref, by="王科长", reason="已有新版")
        feed = audit_feed(session, by=world.admin, entity="library_version")
    mine = [e for e in feed if e.about["library_ref"] == ref]
    assert [e.action for e in mine] == ["publish", "retire"]
    assert mine[0].new["changelog"] and mine[0].actor
    assert mine[1].actor == "王科长" and mine[1].new == {"reason": "已有新版"}


def test_only_an_admin_reads_the_feed(world) -> None:
    for kind in (None, *FEED_KINDS):
        with world.session() as session, pytest.raises(PermissionDeniedError):
            audit_feed(session, by=world.finance, entity=kind)
    with world.session() as session, pytest.raises(PermissionDeniedError):
        rubric_names(session, by=world.finance)


def test_each_sheet_is_named_by_its_rounds_rubric(world) -> None:
    items = {i.code: i.name for i in world.items()}
    with world.session() as session:
        names = rubric_names(session, by=world.admin)
    assert set(names) == set(world.sheets.values())
    assert all(n == items for n in names.values())


def test_a_year_run_is_read_as_who_ran_which_year(world) -> None:
    from scoring.lifecycle_config import load_lifecycle_config
    from scoring.lifecycle_demo import demo_county_year
    from scoring.lifecycle_run_store import save_year_run
    from scoring.year import run_year

    config = load_lifecycle_config("kaijiang-2021")
    data = demo_county_year(config)
    with Session(world.engine) as session:
        save_year_run(session, result=run_year(data, config), data=data, source="demo",
                      created_by="finance")
        feed = audit_feed(session, by=world.admin, entity="year_run")
    (run,) = feed
    assert (run.action, run.actor, run.about["year"]) == ("run", "finance", data.year)
    assert run.new["source"] == "demo" and run.new["n_projects"] > 0
