"""What every job module shares: a task's database and the time of the tick it serves.

**The database inside a job.** Tasks get no database from procrastinate, and a worker's
only configuration is the job App's connection string (the embedded server's URI is
known only at run time). :func:`job_database` reads that connection string back from
the App's open connection pool (the conninfo of its ``PsycopgConnector``), turns it into
a SQLAlchemy URL and builds one :class:`~twin.db.engine.Database` per worker process and
connection string, once (:func:`database_for_app`): one small connection pool per worker
process and database, opened on the first job and disposed with the process
(:func:`close_cached_databases` for tests and shutdown). Tests and tools call each
module's ``run_…`` function with a Database directly.

**The time of a tick.** A periodic task is called with the Unix time of the tick it
serves (:func:`tick_time`), never the clock: a retried or late tick does the work of
its own hour.

**A periodic task's body.** Every periodic task is the same three steps — the worker's
database, the tick's time, a ``run_…`` function whose report's summary is logged —
written once as :func:`serve_tick`; each task is one call of it.

**Learners at a local hour.** The daily runs (struggle at 05:00, insights at 06:00 local)
are an hourly tick that serves the learners whose local hour at the tick is the run's:
:func:`select_learners_at_local_hour` finds them, :func:`run_learner_tick` serves them a
few at a time (threads, one connection each: the runs mostly wait for PostgreSQL) and
fills a :class:`LearnerTickReport`. Each module keeps its own query, per-learner run and
summary line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import psycopg
import sqlalchemy as sa
from procrastinate import App, JobContext

from twin.analysis.common import aware_utc
from twin.db.engine import Database, create_db_engine

# Connections per worker process: the pattern tick runs two learners at a time, plus one.
JOB_DB_POOL_SIZE = 3

_DATABASES: dict[str, Database] = {}
_DATABASES_LOCK = threading.Lock()


def sqlalchemy_url(conninfo: str) -> str:
    """A SQLAlchemy URL (psycopg driver) for a libpq connection string."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    username = params.pop("user", None)
    password = params.pop("password", None)
    database = params.pop("dbname", None)
    url = sa.engine.URL.create(
        "postgresql+psycopg",
        username=None if username is None else str(username),
        password=None if password is None else str(password),
        database=None if database is None else str(database),
        # host (or a socket directory), port, sslmode …: passed to psycopg as they are.
        query={key: str(value) for key, value in params.items() if value is not None},
    )
    return url.render_as_string(hide_password=False)


def app_conninfo(app: App) -> str:
    """The libpq connection string the App's connector was built with."""
    connector: Any = app.connector
    pool_args = getattr(connector, "_pool_args", None)
    conninfo = pool_args.get("conninfo") if isinstance(pool_args, dict) else None
    if not conninfo:
        try:
            conninfo = getattr(connector.pool, "conninfo", None)
        except Exception:  # the pool is created only when the App opens
            conninfo = None
    if not isinstance(conninfo, str) or not conninfo:
        raise RuntimeError(
            "the job App's connector has no connection string; build the App with "
            "twin.jobs.app.create_job_app(database_url)"
        )
    return conninfo


def database_for_app(app: App) -> Database:
    """The engine's database for tasks of ``app`` (built once per worker process)."""
    conninfo = app_conninfo(app)
    with _DATABASES_LOCK:
        db = _DATABASES.get(conninfo)
        if db is None:
            engine = create_db_engine(
                sqlalchemy_url(conninfo), pool_size=JOB_DB_POOL_SIZE, max_overflow=0
            )
            db = _DATABASES[conninfo] = Database(engine=engine)
        return db


def close_cached_databases() -> None:
    """Dispose of the databases built by :func:`database_for_app`."""
    with _DATABASES_LOCK:
        for db in _DATABASES.values():
            db.close()
        _DATABASES.clear()


def job_database(context: JobContext) -> Database:
    """The worker process's Database for the job App's connection string (built once, cached)."""
    return database_for_app(context.app)


def tick_time(timestamp: int | float) -> datetime:
    """The tick's Unix timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, UTC)


class TickReport(Protocol):
    """What a ``run_…`` function of a job module returns: a report with a one-line summary."""

    def summary(self) -> str: ...


def serve_tick(
    context: JobContext,
    timestamp: int,
    run: Callable[[Database, datetime], TickReport],
    log: logging.Logger,
    label: str = "",
) -> None:
    """A periodic task's body: ``run`` on the worker's database at the tick, its summary logged.

    ``label`` starts the log line when the summary does not name the job itself.
    """
    report = run(job_database(context), tick_time(timestamp))
    log.info("%s%s", label, report.summary())


def select_learners_at_local_hour(
    db: Database, select_sql: sa.TextClause, tick: datetime, local_hour: int
) -> list[str]:
    """Ids from ``select_sql`` (binds ``:tick``, a Unix time, and ``:hour``) at ``tick``."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select_sql, {"tick": aware_utc(tick).timestamp(), "hour": local_hour}
        ).all()
    return [r.id for r in rows]


class LearnerOutcome(Protocol):
    """One learner's run in a tick: what happened, as a word (``done``, ``locked`` …)."""

    @property
    def outcome(self) -> str: ...


RunT = TypeVar("RunT", bound=LearnerOutcome)
ReportT = TypeVar("ReportT", bound="LearnerTickReport[Any]")


@dataclass
class LearnerTickReport(Generic[RunT]):
    """What one tick did: a run per learner served, and how long it took."""

    tick: datetime
    runs: list[RunT] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def outcomes(self) -> Counter[str]:
        """Learners per outcome (``done``, ``locked``, ``failed`` …)."""
        return Counter(r.outcome for r in self.runs)

    def learners_line(self) -> str:
        """``N learners (done 2, locked 1)``: the part every tick's summary line starts with."""
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nobody due"
        return f"{len(self.runs)} learners ({parts})"


def run_learner_tick(
    report: ReportT,
    db: Database,
    select_due: Callable[[Database, datetime], list[str]],
    run_one: Callable[[Database, str, datetime], LearnerOutcome],
    *,
    learners: list[str] | None,
    threads: int,
    thread_name_prefix: str,
) -> ReportT:
    """Fill and return ``report``: every due learner (or ``learners``) run at its tick,
    ``threads`` at a time.

    ``run_one`` reports its own errors (one learner's failure must not stop the others).
    """
    began = time.perf_counter()
    tick = report.tick
    due = select_due(db, tick) if learners is None else learners
    if threads <= 1 or len(due) <= 1:
        report.runs = [run_one(db, u, tick) for u in due]
    else:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix=thread_name_prefix) as pool:
            report.runs = list(pool.map(lambda u: run_one(db, u, tick), due))
    report.seconds = time.perf_counter() - began
    return report
