"""The rater's draft on the score sheet, saved as the rater types.

The score sheet is one form of :mod:`review.ui_autosave`: every score box, every comment box
and the general comment are its boxes; it reads through :func:`review.store.get_sheet` (the
rater's own sheet only) and saves through :func:`review.store.save_draft`, which merges the
boxes it is given onto the stored sheet. This module keeps the sheet's widget keys and the
functions :mod:`review.ui_sheet` calls; the locking, merging and retrying live in the engine.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from sqlmodel import Session

from indicators.frontdoor import PageContext
from review import store
from review.model import RoundStatus, RubricItem, SheetPublic, SheetStatus
from review.ui_autosave import (
    DraftForm,
    DraftOutcome,
    Stored,
    bookkeeping_key,
    save_form,
    submit_form,
    sync_form,
)

__all__ = [
    "DraftOutcome",
    "comment_key",
    "entered_values",
    "overall_key",
    "save_entered",
    "score_key",
    "state_key",
    "submit_entered",
    "sync_draft",
]

_MESSAGES = {"saved": "review.sheet.saved", "merged": "review.sheet.merged",
             "conflict": "review.sheet.conflict", "busy": "review.sheet.busy"}


def score_key(assignment_id: int, code: str) -> str:
    """The session-state key of one item's score box (tests fill the box through it).

    Parameters
    ----------
    assignment_id
        The sheet.
    code
        The rubric item's code.

    Returns
    -------
    str

    Notes
    -----
    Keys carry the sheet's id, so two sheets opened one after the other never share a box.

    Examples
    --------
    >>> score_key(12, "YJ0101")
    'review.score.12.YJ0101'
    """
    return f"review.score.{assignment_id}.{code}"


def comment_key(assignment_id: int, code: str) -> str:
    """The session-state key of one item's comment box.

    Parameters
    ----------
    assignment_id
        The sheet.
    code
        The rubric item's code.

    Returns
    -------
    str

    Notes
    -----
    Shaped like :func:`score_key`.

    Examples
    --------
    >>> comment_key(12, "YJ0101")
    'review.comment.12.YJ0101'
    """
    return f"review.comment.{assignment_id}.{code}"


def overall_key(assignment_id: int) -> str:
    """The session-state key of the sheet's general comment box.

    Parameters
    ----------
    assignment_id
        The sheet.

    Returns
    -------
    str

    Notes
    -----
    One per sheet.

    Examples
    --------
    >>> overall_key(12)
    'review.overall.12'
    """
    return f"review.overall.{assignment_id}"


def state_key(assignment_id: int, what: str) -> str:
    """The session-state key of the page's own bookkeeping for one sheet.

    Parameters
    ----------
    assignment_id
        The sheet.
    what
        ``version``, ``baseline``, ``message``, ``confirm`` or ``thanks``.

    Returns
    -------
    str

    Notes
    -----
    Kept apart from the widgets' keys, which Streamlit owns.

    Examples
    --------
    >>> state_key(12, "version")
    'review.sheet.12.version'
    """
    return bookkeeping_key(_name(assignment_id), what)



def _name(assignment_id: int) -> str:
    return f"review.sheet.{int(assignment_id)}"


def _keys(aid: int, items: list[RubricItem]) -> tuple[str, ...]:
    boxes = [key for item in items
             for key in (score_key(aid, item.code), comment_key(aid, item.code))]
    return (*boxes, overall_key(aid))


def _clean(key: str, value: object) -> object:
    if key.startswith("review.score."):
        return None if value is None else float(value)
    return value or ""


def _stored(sheet: SheetPublic, items: list[RubricItem], writable: bool) -> Stored:
    aid = sheet.assignment_id
    values: dict[str, object] = {}
    for item in items:
        score = sheet.scores.get(item.code)
        values[score_key(aid, item.code)] = None if score is None else float(score)
        values[comment_key(aid, item.code)] = sheet.comments.get(item.code) or ""
    values[overall_key(aid)] = sheet.overall_comment or ""
    return Stored(values, int(sheet.version), writable, sheet.updated_at, sheet)


def _sheet_form(ctx: PageContext, aid: int, items: list[RubricItem]) -> DraftForm:
    def read(session: Session) -> Stored:
        sheet = store.get_sheet(session, assignment_id=aid, viewer=ctx.viewer)
        rnd = store.get_round(session, round_id=sheet.round_id, by=ctx.viewer)
        writable = sheet.status is not SheetStatus.SUBMITTED and rnd.status is RoundStatus.OPEN
        return _stored(sheet, items, writable)

    def write(session: Session, pending: Mapping[str, object], base: Mapping[str, object],
              version: int) -> Stored:
        # The store merges scores and comments but replaces the general comment, so an
        # untouched one is sent as stored.
        saved = store.save_draft(
            session, assignment_id=aid, viewer=ctx.viewer, expected_version=version,
            scores={i.code: pending[score_key(aid, i.code)] for i in items
                    if score_key(aid, i.code) in pending},
            comments={i.code: pending[comment_key(aid, i.code)] for i in items
                      if comment_key(aid, i.code) in pending},
            overall_comment=str(pending.get(overall_key(aid), base.get(overall_key(aid), ""))))
        return _stored(saved, items, True)

    def submit(session: Session, version: int) -> Stored:
        boxes = entered_values(aid, items)
        done = store.submit_sheet(
            session, assignment_id=aid, viewer=ctx.viewer, expected_version=version,
            scores={i.code: boxes[score_key(aid, i.code)] for i in items},
            comments={i.code: boxes[comment_key(aid, i.code)] for i in items})
        return _stored(done, items, False)

    return DraftForm(name=_name(aid), keys=_keys(aid, items), read=read, write=write,
                     messages=_MESSAGES, clean=_clean, submit=submit)


def entered_values(assignment_id: int, items: list[RubricItem]) -> dict[str, object]:
    """What the sheet's boxes hold now, by widget key (None for an empty score box).

    Parameters
    ----------
    assignment_id
        The sheet.
    items
        The round's rubric items.

    Returns
    -------
    dict
        Score keys to a float or None, comment and general-comment keys to text.

    Notes
    -----
    A box not drawn yet counts as empty.

    Examples
    --------
    >>> entered_values.__name__
    'entered_values'
    """
    state = st.session_state
    return {key: _clean(key, state.get(key)) for key in _keys(assignment_id, items)}


def save_entered(ctx: PageContext, assignment_id: int, items: list[RubricItem]) -> None:
    """Save what the boxes hold as the draft (the ``on_change`` of every box).

    Parameters
    ----------
    ctx
        The signed-in rater and the engine.
    assignment_id
        The sheet.
    items
        The round's rubric items.

    Returns
    -------
    None
        The outcome's message is left for the page under ``state_key(aid, "message")``.

    Notes
    -----
    Only changed boxes are sent; a stale version is retried on the sheet as now stored, so
    typing faster than the saves come back loses nothing (:func:`review.ui_autosave.save_form`).

    Examples
    --------
    >>> save_entered.__name__
    'save_entered'
    """
    save_form(ctx, _sheet_form(ctx, assignment_id, items))


def sync_draft(ctx: PageContext, sheet: SheetPublic, items: list[RubricItem]) -> SheetPublic:
    """Bring the boxes and the stored sheet together before the boxes are drawn.

    Parameters
    ----------
    ctx
        The signed-in rater and the engine.
    sheet
        The sheet as just read.
    items
        The round's rubric items.

    Returns
    -------
    SheetPublic
        The sheet as stored after the sync.

    Notes
    -----
    Untouched boxes take the stored value, boxes with unsaved typing keep it and it is saved
    now (:func:`review.ui_autosave.sync_form`). Must run before the boxes are drawn.

    Examples
    --------
    >>> sync_draft.__name__
    'sync_draft'
    """
    return sync_form(ctx, _sheet_form(ctx, sheet.assignment_id, items)).value


def submit_entered(ctx: PageContext, assignment_id: int, items: list[RubricItem]) -> None:
    """Store what the boxes hold, then submit and lock the sheet (after the rater confirmed).

    Parameters
    ----------
    ctx
        The signed-in rater and the engine.
    assignment_id
        The sheet.
    items
        The round's rubric items.

    Returns
    -------
    None
        Sets ``state_key(aid, "thanks")`` on success, else leaves a message.

    Notes
    -----
    The pending boxes are saved as a draft first (so a refused submit loses nothing), then
    :func:`review.store.submit_sheet` locks the sheet with a compare-and-set on the version
    just saved, carrying the boxes' scores: if another tab submitted or saved in between, this
    submit is refused and the page shows the stored sheet.

    Examples
    --------
    >>> submit_entered.__name__
    'submit_entered'
    """
    st.session_state[state_key(assignment_id, "confirm")] = False
    if submit_form(ctx, _sheet_form(ctx, assignment_id, items)):
        st.session_state[state_key(assignment_id, "thanks")] = True
