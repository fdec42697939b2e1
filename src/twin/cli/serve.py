"""``twin serve``: the HTTP API (and, with ``--with-worker``, a job worker) until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from twin.cli.common import database


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    with_worker: Annotated[
        bool, typer.Option("--with-worker", help="Also run a job worker in this process.")
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    run_server(host=host, port=port, with_worker=with_worker)


def run_server(host: str, port: int, with_worker: bool, banner: object = None) -> None:
    """Open the database, migrate-check it, serve until Ctrl-C/SIGTERM, then close everything."""
    import uvicorn

    from twin.api.app import create_app
    from twin.db import migrate

    with database() as db:
        migrate.ensure_migrated(db.engine)
        worker = None
        if with_worker:
            from twin.jobs.worker import start_worker_in_background

            worker = start_worker_in_background(db.url)
        try:
            if callable(banner):
                banner(db)
            uvicorn.run(create_app(database=db), host=host, port=port, log_level="warning")
        finally:
            if worker is not None:
                worker.stop()
