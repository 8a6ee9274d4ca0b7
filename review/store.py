"""Storage of the review module, in one import: accounts, rounds, reports, assignments, scoring, results.

The tables are the ``rev_`` SQLModel classes of :mod:`review.tables`, created by the migrations
in ``review/migrations``. Every function takes the session first and keyword arguments after
it, does one thing, flushes, and leaves the commit to the caller (``with Session(engine) as s,
s.begin(): ...``), so a page can group several calls into one transaction. Every change to an
account, a round, a report, a panel, an assignment or a score sheet appends a line to the audit
log in the same transaction.

The functions live in modules along the workflow and are offered here together:
:mod:`review.store_accounts`, :mod:`review.store_rounds`, :mod:`review.store_reports`,
:mod:`review.store_assignments`, :mod:`review.store_tasks` (tasks, the rubric, reading sheets
under blindness), :mod:`review.store_sheets` (drafts, the locking submit, reopen) and
:mod:`review.store_results` (scores, panel results, progress, the audit log).
"""

from __future__ import annotations

from review.store_accounts import (
    admin_exists,
    create_user,
    get_viewer,
    list_users,
    reset_password,
    set_user_disabled,
)
from review.store_assignments import assign, auto_assign, panel_members, set_panel
from review.store_reports import MAX_DOCUMENT_BYTES, add_report, list_reports, report_content
from review.store_results import (
    audit_log,
    panel_results,
    progress,
    record_panel_choice,
    round_scores,
)
from review.store_rounds import close_round, create_round, get_round, list_rounds, open_round
from review.store_sheets import reopen_sheet, save_draft, submit_sheet
from review.store_tasks import get_sheet, list_sheets, my_tasks, rubric_items

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "add_report",
    "admin_exists",
    "assign",
    "audit_log",
    "auto_assign",
    "close_round",
    "create_round",
    "create_user",
    "get_round",
    "get_sheet",
    "get_viewer",
    "list_reports",
    "list_rounds",
    "list_sheets",
    "list_users",
    "my_tasks",
    "open_round",
    "panel_members",
    "panel_results",
    "progress",
    "record_panel_choice",
    "reopen_sheet",
    "report_content",
    "reset_password",
    "round_scores",
    "rubric_items",
    "save_draft",
    "set_panel",
    "set_user_disabled",
    "submit_sheet",
]
