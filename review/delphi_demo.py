"""A tiny Delphi study on a fresh database, for examples and quick checks.

:func:`seed_tiny_delphi` stores a six-indicator library (``delphi-demo@1.0.0``: 决策 with two
sub-indicators, 产出 with two), an admin and three experts, a study and its first round with the
three experts invited; optionally their answers (submitted) and the close. The answers are
chosen so the results can be worked by hand: 质量达标率 (B2) gets 2, 3 and 1 points (mean 2,
SD 1, CV 0.5: dropped by the default thresholds), the others means of 4.33 or more; the
authority coefficients are 0.9, 0.85 and 0.7 under the default table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from indicators.frontdoor import Role, Viewer
from indicators.model import Indicator, LibraryVersion
from indicators.store import save_library
from review.delphi_answers import add_proposal, save_answers, submit_answers
from review.delphi_store import close_round, create_round, create_study, invite_experts
from review.store_accounts import create_user

__all__ = ["TINY_ANSWERS", "TINY_LIBRARY", "TinyDelphi", "seed_tiny_delphi"]

TINY_LIBRARY = LibraryVersion(
    "delphi-demo", "1.0.0", "德尔菲示例指标体系", "evaluation", (
        Indicator("A", "决策", 1, weight=40),
        Indicator("A1", "立项依据充分性", 2, parent="A", weight=20, direction="定性"),
        Indicator("A2", "绩效目标合理性", 2, parent="A", weight=20, direction="定性"),
        Indicator("B", "产出", 1, weight=60),
        Indicator("B1", "实际完成率", 2, parent="B", weight=30, direction="≥", unit="%"),
        Indicator("B2", "质量达标率", 2, parent="B", weight=30, direction="≥", unit="%"),
    ), status="published")
"""Six indicators in two levels, weights summing to 100."""

TINY_ANSWERS: dict[str, dict[str, object]] = {
    "expert1": {"ratings": {"A": 5, "A1": 5, "A2": 4, "B": 5, "B1": 5, "B2": 2},
                "basis": {"理论分析": "大", "实践经验": "大", "参考国内外文献": "中", "直觉": "小"},
                "familiarity": "熟悉"},
    "expert2": {"ratings": {"A": 4, "A1": 5, "A2": 4, "B": 5, "B1": 4, "B2": 3},
                "basis": {"理论分析": "中", "实践经验": "大", "参考国内外文献": "中", "直觉": "小"},
                "familiarity": "熟悉"},
    "expert3": {"ratings": {"A": 5, "A1": 4, "A2": 5, "B": 4, "B1": 5, "B2": 1},
                "basis": {"理论分析": "小", "实践经验": "小", "参考国内外文献": "小", "直觉": "小"},
                "familiarity": "熟悉"},
}
"""The tiny round's answers: Ca = 1.0, 0.9, 0.6 and Cs = 0.8 each, so Cr = 0.9, 0.85, 0.7."""


@dataclass(frozen=True)
class TinyDelphi:
    """What :func:`seed_tiny_delphi` made."""

    staff: Viewer
    experts: tuple[Viewer, ...]
    study_id: int
    round_id: int
    library_ref: str


def seed_tiny_delphi(session: Session, *, answered: bool = False,
                     closed: bool = False) -> TinyDelphi:
    """An admin, three experts, the tiny library and an open first round inviting the experts.

    Parameters
    ----------
    session
        An open session (not inside ``session.begin()``) on a migrated database with no admin
        yet; the seed commits, as storing the library does.
    answered
        Also save and submit :data:`TINY_ANSWERS` and one proposal (expert1: 数字化管理水平
        under 产出).
    closed
        Also close the round (implies ``answered``).

    Returns
    -------
    TinyDelphi

    Raises
    ------
    PermissionDeniedError
        The database already has an admin.

    Notes
    -----
    Accounts get no password (invite-only), so seeding computes no password hash.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     tiny = seed_tiny_delphi(s)
    >>> [e.username for e in tiny.experts], tiny.library_ref
    (['expert1', 'expert2', 'expert3'], 'delphi-demo@1.0.0')
    >>> clear_engine_cache()
    """
    admin_row = create_user(session, username="admin", display_name="管理员", role=Role.ADMIN,
                            by=None)
    staff = Viewer(user_id=admin_row.user_id, username="admin", display_name="管理员",
                   role=Role.ADMIN)
    experts = tuple(
        Viewer(user_id=create_user(session, username=f"expert{n}", display_name=f"专家{n}",
                                   role=Role.EXPERT, by=staff).user_id,
               username=f"expert{n}", display_name=f"专家{n}", role=Role.EXPERT)
        for n in (1, 2, 3))
    save_library(session, version=TINY_LIBRARY)
    study = create_study(session, title="示例德尔菲研究", by=staff)
    rnd = create_round(session, study_id=study.study_id, library_ref=TINY_LIBRARY.ref, by=staff)
    invite_experts(session, round_id=rnd.round_id, user_ids=[e.user_id for e in experts],
                   by=staff)
    if answered or closed:
        for expert in experts:
            answer = TINY_ANSWERS[expert.username]
            q = save_answers(session, round_id=rnd.round_id, ratings=answer["ratings"],
                             basis=answer["basis"], familiarity=answer["familiarity"],
                             expected_version=1, by=expert)
            if expert is experts[0]:
                add_proposal(session, round_id=rnd.round_id, name="数字化管理水平",
                             parent_code="B", reason="信息化是管理效率的重要体现", by=expert)
            submit_answers(session, round_id=rnd.round_id, expected_version=q.version,
                           by=expert)
    if closed:
        close_round(session, round_id=rnd.round_id, by=staff)
    session.commit()
    return TinyDelphi(staff=staff, experts=experts, study_id=study.study_id,
                      round_id=rnd.round_id, library_ref=TINY_LIBRARY.ref)
