"""One incoming record of each kind the engine ingests, as pydantic models.

Field names are the physical camelCase column names (SCHEMA.md), so a record,
its row and its JSON share one vocabulary. Pure: no database, no clock.

Conventions checked here (the database checks ownership and references):

- ids are sent by the client and kept as sent; the id alphabet (:data:`ID_RULE`) is the
  same wherever an id enters, here and in the API's paths;
- timestamps are RFC 3339 strings *with* an offset (``Z`` or ``±hh:mm``), written with a
  year from 1900 to 2999; they are converted to naive UTC and truncated to
  milliseconds, the storage convention;
- numbers are strict (``"5"`` and ``true`` are not numbers; ``5.0`` is the integer 5, as
  in JSON Schema) and range-checked;
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
# Ids travel in URL paths, JSON, CSV, file names and headers: no control characters
# (C0, DEL, C1), no line/paragraph separators, no unpaired surrogates, no '/' (a path
# segment could not hold it) and not '.' or '..' (clients rewrite those path segments).
ID_FORBIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f/\u2028\u2029\ud800-\udfff]")
ID_DOT_SEGMENTS = frozenset({".", ".."})
ID_RULE = (
    f"1–{MAX_ID_LENGTH} characters; no control characters, line separators or '/'; not '.' or '..'"
)
# The same rule as JSON Schema (ECMA 262 regex), for the OpenAPI document.
ID_JSON_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_ID_LENGTH,
    "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f/\\u2028\\u2029]*$",
    "not": {"enum": sorted(ID_DOT_SEGMENTS)},
}
# eventData is free-form; its compact JSON (UTF-8) may take at most this many bytes.
MAX_EVENT_DATA_BYTES = 4096
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
# Years a timestamp may be written with (any offset): study activity and the queries about it
# fall well inside, and every date computation around them (spans, windows, UTC
# conversion) stays far from the ends of the calendar.
MIN_TIMESTAMP_YEAR = 1900
MAX_TIMESTAMP_YEAR = 2999
# The accepted form as a regex for the OpenAPI document (the date's validity is the
# format's to say); a full pattern lets a fuzzer draw valid timestamps from it directly.
TIMESTAMP_PATTERN = (
    "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]"
    "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?"
    "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
TIMESTAMP_JSON_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "pattern": TIMESTAMP_PATTERN,
    "description": f"RFC 3339 with an offset (Z or ±hh:mm), year {MIN_TIMESTAMP_YEAR}–{MAX_TIMESTAMP_YEAR}",
    "examples": [TIMESTAMP_EXAMPLE],
}

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


def parse_rfc3339(
    text: str, *, naive_is_utc: bool = False, space_separator: bool = False
) -> datetime:
    """Parse an RFC 3339 timestamp to naive UTC at ms precision (raises PydanticCustomError).

    The API accepts exactly JSON Schema's ``date-time`` ('T' or 't' between date and
    time); files may ask for the space spreadsheets write (``space_separator``).
    """
    match = _RFC3339.fullmatch(text)
    if match is not None and not space_separator and text[10] == " ":
        match = None
    if match is None:
        raise PydanticCustomError(
            "timestamp_format",
            "not an RFC 3339 timestamp (expected e.g. {example})",
            {"example": TIMESTAMP_EXAMPLE},
        )
    year = int(match.group(1))
    if not MIN_TIMESTAMP_YEAR <= year <= MAX_TIMESTAMP_YEAR:
        raise PydanticCustomError(
            "timestamp_range",
            "year must be between {low} and {high} (got {year})",
            {"low": MIN_TIMESTAMP_YEAR, "high": MAX_TIMESTAMP_YEAR, "year": year},
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


def parse_rfc3339_aware(text: str) -> datetime:
    """Like :func:`parse_rfc3339` (offset required), but aware, in the offset it was written with."""
    utc = parse_rfc3339(text).replace(tzinfo=UTC)
    match = _RFC3339.fullmatch(text)
    assert match is not None and match.group(8) is not None  # parse_rfc3339 checked both
    return utc.astimezone(_offset(match.group(8)))


def parse_timestamp(value: object) -> datetime:
    """An RFC 3339 timestamp with offset (or an aware datetime) as naive UTC at ms precision."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError(
                "timestamp_naive", "timestamp has no UTC offset (a naive datetime)"
            )
        if not MIN_TIMESTAMP_YEAR <= value.year <= MAX_TIMESTAMP_YEAR:
            raise PydanticCustomError(
                "timestamp_range",
                "year must be between {low} and {high} (got {year})",
                {"low": MIN_TIMESTAMP_YEAR, "high": MAX_TIMESTAMP_YEAR, "year": value.year},
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


def id_problem(value: str) -> str | None:
    """Why ``value`` is not a valid id (:data:`ID_RULE`), or None when it is one."""
    if not 1 <= len(value) <= MAX_ID_LENGTH:
        return f"must be 1–{MAX_ID_LENGTH} characters"
    bad = ID_FORBIDDEN_CHARACTERS.search(value)
    if bad is not None:
        return f"must not contain {bad.group()!r} (ids: {ID_RULE})"
    if value in ID_DOT_SEGMENTS:
        return f"must not be '.' or '..' (ids: {ID_RULE})"
    return None


def _check_id(value: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise PydanticCustomError("id_alphabet", problem)
    return value


def whole_number(value: object) -> object:
    """A float without a fraction as the int it is (JSON Schema: 5.0 is an integer).

    Put after the constraints in ``Annotated[int, Strict(), Field(...), BeforeValidator(whole_number)]``:
    strings and booleans stay refused, and the JSON schema keeps its minimum/maximum.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rating_from_number(value: object) -> object:
    value = whole_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if value in RATING_BY_NUMBER:
            return RATING_BY_NUMBER[value]
        raise PydanticCustomError("rating", "must be AGAIN, HARD, GOOD, EASY or 1–4")
    return value


Timestamp = Annotated[
    datetime,
    PlainValidator(parse_timestamp),
    WithJsonSchema(TIMESTAMP_JSON_SCHEMA),
]
RecordId = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=MAX_ID_LENGTH),
    AfterValidator(_check_id),
    WithJsonSchema(ID_JSON_SCHEMA),
]
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH), AfterValidator(_reject_nul)
]
LongText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH), AfterValidator(_reject_nul)
]
Tags = Annotated[list[Name], Len(max_length=MAX_LIST_ITEMS)]
Count = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX), BeforeValidator(whole_number)]
TimeSpentMs = Annotated[
    int, Strict(), Field(ge=0, le=MAX_TIME_SPENT_MS), BeforeValidator(whole_number)
]
Fraction = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Likert = Annotated[
    int, Strict(), Field(ge=LIKERT_MIN, le=LIKERT_MAX), BeforeValidator(whole_number)
]
Flag = Annotated[bool, Strict()]
HourOfDay = Annotated[
    int, Strict(), Field(ge=0, le=HOURS_PER_DAY - 1), BeforeValidator(whole_number)
]
DayOfWeek = Annotated[
    int, Strict(), Field(ge=0, le=DAYS_PER_WEEK - 1), BeforeValidator(whole_number)
]
IntScore = Annotated[int, Strict(), Field(ge=0, le=SCORE_MAX), BeforeValidator(whole_number)]
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
    eventData: dict[str, Any] = Field(
        default_factory=dict,
        description=f"Free-form JSON object of at most {MAX_EVENT_DATA_BYTES} bytes (compact UTF-8)",
    )
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
