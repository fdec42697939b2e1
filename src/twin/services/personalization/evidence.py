"""Load what personalization may act on: the learner's findings, each with its confidence.

From ``behavioral_patterns`` (5.1): best study hours (OPTIMAL_STUDY_TIME, best first by
confidence), the optimal session length (SESSION_DURATION_PREFERENCE), the break interval
(ATTENTION_CYCLE: 0.9 × median time to fatigue) and the forgetting curve (FORGETTING_CURVE);
open ``struggle_predictions`` (5.2, status PENDING); the latest cognitive load of the last
24 hours and burnout assessment of the last 7 days (5.4). A stored value the analysis
refuses (out of range) is left out rather than failing the request: the answer then simply
does not use it. Calibration, content outcomes, strong areas and calendar windows are not
loaded yet (the pure core accepts them; see the README's personalization notes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import storage_time
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.evidence import (
    AttentionFinding,
    DurationFinding,
    Evidence,
    ForgettingFinding,
    LoadState,
    StrugglePrediction,
    StudyTimeFinding,
)
from twin.enums import BurnoutRiskLevel

BREAK_SHARE_OF_FATIGUE = 0.9
"""Break a little before the learner's median time to fatigue (5.1's attention cycle)."""
LOAD_MAX_AGE = timedelta(hours=24)
BURNOUT_MAX_AGE = timedelta(days=7)
MAX_STRUGGLES = 20

_PATTERNS_SQL = sa.text(
    """
    SELECT "patternType"::text AS kind, "patternData" AS data, confidence
    FROM behavioral_patterns
    WHERE "userId" = :u AND "patternType" IN
      ('OPTIMAL_STUDY_TIME', 'SESSION_DURATION_PREFERENCE', 'ATTENTION_CYCLE', 'FORGETTING_CURVE')
    ORDER BY confidence DESC, "lastSeenAt" DESC
    """
)
_STRUGGLES_SQL = sa.text(
    """
    SELECT "learningObjectiveId" AS objective, "predictedStruggleProbability" AS p,
           "predictionConfidence" AS confidence
    FROM struggle_predictions
    WHERE "userId" = :u AND "predictionStatus" = 'PENDING' AND "predictionDate" <= :now
    ORDER BY "predictedStruggleProbability" DESC, id LIMIT :n
    """
)
_STATE_SQL = sa.text(
    """
    SELECT
      (SELECT "loadScore" FROM cognitive_load_metrics
        WHERE "userId" = :u AND timestamp <= :now AND timestamp > :load_since
        ORDER BY timestamp DESC LIMIT 1) AS load,
      (SELECT "confidenceLevel" FROM cognitive_load_metrics
        WHERE "userId" = :u AND timestamp <= :now AND timestamp > :load_since
        ORDER BY timestamp DESC LIMIT 1) AS load_confidence,
      (SELECT "riskLevel"::text FROM burnout_risk_assessments
        WHERE "userId" = :u AND "assessmentDate" <= :now AND "assessmentDate" > :burnout_since
        ORDER BY "assessmentDate" DESC LIMIT 1) AS burnout
    """
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def load_evidence(session: Session, user_id: str, now: datetime) -> Evidence:
    """The learner's findings as of ``now`` (absent ones None / empty)."""
    at = storage_time(now)
    hours: list[int] = []
    hour_conf = 0.0
    duration = attention = forgetting = None
    for kind, data, confidence in session.execute(_PATTERNS_SQL, {"u": user_id}):
        conf = float(confidence)
        data = data if isinstance(data, dict) else {}
        try:
            if kind == "OPTIMAL_STUDY_TIME":
                start = data.get("windowStartHour")
                if isinstance(start, int) and 0 <= start < 24 and start not in hours:
                    hours.append(start)
                    hour_conf = max(hour_conf, conf)
            elif kind == "SESSION_DURATION_PREFERENCE" and duration is None:
                minutes = _number(data.get("optimalDurationMinutes"))
                if minutes is not None:
                    duration = DurationFinding(minutes, conf)
            elif kind == "ATTENTION_CYCLE" and attention is None:
                fatigue = _number(data.get("medianTimeToFatigueMinutes"))
                if fatigue is not None:
                    attention = AttentionFinding(BREAK_SHARE_OF_FATIGUE * fatigue, conf)
            elif kind == "FORGETTING_CURVE" and forgetting is None:
                r0, k = _number(data.get("R0")), _number(data.get("k"))
                if r0 is not None and k is not None:
                    forgetting = ForgettingFinding(r0, k, conf)
        except InvalidParameter:
            continue  # a stored value the analysis refuses is not evidence
    study_time = StudyTimeFinding(tuple(hours), hour_conf) if hours else None
    struggles = []
    for objective, p, confidence in session.execute(
        _STRUGGLES_SQL, {"u": user_id, "now": at, "n": MAX_STRUGGLES}
    ):
        try:
            struggles.append(StrugglePrediction(str(objective), float(p), float(confidence)))
        except InvalidParameter:
            continue
    state = session.execute(
        _STATE_SQL,
        {
            "u": user_id,
            "now": at,
            "load_since": at - LOAD_MAX_AGE,
            "burnout_since": at - BURNOUT_MAX_AGE,
        },
    ).one()
    load = None
    if state.load is not None:
        try:
            load = LoadState(float(state.load), float(state.load_confidence or 0.0))
        except InvalidParameter:
            load = None
    return Evidence(
        study_time=study_time,
        duration=duration,
        attention=attention,
        forgetting=forgetting,
        struggles=tuple(struggles),
        load=load,
        burnout=BurnoutRiskLevel(state.burnout) if state.burnout else None,
    )
