"""``twin import revlog FILE --user ID``: the command-line face of the review-log importer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from twin.cli.common import EXIT_FAILURE, console, database, err_console
from twin.errors import ValidationFailed
from twin.ingest.revlog import ImportResult, import_revlog

MAX_PRINTED_PROBLEMS = 100


def _problem_line(detail: object) -> str:
    if not isinstance(detail, dict):
        return str(detail)
    where = f"line {detail['line']}" if detail.get("line") is not None else "file"
    if detail.get("index") is not None:
        where = f"record {detail['index']}"
    return f"{where}: {detail.get('field')}: {detail.get('reason')}"


def _print_problems(console: Console, details: object) -> None:
    items = details if isinstance(details, list) else []
    for detail in items[:MAX_PRINTED_PROBLEMS]:
        console.print(f"  {_problem_line(detail)}", markup=False, highlight=False)
    if len(items) > MAX_PRINTED_PROBLEMS:
        console.print(f"  … and {len(items) - MAX_PRINTED_PROBLEMS} more")


def _summary(result: ImportResult, seconds: float) -> Table:
    table = Table(title=f"review log imported for learner {result.user_id!r}")
    table.add_column("rows", justify="left")
    table.add_column("count", justify="right")
    for label, count in (
        ("lines read", result.rows),
        ("reviews", result.reviews),
        ("cards", result.cards),
        ("sessions", result.sessions),
        ("events", result.events),
        ("bad lines skipped", result.skipped_lines),
    ):
        table.add_row(label, f"{count:,}")
    table.add_row("time", f"{seconds:.2f} s")
    return table


def import_revlog_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Review log CSV with columns card_id,review_rating,review_time,review_duration.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    user: Annotated[
        str, typer.Option("--user", help="Learner id to import into (created when absent).")
    ],
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone of a newly created learner.")
    ] = "UTC",
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip malformed lines instead of refusing the file.")
    ] = False,
) -> None:
    """Import a flashcard review log: cards, reviews, sessions, events and memory state."""
    started = time.perf_counter()
    with database(migrated=True) as db:
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                result = import_revlog(
                    db, file, user_id=user, timezone=timezone, skip_bad=skip_bad, progress=progress
                )
        except ValidationFailed as exc:
            # Each bad line is listed: the message alone does not say what to fix.
            err_console.print(f"[bold red]error:[/] {exc.message}", markup=True, highlight=False)
            _print_problems(err_console, exc.details)
            raise typer.Exit(EXIT_FAILURE) from None
    console.print(_summary(result, time.perf_counter() - started))
    if result.skipped:
        err_console.print(f"[yellow]skipped {result.skipped_lines} bad line(s):[/]")
        _print_problems(err_console, [p.as_detail() for p in result.skipped])
