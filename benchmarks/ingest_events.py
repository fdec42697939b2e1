"""Throughput of ``ingest_batch(kind="events")`` at the service level (no HTTP).

    python -m benchmarks.ingest_events [--batches N]

Sends batches of 5,000 realistic events (JSON-like dicts with RFC 3339 strings,
as the API hands them over) for one learner in Europe/Berlin, so validation,
local-time filling and the set-based upsert are all measured; then re-sends
them (the idempotent path). Prints events/s and writes
``benchmarks/results/ingest_events.json``.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from benchmarks.ingest_support import fresh_database, machine, write_result
from twin.db.engine import Database
from twin.enums import EventType
from twin.ingest.batch import ingest_batch
from twin.ingest.schemas import MAX_BATCH_RECORDS

SEED = 20240501
DEFAULT_BATCHES = 20
LEARNER = "bench-learner"
TIMEZONE = "Europe/Berlin"
TARGET_EVENTS_PER_SECOND = 20_000
START = datetime(2024, 1, 1, tzinfo=UTC)


def make_batch(rng: random.Random, batch_no: int, size: int) -> list[dict[str, Any]]:
    """One batch of plausible events (every 3rd with explicit engagement, none with local time)."""
    types = list(EventType)
    events = []
    for i in range(size):
        n = batch_no * size + i
        at = START + timedelta(seconds=n * 7 + rng.randint(0, 6))
        event: dict[str, Any] = {
            "id": f"evt-{n:09d}",
            "eventType": types[n % len(types)].value,
            "timestamp": at.isoformat().replace("+00:00", "Z"),
            "eventData": {
                "cardId": f"card-{rng.randint(1, 2000)}",
                "rating": rng.choice(["AGAIN", "HARD", "GOOD", "EASY"]),
                "timeSpentMs": rng.randint(500, 60_000),
            },
        }
        if n % 3 == 0:
            event["engagementLevel"] = rng.choice(["LOW", "MEDIUM", "HIGH"])
            event["contentType"] = "flashcard"
        events.append(event)
    return events


def _timed(db: Database, batches: list[list[dict[str, Any]]]) -> float:
    started = time.perf_counter()
    for records in batches:
        ingest_batch(db, LEARNER, "events", records)
    return time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=DEFAULT_BATCHES)
    args = parser.parse_args()
    rng = random.Random(SEED)
    batches = [make_batch(rng, b, MAX_BATCH_RECORDS) for b in range(args.batches)]
    total = sum(len(b) for b in batches)
    console = Console()
    with fresh_database() as (db, where):
        with db.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO users (id, timezone) VALUES (:id, :tz)"),
                {"id": LEARNER, "tz": TIMEZONE},
            )
        first = _timed(db, batches)
        again = _timed(db, batches)
        info = machine(db, where)
    rows = [
        ("new events", total, first, total / first),
        ("re-sent (no change)", total, again, total / again),
    ]
    table = Table(title=f"ingest_batch(kind='events'), batches of {MAX_BATCH_RECORDS:,}")
    for column in ("run", "events", "seconds", "events/s"):
        table.add_column(column, justify="right" if column != "run" else "left")
    for label, count, seconds, rate in rows:
        table.add_row(label, f"{count:,}", f"{seconds:.2f}", f"{rate:,.0f}")
    console.print(table)
    verdict = "meets" if total / first >= TARGET_EVENTS_PER_SECOND else "MISSES"
    console.print(f"target {TARGET_EVENTS_PER_SECOND:,} events/s (service level): {verdict}")
    path = write_result(
        "ingest_events",
        {
            "benchmark": "ingest_events",
            "batch_size": MAX_BATCH_RECORDS,
            "batches": args.batches,
            "runs": [
                {
                    "run": label,
                    "events": count,
                    "seconds": round(seconds, 3),
                    "events_per_s": round(rate),
                }
                for label, count, seconds, rate in rows
            ],
            "target_events_per_s": TARGET_EVENTS_PER_SECOND,
            "machine": info,
        },
    )
    console.print(f"results written to {path}")


if __name__ == "__main__":
    main()
