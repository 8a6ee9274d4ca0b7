"""Refuse, inside the database, any change to a published or retired library version.

Revision ID: ind_0002
Revises: ind_0001
Create Date: 2026-11-27

The store already checks a version's status in the same transaction as every write; these
triggers make the rule hold for any other writer too (a script, a console session). Once a
version leaves draft, its row may change in one way only, published → retired, and its
indicators not at all. Its changelog becomes append-only: retiring a version adds a line saying
who retired it and why, and no line is ever changed or removed. The message starts with ``ind_frozen_version`` so
the store can translate the database error into ``ImmutableVersionError``.

A later migration that rebuilds ``ind_library_version``, ``ind_indicator`` or ``ind_changelog``
in SQLite batch mode drops these triggers with the old table and must create them again.
"""

from __future__ import annotations

from alembic import op

revision = "ind_0002"
down_revision = "ind_0001"
branch_labels = None
depends_on = None

MESSAGE = ("ind_frozen_version: 已发布或已停用的指标库版本不可修改 / "
           "a published or retired library version cannot be changed")

# Every column of ind_library_version that retiring must leave as it was.
FROZEN_COLUMNS = ("id", "framework_id", "version", "title", "kind", "region", "effective_year",
                  "source_documents", "based_on", "published_by", "published_at", "description",
                  "created_at")
# Which writes each content table refuses under a frozen version.
CONTENT_TABLES = {"ind_indicator": ("insert", "update", "delete"),
                  "ind_changelog": ("update", "delete")}


def _not_draft(row: str) -> str:
    return f"(SELECT status FROM ind_library_version WHERE id = {row}.library_version_id) <> 'draft'"


def _sqlite_upgrade() -> None:
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FROZEN_COLUMNS)
    op.execute(f"""
        CREATE TRIGGER ind_library_version_frozen_update
        BEFORE UPDATE ON ind_library_version
        WHEN OLD.status <> 'draft'
         AND NOT (OLD.status = 'published' AND NEW.status = 'retired' AND {unchanged})
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """)
    op.execute(f"""
        CREATE TRIGGER ind_library_version_frozen_delete
        BEFORE DELETE ON ind_library_version
        WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """)
    conditions = {
        "insert": _not_draft("NEW"),
        "update": f"{_not_draft('OLD')} OR {_not_draft('NEW')}",
        "delete": _not_draft("OLD"),
    }
    for table, events in CONTENT_TABLES.items():
        for event in events:
            op.execute(f"""
                CREATE TRIGGER {table}_frozen_{event}
                BEFORE {event.upper()} ON {table}
                WHEN {conditions[event]}
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
            """)


def _postgresql_upgrade() -> None:
    op.execute(f"""
        CREATE FUNCTION ind_guard_library_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.status = 'draft' THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END IF;
            IF TG_OP = 'UPDATE' AND OLD.status = 'published' AND NEW.status = 'retired'
               AND to_jsonb(NEW) - ARRAY['status', 'updated_at', 'row_version']
                   = to_jsonb(OLD) - ARRAY['status', 'updated_at', 'row_version'] THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER ind_library_version_frozen
        BEFORE UPDATE OR DELETE ON ind_library_version
        FOR EACH ROW EXECUTE FUNCTION ind_guard_library_version()
    """)
    op.execute(f"""
        CREATE FUNCTION ind_guard_library_content() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
                SELECT 1 FROM ind_library_version
                WHERE id = OLD.library_version_id AND status <> 'draft') THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
                SELECT 1 FROM ind_library_version
                WHERE id = NEW.library_version_id AND status <> 'draft') THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$
    """)
    for table, events in CONTENT_TABLES.items():
        op.execute(f"""
            CREATE TRIGGER {table}_frozen
            BEFORE {" OR ".join(event.upper() for event in events)} ON {table}
            FOR EACH ROW EXECUTE FUNCTION ind_guard_library_content()
        """)


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for table, events in CONTENT_TABLES.items():
            for event in events:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen_{event}")
        op.execute("DROP TRIGGER IF EXISTS ind_library_version_frozen_delete")
        op.execute("DROP TRIGGER IF EXISTS ind_library_version_frozen_update")
    elif dialect == "postgresql":
        for table in CONTENT_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        op.execute("DROP TRIGGER IF EXISTS ind_library_version_frozen ON ind_library_version")
        op.execute("DROP FUNCTION IF EXISTS ind_guard_library_content()")
        op.execute("DROP FUNCTION IF EXISTS ind_guard_library_version()")
