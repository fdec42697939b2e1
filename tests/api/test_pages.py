"""The API's own pages, its request ids and access log, the documented security (no database)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from twin.api.docs import ASSETS_URL
from twin.config import Settings

SETTINGS = Settings(database_url=None, data_dir=Path("/nonexistent"))
ANALYSIS_ROUTES = (
    "/v1/users/{userId}/learning-profile",
    "/v1/users/{userId}/study-time-heatmap",
    "/v1/users/{userId}/cognitive-load/current",
    "/v1/users/{userId}/cognitive-load/history",
    "/v1/users/{userId}/burnout-risk",
    "/v1/users/{userId}/stress-patterns",
    "/v1/users/{userId}/stress-profile",
    "/v1/users/{userId}/difficulty-adjustment",
    "/v1/users/{userId}/load-performance",
    "/v1/users/{userId}/model-performance",
    "/v1/users/{userId}/struggle-reduction",
)


@pytest.fixture(scope="module")
def client(offline_app: FastAPI) -> TestClient:
    return TestClient(offline_app, raise_server_exceptions=False)


def test_landing_page_links_docs_and_health(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    links = set(re.findall(r'href="([^"]+)"', page.text))
    assert {"/docs", "/openapi.json", "/healthz", "/readyz"} <= links
    assert "/ui/" in links  # the dashboard is mounted: the page links it


def test_docs_use_only_local_assets(client: TestClient) -> None:
    """The page names no other host: Swagger UI's script and style are the API's own."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert re.findall(r"https?://", page.text) == []
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"{ASSETS_URL}/{asset}" in page.text
        served = client.get(f"{ASSETS_URL}/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000
    assert client.get("/redoc").status_code == 404  # one documentation page, offline


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    mine = client.get("/healthz", headers={"X-Request-ID": "trace-42.a:b"})
    assert mine.headers["x-request-id"] == "trace-42.a:b"
    made = client.get("/healthz", headers={"X-Request-ID": "not a sane\tid"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/nowhere").headers["x-request-id"])
    refused = client.get("/v1/users")  # 401 from the guard carries it too
    assert refused.status_code == 401 and refused.headers["x-request-id"]
    big = client.post(
        "/v1/users/u/events:batch",
        content=b"x",
        headers={"Content-Length": str(10**9), "X-Request-ID": "big-1"},
    )
    assert big.status_code == 413 and big.headers["x-request-id"] == "big-1"


def test_access_log_has_no_credential(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """One INFO line per request: method, path, status, time, request id; never the token."""
    token = "secret-never-logged"
    with caplog.at_level(logging.INFO, logger="twin.api.access"):
        client.get(
            f"/healthz?token={token}",
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "log-1"},
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "twin.api.access"]
    assert len(lines) == 1
    assert re.fullmatch(r"GET /healthz 200 \d+\.\d ms request_id=log-1", lines[0]), lines[0]
    assert token not in caplog.text


def test_access_log_redacts_feed_tokens(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A calendar feed's URL holds its credential: the line shows *** in its place."""
    secret = "twf_secret-feed-token"
    with caplog.at_level(logging.INFO, logger="twin.api.access"):
        client.get(f"/v1/feeds/u1/{secret}.ics")
    lines = [r.getMessage() for r in caplog.records if r.name == "twin.api.access"]
    assert len(lines) == 1 and lines[0].startswith("GET /v1/feeds/u1/***.ics "), lines
    assert secret not in caplog.text


def _spec(client: TestClient) -> dict[str, Any]:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    return spec


def test_every_v1_route_declares_the_bearer_scheme(client: TestClient) -> None:
    spec = _spec(client)
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for path, item in spec["paths"].items():
        for method, op in item.items():
            # The calendar feed's credential is the secret token in its URL.
            bearer = path.startswith("/v1/") and not path.startswith("/v1/feeds/")
            expected = [{"bearerAuth": []}] if bearer else None
            assert op.get("security") == expected, (method, path)


def test_analysis_routes_take_as_of(client: TestClient) -> None:
    spec = _spec(client)
    for path in ANALYSIS_ROUTES:
        names = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert "asOf" in names, path


def _timestamps(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            found.append((where, node))
        for key, child in node.items():
            found += _timestamps(child, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _timestamps(child, f"{where}/{i}")
    return found


def test_answer_timestamps_are_documented_as_utc_with_z(client: TestClient) -> None:
    """Every answer timestamp is one documented type: ISO 8601 UTC with a Z."""
    schemas = _spec(client)["components"]["schemas"]
    answers = {name: s for name, s in schemas.items() if name.endswith("Out")}
    stamped = [(w, s) for name, s in answers.items() for w, s in _timestamps(s, name)]
    assert len(stamped) >= 30
    for where, schema in stamped:
        assert schema.get("examples") == ["2026-03-01T08:00:00.000Z"], where
    token = schemas["TokenOut"]["properties"]["expiresAt"]
    assert token["format"] == "date-time"
