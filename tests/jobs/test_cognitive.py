"""The hourly cognitive tick: selection by local hour, no double assessment, the task wrapper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import psycopg.conninfo
import pytest
import sqlalchemy as sa

from tests.services.cognitive.support import add_loaded_days, make_learner
from twin.db.engine import Database
from twin.db.models import BurnoutRiskAssessment, StressResponsePattern
from twin.db.models.cognitive import LearnerLoadProfile
from twin.jobs import cognitive as job
from twin.jobs.app import create_job_app, libpq_conninfo, task_name
from twin.jobs.database import close_cached_databases, database_for_app, sqlalchemy_url
from twin.jobs.registry import PERIODIC_JOBS

# 2026-03-08 19:00 UTC = Monday 2026-03-09 04:00 in Tokyo (UTC+9), 00:30 in Kolkata,
# 15:00 in New York (EDT from 03-08), 04:00 in UTC only at 04:00 UTC.
TICK = datetime(2026, 3, 8, 19, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Database) -> Database:
    """Learners in several zones, active or not, analysis on or off."""
    with db.session() as s:
        for uid, tz, enabled, active in (
            ("tokyo", "Asia/Tokyo", True, True),
            ("tokyo-off", "Asia/Tokyo", False, True),
            ("tokyo-idle", "Asia/Tokyo", True, False),
            ("kolkata", "Asia/Kolkata", True, True),
            ("new-york", "America/New_York", True, True),
            ("utc", "UTC", True, True),
        ):
            make_learner(s, uid, timezone=tz, enabled=enabled)
            first = datetime(2026, 2, 1) if not active else datetime(2026, 2, 25)
            add_loaded_days(s, uid, first, 8, load=50.0, minutes=60)
    return db


def _assessments(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(
            sa.select(BurnoutRiskAssessment.userId, sa.func.count()).group_by(
                BurnoutRiskAssessment.userId
            )
        ).all()
    return {r[0]: r[1] for r in rows}


def test_selection_by_local_hour_at_a_fixed_tick(world: Database) -> None:
    """Only active learners with analysis on whose local clock reads 04:xx are due."""
    due = job.select_due_learners(world, TICK)
    assert [(d.user_id, d.local_time.hour, d.stress_due) for d in due] == [("tokyo", 4, True)]
    kolkata = job.select_due_learners(world, datetime(2026, 3, 8, 23, 0, tzinfo=UTC))
    assert [(d.user_id, d.local_time.strftime("%H:%M")) for d in kolkata] == [("kolkata", "04:30")]
    # 2026-03-09 08:00 UTC = 04:00 EDT (New York, daylight saving since 03-08).
    new_york = job.select_due_learners(world, datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    assert [(d.user_id, d.stress_due) for d in new_york] == [("new-york", True)]
    utc = job.select_due_learners(world, datetime(2026, 3, 10, 4, 0, tzinfo=UTC))
    assert [(d.user_id, d.stress_due) for d in utc] == [("utc", False)]


def test_tick_assesses_due_learners_once(world: Database) -> None:
    """A tick assesses (and on Monday refreshes stress); a second tick of the day does nothing."""
    report = job.run_cognitive_tick(world, TICK)
    assert report.outcomes == {"burnout:assessed": 1, "stress:refreshed": 1}
    assert _assessments(world) == {"tokyo": 1}
    with world.session() as s:
        profile = s.scalars(sa.select(LearnerLoadProfile)).one()
        assert profile.userId == "tokyo" and profile.stressAnalyzedAt is not None
        assert s.scalars(sa.select(StressResponsePattern)).all() == []  # 8 calm sessions
        row = s.scalars(sa.select(BurnoutRiskAssessment)).one()
        # The window ends on the last complete local day (Sunday 03-08 in Tokyo).
        assert row.contributingFactors[0]["window"]["end"] == "2026-03-08"
    again = job.run_cognitive_tick(world, TICK + timedelta(minutes=30))
    assert again.outcomes == {"burnout:already_assessed": 1, "stress:already_refreshed": 1}
    assert _assessments(world) == {"tokyo": 1}
    next_day = job.run_cognitive_tick(world, TICK + timedelta(days=1))
    assert next_day.outcomes == {"burnout:assessed": 1}
    assert _assessments(world) == {"tokyo": 2}


def test_overlapping_ticks_assess_once(world: Database) -> None:
    """Two workers serving the same hour at the same time: one assessment per learner."""
    with world.session() as s:
        for i in range(4):
            uid = f"tokyo-{i}"
            make_learner(s, uid, timezone="Asia/Tokyo")
            add_loaded_days(s, uid, datetime(2026, 2, 25), 8, load=50.0, minutes=60)
    barrier = threading.Barrier(3)
    reports: list[job.TickReport] = []

    def tick() -> None:
        barrier.wait(10)
        reports.append(job.run_cognitive_tick(world, TICK))

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reports) == 3
    total: dict[str, int] = {}
    for r in reports:
        for key, n in r.outcomes.items():
            total[key] = total.get(key, 0) + n
    assert total["burnout:assessed"] == 5
    assert total.get("burnout:failed", 0) == 0
    assert _assessments(world) == {"tokyo": 1, **{f"tokyo-{i}": 1 for i in range(4)}}


def test_conninfo_becomes_a_sqlalchemy_url() -> None:
    url = sqlalchemy_url("host=/tmp/pg dbname=twin user=postgres port=5433 sslmode=disable")
    engine = sa.create_engine(url)
    try:
        assert engine.url.database == "twin" and engine.url.username == "postgres"
        assert dict(engine.url.query) == {"host": "/tmp/pg", "port": "5433", "sslmode": "disable"}
    finally:
        engine.dispose()


@pytest.fixture
def cached() -> Iterator[None]:
    yield
    close_cached_databases()


def test_task_builds_its_database_from_the_apps_connection_string(
    world: Database, cached: None
) -> None:
    """The task reads the App pool's conninfo, builds one Database per process and runs the tick."""
    conninfo = libpq_conninfo(world.url)
    app: Any = SimpleNamespace(connector=SimpleNamespace(pool=SimpleNamespace(conninfo=conninfo)))
    context: Any = SimpleNamespace(app=app)
    job.cognitive_health(context, timestamp=int(TICK.timestamp()))
    assert _assessments(world) == {"tokyo": 1}
    assert database_for_app(app) is database_for_app(app)
    assert psycopg.conninfo.conninfo_to_dict(conninfo)["dbname"] == world.engine.url.database


def test_registered_as_an_hourly_periodic_job() -> None:
    jobs = {j.name: j for j in PERIODIC_JOBS}
    assert jobs[job.JOB_NAME].cron == "0 * * * * 0"
    app = create_job_app("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert task_name(job.JOB_NAME) in app.tasks
