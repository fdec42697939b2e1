"""What the insight services share: the learner's lock, pattern signals, goal sessions, weeks.

Every query is scoped to one learner (``userId`` first), reads only rows before ``now``
where time matters, and returns the analysis's value objects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, local_date, local_midnight_utc, naive_utc
from twin.analysis.insights.common import DAYS_PER_WEEK, week_start
from twin.analysis.insights.recommendations import PatternSignal
from twin.analysis.patterns.inputs import CONTENT_TYPES, SessionObs
from twin.analysis.patterns.memory_curve import SOURCE_FITTED
from twin.enums import BehavioralPatternType
from twin.learners import LearnerLock, lock_learner

PATTERN_KEY_FIELD = "key"  # where the pattern lifecycle keeps a pattern's identity
MS_PER_MINUTE = 60_000.0


def lock_insights(session: Session, user_id: str) -> None:
    """Serialise the learner's insight writes (so one event never notifies twice)."""
    lock_learner(session, LearnerLock.INSIGHTS, user_id)


def local_week(now: datetime, zone: ZoneInfo) -> date:
    """The Monday of the learner's current local week."""
    return week_start(local_date(now, zone))


def week_bounds(monday: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local week as naive UTC."""
    return (
        naive_utc(local_midnight_utc(monday, zone)),
        naive_utc(local_midnight_utc(monday + timedelta(days=DAYS_PER_WEEK), zone)),
    )


def _confidence(value: Any) -> float:
    c = float(value)
    return min(1.0, max(0.0, c)) if math.isfinite(c) else 0.0


_PATTERNS_SQL = sa.text(
    'SELECT id, "patternType"::text AS kind, "patternName", confidence, evidence, "patternData", '
    '"lastSeenAt" FROM behavioral_patterns WHERE "userId" = :u ORDER BY id'
)


def pattern_signals(
    session: Session, user_id: str, *, min_confidence: float = 0.0
) -> list[PatternSignal]:
    """The learner's stored patterns as signals (identity key from ``patternData.key``)."""
    out = []
    for row in session.execute(_PATTERNS_SQL, {"u": user_id}):
        data = row.patternData if isinstance(row.patternData, dict) else {}
        confidence = _confidence(row.confidence)
        if confidence < min_confidence:
            continue
        out.append(
            PatternSignal(
                pattern_id=row.id,
                pattern_type=BehavioralPatternType(row.kind),
                key=str(data.get(PATTERN_KEY_FIELD) or row.id),
                name=row.patternName or row.kind.replace("_", " ").lower(),
                confidence=confidence,
                evidence=tuple(row.evidence or ()),
                data=data,
            )
        )
    return out


# Completed sessions for goal metrics: start, length and content mix only. Every completed
# session counts (with or without reviews), so a recount from study_sessions agrees.
_GOAL_SESSIONS_SQL = sa.text(
    """
    SELECT s.id, s."startedAt" AS started_at,
           coalesce(s."durationMs" / 60000.0,
                    extract(epoch FROM s."completedAt" - s."startedAt") / 60.0)::float8 AS minutes,
           e.minutes AS content_minutes
    FROM study_sessions s
    LEFT JOIN LATERAL (
      SELECT ev."eventData"->'contentMinutes' AS minutes
      FROM behavioral_events ev
      WHERE ev."userId" = s."userId" AND ev."eventType" = 'SESSION_ENDED'
        AND ev."eventData"->>'sessionId' = s.id
      ORDER BY ev."timestamp" DESC LIMIT 1
    ) e ON true
    WHERE s."userId" = :u AND s."completedAt" IS NOT NULL
      AND s."startedAt" >= :since AND s."startedAt" < :until
    ORDER BY s."startedAt", s.id
    """
)


def content_minutes(raw: Any) -> tuple[tuple[str, float], ...]:
    """``SESSION_ENDED.eventData.contentMinutes`` as (type, minutes), known types, > 0 only."""
    if not isinstance(raw, dict):
        return ()
    out = []
    for content_type in CONTENT_TYPES:
        value = raw.get(content_type)
        if isinstance(value, int | float) and math.isfinite(value) and value > 0:
            out.append((content_type, float(value)))
    return tuple(out)


def goal_sessions(
    session: Session, user_id: str, zone: ZoneInfo, since: datetime, until: datetime
) -> tuple[SessionObs, ...]:
    """Completed sessions started in [since, until), local time (performance is not read: 0)."""
    rows = session.execute(
        _GOAL_SESSIONS_SQL, {"u": user_id, "since": naive_utc(since), "until": naive_utc(until)}
    )
    return tuple(
        SessionObs(
            session_id=r.id,
            started_at=aware_utc(r.started_at).astimezone(zone),
            duration_minutes=max(0.0, float(r.minutes or 0.0)),
            performance=0.0,
            content_minutes=content_minutes(r.content_minutes),
        )
        for r in rows
    )


_HALF_LIFE_SQL = sa.text(
    'SELECT "personalizedForgettingCurve" FROM user_learning_profiles WHERE "userId" = :u'
)
# The learner-facing curve (issue 14: the new-card curve) marks a fit with its own source.
FITTED_CURVE = SOURCE_FITTED


def fitted_half_life(session: Session, user_id: str) -> float | None:
    """The half-life (days) of the learner's fitted forgetting curve (None: baseline or none)."""
    curve = session.scalar(_HALF_LIFE_SQL, {"u": user_id})
    if not isinstance(curve, dict) or curve.get("source") != FITTED_CURVE:
        return None
    value = curve.get("halfLife")
    return float(value) if isinstance(value, int | float) and value > 0 else None


@dataclass(frozen=True)
class Page:
    """A bounded list request."""

    limit: int
    offset: int = 0
