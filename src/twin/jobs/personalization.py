"""The daily personalization job (ENGINE.md 5.5): each learner's measured effectiveness per arm.

Once a day (:data:`JOB_CRON`, 03:45 UTC: the windows are spans of UTC instants, so one
global tick serves every zone) every learner with behavioural analysis on and a
personalization outcome in the last 28 days gets
:func:`twin.services.personalization.effectiveness.store_effectiveness`: one
``personalization_effectiveness`` row per arm with at least 10 outcomes in the window, and
the arm's ``effectivenessScore``. Rewards themselves are written when outcomes, feedback and
signals arrive (requests), so nothing waits for this tick. Each learner runs in a transaction
of its own holding the learner's PERSONALIZATION lock; one learner's failure is logged and
counted, the others go on; a tick served twice replaces its own rows.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from procrastinate import Blueprint, JobContext

from twin.analysis.common import aware_utc, storage_time
from twin.db.engine import Database
from twin.jobs.database import job_database, tick_time
from twin.learners import LearnerLock, lock_learner
from twin.services.personalization.effectiveness import DEFAULT_WINDOW, store_effectiveness

log = logging.getLogger(__name__)

JOB_NAME = "personalization_effectiveness"
# Daily at 03:45 UTC, second 0 (minute hour day month weekday second).
JOB_CRON = "45 3 * * * 0"

DUE_SQL = sa.text(
    """
    SELECT DISTINCT o."userId"
    FROM personalization_outcomes o JOIN users u ON u.id = o."userId"
    WHERE u."behavioralAnalysisEnabled" AND o.timestamp >= :since AND o.timestamp < :tick
    ORDER BY o."userId"
    """
)


@dataclass
class EffectivenessTickReport:
    """What one tick did."""

    tick: datetime
    learners: int = 0
    rows: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        """One log line."""
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing to do"
        return (
            f"personalization tick {self.tick.isoformat()}: {self.learners} learners ({parts}), "
            f"{self.rows} effectiveness rows in {self.seconds:.1f} s"
        )


def due_learners(db: Database, tick: datetime) -> list[str]:
    """Learners with analysis on and an outcome in the 28 days before ``tick``."""
    at = storage_time(tick)
    with db.session() as session:
        return list(session.scalars(DUE_SQL, {"since": at - DEFAULT_WINDOW, "tick": at}))


def run_tick(
    db: Database, tick: datetime, *, learners: list[str] | None = None
) -> EffectivenessTickReport:
    """Serve one daily tick: every due learner (or ``learners``), one transaction each."""
    began = time.perf_counter()
    tick = aware_utc(tick)
    report = EffectivenessTickReport(tick)
    for user_id in due_learners(db, tick) if learners is None else learners:
        report.learners += 1
        try:
            with db.session() as session:
                lock_learner(session, LearnerLock.PERSONALIZATION, user_id)
                written = store_effectiveness(session, user_id, tick)
        except Exception:  # one learner's failure must not stop the others
            log.exception("personalization effectiveness of learner %s failed", user_id)
            report.outcomes["failed"] += 1
            continue
        report.rows += written
        report.outcomes["measured" if written else "insufficient"] += 1
    report.seconds = time.perf_counter() - began
    return report


def personalization_effectiveness(context: JobContext, *, timestamp: int) -> None:
    """The daily tick (a sync task: procrastinate runs it in a thread)."""
    log.info(run_tick(job_database(context), tick_time(timestamp)).summary())


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none: the tick does the work)."""
