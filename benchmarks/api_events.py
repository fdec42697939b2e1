"""HTTP benchmark of the events endpoints: ingestion throughput, listing latency, API memory.

``python -m benchmarks.api_events [--clients 4 --batches 60 --learners 40 --lists 1000]``

Starts ``twin serve`` as a subprocess on a free loopback port against a fresh
embedded database (or ``--database-url``), posts pre-encoded batches of 5,000
events from concurrent clients, then times ``GET …/events`` for random learners,
sampling the API process's resident memory throughout. Prints a table and writes
``benchmarks/results/api_events.json``. Only loopback traffic; every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from rich.console import Console
from rich.table import Table

from twin.config import Settings
from twin.db import migrate
from twin.db.engine import open_database
from twin.services import auth
from twin.services.learners import upsert_user

RESULTS = Path(__file__).resolve().parent / "results" / "api_events.json"
BATCH_EVENTS = 5_000
EVENT_TYPES = ("CARD_REVIEWED", "SESSION_STARTED", "SESSION_ENDED", "VALIDATION_COMPLETED")
SERVER_START_TIMEOUT_SECONDS = 60.0
MEMORY_SAMPLE_SECONDS = 0.05
console = Console()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def encode_batch(learner: str, batch_no: int, rng: random.Random) -> bytes:
    """One pre-encoded request body of BATCH_EVENTS events for ``learner``."""
    start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=batch_no)
    records = []
    for i in range(BATCH_EVENTS):
        ts = start + timedelta(seconds=i * 7)
        records.append(
            {
                "id": f"{learner}-b{batch_no}-e{i}",
                "eventType": EVENT_TYPES[rng.randrange(len(EVENT_TYPES))],
                "eventData": {
                    "cardId": f"card-{rng.randrange(500)}",
                    "latencyMs": rng.randrange(400, 9000),
                },
                "timestamp": ts.isoformat().replace("+00:00", "Z"),
                "sessionPerformanceScore": rng.randrange(0, 101),
            }
        )
    return json.dumps({"records": records}).encode()


class MemorySampler(threading.Thread):
    """Samples a process's RSS (with its children) until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                rss = self.process.memory_info().rss
            except psutil.Error:
                break
            self.peak_bytes = max(self.peak_bytes, rss)
            time.sleep(MEMORY_SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds."""
    arr = np.array(values) * 1000
    return {f"p{q}": float(np.percentile(arr, q)) for q in (50, 95, 99)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set up, start the server, measure, stop; return the figures."""
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="twin-api-bench-"))
    env = dict(os.environ)
    if args.database_url:
        env["TWIN_DATABASE_URL"] = args.database_url
    else:
        env.pop("TWIN_DATABASE_URL", None)
        env["TWIN_DATA_DIR"] = str(data_dir)
    settings = Settings(database_url=args.database_url, data_dir=data_dir)
    db = open_database(settings)
    migrate.upgrade(db.engine, "head")
    learners = [f"bench-{i:04d}" for i in range(args.learners)]
    with db.session() as session:
        for learner in learners:
            upsert_user(session, learner, {"timezone": "Europe/Berlin"})
        _row, key = auth.create_api_key(session, f"bench-{time.time_ns()}")
    headers = {"Authorization": f"Bearer {key}", "content-type": "application/json"}

    rng = random.Random(args.seed)
    console.print(f"encoding {args.batches} batches of {BATCH_EVENTS:,} events …")
    bodies = [
        (learners[b % len(learners)], encode_batch(learners[b % len(learners)], b, rng))
        for b in range(args.batches)
    ]

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "twin.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(
                    f"server did not start: {server.stderr.read().decode() if server.stderr else ''}"
                )
            time.sleep(0.2)
        sampler = MemorySampler(server.pid)
        sampler.start()
        idle_rss = psutil.Process(server.pid).memory_info().rss

        def post(item: tuple[str, bytes], client: httpx.Client) -> float:
            learner, body = item
            t0 = time.perf_counter()
            response = client.post(
                f"{base}/v1/users/{learner}/events:batch", content=body, headers=headers
            )
            if response.status_code != 200:
                raise RuntimeError(f"ingest failed: {response.status_code} {response.text[:300]}")
            return time.perf_counter() - t0

        clients = [httpx.Client(timeout=120) for _ in range(args.clients)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            latencies = list(
                pool.map(lambda ib: post(ib[1], clients[ib[0] % args.clients]), enumerate(bodies))
            )
        ingest_seconds = time.perf_counter() - started
        total_events = args.batches * BATCH_EVENTS

        list_latencies: list[float] = []
        with httpx.Client(timeout=30) as client:
            for _ in range(args.lists):
                learner = learners[rng.randrange(len(learners))]
                params = {"eventType": EVENT_TYPES[rng.randrange(len(EVENT_TYPES))], "limit": 50}
                t0 = time.perf_counter()
                response = client.get(
                    f"{base}/v1/users/{learner}/events", params=params, headers=headers
                )
                list_latencies.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    raise RuntimeError(f"listing failed: {response.status_code}")
        sampler.stop()
        for c in clients:
            c.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        db.close()
    return {
        "clients": args.clients,
        "batches": args.batches,
        "batchEvents": BATCH_EVENTS,
        "events": total_events,
        "ingestSeconds": ingest_seconds,
        "eventsPerSecond": total_events / ingest_seconds,
        "batchLatencyMs": percentiles(latencies),
        "listRequests": args.lists,
        "listLatencyMs": percentiles(list_latencies),
        "apiIdleRssMb": idle_rss / 2**20,
        "apiPeakRssMb": sampler.peak_bytes / 2**20,
        "targets": {"eventsPerSecond": 20_000, "listP95Ms": 10, "apiPeakRssMb": 300},
    }


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memoryGb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "loadAverage": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--lists", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    figures = run(args)
    table = Table("measure", "value", "target", title="events through the HTTP API")
    table.add_row("ingestion (events/s)", f"{figures['eventsPerSecond']:,.0f}", "≥ 20,000")
    table.add_row(
        "batch of 5,000: p50 / p95 (ms)",
        f"{figures['batchLatencyMs']['p50']:.0f} / {figures['batchLatencyMs']['p95']:.0f}",
        "",
    )
    table.add_row(
        "GET events: p50 / p95 / p99 (ms)",
        " / ".join(f"{figures['listLatencyMs'][k]:.1f}" for k in ("p50", "p95", "p99")),
        "p95 ≤ 10",
    )
    table.add_row(
        "API peak RSS (MB)",
        f"{figures['apiPeakRssMb']:.0f} (idle {figures['apiIdleRssMb']:.0f})",
        "≤ 300",
    )
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine(), "figures": figures}, indent=2))
    console.print(f"written to {RESULTS}")
    return figures


if __name__ == "__main__":
    main()
