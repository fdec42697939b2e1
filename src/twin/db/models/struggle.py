"""Stories 5.2/5.3 — struggle prediction, indicators, interventions and performance data."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from twin.db.base import (
    Base,
    created_column,
    enum_type,
    fk,
    index,
    pk_column,
    unique,
)
from twin.enums import (
    FeedbackType,
    IndicatorType,
    InterventionStatus,
    InterventionType,
    PatternType,
    PredictionStatus,
    Severity,
)

if TYPE_CHECKING:
    from twin.db.models.learning import LearningObjective


class StrugglePrediction(Base):
    """A predicted probability that the learner will struggle with an objective."""

    __tablename__ = "struggle_predictions"
    __table_args__ = (
        index("struggle_predictions", "userId"),
        index("struggle_predictions", "learningObjectiveId"),
        index("struggle_predictions", "predictedStruggleProbability"),
        index("struggle_predictions", "predictionStatus"),
        index("struggle_predictions", "predictionDate"),
        index("struggle_predictions", "topicId"),
        # 0002 epic5_schema_completion
        # -> struggle_predictions_userId_predictionStatus_predictedStrug_idx (63-char cut)
        index("struggle_predictions", "userId", "predictionStatus", "predictedStruggleProbability"),
        index("struggle_predictions", "userId", "topicId", "predictionDate"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    learningObjectiveId: Mapped[str] = mapped_column(
        fk(
            "struggle_predictions",
            "learningObjectiveId",
            "learning_objectives.id",
            ondelete="RESTRICT",
        )
    )
    topicId: Mapped[str | None]
    predictedStruggleProbability: Mapped[float]
    predictionConfidence: Mapped[float]
    predictionStatus: Mapped[PredictionStatus] = mapped_column(
        enum_type(PredictionStatus),
        server_default=sa.text("'PENDING'"),
        default=PredictionStatus.PENDING,
    )
    featureVector: Mapped[dict[str, Any] | None]
    # array of factors (legacy)
    strugglingFactors: Mapped[list[Any]]
    predictionDate: Mapped[datetime] = created_column()
    predictedAt: Mapped[datetime] = created_column()
    acknowledgedAt: Mapped[datetime | None]
    actualOutcome: Mapped[bool | None]
    actualOutcomeRecordedAt: Mapped[datetime | None]
    interventionApplied: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    interventionId: Mapped[str | None]

    learningObjective: Mapped[LearningObjective] = relationship(
        back_populates="strugglePredictions"
    )
    indicators: Mapped[list[StruggleIndicator]] = relationship(
        back_populates="prediction", passive_deletes=True
    )
    interventions: Mapped[list[InterventionRecommendation]] = relationship(
        back_populates="prediction", passive_deletes=True
    )
    feedback: Mapped[list[PredictionFeedback]] = relationship(
        back_populates="prediction", cascade="all, delete-orphan", passive_deletes=True
    )


class StruggleIndicator(Base):
    """A signal (behavioral, performance, cognitive …) that contributes to a struggle."""

    __tablename__ = "struggle_indicators"
    __table_args__ = (
        index("struggle_indicators", "userId"),
        index("struggle_indicators", "learningObjectiveId"),
        index("struggle_indicators", "predictionId"),
        index("struggle_indicators", "indicatorType"),
        index("struggle_indicators", "severity"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    learningObjectiveId: Mapped[str]
    predictionId: Mapped[str | None] = mapped_column(
        fk("struggle_indicators", "predictionId", "struggle_predictions.id", ondelete="SET NULL")
    )
    indicatorType: Mapped[IndicatorType] = mapped_column(enum_type(IndicatorType))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity))
    context: Mapped[dict[str, Any] | None]
    detectedAt: Mapped[datetime] = created_column()

    prediction: Mapped[StrugglePrediction | None] = relationship(back_populates="indicators")


class InterventionRecommendation(Base):
    """An intervention proposed for a predicted struggle."""

    __tablename__ = "intervention_recommendations"
    __table_args__ = (
        index("intervention_recommendations", "userId"),
        index("intervention_recommendations", "predictionId"),
        index("intervention_recommendations", "status"),
        index("intervention_recommendations", "priority"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    predictionId: Mapped[str | None] = mapped_column(
        fk(
            "intervention_recommendations",
            "predictionId",
            "struggle_predictions.id",
            ondelete="SET NULL",
        )
    )
    interventionType: Mapped[InterventionType] = mapped_column(enum_type(InterventionType))
    description: Mapped[str]
    reasoning: Mapped[str]
    priority: Mapped[int]
    status: Mapped[InterventionStatus] = mapped_column(
        enum_type(InterventionStatus),
        server_default=sa.text("'PENDING'"),
        default=InterventionStatus.PENDING,
    )
    relatedObjectiveId: Mapped[str | None]
    appliedToMissionId: Mapped[str | None]
    appliedAt: Mapped[datetime | None]
    createdAt: Mapped[datetime] = created_column()
    acknowledgedAt: Mapped[datetime | None]

    prediction: Mapped[StrugglePrediction | None] = relationship(back_populates="interventions")


class PerformanceMetric(Base):
    """Daily retention and review counts of one learner on one objective."""

    __tablename__ = "performance_metrics"
    __table_args__ = (
        unique("performance_metrics", "userId", "learningObjectiveId", "date"),
        index("performance_metrics", "userId", "date"),
        index("performance_metrics", "learningObjectiveId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    learningObjectiveId: Mapped[str] = mapped_column(
        fk(
            "performance_metrics",
            "learningObjectiveId",
            "learning_objectives.id",
            ondelete="CASCADE",
        )
    )
    date: Mapped[datetime] = created_column()
    retentionScore: Mapped[float]
    studyTimeMs: Mapped[int]
    reviewCount: Mapped[int]
    correctReviews: Mapped[int]
    incorrectReviews: Mapped[int]
    createdAt: Mapped[datetime] = created_column()

    learningObjective: Mapped[LearningObjective] = relationship(back_populates="performanceMetrics")


class PerformancePrediction(Base):
    """A forecast of the learner's performance for a given time."""

    __tablename__ = "performance_predictions"
    __table_args__ = (
        index("performance_predictions", "userId"),
        index("performance_predictions", "predictedFor"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    predictedFor: Mapped[datetime]
    predictionType: Mapped[str]
    prediction: Mapped[dict[str, Any]]
    confidence: Mapped[float]
    createdAt: Mapped[datetime] = created_column()


class LearningPattern(Base):
    """A learning pattern (optimal time, struggle topic, …) of the struggle model."""

    __tablename__ = "learning_patterns"
    __table_args__ = (
        index("learning_patterns", "userId"),
        index("learning_patterns", "patternType"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    patternType: Mapped[PatternType] = mapped_column(enum_type(PatternType))
    patternData: Mapped[dict[str, Any]]
    confidence: Mapped[float]
    detectedAt: Mapped[datetime] = created_column()
    lastSeenAt: Mapped[datetime] = created_column()


class PredictionFeedback(Base):
    """The learner's feedback on a struggle prediction (added in 0003)."""

    __tablename__ = "prediction_feedback"
    __table_args__ = (
        index("prediction_feedback", "userId"),
        index("prediction_feedback", "predictionId"),
    )

    id: Mapped[str] = pk_column()
    predictionId: Mapped[str] = mapped_column(
        fk("prediction_feedback", "predictionId", "struggle_predictions.id", ondelete="CASCADE")
    )
    userId: Mapped[str]
    feedbackType: Mapped[FeedbackType] = mapped_column(enum_type(FeedbackType))
    actualStruggle: Mapped[bool]
    helpfulness: Mapped[int | None]
    comments: Mapped[str | None]
    submittedAt: Mapped[datetime] = created_column()

    prediction: Mapped[StrugglePrediction] = relationship(back_populates="feedback")
