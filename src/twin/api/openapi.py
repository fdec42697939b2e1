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
