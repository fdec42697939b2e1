"""Learners and their rights: profile, privacy switches, export, erasure, learner tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from twin.api.deps import CurrentPrincipal, DbSession, ServicePrincipal, get_db
from twin.api.types import UtcDatetime
from twin.clock import utcnow
from twin.db.models import User
from twin.services import auth as auth_service
from twin.services import learners as users_service

router = APIRouter(tags=["learners"])

UserId = Annotated[str, Path(min_length=1, max_length=200, description="The learner's id")]


class UserIn(BaseModel):
    """Fields of a learner; omitted fields are left as they are."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, description="IANA time zone, e.g. Europe/Berlin")
    defaultMissionMinutes: int | None = Field(default=None, ge=5, le=600)
    behavioralAnalysisEnabled: bool | None = None
    learningStyleProfilingEnabled: bool | None = None
    shareAnonymizedPatterns: bool | None = None


class PrivacyIn(BaseModel):
    """Privacy switches; switching analysis off deletes the derived data at once."""

    model_config = ConfigDict(extra="forbid")

    behavioralAnalysisEnabled: bool | None = None
    learningStyleProfilingEnabled: bool | None = None
    shareAnonymizedPatterns: bool | None = None


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

    userId: str = Field(min_length=1, max_length=200)
    ttlSeconds: int = Field(default=3600, ge=1, le=auth_service.MAX_TOKEN_TTL_SECONDS)


class TokenOut(BaseModel):
    """A signed learner token."""

    token: str
    userId: str
    expiresAt: int = Field(description="Expiry, seconds since the epoch")


@router.post("/tokens", response_model=TokenOut, status_code=201, summary="Issue a learner token")
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
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> UserPage:
    """Learners by id, a page at a time; pass nextCursor back to get the next page."""
    users, next_cursor = users_service.list_users(session, limit, cursor)
    return UserPage(users=[UserOut.of(u) for u in users], nextCursor=next_cursor)


@router.put("/users/{userId}", response_model=UserUpsertOut, summary="Create or update a learner")
def put_user(
    userId: UserId, body: UserIn, _: CurrentPrincipal, session: DbSession, response: Response
) -> UserUpsertOut:
    """Create the learner, or update the fields sent (201 when created)."""
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
        headers={"Content-Disposition": f'attachment; filename="twin-export-{userId}.json"'},
    )


@router.delete("/users/{userId}", response_model=ErasureOut, summary="Erase a learner")
def delete_user(userId: UserId, _: CurrentPrincipal, session: DbSession) -> ErasureOut:
    """Delete every row of the learner in every table, and the learner."""
    return ErasureOut(userId=userId, erased=users_service.erase_user(session, userId))
