"""Migrations: round trip with data in every table, 0002 exactly, parity with the models."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.db.rows import insert_one_row_everywhere, table_contents
from twin.db import migrate
from twin.db.base import metadata
from twin.db.engine import Database
from twin.db.query_patterns import EPIC5_INDEXES

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

# Columns that 0002 adds: their values are expected to be lost by a downgrade to 0001.
EPIC5_COLUMNS = {
    ("experiment_assignments", "metrics"),
    ("study_schedule_recommendations", "appliedAt"),
}
# Columns later revisions add to tables of 0001: a downgrade to 0001 loses their values too.
LATER_COLUMNS = {
    ("personalization_experiments", c)
    for c in ("salt", "definition", "createdBy", "stoppedAt", "metricsAsOf", "result")  # 0011
}


# The learning-science articles that migration 0012 loads (ids ``article-<slug>``).
SHIPPED_ARTICLE_PREFIX = "article-"


def _snapshot(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    return {
        t.name: [
            {k: v for k, v in row.items() if (t.name, k) not in EPIC5_COLUMNS | LATER_COLUMNS}
            for row in table_contents(conn, t.name)
            if not (
                t.name == "learning_articles" and str(row["id"]).startswith(SHIPPED_ARTICLE_PREFIX)
            )
        ]
        for t in metadata.sorted_tables
    }


def _epic5_state(conn: sa.Connection) -> dict[str, bool]:
    names = {
        r[0]
        for r in conn.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        )
    }
    cols = {
        (r[0], r[1])
        for r in conn.execute(
            sa.text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema()"
            )
        )
    }
    fk = conn.execute(
        sa.text(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conname = 'experiment_assignments_experimentId_fkey'"
        )
    ).scalar_one()
    state = {ix.name: ix.name in names for ix in EPIC5_INDEXES}
    state.update({f"{t}.{c}": (t, c) in cols for t, c in EPIC5_COLUMNS})
    state["experiment_assignments_experimentId_fkey"] = fk == 1
    return state


def test_round_trip_keeps_every_row(db: Database) -> None:
    """head → 0001 → head on a database with a row in every table loses only 0002 values."""
    with db.engine.begin() as conn:
        inserted = insert_one_row_everywhere(conn)
        before = _snapshot(conn)
    assert inserted["experiment_assignments"]["metrics"] is not None
    assert all(len(rows) == 1 for rows in before.values()), "one row per table expected"
    assert len(before) == len(metadata.tables)

    migrate.downgrade(db.engine, migrate.BASELINE)
    with db.engine.connect() as conn:
        assert migrate.current_revision(db.engine) == "0001"
        assert not any(_epic5_state(conn).values()), _epic5_state(conn)
        # Tables of 0001 keep their rows through the downgrade.
        at_0001 = {
            r[0]
            for r in conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        } & set(metadata.tables)
        assert len(at_0001) == 41  # the 30 seed models + 11 supporting models
        for name in sorted(at_0001):
            assert conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one() == 1

    migrate.upgrade(db.engine, "head")
    with db.engine.connect() as conn:
        assert all(_epic5_state(conn).values()), _epic5_state(conn)
        after = _snapshot(conn)
        # 0002 columns come back empty; everything else is exactly as before, except the
        # tables created after 0001 (dropped on the way down, so empty now).
        recreated = set(metadata.tables) - at_0001
        for name, rows in before.items():
            if name in recreated:
                assert after[name] == []
                continue
            if name == "users":
                # users.timezone (0003) returns with its default.
                rows = [{**r, "timezone": "UTC"} for r in rows]
            # Columns 0013 adds to seed tables come back empty, like 0002's.
            if name == "personalization_outcomes":
                rows = [{**r, "decisionId": None, "personalizationLevel": None} for r in rows]
            if name == "personalization_preferences":
                rows = [{**r, "pausedUntil": None} for r in rows]
            assert after[name] == rows, name
        assert conn.execute(sa.text("SELECT metrics FROM experiment_assignments")).scalar() is None


def test_0002_downgrade_removes_exactly_its_objects(db: Database) -> None:
    """Only the 0002 objects differ between revisions 0001 and 0002."""

    def catalog(conn: sa.Connection) -> set[tuple[str, ...]]:
        idx = conn.execute(
            sa.text("SELECT 'index', indexname FROM pg_indexes WHERE schemaname = current_schema()")
        ).all()
        cols = conn.execute(
            sa.text(
                "SELECT 'column', table_name || '.' || column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema()"
            )
        ).all()
        cons = conn.execute(
            sa.text(
                "SELECT 'constraint', conname FROM pg_constraint c "
                "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()"
            )
        ).all()
        return {tuple(r) for r in [*idx, *cols, *cons]}

    migrate.downgrade(db.engine, "0002")
    with db.engine.connect() as conn:
        at_0002 = catalog(conn)
    migrate.downgrade(db.engine, "0001")
    with db.engine.connect() as conn:
        at_0001 = catalog(conn)
    added = at_0002 - at_0001
    assert at_0001 <= at_0002
    expected = {("index", ix.name) for ix in EPIC5_INDEXES}
    expected |= {("column", "experiment_assignments.metrics")}
    expected |= {("column", "study_schedule_recommendations.appliedAt")}
    expected |= {("constraint", "experiment_assignments_experimentId_fkey")}
    assert added == expected
    assert len([a for a in added if a[0] == "index"]) == 12


def test_0002_refuses_orphaned_assignments(db: Database) -> None:
    """The FK cannot be added over orphans: the upgrade says so instead of deleting rows."""
    migrate.downgrade(db.engine, "0001")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO experiment_assignments (id, "experimentId", "userId", "variantId") '
                "VALUES ('a1', 'no-such-experiment', 'u1', 'v1')"
            )
        )
    with pytest.raises(RuntimeError, match="1 experiment_assignments rows reference"):
        migrate.upgrade(db.engine, "0002")
    assert migrate.current_revision(db.engine) == "0001"
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM experiment_assignments")).scalar() == 1


def test_models_and_migrations_agree(db: Database) -> None:
    """Alembic autogenerate against the migrated database reports no difference."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        assert compare_metadata(context, metadata) == []


def test_full_downgrade_and_upgrade_from_empty(empty_db: Database) -> None:
    """base → head → base leaves no table or enum type of ours; history lists every revision."""
    migrate.upgrade(empty_db.engine, "head")
    assert migrate.current_revision(empty_db.engine) == migrate.head_revision()
    migrate.downgrade(empty_db.engine, "base")
    with empty_db.engine.connect() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        ).scalar_one()
        enums = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = current_schema() AND t.typtype = 'e'"
            )
        ).scalar_one()
    assert (tables, enums) == (0, 0)
    revisions = [r.revision for r in migrate.history(empty_db.engine)]
    assert revisions[:4] == ["0001", "0002", "0003", "0004"]
    assert not any(r.applied for r in migrate.history(empty_db.engine))
