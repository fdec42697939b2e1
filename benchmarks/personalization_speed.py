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
Finally the daily job's tick over every learner (:func:`twin.jobs.personalization.run_tick`:
derived outcomes and rewards, then effectiveness), timed, and its per-learner time scaled
to 1,000 learners. ``--job-learners N`` first adds N learners written set-based (no
simulation, so 1,000 take seconds, not an hour) with what the tick works on: 4 SESSION
arms, 12 rewarded decisions with their outcomes in the last 28 days and 10 outcomes in the
window before (so each arm's effectiveness is measured), and 2 decisions of the last 12
hours each followed by a completed study session with 3 due reviews and a validation
answer (so the tick derives 2 outcomes and rewards per learner). ``--port`` serves the app
on that loopback port (0: a free one). Prints a table and writes
``benchmarks/results/personalization_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from benchmarks.dashboard_speed import credentials, served
from benchmarks.ingest_support import scratch_database
from twin.analysis.common import storage_time
from twin.clock import utcnow
from twin.db.base import new_id
from twin.db.engine import Database
from twin.db.models import (
    Card,
    Course,
    PersonalizationConfig,
    PersonalizationDecision,
    PersonalizationOutcome,
    PersonalizationPreferences,
    Review,
    StudySession,
    User,
    ValidationResponse,
)
from twin.enums import OutcomeType, PersonalizationContext, ReviewRating
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
_JOB_MODELS: tuple[type[Any], ...] = (
    User,
    PersonalizationPreferences,
    PersonalizationConfig,
    Course,
    Card,
    PersonalizationOutcome,
    PersonalizationDecision,
    StudySession,
    Review,
    ValidationResponse,
)


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


JOB_ARMS = ("PATTERN_HEAVY", "PREDICTION_HEAVY", "BALANCED", "CONSERVATIVE")
JOB_REWARDED = 12
JOB_BASELINE = 10
JOB_PENDING = 2
JOB_DUE_REVIEWS = 3


@dataclass
class _JobLearner:
    """One set-based learner being written: its id, arm ids, the rows and the generator."""

    uid: str
    arms: dict[str, str]
    rows: dict[type[Any], list[dict[str, Any]]]
    rng: np.random.Generator


def _job_outcome(job: _JobLearner, when: datetime, decision: str | None, arm: str | None) -> str:
    uid, arms, rows, rng = job.uid, job.arms, job.rows, job.rng
    oid = new_id()
    rows[PersonalizationOutcome].append(
        {
            "id": oid,
            "userId": uid,
            "configId": None if arm is None else arms[arm],
            "outcomeType": OutcomeType.SESSION_COMPLETED,
            "context": PersonalizationContext.SESSION,
            "timestamp": when,
            "retentionScore": float(rng.uniform(0.5, 0.9)),
            "performanceScore": float(rng.uniform(50, 90)),
            "completionRate": float(rng.uniform(0.6, 1.0)),
            "personalizationApplied": decision is not None,
            "strategyVariant": arm,
            "decisionId": decision,
            "personalizationLevel": "MEDIUM" if decision else "NONE",
        }
    )
    return oid


def _job_decision(job: _JobLearner, when: datetime, arm: str, rewarded: bool) -> str:
    uid, arms, rows, rng = job.uid, job.arms, job.rows, job.rng
    did = new_id()
    row = {
        "userId": uid,
        "id": did,
        "context": "SESSION",
        "strategyVariant": arm,
        "configId": arms[arm],
        "propensity": 0.25,
        "probabilities": dict.fromkeys(JOB_ARMS, 0.25),
        "mode": "thompson",
        "personalizationLevel": "MEDIUM",
        "rewardScale": 1.0,
        "priors": {},
        "params": {},
        "parameters": {"durationMinutes": 40},
        "explanation": {},
        "decidedAt": when,
        "signals": [],
        "reward": None,
        "rewardedAt": None,
        "outcomeId": None,
    }
    if rewarded:
        row["outcomeId"] = _job_outcome(job, when + timedelta(hours=1), did, arm)
        row["reward"] = float(rng.uniform(0.3, 0.9))
        row["rewardedAt"] = when + timedelta(hours=1)
    rows[PersonalizationDecision].append(row)
    return did


def seed_job_learners(db: Database, learners: int, now: datetime, seed_value: int) -> list[str]:
    """``learners`` learners with what the daily tick works on, written set-based (see the doc)."""
    rng = np.random.default_rng(seed_value)
    at = storage_time(now)
    rows: dict[type[Any], list[dict[str, Any]]] = {m: [] for m in _JOB_MODELS}
    ids = []
    for i in range(learners):
        uid = f"pjob-{i:05d}"
        ids.append(uid)
        prefs = new_id()
        rows[User].append({"id": uid, "timezone": "UTC", "behavioralAnalysisEnabled": True})
        rows[PersonalizationPreferences].append(
            {"id": prefs, "userId": uid, "disabledFeatures": [], "createdAt": at, "updatedAt": at}
        )
        arms = {}
        for arm in JOB_ARMS:
            arms[arm] = new_id()
            rows[PersonalizationConfig].append(
                {
                    "id": arms[arm],
                    "userId": uid,
                    "preferencesId": prefs,
                    "context": PersonalizationContext.SESSION,
                    "strategyVariant": arm,
                    "confidenceScore": 0.25,
                    "createdAt": at,
                    "updatedAt": at,
                    "activatedAt": at,
                }
            )
        rows[Course].append({"id": f"{uid}-c", "userId": uid, "name": "Physiology"})
        rows[Card].append({"id": f"{uid}-k", "courseId": f"{uid}-c"})

        job = _JobLearner(uid, arms, rows, rng)
        for k in range(JOB_BASELINE):
            _job_outcome(job, at - timedelta(days=30 + 2 * k), None, None)

        for k in range(JOB_REWARDED):
            # every arm's decisions in the last 28 days (the first arm gets 10 or more)
            arm = JOB_ARMS[0] if k < 10 else JOB_ARMS[1 + k % 3]
            _job_decision(job, at - timedelta(days=2 + 2 * k), arm, True)
        for k in range(JOB_PENDING):
            decided = at - timedelta(hours=12 - 5 * k)
            _job_decision(job, decided, JOB_ARMS[k % 4], False)
            sid = f"{uid}-s{k}"
            start = decided + timedelta(minutes=30)
            rows[StudySession].append(
                {
                    "id": sid,
                    "userId": uid,
                    "startedAt": start,
                    "completedAt": start + timedelta(minutes=35),
                    "durationMs": 35 * 60_000,
                }
            )
            for r in range(JOB_DUE_REVIEWS):
                rows[Review].append(
                    {
                        "id": f"{sid}-r{r}",
                        "userId": uid,
                        "cardId": f"{uid}-k",
                        "sessionId": sid,
                        "rating": ReviewRating.GOOD if r else ReviewRating.AGAIN,
                        "timeSpentMs": 5000,
                        "reviewedAt": start + timedelta(minutes=r + 1),
                        "stabilityBefore": 2.0,
                    }
                )
            rows[ValidationResponse].append(
                {
                    "id": f"{sid}-v",
                    "userId": uid,
                    "sessionId": sid,
                    "promptType": "EXPLAIN",
                    "score": float(rng.uniform(0.4, 0.9)),
                    "respondedAt": start + timedelta(minutes=20),
                }
            )
    with db.session() as session:
        for model in _JOB_MODELS:  # parents first
            if rows[model]:
                session.execute(sa.insert(model), rows[model])
    return ids


def http_times(db: Database, ids: list[str], requests: int, port: int = 0) -> dict[str, float]:
    """``POST …/personalization:apply`` over HTTP, end to end."""
    _token, key = credentials(db, ids[0])
    headers = {"Authorization": f"Bearer {key}"}
    contexts = ("MISSION", "SESSION")
    times: list[float] = []
    with (
        served(db, port) as base,
        httpx.Client(base_url=base, headers=headers, timeout=30) as client,
    ):
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
        http = http_times(db, ids, args.requests, args.port)
        service = service_times(db, ids, args.requests)
        t1 = time.perf_counter()
        tick = utcnow()
        seed_job_learners(db, args.job_learners, tick - timedelta(minutes=5), args.seed)
        job_seed_s = time.perf_counter() - t1
        report = job.run_tick(db, tick)
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
                "setBasedLearners": args.job_learners,
                "setBasedSeedSeconds": round(job_seed_s, 1),
                "derivedOutcomes": report.derived,
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
        "daily outcome/reward tick",
        f"{j['seconds']} s for {j['learners']} ({j['secondsPer1000']} s per 1,000; "
        f"{j['derivedOutcomes']} derived outcomes, {j['rows']} effectiveness rows)",
        "≤ 60 s / 1,000",
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--weeks", type=int, default=2, help="adapted weeks per learner")
    parser.add_argument(
        "--job-learners",
        type=int,
        default=0,
        help="learners written set-based for the daily tick (1000 for the target)",
    )
    parser.add_argument("--port", type=int, default=0, help="loopback port (0: a free one)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    result = run(args)
    console.print(report_table(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
