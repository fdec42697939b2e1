"""A card's predicted recall over HTTP: the learner's fitted model, ``at``, 422 and 404."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import twin.api.app as app_module
from tests.services.patterns_support import cohort_db as db
from tests.services.patterns_support import cohort_module_db, learner, scalar
from twin.api.routers import recall as recall_router
from twin.db.engine import Database

__all__ = ["cohort_module_db", "db"]  # fixtures: this module's `db` is the cohort

L0, L1 = learner(0), learner(1)
Headers = dict[str, str]


def test_the_router_is_mounted() -> None:
    assert recall_router.router in app_module.V1_ROUTERS


@pytest.fixture
def analysed(client: TestClient, service_headers: Headers) -> Iterator[dict[str, Any]]:
    """L0 analysed once through the API (which fits the learner's recall model)."""
    response = client.post(f"/v1/users/{L0}/patterns:analyze", headers=service_headers)
    assert response.status_code == 200, response.text
    yield response.json()


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code
    return body


def test_card_recall(
    client: TestClient, service_headers: Headers, analysed: dict[str, Any], db: Database
) -> None:
    card = scalar(
        db,
        'SELECT "cardId" FROM reviews WHERE "userId" = :u GROUP BY "cardId" '
        'ORDER BY count(*) DESC, "cardId" LIMIT 1',
        u=L0,
    )
    last = scalar(db, 'SELECT max("reviewedAt") FROM reviews WHERE "cardId" = :c', c=card)
    url = f"/v1/users/{L0}/cards/{card}/recall"
    at = "2026-03-01T08:00:00+01:00"
    response = client.get(url, params={"at": at}, headers=service_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cardId"] == card and body["at"] == "2026-03-01T07:00:00.000Z"  # 08:00+01:00 in UTC
    assert 0 < body["recallProbability"] < 1 and body["reviewsBefore"] >= 1
    assert body["model"]["fitted"] is True and body["model"]["reviewsUsed"] >= 300
    assert body["lastReviewedAt"] < "2026-03-01T07:00:00"
    now = client.get(url, headers=service_headers).json()  # default: now (after every review)
    assert now["lastReviewedAt"].startswith(last.isoformat()[:19])
    naive = client.get(url, params={"at": "2026-03-01T08:00:00"}, headers=service_headers)
    assert _error(naive, 422, "validation_failed")["details"][0]["field"] == "query.at"
    garbage = client.get(url, params={"at": "yesterday"}, headers=service_headers)
    assert _error(garbage, 422, "validation_failed")["details"][0]["field"] == "query.at"
    other_card = scalar(db, 'SELECT "cardId" FROM reviews WHERE "userId" = :u LIMIT 1', u=L1)
    _error(
        client.get(f"/v1/users/{L0}/cards/{other_card}/recall", headers=service_headers),
        404,
        "not_found",
    )
    _error(
        client.get(f"/v1/users/{L0}/cards/no-such-card/recall", headers=service_headers),
        404,
        "not_found",
    )
