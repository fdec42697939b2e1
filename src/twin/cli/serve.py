"""``twin serve``: the HTTP API (and, with ``--with-worker``, a job worker) until Ctrl-C."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from twin.cli.common import database, fail

if TYPE_CHECKING:
    from twin.db.engine import Database

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

HostOption = Annotated[str, typer.Option("--host", help="Interface to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")]


def port_problem(host: str, port: int) -> str | None:
    """Why the API could not listen on ``host:port`` now, or None when it can.

    Binds a socket the way uvicorn does (SO_REUSEADDR) and closes it at once, so a port
    held by a listening program is found before minutes of set-up, not after.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"--host {host!r} is not an address this machine knows ({exc.strerror})"
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is taken (another program listens there)"
            if exc.errno in (errno.EACCES, errno.EPERM):
                return f"port {port} on {host} needs privileges this user does not have"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"--host {host!r} is not an address of this machine"
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def require_port(host: str, port: int, hint: str) -> None:
    """Exit with a message naming the option to change when ``host:port`` cannot be used."""
    problem = port_problem(host, port)
    if problem is not None:
        raise fail(f"{problem}: {hint}")


def serve(
    host: HostOption = DEFAULT_HOST,
    port: PortOption = DEFAULT_PORT,
    with_worker: Annotated[
        bool, typer.Option("--with-worker", help="Also run a job worker in this process.")
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    require_port(host, port, f"choose another with --port, e.g. `twin serve --port {port + 1}`")
    run_server(host=host, port=port, with_worker=with_worker)


def run_server(
    host: str,
    port: int,
    with_worker: bool,
    banner: Callable[[Database], None] | None = None,
    on_stop: Callable[[Database], None] | None = None,
) -> None:
    """Open the database, migrate-check it, serve until Ctrl-C/SIGTERM, then close everything.

    ``banner`` runs once the database is ready, before serving; ``on_stop`` after the
    server stopped, while the database is still open (the demo revokes its key there).
    """
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
            if banner is not None:
                banner(db)
            uvicorn.run(create_app(database=db), host=host, port=port, log_level="warning")
        finally:
            if worker is not None:
                worker.stop()
            if on_stop is not None:
                on_stop(db)
