"""Struggle prediction jobs (ENGINE.md 5.2): the daily run at 05:00 local, weekly retraining.

**Daily** (:func:`struggle_daily`, an hourly tick on the hour): the learners whose
*local* time at the tick is 05:00–05:59 (:data:`DAILY_LOCAL_HOUR`; half-hour zones are
served at 05:30), with behavioural analysis on and at least one learning objective.
For each, in one transaction of its own:

1. ``performance_metrics`` of the last local days are recomputed from reviews
   (:func:`twin.services.struggle_outcomes.refresh_performance_metrics`);
2. outcomes of pending predictions are captured (yesterday, a complete local day, is
   now over) — *before* generation, which updates open predictions in place;
3. the day's predictions are generated
   (``twin.services.struggle.generate_predictions(session, uid, now=tick)``).

Each learner runs under a transaction-level advisory try-lock (busy → ``locked``); a
learner who already has predictions made at exactly this tick is ``already_done`` (a
retried tick). One learner's error is logged and counted; the others go on. The time
is the tick's, never the clock, so a late tick computes the same thing.

**Weekly retraining** (:func:`struggle_weekly_retraining`, Monday 03:00 UTC): one
:func:`twin.services.struggle_models.train` run across learners who share anonymised
patterns; the candidate is registered and deployed only when it wins.

**Fan-out.** A tick handles :data:`TICK_THREADS` learners at a time (threads, one
database connection each): while one waits for PostgreSQL the other computes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from procrastinate import Blueprint, JobContext

from twin.analysis.common import aware_utc, naive_utc
from twin.db.engine import Database
from twin.db.models import StrugglePrediction
from twin.errors import TwinError
from twin.jobs.database import (
    LearnerTickReport,
    job_database,
    run_learner_tick,
    select_learners_at_local_hour,
    serve_tick,
    tick_time,
)
from twin.learners import LearnerLock, load_learner, try_lock_learner
from twin.services.struggle import models as struggle_models
from twin.services.struggle import outcomes as struggle_outcomes

log = logging.getLogger(__name__)

JOB_NAME = "struggle_daily"
# Every hour on the hour, second 0 (minute hour day month weekday second).
JOB_CRON = "0 * * * * 0"
RETRAIN_JOB_NAME = "struggle_weekly_retraining"
# Mondays at 03:00 UTC: after the weekend's outcomes, before most learners' mornings.
RETRAIN_CRON = "0 3 * * 1 0"
# The local hour of the daily run.
DAILY_LOCAL_HOUR = 5
# Learners handled at once by one tick (threads; the job database pool has 3 connections).
TICK_THREADS = 2

OUTCOME_DONE = "done"
OUTCOME_LOCKED = "locked"
OUTCOME_ALREADY_DONE = "already_done"
OUTCOME_SKIPPED = "skipped"
OUTCOME_FAILED = "failed"

SELECT_DUE_SQL = sa.text(
    """
    SELECT u.id
    FROM users u
    WHERE u."behavioralAnalysisEnabled"
      AND extract(hour FROM to_timestamp(:tick) AT TIME ZONE u.timezone) = :hour
      AND EXISTS (SELECT 1 FROM lectures l
                  JOIN learning_objectives o ON o."lectureId" = l.id
                  WHERE l."userId" = u.id)
    ORDER BY u.id
    """
)


def select_due_learners(
    db: Database, tick: datetime, *, local_hour: int = DAILY_LOCAL_HOUR
) -> list[str]:
    """Ids of learners with analysis on and objectives whose local hour at ``tick`` is 5."""
    return select_learners_at_local_hour(db, SELECT_DUE_SQL, tick, local_hour)


@dataclass(frozen=True)
class LearnerRun:
    """What the daily run did for one learner."""

    user_id: str
    outcome: str
    metrics_rows: int = 0
    outcomes_recorded: int = 0
    dismissed: int = 0
    predictions: int = 0
    error: str | None = None


def run_learner(db: Database, user_id: str, tick: datetime) -> LearnerRun:
    """Metrics, outcome capture and the day's predictions for one learner, one transaction."""
    from twin.services.struggle import generate_predictions

    now = naive_utc(tick)
    with db.session() as session:
        if not try_lock_learner(session, LearnerLock.STRUGGLE_DAILY_RUN, user_id):
            return LearnerRun(user_id, OUTCOME_LOCKED)
        learner = load_learner(session, user_id)
        if learner is None or not learner.analysis_enabled:
            return LearnerRun(user_id, OUTCOME_SKIPPED)
        done = session.scalar(
            sa.select(StrugglePrediction.id)
            .where(StrugglePrediction.userId == user_id, StrugglePrediction.predictedAt == now)
            .limit(1)
        )
        if done is not None:
            return LearnerRun(user_id, OUTCOME_ALREADY_DONE)
        metrics = struggle_outcomes.refresh_performance_metrics(session, user_id, now)
        captured = struggle_outcomes.capture_outcomes(session, user_id, now)
        result = generate_predictions(session, user_id, now=now)
        return LearnerRun(
            user_id,
            OUTCOME_DONE,
            metrics_rows=metrics,
            outcomes_recorded=sum(1 for c in captured if c.struggled is not None),
            dismissed=sum(1 for c in captured if c.struggled is None),
            predictions=len(result.predictions),
        )


def _run_safely(db: Database, user_id: str, tick: datetime) -> LearnerRun:
    """:func:`run_learner`, with any error logged and reported instead of raised."""
    try:
        return run_learner(db, user_id, tick)
    except TwinError as exc:
        log.warning("daily struggle run of %s failed: %s", user_id, exc.message)
        return LearnerRun(user_id, OUTCOME_FAILED, error=exc.message)
    except Exception as exc:  # one learner's bad data must not stop the others
        log.exception("daily struggle run of %s failed", user_id)
        return LearnerRun(user_id, OUTCOME_FAILED, error=f"{type(exc).__name__}: {exc}")


class DailyTickReport(LearnerTickReport[LearnerRun]):
    """What one daily tick did."""

    def summary(self) -> str:
        """One log line."""
        return (
            f"struggle daily tick {self.tick.isoformat()}: {self.learners_line()}; "
            f"{sum(r.outcomes_recorded for r in self.runs)} outcomes, "
            f"{sum(r.predictions for r in self.runs)} predictions in {self.seconds:.1f} s"
        )


def run_daily_tick(
    db: Database, tick: datetime, *, threads: int = TICK_THREADS, learners: list[str] | None = None
) -> DailyTickReport:
    """Serve one hourly tick: every due learner (or ``learners``), ``threads`` at a time."""
    return run_learner_tick(
        DailyTickReport(tick=aware_utc(tick)),
        db,
        select_due_learners,
        _run_safely,
        learners=learners,
        threads=threads,
        thread_name_prefix="twin-struggle",
    )


def run_retraining(db: Database, tick: datetime) -> struggle_models.TrainingReport:
    """One training run at ``tick`` (registers a candidate; deploys it only when it wins)."""
    with db.session() as session:
        return struggle_models.train(session, aware_utc(tick))


def struggle_daily(context: JobContext, *, timestamp: int) -> None:
    """The hourly tick: learners at 05:xx local time (a sync task: run in a thread)."""
    serve_tick(context, timestamp, run_daily_tick, log)


def struggle_weekly_retraining(context: JobContext, *, timestamp: int) -> None:
    """The weekly retraining tick."""
    report = run_retraining(job_database(context), tick_time(timestamp))
    log.info("struggle retraining: %s: %s", report.status, report.decision)


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none: the ticks use threads)."""
