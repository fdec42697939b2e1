"""``twin import revlog FILE --user ID``: the command-line face of the review-log importer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from twin.cli.common import EXIT_FAILURE, JsonOption, console, database, err_console, print_json

if TYPE_CHECKING:
    from twin.ingest.revlog import ImportResult

MAX_PRINTED_PROBLEMS = 100
OPTION_OF_FIELD = {"user": "--user", "timezone": "--timezone"}
"""Importer fields that come from an option, named as the user typed them."""


def problem_line(detail: object, file: str = "FILE") -> str:
    """One problem of an import as the command line says it.

    Lines of the file read ``line 3: review_rating: …``; a problem with an option names
    the option (``--timezone: …``); a problem with the file as a whole names it once.
    """
    if not isinstance(detail, dict):
        return str(detail)
    field = str(detail.get("field") or "")
    reason = str(detail.get("reason") or "")
    if detail.get("line") is not None:
        return f"line {detail['line']}: {field}: {reason}"
    if detail.get("index") is not None:
        return f"record {detail['index']}: {field}: {reason}"
    if field in OPTION_OF_FIELD:
        return f"{OPTION_OF_FIELD[field]}: {reason}"
    if field == "file":
        return reason if file in reason else f"{file}: {reason}"
    return f"{field}: {reason}" if field else reason


def _print_problems(out: Console, details: object, file: str) -> None:
    items = details if isinstance(details, list) else []
    for detail in items[:MAX_PRINTED_PROBLEMS]:
        out.print(f"  {problem_line(detail, file)}", markup=False, highlight=False)
    if len(items) > MAX_PRINTED_PROBLEMS:
        out.print(f"  … and {len(items) - MAX_PRINTED_PROBLEMS} more")


def failure_message(message: str, details: object, file: str) -> str:
    """The importer's refusal in command-line words: the file once, the option as typed."""
    items = [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []
    lines = [d for d in items if d.get("line") is not None]
    if lines:
        bad = len({d["line"] for d in lines})
        header = any(d["line"] == 1 for d in lines)
        text = f"{file}: {bad} bad line(s); nothing was imported"
        return text + (
            " (the header must be card_id,review_rating,review_time,review_duration)"
            if header
            else "; --skip-bad imports the good lines and lists the bad ones"
        )
    if items:
        return "; ".join(problem_line(d, file) for d in items) + "; nothing was imported"
    return message


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


def _result_json(result: ImportResult, seconds: float, file: str) -> dict[str, Any]:
    return {
        "userId": result.user_id,
        "courseId": result.course_id,
        "linesRead": result.rows,
        "reviews": result.reviews,
        "cards": result.cards,
        "sessions": result.sessions,
        "events": result.events,
        "skipped": [problem_line(p.as_detail(), file) for p in result.skipped],
        "seconds": round(seconds, 3),
    }


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
    as_json: JsonOption = False,
) -> None:
    """Import a flashcard review log: cards, reviews, sessions, events and memory state."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from twin.errors import ValidationFailed
    from twin.ingest.revlog import import_revlog

    started = time.perf_counter()
    name = str(file)
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
            # Each problem is listed: the message alone does not say what to fix.
            err_console.print(
                f"[bold red]error:[/] {escape(failure_message(exc.message, exc.details, name))}",
                highlight=False,
            )
            if isinstance(exc.details, list) and any(
                isinstance(d, dict) and d.get("line") is not None for d in exc.details
            ):
                _print_problems(err_console, exc.details, name)
            raise typer.Exit(EXIT_FAILURE) from None
    seconds = time.perf_counter() - started
    if as_json:
        print_json(_result_json(result, seconds, name))
        return
    console.print(_summary(result, seconds))
    if result.skipped:
        err_console.print(f"[yellow]skipped {result.skipped_lines} bad line(s):[/]")
        _print_problems(err_console, [p.as_detail() for p in result.skipped], name)
