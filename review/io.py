"""Export a review round to Excel: every score in long format, and a per-report summary.

The workbook is a clean table a portal can post and a spreadsheet user can pivot: the sheet
"评分明细" has one row per report, rater and rubric item; "汇总" one row per report with its
raw and severity-adjusted panel scores (a report nobody has scored yet included, with 0
ratings and empty scores, so the archived file lists the whole round); "评审人" the rater
severity table; "一致性" the agreement report on the totals. Column headers are Chinese, as the
bureaus' own files are. Scores are written rounded half up to two decimals, as the rest of the
project prints points (:func:`scoring.project.round_half_up`), and shown with two decimals.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlmodel import Session

from indicators.frontdoor import Viewer
from review.store import get_round, list_reports, panel_results, round_scores, rubric_items
from scoring.project import round_half_up

__all__ = ["SHEETS", "export_round"]

SHEETS = ("评分明细", "汇总", "评审人", "一致性")
"""The workbook's sheets, in order."""

_LONG_HEADERS = {"report_id": "报告编号", "report_title": "报告标题", "rater_id": "评审人编号",
                 "rater_name": "评审人", "level1": "一级评审项", "item_code": "评分项编码",
                 "item_name": "评分项", "max_score": "满分", "score": "得分"}
_SUMMARY_HEADERS = {"report_id": "报告编号", "report_title": "报告标题", "n_ratings": "评审人数",
                    "raw_score": "合议得分", "adjusted_score": "宽严调整后得分",
                    "adjustment": "调整量", "min_total": "最低总分", "max_total": "最高总分",
                    "final_score": "采用得分"}
_RATER_HEADERS = {"rater_id": "评审人编号", "rater_name": "评审人", "n_ratings": "评审份数",
                  "effect": "宽严效应", "se": "标准误", "z": "z 值", "label_zh": "判断",
                  "mean_deviation": "与他人平均差", "correlation": "与他人相关"}
_AGREEMENT_HEADERS = {"coefficient": "系数", "value": "值", "ci_low": "置信下限",
                      "ci_high": "置信上限", "p_value": "p 值", "n_items": "报告数",
                      "n_raters": "评审人数", "interpretation_zh": "解释", "note_zh": "说明"}

# Decimals kept per column: points to two, as printed elsewhere; coefficients and correlations
# to three and p-values to four, where two decimals would hide the difference that matters.
_DECIMALS = {"score": 2, "max_score": 2, "raw_score": 2, "adjusted_score": 2, "adjustment": 2,
             "min_total": 2, "max_total": 2, "final_score": 2, "effect": 2, "se": 2, "z": 2,
             "mean_deviation": 2, "correlation": 3, "value": 3, "ci_low": 3, "ci_high": 3,
             "p_value": 4}
_FORMATS = {2: "0.00", 3: "0.000", 4: "0.0000"}


def _pick(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    columns = [c for c in headers if c in frame.columns]
    picked = frame[columns].copy()
    for column in columns:
        if column in _DECIMALS and len(picked):
            picked[column] = round_half_up(pd.to_numeric(picked[column], errors="coerce"),
                                           _DECIMALS[column])
    return picked.rename(columns=headers)


def _write(writer: pd.ExcelWriter, frame: pd.DataFrame, name: str,
           headers: dict[str, str]) -> None:
    table = _pick(frame, headers)
    table.to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    for position, column in enumerate(c for c in headers if c in frame.columns):
        if column not in _DECIMALS:
            continue
        # Row 1 holds the headers; empty cells keep no format, so they stay blank.
        for (cell,) in sheet.iter_rows(min_row=2, min_col=position + 1, max_col=position + 1):
            cell.number_format = _FORMATS[_DECIMALS[column]]


def _every_report(summary: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """The summary with a row for each report of the round, unscored ones at 0 ratings."""
    # Outer: a panel member is listed only their own reports, yet reads the whole result.
    full = reports.merge(summary, on="report_id", how="outer", suffixes=("", "_scored"))
    if "report_title_scored" in full:
        full["report_title"] = full["report_title"].fillna(full.pop("report_title_scored"))
    full["n_ratings"] = full["n_ratings"].fillna(0).astype(int)
    for column in ("raw_score", "adjusted_score", "adjustment", "min_total", "max_total"):
        if column not in full:
            full[column] = float("nan")
    return full.sort_values("report_id", kind="stable").reset_index(drop=True)


def export_round(session: Session, *, round_id: int, by: Viewer, path: str | Path,
                 bootstrap: int = 1000) -> Path:
    """Write a round's scores and panel result to an ``.xlsx`` workbook.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        Staff at any time; a member of the round's panel once it is closed.
    path
        Where to write the workbook (overwritten).
    bootstrap
        Resamples of Krippendorff's alpha interval in the agreement sheet.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    NotFoundError
        No such round.
    PermissionDeniedError
        As for :func:`review.store.round_scores`.

    Notes
    -----
    Only submitted sheets are exported; the summary still lists every report of the round, one
    without a submitted sheet with 0 ratings and empty scores. The summary's "采用得分" column appears once staff
    have recorded whether the round uses raw or adjusted scores. The round's title, rubric
    version and panel method go into the workbook's properties (title and subject).

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> import tempfile, pathlib, pandas as pd
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with Session(engine) as s:
    ...     path = export_round(s, round_id=tiny.round_id, by=tiny.admin,
    ...                         path=folder / "round.xlsx", bootstrap=0)
    >>> list(pd.read_excel(path, sheet_name=None))
    ['评分明细', '汇总', '评审人', '一致性']
    >>> clear_engine_cache()
    """
    target = Path(path)
    rnd = get_round(session, round_id=round_id, by=by)
    scores = round_scores(session, round_id=round_id, viewer=by)
    items = pd.DataFrame([{"item_code": i.code, "item_name": i.name, "level1": i.level1,
                           "max_score": i.max_score}
                          for i in rubric_items(session, round_id=round_id)])
    long = scores.merge(items, on="item_code", how="left")
    reports = pd.DataFrame([{"report_id": r.report_id, "report_title": r.title}
                            for r in list_reports(session, round_id=round_id, by=by)],
                           columns=["report_id", "report_title"])
    if scores.empty:
        summary = _every_report(pd.DataFrame(columns=["report_id", "n_ratings"]), reports)
        raters = pd.DataFrame(columns=list(_RATER_HEADERS))
        agreement = pd.DataFrame(columns=list(_AGREEMENT_HEADERS))
    else:
        result = panel_results(session, round_id=round_id, by=by, bootstrap=bootstrap)
        summary = _every_report(result.reports.reset_index(), reports)
        raters = result.raters.reset_index()
        agreement = result.agreement
    target.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        _write(writer, long, SHEETS[0], _LONG_HEADERS)
        _write(writer, summary, SHEETS[1], _SUMMARY_HEADERS)
        _write(writer, raters, SHEETS[2], _RATER_HEADERS)
        _write(writer, agreement, SHEETS[3], _AGREEMENT_HEADERS)
        writer.book.properties.title = rnd.title
        writer.book.properties.subject = (f"{rnd.rubric_ref}; panel method {rnd.panel_method.value}; "
                                          f"status {rnd.status.value}")
    return target
