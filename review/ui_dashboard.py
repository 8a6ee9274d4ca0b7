"""The staff's review board (评审看板): progress while a round runs, results once it closes.

Progress is counted per report and per rater from :func:`review.store.progress`; the overdue
list comes with a ready-to-copy reminder text, since the bureau sends reminders by its own
messaging, not from here. Closing asks for confirmation. Results, the raw-versus-adjusted
choice and the Excel export are in :mod:`review.ui_results`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext, Role
from indicators.i18n import t
from review import store
from review.model import RoundPublic, RoundStatus
from review.ui_results import render_export, render_results
from review.ui_rounds import round_picker
from review.ui_shell import MISSING, format_date, format_time, reading, show_error, writing

__all__ = ["reminder_text", "render_dashboard"]


def reminder_text(overdue: pd.DataFrame, *, deadline: str, lang: str = "zh") -> str:
    """A reminder list to paste into a message: one line per rater with their unsubmitted reports.

    Parameters
    ----------
    overdue
        Rows of :func:`review.store.progress` that are overdue (``rater_name``,
        ``report_title``).
    deadline
        The round's deadline as shown to people.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        Empty when nothing is overdue.

    Notes
    -----
    There is no mail server in a county bureau's deployment; staff paste this into the
    messaging they already use.

    Examples
    --------
    >>> rows = pd.DataFrame({"rater_name": ["周强", "周强", "吴芳"],
    ...                      "report_title": ["甲报告", "乙报告", "甲报告"]})
    >>> print(reminder_text(rows, deadline="2021-06-30"))
    周强：《甲报告》《乙报告》，共 2 份，截止 2021-06-30，请尽快提交评分。
    吴芳：《甲报告》，共 1 份，截止 2021-06-30，请尽快提交评分。
    """
    lines = []
    for name, group in overdue.groupby("rater_name", sort=False):
        titles = "".join(f"《{title}》" for title in group["report_title"])
        lines.append(t("review.board.reminder_line", lang, name=name, titles=titles,
                       n=len(group), deadline=deadline))
    return "\n".join(lines)


def _headline(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame) -> None:
    done = int(sheets["submitted"].sum()) if not sheets.empty else 0
    cells = st.columns(4)
    cells[0].metric(ctx.t("review.rounds.col_status"),
                    ctx.t(f"review.round_status.{rnd.status.value}"))
    cells[1].metric(ctx.t("review.rounds.deadline"), format_date(rnd.deadline))
    cells[2].metric(ctx.t("review.board.reports"), int(sheets["report_id"].nunique())
                    if not sheets.empty else 0)
    cells[3].metric(ctx.t("review.board.submitted"), f"{done} / {len(sheets)}")
    if len(sheets):
        st.progress(done / len(sheets))


def _progress_tables(ctx: PageContext, sheets: pd.DataFrame) -> None:
    if sheets.empty:
        st.info(ctx.t("review.board.no_sheets"))
        return
    per_report = sheets.groupby(["report_id", "report_title"], sort=False).agg(
        done=("submitted", "sum"), size=("submitted", "size")).reset_index()
    per_rater = sheets.assign(draft=sheets["status"].eq("draft")).groupby(
        ["rater_id", "rater_name"], sort=False).agg(
        done=("submitted", "sum"), draft=("draft", "sum"), size=("submitted", "size"),
        overdue=("overdue", "sum")).reset_index()
    share = ctx.t("review.board.share")
    left, right = st.columns(2)
    with left:
        st.markdown(f"#### {ctx.t('review.board.per_report')}")
        st.dataframe(pd.DataFrame({
            ctx.t("review.rounds.col_title"): per_report["report_title"],
            ctx.t("review.board.done"): per_report["done"].astype(int),
            ctx.t("review.board.assigned"): per_report["size"].astype(int),
            share: per_report["done"] / per_report["size"]}), hide_index=True, width="stretch",
            placeholder=MISSING,
            column_config={share: st.column_config.ProgressColumn(share, min_value=0,
                                                                  max_value=1, format="percent")})
    with right:
        st.markdown(f"#### {ctx.t('review.board.per_rater')}")
        st.dataframe(pd.DataFrame({
            ctx.t("review.outcome.rater"): per_rater["rater_name"],
            ctx.t("review.board.done"): per_rater["done"].astype(int),
            ctx.t("review.status.draft"): per_rater["draft"].astype(int),
            ctx.t("review.board.assigned"): per_rater["size"].astype(int),
            ctx.t("review.tasks.overdue"): per_rater["overdue"].astype(int)}),
            hide_index=True, width="stretch", placeholder=MISSING)


def _overdue(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame) -> None:
    late = sheets[sheets["overdue"]] if not sheets.empty else sheets
    st.markdown(f"#### {ctx.t('review.board.overdue', n=len(late))}")
    if late.empty:
        st.caption(ctx.t("review.board.none_overdue"))
        return
    st.dataframe(pd.DataFrame({
        ctx.t("review.outcome.rater"): late["rater_name"],
        ctx.t("review.rounds.col_title"): late["report_title"],
        ctx.t("review.board.last_saved"): [format_time(v) for v in late["updated_at"]]}),
        hide_index=True, width="stretch", placeholder=MISSING)
    st.caption(ctx.t("review.board.copy_note"))
    st.code(reminder_text(late, deadline=format_date(rnd.deadline), lang=ctx.lang),
            language=None, wrap_lines=True)


def _close(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame) -> None:
    if rnd.status is not RoundStatus.OPEN:
        return
    pending = int((~sheets["submitted"]).sum()) if not sheets.empty else 0
    confirm_key = f"review.board.confirm_close.{rnd.round_id}"
    if not st.session_state.get(confirm_key):
        if st.button(ctx.t("review.board.close"), type="primary", key="review.board.close"):
            st.session_state[confirm_key] = True
            st.rerun()
        return
    st.warning(ctx.t("review.board.close_confirm", n=pending))
    yes, no = st.columns(2)
    if yes.button(ctx.t("review.board.close_yes"), type="primary", key="review.board.close_yes"):
        st.session_state[confirm_key] = False
        try:
            with writing(ctx) as session:
                store.close_round(session, round_id=rnd.round_id, by=ctx.viewer)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.rerun()
    if no.button(ctx.t("review.sheet.confirm_no"), key="review.board.close_no"):
        st.session_state[confirm_key] = False
        st.rerun()


def _reopen(ctx: PageContext, rnd: RoundPublic, sheets: pd.DataFrame) -> None:
    if ctx.viewer.role is not Role.ADMIN or rnd.status is not RoundStatus.OPEN:
        return
    done = sheets[sheets["submitted"]]
    st.markdown(f"#### {ctx.t('review.board.reopen')}")
    if done.empty:
        st.caption(ctx.t("review.board.nothing_to_reopen"))
        return
    labels = {int(row.assignment_id): f"{row.report_title} — {row.rater_name}"
              for row in done.itertuples()}
    with st.form("review.board.reopen"):
        chosen = st.selectbox(ctx.t("review.board.reopen_pick"), list(labels),
                              format_func=labels.__getitem__, key="review.board.reopen_pick")
        reason = st.text_input(ctx.t("review.board.reopen_reason"),
                               key="review.board.reopen_reason")
        submitted = st.form_submit_button(ctx.t("review.board.reopen_button"),
                                          key="review.board.reopen_submit")
    if submitted:
        try:
            with writing(ctx) as session:
                store.reopen_sheet(session, assignment_id=chosen, reason=reason, by=ctx.viewer)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.success(ctx.t("review.board.reopened", label=labels[chosen]))


def render_dashboard(ctx: PageContext) -> None:
    """Render the review board for admin and finance staff.

    Parameters
    ----------
    ctx
        The signed-in staff member and the engine.

    Returns
    -------
    None

    Notes
    -----
    Three views: progress (per report, per rater, overdue list, closing, reopening a sheet),
    results (see :func:`review.ui_results.render_results`) and export; a closed round opens on
    its results.

    Examples
    --------
    >>> render_dashboard.__name__
    'render_dashboard'
    """
    st.title(ctx.t("review.page.dashboard"))
    try:
        with reading(ctx) as session:
            rounds = store.list_rounds(session, by=ctx.viewer)
        rnd = round_picker(ctx, rounds)
        if rnd is None:
            st.info(ctx.t("review.board.no_rounds"))
            return
        with reading(ctx) as session:
            sheets = store.progress(session, round_id=rnd.round_id, by=ctx.viewer)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    _headline(ctx, rnd, sheets)
    # A switch rather than tabs: only the chosen view is computed, and results can be costly.
    views = ("progress", "results", "export")
    view = st.segmented_control(
        ctx.t("review.board.view"), views, key=f"review.board.view.{rnd.round_id}",
        default="results" if rnd.status is RoundStatus.CLOSED else "progress",
        format_func=lambda v: ctx.t(f"review.board.tab_{v}"), required=True)
    if view == "progress":
        _progress_tables(ctx, sheets)
        _overdue(ctx, rnd, sheets)
        _close(ctx, rnd, sheets)
        _reopen(ctx, rnd, sheets)
    elif view == "results":
        render_results(ctx, rnd, sheets)
    else:
        render_export(ctx, rnd)
