"""The daily experiment metrics job (ENGINE.md 5.5): every participant's periods, then verdicts.

Once a day (:data:`JOB_CRON`, 02:30 UTC — experiments span time zones, and every period is
a span of UTC instants, so one global tick serves them all) each experiment that has started
and has no final result yet is measured as of the tick
(:func:`twin.services.experiments.refresh_metrics`: each participant's pre- and post-period
values written into ``experiment_assignments.metrics``), one experiment per transaction. An
experiment whose end date or stop lies before the tick is measured as of that end, and its
final verdict is written (:func:`twin.services.experiments.finalize`); it is not measured
again after that. The metrics depend only on stored data and the as-of time, so a retried
tick rewrites nothing, and ``twin experiment metrics ID`` recomputes any experiment by hand.
One experiment's error is logged and counted; the others go on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from procrastinate import Blueprint, JobContext

from twin.analysis.common import aware_utc, naive_utc
from twin.db.engine import Database
from twin.jobs.database import serve_tick
from twin.services import experiments as service

log = logging.getLogger(__name__)

JOB_NAME = "experiment_metrics"
# Daily at 02:30 UTC, second 0 (minute hour day month weekday second).
JOB_CRON = "30 2 * * * 0"

DUE_SQL = sa.text(
    "SELECT id FROM personalization_experiments WHERE definition IS NOT NULL AND result IS NULL "
    'AND "startDate" < :tick ORDER BY "startDate", id'
)


@dataclass(frozen=True)
class ExperimentRun:
    """What the tick did for one experiment."""

    experiment_id: str
    participants: int = 0
    written: int = 0
    finalized: bool = False
    verdict: str | None = None
    skipped_locked: bool = False
    error: str | None = None


@dataclass
class MetricsTickReport:
    """What one tick did."""

    tick: datetime
    runs: list[ExperimentRun] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One log line."""
        failed = sum(1 for r in self.runs if r.error)
        return (
            f"experiment metrics tick {self.tick.isoformat()}: {len(self.runs)} experiments, "
            f"{sum(r.participants for r in self.runs)} participants, "
            f"{sum(r.written for r in self.runs)} documents written, "
            f"{sum(r.finalized for r in self.runs)} finalized, {failed} failed "
            f"in {self.seconds:.1f} s"
        )


def due_experiments(db: Database, tick: datetime) -> list[str]:
    """Experiments started before ``tick`` without a final result."""
    with db.engine.connect() as conn:
        return [r.id for r in conn.execute(DUE_SQL, {"tick": naive_utc(tick)})]


def run_experiment(db: Database, experiment_id: str, tick: datetime) -> ExperimentRun:
    """Measure one experiment as of ``tick`` and finalise it when it has ended (one transaction)."""
    now = naive_utc(tick)
    try:
        with db.session() as session:
            report = service.refresh_metrics(session, experiment_id, now)
            if report.skipped_locked:
                return ExperimentRun(experiment_id, skipped_locked=True)
            final = service.finalize(session, experiment_id, now)
        return ExperimentRun(
            experiment_id,
            participants=report.participants,
            written=report.written,
            finalized=final is not None,
            verdict=None if final is None else final.result.verdict.value,
        )
    except Exception as exc:  # one experiment's failure must not stop the others
        log.exception("experiment metrics of %s failed", experiment_id)
        return ExperimentRun(experiment_id, error=f"{type(exc).__name__}: {exc}")


def run_metrics_tick(
    db: Database, tick: datetime, *, experiments: list[str] | None = None
) -> MetricsTickReport:
    """Serve one daily tick: every due experiment (or ``experiments``), one after another."""
    began = time.perf_counter()
    tick = aware_utc(tick)
    report = MetricsTickReport(tick=tick)
    for experiment_id in due_experiments(db, tick) if experiments is None else experiments:
        report.runs.append(run_experiment(db, experiment_id, tick))
    report.seconds = time.perf_counter() - began
    return report


def experiment_metrics(context: JobContext, *, timestamp: int) -> None:
    """The daily tick (a sync task: run in a thread)."""
    serve_tick(context, timestamp, run_metrics_tick, log)


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none: the tick does the work)."""
