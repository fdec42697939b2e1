"""Study timing and calendars on simulated learners with known peak hours, and the speed of the routes.

    python -m benchmarks.orchestration_quality [--learners 200 --history-weeks 8
                                                --follow-weeks 4 --seed 16]
                                               [--requests 200] [--database-url URL]
                                               [--port 8180] [--speed-only]

Two worlds of simulated learners (:mod:`twin.simulate`), each with a simulated calendar
(:mod:`twin.simulate.calendars`: classes, a job, commitments with exceptions, a call in
another zone, a trip): in **"matters"** the chronotype makes the peak hour matter as the
simulator's traits say; in **"flat"** the same traits with the chronotype's amplitude set
to 0. Half the learners have their peak hour free (``peak_free``), half get a weekday
shift over it from the end of their history on (``peak_blocked``); 60% are **followers**.

1. **History and follow period, first draw**: every learner is generated over
   history + follow weeks with the calendar hook (sessions leave busy time), loaded, and
   their calendar uploaded as ``.ics`` through the service at the end of the history.
2. **Slots and a plan** at the end of the history through the services: every slot and
   the plan at the top slot checked against the calendar's *truth* (busy intervals by date
   arithmetic, never the engine's parser); the top slot's distance to the true peak
   (peak free); the best weekday slot against the truth's next-best free start (peak blocked).
3. **Following**: each follow week the engine recommends slots (data before that week
   only) and a follower accepts every one of them (``appliedAt``, a plan each).
4. **Second draw**: every learner is generated again from the same traits with the
   followers starting a session at their accepted slots (85% of slot days), reloaded, the
   accepted slots restored, and ``effectiveness`` measured by the service over the follow
   weeks: followed vs other sessions' performance, Welch 95% interval per learner.
5. **Speed over HTTP** (a ``twin serve`` subprocess on port 8180+): a learner with a
   synced 2,000-event feed with recurrences — the upload (parse and store) timed, then
   ``GET …/schedule/slots?days=7`` and ``POST …/session-plans`` p50/p95.

Prints one table and writes ``benchmarks/results/orchestration_quality.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from scipy import stats

from benchmarks.ingest_support import machine, scratch_database, write_result
from twin.analysis.common import InsufficientData
from twin.analysis.orchestration.effectiveness import OutcomeDifference
from twin.db.engine import Database
from twin.services import auth
from twin.services.orchestration import calendars, effectiveness, plans, slots
from twin.services.orchestration.common import CalendarContext
from twin.simulate.calendars import (
    SimCalendar,
    busy_truth,
    calendar_ics,
    day_hours,
    sample_calendar,
)
from twin.simulate.generate import COURSE_CATALOGUE, TABLE_ORDER, LearnerData, generate_learner
from twin.simulate.load import delete_seed
from twin.simulate.rows import copy_statement, copy_text
from twin.simulate.traits import LearnerTraits, learner_rng, sample_traits

RESULT_NAME = "orchestration_quality"
TARGET_PEAK_SHARE = 0.85
TARGET_FALSE_DETECTION = 0.05
TARGET_P95_MS = 50.0
TARGET_PARSE_SECONDS = 1.0
FOLLOW_SHARE = 0.6
PEAK_TOLERANCE_MINUTES = 60
CHRONOTYPE_SIGMA_HOURS = 1.5
SLOT_STEP_MINUTES = 30
BUFFER_MINUTES = 10
FEED_EVENTS = 2000
UPLOAD_RUNS = 5
DEFAULT_PORT = 8180
WORLDS = ("matters", "flat")
console = Console(width=max(110, Console().width))


@dataclass
class Learner:
    """One simulated learner of the benchmark: traits, calendar, role, what the engine said."""

    traits: LearnerTraits
    calendar: SimCalendar
    follower: bool
    accepted: dict[int, float] = field(default_factory=dict)
    accepted_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        return self.traits.user_id


# --- generation and loading ----------------------------------------------------------------


def _traits(
    seed: int, index: int, weeks: int, world: str
) -> tuple[LearnerTraits, np.random.Generator]:
    rng = learner_rng(seed, index)
    traits = sample_traits(seed, index, weeks, rng, len(COURSE_CATALOGUE))
    if world == "flat":
        traits = replace(traits, chronotype=replace(traits.chronotype, amplitude=0.0))
    return traits, rng


def cohort(
    seed: int, n: int, start: date, history_weeks: int, follow_weeks: int, world: str
) -> list[Learner]:
    """The world's learners with their calendars and roles (scenario alternates, 60% follow)."""
    weeks = history_weeks + follow_weeks
    out = []
    roles = np.random.default_rng([seed, 16_016])
    for i in range(n):
        traits, _rng = _traits(seed, i, weeks, world)
        scenario = "peak_free" if i % 2 == 0 else "peak_blocked"
        cal = sample_calendar(
            traits.user_id,
            traits.timezone,
            traits.chronotype.peak_hour_local,
            np.random.default_rng([seed, i, 3]),
            start,
            weeks * 7,
            scenario=scenario,
            block_from_day=history_weeks * 7,
        )
        out.append(Learner(traits, cal, bool(roles.random() < FOLLOW_SHARE)))
    return out


def generate(learner: Learner, start: date, weeks: int, world: str, *, follow: bool) -> LearnerData:
    """The learner's rows; with ``follow``, a follower starts sessions at the accepted slots."""
    traits, rng = _traits(learner.traits.seed, learner.traits.index, weeks, world)
    hook = day_hours(
        learner.calendar,
        follow=learner.accepted if follow and learner.follower else None,
        seed=traits.seed * 100_003 + traits.index,
    )
    return generate_learner(traits, rng, start, weeks, day_hours=hook)


def copy_learners(db: Database, datas: list[LearnerData]) -> None:
    """COPY the generated rows in foreign-key order, one transaction."""
    pooled = db.engine.raw_connection()
    conn: Any = pooled.driver_connection
    try:
        with conn.transaction(), conn.cursor() as cur:
            for name in TABLE_ORDER:
                text = "".join(copy_text(d.tables[name]) for d in datas)
                if text:
                    with cur.copy(copy_statement(name, datas[0].tables[name].column_names)) as c:
                        c.write(text)
        # Fresh statistics, as autovacuum would soon have them: plans assume real sizes.
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        pooled.close()


# --- checks against the truth --------------------------------------------------------------


def _busy(cal: SimCalendar) -> list[tuple[datetime, datetime]]:
    return [(b, e) for b, e, w in busy_truth(cal) if w >= 1.0]


def _overlaps(start: datetime, end: datetime, busy: list[tuple[datetime, datetime]]) -> bool:
    return any(b < end and start < e for b, e in busy)


def _circular_minutes(a: float, b: float) -> float:
    d = abs(a - b) % 1440
    return min(d, 1440 - d)


def _next_best_distance(
    cal: SimCalendar, day: date, minutes: int, busy: list[tuple[datetime, datetime]]
) -> float | None:
    """The truth's next-best free time on ``day``: the smallest distance (minutes) between the
    peak and a start whose session and buffer are free — the chronotype's quality falls with
    that distance on either side, so every start this close is equally good."""
    assert cal.peak_hour is not None
    zone = ZoneInfo(cal.timezone)
    best: float | None = None
    for m in range(6 * 60, 23 * 60 - minutes + 1, SLOT_STEP_MINUTES):
        s = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(minutes=m)
        if _overlaps(s, s + timedelta(minutes=minutes + BUFFER_MINUTES), busy):
            continue
        d = _circular_minutes(m, cal.peak_hour * 60)
        best = d if best is None else min(best, d)
    return best


@dataclass
class Checks:
    """Counters of the quality checks."""

    slots: int = 0
    slot_overlaps: int = 0
    plans: int = 0
    plan_overlaps: int = 0
    peak_free: int = 0
    peak_hits: int = 0
    blocked: int = 0
    blocked_avoided: int = 0
    blocked_next_best: int = 0
    distances: list[float] = field(default_factory=list)
    blocked_gaps: list[float | None] = field(default_factory=list)

    def count_slots(self, answer: slots.SlotsAnswer, busy: list[tuple[datetime, datetime]]) -> None:
        for s in answer.slots:
            self.slots += 1
            self.slot_overlaps += _overlaps(
                s.start, s.end + timedelta(minutes=BUFFER_MINUTES), busy
            )

    def count_plan(self, plan: plans.PlanView, busy: list[tuple[datetime, datetime]]) -> None:
        self.plans += 1
        self.plan_overlaps += _overlaps(plan.planned_start, plan.planned_end, busy)


def first_recommendation(
    db: Database, learner: Learner, now: datetime, checks: Checks, world: str
) -> None:
    """Slots and a plan at the end of the history, checked against the truth."""
    busy = _busy(learner.calendar)
    with db.session() as session:
        answer = slots.recommend(session, learner.user_id, now, days=7)
    checks.count_slots(answer, busy)
    if answer.slots:
        with db.session() as session:
            plan = plans.create_plan(session, learner.user_id, answer.slots[0].start, now)
        checks.count_plan(plan, busy)
        with db.session() as session:
            plans.cancel_plan(session, learner.user_id, plan.id, now)
    cal = learner.calendar
    if world != "matters" or cal.peak_hour is None or not answer.slots:
        return
    zone = ZoneInfo(cal.timezone)
    if cal.scenario == "peak_free":
        top = answer.slots[0].start.astimezone(zone)
        distance = _circular_minutes(top.hour * 60 + top.minute, cal.peak_hour * 60)
        checks.peak_free += 1
        checks.distances.append(distance)
        checks.peak_hits += distance <= PEAK_TOLERANCE_MINUTES
        return
    weekday = [s for s in answer.slots if s.start.astimezone(zone).weekday() < 5]
    if not weekday:
        return
    best = min(weekday, key=lambda s: s.rank)
    local = best.start.astimezone(zone)
    checks.blocked += 1
    block_lo = cal.peak_hour * 60 - 60
    block_hi = cal.peak_hour * 60 + 120
    m = local.hour * 60 + local.minute
    checks.blocked_avoided += not (block_lo - best.duration_minutes - BUFFER_MINUTES < m < block_hi)
    target = _next_best_distance(cal, local.date(), best.duration_minutes, busy)
    distance = _circular_minutes(m, cal.peak_hour * 60)
    checks.blocked_gaps.append(None if target is None else distance - target)
    if target is not None and distance - target <= PEAK_TOLERANCE_MINUTES:
        checks.blocked_next_best += 1


def follow_weeks(
    db: Database, learner: Learner, start: date, history_weeks: int, weeks: int, checks: Checks
) -> None:
    """A follower accepts every slot the engine recommends, week by week."""
    busy = _busy(learner.calendar)
    zone = ZoneInfo(learner.traits.timezone)
    first = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    for k in range(weeks):
        now = (first + timedelta(days=7 * (history_weeks + k))).astimezone(UTC)
        with db.session() as session:
            answer = slots.recommend(session, learner.user_id, now, days=7)
        checks.count_slots(answer, busy)
        for slot in answer.slots:
            try:
                with db.session() as session:
                    outcome = slots.accept(session, learner.user_id, slot.id, now)
            except Exception:  # a slot an earlier plan took (counted as not followed)
                continue
            checks.count_plan(outcome.plan, busy)
            local = slot.start.astimezone(zone)
            day = (local.date() - start).days
            learner.accepted.setdefault(day, local.hour + local.minute / 60)
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT * FROM study_schedule_recommendations WHERE "userId" = :u '
                'AND "appliedAt" IS NOT NULL'
            ),
            {"u": learner.user_id},
        )
        learner.accepted_rows = [dict(r._mapping) for r in rows]


# --- effectiveness ---------------------------------------------------------------------------


def _detected(x: OutcomeDifference | InsufficientData) -> bool | None:
    return None if isinstance(x, InsufficientData) else x.detected


def measure_effectiveness(
    db: Database, learners: list[Learner], now: datetime, days: int
) -> dict[str, Any]:
    """Per learner: the service's followed-vs-other performance difference over the follow weeks."""
    diffs, detected, insufficient, adherence = [], 0, 0, []
    for learner in learners:
        if not learner.follower:
            continue
        with db.session() as session:
            view = effectiveness.effectiveness(session, learner.user_id, now, days)
        if view.adherence.start_rate is not None:
            adherence.append(view.adherence.start_rate)
        flag = _detected(view.performance)
        if flag is None:
            insufficient += 1
            continue
        assert isinstance(view.performance, OutcomeDifference)
        diffs.append(view.performance.difference)
        detected += flag
    measured = len(diffs)
    cohort: dict[str, Any] = {"learners": measured}
    if measured >= 2:
        mean = float(np.mean(diffs))
        se = float(np.std(diffs, ddof=1) / np.sqrt(measured))
        t = float(stats.t.ppf(0.975, measured - 1))
        cohort |= {"meanDifference": mean, "ciLow": mean - t * se, "ciHigh": mean + t * se}
        cohort["detected"] = cohort["ciLow"] > 0 or cohort["ciHigh"] < 0
    return {
        "followers": sum(1 for x in learners if x.follower),
        "measured": measured,
        "insufficientData": insufficient,
        "detectedShare": detected / measured if measured else None,
        "detected": detected,
        "meanAdherence": float(np.mean(adherence)) if adherence else None,
        "cohort": cohort,
    }


# --- speed over HTTP -------------------------------------------------------------------------


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(1000 * s for s in seconds)
    return {
        "n": len(ms),
        "p50Ms": statistics.median(ms),
        "p95Ms": float(np.percentile(ms, 95)),
        "maxMs": ms[-1],
    }


def _feed(now: datetime) -> bytes:
    """A 2,000-event feed with recurrences (the calendar tests' generator) around ``now``."""
    from tests.ingest.calendars.synth import calendar_text, random_specs

    first = (now - timedelta(days=300)).date()
    return calendar_text(
        random_specs(np.random.default_rng(2000), FEED_EVENTS, first, 360)
    ).encode()


class StatementCounter:
    """Counts the SQL statements the engine sends (each one a round trip to the database)."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.count = 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def take(self) -> int:
        """Statements since the last call."""
        n, self.count = self.count, 0
        return n


def _in_process(db: Database, user_id: str, requests: int, starts: list[str]) -> dict[str, Any]:
    """The same two calls through the services in this process (no HTTP): the server's share,
    and the SQL statements each call sends (BEGIN and COMMIT not counted)."""
    slot_times, plan_times = [], []
    counts: dict[str, list[int]] = {"slots7Days": [], "sessionPlan": [], "cancelPlan": []}
    with StatementCounter(db) as counter:
        for i in range(requests):
            counter.take()
            began = time.perf_counter()
            with db.session() as session:
                slots.recommend(session, user_id, datetime.now(UTC), days=7)
            slot_times.append(time.perf_counter() - began)
            counts["slots7Days"].append(counter.take())
            began = time.perf_counter()
            with db.session() as session:
                plan = plans.create_plan(
                    session,
                    user_id,
                    datetime.fromisoformat(starts[i % len(starts)]),
                    datetime.now(UTC),
                )
            plan_times.append(time.perf_counter() - began)
            counts["sessionPlan"].append(counter.take())
            with db.session() as session:
                plans.cancel_plan(session, user_id, plan.id, datetime.now(UTC))
            counts["cancelPlan"].append(counter.take())
    return {
        "slots7Days": _percentiles(slot_times),
        "sessionPlan": _percentiles(plan_times),
        # the median call's: a slot request that stores new slots sends one more
        "statements": {k: sorted(v)[len(v) // 2] for k, v in counts.items()},
    }


def measure_speed(db: Database, user_id: str, requests: int, port: int) -> dict[str, Any]:
    """Upload (parse + store) of a 2,000-event feed, slots and plans, through a real server."""
    env = {**os.environ, "TWIN_DATABASE_URL": db.url, "TWIN_LOG_LEVEL": "WARNING"}
    log = open(os.devnull, "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "twin.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        with db.session() as session:
            _row, key = auth.create_api_key(session, f"bench-{time.time_ns()}")
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for _ in range(200):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            body = _feed(datetime.now(UTC))
            upload = []
            for _ in range(UPLOAD_RUNS):
                began = time.perf_counter()
                r = client.post(
                    f"/v1/users/{user_id}/calendar:upload",
                    content=body,
                    headers={"Content-Type": "text/calendar"},
                )
                upload.append(time.perf_counter() - began)
                r.raise_for_status()
            blocks = r.json()["blocks"]
            events = r.json()["status"]["eventCount"]
            slot_times, starts = [], []
            for _ in range(requests):
                began = time.perf_counter()
                r = client.get(f"/v1/users/{user_id}/schedule/slots", params={"days": 7})
                slot_times.append(time.perf_counter() - began)
                r.raise_for_status()
                starts = [s["start"] for s in r.json()["slots"]]
            plan_times = []
            for i in range(requests):
                began = time.perf_counter()
                r = client.post(
                    f"/v1/users/{user_id}/session-plans",
                    json={"startTime": starts[i % len(starts)]},
                )
                plan_times.append(time.perf_counter() - began)
                r.raise_for_status()
                client.delete(f"/v1/users/{user_id}/session-plans/{r.json()['id']}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    in_process = _in_process(db, user_id, requests, starts)
    return {
        "inProcess": in_process,
        "feedEvents": events,
        "busyBlocks": blocks,
        "uploadSeconds": {"runs": upload, "min": min(upload), "median": statistics.median(upload)},
        "slots7Days": _percentiles(slot_times),
        "sessionPlan": _percentiles(plan_times),
        "loadAverage": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """Sizes of a run (the defaults are the issue's; the smoke test uses tiny ones)."""

    learners: int = 200
    history_weeks: int = 8
    follow_weeks: int = 4
    seed: int = 16
    requests: int = 200
    port: int = DEFAULT_PORT
    database_url: str | None = None


def run_world(
    db: Database, world: str, options: Options, start: date, context: CalendarContext
) -> dict[str, Any]:
    """Steps 1–4 for one world."""
    seed = options.seed + WORLDS.index(world)
    weeks = options.history_weeks + options.follow_weeks
    learners = cohort(
        seed, options.learners, start, options.history_weeks, options.follow_weeks, world
    )
    began = time.perf_counter()
    copy_learners(db, [generate(x, start, weeks, world, follow=False) for x in learners])
    generated = time.perf_counter() - began
    checks = Checks()
    for learner in learners:
        zone = ZoneInfo(learner.traits.timezone)
        now = datetime.combine(start, datetime.min.time(), tzinfo=zone) + timedelta(
            days=7 * options.history_weeks
        )
        calendars.upload_calendar(db, learner.user_id, calendar_ics(learner.calendar), now, context)
        first_recommendation(db, learner, now.astimezone(UTC), checks, world)
        if learner.follower:
            follow_weeks(db, learner, start, options.history_weeks, options.follow_weeks, checks)
    recommended = time.perf_counter() - began - generated
    delete_seed(db, seed)
    copy_learners(db, [generate(x, start, weeks, world, follow=True) for x in learners])
    with db.engine.begin() as conn:
        for learner in learners:
            for row in learner.accepted_rows:
                conn.execute(
                    sa.text(
                        'INSERT INTO study_schedule_recommendations (id, "userId", "recommendedSchedule", '
                        'reasoning, "createdAt", "appliedAt") VALUES (:id, :userId, '
                        "CAST(:recommendedSchedule AS jsonb), :reasoning, :createdAt, :appliedAt)"
                    ),
                    {**row, "recommendedSchedule": json.dumps(row["recommendedSchedule"])},
                )
    end = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(days=7 * weeks)
    effect = measure_effectiveness(db, learners, end, 7 * options.follow_weeks)
    return {
        "seed": seed,
        "learners": len(learners),
        "withPeak": sum(1 for x in learners if x.calendar.peak_hour is not None),
        "followers": sum(1 for x in learners if x.follower),
        "checks": {
            "slots": checks.slots,
            "slotOverlaps": checks.slot_overlaps,
            "plans": checks.plans,
            "planOverlaps": checks.plan_overlaps,
            "peakFree": checks.peak_free,
            "peakHits": checks.peak_hits,
            "peakShare": checks.peak_hits / checks.peak_free if checks.peak_free else None,
            "peakMedianDistanceMinutes": statistics.median(checks.distances)
            if checks.distances
            else None,
            "peakBlocked": checks.blocked,
            "blockedAvoided": checks.blocked_avoided,
            "blockedNextBest": checks.blocked_next_best,
            "blockedNextBestShare": checks.blocked_next_best / checks.blocked
            if checks.blocked
            else None,
        },
        "effectiveness": effect,
        "seconds": {"generateAndLoad": generated, "recommendAndFollow": recommended},
        "speedLearner": next((x.user_id for x in learners if x.follower), learners[0].user_id),
    }


def run(options: Options) -> dict[str, Any]:
    """Both worlds, then the speed measurements; the result as JSON-ready data."""
    weeks = options.history_weeks + options.follow_weeks
    today = datetime.now(UTC).date()
    start = today - timedelta(days=7 * weeks)
    context = CalendarContext()
    with scratch_database(options.database_url, prefix="twin-bench-orch-") as (db, where):
        worlds = {}
        for world in WORLDS:
            console.print(f"[bold]{world}[/]: {options.learners} learners × {weeks} weeks …")
            worlds[world] = run_world(db, world, options, start, context)
        console.print("[bold]speed[/] over HTTP …")
        speed = measure_speed(db, worlds["matters"]["speedLearner"], options.requests, options.port)
        return {
            "benchmark": RESULT_NAME,
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "parameters": {
                "learnersPerWorld": options.learners,
                "historyWeeks": options.history_weeks,
                "followWeeks": options.follow_weeks,
                "seed": options.seed,
                "start": start.isoformat(),
                "followShare": FOLLOW_SHARE,
                "requests": options.requests,
            },
            "worlds": worlds,
            "speed": speed,
        }


def run_speed_only(options: Options) -> dict[str, Any]:
    """Step 5 alone: one simulated learner (history only), then the speed measurements."""
    weeks = options.history_weeks + options.follow_weeks
    start = datetime.now(UTC).date() - timedelta(days=7 * weeks)
    with scratch_database(options.database_url, prefix="twin-bench-orch-") as (db, where):
        learner = cohort(options.seed, 1, start, options.history_weeks, 0, "matters")[0]
        copy_learners(db, [generate(learner, start, weeks, "matters", follow=False)])
        console.print("[bold]speed[/] over HTTP …")
        speed = measure_speed(db, learner.user_id, options.requests, options.port)
        return {
            "benchmark": RESULT_NAME + "_speed",
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "parameters": {
                "historyWeeks": weeks,
                "seed": options.seed,
                "requests": options.requests,
            },
            "speed": speed,
        }


def _speed_rows(row: Any, s: dict[str, Any]) -> None:
    row(
        "upload + store a 2,000-event feed (HTTP)",
        f"≤ {TARGET_PARSE_SECONDS:g} s",
        f"min {s['uploadSeconds']['min']:.2f} s, median {s['uploadSeconds']['median']:.2f} s",
        s["uploadSeconds"]["min"] <= TARGET_PARSE_SECONDS,
    )
    row(
        "GET slots, 7 days, 2,000-event calendar",
        f"p95 ≤ {TARGET_P95_MS:g} ms",
        f"p50 {s['slots7Days']['p50Ms']:.1f}, p95 {s['slots7Days']['p95Ms']:.1f} ms",
        s["slots7Days"]["p95Ms"] <= TARGET_P95_MS,
    )
    row(
        "POST session-plans",
        f"p95 ≤ {TARGET_P95_MS:g} ms",
        f"p50 {s['sessionPlan']['p50Ms']:.1f}, p95 {s['sessionPlan']['p95Ms']:.1f} ms",
        s["sessionPlan"]["p95Ms"] <= TARGET_P95_MS,
    )
    ip = s["inProcess"]
    row(
        "  … the same, services in process (no HTTP)",
        "",
        f"slots p95 {ip['slots7Days']['p95Ms']:.1f} ms, plan p95 {ip['sessionPlan']['p95Ms']:.1f} ms",
        None,
    )
    n = ip.get("statements")
    if n:
        row(
            "  … SQL statements per call (median)",
            "",
            f"slots {n['slots7Days']}, plan {n['sessionPlan']}, cancel {n['cancelPlan']}",
            None,
        )


def speed_table(result: dict[str, Any]) -> Table:
    """The speed targets alone (``--speed-only``)."""
    table = Table("measure", "target", "figure", "ok", title="Study timing: speed (issue 16)")

    def row(name: str, target: str, figure: str, ok: bool | None) -> None:
        table.add_row(name, target, figure, "—" if ok is None else ("✓" if ok else "✗"))

    s = result["speed"]
    _speed_rows(row, s)
    table.caption = f"load average {s['loadAverage']:.1f} on {s['cpus']} CPUs during the speed runs"
    return table


def report_table(result: dict[str, Any]) -> Table:
    """Every target with its figure."""
    table = Table(
        "measure", "target", "figure", "ok", title="Study timing and calendars (issue 16)"
    )

    def row(name: str, target: str, figure: str, ok: bool | None) -> None:
        table.add_row(name, target, figure, "—" if ok is None else ("✓" if ok else "✗"))

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{100 * x:.1f}%"

    m, f = result["worlds"]["matters"], result["worlds"]["flat"]
    overlaps = sum(w["checks"]["slotOverlaps"] + w["checks"]["planOverlaps"] for w in (m, f))
    slots_n = sum(w["checks"]["slots"] for w in (m, f))
    plans_n = sum(w["checks"]["plans"] for w in (m, f))
    row(
        "slots and plans overlapping busy time",
        "0",
        f"{overlaps} of {slots_n} slots + {plans_n} plans",
        overlaps == 0,
    )
    c = m["checks"]
    row(
        "top slot within ±1 h of a free peak",
        f"≥ {TARGET_PEAK_SHARE:.0%}",
        f"{pct(c['peakShare'])} ({c['peakHits']}/{c['peakFree']})",
        None if c["peakShare"] is None else c["peakShare"] >= TARGET_PEAK_SHARE,
    )
    row(
        "peak blocked: weekday slots avoid the block",
        "all",
        f"{c['blockedAvoided']}/{c['peakBlocked']}",
        c["blockedAvoided"] == c["peakBlocked"],
    )
    row(
        "peak blocked: next-best free time (±1 h)",
        f"≥ {TARGET_PEAK_SHARE:.0%}",
        f"{pct(c['blockedNextBestShare'])} ({c['blockedNextBest']}/{c['peakBlocked']})",
        None
        if c["blockedNextBestShare"] is None
        else c["blockedNextBestShare"] >= TARGET_PEAK_SHARE,
    )
    e = m["effectiveness"]
    coh = e["cohort"]
    row(
        "peak matters: followed vs other detected",
        "interval excludes 0",
        f"cohort {coh.get('meanDifference', float('nan')):+.1f} [{coh.get('ciLow', float('nan')):+.1f}, {coh.get('ciHigh', float('nan')):+.1f}]; per learner {pct(e['detectedShare'])} ({e['detected']}/{e['measured']})",
        coh.get("detected"),
    )
    e = f["effectiveness"]
    row(
        "peak flat: false detections per learner",
        f"≤ {TARGET_FALSE_DETECTION:.0%}",
        f"{pct(e['detectedShare'])} ({e['detected']}/{e['measured']})",
        None if e["detectedShare"] is None else e["detectedShare"] <= TARGET_FALSE_DETECTION,
    )
    s = result["speed"]
    _speed_rows(row, s)
    table.caption = (
        f"{result['parameters']['learnersPerWorld']} learners per world × "
        f"{result['parameters']['historyWeeks']}+{result['parameters']['followWeeks']} weeks; load "
        f"average {s['loadAverage']:.1f} on {s['cpus']} CPUs during the speed runs"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=Options.learners)
    parser.add_argument("--history-weeks", type=int, default=Options.history_weeks)
    parser.add_argument("--follow-weeks", type=int, default=Options.follow_weeks)
    parser.add_argument("--seed", type=int, default=Options.seed)
    parser.add_argument("--requests", type=int, default=Options.requests)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="only step 5 (HTTP speed) on one learner; writes orchestration_quality_speed.json",
    )
    a = parser.parse_args()
    options = Options(
        a.learners, a.history_weeks, a.follow_weeks, a.seed, a.requests, a.port, a.database_url
    )
    if a.speed_only:
        result = run_speed_only(options)
        console.print(speed_table(result))
        console.print(f"wrote {write_result(RESULT_NAME + '_speed', result)}")
        return
    result = run(options)
    console.print(report_table(result))
    console.print(f"wrote {write_result(RESULT_NAME, result)}")


if __name__ == "__main__":
    main()
