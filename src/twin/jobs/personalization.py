"""The daily personalization job (ENGINE.md 5.5): derived outcomes and rewards, then effectiveness.

Once a day (:data:`JOB_CRON`, 03:45 UTC: the windows are spans of UTC instants, so one
global tick serves every zone) every learner with behavioural analysis on and either a
SESSION/MISSION decision of the last 7 days still without an outcome, or a personalization
outcome in the last 28 days, gets, in this order:

1. :func:`twin.services.personalization.derived.derive_outcomes`: the outcomes of the
   completed sessions and settled missions that followed those decisions, each rewarded
   against the learner's own 14-day baseline (idempotent: derived outcome ids);
2. :func:`twin.services.personalization.effectiveness.store_effectiveness`: one
   ``personalization_effectiveness`` row per arm with at least 10 outcomes in the window,
   and the arm's ``effectivenessScore``.

Outcomes the platform reports (``POST …/outcomes``), feedback and signals are rewarded when
they arrive. Each learner runs in a transaction of its own holding the learner's
PERSONALIZATION lock (three learners at a time, :data:`TICK_WORKERS`); one learner's failure
is logged and counted, the others go on; a tick served twice writes no second outcome and
replaces its own effectiveness rows. Commits are asynchronous (``synchronous_commit = off``):
a crash can lose the last moments of a tick, which the next tick recomputes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from procrastinate import Blueprint, JobContext

from twin.analysis.common import aware_utc, storage_time
from twin.db.engine import Database
from twin.jobs.database import job_database, tick_time
from twin.learners import LearnerLock, lock_learner
from twin.services.personalization.derived import LOOKBACK, derive_outcomes
from twin.services.personalization.effectiveness import DEFAULT_WINDOW, store_effectiveness

log = logging.getLogger(__name__)

JOB_NAME = "personalization_effectiveness"
# Daily at 03:45 UTC, second 0 (minute hour day month weekday second).
JOB_CRON = "45 3 * * * 0"

TICK_WORKERS = 3
"""Learners served at once (each on its own pooled connection; the pool holds 5)."""
ASYNC_COMMIT_SQL = sa.text("SET LOCAL synchronous_commit = off")

DUE_SQL = sa.text(
    """
    SELECT x."userId" FROM (
      SELECT o."userId" FROM personalization_outcomes o
      WHERE o.timestamp >= :since AND o.timestamp < :tick
      UNION
      SELECT d."userId" FROM personalization_decisions d
      WHERE d.context IN ('SESSION', 'MISSION') AND d."outcomeId" IS NULL
        AND d."decidedAt" >= :pending_since AND d."decidedAt" < :tick
    ) x JOIN users u ON u.id = x."userId"
    WHERE u."behavioralAnalysisEnabled"
    ORDER BY x."userId"
    """
)


@dataclass
class EffectivenessTickReport:
    """What one tick did."""

    tick: datetime
    learners: int = 0
    rows: int = 0
    derived: int = 0
    """Outcomes (and rewards) derived from completed sessions and missions."""
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        """One log line."""
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing to do"
        return (
            f"personalization tick {self.tick.isoformat()}: {self.learners} learners ({parts}), "
            f"{self.derived} derived outcomes, {self.rows} effectiveness rows "
            f"in {self.seconds:.1f} s"
        )


def due_learners(db: Database, tick: datetime) -> list[str]:
    """Learners with analysis on and a pending decision (7 days) or an outcome (28 days)."""
    at = storage_time(tick)
    with db.session() as session:
        return list(
            session.scalars(
                DUE_SQL,
                {"since": at - DEFAULT_WINDOW, "pending_since": at - LOOKBACK, "tick": at},
            )
        )


def _serve_learner(db: Database, user_id: str, tick: datetime) -> tuple[int, int] | None:
    """One learner's transaction: (derived outcomes, effectiveness rows); None when it failed."""
    try:
        with db.session() as session:
            # the tick's writes are recomputed by the next tick if a crash loses them:
            # no need to wait for the WAL flush of each learner's commit
            session.execute(ASYNC_COMMIT_SQL)
            lock_learner(session, LearnerLock.PERSONALIZATION, user_id)
            derived = derive_outcomes(session, user_id, tick)
            written = store_effectiveness(session, user_id, tick)
    except Exception:  # one learner's failure must not stop the others
        log.exception("personalization tick of learner %s failed", user_id)
        return None
    return derived, written


def run_tick(
    db: Database,
    tick: datetime,
    *,
    learners: list[str] | None = None,
    workers: int = TICK_WORKERS,
) -> EffectivenessTickReport:
    """Serve one daily tick: every due learner (or ``learners``), one transaction each.

    ``workers`` learners are served at a time, each on a connection of its own: a learner's
    work is mostly waiting for the database, so a few overlap well.
    """
    began = time.perf_counter()
    tick = aware_utc(tick)
    report = EffectivenessTickReport(tick)
    due = due_learners(db, tick) if learners is None else learners
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(lambda u: _serve_learner(db, u, tick), due))
    for result in results:
        report.learners += 1
        if result is None:
            report.outcomes["failed"] += 1
            continue
        derived, written = result
        report.rows += written
        report.derived += derived
        report.outcomes["measured" if written else "insufficient"] += 1
    report.seconds = time.perf_counter() - began
    return report


def personalization_effectiveness(context: JobContext, *, timestamp: int) -> None:
    """The daily tick (a sync task: procrastinate runs it in a thread)."""
    log.info(run_tick(job_database(context), tick_time(timestamp)).summary())


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none: the tick does the work)."""
