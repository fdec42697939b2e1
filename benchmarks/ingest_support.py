"""Shared pieces of the benchmarks: a fresh or scratch database, the machine, JSON results."""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from twin.config import Settings
from twin.db import migrate
from twin.db.embedded import EmbeddedPostgres
from twin.db.engine import Database, create_db_engine, normalize_url, open_database

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SHARED_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
REVLOG_CSV = SHARED_DATA_DIR / "revlog_single_learner.csv"


@contextmanager
def fresh_database() -> Iterator[tuple[Database, str]]:
    """A new, migrated database and a description of where it runs.

    Embedded PostgreSQL in a temporary directory by default; with
    ``TWIN_DATABASE_URL`` a temporary database on that server (created and dropped).
    """
    url = os.environ.get("TWIN_DATABASE_URL")
    if url:
        admin = create_db_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
        name = f"twin_bench_{secrets.token_hex(4)}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        target = make_url(normalize_url(url)).set(database=name)
        engine = create_db_engine(target.render_as_string(hide_password=False))
        try:
            migrate.upgrade(engine, "head")
            yield Database(engine=engine), f"TWIN_DATABASE_URL (temporary database {name})"
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    with tempfile.TemporaryDirectory(prefix="twin-bench-") as tmp:
        embedded = EmbeddedPostgres(Path(tmp))
        engine = create_db_engine(embedded.start())
        database = Database(engine=engine, embedded=embedded)
        try:
            migrate.upgrade(engine, "head")
            yield database, "embedded PostgreSQL (temporary directory)"
        finally:
            database.close()


@contextmanager
def scratch_database(
    database_url: str | None, *, keep: bool = False, prefix: str = "twin-bench-"
) -> Iterator[tuple[Database, str]]:
    """A migrated database for a quality/speed benchmark, and a description of where it runs.

    ``database_url`` (or ``TWIN_DATABASE_URL``) is used as it is; otherwise an embedded
    server in a new temporary directory, removed afterwards unless ``keep``.
    """
    url = database_url or os.environ.get("TWIN_DATABASE_URL") or None
    data_dir = Path(tempfile.mkdtemp(prefix=prefix)) if url is None else None
    db = open_database(Settings(database_url=url, data_dir=data_dir or Path(".")))
    try:
        migrate.upgrade(db.engine, "head")
        yield db, (f"embedded PostgreSQL in {data_dir}" if url is None else "TWIN_DATABASE_URL")
    finally:
        db.close()
        if data_dir is not None and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def host_machine() -> dict[str, Any]:
    """What the numbers were measured on, without a database: CPU, memory, OS, Python, load."""
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "loadAverage": load,
    }


def machine(db: Database, where: str) -> dict[str, Any]:
    """What the numbers were measured on, with the database server."""
    with db.engine.connect() as conn:
        server = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
    return {**host_machine(), "postgresql": server, "database": where}


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
