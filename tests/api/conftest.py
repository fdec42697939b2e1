"""API fixtures: an app on the test database, a service key, learner tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from twin.api.app import create_app
from twin.clock import utcnow
from twin.config import Settings, load_settings
from twin.db.engine import Database
from twin.services import auth


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(database=db), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def offline_app() -> FastAPI:
    """The API without a database (its pages and OpenAPI document only), built once.

    Building the OpenAPI document takes most of a second; the database-free tests that read
    it (the document, the pages, the fuzz configuration, the browser) share this one app.
    """
    settings = Settings(database_url=None, data_dir=Path("/nonexistent"))
    return create_app(settings, database=object())  # type: ignore[arg-type]


@pytest.fixture
def service_key(db: Database) -> str:
    with db.session() as session:
        _row, key = auth.create_api_key(session, "test-platform")
    return key


@pytest.fixture
def service_headers(service_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {service_key}"}


@pytest.fixture
def learner_headers(db: Database) -> Callable[..., dict[str, str]]:
    def make(user_id: str, ttl_seconds: int = 600) -> dict[str, str]:
        with db.session() as session:
            secret = auth.token_secret(session, load_settings().secret_key)
        token, _exp = auth.issue_learner_token(secret, user_id, ttl_seconds, utcnow())
        return {"Authorization": f"Bearer {token}"}

    return make


# The real calendar servers (an HTTP feed server and Radicale on loopback) for the schedule tests.
from tests.calendar_servers import caldav_account, feed_server, radicale_server  # noqa: E402

__all__ = ["caldav_account", "feed_server", "radicale_server"]
