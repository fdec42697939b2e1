"""Engine-owned tables that support the seed's models (added in 0008).

* ``struggle_models`` — the registry of struggle-prediction models (ENGINE.md 5.2):
  one row per version (the rule baseline or a trained classifier), its training
  window, its held-out metrics, its serialized parameters and whether it is the one
  in use. At most one row is active (partial unique index); with none active the
  rule baseline is used. No ``userId``: a model is trained across learners.
* ``insight_keys`` — the identity of each generated insight (e.g.
  ``STUDY_TIME_OPTIMIZATION:OPTIMAL_STUDY_TIME:hour=9``), kept beside the insight so
  that deleting the pattern it came from cannot let a duplicate of an unacknowledged
  insight through. Deleted with its insight.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from twin.db.base import Base, created_column, fk, index, pk_column, unique


class StruggleModelVersion(Base):
    """One version of the struggle-prediction model, with its metrics and parameters."""

    __tablename__ = "struggle_models"
    __table_args__ = (
        unique("struggle_models", "version"),
        sa.Index(
            "struggle_models_one_active_key",
            "isActive",
            unique=True,
            postgresql_where=sa.text('"isActive"'),
        ),
    )

    id: Mapped[str] = pk_column()
    version: Mapped[str]
    # "rules" (the documented additive baseline) or "logistic" (trained, calibrated)
    kind: Mapped[str]
    trainedAt: Mapped[datetime] = created_column()
    trainingWindowStart: Mapped[datetime | None]
    trainingWindowEnd: Mapped[datetime | None]
    outcomeCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    learnerCount: Mapped[int] = mapped_column(server_default=sa.text("0"), default=0)
    # held-out metrics: auc, brier, ece, logLoss, n, and the current model's on the same data
    metrics: Mapped[dict[str, Any]] = mapped_column(
        server_default=sa.text("'{}'::jsonb"), default=dict
    )
    # twin.analysis.struggle.model.serialize(...) for trained models; {} for rules
    parameters: Mapped[dict[str, Any]] = mapped_column(
        server_default=sa.text("'{}'::jsonb"), default=dict
    )
    isActive: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    activatedAt: Mapped[datetime | None]
    # why it was (not) deployed, in words
    decision: Mapped[str | None]


class InsightKey(Base):
    """The identity of one generated insight, so a duplicate is never generated."""

    __tablename__ = "insight_keys"
    __table_args__ = (
        unique("insight_keys", "insightId"),
        index("insight_keys", "userId", "key"),
    )

    id: Mapped[str] = pk_column()
    insightId: Mapped[str] = mapped_column(
        fk("insight_keys", "insightId", "behavioral_insights.id", ondelete="CASCADE")
    )
    userId: Mapped[str] = mapped_column(
        fk("insight_keys", "userId", "users.id", ondelete="CASCADE")
    )
    key: Mapped[str]
    createdAt: Mapped[datetime] = created_column()
