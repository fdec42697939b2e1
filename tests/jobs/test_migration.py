"""Migration 0005: procrastinate's schema in, and entirely out again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from twin.db import migrate
from twin.db.base import metadata
from twin.db.engine import Database
from twin.db.verify import verify_database

pytestmark = pytest.mark.db

# Every catalogue object whose name mentions procrastinate (also idx_procrastinate_*).
PROCRASTINATE_OBJECTS_SQL = """
SELECT 'relation ' || c.relkind::text, c.relname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname LIKE '%procrastinate%'
UNION ALL
SELECT 'function', p.proname FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema() AND p.proname LIKE '%procrastinate%'
UNION ALL
SELECT 'type', t.typname FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = current_schema() AND t.typname LIKE '%procrastinate%'
UNION ALL
SELECT 'trigger', tgname FROM pg_trigger WHERE tgname LIKE '%procrastinate%'
UNION ALL
SELECT 'constraint', conname FROM pg_constraint WHERE conname LIKE '%procrastinate%'
"""
QUEUE_TABLES = {
    "procrastinate_jobs",
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
}


def _objects(engine: sa.Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted((str(k), str(n)) for k, n in conn.execute(sa.text(PROCRASTINATE_OBJECTS_SQL)))


def _defer_one_job(engine: sa.Engine) -> int:
    """Defer a job through procrastinate's own SQL function (proves the schema works)."""
    with engine.begin() as conn:
        ids = conn.execute(
            sa.text(
                "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'twin:ping', 0, NULL, "
                'NULL, \'{"message": "x"}\'::jsonb, NULL)]::procrastinate_job_to_defer_v1[])'
            )
        ).scalar_one()
    return int(ids[0])


def test_0005_round_trip_leaves_nothing_behind(empty_db: Database) -> None:
    """0004 → 0005 → 0004 → head: no procrastinate object survives the downgrade."""
    engine = empty_db.engine
    migrate.upgrade(engine, "0004")
    assert _objects(engine) == []
    migrate.upgrade(engine, "0005")
    created = _objects(engine)
    tables = {name for kind, name in created if kind == "relation r"}
    kinds = {kind for kind, _ in created}
    assert tables == QUEUE_TABLES
    assert {"function", "type", "trigger", "relation i", "relation S"} <= kinds
    _defer_one_job(engine)

    migrate.downgrade(engine, "0004")
    assert migrate.current_revision(engine) == "0004"
    assert _objects(engine) == []

    migrate.upgrade(engine, "head")
    assert _objects(engine) == created
    assert _defer_one_job(engine) == 1


def test_full_downgrade_from_head_with_jobs_in_the_queue(db: Database) -> None:
    """Queued jobs do not block the downgrade to base."""
    _defer_one_job(db.engine)
    migrate.downgrade(db.engine, "base")
    assert _objects(db.engine) == []


def test_verify_ignores_the_queue_tables(db: Database) -> None:
    """`twin db verify` checks our model only: the queue's tables do not fail it."""
    report = verify_database(db.engine, planner=False)
    assert report.ok, report.summary()
    assert not any("procrastinate" in c.name for c in report.checks)


def test_autogenerate_sees_the_queue_only_without_the_filter(db: Database) -> None:
    """With include_object no difference; without it, only procrastinate's objects."""
    with db.engine.connect() as conn:
        filtered = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        assert compare_metadata(filtered, metadata) == []
        unfiltered = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(unfiltered, metadata)
    touched = {op[1].name if op[0] == "remove_table" else op[1].table.name for op in diff}
    assert touched == QUEUE_TABLES
