"""Create the budget-lifecycle tables: imports, decisions and year runs.

Revision ID: sco_0002
Revises: sco_0001
Create Date: 2026-12-05

Imports keep each lifecycle table a bureau brings in (requests, spending, progress, actuals,
assessment sheets) row by row with its spreadsheet row. Decisions are append-only: a new one
names the one it supersedes. A year run records the closed loop's results for the county
dashboard, with one tidy row per project and per request of next year. Projects are named by
code rather than a foreign key to ``ind_project``, because a lifecycle year may run on tables
that were never stored in the library (the demo county, a folder of files).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sco_0002"
down_revision = "sco_0001"
branch_labels = None
depends_on = None


def _stamp() -> list[sa.Column]:
    return [sa.Column("created_by", sa.String(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)]


def _run_id(name: str) -> sa.Column:
    return sa.Column("run_id", sa.Integer(),
                     sa.ForeignKey("sco_life_run.id", name=name, ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "sco_life_import",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("months", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        *_stamp(),
    )
    op.create_index("ix_sco_life_import_year", "sco_life_import", ["year"])
    op.create_table(
        "sco_life_import_line",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("import_id", sa.Integer(),
                  sa.ForeignKey("sco_life_import.id", name="fk_sco_life_import_line_import",
                                ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sheet_row", sa.Integer(), nullable=True),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
    )
    op.create_index("ix_sco_life_import_line_import_id", "sco_life_import_line", ["import_id"])
    op.create_table(
        "sco_life_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("recommendation", sa.String(), nullable=False),
        sa.Column("recommended_amount", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("changed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("config", sa.String(), nullable=False),
        sa.Column("supersedes", sa.Integer(),
                  sa.ForeignKey("sco_life_decision.id", name="fk_sco_life_decision_supersedes"),
                  nullable=True),
        *_stamp(),
    )
    op.create_index("ix_sco_life_decision_year", "sco_life_decision", ["year"])
    op.create_table(
        "sco_life_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("config", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("rule_set", sa.String(), nullable=False),
        sa.Column("n_projects", sa.Integer(), nullable=False),
        sa.Column("n_requests", sa.Integer(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("text_zh", sa.String(), nullable=False),
        sa.Column("text_en", sa.String(), nullable=False),
        sa.Column("coverage", sa.JSON(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        *_stamp(),
    )
    op.create_index("ix_sco_life_run_year", "sco_life_run", ["year"])
    op.create_table(
        "sco_life_run_project",
        sa.Column("id", sa.Integer(), primary_key=True),
        _run_id("fk_sco_life_run_project_run"),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("budget_type", sa.String(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("has_targets", sa.Boolean(), nullable=False),
        sa.Column("monitored", sa.Boolean(), nullable=False),
        sa.Column("review_score", sa.Float(), nullable=True),
        sa.Column("review_grade", sa.String(), nullable=True),
        sa.Column("review_adjustment", sa.Float(), nullable=False),
        sa.Column("execution_ratio", sa.Float(), nullable=True),
        sa.Column("light", sa.String(), nullable=False),
        sa.Column("classification", sa.String(), nullable=False),
        sa.Column("suggested_cut", sa.Float(), nullable=False),
        sa.Column("self_scope", sa.Boolean(), nullable=False),
        sa.Column("scored", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("grade", sa.String(), nullable=True),
        sa.Column("final_grade", sa.String(), nullable=True),
        sa.Column("in_sample", sa.Boolean(), nullable=False),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(), nullable=True),
        sa.Column("next_amount", sa.Float(), nullable=True),
        sa.Column("cut", sa.Float(), nullable=False),
        sa.Column("recover", sa.Float(), nullable=False),
        sa.Column("rework", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("run_id", "project", name="uq_sco_life_run_project_project"),
    )
    op.create_index("ix_sco_life_run_project_run_id", "sco_life_run_project", ["run_id"])
    op.create_table(
        "sco_life_run_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        _run_id("fk_sco_life_run_request_run"),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("budget_type", sa.String(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("previous_amount", sa.Float(), nullable=True),
        sa.Column("triggered", sa.Boolean(), nullable=False),
        sa.Column("rules", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("exante_total", sa.Float(), nullable=True),
        sa.Column("exante_cut", sa.Float(), nullable=False),
        sa.Column("approved_amount", sa.Float(), nullable=True),
        sa.UniqueConstraint("run_id", "project", name="uq_sco_life_run_request_project"),
    )
    op.create_index("ix_sco_life_run_request_run_id", "sco_life_run_request", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_sco_life_run_request_run_id", table_name="sco_life_run_request")
    op.drop_table("sco_life_run_request")
    op.drop_index("ix_sco_life_run_project_run_id", table_name="sco_life_run_project")
    op.drop_table("sco_life_run_project")
    op.drop_index("ix_sco_life_run_year", table_name="sco_life_run")
    op.drop_table("sco_life_run")
    op.drop_index("ix_sco_life_decision_year", table_name="sco_life_decision")
    op.drop_table("sco_life_decision")
    op.drop_index("ix_sco_life_import_line_import_id", table_name="sco_life_import_line")
    op.drop_table("sco_life_import_line")
    op.drop_index("ix_sco_life_import_year", table_name="sco_life_import")
    op.drop_table("sco_life_import")
