"""``twin worker``: run a job worker until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from twin.cli.common import database, err_console

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def worker_command(
    concurrency: Annotated[
        int, typer.Option(min=1, help="Jobs run at the same time by this worker.")
    ] = 1,
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", "-q", help="Queue to take jobs from (repeatable; default: all)."),
    ] = None,
) -> None:
    """Run a job worker until Ctrl-C or SIGTERM (the job in hand is finished first)."""
    from twin.config import load_settings
    from twin.jobs.worker import run_worker

    # Closing the database on the way out releases the embedded server (stopping it when
    # this was its last user).
    with database(migrated=True) as db:
        # Configured only now, so start-up chatter (server, Alembic) stays out of the log.
        logging.basicConfig(level=load_settings().log_level, format=LOG_FORMAT)
        try:
            run_worker(db.url, concurrency=concurrency, queues=queue or None)
        except KeyboardInterrupt:
            # A second Ctrl-C during the graceful stop: the job in hand stays "doing".
            err_console.print("[bold red]interrupted:[/] the job in hand was abandoned")
            raise typer.Exit(130) from None
