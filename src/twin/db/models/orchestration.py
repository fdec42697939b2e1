"""Story 5.3 — study scheduling, schedule adaptation, calendars and session orchestration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from twin.db.base import (
    Base,
    created_column,
    enum_type,
    fk,
    index,
    pk_column,
    unique,
    updated_column,
)
from twin.enums import AdaptationType


class StudyScheduleRecommendation(Base):
    """A recommended study schedule and the reasoning behind it."""

    __tablename__ = "study_schedule_recommendations"
    __table_args__ = (
        index("study_schedule_recommendations", "userId"),
        # 0002 epic5_schema_completion
        index("study_schedule_recommendations", "appliedAt"),
        # 0009 orchestration: a learner's accepted slots of a window
        index("study_schedule_recommendations", "userId", "appliedAt"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    recommendedSchedule: Mapped[dict[str, Any]]
    reasoning: Mapped[str]
    createdAt: Mapped[datetime] = created_column()
    # 0002 epic5_schema_completion
    appliedAt: Mapped[datetime | None]


class ScheduleAdaptation(Base):
    """An adaptation applied to the learner's schedule (timing, duration, …)."""

    __tablename__ = "schedule_adaptations"
    __table_args__ = (
        index("schedule_adaptations", "userId"),
        # 0009 orchestration: a learner's adaptations in time order
        index("schedule_adaptations", "userId", "appliedAt"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    adaptationType: Mapped[AdaptationType] = mapped_column(enum_type(AdaptationType))
    adaptationDetails: Mapped[dict[str, Any]]
    appliedAt: Mapped[datetime] = created_column()


class CalendarIntegration(Base):
    """The learner's external calendar connection (one per learner)."""

    __tablename__ = "calendar_integrations"
    __table_args__ = (
        unique("calendar_integrations", "userId"),
        index("calendar_integrations", "userId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    calendarProvider: Mapped[str]
    accessToken: Mapped[str]
    refreshToken: Mapped[str | None]
    expiresAt: Mapped[datetime | None]
    lastSyncAt: Mapped[datetime | None]
    syncEnabled: Mapped[bool] = mapped_column(server_default=sa.true(), default=True)
    createdAt: Mapped[datetime] = created_column()


class SessionOrchestrationPlan(Base):
    """An orchestration plan (breaks, sequencing, intensity) for a study session."""

    __tablename__ = "session_orchestration_plans"
    __table_args__ = (
        index("session_orchestration_plans", "userId"),
        index("session_orchestration_plans", "missionId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    missionId: Mapped[str | None]
    planData: Mapped[dict[str, Any]]
    createdAt: Mapped[datetime] = created_column()
    appliedAt: Mapped[datetime | None]


# --- 0009 orchestration: the engine's own tables (keys all start with userId) ---------------


class CalendarSyncState(Base):
    """How the learner's calendar integration syncs: validators, the last attempt and error.

    ``calendar_integrations`` (seed) keeps the sealed credentials and ``lastSyncAt`` (the
    last *successful* sync); this row keeps what a sync needs next time and what went
    wrong last time (``lastError``: ``{rule, message, at}``), never a secret.
    """

    __tablename__ = "calendar_sync_states"
    __table_args__ = (
        unique("calendar_sync_states", "userId"),
        index("calendar_sync_states", "integrationId"),
    )

    userId: Mapped[str] = mapped_column(
        fk("calendar_sync_states", "userId", "users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = pk_column()
    integrationId: Mapped[str] = mapped_column(
        fk("calendar_sync_states", "integrationId", "calendar_integrations.id", ondelete="CASCADE")
    )
    displayHost: Mapped[str | None]
    writeBack: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    etag: Mapped[str | None]
    lastModifiedHeader: Mapped[str | None]
    lastAttemptAt: Mapped[datetime | None]
    lastError: Mapped[dict[str, Any] | None]
    consecutiveFailures: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    windowStart: Mapped[datetime | None]
    windowEnd: Mapped[datetime | None]
    blockCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    eventCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    contentHash: Mapped[str | None]
    blocksChangedAt: Mapped[datetime | None]
    writeBackAt: Mapped[datetime | None]
    writeBackError: Mapped[dict[str, Any] | None]
    updatedAt: Mapped[datetime] = updated_column()


class CalendarBusyBlock(Base):
    """One merged busy interval of the learner's calendar (a cache: slots never wait on the network)."""

    __tablename__ = "calendar_busy_blocks"
    __table_args__ = (
        index("calendar_busy_blocks", "userId", "startsAt"),
        index("calendar_busy_blocks", "integrationId"),
    )

    userId: Mapped[str] = mapped_column(
        fk("calendar_busy_blocks", "userId", "users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = pk_column()
    integrationId: Mapped[str] = mapped_column(
        fk("calendar_busy_blocks", "integrationId", "calendar_integrations.id", ondelete="CASCADE")
    )
    startsAt: Mapped[datetime]
    endsAt: Mapped[datetime]
    weight: Mapped[float]
    syncedAt: Mapped[datetime]


class CalendarFeedToken(Base):
    """A secret, revocable token of the learner's iCalendar feed of planned sessions (hash only)."""

    __tablename__ = "calendar_feed_tokens"
    __table_args__ = (unique("calendar_feed_tokens", "userId", "tokenHash"),)

    userId: Mapped[str] = mapped_column(
        fk("calendar_feed_tokens", "userId", "users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = pk_column()
    tokenHash: Mapped[str]
    createdAt: Mapped[datetime] = created_column()
    revokedAt: Mapped[datetime | None]
    lastUsedAt: Mapped[datetime | None]


class SchedulePreference(Base):
    """The learner's declared study windows and the session shape adaptations chose."""

    __tablename__ = "schedule_preferences"
    __table_args__ = (unique("schedule_preferences", "userId"),)

    userId: Mapped[str] = mapped_column(
        fk("schedule_preferences", "userId", "users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = pk_column()
    windows: Mapped[list[Any]] = mapped_column(server_default=sa.text("'[]'::jsonb"), default=list)
    sessionMinutes: Mapped[int | None]
    sessionsPerWeek: Mapped[int | None]
    updatedAt: Mapped[datetime] = updated_column()


class PlannedSession(Base):
    """Where a session plan sits on the learner's schedule, and what became of it."""

    __tablename__ = "planned_sessions"
    __table_args__ = (
        unique("planned_sessions", "userId", "planId"),
        index("planned_sessions", "userId", "plannedStart"),
        index("planned_sessions", "planId"),
    )

    userId: Mapped[str] = mapped_column(
        fk("planned_sessions", "userId", "users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = pk_column()
    planId: Mapped[str] = mapped_column(
        fk("planned_sessions", "planId", "session_orchestration_plans.id", ondelete="CASCADE")
    )
    slotId: Mapped[str | None]
    missionId: Mapped[str | None]
    plannedStart: Mapped[datetime]
    plannedEnd: Mapped[datetime]
    status: Mapped[str] = mapped_column(server_default=sa.text("'PLANNED'"), default="PLANNED")
    calendarUid: Mapped[str]
    calendarSequence: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    sessionId: Mapped[str | None]
    createdAt: Mapped[datetime] = created_column()
    updatedAt: Mapped[datetime] = updated_column()
