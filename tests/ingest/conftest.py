"""Fixtures of the ingestion tests: two learners with a record of every kind.

The two learners' world is ingested once per session into a template database
(itself a clone of the migrated template) and cloned for every test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import PgServer
from tests.ingest.factory import ALICE, BOB, add_learner, build_world
from twin.db.engine import Database, create_db_engine


@pytest.fixture(scope="session")
def world_template(pg_server: PgServer, template_db: str) -> Iterator[str]:
    """A migrated database holding Alice's and Bob's worlds, built through ingest_batch."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    try:
        add_learner(database, ALICE, "Asia/Tokyo")
        add_learner(database, BOB, "UTC")
        build_world(database, ALICE)
        build_world(database, BOB)
    finally:
        database.close()
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def learners(pg_server: PgServer, world_template: str) -> Iterator[Database]:
    """Alice (Asia/Tokyo) and Bob (UTC), each with one record of every kind."""
    name = pg_server.create_database(template=world_template)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    yield database
    database.close()
    pg_server.drop_database(name)
