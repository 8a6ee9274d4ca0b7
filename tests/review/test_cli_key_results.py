"""The ``jixiao key-results`` command, and its file going into ``jixiao year run`` (review/cli_key_results.py)."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlmodel import Session

import review.cli_key_results as cli_module
from indicators.cli import CliState
from indicators.io_files import read_workbook_grids
from review import store
from review.demo import TinyRound, seed_tiny_round
from review.tables import ReportRow
from scoring.cli_lifecycle import register as register_lifecycle
from scoring.lifecycle_io import read_table
from tests.review.databases import review_database

# Two of the demo county's 2021 key projects, so the file can run with the demo year.
FIRST, SECOND = "P202100107", "P202100202"
# Share of every item's maximum each rater gives, per report (by project code or title).
RATER1 = {FIRST: 0.95, SECOND: 0.6, "报告1": 0.7}
RATER2 = {FIRST: 0.9, "报告1": 0.8}


@pytest.fixture
def database(tmp_path: Path):
    with review_database("sqlite", tmp_path) as engine:
        yield engine


@pytest.fixture
def cli(database) -> tuple[click.Group, CliState]:
    group = click.Group("jixiao")
    cli_module.register(group)
    register_lifecycle(group)
    return group, CliState(database.url.render_as_string(hide_password=False))


def invoke(cli, *args: str):
    group, state = cli
    return CliRunner().invoke(group, list(args), obj=state)


def _submit(engine, round_id: int, rater, shares: dict[str, float]) -> None:
    with Session(engine) as s, s.begin():
        items = store.rubric_items(s, round_id=round_id)
        for sheet in store.list_sheets(s, round_id=round_id, viewer=rater):
            row = s.get(ReportRow, sheet.report_id)
            share = shares.get(row.project_code or row.title)
            if share is not None:
                store.submit_sheet(s, assignment_id=sheet.assignment_id, viewer=rater,
                                   expected_version=sheet.version,
                                   scores={i.code: i.max_score * share for i in items})


@pytest.fixture
def tiny(database) -> TinyRound:
    """The tiny round plus two demo key projects' reports, scored, not yet closed."""
    with Session(database) as s, s.begin():
        tiny = seed_tiny_round(s)
        for code in (FIRST, SECOND):
            report = store.add_report(s, round_id=tiny.round_id, title=f"{code} 评价报告",
                                      filename=f"{code}.md", content=b"# report",
                                      project_code=code, by=tiny.admin)
            store.assign(s, round_id=tiny.round_id, by=tiny.admin,
                         pairs=[(report.report_id, r.user_id) for r in tiny.raters])
    _submit(database, tiny.round_id, tiny.raters[0], RATER1)
    _submit(database, tiny.round_id, tiny.raters[1], RATER2)
    return tiny


def _close_with_choice(database, tiny: TinyRound) -> None:
    with Session(database) as s, s.begin():
        store.close_round(s, round_id=tiny.round_id, by=tiny.admin)
        store.record_panel_choice(s, round_id=tiny.round_id, choice="raw",
                                  reason="评审人宽严差异不大", by=tiny.admin)


def test_the_written_file_feeds_year_run(cli, database, tiny, tmp_path) -> None:
    _close_with_choice(database, tiny)
    key = tmp_path / "key_2021.xlsx"
    written = invoke(cli, "key-results", "--year", "2021", "--out", str(key))
    assert written.exit_code == 0, written.output
    assert FIRST in written.output and "2 个项目" in written.output
    # The lifecycle reader finds the spec's headers: 92.5 = mean of 95 and 90 (rubric of 100);
    # 60 = rater1 alone (rater2 left it unscored).
    read = read_table(key, "key_results").set_index("project")
    assert read["total"].to_dict() == pytest.approx({FIRST: 92.5, SECOND: 60.0})
    header = read_workbook_grids(key)["重点评价结果"].rows[0]
    assert header[:2] == ("项目编码", "评价得分") and "评价等级" not in header
    summary = tmp_path / "summary.xlsx"
    ran = invoke(cli, "year", "run", "--year", "2021", "--out", str(summary),
                 "--key-results", str(key))
    assert ran.exit_code == 0, ran.output
    rows = read_workbook_grids(summary)["公开_重点评价结果"].rows
    table = pd.DataFrame(rows[1:], columns=rows[0]).set_index("项目编码")
    # National bands: 优 from 90, 中 from 60 to below 80.
    assert table.loc[FIRST, "评价得分"] == pytest.approx(92.5)
    assert table.loc[FIRST, "评价等级"] == "优" and table.loc[SECOND, "评价等级"] == "中"


def test_csv_and_json_say_where_each_score_came_from(cli, database, tiny, tmp_path) -> None:
    with Session(database) as s, s.begin():
        store.close_round(s, round_id=tiny.round_id, by=tiny.admin)
    out = tmp_path / "key.csv"
    result = invoke(cli, "key-results", "--year", "2021", "--out", str(out), "--as", "admin",
                    "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [(p["project"], p["basis"], p["n_ratings"]) for p in report["projects"]] == [
        (FIRST, "raw_no_choice", 2), (SECOND, "raw_no_choice", 1)]
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["项目编码"].tolist() == [FIRST, SECOND]
    assert set(frame["得分依据"]) == {"原始得分（未确定采用哪种得分）"}
    assert set(frame["评审轮次"]) == {"示例轮次"}


def test_nothing_closed_means_nothing_written(cli, tiny, tmp_path) -> None:
    out = tmp_path / "key.xlsx"
    result = invoke(cli, "key-results", "--year", "2021", "--out", str(out))
    assert result.exit_code == 2 and "2021" in result.output and not out.exists()


def test_only_a_staff_account_may_read(cli, database, tiny, tmp_path) -> None:
    _close_with_choice(database, tiny)
    out = tmp_path / "key.xlsx"
    as_rater = invoke(cli, "key-results", "--year", "2021", "--out", str(out), "--as", "rater1")
    assert as_rater.exit_code == 2 and not out.exists()
    unknown = invoke(cli, "key-results", "--year", "2021", "--out", str(out), "--as", "nobody")
    assert unknown.exit_code == 2 and "nobody" in unknown.output and not out.exists()


def test_an_unknown_file_type_is_refused(cli, database, tiny, tmp_path) -> None:
    _close_with_choice(database, tiny)
    out = tmp_path / "key.txt"
    result = invoke(cli, "key-results", "--year", "2021", "--out", str(out))
    assert result.exit_code == 2 and ".xlsx" in result.output and not out.exists()


def test_docstring_examples_run() -> None:
    assert doctest.testmod(cli_module).failed == 0
