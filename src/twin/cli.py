"""The ``twin`` command line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from twin.clock import utcnow
from twin.config import load_settings
from twin.db.engine import Database, open_database
from twin.errors import TwinError
from twin.learners import analysis_learner

app = typer.Typer(
    help="Behavioral Twin Engine: a living model of how each learner learns.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="Database: migrations, verification, the embedded server.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(
    help="Service API keys (a key may act for any learner).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error the user can act on and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def database() -> Iterator[Database]:
    """Open the configured database for one command; turn engine errors into clean exits."""
    try:
        settings = load_settings()
        db = open_database(settings)
    except TwinError as exc:
        raise fail(exc.message) from None
    try:
        yield db
    except TwinError as exc:
        raise fail(exc.message) from None
    finally:
        db.close()


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


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="A name for the key, e.g. the platform.")],
) -> None:
    """Create a service API key and print it once (only its hash is stored)."""
    from twin.db import migrate
    from twin.services.auth import create_api_key

    with database() as db:
        migrate.ensure_migrated(db.engine)
        with db.session() as session:
            row, plaintext = create_api_key(session, name)
            key_name = row.name
    console.print(f"service key [bold]{key_name}[/] (shown once, store it now):")
    print(plaintext)


@keys_app.command("list")
def keys_list() -> None:
    """List service API keys (names and prefixes, never the keys)."""
    from twin.db import migrate
    from twin.services.auth import list_api_keys

    with database() as db:
        migrate.ensure_migrated(db.engine)
        table = Table("name", "prefix", "created", "revoked")
        with db.session() as session:
            for key in list_api_keys(session):
                revoked = key.revokedAt.isoformat(timespec="seconds") if key.revokedAt else ""
                table.add_row(
                    key.name,
                    key.keyPrefix + "…",
                    key.createdAt.isoformat(timespec="seconds"),
                    revoked,
                )
        console.print(table)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a service API key (takes effect within seconds on every API process)."""
    from twin.db import migrate
    from twin.services.auth import revoke_api_key

    with database() as db:
        migrate.ensure_migrated(db.engine)
        with db.session() as session:
            revoke_api_key(session, name, utcnow())
    console.print(f"revoked [bold]{name}[/]")


@app.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def bench(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="queries, api_events, recall_quality, simulate_load, …")
    ],
) -> None:
    """Run a benchmark of the source checkout (extra options go to it; try `twin bench queries --help`)."""
    import subprocess
    import sys

    import twin

    root = Path(twin.__file__).resolve().parents[2]
    module = root / "benchmarks" / f"{name}.py"
    if not module.is_file():
        available = sorted(
            p.stem for p in (root / "benchmarks").glob("*.py") if not p.stem.startswith("_")
        )
        raise fail(
            f"no benchmark {name!r} in {root / 'benchmarks'}"
            + (
                f"; available: {', '.join(available)}"
                if available
                else " (benchmarks ship with the source checkout)"
            )
        )
    raise typer.Exit(
        subprocess.call([sys.executable, "-m", f"benchmarks.{name}", *ctx.args], cwd=root)
    )


def _register_feature_commands() -> None:
    """Commands whose implementation lives next to its feature."""
    from twin.cognitive_command import health_command
    from twin.ingest.command import import_revlog_command
    from twin.jobs.command import worker_command
    from twin.model_command import model_app
    from twin.patterns_command import analyze_command
    from twin.simulate.command import simulate_command
    from twin.struggle_command import predict_command

    app.command("worker", help="Run job workers (scheduled analyses, predictions, …).")(
        worker_command
    )
    app.command("simulate", help="Simulate learners with known hidden traits and load them.")(
        simulate_command
    )
    app.command("analyze", help="Analyse a learner's patterns now and print their twin.")(
        analyze_command
    )
    app.command("health", help="A learner's cognitive load, burnout risk and stress patterns.")(
        health_command
    )
    app.command("predict", help="Predict a learner's upcoming struggles and print the reasons.")(
        predict_command
    )
    app.add_typer(model_app, name="model")
    import_app = typer.Typer(help="Import learning data from files.", no_args_is_help=True)
    import_app.command("revlog", help="Import a flashcard review log (CSV) for a learner.")(
        import_revlog_command
    )
    app.add_typer(import_app, name="import")


_register_feature_commands()


@app.command("serve")
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


DEMO_LEARNERS = 50
DEMO_WEEKS = 8
DEMO_SEED = 42
DEMO_PREDICTION_WEEKS = 4  # weekly predictions before today's, so outcomes exist
DEMO_PREDICTION_LEARNERS_SHOWN = 3
REAL_LEARNER_ID = "revlog-learner"


def shared_data_file(name: str) -> Path | None:
    """A file of ../shared/data beside the repository (or the working directory), if present."""
    import twin

    candidates = [
        Path(twin.__file__).resolve().parents[3] / "shared" / "data" / name,
        Path.cwd().parent / "shared" / "data" / name,
    ]
    return next((c for c in candidates if c.is_file()), None)


@app.command("demo")
def demo(
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API at the end (Ctrl-C stops).")
    ] = True,
    port: Annotated[int, typer.Option(help="Port for the API.")] = 8000,
    learners: Annotated[int, typer.Option(help="Simulated learners.")] = DEMO_LEARNERS,
    weeks: Annotated[int, typer.Option(help="Weeks of simulated activity.")] = DEMO_WEEKS,
) -> None:
    """The main job: database, migrations, verification, a simulated cohort, the real log, the API."""
    from twin.db import migrate
    from twin.db.verify import verify_database

    started = time.perf_counter()
    with database() as db:
        where = (
            f"embedded PostgreSQL in {db.embedded.pgdata}" if db.embedded else "TWIN_DATABASE_URL"
        )
        console.rule("[bold]1. database")
        console.print(f"database: {where}")
        migrate.upgrade(db.engine, "head")
        console.print(f"migrated to: {migrate.current_revision(db.engine)}")
        report = verify_database(db.engine)
        print_verify_report(report)
        if not report.ok:
            raise typer.Exit(1)
        console.rule("[bold]2. data")
        demo_data(db, learners=learners, weeks=weeks)
        console.rule("[bold]3. the twins")
        demo_twins(db)
        console.rule("[bold]4. struggle predictions")
        demo_predictions(db)
        console.print(f"set-up finished in {time.perf_counter() - started:.1f} s")
    if serve_api:
        console.rule("[bold]5. API")
        run_server(
            host="127.0.0.1", port=port, with_worker=True, banner=lambda db: demo_banner(db, port)
        )


def demo_data(db: Database, *, learners: int, weeks: int) -> None:
    """Load the demo cohort and the real review log, unless already there."""
    import sqlalchemy as sa

    from twin.simulate.load import load_cohort

    with db.engine.connect() as conn:
        have = conn.execute(
            sa.text("SELECT count(*) FROM simulation_truth WHERE seed = :s"), {"s": DEMO_SEED}
        ).scalar_one()
    if have:
        console.print(f"simulated cohort (seed {DEMO_SEED}): {have} learners already loaded")
    else:
        # The demo cohort shares anonymized patterns, so the engine may train its struggle
        # model across these learners (real learners decide this themselves; default off).
        summary = load_cohort(
            db, learners=learners, weeks=weeks, seed=DEMO_SEED, progress=True, share_patterns=True
        )
        console.print(
            f"simulated {learners} learners × {weeks} weeks (seed {DEMO_SEED}): "
            f"{summary.rows.get('behavioral_events', 0):,} events, {summary.total_rows:,} rows "
            f"in {summary.seconds:.1f} s",
            soft_wrap=True,
        )
    revlog = shared_data_file("revlog_single_learner.csv")
    if revlog is None:
        console.print("real review log not found beside the repository (../shared/data): skipped")
        return
    from twin.ingest.revlog import import_revlog

    result = import_revlog(db, revlog, user_id=REAL_LEARNER_ID, timezone="UTC")
    console.print(
        f"real review log imported as learner {REAL_LEARNER_ID!r}: {result}", soft_wrap=True
    )


def demo_twins(db: Database) -> None:
    """Analyse every learner as of their last activity; show the cohort and the real learner's twin."""
    from datetime import timedelta

    import sqlalchemy as sa

    from twin.patterns_command import show_twin
    from twin.services import cognitive as cognitive_service
    from twin.services import patterns as patterns_service

    with db.engine.connect() as conn:
        last_activity = conn.execute(
            sa.text(
                'SELECT "userId", max("startedAt") FROM study_sessions GROUP BY "userId" ORDER BY 1'
            )
        ).all()
    table = Table(
        "learner",
        "analysis",
        "patterns",
        "insights",
        "optimal hours",
        "latest load",
        "burnout risk",
        title="the cohort's twins (as of each learner's last study day)",
    )
    outcomes = {}
    for user_id, last in last_activity:
        now = last + timedelta(hours=1)
        with db.session() as session:
            outcome = patterns_service.analyze_user(session, user_id, now=now, force=True)
        outcomes[user_id] = outcome
        with db.session() as session:
            learner = analysis_learner(session, user_id)
            cognitive_service.ensure_session_loads(session, learner, now - timedelta(days=14), now)
            burnout = cognitive_service.burnout_risk(session, learner, now)
            load = cognitive_service.current_load(session, user_id)
            n_patterns = len(patterns_service.list_patterns(session, user_id, limit=100))
            n_insights = len(patterns_service.open_insights(session, user_id))
        hours = ""
        if outcome.analysis is not None:
            times = outcome.analysis.profile.preferred_study_times
            hours = ", ".join(str(t.get("label", t.get("hour", ""))) for t in times[:2])
        reading = load.current
        table.add_row(
            user_id,
            outcome.status,
            str(n_patterns),
            str(n_insights),
            hours[:40],
            f"{reading.load_score:.0f}" if reading is not None else "—",
            f"{burnout.level.value} ({burnout.risk_score:.0f})",
        )
    console.print(table)
    featured = REAL_LEARNER_ID if REAL_LEARNER_ID in outcomes else next(iter(outcomes), None)
    if featured is not None:
        show_twin(db, featured, outcomes[featured])


def demo_predictions(db: Database) -> None:
    """Run the struggle loop over the cohort's last weeks, train, and show current predictions.

    Each simulated learner is predicted weekly over the last :data:`DEMO_PREDICTION_WEEKS`
    weeks of their data (outcomes captured from what they studied afterwards, exactly as the
    daily job does), the engine trains its model on the recorded outcomes (deployed only if
    it beats the rule baseline on held-out learners), and today's predictions are shown with
    their reasons for a few learners.
    """
    from datetime import timedelta

    import sqlalchemy as sa

    from twin.model_command import comparison_table
    from twin.services import struggle as struggle_service
    from twin.services.struggle import models as struggle_models
    from twin.services.struggle import outcomes as struggle_outcomes
    from twin.struggle_command import predictions_table

    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT s."userId", max(s."startedAt") FROM study_sessions s '
                'JOIN simulation_truth t ON t."userId" = s."userId" GROUP BY 1 ORDER BY 1'
            )
        ).all()
    if not rows:
        console.print("no simulated learners: skipped")
        return
    started = time.perf_counter()
    for user_id, last in rows:
        for weeks_back in range(DEMO_PREDICTION_WEEKS, 0, -1):
            cut = last - timedelta(weeks=weeks_back)
            with db.session() as session:
                struggle_outcomes.capture_outcomes(session, user_id, cut)
                struggle_service.generate_predictions(session, user_id, cut)
        with db.session() as session:
            struggle_outcomes.capture_outcomes(session, user_id, last + timedelta(hours=1))
    latest = max(last for _u, last in rows) + timedelta(hours=1)
    with db.session() as session:
        report = struggle_models.train(session, latest)
    console.print(
        f"{len(rows)} learners predicted weekly over {DEMO_PREDICTION_WEEKS} weeks, outcomes "
        f"captured, in {time.perf_counter() - started:.1f} s",
        soft_wrap=True,
    )
    if report.candidate is not None:
        console.print(comparison_table(report))
    console.print(f"model training: {report.status} — {report.decision}", soft_wrap=True)
    results = []
    for user_id, last in rows:
        with db.session() as session:
            results.append(
                struggle_service.generate_predictions(session, user_id, last + timedelta(hours=1))
            )
    at_risk = [r for r in results if r.at_risk > 0]
    console.print(
        f"today's predictions: {sum(len(r.predictions) for r in results)} objectives of "
        f"{len(results)} learners, {sum(r.at_risk for r in results)} at risk (p > 0.5) for "
        f"{len(at_risk)} learners",
        soft_wrap=True,
    )
    for result in at_risk[:DEMO_PREDICTION_LEARNERS_SHOWN]:
        console.print(predictions_table(result, limit=4, at_risk_only=True))


def demo_banner(db: Database, port: int) -> None:
    """Print a fresh service key, a learner token and example calls."""
    import sqlalchemy as sa

    from twin.clock import utcnow
    from twin.services import auth

    with db.session() as session:
        _row, key = auth.create_api_key(session, f"demo-{utcnow():%Y%m%d-%H%M%S}")
        learner = session.execute(
            sa.text("SELECT id FROM users ORDER BY (id = :real) DESC, id LIMIT 1"),
            {"real": REAL_LEARNER_ID},
        ).scalar_one()
        secret = auth.token_secret(session, load_settings().secret_key)
        token, _exp = auth.issue_learner_token(secret, learner, 3600, utcnow())
    base = f"http://127.0.0.1:{port}"
    console.print(f"API docs: {base}/docs")
    console.print("service key (acts for any learner):")
    print(f"  {key}")
    console.print(f"learner token for {learner!r} (1 hour):")
    print(f"  {token}")
    console.print("try:")
    print(f"  curl -s -H 'Authorization: Bearer {key}' '{base}/v1/users?limit=5'")
    print(f"  curl -s -H 'Authorization: Bearer {token}' '{base}/v1/users/{learner}'")
    print(
        f"  curl -s -H 'Authorization: Bearer {token}' "
        f"'{base}/v1/users/{learner}/events?eventType=CARD_REVIEWED&limit=3'"
    )
    console.print("Ctrl-C stops the API, the worker and the embedded database.")


def main() -> None:
    """Entry point for ``python -m twin``."""
    app()


if __name__ == "__main__":
    main()
