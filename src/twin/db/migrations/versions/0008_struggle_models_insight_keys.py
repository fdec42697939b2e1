"""struggle model registry and insight keys.

``struggle_models`` is the registry of struggle-prediction models (ENGINE.md 5.2):
version, kind, training window, held-out metrics, serialized parameters and an
active flag (at most one active row, enforced by a partial unique index).
``insight_keys`` keeps each generated insight's identity beside it, so deleting the
pattern an unacknowledged insight came from cannot let a duplicate through.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")
TS = postgresql.TIMESTAMP(precision=3)
EMPTY_JSON = sa.text("'{}'::jsonb")


def upgrade() -> None:
    """Create ``struggle_models`` and ``insight_keys``."""
    op.create_table(
        "struggle_models",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("trainedAt", TS, server_default=NOW, nullable=False),
        sa.Column("trainingWindowStart", TS, nullable=True),
        sa.Column("trainingWindowEnd", TS, nullable=True),
        sa.Column("outcomeCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("learnerCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "metrics",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=EMPTY_JSON,
            nullable=False,
        ),
        sa.Column(
            "parameters",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=EMPTY_JSON,
            nullable=False,
        ),
        sa.Column("isActive", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("activatedAt", TS, nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="struggle_models_pkey"),
        sa.UniqueConstraint("version", name="struggle_models_version_key"),
    )
    op.create_index(
        "struggle_models_one_active_key",
        "struggle_models",
        ["isActive"],
        unique=True,
        postgresql_where=sa.text('"isActive"'),
    )
    op.create_table(
        "insight_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("insightId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("createdAt", TS, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["insightId"],
            ["behavioral_insights.id"],
            name="insight_keys_insightId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="insight_keys_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="insight_keys_pkey"),
        sa.UniqueConstraint("insightId", name="insight_keys_insightId_key"),
    )
    op.create_index("insight_keys_userId_key_idx", "insight_keys", ["userId", "key"])


def downgrade() -> None:
    """Drop ``insight_keys`` and ``struggle_models``."""
    op.drop_index("insight_keys_userId_key_idx", table_name="insight_keys")
    op.drop_table("insight_keys")
    op.drop_index("struggle_models_one_active_key", table_name="struggle_models")
    op.drop_table("struggle_models")
