"""The OpenAPI document tells the truth about errors, ids and request strings (no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from twin.api.app import V1_ROUTERS
from twin.api.guard import GuardedRoute
from twin.api.openapi import ERROR_REF, NO_NUL_PATTERN
from twin.config import Settings
from twin.ingest.schemas import ID_JSON_SCHEMA

SETTINGS = Settings(database_url=None, data_dir=Path("/nonexistent"))


@pytest.fixture(scope="module")
def app(offline_app: FastAPI) -> Any:
    return offline_app


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    document: dict[str, Any] = app.openapi()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op) for path, item in spec["paths"].items() for method, op in item.items()
    ]


def test_every_v1_route_is_guarded() -> None:
    """Credentials, rate, query and body are checked before FastAPI reads anything."""
    routes = [r for router in V1_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 40
    assert [r.path for r in routes if not isinstance(r, GuardedRoute)] == []


def test_every_error_answer_is_documented_with_the_envelope(spec: dict[str, Any]) -> None:
    for method, path, op in _operations(spec):
        codes = {int(c) for c in op["responses"]}
        errors = {c for c in codes if c >= 400}
        for code in errors:
            content = op["responses"][str(code)]["content"]["application/json"]["schema"]
            assert content == ERROR_REF, (method, path, code)
        if not path.startswith("/v1/"):
            continue
        assert {401, 403, 429, 503} <= errors, (method, path, errors)
        locations = {p["in"] for p in op.get("parameters", [])}
        if "path" in locations:
            assert {404, 422} <= errors, (method, path)
        if "requestBody" in op:
            assert {413, 422} <= errors, (method, path)
        if method != "get":
            assert 409 in errors, (method, path)
        assert "Retry-After" in op["responses"]["429"]["headers"]
    error = spec["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_put_user_documents_201_and_404(spec: dict[str, Any]) -> None:
    responses = spec["paths"]["/v1/users/{userId}"]["put"]["responses"]
    assert {"200", "201", "404"} <= set(responses)


def test_every_path_id_documents_the_id_alphabet(spec: dict[str, Any]) -> None:
    ids = 0
    for _method, _path, op in _operations(spec):
        for parameter in op.get("parameters", []):
            if parameter["in"] == "path":
                ids += 1
                schema = parameter["schema"]
                expected = dict(ID_JSON_SCHEMA)
                if parameter["name"] in ("experimentId", "slug"):
                    # Ids directly before a ``:verb`` (``/v1/experiments/{id}:stop``, an article's
                    # ``{slug}:feedback``) also exclude ':'.
                    expected["pattern"] = expected["pattern"].replace("/", "/:")
                for key in ("pattern", "minLength", "maxLength", "not"):
                    assert schema[key] == expected[key], (parameter["name"], key)
    assert ids >= 40


def _strings(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "string":
            found.append((where, node))
        for key, child in node.items():
            found += _strings(child, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _strings(child, f"{where}/{i}")
    return found


def test_request_strings_say_what_they_may_contain(spec: dict[str, Any]) -> None:
    """Each string of a request body is an enum, a format, or has a pattern (NUL-free)."""
    components = spec["components"]["schemas"]
    request_models = [
        "UserIn",
        "PrivacyIn",
        "TokenIn",
        "AnalyzeIn",
        "AcknowledgeIn",
        "LoadCalculationIn",
        "GenerateIn",
        "ApplyIn",
        "FeedbackIn",
        "EventRecord",
        "SessionRecord",
        "ObjectiveRecord",
    ]
    for name in request_models:
        for where, schema in _strings(components[name], name):
            assert {"pattern", "enum", "format", "const"} & set(schema), where
    event_data = components["EventRecord"]["properties"]["eventData"]
    assert event_data["propertyNames"] == {"pattern": NO_NUL_PATTERN}
    assert event_data["additionalProperties"] == {"$ref": "#/components/schemas/JsonValue"}


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/users/some-id", "DELETE, GET, HEAD, PUT"),
        ("/v1/users/some-id/patterns", "DELETE, GET, HEAD"),
        ("/v1/users/some-id/events:batch", "POST"),
        # A literal segment wins over a parameter, as routing does: suggestions is not a goal id.
        ("/v1/users/some-id/goals/suggestions", "GET, HEAD"),
        ("/v1/users/some-id/goals/g1", "GET, HEAD, PATCH"),
        # A documented id pattern without ':' keeps ``{id}:stop`` apart from ``{id}``.
        ("/v1/experiments/e1:stop", "POST"),
        ("/v1/experiments/e1", "GET, HEAD"),
    ],
)
def test_a_405_names_every_method_of_the_path(app: Any, path: str, allow: str) -> None:
    """Starlette names the first matching route's methods only; the API names all of them."""
    response = TestClient(app).request("OPTIONS", path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"]["code"] == "method_not_allowed"
