"""Engine-owned tables of the insights capability (ENGINE.md 5.6, added in 0012).

Each is learner-scoped (``userId`` → ``users`` ON DELETE CASCADE, in every unique key), so
export, erasure and Citus distribution cover them like the seed's tables.

* ``recommendation_keys`` — each recommendation's identity (e.g.
  ``STUDY_TIME_OPTIMIZATION:OPTIMAL_STUDY_TIME:hour=07``), its sources (every engine
  output it rests on, as ``{kind, id}``) and its evidence. The key is what keeps advice
  from being made twice (open, dismissed or being evaluated); ``recommendations`` has no
  column for it. Deleted with its recommendation.
* ``pattern_snapshots`` — the learner's patterns after one week's analysis (type, key,
  name, confidence), one row per analysed local week: pattern evolution compares them.
* ``behavioral_scores`` — the weekly behavioral score (0–100) with its five components,
  one row per local week, recomputed by the daily job while the week is recent.
* ``exam_results`` — a learner's exam result (0–100), optionally of a known exam: the
  seed's ``exams`` has dates but no results, and the academic correlation needs them.
  Raw input (kept when analysis is switched off or insights are cleared).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from twin.db.base import Base, created_column, fk, index, pk_column, text_array_column, unique


class RecommendationKey(Base):
    """The identity, sources and evidence of one recommendation."""

    __tablename__ = "recommendation_keys"
    __table_args__ = (
        unique("recommendation_keys", "recommendationId"),
        index("recommendation_keys", "userId", "key"),
    )

    id: Mapped[str] = pk_column()
    recommendationId: Mapped[str] = mapped_column(
        fk("recommendation_keys", "recommendationId", "recommendations.id", ondelete="CASCADE")
    )
    userId: Mapped[str] = mapped_column(
        fk("recommendation_keys", "userId", "users.id", ondelete="CASCADE")
    )
    key: Mapped[str]
    # [{kind, id}]: every engine output the recommendation rests on
    sources: Mapped[list[Any]] = mapped_column(server_default=sa.text("'[]'::jsonb"), default=list)
    evidence: Mapped[list[str]] = text_array_column()
    createdAt: Mapped[datetime] = created_column()


class PatternSnapshot(Base):
    """The learner's patterns after the analysis of one local week."""

    __tablename__ = "pattern_snapshots"
    __table_args__ = (unique("pattern_snapshots", "userId", "weekStart"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(
        fk("pattern_snapshots", "userId", "users.id", ondelete="CASCADE")
    )
    weekStart: Mapped[date] = mapped_column(sa.Date())
    analyzedAt: Mapped[datetime]
    # [{patternType, key, name, confidence}]
    patterns: Mapped[list[Any]]
    createdAt: Mapped[datetime] = created_column()


class BehavioralScore(Base):
    """The behavioral score of one local week and its five components."""

    __tablename__ = "behavioral_scores"
    __table_args__ = (unique("behavioral_scores", "userId", "weekStart"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(
        fk("behavioral_scores", "userId", "users.id", ondelete="CASCADE")
    )
    weekStart: Mapped[date] = mapped_column(sa.Date())
    score: Mapped[float]
    # {consistency, quality, completion, insightApplication, retention}: 0-100 or null
    components: Mapped[dict[str, Any]]
    sessions: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    computedAt: Mapped[datetime] = created_column()


class ExamResult(Base):
    """An exam result (0–100) of a learner."""

    __tablename__ = "exam_results"
    __table_args__ = (index("exam_results", "userId", "takenAt"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(
        fk("exam_results", "userId", "users.id", ondelete="CASCADE")
    )
    examId: Mapped[str | None] = mapped_column(
        fk("exam_results", "examId", "exams.id", ondelete="SET NULL")
    )
    score: Mapped[float]
    takenAt: Mapped[datetime]
    createdAt: Mapped[datetime] = created_column()
