"""Revisions of the ``review`` branch, applied by :func:`indicators.database.upgrade`."""
