"""Clearing a learner's insights (ENGINE.md 5.6): everything derived about them, raw data kept.

``DELETE …/insights`` with an explicit confirmation deletes the patterns, insights (their
links and keys by cascade), the learning profile, goals, recommendations (their
applications and keys by cascade), notifications, pattern snapshots and weekly scores.
Sessions, reviews, validations, events, exam results, article reads and everything the
other capabilities keep (predictions, load, burnout …) stay: they are inputs or have their
own switches.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.learners import get_learner
from twin.services.insights.common import lock_insights

CLEARED_TABLES = (
    "insight_notifications",
    "recommendations",  # applied_recommendations and recommendation_keys by cascade
    "behavioral_goals",
    "behavioral_insights",  # insight_patterns and insight_keys by cascade
    "behavioral_patterns",
    "user_learning_profiles",
    "pattern_snapshots",
    "behavioral_scores",
)


def clear_insights(session: Session, user_id: str) -> dict[str, int]:
    """Delete the learner's insights; rows deleted per table."""
    get_learner(session, user_id)
    lock_insights(session, user_id)
    counts = {}
    for table in CLEARED_TABLES:
        result = session.execute(
            sa.text(f'DELETE FROM "{table}" WHERE "userId" = :u'), {"u": user_id}
        )
        counts[table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
