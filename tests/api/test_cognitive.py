"""The cognitive-load API: every route's codes and shapes, 422 naming fields, 403 privacy, empty learners."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PgServer
from tests.services.cognitive.support import add_loaded_days, add_metric, make_learner
from twin.api import app as app_module
from twin.api.routers import cognitive as cognitive_router
from twin.clock import utcnow
from twin.db.engine import Database, create_db_engine
from twin.services import auth

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

GET_ROUTES = (
    "cognitive-load/current",
    "cognitive-load/history",
    "burnout-risk",
    "stress-patterns",
    "stress-profile",
    "difficulty-adjustment",
    "load-performance",
)
BODY: dict[str, Any] = {
    "responseLatencies": [9000, 11000, 12000, 15000, 14000, 16000],
    "errors": 3,
    "pauses": [120_000, 240_000],
    "performanceScores": [90, 80, 50, 40],
    "durationMinutes": 70,
    "baselineLatencyMs": 6000,
}


@pytest.fixture(scope="module")
def db(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    """One migrated database for the module: every test works on a learner of its own."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    yield database
    database.close()
    pg_server.drop_database(name)


@pytest.fixture(scope="module")
def client(db: Database) -> Iterator[TestClient]:
    """The app as served (the cognitive router is mounted under /v1)."""
    assert cognitive_router.router in app_module.V1_ROUTERS
    app = app_module.create_app(database=db)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def headers(db: Database) -> dict[str, str]:
    """A service key's headers."""
    with db.session() as session:
        _row, key = auth.create_api_key(session, "cognitive-tests")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def learner(db: Database, request: pytest.FixtureRequest) -> str:
    """A learner (Europe/Berlin) unique to the test."""
    uid = "u-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[-60:]
    with db.session() as s:
        make_learner(s, uid, timezone="Europe/Berlin")
    return uid


def _fields(response: Any) -> set[str]:
    return {d["field"].split(".")[-1] for d in response.json()["error"]["details"]}


def test_calculate_stores_unless_dry_run(
    client: TestClient, headers: dict[str, str], learner: str
) -> None:
    dry = client.post(
        f"/v1/users/{learner}/cognitive-load:calculate",
        json={**BODY, "dryRun": True},
        headers=headers,
    )
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["stored"] is False and body["metricId"] is None
    assert set(body["subScores"]) == {"latency", "errors", "engagement", "decline", "duration"}
    assert body["level"] in {"HIGH", "CRITICAL"} and body["overloaded"] is True
    assert body["evidence"]["pauseCount"] == 2
    current = client.get(f"/v1/users/{learner}/cognitive-load/current", headers=headers)
    assert current.json()["current"] is None
    stored = client.post(
        f"/v1/users/{learner}/cognitive-load:calculate", json=BODY, headers=headers
    ).json()
    assert stored["stored"] is True and stored["overloadIndicatorId"] is not None
    assert stored["loadScore"] == body["loadScore"]
    current = client.get(f"/v1/users/{learner}/cognitive-load/current", headers=headers).json()
    assert current["current"]["metricId"] == stored["metricId"]
    assert current["current"]["level"] == stored["level"]
    assert current["trend"]["direction"] == "NEW"


def test_calculate_with_correctness_and_a_learner_token(
    client: TestClient,
    learner: str,
    learner_headers: Callable[..., dict[str, str]],
) -> None:
    body = {
        "responseLatencies": [5000, 5000, 5000, 5000, 5000],
        "correctness": [True, True, True, True, False],
        "durationMinutes": 10,
        "sessionId": "s-explicit",
        "timestamp": "2026-03-02T10:00:00+01:00",
    }
    r = client.post(
        f"/v1/users/{learner}/cognitive-load:calculate", json=body, headers=learner_headers(learner)
    )
    assert r.status_code == 200, r.text
    assert r.json()["sessionId"] == "s-explicit"
    assert r.json()["timestamp"] == "2026-03-02T09:00:00.000Z"
    assert r.json()["evidence"]["errors"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"responseLatencies": [1000, -5]}, "responseLatencies"),
        ({"responseLatencies": []}, "responseLatencies"),
        ({"performanceScores": [50, 101]}, "performanceScores"),
        ({"pauses": [-1]}, "pauses"),
        ({"durationMinutes": -1}, "durationMinutes"),
        ({"durationMinutes": None}, "durationMinutes"),
        ({"errors": 7}, "errors"),
        ({"errors": None}, "errors"),
        ({"correctness": [True] * 6}, "correctness"),
        ({"errors": None, "correctness": [True, False]}, "correctness"),
        ({"timestamp": "2026-03-02T10:00:00"}, "timestamp"),
        ({"activeMinutes": 80}, "activeMinutes"),
        ({"pauses": [3_000_000, 3_000_000]}, "pauses"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_calculate_rejects_bad_values_naming_the_field(
    client: TestClient, headers: dict[str, str], learner: str, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**BODY, **change}.items() if v is not None}
    r = client.post(f"/v1/users/{learner}/cognitive-load:calculate", json=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_failed"
    assert field in _fields(r), r.json()
    assert field in r.json()["error"]["message"]
    current = client.get(f"/v1/users/{learner}/cognitive-load/current", headers=headers)
    assert current.json()["current"] is None  # nothing written


@pytest.mark.parametrize("route", GET_ROUTES)
def test_every_route_answers_an_empty_learner(
    client: TestClient, headers: dict[str, str], learner: str, route: str
) -> None:
    r = client.get(f"/v1/users/{learner}/{route}", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    if route == "cognitive-load/history":
        assert body["buckets"] == [] and body["readings"] == 0
    elif route == "burnout-risk":
        assert body["assessmentId"] is None and body["level"] == "LOW"
        assert body["window"]["insufficient"] == {"days": {"have": 0, "need": 7}}
    else:
        assert body["insufficient"] is not None, body


@pytest.mark.parametrize("route", [*GET_ROUTES, "cognitive-load:calculate"])
def test_every_route_answers_403_when_analysis_is_off(
    client: TestClient, headers: dict[str, str], db: Database, route: str
) -> None:
    private = "private-" + re.sub(r"[^a-z]+", "-", route)
    with db.session() as s:
        make_learner(s, private, enabled=False)
    if route.endswith(":calculate"):
        r = client.post(f"/v1/users/{private}/{route}", json=BODY, headers=headers)
    else:
        r = client.get(f"/v1/users/{private}/{route}", headers=headers)
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "forbidden"
    assert "behavioralAnalysisEnabled" in error["message"]


@pytest.mark.parametrize("route", GET_ROUTES)
def test_unknown_learner_is_404(client: TestClient, headers: dict[str, str], route: str) -> None:
    r = client.get(f"/v1/users/nobody/{route}", headers=headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_another_learners_token_is_refused(
    client: TestClient, learner: str, learner_headers: Callable[..., dict[str, str]]
) -> None:
    r = client.get(f"/v1/users/{learner}/burnout-risk", headers=learner_headers("someone-else"))
    assert r.status_code == 403


def test_history_buckets_in_the_learners_zone(
    client: TestClient, headers: dict[str, str], learner: str, db: Database
) -> None:
    """Berlin is UTC+1 in February: 23:30 UTC on 02-01 is 00:30 on 02-02 locally."""
    with db.session() as s:
        add_metric(s, learner, None, datetime(2026, 2, 1, 22, 0), 20.0)
        add_metric(s, learner, None, datetime(2026, 2, 1, 23, 30), 40.0)
        add_metric(s, learner, None, datetime(2026, 2, 2, 12, 0), 60.0)
    params = {"from": "2026-01-31T00:00:00Z", "to": "2026-02-10T00:00:00Z"}
    day = client.get(
        f"/v1/users/{learner}/cognitive-load/history", params=params, headers=headers
    ).json()
    assert day["granularity"] == "day" and day["timezone"] == "Europe/Berlin"
    assert day["from"] == "2026-01-31T00:00:00.000Z" and day["readings"] == 3
    # Starts are instants in UTC with a Z (local midnight in Berlin is 23:00 UTC the day
    # before); localStart is the learner's clock.
    assert [(b["start"], b["localStart"], b["count"], b["meanLoad"]) for b in day["buckets"]] == [
        ("2026-01-31T23:00:00.000Z", "2026-02-01T00:00:00", 1, 20.0),
        ("2026-02-01T23:00:00.000Z", "2026-02-02T00:00:00", 2, 50.0),
    ]
    week = client.get(
        f"/v1/users/{learner}/cognitive-load/history",
        params={**params, "granularity": "week"},
        headers=headers,
    ).json()
    assert [(b["localStart"], b["count"]) for b in week["buckets"]] == [
        ("2026-01-26T00:00:00", 1),
        ("2026-02-02T00:00:00", 2),
    ]
    hour = client.get(
        f"/v1/users/{learner}/cognitive-load/history",
        params={**params, "granularity": "hour"},
        headers=headers,
    ).json()
    assert len(hour["buckets"]) == 3 and hour["buckets"][1]["start"] == "2026-02-01T23:00:00.000Z"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"granularity": "month"}, "granularity"),
        ({"from": "2026-02-10T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, "from"),
        (
            {"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z", "granularity": "hour"},
            "from",
        ),
        ({"from": "2026-02-01T00:00:00"}, "from"),
        ({"to": "yesterday"}, "to"),
    ],
)
def test_history_rejects_bad_parameters(
    client: TestClient, headers: dict[str, str], learner: str, params: dict[str, str], field: str
) -> None:
    r = client.get(f"/v1/users/{learner}/cognitive-load/history", params=params, headers=headers)
    assert r.status_code == 422, r.text
    assert field in _fields(r)


def test_burnout_risk_of_an_overloaded_learner(
    client: TestClient, headers: dict[str, str], learner: str, db: Database
) -> None:
    """Two weeks of long overloaded days up to yesterday: HIGH+, override, stored once."""
    first = datetime.combine((utcnow() - timedelta(days=14)).date(), datetime.min.time())
    with db.session() as s:
        add_loaded_days(
            s,
            learner,
            first,
            14,
            load=80.0,
            minutes=240,
            performance=[90 - 5 * i for i in range(14)],
        )
    r = client.get(f"/v1/users/{learner}/burnout-risk", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["level"] in {"HIGH", "CRITICAL"} and body["fresh"] is True
    assert body["missionOverride"]["newContent"] is False
    assert len(body["contributingFactors"]) == 6 and body["warningSignals"]
    assert body["recommendations"] and body["recovery"] is None
    again = client.get(f"/v1/users/{learner}/burnout-risk", headers=headers).json()
    assert again["assessmentId"] == body["assessmentId"] and again["fresh"] is False


def test_stress_profile_patterns_difficulty_and_load_performance(
    client: TestClient, headers: dict[str, str], learner: str, db: Database
) -> None:
    """40 sessions over 40 days, loads rising with the day and performance an inverted U."""
    first = datetime.combine((utcnow() - timedelta(days=41)).date(), datetime.min.time())
    with db.session() as s:
        for i in range(40):
            load = 20.0 + 1.5 * i
            perf = 90.0 - abs(load - 50.0)
            add_loaded_days(
                s,
                learner,
                first + timedelta(days=i),
                1,
                load=load,
                minutes=40,
                performance=[perf],
                prefix=f"x{i}-",
            )
    profile = client.get(f"/v1/users/{learner}/stress-profile", headers=headers)
    assert profile.status_code == 200, profile.text
    p = profile.json()
    assert p["sessions"] == 40 and p["loadTolerance"] is not None and p["insufficient"] is None
    assert p["meanLoad7d"] is not None and p["analyzedAt"] is not None
    patterns = client.get(
        f"/v1/users/{learner}/stress-patterns", params={"minConfidence": 0.9}, headers=headers
    ).json()
    assert patterns["sessions"] == 40 and patterns["minConfidence"] == 0.9
    assert all(x["confidence"] >= 0.9 for x in patterns["patterns"])
    bad = client.get(
        f"/v1/users/{learner}/stress-patterns", params={"minConfidence": 1.5}, headers=headers
    )
    assert bad.status_code == 422 and "minConfidence" in _fields(bad)
    difficulty = client.get(f"/v1/users/{learner}/difficulty-adjustment", headers=headers).json()
    assert difficulty["basedOn"]["loadScore"] == pytest.approx(78.5)
    assert (
        difficulty["adjustment"]["action"] == "EASIER" and difficulty["adjustment"]["change"] == -1
    )
    capped = client.get(
        f"/v1/users/{learner}/difficulty-adjustment",
        params={"appliedThisSession": -2},
        headers=headers,
    ).json()
    assert capped["adjustment"]["change"] == 0 and capped["adjustment"]["capped"] is True
    too_far = client.get(
        f"/v1/users/{learner}/difficulty-adjustment",
        params={"appliedThisSession": 3},
        headers=headers,
    )
    assert too_far.status_code == 422 and "appliedThisSession" in _fields(too_far)
    lp = client.get(f"/v1/users/{learner}/load-performance", headers=headers).json()
    assert lp["sessions"] == 40 and lp["insufficient"] is None
    assert lp["pearsonR"] is not None and lp["bestBand"]["low"] == 40.0
    assert lp["invertedU"] is True


def test_openapi_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/users/{userId}/cognitive-load:calculate" in paths
    for route in GET_ROUTES:
        assert f"/v1/users/{{userId}}/{route}" in paths


def test_current_load_as_of_and_its_trend_in_words(
    client: TestClient, headers: dict[str, str], learner: str, db: Database
) -> None:
    """asOf hides later readings; a first reading says it has nothing to compare with."""
    with db.session() as s:
        add_metric(s, learner, None, datetime(2026, 2, 1, 9, 0), 30.0)
        add_metric(s, learner, None, datetime(2026, 2, 2, 9, 0), 45.5)
        add_metric(s, learner, None, datetime(2026, 2, 3, 9, 0), 44.0)
    url = f"/v1/users/{learner}/cognitive-load/current"
    latest = client.get(url, headers=headers).json()
    assert latest["current"]["loadScore"] == 44.0 and latest["previous"]["loadScore"] == 45.5
    assert latest["trend"]["direction"] == "STABLE"  # -1.5 points: within the 5-point band
    assert latest["trend"]["explanation"].startswith("within 5 points")
    then = client.get(url, params={"asOf": "2026-02-02T12:00:00Z"}, headers=headers).json()
    assert then["current"]["timestamp"] == "2026-02-02T09:00:00.000Z"
    assert then["trend"] == {
        "current": 45.5,
        "previous": 30.0,
        "delta": 15.5,  # 45.5 - 30.0
        "direction": "INCREASING",
        "explanation": "up 15.5 points since the previous reading",
    }
    first = client.get(url, params={"asOf": "2026-02-01T09:30:00Z"}, headers=headers).json()
    assert first["previous"] is None and first["trend"]["previous"] is None
    assert first["trend"]["direction"] == "NEW"
    assert first["trend"]["explanation"].startswith("first reading")
    none = client.get(url, params={"asOf": "2026-01-01T00:00:00Z"}, headers=headers).json()
    assert none["current"] is None and none["insufficient"] == {
        "loadReadings": {"have": 0, "need": 1}
    }
    future = (utcnow() + timedelta(days=1)).isoformat() + "Z"
    r = client.get(url, params={"asOf": future}, headers=headers)
    assert r.status_code == 200 and r.json() == latest  # a later asOf than now is read as now
