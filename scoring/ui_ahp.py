"""The AHP 权重 page: pairwise comparisons on Saaty's scale, live consistency, saved weights.

A person picks the indicators to compare (the children of one node of a library version, or
criteria typed one per line), judges each pair on Saaty's scale in words (同等重要 … 极端重要,
"（反向）" when the second is the more important), and sees the priorities, λmax, CI and CR
update with every judgment, with the judgments to revise first. Accepted weights (CR < 0.10) are
saved into a draft library version — the draft itself, or a new draft started from a published
version — through :func:`scoring.weight_sets.apply_priorities`; that draft is the weight set a
later scoring names.
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.changes import bump_version
from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from indicators.model import LibraryVersion, Status
from indicators.store import get_library, list_libraries, save_library, update_draft
from indicators.ui_widgets import pick_version, require_staff, select_next, show_error
from indicators.versioning import start_draft
from scoring.ahp import Revision, inconsistent_judgments
from scoring.random_index import random_index_tables
from scoring.weight_sets import (
    SCALE_VALUES,
    apply_priorities,
    judgment_matrix,
    scale_key,
    scale_text,
)

__all__ = ["render_ahp", "scale_label"]

_VERSION = "scoring.ahp.version"
_DEFAULT_CRITERIA = "产出指标\n效益指标\n满意度指标"


def scale_label(ctx: PageContext, value: float) -> str:
    """A scale value in the page's words: ``稍微重要 3``, ``稍微重要（反向） 1/3``.

    Parameters
    ----------
    ctx
        The page context (for the language).
    value
        A value of :data:`scoring.weight_sets.SCALE_VALUES`.

    Returns
    -------
    str
        The words, the reverse mark where the second criterion is the more important, and the
        number.

    Notes
    -----
    Saaty (1980, Table 1.1) names the odd values; the even ones lie between their neighbours.

    Examples
    --------
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.FINANCE))
    >>> scale_label(ctx, 1 / 3)
    '稍微重要（反向） 1/3'
    """
    key, reverse = scale_key(value)
    words = ctx.t(key)
    if reverse:
        words = ctx.t("scoring.saaty.reverse", words=words)
    return f"{words} {scale_text(value)}"


def _criteria(ctx: PageContext) -> tuple[list[str], list[str], LibraryVersion | None,
                                           str | None] | None:
    """Labels and codes of the criteria, and the library node they come from (if any)."""
    source = st.radio(ctx.t("scoring.ahp.source"), ("library", "custom"), horizontal=True,
                      key="scoring.ahp.source",
                      format_func=lambda s: ctx.t(f"scoring.ahp.source.{s}"))
    if source == "custom":
        text = st.text_area(ctx.t("scoring.ahp.criteria"), _DEFAULT_CRITERIA,
                            key="scoring.ahp.criteria")
        labels = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
        return labels, labels, None, None
    with Session(ctx.engine) as session:
        summaries = [s for s in list_libraries(session)
                     if s.status is not Status.RETIRED and s.kind != "catalogue"]
    if not summaries:
        st.info(ctx.t("scoring.ahp.no_library"))
        return None
    chosen = pick_version(ctx, summaries, key=_VERSION, label="scoring.ahp.version",
                          prefer=Status.DRAFT)
    with Session(ctx.engine) as session:
        version = get_library(session, ref=chosen.ref)
    parents = [None, *(ind.code for ind in version.indicators
                       if len(version.children(ind.code)) >= 2)]
    parent = st.selectbox(
        ctx.t("scoring.ahp.parent"), parents, key=f"scoring.ahp.parent.{version.ref}",
        format_func=lambda c: ctx.t("scoring.ahp.top") if c is None
        else f"{version.by_code[c].name} · {c}")
    children = version.children(parent)
    return [c.name for c in children], [c.code for c in children], version, parent


def _judgments(ctx: PageContext, labels: list[str], codes: list[str], scope: str
               ) -> dict[tuple[int, int], float]:
    st.caption(ctx.t("scoring.ahp.scale_help"))
    judgments: dict[tuple[int, int], float] = {}
    columns = st.columns(2)
    for k, (i, j) in enumerate(combinations(range(len(labels)), 2)):
        with columns[k % 2]:
            judgments[(i, j)] = st.selectbox(
                ctx.t("scoring.ahp.pair", a=labels[i], b=labels[j]), SCALE_VALUES,
                index=SCALE_VALUES.index(1.0), key=f"scoring.ahp.pair.{scope}.{codes[i]}."
                                                   f"{codes[j]}",
                format_func=lambda v: scale_label(ctx, v))
    return judgments


def _report(ctx: PageContext, labels: list[str], revision: Revision) -> None:
    res = revision.result
    cells = st.columns(4)
    cells[0].metric("λmax", f"{float(res.lambda_max):.4f}")
    cells[1].metric("CI", f"{float(res.ci):.4f}")
    cells[2].metric("CR", f"{float(res.cr):.4f}")
    cells[3].metric(ctx.t("scoring.ahp.ri", table=res.ri_table), f"{float(res.ri):.2f}")
    if bool(res.acceptable):
        st.success(ctx.t("scoring.ahp.accepted", cr=f"{float(res.cr):.4f}"))
    else:
        st.warning(ctx.t("scoring.ahp.rejected", cr=f"{float(res.cr):.4f}"))
    weights = pd.DataFrame({ctx.t("scoring.ahp.criterion"): labels,
                            ctx.t("scoring.ahp.weight"): res.weights,
                            "%": res.weights * 100.0})
    st.dataframe(weights.style.format({ctx.t("scoring.ahp.weight"): "{:.4f}", "%": "{:.2f}"}),
                 hide_index=True, key="scoring.ahp.weights")
    revise = revision.revise
    if len(revise):
        st.markdown(f"**{ctx.t('scoring.ahp.revise')}**")
        st.dataframe(pd.DataFrame({
            ctx.t("scoring.ahp.judgment"): [ctx.t("scoring.ahp.pair", a=a, b=b) for a, b
                                            in zip(revise["label_i"], revise["label_j"],
                                                   strict=True)],
            ctx.t("scoring.ahp.current"): [scale_label(ctx, v) for v in revise["value"]],
            ctx.t("scoring.ahp.suggested"): [scale_label(ctx, v)
                                             for v in revise["nearest_scale"]],
            ctx.t("scoring.ahp.cr_after"): revise["cr_after"].round(4),
        }), hide_index=True, key="scoring.ahp.revise")


def _save(ctx: PageContext, version: LibraryVersion, parent: str | None, codes: list[str],
          revision: Revision) -> None:
    res = revision.result
    priorities = dict(zip(codes, (float(w) for w in res.weights), strict=True))
    if version.status is Status.DRAFT:
        st.caption(ctx.t("scoring.ahp.into_draft", ref=version.ref))
        new_version = None
    else:
        new_version = st.text_input(ctx.t("scoring.ahp.new_version", ref=version.ref),
                                    bump_version(version.version, "minor"),
                                    key=f"scoring.ahp.new_version.{version.ref}")
    preview = apply_priorities(version if version.status is Status.DRAFT
                               else start_draft(version, new_version=None), parent, priorities)
    st.dataframe(pd.DataFrame({
        ctx.t("scoring.ahp.criterion"): [preview.by_code[c].name for c in codes],
        ctx.t("scoring.ahp.old_weight"): [version.by_code[c].weight for c in codes],
        ctx.t("scoring.ahp.new_weight"): [preview.by_code[c].weight for c in codes],
    }), hide_index=True, key="scoring.ahp.preview")
    acceptable = bool(res.acceptable)
    if st.button(ctx.t("scoring.ahp.save"), type="primary", disabled=not acceptable,
                 key="scoring.ahp.save"):
        author = ctx.viewer.display_name
        try:
            with Session(ctx.engine) as session:
                draft = version
                if version.is_frozen:
                    draft = start_draft(version, new_version=(new_version or "").strip() or None,
                                        author=author)
                    save_library(session, version=draft)
                saved = update_draft(session, version=apply_priorities(
                    draft, parent, priorities, result=res, author=author))
        except JixiaoError as err:
            show_error(ctx, err)
            return
        select_next(_VERSION, saved.ref)
        st.success(ctx.t("scoring.ahp.saved", ref=saved.ref))


def render_ahp(ctx: PageContext) -> None:
    """Draw the AHP page: criteria, judgments, live CR, judgments to revise, save as weights.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    None

    Notes
    -----
    Priorities by the principal eigenvector (or the row geometric mean), CR = CI/RI with a
    named random-index table, accepted below 0.10 (Saaty 1980); the judgments to revise first
    follow Harker (1987) and Saaty (2003), see :func:`scoring.ahp.inconsistent_judgments`.
    Saving is offered only for an accepted matrix.

    Examples
    --------
    >>> callable(render_ahp)
    True
    """
    st.header(ctx.t("scoring.ahp.title"))
    if not require_staff(ctx):
        return
    picked = _criteria(ctx)
    if picked is None:
        return
    labels, codes, version, parent = picked
    if len(labels) < 2:
        st.info(ctx.t("scoring.ahp.too_few"))
        return
    left, right = st.columns(2)
    method = left.selectbox(ctx.t("scoring.ahp.method"), ("eigenvector", "geometric"),
                            key="scoring.ahp.method",
                            format_func=lambda m: ctx.t(f"scoring.ahp.method.{m}"))
    tables = sorted(random_index_tables())
    ri = right.selectbox(ctx.t("scoring.ahp.ri_table"), tables, index=tables.index("saaty1980"),
                         key="scoring.ahp.ri_table")
    scope = "custom" if version is None else f"{version.ref}.{parent or 'top'}"
    judgments = _judgments(ctx, labels, codes, scope)
    try:
        revision = inconsistent_judgments(judgment_matrix(len(labels), judgments), top=3,
                                          labels=labels, method=method, ri=ri)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    _report(ctx, labels, revision)
    if version is not None:
        _save(ctx, version, parent, codes, revision)
