"""A generic row factory: one plausible row in every table, foreign keys satisfied."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

import twin.db.models  # noqa: F401
from twin.db.base import metadata

USER_ID = "user-rows-1"


def _value(table: sa.Table, column: sa.Column[Any], n: int, user_id: str) -> Any:
    if column.name == "userId" or (table.name == "users" and column.name == "id"):
        return user_id
    if column.name == "id":
        return f"{table.name}-{n}"
    t = column.type
    if isinstance(t, sa.Enum):
        return t.enums[n % len(t.enums)]
    if isinstance(t, pg.JSONB):
        return {"table": table.name, "n": n, "nested": [1, 2.5, "x"]}
    if isinstance(t, pg.ARRAY):
        return [f"{column.name}-a", f"{column.name}-b"]
    if isinstance(t, sa.Boolean):
        return n % 2 == 0
    if isinstance(t, sa.Integer):
        return 3 + n
    if isinstance(t, sa.Float):
        return 0.25 + n / 100
    if isinstance(t, sa.DateTime):
        return datetime(2026, 1, 2, 3, 4, 5, 678000)
    if isinstance(t, sa.Date):
        return date(2026, 1, 5)
    if column.name == "email":
        return f"learner{n}@example.org"
    if column.name == "timezone":
        return "Europe/Berlin"
    return f"{table.name}.{column.name}.{n}"


def insert_one_row_everywhere(
    conn: sa.Connection,
    *,
    n: int = 1,
    user_id: str = USER_ID,
    skip: tuple[str, ...] = (),
    parents: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Insert one row into every table of the model; return them by table name."""
    rows: dict[str, dict[str, Any]] = dict(parents or {})
    for table in metadata.sorted_tables:
        if table.name in skip:
            continue
        row: dict[str, Any] = {}
        for column in table.columns:
            fks = list(column.foreign_keys)
            if fks:
                target = fks[0].column.table.name
                row[column.name] = rows[target]["id"]
            else:
                row[column.name] = _value(table, column, n, user_id)
        conn.execute(table.insert().values(**row))
        rows[table.name] = row
    return rows


def table_contents(conn: sa.Connection, table_name: str) -> list[dict[str, Any]]:
    """Every row of a table as dicts, ordered by id."""
    result = conn.execute(sa.text(f'SELECT * FROM "{table_name}" ORDER BY id'))
    return [dict(r._mapping) for r in result]
