"""Drafts saved as a person types: what the boxes hold is the truth, the database follows.

One engine for every form an expert fills over days — the score sheet (:mod:`review.ui_draft`),
the Delphi questionnaire and the group AHP survey. A form (:class:`DraftForm`) names its boxes
and says how to read itself from the store and how to write pending boxes back with a
compare-and-set on its version; this module does the rest.

Streamlit reruns the page on every change and, with fast reruns, starts the next run (and its
change callbacks) while the previous one may still be saving. Two saves of one form can then
race, and the version a run learnt from its save can be lost with the run. A compare-and-set
that simply failed would throw away what the person typed, so every draft save here:

- runs under a lock per person and form, so the saves of one server process go one at a time;
- sends only the boxes that differ from the stored value they last agreed with (their
  baseline), on top of every other box as stored, so another tab's boxes survive;
- on a version conflict re-reads the form and saves again, unless it was submitted or its
  round closed in the meantime (then nothing is written, and the page says why).

Before the boxes are drawn, :func:`sync_form` brings untouched boxes up to the stored form
(another tab's change shows up) and stores any box still holding unsaved typing. Submitting
stays one compare-and-set in the store: of two submits exactly one wins. The store decides
whose form is read, so a draft is only ever shown to its author.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import streamlit as st
from sqlmodel import Session

from indicators.errors import ConflictError, JixiaoError
from indicators.frontdoor import PageContext
from review.ui_shell import format_time, reading, writing

__all__ = [
    "DraftForm",
    "DraftOutcome",
    "Stored",
    "bookkeeping_key",
    "entered",
    "form_lock",
    "save_form",
    "show_status",
    "store_pending",
    "submit_form",
    "sync_form",
]

# Enough for the saves a burst of typing puts in flight at once; each retry reads afresh.
_ATTEMPTS = 5

_GUARD = threading.Lock()
_LOCKS: dict[tuple[int, str], threading.Lock] = {}


@dataclass(frozen=True)
class Stored:
    """One form as the database holds it, in the boxes' terms.

    ``values`` maps every box key to its stored value (cleaned as the boxes are), ``version`` is
    the compare-and-set counter the next save must expect, ``writable`` is False once the form
    is submitted or its round closed, ``saved_at`` the time of the last draft save (None when
    never saved) and ``value`` the store's own object (sheet, questionnaire, …) for the page.
    """

    values: Mapping[str, object]
    version: int
    writable: bool
    saved_at: datetime | None = None
    value: Any = None


@dataclass(frozen=True)
class DraftOutcome:
    """What a save or a submit did, for the page to say.

    ``kind`` is ``saved``, ``merged`` (saved after taking in a change made elsewhere),
    ``unchanged``, ``conflict`` (submitted elsewhere or round closed: nothing written) or
    ``error`` (the store refused, ``text`` says why); ``stored`` is the latest stored form when
    known.
    """

    kind: str
    text: str = ""
    stored: Stored | None = None


def _as_is(key: str, value: object) -> object:
    return value


@dataclass(frozen=True)
class DraftForm:
    """One autosaved form: its boxes, and how to read and store them.

    ``name`` is unique per form (``review.sheet.12``, ``delphi.answers.3``); the page's
    bookkeeping keys hang on it. ``keys`` are the widget keys of its boxes.
    ``read(session)`` returns the signed-in person's own form as :class:`Stored`.
    ``write(session, pending, base, version)`` stores the boxes in ``pending`` on top of
    ``base`` (every box as stored at ``version``) and returns the form as now stored, raising
    :class:`~indicators.errors.ConflictError` when ``version`` is stale, the form submitted or
    its round closed. ``clean(key, value)`` puts a box's content in the stored values' terms
    (None for a blank choice, stripped text, …). ``messages`` holds the catalogue keys of
    ``saved`` and ``merged`` (both given ``time``), ``conflict`` and ``busy``.
    ``submit(session, version)`` is the store's locking submit at the version last saved.
    """

    name: str
    keys: tuple[str, ...]
    read: Callable[[Session], Stored]
    write: Callable[[Session, Mapping[str, object], Mapping[str, object], int], Stored]
    messages: Mapping[str, str]
    clean: Callable[[str, object], object] = _as_is
    submit: Callable[[Session, int], Stored] | None = None


def bookkeeping_key(name: str, what: str) -> str:
    """The session-state key of the page's own bookkeeping for one form.

    Parameters
    ----------
    name
        The form's name.
    what
        ``version``, ``baseline``, ``message`` (and whatever else the page keeps).

    Returns
    -------
    str

    Notes
    -----
    Kept apart from the widgets' keys, which Streamlit owns.

    Examples
    --------
    >>> bookkeeping_key("review.sheet.12", "version")
    'review.sheet.12.version'
    """
    return f"{name}.{what}"


@contextmanager
def form_lock(ctx: PageContext, form: DraftForm) -> Iterator[None]:
    """Hold the lock of one person's form while reading, saving or submitting it.

    Parameters
    ----------
    ctx
        The signed-in person.
    form
        The form.

    Returns
    -------
    contextmanager

    Notes
    -----
    One lock per person and form in this server process: two experts never wait on each
    other, one expert's overlapping reruns do.

    Examples
    --------
    >>> form_lock.__name__
    'form_lock'
    """
    with _GUARD:
        lock = _LOCKS.setdefault((int(ctx.viewer.user_id), form.name), threading.Lock())
    with lock:
        yield


def entered(form: DraftForm) -> dict[str, object]:
    """What the form's boxes hold now, by widget key, cleaned like the stored values.

    Parameters
    ----------
    form
        The form.

    Returns
    -------
    dict

    Notes
    -----
    A box not drawn yet counts as blank.

    Examples
    --------
    >>> entered.__name__
    'entered'
    """
    state = st.session_state
    return {key: form.clean(key, state.get(key)) for key in form.keys}


def _baseline(form: DraftForm) -> dict[str, object]:
    return dict(st.session_state.get(bookkeeping_key(form.name, "baseline"), {}))


def _pending(form: DraftForm) -> dict[str, object]:
    """Boxes whose content differs from the stored value they last agreed with."""
    baseline = _baseline(form)
    return {key: value for key, value in entered(form).items()
            if key in baseline and value != baseline[key]}


def _agree(form: DraftForm, stored: Stored, keys: set[str]) -> None:
    """Record that these boxes now agree with the stored form, and its version."""
    baseline = _baseline(form)
    baseline.update({key: stored.values.get(key) for key in keys})
    st.session_state[bookkeeping_key(form.name, "baseline")] = baseline
    st.session_state[bookkeeping_key(form.name, "version")] = stored.version


def _changed_elsewhere(form: DraftForm, stored: Stored, pending: Mapping[str, object]) -> bool:
    baseline = _baseline(form)
    return any(key not in pending and key in baseline and baseline[key] != value
               for key, value in stored.values.items())


def _read(ctx: PageContext, form: DraftForm) -> Stored:
    with reading(ctx) as session:
        return form.read(session)


def store_pending(ctx: PageContext, form: DraftForm) -> DraftOutcome:
    """Save the boxes with unsaved typing; the caller holds :func:`form_lock`.

    Parameters
    ----------
    ctx
        The signed-in person and the engine.
    form
        The form.

    Returns
    -------
    DraftOutcome

    Notes
    -----
    A stale version is retried on the form as now stored, so typing faster than the saves
    come back loses nothing; a form submitted or closed meanwhile is left alone.

    Examples
    --------
    >>> store_pending.__name__
    'store_pending'
    """
    pending = _pending(form)
    if not pending:
        return DraftOutcome("unchanged")
    version = st.session_state.get(bookkeeping_key(form.name, "version"))
    base = _baseline(form)
    merged = False
    for _ in range(_ATTEMPTS):
        if version is None:
            stored = _read(ctx, form)
            if not stored.writable:
                return DraftOutcome("conflict", ctx.t(form.messages["conflict"]), stored)
            merged = merged or _changed_elsewhere(form, stored, pending)
            version, base = stored.version, dict(stored.values)
        try:
            with writing(ctx) as session:
                saved = form.write(session, pending, base, int(version))
        except ConflictError:
            # Another save got there first (this person's own earlier run, or another tab):
            # read what is stored now and put the typed boxes on top of it.
            version = None
            continue
        except JixiaoError as err:
            return DraftOutcome("error", err.message(ctx.lang))
        _agree(form, saved, set(pending))
        kind = "merged" if merged else "saved"
        return DraftOutcome(kind, ctx.t(form.messages[kind], time=format_time(saved.saved_at)),
                            saved)
    return DraftOutcome("error", ctx.t(form.messages["busy"]))


def _leave_message(form: DraftForm, outcome: DraftOutcome) -> None:
    key = bookkeeping_key(form.name, "message")
    if outcome.kind in ("saved", "merged"):
        st.session_state[key] = ("saved", outcome.text)
    elif outcome.kind in ("conflict", "error"):
        st.session_state[key] = ("error", outcome.text)


def save_form(ctx: PageContext, form: DraftForm) -> DraftOutcome:
    """Save what the boxes hold as the draft (the ``on_change`` of every box).

    Parameters
    ----------
    ctx
        The signed-in person and the engine.
    form
        The form.

    Returns
    -------
    DraftOutcome
        Also left for the page under ``bookkeeping_key(form.name, "message")``.

    Notes
    -----
    Only changed boxes are sent, merged onto the form as stored.

    Examples
    --------
    >>> save_form.__name__
    'save_form'
    """
    with form_lock(ctx, form):
        outcome = store_pending(ctx, form)
    _leave_message(form, outcome)
    return outcome


def sync_form(ctx: PageContext, form: DraftForm) -> Stored:
    """Bring the boxes and the stored form together before the boxes are drawn.

    Parameters
    ----------
    ctx
        The signed-in person and the engine.
    form
        The form.

    Returns
    -------
    Stored
        The form as stored after the sync.

    Notes
    -----
    A box the person has not touched since it last agreed with the database takes the stored
    value (the first showing, a return after closing the tab, or another tab's change); a box
    with unsaved typing keeps it, and the typing is saved now. Must run before the widgets of
    this run are created, as Streamlit lets a page set a widget's value only then.

    Examples
    --------
    >>> sync_form.__name__
    'sync_form'
    """
    state = st.session_state
    with form_lock(ctx, form):
        latest = _read(ctx, form)
        baseline = _baseline(form)
        agreed: set[str] = set()
        for key in form.keys:
            value = latest.values.get(key)
            typed = form.clean(key, state.get(key))
            if key not in baseline or key not in state or typed == baseline[key]:
                if key not in state or typed != value:
                    state[key] = value
                agreed.add(key)
            elif typed == value:
                agreed.add(key)
        _agree(form, latest, agreed)
        if not latest.writable:
            return latest
        outcome = store_pending(ctx, form)
    _leave_message(form, outcome)
    return outcome.stored or latest


def submit_form(ctx: PageContext, form: DraftForm) -> bool:
    """Store what the boxes hold, then submit the form with a compare-and-set.

    Parameters
    ----------
    ctx
        The signed-in person and the engine.
    form
        The form; its ``submit`` is called at the version just saved.

    Returns
    -------
    bool
        True when submitted; otherwise the reason is left as the form's message.

    Notes
    -----
    The pending boxes are saved as a draft first, so a refused submit loses nothing; the
    submit then locks the form only if nothing was saved or submitted in between.

    Examples
    --------
    >>> submit_form.__name__
    'submit_form'
    """
    if form.submit is None:
        raise TypeError(f"form {form.name} has no submit")
    message = bookkeeping_key(form.name, "message")
    with form_lock(ctx, form):
        outcome = store_pending(ctx, form)
        if outcome.kind in ("conflict", "error"):
            _leave_message(form, outcome)
            return False
        version = st.session_state.get(bookkeeping_key(form.name, "version"))
        try:
            with writing(ctx) as session:
                done = form.submit(session, int(version if version is not None else -1))
        except ConflictError:
            st.session_state[message] = ("error", ctx.t(form.messages["conflict"]))
            return False
        except JixiaoError as err:
            st.session_state[message] = ("error", err.message(ctx.lang))
            return False
        _agree(form, done, set(form.keys))
    return True


def show_status(ctx: PageContext, form: DraftForm, stored: Stored, hint: str) -> None:
    """Draw the form's one-line save status: the last save's time, a refusal, or a hint.

    Parameters
    ----------
    ctx
        The signed-in person.
    form
        The form.
    stored
        The form as last read or saved.
    hint
        What to say before anything is saved (that typing is kept as a draft).

    Returns
    -------
    None

    Notes
    -----
    Always one slot, drawn on every run: a line appearing above the boxes would move them,
    and the browser would redraw (and empty) a box the person is typing in.

    Examples
    --------
    >>> show_status.__name__
    'show_status'
    """
    slot = st.empty()
    message = st.session_state.pop(bookkeeping_key(form.name, "message"), None)
    if message is not None:
        kind, text = message
        (slot.error if kind == "error" else slot.caption)(text)
    elif stored.saved_at is not None:
        slot.caption(ctx.t(form.messages["saved"], time=format_time(stored.saved_at)))
    else:
        slot.caption(hint)
