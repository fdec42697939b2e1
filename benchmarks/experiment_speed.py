"""Experiment speed at 10,000 participants: the daily metrics job and the results route over HTTP.

    python -m benchmarks.experiment_speed [--participants 10000 --weeks 4 --seed 31]
                                          [--requests 200 --port 8190] [--database-url URL]
                                          [--keep] [--smoke]

1. A simulated cohort (:func:`twin.simulate.load.load_cohort`, 2% more learners than
   participants) in a fresh database (embedded PostgreSQL in a temporary directory, or
   ``--database-url``).
2. An experiment defined through the service, starting two weeks into the window; the first
   ``--participants`` learners to study after the start are assigned by the engine
   (:func:`twin.services.experiments.active_variant` at their first session: the path
   ``personalization:apply`` takes).
3. **The daily metrics job** (:func:`twin.jobs.experiments.run_metrics_tick`) at the end of
   the data: every participant's pre- and post-period metrics computed from stored data and
   written (target ≤ 60 s), then the same tick again (idempotent: nothing rewritten).
4. **Results over HTTP**: ``twin serve`` in a subprocess on ``--port``; ``--requests``
   sequential ``GET /v1/experiments/{id}/results`` with a service key over one keep-alive
   connection, after warm-up; p50/p95/p99 (target p95 ≤ 200 ms). Beside it, the service call
   in-process and the SQL aggregate alone.

The machine is shared (2 cores, several developers): figures are noisy; the load average
is recorded. Prints one table and writes ``benchmarks/results/experiment_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.ingest_support import machine, scratch_database
from twin.analysis.experiments.definition import Variant
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.jobs.experiments import run_metrics_tick
from twin.services import auth
from twin.services import experiments as service
from twin.services.experiments.results import arm_sums
from twin.simulate.experiments import enroll, first_sessions
from twin.simulate.generate import DEFAULT_START
from twin.simulate.load import load_cohort
from twin.simulate.traits import user_id

RESULTS = Path(__file__).resolve().parent / "results" / "experiment_speed.json"
JOB_TARGET_SECONDS = 60.0
RESULTS_TARGET_P95_MS = 200.0
SPARE_LEARNERS = 0.02
WARMUP_REQUESTS = 20
SERVICE_CALLS = 50
SERVER_START_TIMEOUT_SECONDS = 120.0
EXPERIMENT_START = datetime.combine(DEFAULT_START + timedelta(days=14), datetime.min.time())
EXPERIMENT_DAYS = 28
SMOKE = {"participants": 30, "weeks": 3, "requests": 5}
MIN_CONSOLE_WIDTH = 100
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in ms."""
    arr = np.asarray(samples, dtype=float)
    return {
        "p50Ms": round(float(np.percentile(arr, 50)), 2),
        "p95Ms": round(float(np.percentile(arr, 95)), 2),
        "p99Ms": round(float(np.percentile(arr, 99)), 2),
        "maxMs": round(float(arr.max()), 2),
    }


def define_and_assign(db: Database, seed: int, learners: int, participants: int) -> dict[str, Any]:
    """The experiment, and its first ``participants`` learners assigned by the engine."""
    with db.session() as session:
        experiment = service.create_experiment(
            session,
            service.NewExperiment(
                name="speed",
                context=PersonalizationContext.MISSION,
                variants=(Variant("control", "Control", 1.0), Variant("short", "Short", 1.0)),
                primary_metric="performance",
                guardrail_metrics=("study_minutes", "retention", "completion"),
                cuped_covariate=True,
                start=EXPERIMENT_START,
                end=EXPERIMENT_START + timedelta(days=EXPERIMENT_DAYS),
                expected_participants=participants,
            ),
            EXPERIMENT_START - timedelta(hours=1),
            created_by="benchmark",
        )
        first = first_sessions(
            session,
            [user_id(seed, i) for i in range(learners)],
            EXPERIMENT_START,
            EXPERIMENT_START + timedelta(days=EXPERIMENT_DAYS),
        )
    chosen = dict(sorted(first.items(), key=lambda kv: (kv[1], kv[0]))[:participants])
    t0 = time.perf_counter()
    with db.session() as session:
        assigned = enroll(session, PersonalizationContext.MISSION, chosen)
    seconds = time.perf_counter() - t0
    return {
        "experimentId": experiment.id,
        "participants": sum(1 for v in assigned.values() if v is not None),
        "assignSeconds": round(seconds, 1),
        "assignMsPerLearner": round(1000 * seconds / max(1, len(chosen)), 2),
        "lastAssignment": max(chosen.values()).isoformat() if chosen else None,
    }


def job_speed(db: Database, experiment_id: str, tick: datetime) -> dict[str, Any]:
    """The daily tick as of ``tick``, then the same tick again."""
    first = run_metrics_tick(db, tick, experiments=[experiment_id])
    again = run_metrics_tick(db, tick, experiments=[experiment_id])
    run, rerun = first.runs[0], again.runs[0]
    if run.error or rerun.error:
        raise RuntimeError(run.error or rerun.error)
    return {
        "tick": tick.isoformat(),
        "participants": run.participants,
        "written": run.written,
        "seconds": round(first.seconds, 2),
        "rerunWritten": rerun.written,
        "rerunSeconds": round(again.seconds, 2),
        "meetsTarget": first.seconds <= JOB_TARGET_SECONDS,
    }


def _serve(db: Database, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TWIN_DATABASE_URL": db.url}
    with log.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "twin.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def http_speed(db: Database, experiment_id: str, port: int, requests: int) -> dict[str, Any]:
    """GET …/results over HTTP against ``twin serve``; the service and the SQL alone beside it."""
    import httpx

    with db.session() as session:
        _row, key = auth.create_api_key(session, f"experiment-speed-{time.time_ns()}")
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="twin-exp-serve-", suffix=".log")[1])
    server = _serve(db, port, log)
    timings: list[float] = []
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"twin serve did not start: {log.read_text()[-1000:]}")
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for i in range(WARMUP_REQUESTS + requests):
                t = time.perf_counter()
                answer = client.get(f"/v1/experiments/{experiment_id}/results")
                elapsed = (time.perf_counter() - t) * 1000
                if answer.status_code != 200:
                    raise RuntimeError(f"results answered {answer.status_code}: {answer.text}")
                if i >= WARMUP_REQUESTS:
                    timings.append(elapsed)
            body = answer.json()
    finally:
        _stop(server)
        log.unlink(missing_ok=True)
    service_ms, sql_ms = [], []
    metrics = None
    for _ in range(SERVICE_CALLS):
        t = time.perf_counter()
        with db.session() as session:
            results = service.experiment_results(session, experiment_id, datetime.now(UTC))
        service_ms.append((time.perf_counter() - t) * 1000)
        metrics = results.experiment.definition.metrics
        t = time.perf_counter()
        with db.session() as session:
            arm_sums(session, experiment_id, metrics)
        sql_ms.append((time.perf_counter() - t) * 1000)
    http = percentiles(timings)
    return {
        "requests": len(timings),
        "http": http,
        "service": percentiles(service_ms),
        "sqlAggregate": percentiles(sql_ms),
        "metrics": list(metrics or ()),
        "verdict": body["result"]["verdict"],
        "participants": body["participants"],
        "responseBytes": len(answer.content),
        "meetsTarget": http["p95Ms"] <= RESULTS_TARGET_P95_MS,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build, assign, measure."""
    participants, weeks, requests = args.participants, args.weeks, args.requests
    if args.smoke:
        participants, weeks, requests = SMOKE["participants"], SMOKE["weeks"], SMOKE["requests"]
    learners = int(participants * (1 + SPARE_LEARNERS)) + 1
    with scratch_database(args.database_url, keep=args.keep, prefix="twin-bench-exps-") as (
        db,
        where,
    ):
        console.print(f"[bold]simulating[/] {learners} learners × {weeks} weeks")
        summary = load_cohort(db, learners, weeks, args.seed, progress=not args.smoke, replace=True)
        console.print("[bold]defining and assigning[/] …")
        assignment = define_and_assign(db, args.seed, learners, participants)
        data_end = datetime.combine(DEFAULT_START, datetime.min.time()) + timedelta(weeks=weeks)
        tick = data_end.replace(tzinfo=UTC) + timedelta(hours=2, minutes=30)
        console.print(f"[bold]daily metrics job[/] over {assignment['participants']} participants")
        job = job_speed(db, assignment["experimentId"], tick)
        console.print(f"[bold]results over HTTP[/] ({requests} requests)")
        http = http_speed(db, assignment["experimentId"], args.port, requests)
        return {
            "benchmark": "experiment_speed",
            "command": "python -m benchmarks.experiment_speed " + " ".join(sys.argv[1:]),
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "parameters": {
                "participants": participants,
                "learners": learners,
                "weeks": weeks,
                "seed": args.seed,
                "simulateSeconds": round(summary.seconds, 1),
                "rows": summary.total_rows,
            },
            "assignment": assignment,
            "metricsJob": job,
            "results": http,
            "targets": {
                "metricsJobSecondsMax": JOB_TARGET_SECONDS,
                "resultsP95MsMax": RESULTS_TARGET_P95_MS,
            },
        }


def report_table(result: dict[str, Any]) -> Table:
    """Targets against measurements."""
    job, http, a = result["metricsJob"], result["results"], result["assignment"]
    table = Table(
        title=f"Experiment speed, {a['participants']:,} participants (machine shared: noisy)"
    )
    for column in ("what", "target", "measured", "ok"):
        table.add_column(column)
    table.add_row(
        "daily metrics job (compute + write every participant)",
        f"≤ {JOB_TARGET_SECONDS:.0f} s",
        f"{job['seconds']} s ({job['written']:,} written)",
        "yes" if job["meetsTarget"] else "NO",
    )
    table.add_row(
        "same tick again (idempotent)",
        "0 written",
        f"{job['rerunWritten']} in {job['rerunSeconds']} s",
        "",
    )
    table.add_row(
        "GET …/results over HTTP, p95",
        f"≤ {RESULTS_TARGET_P95_MS:.0f} ms",
        f"{http['http']['p95Ms']} ms (p50 {http['http']['p50Ms']}, p99 {http['http']['p99Ms']})",
        "yes" if http["meetsTarget"] else "NO",
    )
    table.add_row("  the service call in-process, p95", "", f"{http['service']['p95Ms']} ms", "")
    table.add_row("  the SQL aggregate alone, p95", "", f"{http['sqlAggregate']['p95Ms']} ms", "")
    table.add_row(
        "assignment on first use (active_variant)",
        "",
        f"{a['assignMsPerLearner']} ms per learner",
        "",
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; writes no JSON")
    args = parser.parse_args()
    result = run(args)
    console.print(report_table(result))
    if args.smoke:
        console.print("--smoke: nothing written")
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
