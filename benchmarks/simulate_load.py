"""Generate and load a simulated cohort; report rows per table, seconds, rows/s and events/s.

    python -m benchmarks.simulate_load --learners 10000 --weeks 12 --seed 1 \\
        [--data-dir /tmp/twin-bench] [--replace] [--workers N] [--connections N]

Loads into ``TWIN_DATABASE_URL`` or the embedded server of ``TWIN_DATA_DIR``; ``--data-dir``
starts a separate embedded server in that directory (recommended: the run writes
millions of rows). Prints a table and writes ``benchmarks/results/simulate_load.json``
with a description of the machine. Targets (10,000 learners × 12 weeks): at least
10 million behavioral events, loaded in under 15 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from twin.cli.simulate import summary_table
from twin.config import load_settings
from twin.db import migrate
from twin.db.engine import Database, open_database
from twin.simulate.load import SimulationSummary, load_cohort
from twin.simulate.window import DEFAULT_START

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULT_FILE = RESULTS_DIR / "simulate_load.json"
TARGET_SECONDS = 15 * 60
TARGET_EVENTS_PER_10K_LEARNERS_12_WEEKS = 10_000_000


def machine(db: Database) -> dict[str, Any]:
    """Platform, CPUs, memory, Python and PostgreSQL versions."""
    with db.engine.connect() as conn:
        server = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
        settings = {
            name: str(conn.execute(sa.text(f"SHOW {name}")).scalar_one())
            for name in ("shared_buffers", "max_wal_size", "synchronous_commit", "wal_level")
        }
    memory_bytes = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpuCount": os.cpu_count(),
        "memoryGiB": round(memory_bytes / 2**30, 1) if memory_bytes else None,
        "python": sys.version.split()[0],
        "postgres": server,
        "postgresSettings": settings,
        "database": "embedded" if db.embedded is not None else "TWIN_DATABASE_URL",
        "loadAverage": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def targets(summary: SimulationSummary) -> dict[str, Any]:
    """The run's targets, scaled to its size, and whether they were met."""
    scale = summary.learners / 10_000 * summary.weeks / 12
    events_target = int(TARGET_EVENTS_PER_10K_LEARNERS_12_WEEKS * scale)
    seconds_target = TARGET_SECONDS * summary.learners / 10_000
    return {
        "eventsAtLeast": events_target,
        "eventsMet": summary.events >= events_target,
        "secondsAtMost": round(seconds_target, 1),
        "secondsMet": summary.seconds <= seconds_target,
        "extrapolatedSecondsFor10kLearners": round(summary.seconds * 10_000 / summary.learners, 1),
        "extrapolatedEventsFor10kLearners": int(summary.events * 10_000 / summary.learners),
    }


def main() -> None:
    """Run the benchmark, print its table and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=DEFAULT_START,
        help=f"first day of the window (default {DEFAULT_START}: the same rows every run)",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="separate embedded server")
    parser.add_argument("--replace", action="store_true", help="delete the seed's learners first")
    parser.add_argument("--workers", type=int, default=None, help="generator processes")
    parser.add_argument("--connections", type=int, default=None, help="parallel COPY streams")
    parser.add_argument("--batch-learners", type=int, default=None)
    parser.add_argument("--output", type=Path, default=RESULT_FILE)
    args = parser.parse_args()

    env = dict(os.environ)
    if args.data_dir is not None:
        if env.get("TWIN_DATABASE_URL"):
            parser.error("--data-dir starts an embedded server: unset TWIN_DATABASE_URL")
        env["TWIN_DATA_DIR"] = str(args.data_dir)
    console = Console()
    db = open_database(load_settings(env))
    try:
        if db.embedded is not None:
            migrate.upgrade(db.engine, "head")
        else:
            migrate.ensure_migrated(db.engine)
        extra: dict[str, Any] = {}
        if args.batch_learners is not None:
            extra["batch_learners"] = args.batch_learners
        summary = load_cohort(
            db,
            args.learners,
            args.weeks,
            args.seed,
            args.start,
            progress=True,
            replace=args.replace,
            workers=args.workers,
            connections=args.connections,
            **extra,
        )
        described = machine(db)
    finally:
        db.close()

    console.print(summary_table(summary))
    met = targets(summary)
    overview = Table("learners", "weeks", "rows", "seconds", "rows/s", "events", "events/s")
    overview.add_row(
        f"{summary.learners:,}",
        str(summary.weeks),
        f"{summary.total_rows:,}",
        f"{summary.seconds:,.1f}",
        f"{summary.rows_per_second:,.0f}",
        f"{summary.events:,}",
        f"{summary.events_per_second:,.0f}",
    )
    console.print(overview)
    console.print(
        f"targets: events ≥ {met['eventsAtLeast']:,} "
        f"{'[green]met[/]' if met['eventsMet'] else '[red]missed[/]'}; "
        f"time ≤ {met['secondsAtMost']:,.0f} s "
        f"{'[green]met[/]' if met['secondsMet'] else '[red]missed[/]'} "
        f"(≈ {met['extrapolatedSecondsFor10kLearners']:,.0f} s for 10,000 learners)"
    )
    result = {
        "benchmark": "simulate_load",
        "command": "python -m benchmarks.simulate_load " + " ".join(sys.argv[1:]),
        "ranAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": summary.as_dict(),
        "targets": met,
        "machine": described,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
