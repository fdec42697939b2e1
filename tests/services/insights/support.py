"""A small simulated cohort, analysed once, for the insights service, API, job and CLI tests.

Three learners study for 12 weeks from ``START``; the module fixture loads them, runs the
pattern analysis and the cognitive assessments as of ``END`` (so patterns, insights,
a load profile and burnout assessments exist), and each test gets the database with the
insight tables emptied (:data:`RESET_SQL`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PgServer
from tests.services.patterns_support import rows as rows
from tests.services.patterns_support import scalar as scalar
from twin.db.engine import Database, create_db_engine
from twin.learners import analysis_learner
from twin.services import cognitive as cognitive_service
from twin.services import patterns as patterns_service
from twin.simulate.generate import DEFAULT_START
from twin.simulate.load import load_cohort
from twin.simulate.traits import user_id

SEED = 1906
LEARNERS = 3
WEEKS = 12
START = datetime(DEFAULT_START.year, DEFAULT_START.month, DEFAULT_START.day, tzinfo=UTC)
END = START + timedelta(weeks=WEEKS, hours=12)


def learner(index: int) -> str:
    """Id of the cohort's learner ``index``."""
    return user_id(SEED, index)


RESET_SQL: tuple[str, ...] = (
    "DELETE FROM insight_notifications",
    "DELETE FROM recommendations",
    "DELETE FROM behavioral_goals",
    "DELETE FROM pattern_snapshots",
    "DELETE FROM behavioral_scores",
    "DELETE FROM exam_results",
    "DELETE FROM article_reads",
    "DELETE FROM api_keys",
    'DELETE FROM users WHERE id NOT IN (SELECT "userId" FROM simulation_truth)',
    """UPDATE users u SET "behavioralAnalysisEnabled" = true,
              "learningStyleProfilingEnabled" = true
       FROM simulation_truth t WHERE t."userId" = u.id""",
)
ANALYSED_TABLES = ("behavioral_patterns", "behavioral_insights", "user_learning_profiles")


@pytest.fixture(scope="module")
def insights_module_db(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    """The cohort, analysed as of END, shared by the tests of a module."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    try:
        load_cohort(database, LEARNERS, WEEKS, SEED, workers=0, connections=1)
        for i in range(LEARNERS):
            uid = learner(i)
            with database.session() as session:
                patterns_service.analyze_user(session, uid, now=END, force=True)
            with database.session() as session:
                who = analysis_learner(session, uid)
                cognitive_service.ensure_session_loads(session, who, END - timedelta(days=14), END)
                cognitive_service.burnout_risk(session, who, END)
        yield database
    finally:
        database.close()
        pg_server.drop_database(name)


@pytest.fixture
def insights_db(insights_module_db: Database) -> Database:
    """The analysed cohort with every insight table emptied."""
    with insights_module_db.engine.begin() as conn:
        for statement in RESET_SQL:
            conn.execute(sa.text(statement))
    return insights_module_db


def count(db: Database, table: str, user: str) -> int:
    """Rows of ``user`` in ``table``."""
    return int(scalar(db, f'SELECT count(*) FROM "{table}" WHERE "userId" = :u', u=user))
