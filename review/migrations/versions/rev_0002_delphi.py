"""Create the Delphi tables: studies, rounds, experts' responses, ratings and proposals.

Revision ID: rev_0002
Revises: rev_0001
Create Date: 2026-12-02

A study has numbered rounds; each round rates a snapshot of one library version's indicators
(``library_ref`` names the version, ``indicators`` holds the snapshot) and, once closed, keeps
the statistics it produced (``results``), the screening applied and the draft library version it
proposed. A response is one invited expert's questionnaire (status, judgment basis, familiarity);
ratings are one row per expert and indicator, so an expert's answers are read only through the
store's checks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rev_0002"
down_revision = "rev_0001"
branch_labels = None
depends_on = None


def _time(name: str, *, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, target: str, name: str, *, primary_key: bool = False) -> sa.Column:
    return sa.Column(column, sa.Integer(), sa.ForeignKey(target, name=name),
                     primary_key=primary_key, nullable=False)


def upgrade() -> None:
    op.create_table(
        "rev_delphi_study",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("authority_table", sa.String(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at", nullable=False),
        sa.CheckConstraint("scale_max >= 2", name="ck_rev_delphi_study_scale"),
    )
    op.create_table(
        "rev_delphi_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("study_id", "rev_delphi_study.id", "fk_rev_delphi_round_study"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("library_ref", sa.String(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("screening", sa.JSON(), nullable=True),
        sa.Column("draft_ref", sa.String(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at", nullable=False),
        _time("closed_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("study_id", "number", name="uq_rev_delphi_round_number"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_rev_delphi_round_status"),
    )
    op.create_index("ix_rev_delphi_round_study_id", "rev_delphi_round", ["study_id"])
    op.create_table(
        "rev_delphi_response",
        _fk("round_id", "rev_delphi_round.id", "fk_rev_delphi_response_round",
            primary_key=True),
        _fk("expert_id", "rev_user.id", "fk_rev_delphi_response_expert", primary_key=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("familiarity", sa.String(), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        _time("invited_at", nullable=False),
        _time("updated_at", nullable=True),
        _time("submitted_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('invited', 'draft', 'submitted')",
                           name="ck_rev_delphi_response_status"),
    )
    op.create_table(
        "rev_delphi_rating",
        _fk("round_id", "rev_delphi_round.id", "fk_rev_delphi_rating_round", primary_key=True),
        _fk("expert_id", "rev_user.id", "fk_rev_delphi_rating_expert", primary_key=True),
        sa.Column("indicator_code", sa.String(), primary_key=True, nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(), nullable=False),
        sa.CheckConstraint("rating IS NULL OR rating >= 1",
                           name="ck_rev_delphi_rating_positive"),
    )
    op.create_table(
        "rev_delphi_proposal",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("round_id", "rev_delphi_round.id", "fk_rev_delphi_proposal_round"),
        _fk("expert_id", "rev_user.id", "fk_rev_delphi_proposal_expert"),
        sa.Column("parent_code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("explanation", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        _time("created_at", nullable=False),
    )
    op.create_index("ix_rev_delphi_proposal_round_id", "rev_delphi_proposal", ["round_id"])
    op.create_index("ix_rev_delphi_proposal_expert_id", "rev_delphi_proposal", ["expert_id"])


def downgrade() -> None:
    op.drop_index("ix_rev_delphi_proposal_expert_id", table_name="rev_delphi_proposal")
    op.drop_index("ix_rev_delphi_proposal_round_id", table_name="rev_delphi_proposal")
    op.drop_table("rev_delphi_proposal")
    op.drop_table("rev_delphi_rating")
    op.drop_table("rev_delphi_response")
    op.drop_index("ix_rev_delphi_round_study_id", table_name="rev_delphi_round")
    op.drop_table("rev_delphi_round")
    op.drop_table("rev_delphi_study")
