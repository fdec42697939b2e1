"""Cognitive load and burnout on simulated learners with known episodes, and the speed of the parts.

    python -m benchmarks.cognitive_quality [--learners 200 --weeks 10 --seed 7]
                                           [--srs-learners 200 --srs-seed 7007]
                                           [--families classic,srs]
                                           [--database-url URL] [--keep]

Loads a simulated cohort (:func:`twin.simulate.load.load_cohort`) into a fresh
database — an embedded PostgreSQL in a temporary data directory, or
``--database-url`` / ``TWIN_DATABASE_URL`` (the seed's learners are replaced) —
then, as the engine would in production:

1. computes every session's load through the live-ingestion path
   (:func:`twin.services.cognitive.record_session_loads`: baseline from earlier
   sessions only, optimal length from ``users.defaultMissionMinutes``);
2. runs the hourly job tick (:func:`twin.jobs.cognitive.run_cognitive_tick`) for
   every hour of the window, so each learner is assessed every day at 04:00 local
   over the 14 days ending yesterday (and stress is refreshed on Mondays).

Quality, from the truth in ``simulation_truth``: the share of episodes with an
assessment of HIGH or CRITICAL whose window ends within 7 days of the onset
(``onset ≤ window end ≤ onset + 7``: data of the onset day to the seventh day after
it), per episode kind and overall (target ≥ 90%); the share of learners without any
episode ever assessed HIGH or CRITICAL (target ≤ 10%); for the ``srs`` family's
sustained overloads (3–6 weeks), the share assessed HIGH or CRITICAL within 7 days of
the start of their third week (a window ending on onset … onset + 21; target ≥ 90%);
Spearman's ρ between the
engine's session load and the simulator's hidden per-session load
(``sessionHiddenLoad``; target ≥ 0.7). Speed: one pure load computation (50
reviews; target well under 1 ms), GET cognitive-load/current through the app
in-process (TestClient; p95 ≤ 10 ms), one burnout assessment with its database work
(median ≤ 20 ms). Both generative families side by side (``classic``, then ``srs`` on its
own held-out seed, loaded after the classic cohort is measured and removed); the speed
figures are taken on the classic cohort. Prints one table and writes
``benchmarks/results/cognitive_quality.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from scipy import stats
from sqlalchemy.orm import Session

from benchmarks.ingest_support import machine, scratch_database
from twin.analysis.cognitive.load import SessionLoadInput, compute_cognitive_load
from twin.analysis.common import local_date
from twin.clock import utcnow
from twin.db.engine import Database
from twin.jobs.cognitive import run_cognitive_tick
from twin.learners import load_learner
from twin.services import auth
from twin.services import cognitive as service
from twin.simulate.load import delete_seed, load_cohort
from twin.simulate.traits import TRAITS_VERSION

RESULTS = Path(__file__).resolve().parent / "results" / "cognitive_quality.json"
DETECTION_DAYS = 7
# A sustained overload must be HIGH+ within 7 days of the start of its third week.
SUSTAINED_DETECTION_DAYS = 21
SUSTAINED = "sustained"
DEFAULT_SRS_SEED = 7007
FAMILY_ORDER = ("classic", "srs")
TARGET_DETECTION = 0.90
TARGET_FALSE_ALARM = 0.10
TARGET_SPEARMAN = 0.70
TARGET_LOAD_MS = 1.0
TARGET_CURRENT_P95_MS = 10.0
TARGET_BURNOUT_MEDIAN_MS = 20.0
AT_RISK = ("HIGH", "CRITICAL")
PURE_LOAD_CALLS = 20_000
CURRENT_REQUESTS = 1_000
BURNOUT_SAMPLES = 200
CHRONIC_DAY_LOAD = 60.0
MIN_CONSOLE_WIDTH = 120  # characters: the table is wide
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))


def truths(db: Database, seed: int) -> dict[str, dict[str, Any]]:
    """simulation_truth.traits per learner of the seed."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text('SELECT "userId", traits FROM simulation_truth WHERE seed = :s'), {"s": seed}
        ).all()
    return {r[0]: r[1] for r in rows}


def compute_loads(db: Database, learners: list[str]) -> float:
    """Every session's load through the live path; returns seconds."""
    began = time.perf_counter()
    for uid in learners:
        with db.session() as session:
            learner = load_learner(session, uid)
            assert learner is not None
            ids = list(
                session.scalars(
                    sa.text('SELECT id FROM study_sessions WHERE "userId" = :u'), {"u": uid}
                )
            )
            for i in range(0, len(ids), service.BACKFILL_CHUNK_SESSIONS):
                service.record_session_loads(
                    session, learner, ids[i : i + service.BACKFILL_CHUNK_SESSIONS]
                )
    return time.perf_counter() - began


def run_ticks(db: Database, start: date, weeks: int) -> tuple[float, Counter[str], int]:
    """The hourly job tick over the whole window (plus the day after); returns seconds, outcomes, ticks."""
    first = datetime(start.year, start.month, start.day, tzinfo=UTC) - timedelta(hours=14)
    last = first + timedelta(days=weeks * 7 + 2)
    outcomes: Counter[str] = Counter()
    ticks = 0
    began = time.perf_counter()
    tick = first
    while tick <= last:
        report = run_cognitive_tick(db, tick)
        outcomes.update(report.outcomes)
        ticks += 1
        tick += timedelta(hours=1)
    return time.perf_counter() - began, outcomes, ticks


def detection(db: Database, truth: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Episode detection within 7 days of onset, and false alarms of learners without episodes."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT "userId", "riskLevel"::text, "contributingFactors"->0->\'window\'->>\'end\' '
                "FROM burnout_risk_assessments"
            )
        ).all()
    at_risk_days: dict[str, set[date]] = defaultdict(set)
    assessed: Counter[str] = Counter()
    for uid, level, end in rows:
        assessed[uid] += 1
        if level in AT_RISK and end:
            at_risk_days[uid].add(date.fromisoformat(end))
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    delays: dict[str, list[int]] = defaultdict(list)
    clean = flagged = 0
    for uid, traits in truth.items():
        episodes = traits.get("episodes") or []
        if not episodes:
            clean += 1
            flagged += bool(at_risk_days.get(uid))
        for e in episodes:
            onset = date.fromisoformat(e["onsetDate"])
            total[e["kind"]] += 1
            horizon = SUSTAINED_DETECTION_DAYS if e["kind"] == SUSTAINED else DETECTION_DAYS
            hits = [
                (d - onset).days
                for d in at_risk_days.get(uid, set())
                if 0 <= (d - onset).days <= horizon
            ]
            if hits:
                found[e["kind"]] += 1
                delays[e["kind"]].append(min(hits))
    by_kind = {
        kind: {
            "episodes": total[kind],
            "detected": found[kind],
            "rate": found[kind] / total[kind] if total[kind] else None,
            "medianDelayDays": statistics.median(delays[kind]) if delays[kind] else None,
        }
        for kind in sorted(total)
    }
    short = [k for k in total if k != SUSTAINED]
    all_total = sum(total[k] for k in short)
    all_found = sum(found[k] for k in short)
    return {
        "byKind": by_kind,
        "episodes": all_total,
        "detected": all_found,
        "rate": all_found / all_total if all_total else None,
        "sustained": by_kind.get(SUSTAINED),
        "learnersWithoutEpisodes": clean,
        "falseAlarmLearners": flagged,
        "falseAlarmRate": flagged / clean if clean else None,
        "assessments": sum(assessed.values()),
        "assessmentsAtRisk": sum(1 for r in rows if r[1] in AT_RISK),
    }


def load_agreement(db: Database, truth: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Spearman ρ of the engine's session load with the simulator's hidden load; load by episode kind."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT DISTINCT ON ("sessionId") "userId", "sessionId", "loadScore" '
                'FROM cognitive_load_metrics WHERE "sessionId" IS NOT NULL '
                'ORDER BY "sessionId", "timestamp" DESC'
            )
        ).all()
        starts: dict[str, datetime] = {
            r[0]: r[1] for r in conn.execute(sa.text('SELECT id, "startedAt" FROM study_sessions'))
        }
    engine_load = {sid: float(load) for _uid, sid, load in rows}
    sessions_of: dict[str, list[str]] = defaultdict(list)
    for uid, sid, _load in rows:
        sessions_of[uid].append(sid)
    pairs: list[tuple[float, float]] = []
    per_learner: list[float] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    hidden_present = 0
    for uid, traits in truth.items():
        raw = traits.get("sessionHiddenLoad")
        hidden: list[Any] = raw if isinstance(raw, list) else []
        tz = traits.get("timezone", "UTC")
        episodes = [
            (e["kind"], date.fromisoformat(e["onsetDate"]), date.fromisoformat(e["endDate"]))
            for e in traits.get("episodes") or []
        ]
        mine: list[tuple[float, float]] = []
        for i in range(len(hidden)):
            sid = f"{uid}-s{i}"
            if sid in engine_load and hidden[i] is not None:
                mine.append((engine_load[sid], float(hidden[i])))
        if isinstance(raw, list):
            hidden_present += 1
        pairs.extend(mine)
        if len(mine) >= 10:
            rho = stats.spearmanr([m[0] for m in mine], [m[1] for m in mine]).statistic
            if np.isfinite(rho):
                per_learner.append(float(rho))
        zone = ZoneInfo(tz)
        for sid in sessions_of.get(uid, []):
            day = local_date(starts[sid], zone)
            kind = next((k for k, a, b in episodes if a <= day <= b), "none")
            by_kind[kind].append(engine_load[sid])
    rho_all = (
        float(stats.spearmanr([p[0] for p in pairs], [p[1] for p in pairs]).statistic)
        if len(pairs) >= 3
        else None
    )
    return {
        "hiddenLoadPresent": hidden_present > 0,
        "learnersWithHiddenLoad": hidden_present,
        "sessionsPaired": len(pairs),
        "spearman": rho_all,
        "spearmanWithinLearnerMedian": statistics.median(per_learner) if per_learner else None,
        "engineLoadByEpisode": {
            kind: {
                "sessions": len(v),
                "mean": float(np.mean(v)),
                "shareAbove60": float(np.mean(np.asarray(v) > CHRONIC_DAY_LOAD)),
            }
            for kind, v in sorted(by_kind.items())
        },
        "hiddenLoadMean": float(np.mean([p[1] for p in pairs])) if pairs else None,
    }


def pure_load_speed() -> dict[str, float]:
    """Cost of one load computation of a 50-review session (no database)."""
    rng = np.random.default_rng(3)
    data = SessionLoadInput(
        latencies_ms=tuple(float(x) for x in rng.lognormal(9.0, 0.35, 50)),
        correct=tuple(bool(x) for x in rng.random(50) > 0.2),
        pause_count=3,
        pause_seconds=300.0,
        active_seconds=2700.0,
        performance_scores=(80.0, 75.0, 60.0, 55.0),
        duration_minutes=50.0,
        baseline_latency_ms=7000.0,
        optimal_session_minutes=45.0,
    )
    for _ in range(500):
        compute_cognitive_load(data)
    samples = []
    for _ in range(PURE_LOAD_CALLS):
        t = time.perf_counter_ns()
        compute_cognitive_load(data)
        samples.append((time.perf_counter_ns() - t) / 1e6)
    return {
        "meanMs": float(np.mean(samples)),
        "p50Ms": float(np.percentile(samples, 50)),
        "p95Ms": float(np.percentile(samples, 95)),
    }


def current_speed(db: Database, learners: list[str]) -> dict[str, float]:
    """GET /v1/users/{id}/cognitive-load/current through the app in-process (TestClient)."""
    from fastapi.testclient import TestClient

    from twin.api import app as app_module
    from twin.api.routers import cognitive as router_module

    if router_module.router not in app_module.V1_ROUTERS:
        app_module.V1_ROUTERS = (*app_module.V1_ROUTERS, router_module.router)
    with db.session() as session:
        _row, key = auth.create_api_key(session, f"cognitive-bench-{time.time_ns()}")
    headers = {"Authorization": f"Bearer {key}"}
    rng = random.Random(5)
    samples: list[float] = []
    server: list[float] = []
    app = app_module.create_app(database=db)

    @app.middleware("http")
    async def server_time(request: Any, call_next: Any) -> Any:
        began = time.perf_counter()
        response = await call_next(request)
        server.append((time.perf_counter() - began) * 1000)
        return response

    with TestClient(app) as client:
        for _ in range(50):
            client.get(f"/v1/users/{learners[0]}/cognitive-load/current", headers=headers)
        for _ in range(CURRENT_REQUESTS):
            uid = rng.choice(learners)
            t = time.perf_counter()
            r = client.get(f"/v1/users/{uid}/cognitive-load/current", headers=headers)
            samples.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
    in_app = server[-CURRENT_REQUESTS:]
    return {
        "requests": CURRENT_REQUESTS,
        "p50Ms": float(np.percentile(samples, 50)),
        "p95Ms": float(np.percentile(samples, 95)),
        "p99Ms": float(np.percentile(samples, 99)),
        "serverP50Ms": float(np.percentile(in_app, 50)),
        "serverP95Ms": float(np.percentile(in_app, 95)),
    }


def burnout_speed(db: Database, learners: list[str], start: date, weeks: int) -> dict[str, float]:
    """One assessment with its database work (reads, insert), rolled back afterwards."""
    rng = random.Random(11)
    samples = []
    for _ in range(BURNOUT_SAMPLES):
        uid = rng.choice(learners)
        day = start + timedelta(days=rng.randrange(14, weeks * 7))
        now = datetime(day.year, day.month, day.day, 12)
        with db.engine.connect() as conn:
            tx = conn.begin()
            session = Session(bind=conn)
            t = time.perf_counter()
            learner = load_learner(session, uid)
            assert learner is not None
            service.assess_burnout(session, learner, now)
            samples.append((time.perf_counter() - t) * 1000)
            session.close()
            tx.rollback()
    return {
        "samples": BURNOUT_SAMPLES,
        "p50Ms": float(np.percentile(samples, 50)),
        "p95Ms": float(np.percentile(samples, 95)),
    }


def live_hook_speed(db: Database, learners: list[str]) -> dict[str, float]:
    """on_session_activity for one finished session (recompute, 5-minute rule, profile)."""
    rng = random.Random(13)
    samples = []
    for _ in range(BURNOUT_SAMPLES):
        uid = rng.choice(learners)
        with db.engine.connect() as conn:
            sid = conn.execute(
                sa.text(
                    'SELECT id FROM study_sessions WHERE "userId" = :u ORDER BY random() LIMIT 1'
                ),
                {"u": uid},
            ).scalar_one()
            conn.rollback()
            tx = conn.begin()
            session = Session(bind=conn)
            t = time.perf_counter()
            service.on_session_activity(session, uid, [sid], now=utcnow())
            samples.append((time.perf_counter() - t) * 1000)
            session.close()
            tx.rollback()
    return {"p50Ms": float(np.percentile(samples, 50)), "p95Ms": float(np.percentile(samples, 95))}


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def report_table(result: dict[str, Any]) -> Table:
    """Targets and measured figures side by side, one column per generative family."""
    families = result["families"]
    present = [f for f in FAMILY_ORDER if f in families]
    table = Table("measure", "target", *present, title="Cognitive load & burnout quality")

    def verdict(ok: bool | None) -> str:
        return "" if ok is None else (" [green]yes[/]" if ok else " [red]no[/]")

    def row(name: str, target: str, cells: list[str]) -> None:
        table.add_row(name, target, *cells)

    def detection_cell(f: str) -> str:
        det = families[f]["detection"]
        rate = det["rate"]
        if rate is None:
            return "—"
        return f"{pct(rate)} ({det['detected']}/{det['episodes']})" + verdict(
            rate >= TARGET_DETECTION
        )

    row(
        "short episodes HIGH+ within 7 days of onset",
        f"≥ {TARGET_DETECTION:.0%}",
        [detection_cell(f) for f in present],
    )
    kinds = sorted({k for f in present for k in families[f]["detection"]["byKind"]})
    for kind in kinds:
        cells = []
        for f in present:
            k = families[f]["detection"]["byKind"].get(kind)
            if k is None:
                cells.append("—")
                continue
            ok = (
                (k["rate"] >= TARGET_DETECTION)
                if kind == SUSTAINED and k["rate"] is not None
                else None
            )
            cells.append(
                f"{pct(k['rate'])} ({k['detected']}/{k['episodes']}), median delay "
                f"{k['medianDelayDays'] if k['medianDelayDays'] is not None else '—'} d"
                + verdict(ok)
            )
        label = (
            "sustained overload HIGH+ within 7 days of its third week"
            if kind == SUSTAINED
            else f"  … {kind}"
        )
        row(label, f"≥ {TARGET_DETECTION:.0%}" if kind == SUSTAINED else "", cells)
    cells = []
    for f in present:
        det = families[f]["detection"]
        fa = det["falseAlarmRate"]
        cells.append(
            f"{pct(fa)} ({det['falseAlarmLearners']}/{det['learnersWithoutEpisodes']})"
            + verdict(None if fa is None else fa <= TARGET_FALSE_ALARM)
        )
    row("learners without episodes ever HIGH+", f"≤ {TARGET_FALSE_ALARM:.0%}", cells)
    cells = []
    for f in present:
        agree = families[f]["loadAgreement"]
        rho = agree["spearman"]
        cells.append(
            "hidden load absent"
            if not agree["hiddenLoadPresent"]
            else f"{rho:.3f} ({agree['sessionsPaired']} sessions)"
            + verdict(None if rho is None else rho >= TARGET_SPEARMAN)
        )
    row("Spearman ρ session load vs hidden load", f"≥ {TARGET_SPEARMAN}", cells)
    episode_kinds = sorted(
        {k for f in present for k in families[f]["loadAgreement"]["engineLoadByEpisode"]}
    )
    for kind in episode_kinds:
        cells = []
        for f in present:
            v = families[f]["loadAgreement"]["engineLoadByEpisode"].get(kind)
            cells.append(
                "—"
                if v is None
                else f"mean {v['mean']:.1f}, {pct(v['shareAbove60'])} > 60 ({v['sessions']})"
            )
        row(f"  engine load in '{kind}' sessions", "", cells)
    speed = result.get("speed")
    if speed:
        blank = [""] * (len(present) - 1)
        pure = speed["pureLoad"]
        row(
            "one load computation (pure)",
            f"≪ {TARGET_LOAD_MS:g} ms",
            [
                f"{1000 * pure['p50Ms']:.0f} µs p50, {1000 * pure['p95Ms']:.0f} µs p95"
                + verdict(pure["p95Ms"] < TARGET_LOAD_MS),
                *blank,
            ],
        )
        cur = speed["currentLoad"]
        row(
            "GET cognitive-load/current (TestClient)",
            f"p95 ≤ {TARGET_CURRENT_P95_MS:g} ms",
            [
                f"{cur['p50Ms']:.2f} ms p50, {cur['p95Ms']:.2f} ms p95"
                + verdict(cur["p95Ms"] <= TARGET_CURRENT_P95_MS),
                *blank,
            ],
        )
        bo = speed["burnoutAssessment"]
        row(
            "burnout assessment with DB work (28 reference days read)",
            f"median ≤ {TARGET_BURNOUT_MEDIAN_MS:g} ms",
            [
                f"{bo['p50Ms']:.2f} ms p50, {bo['p95Ms']:.2f} ms p95"
                + verdict(bo["p50Ms"] <= TARGET_BURNOUT_MEDIAN_MS),
                *blank,
            ],
        )
        live = speed["liveHook"]
        row(
            "live hook, one session (on_session_activity)",
            "",
            [f"{live['p50Ms']:.2f} ms p50, {live['p95Ms']:.2f} ms p95", *blank],
        )
    table.caption = "; ".join(
        f"{f}: {families[f]['parameters']['learners']} learners × "
        f"{families[f]['parameters']['weeks']} weeks, seed {families[f]['parameters']['seed']}, "
        f"ticks {families[f]['timings']['ticksSeconds']:.0f} s"
        for f in present
    )
    return table


def measure_family(
    db: Database, family: str, learners_n: int, weeks: int, seed: int
) -> tuple[dict[str, Any], list[str], date]:
    """Load one family's cohort, run the engine over it, measure detection and load agreement."""
    console.print(
        f"[bold]simulating[/] {family}: {learners_n} learners × {weeks} weeks (seed {seed})"
    )
    summary = load_cohort(db, learners_n, weeks, seed, progress=True, replace=True, family=family)
    truth = truths(db, seed)
    learners = sorted(truth)
    console.print("[bold]session loads[/] through the live path …")
    loads_seconds = compute_loads(db, learners)
    console.print("[bold]hourly ticks[/] over the window …")
    ticks_seconds, outcomes, ticks = run_ticks(db, summary.start, weeks)
    console.print("[bold]measuring[/] …")
    return (
        {
            "parameters": {
                "family": family,
                "learners": learners_n,
                "weeks": weeks,
                "seed": seed,
                "start": summary.start.isoformat(),
                "detectionDays": DETECTION_DAYS,
                "sustainedDetectionDays": SUSTAINED_DETECTION_DAYS,
                "detectionRule": "an assessment HIGH/CRITICAL whose 14-day window ends on "
                "onset … onset + 7 (sustained: onset + 21; assessed at 04:00 local the day "
                "after its window)",
                "optimalSessionLength": "users.defaultMissionMinutes (no pattern profiles)",
                "simulatorTraitsVersion": TRAITS_VERSION,
            },
            "timings": {
                "simulateSeconds": summary.seconds,
                "loadsSeconds": loads_seconds,
                "ticks": ticks,
                "ticksSeconds": ticks_seconds,
                "tickOutcomes": dict(outcomes),
            },
            "detection": detection(db, truth),
            "loadAgreement": load_agreement(db, truth),
        },
        learners,
        summary.start,
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the database, run the engine over each family's cohort, measure."""
    wanted = [f for f in FAMILY_ORDER if f in args.families.split(",")]
    with scratch_database(args.database_url, keep=args.keep) as (db, where):
        result: dict[str, Any] = {
            "benchmark": "cognitive_quality",
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "families": {},
        }
        for family in wanted:
            n, seed = (
                (args.learners, args.seed)
                if family == "classic"
                else (args.srs_learners, args.srs_seed)
            )
            measured, learners, start = measure_family(db, family, n, args.weeks, seed)
            result["families"][family] = measured
            if "speed" not in result:
                result["speed"] = {
                    "pureLoad": pure_load_speed(),
                    "currentLoad": current_speed(db, learners),
                    "burnoutAssessment": burnout_speed(db, learners, start, args.weeks),
                    "liveHook": live_hook_speed(db, learners),
                    "family": family,
                }
            delete_seed(db, seed)  # the next family's ticks see only its own learners
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--srs-learners", type=int, default=200)
    parser.add_argument("--srs-seed", type=int, default=DEFAULT_SRS_SEED)
    parser.add_argument("--families", default="classic,srs", help="comma-separated: classic,srs")
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
