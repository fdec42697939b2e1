"""Supporting models: the learner, their courses, content, cards, reviews, sessions and missions.

These are the inputs the engine analyses (SCHEMA.md, "Supporting models"). Unlike
the 30 seed models, their ``userId`` columns are real foreign keys to ``users``
with ``ON DELETE CASCADE``.
"""

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
    text_array_column,
    unique,
    updated_column,
)
from twin.enums import (
    CardType,
    MasteryLevel,
    MissionStatus,
    ObjectiveComplexity,
    ReviewRating,
)

if TYPE_CHECKING:
    from twin.db.models.struggle import PerformanceMetric, StrugglePrediction


class User(Base):
    """A learner: identity, mission defaults, privacy switches and IANA time zone."""

    __tablename__ = "users"
    __table_args__ = (unique("users", "email"),)

    id: Mapped[str] = pk_column()
    email: Mapped[str | None]
    name: Mapped[str | None]
    createdAt: Mapped[datetime] = created_column()
    updatedAt: Mapped[datetime] = updated_column()
    defaultMissionMinutes: Mapped[int] = mapped_column(server_default=sa.text("50"), default=50)
    # privacy
    behavioralAnalysisEnabled: Mapped[bool] = mapped_column(server_default=sa.true(), default=True)
    learningStyleProfilingEnabled: Mapped[bool] = mapped_column(
        server_default=sa.true(), default=True
    )
    shareAnonymizedPatterns: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    # added in 0003 (IANA zone name; hour/weekday bucketing happens in this zone)
    timezone: Mapped[str] = mapped_column(server_default=sa.text("'UTC'"), default="UTC")

    courses: Mapped[list[Course]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    lectures: Mapped[list[Lecture]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    studySessions: Mapped[list[StudySession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    missions: Mapped[list[Mission]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    exams: Mapped[list[Exam]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    validationResponses: Mapped[list[ValidationResponse]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class Course(Base):
    """A course the learner studies."""

    __tablename__ = "courses"
    __table_args__ = (index("courses", "userId"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(fk("courses", "userId", "users.id", ondelete="CASCADE"))
    name: Mapped[str]
    code: Mapped[str | None]
    createdAt: Mapped[datetime] = created_column()
    updatedAt: Mapped[datetime] = updated_column()

    user: Mapped[User] = relationship(back_populates="courses")
    lectures: Mapped[list[Lecture]] = relationship(
        back_populates="course", cascade="all, delete-orphan", passive_deletes=True
    )
    cards: Mapped[list[Card]] = relationship(
        back_populates="course", cascade="all, delete-orphan", passive_deletes=True
    )
    exams: Mapped[list[Exam]] = relationship(
        back_populates="course", cascade="all, delete-orphan", passive_deletes=True
    )


class Lecture(Base):
    """An uploaded lecture within a course, tagged with topics."""

    __tablename__ = "lectures"
    __table_args__ = (
        index("lectures", "userId"),
        index("lectures", "courseId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(fk("lectures", "userId", "users.id", ondelete="CASCADE"))
    courseId: Mapped[str] = mapped_column(
        fk("lectures", "courseId", "courses.id", ondelete="CASCADE")
    )
    title: Mapped[str]
    topicTags: Mapped[list[str]] = text_array_column()
    uploadedAt: Mapped[datetime] = created_column()

    user: Mapped[User] = relationship(back_populates="lectures")
    course: Mapped[Course] = relationship(back_populates="lectures")
    learningObjectives: Mapped[list[LearningObjective]] = relationship(
        back_populates="lecture", cascade="all, delete-orphan", passive_deletes=True
    )
    cards: Mapped[list[Card]] = relationship(back_populates="lecture", passive_deletes=True)


class LearningObjective(Base):
    """A learning objective of a lecture, with its mastery state (user reached via lecture)."""

    __tablename__ = "learning_objectives"
    __table_args__ = (index("learning_objectives", "lectureId"),)

    id: Mapped[str] = pk_column()
    lectureId: Mapped[str] = mapped_column(
        fk("learning_objectives", "lectureId", "lectures.id", ondelete="CASCADE")
    )
    objective: Mapped[str]
    isHighYield: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    complexity: Mapped[ObjectiveComplexity] = mapped_column(
        enum_type(ObjectiveComplexity),
        server_default=sa.text("'INTERMEDIATE'"),
        default=ObjectiveComplexity.INTERMEDIATE,
    )
    masteryLevel: Mapped[MasteryLevel] = mapped_column(
        enum_type(MasteryLevel),
        server_default=sa.text("'NOT_STARTED'"),
        default=MasteryLevel.NOT_STARTED,
    )
    weaknessScore: Mapped[float] = mapped_column(server_default=sa.text("0.5"), default=0.5)
    lastStudiedAt: Mapped[datetime | None]
    totalStudyTimeMs: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    createdAt: Mapped[datetime] = created_column()

    lecture: Mapped[Lecture] = relationship(back_populates="learningObjectives")
    prerequisites: Mapped[list[ObjectivePrerequisite]] = relationship(
        foreign_keys="ObjectivePrerequisite.objectiveId",
        back_populates="objective",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    dependents: Mapped[list[ObjectivePrerequisite]] = relationship(
        foreign_keys="ObjectivePrerequisite.prerequisiteId",
        back_populates="prerequisite",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    cards: Mapped[list[Card]] = relationship(back_populates="objective", passive_deletes=True)
    validationResponses: Mapped[list[ValidationResponse]] = relationship(
        back_populates="objective", passive_deletes=True
    )
    # ON DELETE RESTRICT: never let the ORM null these out; the database refuses the delete.
    strugglePredictions: Mapped[list[StrugglePrediction]] = relationship(
        back_populates="learningObjective", passive_deletes="all"
    )
    performanceMetrics: Mapped[list[PerformanceMetric]] = relationship(
        back_populates="learningObjective", cascade="all, delete-orphan", passive_deletes=True
    )


class ObjectivePrerequisite(Base):
    """A prerequisite edge between two learning objectives, with its strength."""

    __tablename__ = "objective_prerequisites"
    __table_args__ = (
        unique("objective_prerequisites", "objectiveId", "prerequisiteId"),
        index("objective_prerequisites", "prerequisiteId"),
    )

    id: Mapped[str] = pk_column()
    objectiveId: Mapped[str] = mapped_column(
        fk("objective_prerequisites", "objectiveId", "learning_objectives.id", ondelete="CASCADE")
    )
    prerequisiteId: Mapped[str] = mapped_column(
        fk(
            "objective_prerequisites",
            "prerequisiteId",
            "learning_objectives.id",
            ondelete="CASCADE",
        )
    )
    strength: Mapped[float] = mapped_column(server_default=sa.text("1.0"), default=1.0)

    objective: Mapped[LearningObjective] = relationship(
        foreign_keys=[objectiveId], back_populates="prerequisites"
    )
    prerequisite: Mapped[LearningObjective] = relationship(
        foreign_keys=[prerequisiteId], back_populates="dependents"
    )


class Card(Base):
    """A flashcard with its memory-model state (difficulty, stability, retrievability)."""

    __tablename__ = "cards"
    __table_args__ = (
        index("cards", "courseId"),
        index("cards", "objectiveId"),
        index("cards", "lectureId"),
    )

    id: Mapped[str] = pk_column()
    courseId: Mapped[str] = mapped_column(fk("cards", "courseId", "courses.id", ondelete="CASCADE"))
    lectureId: Mapped[str | None] = mapped_column(
        fk("cards", "lectureId", "lectures.id", ondelete="SET NULL")
    )
    objectiveId: Mapped[str | None] = mapped_column(
        fk("cards", "objectiveId", "learning_objectives.id", ondelete="SET NULL")
    )
    cardType: Mapped[CardType] = mapped_column(
        enum_type(CardType), server_default=sa.text("'BASIC'"), default=CardType.BASIC
    )
    difficulty: Mapped[float] = mapped_column(server_default=sa.text("0"), default=0.0)
    stability: Mapped[float] = mapped_column(server_default=sa.text("0"), default=0.0)
    retrievability: Mapped[float] = mapped_column(server_default=sa.text("0"), default=0.0)
    lastReviewedAt: Mapped[datetime | None]
    nextReviewAt: Mapped[datetime | None]
    reviewCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    lapseCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)

    course: Mapped[Course] = relationship(back_populates="cards")
    lecture: Mapped[Lecture | None] = relationship(back_populates="cards")
    objective: Mapped[LearningObjective | None] = relationship(back_populates="cards")
    reviews: Mapped[list[Review]] = relationship(
        back_populates="card", cascade="all, delete-orphan", passive_deletes=True
    )


class Review(Base):
    """One review of a card, with the memory-model state before and after."""

    __tablename__ = "reviews"
    __table_args__ = (
        index("reviews", "userId"),
        index("reviews", "cardId"),
        index("reviews", "reviewedAt"),
        index("reviews", "sessionId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(fk("reviews", "userId", "users.id", ondelete="CASCADE"))
    cardId: Mapped[str] = mapped_column(fk("reviews", "cardId", "cards.id", ondelete="CASCADE"))
    sessionId: Mapped[str | None] = mapped_column(
        fk("reviews", "sessionId", "study_sessions.id", ondelete="SET NULL")
    )
    rating: Mapped[ReviewRating] = mapped_column(enum_type(ReviewRating))
    timeSpentMs: Mapped[int]
    reviewedAt: Mapped[datetime] = created_column()
    difficultyBefore: Mapped[float] = mapped_column(server_default=sa.text("0"), default=0.0)
    difficultyAfter: Mapped[float] = mapped_column(server_default=sa.text("0"), default=0.0)
    stabilityBefore: Mapped[float] = mapped_column(server_default=sa.text("0"), default=0.0)
    stabilityAfter: Mapped[float] = mapped_column(server_default=sa.text("0"), default=0.0)

    user: Mapped[User] = relationship(back_populates="reviews")
    card: Mapped[Card] = relationship(back_populates="reviews")
    session: Mapped[StudySession | None] = relationship(back_populates="reviews")


class StudySession(Base):
    """A study session, optionally running a mission, with per-objective completions."""

    __tablename__ = "study_sessions"
    __table_args__ = (
        index("study_sessions", "userId"),
        index("study_sessions", "startedAt"),
        index("study_sessions", "missionId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(
        fk("study_sessions", "userId", "users.id", ondelete="CASCADE")
    )
    missionId: Mapped[str | None] = mapped_column(
        fk("study_sessions", "missionId", "missions.id", ondelete="SET NULL")
    )
    startedAt: Mapped[datetime] = created_column()
    completedAt: Mapped[datetime | None]
    durationMs: Mapped[int | None]
    reviewsCompleted: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    newCardsStudied: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    sessionNotes: Mapped[str | None]
    # [{objectiveId, completedAt, selfAssessment 1-5, confidenceRating}]
    objectiveCompletions: Mapped[list[Any] | None]

    user: Mapped[User] = relationship(back_populates="studySessions")
    mission: Mapped[Mission | None] = relationship(back_populates="studySessions")
    reviews: Mapped[list[Review]] = relationship(back_populates="session", passive_deletes=True)
    validationResponses: Mapped[list[ValidationResponse]] = relationship(
        back_populates="session", passive_deletes=True
    )


class Mission(Base):
    """A daily mission: planned objectives, timing and outcome."""

    __tablename__ = "missions"
    __table_args__ = (index("missions", "userId", "date"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(fk("missions", "userId", "users.id", ondelete="CASCADE"))
    date: Mapped[datetime]
    status: Mapped[MissionStatus] = mapped_column(
        enum_type(MissionStatus), server_default=sa.text("'PENDING'"), default=MissionStatus.PENDING
    )
    estimatedMinutes: Mapped[int]
    completedAt: Mapped[datetime | None]
    # [{objectiveId, estimatedMinutes, completed}]
    objectives: Mapped[list[Any]]
    reviewCardCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    newContentCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    actualMinutes: Mapped[int | None]
    difficultyRating: Mapped[int | None]
    successScore: Mapped[float | None]
    recommendedStartTime: Mapped[datetime | None]
    actualStartTime: Mapped[datetime | None]
    recommendedDuration: Mapped[int | None]
    actualDuration: Mapped[int | None]
    sessionPerformanceScore: Mapped[float | None]

    user: Mapped[User] = relationship(back_populates="missions")
    studySessions: Mapped[list[StudySession]] = relationship(
        back_populates="mission", passive_deletes=True
    )


class Exam(Base):
    """An upcoming exam of a course and the topics it covers."""

    __tablename__ = "exams"
    __table_args__ = (index("exams", "userId", "date"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(fk("exams", "userId", "users.id", ondelete="CASCADE"))
    courseId: Mapped[str] = mapped_column(fk("exams", "courseId", "courses.id", ondelete="CASCADE"))
    name: Mapped[str]
    date: Mapped[datetime]
    coverageTopics: Mapped[list[str]] = text_array_column()

    user: Mapped[User] = relationship(back_populates="exams")
    course: Mapped[Course] = relationship(back_populates="exams")


class ValidationResponse(Base):
    """A scored answer to a comprehension prompt (explain-to-patient, clinical reasoning …)."""

    __tablename__ = "validation_responses"
    __table_args__ = (
        index("validation_responses", "userId"),
        index("validation_responses", "sessionId"),
        index("validation_responses", "objectiveId"),
    )

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(
        fk("validation_responses", "userId", "users.id", ondelete="CASCADE")
    )
    sessionId: Mapped[str | None] = mapped_column(
        fk("validation_responses", "sessionId", "study_sessions.id", ondelete="SET NULL")
    )
    objectiveId: Mapped[str | None] = mapped_column(
        fk("validation_responses", "objectiveId", "learning_objectives.id", ondelete="SET NULL")
    )
    promptType: Mapped[str]
    score: Mapped[float]
    confidence: Mapped[float | None]
    respondedAt: Mapped[datetime] = created_column()

    user: Mapped[User] = relationship(back_populates="validationResponses")
    session: Mapped[StudySession | None] = relationship(back_populates="validationResponses")
    objective: Mapped[LearningObjective | None] = relationship(back_populates="validationResponses")
