"""Bad calendar input over HTTP: every failure names what went wrong and nothing is half-written.

Malformed ``.ics`` → 422 naming the line and the component; oversized → 413 (upload) or a
recorded sync error; a feed that times out or answers 4xx/5xx → a recorded sync error
with the last good blocks kept and their age in every answer that uses them; a refused
address → 422 naming the rule. Real feed server on loopback, real database."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.calendar_servers import FeedServer, Route
from tests.services.orchestration.support import ZONE, daily_ics, make_schedule_learner
from twin.api.app import create_app
from twin.clock import utcnow
from twin.db.engine import Database
from twin.ingest.calendars.fetch import FetchPolicy, parse_networks
from twin.services.orchestration.common import CalendarContext

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

U = "orch-bad"
BASE = f"/v1/users/{U}"
LOOPBACK = parse_networks("127.0.0.0/8")
SCHEDULE_TABLES = (
    "calendar_integrations",
    "calendar_sync_states",
    "calendar_busy_blocks",
    "planned_sessions",
    "study_schedule_recommendations",
)


def _client(db: Database, context: CalendarContext) -> TestClient:
    app = create_app(database=db)
    app.state.calendar_context = context
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def app_client(db: Database) -> Iterator[TestClient]:
    """Loopback allowed, short timeouts (a slow feed fails in about a second)."""
    context = CalendarContext(
        policy=FetchPolicy(
            allowed_networks=LOOPBACK,
            connect_timeout_seconds=1.0,
            read_timeout_seconds=0.6,
            total_timeout_seconds=2.0,
            max_bytes=200_000,
        )
    )
    with _client(db, context) as c:
        with db.session() as s:
            make_schedule_learner(s, U, utcnow(), history=False)
        yield c


def _rows(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t: int(
                conn.execute(
                    sa.text(f'SELECT count(*) FROM "{t}" WHERE "userId" = :u'), {"u": U}
                ).scalar_one()
            )
            for t in SCHEDULE_TABLES
        }


MALFORMED = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:x\r\n"
    "DTSTART:20250301T090000Z\r\nthis line is not a content line\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_malformed_upload_names_line_and_component(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    before = _rows(db)
    r = app_client.post(
        f"{BASE}/calendar:upload",
        content=MALFORMED.encode(),
        headers={**service_headers, "Content-Type": "text/calendar"},
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "calendar_malformed"
    assert error["details"] == {"line": 7, "component": "VEVENT"}
    assert "line 7" in error["message"]
    assert _rows(db) == before


def test_upload_needs_text_calendar_and_a_size_within_the_cap(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    r = app_client.post(f"{BASE}/calendar:upload", json={"ics": "x"}, headers=service_headers)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body"
    huge = b"X" * (10 * 1024 * 1024 + 1)
    r = app_client.post(
        f"{BASE}/calendar:upload",
        content=huge,
        headers={**service_headers, "Content-Type": "text/calendar"},
    )
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "calendar_too_large"
    assert _rows(db)["calendar_integrations"] == 0


def test_upload_then_upload_again_replaces_the_blocks(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    """A good upload stores its blocks (expanded 120 days ahead); a sync of an upload is 409."""
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    r = app_client.post(
        f"{BASE}/calendar:upload",
        content=daily_ics(tomorrow, 12, 0, 60, days=200).encode(),
        headers={**service_headers, "Content-Type": "text/calendar; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"]["kind"] == "ics_upload"
    assert 119 <= r.json()["blocks"] <= 121
    assert app_client.post(f"{BASE}/calendar:sync", headers=service_headers).status_code == 409
    r = app_client.post(
        f"{BASE}/calendar:upload",
        content=daily_ics(tomorrow, 12, 0, 60, days=3).encode(),
        headers={**service_headers, "Content-Type": "text/calendar"},
    )
    assert r.json()["blocks"] == 3 and _rows(db)["calendar_busy_blocks"] == 3


def test_refused_address_names_the_rule_and_writes_nothing(
    db: Database, service_headers: dict[str, str], feed_server: FeedServer
) -> None:
    """Without the operator's exception a loopback feed is refused before any request."""
    feed_server.routes["/cal.ics"] = Route(body=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    with _client(db, CalendarContext()) as c:
        with db.session() as s:
            make_schedule_learner(s, U, utcnow(), history=False)
        r = c.put(
            f"{BASE}/calendar",
            json={"kind": "ics_url", "url": feed_server.url("/cal.ics")},
            headers=service_headers,
        )
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "calendar_url_refused"
        assert error["details"]["rule"] == "address"
        assert error["details"]["addressKind"] == "loopback"
        r = c.put(
            f"{BASE}/calendar",
            json={"kind": "ics_url", "url": "file:///etc/passwd"},
            headers=service_headers,
        )
        assert r.status_code == 422 and r.json()["error"]["details"]["rule"] == "scheme"
    assert feed_server.requests == []
    assert _rows(db)["calendar_integrations"] == 0


def test_request_fields_are_checked(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    for body, field in (
        ({"kind": "caldav", "url": "https://dav.example/"}, "username"),
        ({"kind": "ics_url", "url": "https://x.example/a.ics", "writeBack": True}, "writeBack"),
        ({"kind": "ics_url", "url": "https://x.example/a.ics", "extra": 1}, "extra"),
        ({"kind": "ics_url", "url": "https://x.example/a.ics", "writeBack": "yes"}, "writeBack"),
        ({"kind": "google", "url": "https://x.example/a.ics"}, "kind"),
    ):
        r = app_client.put(f"{BASE}/calendar", json=body, headers=service_headers)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["error"]["message"], (body, r.text)
    assert _rows(db)["calendar_integrations"] == 0


@pytest.mark.parametrize(
    ("route", "status", "rule"),
    [
        (Route(status=500), 502, "status"),
        (Route(status=404), 502, "status"),
        (Route(body=b"", delay_seconds=3.0), 504, "timeout"),
        (Route(stream_bytes=400_000), 413, "size"),
    ],
    ids=["500", "404", "timeout", "oversized"],
)
def test_failed_sync_is_recorded_and_the_last_good_blocks_kept(
    db: Database,
    app_client: TestClient,
    service_headers: dict[str, str],
    feed_server: FeedServer,
    route: Route,
    status: int,
    rule: str,
) -> None:
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    feed_server.routes["/s3cr3t.ics"] = Route(body=daily_ics(tomorrow, 9, 0, 60).encode())
    url = feed_server.url("/s3cr3t.ics")
    assert (
        app_client.put(
            f"{BASE}/calendar", json={"kind": "ics_url", "url": url}, headers=service_headers
        ).status_code
        == 200
    )
    good = _rows(db)["calendar_busy_blocks"]
    assert good > 30
    feed_server.routes["/s3cr3t.ics"] = route
    r = app_client.post(f"{BASE}/calendar:sync", headers=service_headers)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["details"]["rule"] == rule
    assert error["details"]["lastGoodSyncAt"] is not None
    assert "s3cr3t" not in r.text
    assert _rows(db)["calendar_busy_blocks"] == good
    state = app_client.get(f"{BASE}/calendar", headers=service_headers).json()
    assert state["lastError"]["rule"] == rule and state["consecutiveFailures"] == 1
    assert state["lastSyncAt"] is not None and state["blockCount"] == good
    assert "s3cr3t" not in str(state)
    slots = app_client.get(f"{BASE}/schedule/slots", headers=service_headers).json()
    assert slots["busySyncedAt"] == state["lastSyncAt"] and slots["busyAgeMinutes"] is not None


def test_not_modified_keeps_the_blocks_and_counts_as_a_sync(
    db: Database, app_client: TestClient, service_headers: dict[str, str], feed_server: FeedServer
) -> None:
    """ETag sent back; a 304 keeps the blocks, clears the error and moves lastSyncAt."""
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    feed_server.routes["/c.ics"] = Route(body=daily_ics(tomorrow, 9, 0, 60).encode(), etag='"abc"')
    app_client.put(
        f"{BASE}/calendar",
        json={"kind": "ics_url", "url": feed_server.url("/c.ics")},
        headers=service_headers,
    )
    r = app_client.post(f"{BASE}/calendar:sync", headers=service_headers)
    assert r.status_code == 200, r.text
    assert r.json()["notModified"] and not r.json()["changed"]
    assert feed_server.requests[-1][1].get("If-None-Match") == '"abc"'
    assert _rows(db)["calendar_busy_blocks"] == r.json()["blocks"] > 0


def test_calendar_change_replans_a_planned_session(
    db: Database, app_client: TestClient, service_headers: dict[str, str], feed_server: FeedServer
) -> None:
    """A sync that makes a planned session busy moves it (TIME_SHIFT adaptation, sequence + 1)."""
    feed_server.routes["/c.ics"] = Route(
        body=b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    )
    app_client.put(
        f"{BASE}/calendar",
        json={"kind": "ics_url", "url": feed_server.url("/c.ics")},
        headers=service_headers,
    )
    day = datetime.now(ZONE).date() + timedelta(days=2)
    start = datetime.combine(day, datetime.min.time(), tzinfo=ZONE).replace(hour=10)
    plan = app_client.post(
        f"{BASE}/session-plans", json={"startTime": start.isoformat()}, headers=service_headers
    ).json()
    meeting = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:m@t\r\n"
        "DTSTAMP:20250101T000000Z\r\n"
        f"DTSTART:{(start - timedelta(minutes=30)).astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{(start + timedelta(hours=2)).astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    feed_server.routes["/c.ics"] = Route(body=meeting.encode())
    r = app_client.post(f"{BASE}/calendar:sync", headers=service_headers)
    assert r.status_code == 200, r.text
    assert len(r.json()["replanned"]) == 1
    moved = app_client.get(f"{BASE}/session-plans/{plan['id']}", headers=service_headers).json()
    assert moved["status"] == "PLANNED" and moved["calendarSequence"] == 1
    new_start = datetime.fromisoformat(moved["plannedStart"])
    new_end = datetime.fromisoformat(moved["plannedEnd"])
    busy_end = start + timedelta(hours=2)
    assert new_end + timedelta(minutes=10) <= start - timedelta(minutes=30) or new_start >= busy_end
    changes = app_client.get(f"{BASE}/schedule", headers=service_headers).json()
    (shift,) = changes["recentAdaptations"]
    assert shift["type"] == "TIME_SHIFT" and shift["planId"] == plan["id"]
    assert shift["old"]["start"] == start.isoformat()  # in the learner's zone, with its offset
    assert shift["reason"]["rule"] == "calendarConflict"


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_feed_names_the_rule_and_writes_nothing(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    """An allowed address where nothing answers: 422 calendar_unusable with rule "connect",
    no URL path in the answer, and no calendar row written."""
    url = f"http://127.0.0.1:{_closed_port()}/pr1vate/cal.ics"
    r = app_client.put(
        f"{BASE}/calendar", json={"kind": "ics_url", "url": url}, headers=service_headers
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "calendar_unusable" and error["details"]["rule"] == "connect"
    assert "pr1vate" not in r.text
    assert all(n == 0 for n in _rows(db).values()), _rows(db)
