"""Speed of the dashboard: each page's server time, and time to fully rendered in Chromium.

    python -m benchmarks.dashboard_speed [--weeks 12 --seed 20 --runs 40]
                                         [--database-url URL] [--keep] [--no-browser]

Simulates one learner whose 12 weeks of study end now (:func:`seed_dashboard_learner`:
the simulator, then the engine's own analysis, cognitive load, burnout assessment and
struggle predictions, as the scheduled jobs would have made them) in a fresh database
(embedded PostgreSQL in a temporary directory, or ``--database-url`` / ``TWIN_DATABASE_URL``).

Measured: every dashboard page of that learner and the operator pages, through the app
in-process (TestClient) with a learner (or operator) session: the server-side time of
each request (an ASGI middleware around the app), ``--runs`` times after 3 warm-up
requests; target p95 ≤ 100 ms. Then, with the app served by uvicorn on loopback, Debian's
Chromium (``/usr/bin/chromium``, headless) opens each page: time from navigation start
until every chart is drawn (``data-charts-ready`` on the document) — the learner's sign-in
link in a fresh browser through to the overview drawn, each page's first load in that
browser and the median of 5 more, and a fresh browser opening the patterns page directly
(plotly.js, 4.8 MB, fetched and compiled: :func:`render_times`); target ≤ 1.5 s. Prints
one table and writes ``benchmarks/results/dashboard_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Column, Table

from benchmarks.ingest_support import machine, scratch_database
from twin.clock import utcnow
from twin.config import load_settings
from twin.db.engine import Database
from twin.learners import analysis_learner
from twin.services import auth
from twin.services import cognitive as cognitive_service
from twin.services import learners as users_service
from twin.services import patterns as patterns_service
from twin.services import struggle as struggle_service
from twin.services.insights import daily as insights_daily
from twin.services.orchestration import calendars as calendar_service
from twin.services.orchestration import slots as slots_service
from twin.services.orchestration.common import CalendarContext
from twin.services.struggle import outcomes as struggle_outcomes
from twin.simulate.load import load_cohort
from twin.simulate.traits import user_id

RESULTS = Path(__file__).resolve().parent / "results" / "dashboard_speed.json"
TARGET_SERVER_P95_MS = 100.0
TARGET_RENDER_S = 1.5
WARMUP_RUNS = 3
MIN_RUNS = 10
BROWSER_WARM_LOADS = 5
PREDICTION_WEEKS = 4  # weekly predictions before today's, so some outcomes are recorded
LOAD_BACKFILL_DAYS = 35
CALENDAR_DAYS = 8
BUSY_LOCAL_HOURS = ((12, 14), (17, 19))  # a lecture and an evening commitment, every day
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LEARNER_PAGES = (
    "",
    "patterns",
    "health",
    "struggles",
    "insights",
    "progress",
    "schedule",
    "schedule/effectiveness",
    "schedule/settings",
    "personalization",
    "learn",
    "privacy",
)
OPERATOR_PAGES = ("high-risk", "learners", "models", "experiments", "cohorts")
MIN_CONSOLE_WIDTH = 110
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))


@dataclass(frozen=True)
class SeededLearner:
    """The simulated learner a dashboard is shown for, and what the engine made of them."""

    user_id: str
    analysis_status: str
    predictions: int
    at_risk: int
    load_readings: int
    busy_blocks: int = 0
    slots: int = 0
    plan_id: str | None = None
    recommendations: int = 0
    notifications: int = 0
    personalization_decisions: int = 0


def busy_calendar(now: datetime, timezone: str, days: int = CALENDAR_DAYS) -> bytes:
    """An .ics with :data:`BUSY_LOCAL_HOURS` every day from ``now``'s date in ``timezone``
    (the second one TENTATIVE), written in UTC."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    today = now.replace(tzinfo=UTC).astimezone(zone).date()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//twin dashboard bench//EN"]
    for d in range(days):
        day = today + timedelta(days=d)
        for k, (lo, hi) in enumerate(BUSY_LOCAL_HOURS):
            start = datetime(day.year, day.month, day.day, lo, tzinfo=zone).astimezone(UTC)
            end = datetime(day.year, day.month, day.day, hi, tzinfo=zone).astimezone(UTC)
            lines += [
                "BEGIN:VEVENT",
                f"UID:bench-{d}-{k}@twin",
                "DTSTAMP:20250101T000000Z",
                f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
                f"DTEND:{end:%Y%m%dT%H%M%SZ}",
                *(["STATUS:TENTATIVE"] if k else []),
                "SUMMARY:Busy",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def seed_dashboard_learner(
    db: Database,
    *,
    weeks: int,
    seed: int,
    now: datetime | None = None,
    learners: int = 1,
    name: str | None = None,
) -> SeededLearner:
    """Simulate ``learners`` learners whose ``weeks`` of study end at ``now`` and let the engine
    analyse the first as its jobs would: patterns, load of every recent session, burnout,
    weekly struggle predictions with their outcomes, and today's predictions. Then their
    week: an uploaded calendar, the recommended slots around it, the best one accepted; and
    the daily insights run (scores, recommendations, notifications) and three weeks of
    personalized missions."""
    now = now or utcnow()  # naive UTC, as the services take it
    start = (now - timedelta(weeks=weeks)).date()
    load_cohort(db, learners, weeks, seed, start, workers=0, connections=1, replace=True)
    uid = user_id(seed, 0)
    with db.session() as session:
        if name is not None:
            users_service.upsert_user(session, uid, {"name": name})
        outcome = patterns_service.analyze_user(session, uid, now=now, force=True)
    with db.session() as session:
        learner = analysis_learner(session, uid)
        readings = cognitive_service.ensure_session_loads(
            session, learner, now - timedelta(days=LOAD_BACKFILL_DAYS), now
        )
        cognitive_service.burnout_risk(session, learner, now)
    for weeks_back in range(PREDICTION_WEEKS, 0, -1):
        cut = now - timedelta(weeks=weeks_back)
        with db.session() as session:
            struggle_outcomes.capture_outcomes(session, uid, cut)
            struggle_service.generate_predictions(session, uid, cut)
    with db.session() as session:
        struggle_outcomes.capture_outcomes(session, uid, now)
        result = struggle_service.generate_predictions(session, uid, now)
        timezone = analysis_learner(session, uid).timezone
    synced = calendar_service.upload_calendar(
        db, uid, busy_calendar(now, timezone), now, CalendarContext()
    )
    plan_id = None
    with db.session() as session:
        offer = slots_service.recommend(session, uid, now)
        if offer.slots:
            plan_id = slots_service.accept(session, uid, offer.slots[0].id, now).plan.id
    with db.session() as session:
        daily = insights_daily.run_daily(session, uid, now)
    # Three weeks of MISSION personalization (one of defaults, two adapted) for the page.
    from twin.simulate.personalization import simulate_personalized_weeks

    adapted = simulate_personalized_weeks(
        db, uid, now, np.random.default_rng(seed), baseline_weeks=1, weeks=2
    )
    return SeededLearner(
        user_id=uid,
        analysis_status=outcome.status,
        predictions=len(result.predictions),
        at_risk=result.at_risk,
        load_readings=readings,
        busy_blocks=synced.blocks,
        slots=len(offer.slots),
        plan_id=plan_id,
        recommendations=daily.recommendations_created,
        notifications=daily.notifications,
        personalization_decisions=adapted.decisions,
    )


EXPERIMENT_ARMS = {"control": 130, "short": 70}
"""Participants per arm of the seeded experiment: a 130/70 split of a planned 50/50 is a
sample ratio mismatch (chi-square 18 on 1 degree of freedom, p ≈ 2e-5)."""
EXPERIMENT_MEANS = {"control": 60.0, "short": 66.0}
EXPERIMENT_SD = 10.0
EXPERIMENT_DAYS_RUN = 20
EXPERIMENT_DAYS = 28
EXPERIMENT_NAME = "shorter missions"
BENCH_ARTICLE = "spaced-repetition-and-the-forgetting-curve"
"""The article page measured (any shipped article; its "your data" is filled per request)."""


def seed_experiment(db: Database, *, seed: int, now: datetime | None = None) -> str:
    """A 50/50 MISSION experiment on performance that started 20 days before ``now``, whose
    participants (:data:`EXPERIMENT_ARMS`) have stored pre- and post-period metrics drawn
    around :data:`EXPERIMENT_MEANS`, as the daily metrics job would have written them."""
    import sqlalchemy as sa

    from twin.analysis.experiments.definition import Variant
    from twin.analysis.experiments.metrics import MetricValue
    from twin.analysis.experiments.periods import (
        ParticipantMetrics,
        PeriodMetrics,
        participant_periods,
    )
    from twin.enums import PersonalizationContext
    from twin.services import experiments as experiments_service
    from twin.services.experiments.measurement import store_metrics

    now = now or utcnow()
    start = now - timedelta(days=EXPERIMENT_DAYS_RUN)
    rng = np.random.default_rng(seed)
    definition = experiments_service.NewExperiment(
        name=EXPERIMENT_NAME,
        context=PersonalizationContext.MISSION,
        variants=(
            Variant("control", "Control", 1.0, {"durationFactor": 1.0}),
            Variant("short", "Shorter", 1.0, {"durationFactor": 0.8}),
        ),
        primary_metric="performance",
        guardrail_metrics=("study_minutes",),
        start=start,
        end=start + timedelta(days=EXPERIMENT_DAYS),
        expected_participants=sum(EXPERIMENT_ARMS.values()),
    )
    with db.session() as session:
        created = experiments_service.create_experiment(
            session, definition, start - timedelta(hours=1)
        )
    assigned_at = start + timedelta(days=1)
    as_of = now - timedelta(days=1)
    periods = participant_periods(assigned_at, as_of)
    assert periods is not None
    docs = {}
    with db.session() as session:
        for variant, n in EXPERIMENT_ARMS.items():
            for i in range(n):
                uid = f"bench-exp-{variant}-{i:03d}"
                session.execute(
                    sa.text(
                        'INSERT INTO experiment_assignments (id, "experimentId", "userId", '
                        '"variantId", "assignedAt") VALUES (:id, :e, :u, :v, :at)'
                    ),
                    {
                        "id": f"{created.id}-{uid}",
                        "e": created.id,
                        "u": uid,
                        "v": variant,
                        "at": assigned_at,
                    },
                )
                post = float(rng.normal(EXPERIMENT_MEANS[variant], EXPERIMENT_SD))
                pre = float(rng.normal(EXPERIMENT_MEANS["control"], EXPERIMENT_SD))
                docs[uid] = ParticipantMetrics(
                    as_of=as_of,
                    pre=PeriodMetrics(periods.pre, {"performance": MetricValue(pre, 5)}),
                    post=PeriodMetrics(periods.post, {"performance": MetricValue(post, 5)}),
                )
        store_metrics(session, created.id, docs)
        session.execute(
            sa.text('UPDATE personalization_experiments SET "metricsAsOf" = :t WHERE id = :e'),
            {"t": as_of, "e": created.id},
        )
    return created.id


def learner_counts(db: Database, uid: str) -> dict[str, int]:
    """How much data the measured learner has."""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                'SELECT (SELECT count(*) FROM study_sessions WHERE "userId" = :u), '
                '(SELECT count(*) FROM reviews WHERE "userId" = :u), '
                '(SELECT count(*) FROM behavioral_events WHERE "userId" = :u), '
                '(SELECT count(*) FROM struggle_predictions WHERE "userId" = :u)'
            ),
            {"u": uid},
        ).one()
    return {"sessions": row[0], "reviews": row[1], "events": row[2], "predictionsStored": row[3]}


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 / p95 / max in ms."""
    return {
        "runs": len(samples),
        "p50Ms": float(np.percentile(samples, 50)),
        "p95Ms": float(np.percentile(samples, 95)),
        "maxMs": float(max(samples)),
    }


def page_paths(uid: str, experiment_id: str | None = None) -> dict[str, str]:
    """Every page measured: learner pages of ``uid``, the operator pages and, given one, an
    experiment's result page."""
    from urllib.parse import quote

    base = f"/ui/learners/{quote(uid, safe='')}"
    paths = {f"learner/{p or 'overview'}": f"{base}/{p}".rstrip("/") for p in LEARNER_PAGES}
    paths.update({f"operator/{p}": f"/ui/operator/{p}" for p in OPERATOR_PAGES})
    paths["learner/article"] = f"{base}/learn/{BENCH_ARTICLE}"
    if experiment_id is not None:
        paths["operator/experiment"] = f"/ui/operator/experiments/{quote(experiment_id, safe='')}"
    return paths


def credentials(db: Database, uid: str) -> tuple[str, str]:
    """A learner token for ``uid`` and a fresh service key."""
    with db.session() as session:
        secret = auth.token_secret(session, load_settings().secret_key)
        _row, key = auth.create_api_key(session, f"dashboard-bench-{time.time_ns()}")
    token, _exp = auth.issue_learner_token(secret, uid, 3600, utcnow())
    return token, key


def server_times(
    db: Database, uid: str, runs: int, experiment_id: str | None = None
) -> dict[str, dict[str, float]]:
    """Server-side time of each page, ``runs`` requests after the warm-up ones."""
    from fastapi.testclient import TestClient

    from twin.api.app import create_app

    token, key = credentials(db, uid)
    app = create_app(database=db)
    samples: list[float] = []

    @app.middleware("http")
    async def server_time(request: Any, call_next: Any) -> Any:
        began = time.perf_counter()
        response = await call_next(request)
        samples.append((time.perf_counter() - began) * 1000)
        return response

    out: dict[str, dict[str, float]] = {}
    with (
        TestClient(app, follow_redirects=False) as learner,
        TestClient(app, follow_redirects=False) as operator,
    ):
        r = learner.get("/ui/signin", params={"token": token})
        assert r.status_code == 303, r.text
        signin = operator.get("/ui/signin")
        csrf = signin.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = operator.post("/ui/signin", data={"key": key, "csrf": csrf})
        assert r.status_code == 303, r.text
        for name, path in page_paths(uid, experiment_id).items():
            client = operator if name.startswith("operator/") else learner
            for _ in range(WARMUP_RUNS):
                first = client.get(path)
                assert first.status_code == 200, (path, first.status_code, first.text[:500])
            samples.clear()
            for _ in range(runs):
                client.get(path)
            out[name] = percentiles(list(samples))
    return out


@contextmanager
def served(db: Database) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    import uvicorn

    from twin.api.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(database=db), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


RENDERED_JS = """() => {
  const ready = document.documentElement.getAttribute('data-charts-ready');
  const charts = document.querySelectorAll('[data-figure]').length;
  return charts === 0 || (ready !== null && ready !== 'error');
}"""


SW_CONTROLS_JS = "() => navigator.serviceWorker.controller !== null"
BREAKDOWN_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const js = performance.getEntriesByType('resource').find(r => r.name.endsWith('/plotly.min.js'));
  const mark = n => (performance.getEntriesByName(n)[0] || {}).startTime;
  const ready = mark('twin-plotly-ready'), drawn = mark('twin-charts-drawn');
  return {
    coldPageMs: nav.responseEnd,
    coldPlotlyFetchMs: js ? js.responseEnd - js.fetchStart : null,
    coldPlotlyRunMs: js && ready ? ready - js.responseEnd : null,
    coldDrawMs: ready && drawn ? drawn - ready : null,
  };
}"""
"""Where a fresh browser's time goes on the cold page (marks set by static/charts.js): the
page's HTML, fetching plotly.js, parsing and running it, drawing the charts."""
COLD_PLOTLY_PAGE = "learner/patterns"
"""The page a fresh browser opens straight away to price plotly.js (fetch and compile)."""


def _rendered_load(page: Any, url: str) -> float:
    began = time.perf_counter()
    page.goto(url)
    page.wait_for_function(RENDERED_JS, timeout=30_000)
    return time.perf_counter() - began


def render_times(
    db: Database, uid: str, experiment_id: str | None = None
) -> dict[str, dict[str, float]]:
    """Seconds from navigation start to every chart drawn: first visit, then warm (median).

    Each role gets a fresh browser context (empty cache). The learner's first visit is the
    whole sign-in link: ``/ui/signin?token=…`` → welcome → overview drawn (``linkS``); the
    first page without charts installs the service worker that keeps plotly.js compiled,
    and the run waits until it controls the page (``serviceWorkerReadyS``: a reader's
    first seconds on that page). Each page then records its first load in that context
    (``firstS``) and the median of 5 more (``warmMedianS``). Last, a fresh context with the
    session cookie opens :data:`COLD_PLOTLY_PAGE` directly (``coldPlotlyS``): a first visit
    that lands on a plotly page, plotly.js fetched and compiled (what the overview cost
    before it was drawn on the server).
    """
    from playwright.sync_api import sync_playwright

    from twin.ui.session import SESSION_COOKIE

    token, key = credentials(db, uid)
    out: dict[str, dict[str, float]] = {}
    paths = page_paths(uid, experiment_id)
    with served(db) as base, sync_playwright() as pw:
        # The server answers one request first, as a running one has: the first request of
        # this process costs ~0.5–1 s that no learner's visit would (the browser is fresh).
        urllib.request.urlopen(f"{base}/ui/signin", timeout=30).read()
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for role in ("learner", "operator"):
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                link_s = None
                if role == "learner":
                    began = time.perf_counter()
                    page.goto(f"{base}/ui/signin?token={token}")
                    page.wait_for_url(f"**{paths['learner/overview']}")
                    page.wait_for_function(RENDERED_JS, timeout=30_000)
                    link_s = time.perf_counter() - began
                else:
                    page.goto(f"{base}/ui/signin")
                    page.fill("#key", key)
                    page.click("text=Sign in as operator")
                    page.wait_for_url("**/ui/operator/high-risk")
                # While the viewer reads a page without charts, the service worker fetches
                # plotly.js and keeps it compiled; measure how long that takes, then go on.
                began = time.perf_counter()
                page.wait_for_function(SW_CONTROLS_JS, timeout=60_000)
                sw_ready_s = time.perf_counter() - began
                for name, path in paths.items():
                    if not name.startswith(role):
                        continue
                    loads = [
                        _rendered_load(page, base + path) for _ in range(1 + BROWSER_WARM_LOADS)
                    ]
                    out[name] = {"firstS": loads[0], "warmMedianS": statistics.median(loads[1:])}
                if link_s is not None:
                    out["learner/overview"]["linkS"] = link_s
                out[f"{role}/{'overview' if role == 'learner' else 'high-risk'}"][
                    "serviceWorkerReadyS"
                ] = sw_ready_s
                context.close()
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": f"{base}/ui"}])
            cold_page = context.new_page()
            cold = _rendered_load(cold_page, base + paths[COLD_PLOTLY_PAGE])
            out[COLD_PLOTLY_PAGE]["coldPlotlyS"] = cold
            out[COLD_PLOTLY_PAGE].update(cold_page.evaluate(BREAKDOWN_JS))
            context.close()
        finally:
            browser.close()
    return out


def report_table(result: dict[str, Any]) -> Table:
    """Per page: server p50/p95 and render times, against the targets."""
    table = Table(
        Column("page", no_wrap=True),
        "server p50 ms",
        "server p95 ms",
        "met (≤ 100)",
        "render first s",
        "render warm s",
        "fresh browser s",
        "met (≤ 1.5)",
        title=(
            f"dashboard pages, learner with {result['parameters']['weeks']} weeks of data "
            f"({result['learner']['sessions']} sessions, {result['learner']['reviews']} reviews, "
            f"{result['learner']['events']} events; {result['learner']['predictions']} predictions "
            f"today, {result['learner']['loadReadings']} load readings)"
        ),
        caption=(
            "render first: the page's first load in a signed-in browser (after the service "
            "worker keeping plotly.js compiled was installed); fresh browser: an empty cache — "
            "the learner's sign-in "
            "link through to the overview drawn, and a browser opening the patterns page "
            "directly (plotly.js fetched and compiled)"
        ),
    )
    for name, s in result["server"].items():
        r = result.get("render", {}).get(name)
        fresh = None if r is None else r.get("linkS", r.get("coldPlotlyS"))
        ok_server = s["p95Ms"] <= TARGET_SERVER_P95_MS
        ok_render = (
            None
            if r is None
            else max(r["firstS"], r["warmMedianS"], fresh or 0.0) <= TARGET_RENDER_S
        )
        table.add_row(
            name,
            f"{s['p50Ms']:.1f}",
            f"{s['p95Ms']:.1f}",
            "[green]yes[/]" if ok_server else "[red]no[/]",
            "—" if r is None else f"{r['firstS']:.2f}",
            "—" if r is None else f"{r['warmMedianS']:.2f}",
            "—" if fresh is None else f"{fresh:.2f}",
            "—" if ok_render is None else "[green]yes[/]" if ok_render else "[red]no[/]",
        )
    return table


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the database, seed the learner, measure."""
    if args.runs < MIN_RUNS:
        raise SystemExit(f"--runs must be at least {MIN_RUNS}")
    with scratch_database(args.database_url, keep=args.keep, prefix="twin-dash-") as (db, where):
        console.print(
            f"[bold]simulating[/] one learner × {args.weeks} weeks ending now (seed {args.seed})"
        )
        began = time.perf_counter()
        seeded = seed_dashboard_learner(db, weeks=args.weeks, seed=args.seed)
        experiment_id = seed_experiment(db, seed=args.seed)
        console.print(f"seeded {seeded} in {time.perf_counter() - began:.1f} s")
        result: dict[str, Any] = {
            "benchmark": "dashboard_speed",
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "parameters": {
                "weeks": args.weeks,
                "seed": args.seed,
                "runs": args.runs,
                "warmupRuns": WARMUP_RUNS,
            },
            "learner": {
                "id": seeded.user_id,
                "analysis": seeded.analysis_status,
                "predictions": seeded.predictions,
                "atRisk": seeded.at_risk,
                "loadReadings": seeded.load_readings,
                **learner_counts(db, seeded.user_id),
            },
            "experiment": {"id": experiment_id, "participants": sum(EXPERIMENT_ARMS.values())},
            "server": server_times(db, seeded.user_id, args.runs, experiment_id),
            "targets": {"serverP95Ms": TARGET_SERVER_P95_MS, "renderS": TARGET_RENDER_S},
        }
        if args.no_browser:
            console.print("browser timings skipped (--no-browser)")
        elif not CHROMIUM.exists():
            console.print(
                f"browser timings skipped: {CHROMIUM} not found (apt-get install chromium)"
            )
        else:
            result["render"] = render_times(db, seeded.user_id, experiment_id)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--no-browser", action="store_true", help="server times only")
    args = parser.parse_args()
    result = run(args)
    console.print(report_table(result))
    cold = result.get("render", {}).get(COLD_PLOTLY_PAGE, {})
    if cold.get("coldPlotlyRunMs") is not None:
        console.print(
            f"fresh browser on {COLD_PLOTLY_PAGE}: page {cold['coldPageMs']:.0f} ms, plotly.js "
            f"fetched in {cold['coldPlotlyFetchMs']:.0f} ms, parsed and run in "
            f"{cold['coldPlotlyRunMs']:.0f} ms, charts drawn in {cold['coldDrawMs']:.0f} ms"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
