"""The FastAPI application factory (nothing is built at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

import twin
from twin.api.deps import authenticate
from twin.api.docs import install_pages
from twin.api.errors import install_error_handlers
from twin.api.middleware import (
    BodyLimitMiddleware,
    RateLimiter,
    RequestLogMiddleware,
    configure_access_log,
)
from twin.api.openapi import document_errors, document_request_text, document_security
from twin.api.routers import (
    cognitive,
    experiments,
    health,
    ingest,
    insights,
    learners,
    orchestration,
    patterns,
    personalization,
    recall,
    struggle,
)
from twin.api.schemas.ingest import OPENAPI_SCHEMAS
from twin.clock import utcnow
from twin.config import Settings, load_settings
from twin.db import migrate
from twin.db.engine import Database, open_database
from twin.services.auth import KeyCache
from twin.ui import mount_ui

DESCRIPTION = """
The Behavioral Twin Engine's HTTP API.

Every route under `/v1` needs `Authorization: Bearer <credential>` (the **Authorize**
button of this page sets it for every call):
a **service API key** (`twin keys create NAME`) may act for any learner;
a **learner token** (`POST /v1/tokens`) reads and writes only under
`/v1/users/{its learner}/`. Errors always have the body
`{"error": {"code", "message", "details"}}`; every answer carries an `X-Request-ID`
header (the caller's own when it sends a sane one).

Timestamps are ISO 8601 in UTC with a `Z` (`2026-03-01T08:00:00.000Z`); dates are local
calendar days (`2026-03-01`). Analysis routes take `asOf` (default: now) to see the
learner as of that instant: nothing recorded after it is used.

The one exception is `GET /v1/feeds/{userId}/{token}.ics`, the iCalendar feed of a
learner's planned sessions for calendar apps: its secret token is its credential.

A 2xx answer means the write is committed. Ids are 1–200 characters without control
characters, line separators or `/`, and not `.` or `..`. Request bodies are at most
`TWIN_MAX_BODY_BYTES` (413 beyond); numbers and flags must be JSON numbers and booleans;
no string may contain a NUL character.
"""

V1_ROUTERS: tuple[APIRouter, ...] = (
    learners.router,
    ingest.router,
    patterns.router,
    recall.router,
    struggle.router,
    cognitive.router,
    orchestration.router,
    experiments.router,
    insights.router,
    personalization.router,
)


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """Build the app; the database is opened in the lifespan unless one is injected.

    ``clock`` gives the instant of each request (naive UTC; :func:`twin.clock.utcnow`).
    """
    resolved = settings if settings is not None else load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        db = database if database is not None else open_database(resolved)
        try:
            migrate.ensure_migrated(db.engine)
            app.state.db = db
            yield
        finally:
            if owned:
                db.close()

    app = FastAPI(
        title="Behavioral Twin Engine",
        version=twin.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = resolved
    app.state.clock = clock
    app.state.key_cache = KeyCache()
    app.state.token_secret = None
    app.state.rate_limiter = RateLimiter(resolved.rate_limit_per_minute, resolved.rate_limit_burst)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=resolved.max_body_bytes)
    app.add_middleware(RequestLogMiddleware)  # outermost: every answer gets its id
    configure_access_log(resolved.log_level)
    if database is not None:
        app.state.db = database
    install_error_handlers(app)
    install_pages(app)
    app.include_router(health.router)
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)])
    for router in V1_ROUTERS:
        v1.include_router(router)
    app.include_router(v1)
    mount_ui(app)  # the dashboard at /ui (its own sessions; not in the OpenAPI document)
    # Calendar apps subscribe without a bearer header: the secret token in the URL is the credential.
    app.include_router(orchestration.feeds_router)
    _complete_openapi(app)
    return app


def _complete_openapi(app: FastAPI) -> None:
    """Add the ingestion record schemas (referenced by the batch endpoints) and every route's
    error answers to the OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(OPENAPI_SCHEMAS)
            document_errors(schema)
            document_request_text(schema)
            document_security(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
