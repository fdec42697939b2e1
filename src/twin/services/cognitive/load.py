"""Cognitive load of study sessions (ENGINE.md 5.4): readings in, ``cognitive_load_metrics`` out.

The session's inputs come from :mod:`twin.analysis.cognitive.session` (pauses, duration,
blocks), the score from :mod:`twin.analysis.cognitive.load`; this module reads the
rows, stores the readings and the COGNITIVE_OVERLOAD rows of ``struggle_indicators``,
and answers the current load and its history.

**Session load** (``on_session_activity``; ingestion calls it through
``on_batch_ingested(db, user_id, kind, records, now=…)`` once a batch of sessions, reviews
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
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Session

from twin.analysis.cognitive.common import LoadLevel
from twin.analysis.cognitive.load import (
    BASELINE_RECENT_SESSIONS,
    CognitiveLoad,
    SessionLoadInput,
    baseline_latency_ms,
    compute_cognitive_load,
    load_level,
    overload_severity,
    stored_overloaded,
)
from twin.analysis.cognitive.session import ReviewFacts, SessionFacts, session_load_input
from twin.analysis.cognitive.trend import (
    Granularity,
    LoadBucket,
    LoadTrend,
    aggregate_load,
    load_trend,
)
from twin.analysis.common import InsufficientData, naive_utc
from twin.db.base import new_id
from twin.db.engine import Database
from twin.db.models import CognitiveLoadMetric, StruggleIndicator
from twin.enums import IndicatorType
from twin.learners import Learner, LearnerLock, load_learner, lock_learner
from twin.services.cognitive.common import IDS
from twin.services.cognitive.profile import update_mean_load_7d

# One metric row per session per this much of its activity (update within, insert after).
METRIC_WINDOW = timedelta(minutes=5)
# Sessions whose medians are read for baselines besides the targets themselves (sessions
# without reviews have no median, so read a few more than the baseline uses).
BASELINE_EXTRA_SESSIONS = 10
# learningObjectiveId of an overload indicator whose session has no reviewed objective
# (the column is NOT NULL and has no foreign key).
NO_OBJECTIVE_ID = "none"
# Sessions recomputed per batch by the backfill.
BACKFILL_CHUNK_SESSIONS = 500
SESSION_ENDED = "SESSION_ENDED"
NO_READING = InsufficientData("loadReadings", 0, 1)
"""The unmet minimum of answers that need a load reading."""
log = logging.getLogger(__name__)


# =============================================================================
# Session load
# =============================================================================


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

    @property
    def stored(self) -> bool:
        """True when the reading was written (not a dry run)."""
        return self.metric_id is not None


def _read_sessions(session: Session, user_id: str, ids: Sequence[str]) -> dict[str, SessionFacts]:
    """The sessions (of this learner only), their reviews and SESSION_ENDED events."""
    rows = session.execute(
        sa.text(
            'SELECT id, "startedAt", "completedAt", "durationMs" FROM study_sessions '
            'WHERE "userId" = :u AND id = ANY(:ids)'
        ).bindparams(IDS),
        {"u": user_id, "ids": list(ids)},
    ).all()
    if not rows:
        return {}
    found = [r[0] for r in rows]
    reviews: dict[str, list[ReviewFacts]] = defaultdict(list)
    for sid, at, spent, rating, objective in session.execute(
        sa.text(
            'SELECT r."sessionId", r."reviewedAt", r."timeSpentMs", r.rating::text, c."objectiveId" '
            'FROM reviews r JOIN cards c ON c.id = r."cardId" '
            'WHERE r."userId" = :u AND r."sessionId" = ANY(:ids) '
            'ORDER BY r."sessionId", r."reviewedAt", r.id'
        ).bindparams(IDS),
        {"u": user_id, "ids": found},
    ):
        reviews[sid].append(ReviewFacts(at, int(spent), rating, objective))
    ended: dict[str, tuple[dict[str, Any], datetime]] = {}
    for sid, data, at in session.execute(
        sa.text(
            'SELECT "eventData"->>\'sessionId\', "eventData", "timestamp" FROM behavioral_events '
            'WHERE "userId" = :u AND "eventType" = \'SESSION_ENDED\' AND "timestamp" >= :since '
            'AND "eventData"->>\'sessionId\' = ANY(:ids) ORDER BY "timestamp"'
        ).bindparams(IDS),
        {"u": user_id, "since": min(r[1] for r in rows), "ids": found},
    ):
        if isinstance(data, dict):
            ended[sid] = (data, at)  # the latest event of a session wins
    facts = {}
    for sid, started, completed, duration in rows:
        data, at = ended.get(sid, (None, None))
        facts[sid] = SessionFacts(
            sid, started, completed, duration, tuple(reviews.get(sid, ())), data, at
        )
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
    context = {
        "source": "cognitive_load",
        "sessionId": session_id,
        "metricId": metric.id,
        "objectiveSource": "dominant_objective" if objective_id else "none",
        "loadScore": round(load.load_score, 2),
        "level": load.level.value,
        "subScores": load.sub_scores.stored_json(),
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
    readings: list[tuple[str, SessionFacts, CognitiveLoad]] = []
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
    session: Session, user_id: str, session_ids: Iterable[str], *, now: datetime
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
    lock_learner(session, LearnerLock.COGNITIVE_LOAD, user_id)
    readings = record_session_loads(session, learner, ids)
    if readings:
        update_mean_load_7d(session, user_id, now)
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
    db: Database, user_id: str, kind: str, records: Iterable[Mapping[str, Any]], *, now: datetime
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
            return on_session_activity(session, user_id, ids, now=now)
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
            {"u": learner.user_id, "since": naive_utc(since), "until": naive_utc(until)},
        )
    )
    if not missing:
        return 0
    lock_learner(session, LearnerLock.COGNITIVE_LOAD, learner.user_id)
    for i in range(0, len(missing), BACKFILL_CHUNK_SESSIONS):
        record_session_loads(session, learner, missing[i : i + BACKFILL_CHUNK_SESSIONS])
    return len(missing)


def learner_baseline_ms(session: Session, user_id: str, before: datetime) -> float | None:
    """The learner's latency baseline for a reading at ``before``."""
    medians = _previous_medians(
        session, user_id, naive_utc(before), BASELINE_RECENT_SESSIONS + BASELINE_EXTRA_SESSIONS
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
    now: datetime,
    dry_run: bool = False,
) -> SessionReading:
    """The load of explicitly sent behavioural data; stored (5-minute rule) unless ``dry_run``.

    ``timestamp`` is when the data was measured, ``now`` when it is stored (the 7-day mean
    load is recomputed as of the later of the two).
    """
    ts = naive_utc(timestamp)
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
    lock_learner(session, LearnerLock.COGNITIVE_LOAD, learner.user_id)
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
    update_mean_load_7d(session, learner.user_id, max(ts, naive_utc(now)))
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
    """As stored in ``cognitive_load_metrics.stressIndicators``."""
    confidence: float

    @property
    def level(self) -> LoadLevel:
        """The level of the stored score."""
        return load_level(self.load_score)

    @property
    def overloaded(self) -> bool:
        """Whether the stored reading counts as an overload."""
        return stored_overloaded(self.load_score, self.indicators)


@dataclass(frozen=True)
class CurrentLoad:
    """The latest reading and its trend against the one before."""

    current: StoredReading | None
    trend: LoadTrend | None
    previous: StoredReading | None = None

    @property
    def insufficient(self) -> InsufficientData | None:
        """What is missing: a first reading."""
        return NO_READING if self.current is None else None


def current_load(session: Session, user_id: str, as_of: datetime | None = None) -> CurrentLoad:
    """The learner's latest load reading (at or before ``as_of``) and its trend."""
    rows = session.execute(
        sa.text(
            'SELECT id, "sessionId", "timestamp", "loadScore", "stressIndicators", '
            '"confidenceLevel" FROM cognitive_load_metrics WHERE "userId" = :u '
            'AND (CAST(:at AS timestamp) IS NULL OR "timestamp" <= :at) '
            'ORDER BY "timestamp" DESC, id DESC LIMIT 2'
        ),
        {"u": user_id, "at": None if as_of is None else naive_utc(as_of)},
    ).all()
    if not rows:
        return CurrentLoad(None, None)
    readings = [
        StoredReading(r[0], r[1], r[2], float(r[3]), list(r[4] or []), float(r[5])) for r in rows
    ]
    previous = readings[1] if len(readings) > 1 else None
    trend = load_trend(readings[0].load_score, None if previous is None else previous.load_score)
    return CurrentLoad(readings[0], trend, previous)


@dataclass(frozen=True)
class LoadHistory:
    """Load readings bucketed by hour, day or week in the learner's zone."""

    granularity: Granularity
    start: datetime
    end: datetime
    timezone: str
    buckets: tuple[LoadBucket, ...]
    readings: int


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
        {"u": learner.user_id, "a": naive_utc(start), "b": naive_utc(end)},
    ).all()
    buckets = aggregate_load(
        [r[0] for r in rows], [float(r[1]) for r in rows], granularity, learner.timezone
    )
    return LoadHistory(granularity, start, end, learner.timezone, buckets, len(rows))
