"""Create the review tables and make the audit log append-only inside the database.

Revision ID: rev_0001
Revises:
Create Date: 2026-11-27

Accounts and their invites; rounds with the rubric snapshot they are scored against; reports
with their documents; the panel; one row per score sheet (an assignment), whose ``version``
column is the compare-and-set counter of every save and submit; and the audit log. The store
never updates or deletes an audit line; the triggers below refuse it to any other writer too (a
script, a console session). Their message starts with ``rev_audit_append_only``.

The branch depends on the indicators branch: rounds are created from a rubric version read from
the indicator library.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rev_0001"
down_revision = None
branch_labels = ("review",)
depends_on = "ind_0002"

MESSAGE = ("rev_audit_append_only: 审计日志只能追加，不能修改或删除 / "
           "the audit log is append-only: entries cannot be changed or deleted")


def _time(name: str, *, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _create_tables() -> None:
    op.create_table(
        "rev_user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _time("locked_until", nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.UniqueConstraint("username", name="uq_rev_user_username"),
        sa.CheckConstraint("role IN ('admin', 'finance', 'expert', 'deputy')",
                           name="ck_rev_user_role"),
    )
    op.create_table(
        "rev_invite",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("rev_user.id", name="fk_rev_invite_user"), nullable=False),
        _time("expires_at", nullable=False),
        _time("used_at", nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at", nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_rev_invite_token_hash"),
    )
    op.create_index("ix_rev_invite_user_id", "rev_invite", ["user_id"])
    op.create_table(
        "rev_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rubric_ref", sa.String(), nullable=False),
        sa.Column("rubric", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("raters_per_report", sa.Integer(), nullable=False),
        sa.Column("panel_method", sa.String(), nullable=False),
        sa.Column("panel_choice", sa.String(), nullable=True),
        sa.Column("panel_choice_reason", sa.String(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at", nullable=False),
        _time("opened_at", nullable=True),
        _time("closed_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="ck_rev_round_status"),
        sa.CheckConstraint("panel_method IN ('mean', 'trimmed_mean', 'median')",
                           name="ck_rev_round_panel_method"),
    )
    op.create_table(
        "rev_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(),
                  sa.ForeignKey("rev_round.id", name="fk_rev_report_round"), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("project_code", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("mime", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        _time("created_at", nullable=False),
    )
    op.create_index("ix_rev_report_round_id", "rev_report", ["round_id"])
    op.create_table(
        "rev_panel",
        sa.Column("round_id", sa.Integer(),
                  sa.ForeignKey("rev_round.id", name="fk_rev_panel_round"), primary_key=True),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("rev_user.id", name="fk_rev_panel_user"), primary_key=True),
    )
    op.create_table(
        "rev_assignment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(),
                  sa.ForeignKey("rev_round.id", name="fk_rev_assignment_round"), nullable=False),
        sa.Column("report_id", sa.Integer(),
                  sa.ForeignKey("rev_report.id", name="fk_rev_assignment_report"),
                  nullable=False),
        sa.Column("rater_id", sa.Integer(),
                  sa.ForeignKey("rev_user.id", name="fk_rev_assignment_rater"), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("overall_comment", sa.String(), nullable=False),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=True),
        _time("submitted_at", nullable=True),
        sa.UniqueConstraint("report_id", "rater_id", name="uq_rev_assignment_report_rater"),
        sa.CheckConstraint("status IN ('assigned', 'draft', 'submitted')",
                           name="ck_rev_assignment_status"),
    )
    for column in ("round_id", "report_id", "rater_id"):
        op.create_index(f"ix_rev_assignment_{column}", "rev_assignment", [column])
    op.create_table(
        "rev_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        _time("at", nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
    )
    op.create_index("ix_rev_audit_entity", "rev_audit", ["entity"])


def _append_only_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER rev_audit_no_{event.lower()}
                BEFORE {event} ON rev_audit
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
            """)
    elif dialect == "postgresql":
        op.execute(f"""
            CREATE FUNCTION rev_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
            END $$
        """)
        op.execute("""
            CREATE TRIGGER rev_audit_append_only
            BEFORE UPDATE OR DELETE ON rev_audit
            FOR EACH ROW EXECUTE FUNCTION rev_audit_refuse_change()
        """)
        # A row trigger does not fire on TRUNCATE; a statement trigger does.
        op.execute("""
            CREATE TRIGGER rev_audit_no_truncate
            BEFORE TRUNCATE ON rev_audit
            FOR EACH STATEMENT EXECUTE FUNCTION rev_audit_refuse_change()
        """)


def upgrade() -> None:
    _create_tables()
    _append_only_triggers(op.get_context().dialect.name)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS rev_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS rev_audit_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rev_audit_no_truncate ON rev_audit")
        op.execute("DROP TRIGGER IF EXISTS rev_audit_append_only ON rev_audit")
        op.execute("DROP FUNCTION IF EXISTS rev_audit_refuse_change()")
    op.drop_index("ix_rev_audit_entity", table_name="rev_audit")
    op.drop_table("rev_audit")
    for column in ("round_id", "report_id", "rater_id"):
        op.drop_index(f"ix_rev_assignment_{column}", table_name="rev_assignment")
    op.drop_table("rev_assignment")
    op.drop_table("rev_panel")
    op.drop_index("ix_rev_report_round_id", table_name="rev_report")
    op.drop_table("rev_report")
    op.drop_table("rev_round")
    op.drop_index("ix_rev_invite_user_id", table_name="rev_invite")
    op.drop_table("rev_invite")
    op.drop_table("rev_user")
