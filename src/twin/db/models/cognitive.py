"""Story 5.4 — cognitive load, burnout risk and stress response."""

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
    text_array_column,
    unique,
    updated_column,
)
from twin.enums import BurnoutRiskLevel


class CognitiveLoadMetric(Base):
    """A cognitive-load score (0-100) with the stress indicators behind it."""

    __tablename__ = "cognitive_load_metrics"
    __table_args__ = (
        index("cognitive_load_metrics", "userId"),
        index("cognitive_load_metrics", "sessionId"),
        index("cognitive_load_metrics", "timestamp"),
        index("cognitive_load_metrics", "loadScore"),
        # 0007: the learner's latest readings and load history (GET …/cognitive-load/*)
        index("cognitive_load_metrics", "userId", "timestamp"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    sessionId: Mapped[str | None]
    loadScore: Mapped[float]
    # array of StressIndicator objects
    stressIndicators: Mapped[list[Any]]
    confidenceLevel: Mapped[float]
    timestamp: Mapped[datetime] = created_column()


class BurnoutRiskAssessment(Base):
    """A burnout-risk assessment (0-100) with contributing factors and warnings."""

    __tablename__ = "burnout_risk_assessments"
    __table_args__ = (
        index("burnout_risk_assessments", "userId"),
        index("burnout_risk_assessments", "riskLevel"),
        index("burnout_risk_assessments", "assessmentDate"),
        # 0007: the learner's latest assessment (daily job, GET …/burnout-risk)
        index("burnout_risk_assessments", "userId", "assessmentDate"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    riskScore: Mapped[float]
    riskLevel: Mapped[BurnoutRiskLevel] = mapped_column(enum_type(BurnoutRiskLevel))
    # array of ContributingFactor objects
    contributingFactors: Mapped[list[Any]]
    # array of WarningSignal objects
    warningSignals: Mapped[list[Any] | None]
    recommendations: Mapped[list[str]] = text_array_column()
    confidence: Mapped[float] = mapped_column(server_default=sa.text("0.7"), default=0.7)
    assessmentDate: Mapped[datetime] = created_column()
    interventionApplied: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    interventionId: Mapped[str | None]


class StressResponsePattern(Base):
    """A detected pattern of how the learner responds to stress."""

    __tablename__ = "stress_response_patterns"
    __table_args__ = (index("stress_response_patterns", "userId"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    patternData: Mapped[dict[str, Any]]
    confidence: Mapped[float]
    detectedAt: Mapped[datetime] = created_column()


class LearnerLoadProfile(Base):
    """The load fields of the learner's profile (ENGINE.md 5.4): load tolerance, 7-day mean load.

    A table of its own (0007) rather than columns on ``user_learning_profiles``: that
    seed table's columns are fixed by SCHEMA.md, and its NOT NULL fields (optimal
    session length, forgetting curve …) cannot be filled with honest values before
    pattern analysis has run. ``details`` holds the stress profile behind the numbers.
    """

    __tablename__ = "learner_load_profiles"
    __table_args__ = (unique("learner_load_profiles", "userId"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(
        fk("learner_load_profiles", "userId", "users.id", ondelete="CASCADE")
    )
    # load (0-100) above which the learner's performance drops (stress profile)
    loadTolerance: Mapped[float | None]
    # mean of the load readings of the last 7 days
    meanLoad7d: Mapped[float | None]
    # StressProfile.details_json(): primary stressors, tolerance method, recovery time, evidence
    details: Mapped[dict[str, Any]] = mapped_column(
        server_default=sa.text("'{}'::jsonb"), default=dict
    )
    stressAnalyzedAt: Mapped[datetime | None]
    updatedAt: Mapped[datetime] = updated_column()
