"""Demo data for the library-building pages: a two-round Delphi study and a group AHP survey.

On a demo start, after the demo accounts exist (:func:`review.demo.seed_demo_review`),
:func:`seed_demo_building` lets 陈博士's journey be walked on the shipped national target
framework: round 1 of a Delphi study answered by seven of the eight demo panellists and closed,
round 2 open with three answers in (so a demo expert signs in to a questionnaire that shows
round 1's feedback), and a group AHP survey weighed by round 1's authority coefficients with
three of five members submitted. Ratings and judgments are drawn from a seeded generator around
fixed importances, two indicators rated low so that screening has something to drop; nothing
is proposed or saved into the library, so the shipped versions stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, select

from indicators.frontdoor import Viewer
from indicators.store import get_library
from review.ahp_survey_judgments import my_judgments, save_judgments, submit_judgments
from review.ahp_survey_store import create_survey, invite_members
from review.delphi_answers import questionnaire, save_answers, submit_answers
from review.delphi_authority import authority_table
from review.delphi_store import close_round, create_round, create_study, invite_experts
from review.delphi_tables import DelphiStudyRow
from review.store_accounts import get_viewer
from review.tables import UserRow
from scoring.pairwise import nearest_scale

__all__ = ["DEMO_LIBRARY", "DEMO_STUDY_TITLE", "DEMO_SURVEY_TITLE", "DemoBuilding",
           "seed_demo_building"]

DEMO_STUDY_TITLE = "乡村振兴衔接资金项目绩效指标体系德尔菲咨询"
DEMO_SURVEY_TITLE = "项目支出绩效目标指标权重专家咨询"
DEMO_LIBRARY = "national-target@1.0.0"
_PANEL = ("expert1", "expert2", "expert3", "expert4", "expert5", "deputy1", "deputy2",
          "deputy3")
_LOW = {"CC0404": 2.6, "XY0102": 2.8}  # rated low on purpose: screening drops or revises them
_ROUND2_DONE = ("expert2", "expert4", "deputy2")
_AHP_DONE = {"expert2": 0.25, "expert3": 0.25, "expert5": 0.9}  # judgment noise (σ of log)


@dataclass(frozen=True)
class DemoBuilding:
    """What :func:`seed_demo_building` found or made."""

    study_id: int
    created: bool


def _viewer(session: Session, username: str) -> Viewer:
    row = session.exec(select(UserRow).where(UserRow.username == username)).one()
    return get_viewer(session, user_id=int(row.id))


def _answer(session: Session, round_id: int, expert: Viewer, rng: np.random.Generator,
            importance: dict[str, float]) -> None:
    table = authority_table()
    levels = list(next(iter(table.basis.values())))
    basis = {b: levels[int(rng.integers(0, 2))] for b in table.basis}
    familiarity = list(table.familiarity)[int(rng.integers(0, 3))]
    ratings = {code: int(np.clip(np.rint(mean + rng.normal(0, 0.6)), 1, 5))
               for code, mean in importance.items()}
    version = questionnaire(session, round_id=round_id, by=expert).version
    saved = save_answers(session, round_id=round_id, ratings=ratings, basis=basis,
                         familiarity=familiarity, expected_version=version, by=expert)
    submit_answers(session, round_id=round_id, expected_version=saved.version, by=expert)


def _judge(session: Session, survey_id: int, member: Viewer, rng: np.random.Generator,
           nodes: tuple, priority: dict[str, float], noise: float) -> None:
    version = my_judgments(session, survey_id=survey_id, by=member).version
    for node in nodes:
        noisy = {c: priority[c] * float(np.exp(rng.normal(0, noise))) for c in node.codes}
        # Each comparison drawn on its own, so a noisy member's matrix is also inconsistent.
        judgments = {(a, b): float(nearest_scale(
            noisy[a] / noisy[b] * float(np.exp(rng.normal(0, noise))))) for a, b in node.pairs}
        version = save_judgments(session, survey_id=survey_id, node_key=node.key,
                                 judgments=judgments, expected_version=version,
                                 by=member).version
    submit_judgments(session, survey_id=survey_id, expected_version=version, by=member)


def seed_demo_building(session: Session, *, seed: int = 2022) -> DemoBuilding:
    """Seed the demo Delphi study and AHP survey once (a second call finds them).

    Parameters
    ----------
    session
        An open session (not inside ``session.begin()``) on a database where the demo
        accounts and the shipped libraries exist; the seed commits.
    seed
        Seed of the generator of ratings and judgments.

    Returns
    -------
    DemoBuilding
        The study's id and whether this call created it.

    Raises
    ------
    NoResultFound
        A demo account is missing (seed the demo review first).

    Notes
    -----
    Staff actions are taken as the demo finance officer. Importances are drawn once per
    indicator between 3.4 and 4.8; each rating adds normal noise (SD 0.6) and is rounded onto
    the 1–5 scale. AHP judgments are the ratio of two priorities with lognormal noise on each
    priority and each comparison (σ = 0.25 of the log; 0.9 for expert5, whose matrices then
    fail CR < 0.10, so exclusion has a case), rounded to the nearest Saaty value.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from indicators.store import seed_builtin_libraries
    >>> from review.demo import seed_demo_review
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s:
    ...     _ = seed_builtin_libraries(s); _ = seed_demo_review(s); s.commit()
    ...     first, again = seed_demo_building(s), seed_demo_building(s)
    >>> first.created, again.created, first.study_id == again.study_id
    (True, False, True)
    >>> clear_engine_cache()
    """
    existing = session.exec(select(DelphiStudyRow.id).where(
        DelphiStudyRow.title == DEMO_STUDY_TITLE)).first()
    if existing is not None:
        return DemoBuilding(study_id=int(existing), created=False)
    rng = np.random.default_rng(seed)
    staff = _viewer(session, "finance")
    panel = {name: _viewer(session, name) for name in _PANEL}
    library = get_library(session, ref=DEMO_LIBRARY)
    importance = {i.code: _LOW.get(i.code, float(rng.uniform(3.4, 4.8)))
                  for i in library.indicators}
    study = create_study(session, title=DEMO_STUDY_TITLE, by=staff,
                         description="以国家项目支出绩效目标框架为基础，两轮专家咨询。")
    first = create_round(session, study_id=study.study_id, library_ref=DEMO_LIBRARY, by=staff)
    invite_experts(session, round_id=first.round_id,
                   user_ids=[v.user_id for v in panel.values()], by=staff)
    for name in _PANEL[:-1]:  # one deputy never answers: the positive coefficient is 7/8
        _answer(session, first.round_id, panel[name], rng, importance)
    close_round(session, round_id=first.round_id, by=staff)
    second = create_round(session, study_id=study.study_id, library_ref=DEMO_LIBRARY,
                          by=staff)
    invite_experts(session, round_id=second.round_id,
                   user_ids=[v.user_id for v in panel.values()], by=staff)
    for name in _ROUND2_DONE:
        _answer(session, second.round_id, panel[name], rng, importance)
    survey = create_survey(session, title=DEMO_SURVEY_TITLE, library_ref=DEMO_LIBRARY,
                           delphi_round_id=first.round_id, by=staff)
    members = [panel[name] for name in _PANEL[:5]]
    invite_members(session, survey_id=survey.survey_id, user_ids=[m.user_id for m in members],
                   by=staff)
    priority = {i.code: max(float(i.weight or 1.0), 0.5) for i in library.indicators}
    for name, noise in _AHP_DONE.items():
        _judge(session, survey.survey_id, panel[name], rng, survey.nodes, priority, noise)
    session.commit()
    return DemoBuilding(study_id=study.study_id, created=True)
