"""Learners and their rights: profile, privacy switches, export, erasure, learner tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from twin.api.deps import CurrentPrincipal, DbSession, Now, ServicePrincipal, get_db
from twin.api.guard import GuardedRoute
from twin.api.schemas.learners import (
    QUERY_TEXT_PATTERN,
    ErasureOut,
    PrivacyIn,
    PrivacyOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPage,
    UserUpsertOut,
)
from twin.api.types import UserId
from twin.services import auth as auth_service
from twin.services import learners as learners_service

router = APIRouter(tags=["learners"], route_class=GuardedRoute)


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=201,
    summary="Issue a learner token",
    responses={404: {"description": "No such learner"}},
)
def create_token(
    body: TokenIn, _: ServicePrincipal, session: DbSession, request: Request, now: Now
) -> TokenOut:
    """A signed, expiring token that reads and writes only under /v1/users/{userId}/ (service keys only)."""
    learners_service.get_user(session, body.userId)
    secret = request.app.state.token_secret or auth_service.token_secret(
        session, request.app.state.settings.secret_key
    )
    request.app.state.token_secret = secret
    token, expires = auth_service.issue_learner_token(secret, body.userId, body.ttlSeconds, now)
    return TokenOut(
        token=token, user_id=body.userId, expires_at=datetime.fromtimestamp(expires, UTC)
    )


@router.get("/users", response_model=UserPage, summary="List learners (service keys only)")
def list_users(
    _: ServicePrincipal,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=QUERY_TEXT_PATTERN,
            description="The nextCursor of the previous page (the last id seen)",
        ),
    ] = None,
) -> UserPage:
    """Learners by id, a page at a time; pass nextCursor back to get the next page."""
    users, next_cursor = learners_service.list_users(session, limit, cursor)
    return UserPage(users=[UserOut.model_validate(u) for u in users], next_cursor=next_cursor)


@router.put(
    "/users/{userId}",
    response_model=UserUpsertOut,
    summary="Create or update a learner",
    responses={
        201: {"model": UserUpsertOut, "description": "Created"},
        404: {"description": "A learner token for a learner that does not exist (erased)"},
    },
)
def put_user(
    userId: UserId,
    body: UserIn,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> UserUpsertOut:
    """Create the learner, or update the fields sent (201 when created).

    Only a service key creates learners: a learner token updates its own learner and
    answers 404 once that learner is gone, so a token issued before an erasure cannot
    bring the learner back.
    """
    if not principal.is_service:
        learners_service.get_user(session, userId)
    outcome = learners_service.upsert_user(session, userId, body.model_dump(exclude_unset=True))
    response.status_code = 201 if outcome.created else 200
    return UserUpsertOut.model_validate(outcome.user).model_copy(
        update={"deleted": outcome.deleted}
    )


@router.get("/users/{userId}", response_model=UserOut, summary="Get a learner")
def get_user(userId: UserId, _: CurrentPrincipal, session: DbSession) -> UserOut:
    """The learner's stored fields and privacy flags."""
    return UserOut.model_validate(learners_service.get_user(session, userId))


@router.patch(
    "/users/{userId}/privacy", response_model=PrivacyOut, summary="Change privacy switches"
)
def patch_privacy(
    userId: UserId, body: PrivacyIn, _: CurrentPrincipal, session: DbSession
) -> PrivacyOut:
    """Switching behavioralAnalysisEnabled off deletes patterns, insights, profile, predictions,
    load and burnout assessments and recommendations at once; raw inputs are kept."""
    change = learners_service.change_privacy(session, userId, body.model_dump(exclude_unset=True))
    return PrivacyOut.model_validate(change)


@router.get(
    "/users/{userId}/export",
    summary="Export everything stored about a learner",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/json": {}}}},
)
def export_user(userId: UserId, _: CurrentPrincipal, request: Request) -> StreamingResponse:
    """One JSON document: the learner and every row of theirs in every table, streamed."""
    db = get_db(request)
    with db.session() as session:
        learners_service.get_user(session, userId)  # 404 before the stream starts

    def stream() -> Any:
        with db.session() as session:
            yield from learners_service.export_user(session, userId)

    return StreamingResponse(
        stream(),
        media_type="application/json",
        headers={"Content-Disposition": attachment(f"twin-export-{userId}.json")},
    )


def attachment(filename: str) -> str:
    """A Content-Disposition value for any file name, in ASCII (RFC 6266).

    Header values are latin-1 bytes without control characters: the plain ``filename``
    keeps only safe ASCII (others become ``_``), ``filename*`` carries the exact name
    percent-encoded in UTF-8.
    """
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.delete("/users/{userId}", response_model=ErasureOut, summary="Erase a learner")
def delete_user(userId: UserId, _: CurrentPrincipal, session: DbSession) -> ErasureOut:
    """Delete every row of the learner in every table, and the learner."""
    return ErasureOut(user_id=userId, erased=learners_service.erase_user(session, userId))
