"""Server-side render time of the review pages at county scale, through Streamlit's AppTest.

A round of 200 reports, 40 raters (20 experts, 20 NPC deputies) and 1,000 submitted sheets
(five raters per report, the shipped 23-item rubric) is stored in a temporary SQLite database;
then the app is run headless for a rater's task list and the staff's review board (progress
while the round is open; results after it closes, first and repeated view). Each figure is
the median of several runs after one warm-up. The goal from issue 5 is under one second each.
There is no peer library for this: the table prints our timings beside the goal.

Run: ``python benchmarks/bench_review.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indicators.database import clear_engine_cache, ensure_schema, get_engine  # noqa: E402
from indicators.frontdoor import Role, Viewer  # noqa: E402
from indicators.store import seed_builtin_libraries  # noqa: E402
from review import store  # noqa: E402
from review.demo import DEMO_RUBRIC  # noqa: E402

N_REPORTS, N_RATERS, K = 200, 40, 5
GOAL_SECONDS = 1.0
REPEATS = 5


def build(url: str) -> tuple[Viewer, Viewer, int]:
    """Store the round; return the admin, one rater and the round id."""
    engine = get_engine(url)
    ensure_schema(engine)
    rng = np.random.default_rng(2021)
    with Session(engine) as session:
        seed_builtin_libraries(session)
    with Session(engine) as session:
        admin_user = store.create_user(session, username="admin", display_name="管理员",
                                       role=Role.ADMIN, by=None)
        admin = store.get_viewer(session, user_id=admin_user.user_id)
        raters = [store.create_user(
            session, username=f"rater{i:02d}", display_name=f"评审人 {i:02d}",
            role=Role.EXPERT if i < N_RATERS // 2 else Role.DEPUTY, department=f"部门{i % 8}",
            by=admin) for i in range(N_RATERS)]
        rnd = store.create_round(session, title="基准评审轮次", year=2021, rubric_ref=DEMO_RUBRIC,
                                 deadline="2099-12-31", raters_per_report=K, by=admin)
        for r in range(N_REPORTS):
            store.add_report(session, round_id=rnd.round_id, title=f"项目 {r:03d} 绩效评价报告",
                             filename=f"r{r:03d}.md",
                             content=f"# 项目 {r:03d}\n\n评价报告正文。\n".encode(),
                             department=f"部门{(r + 3) % 9}", by=admin)
        store.set_panel(session, round_id=rnd.round_id, user_ids=[u.user_id for u in raters],
                        by=admin)
        store.auto_assign(session, round_id=rnd.round_id, k=K, seed=1, by=admin)
        store.open_round(session, round_id=rnd.round_id, by=admin)
        items = store.rubric_items(session, round_id=rnd.round_id)
        session.commit()
    quality = rng.uniform(0.55, 0.95, N_REPORTS)
    bias = rng.normal(0.0, 0.06, N_RATERS)
    index = {u.user_id: i for i, u in enumerate(raters)}
    with Session(engine) as session:
        sheets = store.list_sheets(session, round_id=rnd.round_id, viewer=admin)
        report_ids = sorted({s.report_id for s in sheets})
        position = {rid: i for i, rid in enumerate(report_ids)}
        for sheet in sheets:
            rater = store.get_viewer(session, user_id=sheet.rater_id)
            share = np.clip(quality[position[sheet.report_id]] + bias[index[sheet.rater_id]]
                            + rng.normal(0, 0.08, len(items)), 0, 1)
            scores = {i.code: float(np.round(share[j] * i.max_score * 2) / 2)
                      for j, i in enumerate(items)}
            store.submit_sheet(session, assignment_id=sheet.assignment_id, viewer=rater,
                               expected_version=sheet.version, scores=scores)
        session.commit()
        one_rater = store.get_viewer(session, user_id=raters[0].user_id)
    return admin, one_rater, rnd.round_id


def timed_runs(viewer: Viewer, page: str | None, prepare=None) -> list[float]:
    """Seconds of each AppTest run of the app for ``viewer`` on ``page``, after one warm-up."""
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    at = AppTest.from_file(str(ROOT / "app_streamlit.py"), default_timeout=600)
    # The app keeps the signed-in person here; setting it skips the password form.
    at.session_state["app.viewer"] = viewer
    if page is not None:
        at._page_hash = calc_hash(page)
    if prepare is not None:
        prepare(at)
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        os.environ["JIXIAO_DATABASE_URL"] = url
        os.environ["JIXIAO_DEMO"] = "0"
        start = time.perf_counter()
        admin, rater, round_id = build(url)
        print(f"built {N_REPORTS} reports, {N_RATERS} raters, {N_REPORTS * K} submitted sheets "
              f"in {time.perf_counter() - start:.1f} s\n")
        rows = [("task list (rater, 25 tasks)", timed_runs(rater, "review-tasks")),
                ("review board, progress (round open)", timed_runs(admin, "review-dashboard"))]

        def results_view(at) -> None:
            at.session_state[f"review.board.view.{round_id}"] = "results"

        # First view of the results: the panel result is computed from the database.
        from review.ui_results import _computed
        _computed.clear()
        first = timed_runs(admin, "review-dashboard", results_view)
        rows.append(("review board, results (round open, cached)", first))
        with Session(get_engine(url)) as session:
            store.close_round(session, round_id=round_id, by=admin)
            session.commit()
        _computed.clear()
        from streamlit.testing.v1 import AppTest
        from streamlit.util import calc_hash
        at = AppTest.from_file(str(ROOT / "app_streamlit.py"), default_timeout=600)
        at.session_state["app.viewer"] = admin
        at._page_hash = calc_hash("review-dashboard")
        start = time.perf_counter()
        at.run()
        cold = time.perf_counter() - start
        rows.append(("review board, results (closed, first computation)", [cold]))
        rows.append(("review board, results (closed, cached)",
                     timed_runs(admin, "review-dashboard")))
        clear_engine_cache()
    width = max(len(name) for name, _ in rows)
    print(f"{'page':<{width}}  {'median s':>9}  {'max s':>7}  {'goal s':>6}  ok")
    for name, times in rows:
        median = statistics.median(times)
        print(f"{name:<{width}}  {median:>9.3f}  {max(times):>7.3f}  {GOAL_SECONDS:>6.1f}  "
              f"{'yes' if median < GOAL_SECONDS else 'NO'}")


if __name__ == "__main__":
    main()
