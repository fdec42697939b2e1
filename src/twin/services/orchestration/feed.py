"""The learner's planned sessions as an iCalendar feed behind a secret, revocable token.

Calendar apps subscribe to a URL and send no credentials, so the URL is the credential:
``/v1/feeds/{userId}/{token}.ics``. The token (``twf_`` + 32 random bytes, URL-safe) is
shown once when created; only its SHA-256 is stored (``calendar_feed_tokens``), looked up
with the learner's id so the lookup stays on the learner's shard. A revoked or unknown
token answers 404 — never "revoked", which would confirm the URL once existed.

The feed holds the planned sessions of the last 30 days and every future one (PLANNED,
DONE and MISSED; cancelled ones disappear), one VEVENT each with the plan's stable UID
and a SEQUENCE that grows when the plan moves.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.db.base import new_id
from twin.db.models import CalendarFeedToken, PlannedSession, SessionOrchestrationPlan
from twin.errors import Conflict, NotFound
from twin.ingest.calendars.export import SessionEvent, sessions_calendar
from twin.learners import get_learner
from twin.services.orchestration.common import PlanStatus, sha256_hex, stored, utc

TOKEN_PREFIX = "twf_"
TOKEN_BYTES = 32
FEED_DAYS_BACK = 30
MAX_ACTIVE_TOKENS = 5
FEED_STATUSES = (PlanStatus.PLANNED.value, PlanStatus.DONE.value, PlanStatus.MISSED.value)
# lastUsedAt is written at most this often (calendar apps poll every few minutes).
LAST_USED_RESOLUTION = timedelta(minutes=15)


@dataclass(frozen=True)
class FeedToken:
    """A feed token as listed: never the token itself."""

    id: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    active: bool


@dataclass(frozen=True)
class NewFeedToken:
    """A token just created: the only time the token and its URL path are shown."""

    id: str
    token: str
    path: str
    created_at: datetime


def feed_path(user_id: str, token: str) -> str:
    """The feed's path under the API's base URL."""
    return f"/v1/feeds/{user_id}/{token}.ics"


def _view(row: CalendarFeedToken) -> FeedToken:
    return FeedToken(
        id=row.id,
        created_at=utc(row.createdAt),
        revoked_at=utc(row.revokedAt) if row.revokedAt else None,
        last_used_at=utc(row.lastUsedAt) if row.lastUsedAt else None,
        active=row.revokedAt is None,
    )


def create_feed_token(session: Session, user_id: str, now: datetime) -> NewFeedToken:
    """A new secret feed token (at most 5 active: revoke one first, else 409)."""
    get_learner(session, user_id)
    active = session.scalar(
        sa.select(sa.func.count())
        .select_from(CalendarFeedToken)
        .where(CalendarFeedToken.userId == user_id, CalendarFeedToken.revokedAt.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE_TOKENS:
        raise Conflict(
            f"learner {user_id!r} has {MAX_ACTIVE_TOKENS} active feed tokens; revoke one with "
            f"DELETE /v1/users/{user_id}/schedule/feed-tokens/{{tokenId}}"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = CalendarFeedToken(
        userId=user_id, id=new_id(), tokenHash=sha256_hex(token), createdAt=stored(now)
    )
    session.add(row)
    session.flush()
    return NewFeedToken(row.id, token, feed_path(user_id, token), utc(row.createdAt))


@dataclass(frozen=True)
class FeedTokens:
    """The learner's feed tokens, newest first."""

    tokens: tuple[FeedToken, ...]


def list_feed_tokens(session: Session, user_id: str) -> FeedTokens:
    """The learner's feed tokens, newest first (ids and times only)."""
    get_learner(session, user_id)
    rows = session.scalars(
        sa.select(CalendarFeedToken)
        .where(CalendarFeedToken.userId == user_id)
        .order_by(CalendarFeedToken.createdAt.desc(), CalendarFeedToken.id)
    )
    return FeedTokens(tuple(_view(r) for r in rows))


def revoke_feed_token(session: Session, user_id: str, token_id: str, now: datetime) -> FeedToken:
    """Revoke a feed token: its URL answers 404 from now on."""
    get_learner(session, user_id)
    row = session.scalar(
        sa.select(CalendarFeedToken).where(
            CalendarFeedToken.userId == user_id, CalendarFeedToken.id == token_id
        )
    )
    if row is None:
        raise NotFound(f"learner {user_id!r} has no feed token {token_id!r}")
    if row.revokedAt is None:
        row.revokedAt = stored(now)
        session.flush()
    return _view(row)


def feed_events(session: Session, user_id: str, now: datetime) -> list[SessionEvent]:
    """The learner's planned sessions as calendar events (cancelled ones left out)."""
    rows = session.execute(
        sa.select(PlannedSession, SessionOrchestrationPlan.planData)
        .join(SessionOrchestrationPlan, SessionOrchestrationPlan.id == PlannedSession.planId)
        .where(
            PlannedSession.userId == user_id,
            SessionOrchestrationPlan.userId == user_id,
            PlannedSession.status.in_(FEED_STATUSES),
            PlannedSession.plannedEnd >= stored(utc(now) - timedelta(days=FEED_DAYS_BACK)),
        )
        .order_by(PlannedSession.plannedStart)
    ).all()
    events = []
    for placed, data in rows:
        minutes = int(data.get("durationMinutes", 0))
        items = len(data.get("items", []))
        breaks = len(data.get("breaks", []))
        events.append(
            SessionEvent(
                uid=placed.calendarUid,
                start=utc(placed.plannedStart),
                end=utc(placed.plannedEnd),
                summary=f"Study session ({minutes} min)",
                description=(
                    f"Intensity {data.get('intensity', '')}; {items} items, {breaks} breaks. "
                    f"Planned by the Behavioral Twin Engine (plan {placed.planId})."
                ),
                sequence=placed.calendarSequence,
            )
        )
    return events


def feed_calendar(session: Session, user_id: str, token: str, now: datetime) -> bytes:
    """The iCalendar feed for a valid token (404 for anything else, revoked tokens included)."""
    row = session.scalar(
        sa.select(CalendarFeedToken).where(
            CalendarFeedToken.userId == user_id,
            CalendarFeedToken.tokenHash == sha256_hex(token),
            CalendarFeedToken.revokedAt.is_(None),
        )
    )
    if row is None:
        raise NotFound("no such feed")
    if row.lastUsedAt is None or utc(now) - utc(row.lastUsedAt) >= LAST_USED_RESOLUTION:
        row.lastUsedAt = stored(now)
    return sessions_calendar(feed_events(session, user_id, now), now=utc(now))
