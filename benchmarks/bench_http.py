"""HTTP-level figures on the query benchmark's database: events listing and batch ingestion.

``twin serve`` runs as a subprocess against the benchmark database on a free
loopback port with a fresh service key. Measured, with every loop bounded:

- ``GET /v1/users/{id}/events`` latency for the sampled learners, with one of their
  event types and without a type (the seed's first query pattern through the API);
- ``POST /v1/users/{id}/events:batch`` throughput of new events from concurrent
  clients (learners drawn by activity); the events are deleted again afterwards and
  the table vacuumed, so the benchmark database stays as built;
- the API process's resident memory: idle, and its peak (the kernel's high-water mark).

:mod:`benchmarks.api_events` measures the same endpoints on a fresh, small
database; this module measures them at the benchmark's scale.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from benchmarks.bench_db import (
    BENCH_SCHEMA,
    DATA_END,
    EVENT_TYPE_SHARES_PERCENT,
    BenchDatabase,
    learner_event_weights,
)

EVENTS_PATH = "/v1/users/{user_id}/events"
BATCH_PATH = "/v1/users/{user_id}/events:batch"
LIST_PAGE_SIZE = 50
DEFAULT_INGEST_BATCHES = 40
DEFAULT_CLIENTS = 4
BATCH_EVENTS = 5_000
SERVER_START_TIMEOUT_SECONDS = 60.0
SERVER_STOP_TIMEOUT_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 120.0
# Ids of the ingested events start with this, so they can be found and deleted.
INGEST_ID_PREFIX = "bench-http-"

Tick = Callable[[int], None]


def _percentiles_ms(seconds: list[float]) -> dict[str, float]:
    arr = np.asarray(seconds, dtype=float) * 1000
    if arr.size == 0:
        return {}
    return {
        "p50": round(float(np.percentile(arr, 50)), 3),
        "p95": round(float(np.percentile(arr, 95)), 3),
        "p99": round(float(np.percentile(arr, 99)), 3),
        "max": round(float(arr.max()), 3),
    }


def events_route_available() -> bool:
    """True when the API serves the events listing (the endpoint this module measures)."""
    try:
        from twin.api.routers import ingest
    except ImportError:
        return False
    paths = {getattr(route, "path", "") for route in ingest.router.routes}
    return "/users/{userId}/events" in paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_kb(pid: int, field: str) -> int | None:
    """A ``/proc/<pid>/status`` memory field (VmRSS, VmHWM) in kB; None off Linux."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _create_key(bench: BenchDatabase) -> tuple[str, str]:
    """A fresh service key: (row id, plaintext)."""
    from twin.services.auth import create_api_key

    with Session(bench.engine) as session, session.begin():
        row, key = create_api_key(session, f"bench-queries-{time.time_ns()}")
        return str(row.id), key


def _delete_key(bench: BenchDatabase, key_id: str) -> None:
    with bench.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM api_keys WHERE id = :id"), {"id": key_id})


def _start_server(bench: BenchDatabase, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["TWIN_DATABASE_URL"] = bench.url
    with log.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "twin.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"twin serve did not become ready: {log.read_text()[-1000:]}")
        time.sleep(0.2)


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _list_events(
    base: str, headers: dict[str, str], param_sets: list[dict[str, Any]], tick: Tick | None
) -> dict[str, Any]:
    """Listing latency with and without an event type: one warm pass, one timed pass each."""
    import httpx

    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for variant in ("with_event_type", "without_event_type"):
            timed: list[float] = []
            for timed_pass in (False, True):
                for p in param_sets:
                    query: dict[str, Any] = {"limit": LIST_PAGE_SIZE}
                    if variant == "with_event_type":
                        query["eventType"] = p["event_type"]
                    t0 = time.perf_counter()
                    response = client.get(EVENTS_PATH.format(user_id=p["user_id"]), params=query)
                    elapsed = time.perf_counter() - t0
                    if response.status_code != 200:
                        raise RuntimeError(
                            f"listing failed: {response.status_code} {response.text[:200]}"
                        )
                    if timed_pass:
                        timed.append(elapsed)
                if tick:
                    tick(len(param_sets))
            out[variant] = {"requests": len(timed), "latency_ms": _percentiles_ms(timed)}
    return out


def _batch_bodies(
    bench: BenchDatabase, batches: int, seed: int
) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Pre-encoded request bodies of new events (learners drawn by activity) and all their ids."""
    learner_ids, weights = learner_event_weights(bench)
    rng = np.random.default_rng(seed)
    names = [t for t, _ in EVENT_TYPE_SHARES_PERCENT]
    shares = np.array([p for _, p in EVENT_TYPE_SHARES_PERCENT], dtype=float) / 100
    start = (DATA_END + timedelta(days=3)).replace(tzinfo=UTC)
    bodies: list[tuple[str, bytes]] = []
    ids: list[str] = []
    for b in range(batches):
        learner = learner_ids[int(rng.choice(len(learner_ids), p=weights))]
        types = rng.choice(len(names), size=BATCH_EVENTS, p=shares)
        scores = rng.integers(0, 101, size=BATCH_EVENTS)
        records = []
        for i in range(BATCH_EVENTS):
            event_id = f"{INGEST_ID_PREFIX}{seed}-{b}-{i}"
            ids.append(event_id)
            at = start + timedelta(hours=b, seconds=i * 0.5)
            records.append(
                {
                    "id": event_id,
                    "eventType": names[int(types[i])],
                    "eventData": {"client": "web", "durationMs": int(scores[i]) * 600},
                    "timestamp": at.isoformat().replace("+00:00", "Z"),
                    "sessionPerformanceScore": int(scores[i]),
                }
            )
        bodies.append((learner, json.dumps({"records": records}).encode()))
    return bodies, ids


def _ingest(
    base: str,
    headers: dict[str, str],
    bodies: list[tuple[str, bytes]],
    clients: int,
    tick: Tick | None,
) -> dict[str, Any]:
    import httpx

    pool_clients = [
        httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS)
        for _ in range(clients)
    ]

    def post(item: tuple[int, tuple[str, bytes]]) -> float:
        n, (learner, body) = item
        t0 = time.perf_counter()
        response = pool_clients[n % clients].post(
            BATCH_PATH.format(user_id=learner),
            content=body,
            headers={"content-type": "application/json"},
        )
        elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            raise RuntimeError(f"ingestion failed: {response.status_code} {response.text[:200]}")
        if tick:
            tick(BATCH_EVENTS)
        return elapsed

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            latencies = list(pool.map(post, enumerate(bodies)))
        seconds = time.perf_counter() - started
    finally:
        for c in pool_clients:
            c.close()
    events = len(bodies) * BATCH_EVENTS
    return {
        "clients": clients,
        "batches": len(bodies),
        "batch_events": BATCH_EVENTS,
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds, 1),
        "batch_latency_ms": _percentiles_ms(latencies),
    }


def _delete_ingested(bench: BenchDatabase, ids: list[str]) -> float:
    """Remove the ingested events again; seconds taken (with the VACUUM)."""
    t0 = time.perf_counter()
    with bench.connect() as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {BENCH_SCHEMA}.http_ids (id text PRIMARY KEY)")
        conn.execute(f"TRUNCATE {BENCH_SCHEMA}.http_ids")
        with conn.cursor().copy(f"COPY {BENCH_SCHEMA}.http_ids (id) FROM STDIN") as copy:
            for event_id in ids:
                copy.write_row((event_id,))
        conn.execute(
            f"DELETE FROM behavioral_events e USING {BENCH_SCHEMA}.http_ids h WHERE e.id = h.id"
        )
        conn.execute(f"TRUNCATE {BENCH_SCHEMA}.http_ids")
        conn.execute("VACUUM behavioral_events")
    return time.perf_counter() - t0


def measure_http(
    bench: BenchDatabase,
    param_sets: list[dict[str, Any]],
    *,
    ingest_batches: int = DEFAULT_INGEST_BATCHES,
    clients: int = DEFAULT_CLIENTS,
    seed: int = 1,
    tick: Tick | None = None,
) -> dict[str, Any]:
    """Serve the benchmark database over HTTP on loopback and measure (see the module doc)."""
    if not events_route_available():
        return {"status": "not measured", "reason": "the API has no events listing route"}
    bodies, ids = _batch_bodies(bench, ingest_batches, seed)
    key_id, key = _create_key(bench)
    headers = {"Authorization": f"Bearer {key}"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="twin-bench-http-") as tmp:
        log = Path(tmp) / "serve.log"
        server = _start_server(bench, port, log)
        try:
            _wait_ready(base, server, log)
            idle_kb = _memory_kb(server.pid, "VmRSS")
            listing = _list_events(base, headers, param_sets, tick)
            ingestion = _ingest(base, headers, bodies, clients, tick) if bodies else None
            peak_kb = _memory_kb(server.pid, "VmHWM")
        finally:
            _stop_server(server)
            _delete_key(bench, key_id)
            cleanup = _delete_ingested(bench, ids) if ids else 0.0
    return {
        "status": "measured",
        "server": "twin serve (uvicorn, one process) on 127.0.0.1, client httpx with keep-alive",
        "listing": listing,
        "ingestion": ingestion,
        "api_idle_rss_mb": round(idle_kb / 1024, 1) if idle_kb else None,
        "api_peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb else None,
        "cleanup_seconds": round(cleanup, 1),
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
