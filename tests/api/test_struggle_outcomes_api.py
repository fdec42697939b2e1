"""The struggle router's outcome routes: feedback, model performance, struggle reduction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

import twin.api.app as app_module
from tests.services.struggle.test_outcomes import T0, add_prediction, make_world, prediction
from twin.api.routers import struggle as router_module
from twin.db.engine import Database
from twin.enums import PredictionStatus

Headers = dict[str, str]


def test_the_router_is_mounted() -> None:
    assert router_module.router in app_module.V1_ROUTERS


@pytest.fixture
def world(db: Database) -> Database:
    """Learner ``u`` with two pending predictions, ``other`` with one, ``off`` without consent."""
    with db.session() as s:
        make_world(s, "u")
        add_prediction(s, "u", "A", 0.8, T0, pid="pA")
        add_prediction(s, "u", "B", 0.3, T0, pid="pB")
        make_world(s, "other")
        add_prediction(s, "other", "A", 0.8, T0, pid="other-A")
        make_world(s, "off", enabled=False)
        add_prediction(s, "off", "A", 0.8, T0, pid="off-A")
    return db


def _fields(r: Any) -> list[str]:
    return [d["field"] for d in r.json()["error"]["details"]]


def test_feedback_records_the_outcome(
    client: TestClient, world: Database, learner_headers: Callable[..., Headers]
) -> None:
    r = client.post(
        "/v1/users/u/predictions/pB/feedback",
        json={"actualStruggle": True, "helpfulness": 2, "comments": "it was hard"},
        headers=learner_headers("u"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["predictionStatus"] == "MISSED" and body["previousStatus"] == "PENDING"
    assert body["feedbackType"] == "INACCURATE" and body["submittedAt"].endswith("Z")
    row = prediction(world, "pB")
    assert (row.predictionStatus, row.actualOutcome) == (PredictionStatus.MISSED, True)


def test_feedback_422_names_the_field(
    client: TestClient, world: Database, service_headers: Headers
) -> None:
    url = "/v1/users/u/predictions/pA/feedback"
    for body, field in (
        ({}, "actualStruggle"),
        ({"actualStruggle": "yes"}, "actualStruggle"),
        ({"actualStruggle": True, "helpfulness": 6}, "helpfulness"),
        ({"actualStruggle": True, "helpfulness": 0}, "helpfulness"),
        ({"actualStruggle": True, "comments": "x" * 2001}, "comments"),
        ({"actualStruggle": True, "feedbackType": "GREAT"}, "feedbackType"),
        ({"actualStruggle": True, "extra": 1}, "extra"),
    ):
        r = client.post(url, json=body, headers=service_headers)
        assert r.status_code == 422, (body, r.text)
        assert field in _fields(r), (body, r.json())
    assert prediction(world, "pA").predictionStatus == PredictionStatus.PENDING


def test_feedback_404_and_403(
    client: TestClient, world: Database, service_headers: Headers
) -> None:
    ok = {"actualStruggle": False}
    other = client.post(
        "/v1/users/u/predictions/other-A/feedback", json=ok, headers=service_headers
    )
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    missing = client.post("/v1/users/u/predictions/zzz/feedback", json=ok, headers=service_headers)
    assert missing.status_code == 404
    nobody = client.post(
        "/v1/users/ghost/predictions/pA/feedback", json=ok, headers=service_headers
    )
    assert nobody.status_code == 404
    off = client.post("/v1/users/off/predictions/off-A/feedback", json=ok, headers=service_headers)
    assert off.status_code == 403 and "switched off" in off.json()["error"]["message"]
    for path in ("model-performance", "struggle-reduction?period=week"):
        r = client.get(f"/v1/users/off/{path}", headers=service_headers)
        assert r.status_code == 403, r.text
    assert prediction(world, "other-A").predictionStatus == PredictionStatus.PENDING


def test_model_performance_and_reduction_answers(
    client: TestClient, world: Database, service_headers: Headers
) -> None:
    r = client.get("/v1/users/u/model-performance", headers=service_headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "insufficient_data"
    assert r.json()["insufficient"] == {"outcomes": {"have": 0, "need": 10}}
    with world.session() as s:
        for i in range(12):
            p = 0.9 if i % 2 else 0.1
            add_prediction(
                s,
                "u",
                "C",
                p,
                T0,
                status=PredictionStatus.CONFIRMED if i % 2 else PredictionStatus.RESOLVED,
                outcome=bool(i % 2),
                recorded_at=T0 + timedelta(days=1),
            )
    r = client.get("/v1/users/u/model-performance", headers=service_headers)
    body = r.json()
    assert body["status"] == "ok" and body["outcomes"] == 12
    assert body["overall"]["accuracy"] == 1.0 and body["overall"]["auc"] == 1.0
    assert body["activeModel"]["kind"] == "rules"
    red = client.get("/v1/users/u/struggle-reduction?period=all", headers=service_headers)
    assert red.status_code == 200, red.text
    assert red.json()["status"] == "insufficient_data" and red.json()["period"] == "all"
    bad = client.get("/v1/users/u/struggle-reduction?period=year", headers=service_headers)
    assert bad.status_code == 422 and "query.period" in _fields(bad)
