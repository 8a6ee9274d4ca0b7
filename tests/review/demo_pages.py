"""What the review page tests need to know of the demo database, whatever else it seeds.

The demo holds the open round the raters work in (``DEMO_ROUND_TITLE``) and, since key results
reach the lifecycle pages, a closed first batch too; these helpers look at the open round.
"""

from __future__ import annotations

from sqlmodel import Session

from indicators.database import get_engine
from review import store
from review.demo import DEMO_ACCOUNTS, DEMO_ROUND_TITLE
from review.model import SheetPublic, SheetStatus
from review.ui import RATER_PAGE_ROLES
from tests.review.test_ui import viewer

__all__ = ["open_round_id", "round_sheets", "untouched_sheet"]


def open_round_id(db: str) -> int:
    with Session(get_engine(db)) as session:
        rounds = store.list_rounds(session, by=viewer(db, "admin"))
    return next(r.round_id for r in rounds if r.title == DEMO_ROUND_TITLE)


def round_sheets(db: str) -> list[SheetPublic]:
    """Every sheet of the demo's open round."""
    with Session(get_engine(db)) as session:
        return store.list_sheets(session, round_id=open_round_id(db),
                                 viewer=viewer(db, "admin"))


def untouched_sheet(db: str, *, waiting: int = 1) -> tuple[str, SheetPublic]:
    """A rater with at least ``waiting`` unsubmitted sheets, and one of theirs nobody touched."""
    all_sheets = round_sheets(db)
    for account in DEMO_ACCOUNTS:
        if account.role not in RATER_PAGE_ROLES:
            continue
        uid = viewer(db, account.username).user_id
        mine = [s for s in all_sheets if s.rater_id == uid]
        fresh = [s for s in mine if s.status is SheetStatus.ASSIGNED]
        if fresh and sum(s.status is not SheetStatus.SUBMITTED for s in mine) >= waiting:
            return account.username, fresh[0]
    raise LookupError("the demo round has no such rater")
