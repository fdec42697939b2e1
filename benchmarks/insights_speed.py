"""Insights speed (ENGINE.md 5.6): the daily job over 1,000 learners and GET …/dashboard over HTTP.

    python -m benchmarks.insights_speed [--learners 1000 --weeks 12 --seed 61 --threads 2]
                                        [--requests 400 --port 8200] [--database-url URL]

Loads a simulated cohort (12 weeks each) into a scratch database, analyses every learner's
patterns as the weekly job does (so recommendations and notifications have their sources),
sets one goal per learner, then times :func:`twin.jobs.insights.run_daily_tick` over every
learner at once (all in one tick: the worst case) on two consecutive days — the first run
also backfills each learner's weekly scores (12 weeks), the second is the steady state.
Then ``GET /v1/users/{id}/dashboard`` through a real server (uvicorn on loopback, a service
key), sequential requests over sampled learners after a warm-up: p50 / p95 / max. SQL
statements are counted (a ``before_cursor_execute`` listener): per learner in each daily
run, per request for the dashboard (authentication included; the pool's pre-ping is not a
statement SQLAlchemy sees).

Targets: the daily job for 1,000 learners ≤ 60 s; dashboard p95 ≤ 50 ms. Prints a table and
writes ``benchmarks/results/insights_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa
import uvicorn
from rich.console import Console
from rich.table import Table

from benchmarks.ingest_support import machine, scratch_database
from twin.analysis.insights.goals import GoalRequest
from twin.api.app import create_app
from twin.db.engine import Database
from twin.jobs.insights import run_daily_tick
from twin.jobs.patterns import analyze_learners
from twin.services import auth
from twin.services.insights import evolution, notifications, recommendations, score
from twin.services.insights import goals as goals_service
from twin.simulate.load import load_cohort

RESULTS = Path(__file__).resolve().parent / "results" / "insights_speed.json"
DAILY_JOB_TARGET_SECONDS = 60.0
DASHBOARD_TARGET_P95_MS = 50.0
WARMUP_REQUESTS = 30
SAMPLED_LEARNERS = 50
TICK_HOUR_UTC = 6
SERVER_START_TIMEOUT_S = 20.0
MIN_CONSOLE_WIDTH = 110
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))


@contextmanager
def statement_counter(db: Database) -> Iterator[list[int]]:
    """A one-item list holding how many SQL statements the engine sent while inside."""
    seen = [0]

    def count(*_args: Any) -> None:
        seen[0] += 1

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def learner_ids(db: Database) -> list[str]:
    """Every learner with analysis on."""
    with db.engine.connect() as conn:
        return [
            r.id
            for r in conn.execute(
                sa.text('SELECT id FROM users WHERE "behavioralAnalysisEnabled" ORDER BY id')
            )
        ]


def set_goals(db: Database, learners: list[str], now: datetime) -> int:
    """One goal per learner (sessions per week, 4 weeks)."""
    for uid in learners:
        with db.session() as session:
            goals_service.create_goal(
                session,
                uid,
                GoalRequest("CUSTOM", "sessionsPerWeek", 10.0, now + timedelta(days=28)),
                now,
            )
    return len(learners)


# The daily run's steps as run_daily calls them (module attribute, function name).
DAILY_STEPS = (
    (evolution, "snapshot_patterns"),
    (score, "refresh_scores"),
    (recommendations, "evaluate_due"),
    (goals_service, "update_active_goals"),
    (recommendations, "generate"),
    (notifications, "pull_patterns"),
    (notifications, "pull_burnout"),
    (notifications, "pull_struggle_alerts"),
    (notifications, "notify"),
)


@contextmanager
def step_timer() -> Iterator[dict[str, float]]:
    """Seconds spent in each daily step (summed over the tick's threads) while inside."""
    spent: dict[str, float] = {}
    lock = threading.Lock()
    originals = [(module, name, getattr(module, name)) for module, name in DAILY_STEPS]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kw: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                with lock:
                    spent[name] = spent.get(name, 0.0) + time.perf_counter() - began

        return call

    for module, name, fn in originals:
        setattr(module, name, timed(name, fn))
    try:
        yield spent
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)


def daily_runs(
    db: Database, learners: list[str], first: datetime, threads: int
) -> list[dict[str, Any]]:
    """The daily job over every learner on two consecutive days."""
    out = []
    for d in range(2):
        tick = first + timedelta(days=d)
        console.print(f"[bold]daily job[/] {tick.isoformat()} over {len(learners)} learners …")
        with statement_counter(db) as statements, step_timer() as steps:
            report = run_daily_tick(db, tick, threads=threads, learners=learners)
        out.append(
            {
                "tick": tick.isoformat(),
                "learners": len(report.runs),
                "outcomes": dict(report.outcomes),
                "seconds": round(report.seconds, 2),
                "msPerLearner": round(1000 * report.seconds / max(1, len(report.runs)), 1),
                "statementsPerLearner": round(statements[0] / max(1, len(report.runs)), 1),
                "recommendationsCreated": sum(r.recommendations_created for r in report.runs),
                "notifications": sum(r.notifications for r in report.runs),
                "weeksScored": sum(r.weeks_scored for r in report.runs),
                "goalsUpdated": sum(r.goals_updated for r in report.runs),
                "stepSecondsSummedOverThreads": {k: round(v, 2) for k, v in steps.items()},
                "meetsTarget": report.seconds <= DAILY_JOB_TARGET_SECONDS,
            }
        )
    return out


def dashboard_latency(
    db: Database, learners: list[str], requests: int, port: int, seed: int
) -> dict[str, Any]:
    """GET …/dashboard through uvicorn on loopback: sequential, after a warm-up."""
    with db.session() as session:
        _row, key = auth.create_api_key(session, "insights-speed")
    config = uvicorn.Config(
        create_app(database=db), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    rng = np.random.default_rng(seed)
    sample = list(rng.choice(learners, size=min(SAMPLED_LEARNERS, len(learners)), replace=False))
    headers = {"Authorization": f"Bearer {key}"}
    times: list[float] = []
    statuses: dict[int, int] = {}
    statements = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10.0) as c:
            for i in range(WARMUP_REQUESTS + requests):
                uid = sample[i % len(sample)]
                with statement_counter(db) as sent:
                    began = time.perf_counter()
                    r = c.get(f"/v1/users/{uid}/dashboard")
                    elapsed = time.perf_counter() - began
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if i >= WARMUP_REQUESTS:
                    times.append(elapsed)
                    statements += sent[0]
            body = c.get(f"/v1/users/{sample[0]}/dashboard").json()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    ms = np.asarray(times) * 1000.0
    p95 = float(np.percentile(ms, 95))
    return {
        "requests": len(times),
        "learnersSampled": len(sample),
        "statuses": statuses,
        "p50Ms": round(float(np.percentile(ms, 50)), 2),
        "p95Ms": round(p95, 2),
        "maxMs": round(float(ms.max()), 2),
        "statementsPerRequest": round(statements / max(1, len(times)), 2),
        "meetsTarget": p95 <= DASHBOARD_TARGET_P95_MS and set(statuses) == {200},
        "exampleSizes": {
            "recommendations": len(body.get("recommendations", [])),
            "goals": len(body.get("goals", [])),
            "cards": len(body.get("cards", [])),
            "notifications": len(body.get("notifications", [])),
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build, analyse, run the job twice, measure the dashboard."""
    with scratch_database(args.database_url, prefix="twin-insights-speed-") as (db, where):
        console.print(f"[bold]simulating[/] {args.learners} learners × {args.weeks} weeks")
        summary = load_cohort(db, args.learners, args.weeks, args.seed, progress=True, replace=True)
        learners = learner_ids(db)
        end = datetime.combine(summary.start, dtime(0), tzinfo=UTC) + timedelta(weeks=args.weeks)
        began = time.perf_counter()
        console.print("[bold]pattern analysis[/] of every learner (as the weekly job) …")
        analyze_learners(db, learners, end - timedelta(hours=1))
        analysis_seconds = time.perf_counter() - began
        if not args.no_analyze:
            # Planner statistics, as a database in service has them (autovacuum's job): the
            # cohort was COPYed a minute ago, and without them the first daily run is also
            # measuring autovacuum catching up on millions of new rows and guessed plans.
            with db.engine.connect() as conn:
                conn.execute(sa.text("ANALYZE"))
                conn.commit()
        set_goals(db, learners, end - timedelta(days=7))
        days = daily_runs(db, learners, end + timedelta(hours=TICK_HOUR_UTC), args.threads)
        console.print("[bold]dashboard[/] over HTTP …")
        dash = dashboard_latency(db, learners, args.requests, args.port, args.seed)
        return {
            "benchmark": "insights_speed",
            "command": "python -m benchmarks.insights_speed "
            f"--learners {args.learners} --weeks {args.weeks} --seed {args.seed} "
            f"--threads {args.threads} --requests {args.requests}"
            + (" --no-analyze" if args.no_analyze else ""),
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "parameters": {
                "learners": len(learners),
                "weeks": args.weeks,
                "threads": args.threads,
                "simulateSeconds": round(summary.seconds, 1),
                "patternAnalysisSeconds": round(analysis_seconds, 1),
            },
            "dailyJob": days,
            "dashboard": dash,
        }


def report_table(result: dict[str, Any]) -> Table:
    """Targets and figures."""
    table = Table("measure", "target", "measured", "met", title="Insights speed")

    def ok(v: bool | None) -> str:
        return "—" if v is None else ("[green]yes[/]" if v else "[red]no[/]")

    for i, day in enumerate(result["dailyJob"]):
        label = "first run, scores backfilled" if i == 0 else "next day (steady state)"
        table.add_row(
            f"daily job, {day['learners']} learners ({label})",
            f"≤ {DAILY_JOB_TARGET_SECONDS:.0f} s",
            f"{day['seconds']:.1f} s ({day['msPerLearner']:.0f} ms, "
            f"{day['statementsPerLearner']:.0f} statements/learner)",
            ok(day["meetsTarget"]),
        )
    d = result["dashboard"]
    table.add_row(
        f"GET …/dashboard over HTTP, {d['requests']} requests: p50 / p95",
        f"p95 ≤ {DASHBOARD_TARGET_P95_MS:.0f} ms",
        f"{d['p50Ms']:.1f} / {d['p95Ms']:.1f} ms (max {d['maxMs']:.0f}; "
        f"{d['statementsPerRequest']:.0f} statements)",
        ok(d["meetsTarget"]),
    )
    m = result["machine"]
    table.caption = (
        f"load average {m.get('loadAverage1m', m.get('loadAverage'))}; {m.get('cpu', '')}"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=61)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="run the jobs right after the bulk load, before the tables have statistics",
    )
    args = parser.parse_args()
    result = run(args)
    console.print(report_table(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
