"""What every ``twin`` command shares: the consoles, clean errors, the database for one command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from twin.config import load_settings
from twin.db.engine import Database, open_database
from twin.errors import TwinError

EXIT_FAILURE = 1

console = Console()
err_console = Console(stderr=True)


def num(value: Any, digits: int) -> str:
    """A number for a table cell with ``digits`` decimals; an em dash when there is none."""
    return "—" if value is None else f"{float(value):.{digits}f}"


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print an error the user can act on and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def database(*, migrated: bool = False) -> Iterator[Database]:
    """The configured database for one command, migrated first when asked; engine errors exit cleanly.

    A :class:`~twin.errors.TwinError` (unreachable server, unknown learner, …) prints
    ``error: <message>`` and exits 1; the database is closed either way (which stops the
    embedded server when this process was its last user).
    """
    try:
        db = open_database(load_settings())
    except TwinError as exc:
        raise fail(exc.message) from None
    try:
        if migrated:
            from twin.db.migrate import ensure_migrated

            ensure_migrated(db.engine)
        yield db
    except TwinError as exc:
        raise fail(exc.message) from None
    finally:
        db.close()
