"""job queue: procrastinate's schema (tables, types, functions, triggers).

The SQL is procrastinate's own ``sql/schema.sql``, read from the installed package
when the migration runs (procrastinate's ``apply_schema`` cannot run twice, so the
engine applies it once, here, inside this migration's transaction). Upgrading
procrastinate to a version that changes its schema needs a later migration that
applies procrastinate's own ``sql/migrations`` scripts for that step.

The downgrade drops every object named ``procrastinate_*`` in the schema, found
through the catalogue, so it also removes objects a later procrastinate migration
may have added.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# LIKE pattern of every object procrastinate creates (the underscore escaped).
PREFIX_PATTERN = "procrastinate\\_%"


def upgrade() -> None:
    """Create procrastinate's tables, types, functions and triggers."""
    from procrastinate.schema import SchemaManager

    # Sent as one simple-protocol script: no bind parameters, so '%' and ':' stay literal.
    op.get_bind().exec_driver_sql(
        SchemaManager.get_schema(), execution_options={"no_parameters": True}
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def downgrade() -> None:
    """Drop every procrastinate object: functions (with their triggers), tables, types."""
    conn = op.get_bind()
    params = {"pattern": PREFIX_PATTERN}
    functions = conn.execute(
        sa.text(
            """
            SELECT p.proname, pg_get_function_identity_arguments(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema() AND p.proname LIKE :pattern
            ORDER BY p.proname
            """
        ),
        params,
    ).all()
    for name, args in functions:
        # CASCADE reaches only the triggers that call the function (procrastinate's own).
        op.execute(f"DROP FUNCTION {_quote(name)}({args}) CASCADE")
    tables = conn.execute(
        sa.text(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
              AND c.relname LIKE :pattern
            ORDER BY c.relname
            """
        ),
        params,
    ).scalars()
    names = ", ".join(_quote(t) for t in tables)
    if names:
        # One statement, so the foreign keys between the tables need no ordering.
        op.execute(f"DROP TABLE {names}")
    types = conn.execute(
        sa.text(
            """
            SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_class c ON c.oid = t.typrelid
            WHERE n.nspname = current_schema() AND t.typname LIKE :pattern
              AND (t.typtype = 'e' OR (t.typtype = 'c' AND c.relkind = 'c'))
            ORDER BY t.typname
            """
        ),
        params,
    ).scalars()
    names = ", ".join(_quote(t) for t in types)
    if names:
        op.execute(f"DROP TYPE {names}")
