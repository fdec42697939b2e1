"""ATTENTION_CYCLE: when accuracy fades within long sessions, and when the learner is in flow.

Sessions of at least 60 minutes are split into 10-minute buckets by review time; a
bucket's accuracy is correct / reviews and counts only with at least 3 reviews (one or
two answers say little). The reference is the session's first bucket that counts.
Time-to-fatigue is the start minute of the first later bucket whose accuracy is below
80% of the reference; flow is a run of consecutive counting buckets with accuracy
≥ 85% lasting ≥ 20 minutes. Thresholds are compared as exact fractions, so an
accuracy of exactly 80% of the reference is not fatigue and exactly 85% is flow.

Suggested break interval = 0.9 × median time-to-fatigue over the sessions that showed
fatigue (sessions that never tire are counted in the fatigue rate, not in the median).
Confidence = ``min(1, fatigued sessions / 10) × fatigue rate``: more sessions showing
the drop, and a drop that shows in more of the long sessions, make the pattern surer.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from twin.analysis.common import rounded
from twin.analysis.patterns.common import DetectedPattern, data_factor
from twin.analysis.patterns.inputs import SessionObs
from twin.enums import BehavioralPatternType

ATTENTION_MIN_SESSION_MINUTES = 60.0
ATTENTION_BUCKET_MINUTES = 10
MIN_REVIEWS_PER_BUCKET = 3
FATIGUE_ACCURACY_RATIO = Fraction(4, 5)
FLOW_MIN_ACCURACY = Fraction(17, 20)
FLOW_MIN_MINUTES = 20
BREAK_INTERVAL_FRACTION_OF_FATIGUE = 0.9
MIN_FATIGUED_SESSIONS = 3
ATTENTION_FULL_CONFIDENCE_SESSIONS = 10


@dataclass(frozen=True)
class Bucket:
    """One 10-minute slice of a session."""

    start_minute: int
    correct: int
    reviews: int

    @property
    def accuracy(self) -> Fraction:
        """Exact share correct."""
        return Fraction(self.correct, self.reviews)


@dataclass(frozen=True)
class SessionAttention:
    """Attention measures of one long session."""

    session_id: str
    buckets: tuple[Bucket, ...]
    fatigue_minute: int | None
    flow_minutes: int

    @property
    def has_flow(self) -> bool:
        """At least 20 consecutive minutes at ≥ 85% accuracy."""
        return self.flow_minutes >= FLOW_MIN_MINUTES


@dataclass(frozen=True)
class AttentionResult:
    """Attention cycle of the learner over their long sessions."""

    long_sessions: int
    sessions_analyzed: int
    sessions_fatigued: int
    median_time_to_fatigue_minutes: float | None
    suggested_break_minutes: float | None
    fatigue_rate: float
    flow_sessions: int
    flow_rate: float
    accuracy_curve: tuple[tuple[int, float, int], ...]
    per_session: tuple[SessionAttention, ...]
    confidence: float
    detected: bool

    def patterns(self) -> list[DetectedPattern]:
        """The ATTENTION_CYCLE pattern when enough long sessions showed fatigue."""
        if not self.detected or self.median_time_to_fatigue_minutes is None:
            return []
        assert self.suggested_break_minutes is not None
        curve = ", ".join(
            f"{m}–{m + ATTENTION_BUCKET_MINUTES} min {a:.0%}" for m, a, _ in self.accuracy_curve
        )
        return [
            DetectedPattern(
                pattern_type=BehavioralPatternType.ATTENTION_CYCLE,
                key="attention",
                name=f"Accuracy drops after about {self.median_time_to_fatigue_minutes:.0f} minutes",
                confidence=self.confidence,
                evidence=(
                    f"In {self.sessions_fatigued} of {self.sessions_analyzed} sessions of ≥ 60 min "
                    f"accuracy fell below 80% of its starting level, after a median "
                    f"{self.median_time_to_fatigue_minutes:.0f} min",
                    f"{self.flow_sessions} of {self.sessions_analyzed} sessions had ≥ 20 min at ≥ 85% accuracy (flow)",
                    f"Accuracy by 10-minute block, all long sessions: {curve}",
                ),
                data={
                    "longSessions": self.long_sessions,
                    "sessionsAnalyzed": self.sessions_analyzed,
                    "sessionsFatigued": self.sessions_fatigued,
                    "fatigueRate": rounded(self.fatigue_rate),
                    "medianTimeToFatigueMinutes": rounded(self.median_time_to_fatigue_minutes, 1),
                    "suggestedBreakIntervalMinutes": rounded(self.suggested_break_minutes, 1),
                    "flowSessions": self.flow_sessions,
                    "flowRate": rounded(self.flow_rate),
                    "accuracyCurve": [
                        {"startMinute": m, "accuracy": rounded(a), "reviews": k}
                        for m, a, k in self.accuracy_curve
                    ],
                },
            )
        ]


def session_buckets(session: SessionObs) -> tuple[Bucket, ...]:
    """The session's 10-minute buckets that have at least 3 reviews, in time order."""
    tallies: dict[int, list[int]] = {}
    for r in session.reviews:
        idx = int(r.minute // ATTENTION_BUCKET_MINUTES)
        t = tallies.setdefault(idx, [0, 0])
        t[0] += int(r.correct)
        t[1] += 1
    return tuple(
        Bucket(i * ATTENTION_BUCKET_MINUTES, c, n)
        for i, (c, n) in sorted(tallies.items())
        if n >= MIN_REVIEWS_PER_BUCKET
    )


def session_attention(session: SessionObs) -> SessionAttention | None:
    """Fatigue onset and longest flow of one session (None when no bucket counts)."""
    buckets = session_buckets(session)
    if not buckets:
        return None
    threshold = FATIGUE_ACCURACY_RATIO * buckets[0].accuracy
    fatigue = next((b.start_minute for b in buckets[1:] if b.accuracy < threshold), None)
    best = run = 0
    previous_start: int | None = None
    for b in buckets:
        contiguous = (
            previous_start is not None
            and b.start_minute == previous_start + ATTENTION_BUCKET_MINUTES
        )
        if b.accuracy >= FLOW_MIN_ACCURACY:
            run = (
                run + ATTENTION_BUCKET_MINUTES
                if contiguous and run > 0
                else ATTENTION_BUCKET_MINUTES
            )
        else:
            run = 0
        best = max(best, run)
        previous_start = b.start_minute
    return SessionAttention(session.session_id, buckets, fatigue, best)


def analyze_attention(sessions: Sequence[SessionObs]) -> AttentionResult:
    """Time-to-fatigue, flow and a break interval from sessions of at least 60 minutes."""
    ordered = sorted(sessions, key=lambda s: (s.started_at, s.session_id))
    long_sessions = [s for s in ordered if s.duration_minutes >= ATTENTION_MIN_SESSION_MINUTES]
    analysed = [a for a in (session_attention(s) for s in long_sessions) if a is not None]
    fatigue_minutes = [a.fatigue_minute for a in analysed if a.fatigue_minute is not None]
    n = len(analysed)
    median = float(statistics.median(fatigue_minutes)) if fatigue_minutes else None
    brk = BREAK_INTERVAL_FRACTION_OF_FATIGUE * median if median is not None else None
    fatigue_rate = len(fatigue_minutes) / n if n else 0.0
    flow = sum(a.has_flow for a in analysed)
    pooled: dict[int, list[int]] = {}
    for a in analysed:
        for b in a.buckets:
            t = pooled.setdefault(b.start_minute, [0, 0])
            t[0] += b.correct
            t[1] += b.reviews
    curve = tuple((m, c / k, k) for m, (c, k) in sorted(pooled.items()))
    detected = len(fatigue_minutes) >= MIN_FATIGUED_SESSIONS
    confidence = (
        data_factor(len(fatigue_minutes), ATTENTION_FULL_CONFIDENCE_SESSIONS) * fatigue_rate
        if detected
        else data_factor(n, ATTENTION_FULL_CONFIDENCE_SESSIONS)
    )
    return AttentionResult(
        long_sessions=len(long_sessions),
        sessions_analyzed=n,
        sessions_fatigued=len(fatigue_minutes),
        median_time_to_fatigue_minutes=median,
        suggested_break_minutes=brk,
        fatigue_rate=fatigue_rate,
        flow_sessions=flow,
        flow_rate=flow / n if n else 0.0,
        accuracy_curve=curve,
        per_session=tuple(analysed),
        confidence=confidence,
        detected=detected,
    )
