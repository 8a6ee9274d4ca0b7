"""The bureau's clock: UTC in the store, China Standard Time on the page."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta, timezone

import indicators.clock as module
from indicators.clock import bureau_today, format_time


def test_a_moment_reads_the_same_whatever_zone_it_was_stored_in():
    utc = datetime(2026, 11, 27, 21, 3, tzinfo=UTC)
    # 21:03 UTC is 05:03 the next morning in Beijing; the same moment written in UTC−5.
    other = utc.astimezone(timezone(timedelta(hours=-5)))
    assert format_time(utc) == format_time(other) == "2026-11-28 05:03"
    assert format_time(utc.replace(tzinfo=None)) == "2026-11-28 05:03"


def test_a_deadline_day_ends_at_midnight_in_beijing():
    assert bureau_today(datetime(2021, 6, 30, 15, 59, tzinfo=UTC)).isoformat() == "2021-06-30"
    assert bureau_today(datetime(2021, 6, 30, 16, 0, tzinfo=UTC)).isoformat() == "2021-07-01"


def test_docstring_examples_run():
    assert doctest.testmod(module).failed == 0
