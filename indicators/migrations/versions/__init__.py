"""Migrations of the ``indicators`` tables (Alembic branch ``indicators``)."""
