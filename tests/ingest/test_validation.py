"""Pure validation of ingested records: shapes, ranges, timestamps, references, rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.ingest.factory import INVALID_CASES, KIND_TABLES, invalid_record, valid_record
from twin.ingest.schemas import (
    KINDS,
    MAX_BATCH_RECORDS,
    RECORD_MODELS,
    EventRecord,
    ReviewRecord,
    format_timestamp,
    parse_rfc3339,
    parse_timestamp,
)
from twin.ingest.validation import (
    Problem,
    event_columns,
    field_path,
    local_hour_and_weekday,
    record_row,
    references,
    validate_records,
)


def pure_problems(kind: str, records: list[Any]) -> list[Problem]:
    """Every problem the pure layer finds (events: JSON problems of eventData too)."""
    models, problems = validate_records(RECORD_MODELS[kind], records)
    if kind == "events":
        valid = [(i, m) for i, m in enumerate(models) if isinstance(m, EventRecord)]
        problems += event_columns(valid, UTC)[1]
    return problems


def test_every_kind_has_cases_and_a_table() -> None:
    assert set(INVALID_CASES) == set(KINDS) == set(KIND_TABLES)
    assert MAX_BATCH_RECORDS == 5000


@pytest.mark.parametrize("kind", KINDS)
def test_valid_records_pass(kind: str) -> None:
    models, problems = validate_records(RECORD_MODELS[kind], [valid_record(kind, "r1")])
    assert problems == []
    assert models[0] is not None and models[0].id == "r1"


CASES = [
    (kind, i, field, value, reported)
    for kind, cases in INVALID_CASES.items()
    for i, (field, value, reported) in enumerate(cases)
]


@pytest.mark.parametrize(
    ("kind", "case", "field", "value", "reported"),
    CASES,
    ids=[f"{k}-{f}-{i}" for k, i, f, _v, _r in CASES],
)
def test_invalid_field_is_reported_with_index_and_field(
    kind: str, case: int, field: str, value: Any, reported: str
) -> None:
    records = [valid_record(kind, "good-0"), invalid_record(kind, case, field, value)]
    problems = pure_problems(kind, records)
    assert problems, f"{kind}.{field}={value!r} was accepted"
    assert {(p.index, p.field) for p in problems} == {(1, reported)}
    assert all(p.reason for p in problems)


def test_naive_timestamp_reason_is_clear() -> None:
    record = valid_record("reviews", "r1") | {"reviewedAt": "2024-03-03T07:15:00"}
    [problem] = validate_records(ReviewRecord, [record])[1]
    assert problem.field == "reviewedAt"
    assert "no UTC offset" in problem.reason and "Z" in problem.reason


def test_unknown_and_missing_fields_reasons() -> None:
    record = valid_record("reviews", "r1") | {"stabilityAfter": 3.0}
    del record["rating"]
    problems = validate_records(ReviewRecord, [record])[1]
    assert {(p.field, p.reason) for p in problems} == {
        ("stabilityAfter", "unknown field"),
        ("rating", "required"),
    }


def test_record_that_is_not_an_object() -> None:
    problems = validate_records(ReviewRecord, ["nope", 3])[1]
    assert [(p.index, p.field, p.reason) for p in problems] == [
        (0, "record", "must be a JSON object"),
        (1, "record", "must be a JSON object"),
    ]


def test_duplicate_ids_in_one_batch() -> None:
    records = [
        valid_record("courses", "c1"),
        valid_record("courses", "c2"),
        valid_record("courses", "c1"),
    ]
    problems = validate_records(RECORD_MODELS["courses"], records)[1]
    assert [(p.index, p.field) for p in problems] == [(2, "id")]
    assert "index 0" in problems[0].reason


@pytest.mark.parametrize(
    ("sent", "stored"), [(1, "AGAIN"), (2, "HARD"), (3, "GOOD"), (4, "EASY"), ("EASY", "EASY")]
)
def test_rating_accepts_names_and_numbers(sent: Any, stored: str) -> None:
    [model], problems = validate_records(
        ReviewRecord, [valid_record("reviews", "r") | {"rating": sent}]
    )
    assert problems == [] and model is not None
    assert record_row(model)["rating"] == stored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-03T07:15:00Z", datetime(2024, 3, 3, 7, 15)),
        ("2024-03-03T16:15:00+09:00", datetime(2024, 3, 3, 7, 15)),
        ("2024-03-03T02:15:00-05:00", datetime(2024, 3, 3, 7, 15)),
        ("2024-03-03t07:15:00.123456789z", datetime(2024, 3, 3, 7, 15, 0, 123000)),
        ("2024-03-03T07:15:00.9999Z", datetime(2024, 3, 3, 7, 15, 0, 999000)),
        ("2024-03-03T07:15:00.5+00:00", datetime(2024, 3, 3, 7, 15, 0, 500000)),
    ],
)
def test_timestamps_become_naive_utc_milliseconds(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-03T07:15:00",
        "2024-03-03",
        "20240303T071500Z",
        "2024-02-30T00:00:00Z",
        "2024-03-03T07:15:00+24:00",
        # JSON Schema's date-time, as the OpenAPI document says: no space for the 'T' …
        "2024-03-03 07:15:00Z",
        # … and a year from 1900 to 2999 (no UTC conversion or span leaves the calendar).
        "1899-12-31T23:00:00Z",
        "3000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "",
    ],
)
def test_bad_timestamps_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_aware_datetime_objects_accepted_naive_refused() -> None:
    aware = datetime(2024, 3, 3, 16, 15, 0, 123456, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert parse_timestamp(aware) == datetime(2024, 3, 3, 7, 15, 0, 123000)
    with pytest.raises(ValueError):
        parse_timestamp(datetime(2024, 3, 3))


def test_revlog_style_naive_means_utc_when_asked() -> None:
    assert parse_rfc3339("2024-03-03T07:15:00", naive_is_utc=True) == datetime(2024, 3, 3, 7, 15)


def test_format_timestamp_round_trips() -> None:
    value = datetime(2024, 3, 3, 7, 15, 0, 120000)
    assert format_timestamp(value) == "2024-03-03T07:15:00.120Z"
    assert parse_timestamp(format_timestamp(value)) == value


def test_field_path() -> None:
    assert field_path(("prerequisites", 0, "strength")) == "prerequisites[0].strength"
    assert field_path(()) == "record"


def test_references_of_each_kind() -> None:
    def refs(kind: str) -> set[tuple[str, str, str]]:
        [model], _ = validate_records(RECORD_MODELS[kind], [valid_record(kind, "x")])
        assert model is not None
        return {(r.field, r.thing, r.target_id) for r in references(model)}

    assert refs("courses") == set()
    assert refs("events") == set()
    assert refs("lectures") == {("courseId", "course", "alice-course")}
    assert refs("objectives") == {
        ("lectureId", "lecture", "alice-lecture"),
        ("prerequisites[0].prerequisiteId", "objective", "alice-objective"),
    }
    assert refs("cards") == {
        ("courseId", "course", "alice-course"),
        ("lectureId", "lecture", "alice-lecture"),
        ("objectiveId", "objective", "alice-objective"),
    }
    assert refs("sessions") == {
        ("missionId", "mission", "alice-mission"),
        ("objectiveCompletions[0].objectiveId", "objective", "alice-objective"),
    }
    assert refs("reviews") == {
        ("cardId", "card", "alice-card"),
        ("sessionId", "session", "alice-session"),
    }
    assert refs("validations") == {
        ("sessionId", "session", "alice-session"),
        ("objectiveId", "objective", "alice-objective"),
    }
    assert refs("missions") == {("objectives[0].objectiveId", "objective", "alice-objective")}
    assert refs("exams") == {("courseId", "course", "alice-course")}


def test_rows_serialise_json_and_arrays() -> None:
    [session], _ = validate_records(RECORD_MODELS["sessions"], [valid_record("sessions", "s")])
    assert session is not None
    row = record_row(session)
    assert row["objectiveCompletions"] == (
        '[{"objectiveId":"alice-objective","completedAt":"2024-03-03T07:40:00.000Z",'
        '"selfAssessment":4,"confidenceRating":3}]'
    )
    [lecture], _ = validate_records(RECORD_MODELS["lectures"], [valid_record("lectures", "l")])
    assert lecture is not None
    assert record_row(lecture)["topicTags"] == '["heart","failure"]'
    assert record_row(lecture)["uploadedAt"] == datetime(2024, 3, 1, 8, 0)


def test_local_hour_and_weekday_in_learner_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    # Sunday 2024-03-03 23:30 UTC is Monday 08:30 in Tokyo.
    assert local_hour_and_weekday(datetime(2024, 3, 3, 23, 30), tokyo) == (8, 0)
    assert local_hour_and_weekday(datetime(2024, 3, 3, 23, 30), UTC) == (23, 6)


def test_event_columns_fill_only_missing_local_fields() -> None:
    base = valid_record("events", "e") | {"timestamp": "2024-03-03T23:30:00Z"}
    records = [base, base | {"id": "e2", "timeOfDay": 3}, base | {"id": "e3", "dayOfWeek": 4}]
    models, problems = validate_records(EventRecord, records)
    assert problems == []
    columns, problems = event_columns(
        [(i, m) for i, m in enumerate(models) if m is not None], ZoneInfo("Asia/Tokyo")
    )
    assert problems == []
    assert columns["timeOfDay"] == [8, 3, 8]
    assert columns["dayOfWeek"] == [0, 0, 4]
    assert (
        columns["eventData"][0] == '{"cardId":"alice-card","rating":"GOOD","nested":{"a":[1,2.5]}}'
    )
