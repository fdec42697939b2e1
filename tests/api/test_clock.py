"""The API's one clock: every route reads the request's instant from the app's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from twin.api.app import create_app
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

FIXED = datetime(2031, 5, 4, 12, 0, 0)


@pytest.fixture
def fixed_client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(database=db, clock=lambda: FIXED)) as c:
        yield c


def test_routes_use_the_injected_clock(
    fixed_client: TestClient, service_headers: dict[str, str]
) -> None:
    """A token issued at the app's instant expires ttl seconds after it."""
    assert fixed_client.put("/v1/users/c1", json={}, headers=service_headers).status_code == 201
    r = fixed_client.post(
        "/v1/tokens", json={"userId": "c1", "ttlSeconds": 60}, headers=service_headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["expiresAt"] == "2031-05-04T12:01:00.000Z"  # FIXED + 60 s, ISO 8601 UTC
