"""Create the group AHP survey tables: surveys, members, judgments and exclusion decisions.

Revision ID: rev_0003
Revises: rev_0002
Create Date: 2026-12-02

A survey keeps a snapshot of the indicator tree of one library version and asks its members
for pairwise comparisons of every node's children; a member's judgments at a node are one JSON
row (a blank comparison is simply absent). Staff decisions to exclude or keep a member's matrix
at a node are appended with their reason, never overwritten. A survey may name the Delphi round
whose authority coefficients weigh its members.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rev_0003"
down_revision = "rev_0002"
branch_labels = None
depends_on = None


def _time(name: str, *, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, target: str, name: str, *, primary_key: bool = False) -> sa.Column:
    return sa.Column(column, sa.Integer(), sa.ForeignKey(target, name=name),
                     primary_key=primary_key, nullable=False)


def upgrade() -> None:
    op.create_table(
        "rev_ahp_survey",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("library_ref", sa.String(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("priority_method", sa.String(), nullable=False),
        sa.Column("ri_table", sa.String(), nullable=False),
        sa.Column("delphi_round_id", sa.Integer(),
                  sa.ForeignKey("rev_delphi_round.id", name="fk_rev_ahp_survey_delphi_round"),
                  nullable=True),
        sa.Column("saved_ref", sa.String(), nullable=True),
        sa.Column("saved_settings", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at", nullable=False),
        _time("closed_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_rev_ahp_survey_status"),
        sa.CheckConstraint("priority_method IN ('eigenvector', 'geometric')",
                           name="ck_rev_ahp_survey_method"),
    )
    op.create_table(
        "rev_ahp_member",
        _fk("survey_id", "rev_ahp_survey.id", "fk_rev_ahp_member_survey", primary_key=True),
        _fk("user_id", "rev_user.id", "fk_rev_ahp_member_user", primary_key=True),
        sa.Column("status", sa.String(), nullable=False),
        _time("invited_at", nullable=False),
        _time("updated_at", nullable=True),
        _time("submitted_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('invited', 'draft', 'submitted')",
                           name="ck_rev_ahp_member_status"),
    )
    op.create_table(
        "rev_ahp_judgment",
        _fk("survey_id", "rev_ahp_survey.id", "fk_rev_ahp_judgment_survey", primary_key=True),
        _fk("user_id", "rev_user.id", "fk_rev_ahp_judgment_user", primary_key=True),
        sa.Column("node_key", sa.String(), primary_key=True, nullable=False),
        sa.Column("judgments", sa.JSON(), nullable=False),
        _time("updated_at", nullable=False),
    )
    op.create_table(
        "rev_ahp_exclusion",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("survey_id", "rev_ahp_survey.id", "fk_rev_ahp_exclusion_survey"),
        _fk("user_id", "rev_user.id", "fk_rev_ahp_exclusion_user"),
        sa.Column("node_key", sa.String(), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        _time("decided_at", nullable=False),
    )
    op.create_index("ix_rev_ahp_exclusion_survey_id", "rev_ahp_exclusion", ["survey_id"])
    op.create_index("ix_rev_ahp_exclusion_user_id", "rev_ahp_exclusion", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_rev_ahp_exclusion_user_id", table_name="rev_ahp_exclusion")
    op.drop_index("ix_rev_ahp_exclusion_survey_id", table_name="rev_ahp_exclusion")
    op.drop_table("rev_ahp_exclusion")
    op.drop_table("rev_ahp_judgment")
    op.drop_table("rev_ahp_member")
    op.drop_table("rev_ahp_survey")
