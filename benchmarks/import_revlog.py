"""Import the real review log into a fresh database and time it.

    python -m benchmarks.import_revlog

Uses ``../shared/data/revlog_single_learner.csv`` beside the repository, an
embedded PostgreSQL in a temporary directory (or a temporary database on
``TWIN_DATABASE_URL``), imports the log, then imports it again (which must
change nothing). Prints a table and writes ``benchmarks/results/import_speed.json`` (timings and row
counts only: the log itself is read in place and never copied).
"""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from benchmarks.ingest_support import REVLOG_CSV, fresh_database, machine, write_result
from twin.db.engine import Database
from twin.ingest.revlog import ImportResult, import_revlog

LEARNER = "revlog-bench"
TARGET_SECONDS = 10.0
COUNTED_TABLES = ("cards", "reviews", "study_sessions", "behavioral_events")


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            table: int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in COUNTED_TABLES
        }


def _timed_import(db: Database) -> tuple[ImportResult, float]:
    started = time.perf_counter()
    result = import_revlog(db, REVLOG_CSV, user_id=LEARNER)
    return result, time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print its table."""
    console = Console()
    if not REVLOG_CSV.exists():
        console.print(f"[red]the review log is missing:[/] {REVLOG_CSV}")
        sys.exit(1)
    setup_started = time.perf_counter()
    with fresh_database() as (db, where):
        setup = time.perf_counter() - setup_started
        first, first_s = _timed_import(db)
        after_first = _counts(db)
        second, second_s = _timed_import(db)
        unchanged = _counts(db) == after_first
        info = machine(db, where)
    runs = [("first import", first, first_s), ("re-import (no change)", second, second_s)]
    table = Table(title=f"revlog import: {REVLOG_CSV.name}")
    for column in ("run", "reviews", "cards", "sessions", "events", "seconds", "reviews/s"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for label, result, seconds in runs:
        table.add_row(
            label,
            f"{result.reviews:,}",
            f"{result.cards:,}",
            f"{result.sessions:,}",
            f"{result.events:,}",
            f"{seconds:.2f}",
            f"{result.reviews / seconds:,.0f}",
        )
    console.print(table)
    console.print(f"database set-up (start + migrate, not counted): {setup:.2f} s")
    console.print(f"re-import left the row counts unchanged: {unchanged}")
    verdict = "meets" if first_s < TARGET_SECONDS else "MISSES"
    console.print(f"target < {TARGET_SECONDS:.0f} s: {verdict}")
    path = write_result(
        "import_speed",
        {
            "benchmark": "import_speed",
            "source": "the real review log in ../shared/data, read in place",
            "runs": [
                {
                    "run": label,
                    "rows": result.rows,
                    "reviews": result.reviews,
                    "cards": result.cards,
                    "sessions": result.sessions,
                    "events": result.events,
                    "seconds": round(seconds, 3),
                    "reviews_per_s": round(result.reviews / seconds),
                }
                for label, result, seconds in runs
            ],
            "setup_seconds": round(setup, 3),
            "reimport_unchanged": unchanged,
            "row_counts": after_first,
            "target_seconds": TARGET_SECONDS,
            "machine": info,
        },
    )
    console.print(f"results written to {path}")


if __name__ == "__main__":
    main()
