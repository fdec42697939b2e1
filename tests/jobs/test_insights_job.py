"""The daily insights job: who is due at a tick, one run per learner, nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.services.insights.support import END, insights_db, insights_module_db, learner, scalar
from twin.db.engine import Database
from twin.jobs import insights as job
from twin.jobs.registry import PERIODIC_JOBS

pytestmark = pytest.mark.db

__all__ = ["insights_db", "insights_module_db"]


def _tick_at_local_hour(db: Database, user: str, hour: int) -> datetime:
    zone = ZoneInfo(str(scalar(db, "SELECT timezone FROM users WHERE id = :u", u=user)))
    local = END.astimezone(zone).replace(hour=hour, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def test_the_tick_serves_learners_at_six_local_and_twice_changes_nothing(
    insights_db: Database,
) -> None:
    assert any(j.name == job.JOB_NAME for j in PERIODIC_JOBS)
    uid = learner(0)
    tick = _tick_at_local_hour(insights_db, uid, job.DAILY_LOCAL_HOUR)
    assert uid in job.select_due_learners(insights_db, tick)
    assert uid not in job.select_due_learners(insights_db, tick + timedelta(hours=1))
    report = job.run_daily_tick(insights_db, tick, learners=[uid])
    assert report.outcomes["done"] == 1 and "1 learners" in report.summary()
    counts = [
        scalar(insights_db, f'SELECT count(*) FROM "{t}" WHERE "userId" = :u', u=uid)
        for t in ("recommendations", "insight_notifications", "behavioral_scores")
    ]
    job.run_daily_tick(insights_db, tick, learners=[uid])
    assert counts == [
        scalar(insights_db, f'SELECT count(*) FROM "{t}" WHERE "userId" = :u', u=uid)
        for t in ("recommendations", "insight_notifications", "behavioral_scores")
    ]


def test_learners_with_analysis_off_are_not_due(insights_db: Database) -> None:
    uid = learner(1)
    with insights_db.engine.begin() as conn:
        conn.execute(
            sa.text('UPDATE users SET "behavioralAnalysisEnabled" = false WHERE id = :u'),
            {"u": uid},
        )
    tick = _tick_at_local_hour(insights_db, uid, job.DAILY_LOCAL_HOUR)
    assert uid not in job.select_due_learners(insights_db, tick)
    assert job.run_daily_tick(insights_db, tick, learners=[uid]).outcomes["skipped"] == 1
