"""Export a review round to Excel: every score in long format, and a per-report summary.

The workbook is a clean table a portal can post and a spreadsheet user can pivot: the sheet
"评分明细" has one row per report, rater and rubric item; "汇总" one row per report with its
raw and severity-adjusted panel scores; "评审人" the rater severity table; "一致性" the
agreement report on the totals. Column headers are Chinese, as the bureaus' own files are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlmodel import Session

from indicators.frontdoor import Viewer
from review.store import get_round, panel_results, round_scores, rubric_items

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


def _pick(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    columns = [c for c in headers if c in frame.columns]
    return frame[columns].rename(columns=headers)


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
    Only submitted sheets are exported. The summary's "采用得分" column appears once staff
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
    if scores.empty:
        summary = pd.DataFrame(columns=list(_SUMMARY_HEADERS))
        raters = pd.DataFrame(columns=list(_RATER_HEADERS))
        agreement = pd.DataFrame(columns=list(_AGREEMENT_HEADERS))
    else:
        result = panel_results(session, round_id=round_id, by=by, bootstrap=bootstrap)
        summary = result.reports.reset_index()
        raters = result.raters.reset_index()
        agreement = result.agreement
    target.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        _pick(long, _LONG_HEADERS).to_excel(writer, sheet_name=SHEETS[0], index=False)
        _pick(summary, _SUMMARY_HEADERS).to_excel(writer, sheet_name=SHEETS[1], index=False)
        _pick(raters, _RATER_HEADERS).to_excel(writer, sheet_name=SHEETS[2], index=False)
        _pick(agreement, _AGREEMENT_HEADERS).to_excel(writer, sheet_name=SHEETS[3], index=False)
        writer.book.properties.title = rnd.title
        writer.book.properties.subject = (f"{rnd.rubric_ref}; panel method {rnd.panel_method.value}; "
                                          f"status {rnd.status.value}")
    return target
