"""Speed of ``POST /v1/users/{id}/predictions:generate`` for one learner with 15 upcoming objectives.

    python -m benchmarks.struggle_speed [--learners 20 --weeks 10 --seed 11 --runs 50]
                                        [--database-url URL] [--keep]

Loads a simulated cohort (:func:`twin.simulate.load.load_cohort`) whose window ends
about today (the route predicts from now) into a fresh database — an embedded PostgreSQL in a temporary data directory,
or ``--database-url`` / ``TWIN_DATABASE_URL`` (the seed's learners are replaced).
For the first learner, the simulated exams and future missions are replaced by two
PENDING missions (tomorrow and in 3 days) planning 10 of their studied objectives, so
a generation predicts exactly 15 objectives (10 planned + the 5 weakest others).

Measured: the route through the app in-process (TestClient; client-side and
server-side time), ``--runs`` times after 5 warm-up requests (each run regenerates,
updating the open predictions in place); and the service call alone
(:func:`twin.services.struggle.generate_predictions` with its commit). Target:
p95 ≤ 200 ms. Prints one table and writes ``benchmarks/results/struggle_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from benchmarks.ingest_support import machine, scratch_database
from twin.analysis.struggle import contexts
from twin.clock import utcnow
from twin.db.base import new_id
from twin.db.engine import Database
from twin.services import auth, struggle
from twin.simulate.load import load_cohort
from twin.simulate.traits import user_id

RESULTS = Path(__file__).resolve().parent / "results" / "struggle_speed.json"
TARGET_P95_MS = 200.0
UPCOMING_OBJECTIVES = 15
PLANNED_OBJECTIVES = UPCOMING_OBJECTIVES - contexts.WEAKEST_COUNT
MISSION_DAYS = (1, 3)
MISSION_MINUTES = 50
WARMUP_RUNS = 5
MIN_RUNS = 30
MIN_CONSOLE_WIDTH = 110
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))


def prepare_learner(db: Database, uid: str) -> dict[str, int]:
    """Replace the learner's exams and future missions by two missions of 10 objectives."""
    now = utcnow()
    with db.session() as s:
        studied = [
            r[0]
            for r in s.execute(
                sa.text(
                    'SELECT k."objectiveId" FROM reviews r JOIN cards k ON k.id = r."cardId" '
                    'WHERE r."userId" = :u AND k."objectiveId" IS NOT NULL '
                    "GROUP BY 1 ORDER BY count(*) DESC, 1"
                ),
                {"u": uid},
            )
        ]
        if len(studied) < UPCOMING_OBJECTIVES:
            raise SystemExit(f"learner {uid} studied only {len(studied)} objectives")
        s.execute(sa.text('DELETE FROM exams WHERE "userId" = :u'), {"u": uid})
        s.execute(
            sa.text('DELETE FROM missions WHERE "userId" = :u AND date >= :d'),
            {"u": uid, "d": now - contexts.PENDING_MISSION_GRACE},
        )
        planned = studied[:PLANNED_OBJECTIVES]
        half = len(planned) // 2
        for days, objectives in zip(MISSION_DAYS, (planned[:half], planned[half:]), strict=True):
            s.execute(
                sa.text(
                    'INSERT INTO missions (id, "userId", date, status, "estimatedMinutes", '
                    "objectives) VALUES (:id, :u, :d, 'PENDING', :m, CAST(:o AS jsonb))"
                ),
                {
                    "id": new_id(),
                    "u": uid,
                    "d": now + timedelta(days=days),
                    "m": MISSION_MINUTES,
                    "o": json.dumps(
                        [
                            {"objectiveId": o, "estimatedMinutes": 5, "completed": False}
                            for o in objectives
                        ]
                    ),
                },
            )
    with db.engine.connect() as conn:
        counts = conn.execute(
            sa.text(
                'SELECT (SELECT count(*) FROM reviews WHERE "userId" = :u), '
                '(SELECT count(*) FROM cards k JOIN courses c ON c.id = k."courseId" '
                'WHERE c."userId" = :u), '
                "(SELECT count(*) FROM learning_objectives o JOIN lectures l "
                'ON l.id = o."lectureId" WHERE l."userId" = :u)'
            ),
            {"u": uid},
        ).one()
    return {"reviews": counts[0], "cards": counts[1], "objectives": counts[2]}


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 / p95 / max in ms."""
    return {
        "runs": len(samples),
        "p50Ms": float(np.percentile(samples, 50)),
        "p95Ms": float(np.percentile(samples, 95)),
        "maxMs": float(max(samples)),
    }


def http_speed(db: Database, uid: str, runs: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The route through the app in-process, client- and server-side times; the first answer."""
    from fastapi.testclient import TestClient

    from twin.api import app as app_module

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

    client_ms: list[float] = []
    url = f"/v1/users/{uid}/predictions:generate"
    with TestClient(app) as client:
        first = client.post(url, json={"daysAhead": 14}, headers=headers)
        assert first.status_code == 200, first.text
        for _ in range(WARMUP_RUNS):
            client.post(url, json={"daysAhead": 14}, headers=headers)
        server.clear()
        for _ in range(runs):
            t = time.perf_counter()
            r = client.post(url, json={"daysAhead": 14}, headers=headers)
            client_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
    return (
        {"client": percentiles(client_ms), "server": percentiles(server[-runs:])},
        first.json(),
    )


def service_speed(db: Database, uid: str, runs: int) -> dict[str, float]:
    """generate_predictions with its transaction (no HTTP)."""
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        with db.session() as s:
            struggle.generate_predictions(s, uid, utcnow(), 14)
        samples.append((time.perf_counter() - t) * 1000)
    return percentiles(samples)


def report_table(result: dict[str, Any]) -> Table:
    """The figures against the target."""
    table = Table(
        "measure",
        "runs",
        "p50 ms",
        "p95 ms",
        "max ms",
        "target",
        "met",
        title=(
            f"predictions:generate, {result['candidates']} objectives "
            f"({result['learner']['reviews']} reviews, {result['learner']['cards']} cards, "
            f"{result['learner']['objectives']} objectives)"
        ),
    )
    for name, key in (
        ("HTTP, client side (TestClient)", ("http", "client")),
        ("HTTP, server side", ("http", "server")),
        ("service + commit", ("service",)),
    ):
        v: Any = result["speed"]
        for k in key:
            v = v[k]
        ok = v["p95Ms"] <= TARGET_P95_MS
        table.add_row(
            name,
            str(v["runs"]),
            f"{v['p50Ms']:.1f}",
            f"{v['p95Ms']:.1f}",
            f"{v['maxMs']:.1f}",
            f"p95 ≤ {TARGET_P95_MS:.0f}",
            "[green]yes[/]" if ok else "[red]no[/]",
        )
    return table


def monday_start(today: date, weeks: int) -> date:
    """The Monday starting a ``weeks``-week window that ends this week.

    The route predicts from now, so the window must end about now; starting it on a
    Monday (as :data:`~twin.simulate.window.DEFAULT_START` does) keeps the simulated rows
    the same from run to run, only moved by whole weeks.
    """
    first = today - timedelta(weeks=weeks)
    return first - timedelta(days=first.weekday())


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the database, prepare the learner, measure."""
    if args.runs < MIN_RUNS:
        raise SystemExit(f"--runs must be at least {MIN_RUNS}")
    with scratch_database(args.database_url, keep=args.keep) as (db, where):
        start = args.start or monday_start(datetime.now(UTC).date(), args.weeks)
        console.print(
            f"[bold]simulating[/] {args.learners} learners × {args.weeks} weeks from {start} "
            f"(seed {args.seed})"
        )
        load_cohort(db, args.learners, args.weeks, args.seed, start, progress=True, replace=True)
        uid = user_id(args.seed, 0)
        learner = prepare_learner(db, uid)
        console.print(f"[bold]measuring[/] {uid} …")
        http, first = http_speed(db, uid, args.runs)
        candidates = first["counts"]["candidates"]
        if candidates != UPCOMING_OBJECTIVES:
            raise SystemExit(f"expected {UPCOMING_OBJECTIVES} objectives, got {candidates}")
        result = {
            "benchmark": "struggle_speed",
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "parameters": {
                "learners": args.learners,
                "weeks": args.weeks,
                "seed": args.seed,
                "runs": args.runs,
                "warmupRuns": WARMUP_RUNS,
                "daysAhead": 14,
            },
            "learner": {"id": uid, **learner},
            "candidates": candidates,
            "firstRun": {
                "counts": first["counts"],
                "modelVersion": first["modelVersion"],
                "alerts": len(first["alerts"]),
            },
            "speed": {"http": http, "service": service_speed(db, uid, args.runs)},
            "targetP95Ms": TARGET_P95_MS,
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        help="first day of the window (default: the Monday that makes it end this week)",
    )
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
