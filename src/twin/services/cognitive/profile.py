"""The learner's ``learner_load_profiles`` row: 7-day mean load, load tolerance, stress details."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Session

from twin.analysis.cognitive.trend import recent_mean_load
from twin.analysis.common import naive_utc
from twin.db.base import new_id
from twin.db.models.cognitive import LearnerLoadProfile


def upsert_load_profile(
    session: Session, user_id: str, values: dict[str, Any], now: datetime
) -> None:
    """Insert or update the learner's ``learner_load_profiles`` row with ``values`` as of ``now``."""
    statement = pg.insert(LearnerLoadProfile).values(
        id=new_id(), userId=user_id, updatedAt=now, **values
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["userId"], set_={**values, "updatedAt": now}
        )
    )


def mean_load_7d(session: Session, user_id: str, now: datetime) -> float | None:
    """The learner's mean load over the 7 days up to ``now``."""
    end = naive_utc(now)
    rows = session.execute(
        sa.text(
            'SELECT "timestamp", "loadScore" FROM cognitive_load_metrics WHERE "userId" = :u '
            'AND "timestamp" > :a AND "timestamp" <= :b'
        ),
        {"u": user_id, "a": end - timedelta(days=7), "b": end},
    ).all()
    return recent_mean_load([r[0] for r in rows], [float(r[1]) for r in rows], end)


def update_mean_load_7d(session: Session, user_id: str, now: datetime) -> float | None:
    """Recompute and store the learner's 7-day mean load (profile field)."""
    mean = mean_load_7d(session, user_id, now)
    upsert_load_profile(session, user_id, {"meanLoad7d": mean}, naive_utc(now))
    return mean


def load_profile(session: Session, user_id: str) -> LearnerLoadProfile | None:
    """The learner's load-profile row."""
    return session.scalars(
        sa.select(LearnerLoadProfile)
        .where(LearnerLoadProfile.userId == user_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
