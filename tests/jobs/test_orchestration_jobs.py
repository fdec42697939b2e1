"""The hourly calendar sync (at most once an hour per learner, failures recorded) and the
hourly adaptation (missed sessions, the missed-sessions rule) against the real database and
a real feed server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.calendar_servers import FeedServer, Route
from tests.services.orchestration.support import ZONE, daily_ics, make_schedule_learner
from twin.analysis.common import storage_time
from twin.db.engine import Database
from twin.ingest.calendars.fetch import FetchPolicy, parse_networks
from twin.jobs.orchestration import run_adaptation_tick, run_sync_tick
from twin.jobs.registry import PERIODIC_JOBS
from twin.services.orchestration import calendars, plans
from twin.services.orchestration.common import CalendarContext, CalendarKind

LOOPBACK = CalendarContext(
    policy=FetchPolicy(allowed_networks=parse_networks("127.0.0.0/8"), read_timeout_seconds=2.0)
)


def test_jobs_are_registered_hourly() -> None:
    jobs = {j.name: j for j in PERIODIC_JOBS}
    assert jobs["calendar_sync"].cron == "15 * * * * 0"
    assert jobs["schedule_adaptation"].cron == "40 * * * * 0"


def test_sync_tick_at_most_hourly_and_failures_recorded(
    db: Database, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    tomorrow = now.astimezone(ZONE).date() + timedelta(days=1)
    with db.session() as s:
        for uid in ("job-a", "job-b", "job-off"):
            make_schedule_learner(
                s, uid, storage_time(now), history=False, enabled=uid != "job-off"
            )
    for uid in ("job-a", "job-b"):
        feed_server.routes[f"/{uid}.ics"] = Route(body=daily_ics(tomorrow, 9, 0, 60).encode())
        calendars.connect_calendar(
            db,
            uid,
            calendars.CalendarConnection(CalendarKind.ICS_URL, feed_server.url(f"/{uid}.ics")),
            now,
            LOOPBACK,
        )
    # An hour later both are due; job-b's feed now fails.
    feed_server.routes["/job-b.ics"] = Route(status=503)
    tick = now + timedelta(hours=1)
    report = run_sync_tick(db, tick, LOOPBACK)
    assert report.learners == 2
    assert report.outcomes == {"synced": 1, "failed:status": 1}
    # Ten minutes later nobody is due: a failed learner is not retried before the hour.
    assert run_sync_tick(db, tick + timedelta(minutes=10), LOOPBACK).learners == 0
    with db.session() as s:
        status = calendars.calendar_status(s, "job-b", tick)
    assert status.last_error is not None and status.last_error.rule == "status"
    assert status.block_count > 0 and status.consecutive_failures == 1
    requests_before = len(feed_server.requests)
    assert run_sync_tick(db, tick + timedelta(hours=1), LOOPBACK).learners == 2
    assert len(feed_server.requests) == requests_before + 2


def test_adaptation_tick_marks_missed_sessions_and_makes_sessions_shorter(db: Database) -> None:
    """Three planned sessions pass without a session: MISSED, then one FREQUENCY_CHANGE."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=4)
    with db.session() as s:
        make_schedule_learner(s, "job-m", storage_time(start), history=False)
    with db.session() as s:
        for day in range(3):
            plans.create_plan(
                s, "job-m", start + timedelta(days=day, hours=1), start, mission_id=None
            )
    tick = start + timedelta(days=4)
    report = run_adaptation_tick(db, tick, LOOPBACK)
    assert report.learners == 1 and report.outcomes["missed"] == 3
    assert report.outcomes["adapted"] == 1
    with db.engine.connect() as conn:
        statuses = (
            conn.execute(
                sa.text('SELECT status FROM planned_sessions WHERE "userId" = :u'), {"u": "job-m"}
            )
            .scalars()
            .all()
        )
        change = (
            conn.execute(
                sa.text(
                    'SELECT "adaptationDetails" FROM schedule_adaptations WHERE "userId" = :u '
                    """AND "adaptationType" = 'FREQUENCY_CHANGE'"""
                ),
                {"u": "job-m"},
            )
            .scalars()
            .all()
        )
        prefs = conn.execute(
            sa.text(
                'SELECT "sessionMinutes", "sessionsPerWeek" FROM schedule_preferences WHERE "userId" = :u'
            ),
            {"u": "job-m"},
        ).one()
    assert statuses == ["MISSED"] * 3
    (details,) = change
    assert details["reason"]["missed"] == 3
    assert (
        prefs.sessionMinutes
        == details["new"]["durationMinutes"]
        < details["old"]["durationMinutes"]
    )
    assert (
        prefs.sessionsPerWeek
        == details["new"]["sessionsPerWeek"]
        > details["old"]["sessionsPerWeek"]
    )
    # At most once a week: the next tick changes nothing.
    again = run_adaptation_tick(db, tick + timedelta(hours=1), LOOPBACK)
    assert again.outcomes["adapted"] == 0 and again.outcomes["missed"] == 0
