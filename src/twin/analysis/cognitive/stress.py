"""Stress response patterns from 90 days of session loads, and the learner's stress profile.

Five kinds of pattern (ENGINE.md 5.4), each a group of sessions ("occurrences")
whose load stands out:

- TOPIC_SPECIFIC: one topic/objective's sessions average a load above 65
  (absolute rule, at least 3 sessions);
- TIME_OF_DAY (the time-pressure / hour-of-day pattern): sessions starting in one
  3-hour block of local time;
- EXAM_PROXIMITY: sessions 7 days or fewer before an exam;
- FATIGUE_BASED: sessions of 60 minutes or more;
- DIFFICULTY_INDUCED: sessions on content of difficulty ≥ 0.7 (0–1 scale).

The last four are comparisons with the learner's other sessions: the group must
average at least a MODERATE load (≥ 40), sit ≥ 10 points above the rest, and
pass a one-sided Welch t-test at 5 %, so that noise in one of eight hour blocks
does not become a "pattern".

Confidence = consistency × n / (n + 1) [× (1 − p) for comparisons], where
consistency is the share of the group's sessions above the reference (65 for
topics, the others' mean for comparisons). Patterns are kept at confidence ≥ 0.6
with ≥ 3 occurrences: three sessions of a topic all above 65 give 1 × 3/4 = 0.75.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
from scipy import stats

from twin.analysis.common import InsufficientData, aware_utc

HISTORY_DAYS = 90
MIN_SESSIONS_FOR_PATTERNS = 6
MIN_OCCURRENCES = 3
MIN_PATTERN_CONFIDENCE = 0.6
# n / (n + SAMPLE_PRIOR_SESSIONS): how much a group's size counts towards confidence.
SAMPLE_PRIOR_SESSIONS = 1.0

TOPIC_STRESS_MEAN_LOAD_ABOVE = 65.0
COMPARISON_MIN_GROUP_MEAN_LOAD = 40.0
COMPARISON_MIN_ELEVATION_POINTS = 10.0
COMPARISON_MAX_P_VALUE = 0.05
HOUR_BLOCK_HOURS = 3
EXAM_PROXIMITY_MAX_DAYS = 7.0
LONG_SESSION_MINUTES = 60.0
HARD_DIFFICULTY_MIN = 0.7

# --- profile ---------------------------------------------------------------
PROFILE_MIN_SESSIONS = 5
PRIMARY_STRESSORS_MAX = 3
HIGH_LOAD_MIN = 60.0
RECOVERED_LOAD_BELOW = 40.0
TOLERANCE_MIN_SESSIONS_WITH_PERFORMANCE = 20
TOLERANCE_BAND_WIDTH = 10.0
TOLERANCE_MIN_SESSIONS_PER_BAND = 3
# Performance this many points below the best band marks the load the learner no longer tolerates.
TOLERANCE_PERFORMANCE_DROP_POINTS = 10.0
TOLERANCE_FALLBACK_PERCENTILE = 90.0
SECONDS_PER_HOUR = 3600.0


class StressPatternType(StrEnum):
    """Kinds of stress response pattern."""

    TOPIC_SPECIFIC = "TOPIC_SPECIFIC"
    TIME_OF_DAY = "TIME_OF_DAY"
    EXAM_PROXIMITY = "EXAM_PROXIMITY"
    FATIGUE_BASED = "FATIGUE_BASED"
    DIFFICULTY_INDUCED = "DIFFICULTY_INDUCED"


@dataclass(frozen=True)
class SessionStressRecord:
    """One past session: its load and the circumstances it happened in.

    ``started_at`` is aware or naive UTC; ``local_hour`` is the start hour in the
    learner's time zone; ``difficulty`` is 0–1, ``performance`` 0–100.
    """

    started_at: datetime
    load: float
    local_hour: int
    duration_minutes: float
    topic_id: str | None = None
    days_to_exam: float | None = None
    difficulty: float | None = None
    performance: float | None = None


@dataclass(frozen=True)
class StressPattern:
    """A group of sessions whose load stands out, and the numbers behind it."""

    type: StressPatternType
    trigger: dict[str, Any]
    occurrences: int
    mean_load: float
    reference_load: float | None
    consistency: float
    confidence: float
    p_value: float | None
    description: str

    @property
    def elevation(self) -> float:
        """Points of load above the other sessions (0 when there are none to compare)."""
        return 0.0 if self.reference_load is None else self.mean_load - self.reference_load

    def pattern_data(self) -> dict[str, Any]:
        """``stress_response_patterns.patternData``."""
        return {
            "type": self.type.value,
            "trigger": self.trigger,
            "occurrences": self.occurrences,
            "meanLoad": round(self.mean_load, 2),
            "referenceLoad": None if self.reference_load is None else round(self.reference_load, 2),
            "elevation": round(self.elevation, 2),
            "consistency": round(self.consistency, 4),
            "pValue": self.p_value,
            "description": self.description,
        }


@dataclass(frozen=True)
class StressPatternResult:
    """Detected patterns (most important first), sessions considered, and any unmet minimum."""

    patterns: tuple[StressPattern, ...]
    sessions: int
    insufficient: InsufficientData | None = None


@dataclass(frozen=True)
class StressProfile:
    """Summary of how the learner responds to load."""

    primary_stressors: tuple[StressPattern, ...]
    load_tolerance: float | None
    load_tolerance_method: str
    mean_recovery_hours: float | None
    recovery_episodes: int
    unrecovered_episodes: int
    sessions: int
    mean_load: float | None
    insufficient: InsufficientData | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def details_json(self) -> dict[str, Any]:
        """The stored form: ``learner_load_profiles.details`` (besides its ``patterns``)."""
        return {
            "primaryStressors": [
                {"type": p.type.value, "trigger": p.trigger, "confidence": round(p.confidence, 3)}
                for p in self.primary_stressors
            ],
            "loadTolerance": self.load_tolerance,
            "loadToleranceMethod": self.load_tolerance_method,
            "meanRecoveryHours": self.mean_recovery_hours,
            "recoveryEpisodes": self.recovery_episodes,
            "unrecoveredEpisodes": self.unrecovered_episodes,
            "sessions": self.sessions,
            "meanLoad": self.mean_load,
            "insufficient": None if self.insufficient is None else self.insufficient.to_json(),
            "evidence": self.evidence,
        }


def _in_history(
    sessions: Sequence[SessionStressRecord], now: datetime
) -> list[SessionStressRecord]:
    """Sessions with ``now − 90 days < started_at ≤ now``, oldest first."""
    end = aware_utc(now)
    start = end - timedelta(days=HISTORY_DAYS)
    kept = [s for s in sessions if start < aware_utc(s.started_at) <= end and math.isfinite(s.load)]
    return sorted(kept, key=lambda s: aware_utc(s.started_at))


def _sample_factor(n: int) -> float:
    return n / (n + SAMPLE_PRIOR_SESSIONS)


def _topic_pattern(topic: str, group: list[float], rest: list[float]) -> StressPattern | None:
    """TOPIC_SPECIFIC when the topic's mean load is above 65 over ≥ 3 sessions."""
    n = len(group)
    if n < MIN_OCCURRENCES:
        return None
    mean = math.fsum(group) / n
    if mean <= TOPIC_STRESS_MEAN_LOAD_ABOVE:
        return None
    consistency = sum(1 for x in group if x > TOPIC_STRESS_MEAN_LOAD_ABOVE) / n
    return StressPattern(
        type=StressPatternType.TOPIC_SPECIFIC,
        trigger={"topicId": topic},
        occurrences=n,
        mean_load=mean,
        reference_load=math.fsum(rest) / len(rest) if rest else None,
        consistency=consistency,
        confidence=consistency * _sample_factor(n),
        p_value=None,
        description=f"Load averages {mean:.0f} on this topic over {n} sessions.",
    )


def _comparison_pattern(
    kind: StressPatternType,
    trigger: dict[str, Any],
    group: list[float],
    rest: list[float],
    description: str,
) -> StressPattern | None:
    """A group whose load is elevated against the other sessions, or None."""
    n = len(group)
    if n < MIN_OCCURRENCES or len(rest) < MIN_OCCURRENCES:
        return None
    mean = math.fsum(group) / n
    reference = math.fsum(rest) / len(rest)
    if mean < COMPARISON_MIN_GROUP_MEAN_LOAD or mean - reference < COMPARISON_MIN_ELEVATION_POINTS:
        return None
    p = float(stats.ttest_ind(group, rest, equal_var=False, alternative="greater").pvalue)
    if math.isnan(p):
        # Both groups constant: the difference is exact.
        p = 0.0
    if p > COMPARISON_MAX_P_VALUE:
        return None
    consistency = sum(1 for x in group if x > reference) / n
    return StressPattern(
        type=kind,
        trigger=trigger,
        occurrences=n,
        mean_load=mean,
        reference_load=reference,
        consistency=consistency,
        confidence=consistency * _sample_factor(n) * (1.0 - p),
        p_value=p,
        description=description.format(mean=mean, reference=reference, n=n),
    )


def _split(
    sessions: Sequence[SessionStressRecord],
    in_group: Callable[[SessionStressRecord], bool],
    in_rest: Callable[[SessionStressRecord], bool] | None = None,
) -> tuple[list[float], list[float]]:
    group = [s.load for s in sessions if in_group(s)]
    rest = [s.load for s in sessions if not in_group(s) and (in_rest is None or in_rest(s))]
    return group, rest


def detect_stress_patterns(
    sessions: Sequence[SessionStressRecord], now: datetime
) -> StressPatternResult:
    """Stress response patterns in the 90 days before ``now``, most important first."""
    history = _in_history(sessions, now)
    if len(history) < MIN_SESSIONS_FOR_PATTERNS:
        return StressPatternResult(
            (), len(history), InsufficientData("sessions", len(history), MIN_SESSIONS_FOR_PATTERNS)
        )
    found: list[StressPattern | None] = []

    for topic in sorted({s.topic_id for s in history if s.topic_id is not None}):
        group = [s.load for s in history if s.topic_id == topic]
        rest = [s.load for s in history if s.topic_id != topic]
        found.append(_topic_pattern(topic, group, rest))

    for block_start in range(0, 24, HOUR_BLOCK_HOURS):
        block_end = block_start + HOUR_BLOCK_HOURS
        group = [s.load for s in history if block_start <= s.local_hour % 24 < block_end]
        rest = [s.load for s in history if not block_start <= s.local_hour % 24 < block_end]
        found.append(
            _comparison_pattern(
                StressPatternType.TIME_OF_DAY,
                {"hourFrom": block_start, "hourTo": block_end},
                group,
                rest,
                f"Sessions starting {block_start:02d}:00–{block_end:02d}:00 average load "
                "{mean:.0f} against {reference:.0f} otherwise ({n} sessions).",
            )
        )

    group, rest = _split(
        history,
        lambda s: s.days_to_exam is not None and 0 <= s.days_to_exam <= EXAM_PROXIMITY_MAX_DAYS,
    )
    found.append(
        _comparison_pattern(
            StressPatternType.EXAM_PROXIMITY,
            {"daysToExamMax": EXAM_PROXIMITY_MAX_DAYS},
            group,
            rest,
            "In the week before an exam load averages {mean:.0f} against {reference:.0f} "
            "otherwise ({n} sessions).",
        )
    )

    group, rest = _split(history, lambda s: s.duration_minutes >= LONG_SESSION_MINUTES)
    found.append(
        _comparison_pattern(
            StressPatternType.FATIGUE_BASED,
            {"minDurationMinutes": LONG_SESSION_MINUTES},
            group,
            rest,
            f"Sessions of {LONG_SESSION_MINUTES:.0f}+ minutes average load "
            "{mean:.0f} against {reference:.0f} for shorter ones ({n} sessions).",
        )
    )

    group, rest = _split(
        history,
        lambda s: s.difficulty is not None and s.difficulty >= HARD_DIFFICULTY_MIN,
        lambda s: s.difficulty is not None,
    )
    found.append(
        _comparison_pattern(
            StressPatternType.DIFFICULTY_INDUCED,
            {"minDifficulty": HARD_DIFFICULTY_MIN},
            group,
            rest,
            "Hard content averages load {mean:.0f} against {reference:.0f} for easier "
            "content ({n} sessions).",
        )
    )

    kept = [
        p
        for p in found
        if p is not None
        and p.occurrences >= MIN_OCCURRENCES
        and p.confidence >= MIN_PATTERN_CONFIDENCE
    ]
    kept.sort(key=lambda p: (-p.confidence * max(p.mean_load, 1.0), p.type.value, str(p.trigger)))
    return StressPatternResult(tuple(kept), len(history))


def load_tolerance(
    loads: Sequence[float], performances: Sequence[float | None]
) -> tuple[float | None, str, dict[str, Any]]:
    """(tolerance, method, evidence): load at which performance drops, else the 90th percentile."""
    pairs = [
        (load, perf)
        for load, perf in zip(loads, performances, strict=True)
        if perf is not None and math.isfinite(load) and math.isfinite(perf)
    ]
    if len(pairs) >= TOLERANCE_MIN_SESSIONS_WITH_PERFORMANCE:
        bands: dict[int, list[float]] = {}
        for load, perf in pairs:
            index = min(int(load // TOLERANCE_BAND_WIDTH), int(100 // TOLERANCE_BAND_WIDTH) - 1)
            bands.setdefault(max(index, 0), []).append(perf)
        means = {
            i: math.fsum(v) / len(v)
            for i, v in sorted(bands.items())
            if len(v) >= TOLERANCE_MIN_SESSIONS_PER_BAND
        }
        if means:
            peak = max(means, key=lambda i: (means[i], -i))
            table = {f"{i * TOLERANCE_BAND_WIDTH:g}": round(m, 2) for i, m in means.items()}
            for i in sorted(means):
                if i > peak and means[i] <= means[peak] - TOLERANCE_PERFORMANCE_DROP_POINTS:
                    return i * TOLERANCE_BAND_WIDTH, "performance_drop", {"bandMeans": table}
            top = max(means)
            return (top + 1) * TOLERANCE_BAND_WIDTH, "no_drop_observed", {"bandMeans": table}
    if len(loads) >= PROFILE_MIN_SESSIONS:
        value = float(np.percentile(np.asarray(loads, dtype=float), TOLERANCE_FALLBACK_PERCENTILE))
        return value, "p90_load", {"sessions": len(loads)}
    return None, "none", {"sessions": len(loads)}


def recovery_times_hours(sessions: Sequence[SessionStressRecord]) -> tuple[list[float], int]:
    """Hours from the end of each high-load run (≥ 60) to the next session below 40; and the unrecovered count."""
    ordered = sorted(sessions, key=lambda s: aware_utc(s.started_at))
    times: list[float] = []
    last_high_end: datetime | None = None
    for s in ordered:
        start = aware_utc(s.started_at)
        if s.load >= HIGH_LOAD_MIN:
            last_high_end = start + timedelta(minutes=max(0.0, s.duration_minutes))
        elif s.load < RECOVERED_LOAD_BELOW and last_high_end is not None:
            times.append(max(0.0, (start - last_high_end).total_seconds() / SECONDS_PER_HOUR))
            last_high_end = None
    return times, int(last_high_end is not None)


def stress_profile(
    sessions: Sequence[SessionStressRecord],
    now: datetime,
    *,
    patterns: StressPatternResult | None = None,
) -> StressProfile:
    """Primary stressors, load tolerance and mean recovery time over the last 90 days."""
    history = _in_history(sessions, now)
    if patterns is None:
        patterns = detect_stress_patterns(sessions, now)
    if len(history) < PROFILE_MIN_SESSIONS:
        return StressProfile(
            primary_stressors=(),
            load_tolerance=None,
            load_tolerance_method="none",
            mean_recovery_hours=None,
            recovery_episodes=0,
            unrecovered_episodes=0,
            sessions=len(history),
            mean_load=(math.fsum(s.load for s in history) / len(history)) if history else None,
            insufficient=InsufficientData("sessions", len(history), PROFILE_MIN_SESSIONS),
        )
    loads = [s.load for s in history]
    tolerance, method, tolerance_evidence = load_tolerance(loads, [s.performance for s in history])
    times, unrecovered = recovery_times_hours(history)
    return StressProfile(
        primary_stressors=patterns.patterns[:PRIMARY_STRESSORS_MAX],
        load_tolerance=tolerance,
        load_tolerance_method=method,
        mean_recovery_hours=math.fsum(times) / len(times) if times else None,
        recovery_episodes=len(times),
        unrecovered_episodes=unrecovered,
        sessions=len(history),
        mean_load=math.fsum(loads) / len(loads),
        evidence={"loadTolerance": tolerance_evidence},
    )
