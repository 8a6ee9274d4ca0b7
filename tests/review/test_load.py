"""Load: 50 reviewers submitting at once, and double submits racing, on a file database.

Every reviewer drafts half the sheet and submits the rest from their own thread and session,
all released together. Afterwards every score must be exactly the one its reviewer sent (none
lost, duplicated or half-written), and every sheet must carry one draft and one submit in the
audit log. Then 20 sheets are reopened and each is submitted from two threads at once: exactly
one of each pair wins and the other gets ConflictError. The timings are printed (run with -s),
never asserted.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session

from indicators.errors import ConflictError
from review import store
from review.model import SheetStatus
from tests.review.databases import BACKENDS, build_world, review_database

N_REVIEWERS = 50
N_DOUBLE = 20


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def _run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job on its own thread at the same moment; results or exceptions, in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # the test inspects every outcome, failures included
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_fifty_reviewers_submit_at_once_and_double_submits_have_one_winner(engine) -> None:
    world = build_world(engine, n_reports=N_REVIEWERS // 2, n_raters=N_REVIEWERS, k=2)
    items = world.items()
    codes = [i.code for i in items]
    half = len(codes) // 2

    def sheet_scores(n: int) -> dict[str, float]:
        # Distinct per reviewer and per item, in range, on half points.
        return {i.code: min(i.max_score, ((n + j) % (2 * int(i.max_score) + 1)) / 2)
                for j, i in enumerate(items)}

    expected = {world.sheet_of(r): sheet_scores(n) for n, r in enumerate(world.raters)}

    def review(n: int) -> int:
        rater = world.raters[n]
        sheet_id = world.sheet_of(rater)
        scores = expected[sheet_id]
        with Session(engine) as s, s.begin():
            sheet = store.get_sheet(s, assignment_id=sheet_id, viewer=rater)
            draft = store.save_draft(s, assignment_id=sheet_id, viewer=rater,
                                     scores={c: scores[c] for c in codes[:half]},
                                     expected_version=sheet.version)
        with Session(engine) as s, s.begin():
            done = store.submit_sheet(s, assignment_id=sheet_id, viewer=rater,
                                      expected_version=draft.version,
                                      scores={c: scores[c] for c in codes[half:]})
        return done.version

    started = time.perf_counter()
    outcomes = _run_together([lambda n=n: review(n) for n in range(N_REVIEWERS)])
    elapsed = time.perf_counter() - started
    assert outcomes == [3] * N_REVIEWERS, [o for o in outcomes if o != 3][:3]
    print(f"\n[{engine.dialect.name}] {N_REVIEWERS} reviewers, draft + submit each: "
          f"{elapsed:.2f} s, {N_REVIEWERS / elapsed:.1f} submits/s")

    with Session(engine) as s:
        scores = store.round_scores(s, round_id=world.round_id, viewer=world.admin)
        sheets = store.list_sheets(s, round_id=world.round_id, viewer=world.admin)
        log = store.audit_log(s, by=world.admin, entity="sheet")
    assert len(scores) == N_REVIEWERS * len(codes)
    assert not scores.duplicated(["report_id", "rater_id", "item_code"]).any()
    assert all(sheet.status is SheetStatus.SUBMITTED and sheet.version == 3 for sheet in sheets)
    assert {sheet.assignment_id: dict(sheet.scores) for sheet in sheets} == expected
    assert Counter((e.entity_id, e.action) for e in log) == Counter(
        {(a, action): 1 for a in expected for action in ("save_draft", "submit")})

    # Double submits: reopen 20 sheets, then submit each from two threads at once.
    targets = sorted(expected)[:N_DOUBLE]
    with Session(engine) as s, s.begin():
        versions = {a: store.reopen_sheet(s, assignment_id=a, reason="并发测试", by=world.admin).version
                    for a in targets}
    owner = {world.sheet_of(r): r for r in world.raters}

    def submit(sheet_id: int) -> int:
        with Session(engine) as s, s.begin():
            return store.submit_sheet(s, assignment_id=sheet_id, viewer=owner[sheet_id],
                                      expected_version=versions[sheet_id]).version

    started = time.perf_counter()
    raced = _run_together([lambda a=a: submit(a) for a in targets for _ in range(2)])
    elapsed = time.perf_counter() - started
    print(f"[{engine.dialect.name}] {N_DOUBLE} double submits (40 threads): {elapsed:.2f} s")
    for n, sheet_id in enumerate(targets):
        pair = raced[2 * n: 2 * n + 2]
        winners = [r for r in pair if isinstance(r, int)]
        losers = [r for r in pair if isinstance(r, ConflictError)]
        assert winners == [versions[sheet_id] + 1] and len(losers) == 1, pair
    with Session(engine) as s:
        after = {x.assignment_id: x for x in store.list_sheets(s, round_id=world.round_id,
                                                               viewer=world.admin)}
        log = store.audit_log(s, by=world.admin, entity="sheet")
    assert all(after[a].status is SheetStatus.SUBMITTED and dict(after[a].scores) == expected[a]
               for a in targets)
    submits = Counter(e.entity_id for e in log if e.action == "submit")
    assert all(submits[a] == (2 if a in targets else 1) for a in expected)
