"""Story 5.1 — learning pattern recognition: events, patterns, insights, profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from twin.clock import utcnow
from twin.db.base import (
    NOW,
    Base,
    created_column,
    enum_type,
    fk,
    index,
    pk_column,
    text_array_column,
    unique,
)
from twin.enums import (
    BehavioralPatternType,
    CompletionQuality,
    EngagementLevel,
    EventType,
    InsightType,
)


class BehavioralEvent(Base):
    """A raw behavioral event (the seed's ``BehavioralEvent``)."""

    __tablename__ = "behavioral_events"
    __table_args__ = (
        index("behavioral_events", "userId"),
        index("behavioral_events", "eventType"),
        index("behavioral_events", "timestamp"),
        # 0002 epic5_schema_completion
        index("behavioral_events", "userId", "eventType", "timestamp"),
        index("behavioral_events", "userId", "dayOfWeek"),
        index("behavioral_events", "userId", "timeOfDay"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    eventType: Mapped[EventType] = mapped_column(enum_type(EventType))
    eventData: Mapped[dict[str, Any]]
    timestamp: Mapped[datetime] = created_column()
    completionQuality: Mapped[CompletionQuality | None] = mapped_column(
        enum_type(CompletionQuality)
    )
    contentType: Mapped[str | None]
    dayOfWeek: Mapped[int | None]
    difficultyLevel: Mapped[str | None]
    engagementLevel: Mapped[EngagementLevel | None] = mapped_column(enum_type(EngagementLevel))
    sessionPerformanceScore: Mapped[int | None]
    timeOfDay: Mapped[int | None]


class BehavioralPattern(Base):
    """A detected behavioral pattern with its lifecycle counters."""

    __tablename__ = "behavioral_patterns"
    __table_args__ = (
        index("behavioral_patterns", "userId"),
        index("behavioral_patterns", "patternType"),
        index("behavioral_patterns", "confidence"),
        index("behavioral_patterns", "occurrenceCount"),
        index("behavioral_patterns", "detectedAt"),
        # 0002 epic5_schema_completion
        index("behavioral_patterns", "userId", "patternType", "confidence"),
        index("behavioral_patterns", "userId", "lastSeenAt"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    patternType: Mapped[BehavioralPatternType] = mapped_column(enum_type(BehavioralPatternType))
    patternData: Mapped[dict[str, Any]]
    confidence: Mapped[float]
    firstDetectedAt: Mapped[datetime] = created_column()
    lastSeenAt: Mapped[datetime] = created_column()
    patternName: Mapped[str | None]
    evidence: Mapped[list[str]] = text_array_column()
    occurrenceCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    detectedAt: Mapped[datetime] = created_column()

    insightPatterns: Mapped[list[InsightPattern]] = relationship(
        back_populates="pattern", cascade="all, delete-orphan", passive_deletes=True
    )


class BehavioralInsight(Base):
    """An actionable insight generated from high-confidence patterns."""

    __tablename__ = "behavioral_insights"
    __table_args__ = (
        index("behavioral_insights", "userId"),
        index("behavioral_insights", "createdAt"),
        index("behavioral_insights", "acknowledgedAt"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    insightType: Mapped[InsightType] = mapped_column(enum_type(InsightType))
    title: Mapped[str]
    description: Mapped[str]
    actionableRecommendation: Mapped[str]
    confidence: Mapped[float]
    createdAt: Mapped[datetime] = created_column()
    acknowledgedAt: Mapped[datetime | None]
    applied: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)

    insightPatterns: Mapped[list[InsightPattern]] = relationship(
        back_populates="insight", cascade="all, delete-orphan", passive_deletes=True
    )


class UserLearningProfile(Base):
    """The learner's twin summary: study times, durations, preferences, forgetting curve."""

    __tablename__ = "user_learning_profiles"
    __table_args__ = (
        unique("user_learning_profiles", "userId"),
        index("user_learning_profiles", "userId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    preferredStudyTimes: Mapped[list[Any]]
    averageSessionDuration: Mapped[int]
    optimalSessionDuration: Mapped[int]
    contentPreferences: Mapped[dict[str, Any]]
    learningStyleProfile: Mapped[dict[str, Any]]
    personalizedForgettingCurve: Mapped[dict[str, Any]]
    lastAnalyzedAt: Mapped[datetime] = mapped_column(server_default=NOW, default=utcnow)
    dataQualityScore: Mapped[float] = mapped_column(server_default=sa.text("0.0"), default=0.0)


class InsightPattern(Base):
    """Join of an insight to the patterns that support it."""

    __tablename__ = "insight_patterns"
    __table_args__ = (
        unique("insight_patterns", "insightId", "patternId"),
        index("insight_patterns", "insightId"),
        index("insight_patterns", "patternId"),
    )

    id: Mapped[str] = pk_column()
    insightId: Mapped[str] = mapped_column(
        fk("insight_patterns", "insightId", "behavioral_insights.id", ondelete="CASCADE")
    )
    patternId: Mapped[str] = mapped_column(
        fk("insight_patterns", "patternId", "behavioral_patterns.id", ondelete="CASCADE")
    )

    insight: Mapped[BehavioralInsight] = relationship(back_populates="insightPatterns")
    pattern: Mapped[BehavioralPattern] = relationship(back_populates="insightPatterns")
