"""iCalendar text → busy intervals over a window (parse with icalendar, expand with recurring-ical-events).

Rules (ENGINE.md 5.3):

- every recurrence feature recurring-ical-events implements (RRULE, RDATE incl. PERIOD,
  EXDATE, RECURRENCE-ID overrides incl. RANGE=THISANDFUTURE, X-WR-TIMEZONE) is honoured;
- ``STATUS:CANCELLED`` and ``TRANSP:TRANSPARENT`` never block (nor Outlook's
  ``X-MICROSOFT-CDO-BUSYSTATUS:FREE``); ``STATUS:TENTATIVE`` (or Outlook's TENTATIVE)
  blocks with weight 0.5; everything else with weight 1 (RFC 5545's default TRANSP is OPAQUE);
- all-day events block from local midnight of their first day to local midnight after
  their last day, in the learner's zone; floating times are the learner's wall time
  (a calendar-wide X-WR-TIMEZONE, when present, is applied first by recurring-ical-events);
  zoned times keep their zone (TZID, Windows zone names, UTC), so DST is the zone's;
- zero-length events block nothing; intervals are clipped to the window.

Malformed input is refused with a ``CalendarParseError`` naming the line and component:
a structural pass over the raw lines (content-line syntax, BEGIN/END nesting) runs
before icalendar, and property errors icalendar records on a VEVENT that could block
(a broken DTSTART, DTEND, DURATION, RRULE, RDATE, EXDATE or RECURRENCE-ID) are reported
with the VEVENT's first line and UID. Size limits: the text (``max_bytes``) and the
recurrence work — the periods dateutil must step through from each series' DTSTART to
the window's end — so a ``FREQ=SECONDLY`` rule cannot stall the worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]

from twin.analysis.orchestration.busy import BUSY_WEIGHT, TENTATIVE_WEIGHT, BusyInterval
from twin.analysis.orchestration.common import local_midnight, require_aware, zone
from twin.ingest.calendars.errors import CalendarParseError, CalendarTooLarge

MAX_ICS_BYTES = 10 * 1024 * 1024
MAX_RECURRENCE_PERIODS = 500_000
PREFILTER_MARGIN_DAYS = 2
_SIMPLE_RULE_PARTS = frozenset({"FREQ", "COUNT", "INTERVAL", "WKST", "BYDAY"})
_PREFILTER_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXRULE", "RECURRENCE-ID"}
)
# Properties whose breakage makes the busy time of an event unknown.
TIMING_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
)
FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86_400,
    "WEEKLY": 7 * 86_400,
    "MONTHLY": 28 * 86_400,
    "YEARLY": 365 * 86_400,
}
_NAME = re.compile(r"^([A-Za-z0-9-]+)[;:]")
_LINE_BREAK = re.compile(r"\r\n|\n|\r")


@dataclass
class _ComponentLine:
    name: str
    line: int
    uid: str | None = None
    first: int = 0  # index of its BEGIN among the logical lines
    last: int = 0  # index of its END
    props: dict[str, str] = field(default_factory=dict)  # own timing properties, raw values


@dataclass
class _Outline:
    """What the structural pass learned: the logical lines and each VEVENT's place, in order."""

    logical: list[tuple[int, str]] = field(default_factory=list)
    vevents: list[_ComponentLine] = field(default_factory=list)
    calendars: int = 0


def _outline(text: str) -> _Outline:
    """Check content-line syntax and BEGIN/END nesting; raise CalendarParseError with the line."""
    outline = _Outline()
    stack: list[_ComponentLine] = []
    logical = outline.logical
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        if raw[:1] in (" ", "\t") and logical:
            first, value = logical[-1]
            logical[-1] = (first, value + raw[1:])
        elif raw.strip() == "":
            continue
        else:
            logical.append((number, raw))
    if not logical:
        raise CalendarParseError("the calendar is empty", line=1, component="VCALENDAR")
    for index, (number, content) in enumerate(logical):
        match = _NAME.match(content)
        if match is None:
            context = stack[-1].name if stack else None
            raise CalendarParseError(
                f"not an iCalendar content line: {content[:60]!r}", line=number, component=context
            )
        name = match.group(1).upper()
        value = content.split(":", 1)[1].strip().upper() if ":" in content else ""
        if name == "BEGIN":
            if not stack and value != "VCALENDAR":
                raise CalendarParseError(
                    f"expected BEGIN:VCALENDAR, got BEGIN:{value}", line=number, component=value
                )
            entry = _ComponentLine(value, number, first=index)
            stack.append(entry)
            if value == "VEVENT":
                outline.vevents.append(entry)
            elif value == "VCALENDAR" and len(stack) == 1:
                outline.calendars += 1
        elif name == "END":
            if not stack:
                raise CalendarParseError(
                    f"END:{value} without a matching BEGIN", line=number, component=value
                )
            opened = stack.pop()
            if opened.name != value:
                raise CalendarParseError(
                    f"END:{value} closes BEGIN:{opened.name} opened on line {opened.line}",
                    line=number,
                    component=opened.name,
                )
            opened.last = index
        elif not stack:
            raise CalendarParseError(
                f"property {name} outside any component", line=number, component=None
            )
        elif stack[-1].name == "VEVENT":
            if name == "UID":
                stack[-1].uid = content.split(":", 1)[1] if ":" in content else ""
            elif name in _PREFILTER_PROPERTIES:
                stack[-1].props[name] = content.rsplit(":", 1)[-1].strip()
    if stack:
        opened = stack[-1]
        raise CalendarParseError(
            f"BEGIN:{opened.name} on line {opened.line} is never closed",
            line=opened.line,
            component=opened.name,
        )
    return outline


def _raw_date(value: str | None) -> date | None:
    """The date of a raw DATE / DATE-TIME value (``20250303`` or ``20250303T090000[Z]``), or None."""
    if value is None or len(value) < 8 or not value[:8].isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _length_days(props: dict[str, str], start: date) -> int | None:
    """Whole days an instance can span after its start day (None when only DURATION says)."""
    if "DTEND" in props:
        end = _raw_date(props["DTEND"])
        return None if end is None else max(0, (end - start).days)
    return None if "DURATION" in props else 0


def _series_last_day(props: dict[str, str], start: date) -> date | None:
    """The last day a recurring master can reach, when its rule bounds it simply; else None."""
    if "RDATE" in props or "EXRULE" in props:
        return None
    length = _length_days(props, start)
    if length is None:
        return None
    parts = dict(p.split("=", 1) for p in props["RRULE"].upper().split(";") if "=" in p)
    if "UNTIL" in parts:
        until = _raw_date(parts["UNTIL"])
        return None if until is None else until + timedelta(days=length + 1)
    if "COUNT" not in parts or not set(parts) <= _SIMPLE_RULE_PARTS:
        return None
    try:
        count, interval = int(parts["COUNT"]), int(parts.get("INTERVAL", "1"))
    except ValueError:
        return None
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    if parts.get("FREQ") == "DAILY" and not days:
        span = (count - 1) * interval
    elif parts.get("FREQ") == "WEEKLY" and all(d.isalpha() for d in days):
        # At most one week more than the count needs, whatever the first weekday.
        span = (-(-count // max(1, len(days))) + 1) * 7 * interval
    else:
        return None
    return start + timedelta(days=span + length + 1)


def _outside_window(event: _ComponentLine, first_day: date, last_day: date) -> bool:
    """An event or series that certainly ends before, or starts after, the window.

    Modifications (RECURRENCE-ID) are always kept: with their series dropped they stand
    alone at their own times, which is where they are.
    """
    props = event.props
    if "RECURRENCE-ID" in props:
        return False
    start = _raw_date(props.get("DTSTART"))
    if start is None:
        return False
    if start > last_day:
        return True
    if "RRULE" in props:
        series_end = _series_last_day(props, start)
        return series_end is not None and series_end < first_day
    if "RDATE" in props or "EXRULE" in props:
        return False
    length = _length_days(props, start)
    return length is not None and start + timedelta(days=length) < first_day


def _within_window(outline: _Outline, window_start: datetime, window_end: datetime) -> str:
    """The calendar text without the single events that lie wholly outside the window.

    Feeds carry years of history; parsing only what can matter keeps a sync fast. Dates are
    compared with a 2-day margin, more than any UTC offset, so zones never matter here;
    events whose dates cannot be read are kept (and validated by the full parse).
    """
    margin = timedelta(days=PREFILTER_MARGIN_DAYS)
    first_day = (window_start.astimezone(UTC) - margin).date()
    last_day = (window_end.astimezone(UTC) + margin).date()
    dropped = {id(v) for v in outline.vevents if _outside_window(v, first_day, last_day)}
    if not dropped:
        return "\r\n".join(text for _, text in outline.logical) + "\r\n"
    skip: set[int] = set()
    for v in outline.vevents:
        if id(v) in dropped:
            skip.update(range(v.first, v.last + 1))
    outline.vevents = [v for v in outline.vevents if id(v) not in dropped]
    kept = (text for i, (_, text) in enumerate(outline.logical) if i not in skip)
    return "\r\n".join(kept) + "\r\n"


@dataclass(frozen=True)
class ParsedCalendar:
    """Busy intervals of one calendar over ``[window_start, window_end)`` and what was skipped."""

    intervals: tuple[BusyInterval, ...]
    window_start: datetime
    window_end: datetime
    components: int
    occurrences: int
    skipped: dict[str, int]
    calendar_timezone: str | None = None
    outside_window: int = 0


def decode_ics(data: bytes | str, *, max_bytes: int = MAX_ICS_BYTES) -> str:
    """The text of an iCalendar payload within the size cap (undecodable bytes replaced, not fatal)."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise CalendarTooLarge(
            f"the calendar is {size} bytes; the limit is {max_bytes} bytes", limit=max_bytes
        )
    if isinstance(data, str):
        return data
    # Event titles are not needed for busy time, so a stray non-UTF-8 byte must not fail a feed.
    return data.decode("utf-8-sig", errors="replace")


def _as_aware(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A DATE → local midnight; a floating DATE-TIME → the learner's wall time; aware → as is."""
    if not isinstance(value, datetime):
        return local_midnight(value, tz)
    if value.tzinfo is None or value.utcoffset() is None:
        # Through UTC, so a wall time inside a DST gap becomes a real instant.
        return value.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return value


def _first_value(component: Any, name: str) -> Any:
    value = component.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _blocks(component: Any) -> bool:
    status = str(component.get("STATUS", "")).upper()
    transp = str(component.get("TRANSP", "")).upper()
    ms_busy = str(component.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper()
    return status != "CANCELLED" and transp != "TRANSPARENT" and ms_busy != "FREE"


def _check_components(calendar: Any, outline: _Outline, offset: int) -> list[Any]:
    """Raise on a timing property icalendar could not read in a VEVENT that could block.

    ``offset`` is how many VEVENTs earlier calendars of the same text held, so the n-th
    VEVENT here is the (offset + n)-th of the structural pass.
    """
    events = list(calendar.walk("VEVENT"))
    for index, event in enumerate(events, start=offset):
        where = outline.vevents[index] if index < len(outline.vevents) else None
        line = where.line if where else None
        uid = str(event.get("UID")) if event.get("UID") is not None else None
        if not _blocks(event):
            continue
        for prop, message in getattr(event, "errors", []) or []:
            if str(prop).upper() in TIMING_PROPERTIES:
                raise CalendarParseError(
                    f"property {prop} is invalid ({message})",
                    line=line,
                    component="VEVENT",
                    uid=uid,
                )
        if event.get("DTSTART") is None and event.get("RECURRENCE-ID") is None:
            raise CalendarParseError("DTSTART is missing", line=line, component="VEVENT", uid=uid)
    return events


def _drop_non_blocking(calendar: Any, skipped: dict[str, int]) -> None:
    """Remove events and series that can never block before expanding them.

    Only masters and single events go (those without RECURRENCE-ID): a modification of a
    removed series then stands alone at its own time, which is right whether it blocks
    (an OPAQUE override of a TRANSPARENT series) or not (it is filtered after expansion).
    This also keeps a broken rule on a free event from failing the whole feed.
    """
    kept = []
    for component in calendar.subcomponents:
        if (
            component.name == "VEVENT"
            and component.get("RECURRENCE-ID") is None
            and not _blocks(component)
        ):
            reason = _non_blocking_reason(component)
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        kept.append(component)
    calendar.subcomponents = kept


def _non_blocking_reason(component: Any) -> str:
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return "cancelled"
    if str(component.get("TRANSP", "")).upper() == "TRANSPARENT":
        return "transparent"
    return "free"


def _rrules(event: Any) -> list[Any]:
    value = event.get("RRULE")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_recurrence_work(
    events: Sequence[Any], outline: _Outline, offset: int, window_end: datetime, tz: ZoneInfo
) -> None:
    """Refuse calendars whose recurrences would take more than MAX_RECURRENCE_PERIODS steps to expand."""
    total = 0
    for index, event in enumerate(events, start=offset):
        start = _first_value(event, "DTSTART")
        if start is None or not _blocks(event):
            continue
        dtstart = _as_aware(start.dt, tz)
        for rule in _rrules(event):
            freq = str((rule.get("FREQ") or [""])[0]).upper()
            if freq not in FREQ_SECONDS:
                continue
            interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
            end = window_end
            until = (rule.get("UNTIL") or [None])[0]
            if until is not None:
                end = min(end, _as_aware(until, tz))
            periods = max(0.0, (end - dtstart).total_seconds()) / (FREQ_SECONDS[freq] * interval)
            count = (rule.get("COUNT") or [None])[0]
            if count is not None:
                periods = min(periods, float(count))
            total += int(periods) + 1
            if total > MAX_RECURRENCE_PERIODS:
                where = outline.vevents[index] if index < len(outline.vevents) else None
                uid = str(event.get("UID")) if event.get("UID") is not None else None
                raise CalendarTooLarge(
                    f"VEVENT {uid!r} (line {where.line if where else '?'}): its recurrence "
                    f"{freq} from {dtstart:%Y-%m-%d} needs more than {MAX_RECURRENCE_PERIODS} "
                    "steps to expand",
                    limit=MAX_RECURRENCE_PERIODS,
                    rule="recurrences",
                )


def _occurrences(
    calendar: Any, outline: _Outline, window_start: datetime, window_end: datetime
) -> Iterator[Any]:
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=False)
        yield from query.between(window_start, window_end)
    except (ValueError, recurring_ical_events.InvalidCalendar) as exc:
        uid = getattr(exc, "uid", None)
        line = next((v.line for v in outline.vevents if uid and v.uid == uid), None)
        raise CalendarParseError(
            f"recurrence could not be expanded ({exc})", line=line, component="VEVENT", uid=uid
        ) from exc


def parse_ics(
    data: bytes | str,
    *,
    window_start: datetime,
    window_end: datetime,
    timezone: str,
    max_bytes: int = MAX_ICS_BYTES,
) -> ParsedCalendar:
    """Busy intervals of an iCalendar text over ``[window_start, window_end)`` in the learner's ``timezone``."""
    require_aware("window_start", window_start)
    require_aware("window_end", window_end)
    if window_end <= window_start:
        raise ValueError("window_end must be after window_start")
    tz = zone(timezone)
    text = decode_ics(data, max_bytes=max_bytes)
    outline = _outline(text)
    total_components = len(outline.vevents)
    relevant = _within_window(outline, window_start, window_end)
    outside = total_components - len(outline.vevents)
    try:
        calendars = icalendar.Calendar.from_ical(relevant, multiple=True)
    except ValueError as exc:
        raise CalendarParseError(f"not a valid iCalendar file ({exc})") from exc
    intervals: list[BusyInterval] = []
    skipped = {"cancelled": 0, "transparent": 0, "free": 0, "zeroLength": 0}
    occurrences = offset = 0
    x_wr: str | None = None
    for calendar in calendars:
        events = _check_components(calendar, outline, offset)
        x_wr = x_wr or (
            str(calendar.get("X-WR-TIMEZONE")) if calendar.get("X-WR-TIMEZONE") else None
        )
        _check_recurrence_work(events, outline, offset, window_end, tz)
        offset += len(events)
        _drop_non_blocking(calendar, skipped)
        for occurrence in _occurrences(calendar, outline, window_start, window_end):
            occurrences += 1
            busy = window_busy_interval(occurrence, tz, window_start, window_end, skipped)
            if busy is not None:
                intervals.append(busy)
    intervals.sort(key=lambda iv: (iv.start, iv.end, iv.weight))
    return ParsedCalendar(
        intervals=tuple(intervals),
        window_start=window_start,
        window_end=window_end,
        components=total_components,
        occurrences=occurrences,
        skipped=skipped,
        calendar_timezone=x_wr,
        outside_window=outside,
    )


def window_busy_interval(
    event: Any,
    tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    skipped: dict[str, int] | None = None,
) -> BusyInterval | None:
    """One expanded occurrence's busy time inside the window, in UTC, or None when there is none."""
    interval = occurrence_interval(event, tz, skipped)
    if interval is None:
        return None
    start, end, weight = interval
    # UTC from here on: equality of aware datetimes across zones ignores fold (PEP 495).
    start = max(start, window_start).astimezone(UTC)
    end = min(end, window_end).astimezone(UTC)
    return BusyInterval(start, end, weight) if end > start else None


def occurrence_interval(
    event: Any, tz: ZoneInfo, skipped: dict[str, int] | None = None
) -> tuple[datetime, datetime, float] | None:
    """``(start, end, weight)`` of one expanded occurrence, or None when it blocks nothing."""
    counts = skipped if skipped is not None else {}
    status = str(event.get("STATUS", "")).upper()
    transp = str(event.get("TRANSP", "")).upper()
    ms_busy = str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper()
    if status == "CANCELLED":
        counts["cancelled"] = counts.get("cancelled", 0) + 1
        return None
    if transp == "TRANSPARENT":
        counts["transparent"] = counts.get("transparent", 0) + 1
        return None
    if ms_busy == "FREE":
        counts["free"] = counts.get("free", 0) + 1
        return None
    weight = TENTATIVE_WEIGHT if "TENTATIVE" in (status, ms_busy) else BUSY_WEIGHT
    start = _as_aware(event.start, tz)
    end_value = event.end
    end = _as_aware(end_value, tz) if end_value is not None else start
    if not isinstance(event.start, datetime) and end <= start:
        end = local_midnight(event.start + timedelta(days=1), tz)
    if end <= start:
        counts["zeroLength"] = counts.get("zeroLength", 0) + 1
        return None
    return start, end, weight
