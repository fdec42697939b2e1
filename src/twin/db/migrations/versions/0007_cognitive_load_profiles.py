"""cognitive load profiles: the learner's load tolerance and 7-day mean load; lookup indexes.

``learner_load_profiles`` holds the load fields of the learner's profile
(ENGINE.md 5.4) in a table of its own: the seed's ``user_learning_profiles`` has a
fixed column set (SCHEMA.md) and NOT NULL fields that cannot be filled honestly
before pattern analysis has run. Two composite indexes serve the learner's latest
load readings and latest burnout assessment.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    """Create ``learner_load_profiles`` and the two lookup indexes."""
    op.create_table(
        "learner_load_profiles",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("loadTolerance", postgresql.DOUBLE_PRECISION(), nullable=True),
        sa.Column("meanLoad7d", postgresql.DOUBLE_PRECISION(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("stressAnalyzedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "updatedAt", postgresql.TIMESTAMP(precision=3), server_default=NOW, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="learner_load_profiles_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="learner_load_profiles_pkey"),
        sa.UniqueConstraint("userId", name="learner_load_profiles_userId_key"),
    )
    op.create_index(
        "cognitive_load_metrics_userId_timestamp_idx",
        "cognitive_load_metrics",
        ["userId", "timestamp"],
    )
    op.create_index(
        "burnout_risk_assessments_userId_assessmentDate_idx",
        "burnout_risk_assessments",
        ["userId", "assessmentDate"],
    )


def downgrade() -> None:
    """Drop the indexes and ``learner_load_profiles``."""
    op.drop_index(
        "burnout_risk_assessments_userId_assessmentDate_idx",
        table_name="burnout_risk_assessments",
    )
    op.drop_index(
        "cognitive_load_metrics_userId_timestamp_idx", table_name="cognitive_load_metrics"
    )
    op.drop_table("learner_load_profiles")
