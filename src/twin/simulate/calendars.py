"""Simulated calendars and learners who follow their accepted slots (ENGINE.md 5.3's simulator).

A simulated learner's week has **classes** (weekly lecture blocks on weekdays), a **job**
(shifts on some days), **recurring commitments** (sport twice a week; a weekly seminar
with one instance cancelled by EXDATE and one moved by RECURRENCE-ID; an online call
defined in another time zone, so its local time moves when only one of the zones
changes to or from DST), a **tentative** meeting, a **transparent** reminder and an
all-day **trip** over two days. :func:`calendar_ics` writes them as a real iCalendar
file (TZID with a VTIMEZONE, RRULE, EXDATE, RECURRENCE-ID, STATUS, TRANSP); the truth
the engine's parser must recover is :func:`busy_truth`, computed from the same events
by date arithmetic alone.

**The peak hour** (the chronotype's, hidden) is placed by the scenario:

- ``peak_free``: no event touches ``[peak − 1 h, peak + 2.5 h)`` on any day, so a
  session at the peak fits;
- ``peak_blocked``: from ``block_from_day`` on, a weekday shift covers
  ``[peak − 1 h, peak + 2 h)`` and no other event comes within 4 hours of the peak on
  weekdays — the free time next to the shift is where the next-best slot should be.

**Following** (:func:`day_hours`): the generator's ``day_hours`` hook moves a day's drawn
session start hours out of busy time (nobody studies during a lecture), and on a day
with an accepted slot a *follower* starts the session nearest to the slot at the slot's
time, with probability ``follow_probability`` (drawn from a stream of its own, so the
generator's draws are untouched).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import numpy as np

from twin.simulate.generate import DayHours

SCENARIOS = ("peak_free", "peak_blocked")
MINUTES_PER_DAY = 24 * 60
DAY_START_MINUTE = 6 * 60
LATEST_START_MINUTE = 22 * 60
WEEKDAYS = (0, 1, 2, 3, 4)
PEAK_FREE_BEFORE_MINUTES = 60
PEAK_FREE_AFTER_MINUTES = 150
BLOCK_BEFORE_MINUTES = 60
BLOCK_AFTER_MINUTES = 120
BLOCKED_CLEAR_MINUTES = 240
OTHER_ZONE = "America/New_York"
MOVE_MARGIN_MINUTES = 5
FOLLOW_STREAM = 7_301
DEFAULT_FOLLOW_PROBABILITY = 0.85
PLACEMENT_TRIES = 30


@dataclass(frozen=True)
class WeeklyEvent:
    """A weekly event: local ``start_minute`` for ``minutes`` on ``weekdays`` in ``zone``."""

    name: str
    weekdays: tuple[int, ...]
    start_minute: int
    minutes: int
    zone: str
    first_day: int = 0
    status: str = "CONFIRMED"
    transparent: bool = False
    cancelled_days: tuple[int, ...] = ()
    moved: tuple[tuple[int, int], ...] = ()
    """(day index, new start minute) of instances moved by RECURRENCE-ID."""


@dataclass(frozen=True)
class SimCalendar:
    """One learner's simulated calendar over ``days`` days from local ``start``."""

    user_id: str
    timezone: str
    start: date
    days: int
    events: tuple[WeeklyEvent, ...]
    trip_day: int | None
    peak_hour: int | None
    scenario: str
    block_from_day: int = 0
    block: WeeklyEvent | None = field(default=None)


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def _protected(peak: int | None, scenario: str, weekday: int) -> tuple[int, int] | None:
    """The local minutes no ordinary event may touch on ``weekday``."""
    if peak is None:
        return None
    if scenario == "peak_blocked" and weekday in WEEKDAYS:
        return peak * 60 - BLOCKED_CLEAR_MINUTES, peak * 60 + BLOCKED_CLEAR_MINUTES + 30
    return peak * 60 - PEAK_FREE_BEFORE_MINUTES, peak * 60 + PEAK_FREE_AFTER_MINUTES


def sample_calendar(
    user_id: str,
    timezone: str,
    peak_hour: int | None,
    rng: np.random.Generator,
    start: date,
    days: int,
    *,
    scenario: str = "peak_free",
    block_from_day: int = 0,
) -> SimCalendar:
    """Classes, a job, commitments with exceptions, a trip — clear of the scenario's peak window."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {SCENARIOS}, got {scenario!r}")
    zone = timezone
    candidates: list[WeeklyEvent] = []
    n_classes = int(rng.integers(2, 5))
    for i in range(n_classes):
        candidates.append(
            WeeklyEvent(
                f"Lecture {i + 1}",
                tuple(sorted(rng.choice(5, size=int(rng.integers(1, 3)), replace=False).tolist())),
                int(rng.integers(16, 33)) * 30,
                int(rng.choice([90, 120])),
                zone,
            )
        )
    shift_days = tuple(sorted(rng.choice(7, size=int(rng.integers(2, 4)), replace=False).tolist()))
    candidates.append(
        WeeklyEvent("Job shift", shift_days, int(rng.integers(14, 36)) * 30, 240, zone)
    )
    candidates.append(
        WeeklyEvent(
            "Sport",
            tuple(sorted(rng.choice(7, size=2, replace=False).tolist())),
            int(rng.integers(12, 42)) * 30,
            60,
            zone,
        )
    )
    seminar_day = int(rng.integers(0, 5))
    first_seminar = next(
        d for d in range(7) if (start + timedelta(days=d)).weekday() == seminar_day
    )
    candidates.append(
        WeeklyEvent(
            "Seminar",
            (seminar_day,),
            int(rng.integers(18, 36)) * 30,
            90,
            zone,
            cancelled_days=(first_seminar + 7,) if days > first_seminar + 7 else (),
            moved=((first_seminar + 14, 20 * 60),) if days > first_seminar + 14 else (),
        )
    )
    candidates.append(
        WeeklyEvent(
            "Online call",
            (int(rng.integers(0, 5)),),
            int(rng.integers(16, 40)) * 30,
            60,
            OTHER_ZONE,
        )
    )
    candidates.append(
        WeeklyEvent(
            "Maybe: study group",
            (int(rng.integers(0, 7)),),
            int(rng.integers(16, 40)) * 30,
            60,
            zone,
            status="TENTATIVE",
        )
    )
    candidates.append(WeeklyEvent("Reminder", tuple(range(7)), 12 * 60, 30, zone, transparent=True))
    cal = SimCalendar(user_id, timezone, start, days, (), None, peak_hour, scenario, block_from_day)
    kept = []
    for candidate in candidates:
        event = candidate
        # Another start time (drawn) until the event keeps clear of the peak window.
        for _ in range(PLACEMENT_TRIES):
            if event.transparent or not _touches_protected(cal, event):
                kept.append(event)
                break
            latest = (LATEST_START_MINUTE - event.minutes) // 30
            event = replace(event, start_minute=int(rng.integers(12, max(13, latest))) * 30)
    trip = int(rng.integers(3, max(4, days - 3))) if days > 7 else None
    if trip is not None and peak_hour is not None:
        trip = None if scenario == "peak_blocked" else trip
    block = None
    if scenario == "peak_blocked" and peak_hour is not None:
        block = WeeklyEvent(
            "New job (weekdays)",
            WEEKDAYS,
            peak_hour * 60 - BLOCK_BEFORE_MINUTES,
            BLOCK_BEFORE_MINUTES + BLOCK_AFTER_MINUTES,
            zone,
            first_day=block_from_day,
        )
    return SimCalendar(
        user_id,
        timezone,
        start,
        days,
        tuple(kept),
        trip,
        peak_hour,
        scenario,
        block_from_day,
        block,
    )


def _instances(cal: SimCalendar, event: WeeklyEvent) -> list[tuple[int, datetime, datetime]]:
    """(day index in the learner's calendar, start, end) of every instance, aware UTC."""
    out = []
    learner = ZoneInfo(cal.timezone)
    ev_zone = ZoneInfo(event.zone)
    moved = dict(event.moved)
    for day in range(event.first_day, cal.days):
        local_day = cal.start + timedelta(days=day)
        if local_day.weekday() not in event.weekdays or day in event.cancelled_days:
            continue
        minute = moved.get(day, event.start_minute)
        begin = datetime.combine(local_day, time(minute // 60, minute % 60), tzinfo=ev_zone)
        end = begin.astimezone(UTC) + timedelta(minutes=event.minutes)
        lday = (begin.astimezone(learner).date() - cal.start).days
        out.append((lday, begin.astimezone(UTC), end))
    return out


def _local_minutes(cal: SimCalendar, moment: datetime, day: int) -> int:
    local = moment.astimezone(ZoneInfo(cal.timezone))
    return (local.date() - (cal.start + timedelta(days=day))).days * MINUTES_PER_DAY + (
        local.hour * 60 + local.minute
    )


def _touches_protected(cal: SimCalendar, event: WeeklyEvent) -> bool:
    for day, begin, end in _instances(cal, event):
        weekday = (cal.start + timedelta(days=day)).weekday()
        window = _protected(cal.peak_hour, cal.scenario, weekday)
        if window is None:
            continue
        lo, hi = _local_minutes(cal, begin, day), _local_minutes(cal, end, day)
        if _overlaps(lo, hi, *window):
            return True
    return False


def busy_truth(cal: SimCalendar) -> list[tuple[datetime, datetime, float]]:
    """Every busy interval of the calendar (UTC), by date arithmetic: what parsing must recover."""
    out: list[tuple[datetime, datetime, float]] = []
    events = [*cal.events, *([cal.block] if cal.block is not None else [])]
    for event in events:
        if event.transparent:
            continue
        weight = 0.5 if event.status == "TENTATIVE" else 1.0
        out += [(b, e, weight) for _d, b, e in _instances(cal, event)]
    if cal.trip_day is not None:
        zone = ZoneInfo(cal.timezone)
        first = cal.start + timedelta(days=cal.trip_day)
        begin = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(first + timedelta(days=2), time(0), tzinfo=zone).astimezone(UTC)
        out.append((begin, end, 1.0))
    return sorted(out)


def calendar_ics(cal: SimCalendar) -> bytes:
    """The calendar as an iCalendar file with the recurrences, exceptions, statuses of the truth."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//Behavioral Twin Engine//simulated calendar//EN")
    calendar.add("VERSION", "2.0")
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    events = [*cal.events, *([cal.block] if cal.block is not None else [])]
    for n, event in enumerate(events):
        instances = _instances(cal, event)
        if not instances:
            continue
        zone = ZoneInfo(event.zone)
        first_day = event.first_day
        while (cal.start + timedelta(days=first_day)).weekday() not in event.weekdays:
            first_day += 1
        dt0 = datetime.combine(
            cal.start + timedelta(days=first_day),
            time(event.start_minute // 60, event.start_minute % 60),
            tzinfo=zone,
        )
        uid = f"{cal.user_id}-{n}@simulated"
        master = icalendar.Event()
        master.add("UID", uid)
        master.add("DTSTAMP", stamp)
        master.add("SUMMARY", event.name)
        master.add("DTSTART", dt0)
        master.add("DTEND", dt0 + timedelta(minutes=event.minutes))
        byday = [("MO", "TU", "WE", "TH", "FR", "SA", "SU")[d] for d in event.weekdays]
        until = datetime.combine(cal.start + timedelta(days=cal.days), time(0), tzinfo=zone)
        master.add("RRULE", {"FREQ": "WEEKLY", "BYDAY": byday, "UNTIL": until.astimezone(UTC)})
        if event.status != "CONFIRMED":
            master.add("STATUS", event.status)
        if event.transparent:
            master.add("TRANSP", "TRANSPARENT")
        for day in event.cancelled_days:
            master.add("EXDATE", _occurrence(cal, event, day))
        calendar.add_component(master)
        for day, minute in event.moved:
            override = icalendar.Event()
            original = _occurrence(cal, event, day)
            new_start = datetime.combine(
                original.date(), time(minute // 60, minute % 60), tzinfo=zone
            )
            override.add("UID", uid)
            override.add("DTSTAMP", stamp)
            override.add("RECURRENCE-ID", original)
            override.add("DTSTART", new_start)
            override.add("DTEND", new_start + timedelta(minutes=event.minutes))
            override.add("SUMMARY", event.name + " (moved)")
            calendar.add_component(override)
    if cal.trip_day is not None:
        trip = icalendar.Event()
        first = cal.start + timedelta(days=cal.trip_day)
        trip.add("UID", f"{cal.user_id}-trip@simulated")
        trip.add("DTSTAMP", stamp)
        trip.add("SUMMARY", "Trip")
        trip.add("DTSTART", first)
        trip.add("DTEND", first + timedelta(days=2))
        calendar.add_component(trip)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _occurrence(cal: SimCalendar, event: WeeklyEvent, day: int) -> datetime:
    local_day = cal.start + timedelta(days=day)
    return datetime.combine(
        local_day,
        time(event.start_minute // 60, event.start_minute % 60),
        tzinfo=ZoneInfo(event.zone),
    )


# --- following ----------------------------------------------------------------------------


def _busy_minutes_by_day(cal: SimCalendar) -> dict[int, list[tuple[int, int]]]:
    """Local busy minutes (start, end) of each day (weight ≥ 1 only)."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    zone = ZoneInfo(cal.timezone)
    for begin, end, weight in busy_truth(cal):
        if weight < 1.0:
            continue
        lb, le = begin.astimezone(zone), end.astimezone(zone)
        day = (lb.date() - cal.start).days
        while day <= (le.date() - cal.start).days:
            day_start = datetime.combine(cal.start + timedelta(days=day), time(0), tzinfo=zone)
            lo = max(0, int((lb - day_start).total_seconds() // 60))
            hi = min(MINUTES_PER_DAY, math.ceil((le - day_start).total_seconds() / 60))
            if hi > lo:
                by_day.setdefault(day, []).append((lo, hi))
            day += 1
    return by_day


def _free_hour(hour: float, busy: list[tuple[int, int]]) -> float:
    """``hour`` moved out of the day's busy minutes: after the block, or before it if it is late."""
    minute = hour * 60
    for _ in range(8):
        hit = next(((lo, hi) for lo, hi in busy if lo <= minute < hi), None)
        if hit is None:
            return minute / 60
        lo, hi = hit
        if hi + MOVE_MARGIN_MINUTES <= LATEST_START_MINUTE:
            minute = hi + MOVE_MARGIN_MINUTES
        elif lo - 60 >= DAY_START_MINUTE:
            minute = lo - 60
        else:
            return minute / 60
    return minute / 60


def day_hours(
    cal: SimCalendar,
    *,
    follow: Mapping[int, float] | None = None,
    follow_probability: float = DEFAULT_FOLLOW_PROBABILITY,
    seed: int = 0,
) -> DayHours:
    """The generator hook: sessions leave busy time; followers start one at the accepted slot.

    ``follow`` maps a day index (from the generator's start, which must be the calendar's)
    to the local start hour of the slot accepted for that day.
    """
    busy = _busy_minutes_by_day(cal)
    follow = dict(follow or {})
    draws = np.random.default_rng([seed, FOLLOW_STREAM])
    chance = draws.random(cal.days + 1)

    def hook(day: int, hours: list[float]) -> list[float]:
        moved = [_free_hour(h, busy.get(day, [])) for h in hours]
        slot = follow.get(day)
        if slot is not None and moved and day < len(chance) and chance[day] < follow_probability:
            nearest = min(range(len(moved)), key=lambda i: abs(moved[i] - slot))
            moved[nearest] = slot
        return moved

    return hook
