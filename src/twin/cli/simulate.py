"""``twin simulate``: load a synthetic cohort with known ground truth into the database."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from twin.cli.common import console, database
from twin.simulate.generate import DEFAULT_START, TABLE_ORDER
from twin.simulate.load import MAX_SEED, MAX_WEEKS, SimulationSummary, load_cohort


def parse_start(value: str | None) -> date | None:
    """The ``--start`` date (YYYY-MM-DD), or None for the default."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. {DEFAULT_START.isoformat()}",
            param_hint="--start",
        ) from None


def summary_table(summary: SimulationSummary) -> Table:
    """Rows per table and timing of a cohort load, for the terminal."""
    title = (
        f"seed {summary.seed}: {summary.learners:,} learners × {summary.weeks} weeks "
        f"from {summary.start.isoformat()}"
    )
    table = Table("table", "rows", title=title)
    for name in TABLE_ORDER:
        table.add_row(name, f"{summary.rows.get(name, 0):,}")
    table.add_row("[bold]total[/]", f"[bold]{summary.total_rows:,}[/]")
    table.caption = (
        f"{summary.seconds:.1f} s · {summary.rows_per_second:,.0f} rows/s · "
        f"{summary.events_per_second:,.0f} events/s"
        + (
            f" · replaced {summary.replaced_learners:,} learners"
            if summary.replaced_learners
            else ""
        )
    )
    return table


def simulate_command(
    learners: Annotated[
        int, typer.Option("--learners", "-n", min=1, help="How many learners to simulate.")
    ] = 100,
    weeks: Annotated[
        int, typer.Option("--weeks", "-w", min=1, max=MAX_WEEKS, help="Weeks of study per learner.")
    ] = 12,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", "-s", min=0, max=MAX_SEED, help="Cohort seed: same seed, same rows."
        ),
    ] = 1,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help=f"First local day of the window, YYYY-MM-DD (default {DEFAULT_START.isoformat()}).",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Delete this seed's simulated learners first if they exist."
        ),
    ] = False,
    share_patterns: Annotated[
        bool,
        typer.Option(
            "--share-patterns",
            help="Mark the learners as sharing anonymized patterns (cross-learner training).",
        ),
    ] = False,
) -> None:
    """Simulate learners with hidden traits and load their learning data (ground truth kept)."""
    start_date = parse_start(start)
    with database(migrated=True) as db:
        summary = load_cohort(
            db,
            learners,
            weeks,
            seed,
            start_date,
            progress=True,
            replace=replace,
            share_patterns=share_patterns,
        )
    console.print(summary_table(summary))
