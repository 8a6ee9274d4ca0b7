"""Key-evaluation results of a budget year: the panel scores of its closed review rounds.

A key evaluation's report goes to a review round; once the round is closed and the staff have
chosen raw or severity-adjusted panel scores, the score is the project's key-evaluation total
for the year (DESIGN, "the life of a number", step 5). :func:`key_evaluation_results` gathers
those totals per project on the 0–100 scale that :func:`scoring.year.run_year` grades, and
:func:`key_results_version` tells a page cache when they may have changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from indicators.frontdoor import Viewer
from review.access import require_staff
from review.model import PanelChoice, RoundStatus, SheetStatus
from review.store_results import panel_results
from review.tables import AssignmentRow, ReportRow, RoundRow
from scoring.project import round_half_up

__all__ = ["BASIS_LABELS", "KEY_RESULT_COLUMNS", "key_evaluation_results", "key_results_version"]

KEY_RESULT_COLUMNS = ["project", "total", "basis", "n_ratings", "round_id", "round_title",
                      "method", "report_id"]
"""The columns of :func:`key_evaluation_results`, in order."""

BASIS_LABELS: dict[str, tuple[str, str]] = {
    "raw": ("原始得分（已确定）", "raw panel score (chosen)"),
    "adjusted": ("宽严调整后得分（已确定）", "severity-adjusted panel score (chosen)"),
    "raw_no_choice": ("原始得分（未确定采用哪种得分）", "raw panel score (no choice recorded)"),
    "raw_adjusted_missing": ("原始得分（调整后得分无法计算）",
                             "raw panel score (the adjusted score could not be computed)"),
}
"""Each ``basis`` code of :func:`key_evaluation_results` with its Chinese and English label."""

_SCALE = 100.0


def _empty() -> pd.DataFrame:
    kinds = {"total": float, "n_ratings": int, "round_id": int, "report_id": int}
    return pd.DataFrame({c: pd.Series(dtype=kinds.get(c, object)) for c in KEY_RESULT_COLUMNS})


def _scored_reports(session: Session, round_id: int) -> pd.DataFrame:
    """Reports with a project code and at least one submitted sheet (panel results need one)."""
    rows = session.exec(
        select(ReportRow.id, ReportRow.project_code)
        .join(AssignmentRow, AssignmentRow.report_id == ReportRow.id)
        .where(ReportRow.round_id == round_id, ReportRow.project_code != "",
               AssignmentRow.status == SheetStatus.SUBMITTED.value)
        .group_by(ReportRow.id, ReportRow.project_code)
        .order_by(ReportRow.id)).all()
    frame = pd.DataFrame(rows, columns=["report_id", "project"])
    frame["project"] = frame["project"].astype(str).str.strip()
    return frame.loc[frame["project"] != ""]


def _round_results(session: Session, rnd: RoundRow, by: Viewer) -> pd.DataFrame:
    coded = _scored_reports(session, int(rnd.id))
    if coded.empty:
        return _empty()
    result = panel_results(session, round_id=int(rnd.id), by=by, bootstrap=0,
                           item_agreement=False)
    reports = result.reports.reindex(coded["report_id"].to_numpy())
    raw = reports["raw_score"].to_numpy(dtype=float)
    adjusted = reports["adjusted_score"].to_numpy(dtype=float)
    choice = None if rnd.panel_choice is None else PanelChoice(rnd.panel_choice)
    if choice is PanelChoice.ADJUSTED:
        usable = np.isfinite(adjusted)
        score = np.where(usable, adjusted, raw)
        basis = np.where(usable, "adjusted", "raw_adjusted_missing")
    else:
        score = raw
        basis = np.full(raw.shape, "raw" if choice is PanelChoice.RAW else "raw_no_choice")
    # The rubric's maximum is the sum of its items' maxima (the snapshot the round scored on).
    top = float(sum(float(item["max_score"]) for item in rnd.rubric))
    # An adjusted score may leave the rubric's range; no report scores above full marks.
    total = round_half_up(np.clip(score * (_SCALE / top), 0.0, _SCALE), 2)
    return pd.DataFrame({
        "project": coded["project"].to_numpy(), "total": total, "basis": basis.astype(object),
        "n_ratings": reports["n_ratings"].to_numpy(dtype=int),
        "round_id": int(rnd.id), "round_title": rnd.title, "method": result.method.value,
        "report_id": coded["report_id"].to_numpy(dtype=int),
    })[KEY_RESULT_COLUMNS]


def key_evaluation_results(session: Session, *, year: int, by: Viewer) -> pd.DataFrame:
    """Each project's key-evaluation total from the closed review rounds of a budget year.

    Parameters
    ----------
    session
        An open session.
    year
        The budget year (the rounds' ``year``).
    by
        Admin or finance staff.

    Returns
    -------
    pandas.DataFrame
        One row per project, columns :data:`KEY_RESULT_COLUMNS`: ``project`` (the report's
        project code), ``total`` (0–100, two decimals), ``basis`` (a key of
        :data:`BASIS_LABELS`), ``n_ratings`` (submitted sheets), ``round_id``, ``round_title``,
        ``method`` (the panel rule) and ``report_id``. Sorted by project. Empty when no closed
        round of the year scored a report with a project code. The frame is what
        :attr:`scoring.year.CountyYear.key_results` takes.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.

    Notes
    -----
    Only closed rounds count: scores are final and visible once a round closes. The total is
    the panel score the staff chose for the round (:func:`review.store_results.record_panel_choice`):
    raw or severity-adjusted. Until a choice is recorded the raw score is used and ``basis``
    says ``raw_no_choice``; where the adjusted score was chosen but could not be computed for
    a report (too few ratings to fit rater effects), the raw score is used and ``basis`` says
    ``raw_adjusted_missing``. A score is put on 0–100 as ``score × 100 / rubric maximum``,
    the maximum being the sum of the round's rubric items' ``max_score``; an adjusted score
    is clipped to [0, 100], and the total is rounded half up to two decimals at the end.
    Reports without a project code and reports with no submitted sheet are left out. When
    several closed rounds (or several reports of one round) score the same project, the most
    recently closed round wins, and within a round the report added last.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> from review.store_rounds import close_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    ...     _ = close_round(s, round_id=tiny.round_id, by=tiny.admin)
    >>> with Session(engine) as s:
    ...     key_evaluation_results(s, year=2021, by=tiny.admin).columns.tolist()
    ['project', 'total', 'basis', 'n_ratings', 'round_id', 'round_title', 'method', 'report_id']
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    rounds = session.exec(
        select(RoundRow).where(RoundRow.year == int(year),
                               RoundRow.status == RoundStatus.CLOSED.value)
        .order_by(RoundRow.closed_at, RoundRow.id)).all()
    # A loop over a year's handful of rounds; each round's scores are computed at once.
    parts = [part for part in (_round_results(session, rnd, by) for rnd in rounds)
             if not part.empty]
    if not parts:
        return _empty()
    table = pd.concat(parts, ignore_index=True)
    table = table.drop_duplicates("project", keep="last")
    return table.sort_values("project", kind="stable").reset_index(drop=True)


def key_results_version(session: Session, *, year: int) -> tuple[tuple[int, int], ...]:
    """A cheap stamp that changes whenever the key-evaluation results of a year may change.

    Parameters
    ----------
    session
        An open session.
    year
        The budget year.

    Returns
    -------
    tuple of (int, int)
        ``(round id, round version)`` of every closed round of the year, by id; empty when
        there is none.

    Notes
    -----
    A closed round's sheets and reports cannot change; what can is the set of closed rounds
    (a round closes) and a round's panel choice. Both bump the round's ``version``
    (:func:`review.store_rounds.close_round`, :func:`review.store_results.record_panel_choice`),
    so the stamp changes with them. It reveals no score, so it asks for no viewer.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     key_results_version(s, year=2021)
    ()
    >>> clear_engine_cache()
    """
    rows = session.exec(
        select(RoundRow.id, RoundRow.version).where(
            RoundRow.year == int(year), RoundRow.status == RoundStatus.CLOSED.value)
        .order_by(RoundRow.id)).all()
    return tuple((int(round_id), int(version)) for round_id, version in rows)
