"""A small simulated cohort for the pattern service, API and job tests (no tests here).

The cohort is generated and loaded once per test module into a database (a clone of
the migrated template); before each test that asks for ``cohort_db`` the rows the
tests write are deleted and the learners' settings put back (:data:`RESET_SQL`). Its learners study for 10 weeks from :data:`START`, so at :data:`END`
each has a full analysis' worth of data (6 weeks, 20 sessions, 50 reviews).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import PgServer
from twin.db.engine import Database, create_db_engine
from twin.simulate.generate import DEFAULT_START
from twin.simulate.load import load_cohort
from twin.simulate.traits import user_id

SEED = 515
LEARNERS = 3
WEEKS = 10
START = datetime(DEFAULT_START.year, DEFAULT_START.month, DEFAULT_START.day, tzinfo=UTC)
# Noon UTC after the last local day, whatever the learner's time zone.
END = START + timedelta(weeks=WEEKS, hours=12)


def learner(index: int) -> str:
    """Id of the cohort's learner ``index``."""
    return user_id(SEED, index)


# What the tests change, put back before each test (cheaper than a fresh database copy:
# copying or dropping a database with data forces a server checkpoint).
RESET_SQL: tuple[str, ...] = (
    "DELETE FROM behavioral_insights",  # insight_patterns go with them
    "DELETE FROM behavioral_patterns",
    "DELETE FROM user_learning_profiles",
    "DELETE FROM learner_memory_models",
    "DELETE FROM api_keys",
    'DELETE FROM users WHERE id NOT IN (SELECT "userId" FROM simulation_truth)',
    """UPDATE users u SET timezone = t.traits->>'timezone', "behavioralAnalysisEnabled" = true,
              "learningStyleProfilingEnabled" = true, "shareAnonymizedPatterns" = false
       FROM simulation_truth t WHERE t."userId" = u.id""",
)


@pytest.fixture(scope="module")
def cohort_module_db(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    """A migrated database holding the simulated cohort, shared by the tests of a module."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    try:
        load_cohort(database, LEARNERS, WEEKS, SEED, workers=0, connections=1)
        yield database
    finally:
        database.close()
        pg_server.drop_database(name)


@pytest.fixture
def cohort_db(cohort_module_db: Database) -> Database:
    """The cohort database with everything a test may have changed put back."""
    with cohort_module_db.engine.begin() as conn:
        for statement in RESET_SQL:
            conn.execute(sa.text(statement))
    return cohort_module_db


def scalar(db: Database, sql: str, **params: Any) -> Any:
    """One value of a query."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def rows(db: Database, sql: str, **params: Any) -> list[Any]:
    """All rows of a query."""
    with db.engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def execute(db: Database, sql: str, **params: Any) -> None:
    """Run a statement and commit."""
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def count_rows(db: Database, table: str, user: str) -> int:
    """Rows of ``user`` in ``table``."""
    return int(scalar(db, f'SELECT count(*) FROM "{table}" WHERE "userId" = :u', u=user))


def naive(ts: datetime) -> datetime:
    """Naive UTC (the storage convention)."""
    return ts.astimezone(UTC).replace(tzinfo=None)
