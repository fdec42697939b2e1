"""``twin demo``: database, migrations, verification, a cohort and the real log, the API.

The demo's world is *now*: the simulated cohort's weeks end just before the demo
starts (in every learner's time zone), the real learner's review log is moved forward
by whole days so that it ends today too (times of day and every interval unchanged),
and every figure is computed as of the moment the demo started. What it prints is
therefore what the API routes and the ``twin`` commands answer afterwards for the
same learners (``tests/cli/test_demo.py`` checks it). A cohort or a log placed on an
earlier day is replaced; one placed today is reused, so a second run is quick.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from twin.cli.common import console, database
from twin.cli.serve import DEFAULT_HOST, DEFAULT_PORT, HostOption, PortOption, require_port

if TYPE_CHECKING:
    from twin.db.engine import Database

DEMO_LEARNERS = 50
DEMO_WEEKS = 8
DEMO_SEED = 42
DEMO_PREDICTION_WEEKS = 4  # weekly predictions before today's, so outcomes exist
DEMO_PREDICTION_LEARNERS_SHOWN = 3
DEMO_PREDICTIONS_SHOWN = 2
DEMO_KEY_NAME = "demo"
"""The demo's service key: replaced on every run, revoked when the demo stops."""
DEMO_TOKEN_SECONDS = 3600
REAL_LEARNER_ID = "revlog-learner"
REAL_LOG_FILE = "revlog_single_learner.csv"
REAL_LOG_END_MARGIN = timedelta(minutes=5)
"""The moved log's last review is at least this long before the demo's start."""
BEST_HOURS_SHOWN = 2
LOAD_HISTORY_DAYS = 366
"""Every session of the last year gets its cognitive load (the cohort's weeks, the whole
moved log), so load history, stress and load-performance see all of it."""
MAX_DEMO_WEEKS = 52


def shared_data_file(name: str) -> Path | None:
    """A file of ../shared/data beside the repository (or the working directory), if present."""
    import twin

    candidates = [
        Path(twin.__file__).resolve().parents[3] / "shared" / "data" / name,
        Path.cwd().parent / "shared" / "data" / name,
    ]
    return next((c for c in candidates if c.is_file()), None)


def demo(
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API at the end (Ctrl-C stops).")
    ] = True,
    host: HostOption = DEFAULT_HOST,
    port: PortOption = DEFAULT_PORT,
    learners: Annotated[int, typer.Option(min=1, help="Simulated learners.")] = DEMO_LEARNERS,
    weeks: Annotated[
        int, typer.Option(min=1, max=MAX_DEMO_WEEKS, help="Weeks of simulated activity.")
    ] = DEMO_WEEKS,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print every check of the verification.")
    ] = False,
) -> None:
    """The main job: database, migrations, verification, a simulated cohort, the real log, the API."""
    from twin.cli.db import print_verify_report, verify_summary
    from twin.cli.experiments import DEMO_EXPERIMENT_LEARNERS, demo_experiment
    from twin.cli.orchestration import demo_schedule
    from twin.clock import utcnow
    from twin.db import migrate
    from twin.db.verify import verify_database

    if serve_api:
        require_port(
            host,
            port,
            f"choose another with --port (`make demo PORT={port + 1}` or "
            f"`twin demo --port {port + 1}`)",
        )
    started = time.perf_counter()
    now = utcnow()
    took: dict[str, float] = {}
    with database() as db:
        where = (
            f"embedded PostgreSQL in {db.embedded.pgdata}" if db.embedded else "TWIN_DATABASE_URL"
        )
        console.rule("[bold]1. database")
        console.print(f"database: {where}")
        migrate.upgrade(db.engine, "head")
        console.print(f"migrated to: {migrate.current_revision(db.engine)}")
        fresh = not demo_cohort_loaded(db)
        # The planner's check loads a 200,000-event sample (about 20 s): the first set-up
        # runs it; later runs check the schema only (`twin db verify` runs everything).
        report = verify_database(db.engine, planner=fresh)
        if verbose or not report.ok:
            print_verify_report(report, verbose=verbose)
        else:
            console.print(verify_summary(report))
        if not report.ok:
            raise typer.Exit(1)
        took["database"] = time.perf_counter() - started

        def step(title: str, name: str, run: Callable[[], None]) -> None:
            """One numbered section of the set-up, timed."""
            console.rule(f"[bold]{title}")
            run()
            took[name] = time.perf_counter() - started - sum(took.values())

        def data() -> None:
            console.print(f"the demo's now: {now:%Y-%m-%d %H:%M} UTC")
            demo_data(db, learners=learners, weeks=weeks, now=now)

        experiment_learners = min(DEMO_EXPERIMENT_LEARNERS, max(12, 4 * learners))
        step("2. data", "data", data)
        step("3. the twins", "twins", lambda: demo_twins(db, now))
        step("4. struggle predictions", "predictions", lambda: demo_predictions(db, now))
        step(
            "5. a learner's week: slots over their calendar, one plan",
            "schedule",
            lambda: demo_schedule(db, now, seed=DEMO_SEED),
        )
        step(
            "6. an A/B experiment",
            "experiment",
            lambda: demo_experiment(db, now, learners=experiment_learners),
        )
        step(
            "7. insights: recommendations, goals, score",
            "insights",
            lambda: demo_insights_section(db, now),
        )
        step(
            "8. personalization: 4 weeks of defaults, 8 weeks adapted",
            "personalization",
            lambda: demo_personalization_section(db, now),
        )
        parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in took.items())
        console.print(f"set-up finished in {time.perf_counter() - started:.1f} s ({parts})")
    if serve_api:
        console.rule("[bold]9. API")
        run_demo_server(host, port)


def run_demo_server(host: str, port: int) -> None:
    """Serve the API with a worker; the demo's key is printed first and revoked at the end."""
    from twin.cli.serve import run_server

    def revoke(db: Database) -> None:
        from twin.clock import utcnow
        from twin.services import auth

        with db.session() as session:
            auth.revoke_api_key(session, DEMO_KEY_NAME, utcnow())
        console.print(f"the demo's service key {DEMO_KEY_NAME!r} is revoked")

    run_server(
        host=host,
        port=port,
        with_worker=True,
        banner=lambda db: demo_banner(db, host, port),
        on_stop=revoke,
    )


def demo_cohort_loaded(db: Database) -> bool:
    """Whether the demo's simulated cohort is in the database (whatever its dates)."""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT EXISTS (SELECT 1 FROM simulation_truth WHERE seed = :s)"),
                {"s": DEMO_SEED},
            ).scalar_one()
        )


def loaded_window(db: Database) -> tuple[int, str | None, int | None]:
    """(learners, start date, weeks) of the demo cohort in the database."""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        count, start, weeks = conn.execute(
            sa.text(
                "SELECT count(*), min(traits->'window'->>'startDate'), "
                "min((traits->'window'->>'weeks')::int) FROM simulation_truth WHERE seed = :s"
            ),
            {"s": DEMO_SEED},
        ).one()
    return int(count), start, weeks


def demo_data(db: Database, *, learners: int, weeks: int, now: datetime) -> bool:
    """Load the cohort (weeks ending now) and the real log (moved to end today).

    Returns True when the cohort was already in place and reused.
    """
    from twin.simulate.load import load_cohort
    from twin.simulate.window import start_ending_by, window_end

    start = start_ending_by(now, weeks)
    have, have_start, have_weeks = loaded_window(db)
    reused = (have, have_start, have_weeks) == (learners, start.isoformat(), weeks)
    if reused:
        console.print(
            f"simulated cohort (seed {DEMO_SEED}): {have} learners × {weeks} weeks "
            f"({start} … {window_end(start, weeks)}) already loaded"
        )
    else:
        # The demo cohort shares anonymized patterns, so the engine may train its struggle
        # model across these learners (real learners decide this themselves; default off).
        # Its weeks end now, so the dashboard's "last 30 days" and heatmap show them.
        summary = load_cohort(
            db,
            learners=learners,
            weeks=weeks,
            seed=DEMO_SEED,
            start=start,
            progress=True,
            replace=True,
            share_patterns=True,
        )
        replaced = f", replacing {have} learners of another window" if have else ""
        console.print(
            f"simulated {learners} learners × {weeks} weeks (seed {DEMO_SEED}), "
            f"{start} … {window_end(start, weeks)}: "
            f"{summary.rows.get('behavioral_events', 0):,} events, {summary.total_rows:,} rows "
            f"in {summary.seconds:.1f} s{replaced}",
        )
    place_real_log(db, now)
    return reused


def moved_revlog(path: Path, now: datetime) -> tuple[str, timedelta, datetime, datetime]:
    """The review log moved forward by whole days to end today: (CSV text, shift, first, last).

    Whole days keep every time of day and every interval; the last review lands at most
    :data:`REAL_LOG_END_MARGIN` before ``now`` (today, or yesterday when its time of day
    has not come yet).
    """
    from twin.analysis.common import aware_utc
    from twin.ingest.revlog import REVLOG_COLUMNS, parse_revlog, read_text

    text, _name = read_text(path)
    rows, _problems = parse_revlog(io.StringIO(text, newline=""))

    first = min(aware_utc(r.reviewed_at) for r in rows)
    last = max(aware_utc(r.reviewed_at) for r in rows)
    shift = timedelta(days=((aware_utc(now) - REAL_LOG_END_MARGIN) - last) // timedelta(days=1))
    out = io.StringIO()
    out.write(",".join(REVLOG_COLUMNS) + "\n")
    for r in rows:
        moved = (aware_utc(r.reviewed_at) + shift).isoformat(timespec="microseconds")
        out.write(f"{r.card_id},{r.rating},{moved},{r.duration_ms}\n")
    return out.getvalue(), shift, first, last


def place_real_log(db: Database, now: datetime) -> None:
    """Import the real learner's log moved to end today (replacing one placed on another day)."""
    import sqlalchemy as sa

    from twin.analysis.common import naive_utc

    path = shared_data_file(REAL_LOG_FILE)
    if path is None:
        console.print("real review log not found beside the repository (../shared/data): skipped")
        return
    from twin.ingest.revlog import import_revlog
    from twin.services.learners import erase_user

    text, shift, first, last = moved_revlog(path, now)
    with db.engine.connect() as conn:
        placed_last = conn.execute(
            sa.text('SELECT max("reviewedAt") FROM reviews WHERE "userId" = :u'),
            {"u": REAL_LEARNER_ID},
        ).scalar_one()
        exists = conn.execute(
            sa.text("SELECT EXISTS (SELECT 1 FROM users WHERE id = :u)"), {"u": REAL_LEARNER_ID}
        ).scalar_one()
    where = (
        f"real review log ({first:%Y-%m-%d} … {last:%Y-%m-%d}) moved forward {shift.days} days "
        f"to end {last + shift:%Y-%m-%d %H:%M} UTC (times of day and intervals unchanged)"
    )
    if placed_last is not None and placed_last == naive_utc(last + shift):
        console.print(f"{where}: already imported as learner {REAL_LEARNER_ID!r}")
        return
    if exists:
        with db.session() as session:
            erase_user(session, REAL_LEARNER_ID)
    result = import_revlog(db, io.StringIO(text), user_id=REAL_LEARNER_ID, timezone="UTC")
    console.print(f"{where}; imported as learner {REAL_LEARNER_ID!r}: {result}")


def learner_figures(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Analyse one learner as of ``now`` (once a day) and return the figures the demo prints."""
    from twin.errors import Conflict
    from twin.learners import analysis_learner
    from twin.services import cognitive as cognitive_service
    from twin.services import patterns as patterns_service

    try:
        with db.session() as session:
            patterns_service.analyze_user(session, user_id, now=now)
    except Conflict:
        pass  # analysed less than a day ago (an earlier run today): the stored twin stands
    with db.session() as session:
        learner = analysis_learner(session, user_id)
        cognitive_service.ensure_session_loads(
            session, learner, now - timedelta(days=LOAD_HISTORY_DAYS), now
        )
        burnout = cognitive_service.burnout_risk(session, learner, now)
        load = cognitive_service.current_load(session, user_id)
        view = patterns_service.learning_profile(session, user_id, now)
        n_patterns = len(patterns_service.list_patterns(session, user_id, limit=100))
        n_insights = len(patterns_service.open_insights(session, user_id))
    times = list(view.profile.preferredStudyTimes) if view.profile is not None else []
    hours = [str(t.get("label", t.get("hour", ""))) for t in times if isinstance(t, dict)]
    reading = load.current
    return {
        "patterns": n_patterns,
        "insights": n_insights,
        "bestHours": hours[:BEST_HOURS_SHOWN],
        "load": None if reading is None else reading.load_score,
        "burnoutLevel": burnout.level.value,
        "burnoutScore": burnout.risk_score,
    }


def twins_table(figures: dict[str, dict[str, Any]], now: datetime) -> Table:
    """One row per learner: patterns, insights, best hours, latest load, burnout risk."""
    table = Table(
        "learner",
        "patterns",
        "insights",
        "best hours",
        "load",
        "burnout",
        title=f"the twins as of {now:%Y-%m-%d %H:%M} UTC",
    )
    for column in table.columns[1:3] + table.columns[4:5]:
        column.justify = "right"
    for user_id, f in figures.items():
        table.add_row(
            user_id,
            str(f["patterns"]),
            str(f["insights"]),
            ", ".join(f["bestHours"]) or "—",
            "—" if f["load"] is None else f"{f['load']:.0f}",
            f"{f['burnoutLevel']} {f['burnoutScore']:.0f}",
        )
    table.caption = (
        "best hours: local start hours that beat the learner's own average · load: latest "
        "session, 0–100 · burnout: 14 days to now, 0–100"
    )
    table.caption_justify = "left"
    return table


def demo_twins(db: Database, now: datetime) -> None:
    """Analyse the demo's learners as of now; show the cohort and the real learner's twin.

    The demo's learners: its cohort and the real learner (not the experiment's cohort,
    nor learners added by hand to the same database).
    """
    import sqlalchemy as sa

    from twin.cli.patterns import show_twin

    with db.engine.connect() as conn:
        ids = list(
            conn.execute(
                sa.text(
                    'SELECT DISTINCT s."userId" FROM study_sessions s '
                    'LEFT JOIN simulation_truth t ON t."userId" = s."userId" '
                    'WHERE t.seed = :s OR s."userId" = :real ORDER BY 1'
                ),
                {"s": DEMO_SEED, "real": REAL_LEARNER_ID},
            ).scalars()
        )
    ordered = sorted(ids, key=lambda u: (u != REAL_LEARNER_ID, u))
    figures = {user_id: learner_figures(db, user_id, now) for user_id in ordered}
    console.print(twins_table(figures, now))
    featured = REAL_LEARNER_ID if REAL_LEARNER_ID in figures else next(iter(figures), None)
    if featured is not None:
        show_twin(db, featured, None)


def demo_predictions(db: Database, now: datetime) -> None:
    """Run the struggle loop over the last weeks, train, and show today's predictions.

    Unless the cohort has predictions already (a second run today), each simulated learner is predicted weekly
    over the last :data:`DEMO_PREDICTION_WEEKS` weeks (outcomes captured from what they
    studied afterwards, exactly as the daily job does) and the engine trains its model on
    the recorded outcomes (deployed only if it beats the rule baseline on held-out
    learners). Then every learner is predicted as of now and a few at-risk ones are shown.
    """
    import sqlalchemy as sa

    from twin.cli.struggle import comparison_table, predictions_block
    from twin.services import struggle as struggle_service
    from twin.services.struggle import models as struggle_models
    from twin.services.struggle import outcomes as struggle_outcomes

    with db.engine.connect() as conn:
        users = list(
            conn.execute(
                sa.text('SELECT "userId" FROM simulation_truth WHERE seed = :s ORDER BY 1'),
                {"s": DEMO_SEED},
            ).scalars()
        )
    if not users:
        console.print("no simulated learners: skipped")
        return
    with db.engine.connect() as conn:
        history = not conn.execute(
            sa.text('SELECT EXISTS (SELECT 1 FROM struggle_predictions WHERE "userId" = ANY(:u))'),
            {"u": users},
        ).scalar_one()
    if history:
        started = time.perf_counter()
        for user_id in users:
            for weeks_back in range(DEMO_PREDICTION_WEEKS, 0, -1):
                cut = now - timedelta(weeks=weeks_back)
                with db.session() as session:
                    struggle_outcomes.capture_outcomes(session, user_id, cut)
                    struggle_service.generate_predictions(session, user_id, cut)
            with db.session() as session:
                struggle_outcomes.capture_outcomes(session, user_id, now)
        with db.session() as session:
            report = struggle_models.train(session, now)
        console.print(
            f"{len(users)} learners predicted weekly over the last {DEMO_PREDICTION_WEEKS} "
            f"weeks, outcomes captured, in {time.perf_counter() - started:.1f} s",
        )
        if report.candidate is not None:
            console.print(comparison_table(report))
        console.print(f"model training: {report.decision}")
    else:
        console.print("the weekly predictions of the last weeks are already there")
    results = []
    for user_id in users:
        with db.session() as session:
            results.append(struggle_service.generate_predictions(session, user_id, now))
    at_risk = [r for r in results if r.at_risk > 0]
    console.print(
        f"today's predictions: {sum(len(r.predictions) for r in results)} objectives of "
        f"{len(results)} learners, {sum(r.at_risk for r in results)} at risk (p > 0.5) for "
        f"{len(at_risk)} learners",
    )
    for result in at_risk[:DEMO_PREDICTION_LEARNERS_SHOWN]:
        console.print(predictions_block(result, limit=DEMO_PREDICTIONS_SHOWN, at_risk_only=True))


def _demo_learner(db: Database, select_sql: str) -> str | None:
    """The simulated learner ``select_sql`` picks (binds ``:s``, the demo's seed); None, said
    on the console, when there is none."""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        user = conn.execute(sa.text(select_sql), {"s": DEMO_SEED}).scalar()
    if user is None:
        console.print("no simulated learner: skipped")
        return None
    return str(user)


def demo_insights_section(db: Database, now: datetime) -> None:
    """The first simulated learner's recommendations, goals and score as of the demo's now."""

    from twin.analysis.common import aware_utc
    from twin.cli.insights import demo_insights

    user = _demo_learner(
        db,
        'SELECT DISTINCT s."userId" FROM study_sessions s '
        'JOIN simulation_truth t ON t."userId" = s."userId" '
        "WHERE t.seed = :s ORDER BY 1 LIMIT 1",
    )
    if user is not None:
        demo_insights(db, user, aware_utc(now))


def demo_personalization_section(db: Database, now: datetime) -> None:
    """The second simulated learner's arms and effectiveness after 8 adapted weeks."""

    from twin.analysis.common import aware_utc
    from twin.cli.personalization import demo_personalization

    user = _demo_learner(
        db,
        'SELECT t."userId" FROM simulation_truth t JOIN users u ON u.id = t."userId" '
        'WHERE t.seed = :s AND u."behavioralAnalysisEnabled" ORDER BY 1 OFFSET 1 LIMIT 1',
    )
    if user is not None:
        demo_personalization(db, user, aware_utc(now))


def demo_banner(db: Database, host: str, port: int) -> None:
    """Print the demo's service key (fresh, one per database), a learner token and calls to try."""
    import os

    import sqlalchemy as sa

    from twin.clock import utcnow
    from twin.config import load_settings
    from twin.services import auth

    with db.session() as session:
        _row, key = auth.rotate_api_key(session, DEMO_KEY_NAME, utcnow())
        learner = session.execute(
            sa.text("SELECT id FROM users ORDER BY (id = :real) DESC, id LIMIT 1"),
            {"real": REAL_LEARNER_ID},
        ).scalar_one()
        secret = auth.token_secret(session, load_settings().secret_key)
        token, _exp = auth.issue_learner_token(secret, learner, DEMO_TOKEN_SECONDS, utcnow())
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown_host}:{port}"
    console.print(f"API docs: {base}/docs")
    console.print(
        f"service key {DEMO_KEY_NAME!r} (acts for any learner; revoked when the demo stops):"
    )
    print(f"  {key}")
    console.print(f"learner token for {learner!r} (1 hour):")
    print(f"  {token}")
    console.print(f"dashboard for {learner!r} (the link is valid for 1 hour):")
    print(f"  {base}/ui/signin?token={token}")
    console.print("dashboard for operators: sign in with the service key above at")
    print(f"  {base}/ui/signin")
    console.print("try:")
    print(f"  curl -s -H 'Authorization: Bearer {key}' '{base}/v1/users?limit=5'")
    print(f"  curl -s -H 'Authorization: Bearer {token}' '{base}/v1/users/{learner}/burnout-risk'")
    print(
        f"  curl -s -H 'Authorization: Bearer {token}' "
        f"'{base}/v1/users/{learner}/events?eventType=CARD_REVIEWED&limit=3'"
    )
    env = os.environ.get("TWIN_DATA_DIR")
    prefix = f"TWIN_DATA_DIR={env} " if env else ""
    console.print("and in another terminal (the same database):")
    print(f"  {prefix}.venv/bin/twin learners list --search sim42 --limit 5")
    print(f"  {prefix}.venv/bin/twin health {learner}")
    print(f"  {prefix}.venv/bin/twin predict sim42-u1")
    console.print("Ctrl-C stops the API, the worker and the embedded database.")
