"""Learners and their rights: the learner, privacy switches, erasure, learner tokens."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from twin.api.schemas.base import Answer
from twin.api.types import Id, JsonBool, Timestamp, whole_number
from twin.services import auth as auth_service
from twin.services import learners as learners_service

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
TIMEZONE_SCHEMA: dict[str, Any] = {"enum": sorted(learners_service.iana_zones())}


# --- requests ---------------------------------------------------------------------------------


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


class TokenIn(BaseModel):
    """Request for a learner token."""

    model_config = ConfigDict(extra="forbid")

    userId: Id
    ttlSeconds: TtlSeconds = 3600


# --- answers ----------------------------------------------------------------------------------


class UserOut(Answer):
    """A learner as stored."""

    id: str
    email: str | None
    name: str | None
    timezone: str
    default_mission_minutes: int = Field(
        description="Minutes of a mission unless planned otherwise"
    )
    behavioral_analysis_enabled: bool
    learning_style_profiling_enabled: bool
    share_anonymized_patterns: bool
    created_at: Timestamp
    updated_at: Timestamp


class UserUpsertOut(UserOut):
    """A learner after PUT, with what a privacy switch deleted."""

    deleted: dict[str, int] = Field(
        default_factory=dict, description="Rows deleted per table by a privacy switch"
    )


class UserPage(Answer):
    """One page of learners."""

    users: list[UserOut]
    next_cursor: str | None


class PrivacyOut(Answer):
    """Privacy flags after the change, and the derived rows deleted by it."""

    behavioral_analysis_enabled: bool
    learning_style_profiling_enabled: bool
    share_anonymized_patterns: bool
    deleted: dict[str, int] = Field(description="Rows deleted per table by the change")


class ErasureOut(Answer):
    """Rows deleted per table by an erasure."""

    user_id: str
    erased: dict[str, int] = Field(description="Rows deleted per table")


class TokenOut(Answer):
    """A signed learner token."""

    token: str
    user_id: str
    expires_at: Timestamp = Field(description="When the token stops being accepted")
