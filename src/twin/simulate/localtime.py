"""Local clock of a learner: UTC epoch milliseconds ↔ local hour and weekday, vectorised.

UTC offsets are tabulated every 15 minutes from ``zoneinfo`` (every DST transition of
the simulator's zones falls on a quarter hour), so converting millions of event
timestamps is one array lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

SLOT_MS = 15 * 60 * 1000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (0 = Monday)
MARGIN_DAYS = 60  # the table covers this much before and after the simulated window


@dataclass(frozen=True)
class LocalClock:
    """UTC offsets of one zone over a date range."""

    timezone: str
    origin_ms: int
    offsets_ms: np.ndarray  # per 15-minute UTC slot from origin_ms

    def offset_ms(self, utc_ms: np.ndarray) -> np.ndarray:
        """UTC offset (ms) in force at each instant."""
        slot = (np.asarray(utc_ms, dtype=np.int64) - self.origin_ms) // SLOT_MS
        return self.offsets_ms[np.clip(slot, 0, len(self.offsets_ms) - 1)]

    def local_ms(self, utc_ms: np.ndarray) -> np.ndarray:
        """Local wall-clock time as epoch milliseconds (naive local)."""
        utc = np.asarray(utc_ms, dtype=np.int64)
        return np.asarray(utc + self.offset_ms(utc), dtype=np.int64)

    def hour_and_weekday(self, utc_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local hour of day (0–23) and weekday (0 = Monday) of each instant."""
        local = self.local_ms(utc_ms)
        hour = (local % DAY_MS) // HOUR_MS
        weekday = (local // DAY_MS + EPOCH_WEEKDAY) % 7
        return hour, weekday

    def to_utc_ms(self, day: date, hours: float) -> int:
        """UTC epoch ms of local ``day`` + ``hours`` (may exceed 24: the next day)."""
        local = datetime(day.year, day.month, day.day) + timedelta(hours=hours)
        aware = local.replace(tzinfo=ZoneInfo(self.timezone))
        delta = aware.astimezone(UTC).replace(tzinfo=None) - datetime(1970, 1, 1)
        return delta // timedelta(milliseconds=1)


@lru_cache(maxsize=128)
def local_clock(timezone: str, start: date, days: int) -> LocalClock:
    """The clock of ``timezone`` around the window ``start`` … ``start + days``."""
    zone = ZoneInfo(timezone)
    first = datetime(start.year, start.month, start.day) - timedelta(days=MARGIN_DAYS)
    origin_ms = (first - datetime(1970, 1, 1)) // timedelta(milliseconds=1)
    n_slots = (days + 2 * MARGIN_DAYS) * DAY_MS // SLOT_MS

    # Offsets change rarely: probe hourly, then refine the quarter hours of an hour that changed.
    def probe(ms: int) -> int:
        offset = datetime.fromtimestamp(ms / 1000, tz=zone).utcoffset()
        assert offset is not None
        return offset // timedelta(milliseconds=1)

    hourly = np.array([probe(origin_ms + h * HOUR_MS) for h in range(n_slots // 4 + 1)])
    offsets = np.repeat(hourly, 4)[:n_slots].astype(np.int64)
    for h in np.flatnonzero(np.diff(hourly)).tolist():
        for q in range(1, 4):
            offsets[h * 4 + q] = probe(origin_ms + (h * 4 + q) * SLOT_MS)
    return LocalClock(timezone=timezone, origin_ms=origin_ms, offsets_ms=offsets)
