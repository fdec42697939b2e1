"""Cognitive load of one study session (ENGINE.md 5.4), recomputed as its reviews arrive.

Five sub-scores, each on 0–100 before weighting, so every one of them can move the
load over its whole range (the source system's duration factor could add at most
2.5 points):

- latency: 0 when the session's median latency is at or below the learner's
  baseline, 100 at twice the baseline;
- errors: 0 up to a 10 % error rate (the miss rate FSRS plans for), 100 at 50 %;
- engagement: mean of a pause-share score (100 at half the time paused) and a
  pause-rate score (100 at 12 pauses per active hour);
- decline: 0 with no drop, 100 at a 30-point drop (0–100 scale) from the first
  to the second half of the session's performance scores;
- duration: 0 up to the learner's optimal length, 100 at twice it.

``load = 0.30·latency + 0.25·errors + 0.20·engagement + 0.15·decline + 0.10·duration``.

Levels: LOW < 40 ≤ MODERATE < 60 ≤ HIGH < 80 ≤ CRITICAL (40 is MODERATE, 60 HIGH,
80 CRITICAL). Overload: load strictly above 80, or at least two indicators of
severity HIGH or CRITICAL.

Cost: about 30–50 µs per call on one core for a 50-response session (see
``tests/analysis/cognitive/test_load.py::test_benchmark_prints_cost``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from twin.analysis.cognitive.common import SEVERITY_RANK, LoadLevel, clamp_score, scaled_score
from twin.enums import Severity

# --- latency ---------------------------------------------------------------
# Ratio of the session's median latency to the learner's baseline at which the
# sub-score reaches 100: a doubling is far outside a learner's ordinary
# session-to-session spread of response times.
LATENCY_RATIO_AT_MAX = 2.0
# The baseline is the median of the last this-many previous sessions' medians (about a month
# of regular study), so that a week-long episode of slow answers cannot redefine "normal" ...
BASELINE_RECENT_SESSIONS = 30
# ... and exists only once this many previous sessions have a median.
BASELINE_MIN_SESSIONS = 3
# Without a baseline, the session's first third serves as the reference, from this many responses.
SESSION_START_BASELINE_MIN_RESPONSES = 6

# --- errors ----------------------------------------------------------------
# FSRS schedules for 90 % recall, so about 10 % misses is the expected error rate, not load.
EXPECTED_ERROR_RATE = 0.10
# Half the answers wrong is as bad as it gets for recall practice.
ERROR_RATE_AT_MAX = 0.50

# --- engagement ------------------------------------------------------------
# Share of wall time spent paused (pause / (pause + active)) at which the share score is 100.
PAUSE_SHARE_AT_MAX = 0.50
# Pauses per hour of active time at which the rate score is 100 (one pause every 5 minutes).
PAUSES_PER_HOUR_AT_MAX = 12.0
# Active time below this is counted as this much, so one early pause cannot look like a flood.
PAUSE_RATE_MIN_ACTIVE_MINUTES = 5.0

# --- performance decline ---------------------------------------------------
# Drop (performance points, 0–100 scale) from the first to the second half of the session at 100.
DECLINE_POINTS_AT_MAX = 30.0
# Fewer performance scores than this: decline is not measured.
DECLINE_MIN_SCORES = 4

# --- duration --------------------------------------------------------------
# Minutes beyond the optimal length, as a fraction of it, at which the sub-score is 100
# (a session twice the learner's optimal length).
DURATION_EXCESS_FRACTION_AT_MAX = 1.0
# Used when the learner's profile has no optimal session length yet (mid-range of 5.1's buckets).
DEFAULT_OPTIMAL_SESSION_MINUTES = 45.0

# --- levels, indicators, overload ------------------------------------------
LOAD_MODERATE_MIN = 40.0
LOAD_HIGH_MIN = 60.0
LOAD_CRITICAL_MIN = 80.0
# Overload when the load is strictly above this ...
OVERLOAD_LOAD_ABOVE = 80.0
# ... or when at least this many indicators are HIGH or CRITICAL.
OVERLOAD_MIN_HIGH_INDICATORS = 2
# Severity of a COGNITIVE_OVERLOAD struggle indicator from the load: CRITICAL from 80,
# then 5.2's severity bands on load/100 (HIGH above 0.7, MEDIUM above 0.4).
OVERLOAD_CRITICAL_FROM_LOAD = 80.0
OVERLOAD_HIGH_ABOVE_LOAD = 70.0
OVERLOAD_MEDIUM_ABOVE_LOAD = 40.0
# A sub-score becomes a reported stress indicator from this value on; severity bands above it.
INDICATOR_REPORT_MIN_SUBSCORE = 30.0
INDICATOR_MEDIUM_MIN_SUBSCORE = 50.0
INDICATOR_HIGH_MIN_SUBSCORE = 70.0
INDICATOR_CRITICAL_MIN_SUBSCORE = 90.0

# --- confidence ------------------------------------------------------------
MIN_RESPONSES_FOR_CONFIDENCE = 5
FEW_RESPONSES_CONFIDENCE_PENALTY = 0.4
NO_BASELINE_CONFIDENCE_PENALTY = 0.2
NO_LATENCY_CONFIDENCE_PENALTY = 0.1
DEFAULT_OPTIMAL_LENGTH_CONFIDENCE_PENALTY = 0.1
NO_DECLINE_DATA_CONFIDENCE_PENALTY = 0.1
MIN_CONFIDENCE = 0.1

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True)
class LoadWeights:
    """Weights of the five sub-scores (ENGINE.md 5.4); they sum to 1 so the load stays 0–100."""

    latency: float = 0.30
    errors: float = 0.25
    engagement: float = 0.20
    decline: float = 0.15
    duration: float = 0.10


LOAD_WEIGHTS = LoadWeights()


class StressIndicatorType(StrEnum):
    """Which sub-score an indicator comes from."""

    RESPONSE_LATENCY = "RESPONSE_LATENCY"
    ERROR_RATE = "ERROR_RATE"
    ENGAGEMENT_DROP = "ENGAGEMENT_DROP"
    PERFORMANCE_DECLINE = "PERFORMANCE_DECLINE"
    DURATION_STRESS = "DURATION_STRESS"


# The ``IndicatorType`` DB enum value each indicator belongs to (its ``category`` in JSON).
INDICATOR_CATEGORY: dict[StressIndicatorType, str] = {
    StressIndicatorType.RESPONSE_LATENCY: "COGNITIVE",
    StressIndicatorType.ERROR_RATE: "PERFORMANCE",
    StressIndicatorType.ENGAGEMENT_DROP: "ENGAGEMENT",
    StressIndicatorType.PERFORMANCE_DECLINE: "PERFORMANCE",
    StressIndicatorType.DURATION_STRESS: "BEHAVIORAL",
}

_INDICATOR_UNIT: dict[StressIndicatorType, str] = {
    StressIndicatorType.RESPONSE_LATENCY: "ratio to baseline latency",
    StressIndicatorType.ERROR_RATE: "share of responses wrong",
    StressIndicatorType.ENGAGEMENT_DROP: "share of session time paused",
    StressIndicatorType.PERFORMANCE_DECLINE: "performance points lost (0-100 scale)",
    StressIndicatorType.DURATION_STRESS: "minutes beyond optimal length",
}


@dataclass(frozen=True)
class SessionLoadInput:
    """One session so far, plus the learner's own reference values.

    ``active_seconds`` is time on task excluding pauses; ``performance_scores``
    are 0–100 in time order (e.g. accuracy per block of reviews).
    """

    latencies_ms: tuple[float, ...] = ()
    correct: tuple[bool, ...] = ()
    pause_count: int = 0
    pause_seconds: float = 0.0
    active_seconds: float = 0.0
    performance_scores: tuple[float, ...] = ()
    duration_minutes: float = 0.0
    baseline_latency_ms: float | None = None
    optimal_session_minutes: float | None = None


@dataclass(frozen=True)
class LoadSubScores:
    """The five sub-scores, each 0–100 before weighting."""

    latency: float
    errors: float
    engagement: float
    decline: float
    duration: float

    def stored_json(self) -> dict[str, float]:
        """The sub-scores by name, to two decimals (how readings and indicators store them)."""
        return {
            "latency": round(self.latency, 2),
            "errors": round(self.errors, 2),
            "engagement": round(self.engagement, 2),
            "decline": round(self.decline, 2),
            "duration": round(self.duration, 2),
        }


@dataclass(frozen=True)
class StressIndicator:
    """One elevated sub-score: what it measured and how much of the load it explains."""

    type: StressIndicatorType
    severity: Severity
    value: float
    sub_score: float
    contribution: float

    @property
    def category(self) -> str:
        """The ``IndicatorType`` value this indicator belongs to."""
        return INDICATOR_CATEGORY[self.type]

    @property
    def unit(self) -> str:
        """What ``value`` measures."""
        return _INDICATOR_UNIT[self.type]

    def stored_json(self) -> dict[str, Any]:
        """One element of ``cognitive_load_metrics.stressIndicators``."""
        return {
            "type": self.type.value,
            "category": self.category,
            "severity": self.severity.value,
            "value": round(self.value, 4),
            "unit": self.unit,
            "subScore": round(self.sub_score, 2),
            "contribution": round(self.contribution, 2),
        }


@dataclass(frozen=True)
class CognitiveLoad:
    """The load of one session, its level, the indicators behind it and how sure we are."""

    load_score: float
    level: LoadLevel
    sub_scores: LoadSubScores
    indicators: tuple[StressIndicator, ...]
    overloaded: bool
    confidence: float
    confidence_notes: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def stress_indicators_json(self) -> list[dict[str, Any]]:
        """The ``stressIndicators`` JSON array."""
        return [indicator.stored_json() for indicator in self.indicators]


def median_latency_ms(latencies_ms: Sequence[float]) -> float | None:
    """Median of the positive, finite latencies of one session; None when there are none."""
    valid = [x for x in latencies_ms if x > 0 and math.isfinite(x)]
    if not valid:
        return None
    return float(statistics.median(valid))


def baseline_latency_ms(previous_session_medians_ms: Sequence[float]) -> float | None:
    """The learner's baseline latency: median of the last 30 previous sessions' medians (oldest first).

    None until ``BASELINE_MIN_SESSIONS`` previous sessions have a median.
    """
    valid = [x for x in previous_session_medians_ms if x > 0 and math.isfinite(x)]
    if len(valid) < BASELINE_MIN_SESSIONS:
        return None
    return float(statistics.median(valid[-BASELINE_RECENT_SESSIONS:]))


def latency_subscore(latency_ratio: float) -> float:
    """0 at or below the baseline (ratio 1), 100 at ``LATENCY_RATIO_AT_MAX`` times it."""
    return scaled_score(latency_ratio, 1.0, LATENCY_RATIO_AT_MAX)


def error_subscore(error_rate: float) -> float:
    """0 up to the expected 10 % misses, 100 at 50 % wrong."""
    return scaled_score(error_rate, EXPECTED_ERROR_RATE, ERROR_RATE_AT_MAX)


def engagement_subscore(pause_share: float, pauses_per_hour: float) -> float:
    """Mean of the pause-share score and the pause-rate score."""
    share_score = scaled_score(pause_share, 0.0, PAUSE_SHARE_AT_MAX)
    rate_score = scaled_score(pauses_per_hour, 0.0, PAUSES_PER_HOUR_AT_MAX)
    return (share_score + rate_score) / 2.0


def decline_subscore(decline_points: float) -> float:
    """0 with no drop in performance, 100 at a 30-point drop between the session's halves."""
    return scaled_score(decline_points, 0.0, DECLINE_POINTS_AT_MAX)


def duration_subscore(duration_minutes: float, optimal_minutes: float) -> float:
    """0 up to the optimal length, 100 at twice it."""
    if optimal_minutes <= 0:
        return 0.0
    excess_fraction = (duration_minutes - optimal_minutes) / optimal_minutes
    return scaled_score(excess_fraction, 0.0, DURATION_EXCESS_FRACTION_AT_MAX)


def combine_load(sub_scores: LoadSubScores, weights: LoadWeights = LOAD_WEIGHTS) -> float:
    """``0.30·latency + 0.25·errors + 0.20·engagement + 0.15·decline + 0.10·duration``."""
    return clamp_score(
        weights.latency * sub_scores.latency
        + weights.errors * sub_scores.errors
        + weights.engagement * sub_scores.engagement
        + weights.decline * sub_scores.decline
        + weights.duration * sub_scores.duration
    )


def load_level(load_score: float) -> LoadLevel:
    """LOW < 40 ≤ MODERATE < 60 ≤ HIGH < 80 ≤ CRITICAL."""
    if load_score >= LOAD_CRITICAL_MIN:
        return LoadLevel.CRITICAL
    if load_score >= LOAD_HIGH_MIN:
        return LoadLevel.HIGH
    if load_score >= LOAD_MODERATE_MIN:
        return LoadLevel.MODERATE
    return LoadLevel.LOW


def indicator_severity(sub_score: float) -> Severity | None:
    """Severity of a sub-score as an indicator; None below ``INDICATOR_REPORT_MIN_SUBSCORE``."""
    if sub_score < INDICATOR_REPORT_MIN_SUBSCORE:
        return None
    if sub_score >= INDICATOR_CRITICAL_MIN_SUBSCORE:
        return Severity.CRITICAL
    if sub_score >= INDICATOR_HIGH_MIN_SUBSCORE:
        return Severity.HIGH
    if sub_score >= INDICATOR_MEDIUM_MIN_SUBSCORE:
        return Severity.MEDIUM
    return Severity.LOW


def is_overloaded(load_score: float, indicators: Sequence[StressIndicator]) -> bool:
    """Load strictly above 80, or at least two indicators of severity HIGH or worse."""
    high = sum(1 for i in indicators if SEVERITY_RANK[i.severity] >= SEVERITY_RANK[Severity.HIGH])
    return load_score > OVERLOAD_LOAD_ABOVE or high >= OVERLOAD_MIN_HIGH_INDICATORS


def _latency_ratio(
    latencies: Sequence[float], baseline_ms: float | None
) -> tuple[float | None, str, float | None, float | None]:
    """(ratio, source, session median, reference) for the latency sub-score."""
    valid = [x for x in latencies if x > 0 and math.isfinite(x)]
    if not valid:
        return None, "none", None, baseline_ms
    median = float(statistics.median(valid))
    if baseline_ms is not None and baseline_ms > 0:
        return median / baseline_ms, "learner_baseline", median, baseline_ms
    if len(valid) >= SESSION_START_BASELINE_MIN_RESPONSES:
        first_third = len(valid) // 3
        reference = float(statistics.median(valid[:first_third]))
        later = float(statistics.median(valid[first_third:]))
        return later / reference, "session_start", median, reference
    return None, "none", median, None


def _decline_points(scores: Sequence[float]) -> float | None:
    """Mean of the first half minus mean of the second half (odd middle score left out)."""
    if len(scores) < DECLINE_MIN_SCORES:
        return None
    half = len(scores) // 2
    first = math.fsum(scores[:half]) / half
    second = math.fsum(scores[-half:]) / half
    return first - second


def compute_cognitive_load(
    data: SessionLoadInput, weights: LoadWeights = LOAD_WEIGHTS
) -> CognitiveLoad:
    """The cognitive load (0–100) of one session, with level, indicators, overload and confidence."""
    notes: list[str] = []
    penalty = 0.0

    ratio, latency_source, session_median, reference = _latency_ratio(
        data.latencies_ms, data.baseline_latency_ms
    )
    latency = latency_subscore(ratio) if ratio is not None else 0.0
    if latency_source != "learner_baseline":
        penalty += NO_BASELINE_CONFIDENCE_PENALTY
        notes.append("no latency baseline from previous sessions")
    if ratio is None:
        penalty += NO_LATENCY_CONFIDENCE_PENALTY
        notes.append("latency not measurable")

    responses = len(data.correct)
    errors_count = responses - sum(1 for c in data.correct if c)
    error_rate = errors_count / responses if responses else 0.0
    errors = error_subscore(error_rate)
    if responses < MIN_RESPONSES_FOR_CONFIDENCE:
        penalty += FEW_RESPONSES_CONFIDENCE_PENALTY
        notes.append(f"fewer than {MIN_RESPONSES_FOR_CONFIDENCE} responses ({responses})")

    pause_seconds = max(0.0, data.pause_seconds)
    active_seconds = max(0.0, data.active_seconds)
    wall_seconds = pause_seconds + active_seconds
    pause_share = pause_seconds / wall_seconds if wall_seconds > 0 else 0.0
    active_hours = max(
        active_seconds / SECONDS_PER_HOUR,
        PAUSE_RATE_MIN_ACTIVE_MINUTES * SECONDS_PER_MINUTE / SECONDS_PER_HOUR,
    )
    pauses_per_hour = max(0, data.pause_count) / active_hours
    engagement = engagement_subscore(pause_share, pauses_per_hour)

    decline_points = _decline_points(data.performance_scores)
    decline = decline_subscore(decline_points) if decline_points is not None else 0.0
    if decline_points is None:
        penalty += NO_DECLINE_DATA_CONFIDENCE_PENALTY
        notes.append(f"fewer than {DECLINE_MIN_SCORES} performance scores")

    optimal = data.optimal_session_minutes
    if optimal is None or optimal <= 0:
        optimal = DEFAULT_OPTIMAL_SESSION_MINUTES
        penalty += DEFAULT_OPTIMAL_LENGTH_CONFIDENCE_PENALTY
        notes.append(f"default optimal session length ({DEFAULT_OPTIMAL_SESSION_MINUTES:g} min)")
    duration = duration_subscore(data.duration_minutes, optimal)
    excess_minutes = max(0.0, data.duration_minutes - optimal)

    sub_scores = LoadSubScores(latency, errors, engagement, decline, duration)
    load = combine_load(sub_scores, weights)

    measured: list[tuple[StressIndicatorType, float, float, float]] = [
        (StressIndicatorType.RESPONSE_LATENCY, ratio or 0.0, latency, weights.latency),
        (StressIndicatorType.ERROR_RATE, error_rate, errors, weights.errors),
        (StressIndicatorType.ENGAGEMENT_DROP, pause_share, engagement, weights.engagement),
        (StressIndicatorType.PERFORMANCE_DECLINE, decline_points or 0.0, decline, weights.decline),
        (StressIndicatorType.DURATION_STRESS, excess_minutes, duration, weights.duration),
    ]
    indicators: list[StressIndicator] = []
    for kind, value, sub_score, weight in measured:
        severity = indicator_severity(sub_score)
        if severity is not None:
            indicators.append(StressIndicator(kind, severity, value, sub_score, weight * sub_score))
    indicators.sort(key=lambda i: -i.contribution)

    return CognitiveLoad(
        load_score=load,
        level=load_level(load),
        sub_scores=sub_scores,
        indicators=tuple(indicators),
        overloaded=is_overloaded(load, indicators),
        confidence=max(MIN_CONFIDENCE, 1.0 - penalty),
        confidence_notes=tuple(notes),
        evidence={
            "responses": responses,
            "errors": errors_count,
            "errorRate": error_rate,
            "medianLatencyMs": session_median,
            "referenceLatencyMs": reference,
            "latencyRatio": ratio,
            "latencySource": latency_source,
            "pauseCount": data.pause_count,
            "pauseShare": pause_share,
            "pausesPerHour": pauses_per_hour,
            "declinePoints": decline_points,
            "durationMinutes": data.duration_minutes,
            "optimalSessionMinutes": optimal,
            "excessMinutes": excess_minutes,
        },
    )


def overload_severity(load_score: float) -> Severity:
    """Severity of a COGNITIVE_OVERLOAD indicator from the load (0–100)."""
    if load_score >= OVERLOAD_CRITICAL_FROM_LOAD:
        return Severity.CRITICAL
    if load_score > OVERLOAD_HIGH_ABOVE_LOAD:
        return Severity.HIGH
    if load_score > OVERLOAD_MEDIUM_ABOVE_LOAD:
        return Severity.MEDIUM
    return Severity.LOW


def stored_overloaded(load_score: float, indicators: Sequence[dict[str, Any]]) -> bool:
    """Overload of a stored reading: load above 80 or at least two HIGH+ indicators."""
    severe = {Severity.HIGH.value, Severity.CRITICAL.value}
    high = sum(1 for i in indicators if isinstance(i, dict) and i.get("severity") in severe)
    return load_score > OVERLOAD_LOAD_ABOVE or high >= OVERLOAD_MIN_HIGH_INDICATORS
