"""Create the indicator library's tables: versions, indicators, changelogs, projects, targets.

Revision ID: ind_0001
Revises:
Create Date: 2026-11-27

A library version is one row of ``ind_library_version``; its indicators and changelog lines hang
off it and go with it when a draft is deleted. A project is one budget project in one year; its
target table is its rows in ``ind_target``, each optionally pointing at the library version it
was picked from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ind_0001"
down_revision = None
branch_labels = ("indicators",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ind_library_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("framework_id", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("effective_year", sa.Integer(), nullable=True),
        sa.Column("source_documents", sa.JSON(), nullable=False),
        sa.Column("based_on", sa.String(), nullable=True),
        sa.Column("published_by", sa.String(), nullable=True),
        # ISO 8601 text keeps the UTC offset, which SQLite's DATETIME would drop.
        sa.Column("published_at", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("framework_id", "version", name="uq_ind_library_version_ref"),
        sa.CheckConstraint("status IN ('draft', 'published', 'retired')",
                           name="ck_ind_library_version_status"),
    )
    op.create_table(
        "ind_indicator",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("library_version_id", sa.Integer(),
                  sa.ForeignKey("ind_library_version.id", name="fk_ind_indicator_version",
                                ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        sa.Column("direction", sa.String(), nullable=True),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("value_basis", sa.String(), nullable=True),
        sa.Column("reference_value", sa.String(), nullable=False),
        sa.Column("explanation", sa.String(), nullable=False),
        sa.Column("checkpoints", sa.String(), nullable=False),
        sa.Column("data_source", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("rule_params", sa.JSON(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("source_document", sa.String(), nullable=False),
        sa.Column("valid_from", sa.Integer(), nullable=True),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.Column("sector", sa.String(), nullable=False),
        sa.UniqueConstraint("library_version_id", "code", name="uq_ind_indicator_code"),
    )
    op.create_table(
        "ind_changelog",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("library_version_id", sa.Integer(),
                  sa.ForeignKey("ind_library_version.id", name="fk_ind_changelog_version",
                                ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("date", sa.String(), nullable=False),
    )
    op.create_index("ix_ind_changelog_library_version_id", "ind_changelog",
                    ["library_version_id"])
    op.create_table(
        "ind_project",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("budget_type", sa.String(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.Column("previous_amount", sa.Float(), nullable=True),
        sa.Column("years_running", sa.Integer(), nullable=False),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("code", "year", name="uq_ind_project_code_year"),
    )
    op.create_index("ix_ind_project_year", "ind_project", ["year"])
    op.create_table(
        "ind_target",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(),
                  sa.ForeignKey("ind_project.id", name="fk_ind_target_project",
                                ondelete="CASCADE"),
                  nullable=False),
        # A target picked from the library keeps that version alive: no cascade here.
        sa.Column("library_version_id", sa.Integer(),
                  sa.ForeignKey("ind_library_version.id", name="fk_ind_target_version"),
                  nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level1", sa.String(), nullable=False),
        sa.Column("level2", sa.String(), nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("target_text", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
    )
    op.create_index("ix_ind_target_project_id", "ind_target", ["project_id"])
    op.create_index("ix_ind_target_library_version_id", "ind_target", ["library_version_id"])


def downgrade() -> None:
    op.drop_index("ix_ind_target_library_version_id", table_name="ind_target")
    op.drop_index("ix_ind_target_project_id", table_name="ind_target")
    op.drop_table("ind_target")
    op.drop_index("ix_ind_project_year", table_name="ind_project")
    op.drop_table("ind_project")
    op.drop_index("ix_ind_changelog_library_version_id", table_name="ind_changelog")
    op.drop_table("ind_changelog")
    op.drop_table("ind_indicator")
    op.drop_table("ind_library_version")
