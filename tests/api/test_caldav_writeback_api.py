"""CalDAV over HTTP against a real Radicale on loopback: busy time read from the account, planned
sessions written to a study calendar, moved and removed as plans change; secrets never shown
or logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from caldav.davclient import DAVClient
from fastapi.testclient import TestClient

from tests.calendar_servers import CalDavTestAccount, FeedServer, Route, start_radicale
from tests.services.orchestration.support import ZONE, daily_ics, make_schedule_learner
from twin.api.app import create_app
from twin.clock import utcnow
from twin.db.engine import Database
from twin.ingest.calendars.caldav_source import STUDY_CALENDAR_ID
from twin.ingest.calendars.fetch import FetchPolicy, parse_networks
from twin.services.orchestration.common import QUIET_LOGGERS, CalendarContext

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

U = "orch-dav"
BASE = f"/v1/users/{U}"
LOOPBACK = CalendarContext(policy=FetchPolicy(allowed_networks=parse_networks("127.0.0.0/8")))


@pytest.fixture
def app_client(db: Database) -> Iterator[TestClient]:
    app = create_app(database=db)
    app.state.calendar_context = LOOPBACK
    with TestClient(app, raise_server_exceptions=False) as c:
        with db.session() as s:
            make_schedule_learner(s, U, utcnow(), history=False)
        yield c


def _event_ics(uid: str, start: datetime, end: datetime, summary: str) -> str:
    """One VEVENT in UTC, as a calendar program would store it."""
    return (
        f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:{uid}\n"
        "DTSTAMP:20250101T000000Z\n"
        f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\n"
        f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}\n"
        f"SUMMARY:{summary}\nEND:VEVENT\nEND:VCALENDAR\n"
    )


def _dav(account: CalDavTestAccount) -> DAVClient:
    return DAVClient(url=account.url, username=account.username, password=account.password)


def _meeting_tomorrow(account: CalDavTestAccount) -> datetime:
    """A 10:00–12:00 Berlin meeting tomorrow in the account's 'work' calendar; its start."""
    start = _tomorrow_at(10)
    ics = _event_ics("meeting@t", start, start + timedelta(hours=2), "Ward round")
    with _dav(account) as c:
        c.principal().make_calendar(name="Work", cal_id="work").save_event(ical=ics)  # type: ignore[no-untyped-call]
    return start


def _add_work_event(account: CalDavTestAccount, uid: str, start: datetime, end: datetime) -> None:
    """Another busy event in the account's existing 'work' calendar."""
    ics = _event_ics(uid, start, end, "Extra clinic")
    with _dav(account) as c:
        c.principal().calendar(cal_id="work").save_event(ical=ics)  # type: ignore[no-untyped-call]


def _study_calendar(client: DAVClient) -> Any:
    """The study calendar the engine writes into, or None."""
    for cal in client.principal().calendars():  # type: ignore[no-untyped-call]
        if str(cal.url).rstrip("/").endswith(STUDY_CALENDAR_ID):
            return cal
    return None


def _study_events(account: CalDavTestAccount) -> dict[str, tuple[datetime, datetime]]:
    with _dav(account) as c:
        cal = _study_calendar(c)
        if cal is None:
            return {}
        return {
            str(v.get("UID")): (v.start, v.end)
            for obj in cal.events()
            for v in obj.icalendar_instance.walk("VEVENT")
        }


def _connect(
    client: TestClient,
    headers: dict[str, str],
    account: CalDavTestAccount,
    *,
    password: str | None = None,
    write_back: bool = False,
) -> Any:
    """PUT the CalDAV account as the learner's calendar (the account's password unless given)."""
    body: dict[str, object] = {
        "kind": "caldav",
        "url": account.url,
        "username": account.username,
        "password": account.password if password is None else password,
    }
    if write_back:
        body["writeBack"] = True
    return client.put(f"{BASE}/calendar", json=body, headers=headers)


def _rows(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(f'SELECT count(*) FROM {table} WHERE "userId" = :u'), {"u": U}
            ).scalar_one()
        )


def _tomorrow_at(hour: int, days: int = 1) -> datetime:
    day = datetime.now(ZONE).date() + timedelta(days=days)
    return datetime.combine(day, datetime.min.time(), tzinfo=ZONE).replace(hour=hour)


def test_caldav_busy_and_write_back(
    db: Database,
    app_client: TestClient,
    service_headers: dict[str, str],
    caldav_account: CalDavTestAccount,
) -> None:
    meeting = _meeting_tomorrow(caldav_account)
    r = _connect(app_client, service_headers, caldav_account, write_back=True)
    assert r.status_code == 200, r.text
    assert r.json()["status"]["writeBack"] and r.json()["blocks"] == 1
    assert caldav_account.password not in r.text
    with db.engine.connect() as conn:
        sealed = conn.execute(
            sa.text('SELECT "accessToken" FROM calendar_integrations WHERE "userId" = :u'),
            {"u": U},
        ).scalar_one()
    assert sealed.startswith("v1.") and caldav_account.password not in sealed

    busy = app_client.get(f"{BASE}/calendar/busy", headers=service_headers).json()["blocks"]
    assert [datetime.fromisoformat(b["start"]) for b in busy] == [meeting]

    start = meeting + timedelta(days=1, hours=4)
    plan = app_client.post(
        f"{BASE}/session-plans", json={"startTime": start.isoformat()}, headers=service_headers
    ).json()
    events = _study_events(caldav_account)
    assert set(events) == {plan["calendarUid"]}
    assert events[plan["calendarUid"]][0] == start
    status = app_client.get(f"{BASE}/calendar", headers=service_headers).json()
    assert status["writeBackAt"] is not None and status["writeBackError"] is None
    # The study calendar is not read back as busy time.
    app_client.post(f"{BASE}/calendar:sync", headers=service_headers)
    busy = app_client.get(
        f"{BASE}/calendar/busy",
        params={"from": meeting.isoformat(), "to": (meeting + timedelta(days=3)).isoformat()},
        headers=service_headers,
    ).json()["blocks"]
    assert len(busy) == 1

    # A new meeting over the planned session: the sync re-plans it and the study event moves.
    _add_work_event(
        caldav_account, "clash@t", start - timedelta(minutes=30), start + timedelta(hours=2)
    )
    r = app_client.post(f"{BASE}/calendar:sync", headers=service_headers)
    assert r.status_code == 200, r.text
    assert len(r.json()["replanned"]) == 1  # the ids of the TIME_SHIFT adaptations
    moved = app_client.get(f"{BASE}/session-plans/{plan['id']}", headers=service_headers).json()
    new_start = datetime.fromisoformat(moved["plannedStart"])
    assert new_start != start and moved["calendarSequence"] == 1
    events = _study_events(caldav_account)
    assert set(events) == {plan["calendarUid"]}
    assert events[plan["calendarUid"]] == (new_start, datetime.fromisoformat(moved["plannedEnd"]))

    r = app_client.delete(f"{BASE}/session-plans/{plan['id']}", headers=service_headers)
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED"
    assert _study_events(caldav_account) == {}
    again = app_client.delete(f"{BASE}/session-plans/{plan['id']}", headers=service_headers)
    assert again.status_code == 409


def test_wrong_app_password_is_refused_and_nothing_is_written(
    db: Database,
    app_client: TestClient,
    service_headers: dict[str, str],
    caldav_account: CalDavTestAccount,
) -> None:
    r = _connect(app_client, service_headers, caldav_account, password="not-the-password")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "calendar_unusable"
    assert r.json()["error"]["details"]["rule"] == "auth"
    assert "not-the-password" not in r.text
    assert _rows(db, "calendar_integrations") == 0


def test_secrets_never_reach_the_logs(
    app_client: TestClient,
    service_headers: dict[str, str],
    feed_server: FeedServer,
    caldav_account: CalDavTestAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At DEBUG, a connect, a failing sync and a CalDAV connect log no URL path or password."""
    caplog.set_level(logging.DEBUG)
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    path = "/feeds/pr1vate-addr3ss/basic.ics"
    feed_server.routes[path] = Route(body=daily_ics(tomorrow, 9, 0, 60).encode())
    app_client.put(
        f"{BASE}/calendar",
        json={"kind": "ics_url", "url": feed_server.url(path)},
        headers=service_headers,
    )
    feed_server.routes[path] = Route(status=503)
    app_client.post(f"{BASE}/calendar:sync", headers=service_headers)
    _connect(app_client, service_headers, caldav_account)
    # The libraries that would log a URL's path stay at WARNING whatever the engine's level.
    assert all(logging.getLogger(n).getEffectiveLevel() >= logging.WARNING for n in QUIET_LOGGERS)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "pr1vate-addr3ss" not in text
    assert caldav_account.password not in text


def _connect_with_write_back(
    client: TestClient, headers: dict[str, str], account: CalDavTestAccount
) -> None:
    r = _connect(client, headers, account, write_back=True)
    assert r.status_code == 200, r.text


def _plan_at(client: TestClient, headers: dict[str, str], start: datetime) -> str:
    r = client.post(f"{BASE}/session-plans", json={"startTime": start.isoformat()}, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["calendarUid"])


def test_disconnect_removes_the_study_events_it_wrote(
    db: Database,
    app_client: TestClient,
    service_headers: dict[str, str],
    caldav_account: CalDavTestAccount,
) -> None:
    _connect_with_write_back(app_client, service_headers, caldav_account)
    uids = {
        _plan_at(app_client, service_headers, _tomorrow_at(9)),
        _plan_at(app_client, service_headers, _tomorrow_at(15, days=2)),
    }
    assert set(_study_events(caldav_account)) == uids
    # An event the learner put into the study calendar themselves is not the engine's.
    own_start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    own = _event_ics("own-note@t", own_start, own_start + timedelta(hours=1), "My own reminder")
    with _dav(caldav_account) as c:
        _study_calendar(c).save_event(ical=own)

    r = app_client.delete(f"{BASE}/calendar", headers=service_headers)
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "caldav"
    assert r.json()["remoteEvents"] == {"status": "removed", "removed": 2, "error": None}
    assert set(_study_events(caldav_account)) == {"own-note@t"}
    assert caldav_account.password not in r.text
    assert _rows(db, "calendar_integrations") == 0
    assert app_client.get(f"{BASE}/calendar", headers=service_headers).status_code == 404


def test_disconnect_succeeds_and_says_so_when_the_server_is_gone(
    db: Database,
    app_client: TestClient,
    service_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    server = start_radicale(tmp_path)
    try:
        server.add_user("gone", "pw-gone-123")
        account = CalDavTestAccount(server.url, "gone", "pw-gone-123")
        _connect_with_write_back(app_client, service_headers, account)
        uid = _plan_at(app_client, service_headers, _tomorrow_at(9))
        assert set(_study_events(account)) == {uid}
    finally:
        server.stop()
    r = app_client.delete(f"{BASE}/calendar", headers=service_headers)
    assert r.status_code == 200, r.text
    remote = r.json()["remoteEvents"]
    assert remote["status"] == "failed" and remote["removed"] == 0
    assert remote["error"]["rule"] == "connect" and "reached" in remote["error"]["message"]
    assert "pw-gone-123" not in r.text
    assert _rows(db, "calendar_sync_states") == 0


def test_disconnect_without_write_back_never_touches_the_server(
    app_client: TestClient,
    service_headers: dict[str, str],
    caldav_account: CalDavTestAccount,
) -> None:
    r = _connect(app_client, service_headers, caldav_account)
    assert r.status_code == 200, r.text
    r = app_client.delete(f"{BASE}/calendar", headers=service_headers)
    assert r.status_code == 200, r.text
    assert r.json()["remoteEvents"] == {"status": "none", "removed": 0, "error": None}
