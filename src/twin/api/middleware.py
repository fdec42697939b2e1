"""Around every request: the body size cap, per-credential rate limiting, request ids and the log."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twin.api.errors import error_body
from twin.errors import TwinError
from twin.services.auth import Principal

# Beyond this many credentials tracked, buckets that have refilled are forgotten.
MAX_TRACKED_CREDENTIALS = 100_000
SECONDS_PER_MINUTE = 60.0


class PayloadTooLarge(TwinError):
    """The request body is larger than ``TWIN_MAX_BODY_BYTES``."""

    code = "payload_too_large"
    http_status = 413


class RateLimited(TwinError):
    """The credential sent more requests than ``TWIN_RATE_LIMIT_PER_MINUTE`` allows."""

    code = "too_many_requests"
    http_status = 429

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message, details={"retryAfterSeconds": retry_after_seconds})
        self.headers = {"Retry-After": str(retry_after_seconds)}


def too_large(limit: int) -> str:
    """The 413 message."""
    return (
        f"request body larger than {limit:,} bytes (TWIN_MAX_BODY_BYTES); "
        "split a batch into smaller ones"
    )


class BodyLimitMiddleware:
    """Refuse bodies over ``max_body_bytes`` with 413 before anything parses them.

    A declared Content-Length over the cap is answered at once, without reading the body;
    a body without one (chunked) is counted as it arrives and refused as soon as it
    passes the cap (the route reading it gets :class:`PayloadTooLarge`).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0  # the server refuses malformed lengths itself
                if declared > limit:
                    response = JSONResponse(
                        status_code=413,
                        content=error_body(
                            PayloadTooLarge.code,
                            too_large(limit),
                            {"limitBytes": limit, "declaredBytes": declared},
                        ),
                        headers={"Connection": "close"},
                    )
                    await response(scope, receive, send)
                    return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(too_large(limit), details={"limitBytes": limit})
            return message

        await self.app(scope, counted, send)


class RateLimiter:
    """A token bucket per credential: ``per_minute`` requests a minute, ``burst`` at once.

    In memory, per API process (several processes each allow the rate). Off when
    ``per_minute`` is 0.
    """

    def __init__(
        self,
        per_minute: int,
        burst: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_minute / SECONDS_PER_MINUTE
        self.capacity = float(burst or per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """True when requests are limited."""
        return self.per_second > 0

    def check(self, principal: Principal) -> None:
        """Take one request from the credential's bucket, or raise :class:`RateLimited`."""
        if not self.enabled:
            return
        key = f"{principal.kind}:{principal.name}"
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.per_second)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.per_second)
                raise RateLimited(
                    f"too many requests for this credential; retry in {wait} s "
                    "(TWIN_RATE_LIMIT_PER_MINUTE)",
                    retry_after_seconds=wait,
                )
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_TRACKED_CREDENTIALS:
                self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket.
        full = [
            k
            for k, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.per_second >= self.capacity
        ]
        for k in full:
            del self._buckets[k]


# --- request ids and the access log ----------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it looks like an id (it ends up in logs and headers).
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("twin.api.access")
MS_PER_SECOND = 1000.0
# The calendar feed's URL holds its credential: /v1/feeds/{userId}/{token}.ics.
FEED_PATH = re.compile(r"(/v1/feeds/[^/\s]+/)[^/?\s]+(\.ics)")


def redact_path(path: str) -> str:
    """``path`` with a calendar feed's secret token replaced by ``***``."""
    return FEED_PATH.sub(r"\1***\2", path)


class RedactFeedTokens(logging.Filter):
    """Access-log lines (uvicorn's too) show a feed URL without its secret token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(a) if isinstance(a, str) else a for a in record.args)
        return True


def request_id_of(headers: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]) -> str:
    """The caller's ``X-Request-ID`` when it is a sane id, else a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if REQUEST_ID_PATTERN.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Give every request an id (echoed as ``X-Request-ID``) and log one line per request.

    The line has the method, the path (never the query string or a header, and a feed's
    token redacted, so never a credential), the status, the time taken and the request id; it is written by the
    ``twin.api.access`` logger at INFO.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope.get("headers", ()))
        scope.setdefault("state", {})["request_id"] = request_id
        began = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %d %.1f ms request_id=%s",
                scope.get("method", "?"),
                redact_path(str(scope.get("path", "?"))),
                status,
                (time.perf_counter() - began) * MS_PER_SECOND,
                request_id,
            )


def configure_access_log(level: str) -> None:
    """Log requests at ``level`` (INFO by default: on), to stderr unless logging is set up;
    feed tokens are redacted from these lines and from uvicorn's access log."""
    access_log.setLevel(level)
    for logger in (access_log, logging.getLogger("uvicorn.access")):
        if not any(isinstance(f, RedactFeedTokens) for f in logger.filters):
            logger.addFilter(RedactFeedTokens())
    if not access_log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        access_log.addHandler(handler)
