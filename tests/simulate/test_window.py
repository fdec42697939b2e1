"""The simulated window's dates: fixed for reproducible runs, or ending just before now."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from twin.simulate.generate import DEFAULT_START as GENERATE_DEFAULT_START
from twin.simulate.traits import TIMEZONES
from twin.simulate.window import (
    DEFAULT_START,
    LAST_DAY_SPILL_HOURS,
    start_ending_by,
    window_end,
)

SPILL = timedelta(hours=LAST_DAY_SPILL_HOURS)


def _rows_end(end: date, zone: str) -> datetime:
    """When the last rows of a window ending at ``end`` are written in ``zone`` (UTC)."""
    return (datetime.combine(end, time(), tzinfo=ZoneInfo(zone)) + SPILL).astimezone(UTC)


def test_golden_window_of_the_demo() -> None:
    # 2026-12-07 06:35 UTC is 22:35 the day before in Los Angeles (UTC−8): its last day
    # may spill to 06:00 on 12-07 local, after now, so 12-06 is the last day anywhere
    # (window end 12-06, 8 weeks = 56 days earlier: 10-11).
    now = datetime(2026, 12, 7, 6, 35, tzinfo=UTC)
    start = start_ending_by(now, 8)
    assert start == date(2026, 10, 11)
    assert window_end(start, 8) == date(2026, 12, 6)
    # naive = UTC, the storage convention
    assert start_ending_by(now.replace(tzinfo=None), 8) == start


def test_the_fixed_start_is_one_constant() -> None:
    assert GENERATE_DEFAULT_START is DEFAULT_START and DEFAULT_START.weekday() == 0


@settings(max_examples=200, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    weeks=st.integers(1, 104),
)
def test_the_window_ends_before_now_everywhere_and_as_late_as_it_can(
    now: datetime, weeks: int
) -> None:
    aware = now.replace(tzinfo=UTC)
    start = start_ending_by(aware, weeks)
    end = window_end(start, weeks)
    assert end - start == timedelta(weeks=weeks)
    # no row in the future in any learner's zone
    assert all(_rows_end(end, z) <= aware for z in TIMEZONES)
    # one day later would put some zone's rows after now
    assert any(_rows_end(end + timedelta(days=1), z) > aware for z in TIMEZONES)
    # and the window ends within two days of now
    assert aware - _rows_end(end, "UTC") < timedelta(days=2)
