"""Did following the schedule help? Adherence and outcome differences from stored data (ENGINE 5.3).

Accepted slots are the learner's ``study_schedule_recommendations`` rows with ``appliedAt``
set; sessions are the learner's ``study_sessions`` with their 5.1 outcomes (performance
and retention, see :mod:`twin.services.orchestration.loading`). Both are read for the
window ``[now − days, now)`` and handed to
:func:`twin.analysis.orchestration.effectiveness.measure_effectiveness`: adherence, and
followed-vs-other differences with n and a Welch 95% interval — or "insufficient data"
below 10 sessions in a group, never a made-up number. Each adaptation of the window is
scored by the adherence and performance of the 7 days before and after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData
from twin.analysis.orchestration.effectiveness import (
    ADAPTATION_WINDOW_DAYS,
    AcceptedSlot,
    AdaptationScore,
    Adherence,
    OutcomeDifference,
    SessionOutcome,
    measure_effectiveness,
    score_adaptation,
)
from twin.learners import analysis_learner
from twin.services.orchestration.adaptation import AdaptationView, recent_adaptations
from twin.services.orchestration.common import utc
from twin.services.orchestration.loading import session_facts
from twin.services.orchestration.slots import accepted_slots

DEFAULT_DAYS = 30
MAX_DAYS = 365


@dataclass(frozen=True)
class ScoredAdaptation:
    """An adaptation with the adherence and performance before and after it."""

    adaptation: AdaptationView
    score: AdaptationScore


@dataclass(frozen=True)
class EffectivenessView:
    """``GET …/schedule/effectiveness``."""

    days: int
    window_start: datetime
    window_end: datetime
    sessions: int
    adherence: Adherence
    performance: OutcomeDifference | InsufficientData
    retention: OutcomeDifference | InsufficientData
    adaptations: tuple[ScoredAdaptation, ...]


def effectiveness(
    session: Session, user_id: str, now: datetime, days: int = DEFAULT_DAYS
) -> EffectivenessView:
    """Adherence to accepted slots over the last ``days`` days and the outcome difference."""
    analysis_learner(session, user_id)
    end = utc(now)
    start = end - timedelta(days=days)
    history = start - timedelta(days=ADAPTATION_WINDOW_DAYS)
    slots = [
        AcceptedSlot(s.id, s.start, max(1.0, float(s.duration_minutes)))
        for s in accepted_slots(session, user_id, history, end)
    ]
    facts = session_facts(session, user_id, history, end)
    sessions = [
        SessionOutcome(f.session_id, f.started_at, f.minutes or 0.0, f.performance, f.retention)
        for f in facts
    ]
    measured = measure_effectiveness(slots, sessions, window_start=start, window_end=end)
    scored = tuple(
        ScoredAdaptation(a, score_adaptation(a.applied_at, slots, sessions, end))
        for a in recent_adaptations(session, user_id, start)
    )
    return EffectivenessView(
        days=days,
        window_start=start,
        window_end=end,
        sessions=sum(1 for s in sessions if start <= s.started_at < end),
        adherence=measured.adherence,
        performance=measured.performance,
        retention=measured.retention,
        adaptations=scored,
    )
