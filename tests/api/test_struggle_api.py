"""Struggle prediction over HTTP: generate, list, why, interventions, apply; 422/404/403/409."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.services.struggle.support import make_struggle_learner
from twin.analysis.struggle.features import FEATURE_NAMES
from twin.clock import utcnow
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

U = "api-sp"
BASE = f"/v1/users/{U}"


def _learner(db: Database, uid: str = U, *, enabled: bool = True) -> None:
    with db.session() as s:
        # the learner's world around a moment just before the request's clock
        make_struggle_learner(s, uid, enabled=enabled, at=utcnow() - timedelta(minutes=1))


def test_generate_list_detail_apply(
    db: Database, client: TestClient, service_headers: dict[str, str]
) -> None:
    _learner(db)
    r = client.post(f"{BASE}/predictions:generate", json={"daysAhead": 14}, headers=service_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["modelVersion"] == "rules-v1" and body["daysAhead"] == 14
    assert body["counts"]["candidates"] == len(body["predictions"]) == 5
    assert body["counts"]["created"] == 5 and body["counts"]["updated"] == 0
    assert body["generatedAt"].endswith("Z")
    target = next(p for p in body["predictions"] if p["objective"]["id"] == f"{U}-oT")
    assert target["atRisk"] and target["interventions"] and target["topFactors"]
    assert all(f["reason"] for f in target["topFactors"])
    assert [a["predictionId"] for a in body["alerts"]] == [target["predictionId"]]
    again = client.post(f"{BASE}/predictions:generate", headers=service_headers).json()
    assert again["counts"]["updated"] == 5 and again["counts"]["created"] == 0

    listed = client.get(f"{BASE}/predictions", headers=service_headers).json()
    assert all(p["probability"] >= 0.5 for p in listed["predictions"])
    assert listed["stats"]["byStatus"]["PENDING"] == 5 and listed["stats"]["total"] == 8
    top = listed["predictions"][0]
    assert top["objective"] == {
        "id": f"{U}-oT",
        "text": "Objective T",
        "complexity": "ADVANCED",
        "courseId": f"{U}-c",
        "courseName": "Physiology",
        "lectureId": f"{U}-l",
    }
    assert top["indicators"] and top["interventions"]
    # Open and not due yet (due tomorrow): the status says what it waits for.
    assert top["dueDatePassed"] is False and top["statusReason"].startswith("open (due ")
    everything = client.get(
        f"{BASE}/predictions", params={"minProbability": 0, "limit": 200}, headers=service_headers
    ).json()
    assert len(everything["predictions"]) == 8
    confirmed = client.get(
        f"{BASE}/predictions",
        params={"status": "CONFIRMED", "minProbability": 0},
        headers=service_headers,
    ).json()
    assert {p["status"] for p in confirmed["predictions"]} == {"CONFIRMED"}

    detail = client.get(f"{BASE}/predictions/{top['id']}", headers=service_headers)
    assert detail.status_code == 200, detail.text
    why = detail.json()["why"]
    assert [f["feature"] for f in why["features"]] == list(FEATURE_NAMES)
    assert why["modelVersion"] == "rules-v1" and why["topFactors"]
    mismatch = next(f for f in why["features"] if f["feature"] == "complexityMismatch")
    assert mismatch["value"] == 0.6 and not mismatch["unknown"] and mismatch["contribution"] > 0

    ivs = client.get(
        f"{BASE}/interventions", params={"status": "PENDING"}, headers=service_headers
    ).json()["interventions"]
    assert ivs and [i["priority"] for i in ivs] == sorted(
        (i["priority"] for i in ivs), reverse=True
    )
    load = next(i for i in ivs if i["type"] == "COGNITIVE_LOAD_REDUCE")
    applied = client.post(
        f"{BASE}/interventions/{load['id']}:apply",
        json={"missionId": f"{U}-m3"},
        headers=service_headers,
    )
    assert applied.status_code == 200, applied.text
    out = applied.json()
    assert out["before"]["estimatedMinutes"] == 40 and out["after"]["estimatedMinutes"] == 20
    assert out["mission"]["recommendedDuration"] == 20  # duration halved
    assert out["intervention"]["status"] == "IN_PROGRESS"
    assert out["intervention"]["appliedToMissionId"] == f"{U}-m3"
    repeat = client.post(f"{BASE}/interventions/{load['id']}:apply", headers=service_headers)
    assert repeat.status_code == 409 and repeat.json()["error"]["code"] == "conflict"
    after = client.get(f"{BASE}/predictions/{load['predictionId']}", headers=service_headers)
    assert after.json()["interventionApplied"] is True


def test_validation_and_not_found(
    db: Database, client: TestClient, service_headers: dict[str, str]
) -> None:
    _learner(db)
    for bad in ({"daysAhead": 0}, {"daysAhead": 31}, {"daysAhead": "soon"}, {"other": 1}):
        r = client.post(f"{BASE}/predictions:generate", json=bad, headers=service_headers)
        assert r.status_code == 422, bad
        field = next(iter(bad))
        assert field in r.text
    r = client.get(f"{BASE}/predictions", params={"minProbability": 2}, headers=service_headers)
    assert r.status_code == 422 and "minProbability" in r.text
    assert client.get(f"{BASE}/predictions/nope", headers=service_headers).status_code == 404
    assert (
        client.post(f"{BASE}/interventions/nope:apply", headers=service_headers).status_code == 404
    )
    unknown = client.post("/v1/users/nobody/predictions:generate", headers=service_headers)
    assert unknown.status_code == 404
    with db.session() as s:
        n = s.execute(
            sa.text(
                'SELECT count(*) FROM struggle_predictions WHERE "userId" = :u '
                'AND "actualOutcome" IS NULL'
            ),
            {"u": U},
        ).scalar_one()
    assert n == 0  # rejected requests wrote nothing


def test_privacy_and_learner_tokens(
    db: Database,
    client: TestClient,
    learner_headers: Callable[..., dict[str, str]],
) -> None:
    _learner(db, "api-off", enabled=False)
    _learner(db)
    off = client.post("/v1/users/api-off/predictions:generate", headers=learner_headers("api-off"))
    assert off.status_code == 403 and "behavioralAnalysisEnabled" in off.json()["error"]["message"]
    for path in ("predictions", "interventions"):
        r = client.get(f"/v1/users/api-off/{path}", headers=learner_headers("api-off"))
        assert r.status_code == 403
    own = client.post(f"{BASE}/predictions:generate", headers=learner_headers(U))
    assert own.status_code == 200
    other = client.get(f"{BASE}/predictions", headers=learner_headers("api-off"))
    assert other.status_code == 403
