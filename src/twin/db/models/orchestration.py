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
    index,
    pk_column,
    unique,
)
from twin.enums import AdaptationType


class StudyScheduleRecommendation(Base):
    """A recommended study schedule and the reasoning behind it."""

    __tablename__ = "study_schedule_recommendations"
    __table_args__ = (
        index("study_schedule_recommendations", "userId"),
        # 0002 epic5_schema_completion
        index("study_schedule_recommendations", "appliedAt"),
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
    __table_args__ = (index("schedule_adaptations", "userId"),)

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
