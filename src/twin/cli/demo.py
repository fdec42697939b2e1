"""``twin demo``: database, migrations, verification, a simulated cohort, the real log, the API."""

from __future__ import annotations

import time
from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twin.cli.common import console, database
from twin.cli.db import print_verify_report
from twin.cli.experiments import DEMO_EXPERIMENT_LEARNERS, demo_experiment
from twin.cli.orchestration import demo_schedule
from twin.cli.serve import run_server
from twin.config import load_settings
from twin.db.engine import Database
from twin.learners import analysis_learner

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
        console.rule("[bold]5. a learner's week: slots over their calendar, one plan")
        demo_schedule(db)
        console.rule("[bold]6. an A/B experiment")
        demo_experiment(db, learners=min(DEMO_EXPERIMENT_LEARNERS, max(12, 4 * learners)))
        console.rule("[bold]7. insights: recommendations, goals, score")
        demo_insights_section(db)
        console.print(f"set-up finished in {time.perf_counter() - started:.1f} s")
    if serve_api:
        console.rule("[bold]8. API")
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

    from twin.cli.patterns import show_twin
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

    from twin.cli.struggle import comparison_table, predictions_table
    from twin.services import struggle as struggle_service
    from twin.services.struggle import models as struggle_models
    from twin.services.struggle import outcomes as struggle_outcomes

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


def demo_insights_section(db: Database) -> None:
    """One simulated learner's recommendations, goals and score as of their last study day."""
    from datetime import timedelta

    import sqlalchemy as sa

    from twin.cli.insights import demo_insights

    with db.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                'SELECT s."userId", max(s."startedAt") FROM study_sessions s '
                'JOIN simulation_truth t ON t."userId" = s."userId" GROUP BY 1 ORDER BY 1 LIMIT 1'
            )
        ).first()
    if row is None:
        console.print("no simulated learner: skipped")
        return
    demo_insights(db, row[0], row[1].replace(tzinfo=UTC) + timedelta(hours=1))


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
