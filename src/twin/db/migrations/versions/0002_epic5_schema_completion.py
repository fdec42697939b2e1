"""epic5_schema_completion: exactly the seed's change.

- ``experiment_assignments.metrics`` JSONB NULL;
- FK ``experiment_assignments_experimentId_fkey`` → personalization_experiments(id)
  ON DELETE CASCADE ON UPDATE CASCADE;
- ``study_schedule_recommendations."appliedAt"`` TIMESTAMP(3) NULL and its index;
- 11 composite indexes (3 behavioral_events, 2 behavioral_patterns,
  2 struggle_predictions, 2 recommendations, 2 personalization_configs).

12 indexes in all (the seed says "15 new indexes" but lists these 12).
The downgrade removes exactly these objects and nothing else.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_NAME = "experiment_assignments_experimentId_fkey"

# (name, table, columns) — names as Prisma generates them, cut to 63 characters.
INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    (
        "behavioral_events_userId_eventType_timestamp_idx",
        "behavioral_events",
        ["userId", "eventType", "timestamp"],
    ),
    ("behavioral_events_userId_dayOfWeek_idx", "behavioral_events", ["userId", "dayOfWeek"]),
    ("behavioral_events_userId_timeOfDay_idx", "behavioral_events", ["userId", "timeOfDay"]),
    (
        "behavioral_patterns_userId_patternType_confidence_idx",
        "behavioral_patterns",
        ["userId", "patternType", "confidence"],
    ),
    ("behavioral_patterns_userId_lastSeenAt_idx", "behavioral_patterns", ["userId", "lastSeenAt"]),
    (
        "struggle_predictions_userId_predictionStatus_predictedStrug_idx",
        "struggle_predictions",
        ["userId", "predictionStatus", "predictedStruggleProbability"],
    ),
    (
        "struggle_predictions_userId_topicId_predictionDate_idx",
        "struggle_predictions",
        ["userId", "topicId", "predictionDate"],
    ),
    (
        "recommendations_userId_status_priorityScore_idx",
        "recommendations",
        ["userId", "status", "priorityScore"],
    ),
    ("recommendations_userId_createdAt_idx", "recommendations", ["userId", "createdAt"]),
    (
        "personalization_configs_userId_context_isActive_idx",
        "personalization_configs",
        ["userId", "context", "isActive"],
    ),
    (
        "personalization_configs_userId_avgReward_idx",
        "personalization_configs",
        ["userId", "avgReward"],
    ),
    (
        "study_schedule_recommendations_appliedAt_idx",
        "study_schedule_recommendations",
        ["appliedAt"],
    ),
)


def upgrade() -> None:
    """Apply the seed's schema completion."""
    # The new FK would fail on orphaned assignments; say so instead of deleting data.
    orphans = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT count(*) FROM experiment_assignments a WHERE NOT EXISTS "
                '(SELECT 1 FROM personalization_experiments e WHERE e.id = a."experimentId")'
            )
        )
        .scalar_one()
    )
    if orphans:
        raise RuntimeError(
            f"{orphans} experiment_assignments rows reference experiments that do not exist; "
            "delete or repair them, then run the upgrade again"
        )
    op.add_column(
        "experiment_assignments",
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_foreign_key(
        FK_NAME,
        "experiment_assignments",
        "personalization_experiments",
        ["experimentId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.add_column(
        "study_schedule_recommendations",
        sa.Column("appliedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    """Remove exactly what the upgrade added."""
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_column("study_schedule_recommendations", "appliedAt")
    op.drop_constraint(FK_NAME, "experiment_assignments", type_="foreignkey")
    op.drop_column("experiment_assignments", "metrics")
