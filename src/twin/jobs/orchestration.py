"""Calendars synced at most hourly, and the schedule adapted to what changed (ENGINE.md 5.3).

Two hourly ticks:

* **calendar_sync** (minute 15): every learner with analysis on and a feed URL or CalDAV
  calendar whose last attempt is an hour old or more (or who never synced) is synced
  (:func:`twin.services.orchestration.calendars.sync_calendar`): at most one attempt per
  learner per hour, whether it succeeds or fails; a failure is recorded on the learner's
  calendar and the last good blocks stay. A sync that changed the blocks re-plans the
  sessions they now overlap, in the same transaction.
* **schedule_adaptation** (minute 40): every learner with analysis on and a planned
  session in the last 7 days or the future gets the adaptation rules that need no
  request: calendar conflicts re-planned (a calendar that changed between syncs, e.g.
  an upload), sessions matched to plans and planned sessions whose time passed marked
  MISSED, the missed-sessions rule, and the CalDAV study calendar brought in line.

Each learner runs in transactions of its own holding the learner's lock
(``CALENDAR_SYNC`` or ``SCHEDULE``), so a request at the same moment waits instead of
interleaving; one learner's failure is logged and never stops the tick.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from procrastinate import Blueprint, JobContext

from twin.analysis.common import aware_utc, storage_time
from twin.config import load_settings
from twin.db.engine import Database
from twin.errors import TwinError
from twin.jobs.database import serve_tick
from twin.services.orchestration import adaptation, calendars, writeback
from twin.services.orchestration.common import (
    SYNC_INTERVAL,
    CalendarContext,
    CalendarKind,
    calendar_context,
)

log = logging.getLogger(__name__)

SYNC_JOB_NAME = "calendar_sync"
SYNC_CRON = "15 * * * * 0"
ADAPT_JOB_NAME = "schedule_adaptation"
ADAPT_CRON = "40 * * * * 0"
ADAPT_LOOKBACK = timedelta(days=7)
# A tick's "at most hourly" compares with a little slack, so ticks an hour apart both run.
SYNC_SLACK = timedelta(minutes=5)


@dataclass
class TickReport:
    """What one tick did per learner (``synced``, ``failed:timeout``, ``adapted`` …)."""

    tick: datetime
    learners: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line for the log."""
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing to do"
        return f"tick {self.tick.isoformat()}: {self.learners} learners ({parts})"


DUE_SYNC_SQL = sa.text(
    """
    SELECT i."userId"
    FROM calendar_integrations i
    JOIN users u ON u.id = i."userId"
    LEFT JOIN calendar_sync_states s ON s."userId" = i."userId"
    WHERE i."syncEnabled" AND i."calendarProvider" = ANY(:kinds)
      AND u."behavioralAnalysisEnabled"
      AND (s."lastAttemptAt" IS NULL OR s."lastAttemptAt" <= :due_before)
    ORDER BY s."lastAttemptAt" NULLS FIRST, i."userId"
    """
)


def due_for_sync(db: Database, tick: datetime) -> list[str]:
    """Learners whose calendar was last tried an hour or more before ``tick``."""
    with db.session() as session:
        return list(
            session.scalars(
                DUE_SYNC_SQL,
                {
                    "kinds": [CalendarKind.ICS_URL.value, CalendarKind.CALDAV.value],
                    "due_before": storage_time(tick - SYNC_INTERVAL + SYNC_SLACK),
                },
            )
        )


def run_sync_tick(db: Database, tick: datetime, context: CalendarContext) -> TickReport:
    """Sync every due learner's calendar (one attempt each), recording failures."""
    tick = aware_utc(tick)
    report = TickReport(tick)
    for user_id in due_for_sync(db, tick):
        report.learners += 1
        try:
            outcome = calendars.sync_calendar(db, user_id, tick, context)
        except TwinError as exc:
            rule = exc.details.get("rule", exc.code) if isinstance(exc.details, dict) else exc.code
            report.outcomes[f"failed:{rule}"] += 1
            continue
        except Exception:
            log.exception("calendar sync of learner %s failed", user_id)
            report.outcomes["failed:error"] += 1
            continue
        report.outcomes["not_modified" if outcome.not_modified else "synced"] += 1
        if outcome.replanned:
            report.outcomes["replanned"] += len(outcome.replanned)
            writeback.write_back(db, user_id, tick, context)
    return report


DUE_ADAPT_SQL = sa.text(
    """
    SELECT DISTINCT p."userId"
    FROM planned_sessions p JOIN users u ON u.id = p."userId"
    WHERE u."behavioralAnalysisEnabled" AND p."plannedStart" >= :since
    ORDER BY p."userId"
    """
)


def run_adaptation_tick(db: Database, tick: datetime, context: CalendarContext) -> TickReport:
    """Adapt every learner with a recent or future planned session; write back their changes."""
    tick = aware_utc(tick)
    report = TickReport(tick)
    with db.session() as session:
        learners = list(
            session.scalars(DUE_ADAPT_SQL, {"since": storage_time(tick - ADAPT_LOOKBACK)})
        )
    for user_id in learners:
        report.learners += 1
        try:
            with db.session() as session:
                outcome = adaptation.adapt(session, user_id, tick)
        except Exception:
            log.exception("schedule adaptation of learner %s failed", user_id)
            report.outcomes["failed"] += 1
            continue
        report.outcomes["adapted" if outcome.adaptations else "unchanged"] += 1
        report.outcomes["missed"] += outcome.missed_marked
        result = writeback.write_back(db, user_id, tick, context)
        if result is not None:
            report.outcomes["write_back_failed" if result.error else "written_back"] += 1
    return report


def _with_calendars(
    run: Callable[[Database, datetime, CalendarContext], TickReport],
) -> Callable[[Database, datetime], TickReport]:
    """``run`` with the calendar context of the worker's settings (read at the tick)."""
    settings = calendar_context(load_settings())
    return lambda db, tick: run(db, tick, settings)


def calendar_sync(context: JobContext, *, timestamp: int) -> None:
    """The hourly sync tick (a sync task: procrastinate runs it in a thread)."""
    serve_tick(context, timestamp, _with_calendars(run_sync_tick), log, "calendar sync ")


def schedule_adaptation(context: JobContext, *, timestamp: int) -> None:
    """The hourly adaptation tick."""
    serve_tick(
        context, timestamp, _with_calendars(run_adaptation_tick), log, "schedule adaptation "
    )


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none: the ticks handle learners in turn)."""
