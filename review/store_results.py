"""Results of a review round: the scores, the panel result, progress, and the audit log.

Raters see a round's scores only after it closes, and only for rounds they sat on; staff see
them at any time (they run the round). Only submitted sheets count. Progress and the audit log
are for staff and admins respectively.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlmodel import Session, select, update

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.frontdoor import STAFF_ROLES, Role, Viewer
from review.access import (
    active_user,
    audit,
    is_panel_member,
    require_admin,
    require_staff,
    round_row,
)
from review.model import AuditEntry, PanelChoice, PanelMethod, RoundStatus, SheetStatus
from review.panel import PanelResult, panel_result
from review.store_tasks import bureau_today
from review.tables import AssignmentRow, AuditRow, ReportRow, RoundRow, UserRow, as_utc
from review.views import audit_entry

__all__ = ["audit_log", "panel_results", "progress", "record_panel_choice", "round_scores"]

SCORE_COLUMNS = ["report_id", "report_title", "rater_id", "rater_name", "item_code", "score"]


def _may_see_results(session: Session, viewer: Viewer, rnd: RoundRow) -> None:
    user = active_user(session, viewer)
    if Role(user.role) in STAFF_ROLES:
        return
    if RoundStatus(rnd.status) is not RoundStatus.CLOSED:
        raise PermissionDeniedError("评审结束前不能查看评分结果",
                                    "scores stay hidden until the round closes",
                                    field="round_id")
    if not is_panel_member(session, int(rnd.id), int(user.id)):
        raise PermissionDeniedError("您不在该轮次的评审组中", "you are not on this round's panel",
                                    field="round_id")


def _scores(session: Session, rnd: RoundRow) -> pd.DataFrame:
    rows = session.exec(
        select(AssignmentRow.report_id, ReportRow.title, AssignmentRow.rater_id,
               UserRow.display_name, AssignmentRow.scores)
        .join(ReportRow, ReportRow.id == AssignmentRow.report_id)
        .join(UserRow, UserRow.id == AssignmentRow.rater_id)
        .where(AssignmentRow.round_id == rnd.id,
               AssignmentRow.status == SheetStatus.SUBMITTED.value)
        .order_by(AssignmentRow.report_id, AssignmentRow.rater_id)).all()
    codes = [item["code"] for item in rnd.rubric]
    sheets = pd.DataFrame(rows, columns=["report_id", "report_title", "rater_id", "rater_name",
                                         "scores"])
    if sheets.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "score" else object)
                             for c in SCORE_COLUMNS})
    # One column per rubric item, then melted: rubric order within each sheet.
    wide = pd.DataFrame(list(sheets["scores"]), columns=codes, dtype=float)
    long = sheets.drop(columns="scores").join(wide).melt(
        id_vars=SCORE_COLUMNS[:4], value_vars=codes, var_name="item_code", value_name="score")
    order = pd.Categorical(long["item_code"], categories=codes, ordered=True)
    long = long.assign(_order=order).sort_values(["report_id", "rater_id", "_order"],
                                                 kind="stable")
    return long.drop(columns="_order").reset_index(drop=True)[SCORE_COLUMNS]


def round_scores(session: Session, *, round_id: int, viewer: Viewer) -> pd.DataFrame:
    """Every submitted score of a round, long format.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    viewer
        Staff at any time; a member of the round's panel once it is closed.

    Returns
    -------
    pandas.DataFrame
        Columns ``report_id``, ``report_title``, ``rater_id``, ``rater_name``, ``item_code``,
        ``score``; one row per submitted sheet and rubric item, in rubric order.

    Raises
    ------
    NotFoundError
        No such round.
    PermissionDeniedError
        A rater before the round closes, or anyone not staff and not on the panel.

    Notes
    -----
    Drafts never appear: a score counts once its sheet is submitted.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from review.store_rounds import close_round
    >>> with Session(engine) as s, s.begin():
    ...     _ = close_round(s, round_id=tiny.round_id, by=tiny.admin)
    ...     scores = round_scores(s, round_id=tiny.round_id, viewer=tiny.raters[0])
    >>> list(scores.columns), len(scores)
    (['report_id', 'report_title', 'rater_id', 'rater_name', 'item_code', 'score'], 0)
    >>> clear_engine_cache()
    """
    rnd = round_row(session, round_id)
    _may_see_results(session, viewer, rnd)
    return _scores(session, rnd)


def panel_results(session: Session, *, round_id: int, by: Viewer,
                  method: PanelMethod | str | None = None, bootstrap: int = 1000,
                  item_agreement: bool = True) -> PanelResult:
    """The round's panel result (:func:`review.panel.panel_result`) on its submitted sheets.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        Staff at any time; a member of the round's panel once it is closed.
    method
        ``mean``, ``trimmed_mean`` or ``median``; None uses the round's recorded method.
    bootstrap
        Resamples of Krippendorff's alpha interval.
    item_agreement
        Whether to compute agreement per rubric item too (the costly part on large rounds).

    Returns
    -------
    PanelResult
        Its ``reports`` table gains ``report_title`` and, once a choice is recorded,
        ``final_score`` (raw or adjusted as chosen); ``raters`` gains ``rater_name``.

    Raises
    ------
    NotFoundError
        No such round.
    PermissionDeniedError
        As for :func:`round_scores`.
    InputError
        An unknown method.

    Notes
    -----
    Computed afresh from the stored scores every time, so a disputed result can always be
    recomputed from the database.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from review.store_sheets import submit_sheet
    >>> from review.store_tasks import rubric_items
    >>> with Session(engine) as s, s.begin():
    ...     items = rubric_items(s, round_id=tiny.round_id)
    ...     for n, sheet in enumerate(tiny.sheets):
    ...         share = (0.9, 0.7, 0.8, 0.6)[n]
    ...         _ = submit_sheet(s, assignment_id=sheet, viewer=tiny.raters[n // 2],
    ...                          expected_version=1,
    ...                          scores={i.code: i.max_score * share for i in items})
    >>> with Session(engine) as s:
    ...     result = panel_results(s, round_id=tiny.round_id, by=tiny.admin, bootstrap=0)
    >>> result.reports["raw_score"].round(1).tolist()
    [85.0, 65.0]
    >>> clear_engine_cache()
    """
    rnd = round_row(session, round_id)
    _may_see_results(session, by, rnd)
    scores = _scores(session, rnd)
    result = panel_result(scores, [item["code"] for item in rnd.rubric],
                          method=rnd.panel_method if method is None else method,
                          bootstrap=bootstrap, seed=int(rnd.id), item_agreement=item_agreement)
    titles = scores.drop_duplicates("report_id").set_index("report_id")["report_title"]
    names = scores.drop_duplicates("rater_id").set_index("rater_id")["rater_name"]
    reports = result.reports.assign(report_title=titles.reindex(result.reports.index))
    if rnd.panel_choice is not None:
        chosen = "adjusted_score" if rnd.panel_choice == PanelChoice.ADJUSTED.value else "raw_score"
        reports = reports.assign(final_score=reports[chosen])
    raters = result.raters.assign(rater_name=names.reindex(result.raters.index))
    constants = {**result.constants, "panel_choice": rnd.panel_choice,
                 "panel_choice_reason": rnd.panel_choice_reason, "rubric_ref": rnd.rubric_ref}
    return PanelResult(method=result.method, reports=reports, totals=result.totals,
                       agreement=result.agreement, item_agreement=result.item_agreement,
                       raters=raters, outliers=result.outliers, notes=result.notes,
                       constants=constants)


def record_panel_choice(session: Session, *, round_id: int, choice: PanelChoice | str,
                        reason: str, by: Viewer) -> None:
    """Record whether a closed round's result uses raw or severity-adjusted panel scores.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A closed round.
    choice
        ``"raw"`` or ``"adjusted"``.
    reason
        Why (required), kept on the round and in the audit log.
    by
        Admin or finance staff.

    Returns
    -------
    None

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is not closed, or changed concurrently.
    InputError
        An unknown choice or no reason.

    Notes
    -----
    The software recommends; a person decides, and the decision is recorded with its reason
    (DOMAIN §1, result application). A later choice replaces the earlier one, and both stay in
    the audit log.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> from review.store_rounds import close_round, get_round
    >>> with Session(engine) as s, s.begin():
    ...     _ = close_round(s, round_id=tiny.round_id, by=tiny.admin)
    ...     record_panel_choice(s, round_id=tiny.round_id, choice="raw",
    ...                         reason="评审人宽严差异不显著", by=tiny.admin)
    ...     get_round(s, round_id=tiny.round_id, by=tiny.admin).panel_choice.value
    'raw'
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = round_row(session, round_id)
    try:
        choice = PanelChoice(choice)
    except ValueError as exc:
        raise InputError(f"未知的选择 {choice!r}，可选 raw 或 adjusted",
                         f"unknown choice {choice!r}; use raw or adjusted", field="choice") from exc
    reason = str(reason or "").strip()
    if not reason:
        raise InputError("必须说明理由", "a reason is required", field="reason")
    if RoundStatus(rnd.status) is not RoundStatus.CLOSED:
        raise ConflictError("轮次结束后才能确定采用哪种得分",
                            "the choice is made once the round is closed", field="round_id")
    changed = session.exec(update(RoundRow).where(
        RoundRow.id == rnd.id, RoundRow.version == rnd.version).values(
        panel_choice=choice.value, panel_choice_reason=reason, version=RoundRow.version + 1))
    if changed.rowcount != 1:
        raise ConflictError("轮次刚被他人修改，请刷新后重试",
                            "the round was changed by someone else; reload and retry",
                            field="round_id")
    audit(session, actor=actor, entity="round", entity_id=int(rnd.id), action="panel_choice",
          old={"panel_choice": rnd.panel_choice, "reason": rnd.panel_choice_reason},
          new={"panel_choice": choice.value, "reason": reason,
               "panel_method": rnd.panel_method})
    session.flush()


def progress(session: Session, *, round_id: int, by: Viewer,
             now: datetime | None = None) -> pd.DataFrame:
    """Where every sheet of a round stands, one row per sheet.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        Admin or finance staff.
    now
        The current time (tests pass a fixed one); default the clock.

    Returns
    -------
    pandas.DataFrame
        Columns ``assignment_id``, ``report_id``, ``report_title``, ``rater_id``,
        ``rater_name``, ``status``, ``submitted`` (bool), ``overdue`` (bool), ``updated_at``,
        ``submitted_at``. Per report: ``df.groupby("report_id")["submitted"].agg(["sum",
        "size"])``; per rater the same by ``rater_id``; the overdue list:
        ``df[df["overdue"]]``.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    NotFoundError
        No such round.

    Notes
    -----
    A sheet is overdue when its round is open, the deadline day (China Standard Time) has
    passed and it is not submitted. No scores are included.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     sheets = progress(s, round_id=tiny.round_id, by=tiny.admin)
    >>> sheets.groupby("rater_id")["submitted"].agg(["sum", "size"]).to_numpy().tolist()
    [[0, 2], [0, 2]]
    >>> clear_engine_cache()
    """
    require_staff(session, by)
    rnd = round_row(session, round_id)
    rows = session.exec(
        select(AssignmentRow.id, AssignmentRow.report_id, ReportRow.title,
               AssignmentRow.rater_id, UserRow.display_name, AssignmentRow.status,
               AssignmentRow.updated_at, AssignmentRow.submitted_at)
        .join(ReportRow, ReportRow.id == AssignmentRow.report_id)
        .join(UserRow, UserRow.id == AssignmentRow.rater_id)
        .where(AssignmentRow.round_id == rnd.id)
        .order_by(AssignmentRow.report_id, AssignmentRow.rater_id)).all()
    frame = pd.DataFrame(rows, columns=["assignment_id", "report_id", "report_title", "rater_id",
                                        "rater_name", "status", "updated_at", "submitted_at"])
    submitted = frame["status"] == SheetStatus.SUBMITTED.value
    late = (rnd.status == RoundStatus.OPEN.value and rnd.deadline is not None
            and bureau_today(now) > rnd.deadline)
    frame["updated_at"] = [as_utc(v) for v in frame["updated_at"]]
    frame["submitted_at"] = [as_utc(v) for v in frame["submitted_at"]]
    frame = frame.assign(submitted=submitted.astype(bool), overdue=(~submitted) & bool(late))
    return frame[["assignment_id", "report_id", "report_title", "rater_id", "rater_name",
                  "status", "submitted", "overdue", "updated_at", "submitted_at"]]


def audit_log(session: Session, *, by: Viewer, entity: str | None = None) -> list[AuditEntry]:
    """The audit log, oldest first, optionally for one kind of entity.

    Parameters
    ----------
    session
        An open session.
    by
        An admin.
    entity
        ``"user"``, ``"round"``, ``"report"``, ``"panel"``, ``"assignment"`` or ``"sheet"``;
        None for everything.

    Returns
    -------
    list of AuditEntry

    Raises
    ------
    PermissionDeniedError
        ``by`` is not an admin.

    Notes
    -----
    Append-only: this module has no function that changes or removes a line, and the
    database's triggers refuse ``UPDATE`` and ``DELETE`` on the table.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     [e.action for e in audit_log(s, by=tiny.admin, entity="round")]
    ['create', 'open']
    >>> clear_engine_cache()
    """
    require_admin(session, by)
    statement = select(AuditRow).order_by(AuditRow.id)
    if entity is not None:
        statement = statement.where(AuditRow.entity == str(entity))
    return [audit_entry(r) for r in session.exec(statement).all()]
