"""The schedule pages' calls into the engine: the week, effectiveness, slots, plans, the
calendar, the feed links and the declared study windows (orchestration services)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from twin.analysis.orchestration.slots import PreferenceKind, PreferenceWindow
from twin.api.schemas.cognitive import BurnoutOut
from twin.api.schemas.orchestration import (
    BusyOut,
    CalendarStatusOut,
    EffectivenessOut,
    FeedTokensOut,
    OverviewOut,
    PlanOut,
    PreferencesIn,
    PreferencesOut,
    SlotsOut,
)
from twin.db.engine import Database
from twin.ingest.calendars.ics import MAX_ICS_BYTES as ICS_CAP_BYTES
from twin.services import cognitive as cognitive_service
from twin.services import patterns as patterns_service
from twin.services.orchestration import adaptation as adaptation_service
from twin.services.orchestration import busy as busy_service
from twin.services.orchestration import calendars as calendar_service
from twin.services.orchestration import effectiveness as effectiveness_service
from twin.services.orchestration import feed as feed_service
from twin.services.orchestration import overview as schedule_service
from twin.services.orchestration import plans as plans_service
from twin.services.orchestration import slots as slots_service
from twin.services.orchestration import writeback as writeback_service
from twin.services.orchestration.common import CalendarContext as CalendarContext
from twin.services.orchestration.common import CalendarKind
from twin.services.orchestration.common import calendar_context as _calendar_context
from twin.ui.data import _dump, _header, _load_learner, _profile_json

SCHEDULE_DAYS = schedule_service.UPCOMING_DAYS
MAX_ICS_BYTES = ICS_CAP_BYTES


def schedule(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """The learner's schedule (one call: calendar, next 7 days of plans, open slots, changes),
    the busy blocks of the next 7 days, and the best study times the slots are scored by."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        view = schedule_service.schedule_overview(session, user_id, now)
        busy = busy_service.busy_view(
            session, user_id, now, now + timedelta(days=SCHEDULE_DAYS), now
        )
        profile = _profile_json(patterns_service.learning_profile(session, user_id, now))
        burnout = cognitive_service.latest_burnout(session, _load_learner(session, user_id))
        return {
            "learner": header,
            "schedule": OverviewOut.model_validate(view).model_dump(mode="json"),
            "busy": BusyOut.model_validate(busy).model_dump(mode="json"),
            "profile": profile,
            "burnout": None if burnout is None else _dump(BurnoutOut, burnout),
        }


def schedule_effectiveness(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Whether following the schedule helped: adherence to accepted slots over 30 days and
    the followed-vs-other differences with their intervals (its own page: it reads every
    session of the window, ~60 ms)."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        followed = effectiveness_service.effectiveness(session, user_id, now)
        return {"learner": header, "effectiveness": _dump(EffectivenessOut, followed)}


def calendar_context(settings: Any) -> CalendarContext:
    """How calendars are reached under the engine's settings (address policy, secret)."""
    return _calendar_context(settings)


def recommend_slots(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Score the next 7 days around the calendar and store the top slots (the learner's offer)."""
    with db.session() as session:
        answer = slots_service.recommend(session, user_id, now, days=SCHEDULE_DAYS)
        return SlotsOut.model_validate(answer).model_dump(mode="json")


def accept_slot(db: Database, user_id: str, slot_id: str, now: datetime) -> dict[str, Any]:
    """Accept a recommended slot: the session is planned at it (409 once it has passed)."""
    with db.session() as session:
        outcome = slots_service.accept(session, user_id, slot_id, now)
        return PlanOut.model_validate(outcome.plan).model_dump(mode="json")


def cancel_plan(db: Database, user_id: str, plan_id: str, now: datetime) -> dict[str, Any]:
    """Cancel a planned session (kept, CANCELLED; 409 unless it is still PLANNED)."""
    with db.session() as session:
        plan = plans_service.cancel_plan(session, user_id, plan_id, now)
        return PlanOut.model_validate(plan).model_dump(mode="json")


def connect_calendar(
    db: Database,
    user_id: str,
    *,
    kind: str,
    url: str,
    username: str | None,
    password: str | None,
    write_back: bool,
    now: datetime,
    context: CalendarContext,
) -> dict[str, Any]:
    """Check, fetch and store a feed URL or CalDAV account (a failure writes nothing)."""
    connection = calendar_service.CalendarConnection(
        kind=CalendarKind(kind),
        url=url,
        username=username,
        password=password,
        write_back=write_back,
    )
    outcome = calendar_service.connect_calendar(db, user_id, connection, now, context)
    return CalendarStatusOut.model_validate(outcome.status).model_dump(mode="json")


def upload_calendar(
    db: Database, user_id: str, body: bytes, now: datetime, context: CalendarContext
) -> dict[str, Any]:
    """Store an uploaded .ics (422 naming the line and component when it is malformed)."""
    outcome = calendar_service.upload_calendar(db, user_id, body, now, context)
    return CalendarStatusOut.model_validate(outcome.status).model_dump(mode="json")


def sync_calendar(
    db: Database, user_id: str, now: datetime, context: CalendarContext
) -> tuple[dict[str, Any], bool]:
    """Fetch the calendar again: its status and whether sessions were re-planned."""
    outcome = calendar_service.sync_calendar(db, user_id, now, context)
    status = CalendarStatusOut.model_validate(outcome.status).model_dump(mode="json")
    return status, bool(outcome.replanned)


def disconnect_calendar(
    db: Database, user_id: str, now: datetime, context: CalendarContext
) -> None:
    """Remove the calendar (sealed credentials, sync state, busy blocks) and, with CalDAV
    write-back, the study events it wrote to the server — as ``DELETE …/calendar`` does."""
    writeback_service.disconnect(db, user_id, now, context)


def new_feed_path(db: Database, user_id: str, now: datetime) -> str:
    """A new secret feed of the learner's planned sessions: its path (shown this once)."""
    with db.session() as session:
        return feed_service.create_feed_token(session, user_id, now).path


def write_back(db: Database, user_id: str, now: datetime, context: CalendarContext) -> None:
    """Bring the learner's CalDAV study calendar in line (nothing when write-back is off)."""
    writeback_service.write_back(db, user_id, now, context)


def schedule_settings(db: Database, user_id: str) -> dict[str, Any]:
    """The learner's declared study windows and their feed links (ids and times only), as
    GET …/schedule/preferences and GET …/schedule/feed-tokens answer them."""
    with db.session() as session:
        header = _header(session, user_id)
        prefs = adaptation_service.get_preferences(session, user_id)
        tokens = feed_service.list_feed_tokens(session, user_id)
        return {
            "learner": header,
            "preferences": _dump(PreferencesOut, prefs),
            "tokens": _dump(FeedTokensOut, tokens)["tokens"],
        }


def set_preferences(db: Database, user_id: str, body: PreferencesIn, now: datetime) -> None:
    """Replace the learner's declared windows (as PUT …/schedule/preferences)."""
    windows = [
        PreferenceWindow(
            w.startMinute, w.endMinute, PreferenceKind(w.kind), frozenset(w.weekdays), w.label
        )
        for w in body.windows
    ]
    with db.session() as session:
        adaptation_service.set_preferences(session, user_id, windows, now)


def revoke_feed_token(db: Database, user_id: str, token_id: str, now: datetime) -> None:
    """Revoke one feed link: its URL answers 404 from now on (as DELETE …/feed-tokens/{id})."""
    with db.session() as session:
        feed_service.revoke_feed_token(session, user_id, token_id, now)
