"""learner memory models: each learner's fitted FSRS-6 recall model.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    """Create ``learner_memory_models`` (one row per learner)."""
    op.create_table(
        "learner_memory_models",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("model", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reviewsUsed", sa.Integer(), nullable=False),
        sa.Column(
            "fittedAt", postgresql.TIMESTAMP(precision=3), server_default=NOW, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="learner_memory_models_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="learner_memory_models_pkey"),
        sa.UniqueConstraint("userId", name="learner_memory_models_userId_key"),
    )


def downgrade() -> None:
    """Drop ``learner_memory_models``."""
    op.drop_table("learner_memory_models")
