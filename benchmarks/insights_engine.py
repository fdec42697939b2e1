"""The insights targets measured through the engine (database, services, the daily job).

Used by :mod:`benchmarks.insights_quality`. Every cohort comes from
:mod:`twin.simulate.insights` (the main generator with a known insights truth), is loaded
into the database and goes through the same code paths as production:

- **applied**: a recommendation is created through the recommendations service (a
  benchmark provider plugs in through the provider seam and recommends a better study
  time), applied through the service on day 28 (its 2-week baseline stored), and the daily
  job (:func:`twin.jobs.insights.run_daily_tick`) measures it 14 days later; the verdict is
  read from ``applied_recommendations``. Truth: following it truly helps (quality ×
  (1 + gain) from that day) or does nothing.
- **goals**: goals of every metric are set through the goals service on day 14; the daily
  job runs every day for 3 weeks, then every one of those days again. Every value in every
  ``progressHistory`` is compared with an independent recomputation from the raw rows (plain
  SQL and Python, not the engine's loaders), and every milestone notification is counted.
- **correlation**: learners with a weekly state that drives both their behaviour and (linked)
  or not (unlinked) their exam results; the daily job stores the weekly scores and
  :func:`twin.services.insights.score.correlation` answers.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import local_midnight_utc
from twin.analysis.insights.correlation import AcademicCorrelation
from twin.analysis.insights.goals import GoalRequest
from twin.analysis.insights.recommendations import InsightSignal, RecommendationSources
from twin.db.engine import Database
from twin.enums import ApplicationType, InsightType
from twin.jobs.insights import run_daily_tick
from twin.learners import Learner, analysis_learner
from twin.services.insights import goals as goals_service
from twin.services.insights import recommendations as rec_service
from twin.services.insights import score as score_service
from twin.simulate.generate import DEFAULT_START
from twin.simulate.insights import (
    SimulatedLearner,
    applied_learner,
    linked_learner,
    load_learners,
)

# The applied cohort studies 10 weeks; it applies on day 28 and is measured on day 43. The
# main generator places its 0–2 overload/burnout episodes per learner anywhere from day 14
# to 8 days before the end of the generated span, so the span sets how often episodes
# happen: 10 weeks is the span of the burnout benchmark (``benchmarks.cognitive_quality``)
# the episode rate was made for. Over 6 weeks every episode falls in the three weeks around
# applying — the rate of one every ~4 weeks per learner; that cohort is kept as a stress
# scenario (APPLIED_WEEKS_PACKED), measured in ``insights_quality``, not hidden.
APPLIED_WEEKS = 10
APPLIED_WEEKS_PACKED = 6
APPLIED_DAY = 28
APPLIED_GAIN = 0.5  # session quality and recall × 1.5 for the helped (score change measured)
GOAL_WEEKS = 6
GOAL_SET_DAY = 14
GOAL_DAYS = 21
GOAL_DEADLINE_DAYS = 25
CORRELATION_WEEKS = 16
LINK_RHO = 0.9
LINK_AMPLITUDE = 0.5
TICK_HOUR = 12  # the job's tick: noon UTC of the day (every learner is run)
LOAD_CHUNK = 20


class TruthProvider:
    """A benchmark's candidate provider: recommends a better study time to every learner."""

    name = "benchmark-truth"

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """One high-confidence study-time insight."""
        return RecommendationSources(
            insights=(
                InsightSignal(
                    insight_id=f"sim-{learner.user_id}",
                    insight_type=InsightType.STUDY_TIME_OPTIMIZATION,
                    title="Study at your best hour",
                    description="Your sessions at your best hour score higher.",
                    actionable_text="Move your sessions to your best hour.",
                    confidence=0.9,
                ),
            )
        )


def _load(db: Database, learners: list[SimulatedLearner]) -> None:
    for i in range(0, len(learners), LOAD_CHUNK):
        load_learners(db, learners[i : i + LOAD_CHUNK])


def local_day(learner: SimulatedLearner, start: date, day: int) -> datetime:
    """Local midnight of ``start + day`` in the learner's zone, as aware UTC."""
    zone = ZoneInfo(learner.data.traits.timezone)
    return local_midnight_utc(start + timedelta(days=day), zone).replace(tzinfo=UTC)


def _tick(start: date, day: int) -> datetime:
    return datetime.combine(start + timedelta(days=day), datetime.min.time(), UTC) + timedelta(
        hours=TICK_HOUR
    )


# --- applied recommendations -----------------------------------------------------------------


def engine_applied(
    db: Database,
    learners: int,
    seed: int,
    *,
    helped_share: float = 0.5,
    threads: int = 2,
    weeks: int = APPLIED_WEEKS,
) -> dict[str, Any]:
    """IMPROVED / NEUTRAL / DECLINED shares among the truly helped and the others."""
    start = DEFAULT_START
    rng = np.random.default_rng(seed)
    cohort = [
        applied_learner(
            seed,
            i,
            start,
            weeks,
            applied_day=APPLIED_DAY,
            helped=bool(rng.random() < helped_share),
            gain=APPLIED_GAIN,
        )
        for i in range(learners)
    ]
    _load(db, cohort)
    for sim in cohort:
        at = local_day(sim, start, APPLIED_DAY)
        with db.session() as session:
            learner = analysis_learner(session, sim.user_id)
            made = rec_service.generate(session, learner, at, providers=[TruthProvider()])
            rec_service.apply_recommendation(
                session, sim.user_id, made.created[0], ApplicationType.MANUAL, at
            )
    report = run_daily_tick(
        db,
        _tick(start, APPLIED_DAY + 15),
        threads=threads,
        learners=[s.user_id for s in cohort],
    )
    verdicts = _verdicts(db, [s.user_id for s in cohort])
    counts: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    changes: dict[bool, list[float]] = {True: [], False: []}
    half_widths: list[float] = []
    for sim in cohort:
        verdict, change = verdicts.get(sim.user_id, (None, None))
        counts[sim.truth["helped"]][verdict or "insufficient"] += 1
        if change is not None:
            changes[sim.truth["helped"]].append(change)
        width = _half_widths(db, sim.user_id) if not sim.truth["helped"] else None
        if width is not None:
            half_widths.append(width)

    def shares(c: Counter[str], deltas: list[float]) -> dict[str, Any]:
        n = sum(c.values())
        out: dict[str, Any] = {"learners": n}
        for k in ("IMPROVED", "NEUTRAL", "DECLINED", "insufficient"):
            out[k] = c[k] / n if n else None
        out["meanScoreChange"] = float(np.mean(deltas)) if deltas else None
        return out

    # Calibration: where following does nothing, the spread of the measured change across
    # learners is what the interval's standard error claims to be (SE ≈ half-width / 1.96;
    # the interval uses t with ~30 df, so this overstates the SE by ~4%).
    null_sd = float(np.std(changes[False], ddof=1)) if len(changes[False]) > 1 else None
    claimed = float(np.sqrt(np.mean(np.square(half_widths)))) / 1.96 if half_widths else None
    return {
        "helped": shares(counts[True], changes[True]),
        "notHelped": shares(counts[False], changes[False]),
        "calibration": {
            "notHelpedChangeSd": null_sd,
            "notHelpedRmsStandardError": claimed,
            "ratio": None if null_sd is None or not claimed else null_sd / claimed,
        },
        "jobSeconds": round(report.seconds, 2),
        "scenario": {
            "weeks": weeks,
            "appliedDay": APPLIED_DAY,
            "qualityGain": APPLIED_GAIN,
            "metric": "sessionScore (5.1), 14 days before vs 14 days after applying",
        },
    }


def _verdicts(db: Database, users: list[str]) -> dict[str, tuple[str | None, float | None]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT "userId", "currentMetrics"->>\'verdict\', ("currentMetrics"->>\'change\')::float8 '
                'FROM applied_recommendations WHERE "userId" = ANY(:u) AND "evaluatedAt" IS NOT NULL'
            ),
            {"u": users},
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _half_widths(db: Database, user: str) -> float | None:
    with db.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT (\"currentMetrics\"->'ci95'->>1)::float8 - (\"currentMetrics\"->'ci95'->>0)::float8 "
                'FROM applied_recommendations WHERE "userId" = :u AND "evaluatedAt" IS NOT NULL '
                "AND \"currentMetrics\"->'ci95' IS NOT NULL"
            ),
            {"u": user},
        ).first()
    return None if row is None or row[0] is None else float(row[0]) / 2


# --- goals -------------------------------------------------------------------------------------


def _goal_requests(sim: SimulatedLearner, deadline: datetime) -> list[GoalRequest]:
    habit = int(sim.data.traits.habit_hour_local)
    return [
        GoalRequest("CUSTOM", "sessionsPerWeek", 12.0, deadline, "Twelve sessions a week"),
        GoalRequest("CUSTOM", "studyMinutesPerWeek", 600.0, deadline, "Ten hours a week"),
        GoalRequest(
            "CUSTOM",
            f"sessionsInWindowPerWeek(start={(habit - 1) % 24},end={(habit + 2) % 24 or 24})",
            8.0,
            deadline,
            "Sessions in my best hours",
        ),
        GoalRequest(
            "CUSTOM", "shareNearOptimalDuration(minutes=45)", 0.6, deadline, "45-minute sessions"
        ),
        GoalRequest("CUSTOM", "contentBalance", 0.95, deadline, "Balanced formats"),
    ]


_RAW_SESSIONS_SQL = sa.text(
    """
    SELECT s."startedAt", s."durationMs", s."completedAt",
           (SELECT e."eventData"->'contentMinutes' FROM behavioral_events e
             WHERE e."userId" = s."userId" AND e."eventType" = 'SESSION_ENDED'
               AND e."eventData"->>'sessionId' = s.id
             ORDER BY e."timestamp" DESC LIMIT 1) AS content
    FROM study_sessions s WHERE s."userId" = :u AND s."completedAt" IS NOT NULL
    """
)
CONTENT = ("lecture", "flashcard", "validation", "clinical_reasoning")


def recompute(raw: list[Any], zone: ZoneInfo, metric: str, as_of: datetime) -> float | None:
    """An independent recomputation of a goal metric from raw session rows (not the engine's code)."""
    naive = as_of.astimezone(UTC).replace(tzinfo=None)

    def within(days: int) -> list[Any]:
        return [r for r in raw if naive - timedelta(days=days) <= r[0] < naive]

    def minutes(r: Any) -> float:
        if r[1] is not None:
            return r[1] / 60000.0
        return (r[2] - r[0]).total_seconds() / 60.0

    if metric == "sessionsPerWeek":
        return float(len(within(7)))
    if metric == "studyMinutesPerWeek":
        return round(sum(minutes(r) for r in within(7)), 6)
    if metric.startswith("sessionsInWindowPerWeek"):
        inner = metric[metric.index("(") + 1 : -1]
        a, b = (int(part.split("=")[1]) for part in inner.split(","))
        hours = [r[0].replace(tzinfo=UTC).astimezone(zone).hour for r in within(7)]
        return float(sum((h - a) % 24 < (b - a) % 24 for h in hours))
    if metric.startswith("shareNearOptimalDuration"):
        target = int(metric[metric.index("=") + 1 : -1])
        recent = within(14)
        if not recent:
            return None
        return round(sum(abs(minutes(r) - target) <= 0.1 * target for r in recent) / len(recent), 6)
    if metric == "contentBalance":
        totals = dict.fromkeys(CONTENT, 0.0)
        for r in within(14):
            if isinstance(r[3], dict):
                for k in CONTENT:
                    v = r[3].get(k)
                    if isinstance(v, int | float) and math.isfinite(v) and v > 0:
                        totals[k] += v
        total = sum(totals.values())
        if total <= 0:
            return None
        shares = [v / total for v in totals.values()]
        return round(1.0 - (max(shares) - sum(shares) / len(shares)), 6)
    raise ValueError(metric)


def engine_goals(db: Database, learners: int, seed: int, *, threads: int = 2) -> dict[str, Any]:
    """Goal progress from the job vs an independent recomputation; milestones once across re-runs."""
    start = DEFAULT_START
    cohort = [
        applied_learner(seed, i, start, GOAL_WEEKS, applied_day=10_000, helped=False, gain=0.0)
        for i in range(learners)
    ]
    _load(db, cohort)
    goal_ids: dict[str, tuple[str, str]] = {}
    for sim in cohort:
        at = local_day(sim, start, GOAL_SET_DAY) + timedelta(hours=TICK_HOUR)
        for req in _goal_requests(sim, at + timedelta(days=GOAL_DEADLINE_DAYS)):
            with db.session() as session:
                view = goals_service.create_goal(session, sim.user_id, req, at)
            goal_ids[view.id] = (sim.user_id, view.target_metric)
    users = [s.user_id for s in cohort]
    seconds = []
    for rerun in (False, True):
        for d in range(GOAL_SET_DAY + 1, GOAL_SET_DAY + 1 + GOAL_DAYS):
            seconds.append(
                run_daily_tick(db, _tick(start, d), threads=threads, learners=users).seconds
            )
        if not rerun:
            first_notes = _milestone_counts(db, users)
    notes = _milestone_counts(db, users)
    zones = {s.user_id: ZoneInfo(s.data.traits.timezone) for s in cohort}
    checked = mismatched = no_data = 0
    examples = []
    with db.engine.connect() as conn:
        raw = {u: conn.execute(_RAW_SESSIONS_SQL, {"u": u}).all() for u in users}
        histories = conn.execute(
            sa.text(
                'SELECT id, "progressHistory", status::text FROM behavioral_goals WHERE "userId" = ANY(:u)'
            ),
            {"u": users},
        ).all()
    statuses = Counter(h[2] for h in histories)
    for goal_id, history, _status in histories:
        user, metric = goal_ids[goal_id]
        for entry in history:
            at = datetime.fromisoformat(entry["date"])
            expected = recompute(raw[user], zones[user], metric, at)
            if entry["value"] is None:
                no_data += 1
                if expected is not None:
                    mismatched += 1
                continue
            checked += 1
            if expected is None or entry["value"] != expected:
                mismatched += 1
                if len(examples) < 5:
                    examples.append(
                        {
                            "goal": goal_id,
                            "metric": metric,
                            "at": entry["date"],
                            "stored": entry["value"],
                            "recomputed": expected,
                        }
                    )
    milestone_total = sum(notes.values())
    duplicates = sum(1 for n in notes.values() if n > 1)
    return {
        "learners": learners,
        "goals": len(goal_ids),
        "historyValuesChecked": checked,
        "historyEntriesWithoutData": no_data,
        "mismatches": mismatched,
        "mismatchExamples": examples,
        "exact": mismatched == 0 and checked > 0,
        "milestoneNotifications": milestone_total,
        "milestoneNotificationsAfterFirstPass": sum(first_notes.values()),
        "eventsNotifiedMoreThanOnce": duplicates,
        "exactlyOnce": duplicates == 0
        and milestone_total == sum(first_notes.values())
        and milestone_total > 0,
        "goalStatuses": dict(statuses),
        "meanTickSeconds": round(float(np.mean(seconds)), 2),
    }


def _milestone_counts(db: Database, users: list[str]) -> Counter[tuple[str, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT "notificationType"::text, "relatedEntityId", count(*) FROM insight_notifications '
                'WHERE "userId" = ANY(:u) AND "notificationType"::text IN '
                "('GOAL_PROGRESS_25', 'GOAL_PROGRESS_50', 'GOAL_PROGRESS_75', 'GOAL_ACHIEVED') "
                'OR ("userId" = ANY(:u) AND "relatedEntityType" = \'goal_expiry\') GROUP BY 1, 2'
            ),
            {"u": users},
        ).all()
    return Counter({(r[0], r[1]): int(r[2]) for r in rows})


# --- correlation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrelationOutcome:
    """One learner's correlation answer."""

    linked: bool
    answer: AcademicCorrelation | None


def engine_correlation(
    db: Database, learners: int, seed: int, *, rho: float, threads: int = 2
) -> dict[str, Any]:
    """Shares with r > 0 and the interval above 0, and with a clear link, over ``learners``."""
    start = DEFAULT_START
    cohort = [
        linked_learner(seed, i, start, CORRELATION_WEEKS, rho=rho, amplitude=LINK_AMPLITUDE)
        for i in range(learners)
    ]
    _load(db, cohort)
    end = _tick(start, CORRELATION_WEEKS * 7 + 1)
    run_daily_tick(db, end, threads=threads, learners=[s.user_id for s in cohort])
    found = clear = insufficient = 0
    rs = []
    for sim in cohort:
        with db.session() as session:
            out = score_service.correlation(session, sim.user_id, end, CORRELATION_WEEKS)
        if not isinstance(out, AcademicCorrelation):
            insufficient += 1
            continue
        rs.append(out.r)
        found += out.r > 0 and out.ci_low > 0
        clear += out.clear
    return {
        "learners": learners,
        "rho": rho,
        "amplitude": LINK_AMPLITUDE,
        "weeks": CORRELATION_WEEKS,
        "positiveAndIntervalAbove0": found / learners,
        "clearEitherSide": clear / learners,
        "insufficient": insufficient / learners,
        "medianR": float(np.median(rs)) if rs else None,
    }
