"""Learners and their rights: profile, privacy switches, export, erasure, learner tokens."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from twin.api.deps import CurrentPrincipal, DbSession, ServicePrincipal, get_db
from twin.api.guard import GuardedRoute
from twin.api.types import Id, IdPath, JsonBool, UtcDatetime, whole_number
from twin.clock import utcnow
from twin.db.models import User
from twin.services import auth as auth_service
from twin.services import learners as users_service

router = APIRouter(tags=["learners"], route_class=GuardedRoute)

UserId = Annotated[IdPath, Path(description="The learner's id")]
MAX_TIMEZONE_LENGTH = 64
# local@domain, no spaces (ASCII whitespace spelled out: regex engines disagree on \s) or NUL.
EMAIL_PATTERN = r"^[^@\x00\x09-\x0d\x20]+@[^@\x00\x09-\x0d\x20]+$"
# A free-text query value: no control characters (the guard refuses them for every query).
QUERY_TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
MissionMinutes = Annotated[int, Strict(), Field(ge=5, le=600), BeforeValidator(whole_number)]
TtlSeconds = Annotated[
    int,
    Strict(),
    Field(ge=1, le=auth_service.MAX_TOKEN_TTL_SECONDS),
    BeforeValidator(whole_number),
]
TIMEZONE_SCHEMA: dict[str, Any] = {"enum": sorted(users_service.iana_zones())}


class UserIn(BaseModel):
    """Fields of a learner; omitted fields are left as they are."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN)
    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(
        default=None,
        max_length=MAX_TIMEZONE_LENGTH,
        description="IANA time zone, e.g. Europe/Berlin",
        json_schema_extra=TIMEZONE_SCHEMA,
    )
    defaultMissionMinutes: MissionMinutes | None = None
    behavioralAnalysisEnabled: JsonBool | None = None
    learningStyleProfilingEnabled: JsonBool | None = None
    shareAnonymizedPatterns: JsonBool | None = None


class PrivacyIn(BaseModel):
    """Privacy switches; switching analysis off deletes the derived data at once."""

    model_config = ConfigDict(extra="forbid")

    behavioralAnalysisEnabled: JsonBool | None = None
    learningStyleProfilingEnabled: JsonBool | None = None
    shareAnonymizedPatterns: JsonBool | None = None


class UserOut(BaseModel):
    """A learner as stored."""

    id: str
    email: str | None
    name: str | None
    timezone: str
    defaultMissionMinutes: int
    behavioralAnalysisEnabled: bool
    learningStyleProfilingEnabled: bool
    shareAnonymizedPatterns: bool
    createdAt: UtcDatetime
    updatedAt: UtcDatetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        """From the model."""
        return cls.model_validate(user, from_attributes=True)


class UserUpsertOut(UserOut):
    """A learner after PUT, with what a privacy switch deleted."""

    deleted: dict[str, int] = Field(default_factory=dict)


class UserPage(BaseModel):
    """One page of learners."""

    users: list[UserOut]
    nextCursor: str | None


class PrivacyOut(BaseModel):
    """Privacy flags after the change, and the derived rows deleted by it."""

    behavioralAnalysisEnabled: bool
    learningStyleProfilingEnabled: bool
    shareAnonymizedPatterns: bool
    deleted: dict[str, int]


class ErasureOut(BaseModel):
    """Rows deleted per table by an erasure."""

    userId: str
    erased: dict[str, int]


class TokenIn(BaseModel):
    """Request for a learner token."""

    model_config = ConfigDict(extra="forbid")

    userId: Id
    ttlSeconds: TtlSeconds = 3600


class TokenOut(BaseModel):
    """A signed learner token."""

    token: str
    userId: str
    expiresAt: int = Field(description="Expiry, seconds since the epoch")


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=201,
    summary="Issue a learner token",
    responses={404: {"description": "No such learner"}},
)
def create_token(
    body: TokenIn, _: ServicePrincipal, session: DbSession, request: Request
) -> TokenOut:
    """A signed, expiring token that reads and writes only under /v1/users/{userId}/ (service keys only)."""
    users_service.get_user(session, body.userId)
    secret = request.app.state.token_secret or auth_service.token_secret(
        session, request.app.state.settings.secret_key
    )
    request.app.state.token_secret = secret
    token, expires = auth_service.issue_learner_token(
        secret, body.userId, body.ttlSeconds, utcnow()
    )
    return TokenOut(token=token, userId=body.userId, expiresAt=expires)


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
    users, next_cursor = users_service.list_users(session, limit, cursor)
    return UserPage(users=[UserOut.of(u) for u in users], nextCursor=next_cursor)


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
        users_service.get_user(session, userId)
    outcome = users_service.upsert_user(session, userId, body.model_dump(exclude_unset=True))
    response.status_code = 201 if outcome.created else 200
    return UserUpsertOut(**UserOut.of(outcome.user).model_dump(), deleted=outcome.deleted)


@router.get("/users/{userId}", response_model=UserOut, summary="Get a learner")
def get_user(userId: UserId, _: CurrentPrincipal, session: DbSession) -> UserOut:
    """The learner's stored fields and privacy flags."""
    return UserOut.of(users_service.get_user(session, userId))


@router.patch(
    "/users/{userId}/privacy", response_model=PrivacyOut, summary="Change privacy switches"
)
def patch_privacy(
    userId: UserId, body: PrivacyIn, _: CurrentPrincipal, session: DbSession
) -> PrivacyOut:
    """Switching behavioralAnalysisEnabled off deletes patterns, insights, profile, predictions,
    load and burnout assessments and recommendations at once; raw inputs are kept."""
    user = users_service.get_user(session, userId)
    deleted = users_service.apply_privacy(session, user, body.model_dump(exclude_unset=True))
    return PrivacyOut(
        behavioralAnalysisEnabled=user.behavioralAnalysisEnabled,
        learningStyleProfilingEnabled=user.learningStyleProfilingEnabled,
        shareAnonymizedPatterns=user.shareAnonymizedPatterns,
        deleted=deleted,
    )


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
        users_service.get_user(session, userId)  # 404 before the stream starts

    def stream() -> Any:
        with db.session() as session:
            yield from users_service.export_user(session, userId)

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
    return ErasureOut(userId=userId, erased=users_service.erase_user(session, userId))
