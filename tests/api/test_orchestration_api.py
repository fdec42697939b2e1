"""Study timing over HTTP against the real database and a real HTTP feed server on loopback:
calendar → slots → accept → plan → a session arrives → actuals; the secret feed; privacy."""

from __future__ import annotations

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

U = "orch-api"
BASE = f"/v1/users/{U}"
LOOPBACK = CalendarContext(policy=FetchPolicy(allowed_networks=parse_networks("127.0.0.0/8")))
SECRET_PATH = "/private/s3cr3t-calendar-token/basic.ics"


@pytest.fixture
def app_client(db: Database) -> Iterator[TestClient]:
    """The app with the operator's exception for loopback calendars (the tests' servers)."""
    app = create_app(database=db)
    app.state.calendar_context = LOOPBACK
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _learner(db: Database, *, enabled: bool = True) -> datetime:
    now = utcnow()
    with db.session() as s:
        make_schedule_learner(s, U, now, enabled=enabled)
    return now


def _count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(f'SELECT count(*) FROM "{table}" WHERE "userId" = :u'), {"u": U}
            ).scalar_one()
        )


def _busy_tomorrow_morning(feed_server: FeedServer) -> str:
    """A feed with a daily 07:00–09:00 Berlin event from tomorrow on, at a secret path."""
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    feed_server.routes[SECRET_PATH] = Route(
        body=daily_ics(tomorrow, 7, 0, 120).encode(), etag='"v1"'
    )
    return feed_server.url(SECRET_PATH)


def test_calendar_slots_accept_plan_actuals(
    db: Database,
    app_client: TestClient,
    service_headers: dict[str, str],
    feed_server: FeedServer,
) -> None:
    """The whole path: connect a feed, slots avoid its busy time, accepting plans a session from
    real items, and the session that follows is recorded as the plan's actuals."""
    _learner(db)
    url = _busy_tomorrow_morning(feed_server)
    r = app_client.put(
        f"{BASE}/calendar", json={"kind": "ics_url", "url": url}, headers=service_headers
    )
    assert r.status_code == 200, r.text
    connected = r.json()
    assert connected["status"]["kind"] == "ics_url"
    assert connected["status"]["displayHost"] == "127.0.0.1"
    assert connected["blocks"] >= 40 and connected["changed"]
    assert "s3cr3t" not in r.text
    status = app_client.get(f"{BASE}/calendar", headers=service_headers)
    assert status.status_code == 200 and "s3cr3t" not in status.text
    assert status.json()["blocksAgeMinutes"] < 1 and not status.json()["stale"]

    busy = app_client.get(f"{BASE}/calendar/busy", headers=service_headers).json()
    assert len(busy["blocks"]) >= 6 and busy["ageMinutes"] < 1
    blocks = [
        (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
        for b in busy["blocks"]
    ]

    r = app_client.get(f"{BASE}/schedule/slots", params={"days": 7}, headers=service_headers)
    assert r.status_code == 200, r.text
    answer = r.json()
    slots = answer["slots"]
    assert slots and answer["calendarConnected"] and answer["busyAgeMinutes"] < 1
    assert answer["historySessions"] == 31  # 21 mornings + 10 evenings
    for slot in slots:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert not any(s < end + timedelta(minutes=10) and start < e for s, e in blocks), slot
        assert set(slot["reasons"]) >= {"historical", "availability", "preference", "recentSuccess"}
    assert _count(db, "study_schedule_recommendations") == len(slots)
    # Asking again keeps the ids of the slots offered again (one row per slot, not per request).
    again = app_client.get(f"{BASE}/schedule/slots", params={"days": 7}, headers=service_headers)
    assert {s["id"] for s in again.json()["slots"]} == {s["id"] for s in slots}
    assert _count(db, "study_schedule_recommendations") == len(slots)

    top = slots[0]
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(milliseconds=1)
    r = app_client.post(f"{BASE}/schedule/slots/{top['id']}:accept", headers=service_headers)
    after = datetime.now(UTC).replace(tzinfo=None) + timedelta(milliseconds=1)
    assert r.status_code == 200, r.text
    accepted = r.json()
    plan = accepted["plan"]
    assert accepted["slot"]["acceptedAt"] is not None and not accepted["alreadyAccepted"]
    assert plan["slotId"] == top["id"] and plan["status"] == "PLANNED"
    assert datetime.fromisoformat(plan["plannedStart"]) == datetime.fromisoformat(top["start"])
    kinds = {it["kind"] for it in plan["items"]}
    assert "REVIEW" in kinds
    assert plan["reasons"]["contentAvailable"]["dueCards"] == 10
    # The seed's column: set by the accept route to the moment of acceptance (naive UTC), the
    # answer's acceptedAt is that stored value, and only that one row of the offer has it.
    with db.engine.connect() as conn:
        applied_rows = conn.execute(
            sa.text(
                'SELECT id, "appliedAt" FROM study_schedule_recommendations '
                'WHERE "userId" = :u AND "appliedAt" IS NOT NULL'
            ),
            {"u": U},
        ).all()
    assert [row[0] for row in applied_rows] == [top["id"]]
    applied = applied_rows[0][1]
    assert before <= applied <= after
    assert datetime.fromisoformat(accepted["slot"]["acceptedAt"]) == applied.replace(tzinfo=UTC)
    twice = app_client.post(f"{BASE}/schedule/slots/{top['id']}:accept", headers=service_headers)
    assert twice.json()["alreadyAccepted"] and twice.json()["plan"]["id"] == plan["id"]

    listed = app_client.get(f"{BASE}/session-plans", headers=service_headers).json()
    assert [p["id"] for p in listed["plans"]] == [plan["id"]]
    # A session inside busy time cannot be planned: 409 with the free minutes.
    tomorrow_7 = datetime.combine(
        datetime.now(ZONE).date() + timedelta(days=1), datetime.min.time(), tzinfo=ZONE
    ).replace(hour=7, minute=30)
    r = app_client.post(
        f"{BASE}/session-plans",
        json={"startTime": tomorrow_7.isoformat()},
        headers=service_headers,
    )
    assert r.status_code == 409, r.text
    assert r.json()["error"]["details"]["freeMinutes"] == 0

    # The learner studies at the planned time, reviewing two of the planned cards.
    planned_start = datetime.fromisoformat(plan["plannedStart"]).astimezone(UTC)
    planned_cards = [c for it in plan["items"] for c in it.get("cardIds", [])][:2]
    sid = f"{U}-followed"
    start = planned_start + timedelta(minutes=5)
    r = app_client.post(
        f"{BASE}/sessions:batch",
        json={
            "records": [
                {
                    "id": sid,
                    "startedAt": start.isoformat(),
                    "completedAt": (start + timedelta(minutes=plan["durationMinutes"])).isoformat(),
                    "durationMs": plan["durationMinutes"] * 60_000,
                }
            ]
        },
        headers=service_headers,
    )
    assert r.status_code == 200, r.text
    done = app_client.get(f"{BASE}/session-plans/{plan['id']}", headers=service_headers).json()
    assert done["status"] == "DONE" and done["sessionId"] == sid
    assert done["actuals"]["startDeltaMinutes"] == 5.0
    assert done["actuals"]["followed"] is True
    assert done["actuals"]["itemsDone"] == 0
    # Reviews of every card of the first review block arrive: that item is done.
    first_block = next(it for it in plan["items"] if it["kind"] == "REVIEW")
    r = app_client.post(
        f"{BASE}/reviews:batch",
        json={
            "records": [
                {
                    "id": f"{sid}-r{j}",
                    "cardId": card,
                    "sessionId": sid,
                    "rating": "GOOD",
                    "timeSpentMs": 12_000,
                    "reviewedAt": (start + timedelta(minutes=1 + j)).isoformat(),
                }
                for j, card in enumerate(first_block["cardIds"])
            ]
        },
        headers=service_headers,
    )
    assert r.status_code == 200, r.text
    done = app_client.get(f"{BASE}/session-plans/{plan['id']}", headers=service_headers).json()
    assert done["actuals"]["itemsDone"] >= 1
    assert done["actuals"]["itemsPlanned"] == sum(
        1 for it in plan["items"] if it.get("cardIds") or it.get("refId")
    )
    assert planned_cards  # the plan had due cards to review


def test_secret_feed_of_planned_sessions(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    """A feed token is shown once; the feed needs no bearer header; a revoked token is 404."""
    _learner(db)
    start = datetime.now(UTC) + timedelta(days=2)
    r = app_client.post(
        f"{BASE}/session-plans", json={"startTime": start.isoformat()}, headers=service_headers
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    created = app_client.post(f"{BASE}/schedule/feed-tokens", headers=service_headers)
    assert created.status_code == 201
    token = created.json()
    assert token["path"] == f"/v1/feeds/{U}/{token['token']}.ics"
    feed = app_client.get(token["path"])
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert f"UID:{plan['calendarUid']}" in feed.text
    assert "Study session" in feed.text
    listed = app_client.get(f"{BASE}/schedule/feed-tokens", headers=service_headers).json()
    assert token["token"] not in str(listed) and listed["tokens"][0]["lastUsedAt"] is not None
    wrong = app_client.get(f"/v1/feeds/{U}/twf_not-a-token.ics")
    assert wrong.status_code == 404
    revoked = app_client.delete(
        f"{BASE}/schedule/feed-tokens/{token['id']}", headers=service_headers
    )
    assert revoked.status_code == 200 and not revoked.json()["active"]
    assert app_client.get(token["path"]).status_code == 404
    # The export has the token rows but never their hashes.
    export = app_client.get(f"/v1/users/{U}/export", headers=service_headers)
    assert export.status_code == 200
    assert "tokenHash" not in export.text and token["token"] not in export.text


def test_privacy_switch_export_and_erasure_cover_the_schedule(
    db: Database,
    app_client: TestClient,
    service_headers: dict[str, str],
    feed_server: FeedServer,
) -> None:
    """Export has every new table and no secret; switching analysis off deletes what was
    derived (slots, plans, adaptations, busy blocks) and keeps the connection; erasure removes all."""
    _learner(db)
    url = _busy_tomorrow_morning(feed_server)
    assert (
        app_client.put(
            f"{BASE}/calendar", json={"kind": "ics_url", "url": url}, headers=service_headers
        ).status_code
        == 200
    )
    slots = app_client.get(f"{BASE}/schedule/slots", headers=service_headers).json()["slots"]
    app_client.post(f"{BASE}/schedule/slots/{slots[0]['id']}:accept", headers=service_headers)
    app_client.post(
        f"{BASE}/schedule:adapt",
        json={"constraint": {"kind": "NO_EVENINGS"}},
        headers=service_headers,
    )
    app_client.post(f"{BASE}/schedule/feed-tokens", headers=service_headers)
    export = app_client.get(f"/v1/users/{U}/export", headers=service_headers)
    body = export.json()
    for table in (
        "calendar_integrations",
        "calendar_sync_states",
        "calendar_busy_blocks",
        "calendar_feed_tokens",
        "schedule_preferences",
        "planned_sessions",
        "session_orchestration_plans",
        "study_schedule_recommendations",
        "schedule_adaptations",
    ):
        assert body["tables"][table], table
    assert "accessToken" not in body["tables"]["calendar_integrations"][0]
    assert "s3cr3t" not in export.text and "v1." not in export.text.replace('"v1"', "")

    r = app_client.patch(
        f"/v1/users/{U}/privacy", json={"behavioralAnalysisEnabled": False}, headers=service_headers
    )
    assert r.status_code == 200, r.text
    for table in (
        "calendar_busy_blocks",
        "planned_sessions",
        "session_orchestration_plans",
        "study_schedule_recommendations",
        "schedule_adaptations",
    ):
        assert _count(db, table) == 0, table
    assert _count(db, "calendar_integrations") == 1
    assert app_client.get(f"{BASE}/schedule/slots", headers=service_headers).status_code == 403
    # The plan route reads the learner, checks consent and locks in one statement: still 403
    # (and 404 for an unknown learner), nothing written.
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    r = app_client.post(f"{BASE}/session-plans", json={"startTime": later}, headers=service_headers)
    assert r.status_code == 403 and _count(db, "session_orchestration_plans") == 0
    r = app_client.post(
        "/v1/users/nobody-here/session-plans", json={"startTime": later}, headers=service_headers
    )
    assert r.status_code == 404 and r.json()["error"]["details"]["userId"] == "nobody-here"
    status = app_client.get(f"{BASE}/calendar", headers=service_headers).json()
    assert status["blockCount"] == 0 and status["lastSyncAt"] is None

    assert app_client.delete(f"/v1/users/{U}", headers=service_headers).status_code in (200, 204)
    for table in ("calendar_integrations", "calendar_sync_states", "calendar_feed_tokens"):
        assert _count(db, table) == 0, table
