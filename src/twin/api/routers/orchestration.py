"""Study timing, session plans and calendars (ENGINE.md 5.3) under ``/v1/users/{userId}/``.

Calendar routes: ``PUT/GET/DELETE …/calendar``, ``POST …/calendar:upload`` (text/calendar),
``POST …/calendar:sync``, ``GET …/calendar/busy``. Schedule routes: ``GET …/schedule``
(overview), ``GET …/schedule/slots``, ``POST …/schedule/slots/{slotId}:accept``,
``POST/GET …/session-plans``, ``GET …/session-plans/{planId}``,
``DELETE …/session-plans/{planId}`` (cancel), ``POST …/schedule:adapt``,
``GET …/schedule/effectiveness``, ``GET/PUT …/schedule/preferences``, the feed tokens under
``…/schedule/feed-tokens``; and, without a bearer header, ``GET /v1/feeds/{userId}/{token}.ics``.

Routes that analyse or plan answer 403 when the learner's behavioural analysis is off;
CalDAV write-back runs after the answer (a background task) once the change is committed,
for learners who have it on (the services say so; nobody else pays for it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from twin.analysis.orchestration.adaptation import DeclaredConstraint
from twin.analysis.orchestration.slots import (
    DEFAULT_HORIZON_DAYS,
    MAX_HORIZON_DAYS,
    MAX_SLOT_MINUTES,
    MIN_SLOT_MINUTES,
    PreferenceKind,
    PreferenceWindow,
)
from twin.api.deps import DbSession, Now, get_db
from twin.api.guard import GuardedRoute
from twin.api.schemas.orchestration import (
    AcceptIn,
    AcceptOut,
    AdaptIn,
    AdaptOut,
    BusyOut,
    CalendarIn,
    CalendarStatusOut,
    DisconnectOut,
    EffectivenessOut,
    FeedTokenOut,
    FeedTokensOut,
    NewFeedTokenOut,
    OverviewOut,
    PlanIn,
    PlanListOut,
    PlanOut,
    PreferencesIn,
    PreferencesOut,
    SlotsOut,
    SyncOut,
)
from twin.api.types import IdPath, QueryTimestamp, UserId
from twin.errors import ValidationFailed
from twin.ingest.calendars.errors import CalendarTooLarge
from twin.ingest.calendars.ics import MAX_ICS_BYTES
from twin.services.orchestration import (
    adaptation,
    calendars,
    effectiveness,
    feed,
    overview,
    plans,
    slots,
    writeback,
)
from twin.services.orchestration.busy import busy_view
from twin.services.orchestration.common import CalendarContext, CalendarKind, calendar_context

router = APIRouter(tags=["schedule and calendars"], route_class=GuardedRoute)
feeds_router = APIRouter(prefix="/v1/feeds", tags=["schedule and calendars"])

SlotId = Annotated[IdPath, Path(description="A recommended slot's id")]
PlanId = Annotated[IdPath, Path(description="A session plan's id")]
TokenId = Annotated[IdPath, Path(description="A feed token's id")]
WindowFrom = Annotated[QueryTimestamp | None, Query(alias="from", description="RFC 3339")]
WindowTo = Annotated[
    QueryTimestamp | None, Query(description="RFC 3339; at most 62 days after from")
]
CONNECT_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "The feed is larger than the cap (10 MB)"},
    422: {
        "description": "The URL is refused (rule scheme or address: loopback, private, "
        "link-local … unless TWIN_CALENDAR_ALLOW_NETWORKS allows it), a field is invalid, "
        "the calendar is malformed (details name the line and the component), or it cannot "
        "be fetched or read (calendar_unusable: DNS, connection, TLS, HTTP status, timeout, "
        "refused credentials — details.rule)"
    },
}
FEED_ERRORS: dict[int | str, dict[str, Any]] = {
    **CONNECT_ERRORS,
    502: {
        "description": "The feed or CalDAV server could not be used: unreachable, DNS, TLS, "
        "an HTTP status other than 200/304, refused credentials, a redirect (details.rule)"
    },
    504: {"description": "The feed or server did not answer in time"},
}
ICS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"text/calendar": {"schema": {"type": "string", "format": "binary"}}},
    }
}
MAX_WINDOW = timedelta(days=62)
DEFAULT_BUSY_WINDOW = timedelta(days=7)
DEFAULT_PLANS_BACK = timedelta(days=7)
DEFAULT_PLANS_AHEAD = timedelta(days=14)
ICS_TYPES = ("text/calendar",)


def _context(request: Request) -> CalendarContext:
    """The app's calendar context (tests inject one with their own trust and policy)."""
    context = getattr(request.app.state, "calendar_context", None)
    if context is None:
        context = calendar_context(request.app.state.settings)
        request.app.state.calendar_context = context
    assert isinstance(context, CalendarContext)
    return context


def _write_back(
    request: Request, background: BackgroundTasks, now: Now
) -> Callable[[str, Session | None], None]:
    """The request's write-back: ``write_back(user_id, session)`` once the change is made."""

    def after_answer(user_id: str, session: Session | None) -> None:
        """After the answer: bring the learner's CalDAV study calendar in line (when it is on).

        The change (``session``) is committed first, so the write-back (its own
        transaction) reads it.
        """
        if session is not None:
            session.commit()
        background.add_task(writeback.write_back, get_db(request), user_id, now, _context(request))

    return after_answer


WriteBack = Annotated[Callable[[str, Session | None], None], Depends(_write_back)]
"""Write the learner's schedule back after the answer (routes that change it)."""


def _window(
    start: datetime | None,
    end: datetime | None,
    default_back: timedelta,
    default_ahead: timedelta,
    now: datetime,
) -> tuple[datetime, datetime]:
    lo = start or (now.replace(tzinfo=UTC) - default_back)
    hi = end or (lo + default_back + default_ahead)
    if hi <= lo:
        raise ValidationFailed(
            "to must be after from",
            details=[{"index": None, "field": "to", "reason": "not after from"}],
        )
    if hi - lo > MAX_WINDOW:
        raise ValidationFailed(
            f"the window may span at most {MAX_WINDOW.days} days",
            details=[{"index": None, "field": "to", "reason": "window too long"}],
        )
    return lo, hi


# --- calendar --------------------------------------------------------------------------------


@router.put("/users/{userId}/calendar", response_model=SyncOut, responses=CONNECT_ERRORS)
def connect(userId: UserId, body: CalendarIn, request: Request, now: Now) -> SyncOut:
    """Connect a feed URL or CalDAV account: checked, fetched and stored, or nothing is written."""
    connection = calendars.CalendarConnection(
        kind=CalendarKind(body.kind),
        url=body.url,
        username=body.username,
        password=body.password,
        write_back=body.writeBack,
    )
    outcome = calendars.connect_calendar(
        get_db(request), userId, connection, now, _context(request)
    )
    return SyncOut.model_validate(outcome)


@router.post(
    "/users/{userId}/calendar:upload",
    response_model=SyncOut,
    responses={
        413: {"description": "The calendar is larger than 10 MB"},
        422: {"description": "Not text/calendar, or malformed: details name line and component"},
    },
    openapi_extra=ICS_BODY,
)
async def upload(userId: UserId, request: Request, now: Now) -> SyncOut:
    """Upload an ``.ics`` file (``Content-Type: text/calendar``); 422 names the line and component."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in ICS_TYPES:
        raise ValidationFailed(
            "send the calendar as the request body with Content-Type: text/calendar",
            details=[{"index": None, "field": "body", "reason": f"content type {content_type!r}"}],
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_ICS_BYTES:
        raise CalendarTooLarge(
            f"the calendar is {declared} bytes; the limit is {MAX_ICS_BYTES} bytes",
            limit=MAX_ICS_BYTES,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_ICS_BYTES:
            raise CalendarTooLarge(
                f"the calendar is larger than the limit of {MAX_ICS_BYTES} bytes",
                limit=MAX_ICS_BYTES,
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    outcome = await run_in_threadpool(
        calendars.upload_calendar, get_db(request), userId, data, now, _context(request)
    )
    return SyncOut.model_validate(outcome)


@router.post(
    "/users/{userId}/calendar:sync",
    response_model=SyncOut,
    responses={
        **FEED_ERRORS,
        404: {"description": "No learner, or no calendar to sync"},
        409: {"description": "An uploaded calendar (upload it again), or replaced meanwhile"},
    },
)
def sync(userId: UserId, request: Request, write_back: WriteBack, now: Now) -> SyncOut:
    """Fetch the calendar again; a failure is recorded and the last good blocks are kept."""
    outcome = calendars.sync_calendar(get_db(request), userId, now, _context(request))
    if outcome.replanned:
        write_back(userId, None)
    return SyncOut.model_validate(outcome)


@router.get("/users/{userId}/calendar", response_model=CalendarStatusOut)
def status(userId: UserId, session: DbSession, now: Now) -> CalendarStatusOut:
    """The calendar's source, host and sync state (no secret is ever returned)."""
    return CalendarStatusOut.model_validate(calendars.calendar_status(session, userId, now))


@router.delete("/users/{userId}/calendar", response_model=DisconnectOut)
def disconnect(userId: UserId, request: Request, now: Now) -> DisconnectOut:
    """Remove the calendar (sealed credentials, sync state, busy blocks) and, with write-back,
    the study events it wrote to the CalDAV server (``remoteEvents`` says what happened)."""
    outcome = writeback.disconnect(get_db(request), userId, now, _context(request))
    return DisconnectOut.model_validate(outcome)


@router.get("/users/{userId}/calendar/busy", response_model=BusyOut)
def busy(
    userId: UserId,
    session: DbSession,
    now: Now,
    from_: WindowFrom = None,
    to: WindowTo = None,
) -> BusyOut:
    """The cached busy blocks of a window (default: the next 7 days) and their age."""
    lo, hi = _window(from_, to, timedelta(0), DEFAULT_BUSY_WINDOW, now)
    return BusyOut.model_validate(busy_view(session, userId, lo, hi, now))


# --- schedule --------------------------------------------------------------------------------


@router.get("/users/{userId}/schedule", response_model=OverviewOut)
def schedule(userId: UserId, session: DbSession, now: Now) -> OverviewOut:
    """The learner's schedule in one answer: calendar, next 7 days of plans, open slots, changes."""
    return OverviewOut.model_validate(overview.schedule_overview(session, userId, now))


@router.get("/users/{userId}/schedule/slots", response_model=SlotsOut)
def recommend_slots(
    userId: UserId,
    session: DbSession,
    now: Now,
    days: Annotated[int, Query(ge=1, le=MAX_HORIZON_DAYS)] = DEFAULT_HORIZON_DAYS,
    duration: Annotated[
        int | None,
        Query(
            ge=MIN_SLOT_MINUTES, le=MAX_SLOT_MINUTES, description="minutes (default: the twin's)"
        ),
    ] = None,
    top: Annotated[int | None, Query(ge=1, le=slots.MAX_TOP_K)] = None,
) -> SlotsOut:
    """The top study slots of the next ``days`` days around the calendar; each one is stored."""
    answer = slots.recommend(session, userId, now, days=days, duration_minutes=duration, top_k=top)
    return SlotsOut.model_validate(answer)


@router.post(
    "/users/{userId}/schedule/slots/{slotId}:accept",
    response_model=AcceptOut,
    responses={409: {"description": "The slot has passed, or its time is busy now"}},
)
def accept_slot(
    userId: UserId,
    slotId: SlotId,
    session: DbSession,
    write_back: WriteBack,
    now: Now,
    body: Annotated[AcceptIn | None, Body()] = None,
) -> AcceptOut:
    """Accept a slot (``appliedAt``) and plan the session at it; 409 when it passed or is busy."""
    outcome = slots.accept(
        session, userId, slotId, now, mission_id=body.missionId if body else None
    )
    if outcome.plan.write_back:
        write_back(userId, session)
    return AcceptOut.model_validate(outcome)


@router.post(
    "/users/{userId}/session-plans",
    response_model=PlanOut,
    status_code=201,
    responses={409: {"description": "The start is busy (details: free minutes, busy from)"}},
)
def create_plan(
    userId: UserId,
    body: PlanIn,
    session: DbSession,
    write_back: WriteBack,
    now: Now,
) -> PlanOut:
    """Plan a session at ``startTime`` or at a slot (accepting it), from the learner's real items."""
    if body.slotId is not None:
        plan = slots.accept(session, userId, body.slotId, now, mission_id=body.missionId).plan
    else:
        assert body.startTime is not None
        plan = plans.create_plan(session, userId, body.startTime, now, mission_id=body.missionId)
    if plan.write_back:
        write_back(userId, session)
    return PlanOut.model_validate(plan)


@router.get("/users/{userId}/session-plans", response_model=PlanListOut)
def list_plans(
    userId: UserId,
    session: DbSession,
    now: Now,
    from_: WindowFrom = None,
    to: WindowTo = None,
) -> PlanListOut:
    """The learner's plans starting in the window (default: 7 days back to 14 days ahead)."""
    lo, hi = _window(from_, to, DEFAULT_PLANS_BACK, DEFAULT_PLANS_AHEAD, now)
    return PlanListOut.model_validate(plans.plans_between(session, userId, lo, hi, now))


@router.get("/users/{userId}/session-plans/{planId}", response_model=PlanOut)
def get_plan(userId: UserId, planId: PlanId, session: DbSession, now: Now) -> PlanOut:
    """One session plan with its items, breaks, phases, reasons and (once it happened) actuals."""
    return PlanOut.model_validate(plans.get_plan(session, userId, planId, now))


@router.delete(
    "/users/{userId}/session-plans/{planId}",
    response_model=PlanOut,
    responses={409: {"description": "The plan is not PLANNED any more"}},
)
def cancel_plan(
    userId: UserId,
    planId: PlanId,
    session: DbSession,
    write_back: WriteBack,
    now: Now,
) -> PlanOut:
    """Cancel a planned session: off the schedule and the study calendar (the plan is kept, CANCELLED)."""
    plan = plans.cancel_plan(session, userId, planId, now)
    if plan.write_back:
        write_back(userId, session)
    return PlanOut.model_validate(plan)


@router.post("/users/{userId}/schedule:adapt", response_model=AdaptOut)
def adapt(
    userId: UserId,
    session: DbSession,
    write_back: WriteBack,
    now: Now,
    body: Annotated[AdaptIn | None, Body()] = None,
) -> AdaptOut:
    """Apply a declared constraint, re-plan calendar conflicts, react to missed sessions."""
    constraint = None
    if body is not None and body.constraint is not None:
        c = body.constraint
        constraint = DeclaredConstraint(
            kind=c.kind,
            start_minute=c.startMinute,
            end_minute=c.endMinute,
            weekdays=frozenset(c.weekdays) if c.weekdays else frozenset(range(7)),
        )
    outcome = adaptation.adapt(session, userId, now, constraint=constraint)
    if outcome.adaptations:
        write_back(userId, session)
    return AdaptOut.model_validate(outcome)


@router.get("/users/{userId}/schedule/effectiveness", response_model=EffectivenessOut)
def schedule_effectiveness(
    userId: UserId,
    session: DbSession,
    now: Now,
    days: Annotated[int, Query(ge=1, le=effectiveness.MAX_DAYS)] = effectiveness.DEFAULT_DAYS,
) -> EffectivenessOut:
    """Adherence to accepted slots and the outcome difference, or "insufficient data"."""
    return EffectivenessOut.model_validate(effectiveness.effectiveness(session, userId, now, days))


@router.get("/users/{userId}/schedule/preferences", response_model=PreferencesOut)
def get_preferences(userId: UserId, session: DbSession) -> PreferencesOut:
    """The learner's declared study windows."""
    return PreferencesOut.model_validate(adaptation.get_preferences(session, userId))


@router.put("/users/{userId}/schedule/preferences", response_model=PreferencesOut)
def put_preferences(
    userId: UserId, body: PreferencesIn, session: DbSession, now: Now
) -> PreferencesOut:
    """Replace the learner's declared windows (PREFER scores 100, AVOID 0, elsewhere 25)."""
    windows = [
        PreferenceWindow(
            w.startMinute, w.endMinute, PreferenceKind(w.kind), frozenset(w.weekdays), w.label
        )
        for w in body.windows
    ]
    return PreferencesOut.model_validate(adaptation.set_preferences(session, userId, windows, now))


# --- the secret feed -------------------------------------------------------------------------


@router.post(
    "/users/{userId}/schedule/feed-tokens", response_model=NewFeedTokenOut, status_code=201
)
def create_feed_token(userId: UserId, session: DbSession, now: Now) -> NewFeedTokenOut:
    """A secret feed URL of the learner's planned sessions (shown once; revocable)."""
    return NewFeedTokenOut.model_validate(feed.create_feed_token(session, userId, now))


@router.get("/users/{userId}/schedule/feed-tokens", response_model=FeedTokensOut)
def list_feed_tokens(userId: UserId, session: DbSession) -> FeedTokensOut:
    """The learner's feed tokens (ids and times, never the tokens)."""
    return FeedTokensOut.model_validate(feed.list_feed_tokens(session, userId))


@router.delete("/users/{userId}/schedule/feed-tokens/{tokenId}", response_model=FeedTokenOut)
def revoke_feed_token(
    userId: UserId, tokenId: TokenId, session: DbSession, now: Now
) -> FeedTokenOut:
    """Revoke a feed token: its URL answers 404 from now on."""
    return FeedTokenOut.model_validate(feed.revoke_feed_token(session, userId, tokenId, now))


@feeds_router.get(
    "/{userId}/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 404: {"description": "no such feed"}},
)
def calendar_feed(
    userId: UserId,
    token: Annotated[IdPath, Path(description="The secret feed token")],
    session: DbSession,
    now: Now,
) -> Response:
    """The learner's planned sessions as iCalendar; the token in the URL is the credential."""
    body = feed.feed_calendar(session, userId, token, now)
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
