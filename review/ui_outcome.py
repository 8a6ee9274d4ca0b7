"""What a rater sees once a round is closed: the panel result and where their own scores stood.

Other raters stay unnamed (评审人 A, B, …): the rater learns the spread of the panel, not who
gave what. The panel score uses the round's recorded method through
:func:`review.panel.panel_scores`, the same kernel the staff's dashboard uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from review import store
from review.model import RoundPublic, RubricItem, SheetPublic
from review.panel import panel_scores
from review.ui_shell import reading, show_error, show_table

__all__ = ["show_outcome"]


def _scores(ctx: PageContext, round_id: int) -> pd.DataFrame:
    # A closed round no longer changes, so its scores are read once per browser session.
    key = f"review.outcome.{round_id}"
    if key not in st.session_state:
        with reading(ctx) as session:
            st.session_state[key] = store.round_scores(session, round_id=round_id,
                                                       viewer=ctx.viewer)
    return st.session_state[key]


def show_outcome(ctx: PageContext, sheet: SheetPublic, items: list[RubricItem],
                 rnd: RoundPublic) -> None:
    """Show the panel score of the sheet's report and the rater's position on the panel.

    Parameters
    ----------
    ctx
        The signed-in rater and the engine.
    sheet
        The rater's own sheet.
    items
        The round's rubric items.
    rnd
        The (closed) round.

    Returns
    -------
    None

    Notes
    -----
    The rater's total is compared with the panel score and ranked among the submitted totals
    (1 = highest); per item, their score stands beside the panel's mean.

    Examples
    --------
    >>> show_outcome.__name__
    'show_outcome'
    """
    st.subheader(ctx.t("review.outcome.title"))
    try:
        scores = _scores(ctx, rnd.round_id)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    mine = scores[scores["report_id"] == sheet.report_id]
    if mine.empty:
        st.info(ctx.t("review.outcome.none"))
        return
    totals = mine.groupby("rater_id", sort=True)["score"].sum()
    panel = float(panel_scores(totals.to_numpy()[None, :], rnd.panel_method)[0])
    method = ctx.t(f"review.method.{rnd.panel_method.value}")
    st.metric(ctx.t("review.outcome.panel", method=method), f"{panel:.2f}")
    own = totals.get(sheet.rater_id)
    if own is None or np.isnan(own):
        st.caption(ctx.t("review.outcome.not_submitted"))
        return
    rank = int((totals > own).sum()) + 1
    st.metric(ctx.t("review.outcome.own"), f"{own:g}", delta=f"{own - panel:+.2f}",
              delta_color="off")
    st.write(ctx.t("review.outcome.rank", rank=rank, n=len(totals)))
    letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    names = {rid: ctx.t("review.outcome.you") if rid == sheet.rater_id
             else ctx.t("review.outcome.other", letter=next(letters)) for rid in totals.index}
    chart = pd.DataFrame({ctx.t("review.outcome.rater"): [names[r] for r in totals.index],
                          ctx.t("review.sheet.total"): totals.to_numpy()})
    st.bar_chart(chart, x=ctx.t("review.outcome.rater"), y=ctx.t("review.sheet.total"),
                 horizontal=True, height=60 + 40 * len(totals))
    by_item = mine.pivot_table(index="item_code", columns="rater_id", values="score")
    shown = [item for item in items if item.code in by_item.index]
    mean = ctx.t("review.outcome.col_mean")
    show_table(pd.DataFrame({
        ctx.t("review.sheet.col_item"): [item.name for item in shown],
        ctx.t("review.outcome.col_own"): [sheet.scores.get(item.code) for item in shown],
        mean: by_item.reindex([item.code for item in shown]).mean(axis=1).to_numpy(),
        ctx.t("review.sheet.col_max"): [float(item.max_score) for item in shown]}),
        decimals={mean: 2}, hide_index=True, width="stretch")
