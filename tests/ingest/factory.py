"""Valid records of every kind, two learners' worlds, and database snapshots for the tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from twin.db.engine import Database
from twin.db.models import User
from twin.ingest.batch import ingest_batch

ALICE = "alice"  # Asia/Tokyo
BOB = "bob"  # UTC

INGEST_TABLES = (
    "users",
    "courses",
    "lectures",
    "learning_objectives",
    "objective_prerequisites",
    "cards",
    "study_sessions",
    "reviews",
    "validation_responses",
    "missions",
    "exams",
    "behavioral_events",
)
KIND_TABLES = {
    "courses": "courses",
    "lectures": "lectures",
    "objectives": "learning_objectives",
    "cards": "cards",
    "sessions": "study_sessions",
    "reviews": "reviews",
    "validations": "validation_responses",
    "missions": "missions",
    "exams": "exams",
    "events": "behavioral_events",
}
# Order in which a learner's world is built (references point backwards).
WORLD_ORDER = (
    "courses",
    "lectures",
    "objectives",
    "cards",
    "missions",
    "sessions",
    "reviews",
    "validations",
    "exams",
    "events",
)


def ids_of(learner: str) -> dict[str, str]:
    """The ids of a learner's existing world, by thing."""
    return {
        "course": f"{learner}-course",
        "lecture": f"{learner}-lecture",
        "objective": f"{learner}-objective",
        "objective2": f"{learner}-objective-2",
        "card": f"{learner}-card",
        "mission": f"{learner}-mission",
        "session": f"{learner}-session",
    }


def valid_record(kind: str, record_id: str, learner: str = ALICE) -> dict[str, Any]:
    """A complete valid record of ``kind`` referring to ``learner``'s world."""
    w = ids_of(learner)
    records: dict[str, dict[str, Any]] = {
        "courses": {"name": "Cardiology", "code": "CARD-101"},
        "lectures": {
            "courseId": w["course"],
            "title": "Heart failure",
            "topicTags": ["heart", "failure"],
            "uploadedAt": "2024-03-01T09:00:00+01:00",
        },
        "objectives": {
            "lectureId": w["lecture"],
            "objective": "Explain preload and afterload",
            "isHighYield": True,
            "complexity": "ADVANCED",
            "masteryLevel": "BEGINNER",
            "weaknessScore": 0.7,
            "lastStudiedAt": "2024-03-02T10:00:00Z",
            "totalStudyTimeMs": 120_000,
            "prerequisites": [{"prerequisiteId": w["objective"], "strength": 0.8}],
        },
        "cards": {
            "courseId": w["course"],
            "lectureId": w["lecture"],
            "objectiveId": w["objective"],
            "cardType": "CLOZE",
        },
        "missions": {
            "date": "2024-03-03T00:00:00Z",
            "status": "COMPLETED",
            "estimatedMinutes": 50,
            "recommendedStartTime": "2024-03-03T07:00:00Z",
            "actualStartTime": "2024-03-03T07:10:00Z",
            "completedAt": "2024-03-03T08:00:00Z",
            "objectives": [
                {"objectiveId": w["objective"], "estimatedMinutes": 20, "completed": True}
            ],
            "reviewCardCount": 30,
            "newContentCount": 5,
            "actualMinutes": 48,
            "difficultyRating": 3,
            "successScore": 0.8,
            "recommendedDuration": 50,
            "actualDuration": 48,
            "sessionPerformanceScore": 81.5,
        },
        "sessions": {
            "missionId": w["mission"],
            "startedAt": "2024-03-03T07:10:00Z",
            "completedAt": "2024-03-03T08:00:00Z",
            "durationMs": 3_000_000,
            "reviewsCompleted": 30,
            "newCardsStudied": 5,
            "sessionNotes": "tired at the end",
            "objectiveCompletions": [
                {
                    "objectiveId": w["objective"],
                    "completedAt": "2024-03-03T07:40:00Z",
                    "selfAssessment": 4,
                    "confidenceRating": 3,
                }
            ],
        },
        "reviews": {
            "cardId": w["card"],
            "sessionId": w["session"],
            "rating": "GOOD",
            "timeSpentMs": 8000,
            "reviewedAt": "2024-03-03T07:15:00Z",
        },
        "validations": {
            "sessionId": w["session"],
            "objectiveId": w["objective"],
            "promptType": "EXPLAIN_TO_PATIENT",
            "score": 0.75,
            "confidence": 0.6,
            "respondedAt": "2024-03-03T07:50:00Z",
        },
        "exams": {
            "courseId": w["course"],
            "name": "Cardiology midterm",
            "date": "2024-04-15T09:00:00Z",
            "coverageTopics": ["heart failure", "arrhythmia"],
        },
        "events": {
            "eventType": "CARD_REVIEWED",
            "eventData": {"cardId": w["card"], "rating": "GOOD", "nested": {"a": [1, 2.5]}},
            "timestamp": "2024-03-03T07:15:00Z",
            "completionQuality": "THOROUGH",
            "contentType": "flashcard",
            "difficultyLevel": "HARD",
            "engagementLevel": "HIGH",
            "sessionPerformanceScore": 80,
        },
    }
    return {"id": record_id, **records[kind]}


def add_learner(db: Database, user_id: str, timezone: str = "UTC") -> None:
    """Create a learner row directly."""
    with db.session() as session:
        session.add(User(id=user_id, timezone=timezone))


def build_world(db: Database, learner: str) -> None:
    """Give ``learner`` one record of every kind (ids from :func:`ids_of`)."""
    w = ids_of(learner)
    first_ids = {
        "courses": w["course"],
        "lectures": w["lecture"],
        "cards": w["card"],
        "missions": w["mission"],
        "sessions": w["session"],
    }
    for kind in WORLD_ORDER:
        if kind == "objectives":
            base = valid_record(kind, w["objective"], learner)
            base["prerequisites"] = []
            second = valid_record(kind, w["objective2"], learner)
            ingest_batch(db, learner, kind, [base, second])
            continue
        record_id = first_ids.get(kind, f"{learner}-{kind}")
        ingest_batch(db, learner, kind, [valid_record(kind, record_id, learner)])


def row_counts(db: Database) -> dict[str, int]:
    """Rows per table the ingestion writes."""
    with db.engine.connect() as conn:
        return {
            t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in INGEST_TABLES
        }


def snapshot(db: Database, tables: tuple[str, ...] = INGEST_TABLES) -> dict[str, list[Any]]:
    """Every row (with its xmin, so even a no-op rewrite shows) of ``tables``."""
    with db.engine.connect() as conn:
        return {
            t: [
                tuple(r)
                for r in conn.execute(sa.text(f"SELECT xmin::text, * FROM {t} ORDER BY id"))
            ]
            for t in tables
        }


def fetch(db: Database, sql: str, **params: Any) -> list[Any]:
    """Rows of a query."""
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


MISSING = object()
NAIVE = "2024-03-03T07:15:00"
LONG_ID = "x" * 201
# kind → (field set to a bad value, or removed with MISSING; the value; the field reported)
INVALID_CASES: dict[str, list[tuple[str, Any, str]]] = {
    "courses": [
        ("id", MISSING, "id"),
        ("id", "", "id"),
        ("id", LONG_ID, "id"),
        ("id", 17, "id"),
        ("id", "a\x00b", "id"),
        ("name", MISSING, "name"),
        ("name", "", "name"),
        ("name", 7, "name"),
        ("code", "", "code"),
        ("createdAt", "2024-03-03T07:15:00Z", "createdAt"),
    ],
    "lectures": [
        ("courseId", MISSING, "courseId"),
        ("courseId", None, "courseId"),
        ("title", "", "title"),
        ("topicTags", "heart", "topicTags"),
        ("topicTags", [""], "topicTags[0]"),
        ("topicTags", [1], "topicTags[0]"),
        ("uploadedAt", NAIVE, "uploadedAt"),
        ("uploadedAt", "yesterday", "uploadedAt"),
        ("uploadedAt", 1_700_000_000, "uploadedAt"),
    ],
    "objectives": [
        ("lectureId", MISSING, "lectureId"),
        ("objective", "", "objective"),
        ("isHighYield", "yes", "isHighYield"),
        ("complexity", "HARD", "complexity"),
        ("masteryLevel", "EXPERT", "masteryLevel"),
        ("weaknessScore", 1.5, "weaknessScore"),
        ("weaknessScore", -0.1, "weaknessScore"),
        ("weaknessScore", "0.5", "weaknessScore"),
        ("lastStudiedAt", NAIVE, "lastStudiedAt"),
        ("totalStudyTimeMs", -1, "totalStudyTimeMs"),
        ("totalStudyTimeMs", 2**31, "totalStudyTimeMs"),
        ("prerequisites", [{"prerequisiteId": "SELF"}], "prerequisites"),
        (
            "prerequisites",
            [{"prerequisiteId": "alice-objective"}, {"prerequisiteId": "alice-objective"}],
            "prerequisites",
        ),
        (
            "prerequisites",
            [{"prerequisiteId": "alice-objective", "strength": 2}],
            "prerequisites[0].strength",
        ),
        ("prerequisites", [{"strength": 0.5}], "prerequisites[0].prerequisiteId"),
        ("prerequisites", "alice-objective", "prerequisites"),
    ],
    "cards": [
        ("courseId", MISSING, "courseId"),
        ("lectureId", "", "lectureId"),
        ("objectiveId", 5, "objectiveId"),
        ("cardType", "IMAGE", "cardType"),
        ("stability", 3.0, "stability"),
    ],
    "missions": [
        ("date", NAIVE, "date"),
        ("date", MISSING, "date"),
        ("status", "DONE", "status"),
        ("estimatedMinutes", MISSING, "estimatedMinutes"),
        ("estimatedMinutes", -1, "estimatedMinutes"),
        ("completedAt", "2024-03-03T07:00:00Z", "completedAt"),
        (
            "objectives",
            [{"objectiveId": "alice-objective", "estimatedMinutes": -1}],
            "objectives[0].estimatedMinutes",
        ),
        ("objectives", [{"completed": True}], "objectives[0].objectiveId"),
        ("reviewCardCount", -1, "reviewCardCount"),
        ("newContentCount", "2", "newContentCount"),
        ("actualMinutes", -1, "actualMinutes"),
        ("difficultyRating", 6, "difficultyRating"),
        ("successScore", 1.5, "successScore"),
        ("recommendedStartTime", NAIVE, "recommendedStartTime"),
        ("actualStartTime", "noon", "actualStartTime"),
        ("recommendedDuration", -1, "recommendedDuration"),
        ("actualDuration", -1, "actualDuration"),
        ("sessionPerformanceScore", 100.5, "sessionPerformanceScore"),
    ],
    "sessions": [
        ("missionId", "", "missionId"),
        ("startedAt", NAIVE, "startedAt"),
        ("startedAt", MISSING, "startedAt"),
        ("completedAt", "2024-03-03T07:00:00Z", "completedAt"),
        ("durationMs", -5, "durationMs"),
        ("reviewsCompleted", -1, "reviewsCompleted"),
        ("reviewsCompleted", 1.5, "reviewsCompleted"),
        ("newCardsStudied", "3", "newCardsStudied"),
        ("sessionNotes", "", "sessionNotes"),
        (
            "objectiveCompletions",
            [
                {
                    "objectiveId": "alice-objective",
                    "completedAt": "2024-03-03T07:40:00Z",
                    "selfAssessment": 6,
                }
            ],
            "objectiveCompletions[0].selfAssessment",
        ),
        (
            "objectiveCompletions",
            [
                {
                    "objectiveId": "alice-objective",
                    "completedAt": "2024-03-03T07:40:00Z",
                    "confidenceRating": 0,
                }
            ],
            "objectiveCompletions[0].confidenceRating",
        ),
        (
            "objectiveCompletions",
            [{"objectiveId": "alice-objective", "completedAt": NAIVE}],
            "objectiveCompletions[0].completedAt",
        ),
    ],
    "reviews": [
        ("cardId", MISSING, "cardId"),
        ("sessionId", "", "sessionId"),
        ("rating", "GREAT", "rating"),
        ("rating", 0, "rating"),
        ("rating", 5, "rating"),
        ("rating", True, "rating"),
        ("timeSpentMs", -1, "timeSpentMs"),
        ("timeSpentMs", 86_400_001, "timeSpentMs"),
        ("timeSpentMs", MISSING, "timeSpentMs"),
        ("reviewedAt", NAIVE, "reviewedAt"),
        ("reviewedAt", "2024-13-01T00:00:00Z", "reviewedAt"),
        ("difficultyAfter", 5.0, "difficultyAfter"),
    ],
    "validations": [
        ("sessionId", 3, "sessionId"),
        ("objectiveId", "", "objectiveId"),
        ("promptType", "", "promptType"),
        ("score", 1.1, "score"),
        ("score", -0.01, "score"),
        ("score", MISSING, "score"),
        ("confidence", 2, "confidence"),
        ("respondedAt", NAIVE, "respondedAt"),
    ],
    "exams": [
        ("courseId", "", "courseId"),
        ("name", "", "name"),
        ("date", NAIVE, "date"),
        ("coverageTopics", "anatomy", "coverageTopics"),
    ],
    "events": [
        ("id", LONG_ID, "id"),
        ("eventType", "CLICKED", "eventType"),
        ("eventType", MISSING, "eventType"),
        ("eventData", [1, 2], "eventData"),
        ("eventData", {"bad": float("nan")}, "eventData"),
        ("eventData", {"bad": "a\x00b"}, "eventData"),
        ("timestamp", NAIVE, "timestamp"),
        ("timestamp", MISSING, "timestamp"),
        ("completionQuality", "GREAT", "completionQuality"),
        ("contentType", "", "contentType"),
        ("dayOfWeek", 7, "dayOfWeek"),
        ("dayOfWeek", -1, "dayOfWeek"),
        ("difficultyLevel", "", "difficultyLevel"),
        ("engagementLevel", "EXTREME", "engagementLevel"),
        ("sessionPerformanceScore", 101, "sessionPerformanceScore"),
        ("sessionPerformanceScore", 50.5, "sessionPerformanceScore"),
        ("timeOfDay", 24, "timeOfDay"),
        ("timeOfDay", -1, "timeOfDay"),
    ],
}


def invalid_record(kind: str, index: int, field: str, value: Any) -> dict[str, Any]:
    """A valid record of ``kind`` with one field made bad (or removed)."""
    record = valid_record(kind, f"bad-{kind}-{index}")
    if value is MISSING:
        record.pop(field, None)
    elif value == [{"prerequisiteId": "SELF"}]:
        record[field] = [{"prerequisiteId": record["id"]}]
    else:
        record[field] = value
    return record
