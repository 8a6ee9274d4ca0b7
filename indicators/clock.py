"""The bureau's clock: times are stored in UTC and read by people in China Standard Time.

Every page that shows when something happened (a decision, a run, an import, a saved draft)
formats it here, so a finance officer and an expert see the same hour for the same moment; a
deadline day is a calendar day in Beijing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

__all__ = ["BUREAU_TIME", "bureau_today", "format_time"]

BUREAU_TIME = timezone(timedelta(hours=8), "UTC+08:00")
"""China Standard Time (no daylight saving), in which people read times and deadlines."""


def format_time(value: datetime | None) -> str:
    """A stored time as people read it: China Standard Time, to the minute.

    Parameters
    ----------
    value
        An aware datetime (a naive one, as SQLite returns, is taken as UTC), or None.

    Returns
    -------
    str
        ``YYYY-MM-DD HH:MM``, or ``—`` for None.

    Notes
    -----
    The store keeps UTC; people read local time.

    Examples
    --------
    >>> format_time(datetime(2021, 6, 30, 1, 5, tzinfo=UTC))
    '2021-06-30 09:05'
    >>> format_time(datetime(2021, 6, 30, 20, 0)), format_time(None)
    ('2021-07-01 04:00', '—')
    """
    if value is None:
        return "—"
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(BUREAU_TIME).strftime("%Y-%m-%d %H:%M")


def bureau_today(now: datetime | None = None) -> date:
    """Today's date in China Standard Time, the calendar deadlines are set in.

    Parameters
    ----------
    now
        An aware time; default the clock.

    Returns
    -------
    date

    Notes
    -----
    A deadline day ends at midnight in Beijing, 16:00 UTC.

    Examples
    --------
    >>> bureau_today(datetime(2021, 6, 30, 17, 0, tzinfo=UTC)).isoformat()
    '2021-07-01'
    """
    return (now or datetime.now(UTC)).astimezone(BUREAU_TIME).date()
