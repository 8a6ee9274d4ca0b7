"""Key-evaluation results of a year from its closed review rounds (review/key_results.py).

Every sheet below gives each rubric item the same share of its maximum, so a sheet's total is
that share of the rubric's maximum and the panel scores can be worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, update

from indicators.errors import PermissionDeniedError
from indicators.frontdoor import Viewer
from review import store
from review.demo import TinyRound, seed_tiny_round
from review.key_results import BASIS_LABELS, key_evaluation_results, key_results_version
from review.tables import ReportRow, RoundRow
from tests.review.databases import BACKENDS, RUBRIC, review_database

# Shares of the maximum each rater gives: reports 1 and 2 (no project code), then P1 and P2.
# rater2 leaves P2 unscored, so P2 has one rating and the design is incomplete.
RATER1 = {"报告1": 0.9, "报告2": 0.7, "P1": 0.8, "P2": 0.6}
RATER2 = {"报告1": 0.8, "报告2": 0.6, "P1": 0.7}


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def _submit(engine: sa.Engine, round_id: int, rater: Viewer, shares: dict[str, float]) -> None:
    with Session(engine) as s, s.begin():
        items = store.rubric_items(s, round_id=round_id)
        for sheet in store.list_sheets(s, round_id=round_id, viewer=rater):
            key = _report_key(s, sheet.report_id)
            if key not in shares:
                continue
            store.submit_sheet(s, assignment_id=sheet.assignment_id, viewer=rater,
                               expected_version=sheet.version,
                               scores={i.code: i.max_score * shares[key] for i in items})


def _report_key(session: Session, report_id: int) -> str:
    row = session.get(ReportRow, report_id)
    return row.project_code or row.title


@pytest.fixture
def tiny(engine: sa.Engine) -> TinyRound:
    """The tiny round with two more reports, coded P1 and P2, scored as RATER1 and RATER2."""
    with Session(engine) as s, s.begin():
        tiny = seed_tiny_round(s)
        for code in ("P1", "P2"):
            report = store.add_report(s, round_id=tiny.round_id, title=f"{code} 评价报告",
                                      filename=f"{code}.md", content=f"# {code}".encode(),
                                      project_code=code, by=tiny.admin)
            store.assign(s, round_id=tiny.round_id, by=tiny.admin,
                         pairs=[(report.report_id, r.user_id) for r in tiny.raters])
    _submit(engine, tiny.round_id, tiny.raters[0], RATER1)
    _submit(engine, tiny.round_id, tiny.raters[1], RATER2)
    return tiny


def _results(engine: sa.Engine, viewer: Viewer, year: int = 2021):
    with Session(engine) as s:
        return key_evaluation_results(s, year=year, by=viewer)


def _version(engine: sa.Engine, year: int = 2021):
    with Session(engine) as s:
        return key_results_version(s, year=year)


def _close(engine: sa.Engine, round_id: int, by: Viewer) -> None:
    with Session(engine) as s, s.begin():
        store.close_round(s, round_id=round_id, by=by)


def test_an_open_round_contributes_nothing(engine, tiny) -> None:
    found = _results(engine, tiny.admin)
    assert found.empty and "project" in found and "total" in found
    assert _version(engine) == ()


def test_a_closed_round_gives_raw_totals_of_coded_reports_until_a_choice(engine, tiny) -> None:
    _close(engine, tiny.round_id, tiny.admin)
    found = _results(engine, tiny.admin)
    # Reports 1 and 2 have no project code: only P1 and P2 come back.
    assert found["project"].tolist() == ["P1", "P2"]
    # P1: mean of 80 and 70; P2: rater1's 60 alone (the rubric sums to 100).
    assert found["total"].tolist() == pytest.approx([(80 + 70) / 2, 60.0])
    assert found["basis"].tolist() == ["raw_no_choice", "raw_no_choice"]
    assert found["n_ratings"].tolist() == [2, 1]
    assert set(found["round_id"]) == {tiny.round_id}
    assert set(found["round_title"]) == {"示例轮次"} and set(found["method"]) == {"mean"}
    assert _results(engine, tiny.admin, year=2022).empty


def test_the_recorded_choice_decides_the_total(engine, tiny) -> None:
    _close(engine, tiny.round_id, tiny.admin)
    with Session(engine) as s, s.begin():
        store.record_panel_choice(s, round_id=tiny.round_id, choice="adjusted",
                                  reason="评审人宽严不一", by=tiny.admin)
    found = _results(engine, tiny.admin).set_index("project")
    # On the three reports both scored, rater1 gave 10 points more each time; with effects
    # summing to zero rater1's effect is +5. P1 (both raters) keeps its mean; P2, scored by
    # rater1 alone, loses rater1's +5.
    assert found.loc["P1", "total"] == pytest.approx(75.0)
    assert found.loc["P2", "total"] == pytest.approx(60.0 - 5.0)
    assert set(found["basis"]) == {"adjusted"}
    with Session(engine) as s, s.begin():
        store.record_panel_choice(s, round_id=tiny.round_id, choice="raw",
                                  reason="差异不大，采用原始得分", by=tiny.admin)
    found = _results(engine, tiny.admin).set_index("project")
    assert found.loc["P2", "total"] == pytest.approx(60.0)
    assert set(found["basis"]) == {"raw"} and set(found["basis"]) <= set(BASIS_LABELS)


def test_only_staff_may_read_the_results(engine, tiny) -> None:
    with pytest.raises(PermissionDeniedError):
        _results(engine, tiny.raters[0])
    _close(engine, tiny.round_id, tiny.admin)
    # A panel member sees the round's results once closed, but not the year's key results.
    with pytest.raises(PermissionDeniedError):
        _results(engine, tiny.raters[0])


def test_the_version_changes_on_close_and_on_a_choice(engine, tiny) -> None:
    before = _version(engine)
    _close(engine, tiny.round_id, tiny.admin)
    closed = _version(engine)
    assert closed != before and [r for r, _ in closed] == [tiny.round_id]
    assert _version(engine) == closed  # reading changes nothing
    with Session(engine) as s, s.begin():
        store.record_panel_choice(s, round_id=tiny.round_id, choice="raw", reason="无明显偏差",
                                  by=tiny.admin)
    chosen = _version(engine)
    assert chosen != closed and [r for r, _ in chosen] == [tiny.round_id]
    assert _version(engine, year=2022) == ()


def test_a_later_closed_round_wins_and_a_50_point_rubric_is_put_on_100(engine, tiny) -> None:
    _close(engine, tiny.round_id, tiny.admin)
    with Session(engine) as s, s.begin():
        later = store.create_round(s, title="补充评审", year=2021, rubric_ref=RUBRIC,
                                   deadline=None, raters_per_report=2, by=tiny.admin)
        snapshot = s.get(RoundRow, later.round_id).rubric
        halved = [{**item, "max_score": item["max_score"] / 2} for item in snapshot]
        s.exec(update(RoundRow).where(RoundRow.id == later.round_id).values(rubric=halved))
        report = store.add_report(s, round_id=later.round_id, title="P2 复评报告",
                                  filename="P2b.md", content=b"# P2", project_code="P2",
                                  by=tiny.admin)
        store.set_panel(s, round_id=later.round_id, user_ids=[r.user_id for r in tiny.raters],
                        by=tiny.admin)
        store.assign(s, round_id=later.round_id, by=tiny.admin,
                     pairs=[(report.report_id, r.user_id) for r in tiny.raters])
        store.open_round(s, round_id=later.round_id, by=tiny.admin)
    with Session(engine) as s:
        top = sum(i.max_score for i in store.rubric_items(s, round_id=later.round_id))
    assert top == pytest.approx(50.0)
    _submit(engine, later.round_id, tiny.raters[0], {"P2": 0.5})
    _submit(engine, later.round_id, tiny.raters[1], {"P2": 0.9})
    _close(engine, later.round_id, tiny.admin)
    with Session(engine) as s, s.begin():
        store.record_panel_choice(s, round_id=later.round_id, choice="adjusted",
                                  reason="复评", by=tiny.admin)
    found = _results(engine, tiny.admin).set_index("project")
    # 25 and 45 of 50 points: a mean of 35 of 50 is 70 of 100. One report cannot fit rater
    # effects, so the chosen adjusted score falls back to the raw one and says so.
    assert found.loc["P2", "total"] == pytest.approx(70.0)
    assert found.loc["P2", "round_id"] == later.round_id
    assert found.loc["P2", "basis"] == "raw_adjusted_missing"
    assert found.loc["P2", "n_ratings"] == 2
    # P1 is only in the first round and keeps its score there.
    assert found.loc["P1", "round_id"] == tiny.round_id
    assert found.loc["P1", "total"] == pytest.approx(75.0)
