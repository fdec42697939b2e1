"""Ingestion of learning data and behavioral events; the review-log upload; the events listing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from twin.analysis.common import naive_utc
from twin.api.deps import CurrentPrincipal, Now, get_db
from twin.api.guard import GuardedRoute, json_body
from twin.api.schemas.ingest import (
    BatchOut,
    EventOut,
    EventPage,
    ImportOut,
    batch_request_schema,
)
from twin.api.schemas.learners import MAX_TIMEZONE_LENGTH, TIMEZONE_SCHEMA
from twin.api.types import QueryTimestamp, UserId
from twin.enums import EventType
from twin.errors import ValidationFailed
from twin.ingest.events import CURSOR_PATTERN
from twin.services import ingest as ingest_service
from twin.services import learners as learners_service
from twin.services.ingest import DEFAULT_EVENT_PAGE, KINDS, MAX_BATCH_RECORDS, MAX_EVENT_PAGE

router = APIRouter(tags=["ingestion"], route_class=GuardedRoute)

KIND_TITLES = {
    "courses": "courses",
    "lectures": "lectures",
    "objectives": "learning objectives (with prerequisites inline)",
    "cards": "cards",
    "sessions": "study sessions",
    "reviews": "flashcard reviews (they update the cards' memory state)",
    "validations": "validation responses",
    "missions": "missions",
    "exams": "exams",
    "events": "behavioral events (timeOfDay/dayOfWeek filled in the learner's time zone)",
}


async def _records(request: Request) -> list[dict[str, Any]]:
    """The ``records`` array of a JSON body; every record is checked by the ingestion service."""
    body = await json_body(request)
    if not isinstance(body, dict) or "records" not in body:
        raise ValidationFailed(
            'request body must be an object {"records": [...]}',
            details=[{"index": None, "field": "records", "reason": "missing"}],
        )
    extra = sorted(set(body) - {"records"})
    if extra:
        raise ValidationFailed(
            f"unexpected fields in the request body: {', '.join(extra)}",
            details=[{"index": None, "field": f, "reason": "unexpected field"} for f in extra],
        )
    records = body["records"]
    if not isinstance(records, list):
        raise ValidationFailed(
            "records must be an array",
            details=[{"index": None, "field": "records", "reason": "not an array"}],
        )
    return records


def _add_batch_route(kind: str) -> None:
    async def endpoint(userId: UserId, request: Request, _: CurrentPrincipal, now: Now) -> BatchOut:
        records = await _records(request)
        db = get_db(request)
        result = await run_in_threadpool(
            ingest_service.ingest_batch, db, userId, kind, records, now=now
        )
        return BatchOut.model_validate(result)

    endpoint.__name__ = f"ingest_{kind}"
    router.add_api_route(
        f"/users/{{userId}}/{kind}:batch",
        endpoint,
        methods=["POST"],
        response_model=BatchOut,
        summary=f"Upsert a batch of {KIND_TITLES.get(kind, kind)}",
        description=(
            f"Up to {MAX_BATCH_RECORDS:,} records; idempotent by record id (the same batch sent "
            "twice changes nothing and answers the same); all or nothing: on any invalid record "
            "the answer is 422 listing every bad record by index, field and reason, and nothing "
            "is written. References to another learner's records are rejected."
        ),
        openapi_extra=batch_request_schema(kind),
    )


for _kind in KINDS:
    _add_batch_route(_kind)


@router.get("/users/{userId}/events", response_model=EventPage, summary="List behavioral events")
def list_events(
    userId: UserId,
    request: Request,
    _: CurrentPrincipal,
    eventType: EventType | None = None,
    since: Annotated[QueryTimestamp | None, Query(description="RFC 3339, inclusive")] = None,
    until: Annotated[QueryTimestamp | None, Query(description="RFC 3339, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENT_PAGE)] = DEFAULT_EVENT_PAGE,
    cursor: Annotated[
        str | None,
        Query(
            max_length=500,
            pattern=CURSOR_PATTERN,
            description="The nextCursor of the previous page",
        ),
    ] = None,
) -> EventPage:
    """Newest first, keyset pagination (the seed's first query pattern)."""
    events, next_cursor = ingest_service.list_events(
        get_db(request),
        userId,
        eventType,
        None if since is None else naive_utc(since),
        None if until is None else naive_utc(until),
        limit,
        cursor,
    )
    return EventPage(events=[EventOut.model_validate(e) for e in events], next_cursor=next_cursor)


@router.post(
    "/users/{userId}/imports/revlog",
    response_model=ImportOut,
    summary="Import a flashcard review log (CSV upload)",
)
def import_revlog(
    userId: UserId,
    request: Request,
    principal: CurrentPrincipal,
    file: Annotated[
        UploadFile, File(description="CSV: card_id, review_rating, review_time, review_duration")
    ],
    timezone: Annotated[
        str,
        Form(
            description="IANA time zone of a new learner",
            max_length=MAX_TIMEZONE_LENGTH,
            json_schema_extra=TIMEZONE_SCHEMA,
        ),
    ] = "UTC",
    skipBad: Annotated[bool, Form(description="Skip malformed rows instead of rejecting")] = False,
) -> ImportOut:
    """Creates the learner if needed (service keys only: a learner token needs its learner to
    exist), a course, cards, reviews, sessions and events; re-import changes nothing."""
    if not principal.is_service:
        with get_db(request).session() as session:
            learners_service.get_user(session, userId)
    result = ingest_service.import_revlog(
        get_db(request), file.file, userId, timezone=timezone, skip_bad=skipBad
    )
    return ImportOut.model_validate(result)
