"""The weekly pattern analysis: Sunday 23:00 in each learner's own time zone, from an hourly tick.

Time zones differ by whole and half hours, so one weekly cron cannot hit "Sunday 23:00
local" for everybody. The job runs every hour on the hour (``0 * * * * 0``) and each
tick (:func:`run_tick`) analyses

* **weekly**: the learners whose local time at the tick's timestamp is Sunday 23:xx
  (``EXTRACT(ISODOW/HOUR FROM to_timestamp(:tick) AT TIME ZONE users.timezone)``), and
* **due**: learners already analysed who have had 10 new completed sessions since
  ``lastAnalyzedAt`` (ENGINE.md 5.1's incremental re-analysis), at any hour,

skipping learners with behavioural analysis switched off or too little data for a full
analysis (6 weeks, 20 completed sessions, 50 reviews; checked in SQL, so they cost no
loading). The analysis time is the tick's timestamp, not the wall clock, so a tick
that runs late analyses the same data and tests are deterministic.

**Never twice.** Each learner is analysed in its own transaction holding a
transaction-level advisory lock on that learner (the service's lock, also taken by
analyses on request); inside the lock the service re-reads ``lastAnalyzedAt`` and skips
the learner when it is at or after ``tick − 12 h``. Two overlapping ticks (a retried
job, two workers, a tick racing an on-request run) therefore analyse each learner once:
the loser either fails to take the lock or sees the fresh ``lastAnalyzedAt``.
procrastinate's periodic lock already keeps one job per tick; this guards the rest.

**Two cores, two processes.** An analysis is CPU-bound Python (and the recall-model fit
in ``fsrs-rs-python``, which holds the GIL), so threads share one core: two threads ran
1,000 learners in 105 s when every recall model was fitted for the first time, one
thread in about the same. A tick with at least :data:`PROCESS_MIN_LEARNERS` learners
therefore analyses them in :data:`TICK_PROCESSES` child processes (``spawn``: the worker
runs threads, so it must not ``fork``), each with its own one-connection database built
from the parent's URL, handing out learners a few at a time so that a slow learner does
not hold back a whole share. Smaller ticks (most hours: the learners whose Sunday 23:00
it is, and the few due) are analysed on :data:`TICK_THREADS` threads in the worker
itself, since starting a process (imports included) costs about a second. If the
process pool cannot start or breaks, the learners it did not finish are analysed on
threads: a tick never loses learners to its own machinery. A deployment is therefore one
``twin worker`` process that starts two analysis processes for a large tick; the
benchmark (``benchmarks/twin_quality.py``) measures exactly that by calling
:func:`run_tick`. Each child analyses with :func:`analyze_one` (lock and re-check
included), so the "never twice" guarantee does not depend on how work is spread.

The task gets its database and tick time from :mod:`twin.jobs.database`.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from procrastinate import Blueprint, JobContext

from twin.analysis.common import aware_utc, naive_utc
from twin.analysis.patterns.sufficiency import (
    FULL_ANALYSIS_MIN_REVIEWS,
    FULL_ANALYSIS_MIN_SESSIONS,
    FULL_ANALYSIS_MIN_SPAN,
    REANALYSIS_MIN_NEW_SESSIONS,
)
from twin.db.engine import Database, create_db_engine
from twin.errors import TwinError
from twin.jobs.database import serve_tick
from twin.services import patterns as patterns_service

log = logging.getLogger(__name__)

JOB_NAME = "weekly_pattern_analysis"
# Every hour on the hour, second 0 (housekeeping runs at :07, off the hour).
JOB_CRON = "0 * * * * 0"
WEEKLY_LOCAL_ISODOW = 7  # Sunday
WEEKLY_LOCAL_HOUR = 23
# A learner analysed this recently (before the tick) is not analysed again by the tick.
FRESH_ANALYSIS_WINDOW = timedelta(hours=12)
# Learners analysed at once by a small tick (threads; each holds one database connection).
TICK_THREADS = 2
# Analysis processes of a large tick: one per core of the 2-core machine the job is sized
# for (the database, on the same machine, mostly runs while a process waits for it).
TICK_PROCESSES = 2
# A tick with at least this many learners uses processes: starting one costs ~1 s, which
# 40 learners (~3.5 s of analysis on one core) repay.
PROCESS_MIN_LEARNERS = 40
# Learners handed to a process at a time: few enough to balance the load at the end of a
# tick, enough that the round trips cost nothing (~0.4 s of work each).
PROCESS_CHUNK_LEARNERS = 4
# Child processes are spawned, never forked: the worker process runs threads.
PROCESS_START_METHOD = "spawn"
# Connections of a child process's database: it analyses one learner at a time.
PROCESS_DB_POOL_SIZE = 1

REASON_WEEKLY = "weekly"
REASON_DUE = "due"

# Learners to analyse at one tick: Sunday 23:xx local, or 10 new sessions since the last
# analysis; consent given; enough data for a full analysis (checked here, cheaply).
SELECT_LEARNERS_SQL = sa.text(
    """
    WITH local AS (
      SELECT u.id, (to_timestamp(:tick) AT TIME ZONE u.timezone) AS local_time
      FROM users u
      WHERE u."behavioralAnalysisEnabled"
    ), candidates AS (
      SELECT l.id, p."lastAnalyzedAt" AS last_at,
             (extract(isodow FROM l.local_time) = :isodow
              AND extract(hour FROM l.local_time) = :hour) AS weekly
      FROM local l
      LEFT JOIN user_learning_profiles p ON p."userId" = l.id
    ), counts AS (
      SELECT c.id, c.last_at, c.weekly,
             (SELECT count(*) FROM study_sessions s
               WHERE s."userId" = c.id AND s."completedAt" IS NOT NULL
                 AND s."startedAt" < :now) AS sessions,
             (SELECT min(s."startedAt") FROM study_sessions s
               WHERE s."userId" = c.id AND s."completedAt" IS NOT NULL
                 AND s."startedAt" < :now) AS first_at,
             (SELECT count(*) FROM study_sessions s
               WHERE s."userId" = c.id AND s."completedAt" IS NOT NULL
                 AND s."startedAt" < :now AND s."startedAt" > c.last_at) AS new_sessions
      FROM candidates c
      WHERE c.weekly OR c.last_at IS NOT NULL
    )
    SELECT c.id, c.weekly
    FROM counts c
    WHERE c.sessions >= :min_sessions
      AND c.first_at <= :now - make_interval(secs => :min_age_seconds)
      AND (c.weekly OR c.new_sessions >= :min_new_sessions)
      AND (c.last_at IS NULL OR c.last_at < :fresh)
      AND (SELECT count(*) FROM reviews r
            WHERE r."userId" = c.id AND r."reviewedAt" < :now) >= :min_reviews
    ORDER BY c.id
    """
)


def select_learners(db: Database, tick: datetime) -> list[tuple[str, str]]:
    """(learner id, reason) of the learners this tick should analyse, by id."""
    tick = aware_utc(tick)
    now = naive_utc(tick)
    with db.engine.connect() as conn:
        rows = conn.execute(
            SELECT_LEARNERS_SQL,
            {
                "tick": tick.timestamp(),
                "isodow": WEEKLY_LOCAL_ISODOW,
                "hour": WEEKLY_LOCAL_HOUR,
                "now": now,
                "min_sessions": FULL_ANALYSIS_MIN_SESSIONS,
                # A 6-week data span needs a first session 6 weeks ago: a pre-filter only.
                "min_age_seconds": FULL_ANALYSIS_MIN_SPAN.total_seconds(),
                "min_new_sessions": REANALYSIS_MIN_NEW_SESSIONS,
                "min_reviews": FULL_ANALYSIS_MIN_REVIEWS,
                "fresh": now - FRESH_ANALYSIS_WINDOW,
            },
        ).all()
    return [(r.id, REASON_WEEKLY if r.weekly else REASON_DUE) for r in rows]


@dataclass
class TickReport:
    """What one tick did, learner by learner."""

    tick: datetime
    selected: int = 0
    analyzed: list[str] = field(default_factory=list)
    insufficient: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """One log line."""
        return (
            f"pattern analysis tick {self.tick.isoformat()}: {self.selected} selected, "
            f"{len(self.analyzed)} analysed, {len(self.insufficient)} insufficient, "
            f"{len(self.skipped)} skipped, {len(self.failed)} failed in {self.seconds:.1f} s"
        )


def analyze_one(db: Database, user_id: str, tick: datetime) -> patterns_service.AnalysisOutcome:
    """Analyse one learner for ``tick`` in its own transaction (skips if locked or fresh)."""
    with db.session() as session:
        return patterns_service.analyze_user(
            session,
            user_id,
            now=tick,
            trigger=patterns_service.TRIGGER_SCHEDULED,
            skip_if_analyzed_since=tick - FRESH_ANALYSIS_WINDOW,
        )


# What one learner's analysis came to: (learner id, outcome status or None when it
# failed, the skip reason or the error). Small and picklable: it crosses processes.
LearnerResult = tuple[str, str | None, str | None]


def _analyze_safely(db: Database, user_id: str, tick: datetime) -> LearnerResult:
    try:
        outcome = analyze_one(db, user_id, tick)
    except TwinError as exc:
        log.warning("pattern analysis of %s failed: %s", user_id, exc.message)
        return user_id, None, exc.message
    except Exception as exc:  # one learner's bad data must not stop the others
        log.exception("pattern analysis of %s failed", user_id)
        return user_id, None, f"{type(exc).__name__}: {exc}"
    return user_id, outcome.status, outcome.reason


# The database of an analysis process (built by :func:`_init_process`, one per process).
_PROCESS_DATABASE: dict[str, Database] = {}


def _init_process(url: str) -> None:
    """Initialiser of an analysis process: its own small pool on the parent's database."""
    db = Database(engine=create_db_engine(url, pool_size=PROCESS_DB_POOL_SIZE, max_overflow=0))
    _PROCESS_DATABASE["db"] = db
    atexit.register(db.engine.dispose)


def _analyze_chunk(user_ids: Sequence[str], tick: datetime) -> list[LearnerResult]:
    """Analyse a few learners in an analysis process, one after the other."""
    db = _PROCESS_DATABASE["db"]
    return [_analyze_safely(db, user_id, tick) for user_id in user_ids]


def _analyze_on_threads(
    db: Database, learners: Sequence[str], tick: datetime, threads: int
) -> list[LearnerResult]:
    if threads <= 1 or len(learners) <= 1:
        return [_analyze_safely(db, u, tick) for u in learners]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="twin-patterns") as pool:
        return list(pool.map(lambda u: _analyze_safely(db, u, tick), learners))


def _analyze_in_processes(
    db: Database, learners: Sequence[str], tick: datetime, processes: int
) -> list[LearnerResult]:
    """Analyse ``learners`` in ``processes`` child processes; what they did not finish is left out."""
    chunks = [
        list(learners[i : i + PROCESS_CHUNK_LEARNERS])
        for i in range(0, len(learners), PROCESS_CHUNK_LEARNERS)
    ]
    results: list[LearnerResult] = []
    try:
        with ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context(PROCESS_START_METHOD),
            initializer=_init_process,
            initargs=(db.url,),
        ) as pool:
            futures: list[Future[list[LearnerResult]]] = [
                pool.submit(_analyze_chunk, chunk, tick) for chunk in chunks
            ]
            for future in as_completed(futures):
                try:
                    results.extend(future.result())
                except Exception as exc:  # a broken pool: the caller analyses the rest
                    log.warning("a pattern analysis process failed: %s", exc)
    except Exception as exc:  # the pool could not start at all
        log.warning("pattern analysis processes unavailable (%s): using threads", exc)
    return results


def analyze_learners(
    db: Database,
    learners: Sequence[str],
    tick: datetime,
    *,
    threads: int = TICK_THREADS,
    processes: int = TICK_PROCESSES,
    process_min_learners: int = PROCESS_MIN_LEARNERS,
) -> list[LearnerResult]:
    """Analyse each learner once for ``tick``: in processes for a large tick, else on threads.

    Results come in the order of ``learners``. Learners a process pool did not finish
    (it failed to start or broke) are analysed on threads afterwards; the service's
    lock and ``lastAnalyzedAt`` re-check skip any that a dying process did commit.
    """
    results: dict[str, LearnerResult] = {}
    if processes >= 1 and len(learners) >= max(process_min_learners, 2):
        for result in _analyze_in_processes(db, learners, tick, processes):
            results[result[0]] = result
    left = [u for u in learners if u not in results]
    for result in _analyze_on_threads(db, left, tick, threads):
        results[result[0]] = result
    return [results[u] for u in learners]


def run_tick(
    db: Database,
    tick: datetime,
    *,
    threads: int = TICK_THREADS,
    processes: int = TICK_PROCESSES,
    process_min_learners: int = PROCESS_MIN_LEARNERS,
) -> TickReport:
    """Select this tick's learners and analyse each once (see the module docstring).

    A tick of at least ``process_min_learners`` learners runs in ``processes`` child
    processes (``processes=0``: never); a smaller one on ``threads`` threads.
    """
    began = time.perf_counter()
    tick = aware_utc(tick)
    report = TickReport(tick=tick)
    learners = [user_id for user_id, _reason in select_learners(db, tick)]
    report.selected = len(learners)
    results = analyze_learners(
        db,
        learners,
        tick,
        threads=threads,
        processes=processes,
        process_min_learners=process_min_learners,
    )
    for user_id, status, detail in results:
        if status is None:
            report.failed[user_id] = detail or "failed"
        elif status == patterns_service.STATUS_ANALYZED:
            report.analyzed.append(user_id)
        elif status == patterns_service.STATUS_INSUFFICIENT:
            report.insufficient.append(user_id)
        else:
            report.skipped[user_id] = detail or status
    report.seconds = time.perf_counter() - began
    return report


def weekly_pattern_analysis(context: JobContext, *, timestamp: int) -> None:
    """The hourly tick: analyse learners at Sunday 23:xx local time, and those with 10 new sessions."""
    serve_tick(context, timestamp, run_tick, log)


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none yet)."""
