"""Ingestion: the batch bodies (records checked by :mod:`twin.ingest`), events, review-log imports."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from twin.api.schemas.base import Answer
from twin.api.types import Timestamp
from twin.enums import CompletionQuality, EngagementLevel, EventType
from twin.ingest.schemas import MAX_BATCH_RECORDS, RECORD_MODELS

OPENAPI_SCHEMAS: dict[str, Any] = {}
"""Record schemas for the OpenAPI document, registered under components/schemas by the app."""


def batch_request_schema(kind: str) -> dict[str, Any]:
    """The OpenAPI request body of ``POST …/{kind}:batch`` (its record schema is registered).

    The body is read by the route itself (:mod:`twin.ingest` checks every record and
    names each bad one by index), so FastAPI does not derive this from a model.
    """
    model = RECORD_MODELS[kind]
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    OPENAPI_SCHEMAS.update(schema.pop("$defs", {}))
    OPENAPI_SCHEMAS[model.__name__] = schema
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["records"],
                        "additionalProperties": False,
                        "properties": {
                            "records": {
                                "type": "array",
                                "maxItems": MAX_BATCH_RECORDS,
                                "items": {"$ref": f"#/components/schemas/{model.__name__}"},
                            }
                        },
                    }
                }
            },
        }
    }


class BatchOut(Answer):
    """What was ingested: the kind, how many records, their ids in the order sent.

    The same batch sent twice gives the same result (nothing says "created").
    """

    kind: str
    received: int
    ids: list[str]


class EventOut(Answer):
    """One stored behavioral event as the API shows it (timestamp in UTC)."""

    id: str
    user_id: str
    event_type: EventType
    event_data: dict[str, Any]
    timestamp: Timestamp
    completion_quality: CompletionQuality | None = None
    content_type: str | None = None
    day_of_week: int | None = Field(default=None, description="0 = Monday, local")
    difficulty_level: str | None = None
    engagement_level: EngagementLevel | None = None
    session_performance_score: int | None = Field(default=None, description="0-100")
    time_of_day: int | None = Field(default=None, description="Local hour, 0-23")


class EventPage(Answer):
    """A page of events, newest first."""

    events: list[EventOut]
    next_cursor: str | None = Field(description="Pass back as `cursor` for the next page")


class SkippedRowOut(Answer):
    """A line of the file left out (``skipBad``) and why."""

    line: int
    field: str
    reason: str


class ImportOut(Answer):
    """What a review-log import wrote (rows already present count as written)."""

    user_id: str
    course_id: str
    rows: int = Field(description="Lines of the file read")
    reviews: int
    cards: int
    sessions: int
    events: int
    skipped: list[SkippedRowOut] = Field(description="Lines left out (skipBad), with why")
