"""Vocabulary shared by every analysis: insufficient data, bounds, rounding, timestamps."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

ROUNDING_DIGITS = 4
"""Digits kept by :func:`rounded` (evidence numbers and JSON answers)."""


@dataclass(frozen=True)
class InsufficientData:
    """A minimum that is not met yet, and how far along the learner (or the model) is."""

    requirement: str
    have: int
    need: int

    def to_json(self) -> dict[str, dict[str, int]]:
        """``{"sessions": {"have": 12, "need": 30}}``."""
        return {self.requirement: {"have": self.have, "need": self.need}}


def clip01(x: float) -> float:
    """``x`` clipped to [0, 1]; NaN raises (a NaN here is a bug upstream, not a value)."""
    if math.isnan(x):
        raise ValueError("NaN is not a valid value in [0, 1]")
    return min(1.0, max(0.0, x))


def rounded(x: float, digits: int = ROUNDING_DIGITS) -> float:
    """``x`` rounded for storage and display (evidence numbers, JSON)."""
    return round(float(x), digits)


# --- timestamps ---------------------------------------------------------------------------
# The storage convention of every timestamp is naive UTC (``TIMESTAMP(3)``); analyses and
# services accept aware or naive (= UTC) values and convert with these, never by hand.

MICROSECONDS_PER_MS = 1000


def aware_utc(ts: datetime) -> datetime:
    """``ts`` as an aware UTC datetime (naive values are read as UTC, the storage convention)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def naive_utc(ts: datetime) -> datetime:
    """``ts`` in the storage form: naive UTC (aware values are converted, naive kept)."""
    return ts if ts.tzinfo is None else ts.astimezone(UTC).replace(tzinfo=None)


def iso_utc(ts: datetime) -> str:
    """``ts`` as RFC 3339 UTC at millisecond precision with a Z (naive values are UTC)."""
    return aware_utc(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def storage_time(ts: datetime) -> datetime:
    """``ts`` as stored: naive UTC truncated to milliseconds (``TIMESTAMP(3)``)."""
    u = naive_utc(ts)
    return u.replace(microsecond=u.microsecond - u.microsecond % MICROSECONDS_PER_MS)


def local_date(ts: datetime, zone: tzinfo) -> date:
    """The local calendar date of an instant (naive = UTC) in ``zone``."""
    return aware_utc(ts).astimezone(zone).date()


def local_midnight_utc(day: date, zone: tzinfo) -> datetime:
    """The naive-UTC instant at which local ``day`` starts in ``zone``."""
    return naive_utc(datetime(day.year, day.month, day.day, tzinfo=zone))
