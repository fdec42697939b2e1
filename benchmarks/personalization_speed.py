"""Speed of personalization through the engine: ``personalization:apply`` over HTTP and the
daily effectiveness job (issue #17's targets: apply p95 ≤ 30 ms; the job for 1,000 learners
≤ 60 s).

    python -m benchmarks.personalization_speed [--learners 200 --requests 300 --seed 17]
                                               [--database-url URL]

A fresh database (embedded PostgreSQL in a temporary directory, or ``--database-url``):
``--learners`` bare learners, each with 3 weeks of MISSION personalization driven through
the services by :func:`twin.simulate.personalization.simulate_personalized_weeks` (1 week
of defaults, ``--weeks`` adapted, 4 sessions a week, each with its outcome), every third learner
sharing anonymised patterns (so pooled priors are computed from real peers). Then the app
is served by uvicorn on loopback and ``--requests`` ``POST …/personalization:apply``
requests (MISSION and SESSION alternately, learners in turn, a service key) are timed
end to end after 10 warm-up ones; beside them the service call alone (same learners).
Finally the daily job's tick over every learner (:func:`twin.jobs.personalization.run_tick`),
timed, and its per-learner time scaled to 1,000 learners. Prints a table and writes
``benchmarks/results/personalization_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.dashboard_speed import credentials, served
from benchmarks.ingest_support import scratch_database
from twin.clock import utcnow
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.jobs import personalization as job
from twin.services import learners as users_service
from twin.services.personalization.decisions import apply_personalization
from twin.simulate.personalization import simulate_personalized_weeks

RESULTS = Path(__file__).parent / "results" / "personalization_speed.json"
WARM_UP = 10
SHARE_EVERY = 3
TARGET_APPLY_P95_MS = 30.0
TARGET_JOB_1000_S = 60.0
console = Console()


def _quantiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "n": len(ordered),
        "p50Ms": round(statistics.median(ordered), 2),
        "p95Ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
    }


def seed(db: Database, learners: int, seed_value: int, weeks: int) -> list[str]:
    """Bare learners with one week of defaults and ``weeks`` of adapted missions each."""
    now = utcnow()
    rng = np.random.default_rng(seed_value)
    ids = []
    for i in range(learners):
        uid = f"pspeed-{i:04d}"
        with db.session() as session:
            users_service.upsert_user(
                session, uid, {"shareAnonymizedPatterns": i % SHARE_EVERY == 0}
            )
        simulate_personalized_weeks(
            db, uid, now - timedelta(hours=1), rng, baseline_weeks=1, weeks=weeks
        )
        ids.append(uid)
    return ids


def http_times(db: Database, ids: list[str], requests: int) -> dict[str, float]:
    """``POST …/personalization:apply`` over HTTP, end to end."""
    _token, key = credentials(db, ids[0])
    headers = {"Authorization": f"Bearer {key}"}
    contexts = ("MISSION", "SESSION")
    times: list[float] = []
    with served(db) as base, httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(WARM_UP + requests):
            uid = ids[i % len(ids)]
            body = {"context": contexts[i % 2], "params": {"durationMinutes": 45}}
            began = time.perf_counter()
            r = client.post(f"/v1/users/{uid}/personalization:apply", json=body)
            elapsed = (time.perf_counter() - began) * 1000
            if r.status_code != 200:
                raise RuntimeError(f"apply answered {r.status_code}: {r.text[:300]}")
            if i >= WARM_UP:
                times.append(elapsed)
    return _quantiles(times)


def service_times(db: Database, ids: list[str], requests: int) -> dict[str, float]:
    """The service call alone (its own transaction each, as a request has)."""
    times: list[float] = []
    rng = np.random.default_rng(0)
    for i in range(requests):
        began = time.perf_counter()
        with db.session() as session:
            apply_personalization(
                session,
                ids[i % len(ids)],
                PersonalizationContext.MISSION,
                {"durationMinutes": 45},
                utcnow(),
                rng,
            )
        times.append((time.perf_counter() - began) * 1000)
    return _quantiles(times)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, measure apply over HTTP and in the service, run the daily tick."""
    with scratch_database(args.database_url, prefix="twin-pers-") as (db, where):
        t0 = time.perf_counter()
        ids = seed(db, args.learners, args.seed, args.weeks)
        seeded_s = time.perf_counter() - t0
        http = http_times(db, ids, args.requests)
        service = service_times(db, ids, args.requests)
        report = job.run_tick(db, utcnow())
        per_learner = report.seconds / max(1, report.learners)
        return {
            "database": where,
            "learners": args.learners,
            "adaptedWeeks": args.weeks,
            "seedSeconds": round(seeded_s, 1),
            "applyHttp": http | {"targetP95Ms": TARGET_APPLY_P95_MS},
            "applyService": service,
            "dailyJob": {
                "learners": report.learners,
                "rows": report.rows,
                "seconds": round(report.seconds, 2),
                "secondsPer1000": round(per_learner * 1000, 1),
                "target1000Seconds": TARGET_JOB_1000_S,
            },
        }


def report_table(result: dict[str, Any]) -> Table:
    """The figures against the targets."""
    table = Table(title=f"personalization speed ({result['learners']} learners)")
    for col in ("measure", "value", "target"):
        table.add_column(col)
    h, s, j = result["applyHttp"], result["applyService"], result["dailyJob"]
    table.add_row(
        "personalization:apply over HTTP", f"p50 {h['p50Ms']} / p95 {h['p95Ms']} ms", "p95 ≤ 30"
    )
    table.add_row("the service alone", f"p50 {s['p50Ms']} / p95 {s['p95Ms']} ms", "")
    table.add_row(
        "daily effectiveness tick",
        f"{j['seconds']} s for {j['learners']} ({j['secondsPer1000']} s per 1,000)",
        "≤ 60 s / 1,000",
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--weeks", type=int, default=2, help="adapted weeks per learner")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    result = run(args)
    console.print(report_table(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
