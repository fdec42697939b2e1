"""Load what personalization may act on: the learner's findings, each with its confidence.

One statement (:data:`_EVIDENCE_SQL`, one round trip) reads everything ENGINE 5.5's apply
uses:

- ``behavioral_patterns`` (5.1): best study hours (OPTIMAL_STUDY_TIME, best first by
  confidence), the optimal session length (SESSION_DURATION_PREFERENCE), the break
  interval (ATTENTION_CYCLE: 0.9 × median time to fatigue), the forgetting curve
  (FORGETTING_CURVE) and — only when the learner allows learning-style profiling
  (``learningStyleProfilingEnabled``) — the measured outcome per content type
  (CONTENT_TYPE_PREFERENCE's ``types``: score and items of each), at the pattern's
  confidence;
- open ``struggle_predictions`` (5.2, status PENDING), each with its **prerequisite
  gaps**: the objective's prerequisites below mastery 0.7 (5.2's threshold, the
  ``masteryLevel`` values of 5.2: NOT_STARTED 0 … MASTERED 1);
- **calibration**: the learner's last 100 validation answers with a stated confidence in
  the 90 days before ``now`` (:func:`~twin.analysis.personalization.evidence.
  calibration_from_responses`: none under 5 answers);
- **strong areas**: objectives of the learner's lectures at ``masteryLevel`` MASTERED
  (mastery 1), at confidence ``1 − weaknessScore`` (a mastered objective the platform
  still rates weak is doubtful);
- the latest cognitive load of the last 24 hours and burnout assessment of the last 7
  days (5.4);
- **calendar windows** (5.3), when a calendar is connected and has synced: the free
  blocks (at least 15 minutes; tentative time counts as busy) from ``now`` to the end of
  the learner's local day, from the cached busy blocks (never the network); confidence 1
  up to 2 hours after the last sync (orchestration's staleness), falling linearly to 0 at
  24 hours.

A stored value the analysis refuses (out of range) is left out rather than failing the
request: the answer then simply does not use it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.analysis.personalization.common import InvalidParameter, clip01
from twin.analysis.personalization.evidence import (
    AttentionFinding,
    ContentFinding,
    ContentOutcome,
    DurationFinding,
    Evidence,
    ForgettingFinding,
    FreeWindow,
    LoadState,
    Schedule,
    StrongArea,
    StrugglePrediction,
    StudyTimeFinding,
    calibration_from_responses,
)
from twin.analysis.struggle.contexts import MASTERY_LEVEL_VALUE
from twin.analysis.struggle.features import PREREQUISITE_MASTERY_THRESHOLD
from twin.enums import BurnoutRiskLevel

BREAK_SHARE_OF_FATIGUE = 0.9
"""Break a little before the learner's median time to fatigue (5.1's attention cycle)."""
LOAD_MAX_AGE = timedelta(hours=24)
BURNOUT_MAX_AGE = timedelta(days=7)
MAX_STRUGGLES = 20
CALIBRATION_MAX_AGE = timedelta(days=90)
CALIBRATION_MAX_RESPONSES = 100
MAX_STRONG_AREAS = 50
STRONG_MASTERY_LEVEL = "MASTERED"
SCHEDULE_FULL_CONFIDENCE_AGE = timedelta(hours=2)
"""Orchestration's staleness limit: a sync this recent is fully trusted."""
SCHEDULE_ZERO_CONFIDENCE_AGE = timedelta(hours=24)
MIN_FREE_WINDOW = timedelta(minutes=15)
BUSY_TOLERATED_WEIGHT = 0.0
"""Tentative blocks (weight 0.5) count as busy: a plan should not land on them."""
MINUTES_PER_DAY = 24 * 60

GAP_LEVELS = sorted(
    level for level, value in MASTERY_LEVEL_VALUE.items() if value < PREREQUISITE_MASTERY_THRESHOLD
)
"""Mastery levels below 5.2's prerequisite threshold (0.7): a prerequisite there is a gap."""

_EVIDENCE_SQL = sa.text(
    """
    SELECT
      (SELECT coalesce(json_agg(json_build_array(p.kind, p.data, p.confidence)
                                ORDER BY p.confidence DESC, p.seen DESC), '[]')
       FROM (SELECT "patternType"::text AS kind, "patternData" AS data, confidence,
                    "lastSeenAt" AS seen
             FROM behavioral_patterns
             WHERE "userId" = :u AND "patternType" IN
               ('OPTIMAL_STUDY_TIME', 'SESSION_DURATION_PREFERENCE', 'ATTENTION_CYCLE',
                'FORGETTING_CURVE', 'CONTENT_TYPE_PREFERENCE')) p) AS patterns,
      (SELECT coalesce(json_agg(json_build_array(s.objective, s.p, s.confidence, s.gaps)
                                ORDER BY s.p DESC, s.id), '[]')
       FROM (SELECT sp.id, sp."learningObjectiveId" AS objective,
                    sp."predictedStruggleProbability" AS p,
                    sp."predictionConfidence" AS confidence,
                    ARRAY(SELECT op."prerequisiteId" FROM objective_prerequisites op
                          JOIN learning_objectives lo ON lo.id = op."prerequisiteId"
                          WHERE op."objectiveId" = sp."learningObjectiveId"
                            AND lo."masteryLevel"::text = ANY(:gap_levels)
                          ORDER BY op."prerequisiteId") AS gaps
             FROM struggle_predictions sp
             WHERE sp."userId" = :u AND sp."predictionStatus" = 'PENDING'
               AND sp."predictionDate" <= :now
             ORDER BY sp."predictedStruggleProbability" DESC, sp.id LIMIT :n) s) AS struggles,
      (SELECT json_build_array("loadScore", "confidenceLevel") FROM cognitive_load_metrics
        WHERE "userId" = :u AND timestamp <= :now AND timestamp > :load_since
        ORDER BY timestamp DESC LIMIT 1) AS load,
      (SELECT "riskLevel"::text FROM burnout_risk_assessments
        WHERE "userId" = :u AND "assessmentDate" <= :now AND "assessmentDate" > :burnout_since
        ORDER BY "assessmentDate" DESC LIMIT 1) AS burnout,
      (SELECT coalesce(json_agg(json_build_array(v.confidence, v.score)), '[]')
       FROM (SELECT confidence, score FROM validation_responses
             WHERE "userId" = :u AND confidence IS NOT NULL
               AND "respondedAt" <= :now AND "respondedAt" > :cal_since
             ORDER BY "respondedAt" DESC LIMIT :cal_n) v) AS calibration,
      (SELECT coalesce(json_agg(json_build_array(o.id, o.weakness) ORDER BY o.id), '[]')
       FROM (SELECT lo.id, lo."weaknessScore" AS weakness
             FROM learning_objectives lo JOIN lectures l ON l.id = lo."lectureId"
             WHERE l."userId" = :u AND lo."masteryLevel"::text = :strong_level
             ORDER BY lo."weaknessScore", lo.id LIMIT :strong_n) o) AS strong,
      (SELECT json_build_array(c."lastSyncAt") FROM calendar_integrations c
        WHERE c."userId" = :u LIMIT 1) AS calendar,
      (SELECT coalesce(json_agg(json_build_array(b."startsAt", b."endsAt", b.weight)), '[]')
       FROM calendar_busy_blocks b
       WHERE b."userId" = :u AND b."startsAt" < :day_end AND b."endsAt" > :now) AS busy
    """
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _json(value: Any) -> Any:
    """A JSON column as Python (drivers hand back text or already-parsed values)."""
    return json.loads(value) if isinstance(value, str) else value


def _utc(text: str) -> datetime:
    return aware_utc(datetime.fromisoformat(text))


def _patterns(rows: Sequence[Any], content_allowed: bool) -> dict[str, Any]:
    hours: list[int] = []
    hour_conf = 0.0
    found: dict[str, Any] = {}
    for kind, data, confidence in rows:
        conf = float(confidence)
        data = data if isinstance(data, dict) else {}
        try:
            if kind == "OPTIMAL_STUDY_TIME":
                start = data.get("windowStartHour")
                if isinstance(start, int) and 0 <= start < 24 and start not in hours:
                    hours.append(start)
                    hour_conf = max(hour_conf, conf)
            elif kind == "SESSION_DURATION_PREFERENCE" and "duration" not in found:
                minutes = _number(data.get("optimalDurationMinutes"))
                if minutes is not None:
                    found["duration"] = DurationFinding(minutes, conf)
            elif kind == "ATTENTION_CYCLE" and "attention" not in found:
                fatigue = _number(data.get("medianTimeToFatigueMinutes"))
                if fatigue is not None:
                    found["attention"] = AttentionFinding(BREAK_SHARE_OF_FATIGUE * fatigue, conf)
            elif kind == "FORGETTING_CURVE" and "forgetting" not in found:
                r0, k = _number(data.get("R0")), _number(data.get("k"))
                if r0 is not None and k is not None:
                    found["forgetting"] = ForgettingFinding(r0, k, conf)
            elif kind == "CONTENT_TYPE_PREFERENCE" and content_allowed and "content" not in found:
                outcomes = []
                for t in data.get("types") or []:
                    score = _number(t.get("score")) if isinstance(t, dict) else None
                    items = t.get("items") if isinstance(t, dict) else None
                    if score is not None and isinstance(items, int) and items > 0:
                        outcomes.append(ContentOutcome(str(t.get("contentType")), score, items))
                if outcomes:
                    found["content"] = ContentFinding(tuple(outcomes), conf)
        except InvalidParameter:
            continue  # a stored value the analysis refuses is not evidence
    if hours:
        found["study_time"] = StudyTimeFinding(tuple(hours), hour_conf)
    return found


def _schedule(
    calendar: Any, busy_rows: Sequence[Any], timezone: str, now: datetime, day_end: datetime
) -> Schedule | None:
    """Today's free windows from the cached busy blocks; None without a synced calendar."""
    if calendar is None or calendar[0] is None:
        return None
    age = now - _utc(calendar[0])
    span = (SCHEDULE_ZERO_CONFIDENCE_AGE - SCHEDULE_FULL_CONFIDENCE_AGE).total_seconds()
    confidence = clip01(1.0 - (age - SCHEDULE_FULL_CONFIDENCE_AGE).total_seconds() / span)
    busy = BusyTime.of(BusyInterval(_utc(s), _utc(e), float(w)) for s, e, w in busy_rows)
    zone = ZoneInfo(timezone)
    windows = []
    for start, end in busy.free_blocks(
        now, day_end, min_length=MIN_FREE_WINDOW, tolerate_weight=BUSY_TOLERATED_WEIGHT
    ):
        minutes = min(MINUTES_PER_DAY, int((end - start).total_seconds() // 60))
        windows.append(FreeWindow(start.astimezone(zone).hour, minutes))
    return Schedule(tuple(windows), confidence)


def _end_of_local_day(now: datetime, timezone: str) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return aware_utc(midnight)


def load_evidence(
    session: Session,
    user_id: str,
    now: datetime,
    *,
    timezone: str = "UTC",
    content_allowed: bool = True,
) -> Evidence:
    """The learner's findings as of ``now`` (absent ones None / empty), in one statement.

    ``timezone`` sets the learner's day (calendar windows); ``content_allowed`` is the
    learner's consent to learning-style profiling (content outcomes).
    """
    now = aware_utc(now)
    at = storage_time(now)
    try:
        day_end = _end_of_local_day(now, timezone)
    except (KeyError, ValueError):  # an unknown zone name: the UTC day
        timezone, day_end = "UTC", _end_of_local_day(now, "UTC")
    row = session.execute(
        _EVIDENCE_SQL,
        {
            "u": user_id,
            "now": at,
            "n": MAX_STRUGGLES,
            "gap_levels": GAP_LEVELS,
            "load_since": at - LOAD_MAX_AGE,
            "burnout_since": at - BURNOUT_MAX_AGE,
            "cal_since": at - CALIBRATION_MAX_AGE,
            "cal_n": CALIBRATION_MAX_RESPONSES,
            "strong_level": STRONG_MASTERY_LEVEL,
            "strong_n": MAX_STRONG_AREAS,
            "day_end": storage_time(day_end),
        },
    ).one()
    found = _patterns(_json(row.patterns), content_allowed)
    struggles = []
    for objective, p, confidence, gaps in _json(row.struggles):
        try:
            struggles.append(
                StrugglePrediction(
                    str(objective), float(p), float(confidence), tuple(str(g) for g in gaps or ())
                )
            )
        except InvalidParameter:
            continue
    load = None
    load_row = _json(row.load)
    if load_row is not None and load_row[0] is not None:
        try:
            load = LoadState(float(load_row[0]), float(load_row[1] or 0.0))
        except InvalidParameter:
            load = None
    try:
        calibration = calibration_from_responses(
            [(float(c), float(s)) for c, s in _json(row.calibration)]
        )
    except InvalidParameter:
        calibration = None
    strong = []
    for objective, weakness in _json(row.strong):
        try:
            strong.append(
                StrongArea(
                    str(objective), MASTERY_LEVEL_VALUE[STRONG_MASTERY_LEVEL], clip01(1 - weakness)
                )
            )
        except InvalidParameter:
            continue
    return Evidence(
        study_time=found.get("study_time"),
        duration=found.get("duration"),
        attention=found.get("attention"),
        forgetting=found.get("forgetting"),
        content=found.get("content"),
        calibration=calibration,
        struggles=tuple(struggles),
        strong_areas=tuple(strong),
        load=load,
        burnout=BurnoutRiskLevel(row.burnout) if row.burnout else None,
        schedule=_schedule(_json(row.calendar), _json(row.busy), timezone, now, day_end),
    )
