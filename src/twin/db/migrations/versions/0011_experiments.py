"""experiments: what an operator's A/B experiment needs beside the seed's columns.

The seed's ``personalization_experiments`` and ``experiment_assignments`` (with its
``metrics`` JSONB and the cascading FK of 0002) are kept as they are; this revision adds
to ``personalization_experiments``:

- ``salt``: the experiment's assignment salt (SHA-256 of salt and learner id → variant);
- ``definition``: the validated definition (description, variants' weights and configs,
  primary and guardrail metrics, minimums, CUPED, analysis settings) — NULL marks a row
  that is not an operator experiment (the seed's per-learner shape), which the engine
  neither assigns nor analyses; a row with a definition must have a salt (CHECK);
- ``createdBy``: the name of the service key that defined it (audit only, not an owner);
- ``stoppedAt``: when an operator stopped it early (``completedAt`` is set too);
- ``metricsAsOf``: the end of the post-period of the latest metrics computation;
- ``result``: the final verdict, written once when the experiment ends (what
  recommendations read).

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "personalization_experiments"
TS = postgresql.TIMESTAMP(precision=3)
CHECK_NAME = "personalization_experiments_definition_salt_check"


def upgrade() -> None:
    """Add the experiment columns and the salt check."""
    op.add_column(TABLE, sa.Column("salt", sa.Text(), nullable=True))
    op.add_column(
        TABLE, sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column(TABLE, sa.Column("createdBy", sa.Text(), nullable=True))
    op.add_column(TABLE, sa.Column("stoppedAt", TS, nullable=True))
    op.add_column(TABLE, sa.Column("metricsAsOf", TS, nullable=True))
    op.add_column(
        TABLE, sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.create_check_constraint(CHECK_NAME, TABLE, "definition IS NULL OR salt IS NOT NULL")


def downgrade() -> None:
    """Drop exactly what :func:`upgrade` added."""
    op.drop_constraint(CHECK_NAME, TABLE, type_="check")
    for column in ("result", "metricsAsOf", "stoppedAt", "createdBy", "definition", "salt"):
        op.drop_column(TABLE, column)
