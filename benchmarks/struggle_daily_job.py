"""The daily struggle job over 1,000 simulated learners, and the feedback latency.

    python -m benchmarks.struggle_daily_job [--learners 1000 --weeks 8 --seed 21]
                                            [--days 2 --threads 2] [--database-url URL] [--keep]

Loads a simulated cohort (:func:`twin.simulate.load.load_cohort`) into a fresh
database (an embedded PostgreSQL in a temporary directory, or ``--database-url`` /
``TWIN_DATABASE_URL``; the seed's learners are replaced), then runs the daily job
(:func:`twin.jobs.struggle.run_daily_tick`: performance metrics, outcome capture,
the day's predictions, one transaction per learner, ``--threads`` learners at a time)
for **every** learner at once — the worst case: all learners in one time zone, so one
tick serves all of them — on ``--days`` consecutive days two weeks before the end of
the simulated window. The first day creates the predictions; later days also capture
the outcomes of the previous day's study and update open predictions in place.

Then the feedback latency: ``POST /v1/users/{userId}/predictions/{id}/feedback``
through the app in-process (TestClient, service key), client and in-app time, and
:func:`twin.services.struggle_outcomes.record_feedback` alone with its commit.

Targets (issue 7): the daily job over 1,000 learners ≤ 2 minutes; feedback ≤ 20 ms.
Prints one table and writes ``benchmarks/results/struggle_daily_job.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from benchmarks.ingest_support import machine, scratch_database
from twin.clock import utcnow
from twin.db.engine import Database
from twin.db.models import StrugglePrediction
from twin.enums import PredictionStatus
from twin.jobs.struggle import run_daily_tick
from twin.services import auth
from twin.services.struggle import outcomes as outcomes_service
from twin.simulate.load import load_cohort

RESULTS = Path(__file__).resolve().parent / "results" / "struggle_daily_job.json"
DAILY_JOB_TARGET_SECONDS = 120.0
FEEDBACK_TARGET_MS = 20.0
FEEDBACK_REQUESTS = 200
FEEDBACK_WARMUP = 20
TICK_HOUR_UTC = 20  # the tick's time of day (any hour: every learner is run)
DAYS_BEFORE_END = 14  # the first tick, before the end of the simulated window
MIN_CONSOLE_WIDTH = 110
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))


def learner_ids(db: Database) -> list[str]:
    """Every learner with analysis on."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text('SELECT id FROM users WHERE "behavioralAnalysisEnabled" ORDER BY id')
        )
        return [r.id for r in rows]


def run_days(
    db: Database, learners: list[str], first_tick: datetime, days: int, threads: int
) -> list[dict[str, Any]]:
    """The daily job for every learner on ``days`` consecutive days."""
    out = []
    for d in range(days):
        tick = first_tick + timedelta(days=d)
        console.print(f"[bold]daily job[/] {tick.isoformat()} over {len(learners)} learners …")
        report = run_daily_tick(db, tick, threads=threads, learners=learners)
        failures = [r for r in report.runs if r.error]
        out.append(
            {
                "tick": tick.isoformat(),
                "learners": len(report.runs),
                "seconds": round(report.seconds, 2),
                "msPerLearner": round(1000 * report.seconds / max(1, len(report.runs)), 1),
                "outcomes": dict(Counter(r.outcome for r in report.runs)),
                "predictions": sum(r.predictions for r in report.runs),
                "outcomesRecorded": sum(r.outcomes_recorded for r in report.runs),
                "dismissed": sum(r.dismissed for r in report.runs),
                "metricsRows": sum(r.metrics_rows for r in report.runs),
                "firstErrors": [f"{r.user_id}: {r.error}" for r in failures[:3]],
                "meetsTarget": report.seconds <= DAILY_JOB_TARGET_SECONDS,
            }
        )
        console.print(report.summary())
    return out


def pending_predictions(db: Database, n: int, seed: int) -> list[tuple[str, str]]:
    """(learner, prediction id) of ``n`` random pending predictions."""
    with db.session() as s:
        rows = s.execute(
            sa.select(StrugglePrediction.userId, StrugglePrediction.id).where(
                StrugglePrediction.predictionStatus == PredictionStatus.PENDING
            )
        ).all()
    picked = random.Random(seed).sample(rows, min(n, len(rows)))
    return [(r[0], r[1]) for r in picked]


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 in ms."""
    return {
        "p50Ms": round(float(np.percentile(samples, 50)), 2),
        "p95Ms": round(float(np.percentile(samples, 95)), 2),
        "p99Ms": round(float(np.percentile(samples, 99)), 2),
    }


def feedback_speed(db: Database, seed: int) -> dict[str, Any]:
    """POST …/feedback through the app in-process, and the service call alone."""
    from fastapi.testclient import TestClient

    from twin.api import app as app_module

    targets = pending_predictions(db, 2 * FEEDBACK_REQUESTS + FEEDBACK_WARMUP, seed)
    if len(targets) < FEEDBACK_REQUESTS + FEEDBACK_WARMUP:
        return {"error": f"only {len(targets)} pending predictions"}
    with db.session() as session:
        _row, key = auth.create_api_key(session, f"struggle-bench-{time.time_ns()}")
    headers = {"Authorization": f"Bearer {key}"}
    app = app_module.create_app(database=db)
    server: list[float] = []

    @app.middleware("http")
    async def server_time(request: Any, call_next: Any) -> Any:
        began = time.perf_counter()
        response = await call_next(request)
        server.append((time.perf_counter() - began) * 1000)
        return response

    rng = random.Random(seed)
    client_ms: list[float] = []
    http_targets = targets[: FEEDBACK_REQUESTS + FEEDBACK_WARMUP]
    with TestClient(app) as client:
        for i, (uid, pid) in enumerate(http_targets):
            body = {"actualStruggle": rng.random() < 0.5, "helpfulness": rng.randint(1, 5)}
            t = time.perf_counter()
            r = client.post(
                f"/v1/users/{uid}/predictions/{pid}/feedback", json=body, headers=headers
            )
            if i >= FEEDBACK_WARMUP:
                client_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
    service_ms: list[float] = []
    for uid, pid in targets[FEEDBACK_REQUESTS + FEEDBACK_WARMUP :]:
        t = time.perf_counter()
        with db.session() as session:
            outcomes_service.record_feedback(
                session, uid, pid, actual_struggle=rng.random() < 0.5, now=utcnow()
            )
        service_ms.append((time.perf_counter() - t) * 1000)
    http = percentiles(client_ms)
    return {
        "requests": len(client_ms),
        "http": http,
        "inApp": percentiles(server[FEEDBACK_WARMUP:]),
        "service": {"calls": len(service_ms), **percentiles(service_ms)},
        "meetsTarget": http["p95Ms"] <= FEEDBACK_TARGET_MS,
    }


def report_table(result: dict[str, Any]) -> Table:
    """Targets against measurements."""
    table = Table("measure", "target", "measured", "ok", title="Struggle daily job and feedback")

    def ok(flag: bool | None) -> str:
        return "—" if flag is None else ("[green]yes[/]" if flag else "[red]no[/]")

    for day in result["dailyJob"]:
        table.add_row(
            f"daily job {day['tick'][:10]} ({day['learners']} learners, "
            f"{day['predictions']} predictions, {day['outcomesRecorded']} outcomes)",
            f"≤ {DAILY_JOB_TARGET_SECONDS:.0f} s",
            f"{day['seconds']:.1f} s ({day['msPerLearner']:.0f} ms/learner)",
            ok(day["meetsTarget"]),
        )
    fb = result["feedback"]
    if "http" in fb:
        table.add_row(
            "feedback POST (TestClient) p50 / p95",
            f"≤ {FEEDBACK_TARGET_MS:.0f} ms",
            f"{fb['http']['p50Ms']:.1f} / {fb['http']['p95Ms']:.1f} ms",
            ok(fb["meetsTarget"]),
        )
        table.add_row(
            "feedback in-app p50 / p95",
            "",
            f"{fb['inApp']['p50Ms']:.1f} / {fb['inApp']['p95Ms']:.1f} ms",
            ok(None),
        )
        table.add_row(
            "record_feedback + commit p50 / p95",
            "",
            f"{fb['service']['p50Ms']:.1f} / {fb['service']['p95Ms']:.1f} ms",
            ok(None),
        )
    return table


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the database, run the job, measure."""
    with scratch_database(args.database_url, keep=args.keep) as (db, where):
        console.print(f"[bold]simulating[/] {args.learners} learners × {args.weeks} weeks")
        summary = load_cohort(db, args.learners, args.weeks, args.seed, progress=True, replace=True)
        learners = learner_ids(db)
        end = datetime.combine(summary.start, dtime(0), tzinfo=UTC) + timedelta(weeks=args.weeks)
        first_tick = end - timedelta(days=DAYS_BEFORE_END) + timedelta(hours=TICK_HOUR_UTC)
        days = run_days(db, learners, first_tick, args.days, args.threads)
        console.print("[bold]feedback latency[/] …")
        result = {
            "benchmark": "struggle_daily_job",
            "command": "python -m benchmarks.struggle_daily_job "
            f"--learners {args.learners} --weeks {args.weeks} --seed {args.seed} "
            f"--days {args.days} --threads {args.threads}",
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "parameters": {
                "learners": len(learners),
                "weeks": args.weeks,
                "seed": args.seed,
                "threads": args.threads,
                "simulateSeconds": round(summary.seconds, 1),
            },
            "dailyJob": days,
            "feedback": feedback_speed(db, args.seed),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()
    result = run(args)
    console.print(report_table(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
