"""Migrations of the ``scoring`` tables (Alembic branch ``scoring``)."""
