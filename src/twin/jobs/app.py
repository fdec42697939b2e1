"""The job queue's App, built by a factory from the database URL (nothing at import)."""

from __future__ import annotations

import psycopg.conninfo
from procrastinate import App, PsycopgConnector
from sqlalchemy.engine import make_url

from twin.db.engine import normalize_url
from twin.jobs.tasks import build_blueprint

# Every engine task is registered as ``twin:<name>``.
TASK_NAMESPACE = "twin"
# Connections of one App's pool: the worker's loop, heartbeat, abort poller and
# periodic deferrer share them with the jobs that finish concurrently.
DEFAULT_MAX_CONNECTIONS = 10


def task_name(name: str) -> str:
    """The full name of an engine task inside an App (``twin:<name>``)."""
    return f"{TASK_NAMESPACE}:{name}"


def libpq_conninfo(database_url: str) -> str:
    """A libpq conninfo string for a SQLAlchemy PostgreSQL URL (any driver suffix)."""
    url = make_url(normalize_url(database_url))
    params: dict[str, str] = {}
    if url.host:
        params["host"] = url.host
    if url.port is not None:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = url.username
    if url.password:
        params["password"] = str(url.password)
    if url.database:
        params["dbname"] = url.database
    # Query parameters are libpq keywords already (host=/socket/dir, sslmode=…).
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else ",".join(value)
    return psycopg.conninfo.make_conninfo(**params)


def create_job_app(database_url: str, *, max_connections: int = DEFAULT_MAX_CONNECTIONS) -> App:
    """A procrastinate App on ``database_url`` with every engine task registered."""
    connector = PsycopgConnector(
        conninfo=libpq_conninfo(database_url), min_size=1, max_size=max_connections
    )
    app = App(connector=connector)
    app.add_tasks_from(build_blueprint(), namespace=TASK_NAMESPACE)
    return app
