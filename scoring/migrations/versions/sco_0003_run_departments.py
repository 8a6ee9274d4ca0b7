"""Keep each year run's department overall evaluation (部门整体评价) with the run.

Revision ID: sco_0003
Revises: sco_0002
Create Date: 2026-12-06

A year run now scores departments as a whole; the dashboard shows the grades the run computed,
so the run keeps its table of units (points, grade, veto, status and reason) as JSON beside its
coverage and grades. Runs stored before have no department table: an empty list.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sco_0003"
down_revision = "sco_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The default fills the rows of earlier runs; both SQLite and PostgreSQL read '[]' as JSON.
    with op.batch_alter_table("sco_life_run") as batch:
        batch.add_column(sa.Column("departments", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("sco_life_run") as batch:
        batch.drop_column("departments")
