"""service tables: API keys, engine secrets, simulator ground truth.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    """Create the service's own tables."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("keyHash", sa.Text(), nullable=False),
        sa.Column("keyPrefix", sa.Text(), nullable=False),
        sa.Column(
            "createdAt", postgresql.TIMESTAMP(precision=3), server_default=NOW, nullable=False
        ),
        sa.Column("lastUsedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("revokedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.PrimaryKeyConstraint("id", name="api_keys_pkey"),
        sa.UniqueConstraint("keyHash", name="api_keys_keyHash_key"),
        sa.UniqueConstraint("name", name="api_keys_name_key"),
    )
    op.create_table(
        "engine_secrets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column(
            "createdAt", postgresql.TIMESTAMP(precision=3), server_default=NOW, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="engine_secrets_pkey"),
    )
    op.create_table(
        "simulation_truth",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("traits", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "createdAt", postgresql.TIMESTAMP(precision=3), server_default=NOW, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="simulation_truth_pkey"),
        sa.UniqueConstraint("userId", name="simulation_truth_userId_key"),
    )
    op.create_index("simulation_truth_seed_idx", "simulation_truth", ["seed"])


def downgrade() -> None:
    """Drop the service tables."""
    op.drop_index("simulation_truth_seed_idx", table_name="simulation_truth")
    op.drop_table("simulation_truth")
    op.drop_table("engine_secrets")
    op.drop_table("api_keys")
