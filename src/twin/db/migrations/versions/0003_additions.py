"""additions of this project: users.timezone, prediction_feedback.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the learner's IANA time zone and the prediction feedback table."""
    op.add_column(
        "users", sa.Column("timezone", sa.Text(), server_default=sa.text("'UTC'"), nullable=False)
    )
    op.create_table(
        "prediction_feedback",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("predictionId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "feedbackType",
            sa.Enum(
                "HELPFUL",
                "NOT_HELPFUL",
                "INACCURATE",
                "INTERVENTION_GOOD",
                "INTERVENTION_BAD",
                name="FeedbackType",
            ),
            nullable=False,
        ),
        sa.Column("actualStruggle", sa.Boolean(), nullable=False),
        sa.Column("helpfulness", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column(
            "submittedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["predictionId"],
            ["struggle_predictions.id"],
            name="prediction_feedback_predictionId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="prediction_feedback_pkey"),
    )
    op.create_index("prediction_feedback_predictionId_idx", "prediction_feedback", ["predictionId"])
    op.create_index("prediction_feedback_userId_idx", "prediction_feedback", ["userId"])


def downgrade() -> None:
    """Remove the additions."""
    op.drop_index("prediction_feedback_userId_idx", table_name="prediction_feedback")
    op.drop_index("prediction_feedback_predictionId_idx", table_name="prediction_feedback")
    op.drop_table("prediction_feedback")
    postgresql.ENUM(name="FeedbackType").drop(op.get_bind(), checkfirst=True)
    op.drop_column("users", "timezone")
