"""What every ``/v1`` route checks before FastAPI reads its parameters and body, in order.

1. the credential (401) and a learner token's scope (403) — before the body is parsed,
   so a request without credentials gets 401 whatever it sends;
2. the credential's rate (429 with Retry-After, when a limit is configured);
3. query parameters: no control characters (422 naming ``query.<name>``);
4. the body, read in full (413 past ``TWIN_MAX_BODY_BYTES``, counted by
   :class:`twin.api.middleware.BodyLimitMiddleware`) and, when it is JSON, parsed
   here (422 naming the field): at most :data:`JSON_MAX_DEPTH` levels deep, no NaN,
   no number too large for a float, no NUL character and no unpaired surrogate in
   any string or key. PostgreSQL can store none of these, and Python's own parser
   fails on deep nesting with a RecursionError.

Routers opt in with ``APIRouter(route_class=GuardedRoute)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from pydantic_core import from_json
from starlette.requests import Request
from starlette.responses import Response

from twin.api.deps import authenticate
from twin.api.errors import field_path
from twin.api.middleware import RateLimiter
from twin.errors import ValidationFailed

JSON_MAX_DEPTH = 200  # the nesting depth pydantic-core's parser allows
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
# Only a body containing one of these can hold a NUL (escaped) or a number that overflows a
# float (a 3-digit exponent or a very long literal); only then are its values walked.
_MAY_HOLD_BAD_VALUES = re.compile(rb"\\u0000|[eE][+-]?0*[1-9][0-9]{2}|[0-9]{300}")
_MISSING = object()


def _problem(path: tuple[str | int, ...], reason: str) -> ValidationFailed:
    index, field = field_path(path)
    where = (f"record {index} " if index is not None else "") + field
    return ValidationFailed(
        f"invalid request body: {where}: {reason}",
        details=[{"index": index, "field": field, "reason": reason}],
    )


def _check_values(value: Any) -> None:
    """ValidationFailed at the first NUL character or non-finite number (by its path)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise _problem(path, "must not contain NUL characters")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise _problem(path, "number out of range")
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise _problem((*path, key), "field names must not contain NUL characters")
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, i)) for i, child in enumerate(item))


def parse_json_body(raw: bytes) -> Any:
    """The JSON value of a request body, or ValidationFailed naming the field (see module doc)."""
    try:
        value = from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        reason = str(exc)
        if "recursion limit" in reason:
            reason = f"nested deeper than {JSON_MAX_DEPTH} levels"
        raise ValidationFailed(
            f"request body is not valid JSON: {reason}",
            details=[{"index": None, "field": "body", "reason": f"invalid JSON: {reason}"}],
        ) from None
    if _MAY_HOLD_BAD_VALUES.search(raw):
        _check_values(value)
    return value


async def json_body(request: Request) -> Any:
    """The request's JSON body: as parsed by the guard, or parsed now whatever its media type."""
    parsed = getattr(request.state, "json_body", _MISSING)
    if parsed is _MISSING:
        parsed = parse_json_body(await request.body())
        request.state.json_body = parsed
    return parsed


def is_json(content_type: str | None) -> bool:
    """True for application/json and application/*+json."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def check_query(request: Request) -> None:
    """ValidationFailed naming the first query parameter holding a control character."""
    for name, value in request.query_params.multi_items():
        if CONTROL_CHARACTERS.search(value):
            field = f"query.{name}"
            raise ValidationFailed(
                f"invalid request: {field}: must not contain control characters",
                details=[
                    {"index": None, "field": field, "reason": "must not contain control characters"}
                ],
            )


class GuardedRoute(APIRoute):
    """An API route that authenticates, rate-limits and checks its input before FastAPI does."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, behind the checks of the module doc."""
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            principal = await run_in_threadpool(authenticate, request)
            limiter: RateLimiter = request.app.state.rate_limiter
            limiter.check(principal)
            check_query(request)
            body = await request.body()
            if body and is_json(request.headers.get("content-type")):
                parsed = parse_json_body(body)
                request.state.json_body = parsed
                # Starlette keeps a parsed body here; FastAPI then uses ours instead of
                # parsing again with json.loads (which it would do safely now anyway).
                request._json = parsed
            return await handler(request)

        return guarded
