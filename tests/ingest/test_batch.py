"""ingest_batch against PostgreSQL: all-or-nothing, idempotent, learner-scoped."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ingest.factory import (
    ALICE,
    BOB,
    INVALID_CASES,
    KIND_TABLES,
    fetch,
    ids_of,
    invalid_record,
    row_counts,
    snapshot,
    valid_record,
)
from twin.db.engine import Database
from twin.errors import NotFound, ValidationFailed
from twin.ingest.batch import ingest_batch
from twin.ingest.schemas import KINDS, MAX_BATCH_RECORDS

pytestmark = pytest.mark.db


def rejected(db: Database, user: str, kind: str, records: list[Any]) -> list[dict[str, Any]]:
    """The details of the ValidationFailed the batch must raise."""
    with pytest.raises(ValidationFailed) as info:
        ingest_batch(db, user, kind, records)
    details = info.value.details
    assert isinstance(details, list)
    return details


@pytest.mark.parametrize("kind", KINDS)
def test_every_invalid_field_rejected_and_nothing_written(learners: Database, kind: str) -> None:
    cases = INVALID_CASES[kind]
    records = [valid_record(kind, f"good-{kind}")] + [
        invalid_record(kind, i, field, value) for i, (field, value, _r) in enumerate(cases)
    ]
    before = snapshot(learners)
    details = rejected(learners, ALICE, kind, records)
    reported = {(d["index"], d["field"]) for d in details}
    expected = {(i + 1, field) for i, (_f, _v, field) in enumerate(cases)}
    assert reported == expected
    assert all(d["reason"] for d in details)
    assert snapshot(learners) == before


@pytest.mark.parametrize("kind", KINDS)
def test_resending_a_batch_gives_the_same_answer_and_changes_nothing(
    learners: Database, kind: str
) -> None:
    records = [valid_record(kind, f"{kind}-new-1"), valid_record(kind, f"{kind}-new-2")]
    if kind == "reviews":
        records[1]["reviewedAt"] = "2024-03-05T07:15:00Z"
    first = ingest_batch(learners, ALICE, kind, records)
    assert (first.kind, first.received, first.ids) == (kind, 2, [r["id"] for r in records])
    after_first = snapshot(learners)
    again = ingest_batch(learners, ALICE, kind, records)
    assert again == first
    assert snapshot(learners) == after_first


@pytest.mark.parametrize("kind", KINDS)
def test_id_of_another_learner_is_rejected_and_left_alone(learners: Database, kind: str) -> None:
    table = KIND_TABLES[kind]
    bob_id = fetch(
        learners,
        f"SELECT id FROM {table} WHERE id LIKE 'bob-%' ORDER BY id LIMIT 1",
    )[0][0]
    records = [valid_record(kind, f"{kind}-fresh"), valid_record(kind, bob_id)]
    before = snapshot(learners)
    details = rejected(learners, ALICE, kind, records)
    assert details == [{"index": 1, "field": "id", "reason": "belongs to another learner"}]
    assert snapshot(learners) == before


# kind, field path, how to point the record at another id
REFERENCES: list[tuple[str, str, str]] = [
    ("lectures", "courseId", "course"),
    ("objectives", "lectureId", "lecture"),
    ("objectives", "prerequisites[0].prerequisiteId", "objective"),
    ("cards", "courseId", "course"),
    ("cards", "lectureId", "lecture"),
    ("cards", "objectiveId", "objective"),
    ("sessions", "missionId", "mission"),
    ("sessions", "objectiveCompletions[0].objectiveId", "objective"),
    ("reviews", "cardId", "card"),
    ("reviews", "sessionId", "session"),
    ("validations", "sessionId", "session"),
    ("validations", "objectiveId", "objective"),
    ("missions", "objectives[0].objectiveId", "objective"),
    ("exams", "courseId", "course"),
]


def _point(record: dict[str, Any], path: str, target: str) -> dict[str, Any]:
    if "[0]." in path:
        head, leaf = path.split("[0].")
        record[head][0][leaf] = target
    else:
        record[path] = target
    return record


@pytest.mark.parametrize(("kind", "path", "thing"), REFERENCES)
def test_reference_to_another_learner_or_unknown_id_is_rejected(
    learners: Database, kind: str, path: str, thing: str
) -> None:
    records = [
        valid_record(kind, f"{kind}-ok"),
        _point(valid_record(kind, f"{kind}-foreign"), path, ids_of(BOB)[thing]),
        _point(valid_record(kind, f"{kind}-unknown"), path, f"no-such-{thing}"),
    ]
    before = snapshot(learners)
    details = rejected(learners, ALICE, kind, records)
    assert details == [
        {"index": 1, "field": path, "reason": f"{thing} id belongs to another learner"},
        {"index": 2, "field": path, "reason": f"unknown {thing} id"},
    ]
    assert snapshot(learners) == before


def test_problems_of_every_layer_are_reported_together(learners: Database) -> None:
    records = [
        valid_record("cards", "bob-card"),  # another learner's id
        valid_record("cards", "c-x") | {"cardType": "IMAGE"},  # shape
        valid_record("cards", "c-y") | {"courseId": "nope"},  # reference
        valid_record("cards", "c-x"),  # duplicate id
    ]
    details = rejected(learners, ALICE, "cards", records)
    assert [(d["index"], d["field"]) for d in details] == [
        (0, "id"),
        (1, "cardType"),
        (2, "courseId"),
        (3, "id"),
    ]


def test_unknown_learner_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound) as info:
        ingest_batch(db, "nobody", "courses", [valid_record("courses", "c1")])
    assert "nobody" in info.value.message


def test_too_many_records_and_wrong_shapes(learners: Database) -> None:
    too_many = [valid_record("events", f"e{i}") for i in range(MAX_BATCH_RECORDS + 1)]
    details = rejected(learners, ALICE, "events", too_many)
    assert details[0]["field"] == "records" and str(MAX_BATCH_RECORDS) in details[0]["reason"]
    details = rejected(learners, ALICE, "events", {"records": []})  # type: ignore[arg-type]
    assert details[0]["field"] == "records"
    details = rejected(learners, ALICE, "grades", [])
    assert details[0]["field"] == "kind"


def test_a_full_batch_of_5000_is_accepted(learners: Database) -> None:
    records = [valid_record("events", f"e{i}") for i in range(MAX_BATCH_RECORDS)]
    result = ingest_batch(learners, ALICE, "events", records)
    assert result.received == MAX_BATCH_RECORDS
    assert row_counts(learners)["behavioral_events"] == MAX_BATCH_RECORDS + 2


def test_empty_batch(learners: Database) -> None:
    before = snapshot(learners)
    result = ingest_batch(learners, ALICE, "reviews", [])
    assert (result.received, result.ids) == (0, [])
    assert snapshot(learners) == before


def test_upsert_replaces_values(learners: Database) -> None:
    ingest_batch(learners, ALICE, "courses", [{"id": "alice-course", "name": "Renamed"}])
    [(name, code)] = fetch(learners, "SELECT name, code FROM courses WHERE id = 'alice-course'")
    assert (name, code) == ("Renamed", None)


def test_course_updated_at_moves_only_on_change(learners: Database) -> None:
    query = "SELECT \"updatedAt\" FROM courses WHERE id = 'alice-course'"
    [(first,)] = fetch(learners, query)
    ingest_batch(learners, ALICE, "courses", [valid_record("courses", "alice-course")])
    assert fetch(learners, query) == [(first,)]
    ingest_batch(learners, ALICE, "courses", [{"id": "alice-course", "name": "New name"}])
    [(second,)] = fetch(learners, query)
    assert second >= first


def test_lecture_upload_time_kept_when_not_sent(learners: Database) -> None:
    record = valid_record("lectures", "lec-x")
    del record["uploadedAt"]
    ingest_batch(learners, ALICE, "lectures", [record])
    query = "SELECT \"uploadedAt\" FROM lectures WHERE id = 'lec-x'"
    [(first,)] = fetch(learners, query)
    before = snapshot(learners)
    ingest_batch(learners, ALICE, "lectures", [record])
    assert fetch(learners, query) == [(first,)]
    assert snapshot(learners) == before


def test_objective_prerequisites_are_replaced(learners: Database) -> None:
    objective = valid_record("objectives", "alice-objective-2")
    edges = 'SELECT "prerequisiteId", strength FROM objective_prerequisites WHERE "objectiveId" = \'alice-objective-2\' ORDER BY 1'
    assert fetch(learners, edges) == [("alice-objective", 0.8)]
    third = valid_record("objectives", "alice-objective-3") | {"prerequisites": []}
    objective["prerequisites"] = [
        {"prerequisiteId": "alice-objective", "strength": 0.3},
        {"prerequisiteId": "alice-objective-3"},  # later in the same batch
    ]
    ingest_batch(learners, ALICE, "objectives", [objective, third])
    assert fetch(learners, edges) == [("alice-objective", 0.3), ("alice-objective-3", 1.0)]
    objective["prerequisites"] = []
    ingest_batch(learners, ALICE, "objectives", [objective])
    assert fetch(learners, edges) == []


def test_stored_values_match_what_was_sent(learners: Database) -> None:
    [row] = fetch(
        learners,
        'SELECT "userId", "missionId", "startedAt", "objectiveCompletions" FROM study_sessions '
        "WHERE id = 'alice-session'",
    )
    assert row[0] == ALICE and row[1] == "alice-mission"
    assert row[2].isoformat() == "2024-03-03T07:10:00"
    assert row[3] == [
        {
            "objectiveId": "alice-objective",
            "completedAt": "2024-03-03T07:40:00.000Z",
            "selfAssessment": 4,
            "confidenceRating": 3,
        }
    ]
    [exam] = fetch(learners, "SELECT \"coverageTopics\" FROM exams WHERE id = 'alice-exams'")
    assert exam == (["heart failure", "arrhythmia"],)
