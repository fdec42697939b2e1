"""personalization: the decision log, the pause, and what links an outcome to its decision.

ENGINE.md 5.5 (issue 17). The seed's personalization tables keep their columns
(SCHEMA.md); the engine adds:

- ``personalization_decisions``: one row per personalized answer whose strategy the bandit
  chose — the context, the arm and the probability the policy gave it (``propensity``;
  every arm's in ``probabilities``), the level in effect, the parameters answered with their reasons, overrides and
  evidence (``explanation``), and,
  once known, the reward with its components, the explicit feedback and the implicit
  signals. Kept through a reset (the arms go, the log stays) so that other policies can
  still be evaluated off-line. Keys start with ``userId``.
- ``personalization_preferences."pausedUntil"``: personalization paused until then.
- ``personalization_outcomes."decisionId"`` and ``"personalizationLevel"``: the decision
  an outcome rewards, and the level in effect (the effectiveness correlation needs it);
  an index ``(userId, context, timestamp)`` for the learner's recent baseline.

One arm per strategy per learner and context is kept by the learner's PERSONALIZATION
lock (the arms are created under it), not by a unique index: ``twin db verify`` loads the
seed's query plans with synthetic rows that repeat a strategy.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")
TS = postgresql.TIMESTAMP(precision=3)
JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    """Create the decision log; add the pause, the outcome links and an index."""
    op.create_table(
        "personalization_decisions",
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("strategyVariant", sa.Text(), nullable=False),
        sa.Column("configId", sa.Text(), nullable=True),
        sa.Column("propensity", postgresql.DOUBLE_PRECISION(), nullable=False),
        sa.Column("probabilities", JSONB, nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("personalizationLevel", sa.Text(), nullable=False),
        sa.Column("rewardScale", postgresql.DOUBLE_PRECISION(), nullable=False),
        sa.Column("priors", JSONB, nullable=False),
        sa.Column("params", JSONB, nullable=False),
        sa.Column("parameters", JSONB, nullable=False),
        sa.Column("explanation", JSONB, nullable=False),
        sa.Column("decidedAt", TS, server_default=NOW, nullable=False),
        sa.Column("reward", postgresql.DOUBLE_PRECISION(), nullable=True),
        sa.Column("rewardDetail", JSONB, nullable=True),
        sa.Column("rewardedAt", TS, nullable=True),
        sa.Column("outcomeId", sa.Text(), nullable=True),
        sa.Column("feedbackHelpful", sa.Boolean(), nullable=True),
        sa.Column("feedbackDifficulty", sa.Text(), nullable=True),
        sa.Column("feedbackComment", sa.Text(), nullable=True),
        sa.Column("feedbackAt", TS, nullable=True),
        sa.Column(
            "signals",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="personalization_decisions_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("userId", "id", name="personalization_decisions_pkey"),
    )
    op.create_index(
        "personalization_decisions_userId_context_decidedAt_idx",
        "personalization_decisions",
        ["userId", "context", "decidedAt"],
    )
    op.add_column("personalization_preferences", sa.Column("pausedUntil", TS, nullable=True))
    op.add_column("personalization_outcomes", sa.Column("decisionId", sa.Text(), nullable=True))
    op.add_column(
        "personalization_outcomes", sa.Column("personalizationLevel", sa.Text(), nullable=True)
    )
    op.create_index(
        "personalization_outcomes_userId_context_timestamp_idx",
        "personalization_outcomes",
        ["userId", "context", "timestamp"],
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index(
        "personalization_outcomes_userId_context_timestamp_idx",
        table_name="personalization_outcomes",
    )
    op.drop_column("personalization_outcomes", "personalizationLevel")
    op.drop_column("personalization_outcomes", "decisionId")
    op.drop_column("personalization_preferences", "pausedUntil")
    op.drop_index(
        "personalization_decisions_userId_context_decidedAt_idx",
        table_name="personalization_decisions",
    )
    op.drop_table("personalization_decisions")
