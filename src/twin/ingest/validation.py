"""Pure validation of incoming batches: record shapes, duplicate ids, references, rows.

Nothing here touches the database or the clock; :mod:`twin.ingest.batch` adds the
checks that need the database (ownership, references) and writes the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError

from twin.ingest.schemas import (
    MAX_EVENT_DATA_BYTES,
    CardRecord,
    EventRecord,
    ExamRecord,
    LectureRecord,
    MissionRecord,
    ObjectiveRecord,
    RecordModel,
    ReviewRecord,
    SessionRecord,
    ValidationRecord,
    format_timestamp,
)

M = TypeVar("M", bound=RecordModel)

RECORD_FIELD = "record"
MAX_ZONE_NAME_LENGTH = 64  # the longest IANA name has 32 characters
JSON_NUL_ESCAPE = "\\u0000"
_REASONS_BY_ERROR_TYPE = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "model_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
}

# What a reference points at → the table holding it.
THING_TABLES: dict[str, str] = {
    "course": "courses",
    "lecture": "lectures",
    "objective": "learning_objectives",
    "card": "cards",
    "session": "study_sessions",
    "mission": "missions",
}


@dataclass(frozen=True)
class Problem:
    """One reason a record of a batch was rejected."""

    index: int
    field: str
    reason: str

    def as_detail(self) -> dict[str, Any]:
        """The ``ValidationFailed`` detail entry: ``{index, field, reason}``."""
        return {"index": self.index, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class Reference:
    """A record's reference to another record of the learner."""

    field: str
    thing: str
    target_id: str


def field_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as ``prerequisites[0].strength``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or RECORD_FIELD


@cache
def _list_adapter(model: type[RecordModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _problems_of(index: int, error: ValidationError) -> Iterator[Problem]:
    for item in error.errors(include_url=False):
        reason = _REASONS_BY_ERROR_TYPE.get(item["type"], item["msg"])
        yield Problem(index, field_path(item["loc"]), reason)


def duplicate_id_problems(records: Sequence[object]) -> list[Problem]:
    """A problem for every record whose id already appeared earlier in the batch."""
    first_seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, record in enumerate(records):
        record_id = record.get("id") if isinstance(record, dict) else None
        if not isinstance(record_id, str):
            continue
        if record_id in first_seen:
            problems.append(
                Problem(
                    index,
                    "id",
                    f"duplicate id in this batch (first at index {first_seen[record_id]})",
                )
            )
        else:
            first_seen[record_id] = index
    return problems


def validate_records(
    model: type[M], records: Sequence[object]
) -> tuple[list[M | None], list[Problem]]:
    """Validate every record; return the models (None where invalid) and all problems."""
    try:
        models: list[M | None] = _list_adapter(model).validate_python(records)
        problems: list[Problem] = []
    except ValidationError:
        models, problems = [], []
        for index, record in enumerate(records):
            try:
                models.append(model.model_validate(record))
            except ValidationError as error:
                models.append(None)
                problems.extend(_problems_of(index, error))
    problems.extend(duplicate_id_problems(records))
    return models, problems


def sort_problems(problems: Sequence[Problem]) -> list[Problem]:
    """Problems by record index, then field, without repeats."""
    return sorted(set(problems), key=lambda p: (p.index, p.field, p.reason))


def references(record: RecordModel) -> list[Reference]:
    """Every id of another record that ``record`` points at (must be the same learner's)."""
    refs: list[Reference] = []

    def add(field: str, thing: str, target: str | None) -> None:
        if target is not None:
            refs.append(Reference(field, thing, target))

    if isinstance(record, LectureRecord | ExamRecord):
        add("courseId", "course", record.courseId)
    elif isinstance(record, ObjectiveRecord):
        add("lectureId", "lecture", record.lectureId)
        for i, link in enumerate(record.prerequisites):
            add(f"prerequisites[{i}].prerequisiteId", "objective", link.prerequisiteId)
    elif isinstance(record, CardRecord):
        add("courseId", "course", record.courseId)
        add("lectureId", "lecture", record.lectureId)
        add("objectiveId", "objective", record.objectiveId)
    elif isinstance(record, SessionRecord):
        add("missionId", "mission", record.missionId)
        for i, done in enumerate(record.objectiveCompletions or ()):
            add(f"objectiveCompletions[{i}].objectiveId", "objective", done.objectiveId)
    elif isinstance(record, ReviewRecord):
        add("cardId", "card", record.cardId)
        add("sessionId", "session", record.sessionId)
    elif isinstance(record, ValidationRecord):
        add("sessionId", "session", record.sessionId)
        add("objectiveId", "objective", record.objectiveId)
    elif isinstance(record, MissionRecord):
        for i, planned in enumerate(record.objectives):
            add(f"objectives[{i}].objectiveId", "objective", planned.objectiveId)
    return refs


_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def to_json(value: Any) -> str:
    """Compact JSON for a JSONB column (NaN and infinities refused)."""
    return _JSON.encode(value)


def _column_value(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    return value


def record_row(record: RecordModel) -> dict[str, Any]:
    """The record as a row: column name → value ready for the database (JSON as text)."""
    row = {name: _column_value(getattr(record, name)) for name in type(record).model_fields}
    if isinstance(record, LectureRecord):
        row["topicTags"] = to_json(record.topicTags)
    elif isinstance(record, ExamRecord):
        row["coverageTopics"] = to_json(record.coverageTopics)
    elif isinstance(record, ObjectiveRecord):
        del row["prerequisites"]
    elif isinstance(record, SessionRecord):
        completions = record.objectiveCompletions
        row["objectiveCompletions"] = (
            None
            if completions is None
            else to_json(
                [
                    {
                        "objectiveId": c.objectiveId,
                        "completedAt": format_timestamp(c.completedAt),
                        "selfAssessment": c.selfAssessment,
                        "confidenceRating": c.confidenceRating,
                    }
                    for c in completions
                ]
            )
        )
    elif isinstance(record, MissionRecord):
        row["objectives"] = to_json([o.model_dump() for o in record.objectives])
    return row


def load_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (ValueError when unknown)."""
    if len(name) > MAX_ZONE_NAME_LENGTH:
        raise ValueError(f"unknown IANA time zone (longer than {MAX_ZONE_NAME_LENGTH} characters)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: the name is a path the file system refuses (too long, a device …).
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def local_hour_and_weekday(timestamp: datetime, zone: tzinfo) -> tuple[int, int]:
    """Hour 0–23 and weekday 0 (Monday)–6 of a stored UTC timestamp in ``zone``."""
    local = timestamp.replace(tzinfo=UTC).astimezone(zone)
    return local.hour, local.weekday()


EVENT_COLUMNS: tuple[str, ...] = (
    "id",
    "eventType",
    "eventData",
    "timestamp",
    "completionQuality",
    "contentType",
    "dayOfWeek",
    "difficultyLevel",
    "engagementLevel",
    "sessionPerformanceScore",
    "timeOfDay",
)


def _event_data_problems(events: Sequence[tuple[int, EventRecord]]) -> list[Problem]:
    problems: list[Problem] = []
    for index, event in events:
        try:
            data = to_json(event.eventData)
        except (TypeError, ValueError) as exc:
            problems.append(Problem(index, "eventData", f"not JSON-serialisable: {exc}"))
            continue
        if JSON_NUL_ESCAPE in data:
            problems.append(Problem(index, "eventData", "must not contain NUL characters"))
        elif _oversized(data):
            problems.append(
                Problem(
                    index,
                    "eventData",
                    f"at most {MAX_EVENT_DATA_BYTES} bytes of JSON "
                    f"(got {len(data.encode())}); keep bulky data elsewhere",
                )
            )
    return problems


def _oversized(data: str) -> bool:
    # Characters bound the UTF-8 size from both sides (1–4 bytes each): encode only between.
    n = len(data)
    return n > MAX_EVENT_DATA_BYTES or (
        n * 4 > MAX_EVENT_DATA_BYTES and len(data.encode()) > MAX_EVENT_DATA_BYTES
    )


def event_columns(
    events: Sequence[tuple[int, EventRecord]], zone: tzinfo
) -> tuple[dict[str, list[Any]], list[Problem]]:
    """Column arrays of the events (local hour/weekday filled in ``zone``) and JSON problems."""
    # Column-wise comprehensions: this is the hot path of event ingestion.
    records = [event for _, event in events]
    try:
        data = [_JSON.encode(e.eventData) for e in records]
    except (TypeError, ValueError):
        data = []
    if len(data) != len(records) or any(JSON_NUL_ESCAPE in d or _oversized(d) for d in data):
        return {}, _event_data_problems(events)
    hours: list[int | None] = [e.timeOfDay for e in records]
    weekdays: list[int | None] = [e.dayOfWeek for e in records]
    for i, event in enumerate(records):
        if hours[i] is None or weekdays[i] is None:
            hour, weekday = local_hour_and_weekday(event.timestamp, zone)
            hours[i] = hour if hours[i] is None else hours[i]
            weekdays[i] = weekday if weekdays[i] is None else weekdays[i]
    columns: dict[str, list[Any]] = {
        "id": [e.id for e in records],
        "eventType": [e.eventType.value for e in records],
        "eventData": data,
        "timestamp": [e.timestamp for e in records],
        "completionQuality": [_column_value(e.completionQuality) for e in records],
        "contentType": [e.contentType for e in records],
        "dayOfWeek": weekdays,
        "difficultyLevel": [e.difficultyLevel for e in records],
        "engagementLevel": [_column_value(e.engagementLevel) for e in records],
        "sessionPerformanceScore": [e.sessionPerformanceScore for e in records],
        "timeOfDay": hours,
    }
    return columns, []
