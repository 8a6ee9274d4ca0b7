"""The decision table every lifecycle page shares: recommendations in, people's decisions out.

A page hands :func:`decision_table` its recommendations; a person accepts or changes each (a
change needs a reason), and "record" stores the rows they changed, while a separate button
accepts the remaining recommendations. :func:`changed_rows` says which rows an edit changed.
Decisions go to :mod:`scoring.lifecycle_decision_store`, append-only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from indicators.ui_widgets import show_error
from scoring.lifecycle_decision_store import current_decisions, record_decisions
from scoring.ui_lifecycle import Setting, recorded
from scoring.ui_lifecycle_tables import (
    GAP,
    MONEY_COLUMNS,
    POINT_COLUMNS,
    VALUE_KINDS,
    fitted_width,
    shown_values,
    value_labels,
)

__all__ = ["changed_rows", "decision_table"]

# Decision-table columns a person fills in, and the read-only columns that go before them.
_EDITABLE = ("outcome", "decided_amount", "reason")
_LEADING = ("name",)


def changed_rows(before: pd.DataFrame, after: pd.DataFrame, columns: Sequence[str]
                 ) -> np.ndarray:
    """Which rows a person changed in an editor: any of ``columns`` differs from when drawn.

    Parameters
    ----------
    before
        The table as the editor was drawn.
    after
        What the editor gives back, the same rows in the same order.
    columns
        The columns a person may change.

    Returns
    -------
    numpy.ndarray
        One boolean per row.

    Notes
    -----
    Amounts compare within half a fen and missing equals missing, so a figure typed back as
    it was shown is no change; text compares without surrounding blanks, an empty cell as
    empty text; anything else compares as it is.

    Examples
    --------
    >>> a = pd.DataFrame({"outcome": ["支持", "支持"], "amount": [1.0, float("nan")],
    ...                   "reason": ["", None]})
    >>> b = a.assign(amount=[1.004, float("nan")], reason=["", " "])
    >>> changed_rows(a, b, ["outcome", "amount", "reason"]).tolist()
    [False, False]
    >>> changed_rows(a, b.assign(outcome=["支持", "不予支持"]), ["outcome"]).tolist()
    [False, True]
    """
    changed = np.zeros(len(before), dtype=bool)
    for column in columns:
        old, new = before[column].reset_index(drop=True), after[column].reset_index(drop=True)
        if pd.api.types.is_float_dtype(old) or pd.api.types.is_float_dtype(new):
            x = pd.to_numeric(old, errors="coerce").to_numpy(dtype=float)
            y = pd.to_numeric(new, errors="coerce").to_numpy(dtype=float)
            # Half a fen, as the decision store compares amounts.
            changed |= (np.isnan(x) != np.isnan(y)) | (
                np.abs(np.nan_to_num(x) - np.nan_to_num(y)) > 0.005)
        elif pd.api.types.is_bool_dtype(old):
            changed |= old.fillna(False).astype(bool).to_numpy() != new.fillna(False).astype(
                bool).to_numpy()
        else:
            changed |= (old.fillna("").astype(str).str.strip().to_numpy()
                        != new.fillna("").astype(str).str.strip().to_numpy())
    return changed


def decision_table(ctx: PageContext, setting: Setting, *, stage: str, frame: pd.DataFrame,
                   options: Sequence[str], key: str, shown: Sequence[str] = (),
                   detail: dict[str, Any] | None = None, amounts: bool = True,
                   kind: str | None = None, colours: Mapping[str, Mapping[str, str]] | None = None,
                   cut_by: str | None = None) -> None:
    """An editable table of recommendations: decide each, give a reason for any change, record.

    Parameters
    ----------
    ctx
        The page context.
    setting
        Year and settings (recorded with each decision).
    stage
        The stage (:data:`scoring.lifecycle_decision_store.STAGES`).
    frame
        ``project``, ``recommendation`` and ``recommended_amount`` as the kernels recommend
        them (not a decision laid over them), and optionally ``item`` and the read-only
        columns named in ``shown``.
    options
        The outcomes a person may choose.
    key
        Widget key prefix.
    shown
        Read-only columns shown beside the decision.
    detail
        Extra facts stored with every decision (e.g. the cut-off month).
    amounts
        Whether the decision carries an amount (a verdict on a finding does not).
    kind
        The family of the recommendations and options in the message catalogue
        (:func:`scoring.ui_lifecycle_tables.value_label`); None shows them as they are.
    colours
        Shown column → {stored value: background colour} for its cells (e.g. the light).
    cut_by
        The only outcome that may carry an amount above zero (双监控: only 调整调减 cuts
        funds); None when any outcome may.

    Returns
    -------
    None

    Notes
    -----
    Each row starts at the decision in force, or at the recommendation when none was taken.
    "记录决定" stores only the rows a person changed from what was shown
    (:func:`changed_rows`); "接受其余全部建议（N 项）" stores the N rows nobody has decided and
    nobody changed, each as its recommendation — accepting every recommendation is one
    click, but never the side effect of recording one change. A change without a reason, or an
    amount on an outcome other than ``cut_by``, is refused, naming its project, and nothing
    is stored. Recommendations and choices are shown in the page's language and stored as the
    kernels name them, so a choice made on the English page stores the same value as on the
    Chinese one. The project, its name, the recommendation and the three columns a person
    fills in come first, so they are in sight on a laptop; the other facts follow, each column
    as wide as its header and longest value.

    Examples
    --------
    >>> callable(decision_table)
    True
    """
    table = frame.reset_index(drop=True)
    if "item" not in table:
        table["item"] = ""
    with Session(ctx.engine) as session:
        now = current_decisions(session, year=setting.year, stage=stage)
    at = table[["project", "item"]].merge(now[["project", "item", "outcome", "amount", "reason",
                                               "created_by"]], on=["project", "item"], how="left")
    decided = at["outcome"].notna().to_numpy()
    table["outcome"] = at["outcome"].where(decided, table["recommendation"]).to_numpy()
    table["decided_amount"] = at["amount"].where(decided,
                                                 table["recommended_amount"]).to_numpy(float)
    table["reason"] = at["reason"].fillna("").to_numpy()
    # None, not "", so an undecided row shows the dash rather than a blank that looks lost.
    table["decided_by"] = at["created_by"].where(at["created_by"].notna(), None).to_numpy()
    leading = [c for c in shown if c in _LEADING]
    columns = ["project", *leading, "recommendation", "recommended_amount", *_EDITABLE,
               *[c for c in shown if c not in _LEADING], "decided_by"]
    if not amounts:
        columns = [c for c in columns if c not in ("recommended_amount", "decided_amount")]
    label = {c: ctx.t(f"lifecycle.col.{c}") for c in columns}
    # One map for the recommendation, the decision and the options, so they always agree.
    names = ({} if kind is None else
             value_labels(ctx, kind, [*options, *table["outcome"], *table["recommendation"]]))
    stored = {label: value for value, label in names.items()}
    shown_table = shown_values(ctx, table, {c: VALUE_KINDS[c] for c in shown if c in VALUE_KINDS})
    shown_table[["recommendation", "outcome"]] = table[["recommendation", "outcome"]].map(
        lambda v: names.get(v, v))
    option_labels = [names.get(o, o) for o in options]
    width = {c: fitted_width(label[c], [*shown_table[c], *(option_labels if c == "outcome"
                                                            else ())]) for c in columns}
    config: dict[str, Any] = {c: st.column_config.Column(label[c], width=width[c])
                              for c in columns}
    config["outcome"] = st.column_config.SelectboxColumn(
        label["outcome"], options=option_labels, required=True, width=width["outcome"])
    for c in columns:
        if c in MONEY_COLUMNS:
            config[c] = st.column_config.NumberColumn(label[c], format="localized",
                                                      width=width[c])
        elif c in POINT_COLUMNS:
            config[c] = st.column_config.NumberColumn(label[c], format="%.2f", width=width[c])
    if amounts:
        config["decided_amount"] = st.column_config.NumberColumn(
            label["decided_amount"], min_value=0.0, format="localized",
            width=width["decided_amount"])
    config["reason"] = st.column_config.TextColumn(label["reason"], width="large")
    data: Any = shown_table[columns]
    painted = {c: v for c, v in (colours or {}).items() if c in columns}
    if painted:
        # Painted by the stored value, whatever language the cell is shown in; a styled
        # table shows the styler's text, so the dash and the figures are set here too.
        data = data.style.format(precision=2, thousands=",", na_rep=GAP).apply(
            lambda col: [f"background-color: {painted[col.name][v]}" if v in painted[col.name]
                         else "" for v in table[col.name]], subset=list(painted))
    edited = st.data_editor(data, key=f"{key}.editor", hide_index=True, placeholder=GAP,
                            column_config=config, width="stretch",
                            disabled=[c for c in columns if c not in _EDITABLE])
    editable = [c for c in _EDITABLE if c in columns]
    changed = changed_rows(shown_table[columns], edited, editable)
    rest = ~decided & ~changed
    st.caption(ctx.t("lifecycle.decide.help", n=int(decided.sum()), total=len(table)))
    left, right = st.columns(2)
    record = left.button(ctx.t("lifecycle.decide.record", n=int(changed.sum())),
                         key=f"{key}.record", type="primary", disabled=not changed.any())
    accept = right.button(ctx.t("lifecycle.decide.accept", n=int(rest.sum())),
                          key=f"{key}.accept", disabled=not rest.any())
    if not (record or accept):
        return
    if not amounts:
        edited = edited.assign(recommended_amount=np.nan, decided_amount=np.nan)
    if record:
        # Back to what the kernels call each choice before anything is compared or stored.
        chosen = edited.rename(columns={"decided_amount": "amount"}).assign(
            recommendation=table["recommendation"].to_numpy(),
            outcome=edited["outcome"].map(lambda v: stored.get(v, v)).to_numpy(),
            item=table["item"].to_numpy()).loc[changed]
    else:
        chosen = table.loc[rest].assign(outcome=table.loc[rest, "recommendation"],
                                        amount=table.loc[rest, "recommended_amount"], reason="")
    _store_decisions(ctx, setting, stage=stage, decisions=chosen.assign(
        detail=[dict(detail or {}) for _ in range(len(chosen))]), names=names, cut_by=cut_by)


def _store_decisions(ctx: PageContext, setting: Setting, *, stage: str,
                     decisions: pd.DataFrame, names: Mapping[str, str],
                     cut_by: str | None) -> None:
    """Check and record the rows of a decision table; rerun with the count, or say why not."""
    if cut_by is not None:
        funded = (decisions["outcome"] != cut_by).to_numpy() & (
            np.nan_to_num(decisions["amount"].to_numpy(dtype=float)) > 0)
        if funded.any():
            i = int(np.flatnonzero(funded)[0])
            st.error(ctx.t("lifecycle.decide.amount_not_cut", project=decisions["project"].iat[i],
                           outcome=names.get(decisions["outcome"].iat[i],
                                             decisions["outcome"].iat[i]),
                           cut=names.get(cut_by, cut_by)))
            return
    try:
        with Session(ctx.engine) as session:
            n = record_decisions(session, year=setting.year, stage=stage,
                                 decisions=decisions.reset_index(drop=True),
                                 created_by=ctx.viewer.display_name, config=setting.config.ref)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    recorded(ctx.t("lifecycle.decide.recorded", n=n))
    st.rerun()
