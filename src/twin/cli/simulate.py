"""``twin simulate``: load a synthetic cohort with known ground truth into the database.

By default the cohort's weeks end now (just before it, in every learner's time zone), so
what the engine says of them today is about their recent weeks; ``--start`` fixes the
dates instead, for reproducible runs (same seed and start, same rows).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from twin.cli.common import JsonOption, console, database, fail, print_json
from twin.simulate.window import (
    DEFAULT_FAMILY,
    DEFAULT_START,
    MAX_SEED,
    MAX_WEEKS,
    window_end,
)

if TYPE_CHECKING:
    from twin.simulate.load import SimulationSummary


def parse_start(value: str | None) -> date | None:
    """The ``--start`` date (YYYY-MM-DD), or None for the window ending now."""
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
    from twin.simulate.generate import TABLE_ORDER

    last = window_end(summary.start, summary.weeks)
    title = (
        f"seed {summary.seed}: {summary.learners:,} learners × {summary.weeks} weeks, "
        f"{summary.start.isoformat()} … {last.isoformat()}"
    )
    table = Table("table", "rows", title=title)
    table.columns[1].justify = "right"
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


def existing_cohort_message(details: Any, seed: int) -> str:
    """The refusal to load a seed that is already there, in command-line words."""
    have = details.get("existingLearners") if isinstance(details, dict) else None
    count = f"{have} simulated learners" if have else "simulated learners"
    return (
        f"{count} of seed {seed} are already in the database: --replace deletes them first, "
        "or choose another --seed"
    )


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
            help=(
                "First local day of the window, YYYY-MM-DD, for reproducible dates (e.g. "
                f"{DEFAULT_START.isoformat()}, the benchmarks' start). Default: the weeks "
                "end now."
            ),
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
    family: Annotated[
        str,
        typer.Option(
            "--family",
            help="Generative family: classic, or srs (spaced-repetition memory, sustained "
            "overload, additive hour effects; ids srs<seed>-u<i>).",
        ),
    ] = DEFAULT_FAMILY,
    as_json: JsonOption = False,
) -> None:
    """Simulate learners with hidden traits and load their learning data (ground truth kept)."""
    from twin.clock import utcnow
    from twin.errors import Conflict
    from twin.simulate.load import load_cohort
    from twin.simulate.window import start_ending_by

    start_date = parse_start(start)
    if start_date is None:
        start_date = start_ending_by(utcnow(), weeks)
    with database(migrated=True) as db:
        try:
            summary = load_cohort(
                db,
                learners,
                weeks,
                seed,
                start_date,
                progress=not as_json,
                replace=replace,
                share_patterns=share_patterns,
                family=family,
            )
        except Conflict as exc:
            raise fail(existing_cohort_message(exc.details, seed)) from None
    if as_json:
        print_json({**summary.as_dict(), "end": window_end(summary.start, summary.weeks)})
        return
    console.print(summary_table(summary))
