"""orchestration: calendar sync state and busy blocks, feed tokens, preferences, planned sessions.

ENGINE.md 5.3. The seed's tables keep their columns (SCHEMA.md); what the engine adds
lives in tables of its own, every key starting with ``userId``:

- ``calendar_sync_states``: one row per learner's calendar integration — conditional
  request validators, the last attempt and its error (``{rule, message, at}``), the
  synced window, a digest of the blocks, CalDAV write-back status. No secrets (those
  stay sealed in ``calendar_integrations.accessToken``).
- ``calendar_busy_blocks``: the merged busy intervals of the synced window (a cache;
  each sync replaces them in one transaction), indexed by ``(userId, startsAt)``.
- ``calendar_feed_tokens``: SHA-256 hashes of the learner's secret feed tokens.
- ``schedule_preferences``: declared windows and the session shape chosen by adaptation.
- ``planned_sessions``: where each session plan sits (planned start/end, status,
  calendar UID and sequence, the session that followed it), indexed by
  ``(userId, plannedStart)``.

Two indexes on seed tables: ``study_schedule_recommendations (userId, appliedAt)`` and
``schedule_adaptations (userId, appliedAt)``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")
TS = postgresql.TIMESTAMP(precision=3)
JSONB = postgresql.JSONB(astext_type=sa.Text())
ZERO = sa.text("0")


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["userId"],
        ["users.id"],
        name=f"{table}_userId_fkey",
        onupdate="CASCADE",
        ondelete="CASCADE",
    )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"{table}_{column}_fkey", onupdate="CASCADE", ondelete="CASCADE"
    )


def upgrade() -> None:
    """Create the five tables and the two indexes."""
    op.create_table(
        "calendar_sync_states",
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("integrationId", sa.Text(), nullable=False),
        sa.Column("displayHost", sa.Text(), nullable=True),
        sa.Column("writeBack", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("lastModifiedHeader", sa.Text(), nullable=True),
        sa.Column("lastAttemptAt", TS, nullable=True),
        sa.Column("lastError", JSONB, nullable=True),
        sa.Column("consecutiveFailures", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("windowStart", TS, nullable=True),
        sa.Column("windowEnd", TS, nullable=True),
        sa.Column("blockCount", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("eventCount", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("contentHash", sa.Text(), nullable=True),
        sa.Column("blocksChangedAt", TS, nullable=True),
        sa.Column("writeBackAt", TS, nullable=True),
        sa.Column("writeBackError", JSONB, nullable=True),
        sa.Column("updatedAt", TS, server_default=NOW, nullable=False),
        _user_fk("calendar_sync_states"),
        _fk("calendar_sync_states", "integrationId", "calendar_integrations.id"),
        sa.PrimaryKeyConstraint("userId", "id", name="calendar_sync_states_pkey"),
        sa.UniqueConstraint("userId", name="calendar_sync_states_userId_key"),
    )
    op.create_index(
        "calendar_sync_states_integrationId_idx", "calendar_sync_states", ["integrationId"]
    )
    op.create_table(
        "calendar_busy_blocks",
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("integrationId", sa.Text(), nullable=False),
        sa.Column("startsAt", TS, nullable=False),
        sa.Column("endsAt", TS, nullable=False),
        sa.Column("weight", postgresql.DOUBLE_PRECISION(), nullable=False),
        sa.Column("syncedAt", TS, nullable=False),
        _user_fk("calendar_busy_blocks"),
        _fk("calendar_busy_blocks", "integrationId", "calendar_integrations.id"),
        sa.PrimaryKeyConstraint("userId", "id", name="calendar_busy_blocks_pkey"),
    )
    op.create_index(
        "calendar_busy_blocks_userId_startsAt_idx", "calendar_busy_blocks", ["userId", "startsAt"]
    )
    op.create_index(
        "calendar_busy_blocks_integrationId_idx", "calendar_busy_blocks", ["integrationId"]
    )
    op.create_table(
        "calendar_feed_tokens",
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("tokenHash", sa.Text(), nullable=False),
        sa.Column("createdAt", TS, server_default=NOW, nullable=False),
        sa.Column("revokedAt", TS, nullable=True),
        sa.Column("lastUsedAt", TS, nullable=True),
        _user_fk("calendar_feed_tokens"),
        sa.PrimaryKeyConstraint("userId", "id", name="calendar_feed_tokens_pkey"),
        sa.UniqueConstraint(
            "userId", "tokenHash", name="calendar_feed_tokens_userId_tokenHash_key"
        ),
    )
    op.create_table(
        "schedule_preferences",
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("windows", JSONB, server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("sessionMinutes", sa.Integer(), nullable=True),
        sa.Column("sessionsPerWeek", sa.Integer(), nullable=True),
        sa.Column("updatedAt", TS, server_default=NOW, nullable=False),
        _user_fk("schedule_preferences"),
        sa.PrimaryKeyConstraint("userId", "id", name="schedule_preferences_pkey"),
        sa.UniqueConstraint("userId", name="schedule_preferences_userId_key"),
    )
    op.create_table(
        "planned_sessions",
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("planId", sa.Text(), nullable=False),
        sa.Column("slotId", sa.Text(), nullable=True),
        sa.Column("missionId", sa.Text(), nullable=True),
        sa.Column("plannedStart", TS, nullable=False),
        sa.Column("plannedEnd", TS, nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'PLANNED'"), nullable=False),
        sa.Column("calendarUid", sa.Text(), nullable=False),
        sa.Column("calendarSequence", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("sessionId", sa.Text(), nullable=True),
        sa.Column("createdAt", TS, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TS, server_default=NOW, nullable=False),
        _user_fk("planned_sessions"),
        _fk("planned_sessions", "planId", "session_orchestration_plans.id"),
        sa.PrimaryKeyConstraint("userId", "id", name="planned_sessions_pkey"),
        sa.UniqueConstraint("userId", "planId", name="planned_sessions_userId_planId_key"),
    )
    op.create_index(
        "planned_sessions_userId_plannedStart_idx", "planned_sessions", ["userId", "plannedStart"]
    )
    op.create_index("planned_sessions_planId_idx", "planned_sessions", ["planId"])
    op.create_index(
        "study_schedule_recommendations_userId_appliedAt_idx",
        "study_schedule_recommendations",
        ["userId", "appliedAt"],
    )
    op.create_index(
        "schedule_adaptations_userId_appliedAt_idx",
        "schedule_adaptations",
        ["userId", "appliedAt"],
    )


def downgrade() -> None:
    """Drop the two indexes and the five tables."""
    op.drop_index("schedule_adaptations_userId_appliedAt_idx", table_name="schedule_adaptations")
    op.drop_index(
        "study_schedule_recommendations_userId_appliedAt_idx",
        table_name="study_schedule_recommendations",
    )
    op.drop_index("planned_sessions_planId_idx", table_name="planned_sessions")
    op.drop_index("planned_sessions_userId_plannedStart_idx", table_name="planned_sessions")
    op.drop_table("planned_sessions")
    op.drop_table("schedule_preferences")
    op.drop_table("calendar_feed_tokens")
    op.drop_index("calendar_busy_blocks_integrationId_idx", table_name="calendar_busy_blocks")
    op.drop_index("calendar_busy_blocks_userId_startsAt_idx", table_name="calendar_busy_blocks")
    op.drop_table("calendar_busy_blocks")
    op.drop_index("calendar_sync_states_integrationId_idx", table_name="calendar_sync_states")
    op.drop_table("calendar_sync_states")
