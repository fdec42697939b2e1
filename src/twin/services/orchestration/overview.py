"""A learner's schedule in one call (for the dashboard): calendar, plans, offer, preferences, changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.db.models import CalendarFeedToken
from twin.learners import analysis_learner
from twin.services.orchestration.adaptation import AdaptationView, recent_adaptations
from twin.services.orchestration.calendars import CalendarStatus, optional_status
from twin.services.orchestration.common import utc
from twin.services.orchestration.loading import load_preferences, window_json
from twin.services.orchestration.plans import PlanView, list_plans
from twin.services.orchestration.slots import StoredSlot, pending_slots

UPCOMING_DAYS = 7
RECENT_ADAPTATION_DAYS = 30
RECENT_ADAPTATIONS = 10


@dataclass(frozen=True)
class ScheduleOverview:
    """Everything a page about the learner's schedule shows, in one answer."""

    timezone: str
    calendar: CalendarStatus | None
    upcoming: tuple[PlanView, ...]
    pending_slots: tuple[StoredSlot, ...]
    preferences: list[dict[str, Any]]
    session_minutes: int | None
    sessions_per_week: int | None
    recent_adaptations: tuple[AdaptationView, ...]
    active_feed_tokens: int


def schedule_overview(session: Session, user_id: str, now: datetime) -> ScheduleOverview:
    """The learner's calendar status, next 7 days of plans, open slots, preferences, adaptations."""
    learner = analysis_learner(session, user_id)
    now = utc(now)
    windows, minutes, per_week = load_preferences(session, user_id)
    tokens = session.scalar(
        sa.select(sa.func.count())
        .select_from(CalendarFeedToken)
        .where(CalendarFeedToken.userId == user_id, CalendarFeedToken.revokedAt.is_(None))
    )
    return ScheduleOverview(
        timezone=learner.timezone,
        calendar=optional_status(session, user_id, now),
        upcoming=tuple(
            list_plans(
                session,
                user_id,
                now - timedelta(hours=12),
                now + timedelta(days=UPCOMING_DAYS),
                now,
            )
        ),
        pending_slots=tuple(pending_slots(session, user_id, now)),
        preferences=[window_json(w) for w in windows],
        session_minutes=minutes,
        sessions_per_week=per_week,
        recent_adaptations=tuple(
            recent_adaptations(
                session, user_id, now - timedelta(days=RECENT_ADAPTATION_DAYS), RECENT_ADAPTATIONS
            )
        ),
        active_feed_tokens=int(tokens or 0),
    )
