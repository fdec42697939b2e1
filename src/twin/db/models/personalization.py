"""Story 5.5 — personalization preferences, strategy configs, experiments and outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
from twin.enums import (
    ExperimentStatus,
    ExperimentType,
    OutcomeType,
    PersonalizationContext,
    PersonalizationLevel,
)


class PersonalizationPreferences(Base):
    """The learner's personalization switches (one row per learner)."""

    __tablename__ = "personalization_preferences"
    __table_args__ = (
        unique("personalization_preferences", "userId"),
        index("personalization_preferences", "userId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    personalizationLevel: Mapped[PersonalizationLevel] = mapped_column(
        enum_type(PersonalizationLevel),
        server_default=sa.text("'MEDIUM'"),
        default=PersonalizationLevel.MEDIUM,
    )
    autoAdaptEnabled: Mapped[bool] = mapped_column(server_default=sa.true(), default=True)
    missionPersonalizationEnabled: Mapped[bool] = mapped_column(
        server_default=sa.true(), default=True
    )
    contentPersonalizationEnabled: Mapped[bool] = mapped_column(
        server_default=sa.true(), default=True
    )
    assessmentPersonalizationEnabled: Mapped[bool] = mapped_column(
        server_default=sa.true(), default=True
    )
    sessionPersonalizationEnabled: Mapped[bool] = mapped_column(
        server_default=sa.true(), default=True
    )
    disabledFeatures: Mapped[list[str]] = text_array_column()
    createdAt: Mapped[datetime] = created_column()
    updatedAt: Mapped[datetime] = updated_column()
    lastResetAt: Mapped[datetime | None]
    # 0013 personalization: paused until then (engine defaults meanwhile)
    pausedUntil: Mapped[datetime | None]

    configs: Mapped[list[PersonalizationConfig]] = relationship(
        back_populates="preferences", cascade="all, delete-orphan", passive_deletes=True
    )
    experiments: Mapped[list[PersonalizationExperiment]] = relationship(
        back_populates="preferences", cascade="all, delete-orphan", passive_deletes=True
    )


class PersonalizationConfig(Base):
    """A personalization strategy variant for one context, with its bandit statistics."""

    __tablename__ = "personalization_configs"
    __table_args__ = (
        index("personalization_configs", "userId"),
        index("personalization_configs", "context"),
        index("personalization_configs", "strategyVariant"),
        index("personalization_configs", "isActive"),
        # 0002 epic5_schema_completion
        index("personalization_configs", "userId", "context", "isActive"),
        index("personalization_configs", "userId", "avgReward"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    preferencesId: Mapped[str] = mapped_column(
        fk(
            "personalization_configs",
            "preferencesId",
            "personalization_preferences.id",
            ondelete="CASCADE",
        )
    )
    context: Mapped[PersonalizationContext] = mapped_column(enum_type(PersonalizationContext))
    strategyVariant: Mapped[str]
    missionPersonalization: Mapped[dict[str, Any] | None]
    contentPersonalization: Mapped[dict[str, Any] | None]
    assessmentPersonalization: Mapped[dict[str, Any] | None]
    sessionPersonalization: Mapped[dict[str, Any] | None]
    effectivenessScore: Mapped[float | None]
    confidenceScore: Mapped[float] = mapped_column(server_default=sa.text("0.7"), default=0.7)
    timesSelected: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    totalReward: Mapped[float] = mapped_column(server_default=sa.text("0.0"), default=0.0)
    avgReward: Mapped[float] = mapped_column(server_default=sa.text("0.0"), default=0.0)
    isActive: Mapped[bool] = mapped_column(server_default=sa.true(), default=True)
    activatedAt: Mapped[datetime] = created_column()
    deactivatedAt: Mapped[datetime | None]
    createdAt: Mapped[datetime] = created_column()
    updatedAt: Mapped[datetime] = updated_column()

    preferences: Mapped[PersonalizationPreferences] = relationship(back_populates="configs")
    effectivenessMetrics: Mapped[list[PersonalizationEffectiveness]] = relationship(
        back_populates="config", cascade="all, delete-orphan", passive_deletes=True
    )


class PersonalizationExperiment(Base):
    """An A/B, multivariate or bandit experiment over personalization variants."""

    __tablename__ = "personalization_experiments"
    __table_args__ = (
        index("personalization_experiments", "userId"),
        index("personalization_experiments", "status"),
        index("personalization_experiments", "context"),
        index("personalization_experiments", "startDate", "endDate"),
        # 0011 experiments
        sa.CheckConstraint(
            "definition IS NULL OR salt IS NOT NULL",
            name="personalization_experiments_definition_salt_check",
        ),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    preferencesId: Mapped[str] = mapped_column(
        fk(
            "personalization_experiments",
            "preferencesId",
            "personalization_preferences.id",
            ondelete="CASCADE",
        )
    )
    experimentName: Mapped[str]
    experimentType: Mapped[ExperimentType] = mapped_column(
        enum_type(ExperimentType),
        server_default=sa.text("'AB_TEST'"),
        default=ExperimentType.AB_TEST,
    )
    context: Mapped[PersonalizationContext] = mapped_column(enum_type(PersonalizationContext))
    # [{variantId, name, config, weight}]
    variants: Mapped[list[Any]]
    assignedVariant: Mapped[str | None]
    status: Mapped[ExperimentStatus] = mapped_column(
        enum_type(ExperimentStatus),
        server_default=sa.text("'ACTIVE'"),
        default=ExperimentStatus.ACTIVE,
    )
    startDate: Mapped[datetime] = created_column()
    endDate: Mapped[datetime]
    minParticipants: Mapped[int] = mapped_column(server_default=sa.text("20"), default=20)
    minDuration: Mapped[int] = mapped_column(server_default=sa.text("14"), default=14)
    currentParticipants: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    variantMetrics: Mapped[dict[str, Any] | None]
    winningVariant: Mapped[str | None]
    statisticalSignificance: Mapped[float | None]
    createdAt: Mapped[datetime] = created_column()
    completedAt: Mapped[datetime | None]
    # 0011 experiments: an operator's experiment (see twin.services.experiments)
    salt: Mapped[str | None]
    # the validated definition; NULL = not an operator experiment (never assigned or analysed)
    definition: Mapped[dict[str, Any] | None]
    # the service key that defined it (audit; the owner is OPERATOR_OWNER_ID)
    createdBy: Mapped[str | None]
    stoppedAt: Mapped[datetime | None]
    # end of the post-period of the latest metrics computation
    metricsAsOf: Mapped[datetime | None]
    # the final verdict, written once when the experiment ends
    result: Mapped[dict[str, Any] | None]

    preferences: Mapped[PersonalizationPreferences] = relationship(back_populates="experiments")
    assignments: Mapped[list[ExperimentAssignment]] = relationship(
        back_populates="experiment", cascade="all, delete-orphan", passive_deletes=True
    )


class PersonalizationEffectiveness(Base):
    """Measured effect of a config over a period, with its statistical significance."""

    __tablename__ = "personalization_effectiveness"
    __table_args__ = (
        index("personalization_effectiveness", "userId"),
        index("personalization_effectiveness", "configId"),
        index("personalization_effectiveness", "startDate", "endDate"),
    )

    id: Mapped[str] = pk_column()
    configId: Mapped[str] = mapped_column(
        fk(
            "personalization_effectiveness",
            "configId",
            "personalization_configs.id",
            ondelete="CASCADE",
        )
    )
    userId: Mapped[str]
    startDate: Mapped[datetime]
    endDate: Mapped[datetime]
    retentionImprovement: Mapped[float | None]
    performanceImprovement: Mapped[float | None]
    completionRateChange: Mapped[float | None]
    engagementChange: Mapped[float | None]
    sampleSize: Mapped[int]
    correlation: Mapped[float | None]
    pValue: Mapped[float | None]
    confidenceInterval: Mapped[dict[str, Any] | None]
    compositeScore: Mapped[float]
    isStatisticallySignificant: Mapped[bool] = mapped_column(
        server_default=sa.false(), default=False
    )
    calculatedAt: Mapped[datetime] = created_column()

    config: Mapped[PersonalizationConfig] = relationship(back_populates="effectivenessMetrics")


class PersonalizationOutcome(Base):
    """An observed outcome (mission, session, assessment …) under a personalization."""

    __tablename__ = "personalization_outcomes"
    __table_args__ = (
        index("personalization_outcomes", "userId"),
        index("personalization_outcomes", "outcomeType"),
        index("personalization_outcomes", "timestamp"),
        index("personalization_outcomes", "configId"),
        # 0013 personalization: the learner's recent outcomes of a context (the baseline)
        index("personalization_outcomes", "userId", "context", "timestamp"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    configId: Mapped[str | None]
    outcomeType: Mapped[OutcomeType] = mapped_column(enum_type(OutcomeType))
    context: Mapped[PersonalizationContext] = mapped_column(enum_type(PersonalizationContext))
    timestamp: Mapped[datetime] = created_column()
    retentionScore: Mapped[float | None]
    performanceScore: Mapped[float | None]
    completionRate: Mapped[float | None]
    engagementScore: Mapped[float | None]
    sessionDuration: Mapped[int | None]
    contentType: Mapped[str | None]
    difficultyLevel: Mapped[str | None]
    personalizationApplied: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    strategyVariant: Mapped[str | None]
    # 0013 personalization: the decision this outcome rewards, and the level in effect
    decisionId: Mapped[str | None]
    personalizationLevel: Mapped[str | None]


class PersonalizationDecision(Base):
    """One strategy decision of the bandit, with its propensity and, once known, its reward."""

    __tablename__ = "personalization_decisions"
    __table_args__ = (index("personalization_decisions", "userId", "context", "decidedAt"),)

    userId: Mapped[str] = mapped_column(
        fk("personalization_decisions", "userId", "users.id", ondelete="CASCADE"),
        primary_key=True,
    )
    id: Mapped[str] = pk_column()
    context: Mapped[str]
    strategyVariant: Mapped[str]
    configId: Mapped[str | None]
    propensity: Mapped[float]
    probabilities: Mapped[dict[str, Any]]
    mode: Mapped[str]
    personalizationLevel: Mapped[str]
    rewardScale: Mapped[float]
    priors: Mapped[dict[str, Any]]
    params: Mapped[dict[str, Any]]
    parameters: Mapped[dict[str, Any]]
    explanation: Mapped[dict[str, Any]]
    decidedAt: Mapped[datetime] = created_column()
    reward: Mapped[float | None]
    rewardDetail: Mapped[dict[str, Any] | None]
    rewardedAt: Mapped[datetime | None]
    outcomeId: Mapped[str | None]
    feedbackHelpful: Mapped[bool | None]
    feedbackDifficulty: Mapped[str | None]
    feedbackComment: Mapped[str | None]
    feedbackAt: Mapped[datetime | None]
    signals: Mapped[list[str]] = text_array_column()


class ExperimentAssignment(Base):
    """The variant a learner is assigned to in an experiment."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (
        unique("experiment_assignments", "experimentId", "userId"),
        index("experiment_assignments", "experimentId"),
        index("experiment_assignments", "userId"),
    )

    id: Mapped[str] = pk_column()
    # 0002 epic5_schema_completion (the FK)
    experimentId: Mapped[str] = mapped_column(
        fk(
            "experiment_assignments",
            "experimentId",
            "personalization_experiments.id",
            ondelete="CASCADE",
        )
    )
    userId: Mapped[str]
    variantId: Mapped[str]
    assignedAt: Mapped[datetime] = created_column()
    # 0002 epic5_schema_completion
    metrics: Mapped[dict[str, Any] | None]

    experiment: Mapped[PersonalizationExperiment] = relationship(back_populates="assignments")
