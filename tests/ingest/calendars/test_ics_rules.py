"""iCalendar rules on small hand-written calendars: status/transparency weights, errors naming the
line and component, the size cap and the recurrence-work cap, and the planned-session export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from twin.ingest.calendars.errors import CalendarParseError, CalendarTooLarge
from twin.ingest.calendars.export import SessionEvent, sessions_calendar
from twin.ingest.calendars.ics import MAX_RECURRENCE_PERIODS, parse_ics

W0 = datetime(2025, 3, 1, tzinfo=UTC)
W1 = datetime(2025, 4, 1, tzinfo=UTC)


def _cal(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


def _event(uid: str, start: str, end: str, *extra: str) -> str:
    lines = [f"UID:{uid}", f"DTSTART:{start}", f"DTEND:{end}", *extra]
    return "\r\n".join(lines)


def test_status_and_transparency_decide_the_weight() -> None:
    """OPAQUE/default → 1; TENTATIVE → 0.5; Outlook TENTATIVE → 0.5; CANCELLED, TRANSPARENT,
    Outlook FREE → nothing."""
    text = _cal(
        _event("a", "20250303T090000Z", "20250303T100000Z"),
        _event("b", "20250303T110000Z", "20250303T120000Z", "STATUS:TENTATIVE"),
        _event("c", "20250303T130000Z", "20250303T140000Z", "STATUS:CANCELLED"),
        _event("d", "20250303T150000Z", "20250303T160000Z", "TRANSP:TRANSPARENT"),
        _event("e", "20250303T170000Z", "20250303T180000Z", "X-MICROSOFT-CDO-BUSYSTATUS:FREE"),
        _event("f", "20250303T190000Z", "20250303T200000Z", "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE"),
    )
    parsed = parse_ics(text, window_start=W0, window_end=W1, timezone="UTC")
    assert [(iv.start.hour, iv.weight) for iv in parsed.intervals] == [
        (9, 1.0),
        (11, 0.5),
        (19, 0.5),
    ]
    assert parsed.skipped == {"cancelled": 1, "transparent": 1, "free": 1, "zeroLength": 0}


def test_intervals_are_clipped_to_the_window() -> None:
    """An event running across the window's edges is cut at them."""
    text = _cal(_event("a", "20250228T220000Z", "20250301T020000Z"))
    parsed = parse_ics(text, window_start=W0, window_end=W1, timezone="UTC")
    assert [(iv.start, iv.end) for iv in parsed.intervals] == [(W0, W0 + timedelta(hours=2))]


def test_floating_time_in_a_dst_gap_becomes_a_real_instant() -> None:
    """Floating 02:30 on 2025-03-30 does not exist in Berlin; it is read as 03:30 CEST (01:30Z)."""
    text = _cal(_event("a", "20250330T023000", "20250330T040000"))
    parsed = parse_ics(text, window_start=W0, window_end=W1, timezone="Europe/Berlin")
    (iv,) = parsed.intervals
    assert iv.start.astimezone(UTC) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert iv.end.astimezone(UTC) == datetime(2025, 3, 30, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "line", "component", "fragment"),
    [
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nthis is not a property\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n",
            5,
            "VEVENT",
            "not an iCalendar content line",
        ),
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250303T090000Z\r\nEND:VCALENDAR\r\n",
            5,
            "VEVENT",
            "closes BEGIN:VEVENT opened on line 2",
        ),
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250303T090000Z\r\nEND:VEVENT\r\n",
            1,
            "VCALENDAR",
            "never closed",
        ),
        ("BEGIN:VEVENT\r\nEND:VEVENT\r\n", 1, "VEVENT", "expected BEGIN:VCALENDAR"),
        ("", 1, "VCALENDAR", "empty"),
    ],
)
def test_structural_errors_name_line_and_component(
    text: str, line: int, component: str, fragment: str
) -> None:
    """Broken lines and nesting are refused with the physical line number and the component."""
    with pytest.raises(CalendarParseError) as caught:
        parse_ics(text, window_start=W0, window_end=W1, timezone="UTC")
    assert caught.value.line == line
    assert caught.value.component == component
    assert fragment in caught.value.message
    assert caught.value.http_status == 422


def test_bad_timing_property_names_the_event_and_its_line() -> None:
    """A DTSTART icalendar cannot read, in the second VEVENT (its BEGIN is line 9)."""
    text = _cal(
        _event("good", "20250303T090000Z", "20250303T100000Z"),
        _event("broken-one", "2025XX03T090000Z", "20250303T100000Z"),
    )
    assert text.splitlines()[8] == "BEGIN:VEVENT"
    with pytest.raises(CalendarParseError) as caught:
        parse_ics(text, window_start=W0, window_end=W1, timezone="UTC")
    assert caught.value.line == 9
    assert caught.value.uid == "broken-one"
    assert "DTSTART" in caught.value.message
    assert caught.value.details == {"line": 9, "component": "VEVENT", "uid": "broken-one"}


def test_bad_rrule_is_refused_but_not_on_a_transparent_event() -> None:
    """A broken RRULE makes an event's busy time unknown — unless the event never blocks anyway."""
    bad = _event("r", "20250303T090000Z", "20250303T100000Z", "RRULE:FREQ=WEEKLY;BYDAY=ZZ")
    with pytest.raises(CalendarParseError, match="RRULE"):
        parse_ics(_cal(bad), window_start=W0, window_end=W1, timezone="UTC")
    harmless = _cal(bad + "\r\nTRANSP:TRANSPARENT")
    assert parse_ics(harmless, window_start=W0, window_end=W1, timezone="UTC").intervals == ()


def test_folded_lines_and_blank_lines_are_fine() -> None:
    """Folded values (RFC 5545 3.1) and stray blank lines are accepted; line numbers stay physical."""
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\r\nBEGIN:VEVENT\r\nUID:folded\r\nDTSTART:2025\r\n"
        " 0303T090000Z\r\nDTEND:20250303T100000Z\r\nSUMMARY:a very long\r\n  title\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    parsed = parse_ics(text, window_start=W0, window_end=W1, timezone="UTC")
    assert [(iv.start.hour, iv.end.hour) for iv in parsed.intervals] == [(9, 10)]


def test_size_cap() -> None:
    """More bytes than the cap → CalendarTooLarge (413) naming the limit."""
    text = _cal(_event("a", "20250303T090000Z", "20250303T100000Z"))
    with pytest.raises(CalendarTooLarge) as caught:
        parse_ics(text, window_start=W0, window_end=W1, timezone="UTC", max_bytes=100)
    assert caught.value.http_status == 413
    assert caught.value.details == {"rule": "size", "limit": 100}


def test_recurrence_work_cap_stops_a_secondly_rule() -> None:
    """FREQ=SECONDLY from 2020 would need ~1.6e8 steps to reach the window; refused at once."""
    bomb = _event("bomb", "20200101T000000Z", "20200101T000001Z", "RRULE:FREQ=SECONDLY")
    with pytest.raises(CalendarTooLarge) as caught:
        parse_ics(_cal(bomb), window_start=W0, window_end=W1, timezone="UTC")
    assert caught.value.rule == "recurrences"
    assert caught.value.limit == MAX_RECURRENCE_PERIODS
    assert "'bomb'" in caught.value.message


def test_session_export_round_trips_through_the_parser() -> None:
    """Planned sessions written as iCalendar read back as the same busy blocks, in any zone."""
    tz = ZoneInfo("America/Sao_Paulo")
    sessions = [
        SessionEvent(
            "plan-1@twin",
            datetime(2025, 3, 3, 7, 0, tzinfo=tz),
            datetime(2025, 3, 3, 7, 45, tzinfo=tz),
            "Study: cardio",
        ),
        SessionEvent(
            "plan-2@twin",
            datetime(2025, 3, 4, 19, 30, tzinfo=tz),
            datetime(2025, 3, 4, 20, 15, tzinfo=tz),
            "Study: renal",
            "3 phases",
            2,
        ),
    ]
    data = sessions_calendar(sessions, now=datetime(2025, 3, 1, tzinfo=UTC))
    assert b"UID:plan-1@twin" in data and b"SEQUENCE:2" in data
    parsed = parse_ics(data, window_start=W0, window_end=W1, timezone="Asia/Tokyo")
    assert [(iv.start, iv.end) for iv in parsed.intervals] == [(s.start, s.end) for s in sessions]
