"""Acknowledged means durable: the API process SIGKILLed under concurrent ingestion.

Several clients create learners and send them event batches while the server process
is killed with SIGKILL at a random moment, then restarted on the same listening socket,
several times. Afterwards every learner whose PUT was acknowledged exists, every batch
that was acknowledged is in the database in full, and no batch, acknowledged or not,
is there in part.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
import sqlalchemy as sa

from tests.api.live import LiveServer
from twin.db.engine import Database
from twin.services import auth

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

SEED = 20_12
ROUNDS = 4
CLIENTS = 4
EVENTS_PER_BATCH = 100
BATCHES_PER_LEARNER = 5
# The kill comes this long after the server is up again (uniform, seconds).
KILL_AFTER_SECONDS = (0.3, 1.5)
RETRY_PAUSE_SECONDS = 0.05
REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass
class Batch:
    """One events batch a client sent, and whether the server acknowledged it."""

    learner: str
    ids: list[str]
    acknowledged: bool = False


@dataclass
class Ledger:
    """What one client sent and what it was told."""

    learners: dict[str, bool] = field(default_factory=dict)  # id → PUT acknowledged
    batches: list[Batch] = field(default_factory=list)


def _events(learner: str, batch: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"{learner}-b{batch}-e{i}",
            "eventType": "CARD_REVIEWED",
            "timestamp": f"2026-01-05T08:{i % 60:02d}:00Z",
            "eventData": {"batch": batch, "i": i},
        }
        for i in range(EVENTS_PER_BATCH)
    ]


def _client_loop(
    base_url: str, headers: dict[str, str], name: str, stop: threading.Event, ledger: Ledger
) -> None:
    with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS) as http:
        serial = 0
        while not stop.is_set():
            learner = f"{name}-l{serial}"
            serial += 1
            ledger.learners[learner] = False
            try:
                put = http.put(f"/v1/users/{learner}", json={"timezone": "Europe/Berlin"})
                ledger.learners[learner] = put.status_code in (200, 201)
            except httpx.TransportError:
                pass
            if not ledger.learners[learner]:
                time.sleep(RETRY_PAUSE_SECONDS)
                continue
            for b in range(BATCHES_PER_LEARNER):
                if stop.is_set():
                    break
                records = _events(learner, b)
                batch = Batch(learner, [str(r["id"]) for r in records])
                ledger.batches.append(batch)
                try:
                    answer = http.post(
                        f"/v1/users/{learner}/events:batch", json={"records": records}
                    )
                    batch.acknowledged = answer.status_code == 200
                except httpx.TransportError:
                    time.sleep(RETRY_PAUSE_SECONDS)
                    break  # the server is gone: start over with a new learner


def test_acknowledged_writes_survive_sigkill(db: Database) -> None:
    with db.session() as session:
        _row, key = auth.create_api_key(session, "crash-test")
    headers = {"Authorization": f"Bearer {key}"}
    rng = random.Random(SEED)
    ledgers = [Ledger() for _ in range(CLIENTS)]
    stop = threading.Event()
    started = time.monotonic()
    server = LiveServer(db.url).start()
    try:
        threads = [
            threading.Thread(
                target=_client_loop,
                args=(server.base_url, headers, f"c{c}", stop, ledgers[c]),
                daemon=True,
            )
            for c in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for _ in range(ROUNDS):
            time.sleep(rng.uniform(*KILL_AFTER_SECONDS))
            server.kill()
            server.start()
        time.sleep(rng.uniform(*KILL_AFTER_SECONDS))
        stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_SECONDS * 2)
        assert not any(t.is_alive() for t in threads)
    finally:
        server.close()

    with db.engine.connect() as conn:
        users = {r[0] for r in conn.execute(sa.text("SELECT id FROM users"))}
        stored = {r[0] for r in conn.execute(sa.text("SELECT id FROM behavioral_events"))}
    batches = [b for ledger in ledgers for b in ledger.batches]
    acknowledged = [b for b in batches if b.acknowledged]
    found = [b for b in batches if all(i in stored for i in b.ids)]
    partial = [b for b in batches if any(i in stored for i in b.ids) and b not in found]
    lost = [b for b in acknowledged if b not in found]
    learners_acked = [u for ledger in ledgers for u, ok in ledger.learners.items() if ok]
    learners_lost = [u for u in learners_acked if u not in users]
    figures = {
        "rounds": ROUNDS,
        "clients": CLIENTS,
        "batches sent": len(batches),
        "acknowledged": len(acknowledged),
        "found complete": len(found),
        "found, not acknowledged": len(found) - len(acknowledged) + len(lost),
        "partial": len(partial),
        "acknowledged but missing": len(lost),
        "learners acknowledged": len(learners_acked),
        "learners missing": len(learners_lost),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(f"\ncrash test: {figures}")
    assert acknowledged, figures  # the clients got work through between the kills
    assert len(acknowledged) < len(batches) or ROUNDS == 0, figures  # a kill hit a batch
    assert partial == [] and lost == [] and learners_lost == [], figures
