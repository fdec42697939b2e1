"""``twin worker`` (worker_command) as an operator runs it: a process stopped by a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from twin.db import migrate
from twin.db.embedded import EmbeddedPostgres
from twin.db.engine import Database, create_db_engine
from twin.jobs.app import create_job_app, task_name
from twin.jobs.tasks import PING

pytestmark = pytest.mark.db

RUN_COMMAND = "import typer; from twin.cli.jobs import worker_command; typer.run(worker_command)"
WAIT_SECONDS = 20.0


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN_COMMAND, *args],
        env={**os.environ, "TWIN_LOG_LEVEL": "INFO", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_until(predicate: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _job_status(engine: sa.Engine, job_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        ).scalar_one_or_none()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_worker_runs_jobs_until_signalled(
    db: Database, tmp_path: Path, signum: signal.Signals
) -> None:
    """The worker runs a queued ping, then stops on SIGTERM / Ctrl-C and exits 0."""
    with create_job_app(db.url).open() as app:
        job_id = int(app.tasks[task_name(PING)].defer(message="from the test"))
    proc = _start({"TWIN_DATABASE_URL": db.url, "TWIN_DATA_DIR": str(tmp_path)}, "-q", "default")
    try:
        _wait_until(lambda: _job_status(db.engine, job_id) == "succeeded", "the ping job")
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=WAIT_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "ping: from the test" in out
    assert "Stopped worker" in out


def test_worker_refuses_an_unmigrated_database(empty_db: Database, tmp_path: Path) -> None:
    """On a database below head the command says what to run and exits 1."""
    proc = _start({"TWIN_DATABASE_URL": empty_db.url, "TWIN_DATA_DIR": str(tmp_path)})
    out, _ = proc.communicate(timeout=WAIT_SECONDS)
    assert proc.returncode == 1
    assert "run `twin db upgrade`" in " ".join(out.split())


def test_worker_releases_the_embedded_server_on_sigterm(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """With no TWIN_DATABASE_URL the worker's exit stops the embedded server it started."""
    data_dir = tmp_path_factory.mktemp("wk", numbered=True)  # short: the socket lives here
    embedded = EmbeddedPostgres(data_dir)
    engine = create_db_engine(embedded.start())
    migrate.upgrade(engine, "head")
    engine.dispose()
    embedded.release()
    assert not embedded.is_running()

    env = {k: v for k, v in os.environ.items() if k != "TWIN_DATABASE_URL"}
    env.update(TWIN_DATA_DIR=str(data_dir), TWIN_LOG_LEVEL="INFO")
    log_path = data_dir / "worker.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN_COMMAND], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until(lambda: "Starting worker" in log_path.read_text(), "the worker to start")
        assert embedded.is_running()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=WAIT_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = log_path.read_text()
    assert proc.returncode == 0, out
    assert not embedded.is_running(), out
