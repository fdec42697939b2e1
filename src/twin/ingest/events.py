"""Reading a learner's behavioral events back: newest first, keyset pagination.

The page order is ``(timestamp DESC, id DESC)``; the cursor carries the last row's
``(timestamp, id)`` as ``{milliseconds since the epoch}:{id}``, so pages never repeat
or skip an event even when events share a timestamp or new ones arrive between pages.
With an event type the query is an equality on ``(userId, eventType)`` and a
range on ``timestamp`` — exactly the index
``behavioral_events_userId_eventType_timestamp_idx``, read backwards. Without
one, the page is the merge of one such index range per event type (13 short
scans, at most ``limit + 1`` rows each): its cost does not grow with the
learner's history, unlike sorting all of the learner's events found through
``behavioral_events_userId_idx``, and it does not depend on other learners'
activity, unlike a backward scan of ``behavioral_events_timestamp_idx``. (An
index on ``(userId, timestamp, id)`` would allow a single scan; see the notes.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from twin.analysis.common import storage_time
from twin.db.engine import Database
from twin.enums import CompletionQuality, EngagementLevel, EventType
from twin.errors import ValidationFailed
from twin.ingest.batch import learner_timezone, transaction

DEFAULT_EVENT_PAGE = 100
MAX_EVENT_PAGE = 1000
EPOCH = datetime(1970, 1, 1)
ONE_MS = timedelta(milliseconds=1)
# A cursor is "{milliseconds since the epoch}:{event id}" (the position after that event);
# its form can be stated as a pattern, so any string of that form is a position.
CURSOR_PATTERN = "^(-?[0-9]{1,15}):([^\\x00-\\x1f\\x7f-\\x9f]*)$"
_CURSOR = re.compile(CURSOR_PATTERN)
# Stored timestamps lie within these (years 1900-2999 with any offset): beyond, a cursor
# is a position before or after every event.
CURSOR_MIN_MS = (datetime(1899, 12, 30) - EPOCH) // ONE_MS
CURSOR_MAX_MS = (datetime(3000, 1, 2) - EPOCH) // ONE_MS

_SELECT = (
    'SELECT id, "userId", "eventType"::text AS "eventType", "eventData", timestamp, '
    '"completionQuality"::text AS "completionQuality", "contentType", "dayOfWeek", '
    '"difficultyLevel", "engagementLevel"::text AS "engagementLevel", '
    '"sessionPerformanceScore", "timeOfDay" FROM behavioral_events'
)
_ORDER = "ORDER BY timestamp DESC, id DESC LIMIT %(limit)s"


@dataclass(frozen=True)
class EventView:
    """One stored behavioral event (timestamp aware, in UTC)."""

    id: str
    user_id: str
    event_type: EventType
    event_data: dict[str, Any]
    timestamp: datetime
    completion_quality: CompletionQuality | None = None
    content_type: str | None = None
    day_of_week: int | None = None
    difficulty_level: str | None = None
    engagement_level: EngagementLevel | None = None
    session_performance_score: int | None = None
    time_of_day: int | None = None


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"invalid {field}: {reason}", details=[{"index": None, "field": field, "reason": reason}]
    )


def encode_cursor(timestamp: datetime, event_id: str) -> str:
    """The cursor for the position just after the event ``(timestamp, id)``: ``{ms}:{id}``."""
    return f"{(timestamp - EPOCH) // ONE_MS}:{event_id}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(timestamp, id)`` a cursor stands for; ValidationFailed when it has not the form.

    Every string of the form (:data:`CURSOR_PATTERN`) is a position: a time beyond the
    timestamps that can be stored is a position before or after all of them.
    """
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise _invalid("cursor", "not a cursor returned by this endpoint")
    ms = min(max(int(match.group(1)), CURSOR_MIN_MS), CURSOR_MAX_MS)
    return EPOCH + ms * ONE_MS, match.group(2)


def _utc(value: datetime) -> datetime:
    # Naive values are taken as UTC already (the storage convention).
    return value if value.tzinfo is None else storage_time(value)


def events_query(
    user_id: str,
    event_type: EventType | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_EVENT_PAGE,
    cursor: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of one page (one row more than ``limit``, to see if more follow)."""
    if not 1 <= limit <= MAX_EVENT_PAGE:
        raise _invalid("limit", f"must be between 1 and {MAX_EVENT_PAGE} (got {limit})")
    if event_type is not None and event_type not in EventType.__members__:
        raise _invalid("eventType", f"must be one of {', '.join(EventType.__members__)}")
    conditions = ['"userId" = %(user_id)s']
    params: dict[str, Any] = {"user_id": user_id, "limit": limit + 1}
    if event_type is not None:
        conditions.append('"eventType" = %(event_type)s::"EventType"')
        params["event_type"] = str(event_type)
    if since is not None:
        conditions.append("timestamp >= %(since)s")
        params["since"] = _utc(since)
    if until is not None:
        conditions.append("timestamp < %(until)s")
        params["until"] = _utc(until)
    if cursor is not None:
        params["cursor_ts"], params["cursor_id"] = decode_cursor(cursor)
        # The plain bound lets the index range-scan; the OR breaks timestamp ties by id.
        conditions.append(
            "timestamp <= %(cursor_ts)s AND (timestamp < %(cursor_ts)s OR id < %(cursor_id)s)"
        )
    where = " AND ".join(conditions)
    if event_type is not None:
        return f"{_SELECT} WHERE {where} {_ORDER}", params
    branches = " UNION ALL ".join(
        f"""({_SELECT} WHERE {where} AND "eventType" = '{member.value}' {_ORDER})"""
        for member in EventType
    )
    return f"SELECT * FROM ({branches}) AS page {_ORDER}", params


def list_events(
    db: Database,
    user_id: str,
    event_type: EventType | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_EVENT_PAGE,
    cursor: str | None = None,
) -> tuple[list[EventView], str | None]:
    """A page of the learner's events, newest first, and the cursor of the next page (or None)."""
    sql, params = events_query(user_id, event_type, since, until, limit, cursor)
    with transaction(db) as conn:
        learner_timezone(conn, user_id, for_write=False)
        rows = conn.execute(sql, params).fetchall()
    events = [
        EventView(
            id=r[0],
            user_id=r[1],
            event_type=EventType(r[2]),
            event_data=r[3],
            timestamp=r[4].replace(tzinfo=UTC),
            completion_quality=None if r[5] is None else CompletionQuality(r[5]),
            content_type=r[6],
            day_of_week=r[7],
            difficulty_level=r[8],
            engagement_level=None if r[9] is None else EngagementLevel(r[9]),
            session_performance_score=r[10],
            time_of_day=r[11],
        )
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last[4], last[0])
    return events, next_cursor
