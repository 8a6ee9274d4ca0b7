"""Revisions of the ``scoring`` branch, applied by :func:`indicators.database.upgrade`."""
