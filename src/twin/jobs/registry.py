"""Periodic jobs, declared one entry each: name, cron (with a seconds field), task.

To schedule new work, write its task in a module of ``twin.jobs`` and add one
``PeriodicJob`` to ``PERIODIC_JOBS``. The task is called as
``task(context, timestamp=...)`` where ``timestamp`` is the Unix time of the tick it
serves, so work that depends on the time (e.g. "learners whose local time is
Sunday 23:xx", run from an hourly tick) computes it from the tick, not the clock.

Every periodic job gets a lock and a queueing lock named after it: the database
accepts one job per tick (procrastinate's unique periodic-defer record), at most
one of them waits in the queue and at most one runs, however many workers there are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import croniter  # type: ignore[import-untyped]
from procrastinate import Blueprint, JobContext

from twin.jobs.cognitive import JOB_CRON as COGNITIVE_CRON
from twin.jobs.cognitive import JOB_NAME as COGNITIVE_JOB
from twin.jobs.cognitive import cognitive_health
from twin.jobs.experiments import JOB_CRON as EXPERIMENTS_CRON
from twin.jobs.experiments import JOB_NAME as EXPERIMENTS_JOB
from twin.jobs.experiments import experiment_metrics
from twin.jobs.housekeeping import housekeeping
from twin.jobs.insights import JOB_CRON as INSIGHTS_CRON
from twin.jobs.insights import JOB_NAME as INSIGHTS_JOB
from twin.jobs.insights import insights_daily
from twin.jobs.orchestration import (
    ADAPT_CRON,
    ADAPT_JOB_NAME,
    SYNC_CRON,
    SYNC_JOB_NAME,
    calendar_sync,
    schedule_adaptation,
)
from twin.jobs.patterns import JOB_CRON as PATTERNS_CRON
from twin.jobs.patterns import JOB_NAME as PATTERNS_JOB
from twin.jobs.patterns import weekly_pattern_analysis
from twin.jobs.personalization import JOB_CRON as PERSONALIZATION_CRON
from twin.jobs.personalization import JOB_NAME as PERSONALIZATION_JOB
from twin.jobs.personalization import personalization_effectiveness
from twin.jobs.struggle import JOB_CRON as STRUGGLE_CRON
from twin.jobs.struggle import JOB_NAME as STRUGGLE_JOB
from twin.jobs.struggle import RETRAIN_CRON as STRUGGLE_RETRAIN_CRON
from twin.jobs.struggle import RETRAIN_JOB_NAME as STRUGGLE_RETRAIN_JOB
from twin.jobs.struggle import struggle_daily, struggle_weekly_retraining

# minute hour day-of-month month day-of-week second (croniter's order: seconds last)
CRON_FIELDS = 6
DEFAULT_QUEUE = "default"
LOCK_PREFIX = "twin:periodic:"


class PeriodicTaskFunction(Protocol):
    """The body of a periodic job: the job context and the tick's Unix timestamp."""

    def __call__(self, context: JobContext, *, timestamp: int) -> Awaitable[None] | None: ...


def check_cron(cron: str) -> None:
    """Raise ValueError unless ``cron`` is a valid six-field expression (seconds last)."""
    fields = cron.split()
    if len(fields) != CRON_FIELDS:
        raise ValueError(
            f"cron {cron!r} has {len(fields)} fields; write six: "
            "minute hour day-of-month month day-of-week second"
        )
    if not croniter.croniter.is_valid(cron):
        raise ValueError(f"cron {cron!r} is not a valid cron expression")


@dataclass(frozen=True)
class PeriodicJob:
    """One scheduled task of the engine."""

    name: str
    cron: str
    task: PeriodicTaskFunction
    description: str
    queue: str = DEFAULT_QUEUE

    def __post_init__(self) -> None:
        check_cron(self.cron)

    @property
    def lock(self) -> str:
        """The lock (and queueing lock) shared by every job of this schedule."""
        return LOCK_PREFIX + self.name


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        name="housekeeping",
        # Hourly, off the hour: analysis ticks that run on the hour get the workers first.
        cron="7 * * * * 0",
        task=housekeeping,
        description="delete queue jobs finished more than 7 days ago",
    ),
    PeriodicJob(
        name=PATTERNS_JOB,
        # Hourly on the hour: learners at Sunday 23:xx local time, and those with 10 new sessions.
        cron=PATTERNS_CRON,
        task=weekly_pattern_analysis,
        description="weekly pattern analysis at Sunday 23:00 local time (twin.jobs.patterns)",
    ),
    PeriodicJob(
        name=COGNITIVE_JOB,
        # Hourly on the hour: learners at 04:xx local time (burnout daily, stress on Mondays).
        cron=COGNITIVE_CRON,
        task=cognitive_health,
        description="burnout risk daily and stress patterns weekly at 04:00 local time "
        "(twin.jobs.cognitive)",
    ),
    PeriodicJob(
        name=STRUGGLE_JOB,
        # Hourly on the hour: learners at 05:xx local time (outcomes, then the day's predictions).
        cron=STRUGGLE_CRON,
        task=struggle_daily,
        description="struggle outcomes and predictions daily at 05:00 local time "
        "(twin.jobs.struggle)",
    ),
    PeriodicJob(
        name=STRUGGLE_RETRAIN_JOB,
        # Mondays 03:00 UTC.
        cron=STRUGGLE_RETRAIN_CRON,
        task=struggle_weekly_retraining,
        description="retrain the struggle model; deploy only when it beats the current one "
        "(twin.jobs.struggle)",
    ),
    PeriodicJob(
        name=SYNC_JOB_NAME,
        # Hourly at :15: each learner's calendar at most once an hour.
        cron=SYNC_CRON,
        task=calendar_sync,
        description="sync learners' calendar feeds and CalDAV accounts, at most hourly each "
        "(twin.jobs.orchestration)",
    ),
    PeriodicJob(
        name=ADAPT_JOB_NAME,
        # Hourly at :40: after the sync, adapt schedules to calendar changes and missed sessions.
        cron=ADAPT_CRON,
        task=schedule_adaptation,
        description="re-plan sessions a calendar change made busy, mark missed sessions, "
        "write back to CalDAV (twin.jobs.orchestration)",
    ),
    PeriodicJob(
        name=EXPERIMENTS_JOB,
        # Daily at 02:30 UTC: every running experiment's participants measured, ended ones decided.
        cron=EXPERIMENTS_CRON,
        task=experiment_metrics,
        description="experiment participants' pre/post metrics daily, final verdicts at the end "
        "(twin.jobs.experiments)",
    ),
    PeriodicJob(
        name=INSIGHTS_JOB,
        # Hourly on the hour: learners at 06:xx local time (after cognitive 04:00, struggle 05:00).
        cron=INSIGHTS_CRON,
        task=insights_daily,
        description="scores, goal progress, recommendations and notifications daily at 06:00 "
        "local time (twin.jobs.insights)",
    ),
    PeriodicJob(
        name=PERSONALIZATION_JOB,
        # Daily at 03:45 UTC: every learner with a personalization outcome in 28 days.
        cron=PERSONALIZATION_CRON,
        task=personalization_effectiveness,
        description="measured effectiveness of each personalization arm, daily "
        "(twin.jobs.personalization)",
    ),
)


def register_periodic_jobs(blueprint: Blueprint, jobs: Iterable[PeriodicJob]) -> None:
    """Register each job as a task of ``blueprint`` and schedule it on its cron."""
    jobs = list(jobs)
    names = [job.name for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"periodic job names must be unique: {', '.join(duplicates)}")
    for job in jobs:
        task = blueprint.task(
            name=job.name,
            pass_context=True,
            queue=job.queue,
            lock=job.lock,
            queueing_lock=job.lock,
        )(job.task)
        # procrastinate types periodic tasks as taking ``timestamp`` positionally; it is
        # always passed by keyword, as our PeriodicTaskFunction declares.
        blueprint.periodic(cron=job.cron)(cast(Any, task))
