"""Create the scoring tables: score runs, their per-project results and per-indicator points.

Revision ID: sco_0001
Revises:
Create Date: 2026-11-28

A score run records what a county's projects were scored with (library version, weight set,
band table and its version, rule parameters), who ran it and when; its project results and
indicator points hang off it and go with it. A run names its library version by
``framework_id@version`` text rather than a foreign key, because a run may use a built-in
framework that was never stored, and a stored version outlives every score that names it.

The branch depends on the indicators branch so that the library tables exist first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sco_0001"
down_revision = None
branch_labels = ("scoring",)
depends_on = "ind_0002"


def _run_id(name: str) -> sa.Column:
    return sa.Column("run_id", sa.Integer(),
                     sa.ForeignKey("sco_score_run.id", name=name, ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "sco_score_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("library_ref", sa.String(), nullable=False),
        sa.Column("weight_set", sa.String(), nullable=False),
        sa.Column("band_table", sa.String(), nullable=False),
        sa.Column("band_version", sa.String(), nullable=False),
        sa.Column("rule_params", sa.JSON(), nullable=False),
        sa.Column("n_projects", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sco_score_run_year", "sco_score_run", ["year"])
    op.create_table(
        "sco_project_result",
        sa.Column("id", sa.Integer(), primary_key=True),
        _run_id("fk_sco_project_result_run"),
        sa.Column("project_code", sa.String(), nullable=False),
        sa.Column("project_name", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("budget_type", sa.String(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("execution_rate", sa.Float(), nullable=True),
        sa.Column("budget_points", sa.Float(), nullable=False),
        sa.Column("indicator_points", sa.Float(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(), nullable=True),
        sa.Column("grade_before_veto", sa.String(), nullable=True),
        sa.Column("vetoed", sa.Boolean(), nullable=False),
        sa.Column("n_missing", sa.Integer(), nullable=False),
        sa.Column("n_over_achievement", sa.Integer(), nullable=False),
        sa.Column("subtotals", sa.JSON(), nullable=False),
        sa.UniqueConstraint("run_id", "project_code", name="uq_sco_project_result_project"),
    )
    op.create_index("ix_sco_project_result_run_id", "sco_project_result", ["run_id"])
    op.create_table(
        "sco_indicator_points",
        sa.Column("id", sa.Integer(), primary_key=True),
        _run_id("fk_sco_indicator_points_run"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("project_code", sa.String(), nullable=False),
        sa.Column("indicator_code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level1", sa.String(), nullable=False),
        sa.Column("level2", sa.String(), nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("qualitative_level", sa.String(), nullable=True),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("missing", sa.Boolean(), nullable=False),
        sa.Column("over_achievement", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
    )
    op.create_index("ix_sco_indicator_points_run_id", "sco_indicator_points", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_sco_indicator_points_run_id", table_name="sco_indicator_points")
    op.drop_table("sco_indicator_points")
    op.drop_index("ix_sco_project_result_run_id", table_name="sco_project_result")
    op.drop_table("sco_project_result")
    op.drop_index("ix_sco_score_run_year", table_name="sco_score_run")
    op.drop_table("sco_score_run")
