"""One place that maps errors to HTTP: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

import psycopg
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from twin.errors import TwinError

log = logging.getLogger("twin.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_failed",
    429: "too_many_requests",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error envelope every 4xx/5xx answer carries."""
    return {"error": {"code": code, "message": message, "details": details}}


def field_path(loc: tuple[Any, ...] | list[Any]) -> tuple[int | None, str]:
    """(record index, dotted field) of a pydantic error location."""
    parts = [p for p in loc if p != "body"]
    index: int | None = None
    if len(parts) >= 2 and parts[0] == "records" and isinstance(parts[1], int):
        index = parts[1]
        parts = parts[2:]
    return index, ".".join(str(p) for p in parts) or "body"


def validation_details(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{index, field, reason}]``."""
    out = []
    for err in errors:
        index, field = field_path(tuple(err.get("loc", ())))
        out.append({"index": index, "field": field, "reason": err.get("msg", "invalid")})
    return out


def database_error_answer(exc: BaseException) -> tuple[int, str, str]:
    """(status, code, message) for an error the database raised (a failed commit among them).

    Conflicts with concurrent work are 409 (retry), a value the database refuses is
    422, an unreachable database 503; anything else stays a 500.
    """
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    if isinstance(
        orig,
        psycopg.IntegrityError
        | psycopg.errors.TransactionRollback
        | psycopg.errors.DeadlockDetected,
    ):
        return 409, "conflict", "the write conflicts with a concurrent change; nothing was written"
    if isinstance(orig, psycopg.errors.DataError):
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else "invalid value"
        return 422, "validation_failed", f"the database refused a value: {first}"
    if isinstance(orig, psycopg.OperationalError):
        return 503, "database_unavailable", "the database is unavailable; nothing was written"
    return 500, "internal_error", "internal server error"


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the API documents at ``path`` (and HEAD beside GET), for a 405's Allow.

    A path parameter matches what its documented pattern allows (else any segment), so
    ``/experiments/{id}:stop`` is not also ``/experiments/{id}`` with an id ending in
    ``:stop`` when ids may not hold a colon.
    """
    methods: set[str] = set()
    matches: list[tuple[int, set[str]]] = []
    for template, item in app.openapi().get("paths", {}).items():
        for method, operation in item.items():
            patterns = tuple(
                sorted(
                    (p["name"], str(p.get("schema", {}).get("pattern", "")))
                    for p in operation.get("parameters", [])
                    if p.get("in") == "path"
                )
            )
            if _template_regex(template, patterns).fullmatch(path):
                matches.append((template.count("{"), {method.upper()}))
    # A literal segment wins over a parameter (``/goals/suggestions`` is not ``/goals/{goalId}``),
    # as the routes are registered: the most specific template is the one that answers.
    fewest = min((n for n, _ in matches), default=0)
    for n, found in matches:
        if n == fewest:
            methods |= found
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


@cache
def _template_regex(template: str, patterns: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    segment = {name: _segment(pattern) for name, pattern in patterns}
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join(
            segment.get(part[1:-1], "[^/]+") if part.startswith("{") else re.escape(part)
            for part in parts
        )
    )


def _segment(pattern: str) -> str:
    """A documented ``^[…]*$`` character-class pattern as a non-empty segment regex."""
    match = re.fullmatch(r"\^(\[[^\]]*\])\*\$", pattern)
    return f"(?:{match.group(1)})+" if match else "[^/]+"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that produce the error envelope."""

    @app.exception_handler(TwinError)
    async def _twin_error(_request: Request, exc: TwinError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.http_status,
            content=error_body(exc.code, exc.message, exc.details),
            headers=getattr(exc, "headers", None),
        )

    async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
        status, code, message = database_error_answer(exc)
        if status >= 500:
            log.exception("database error", exc_info=exc)
        else:
            log.warning("database refused a request: %s", exc)
        return JSONResponse(status_code=status, content=error_body(code, message))

    app.add_exception_handler(sa.exc.DBAPIError, _database_error)
    app.add_exception_handler(psycopg.Error, _database_error)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(list(exc.errors()))
        where = ", ".join(
            (f"record {d['index']} " if d["index"] is not None else "")
            + f"{d['field']}: {d['reason']}"
            for d in details[:5]
        )
        more = f" (and {len(details) - 5} more)" if len(details) > 5 else ""
        return JSONResponse(
            status_code=422,
            content=error_body("validation_failed", f"invalid request: {where}{more}", details),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route matching the path only; a
            # path served by several routes (GET, PUT, DELETE …) supports all of theirs.
            allowed = allowed_methods(app, request.scope["path"])
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        return JSONResponse(
            status_code=exc.status_code,
            content=error_body(code, str(exc.detail)),
            headers=headers or None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Answered outside the middleware stack: the request id is added here.
        request_id = getattr(request.state, "request_id", None)
        log.exception("unhandled error (request_id=%s)", request_id, exc_info=exc)
        return JSONResponse(
            status_code=500,
            content=error_body("internal_error", "internal server error"),
            headers={"X-Request-ID": request_id} if request_id else None,
        )
