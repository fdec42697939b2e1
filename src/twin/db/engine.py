"""Database connection: resolve the URL (embedded or ``TWIN_DATABASE_URL``), check the server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from twin.config import Settings
from twin.db.embedded import EmbeddedPostgres
from twin.errors import DatabaseUnavailable

MIN_SERVER_VERSION_NUM = 140000


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver whatever scheme the user wrote."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def create_db_engine(url: str, **kw: object) -> sa.Engine:
    """A SQLAlchemy engine with the engine's defaults (UTC session time zone)."""
    return sa.create_engine(
        normalize_url(url),
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC"},
        **kw,
    )


def check_server(engine: sa.Engine) -> int:
    """Connect once; fail clearly if unreachable or older than PostgreSQL 14; return version_num."""
    try:
        with engine.connect() as conn:
            version_num = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
            version = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {describe_url(str(engine.url))}: {reason}. "
            "Check that the server is running and TWIN_DATABASE_URL is right "
            "(or unset it to use the embedded server)."
        ) from exc
    if version_num < MIN_SERVER_VERSION_NUM:
        raise DatabaseUnavailable(
            f"PostgreSQL {version} at {describe_url(str(engine.url))} is too old: "
            "the engine needs PostgreSQL 14 or newer."
        )
    return version_num


@dataclass
class Database:
    """The engine's database: SQLAlchemy engine, session factory, embedded server if any."""

    engine: sa.Engine
    embedded: EmbeddedPostgres | None = None
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The connection URL, password included (for child tools such as Alembic)."""
        return self.engine.url.render_as_string(hide_password=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        """Dispose of connections and release the embedded server (stopping it if last user)."""
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.release()


def open_database(settings: Settings) -> Database:
    """Connect to ``TWIN_DATABASE_URL``, or start/attach the embedded server."""
    embedded: EmbeddedPostgres | None = None
    if settings.database_url is None:
        embedded = EmbeddedPostgres(settings.data_dir)
        url = embedded.start()
    else:
        url = settings.database_url
    engine = create_db_engine(url)
    try:
        check_server(engine)
    except DatabaseUnavailable:
        engine.dispose()
        if embedded is not None:
            embedded.release()
        raise
    return Database(engine=engine, embedded=embedded)
