"""The whole demo on one database: libraries, the county's projects, review rounds, Delphi study.

Both front doors seed the demo through :func:`seed_demo` — the Streamlit app on a demo start,
``jixiao demo`` on request — so the two can never drift apart. Every step looks before it
writes, so seeding twice adds nothing the second time. :func:`non_demo_accounts` tells a front
door whether the database already serves real people, beside whom the demo's published
passwords do not belong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, func, select

from indicators.database import ensure_schema
from indicators.demo import demo_target_tables
from indicators.errors import PermissionDeniedError
from indicators.frontdoor import Role
from indicators.store import seed_builtin_libraries
from indicators.target_store import list_projects, save_target_tables
from review.building_demo import seed_demo_building
from review.demo import DEMO_ACCOUNTS, DEMO_CLOSED_ROUND_TITLE, DEMO_ROUND_TITLE, seed_demo_review
from review.store import admin_exists
from review.tables import RoundRow, UserRow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["non_demo_accounts", "seed_demo"]

_DEMO_USERNAMES = tuple(account.username for account in DEMO_ACCOUNTS)
_DEMO_ADMIN = next(account.username for account in DEMO_ACCOUNTS if account.role is Role.ADMIN)


def _demo_accounts_stored(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(UserRow).where(
        UserRow.username.in_(_DEMO_USERNAMES))).one())


def _demo_rounds_stored(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(RoundRow).where(
        RoundRow.title.in_((DEMO_ROUND_TITLE, DEMO_CLOSED_ROUND_TITLE)))).one())


def _refuse_beside_a_real_admin(session: Session) -> None:
    # The review store would refuse the demo admin later; refusing first adds nothing at all.
    demo_admin = session.exec(select(UserRow.id).where(
        UserRow.username == _DEMO_ADMIN)).first()
    if demo_admin is None and admin_exists(session):
        raise PermissionDeniedError(
            f"已有管理员账户（不是示范管理员 '{_DEMO_ADMIN}'），示范数据不能加入这个数据库",
            f"an admin account other than the demo's '{_DEMO_ADMIN}' exists; the demo is not "
            "added to this database")


def non_demo_accounts(engine: Engine) -> list[str]:
    """The usernames of stored accounts that are not demo accounts, sorted.

    Parameters
    ----------
    engine
        The database, its schema up to date.

    Returns
    -------
    list of str
        Empty on a fresh or demo-only database.

    Notes
    -----
    The demo accounts' passwords are printed on the login page and in the documentation, so a
    front door asks before adding them to a database where real people sign in.

    Examples
    --------
    >>> from indicators.database import clear_engine_cache, get_engine
    >>> engine = get_engine("sqlite://"); _ = ensure_schema(engine)
    >>> non_demo_accounts(engine)
    []
    >>> clear_engine_cache()
    """
    with Session(engine) as session:
        rows = session.exec(select(UserRow.username).where(
            UserRow.username.not_in(_DEMO_USERNAMES)).order_by(UserRow.username)).all()
    return [str(name) for name in rows]


def seed_demo(engine: Engine) -> dict[str, int]:
    """Bring the schema up to date and seed whatever part of the demo is not there yet.

    Parameters
    ----------
    engine
        The database.

    Returns
    -------
    dict of str to int
        What this call added: ``libraries`` (shipped framework versions), ``projects`` (the
        demo county's target tables, stored only when no project is stored at all),
        ``accounts`` (of :data:`review.demo.DEMO_ACCOUNTS`), ``rounds`` (the demo review
        rounds of :func:`review.demo.seed_demo_review`, the closed first batch and the open
        round: 0 or 2) and ``studies`` (the demo
        Delphi study with its AHP survey of :func:`review.building_demo.seed_demo_building`,
        0 or 1).

    Raises
    ------
    PermissionDeniedError
        An active admin account exists and the demo admin does not: the review store would
        refuse the demo accounts (:func:`review.demo.seed_demo_review`), so nothing is added.

    Notes
    -----
    Five steps, each in its own transaction and each a no-op when its work is already done:
    the schema (:func:`indicators.database.ensure_schema`), the shipped libraries
    (:func:`indicators.store.seed_builtin_libraries`), the accounts and the review rounds, the
    Delphi study and AHP survey (which need the accounts), and the demo county's target
    tables. The accounts come before the projects so that a database that refuses the demo
    accounts is not left holding the demo county's projects.

    Examples
    --------
    >>> from indicators.database import clear_engine_cache, get_engine
    >>> engine = get_engine("sqlite://")
    >>> first = seed_demo(engine)
    >>> first["accounts"], first["rounds"], first["studies"], first["projects"] > 0
    (10, 2, 1, True)
    >>> sorted(seed_demo(engine).values())
    [0, 0, 0, 0, 0]
    >>> clear_engine_cache()
    """
    ensure_schema(engine)
    with Session(engine) as session:
        _refuse_beside_a_real_admin(session)
        libraries = len(seed_builtin_libraries(session))
    with Session(engine) as session:
        accounts_before = _demo_accounts_stored(session)
        rounds_before = _demo_rounds_stored(session)
        seed_demo_review(session)
        session.commit()
        accounts = _demo_accounts_stored(session) - accounts_before
        rounds = _demo_rounds_stored(session) - rounds_before
    with Session(engine) as session:
        building = seed_demo_building(session)
    projects = 0
    with Session(engine) as session:
        if not list_projects(session):
            projects = save_target_tables(session, tables=demo_target_tables())
    return {"libraries": libraries, "projects": projects, "accounts": accounts,
            "rounds": rounds, "studies": int(building.created)}
