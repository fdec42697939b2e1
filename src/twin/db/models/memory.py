"""Per-learner memory-model parameters (ENGINE.md 5.1, recall prediction).

One row per learner: the FSRS-6 recall model fitted to their reviews
(:class:`twin.analysis.recall.RecallModel` as JSON), how many reviews it was fitted
on and when. Learners without a row use the FSRS-6 defaults. The table has a
``userId`` column, so erasure and export reach it by introspection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from twin.db.base import Base, created_column, fk, pk_column, unique


class LearnerMemoryModel(Base):
    """The learner's fitted recall model (FSRS-6 weights and day rollover)."""

    __tablename__ = "learner_memory_models"
    __table_args__ = (unique("learner_memory_models", "userId"),)

    id: Mapped[str] = pk_column()
    userId: Mapped[str] = mapped_column(
        fk("learner_memory_models", "userId", "users.id", ondelete="CASCADE")
    )
    model: Mapped[dict[str, Any]]
    reviewsUsed: Mapped[int]
    fittedAt: Mapped[datetime] = created_column()
