"""Nobody reaches data that is not theirs: every route, walked from the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from twin.clock import utcnow
from twin.config import load_settings
from twin.db.engine import Database
from twin.services import auth

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

# Open by design: the health probes, and the calendar feed (its secret URL is its credential).
OPEN_PATHS = {"/healthz", "/readyz", "/v1/feeds/{userId}/{token}.ics"}


def _operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    ops = []
    for path, methods in spec["paths"].items():
        for method in methods:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method.upper(), path))
    return ops


def _fill(path: str, user_id: str) -> str:
    path = path.replace("{userId}", user_id)
    return re.sub(r"\{[^}]+\}", "some-id", path)


def test_every_route_needs_a_credential_and_respects_scope(
    client: TestClient,
    learner_headers: Callable[..., dict[str, str]],
    service_headers: dict[str, str],
) -> None:
    client.put("/v1/users/learner-a", json={}, headers=service_headers)
    client.put("/v1/users/learner-b", json={}, headers=service_headers)
    ops = _operations(client)
    assert len(ops) >= 7
    other = learner_headers("learner-b")
    spec = client.get("/openapi.json").json()
    unsecured = {
        p for p, item in spec["paths"].items() for op in item.values() if "security" not in op
    }
    assert unsecured == OPEN_PATHS  # the document says which routes need the bearer scheme
    for method, template in ops:
        if template in OPEN_PATHS:
            continue
        url = _fill(template, "learner-a")
        anonymous = client.request(method, url)
        assert anonymous.status_code == 401, (method, template, anonymous.text)
        assert anonymous.json()["error"]["code"] == "unauthorized"
        foreign = client.request(method, url, headers=other, json={})
        assert foreign.status_code == 403, (method, template, foreign.text)
        assert foreign.json()["error"]["code"] == "forbidden"


def test_health_endpoints_are_open(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer twk_not-a-real-key",
        "Bearer twl_e30.bad-signature",
        "Bearer something-else",
        "Basic abc",
    ],
)
def test_bad_credentials_are_401(client: TestClient, header: str) -> None:
    response = client.get("/v1/users/x", headers={"Authorization": header})
    assert response.status_code == 401
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}


def test_expired_token_is_401(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    client.put("/v1/users/a", json={}, headers=service_headers)
    with db.session() as session:
        secret = auth.token_secret(session, load_settings().secret_key)
    token, _ = auth.issue_learner_token(secret, "a", 60, utcnow() - timedelta(seconds=120))
    response = client.get("/v1/users/a", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_learner_token_reads_own_data_only(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    client.put("/v1/users/a", json={"timezone": "Europe/Berlin"}, headers=service_headers)
    token = client.post(
        "/v1/tokens", json={"userId": "a", "ttlSeconds": 600}, headers=service_headers
    )
    assert token.status_code == 201, token.text
    mine = {"Authorization": f"Bearer {token.json()['token']}"}
    assert client.get("/v1/users/a", headers=mine).json()["timezone"] == "Europe/Berlin"
    assert client.get("/v1/users", headers=mine).status_code == 403
    assert client.post("/v1/tokens", json={"userId": "a"}, headers=mine).status_code == 403


def test_token_ttl_is_bounded(client: TestClient, service_headers: dict[str, str]) -> None:
    client.put("/v1/users/a", json={}, headers=service_headers)
    response = client.post(
        "/v1/tokens", json={"userId": "a", "ttlSeconds": 86_401}, headers=service_headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "ttlSeconds"
    missing = client.post("/v1/tokens", json={"userId": "nobody"}, headers=service_headers)
    assert missing.status_code == 404


def test_revoked_key_stops_working(client: TestClient, db: Database) -> None:
    with db.session() as session:
        _row, key = auth.create_api_key(session, "short-lived")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/users", headers=headers).status_code == 200
    with db.session() as session:
        auth.revoke_api_key(session, "short-lived", utcnow())
    client.app.state.key_cache = auth.KeyCache()  # another process would see it within seconds
    assert client.get("/v1/users", headers=headers).status_code == 401


def test_only_the_hash_of_a_key_is_stored(db: Database, service_key: str) -> None:
    with db.session() as session:
        rows = auth.list_api_keys(session)
    assert [r.keyHash for r in rows] == [auth.hash_key(service_key)]
    assert all(service_key not in (r.keyHash, r.keyPrefix) for r in rows)
