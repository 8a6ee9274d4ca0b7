"""The rater's draft on the score sheet: what the boxes hold is the truth, the database follows.

Streamlit reruns the page on every change and, with fast reruns, starts the next run (and its
change callbacks) while the previous one may still be saving. Two saves of one sheet can then
race, and the version a run learnt from its save can be lost with the run. A compare-and-set
that simply failed would throw away what the rater typed, so every draft save here:

- runs under a lock per sheet, so the saves of one server process go one at a time;
- sends only the boxes that differ from the stored value they last agreed with (their
  baseline); the store merges them onto the stored sheet, so another tab's boxes survive;
- on a version conflict re-reads the sheet and saves again, unless the sheet was submitted or
  the round closed in the meantime (then nothing is written, and the page says why).

Before the boxes are drawn, :func:`sync_draft` brings untouched boxes up to the stored sheet
(another tab's change shows up) and stores any box still holding unsaved typing. Submitting
stays one compare-and-set in the store: of two submits exactly one wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from indicators.errors import ConflictError, JixiaoError
from indicators.frontdoor import PageContext
from review import store
from review.model import RoundStatus, RubricItem, SheetPublic, SheetStatus
from review.ui_shell import format_time, reading, writing

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

# Enough for the saves a burst of typing puts in flight at once; each retry reads afresh.
_ATTEMPTS = 5

_GUARD = threading.Lock()
_LOCKS: dict[int, threading.Lock] = {}


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
    return f"review.sheet.{assignment_id}.{what}"


@dataclass(frozen=True)
class DraftOutcome:
    """What a save or a submit did, for the page to say.

    ``kind`` is ``saved``, ``merged`` (saved after taking in a change made elsewhere),
    ``unchanged``, ``conflict`` (submitted elsewhere or round closed: nothing written) or
    ``error`` (the store refused, ``text`` says why); ``sheet`` is the latest stored sheet when
    known.
    """

    kind: str
    text: str = ""
    sheet: SheetPublic | None = None


@contextmanager
def _sheet_lock(assignment_id: int) -> Iterator[None]:
    with _GUARD:
        lock = _LOCKS.setdefault(int(assignment_id), threading.Lock())
    with lock:
        yield


def _stored_values(sheet: SheetPublic, items: list[RubricItem]) -> dict[str, object]:
    aid = sheet.assignment_id
    values: dict[str, object] = {}
    for item in items:
        score = sheet.scores.get(item.code)
        values[score_key(aid, item.code)] = None if score is None else float(score)
        values[comment_key(aid, item.code)] = sheet.comments.get(item.code) or ""
    values[overall_key(aid)] = sheet.overall_comment or ""
    return values


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
    values: dict[str, object] = {}
    for item in items:
        score = state.get(score_key(assignment_id, item.code))
        values[score_key(assignment_id, item.code)] = None if score is None else float(score)
        values[comment_key(assignment_id, item.code)] = \
            state.get(comment_key(assignment_id, item.code)) or ""
    values[overall_key(assignment_id)] = state.get(overall_key(assignment_id)) or ""
    return values


def _pending(aid: int, items: list[RubricItem]) -> dict[str, object]:
    """Boxes whose content differs from the stored value they last agreed with."""
    baseline = st.session_state.get(state_key(aid, "baseline"), {})
    entered = entered_values(aid, items)
    return {key: value for key, value in entered.items()
            if key in baseline and value != baseline[key]}


def _payload(aid: int, items: list[RubricItem], pending: dict[str, object],
             stored_overall: str) -> dict[str, object]:
    scores = {i.code: pending[score_key(aid, i.code)] for i in items
              if score_key(aid, i.code) in pending}
    comments = {i.code: pending[comment_key(aid, i.code)] for i in items
                if comment_key(aid, i.code) in pending}
    # The store replaces the general comment, so an untouched one is sent as stored.
    overall = pending.get(overall_key(aid), stored_overall)
    return {"scores": scores, "comments": comments, "overall_comment": overall}


def _read(ctx: PageContext, aid: int) -> tuple[SheetPublic, bool]:
    with reading(ctx) as session:
        sheet = store.get_sheet(session, assignment_id=aid, viewer=ctx.viewer)
        rnd = store.get_round(session, round_id=sheet.round_id, by=ctx.viewer)
    writable = sheet.status is not SheetStatus.SUBMITTED and rnd.status is RoundStatus.OPEN
    return sheet, writable


def _agree(aid: int, items: list[RubricItem], sheet: SheetPublic, keys: set[str]) -> None:
    """Record that these boxes now agree with the stored sheet, and its version."""
    baseline = dict(st.session_state.get(state_key(aid, "baseline"), {}))
    stored = _stored_values(sheet, items)
    baseline.update({key: stored[key] for key in keys})
    st.session_state[state_key(aid, "baseline")] = baseline
    st.session_state[state_key(aid, "version")] = sheet.version


def _changed_elsewhere(aid: int, items: list[RubricItem], stored: SheetPublic,
                       pending: dict[str, object]) -> bool:
    baseline = st.session_state.get(state_key(aid, "baseline"), {})
    return any(key not in pending and key in baseline and baseline[key] != value
               for key, value in _stored_values(stored, items).items())


def _store_pending(ctx: PageContext, aid: int, items: list[RubricItem]) -> DraftOutcome:
    """Save the pending boxes; the caller holds the sheet's lock."""
    pending = _pending(aid, items)
    if not pending:
        return DraftOutcome("unchanged")
    version = st.session_state.get(state_key(aid, "version"))
    # The general comment as last agreed; re-read with the version after a conflict.
    overall = st.session_state.get(state_key(aid, "baseline"), {}).get(overall_key(aid), "")
    merged = False
    for _ in range(_ATTEMPTS):
        if version is None:
            stored, writable = _read(ctx, aid)
            if not writable:
                return DraftOutcome("conflict", ctx.t("review.sheet.conflict"), stored)
            version, overall = stored.version, stored.overall_comment or ""
            merged = merged or _changed_elsewhere(aid, items, stored, pending)
        try:
            with writing(ctx) as session:
                saved = store.save_draft(session, assignment_id=aid, viewer=ctx.viewer,
                                         expected_version=int(version),
                                         **_payload(aid, items, pending, str(overall)))
        except ConflictError:
            # Another save got there first (this rater's own earlier run, or another tab):
            # read what is stored now and put the typed boxes on top of it.
            version = None
            continue
        except JixiaoError as err:
            return DraftOutcome("error", err.message(ctx.lang))
        _agree(aid, items, saved, set(pending))
        text = ctx.t("review.sheet.merged" if merged else "review.sheet.saved",
                     time=format_time(saved.updated_at))
        return DraftOutcome("merged" if merged else "saved", text, saved)
    return DraftOutcome("error", ctx.t("review.sheet.busy"))


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
    typing faster than the saves come back loses nothing.

    Examples
    --------
    >>> save_entered.__name__
    'save_entered'
    """
    with _sheet_lock(assignment_id):
        outcome = _store_pending(ctx, assignment_id, items)
    _leave_message(assignment_id, outcome)


def _leave_message(aid: int, outcome: DraftOutcome) -> None:
    if outcome.kind in ("saved", "merged"):
        st.session_state[state_key(aid, "message")] = ("saved", outcome.text)
    elif outcome.kind in ("conflict", "error"):
        st.session_state[state_key(aid, "message")] = ("error", outcome.text)


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
    A box the rater has not touched since it last agreed with the database takes the stored
    value (the first showing, or another tab's change); a box with unsaved typing keeps it,
    and the typing is saved now. Must run before the widgets of this run are created, as
    Streamlit lets a page set a widget's value only then.

    Examples
    --------
    >>> sync_draft.__name__
    'sync_draft'
    """
    aid = sheet.assignment_id
    state = st.session_state
    with _sheet_lock(aid):
        latest, writable = _read(ctx, aid)
        stored = _stored_values(latest, items)
        baseline = state.get(state_key(aid, "baseline"), {})
        agreed: set[str] = set()
        for key, value in stored.items():
            entered = state.get(key)
            entered = (None if entered is None else float(entered)) \
                if key.startswith("review.score.") else (entered or "")
            if key not in baseline or key not in state or entered == baseline[key]:
                if key not in state or entered != value:
                    state[key] = value
                agreed.add(key)
            elif entered == value:
                agreed.add(key)
        _agree(aid, items, latest, agreed)
        if not writable:
            return latest
        outcome = _store_pending(ctx, aid, items)
    _leave_message(aid, outcome)
    return outcome.sheet or latest


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
    aid = assignment_id
    st.session_state[state_key(aid, "confirm")] = False
    with _sheet_lock(aid):
        outcome = _store_pending(ctx, aid, items)
        if outcome.kind in ("conflict", "error"):
            _leave_message(aid, outcome)
            return
        entered = entered_values(aid, items)
        version = st.session_state.get(state_key(aid, "version"))
        try:
            with writing(ctx) as session:
                done = store.submit_sheet(
                    session, assignment_id=aid, viewer=ctx.viewer,
                    expected_version=int(version if version is not None else -1),
                    scores={i.code: entered[score_key(aid, i.code)] for i in items},
                    comments={i.code: entered[comment_key(aid, i.code)] for i in items})
        except ConflictError:
            st.session_state[state_key(aid, "message")] = (
                "error", ctx.t("review.sheet.conflict"))
            return
        except JixiaoError as err:
            st.session_state[state_key(aid, "message")] = ("error", err.message(ctx.lang))
            return
        _agree(aid, items, done, set(_stored_values(done, items)))
    st.session_state[state_key(aid, "thanks")] = True
