"""The error answers of every route, documented in one place with the real error envelope.

Which 4xx/5xx a route can give follows from what it is: every ``/v1`` route checks a
credential (401, 403), may be rate limited (429) and needs the database (503); a path
id or query parameter can be invalid (422) and a path id unknown (404); a body can be
too large (413) or invalid (422), a multipart body unreadable (400); a write can
conflict with a concurrent one (409). Routes add their own reasons with FastAPI's
``responses=``; this module gives every error answer the envelope's schema.
"""

from __future__ import annotations

import json
from typing import Any

ERROR_SCHEMA = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
ERROR_COMPONENT: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every error answer: a stable code, a message for people, and details.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "e.g. validation_failed, not_found, unauthorized, forbidden, "
                    "conflict, payload_too_large, too_many_requests, database_unavailable",
                },
                "message": {"type": "string"},
                "details": {
                    "description": "For 422: a list of {index, field, reason} (index: the "
                    "record of a batch, else null); otherwise an object or null"
                },
            },
        }
    },
}
GENERIC_DESCRIPTIONS: dict[int, str] = {
    400: "The multipart body cannot be read",
    401: "No, bad or expired credential",
    403: "A learner token outside its own learner, a route for service keys only, or "
    "behavioural analysis switched off",
    404: "No such learner (or record of the learner)",
    409: "The write conflicts with a concurrent change (nothing was written; retry)",
    413: "The body is larger than TWIN_MAX_BODY_BYTES",
    422: "Invalid input; details name every field",
    429: "Too many requests for this credential (TWIN_RATE_LIMIT_PER_MINUTE)",
    503: "The database is unavailable",
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request",
        "schema": {"type": "integer"},
    }
}
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
# PostgreSQL text and jsonb cannot hold NUL: the guard refuses it anywhere in a JSON body,
# and the schemas of request bodies say so.
NO_NUL_PATTERN = "^[^\\u0000]*$"
JSON_VALUE = "JsonValue"
JSON_VALUE_REF = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
JSON_VALUE_COMPONENT: dict[str, Any] = {
    "title": JSON_VALUE,
    "description": "Any JSON value; no NUL character in a string or a key",
    "anyOf": [
        {"type": "string", "pattern": NO_NUL_PATTERN},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": JSON_VALUE_REF},
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL_PATTERN},
            "additionalProperties": JSON_VALUE_REF,
        },
    ],
}
# A string schema with one of these already says what its characters may be.
_CONSTRAINED_STRING = ("pattern", "enum", "const", "format")


def error_codes(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses the route can answer (see the module doc)."""
    if not path.startswith("/v1/"):
        return set()
    codes = {401, 403, 429, 503}
    locations = {p.get("in") for p in operation.get("parameters", [])}
    if "path" in locations:
        codes |= {404, 422}
    if "query" in locations:
        codes.add(422)
    body = operation.get("requestBody")
    if body is not None:
        codes |= {413, 422}
        if "multipart/form-data" in body.get("content", {}):
            codes.add(400)
    if method in WRITE_METHODS:
        codes.add(409)
    return codes


def _references(node: Any) -> set[str]:
    """Names of the components ``node`` refers to directly."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for child in node.values():
            found |= _references(child)
    elif isinstance(node, list):
        for child in node:
            found |= _references(child)
    return found


def _forbid_nul(node: Any) -> None:
    """Say 'no NUL' in every unconstrained string schema and free-form object below ``node``."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not any(k in node for k in _CONSTRAINED_STRING):
            node["pattern"] = NO_NUL_PATTERN
        if (
            node.get("type") == "object"
            and node.get("additionalProperties") is True
            and "properties" not in node
        ):
            node["additionalProperties"] = JSON_VALUE_REF
            node["propertyNames"] = {"pattern": NO_NUL_PATTERN}
        for child in node.values():
            _forbid_nul(child)
    elif isinstance(node, list):
        for child in node:
            _forbid_nul(child)


def document_request_text(schema: dict[str, Any]) -> None:
    """Mark the strings of every request body as NUL-free (in place): inline and components."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    bodies = [
        operation["requestBody"]
        for item in schema.get("paths", {}).values()
        for operation in item.values()
        if "requestBody" in operation
    ]
    seen: set[str] = set()
    pending = _references(bodies)
    while pending:
        name = pending.pop()
        if name in seen or name not in components:
            continue
        seen.add(name)
        pending |= _references(components[name])
    for body in bodies:
        _forbid_nul(body)
    for name in seen:
        _forbid_nul(components[name])
    components[JSON_VALUE] = JSON_VALUE_COMPONENT


def document_errors(schema: dict[str, Any]) -> None:
    """Give every route its error answers, each with the envelope's schema (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA] = ERROR_COMPONENT
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            for code in sorted(declared | error_codes(path, method, operation)):
                entry = responses.setdefault(str(code), {})
                if code == 422 or not entry.get("description"):
                    # FastAPI's default 422 describes its own error body, not ours.
                    entry["description"] = GENERIC_DESCRIPTIONS.get(code, "Error")
                entry["content"] = {"application/json": {"schema": ERROR_REF}}
                if code == 429:
                    entry["headers"] = RETRY_AFTER_HEADER
    # FastAPI's own validation-error schemas, no longer referenced by any answer.
    for name in ("HTTPValidationError", "ValidationError"):
        component = components.pop(name, None)
        if component is not None and f'"#/components/schemas/{name}"' in json.dumps(schema):
            components[name] = component


BEARER_SCHEME = "bearerAuth"
BEARER_COMPONENT: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "description": "A service API key (`twin keys create NAME`, any learner) or a learner "
    "token (`POST /v1/tokens`, that learner's routes only)",
}


def document_security(schema: dict[str, Any]) -> None:
    """The bearer scheme, required by every ``/v1`` route (Swagger UI's Authorize button)
    except the calendar feed, whose secret token in the URL is its credential."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[BEARER_SCHEME] = (
        BEARER_COMPONENT
    )
    for path, item in schema.get("paths", {}).items():
        if path.startswith("/v1/") and not path.startswith("/v1/feeds/"):
            for operation in item.values():
                operation["security"] = [{BEARER_SCHEME: []}]
