"""The experiments routes over HTTP: operator routes, a learner's own, bad input → 4xx naming the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.services.experiments.support import add_learner
from twin.clock import utcnow
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.services import experiments as service

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body(**overrides: Any) -> dict[str, Any]:
    """A valid definition starting in an hour, for 28 days."""
    start = utcnow() + timedelta(hours=1)
    doc: dict[str, Any] = {
        "name": "shorter missions",
        "description": "Do 20% shorter missions keep performance?",
        "context": "MISSION",
        "variants": [
            {"id": "control", "name": "Control", "config": {"durationFactor": 1.0}, "weight": 1},
            {"id": "short", "name": "Shorter", "config": {"durationFactor": 0.8}, "weight": 1},
        ],
        "primaryMetric": "performance",
        "guardrailMetrics": ["study_minutes"],
        "startDate": _iso(start),
        "endDate": _iso(start + timedelta(days=28)),
        "expectedParticipants": 400,
    }
    doc.update(overrides)
    return doc


def _experiments(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT count(*) FROM personalization_experiments")).scalar_one()
        )


def test_define_read_list_stop(client: TestClient, service_headers: dict[str, str]) -> None:
    created = client.post("/v1/experiments", json=body(), headers=service_headers)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["ownerId"] == "twin/operator" and doc["createdBy"] == "test-platform"
    assert doc["state"] == "scheduled" and doc["status"] == "ACTIVE"
    assert doc["controlId"] == "control" and doc["variants"][1]["config"] == {"durationFactor": 0.8}
    assert doc["analysis"]["sequentialTuningParameter"] == 400.0
    assert doc["analysis"]["method"] == "sequential"
    assert doc["minParticipantsPerArm"] == 20 and doc["minDurationDays"] == 14
    one = client.get(f"/v1/experiments/{doc['id']}", headers=service_headers)
    assert one.status_code == 200 and one.json() == doc
    listed = client.get("/v1/experiments?context=MISSION", headers=service_headers).json()
    assert [e["id"] for e in listed["items"]] == [doc["id"]] and listed["nextCursor"] is None
    stopped = client.post(f"/v1/experiments/{doc['id']}:stop", headers=service_headers)
    assert stopped.status_code == 200 and stopped.json()["status"] == "CANCELLED"
    again = client.post(f"/v1/experiments/{doc['id']}:stop", headers=service_headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert "already stopped" in again.json()["error"]["message"]


def test_results_answer_names_arms_dates_and_method(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    created = client.post(
        "/v1/experiments",
        json=body(startDate=None, cupedCovariate=True),
        headers=service_headers,
    ).json()
    with db.session() as session:
        for uid in ("ada", "bob", "cy", "dee"):
            add_learner(session, uid)
            service.active_variant(session, uid, PersonalizationContext.MISSION, utcnow())
        service.refresh_metrics(session, created["id"], utcnow())
    answer = client.get(f"/v1/experiments/{created['id']}/results", headers=service_headers)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    result = doc["result"]
    assert result["verdict"] == "keep_running"
    assert sum(a["assigned"] for a in result["arms"]) == 4 == doc["participants"]
    assert {a["variantId"] for a in result["arms"]} == {"control", "short"}
    assert result["start"].endswith("Z") and result["end"].endswith("Z")
    assert "CUPED" in result["methodDescription"]
    assert {c["metric"] for c in result["comparisons"]} == {"performance", "study_minutes"}
    comparison = result["comparisons"][0]
    assert set(comparison) >= {"fixed", "fixedAbsolute", "sequential", "bayesian", "outcome"}
    assert comparison["bayesian"]["chanceToWin"] == 0.5  # no data: uninformative
    assert result["srm"]["pValue"] <= 1.0
    assert len(doc["armMetrics"]) == 4


def test_learner_sees_only_their_own_experiments(
    client: TestClient,
    service_headers: dict[str, str],
    learner_headers: Callable[..., dict[str, str]],
    db: Database,
) -> None:
    created = client.post("/v1/experiments", json=body(startDate=None), headers=service_headers)
    with db.session() as session:
        add_learner(session, "ada")
        add_learner(session, "bob")
        variant = service.active_variant(session, "ada", PersonalizationContext.MISSION, utcnow())
    assert variant is not None
    mine = client.get("/v1/users/ada/experiments", headers=learner_headers("ada"))
    assert mine.status_code == 200
    items = mine.json()["experiments"]
    assert [(e["experimentId"], e["variantId"]) for e in items] == [
        (created.json()["id"], variant.variant_id)
    ]
    other = client.get("/v1/users/bob/experiments", headers=learner_headers("ada"))
    assert other.status_code == 403
    assert (
        client.get("/v1/users/bob/experiments", headers=service_headers).json()["experiments"] == []
    )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/experiments", "get"),
        ("/v1/experiments", "post"),
        ("/v1/experiments/x", "get"),
        ("/v1/experiments/x:stop", "post"),
        ("/v1/experiments/x/results", "get"),
    ],
)
def test_learner_tokens_may_not_use_operator_routes(
    client: TestClient,
    learner_headers: Callable[..., dict[str, str]],
    db: Database,
    path: str,
    method: str,
) -> None:
    with db.session() as session:
        add_learner(session, "ada")
    kwargs: dict[str, Any] = {"headers": learner_headers("ada")}
    if method == "post":
        kwargs["json"] = body()
    answer = getattr(client, method)(path, **kwargs)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert _experiments(db) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {
                "variants": [
                    {"id": "a", "name": "A", "weight": 0},
                    {"id": "b", "name": "B", "weight": 0},
                ]
            },
            "variants",
        ),
        (
            {
                "variants": [
                    {"id": "a", "name": "A", "weight": 1},
                    {"id": "a", "name": "B", "weight": 1},
                ]
            },
            "variants[1].id",
        ),
        ({"endDate": "2020-01-01T00:00:00Z"}, "endDate"),
        ({"primaryMetric": "happiness"}, "primaryMetric"),
        ({"guardrailMetrics": ["joy"]}, "guardrailMetrics.0"),
        (
            {
                "variants": [
                    {"id": "a", "name": "A", "weight": "1"},
                    {"id": "b", "name": "B", "weight": 1},
                ]
            },
            "variants.0.weight",
        ),
        ({"cupedCovariate": "yes"}, "cupedCovariate"),
        ({"minParticipantsPerArm": "20"}, "minParticipantsPerArm"),
        ({"context": "NOWHERE"}, "context"),
        ({"colour": "blue"}, "colour"),
        ({"endDate": "2027-01-01T00:00:00"}, "endDate"),  # no offset
    ],
)
def test_bad_definitions_are_4xx_naming_the_field_and_write_nothing(
    client: TestClient,
    service_headers: dict[str, str],
    db: Database,
    overrides: dict[str, Any],
    field: str,
) -> None:
    answer = client.post("/v1/experiments", json=body(**overrides), headers=service_headers)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert field in {d["field"] for d in error["details"]}, error
    assert field.split(".")[0].split("[")[0] in error["message"]
    assert _experiments(db) == 0


def test_overlap_is_409_and_unknown_is_404(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    assert client.post("/v1/experiments", json=body(), headers=service_headers).status_code == 201
    clash = client.post("/v1/experiments", json=body(name="again"), headers=service_headers)
    assert clash.status_code == 409
    assert clash.json()["error"]["details"][0]["field"] == "context"
    assert _experiments(db) == 1
    for path in ("/v1/experiments/nope", "/v1/experiments/nope/results"):
        missing = client.get(path, headers=service_headers)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.post("/v1/experiments/nope:stop", headers=service_headers).status_code == 404
