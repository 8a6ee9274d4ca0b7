"""Alembic environment shared by every jixiao package (see :mod:`indicators.database`)."""
