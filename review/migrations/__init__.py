"""Migrations of the ``review`` tables (Alembic branch ``review``)."""
