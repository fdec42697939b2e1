"""One incoming record of each kind the engine ingests, as pydantic models.

Field names are the physical camelCase column names (SCHEMA.md), so a record,
its row and its JSON share one vocabulary. Pure: no database, no clock.

Conventions checked here (the database checks ownership and references):

- ids are sent by the client, kept as sent, 1–200 characters;
- timestamps are RFC 3339 strings *with* an offset (``Z`` or ``±hh:mm``); they are
  converted to naive UTC and truncated to milliseconds, the storage convention;
- numbers are strict (``"5"`` and ``true`` are not numbers) and range-checked;
- memory-model state (card stability, review difficulty…) is derived by the engine
  from reviews and is never accepted from clients.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, ClassVar

from annotated_types import Len
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from twin.analysis.common import storage_time
from twin.enums import (
    CardType,
    CompletionQuality,
    EngagementLevel,
    EventType,
    MasteryLevel,
    MissionStatus,
    ObjectiveComplexity,
    ReviewRating,
)

MAX_BATCH_RECORDS = 5000
MAX_ID_LENGTH = 200
MAX_NAME_LENGTH = 500
MAX_TEXT_LENGTH = 20_000
MAX_LIST_ITEMS = 500
INT32_MAX = 2_147_483_647
MS_PER_DAY = 86_400_000
MAX_TIME_SPENT_MS = MS_PER_DAY
HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7
SCORE_MAX = 100
LIKERT_MIN = 1
LIKERT_MAX = 5
MS_DIGITS = 3
MICROSECONDS_PER_MS = 1000
RATING_BY_NUMBER: dict[int, ReviewRating] = {
    1: ReviewRating.AGAIN,
    2: ReviewRating.HARD,
    3: ReviewRating.GOOD,
    4: ReviewRating.EASY,
}
TIMESTAMP_EXAMPLE = "2024-05-01T08:30:00Z"

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?"
)


def _offset(text: str) -> timezone:
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours >= HOURS_PER_DAY or minutes >= 60:
        raise ValueError(f"offset {text} out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _from_groups(groups: tuple[str | None, ...]) -> datetime:
    # Slow path for RFC 3339 spellings datetime.fromisoformat refuses (lowercase t/z …).
    year, month, day, hour, minute, second, fraction, offset = groups
    millis = int((fraction or "")[:MS_DIGITS].ljust(MS_DIGITS, "0"))
    return datetime(
        int(year or 0),
        int(month or 0),
        int(day or 0),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        millis * MICROSECONDS_PER_MS,
        tzinfo=None if offset is None else _offset(offset),
    )


def parse_rfc3339(text: str, *, naive_is_utc: bool = False) -> datetime:
    """Parse an RFC 3339 timestamp to naive UTC at ms precision (raises PydanticCustomError)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise PydanticCustomError(
            "timestamp_format",
            "not an RFC 3339 timestamp (expected e.g. {example})",
            {"example": TIMESTAMP_EXAMPLE},
        )
    if match.group(8) is None and not naive_is_utc:
        raise PydanticCustomError(
            "timestamp_naive",
            "timestamp has no UTC offset: add Z or ±hh:mm (e.g. {example})",
            {"example": TIMESTAMP_EXAMPLE},
        )
    try:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = _from_groups(match.groups())
        offset = parsed.utcoffset()
        utc = parsed.replace(tzinfo=None)
        if offset:
            utc -= offset
    except (ValueError, OverflowError) as exc:
        raise PydanticCustomError(
            "timestamp_value", "not a valid date and time: {error}", {"error": str(exc)}
        ) from None
    extra = utc.microsecond % MICROSECONDS_PER_MS
    return utc.replace(microsecond=utc.microsecond - extra) if extra else utc


def parse_timestamp(value: object) -> datetime:
    """An RFC 3339 timestamp with offset (or an aware datetime) as naive UTC at ms precision."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError(
                "timestamp_naive", "timestamp has no UTC offset (a naive datetime)"
            )
        return storage_time(value)
    if not isinstance(value, str):
        raise PydanticCustomError(
            "timestamp_type",
            "must be an RFC 3339 timestamp string such as {example}",
            {"example": TIMESTAMP_EXAMPLE},
        )
    return parse_rfc3339(value)


def format_timestamp(value: datetime) -> str:
    """A stored (naive UTC) timestamp as RFC 3339 with milliseconds and ``Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // MICROSECONDS_PER_MS:03d}Z"


def _reject_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail mid-write.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain NUL characters")
    return value


def _rating_from_number(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        if value in RATING_BY_NUMBER:
            return RATING_BY_NUMBER[value]
        raise PydanticCustomError("rating", "must be AGAIN, HARD, GOOD, EASY or 1–4")
    return value


Timestamp = Annotated[
    datetime,
    PlainValidator(parse_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [TIMESTAMP_EXAMPLE]}),
]
RecordId = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=MAX_ID_LENGTH),
    AfterValidator(_reject_nul),
]
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH), AfterValidator(_reject_nul)
]
LongText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH), AfterValidator(_reject_nul)
]
Tags = Annotated[list[Name], Len(max_length=MAX_LIST_ITEMS)]
Count = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX)]
TimeSpentMs = Annotated[int, Strict(), Field(ge=0, le=MAX_TIME_SPENT_MS)]
Fraction = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Likert = Annotated[int, Strict(), Field(ge=LIKERT_MIN, le=LIKERT_MAX)]
Flag = Annotated[bool, Strict()]
HourOfDay = Annotated[int, Strict(), Field(ge=0, le=HOURS_PER_DAY - 1)]
DayOfWeek = Annotated[int, Strict(), Field(ge=0, le=DAYS_PER_WEEK - 1)]
IntScore = Annotated[int, Strict(), Field(ge=0, le=SCORE_MAX)]
FloatScore = Annotated[float, Strict(), Field(ge=0.0, le=SCORE_MAX, allow_inf_nan=False)]
Rating = Annotated[ReviewRating, BeforeValidator(_rating_from_number)]


class _Strict(BaseModel):
    """Unknown fields are errors, records are immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordModel(_Strict):
    """Base of every ingested record: a client-chosen id."""

    table: ClassVar[str]
    id: RecordId


def _not_before(
    value: datetime | None, info: ValidationInfo, earlier: str, label: str
) -> datetime | None:
    start = info.data.get(earlier)
    if value is not None and isinstance(start, datetime) and value < start:
        raise PydanticCustomError("time_order", "must not be before {label}", {"label": label})
    return value


class CourseRecord(RecordModel):
    """A course (``courses``)."""

    table: ClassVar[str] = "courses"
    name: Name
    code: Name | None = None


class LectureRecord(RecordModel):
    """A lecture of one of the learner's courses (``lectures``).

    ``uploadedAt`` defaults to the time of the first ingestion and is kept on re-sends.
    """

    table: ClassVar[str] = "lectures"
    courseId: RecordId
    title: Name
    topicTags: Tags = Field(default_factory=list)
    uploadedAt: Timestamp | None = None


class PrerequisiteLink(_Strict):
    """One prerequisite of an objective, with its strength (0–1)."""

    prerequisiteId: RecordId
    strength: Fraction = 1.0


class ObjectiveRecord(RecordModel):
    """A learning objective of a lecture (``learning_objectives``), prerequisites inline.

    The prerequisites sent replace the objective's stored prerequisites.
    """

    table: ClassVar[str] = "learning_objectives"
    lectureId: RecordId
    objective: LongText
    isHighYield: Flag = False
    complexity: ObjectiveComplexity = ObjectiveComplexity.INTERMEDIATE
    masteryLevel: MasteryLevel = MasteryLevel.NOT_STARTED
    weaknessScore: Fraction = 0.5
    lastStudiedAt: Timestamp | None = None
    totalStudyTimeMs: Count = 0
    prerequisites: Annotated[list[PrerequisiteLink], Len(max_length=MAX_LIST_ITEMS)] = Field(
        default_factory=list
    )

    @field_validator("prerequisites")
    @classmethod
    def _distinct_prerequisites(
        cls, value: list[PrerequisiteLink], info: ValidationInfo
    ) -> list[PrerequisiteLink]:
        seen: set[str] = set()
        for link in value:
            if link.prerequisiteId == info.data.get("id"):
                raise PydanticCustomError(
                    "self_prerequisite", "an objective cannot be its own prerequisite"
                )
            if link.prerequisiteId in seen:
                raise PydanticCustomError(
                    "duplicate_prerequisite",
                    "prerequisite {id} listed twice",
                    {"id": link.prerequisiteId},
                )
            seen.add(link.prerequisiteId)
        return value


class CardRecord(RecordModel):
    """A flashcard (``cards``); its memory state comes from its reviews, not from here."""

    table: ClassVar[str] = "cards"
    courseId: RecordId
    lectureId: RecordId | None = None
    objectiveId: RecordId | None = None
    cardType: CardType = CardType.BASIC


class ObjectiveCompletion(_Strict):
    """An objective completed in a session, with the learner's self-assessment (1–5)."""

    objectiveId: RecordId
    completedAt: Timestamp
    selfAssessment: Likert | None = None
    confidenceRating: Likert | None = None


class SessionRecord(RecordModel):
    """A study session (``study_sessions``)."""

    table: ClassVar[str] = "study_sessions"
    missionId: RecordId | None = None
    startedAt: Timestamp
    completedAt: Timestamp | None = None
    durationMs: Count | None = None
    reviewsCompleted: Count = 0
    newCardsStudied: Count = 0
    sessionNotes: LongText | None = None
    objectiveCompletions: (
        Annotated[list[ObjectiveCompletion], Len(max_length=MAX_LIST_ITEMS)] | None
    ) = None

    @field_validator("completedAt")
    @classmethod
    def _completed_after_start(
        cls, value: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        return _not_before(value, info, "startedAt", "startedAt")


class ReviewRecord(RecordModel):
    """One review of a card (``reviews``); rating AGAIN/HARD/GOOD/EASY or 1–4."""

    table: ClassVar[str] = "reviews"
    cardId: RecordId
    sessionId: RecordId | None = None
    rating: Rating
    timeSpentMs: TimeSpentMs
    reviewedAt: Timestamp


class ValidationRecord(RecordModel):
    """A scored answer to a comprehension prompt (``validation_responses``)."""

    table: ClassVar[str] = "validation_responses"
    sessionId: RecordId | None = None
    objectiveId: RecordId | None = None
    promptType: Name
    score: Fraction
    confidence: Fraction | None = None
    respondedAt: Timestamp


class MissionObjective(_Strict):
    """One objective planned in a mission."""

    objectiveId: RecordId
    estimatedMinutes: Count | None = None
    completed: Flag = False


class MissionRecord(RecordModel):
    """A daily mission (``missions``)."""

    table: ClassVar[str] = "missions"
    date: Timestamp
    status: MissionStatus = MissionStatus.PENDING
    estimatedMinutes: Count
    recommendedStartTime: Timestamp | None = None
    actualStartTime: Timestamp | None = None
    completedAt: Timestamp | None = None
    objectives: Annotated[list[MissionObjective], Len(max_length=MAX_LIST_ITEMS)] = Field(
        default_factory=list
    )
    reviewCardCount: Count = 0
    newContentCount: Count = 0
    actualMinutes: Count | None = None
    difficultyRating: Likert | None = None
    successScore: Fraction | None = None
    recommendedDuration: Count | None = None
    actualDuration: Count | None = None
    sessionPerformanceScore: FloatScore | None = None

    @field_validator("completedAt")
    @classmethod
    def _completed_after_start(
        cls, value: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        return _not_before(value, info, "actualStartTime", "actualStartTime")


class ExamRecord(RecordModel):
    """An exam of one of the learner's courses (``exams``)."""

    table: ClassVar[str] = "exams"
    courseId: RecordId
    name: Name
    date: Timestamp
    coverageTopics: Tags = Field(default_factory=list)


class EventRecord(RecordModel):
    """A behavioral event (``behavioral_events``).

    ``timeOfDay`` (0–23) and ``dayOfWeek`` (0 = Monday … 6) are filled from the
    timestamp in the learner's time zone when absent.
    """

    table: ClassVar[str] = "behavioral_events"
    eventType: EventType
    eventData: dict[str, Any] = Field(default_factory=dict)
    timestamp: Timestamp
    completionQuality: CompletionQuality | None = None
    contentType: Name | None = None
    dayOfWeek: DayOfWeek | None = None
    difficultyLevel: Name | None = None
    engagementLevel: EngagementLevel | None = None
    sessionPerformanceScore: IntScore | None = None
    timeOfDay: HourOfDay | None = None


RECORD_MODELS: dict[str, type[RecordModel]] = {
    "courses": CourseRecord,
    "lectures": LectureRecord,
    "objectives": ObjectiveRecord,
    "cards": CardRecord,
    "sessions": SessionRecord,
    "reviews": ReviewRecord,
    "validations": ValidationRecord,
    "missions": MissionRecord,
    "exams": ExamRecord,
    "events": EventRecord,
}
KINDS: tuple[str, ...] = tuple(RECORD_MODELS)
