"""`twin db verify`: passes on a fresh database, fails naming what is wrong."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from twin.db.engine import Database
from twin.db.query_patterns import EPIC5_INDEXES, QUERY_PATTERNS
from twin.db.verify import check_planner, verify_database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


def test_verify_passes_on_a_fresh_database(db: Database) -> None:
    report = verify_database(db.engine)
    assert report.ok, report.summary()
    categories = {c.category for c in report.checks}
    assert categories == {"table", "enum", "0002", "0002 index", "planner"}
    assert len([c for c in report.checks if c.category == "0002 index"]) == 12
    assert len([c for c in report.checks if c.category == "planner"]) == len(QUERY_PATTERNS)
    assert "0 failed" in report.summary()


def test_verify_leaves_no_trace(db: Database) -> None:
    verify_database(db.engine)
    with db.engine.connect() as conn:
        schemas = conn.execute(
            sa.text("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'twin_verify_%'")
        ).scalar_one()
        events = conn.execute(sa.text("SELECT count(*) FROM behavioral_events")).scalar_one()
    assert (schemas, events) == (0, 0)


@pytest.mark.parametrize("index", EPIC5_INDEXES[:3] + EPIC5_INDEXES[-1:], ids=lambda i: i.name)
def test_verify_fails_naming_a_dropped_index(db: Database, index: object) -> None:
    name = index.name  # type: ignore[attr-defined]
    with db.engine.begin() as conn:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    report = verify_database(db.engine)
    assert not report.ok
    failed = {c.name for c in report.failed}
    assert name in failed
    assert name in report.summary()
    # The planner check of the query that index served fails too, naming the index it expected.
    planner_failures = [c for c in report.failed if c.category == "planner"]
    assert any(name in c.detail for c in planner_failures)


def test_verify_names_a_wrong_column(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE experiment_assignments ALTER COLUMN metrics TYPE json"))
        conn.execute(sa.text('ALTER TABLE recommendations ALTER COLUMN "appliedAt" SET NOT NULL'))
    report = verify_database(db.engine, planner=False)
    failed = {c.name: c.detail for c in report.failed}
    assert "experiment_assignments.metrics" in failed
    assert "metrics: is json NULL, expected JSONB NULL" in failed["experiment_assignments"]
    assert "appliedAt: is timestamp(3) without time zone NOT NULL" in failed["recommendations"]


def test_verify_names_a_wrong_fk_rule(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "ALTER TABLE experiment_assignments "
                'DROP CONSTRAINT "experiment_assignments_experimentId_fkey"'
            )
        )
        conn.execute(
            sa.text(
                "ALTER TABLE experiment_assignments "
                'ADD CONSTRAINT "experiment_assignments_experimentId_fkey" '
                'FOREIGN KEY ("experimentId") REFERENCES personalization_experiments(id) '
                "ON DELETE RESTRICT"
            )
        )
    report = verify_database(db.engine, planner=False)
    failed = {c.name: c.detail for c in report.failed}
    assert "ON DELETE RESTRICT" in failed["experiment_assignments_experimentId_fkey"]


def test_verify_names_a_changed_enum(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TYPE \"Severity\" ADD VALUE 'EXTREME'"))
    report = verify_database(db.engine, planner=False)
    assert [c.name for c in report.failed] == ["Severity"]


def test_planner_check_catches_a_useless_index(db: Database) -> None:
    """A pattern whose index cannot serve it is reported, not waved through."""
    wrong = QUERY_PATTERNS[0].__class__(
        key="wrong",
        title="wrong index for this query",
        index_name="behavioral_events_userId_dayOfWeek_idx",
        table="behavioral_events",
        sql='SELECT id FROM behavioral_events WHERE "timestamp" >= :since LIMIT 5',
    )
    with db.engine.connect() as conn:
        checks = list(check_planner(conn, [wrong]))
        conn.rollback()
    assert not checks[0].ok
    assert "expected behavioral_events_userId_dayOfWeek_idx" in checks[0].detail
