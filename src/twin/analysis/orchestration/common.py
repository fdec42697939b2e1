"""Shared helpers of the orchestration analyses: local wall time in an IANA zone, rounding, JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The project-wide rounding, re-exported for the orchestration modules that import it here.
from twin.analysis.common import rounded as rounded

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
SECONDS_PER_MINUTE = 60.0
PERCENT_MAX = 100.0
WEEKEND_WEEKDAYS = frozenset({5, 6})


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; a ValueError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def require_aware(name: str, value: datetime) -> None:
    """Raise a ValueError naming ``name`` when ``value`` has no UTC offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def day_type(weekday: int) -> str:
    """``"weekday"`` for Mon–Fri (0-4), ``"weekend"`` for Sat–Sun (5-6) — the day types of 5.1."""
    return "weekend" if weekday in WEEKEND_WEEKDAYS else "weekday"


def local_wall_time(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime | None:
    """The instant at wall-clock ``minute_of_day`` on ``day`` in ``tz``; None when it does not exist.

    A wall time inside a spring-forward gap does not exist (round-tripping it through
    UTC changes it); a wall time repeated at fall-back is taken at its first occurrence
    (fold = 0), so a slot is never offered twice.
    """
    if minute_of_day == MINUTES_PER_DAY:
        day, minute_of_day = day + timedelta(days=1), 0
    wall = datetime.combine(day, time(minute_of_day // MINUTES_PER_HOUR, minute_of_day % 60))
    local = wall.replace(tzinfo=tz, fold=0)
    back = local.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) != wall:
        return None
    return local


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz`` (where midnight is skipped, the first wall time after it)."""
    wall = datetime.combine(day, time(0, 0)).replace(tzinfo=tz, fold=0)
    # Normalising through UTC moves a non-existent midnight forward to the real start of the day.
    return wall.astimezone(UTC).astimezone(tz)


def minute_of_day(moment: datetime) -> int:
    """Wall-clock minutes since local midnight of an aware datetime already in the local zone."""
    return moment.hour * MINUTES_PER_HOUR + moment.minute


def utc(moment: datetime) -> datetime:
    """The same instant in UTC.

    Arithmetic and comparisons run in UTC: between two datetimes of one IANA zone Python
    works on wall time (a ``+ timedelta`` across a DST change is off by the change, and an
    ambiguous wall time compares by wall clock, ignoring ``fold``).
    """
    return moment.astimezone(UTC)


def add_minutes(moment: datetime, minutes: float) -> datetime:
    """``moment`` plus real ``minutes``, expressed in ``moment``'s own zone."""
    return (utc(moment) + timedelta(minutes=minutes)).astimezone(moment.tzinfo)


def minutes_between(start: datetime, end: datetime) -> float:
    """Real (absolute) minutes from ``start`` to ``end``, whatever their zones."""
    return (utc(end) - utc(start)).total_seconds() / SECONDS_PER_MINUTE


def iso(moment: datetime) -> str:
    """ISO 8601 with offset (seconds precision), the JSON form of every instant."""
    return moment.isoformat(timespec="seconds")
