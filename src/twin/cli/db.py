"""``twin db …``: migrations, verification, the embedded server and its data directory."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from twin.cli.common import JsonOption, console, database, err_console, fail, print_json

if TYPE_CHECKING:
    from twin.db.verify import VerifyReport

db_app = typer.Typer(
    help="Database: migrations, verification, the embedded server.", no_args_is_help=True
)

CATEGORY_NOUNS = {
    "table": "tables: every column's type and nullability",
    "enum": "enum types: values in order",
    "0002": "0002 objects: foreign key, metrics, appliedAt",
    "0002 index": "0002 indexes: name and column order",
    "planner": "query patterns: the planner picks the intended index",
}


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
def db_history(as_json: JsonOption = False) -> None:
    """List every migration, marking the applied ones."""
    from twin.db import migrate

    with database() as db:
        infos = migrate.history(db.engine)
    rows = [
        {
            "revision": info.revision,
            "revises": info.down_revision,
            "applied": info.applied,
            "description": info.message.strip().splitlines()[0] if info.message else "",
        }
        for info in infos
    ]
    if as_json:
        print_json({"revisions": rows})
        return
    table = Table("revision", "revises", "applied", "description", title="migrations")
    for r in rows:
        table.add_row(
            str(r["revision"]),
            str(r["revises"] or "—"),
            "✓" if r["applied"] else "",
            str(r["description"]),
        )
    console.print(table)


def verify_summary(report: VerifyReport) -> str:
    """One line: the verdict, the counts and what was checked."""
    counts = Counter(c.category for c in report.checks)
    parts = [f"{n} {category}" for category, n in counts.items()]
    return f"{report.summary()} ({', '.join(parts)})"


def verify_json(report: VerifyReport) -> dict[str, object]:
    """The report as JSON: verdict, time and every check."""
    return {
        "ok": report.ok,
        "seconds": round(report.seconds, 2),
        "summary": report.summary(),
        "checks": [
            {"category": c.category, "name": c.name, "ok": c.ok, "detail": c.detail}
            for c in report.checks
        ],
    }


def print_verify_report(report: VerifyReport, *, verbose: bool = False) -> None:
    """Render a verify report: one row per kind of check (every check with ``verbose``), failures in full."""
    if verbose:
        # Names are long identifiers and details prose: a list reads better than a table.
        table = Table.grid(padding=(0, 1))
        table.title = "twin db verify"
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, style="dim")
        table.add_column(ratio=1, overflow="fold")
        for check in report.checks:
            table.add_row(
                "[green]ok[/]" if check.ok else "[bold red]FAIL[/]",
                check.category,
                f"{escape(check.name)}\n[dim]{escape(check.detail)}[/]",
            )
    else:
        table = Table("checks", "passed", "of", title="twin db verify")
        table.columns[1].justify = table.columns[2].justify = "right"
        by_category: dict[str, list[bool]] = {}
        for check in report.checks:
            by_category.setdefault(check.category, []).append(check.ok)
        for category, oks in by_category.items():
            style = "green" if all(oks) else "bold red"
            table.add_row(
                CATEGORY_NOUNS.get(category, category),
                f"[{style}]{sum(oks)}[/]",
                str(len(oks)),
            )
        table.caption = "-v lists every check"
    console.print(table)
    for check in report.failed:
        err_console.print(
            f"[bold red]FAIL[/] {check.category} {check.name}: {check.detail}", highlight=False
        )
    style = "bold green" if report.ok else "bold red"
    console.print(f"[{style}]{report.summary()}[/]", soft_wrap=True)


@db_app.command("verify")
def db_verify(
    planner: Annotated[
        bool,
        typer.Option(
            "--planner/--no-planner",
            help="Also check index use on a synthetic sample (about 20 s).",
        ),
    ] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every check.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the live schema against the data model and the 0002 completion migration."""
    from twin.db.verify import verify_database

    with database() as db:
        report = verify_database(db.engine, planner=planner)
    if as_json:
        print_json(verify_json(report))
    else:
        print_verify_report(report, verbose=verbose)
    if not report.ok:
        raise typer.Exit(1)


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (whoever started it)."""
    from twin.config import load_settings
    from twin.db.embedded import EmbeddedPostgres

    settings = load_settings()
    if not settings.embedded:
        raise fail("TWIN_DATABASE_URL is set: the engine does not manage that server")
    stopped = EmbeddedPostgres(settings.data_dir).stop()
    console.print("embedded server stopped" if stopped else "embedded server was not running")


def directory_bytes(path: Path) -> int:
    """Bytes of every regular file under ``path`` (0 when it does not exist)."""
    total = 0
    for entry in path.rglob("*") if path.exists() else ():
        try:
            if entry.is_file() and not entry.is_symlink():
                total += entry.stat().st_size
        except OSError:  # a file removed while counting (the server writes)
            continue
    return total


def human_bytes(n: int) -> str:
    """``123456789`` → ``118 MB`` (binary units, named as people say them)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit != "GB" else f"{value:.1f} GB"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover - the loop returns


@db_app.command("status")
def db_status() -> None:
    """Say where the database is, whether the embedded server runs and how big its data is."""
    from twin.config import load_settings

    settings = load_settings()
    if not settings.embedded:
        from twin.db.engine import describe_url, normalize_url

        console.print(
            f"external server: {describe_url(normalize_url(settings.database_url or ''))}"
        )
        return
    from twin.db.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(settings.data_dir)
    state = "running" if server.is_running() else "stopped"
    size = human_bytes(directory_bytes(server.pgdata)) if server.pgdata.exists() else "no data yet"
    console.print(f"embedded server in {server.pgdata}: {state} ({size})")


@db_app.command("reset")
def db_reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the embedded database: stop its server and remove its data directory.

    Everything stored is lost (learners, keys, analyses); the next command starts an empty
    database. Refused while another process (an API, a worker, a demo) uses the server,
    and when TWIN_DATABASE_URL names an external server.
    """
    import os

    from twin.config import load_settings
    from twin.db.embedded import EmbeddedPostgres

    settings = load_settings()
    if not settings.embedded:
        raise fail(
            "TWIN_DATABASE_URL is set: `twin db reset` deletes only the embedded database; "
            "drop that server's database with its own tools"
        )
    server = EmbeddedPostgres(settings.data_dir)
    if not server.pgdata.exists():
        console.print(f"nothing to delete: {server.pgdata} does not exist")
        return
    users = [p for p in server.prune_stale_pids() if p != os.getpid()]
    if users and server.is_running():
        raise fail(
            f"the embedded server in {server.pgdata} is in use by process(es) "
            f"{', '.join(map(str, users))} (an API, a worker or a demo): stop them first"
        )
    size = human_bytes(directory_bytes(server.pgdata))
    if not yes and not typer.confirm(
        f"Delete the embedded database in {server.pgdata} ({size}), with every learner, "
        "key and analysis in it?",
        default=False,
    ):
        console.print("nothing deleted")
        raise typer.Exit(1)
    server.stop()
    shutil.rmtree(server.pgdata)
    if settings.data_dir.exists() and not any(settings.data_dir.iterdir()):
        settings.data_dir.rmdir()
    console.print(f"deleted {server.pgdata} ({size}); the next command starts an empty database")
