"""Load trend and aggregation by hour, day and week in the learner's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from twin.analysis.cognitive.trend import (
    Granularity,
    TrendDirection,
    aggregate_load,
    load_trend,
    recent_mean_load,
)


@pytest.mark.parametrize(
    ("current", "previous", "direction"),
    [
        (50.0, None, TrendDirection.NEW),
        (55.0, 50.0, TrendDirection.INCREASING),
        (54.9, 50.0, TrendDirection.STABLE),
        (45.1, 50.0, TrendDirection.STABLE),
        (45.0, 50.0, TrendDirection.DECREASING),
    ],
)
def test_trend_edges(current: float, previous: float | None, direction: TrendDirection) -> None:
    """A change of 5 points or more is a direction; less is STABLE."""
    trend = load_trend(current, previous)
    assert trend.direction is direction
    assert trend.delta == (None if previous is None else pytest.approx(current - previous))


def test_hour_day_week_in_utc() -> None:
    """Naive timestamps are UTC; buckets are oldest first with mean, max and count."""
    ts = [datetime(2025, 1, 6, 9, 10), datetime(2025, 1, 6, 9, 50), datetime(2025, 1, 7, 9, 0)]
    loads = [20.0, 40.0, 60.0]
    hours = aggregate_load(ts, loads, "hour")
    assert [(b.start, b.mean_load, b.max_load, b.count) for b in hours] == [
        (datetime(2025, 1, 6, 9, tzinfo=UTC), 30.0, 40.0, 2),
        (datetime(2025, 1, 7, 9, tzinfo=UTC), 60.0, 60.0, 1),
    ]
    days = aggregate_load(ts, loads, Granularity.DAY)
    assert [b.count for b in days] == [2, 1]
    weeks = aggregate_load(ts, loads, Granularity.WEEK)  # 6 Jan 2025 is a Monday
    assert [(b.start, b.mean_load, b.count) for b in weeks] == [
        (datetime(2025, 1, 6, tzinfo=UTC), 40.0, 3)
    ]


def test_days_follow_the_learners_zone() -> None:
    """23:30 UTC on 1 Jan is 1 Jan in New York but 2 Jan in Tokyo."""
    ts = [datetime(2025, 1, 1, 23, 30, tzinfo=UTC)]
    (ny,) = aggregate_load(ts, [50.0], "day", "America/New_York")
    (tokyo,) = aggregate_load(ts, [50.0], "day", "Asia/Tokyo")
    assert ny.start == datetime(2025, 1, 1, tzinfo=ZoneInfo("America/New_York"))
    assert tokyo.start == datetime(2025, 1, 2, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_weeks_start_on_local_monday() -> None:
    """Sunday 5 Jan 20:00 in Los Angeles is Monday 04:00 UTC: the local week is the one before."""
    ts = [datetime(2025, 1, 6, 4, 0, tzinfo=UTC)]
    (utc_week,) = aggregate_load(ts, [10.0], "week")
    (la_week,) = aggregate_load(ts, [10.0], "week", "America/Los_Angeles")
    assert utc_week.start == datetime(2025, 1, 6, tzinfo=UTC)
    assert la_week.start.date() == datetime(2024, 12, 30).date()


def test_daylight_saving_fall_back_keeps_both_hours() -> None:
    """New York, 2 Nov 2025: 01:30 EDT and 01:30 EST are two hour buckets, one day bucket."""
    ts = [datetime(2025, 11, 2, 5, 30, tzinfo=UTC), datetime(2025, 11, 2, 6, 30, tzinfo=UTC)]
    hours = aggregate_load(ts, [10.0, 30.0], "hour", "America/New_York")
    assert len(hours) == 2
    assert [b.start.utcoffset() for b in hours] == [timedelta(hours=-4), timedelta(hours=-5)]
    (day,) = aggregate_load(ts, [10.0, 30.0], "day", "America/New_York")
    assert (day.count, day.mean_load) == (2, 20.0)


def test_numpy_datetimes_equal_python_datetimes() -> None:
    """datetime64 arrays (UTC) bucket like naive datetimes."""
    ts = [datetime(2025, 1, 6, 9, 10) + timedelta(hours=7 * i) for i in range(10)]
    loads = np.linspace(0, 90, 10)
    from_numpy = aggregate_load(np.array(ts, dtype="datetime64[us]"), loads, "day", "Europe/Berlin")
    from_python = aggregate_load(ts, list(loads), "day", "Europe/Berlin")
    assert from_numpy == from_python


def test_bad_input() -> None:
    """Mismatched lengths and unknown granularities are errors."""
    with pytest.raises(ValueError, match="timestamps but"):
        aggregate_load([datetime(2025, 1, 1)], [1.0, 2.0], "day")
    with pytest.raises(ValueError):
        aggregate_load([], [], "month")
    assert aggregate_load([], [], "day") == ()


def test_recent_mean_load_window() -> None:
    """Mean of the readings in the 7 days up to now: exactly 7 days old is out."""
    now = datetime(2025, 1, 8, 12, 0)
    ts = [
        now - timedelta(days=7),
        now - timedelta(days=6, hours=23),
        now,
        now + timedelta(seconds=1),
    ]
    assert recent_mean_load(ts, [100.0, 20.0, 40.0, 100.0], now) == pytest.approx(30.0)
    assert recent_mean_load([], [], now) is None
