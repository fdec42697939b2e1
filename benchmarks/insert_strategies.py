"""Which set-based statement inserts a 5,000-event batch fastest? (the choice in twin.ingest.tables)

    python -m benchmarks.insert_strategies

Compares, on the real ``behavioral_events`` table with its indexes, the same
idempotent upsert fed by

- ``unnest`` over array parameters sent as text,
- ``unnest`` over array parameters sent binary (``%b``),
- ``COPY`` (text and binary) into a temporary table, then ``INSERT … SELECT``.

Rounds alternate the order; prints the median events/s of each.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

import psycopg
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from benchmarks.ingest_support import fresh_database

BATCH = 5000
BATCHES_PER_ROUND = 8
ROUNDS = 6
LEARNER = "strategy-bench"
START = datetime(2024, 1, 1)
EVENT_TYPES = ("CARD_REVIEWED", "SESSION_STARTED", "SEARCH_PERFORMED")
COLUMNS = ("id", "et", "d", "ts", "tod", "dow", "ct")
PG_TYPES = ("text", "text", "text", "timestamp", "int4", "int4", "text")

_TARGET = (
    'INSERT INTO behavioral_events AS t (id, "userId", "eventType", "eventData", timestamp, '
    '"timeOfDay", "dayOfWeek", "contentType") '
    'SELECT v.id, %(user)s::text, v.et::"EventType", v.d::jsonb, v.ts, v.tod, v.dow, v.ct FROM {source} '
    'ON CONFLICT (id) DO UPDATE SET "eventType" = EXCLUDED."eventType", '
    '"eventData" = EXCLUDED."eventData", timestamp = EXCLUDED.timestamp '
    'WHERE t."userId" = EXCLUDED."userId" AND ROW(t."eventType", t."eventData", t.timestamp) '
    'IS DISTINCT FROM ROW(EXCLUDED."eventType", EXCLUDED."eventData", EXCLUDED.timestamp) '
    "RETURNING t.id"
)


def _unnest_sql(marker: str) -> str:
    arrays = ", ".join(f"%({c}){marker}::{t}[]" for c, t in zip(COLUMNS, PG_TYPES, strict=True))
    return _TARGET.format(source=f"unnest({arrays}) AS v({', '.join(COLUMNS)})")


def make_batch(number: int) -> dict[str, list[Any]]:
    """Column arrays of one batch of events."""
    stamps = [START + timedelta(seconds=number * BATCH + i) for i in range(BATCH)]
    return {
        "id": [f"e{number}-{i}" for i in range(BATCH)],
        "et": [EVENT_TYPES[i % len(EVENT_TYPES)] for i in range(BATCH)],
        "d": [json.dumps({"cardId": f"c{i}", "rating": "GOOD"}) for i in range(BATCH)],
        "ts": stamps,
        "tod": [s.hour for s in stamps],
        "dow": [s.weekday() for s in stamps],
        "ct": [None] * BATCH,
    }


Strategy = Callable[[psycopg.Connection[Any], dict[str, list[Any]]], int]


def unnest(marker: str) -> Strategy:
    """One upsert over unnested array parameters (``s`` text or ``b`` binary)."""
    sql = _unnest_sql(marker)

    def run(conn: psycopg.Connection[Any], batch: dict[str, list[Any]]) -> int:
        return len(conn.execute(sql, {**batch, "user": LEARNER}).fetchall())

    return run


def copy(binary: bool) -> Strategy:
    """COPY into a temporary table, then one upsert from it."""
    table = "bench_events_b" if binary else "bench_events_t"
    sql = _TARGET.format(source=f"{table} v")

    def run(conn: psycopg.Connection[Any], batch: dict[str, list[Any]]) -> int:
        columns = ", ".join(f"{c} {t}" for c, t in zip(COLUMNS, PG_TYPES, strict=True))
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({columns}) ON COMMIT DELETE ROWS")
        with conn.cursor() as cur:
            options = " (FORMAT BINARY)" if binary else ""
            with cur.copy(f"COPY {table} FROM STDIN{options}") as cp:
                if binary:
                    cp.set_types(list(PG_TYPES))
                for row in zip(*(batch[c] for c in COLUMNS), strict=True):
                    cp.write_row(row)
        return len(conn.execute(sql, {"user": LEARNER}).fetchall())

    return run


def main() -> None:
    """Run every strategy in alternating rounds and print the medians."""
    strategies: dict[str, Strategy] = {
        "unnest, text parameters": unnest("s"),
        "unnest, binary parameters": unnest("b"),
        "COPY text → temp table": copy(binary=False),
        "COPY binary → temp table": copy(binary=True),
    }
    rates: dict[str, list[float]] = {name: [] for name in strategies}
    number = 0
    with fresh_database() as (db, _where):
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id) VALUES (:id)"), {"id": LEARNER})
        with db.engine.connect() as sa_conn:
            raw = cast(psycopg.Connection[Any], sa_conn.connection.driver_connection)
            for round_no in range(ROUNDS):
                order = list(strategies) if round_no % 2 == 0 else list(reversed(strategies))
                for name in order:
                    batches = [make_batch(number + k) for k in range(BATCHES_PER_ROUND)]
                    number += BATCHES_PER_ROUND
                    started = time.perf_counter()
                    for batch in batches:
                        strategies[name](raw, batch)
                        raw.commit()
                    rates[name].append(BATCH * BATCHES_PER_ROUND / (time.perf_counter() - started))
    table = Table(title=f"upsert of {BATCH:,}-event batches ({ROUNDS} rounds, median)")
    table.add_column("strategy")
    table.add_column("events/s", justify="right")
    for name, values in rates.items():
        table.add_row(name, f"{statistics.median(values):,.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
