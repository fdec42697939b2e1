"""Burnout assessments (daily) and stress analyses (weekly) at a fixed local hour per learner.

One hourly tick (``cognitive_health``, on the hour) selects the learners whose
*local* time at the tick is 04:00–04:59 (``BURNOUT_LOCAL_HOUR``), who have analysis
switched on and a session in the last 14 days, and assesses each one's burnout
risk over the 14 days ending yesterday (their last complete local day); on the
learner's local Monday it also refreshes their stress patterns and profile. Zones
with half-hour offsets are served at 04:30 local, and so on; a zone whose clocks
skip 04:00 on a DST day is not served that day.

No double assessment when ticks overlap (a retried tick, a manual run, a request
to GET burnout-risk at the same time): each learner is handled in a transaction
of its own holding the learner's advisory lock (``pg_try_advisory_xact_lock``;
busy → skipped as ``locked``), and a learner whose latest assessment was made on
the tick's local date is skipped as ``already_assessed``.

The task gets its database and tick time from :mod:`twin.jobs.database`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from procrastinate import Blueprint, JobContext

from twin.analysis.common import aware_utc
from twin.db.engine import Database
from twin.jobs.database import serve_tick
from twin.learners import load_learner
from twin.services import cognitive

log = logging.getLogger(__name__)

JOB_NAME = "cognitive_health"
# Every hour on the hour (minute hour day month weekday second).
JOB_CRON = "0 * * * * 0"
# The local hour at which a learner's daily assessment runs.
BURNOUT_LOCAL_HOUR = 4
# The local weekday (Monday = 0) of the weekly stress analysis, at the same hour.
STRESS_LOCAL_WEEKDAY = 0
# Active learners: a session started in this many days before the tick.
ACTIVE_DAYS = 14
# Connections of a worker's engine: a tick handles its learners one after the other.


@dataclass(frozen=True)
class DueLearner:
    """A learner whose local time at the tick is the assessment hour."""

    user_id: str
    timezone: str
    local_time: datetime
    stress_due: bool


@dataclass
class TickReport:
    """What one tick did: learners due and outcomes (``burnout:assessed``, ``stress:locked`` …)."""

    tick: datetime
    due: list[DueLearner] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line for the log."""
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing to do"
        return f"tick {self.tick.isoformat()}: {len(self.due)} learners due ({parts})"


def select_due_learners(
    db: Database, tick: datetime, *, local_hour: int = BURNOUT_LOCAL_HOUR
) -> list[DueLearner]:
    """Learners with analysis on, active in the last 14 days, whose local hour at ``tick`` is ``local_hour``."""
    tick = aware_utc(tick)
    with db.session() as session:
        candidates = cognitive.active_learners(session, tick - timedelta(days=ACTIVE_DAYS), tick)
    due = []
    for user_id, timezone in candidates:
        try:
            local = tick.astimezone(ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("learner %s has an invalid time zone %r: skipped", user_id, timezone)
            continue
        if local.hour == local_hour:
            due.append(
                DueLearner(user_id, timezone, local, local.weekday() == STRESS_LOCAL_WEEKDAY)
            )
    return due


def _run_one(db: Database, learner_id: str, tick: datetime, kind: str) -> str:
    """One learner's burnout assessment or stress refresh, in a transaction of its own."""
    with db.session() as session:
        learner = load_learner(session, learner_id)
        if learner is None or not learner.analysis_enabled:
            return "skipped"
        if kind == "burnout":
            return cognitive.daily_burnout_assessment(session, learner, tick)
        return cognitive.weekly_stress_refresh(session, learner, tick)


def run_cognitive_tick(db: Database, tick: datetime) -> TickReport:
    """Serve one hourly tick: assess every due learner, refresh stress where it is due."""
    tick = aware_utc(tick)
    report = TickReport(tick=tick, due=select_due_learners(db, tick))
    for learner in report.due:
        kinds = ("burnout", "stress") if learner.stress_due else ("burnout",)
        for kind in kinds:
            try:
                outcome = _run_one(db, learner.user_id, tick, kind)
            except Exception:
                log.exception("%s analysis of learner %s failed", kind, learner.user_id)
                outcome = "failed"
            report.outcomes[f"{kind}:{outcome}"] += 1
    return report


def cognitive_health(context: JobContext, *, timestamp: int) -> None:
    """The hourly tick (a sync task: procrastinate runs it in a thread)."""
    serve_tick(context, timestamp, run_cognitive_tick, log, "cognitive health ")


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none: the tick handles learners in turn)."""
