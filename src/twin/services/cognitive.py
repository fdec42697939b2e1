"""Cognitive load, burnout risk and stress patterns (ENGINE.md 5.4): database in, analyses, database out.

The analyses live in :mod:`twin.analysis.cognitive` (pure, no clock); this module
reads their inputs, calls them and writes ``cognitive_load_metrics``,
``burnout_risk_assessments``, ``stress_response_patterns``, COGNITIVE_OVERLOAD rows
of ``struggle_indicators`` and the learner's ``learner_load_profiles`` row.

**Session load** (``on_session_activity``; ingestion calls it through
``on_batch_ingested(db, user_id, kind, records)`` once a batch of sessions, reviews
or SESSION_ENDED events has been committed; the API's explicit calculation stores
through the same rule). A session is measured once it has a review or an end:

- latencies: ``reviews.timeSpentMs`` in review order; correct: ``rating ≠ AGAIN``;
- within-session performance: GOOD/EASY share of four consecutive blocks of the
  session's reviews (from 8 reviews on; fewer: not measured);
- pauses: the ``SESSION_ENDED`` event's ``pauseCount`` / ``pausedMs`` when the
  platform sent them, otherwise idle gaps longer than 2 minutes between
  consecutive reviews (``reviewedAt`` is the moment of the answer, so the idle
  time before review *i* is ``reviewedAt[i] − reviewedAt[i−1] − timeSpentMs[i]``);
- duration: ``durationMs``, else ``completedAt − startedAt``, else (a session in
  progress) the last activity − ``startedAt``;
- baseline: median of the medians of the learner's previous sessions (at most 30),
  :func:`~twin.analysis.cognitive.load.baseline_latency_ms`;
- optimal length: ``user_learning_profiles.optimalSessionDuration`` when a profile
  exists, else ``users.defaultMissionMinutes``.

A session has at most one metric row per 5 minutes of its activity: a reading whose
activity time is less than 5 minutes after the session's latest row updates that
row (score, indicators, confidence; the row keeps the time its 5-minute window
opened), a later one inserts a new row. On overload a COGNITIVE_OVERLOAD struggle
indicator is written once per session (updated by later readings of the session):
``learningObjectiveId`` is the objective most of the session's reviews belong to,
or :data:`NO_OBJECTIVE_ID` when the session has no reviewed card with an
objective; severity CRITICAL from load 80, HIGH above 70, MEDIUM above 40 (5.2's
bands on load/100), else LOW.

**Burnout** (14 local days): per local day, study minutes, the mean of the
sessions' latest loads (plus readings without a session), missions planned /
completed or in progress / skipped (a mission still PENDING on the window's last
day is not missed yet), mean session performance (the ``SESSION_ENDED`` event's
``sessionPerformanceScore``, else the GOOD/EASY share of the session's reviews),
engagement (the event's ``engagementScore``, else its ``engagementLevel`` mapped
coarsely), minutes between 23:00 and 05:00 local — over the window and the 28 days
before it (the reference period the analysis judges performance, engagement and load
against). The learner's history starts at their first session or mission. Every
element of ``contributingFactors`` carries the assessment's ``window`` (first and last
local day, covered days, unmet minimum).

**Stress** (90 days): one record per session with its latest load, local start
hour, duration, topic (the dominant objective), days to the next exam, difficulty
(mean complexity of the reviewed objectives: BASIC 0.3, INTERMEDIATE 0.6, ADVANCED
0.9, as 5.2's contentComplexity) and performance. Stored patterns are matched by
(type, trigger): kept ones are updated (``detectedAt`` stays the first detection),
new ones inserted, vanished ones deleted.

Per-learner advisory locks (``pg_advisory_xact_lock(class, hashtext(userId))``)
serialise load writes and make burnout assessments and stress refreshes happen once
when job ticks or requests overlap.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Session

from twin.analysis.cognitive.burnout import (
    REFERENCE_DAYS,
    WINDOW_DAYS,
    AssessmentSnapshot,
    BurnoutAssessment,
    DailyStudyAggregate,
    RecoveryProgress,
    assess_burnout_risk,
    mission_override_for,
    track_recovery,
)
from twin.analysis.cognitive.common import BurnoutRiskLevel as AnalysisRiskLevel
from twin.analysis.cognitive.common import Severity
from twin.analysis.cognitive.difficulty import DifficultyAdjustment, adapt_difficulty
from twin.analysis.cognitive.load import (
    BASELINE_RECENT_SESSIONS,
    OVERLOAD_LOAD_ABOVE,
    OVERLOAD_MIN_HIGH_INDICATORS,
    CognitiveLoad,
    SessionLoadInput,
    baseline_latency_ms,
    compute_cognitive_load,
    load_level,
)
from twin.analysis.cognitive.load_performance import (
    LoadPerformanceAnalysis,
    analyze_load_performance,
)
from twin.analysis.cognitive.stress import (
    HISTORY_DAYS,
    MIN_PATTERN_CONFIDENCE,
    SessionStressRecord,
    StressPattern,
    StressPatternResult,
    StressProfile,
    detect_stress_patterns,
    stress_profile,
)
from twin.analysis.cognitive.trend import (
    Granularity,
    LoadBucket,
    LoadTrend,
    aggregate_load,
    load_trend,
    recent_mean_load,
)
from twin.analysis.common import InsufficientData
from twin.db.base import new_id, utcnow
from twin.db.engine import Database
from twin.db.models import (
    BurnoutRiskAssessment,
    CognitiveLoadMetric,
    StressResponsePattern,
    StruggleIndicator,
)
from twin.db.models.cognitive import LearnerLoadProfile
from twin.enums import BurnoutRiskLevel, IndicatorType
from twin.enums import Severity as DbSeverity
from twin.errors import Forbidden, NotFound

# --- session load ------------------------------------------------------------
# Idle time between two consecutive reviews above which it counts as a pause.
PAUSE_GAP_MS = 120_000
# One metric row per session per this much of its activity (update within, insert after).
METRIC_WINDOW = timedelta(minutes=5)
# Within-session performance: GOOD/EASY share per block, this many blocks ...
PERFORMANCE_BLOCKS = 4
# ... each of at least this many reviews (fewer reviews: decline not measured).
MIN_REVIEWS_PER_BLOCK = 2
# Sessions whose medians are read for baselines besides the targets themselves (sessions
# without reviews have no median, so read a few more than the baseline uses).
BASELINE_EXTRA_SESSIONS = 10
# learningObjectiveId of an overload indicator whose session has no reviewed objective
# (the column is NOT NULL and has no foreign key).
NO_OBJECTIVE_ID = "none"
# Overload indicator severity from the load: CRITICAL from 80, then 5.2's bands on load/100.
OVERLOAD_CRITICAL_FROM_LOAD = 80.0
OVERLOAD_HIGH_ABOVE_LOAD = 70.0
OVERLOAD_MEDIUM_ABOVE_LOAD = 40.0
# Sessions recomputed per batch by the backfill.
BACKFILL_CHUNK_SESSIONS = 500

# --- burnout -------------------------------------------------------------------
# GET burnout-risk assesses again when the latest assessment is older than this.
ASSESSMENT_MAX_AGE = timedelta(hours=24)
LATE_NIGHT_START_HOUR_LOCAL = 23
LATE_NIGHT_END_HOUR_LOCAL = 5
DONE_MISSION_STATUSES = ("COMPLETED", "IN_PROGRESS")
# ``behavioral_events.engagementLevel`` as a 0–100 engagement when no engagementScore was sent.
ENGAGEMENT_LEVEL_SCORES: dict[str, float] = {"LOW": 25.0, "MEDIUM": 60.0, "HIGH": 90.0}

# --- stress, profile, load vs performance ----------------------------------------
# GET stress-patterns / stress-profile analyse again when the last analysis is older.
STRESS_MAX_AGE = timedelta(hours=24)
# Sessions (of this many days) paired with their performance for the load–performance analysis.
LOAD_PERFORMANCE_HISTORY_DAYS = 90
COMPLEXITY_DIFFICULTY: dict[str, float] = {"BASIC": 0.3, "INTERMEDIATE": 0.6, "ADVANCED": 0.9}

# --- advisory lock classes (first key of pg_advisory_xact_lock(int, int)) ---------
LOCK_LOAD = 5401
LOCK_BURNOUT = 5402
LOCK_STRESS = 5403

GOOD_RATINGS = ("GOOD", "EASY")
MS_PER_MINUTE = 60_000.0
MS_PER_SECOND = 1000.0
SESSION_ENDED = "SESSION_ENDED"

_IDS = sa.bindparam("ids", type_=pg.ARRAY(sa.Text()))
log = logging.getLogger(__name__)


# =============================================================================
# The learner
# =============================================================================


@dataclass(frozen=True)
class Learner:
    """What the cognitive services need of a learner."""

    user_id: str
    timezone: str
    analysis_enabled: bool
    optimal_session_minutes: float | None
    optimal_source: str

    @property
    def zone(self) -> ZoneInfo:
        """The learner's IANA zone."""
        return ZoneInfo(self.timezone)


def load_learner(session: Session, user_id: str) -> Learner | None:
    """The learner with their optimal session length, or None when unknown."""
    row = session.execute(
        sa.text(
            'SELECT u.timezone, u."behavioralAnalysisEnabled", u."defaultMissionMinutes", '
            'p."optimalSessionDuration" FROM users u '
            'LEFT JOIN user_learning_profiles p ON p."userId" = u.id WHERE u.id = :u'
        ),
        {"u": user_id},
    ).first()
    if row is None:
        return None
    timezone, enabled, default_minutes, profile_minutes = row
    if profile_minutes is not None and profile_minutes > 0:
        optimal, source = float(profile_minutes), "profile.optimalSessionDuration"
    elif default_minutes is not None and default_minutes > 0:
        optimal, source = float(default_minutes), "users.defaultMissionMinutes"
    else:
        optimal, source = None, "default"
    return Learner(user_id, str(timezone), bool(enabled), optimal, source)


def require_learner(session: Session, user_id: str) -> Learner:
    """The learner, or NotFound; Forbidden when behavioural analysis is switched off."""
    learner = load_learner(session, user_id)
    if learner is None:
        raise NotFound(f"no learner with id {user_id!r}; create it with PUT /v1/users/{user_id}")
    if not learner.analysis_enabled:
        raise Forbidden(
            f"behavioural analysis is switched off for learner {user_id!r} "
            "(behavioralAnalysisEnabled = false): no cognitive-load, burnout or stress "
            f"analysis runs for them; switch it on with PATCH /v1/users/{user_id}/privacy",
            details={"setting": "behavioralAnalysisEnabled", "value": False},
        )
    return learner


def lock_learner(session: Session, lock_class: int, user_id: str, *, wait: bool = True) -> bool:
    """Take the learner's transaction-scoped advisory lock of ``lock_class`` (False if busy)."""
    if wait:
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:c, hashtext(:u))"),
            {"c": lock_class, "u": user_id},
        )
        return True
    return bool(
        session.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:c, hashtext(:u))"),
            {"c": lock_class, "u": user_id},
        ).scalar_one()
    )


def _naive_utc(ts: datetime) -> datetime:
    """The storage form of a timestamp: naive UTC."""
    return ts if ts.tzinfo is None else ts.astimezone(UTC).replace(tzinfo=None)


def _aware(ts: datetime) -> datetime:
    """An aware UTC datetime from a stored (naive UTC) one."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """Naive UTC instant of local midnight starting ``day``."""
    return _naive_utc(datetime(day.year, day.month, day.day, tzinfo=zone))


def local_date(ts: datetime, zone: ZoneInfo) -> date:
    """The local calendar date of an instant (naive = UTC)."""
    return _aware(ts).astimezone(zone).date()


# =============================================================================
# Session load
# =============================================================================


@dataclass(frozen=True)
class _ReviewRow:
    reviewed_at: datetime
    time_spent_ms: int
    rating: str
    objective_id: str | None


@dataclass
class _SessionFacts:
    """One study session as read for its load."""

    session_id: str
    started_at: datetime
    completed_at: datetime | None
    duration_ms: int | None
    reviews: list[_ReviewRow] = field(default_factory=list)
    ended: dict[str, Any] | None = None
    ended_at: datetime | None = None

    @property
    def activity_at(self) -> datetime:
        """The session's latest activity (naive UTC)."""
        times = [self.started_at]
        if self.reviews:
            times.append(self.reviews[-1].reviewed_at)
        if self.completed_at is not None:
            times.append(self.completed_at)
        if self.ended_at is not None:
            times.append(self.ended_at)
        return max(times)

    @property
    def measurable(self) -> bool:
        """False for a session that has just started: no review and no end yet."""
        return bool(
            self.reviews
            or self.completed_at is not None
            or self.duration_ms is not None
            or self.ended is not None
        )

    @property
    def dominant_objective(self) -> str | None:
        """The objective most of the session's reviews belong to (ties: smallest id)."""
        counts = Counter(r.objective_id for r in self.reviews if r.objective_id is not None)
        if not counts:
            return None
        return min(counts, key=lambda o: (-counts[o], o))


@dataclass(frozen=True)
class SessionReading:
    """One computed load reading and what was written for it."""

    session_id: str | None
    timestamp: datetime
    load: CognitiveLoad
    metric_id: str | None
    inserted: bool
    overload_indicator_id: str | None
    objective_id: str | None

    def to_json(self) -> dict[str, Any]:
        """The reading with everything that explains it."""
        sub = self.load.sub_scores
        return {
            "metricId": self.metric_id,
            "stored": self.metric_id is not None,
            "sessionId": self.session_id,
            "timestamp": _iso(self.timestamp),
            "loadScore": round(self.load.load_score, 2),
            "level": self.load.level.value,
            "overloaded": self.load.overloaded,
            "subScores": {
                "latency": round(sub.latency, 2),
                "errors": round(sub.errors, 2),
                "engagement": round(sub.engagement, 2),
                "decline": round(sub.decline, 2),
                "duration": round(sub.duration, 2),
            },
            "indicators": self.load.stress_indicators_json(),
            "confidence": round(self.load.confidence, 3),
            "confidenceNotes": list(self.load.confidence_notes),
            "evidence": self.load.evidence,
            "overloadIndicatorId": self.overload_indicator_id,
        }


def _iso(ts: datetime) -> str:
    """RFC 3339 UTC with a Z (stored timestamps are naive UTC)."""
    return _aware(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def overload_severity(load_score: float) -> DbSeverity:
    """Severity of a COGNITIVE_OVERLOAD indicator from the load (0–100)."""
    if load_score >= OVERLOAD_CRITICAL_FROM_LOAD:
        return DbSeverity.CRITICAL
    if load_score > OVERLOAD_HIGH_ABOVE_LOAD:
        return DbSeverity.HIGH
    if load_score > OVERLOAD_MEDIUM_ABOVE_LOAD:
        return DbSeverity.MEDIUM
    return DbSeverity.LOW


def stored_overloaded(load_score: float, indicators: Sequence[dict[str, Any]]) -> bool:
    """Overload of a stored reading: load above 80 or at least two HIGH+ indicators."""
    severe = {Severity.HIGH.value, Severity.CRITICAL.value}
    high = sum(1 for i in indicators if isinstance(i, dict) and i.get("severity") in severe)
    return load_score > OVERLOAD_LOAD_ABOVE or high >= OVERLOAD_MIN_HIGH_INDICATORS


def _read_sessions(session: Session, user_id: str, ids: Sequence[str]) -> dict[str, _SessionFacts]:
    """The sessions (of this learner only), their reviews and SESSION_ENDED events."""
    rows = session.execute(
        sa.text(
            'SELECT id, "startedAt", "completedAt", "durationMs" FROM study_sessions '
            'WHERE "userId" = :u AND id = ANY(:ids)'
        ).bindparams(_IDS),
        {"u": user_id, "ids": list(ids)},
    ).all()
    facts = {r[0]: _SessionFacts(r[0], r[1], r[2], r[3]) for r in rows}
    if not facts:
        return facts
    found = list(facts)
    reviews = session.execute(
        sa.text(
            'SELECT r."sessionId", r."reviewedAt", r."timeSpentMs", r.rating::text, c."objectiveId" '
            'FROM reviews r JOIN cards c ON c.id = r."cardId" '
            'WHERE r."userId" = :u AND r."sessionId" = ANY(:ids) '
            'ORDER BY r."sessionId", r."reviewedAt", r.id'
        ).bindparams(_IDS),
        {"u": user_id, "ids": found},
    )
    for sid, at, spent, rating, objective in reviews:
        facts[sid].reviews.append(_ReviewRow(at, int(spent), rating, objective))
    since = min(f.started_at for f in facts.values())
    events = session.execute(
        sa.text(
            'SELECT "eventData"->>\'sessionId\', "eventData", "timestamp" FROM behavioral_events '
            'WHERE "userId" = :u AND "eventType" = \'SESSION_ENDED\' AND "timestamp" >= :since '
            'AND "eventData"->>\'sessionId\' = ANY(:ids) ORDER BY "timestamp"'
        ).bindparams(_IDS),
        {"u": user_id, "since": since, "ids": found},
    )
    for sid, data, at in events:
        if sid in facts and isinstance(data, dict):
            facts[sid].ended, facts[sid].ended_at = data, at
    return facts


def _previous_medians(
    session: Session, user_id: str, before: datetime, limit: int
) -> list[tuple[datetime, float]]:
    """(startedAt, median timeSpentMs) of the learner's sessions started before ``before``, oldest first."""
    rows = session.execute(
        sa.text(
            "WITH prev AS ("
            ' SELECT id, "startedAt" FROM study_sessions'
            ' WHERE "userId" = :u AND "startedAt" < :before'
            ' ORDER BY "startedAt" DESC LIMIT :n) '
            'SELECT p."startedAt", percentile_cont(0.5) WITHIN GROUP (ORDER BY r."timeSpentMs") '
            'FROM prev p JOIN reviews r ON r."sessionId" = p.id AND r."userId" = :u '
            'AND r."timeSpentMs" > 0 GROUP BY p.id, p."startedAt" ORDER BY p."startedAt", p.id'
        ),
        {"u": user_id, "before": before, "n": limit},
    ).all()
    return [(r[0], float(r[1])) for r in rows]


def _baseline_for(medians: Sequence[tuple[datetime, float]], started_at: datetime) -> float | None:
    """The baseline of a session: medians of sessions started before it (last 30)."""
    earlier = [m for at, m in medians if at < started_at]
    return baseline_latency_ms(earlier[-BASELINE_RECENT_SESSIONS:])


def _pauses(facts: _SessionFacts) -> tuple[int, float]:
    """(pause count, paused seconds): from SESSION_ENDED when sent, else gaps > 2 min."""
    ended = facts.ended or {}
    if isinstance(ended.get("pauseCount"), int | float):
        paused_ms = ended.get("pausedMs")
        seconds = float(paused_ms) / MS_PER_SECOND if isinstance(paused_ms, int | float) else 0.0
        return int(ended["pauseCount"]), max(0.0, seconds)
    count, idle_ms = 0, 0.0
    for previous, current in zip(facts.reviews, facts.reviews[1:], strict=False):
        gap = (current.reviewed_at - previous.reviewed_at).total_seconds() * MS_PER_SECOND
        gap -= max(0, current.time_spent_ms)
        if gap > PAUSE_GAP_MS:
            count += 1
            idle_ms += gap
    return count, idle_ms / MS_PER_SECOND


def _duration_seconds(facts: _SessionFacts) -> float:
    """The session's length so far."""
    if facts.duration_ms is not None and facts.duration_ms > 0:
        return facts.duration_ms / MS_PER_SECOND
    ended = facts.ended or {}
    if isinstance(ended.get("durationMs"), int | float) and ended["durationMs"] > 0:
        return float(ended["durationMs"]) / MS_PER_SECOND
    end = facts.completed_at or facts.activity_at
    return max(0.0, (end - facts.started_at).total_seconds())


def block_performance(ratings: Sequence[str]) -> tuple[float, ...]:
    """GOOD/EASY share (0–100) of four consecutive blocks of reviews; () below 8 reviews."""
    if len(ratings) < PERFORMANCE_BLOCKS * MIN_REVIEWS_PER_BLOCK:
        return ()
    good = np.asarray([r in GOOD_RATINGS for r in ratings], dtype=float)
    return tuple(float(b.mean()) * 100.0 for b in np.array_split(good, PERFORMANCE_BLOCKS))


def session_load_input(
    facts: _SessionFacts, baseline_ms: float | None, optimal_minutes: float | None
) -> SessionLoadInput:
    """The load analysis's input for one session."""
    pause_count, pause_seconds = _pauses(facts)
    duration_s = _duration_seconds(facts)
    return SessionLoadInput(
        latencies_ms=tuple(float(r.time_spent_ms) for r in facts.reviews),
        correct=tuple(r.rating != "AGAIN" for r in facts.reviews),
        pause_count=pause_count,
        pause_seconds=pause_seconds,
        active_seconds=max(0.0, duration_s - pause_seconds),
        performance_scores=block_performance([r.rating for r in facts.reviews]),
        duration_minutes=duration_s / 60.0,
        baseline_latency_ms=baseline_ms,
        optimal_session_minutes=optimal_minutes,
    )


def _latest_rows(
    session: Session, user_id: str, session_ids: Sequence[str]
) -> dict[str, CognitiveLoadMetric]:
    """The latest metric row of each session."""
    rows = session.scalars(
        sa.select(CognitiveLoadMetric)
        .where(
            CognitiveLoadMetric.userId == user_id,
            CognitiveLoadMetric.sessionId.in_(list(session_ids)),
        )
        .order_by(
            CognitiveLoadMetric.sessionId,
            CognitiveLoadMetric.timestamp.desc(),
            CognitiveLoadMetric.id.desc(),
        )
        .ext(pg.distinct_on(CognitiveLoadMetric.sessionId))
    )
    return {r.sessionId: r for r in rows if r.sessionId is not None}


def _overload_indicators(
    session: Session, user_id: str, session_ids: Sequence[str]
) -> dict[str, StruggleIndicator]:
    """The COGNITIVE_OVERLOAD indicator already written for each session."""
    rows = session.scalars(
        sa.select(StruggleIndicator).where(
            StruggleIndicator.userId == user_id,
            StruggleIndicator.indicatorType == IndicatorType.COGNITIVE_OVERLOAD,
            StruggleIndicator.context["sessionId"].astext.in_(list(session_ids)),
        )
    )
    out: dict[str, StruggleIndicator] = {}
    for row in rows:
        sid = (row.context or {}).get("sessionId")
        if isinstance(sid, str):
            out.setdefault(sid, row)
    return out


def _store_metric(
    session: Session,
    user_id: str,
    session_id: str | None,
    timestamp: datetime,
    load: CognitiveLoad,
    latest: CognitiveLoadMetric | None,
) -> tuple[CognitiveLoadMetric, bool]:
    """Apply the 5-minute rule: update ``latest`` when it is recent enough, else insert."""
    if (
        session_id is not None
        and latest is not None
        and timestamp - latest.timestamp < METRIC_WINDOW
    ):
        latest.loadScore = load.load_score
        latest.stressIndicators = load.stress_indicators_json()
        latest.confidenceLevel = load.confidence
        return latest, False
    row = CognitiveLoadMetric(
        id=new_id(),
        userId=user_id,
        sessionId=session_id,
        loadScore=load.load_score,
        stressIndicators=load.stress_indicators_json(),
        confidenceLevel=load.confidence,
        timestamp=timestamp,
    )
    session.add(row)
    return row, True


def _write_overload(
    session: Session,
    user_id: str,
    session_id: str | None,
    objective_id: str | None,
    metric: CognitiveLoadMetric,
    load: CognitiveLoad,
    existing: StruggleIndicator | None,
    detected_at: datetime,
) -> StruggleIndicator:
    """Insert (or update the session's) COGNITIVE_OVERLOAD struggle indicator."""
    sub = load.sub_scores
    context = {
        "source": "cognitive_load",
        "sessionId": session_id,
        "metricId": metric.id,
        "objectiveSource": "dominant_objective" if objective_id else "none",
        "loadScore": round(load.load_score, 2),
        "level": load.level.value,
        "subScores": {
            "latency": round(sub.latency, 2),
            "errors": round(sub.errors, 2),
            "engagement": round(sub.engagement, 2),
            "decline": round(sub.decline, 2),
            "duration": round(sub.duration, 2),
        },
        "indicators": load.stress_indicators_json(),
        "confidence": round(load.confidence, 3),
        "evidence": load.evidence,
    }
    severity = overload_severity(load.load_score)
    if existing is not None:
        existing.severity = severity
        existing.context = context
        existing.learningObjectiveId = objective_id or NO_OBJECTIVE_ID
        return existing
    row = StruggleIndicator(
        id=new_id(),
        userId=user_id,
        learningObjectiveId=objective_id or NO_OBJECTIVE_ID,
        indicatorType=IndicatorType.COGNITIVE_OVERLOAD,
        severity=severity,
        context=context,
        detectedAt=detected_at,
    )
    session.add(row)
    return row


def record_session_loads(
    session: Session, learner: Learner, session_ids: Iterable[str]
) -> list[SessionReading]:
    """Compute, store (5-minute rule) and flag overload for the learner's given sessions.

    Sessions that have just started (no review, no end) are left until there is something to measure.
    """
    ids = sorted(set(session_ids))
    if not ids:
        return []
    facts = {
        sid: f for sid, f in _read_sessions(session, learner.user_id, ids).items() if f.measurable
    }
    if not facts:
        return []
    found = sorted(facts, key=lambda s: (facts[s].started_at, s))
    latest_start = max(f.started_at for f in facts.values())
    medians = _previous_medians(
        session,
        learner.user_id,
        latest_start,
        BASELINE_RECENT_SESSIONS + len(found) + BASELINE_EXTRA_SESSIONS,
    )
    latest_rows = _latest_rows(session, learner.user_id, found)
    readings: list[tuple[str, _SessionFacts, CognitiveLoad]] = []
    for sid in found:
        f = facts[sid]
        data = session_load_input(
            f, _baseline_for(medians, f.started_at), learner.optimal_session_minutes
        )
        readings.append((sid, f, compute_cognitive_load(data)))
    overloaded = [sid for sid, _f, load in readings if load.overloaded]
    indicators = _overload_indicators(session, learner.user_id, overloaded) if overloaded else {}
    out: list[SessionReading] = []
    for sid, f, load in readings:
        ts = f.activity_at
        metric, inserted = _store_metric(
            session, learner.user_id, sid, ts, load, latest_rows.get(sid)
        )
        indicator_id: str | None = None
        objective = f.dominant_objective
        if load.overloaded:
            indicator = _write_overload(
                session, learner.user_id, sid, objective, metric, load, indicators.get(sid), ts
            )
            indicator_id = indicator.id
        out.append(SessionReading(sid, ts, load, metric.id, inserted, indicator_id, objective))
    session.flush()
    return out


def on_session_activity(
    session: Session, user_id: str, session_ids: Iterable[str], *, now: datetime | None = None
) -> list[SessionReading]:
    """Recompute and store the load of sessions that just received reviews or events.

    The hook for ingestion: call it with the ids of the study sessions a batch
    touched (reviews' ``sessionId``, events' ``eventData.sessionId``, sessions' ids).
    Does nothing (returns []) for an unknown learner or one with behavioural
    analysis switched off; ids of other learners' sessions are ignored.
    """
    ids = sorted({s for s in session_ids if s})
    if not ids:
        return []
    learner = load_learner(session, user_id)
    if learner is None or not learner.analysis_enabled:
        return []
    lock_learner(session, LOCK_LOAD, user_id)
    readings = record_session_loads(session, learner, ids)
    if readings:
        update_mean_load_7d(session, user_id, now or utcnow())
    return readings


# Batch kinds (twin.ingest) whose records can change a session's load, and the event type
# whose data (pauses, duration) the load reads.
LOAD_INPUT_KINDS = ("sessions", "reviews", "events")


def touched_session_ids(kind: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Ids of the study sessions whose load an ingested batch may change (pure).

    ``sessions`` → their ids; ``reviews`` → their ``sessionId``; ``events`` → the
    ``eventData.sessionId`` of SESSION_ENDED events (other events do not enter the load).
    """
    ids: set[str] = set()
    for record in records:
        if kind == "sessions":
            value = record.get("id")
        elif kind == "reviews":
            value = record.get("sessionId")
        elif kind == "events" and str(record.get("eventType")) == SESSION_ENDED:
            data = record.get("eventData")
            value = data.get("sessionId") if isinstance(data, Mapping) else None
        else:
            value = None
        if isinstance(value, str) and value:
            ids.add(value)
    return sorted(ids)


def on_batch_ingested(
    db: Database, user_id: str, kind: str, records: Iterable[Mapping[str, Any]]
) -> list[SessionReading]:
    """After a batch has been committed: recompute the loads it touched, in a transaction of its own.

    Never raises: a failure is logged and the batch stays ingested (the daily job's
    backfill computes whatever is missing).
    """
    if kind not in LOAD_INPUT_KINDS:
        return []
    ids = touched_session_ids(kind, records)
    if not ids:
        return []
    try:
        with db.session() as session:
            return on_session_activity(session, user_id, ids)
    except Exception:
        log.exception("cognitive load of %d sessions of learner %s failed", len(ids), user_id)
        return []


def ensure_session_loads(
    session: Session, learner: Learner, since: datetime, until: datetime
) -> int:
    """Compute the load of the learner's sessions started in [since, until) that have none yet."""
    missing = list(
        session.scalars(
            sa.text(
                'SELECT s.id FROM study_sessions s WHERE s."userId" = :u '
                'AND s."startedAt" >= :since AND s."startedAt" < :until AND NOT EXISTS ('
                'SELECT 1 FROM cognitive_load_metrics m WHERE m."userId" = :u '
                'AND m."sessionId" = s.id) ORDER BY s."startedAt"'
            ),
            {"u": learner.user_id, "since": _naive_utc(since), "until": _naive_utc(until)},
        )
    )
    if not missing:
        return 0
    lock_learner(session, LOCK_LOAD, learner.user_id)
    for i in range(0, len(missing), BACKFILL_CHUNK_SESSIONS):
        record_session_loads(session, learner, missing[i : i + BACKFILL_CHUNK_SESSIONS])
    return len(missing)


def learner_baseline_ms(session: Session, user_id: str, before: datetime) -> float | None:
    """The learner's latency baseline for a reading at ``before``."""
    medians = _previous_medians(
        session, user_id, _naive_utc(before), BASELINE_RECENT_SESSIONS + BASELINE_EXTRA_SESSIONS
    )
    return baseline_latency_ms([m for _at, m in medians][-BASELINE_RECENT_SESSIONS:])


@dataclass(frozen=True)
class ExplicitLoadData:
    """Behavioural data of a session sent explicitly (POST cognitive-load:calculate)."""

    latencies_ms: tuple[float, ...]
    correct: tuple[bool, ...]
    pause_count: int
    pause_seconds: float
    performance_scores: tuple[float, ...]
    duration_minutes: float
    active_minutes: float | None = None
    session_id: str | None = None
    baseline_latency_ms: float | None = None
    optimal_session_minutes: float | None = None


def calculate_load(
    session: Session,
    learner: Learner,
    data: ExplicitLoadData,
    *,
    timestamp: datetime,
    dry_run: bool = False,
) -> SessionReading:
    """The load of explicitly sent behavioural data; stored (5-minute rule) unless ``dry_run``."""
    ts = _naive_utc(timestamp)
    baseline = data.baseline_latency_ms
    if baseline is None:
        baseline = learner_baseline_ms(session, learner.user_id, ts)
    optimal = data.optimal_session_minutes or learner.optimal_session_minutes
    active_seconds = (
        data.active_minutes * 60.0
        if data.active_minutes is not None
        else max(0.0, data.duration_minutes * 60.0 - data.pause_seconds)
    )
    load = compute_cognitive_load(
        SessionLoadInput(
            latencies_ms=data.latencies_ms,
            correct=data.correct,
            pause_count=data.pause_count,
            pause_seconds=data.pause_seconds,
            active_seconds=active_seconds,
            performance_scores=data.performance_scores,
            duration_minutes=data.duration_minutes,
            baseline_latency_ms=baseline,
            optimal_session_minutes=optimal,
        )
    )
    objective: str | None = None
    if data.session_id is not None:
        facts = _read_sessions(session, learner.user_id, [data.session_id])
        if data.session_id in facts:
            objective = facts[data.session_id].dominant_objective
    if dry_run:
        return SessionReading(data.session_id, ts, load, None, False, None, objective)
    lock_learner(session, LOCK_LOAD, learner.user_id)
    latest = (
        _latest_rows(session, learner.user_id, [data.session_id]).get(data.session_id)
        if data.session_id is not None
        else None
    )
    metric, inserted = _store_metric(session, learner.user_id, data.session_id, ts, load, latest)
    indicator_id: str | None = None
    if load.overloaded:
        existing = (
            _overload_indicators(session, learner.user_id, [data.session_id]).get(data.session_id)
            if data.session_id is not None
            else None
        )
        indicator = _write_overload(
            session, learner.user_id, data.session_id, objective, metric, load, existing, ts
        )
        indicator_id = indicator.id
    session.flush()
    update_mean_load_7d(session, learner.user_id, max(ts, utcnow()))
    return SessionReading(data.session_id, ts, load, metric.id, inserted, indicator_id, objective)


# =============================================================================
# Readings: current, history, profile fields
# =============================================================================


@dataclass(frozen=True)
class StoredReading:
    """A stored load reading."""

    metric_id: str
    session_id: str | None
    timestamp: datetime
    load_score: float
    indicators: list[dict[str, Any]]
    confidence: float

    def to_json(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "metricId": self.metric_id,
            "sessionId": self.session_id,
            "timestamp": _iso(self.timestamp),
            "loadScore": round(self.load_score, 2),
            "level": load_level(self.load_score).value,
            "overloaded": stored_overloaded(self.load_score, self.indicators),
            "indicators": self.indicators,
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class CurrentLoad:
    """The latest reading and its trend against the one before."""

    current: StoredReading | None
    trend: LoadTrend | None

    def to_json(self) -> dict[str, Any]:
        """JSON form for the API (an insufficient-data note when there is no reading)."""
        if self.current is None:
            return {
                "current": None,
                "trend": None,
                "insufficient": InsufficientData("loadReadings", 0, 1).to_json(),
            }
        return {
            "current": self.current.to_json(),
            "trend": None if self.trend is None else self.trend.to_json(),
            "insufficient": None,
        }


def current_load(session: Session, user_id: str) -> CurrentLoad:
    """The learner's latest load reading and the trend against the previous reading."""
    rows = session.execute(
        sa.text(
            'SELECT id, "sessionId", "timestamp", "loadScore", "stressIndicators", '
            '"confidenceLevel" FROM cognitive_load_metrics WHERE "userId" = :u '
            'ORDER BY "timestamp" DESC, id DESC LIMIT 2'
        ),
        {"u": user_id},
    ).all()
    if not rows:
        return CurrentLoad(None, None)
    readings = [
        StoredReading(r[0], r[1], r[2], float(r[3]), list(r[4] or []), float(r[5])) for r in rows
    ]
    previous = readings[1].load_score if len(readings) > 1 else None
    return CurrentLoad(readings[0], load_trend(readings[0].load_score, previous))


@dataclass(frozen=True)
class LoadHistory:
    """Load readings bucketed by hour, day or week in the learner's zone."""

    granularity: Granularity
    start: datetime
    end: datetime
    timezone: str
    buckets: tuple[LoadBucket, ...]
    readings: int

    def to_json(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "granularity": self.granularity.value,
            "from": _iso(self.start),
            "to": _iso(self.end),
            "timezone": self.timezone,
            "readings": self.readings,
            "buckets": [b.to_json() for b in self.buckets],
        }


def load_history(
    session: Session,
    learner: Learner,
    start: datetime,
    end: datetime,
    granularity: Granularity,
) -> LoadHistory:
    """Readings with ``start ≤ timestamp ≤ end``, bucketed in the learner's zone."""
    rows = session.execute(
        sa.text(
            'SELECT "timestamp", "loadScore" FROM cognitive_load_metrics WHERE "userId" = :u '
            'AND "timestamp" >= :a AND "timestamp" <= :b ORDER BY "timestamp"'
        ),
        {"u": learner.user_id, "a": _naive_utc(start), "b": _naive_utc(end)},
    ).all()
    buckets = aggregate_load(
        [r[0] for r in rows], [float(r[1]) for r in rows], granularity, learner.timezone
    )
    return LoadHistory(granularity, start, end, learner.timezone, buckets, len(rows))


def _upsert_profile(session: Session, user_id: str, values: dict[str, Any]) -> None:
    """Insert or update the learner's ``learner_load_profiles`` row with ``values``."""
    now = utcnow()
    statement = pg.insert(LearnerLoadProfile).values(
        id=new_id(), userId=user_id, updatedAt=now, **values
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["userId"], set_={**values, "updatedAt": now}
        )
    )


def update_mean_load_7d(session: Session, user_id: str, now: datetime) -> float | None:
    """Recompute and store the learner's 7-day mean load (profile field)."""
    end = _naive_utc(now)
    rows = session.execute(
        sa.text(
            'SELECT "timestamp", "loadScore" FROM cognitive_load_metrics WHERE "userId" = :u '
            'AND "timestamp" > :a AND "timestamp" <= :b'
        ),
        {"u": user_id, "a": end - timedelta(days=7), "b": end},
    ).all()
    mean = recent_mean_load([r[0] for r in rows], [float(r[1]) for r in rows], end)
    _upsert_profile(session, user_id, {"meanLoad7d": mean})
    return mean


# =============================================================================
# Per-session summaries (burnout, stress, load vs performance)
# =============================================================================


@dataclass(frozen=True)
class SessionSummary:
    """A past session with its latest load and outcomes."""

    session_id: str
    started_at: datetime
    duration_minutes: float
    load: float | None
    performance: float | None
    engagement: float | None
    topic_id: str | None = None
    difficulty: float | None = None

    @property
    def ended_at(self) -> datetime:
        """When the session ended (naive UTC)."""
        return self.started_at + timedelta(minutes=self.duration_minutes)


def session_summaries(
    session: Session, user_id: str, since: datetime, until: datetime, *, content: bool = False
) -> list[SessionSummary]:
    """The learner's sessions started in [since, until), oldest first."""
    since, until = _naive_utc(since), _naive_utc(until)
    rows = session.execute(
        sa.text(
            'SELECT s.id, s."startedAt", s."completedAt", s."durationMs", m."loadScore" '
            "FROM study_sessions s LEFT JOIN LATERAL ("
            ' SELECT "loadScore" FROM cognitive_load_metrics m'
            ' WHERE m."userId" = s."userId" AND m."sessionId" = s.id'
            ' ORDER BY m."timestamp" DESC, m.id DESC LIMIT 1) m ON true '
            'WHERE s."userId" = :u AND s."startedAt" >= :a AND s."startedAt" < :b '
            'ORDER BY s."startedAt", s.id'
        ),
        {"u": user_id, "a": since, "b": until},
    ).all()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    ended: dict[str, tuple[dict[str, Any], int | None, str | None]] = {}
    for sid, data, perf, level in session.execute(
        sa.text(
            'SELECT "eventData"->>\'sessionId\', "eventData", "sessionPerformanceScore", '
            '"engagementLevel"::text FROM behavioral_events WHERE "userId" = :u '
            'AND "eventType" = \'SESSION_ENDED\' AND "timestamp" >= :a '
            "AND \"eventData\"->>'sessionId' = ANY(:ids)"
        ).bindparams(_IDS),
        {"u": user_id, "a": since, "ids": ids},
    ):
        ended[sid] = (data if isinstance(data, dict) else {}, perf, level)
    complexity = (
        "avg(CASE o.complexity::text WHEN 'BASIC' THEN 0.3 WHEN 'INTERMEDIATE' THEN 0.6 "
        "WHEN 'ADVANCED' THEN 0.9 END)"
        if content
        else "NULL"
    )
    topic = 'mode() WITHIN GROUP (ORDER BY c."objectiveId")' if content else "NULL"
    joins = (
        'JOIN cards c ON c.id = r."cardId" LEFT JOIN learning_objectives o ON o.id = c."objectiveId" '
        if content
        else ""
    )
    review_stats: dict[str, tuple[float | None, float | None, str | None]] = {}
    for sid, good, difficulty, objective in session.execute(
        sa.text(
            "SELECT r.\"sessionId\", avg(CASE WHEN r.rating::text IN ('GOOD', 'EASY') "
            f"THEN 100.0 ELSE 0.0 END), {complexity}, {topic} FROM reviews r {joins}"
            'WHERE r."userId" = :u AND r."sessionId" = ANY(:ids) GROUP BY r."sessionId"'
        ).bindparams(_IDS),
        {"u": user_id, "ids": ids},
    ):
        review_stats[sid] = (
            None if good is None else float(good),
            None if difficulty is None else float(difficulty),
            objective,
        )
    out = []
    for sid, started, completed, duration_ms, load in rows:
        data, perf, level = ended.get(sid, ({}, None, None))
        if duration_ms is not None and duration_ms > 0:
            minutes = duration_ms / MS_PER_MINUTE
        elif isinstance(data.get("durationMs"), int | float):
            minutes = float(data["durationMs"]) / MS_PER_MINUTE
        elif completed is not None:
            minutes = max(0.0, (completed - started).total_seconds() / 60.0)
        else:
            minutes = 0.0
        good, difficulty, objective = review_stats.get(sid, (None, None, None))
        performance = float(perf) if perf is not None else good
        score = data.get("engagementScore")
        if isinstance(score, int | float):
            engagement: float | None = float(score)
        else:
            engagement = ENGAGEMENT_LEVEL_SCORES.get(level) if level else None
        out.append(
            SessionSummary(
                session_id=sid,
                started_at=started,
                duration_minutes=minutes,
                load=None if load is None else float(load),
                performance=performance,
                engagement=engagement,
                topic_id=objective,
                difficulty=difficulty,
            )
        )
    return out


def late_night_minutes(start: datetime, end: datetime, zone: ZoneInfo) -> float:
    """Minutes of [start, end) (naive UTC) that fall between 23:00 and 05:00 local time."""
    local_start = _aware(start).astimezone(zone).replace(tzinfo=None)
    local_end = local_start + (end - start)
    total = 0.0
    day = local_start.date() - timedelta(days=1)
    while datetime(day.year, day.month, day.day) < local_end:
        base = datetime(day.year, day.month, day.day)
        lo = base + timedelta(hours=LATE_NIGHT_START_HOUR_LOCAL)
        hi = base + timedelta(days=1, hours=LATE_NIGHT_END_HOUR_LOCAL)
        overlap = (min(local_end, hi) - max(local_start, lo)).total_seconds()
        total += max(0.0, overlap) / 60.0
        day += timedelta(days=1)
    return total


# =============================================================================
# Burnout
# =============================================================================


@dataclass(frozen=True)
class BurnoutView:
    """A stored (or, without any data, unstored) assessment with recovery and mission override."""

    assessment_id: str | None
    assessed_at: datetime
    risk_score: float
    level: AnalysisRiskLevel
    confidence: float
    factors: list[dict[str, Any]]
    warning_signals: list[dict[str, Any]]
    recommendations: list[str]
    window: dict[str, Any]
    recovery: RecoveryProgress | None
    fresh: bool

    def to_json(self) -> dict[str, Any]:
        """JSON form for the API: mission override for HIGH/CRITICAL, recovery since the last one."""
        override = mission_override_for(self.level, self.risk_score)
        return {
            "assessmentId": self.assessment_id,
            "assessedAt": _iso(self.assessed_at),
            "fresh": self.fresh,
            "riskScore": round(self.risk_score, 2),
            "level": self.level.value,
            "confidence": round(self.confidence, 3),
            "window": self.window,
            "contributingFactors": self.factors,
            "warningSignals": self.warning_signals,
            "recommendations": self.recommendations,
            "missionOverride": None if override is None else override.to_json(),
            "recovery": None if self.recovery is None else self.recovery.to_json(),
        }


def _window_json(assessment: BurnoutAssessment) -> dict[str, Any]:
    return {
        "start": assessment.window_start.isoformat(),
        "end": assessment.window_end.isoformat(),
        "coveredDays": assessment.covered_days,
        "insufficient": None
        if assessment.insufficient is None
        else assessment.insufficient.to_json(),
    }


def _snapshot(row: BurnoutRiskAssessment, zone: ZoneInfo) -> AssessmentSnapshot:
    """What recovery tracking compares of a stored assessment (its window's last day)."""
    day = local_date(row.assessmentDate, zone)
    factors = row.contributingFactors or []
    if factors and isinstance(factors[0], dict):
        end = (factors[0].get("window") or {}).get("end")
        if isinstance(end, str):
            day = date.fromisoformat(end)
    return AssessmentSnapshot(float(row.riskScore), AnalysisRiskLevel(row.riskLevel.value), day)


def _latest_assessments(session: Session, user_id: str, n: int = 2) -> list[BurnoutRiskAssessment]:
    return list(
        session.scalars(
            sa.select(BurnoutRiskAssessment)
            .where(BurnoutRiskAssessment.userId == user_id)
            .order_by(BurnoutRiskAssessment.assessmentDate.desc(), BurnoutRiskAssessment.id.desc())
            .limit(n)
        )
    )


def _view(
    row: BurnoutRiskAssessment, previous: BurnoutRiskAssessment | None, zone: ZoneInfo, fresh: bool
) -> BurnoutView:
    factors = list(row.contributingFactors or [])
    window = (factors[0].get("window") if factors and isinstance(factors[0], dict) else None) or {}
    recovery = (
        track_recovery(_snapshot(previous, zone), _snapshot(row, zone))
        if previous is not None
        else None
    )
    return BurnoutView(
        assessment_id=row.id,
        assessed_at=row.assessmentDate,
        risk_score=float(row.riskScore),
        level=AnalysisRiskLevel(row.riskLevel.value),
        confidence=float(row.confidence),
        factors=factors,
        warning_signals=list(row.warningSignals or []),
        recommendations=list(row.recommendations),
        window=window,
        recovery=recovery,
        fresh=fresh,
    )


def daily_aggregates(
    summaries: Sequence[SessionSummary],
    missions: Sequence[tuple[datetime, str]],
    loose_readings: Sequence[tuple[datetime, float]],
    zone: ZoneInfo,
    last_day: date,
) -> list[DailyStudyAggregate]:
    """Per local day: minutes, mean load, missions, performance, engagement, late-night minutes."""
    days: dict[date, dict[str, Any]] = defaultdict(
        lambda: {"minutes": 0.0, "loads": [], "perf": [], "eng": [], "late": 0.0}
    )
    for s in summaries:
        day = days[local_date(s.started_at, zone)]
        day["minutes"] += s.duration_minutes
        if s.load is not None:
            day["loads"].append(s.load)
        if s.performance is not None:
            day["perf"].append(s.performance)
        if s.engagement is not None:
            day["eng"].append(s.engagement)
        day["late"] += late_night_minutes(s.started_at, s.ended_at, zone)
    for ts, load in loose_readings:
        days[local_date(ts, zone)]["loads"].append(load)
    plans: dict[date, Counter[str]] = defaultdict(Counter)
    for when, status in missions:
        plan_day = local_date(when, zone)
        if status == "PENDING" and plan_day >= last_day:
            continue  # not missed yet
        plans[plan_day]["planned"] += 1
        plans[plan_day]["done"] += status in DONE_MISSION_STATUSES
        plans[plan_day]["skipped"] += status == "SKIPPED"
    out = []
    for d in sorted(set(days) | set(plans)):
        found, plan = days.get(d), plans.get(d, Counter())
        out.append(
            DailyStudyAggregate(
                day=d,
                study_minutes=found["minutes"] if found else 0.0,
                mean_load=float(np.mean(found["loads"])) if found and found["loads"] else None,
                sessions_planned=plan["planned"],
                sessions_completed=plan["done"],
                sessions_skipped=plan["skipped"],
                mean_performance=float(np.mean(found["perf"])) if found and found["perf"] else None,
                engagement=float(np.mean(found["eng"])) if found and found["eng"] else None,
                late_night_minutes=found["late"] if found else 0.0,
            )
        )
    return out


def assess_burnout(
    session: Session,
    learner: Learner,
    now: datetime,
    *,
    through: date | None = None,
    backfill_loads: bool = True,
) -> BurnoutView:
    """Assess burnout risk over the 14 local days ending on ``through`` (default: today) and store it.

    A learner without any session or mission gets an unstored LOW answer with the
    unmet minimum (``window.insufficient``).
    """
    zone = learner.zone
    assessed_at = _naive_utc(now)
    last_day = through or local_date(assessed_at, zone)
    first_day = last_day - timedelta(days=WINDOW_DAYS - 1)
    # The window and the reference period before it (the learner's earlier level).
    since = _local_midnight_utc(first_day - timedelta(days=REFERENCE_DAYS), zone)
    until = _local_midnight_utc(last_day + timedelta(days=1), zone)
    if backfill_loads:
        ensure_session_loads(session, learner, since, until)
    uid = learner.user_id
    summaries = session_summaries(session, uid, since, until)
    missions = [
        (r[0], str(r[1]))
        for r in session.execute(
            sa.text(
                'SELECT date, status::text FROM missions WHERE "userId" = :u '
                "AND date >= :a AND date < :b"
            ),
            {"u": uid, "a": since, "b": until},
        )
    ]
    loose = [
        (r[0], float(r[1]))
        for r in session.execute(
            sa.text(
                'SELECT "timestamp", "loadScore" FROM cognitive_load_metrics WHERE "userId" = :u '
                'AND "sessionId" IS NULL AND "timestamp" >= :a AND "timestamp" < :b'
            ),
            {"u": uid, "a": since, "b": until},
        )
    ]
    first = session.execute(
        sa.text(
            'SELECT least((SELECT min("startedAt") FROM study_sessions WHERE "userId" = :u), '
            '(SELECT min(date) FROM missions WHERE "userId" = :u AND date < :b))'
        ),
        {"u": uid, "b": until},
    ).scalar_one_or_none()
    days = daily_aggregates(summaries, missions, loose, zone, last_day)
    history_start = local_date(first, zone) if first is not None else last_day + timedelta(days=1)
    assessment = assess_burnout_risk(days, last_day, history_start=history_start, reference=days)
    window = _window_json(assessment)
    factors = [{**f, "window": window} for f in assessment.contributing_factors_json()]
    previous = _latest_assessments(session, uid, 1)
    if assessment.covered_days == 0:
        return BurnoutView(
            assessment_id=None,
            assessed_at=assessed_at,
            risk_score=assessment.risk_score,
            level=assessment.level,
            confidence=assessment.confidence,
            factors=factors,
            warning_signals=assessment.warning_signals_json(),
            recommendations=list(assessment.recommendations),
            window=window,
            recovery=None,
            fresh=True,
        )
    row = BurnoutRiskAssessment(
        id=new_id(),
        userId=uid,
        riskScore=assessment.risk_score,
        riskLevel=BurnoutRiskLevel(assessment.level.value),
        contributingFactors=factors,
        warningSignals=assessment.warning_signals_json(),
        recommendations=list(assessment.recommendations),
        confidence=assessment.confidence,
        assessmentDate=assessed_at,
    )
    session.add(row)
    session.flush()
    update_mean_load_7d(session, uid, assessed_at)
    return _view(row, previous[0] if previous else None, zone, fresh=True)


def latest_burnout(session: Session, learner: Learner) -> BurnoutView | None:
    """The learner's latest stored assessment (with recovery against the one before)."""
    rows = _latest_assessments(session, learner.user_id, 2)
    if not rows:
        return None
    return _view(rows[0], rows[1] if len(rows) > 1 else None, learner.zone, fresh=False)


def burnout_risk(session: Session, learner: Learner, now: datetime) -> BurnoutView:
    """The latest assessment, assessed anew (once, under the learner's lock) when older than 24 h."""
    now_naive = _naive_utc(now)
    latest = latest_burnout(session, learner)
    if latest is not None and now_naive - latest.assessed_at <= ASSESSMENT_MAX_AGE:
        return latest
    lock_learner(session, LOCK_BURNOUT, learner.user_id)
    latest = latest_burnout(session, learner)  # another request may have assessed meanwhile
    if latest is not None and now_naive - latest.assessed_at <= ASSESSMENT_MAX_AGE:
        return latest
    return assess_burnout(session, learner, now_naive)


def daily_burnout_assessment(session: Session, learner: Learner, now: datetime) -> str:
    """The daily job's assessment of one learner; returns what happened.

    Assesses the 14 days ending yesterday (the last complete local day) unless the
    learner already has an assessment made on today's local date, or another
    worker holds the learner's burnout lock: ``"assessed"``, ``"already_assessed"``,
    ``"locked"``, ``"no_data"``.
    """
    if not lock_learner(session, LOCK_BURNOUT, learner.user_id, wait=False):
        return "locked"
    zone = learner.zone
    today = local_date(now, zone)
    latest = _latest_assessments(session, learner.user_id, 1)
    if latest and local_date(latest[0].assessmentDate, zone) >= today:
        return "already_assessed"
    view = assess_burnout(session, learner, now, through=today - timedelta(days=1))
    return "assessed" if view.assessment_id is not None else "no_data"


# =============================================================================
# Stress patterns and profile
# =============================================================================


@dataclass(frozen=True)
class StressAnalysis:
    """Detected patterns and the profile built from them."""

    patterns: StressPatternResult
    profile: StressProfile
    analyzed_at: datetime


def stress_records(session: Session, learner: Learner, now: datetime) -> list[SessionStressRecord]:
    """The learner's sessions of the last 90 days with a load, as stress records."""
    end = _naive_utc(now)
    start = end - timedelta(days=HISTORY_DAYS)
    summaries = session_summaries(session, learner.user_id, start, end, content=True)
    exams = sorted(
        r[0]
        for r in session.execute(
            sa.text('SELECT date FROM exams WHERE "userId" = :u AND date >= :a'),
            {"u": learner.user_id, "a": start},
        )
    )
    zone = learner.zone
    records = []
    for s in summaries:
        if s.load is None:
            continue
        upcoming = [e for e in exams if e >= s.started_at]
        days_to_exam = (upcoming[0] - s.started_at).total_seconds() / 86_400.0 if upcoming else None
        records.append(
            SessionStressRecord(
                started_at=s.started_at,
                load=s.load,
                local_hour=_aware(s.started_at).astimezone(zone).hour,
                duration_minutes=s.duration_minutes,
                topic_id=s.topic_id,
                days_to_exam=days_to_exam,
                difficulty=s.difficulty,
                performance=s.performance,
            )
        )
    return records


def _pattern_key(pattern_data: dict[str, Any]) -> tuple[str, str]:
    trigger = pattern_data.get("trigger") or {}
    return str(pattern_data.get("type")), repr(sorted(trigger.items()))


def _store_patterns(
    session: Session, user_id: str, patterns: Sequence[StressPattern], now: datetime
) -> None:
    """Update kept patterns, insert new ones, delete those no longer detected."""
    existing = {
        _pattern_key(row.patternData): row
        for row in session.scalars(
            sa.select(StressResponsePattern).where(StressResponsePattern.userId == user_id)
        )
    }
    seen: set[tuple[str, str]] = set()
    for p in patterns:
        data = {**p.pattern_data(), "lastSeenAt": _iso(now)}
        key = _pattern_key(data)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            session.add(
                StressResponsePattern(
                    id=new_id(),
                    userId=user_id,
                    patternData=data,
                    confidence=p.confidence,
                    detectedAt=now,
                )
            )
        else:
            row.patternData = data
            row.confidence = p.confidence
    for key, row in existing.items():
        if key not in seen:
            session.delete(row)


def refresh_stress(session: Session, learner: Learner, now: datetime) -> StressAnalysis:
    """Detect stress patterns over 90 days, store them and the profile's load fields."""
    at = _naive_utc(now)
    lock_learner(session, LOCK_STRESS, learner.user_id)
    records = stress_records(session, learner, at)
    patterns = detect_stress_patterns(records, at)
    profile = stress_profile(records, at, patterns=patterns)
    _store_patterns(session, learner.user_id, patterns.patterns, at)
    details = {
        **profile.to_json(),
        "patterns": {
            "sessions": patterns.sessions,
            "insufficient": None
            if patterns.insufficient is None
            else patterns.insufficient.to_json(),
        },
    }
    _upsert_profile(
        session,
        learner.user_id,
        {"loadTolerance": profile.load_tolerance, "details": details, "stressAnalyzedAt": at},
    )
    update_mean_load_7d(session, learner.user_id, at)
    session.flush()
    return StressAnalysis(patterns, profile, at)


def load_profile(session: Session, user_id: str) -> LearnerLoadProfile | None:
    """The learner's load-profile row."""
    return session.scalars(
        sa.select(LearnerLoadProfile)
        .where(LearnerLoadProfile.userId == user_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _fresh_profile(session: Session, learner: Learner, now: datetime) -> LearnerLoadProfile:
    """The load profile, analysed again when its stress analysis is missing or stale."""
    at = _naive_utc(now)
    profile = load_profile(session, learner.user_id)
    if (
        profile is None
        or profile.stressAnalyzedAt is None
        or at - profile.stressAnalyzedAt > STRESS_MAX_AGE
    ):
        refresh_stress(session, learner, at)
        profile = load_profile(session, learner.user_id)
    assert profile is not None
    return profile


def stress_patterns(
    session: Session,
    learner: Learner,
    now: datetime,
    min_confidence: float = MIN_PATTERN_CONFIDENCE,
) -> dict[str, Any]:
    """Stored patterns with confidence ≥ ``min_confidence`` (analysed anew when stale)."""
    profile = _fresh_profile(session, learner, now)
    rows = session.scalars(
        sa.select(StressResponsePattern)
        .where(
            StressResponsePattern.userId == learner.user_id,
            StressResponsePattern.confidence >= min_confidence,
        )
        .order_by(StressResponsePattern.confidence.desc(), StressResponsePattern.id)
    )
    meta = (profile.details or {}).get("patterns") or {}
    return {
        "analyzedAt": None if profile.stressAnalyzedAt is None else _iso(profile.stressAnalyzedAt),
        "minConfidence": min_confidence,
        "sessions": meta.get("sessions", 0),
        "insufficient": meta.get("insufficient"),
        "patterns": [
            {
                "id": r.id,
                "confidence": round(float(r.confidence), 4),
                "detectedAt": _iso(r.detectedAt),
                **r.patternData,
            }
            for r in rows
        ],
    }


def stress_profile_view(session: Session, learner: Learner, now: datetime) -> dict[str, Any]:
    """Primary stressors, load tolerance, recovery time and the 7-day mean load."""
    profile = _fresh_profile(session, learner, now)
    details = dict(profile.details or {})
    details.pop("patterns", None)
    return {
        **details,
        "loadTolerance": profile.loadTolerance,
        "meanLoad7d": profile.meanLoad7d,
        "analyzedAt": None if profile.stressAnalyzedAt is None else _iso(profile.stressAnalyzedAt),
    }


def weekly_stress_refresh(session: Session, learner: Learner, now: datetime) -> str:
    """The weekly job's stress analysis of one learner: ``"refreshed"``, ``"locked"`` or ``"already_refreshed"``."""
    if not lock_learner(session, LOCK_STRESS, learner.user_id, wait=False):
        return "locked"
    profile = load_profile(session, learner.user_id)
    at = _naive_utc(now)
    if (
        profile is not None
        and profile.stressAnalyzedAt is not None
        and local_date(profile.stressAnalyzedAt, learner.zone) >= local_date(at, learner.zone)
    ):
        return "already_refreshed"
    refresh_stress(session, learner, at)
    return "refreshed"


# =============================================================================
# Difficulty and load vs performance
# =============================================================================


@dataclass(frozen=True)
class DifficultyView:
    """The adjustment for the latest load, or what is missing."""

    reading: StoredReading | None
    adjustment: DifficultyAdjustment | None

    def to_json(self) -> dict[str, Any]:
        """JSON form for the API."""
        if self.reading is None or self.adjustment is None:
            return {
                "basedOn": None,
                "adjustment": None,
                "insufficient": InsufficientData("loadReadings", 0, 1).to_json(),
            }
        return {
            "basedOn": self.reading.to_json(),
            "adjustment": self.adjustment.to_json(),
            "insufficient": None,
        }


def difficulty_adjustment(
    session: Session, learner: Learner, applied_this_session: int = 0
) -> DifficultyView:
    """Difficulty change and session rules for the learner's latest load reading."""
    current = current_load(session, learner.user_id).current
    if current is None:
        return DifficultyView(None, None)
    return DifficultyView(current, adapt_difficulty(current.load_score, applied_this_session))


def load_performance(session: Session, learner: Learner, now: datetime) -> dict[str, Any]:
    """Correlation of session load with session performance over the last 90 days."""
    end = _naive_utc(now)
    summaries = session_summaries(
        session, learner.user_id, end - timedelta(days=LOAD_PERFORMANCE_HISTORY_DAYS), end
    )
    pairs = [
        (s.load, s.performance)
        for s in summaries
        if s.load is not None and s.performance is not None
    ]
    result = analyze_load_performance([p[0] for p in pairs], [p[1] for p in pairs])
    window = {"days": LOAD_PERFORMANCE_HISTORY_DAYS, "to": _iso(end)}
    if isinstance(result, LoadPerformanceAnalysis):
        return {**result.to_json(), "window": window, "insufficient": None}
    return {
        "sessions": result.have,
        "pearsonR": None,
        "pValue": None,
        "significant": False,
        "bands": [],
        "bestBand": None,
        "invertedU": False,
        "confidence": 0.0,
        "window": window,
        "insufficient": result.to_json(),
    }


def active_learners(session: Session, since: datetime, until: datetime) -> list[tuple[str, str]]:
    """(id, time zone) of learners with analysis on and a session started in [since, until]."""
    rows = session.execute(
        sa.text(
            'SELECT u.id, u.timezone FROM users u WHERE u."behavioralAnalysisEnabled" AND EXISTS ('
            'SELECT 1 FROM study_sessions s WHERE s."userId" = u.id '
            'AND s."startedAt" >= :a AND s."startedAt" <= :b) ORDER BY u.id'
        ),
        {"a": _naive_utc(since), "b": _naive_utc(until)},
    ).all()
    return [(r[0], str(r[1])) for r in rows]
