"""Request dependencies: the database session and the caller's principal (auth + scoping)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from twin.analysis.common import naive_utc
from twin.api.types import QueryTimestamp
from twin.db.engine import Database
from twin.errors import Forbidden, Unauthorized
from twin.services.auth import (
    LEARNER_TOKEN_PREFIX,
    SERVICE_KEY_PREFIX,
    KeyCache,
    Principal,
    authenticate_service_key,
    token_secret,
    verify_learner_token,
)


def get_db(request: Request) -> Database:
    """The application's database."""
    db: Database = request.app.state.db
    return db


def request_time(request: Request) -> datetime:
    """The instant of the request (naive UTC, ms), read once from the app's clock.

    The app's clock is :func:`twin.clock.utcnow` unless ``create_app(clock=…)`` says
    otherwise; authentication and the handler see the same instant.
    """
    now: datetime | None = getattr(request.state, "now", None)
    if now is None:
        now = request.app.state.clock()
        request.state.now = now
    return now


def get_session(request: Request) -> Iterator[Session]:
    """A session for the request: committed when the handler returns, rolled back on error.

    Used with ``scope="function"`` (see :data:`DbSession`): the commit runs after the
    handler returns and *before* the answer is sent, so a 2xx means committed and a
    failed commit becomes the answer (FastAPI's default, ``"request"``, would commit
    after the answer had gone out).
    """
    with get_db(request).session() as session:
        yield session


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthorized(
            "missing credential: send 'Authorization: Bearer <service key or learner token>'"
        )
    return credential.strip()


def authenticate(request: Request) -> Principal:
    """Check the credential (401) and that a learner token stays on its own learner's paths (403).

    :class:`twin.api.guard.GuardedRoute` calls this before the body is read; the
    dependency then finds the principal already on the request.
    """
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    credential = _bearer(request)
    db = get_db(request)
    with db.session() as session:
        if credential.startswith(SERVICE_KEY_PREFIX):
            cache: KeyCache = request.app.state.key_cache
            principal = authenticate_service_key(session, credential, cache)
        elif credential.startswith(LEARNER_TOKEN_PREFIX):
            secret = request.app.state.token_secret or token_secret(
                session, request.app.state.settings.secret_key
            )
            request.app.state.token_secret = secret
            principal = verify_learner_token(secret, credential, request_time(request))
        else:
            raise Unauthorized("unrecognised credential: expected a service key or a learner token")
    if not principal.is_service:
        path_user = request.path_params.get("userId")
        if path_user is None:
            raise Forbidden("learner tokens may only be used under /v1/users/{their own id}/")
        if path_user != principal.user_id:
            raise Forbidden("this learner token does not grant access to another learner's data")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
Now = Annotated[datetime, Depends(request_time)]
"""The request's instant: the one clock of the API (``create_app(clock=…)`` in tests)."""

AS_OF_DESCRIPTION = (
    "See the learner as of this instant (RFC 3339 with an offset; default: now): nothing "
    "recorded after it is used. An instant after now is read as now."
)


def analysis_time(
    request: Request,
    asOf: Annotated[QueryTimestamp | None, Query(description=AS_OF_DESCRIPTION)] = None,
) -> datetime:
    """The instant an analysis route looks at: ``asOf`` (naive UTC), else the request's instant.

    A later ``asOf`` than now is read as now: nothing is recorded after now, so the answer is
    the same, and nothing is assessed or stored under a date that has not come yet (a client
    whose clock runs a little ahead is not refused either).
    """
    now = request_time(request)
    if asOf is None:
        return now
    return min(naive_utc(asOf), now)


AsOf = Annotated[datetime, Depends(analysis_time)]
"""The instant an analysis route looks at (``asOf``, default now)."""
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def require_service(principal: CurrentPrincipal) -> Principal:
    """Only a service API key may call this endpoint."""
    if not principal.is_service:
        raise Forbidden("this endpoint needs a service API key")
    return principal


ServicePrincipal = Annotated[Principal, Depends(require_service)]
