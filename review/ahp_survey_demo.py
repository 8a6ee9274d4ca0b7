"""A tiny group AHP survey on a fresh database, for examples and quick checks.

:func:`seed_tiny_survey` builds on :func:`review.delphi_demo.seed_tiny_delphi` (an admin, three
experts and a closed Delphi round whose authority coefficients are 0.9, 0.85 and 0.7), stores a
seven-indicator library (``ahp-demo@1.0.0``: 产出 with three children, 效益 with two, 满意度
with one) and opens a survey on it with the three experts as members. With ``answered`` the
members submit :data:`TINY_JUDGMENTS`: expert1 perfectly consistent, expert2 nearly so, expert3
inconsistent at the first level and leaving one comparison of 产出's children blank.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from indicators.frontdoor import Viewer
from indicators.model import Indicator, LibraryVersion
from indicators.store import save_library
from review.ahp_survey_judgments import my_judgments, save_judgments, submit_judgments
from review.ahp_survey_store import create_survey, invite_members
from review.delphi_demo import seed_tiny_delphi

__all__ = ["TINY_AHP_LIBRARY", "TINY_JUDGMENTS", "TinySurvey", "seed_tiny_survey"]

TINY_AHP_LIBRARY = LibraryVersion(
    "ahp-demo", "1.0.0", "层次分析示例指标体系", "evaluation", (
        Indicator("CC", "产出指标", 1, weight=50),
        Indicator("CC1", "数量指标", 2, parent="CC", weight=20, direction="≥", unit="%"),
        Indicator("CC2", "质量指标", 2, parent="CC", weight=15, direction="≥", unit="%"),
        Indicator("CC3", "时效指标", 2, parent="CC", weight=15, direction="≥", unit="%"),
        Indicator("XY", "效益指标", 1, weight=30),
        Indicator("XY1", "社会效益指标", 2, parent="XY", weight=15, direction="定性"),
        Indicator("XY2", "可持续影响指标", 2, parent="XY", weight=15, direction="定性"),
        Indicator("MY", "满意度指标", 1, weight=20),
        Indicator("MY1", "服务对象满意度指标", 2, parent="MY", weight=20, direction="≥",
                  unit="%"),
    ), status="published")
"""Three first-level indicators; 产出 has three children, 效益 two and 满意度 one."""

TINY_JUDGMENTS: dict[str, dict[str, dict[tuple[str, str], float]]] = {
    "expert1": {"": {("CC", "XY"): 2.0, ("CC", "MY"): 4.0, ("XY", "MY"): 2.0},
                "CC": {("CC1", "CC2"): 2.0, ("CC1", "CC3"): 2.0, ("CC2", "CC3"): 1.0},
                "XY": {("XY1", "XY2"): 1.0}},
    "expert2": {"": {("CC", "XY"): 3.0, ("CC", "MY"): 5.0, ("XY", "MY"): 2.0},
                "CC": {("CC1", "CC2"): 1.0, ("CC1", "CC3"): 2.0, ("CC2", "CC3"): 2.0},
                "XY": {("XY1", "XY2"): 2.0}},
    "expert3": {"": {("CC", "XY"): 4.0, ("CC", "MY"): 1 / 4, ("XY", "MY"): 4.0},
                "CC": {("CC1", "CC2"): 3.0, ("CC2", "CC3"): 2.0},
                "XY": {("XY1", "XY2"): 1 / 2}},
}
"""Each member's judgments per node ("" is the first level); a pair left out is blank."""


@dataclass(frozen=True)
class TinySurvey:
    """What :func:`seed_tiny_survey` made."""

    staff: Viewer
    members: tuple[Viewer, ...]
    survey_id: int
    delphi_round_id: int
    library_ref: str


def seed_tiny_survey(session: Session, *, answered: bool = False) -> TinySurvey:
    """The tiny Delphi study (closed), the tiny AHP library and an open survey on it.

    Parameters
    ----------
    session
        An open session (not inside ``session.begin()``) on a migrated database with no admin
        yet; the seed commits.
    answered
        Also save and submit :data:`TINY_JUDGMENTS`.

    Returns
    -------
    TinySurvey

    Notes
    -----
    The survey names the Delphi round, so members can be weighed by their authority.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_survey(s)
    >>> tiny.library_ref, len(tiny.members)
    ('ahp-demo@1.0.0', 3)
    >>> clear_engine_cache()
    """
    delphi = seed_tiny_delphi(session, closed=True)
    save_library(session, version=TINY_AHP_LIBRARY)
    survey = create_survey(session, title="示例权重咨询", library_ref=TINY_AHP_LIBRARY.ref,
                           delphi_round_id=delphi.round_id, by=delphi.staff)
    invite_members(session, survey_id=survey.survey_id,
                   user_ids=[e.user_id for e in delphi.experts], by=delphi.staff)
    if answered:
        for member in delphi.experts:
            version = my_judgments(session, survey_id=survey.survey_id, by=member).version
            for node, judgments in TINY_JUDGMENTS[member.username].items():
                version = save_judgments(session, survey_id=survey.survey_id, node_key=node,
                                         judgments=judgments, expected_version=version,
                                         by=member).version
            submit_judgments(session, survey_id=survey.survey_id, expected_version=version,
                             by=member)
    session.commit()
    return TinySurvey(staff=delphi.staff, members=delphi.experts, survey_id=survey.survey_id,
                      delphi_round_id=delphi.round_id, library_ref=TINY_AHP_LIBRARY.ref)
