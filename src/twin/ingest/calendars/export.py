"""Planned study sessions as iCalendar: one VEVENT per session, for the subscribable feed and CalDAV.

Times are written in UTC (``DTSTART:…Z``), which every client reads the same way and
which needs no VTIMEZONE; clients show them in their own zone. The UID is stable per
plan, so a client that subscribed sees a moved session move instead of a copy appear;
``SEQUENCE`` grows with each change and ``DTSTAMP`` is the caller's ``now`` (no clock here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import icalendar

from twin.analysis.orchestration.common import require_aware

PRODID = "-//Behavioral Twin Engine//study sessions//EN"
DEFAULT_CALENDAR_NAME = "Study sessions"


@dataclass(frozen=True)
class SessionEvent:
    """A planned session as a calendar event."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    sequence: int = 0

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_aware("end", self.end)
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if not self.uid or any(c in self.uid for c in "\r\n"):
            raise ValueError("uid must be a non-empty single line")


def session_vevent(event: SessionEvent, *, now: datetime) -> icalendar.Event:
    """The VEVENT of one planned session (opaque, confirmed, UTC times)."""
    require_aware("now", now)
    vevent = icalendar.Event()
    vevent.add("UID", event.uid)
    vevent.add("DTSTAMP", now.astimezone(UTC))
    vevent.add("DTSTART", event.start.astimezone(UTC))
    vevent.add("DTEND", event.end.astimezone(UTC))
    vevent.add("SUMMARY", event.summary)
    if event.description:
        vevent.add("DESCRIPTION", event.description)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("STATUS", "CONFIRMED")
    vevent.add("TRANSP", "OPAQUE")
    return vevent


def sessions_calendar(
    events: Sequence[SessionEvent], *, now: datetime, name: str = DEFAULT_CALENDAR_NAME
) -> bytes:
    """A complete VCALENDAR (bytes, CRLF lines) holding ``events``."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("X-WR-CALNAME", name)
    for event in sorted(events, key=lambda e: (e.start, e.uid)):
        calendar.add_component(session_vevent(event, now=now))
    return bytes(calendar.to_ical())
