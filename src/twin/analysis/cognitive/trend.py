"""Load trend between two readings, and load history aggregated by hour, day or week.

Timestamps are aware datetimes, naive UTC datetimes (the storage convention) or
numpy ``datetime64`` values (UTC). Buckets are cut in the learner's IANA time
zone when one is given (local midnight, local Monday), otherwise in UTC; a
bucket is keyed by the instant it starts, so the two 01:00 hours of a
daylight-saving fall-back stay separate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np

from twin.analysis.common import aware_utc

# Changes smaller than this many load points count as STABLE.
LOAD_TREND_STABLE_BAND_POINTS = 5.0
RECENT_MEAN_DAYS = 7


class TrendDirection(StrEnum):
    """Direction of the load between two readings."""

    INCREASING = "INCREASING"
    DECREASING = "DECREASING"
    STABLE = "STABLE"
    NEW = "NEW"


class Granularity(StrEnum):
    """Bucket size of an aggregated load history."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class LoadTrend:
    """The current reading against the previous one."""

    current: float
    previous: float | None
    delta: float | None
    direction: TrendDirection

    @property
    def explanation(self) -> str:
        """The trend in words (a first reading has nothing to compare with)."""
        if self.previous is None or self.delta is None:
            return "first reading: there is no earlier reading to compare with"
        if self.direction is TrendDirection.STABLE:
            return (
                f"within {LOAD_TREND_STABLE_BAND_POINTS:g} points of the previous reading "
                f"({self.delta:+.1f})"
            )
        way = "up" if self.delta > 0 else "down"
        return f"{way} {abs(self.delta):.1f} points since the previous reading"


@dataclass(frozen=True)
class LoadBucket:
    """Readings in one hour/day/week; ``start`` is aware, in the bucketing time zone."""

    start: datetime
    mean_load: float
    max_load: float
    count: int

    @property
    def local_start(self) -> str:
        """When the bucket starts on the local clock: ISO 8601 without an offset."""
        return self.start.replace(tzinfo=None).isoformat()


def load_trend(current: float, previous: float | None) -> LoadTrend:
    """Delta and direction of ``current`` against ``previous`` (a move under 5 points is STABLE)."""
    if previous is None:
        return LoadTrend(current, None, None, TrendDirection.NEW)
    delta = current - previous
    if delta >= LOAD_TREND_STABLE_BAND_POINTS:
        direction = TrendDirection.INCREASING
    elif delta <= -LOAD_TREND_STABLE_BAND_POINTS:
        direction = TrendDirection.DECREASING
    else:
        direction = TrendDirection.STABLE
    return LoadTrend(current, previous, delta, direction)


def _as_utc(timestamps: Sequence[datetime] | np.ndarray) -> list[datetime]:
    """Aware UTC datetimes from datetimes (naive = UTC) or ``datetime64`` values."""
    if isinstance(timestamps, np.ndarray) and np.issubdtype(timestamps.dtype, np.datetime64):
        values: list[datetime] = timestamps.astype("datetime64[us]").tolist()
    else:
        values = list(timestamps)
    return [aware_utc(t) for t in values]


def _bucket_start(ts: datetime, zone: tzinfo, granularity: Granularity) -> datetime:
    """UTC instant at which ``ts``'s local hour/day/week starts."""
    local = ts.astimezone(zone)
    if granularity is Granularity.HOUR:
        start = local.replace(minute=0, second=0, microsecond=0)
    else:
        day = local.date()
        if granularity is Granularity.WEEK:
            day -= timedelta(days=day.weekday())
        # Local midnight of that day, resolved in the zone (fold=0 is the first occurrence).
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return start.astimezone(UTC)


def aggregate_load(
    timestamps: Sequence[datetime] | np.ndarray,
    loads: Sequence[float] | np.ndarray,
    granularity: Granularity | str,
    tz: str | None = None,
) -> tuple[LoadBucket, ...]:
    """Mean, max and count of loads per hour, day or week (local to ``tz``), oldest first."""
    level = Granularity(granularity)
    zone: tzinfo = ZoneInfo(tz) if tz else UTC
    instants = _as_utc(timestamps)
    values = [float(x) for x in loads]
    if len(instants) != len(values):
        raise ValueError(f"{len(instants)} timestamps but {len(values)} loads")
    groups: dict[datetime, list[float]] = {}
    for ts, load in zip(instants, values, strict=True):
        if math.isfinite(load):
            groups.setdefault(_bucket_start(ts, zone, level), []).append(load)
    return tuple(
        LoadBucket(
            start=key.astimezone(zone),
            mean_load=math.fsum(group) / len(group),
            max_load=max(group),
            count=len(group),
        )
        for key, group in sorted(groups.items())
    )


def recent_mean_load(
    timestamps: Sequence[datetime] | np.ndarray,
    loads: Sequence[float] | np.ndarray,
    now: datetime,
    days: int = RECENT_MEAN_DAYS,
) -> float | None:
    """Mean load of readings with ``now − days < timestamp ≤ now`` (the profile's 7-day mean)."""
    end = aware_utc(now)
    start = end - timedelta(days=days)
    window = [
        float(load)
        for ts, load in zip(_as_utc(timestamps), loads, strict=True)
        if start < ts <= end and math.isfinite(float(load))
    ]
    return math.fsum(window) / len(window) if window else None
