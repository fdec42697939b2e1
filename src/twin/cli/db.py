"""``twin db …``: migrations, verification, the embedded server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from twin.cli.common import console, database, fail
from twin.config import load_settings

db_app = typer.Typer(
    help="Database: migrations, verification, the embedded server.", no_args_is_help=True
)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision (default: head).")] = "head",
) -> None:
    """Apply migrations up to REVISION."""
    from twin.db import migrate

    with database() as db:
        migrate.upgrade(db.engine, revision)
        console.print(f"database at revision [bold]{migrate.current_revision(db.engine)}[/]")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. 0001.")],
) -> None:
    """Revert migrations down to REVISION."""
    from twin.db import migrate

    with database() as db:
        migrate.downgrade(db.engine, revision)
        console.print(
            f"database at revision [bold]{migrate.current_revision(db.engine) or 'base'}[/]"
        )


@db_app.command("current")
def db_current() -> None:
    """Print the database's current revision."""
    from twin.db import migrate

    with database() as db:
        current = migrate.current_revision(db.engine)
        head = migrate.head_revision()
        state = "up to date" if current == head else f"head is {head}: run `twin db upgrade`"
        console.print(f"{current or 'none (empty database)'} ({state})")


@db_app.command("history")
def db_history() -> None:
    """List every migration, marking the applied ones."""
    from twin.db import migrate

    with database() as db:
        table = Table("revision", "revises", "applied", "description")
        for info in migrate.history(db.engine):
            table.add_row(
                info.revision,
                info.down_revision or "—",
                "✓" if info.applied else "",
                info.message.strip().splitlines()[0] if info.message else "",
            )
        console.print(table)


def print_verify_report(report: object, *, verbose: bool = False) -> None:
    """Render a verify report as a table followed by its summary line."""
    from twin.db.verify import VerifyReport

    assert isinstance(report, VerifyReport)
    table = Table("check", "object", "result", "detail", title="twin db verify")
    for check in report.checks:
        if check.ok and not verbose and check.category == "table":
            continue
        table.add_row(
            check.category,
            check.name,
            "[green]ok[/]" if check.ok else "[bold red]FAIL[/]",
            check.detail,
        )
    tables = [c for c in report.checks if c.category == "table"]
    if not verbose:
        good = sum(c.ok for c in tables)
        table.add_row(
            "table",
            f"{good}/{len(tables)} tables",
            "[green]ok[/]" if good == len(tables) else "",
            "every column: type and nullability (--verbose lists them)",
        )
    console.print(table)
    style = "bold green" if report.ok else "bold red"
    console.print(f"[{style}]{report.summary()}[/]", soft_wrap=True)


@db_app.command("verify")
def db_verify(
    planner: Annotated[
        bool, typer.Option(help="Also check index use on a synthetic sample.")
    ] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every table.")] = False,
) -> None:
    """Check the live schema against the data model and the 0002 completion migration."""
    from twin.db.verify import verify_database

    with database() as db:
        report = verify_database(db.engine, planner=planner)
    print_verify_report(report, verbose=verbose)
    if not report.ok:
        raise typer.Exit(1)


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (whoever started it)."""
    from twin.db.embedded import EmbeddedPostgres

    settings = load_settings()
    if not settings.embedded:
        raise fail("TWIN_DATABASE_URL is set: the engine does not manage that server")
    stopped = EmbeddedPostgres(settings.data_dir).stop()
    console.print("embedded server stopped" if stopped else "embedded server was not running")


@db_app.command("status")
def db_status() -> None:
    """Say where the database is and whether the embedded server runs."""
    from twin.db.embedded import EmbeddedPostgres

    settings = load_settings()
    if not settings.embedded:
        from twin.db.engine import describe_url, normalize_url

        console.print(
            f"external server: {describe_url(normalize_url(settings.database_url or ''))}"
        )
        return
    server = EmbeddedPostgres(settings.data_dir)
    state = "running" if server.is_running() else "stopped"
    console.print(f"embedded server in {server.pgdata}: {state}")
