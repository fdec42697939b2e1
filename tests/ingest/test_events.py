"""Behavioral events: local-time filling, learner scoping, newest-first keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.ingest.factory import ALICE, BOB, fetch, row_counts, valid_record
from twin.db.engine import Database
from twin.errors import NotFound, ValidationFailed
from twin.ingest import events as events_module
from twin.ingest.batch import ingest_batch, transaction
from twin.ingest.events import EventView, events_query, list_events

pytestmark = pytest.mark.db

START = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)  # a Monday


def _event(
    event_id: str, at: datetime, event_type: str = "CARD_REVIEWED", **extra: Any
) -> dict[str, Any]:
    return {
        "id": event_id,
        "eventType": event_type,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "eventData": {"n": event_id},
        **extra,
    }


def test_local_hour_and_weekday_filled_in_learner_time_zone(learners: Database) -> None:
    # Sunday 23:30 UTC: Monday 08:30 for Alice in Tokyo, Sunday 23:30 for Bob in UTC.
    at = datetime(2024, 3, 3, 23, 30, tzinfo=UTC)
    ingest_batch(learners, ALICE, "events", [_event("tz-a", at)])
    ingest_batch(learners, BOB, "events", [_event("tz-b", at)])
    ingest_batch(learners, ALICE, "events", [_event("tz-c", at, timeOfDay=22, dayOfWeek=6)])
    rows = fetch(
        learners,
        'SELECT id, "timeOfDay", "dayOfWeek" FROM behavioral_events WHERE id LIKE \'tz-%\' ORDER BY id',
    )
    assert rows == [("tz-a", 8, 0), ("tz-b", 23, 6), ("tz-c", 22, 6)]


def test_offset_timestamps_stored_as_utc(learners: Database) -> None:
    ingest_batch(
        learners,
        ALICE,
        "events",
        [_event("off", START) | {"timestamp": "2024-03-04T09:00:00.123456+09:00"}],
    )
    assert fetch(learners, "SELECT timestamp FROM behavioral_events WHERE id = 'off'") == [
        (datetime(2024, 3, 4, 0, 0, 0, 123000),)
    ]


def test_event_id_of_another_learner_rolls_the_whole_batch_back(learners: Database) -> None:
    before = row_counts(learners)
    batch = [_event(f"new-{i}", START + timedelta(minutes=i)) for i in range(50)]
    batch.insert(17, valid_record("events", "bob-events"))
    with pytest.raises(ValidationFailed) as info:
        ingest_batch(learners, ALICE, "events", batch)
    assert info.value.details == [
        {"index": 17, "field": "id", "reason": "belongs to another learner"}
    ]
    assert row_counts(learners) == before
    [(owner, data)] = fetch(
        learners, 'SELECT "userId", "eventData" FROM behavioral_events WHERE id = \'bob-events\''
    )
    assert owner == BOB and data["cardId"] == "bob-card"


def test_bad_events_and_foreign_ids_reported_together(learners: Database) -> None:
    batch = [
        _event("fine", START),
        valid_record("events", "bob-events"),
        _event("bad", START, timeOfDay=24),
    ]
    with pytest.raises(ValidationFailed) as info:
        ingest_batch(learners, ALICE, "events", batch)
    assert [(d["index"], d["field"]) for d in info.value.details] == [(1, "id"), (2, "timeOfDay")]


def test_changed_event_is_updated_identical_is_not(learners: Database) -> None:
    event = _event("upd", START)
    ingest_batch(learners, ALICE, "events", [event])
    query = "SELECT xmin::text, \"eventData\" FROM behavioral_events WHERE id = 'upd'"
    [(xmin, _)] = fetch(learners, query)
    ingest_batch(learners, ALICE, "events", [event])
    assert fetch(learners, query)[0][0] == xmin
    ingest_batch(learners, ALICE, "events", [event | {"eventData": {"n": "changed"}}])
    assert fetch(learners, query)[0][1] == {"n": "changed"}


def _seed_pages(db: Database) -> list[str]:
    """Alice's events: several share a timestamp, two types, Bob's interleaved."""
    batch = []
    for i in range(37):
        at = START + timedelta(minutes=i // 3)  # three events per timestamp
        kind = "SESSION_STARTED" if i % 4 == 0 else "CARD_REVIEWED"
        batch.append(_event(f"p-{i:02d}", at, kind))
    ingest_batch(db, ALICE, "events", batch)
    ingest_batch(
        db, BOB, "events", [_event(f"q-{i}", START + timedelta(minutes=i)) for i in range(5)]
    )
    return [e["id"] for e in batch]


def _all_pages(db: Database, **kwargs: Any) -> list[list[EventView]]:
    pages, cursor = [], None
    while True:
        page, cursor = list_events(db, ALICE, cursor=cursor, **kwargs)
        pages.append(page)
        if cursor is None:
            return pages


def test_pages_are_newest_first_without_gaps_or_repeats(learners: Database) -> None:
    _seed_pages(learners)
    everything = list_events(learners, ALICE, limit=1000)[0]
    assert all(e.user_id == ALICE for e in everything)
    keys = [(e.timestamp, e.id) for e in everything]
    assert keys == sorted(keys, reverse=True)
    for limit in (1, 4, 5, 38, 39):
        pages = _all_pages(learners, limit=limit)
        flat = [e.id for page in pages for e in page]
        assert flat == [e.id for e in everything]
        assert all(len(page) <= limit for page in pages)


def test_filters_by_type_and_time(learners: Database) -> None:
    _seed_pages(learners)
    started = [
        e for page in _all_pages(learners, event_type="SESSION_STARTED", limit=3) for e in page
    ]
    assert [e.id for e in started] == [f"p-{i:02d}" for i in range(36, -1, -4)]
    since, until = START + timedelta(minutes=2), START + timedelta(minutes=4)
    window = list_events(learners, ALICE, since=since, until=until, limit=100)[0]
    assert sorted(e.id for e in window) == [f"p-{i:02d}" for i in range(6, 12)]
    naive = list_events(
        learners, ALICE, since=since.replace(tzinfo=None), until=until.replace(tzinfo=None)
    )[0]
    assert naive == window
    assert window[0].timestamp.tzinfo is not None


def test_list_events_rejects_bad_arguments(learners: Database) -> None:
    for kwargs, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"cursor": "WzIsIngiLCJ5Il0"}, "cursor"),
        ({"event_type": "CLICKED"}, "eventType"),
    ):
        with pytest.raises(ValidationFailed) as info:
            list_events(learners, ALICE, **kwargs)
        assert info.value.details[0]["field"] == field
    with pytest.raises(NotFound):
        list_events(learners, "nobody")


def test_cursor_round_trip() -> None:
    at = datetime(2024, 3, 4, 5, 6, 7, 890000)
    cursor = events_module.encode_cursor(at, "id/with:odd chars")
    assert events_module.decode_cursor(cursor) == (at, "id/with:odd chars")


def _plan(db: Database, sql: str, params: dict[str, Any]) -> str:
    with transaction(db) as conn:
        return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params).fetchall())


def test_pages_use_the_learner_indexes(learners: Database) -> None:
    types = ["CARD_REVIEWED", "SESSION_STARTED", "SEARCH_PERFORMED", "GRAPH_VIEWED"]
    for learner in (ALICE, BOB):
        batch = [
            _event(f"{learner}-x{i}", START + timedelta(seconds=i), types[i % len(types)])
            for i in range(5000)
        ]
        ingest_batch(learners, learner, "events", batch)
    with learners.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE behavioral_events"))
    _page, cursor = list_events(learners, ALICE, event_type="SEARCH_PERFORMED", limit=50)
    composite = "behavioral_events_userId_eventType_timestamp_idx"
    first = _plan(learners, *events_query(ALICE, "SEARCH_PERFORMED", limit=50))
    later = _plan(learners, *events_query(ALICE, "SEARCH_PERFORMED", limit=50, cursor=cursor))
    untyped = _plan(learners, *events_query(ALICE, limit=50))
    untyped_later = _plan(learners, *events_query(ALICE, limit=50, cursor=cursor))
    for plan in (first, later, untyped, untyped_later):
        assert composite in plan
        assert "Seq Scan" not in plan and "behavioral_events_timestamp_idx" not in plan
