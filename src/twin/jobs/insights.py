"""The daily insights job (ENGINE.md 5.6): 06:00 in each learner's local time, from an hourly tick.

Each tick (:func:`run_daily_tick`) serves the learners whose *local* hour at the tick is
:data:`DAILY_LOCAL_HOUR` — after the cognitive (04:00) and struggle (05:00) runs, so the
burnout assessment and predictions it reads are the day's — with behavioural analysis on
and at least one completed session. For each, in its own transaction,
:func:`twin.services.insights.daily.run_daily`: pattern snapshot, weekly scores,
evaluation of applied recommendations, goal progress, new recommendations and
notifications. A learner whose insights lock is taken (a retried tick, a request) is
``locked``; one learner's error is logged and counted, the others go on. The time is the
tick's, never the clock.

Learners are served :data:`TICK_THREADS` at a time (threads, one connection each): the
run is mostly waiting for PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from procrastinate import Blueprint, JobContext

from twin.analysis.common import aware_utc
from twin.db.engine import Database
from twin.errors import Forbidden, TwinError
from twin.jobs.database import (
    LearnerTickReport,
    job_database,
    run_learner_tick,
    select_learners_at_local_hour,
    tick_time,
)
from twin.services.insights import daily

log = logging.getLogger(__name__)

JOB_NAME = "insights_daily"
# Every hour on the hour, second 0 (minute hour day month weekday second).
JOB_CRON = "0 * * * * 0"
DAILY_LOCAL_HOUR = 6
TICK_THREADS = 2
OUTCOME_FAILED = "failed"
OUTCOME_SKIPPED = "skipped"  # analysis switched off since the learner was selected

SELECT_DUE_SQL = sa.text(
    """
    SELECT u.id FROM users u
    WHERE u."behavioralAnalysisEnabled"
      AND extract(hour FROM to_timestamp(:tick) AT TIME ZONE u.timezone) = :hour
      AND EXISTS (SELECT 1 FROM study_sessions s
                  WHERE s."userId" = u.id AND s."completedAt" IS NOT NULL)
    ORDER BY u.id
    """
)


def select_due_learners(
    db: Database, tick: datetime, *, local_hour: int = DAILY_LOCAL_HOUR
) -> list[str]:
    """Learners with analysis on and a completed session whose local hour at ``tick`` is 6."""
    return select_learners_at_local_hour(db, SELECT_DUE_SQL, tick, local_hour)


def run_learner(db: Database, user_id: str, tick: datetime) -> daily.DailyRun:
    """One learner's daily run in its own transaction; errors reported, not raised."""
    try:
        with db.session() as session:
            return daily.run_daily(session, user_id, tick)
    except Forbidden:
        return daily.DailyRun(user_id, OUTCOME_SKIPPED)
    except TwinError as exc:
        log.warning("daily insights run of %s failed: %s", user_id, exc.message)
    except Exception:  # one learner's bad data must not stop the others
        log.exception("daily insights run of %s failed", user_id)
    return daily.DailyRun(user_id, OUTCOME_FAILED)


class DailyTickReport(LearnerTickReport[daily.DailyRun]):
    """What one tick did."""

    def summary(self) -> str:
        """One log line."""
        return (
            f"insights daily tick {self.tick.isoformat()}: {self.learners_line()}; "
            f"{sum(r.recommendations_created for r in self.runs)} recommendations, "
            f"{sum(r.notifications for r in self.runs)} notifications in {self.seconds:.1f} s"
        )


def run_daily_tick(
    db: Database, tick: datetime, *, threads: int = TICK_THREADS, learners: list[str] | None = None
) -> DailyTickReport:
    """Serve one tick: every due learner (or ``learners``), ``threads`` at a time."""
    report = DailyTickReport(tick=aware_utc(tick))
    run_learner_tick(
        report,
        db,
        select_due_learners,
        run_learner,
        learners=learners,
        threads=threads,
        thread_name_prefix="twin-insights",
    )
    return report


def insights_daily(context: JobContext, *, timestamp: int) -> None:
    """The hourly tick: learners at 06:xx local time (a sync task: run in a thread)."""
    report = run_daily_tick(job_database(context), tick_time(timestamp))
    log.info(report.summary())


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none: the tick uses threads)."""
