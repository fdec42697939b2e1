"""Stories 5.5/5.6 — recommendations, goals, notifications and the learning-science articles."""

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
    ApplicationType,
    ArticleCategory,
    BehavioralGoalType,
    GoalStatus,
    NotificationPriority,
    NotificationType,
    RecommendationStatus,
    RecommendationType,
)


class Recommendation(Base):
    """A ranked, actionable recommendation backed by patterns and insights."""

    __tablename__ = "recommendations"
    __table_args__ = (
        index("recommendations", "userId"),
        index("recommendations", "status"),
        index("recommendations", "recommendationType"),
        index("recommendations", "priorityScore"),
        # 0002 epic5_schema_completion
        index("recommendations", "userId", "status", "priorityScore"),
        index("recommendations", "userId", "createdAt"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    recommendationType: Mapped[RecommendationType] = mapped_column(enum_type(RecommendationType))
    title: Mapped[str]
    description: Mapped[str]
    actionableText: Mapped[str]
    confidence: Mapped[float]
    estimatedImpact: Mapped[float]
    easeOfImplementation: Mapped[float]
    userReadiness: Mapped[float]
    priorityScore: Mapped[float]
    status: Mapped[RecommendationStatus] = mapped_column(
        enum_type(RecommendationStatus),
        server_default=sa.text("'PENDING'"),
        default=RecommendationStatus.PENDING,
    )
    sourcePatternIds: Mapped[list[str]] = text_array_column()
    sourceInsightIds: Mapped[list[str]] = text_array_column()
    createdAt: Mapped[datetime] = created_column()
    appliedAt: Mapped[datetime | None]
    dismissedAt: Mapped[datetime | None]

    appliedRecommendations: Mapped[list[AppliedRecommendation]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", passive_deletes=True
    )


class AppliedRecommendation(Base):
    """An application of a recommendation with baseline and evaluated metrics."""

    __tablename__ = "applied_recommendations"
    __table_args__ = (
        index("applied_recommendations", "userId"),
        index("applied_recommendations", "recommendationId"),
        index("applied_recommendations", "applicationType"),
    )

    id: Mapped[str] = pk_column()
    recommendationId: Mapped[str] = mapped_column(
        fk(
            "applied_recommendations",
            "recommendationId",
            "recommendations.id",
            ondelete="CASCADE",
        )
    )
    userId: Mapped[str]
    applicationType: Mapped[ApplicationType] = mapped_column(enum_type(ApplicationType))
    baselineMetrics: Mapped[dict[str, Any]]
    currentMetrics: Mapped[dict[str, Any] | None]
    effectiveness: Mapped[float | None]
    appliedAt: Mapped[datetime] = created_column()
    evaluatedAt: Mapped[datetime | None]

    recommendation: Mapped[Recommendation] = relationship(back_populates="appliedRecommendations")


class BehavioralGoal(Base):
    """A behavioral goal with a target metric and its progress history."""

    __tablename__ = "behavioral_goals"
    __table_args__ = (
        index("behavioral_goals", "userId"),
        index("behavioral_goals", "status"),
        index("behavioral_goals", "deadline"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    goalType: Mapped[BehavioralGoalType] = mapped_column(enum_type(BehavioralGoalType))
    title: Mapped[str]
    description: Mapped[str]
    targetMetric: Mapped[str]
    currentValue: Mapped[float]
    targetValue: Mapped[float]
    deadline: Mapped[datetime]
    status: Mapped[GoalStatus] = mapped_column(
        enum_type(GoalStatus), server_default=sa.text("'ACTIVE'"), default=GoalStatus.ACTIVE
    )
    # [{date, value, note}]
    progressHistory: Mapped[list[Any]]
    completedAt: Mapped[datetime | None]
    createdAt: Mapped[datetime] = created_column()
    updatedAt: Mapped[datetime] = updated_column()


class InsightNotification(Base):
    """An in-app notification about a pattern, insight, goal or recommendation."""

    __tablename__ = "insight_notifications"
    __table_args__ = (
        index("insight_notifications", "userId"),
        index("insight_notifications", "notificationType"),
        index("insight_notifications", "readAt"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    notificationType: Mapped[NotificationType] = mapped_column(enum_type(NotificationType))
    title: Mapped[str]
    message: Mapped[str]
    priority: Mapped[NotificationPriority] = mapped_column(
        enum_type(NotificationPriority),
        server_default=sa.text("'NORMAL'"),
        default=NotificationPriority.NORMAL,
    )
    relatedEntityId: Mapped[str | None]
    relatedEntityType: Mapped[str | None]
    readAt: Mapped[datetime | None]
    createdAt: Mapped[datetime] = created_column()


class LearningArticle(Base):
    """A learning-science article, optionally personalized with the learner's data."""

    __tablename__ = "learning_articles"
    __table_args__ = (
        unique("learning_articles", "slug"),
        index("learning_articles", "category"),
        index("learning_articles", "slug"),
    )

    id: Mapped[str] = pk_column()
    slug: Mapped[str]
    title: Mapped[str]
    category: Mapped[ArticleCategory] = mapped_column(enum_type(ArticleCategory))
    summary: Mapped[str]
    content: Mapped[str]
    personalizedSections: Mapped[dict[str, Any] | None]
    # [{title, url, description}]
    externalLinks: Mapped[list[Any] | None]
    readingTimeMinutes: Mapped[int] = mapped_column(server_default=sa.text("5"), default=5)
    difficulty: Mapped[str] = mapped_column(
        server_default=sa.text("'BEGINNER'"), default="BEGINNER"
    )
    tags: Mapped[list[str]] = text_array_column()
    createdAt: Mapped[datetime] = created_column()
    updatedAt: Mapped[datetime] = updated_column()
    publishedAt: Mapped[datetime] = created_column()

    articleReads: Mapped[list[ArticleRead]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )


class ArticleRead(Base):
    """A learner's read of an article, with optional feedback."""

    __tablename__ = "article_reads"
    __table_args__ = (
        unique("article_reads", "userId", "articleId"),
        index("article_reads", "userId"),
        index("article_reads", "articleId"),
        index("article_reads", "readAt"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    articleId: Mapped[str] = mapped_column(
        fk("article_reads", "articleId", "learning_articles.id", ondelete="CASCADE")
    )
    readAt: Mapped[datetime] = created_column()
    readDurationSeconds: Mapped[int | None]
    completedRead: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    helpful: Mapped[bool | None]
    rating: Mapped[int | None]
    feedback: Mapped[str | None]

    article: Mapped[LearningArticle] = relationship(back_populates="articleReads")
