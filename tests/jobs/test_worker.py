"""Workers: run jobs in process and in a thread, stop cleanly, never double a periodic tick."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import NoReturn

import pytest
import sqlalchemy as sa
from procrastinate.periodic import PeriodicDeferrer

from twin.db.engine import Database
from twin.jobs import tasks
from twin.jobs import worker as worker_module
from twin.jobs.app import create_job_app, task_name
from twin.jobs.housekeeping import FINISHED_JOB_RETENTION_HOURS, remove_finished_jobs
from twin.jobs.tasks import PING
from twin.jobs.worker import run_worker, start_worker_in_background

pytestmark = pytest.mark.db

HOUSEKEEPING = task_name("housekeeping")
# A tick of the housekeeping cron far from the wall clock (11:07:00 UTC, Sunday 4 Jan 2026).
TICK = int(datetime(2026, 1, 4, 11, 7, tzinfo=UTC).timestamp())
NEXT_TICK = TICK + 3600
WAIT_SECONDS = 15.0


def _defer_ping(url: str, message: str) -> int:
    with create_job_app(url).open() as app:
        return int(app.tasks[task_name(PING)].defer(message=message))


def _status(db: Database, job_id: int) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        ).scalar_one_or_none()


def _wait_for_status(db: Database, job_id: int, status: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while _status(db, job_id) != status:
        assert time.monotonic() < deadline, f"job {job_id} never reached {status}"
        time.sleep(0.05)


def _registered_workers(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM procrastinate_workers")).scalar_one())


def test_deferred_ping_is_run_by_an_in_process_worker(db: Database) -> None:
    """A worker with wait=False runs the queued ping and returns once the queue is empty."""
    job_id = _defer_ping(db.url, "hello")
    assert _status(db, job_id) == "todo"
    run_worker(db.url, wait=False, install_signal_handlers=False)
    assert _status(db, job_id) == "succeeded"
    assert _registered_workers(db) == 0


def test_worker_listens_only_to_its_queues(db: Database) -> None:
    """A worker on another queue leaves the default queue's ping alone."""
    job_id = _defer_ping(db.url, "not for you")
    run_worker(db.url, queues=["elsewhere"], wait=False, install_signal_handlers=False)
    assert _status(db, job_id) == "todo"


def test_background_worker_runs_jobs_and_stops_cleanly(db: Database) -> None:
    """The thread's worker picks up a job deferred after it started; stop() ends the thread."""
    worker = start_worker_in_background(db.url)
    try:
        assert worker.running
        job_id = _defer_ping(db.url, "in the background")
        _wait_for_status(db, job_id, "succeeded")
    finally:
        worker.stop(timeout=WAIT_SECONDS)
    assert not worker.running
    assert worker.error is None
    assert _registered_workers(db) == 0
    worker.stop()  # a second stop is harmless


def test_background_stop_waits_for_the_job_in_hand(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stop() during a job returns only after that job has finished (and succeeded)."""
    started, release = threading.Event(), threading.Event()

    def slow_ping(message: str) -> str:
        started.set()
        release.wait(WAIT_SECONDS)
        return message

    monkeypatch.setattr(tasks, "ping", slow_ping)
    worker = start_worker_in_background(db.url)
    job_id = _defer_ping(db.url, "slow")
    assert started.wait(WAIT_SECONDS)
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    time.sleep(0.3)
    assert stopper.is_alive(), "stop() returned while the job was still running"
    assert _status(db, job_id) == "doing"
    release.set()
    stopper.join(WAIT_SECONDS)
    assert not stopper.is_alive() and not worker.running
    assert _status(db, job_id) == "succeeded"


def test_background_worker_start_raises_when_the_worker_cannot_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """start() re-raises a start-up failure instead of leaving a dead thread behind."""

    def broken_app(database_url: str, **kwargs: object) -> NoReturn:
        raise RuntimeError(f"no queue at {database_url}")

    monkeypatch.setattr(worker_module, "create_job_app", broken_app)
    with pytest.raises(RuntimeError, match="no queue at postgresql://nowhere"):
        start_worker_in_background("postgresql://nowhere")


async def _defer_tick_from_two_apps(url: str, timestamps: list[int]) -> None:
    """Two apps (as two workers would) defer the same housekeeping ticks concurrently."""
    apps = [create_job_app(url), create_job_app(url)]
    for app in apps:
        await app.open_async()
    try:
        deferrers = [PeriodicDeferrer(registry=app.periodic_registry, max_delay=0) for app in apps]
        for timestamp in timestamps:
            await asyncio.gather(
                *(
                    deferrer.defer_jobs(
                        [
                            (pt, timestamp)
                            for pt in deferrer.registry.periodic_tasks.values()
                            if pt.task.name == HOUSEKEEPING
                        ]
                    )
                    for deferrer in deferrers
                )
            )
    finally:
        for app in apps:
            await app.close_async()


def _housekeeping_jobs(db: Database) -> list[tuple[int, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT (args->>'timestamp')::bigint, status::text FROM procrastinate_jobs "
                "WHERE task_name = :name ORDER BY id"
            ),
            {"name": HOUSEKEEPING},
        ).all()
    return [(int(ts), str(status)) for ts, status in rows]


def test_two_workers_defer_a_periodic_tick_once(db: Database) -> None:
    """Deferring the same tick twice creates one job (procrastinate's unique periodic defer)."""
    asyncio.run(_defer_tick_from_two_apps(db.url, [TICK, TICK]))
    assert _housekeeping_jobs(db) == [(TICK, "todo")]
    with db.engine.connect() as conn:
        defers = conn.execute(
            sa.text(
                "SELECT count(*) FROM procrastinate_periodic_defers "
                "WHERE task_name = :name AND defer_timestamp = :ts"
            ),
            {"name": HOUSEKEEPING, "ts": TICK},
        ).scalar_one()
    assert defers == 1


def test_queueing_lock_skips_a_tick_while_the_last_one_waits(db: Database) -> None:
    """While one housekeeping job waits in the queue, the next tick adds no second one."""
    asyncio.run(_defer_tick_from_two_apps(db.url, [TICK, NEXT_TICK]))
    assert _housekeeping_jobs(db) == [(TICK, "todo")]


def _backdate(db: Database, job_id: int, hours: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE procrastinate_events SET at = at - make_interval(hours => :h) "
                "WHERE job_id = :id"
            ),
            {"h": hours, "id": job_id},
        )


def test_housekeeping_deletes_only_jobs_finished_over_a_week_ago(db: Database) -> None:
    """Old finished jobs go, recent ones and waiting ones stay; counts are per status."""
    old, recent = _defer_ping(db.url, "old"), _defer_ping(db.url, "recent")
    run_worker(db.url, wait=False, install_signal_handlers=False)
    _backdate(db, old, FINISHED_JOB_RETENTION_HOURS + 1)
    _backdate(db, recent, FINISHED_JOB_RETENTION_HOURS - 1)
    waiting = _defer_ping(db.url, "waiting")
    _backdate(db, waiting, FINISHED_JOB_RETENTION_HOURS + 1)

    async def remove() -> dict[str, int]:
        async with create_job_app(db.url).open_async() as app:
            return await remove_finished_jobs(app)

    assert asyncio.run(remove()) == {"succeeded": 1}
    assert (_status(db, old), _status(db, recent), _status(db, waiting)) == (
        None,
        "succeeded",
        "todo",
    )


def test_housekeeping_job_runs_on_a_worker(db: Database) -> None:
    """The periodic task itself, deferred for a tick, runs and prunes the queue."""
    old = _defer_ping(db.url, "old")
    run_worker(db.url, wait=False, install_signal_handlers=False)
    _backdate(db, old, FINISHED_JOB_RETENTION_HOURS + 1)
    with create_job_app(db.url).open() as app:
        app.tasks[HOUSEKEEPING].defer(timestamp=TICK)
    run_worker(db.url, wait=False, install_signal_handlers=False)
    assert _status(db, old) is None
    assert (TICK, "succeeded") in _housekeeping_jobs(db)
