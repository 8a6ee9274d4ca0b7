"""The expert's Delphi questionnaire and group AHP judgments as forms saved as he types.

Both are forms of :mod:`review.ui_autosave`, like the score sheet: each answer is stored as a
draft the moment it is given, a later visit (another day, another browser) finds it, and the
final submit locks it. The drafts live in the tables the answers always lived in — the
response (``rev_delphi_response``, status ``draft``) with its rating rows, and the member
(``rev_ahp_member``, status ``draft``) with a judgment row per node — read and written only
through :mod:`review.delphi_answers` and :mod:`review.ahp_survey_judgments`, which answer for
the signed-in expert alone: a draft is read by its author only, and counts nowhere until
submitted. A Delphi questionnaire is one form per round; an AHP survey is one form per node
(the member's version is shared by his nodes, so a save at one node makes the other's version
stale, and the engine re-reads and saves again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlmodel import Session

from indicators.frontdoor import PageContext
from review.ahp_survey_judgments import my_judgments, save_judgments, submit_judgments
from review.ahp_survey_tables import AhpNode, MemberJudgments, MemberStatus, SurveyStatus
from review.delphi_answers import questionnaire, save_answers, submit_answers
from review.delphi_tables import DelphiQuestionnaire, DelphiRoundStatus, ResponseStatus
from review.ui_autosave import DraftForm, Stored
from scoring.weight_sets import SCALE_VALUES

__all__ = [
    "basis_key",
    "comment_key",
    "delphi_form",
    "familiarity_key",
    "general_key",
    "judgment_key",
    "node_form",
    "rating_key",
    "scale_value",
]

_DELPHI_MESSAGES = {"saved": "delphi.answer.autosaved", "merged": "delphi.answer.merged",
                    "conflict": "delphi.answer.conflict", "busy": "delphi.answer.busy"}
_AHP_MESSAGES = {"saved": "ahp_survey.answer.autosaved", "merged": "ahp_survey.answer.merged",
                 "conflict": "ahp_survey.answer.conflict", "busy": "ahp_survey.answer.busy"}


def rating_key(round_id: int, code: str) -> str:
    """The widget key of one indicator's rating (tests fill it through this key).

    Parameters
    ----------
    round_id
        The round.
    code
        The indicator code.

    Returns
    -------
    str

    Notes
    -----
    Keys carry the round, so two rounds never share a widget.

    Examples
    --------
    >>> rating_key(3, "A1")
    'delphi.rate.3.A1'
    """
    return f"delphi.rate.{round_id}.{code}"


def comment_key(round_id: int, code: str) -> str:
    """The widget key of one indicator's comment in a Delphi round.

    Parameters
    ----------
    round_id
        The round.
    code
        The indicator code.

    Returns
    -------
    str

    Notes
    -----
    Shaped like :func:`rating_key`.

    Examples
    --------
    >>> comment_key(3, "A1")
    'delphi.comment.3.A1'
    """
    return f"delphi.comment.{round_id}.{code}"


def basis_key(round_id: int, basis: str) -> str:
    """The widget key of one judgment basis (理论分析, 实践经验, …) in a Delphi round.

    Parameters
    ----------
    round_id
        The round.
    basis
        The basis as the study's authority table names it.

    Returns
    -------
    str

    Notes
    -----
    One per basis of the table.

    Examples
    --------
    >>> basis_key(3, "直觉")
    'delphi.basis.3.直觉'
    """
    return f"delphi.basis.{round_id}.{basis}"


def familiarity_key(round_id: int) -> str:
    """The widget key of the expert's familiarity in a Delphi round.

    Parameters
    ----------
    round_id
        The round.

    Returns
    -------
    str

    Notes
    -----
    One per round.

    Examples
    --------
    >>> familiarity_key(3)
    'delphi.familiarity.3'
    """
    return f"delphi.familiarity.{round_id}"


def general_key(round_id: int) -> str:
    """The widget key of the general comment in a Delphi round.

    Parameters
    ----------
    round_id
        The round.

    Returns
    -------
    str

    Notes
    -----
    One per round.

    Examples
    --------
    >>> general_key(3)
    'delphi.general.3'
    """
    return f"delphi.general.{round_id}"


def judgment_key(survey_id: int, node_key: str, a: str, b: str) -> str:
    """The widget key of one pairwise comparison (tests fill it through this key).

    Parameters
    ----------
    survey_id
        The survey.
    node_key
        The node ("" for the first level, written ``top`` in the key).
    a, b
        The pair's codes, in the node's order.

    Returns
    -------
    str

    Notes
    -----
    Keys carry the survey and node, so comparisons never share a widget.

    Examples
    --------
    >>> judgment_key(2, "", "CC", "XY")
    'ahp_survey.pair.2.top.CC.XY'
    """
    return f"ahp_survey.pair.{survey_id}.{node_key or 'top'}.{a}.{b}"


def scale_value(value: float | None) -> float | None:
    """A stored judgment as the scale option the form offers (None stays blank).

    Parameters
    ----------
    value
        ``a_ij`` as stored (k or 1/k).

    Returns
    -------
    float or None
        The nearest value of :data:`scoring.weight_sets.SCALE_VALUES`.

    Notes
    -----
    A reciprocal read back from the database may differ from the option in its last bits;
    the box must hold the option itself, or it would look changed and be saved again.

    Examples
    --------
    >>> scale_value(0.33333333333) == 1 / 3, scale_value(None)
    (True, None)
    """
    if value is None:
        return None
    return SCALE_VALUES[int(np.argmin([abs(v - float(value)) for v in SCALE_VALUES]))]


def _delphi_clean(key: str, value: object) -> object:
    # Radios hold None when unanswered; text is stored stripped, so it is compared stripped.
    if key.startswith(("delphi.comment.", "delphi.general.")):
        return str(value or "").strip()
    if key.startswith("delphi.rate."):
        return None if value is None else int(value)
    return value or None


def _delphi_boxes(q: DelphiQuestionnaire) -> dict[str, object]:
    rid = q.round.round_id
    boxes: dict[str, object] = {}
    for code in (i["code"] for i in q.round.indicators):
        rating = q.ratings.get(code)
        boxes[rating_key(rid, code)] = None if rating is None else int(rating)
        boxes[comment_key(rid, code)] = q.comments.get(code, "")
    boxes.update({basis_key(rid, b): q.basis.get(b) or None for b in q.basis_levels})
    boxes[familiarity_key(rid)] = q.familiarity or None
    boxes[general_key(rid)] = q.comment or ""
    return boxes


def _delphi_stored(q: DelphiQuestionnaire) -> Stored:
    writable = q.status is not ResponseStatus.SUBMITTED and \
        q.round.status is DelphiRoundStatus.OPEN
    saved_at = q.updated_at if q.status is ResponseStatus.DRAFT else None
    return Stored(_delphi_boxes(q), q.version, writable, saved_at, q)


def _answers(q: DelphiQuestionnaire, boxes: Mapping[str, object]) -> dict[str, Any]:
    rid = q.round.round_id
    codes = [i["code"] for i in q.round.indicators]
    return {
        "ratings": {c: boxes.get(rating_key(rid, c)) for c in codes},
        "comments": {c: str(boxes.get(comment_key(rid, c)) or "") for c in codes},
        "basis": {b: str(boxes.get(basis_key(rid, b)) or "") for b in q.basis_levels},
        "familiarity": str(boxes.get(familiarity_key(rid)) or ""),
        "comment": str(boxes.get(general_key(rid)) or ""),
    }


def delphi_form(ctx: PageContext, q: DelphiQuestionnaire) -> DraftForm:
    """The expert's questionnaire of one round as a form saved as he types.

    Parameters
    ----------
    ctx
        The signed-in expert and the engine.
    q
        His questionnaire as read (it fixes the indicators and the authority questions).

    Returns
    -------
    DraftForm
        Boxes: each indicator's rating and comment, each judgment basis, the familiarity and
        the general comment; saved by :func:`review.delphi_answers.save_answers`, submitted by
        :func:`review.delphi_answers.submit_answers`.

    Notes
    -----
    A save replaces the expert's answers with his boxes as stored plus the ones he changed,
    so what another tab saved in the meantime stays. Proposals are not boxes: each is stored
    the moment it is added.

    Examples
    --------
    >>> callable(delphi_form)
    True
    """
    rid = q.round.round_id

    def read(session: Session) -> Stored:
        return _delphi_stored(questionnaire(session, round_id=rid, by=ctx.viewer))

    def write(session: Session, pending: Mapping[str, object], base: Mapping[str, object],
              version: int) -> Stored:
        return _delphi_stored(save_answers(session, round_id=rid, expected_version=version,
                                           by=ctx.viewer, **_answers(q, {**base, **pending})))

    def submit(session: Session, version: int) -> Stored:
        return _delphi_stored(submit_answers(session, round_id=rid, expected_version=version,
                                             by=ctx.viewer))

    return DraftForm(name=f"delphi.answers.{rid}", keys=tuple(_delphi_boxes(q)), read=read,
                     write=write, messages=_DELPHI_MESSAGES, clean=_delphi_clean,
                     submit=submit)


def _judgment_clean(key: str, value: object) -> object:
    return scale_value(None if value is None else float(value))


def node_form(ctx: PageContext, mine: MemberJudgments, node: AhpNode) -> DraftForm:
    """The member's pairwise comparisons at one node as a form saved as he chooses.

    Parameters
    ----------
    ctx
        The signed-in member and the engine.
    mine
        His judgments as read (they fix the survey).
    node
        The node whose children are compared.

    Returns
    -------
    DraftForm
        One box per pair; saved by :func:`review.ahp_survey_judgments.save_judgments` (the
        node's judgments replaced as a whole), submitted by
        :func:`review.ahp_survey_judgments.submit_judgments` (every node at once).

    Notes
    -----
    A blank comparison is None in its box and absent from the store.

    Examples
    --------
    >>> callable(node_form)
    True
    """
    sid = mine.survey.survey_id
    keys = {pair: judgment_key(sid, node.key, *pair) for pair in node.pairs}

    def stored(judged: MemberJudgments) -> Stored:
        given = judged.judgments.get(node.key, {})
        writable = judged.status is not MemberStatus.SUBMITTED and \
            judged.survey.status is SurveyStatus.OPEN
        saved_at = judged.saved_at.get(node.key) if judged.status is MemberStatus.DRAFT \
            else None
        return Stored({key: scale_value(given.get(pair)) for pair, key in keys.items()},
                      judged.version, writable, saved_at, judged)

    def read(session: Session) -> Stored:
        return stored(my_judgments(session, survey_id=sid, by=ctx.viewer))

    def write(session: Session, pending: Mapping[str, object], base: Mapping[str, object],
              version: int) -> Stored:
        boxes = {**base, **pending}
        return stored(save_judgments(
            session, survey_id=sid, node_key=node.key, expected_version=version, by=ctx.viewer,
            judgments={pair: boxes.get(key) for pair, key in keys.items()}))

    def submit(session: Session, version: int) -> Stored:
        return stored(submit_judgments(session, survey_id=sid, expected_version=version,
                                       by=ctx.viewer))

    return DraftForm(name=f"ahp_survey.answers.{sid}.{node.key or 'top'}",
                     keys=tuple(keys.values()), read=read, write=write, messages=_AHP_MESSAGES,
                     clean=_judgment_clean, submit=submit)
