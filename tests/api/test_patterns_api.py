"""The twin's HTTP routes: analysis, patterns, insights, profile, heatmap, deletion."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import twin.api.app as app_module
from tests.services.patterns_support import cohort_db as db
from tests.services.patterns_support import (
    cohort_module_db,
    learner,
    scalar,
)
from twin.api.routers import patterns as patterns_router
from twin.db.engine import Database

__all__ = ["cohort_module_db", "db"]  # fixtures: this module's `db` is the cohort

# L0: the cohort learner with patterns and insights at END (learner 1: a 20:00 chronotype).
L0, L1 = learner(1), learner(0)
Headers = dict[str, str]


def test_the_router_is_mounted() -> None:
    assert patterns_router.router in app_module.V1_ROUTERS


@pytest.fixture
def analysed(client: TestClient, service_headers: Headers) -> Iterator[dict[str, Any]]:
    """L0 analysed once through the API."""
    response = client.post(f"/v1/users/{L0}/patterns:analyze", headers=service_headers)
    assert response.status_code == 200, response.text
    yield response.json()


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code
    return body


def test_analyze_then_limit_and_force(
    client: TestClient,
    service_headers: Headers,
    learner_headers: Callable[..., Headers],
    analysed: dict[str, Any],
) -> None:
    assert analysed["status"] == "analyzed" and analysed["userId"] == L0
    assert analysed["patterns"]["created"] > 0 and analysed["insightsCreated"]
    assert analysed["sufficiency"]["sufficient"] is True
    assert analysed["memoryModel"]["fitted"] is True and analysed["forceIgnored"] is False
    assert 0 < analysed["dataQualityScore"] <= 1
    again = client.post(f"/v1/users/{L0}/patterns:analyze", headers=service_headers)
    body = _error(again, 409, "conflict")
    assert "once a day" in body["message"] and body["details"]["nextAllowedAt"]
    own = learner_headers(L0)
    ignored = client.post(f"/v1/users/{L0}/patterns:analyze", json={"force": True}, headers=own)
    _error(ignored, 409, "conflict")  # force from a learner token is not honoured
    forced = client.post(
        f"/v1/users/{L0}/patterns:analyze", json={"force": True}, headers=service_headers
    )
    assert forced.status_code == 200 and forced.json()["patterns"]["updated"] > 0
    bad = client.post(
        f"/v1/users/{L0}/patterns:analyze", json={"force": "maybe"}, headers=service_headers
    )
    assert _error(bad, 422, "validation_failed")["details"][0]["field"] == "force"


def test_patterns_are_listed_by_confidence_with_filters(
    client: TestClient, service_headers: Headers, analysed: dict[str, Any]
) -> None:
    listed = client.get(f"/v1/users/{L0}/patterns", headers=service_headers)
    assert listed.status_code == 200
    patterns = listed.json()["patterns"]
    assert len(patterns) == analysed["patterns"]["created"]
    order = [(-p["confidence"], p["lastSeenAt"]) for p in patterns]
    assert [o[0] for o in order] == sorted(o[0] for o in order)
    first = patterns[0]
    assert {"id", "patternType", "key", "name", "confidence", "evidence", "data"} <= set(first)
    assert first["evidence"] and first["key"] and "key" not in first["data"]
    kind = first["patternType"]
    only = client.get(
        f"/v1/users/{L0}/patterns", params={"type": kind, "limit": 1}, headers=service_headers
    ).json()["patterns"]
    assert len(only) == 1 and only[0]["patternType"] == kind
    none = client.get(
        f"/v1/users/{L0}/patterns", params={"minConfidence": 0.99}, headers=service_headers
    )
    assert none.json()["patterns"] == []
    for params, field in (
        ({"type": "SOMETHING"}, "query.type"),
        ({"minConfidence": 2}, "query.minConfidence"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
    ):
        bad = client.get(f"/v1/users/{L0}/patterns", params=params, headers=service_headers)
        assert _error(bad, 422, "validation_failed")["details"][0]["field"] == field


def test_insights_and_acknowledgement(
    client: TestClient, service_headers: Headers, analysed: dict[str, Any]
) -> None:
    listed = client.get(f"/v1/users/{L0}/insights", headers=service_headers)
    assert listed.status_code == 200
    insights = listed.json()["insights"]
    assert {i["id"] for i in insights} == set(analysed["insightsCreated"])
    first = insights[0]
    assert (
        first["patterns"] and first["actionableRecommendation"] and first["acknowledgedAt"] is None
    )
    url = f"/v1/users/{L0}/insights/{first['id']}:acknowledge"
    done = client.post(url, json={"applied": True}, headers=service_headers)
    assert done.status_code == 200, done.text
    assert done.json()["applied"] is True and done.json()["acknowledgedAt"]
    assert done.json()["patterns"] == first["patterns"]
    remaining = client.get(f"/v1/users/{L0}/insights", headers=service_headers).json()["insights"]
    assert first["id"] not in {i["id"] for i in remaining}
    again = client.post(url, headers=service_headers)  # no body: keeps "applied"
    assert again.status_code == 200 and again.json()["applied"] is True
    missing = client.post(f"/v1/users/{L0}/insights/nope:acknowledge", headers=service_headers)
    _error(missing, 404, "not_found")
    other = client.post(
        f"/v1/users/{L1}/insights/{first['id']}:acknowledge", headers=service_headers
    )
    _error(other, 404, "not_found")
    bad = client.post(url, json={"applied": "yes please"}, headers=service_headers)
    assert _error(bad, 422, "validation_failed")["details"][0]["field"] == "applied"


def test_learning_profile_before_and_after(
    client: TestClient, service_headers: Headers, db: Database
) -> None:
    before = client.get(f"/v1/users/{L0}/learning-profile", headers=service_headers)
    assert before.status_code == 200
    assert before.json()["status"] == "not_analyzed"
    assert before.json()["sufficiency"]["sufficient"] is True
    client.put("/v1/users/newbie", json={"timezone": "Europe/Berlin"}, headers=service_headers)
    empty = client.get("/v1/users/newbie/learning-profile", headers=service_headers).json()
    assert empty["status"] == "insufficient_data"
    assert empty["sufficiency"]["missing"]["sessions"] == {"have": 0, "need": 20}
    assert empty["sufficiency"]["progress"] == 0
    client.post(f"/v1/users/{L0}/patterns:analyze", headers=service_headers)
    after = client.get(f"/v1/users/{L0}/learning-profile", headers=service_headers).json()
    assert after["status"] == "analyzed" and after["lastAnalyzedAt"]
    assert after["dataQualityScore"] == pytest.approx(
        scalar(
            db, 'SELECT "dataQualityScore" FROM user_learning_profiles WHERE "userId" = :u', u=L0
        )
    )
    assert after["optimalSessionDuration"] > 0 and after["personalizedForgettingCurve"]["k"] > 0
    assert after["learningStyleProfilingEnabled"] is True


def test_study_time_heatmap(client: TestClient, service_headers: Headers) -> None:
    response = client.get(
        f"/v1/users/{L0}/study-time-heatmap", params={"weeks": 52}, headers=service_headers
    )
    assert response.status_code == 200, response.text
    heat = response.json()
    assert len(heat["meanPerformance"]) == 7 and all(len(r) == 24 for r in heat["meanPerformance"])
    assert len(heat["sessionCounts"]) == 7 and all(len(r) == 24 for r in heat["sessionCounts"])
    assert sum(map(sum, heat["sessionCounts"])) == heat["sessions"] > 20
    assert heat["weekdays"][0] == "Mon" and heat["hours"] == list(range(24))
    for window in heat["optimalWindows"]:
        assert 0 <= window["hour"] < 24 and 0 < window["confidence"] <= 1
    default = client.get(f"/v1/users/{L0}/study-time-heatmap", headers=service_headers).json()
    assert default["weeks"] == 6
    for weeks in (0, 53, "x"):
        bad = client.get(
            f"/v1/users/{L0}/study-time-heatmap", params={"weeks": weeks}, headers=service_headers
        )
        assert _error(bad, 422, "validation_failed")["details"][0]["field"] == "query.weeks"


def test_delete_patterns_forgets_the_twin(
    client: TestClient, service_headers: Headers, analysed: dict[str, Any], db: Database
) -> None:
    response = client.delete(f"/v1/users/{L0}/patterns", headers=service_headers)
    assert response.status_code == 200
    deleted = response.json()["deleted"]
    assert deleted["behavioral_patterns"] == analysed["patterns"]["created"]
    assert deleted["behavioral_insights"] == len(analysed["insightsCreated"])
    assert deleted["user_learning_profiles"] == 1
    assert scalar(db, 'SELECT count(*) FROM reviews WHERE "userId" = :u', u=L0) > 0
    profile = client.get(f"/v1/users/{L0}/learning-profile", headers=service_headers).json()
    assert profile["status"] == "not_analyzed"
    _error(client.delete("/v1/users/nobody/patterns", headers=service_headers), 404, "not_found")


def test_privacy_switch_and_token_scope(
    client: TestClient, service_headers: Headers, learner_headers: Callable[..., Headers]
) -> None:
    other = client.get(f"/v1/users/{L0}/patterns", headers=learner_headers(L1))
    _error(other, 403, "forbidden")
    own = client.get(f"/v1/users/{L0}/patterns", headers=learner_headers(L0))
    assert own.status_code == 200
    client.patch(
        f"/v1/users/{L0}/privacy",
        json={"behavioralAnalysisEnabled": False},
        headers=service_headers,
    )
    for method, path in (
        ("post", "patterns:analyze"),
        ("get", "patterns"),
        ("get", "insights"),
        ("get", "learning-profile"),
        ("get", "study-time-heatmap"),
    ):
        response = client.request(method.upper(), f"/v1/users/{L0}/{path}", headers=service_headers)
        assert "switched off" in _error(response, 403, "forbidden")["message"], path
    assert client.delete(f"/v1/users/{L0}/patterns", headers=service_headers).status_code == 200
    _error(client.get("/v1/users/nobody/patterns", headers=service_headers), 404, "not_found")
    _error(client.get(f"/v1/users/{L0}/patterns"), 401, "unauthorized")


def test_openapi_documents_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/users/{userId}/patterns:analyze",
        "/v1/users/{userId}/patterns",
        "/v1/users/{userId}/insights",
        "/v1/users/{userId}/insights/{insightId}:acknowledge",
        "/v1/users/{userId}/learning-profile",
        "/v1/users/{userId}/study-time-heatmap",
        "/v1/users/{userId}/cards/{cardId}/recall",
    ):
        assert path in paths, path
    assert "delete" in paths["/v1/users/{userId}/patterns"]
