"""The schedule routes the end-to-end tests only touch in passing, over HTTP against the real
database: effectiveness (insufficient data, then a measured difference), a declared constraint
through ``schedule:adapt`` (stored, a preference, bad input writes nothing) and removing the
calendar (every calendar row gone, slots computed without it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.services.orchestration.support import (
    MORNING_HOUR,
    ZONE,
    daily_ics,
    local,
    make_schedule_learner,
)
from twin.api.app import create_app
from twin.clock import utcnow
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

U = "orch-routes"
BASE = f"/v1/users/{U}"
CALENDAR_TABLES = ("calendar_integrations", "calendar_sync_states", "calendar_busy_blocks")


@pytest.fixture
def app_client(db: Database) -> Iterator[TestClient]:
    app = create_app(database=db)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _learner(db: Database) -> datetime:
    now = utcnow()
    with db.session() as s:
        make_schedule_learner(s, U, now)
    return now


def _count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(f'SELECT count(*) FROM "{table}" WHERE "userId" = :u'), {"u": U}
            ).scalar_one()
        )


def _accept_every_morning(db: Database, now: datetime) -> None:
    """Accepted 40-minute slots at each of the learner's 21 morning sessions (support.py), as the
    accept route stores them: a slot row whose ``appliedAt`` is set."""
    today = now.astimezone(ZONE).date()
    with db.engine.begin() as conn:
        for back in range(21, 0, -1):
            start = local(today - timedelta(days=back), MORNING_HOUR).replace(tzinfo=UTC)
            data = {
                "type": "slot",
                "kind": "STUDY",
                "rank": 1,
                "durationMinutes": 40,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=40)).isoformat(),
            }
            conn.execute(
                sa.text(
                    'INSERT INTO study_schedule_recommendations (id, "userId", '
                    '"recommendedSchedule", reasoning, "appliedAt") '
                    "VALUES (:id, :u, CAST(:data AS jsonb), 'test', :at)"
                ),
                {
                    "id": f"acc-{back}",
                    "u": U,
                    "data": json.dumps(data),
                    "at": start.replace(tzinfo=None) - timedelta(days=1),
                },
            )


def test_effectiveness_insufficient_then_measured(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    """Without accepted slots the answer is "insufficient data" with have/need, never a zero.
    With a slot at every morning session: 21 followed sessions (all reviews GOOD → 100) against
    10 evening ones (half AGAIN → 50), a difference of 50 whose Welch interval excludes 0."""
    now = _learner(db)
    r = app_client.get(f"{BASE}/schedule/effectiveness", headers=service_headers)
    assert r.status_code == 200, r.text
    none = r.json()
    assert none["days"] == 30 and none["sessions"] == 31
    assert none["adherence"]["acceptedSlots"] == 0 and none["adherence"]["startRate"] is None
    assert none["performance"] == {"requirement": "followedSessions", "have": 0, "need": 10}
    assert none["retention"]["have"] == 0

    _accept_every_morning(db, now)
    r = app_client.get(
        f"{BASE}/schedule/effectiveness", params={"days": 30}, headers=service_headers
    )
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["adherence"]["acceptedSlots"] == 21
    assert view["adherence"]["startedOnTime"] == 21 and view["adherence"]["startRate"] == 1.0
    perf = view["performance"]
    assert (perf["followedN"], perf["otherN"]) == (21, 10)
    assert perf["followedMean"] == pytest.approx(100.0)
    assert perf["otherMean"] == pytest.approx(50.0)
    assert perf["difference"] == pytest.approx(50.0)
    assert perf["ciLow"] > 0 and perf["detected"] is True
    # A one-day window holds at most one of them: too few for an interval.
    short = app_client.get(
        f"{BASE}/schedule/effectiveness", params={"days": 1}, headers=service_headers
    ).json()
    assert short["adherence"]["acceptedSlots"] <= 1
    assert "requirement" in short["performance"]
    bad = app_client.get(
        f"{BASE}/schedule/effectiveness", params={"days": "thirty"}, headers=service_headers
    )
    assert bad.status_code == 422 and "days" in bad.text


def test_declared_constraint_over_http(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    """ "No mornings" is stored as a TIMING adaptation and an AVOID preference that scores the
    morning slots 0 on preference; a malformed constraint is a 422 naming the field and writes
    nothing."""
    _learner(db)
    bad = app_client.post(
        f"{BASE}/schedule:adapt",
        json={"constraint": {"kind": "AVOID_WINDOW", "startMinute": 360}},
        headers=service_headers,
    )
    assert bad.status_code == 422, bad.text
    assert "constraint" in json.dumps(bad.json()["error"]["details"])
    unknown = app_client.post(
        f"{BASE}/schedule:adapt",
        json={"constraint": {"kind": "NO_MONDAYS"}},
        headers=service_headers,
    )
    assert unknown.status_code == 422 and "kind" in unknown.text
    assert _count(db, "schedule_adaptations") == 0
    assert _count(db, "schedule_preferences") == 0

    r = app_client.post(
        f"{BASE}/schedule:adapt",
        json={"constraint": {"kind": "NO_MORNINGS"}},
        headers=service_headers,
    )
    assert r.status_code == 200, r.text
    (record,) = r.json()["adaptations"]
    assert record["type"] == "TIMING" and record["reason"]["constraint"] == "NO_MORNINGS"
    assert _count(db, "schedule_adaptations") == 1
    with db.engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                'SELECT "adaptationType", "adaptationDetails" FROM schedule_adaptations '
                'WHERE "userId" = :u'
            ),
            {"u": U},
        ).one()
    assert stored[0] == "TIMING" and stored[1]["reason"]["constraint"] == "NO_MORNINGS"
    prefs = app_client.get(f"{BASE}/schedule/preferences", headers=service_headers).json()
    assert [w["kind"] for w in prefs["windows"]] == ["AVOID"]
    slots = app_client.get(f"{BASE}/schedule/slots", headers=service_headers).json()["slots"]
    morning = [s for s in slots if datetime.fromisoformat(s["start"]).astimezone(ZONE).hour < 12]
    assert all(s["reasons"]["preference"] == 0.0 for s in morning)
    assert all(
        s["reasons"]["preference"] > 0.0
        for s in slots
        if datetime.fromisoformat(s["start"]).astimezone(ZONE).hour >= 12
    )


def test_removing_the_calendar_deletes_its_rows(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    """DELETE …/calendar removes the connection, its sync state and every busy block (the
    answer says how many); slots are then computed without that busy time; a second DELETE is
    404."""
    _learner(db)
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    r = app_client.post(
        f"{BASE}/calendar:upload",
        content=daily_ics(tomorrow, 7, 0, 120, days=10).encode(),
        headers={**service_headers, "Content-Type": "text/calendar"},
    )
    assert r.status_code == 200, r.text
    assert all(_count(db, t) > 0 for t in CALENDAR_TABLES)
    busy_before = app_client.get(f"{BASE}/schedule/slots", headers=service_headers).json()
    assert busy_before["calendarConnected"]

    gone = app_client.delete(f"{BASE}/calendar", headers=service_headers)
    assert gone.status_code == 200, gone.text
    assert gone.json() == {
        "kind": "ics_upload",
        "blocksDeleted": 10,
        "remoteEvents": {"status": "none", "removed": 0, "error": None},
    }
    assert {t: _count(db, t) for t in CALENDAR_TABLES} == dict.fromkeys(CALENDAR_TABLES, 0)
    after = app_client.get(f"{BASE}/schedule/slots", headers=service_headers).json()
    assert not after["calendarConnected"] and after["busyAgeMinutes"] is None
    assert app_client.get(f"{BASE}/calendar/busy", headers=service_headers).json()["blocks"] == []
    again = app_client.delete(f"{BASE}/calendar", headers=service_headers)
    assert again.status_code == 404


def test_plan_at_a_slot_for_a_mission(
    db: Database, app_client: TestClient, service_headers: dict[str, str]
) -> None:
    """``POST …/session-plans {slotId, missionId}`` accepts the slot (its ``appliedAt``) and plans
    the mission's objectives there (the mission's recommended start is the slot's); exactly one
    anchor is required; an unknown mission is a 404 and writes nothing."""
    _learner(db)
    slots = app_client.get(f"{BASE}/schedule/slots", headers=service_headers).json()["slots"]
    top = slots[0]
    for body in ({}, {"slotId": top["id"], "startTime": top["start"]}):
        r = app_client.post(f"{BASE}/session-plans", json=body, headers=service_headers)
        assert r.status_code == 422 and "startTime" in r.text, r.text
    r = app_client.post(
        f"{BASE}/session-plans",
        json={"slotId": top["id"], "missionId": "no-such-mission"},
        headers=service_headers,
    )
    assert r.status_code == 404, r.text
    assert _count(db, "session_orchestration_plans") == 0
    assert _count(db, "planned_sessions") == 0

    r = app_client.post(
        f"{BASE}/session-plans",
        json={"slotId": top["id"], "missionId": f"{U}-m"},
        headers=service_headers,
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["slotId"] == top["id"] and plan["missionId"] == f"{U}-m"
    assert datetime.fromisoformat(plan["plannedStart"]) == datetime.fromisoformat(top["start"])
    objectives = {it["refId"] for it in plan["items"] if it["kind"] == "OBJECTIVE"}
    assert objectives and objectives <= {f"{U}-oA", f"{U}-oB"}
    with db.engine.connect() as conn:
        applied = conn.execute(
            sa.text('SELECT "appliedAt" FROM study_schedule_recommendations WHERE id = :i'),
            {"i": top["id"]},
        ).scalar_one()
        mission_start = conn.execute(
            sa.text('SELECT "recommendedStartTime" FROM missions WHERE id = :m'),
            {"m": f"{U}-m"},
        ).scalar_one()
    assert applied is not None
    assert mission_start.replace(tzinfo=UTC) == datetime.fromisoformat(top["start"])
