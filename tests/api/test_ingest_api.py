"""Ingestion through HTTP: every batch endpoint, events listing, the review-log upload."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from twin.db.engine import Database
from twin.services.ingest import KINDS, RECORD_MODELS

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

USER = "learner-1"


@pytest.fixture
def learner(client: TestClient, service_headers: dict[str, str]) -> str:
    response = client.put(
        f"/v1/users/{USER}", json={"timezone": "Asia/Tokyo"}, headers=service_headers
    )
    assert response.status_code == 201
    return USER


def _row_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        ]
        return {
            t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables
        }


@pytest.mark.parametrize("kind", KINDS)
def test_missing_required_fields_are_named_and_nothing_is_written(
    client: TestClient, service_headers: dict[str, str], learner: str, db: Database, kind: str
) -> None:
    required = [f for f in RECORD_MODELS[kind].model_json_schema().get("required", []) if f != "id"]
    before = _row_counts(db)
    response = client.post(
        f"/v1/users/{learner}/{kind}:batch",
        json={"records": [{"id": "r-1"}]},
        headers=service_headers,
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    named = {d["field"] for d in error["details"] if d["index"] == 0}
    assert set(required) <= named, (kind, required, error["details"])
    assert _row_counts(db) == before


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_fields_and_oversized_batches_are_rejected(
    client: TestClient, service_headers: dict[str, str], learner: str, kind: str
) -> None:
    response = client.post(
        f"/v1/users/{learner}/{kind}:batch",
        json={"records": [{"id": "r-1", "notAField": 1}]},
        headers=service_headers,
    )
    assert response.status_code == 422
    assert "notAField" in {d["field"] for d in response.json()["error"]["details"]}
    too_many = {"records": [{"id": f"r-{i}"} for i in range(5001)]}
    response = client.post(
        f"/v1/users/{learner}/{kind}:batch", json=too_many, headers=service_headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "records"


def test_bad_bodies_are_422_not_500(
    client: TestClient, service_headers: dict[str, str], learner: str
) -> None:
    url = f"/v1/users/{learner}/courses:batch"
    for body in (b"not json", b"[]", b'{"records": 3}', b'{"records": [], "extra": 1}'):
        response = client.post(
            url, content=body, headers={**service_headers, "content-type": "application/json"}
        )
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_failed"


def test_courses_batch_is_idempotent(
    client: TestClient, service_headers: dict[str, str], learner: str, db: Database
) -> None:
    batch = {
        "records": [{"id": "c1", "name": "Cardiology"}, {"id": "c2", "name": "Renal", "code": "R1"}]
    }
    first = client.post(f"/v1/users/{learner}/courses:batch", json=batch, headers=service_headers)
    assert first.status_code == 200, first.text
    snapshot = _row_counts(db)
    second = client.post(f"/v1/users/{learner}/courses:batch", json=batch, headers=service_headers)
    assert second.json() == first.json() == {"kind": "courses", "received": 2, "ids": ["c1", "c2"]}
    assert _row_counts(db) == snapshot


def test_another_learners_course_cannot_be_overwritten(
    client: TestClient, service_headers: dict[str, str], learner: str
) -> None:
    client.put("/v1/users/other", json={}, headers=service_headers)
    client.post(
        "/v1/users/other/courses:batch",
        json={"records": [{"id": "c9", "name": "Theirs"}]},
        headers=service_headers,
    )
    response = client.post(
        f"/v1/users/{learner}/courses:batch",
        json={"records": [{"id": "c9", "name": "Mine"}]},
        headers=service_headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "id"


def test_events_batch_fills_local_time_and_lists_newest_first(
    client: TestClient, service_headers: dict[str, str], learner: str
) -> None:
    events = [
        {
            "id": f"e{i}",
            "eventType": "CARD_REVIEWED",
            "eventData": {"n": i},
            "timestamp": f"2026-03-0{1 + i % 5}T23:30:00Z",
        }
        for i in range(10)
    ]
    response = client.post(
        f"/v1/users/{learner}/events:batch", json={"records": events}, headers=service_headers
    )
    assert response.status_code == 200, response.text
    page = client.get(
        f"/v1/users/{learner}/events",
        params={"limit": 4, "eventType": "CARD_REVIEWED"},
        headers=service_headers,
    ).json()
    assert len(page["events"]) == 4 and page["nextCursor"]
    first = page["events"][0]
    # 23:30 UTC on a Thursday is 08:30 on Friday in Tokyo.
    assert first["timeOfDay"] == 8
    seen = [e["id"] for e in page["events"]]
    while page["nextCursor"]:
        page = client.get(
            f"/v1/users/{learner}/events",
            params={"limit": 4, "cursor": page["nextCursor"]},
            headers=service_headers,
        ).json()
        seen += [e["id"] for e in page["events"]]
    assert sorted(seen) == sorted(e["id"] for e in events) and len(seen) == 10
    bad = client.get(
        f"/v1/users/{learner}/events",
        params={"since": "2026-03-01T00:00:00"},
        headers=service_headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "query.since"


def test_out_of_range_event_fields_are_named(
    client: TestClient, service_headers: dict[str, str], learner: str
) -> None:
    events = [
        {
            "id": "e1",
            "eventType": "CARD_REVIEWED",
            "eventData": {},
            "timestamp": "2026-03-01T10:00:00Z",
            "timeOfDay": 24,
        },
        {
            "id": "e2",
            "eventType": "NOT_A_TYPE",
            "eventData": {},
            "timestamp": "2026-03-01T10:00:00Z",
        },
        {
            "id": "e3",
            "eventType": "CARD_REVIEWED",
            "eventData": {},
            "timestamp": "2026-03-01T10:00:00Z",
            "sessionPerformanceScore": 101,
        },
    ]
    response = client.post(
        f"/v1/users/{learner}/events:batch", json={"records": events}, headers=service_headers
    )
    assert response.status_code == 422
    found = {(d["index"], d["field"]) for d in response.json()["error"]["details"]}
    assert {(0, "timeOfDay"), (1, "eventType"), (2, "sessionPerformanceScore")} <= found


def test_revlog_upload(client: TestClient, service_headers: dict[str, str]) -> None:
    csv = (
        "card_id,review_rating,review_time,review_duration\n"
        "1,3,2024-03-29T10:00:00Z,5000\n"
        "1,1,2024-03-31T10:00:00Z,8000\n"
        "2,3,2024-03-31T10:01:00Z,4000\n"
    )
    files = {"file": ("log.csv", io.BytesIO(csv.encode()), "text/csv")}
    response = client.post(
        "/v1/users/uploader/imports/revlog",
        files=files,
        data={"timezone": "Europe/Berlin"},
        headers=service_headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["reviews"], body["cards"], body["sessions"]) == (3, 2, 2)
    bad = "card_id,review_rating,review_time,review_duration\n1,9,2024-03-29T10:00:00Z,5000\n"
    files = {"file": ("bad.csv", io.BytesIO(bad.encode()), "text/csv")}
    response = client.post(
        "/v1/users/uploader2/imports/revlog", files=files, headers=service_headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["line"] == 2


def test_openapi_documents_record_schemas(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/users/{userId}/reviews:batch" in spec["paths"]
    for model in RECORD_MODELS.values():
        assert model.__name__ in spec["components"]["schemas"]
