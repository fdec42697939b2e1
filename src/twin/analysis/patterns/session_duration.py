"""SESSION_DURATION_PREFERENCE: which session length gives this learner the best sessions.

Sessions fall into the buckets <30, 30–40, 40–50, 50–60, 60–90 and ≥ 90 minutes (lower
edge inclusive: exactly 30 min is 30–40, exactly 90 is ≥ 90). Buckets with fewer than
3 sessions are skipped. Bucket score = ``0.5·performance + 0.3·completion·100 +
0.2·(1 − fatigue)·100`` on the bucket means, where a session's fatigue is the accuracy
of the first half of its reviews minus that of the second half (sessions with ≥ 6
reviews; with an odd count the middle review is left out). The bucket's mean fatigue
is clipped to [0, 1], so warming up (a negative drop) counts as no fatigue.

A component enters a bucket's mean only from the sessions that have it, and a bucket
has it only with at least 2 such sessions. To keep buckets comparable, a component
missing from any eligible bucket is dropped from every bucket and the weights of the
rest are renormalised (performance is always there).

Optimal duration = midpoint of the best bucket (<30 → 15, 30–40 → 35, 40–50 → 45,
50–60 → 55, 60–90 → 75, ≥ 90 → 90); per complexity BASIC −10 min and ADVANCED +15 min,
never below 10 min. Confidence = ``min(1, n/30) × (2·P − 1)`` with n the sessions in
eligible buckets and P = Φ((best − runner-up) / √(se_best² + se_runner²)) the normal
approximation of the chance the best bucket truly beats the runner-up (a bucket's se
from the per-session spread of each component, covariances ignored). One eligible
bucket is no comparison: confidence 0 and no pattern.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from twin.analysis.common import clip01, rounded
from twin.analysis.patterns.common import DetectedPattern, data_factor
from twin.analysis.patterns.inputs import COMPLEXITIES, PERCENT_MAX, SessionObs
from twin.enums import BehavioralPatternType

# (id, label, lower minutes inclusive, upper minutes exclusive, midpoint minutes)
DURATION_BUCKETS: tuple[tuple[str, str, float, float, int], ...] = (
    ("lt30", "<30 min", 0.0, 30.0, 15),
    ("30-40", "30–40 min", 30.0, 40.0, 35),
    ("40-50", "40–50 min", 40.0, 50.0, 45),
    ("50-60", "50–60 min", 50.0, 60.0, 55),
    ("60-90", "60–90 min", 60.0, 90.0, 75),
    ("90plus", "≥90 min", 90.0, math.inf, 90),
)
MIN_SESSIONS_PER_DURATION_BUCKET = 3
MIN_REVIEWS_FOR_FATIGUE = 6
MIN_VALUES_PER_COMPONENT = 2
DURATION_PERFORMANCE_WEIGHT = 0.5
DURATION_COMPLETION_WEIGHT = 0.3
DURATION_FRESHNESS_WEIGHT = 0.2
COMPLEXITY_OFFSET_MINUTES = {"BASIC": -10, "INTERMEDIATE": 0, "ADVANCED": 15}
MIN_RECOMMENDED_SESSION_MINUTES = 10
DURATION_FULL_CONFIDENCE_SESSIONS = 30


def bucket_of(duration_minutes: float) -> int:
    """Index into DURATION_BUCKETS of a session length."""
    for i, (_, _, lo, hi, _) in enumerate(DURATION_BUCKETS):
        if lo <= duration_minutes < hi:
            return i
    raise ValueError(f"duration must be ≥ 0, got {duration_minutes}")


def session_fatigue(session: SessionObs) -> float | None:
    """Accuracy of the first half of the reviews minus the second half (None under 6 reviews)."""
    reviews = session.sorted_reviews()
    n = len(reviews)
    if n < MIN_REVIEWS_FOR_FATIGUE:
        return None
    half = n // 2
    first = sum(r.correct for r in reviews[:half]) / half
    second = sum(r.correct for r in reviews[n - half :]) / half
    return first - second


@dataclass(frozen=True)
class DurationBucket:
    """Measures of one duration bucket (score fields None when the bucket is skipped)."""

    bucket_id: str
    label: str
    midpoint_minutes: int
    sessions: int
    mean_performance: float | None
    mean_completion: float | None
    completion_sessions: int
    mean_fatigue: float | None
    fatigue_sessions: int
    eligible: bool
    score: float | None = None
    standard_error: float | None = None


@dataclass(frozen=True)
class DurationResult:
    """Session-length preference of the learner."""

    buckets: tuple[DurationBucket, ...]
    components: tuple[str, ...]
    best: DurationBucket | None
    runner_up: DurationBucket | None
    prob_best_beats_runner_up: float | None
    optimal_minutes: int | None
    optimal_by_complexity: dict[str, int]
    average_minutes: float | None
    sessions_compared: int
    complexity_mix: dict[str, int]
    confidence: float

    @property
    def detected(self) -> bool:
        """A best bucket compared with at least one other."""
        return self.best is not None and self.runner_up is not None

    def patterns(self) -> list[DetectedPattern]:
        """The SESSION_DURATION_PREFERENCE pattern, when there is a comparison."""
        if not self.detected:
            return []
        best, runner = self.best, self.runner_up
        assert best is not None and runner is not None and best.score is not None
        assert runner.score is not None and self.optimal_minutes is not None
        table = "; ".join(
            f"{b.label}: {b.score:.1f} (n = {b.sessions})"
            for b in self.buckets
            if b.score is not None
        )
        return [
            DetectedPattern(
                pattern_type=BehavioralPatternType.SESSION_DURATION_PREFERENCE,
                key=f"bucket={best.bucket_id}",
                name=f"Best session length {best.label}",
                confidence=self.confidence,
                evidence=(
                    f"Sessions of {best.label} score {best.score:.1f} vs {runner.score:.1f} for "
                    f"{runner.label}, the runner-up (n = {best.sessions} and {runner.sessions} sessions)",
                    f"Bucket scores ({' + '.join(self.components)}): {table}",
                    f"Chance the best length truly beats the runner-up ≈ {self.prob_best_beats_runner_up:.0%}",
                ),
                data={
                    "bestBucket": best.bucket_id,
                    "bestLabel": best.label,
                    "optimalDurationMinutes": self.optimal_minutes,
                    "optimalByComplexity": dict(self.optimal_by_complexity),
                    "averageDurationMinutes": (
                        rounded(self.average_minutes, 1)
                        if self.average_minutes is not None
                        else None
                    ),
                    "bestScore": rounded(best.score),
                    "bestSessions": best.sessions,
                    "runnerUpBucket": runner.bucket_id,
                    "runnerUpLabel": runner.label,
                    "runnerUpScore": rounded(runner.score),
                    "runnerUpSessions": runner.sessions,
                    "probBestBeatsRunnerUp": rounded(self.prob_best_beats_runner_up or 0.0),
                    "components": list(self.components),
                    "sessionsCompared": self.sessions_compared,
                    "complexityMix": dict(self.complexity_mix),
                    "buckets": [
                        {
                            "bucket": b.bucket_id,
                            "label": b.label,
                            "sessions": b.sessions,
                            "score": rounded(b.score) if b.score is not None else None,
                            "meanPerformance": (
                                rounded(b.mean_performance)
                                if b.mean_performance is not None
                                else None
                            ),
                            "meanCompletion": (
                                rounded(b.mean_completion)
                                if b.mean_completion is not None
                                else None
                            ),
                            "meanFatigue": rounded(b.mean_fatigue)
                            if b.mean_fatigue is not None
                            else None,
                        }
                        for b in self.buckets
                    ],
                },
            )
        ]


def _mean_var(values: list[float]) -> tuple[float | None, float]:
    if len(values) < MIN_VALUES_PER_COMPONENT:
        return None, 0.0
    arr = np.array(values)
    return float(arr.mean()), float(arr.var(ddof=1))


def optimal_for_complexity(optimal_minutes: int) -> dict[str, int]:
    """Recommended minutes per objective complexity: BASIC −10, ADVANCED +15, at least 10."""
    return {
        c: max(MIN_RECOMMENDED_SESSION_MINUTES, optimal_minutes + COMPLEXITY_OFFSET_MINUTES[c])
        for c in COMPLEXITIES
    }


def analyze_session_duration(sessions: Sequence[SessionObs]) -> DurationResult:
    """Score each duration bucket and pick the best session length."""
    ordered = sorted(sessions, key=lambda s: (s.started_at, s.session_id))
    grouped: list[list[SessionObs]] = [[] for _ in DURATION_BUCKETS]
    for s in ordered:
        grouped[bucket_of(s.duration_minutes)].append(s)

    raw = []
    for (bid, label, _, _, mid), members in zip(DURATION_BUCKETS, grouped, strict=True):
        perf = [s.performance for s in members]
        comp = [c * PERCENT_MAX for s in members if (c := s.completion_rate) is not None]
        fat = [f for s in members if (f := session_fatigue(s)) is not None]
        raw.append(
            (bid, label, mid, members, _mean_var(perf), _mean_var(comp), comp, _mean_var(fat), fat)
        )

    eligible = [len(r[3]) >= MIN_SESSIONS_PER_DURATION_BUCKET for r in raw]
    components = ["performance"]
    if any(eligible) and all(r[5][0] is not None for r, e in zip(raw, eligible, strict=True) if e):
        components.append("completion")
    if any(eligible) and all(r[7][0] is not None for r, e in zip(raw, eligible, strict=True) if e):
        components.append("freshness")
    weights = {
        "performance": DURATION_PERFORMANCE_WEIGHT,
        "completion": DURATION_COMPLETION_WEIGHT,
        "freshness": DURATION_FRESHNESS_WEIGHT,
    }
    total_w = sum(weights[c] for c in components)

    buckets: list[DurationBucket] = []
    for (bid, label, mid, members, (pm, pv), (cm, cv), comp, (fm, fv), fat), ok in zip(
        raw, eligible, strict=True
    ):
        score = se = None
        if ok:
            assert pm is not None
            parts = [(weights["performance"], pm, pv, len(members))]
            if "completion" in components:
                assert cm is not None
                parts.append((weights["completion"], cm, cv, len(comp)))
            if "freshness" in components:
                assert fm is not None
                freshness = (1.0 - clip01(fm)) * PERCENT_MAX
                parts.append((weights["freshness"], freshness, fv * PERCENT_MAX**2, len(fat)))
            score = sum(w * v for w, v, _, _ in parts) / total_w
            se = math.sqrt(sum((w / total_w) ** 2 * var / k for w, _, var, k in parts))
        buckets.append(
            DurationBucket(
                bucket_id=bid,
                label=label,
                midpoint_minutes=mid,
                sessions=len(members),
                mean_performance=float(np.mean([s.performance for s in members]))
                if members
                else None,
                mean_completion=cm / PERCENT_MAX if cm is not None else None,
                completion_sessions=len(comp),
                mean_fatigue=fm,
                fatigue_sessions=len(fat),
                eligible=ok,
                score=score,
                standard_error=se,
            )
        )

    ranked = sorted(
        (b for b in buckets if b.score is not None),
        key=lambda b: -(b.score or 0.0),
    )
    best = ranked[0] if ranked else None
    runner = ranked[1] if len(ranked) > 1 else None
    prob = None
    confidence = 0.0
    compared = sum(b.sessions for b in buckets if b.eligible)
    if best is not None and runner is not None:
        assert best.score is not None and runner.score is not None
        gap = best.score - runner.score
        spread = math.hypot(best.standard_error or 0.0, runner.standard_error or 0.0)
        prob = float(stats.norm.cdf(gap / spread)) if spread > 0 else (1.0 if gap > 0 else 0.5)
        confidence = data_factor(compared, DURATION_FULL_CONFIDENCE_SESSIONS) * (2.0 * prob - 1.0)
    optimal = best.midpoint_minutes if best is not None else None
    mix: dict[str, int] = {}
    for s in ordered:
        if s.complexity is not None:
            mix[s.complexity] = mix.get(s.complexity, 0) + 1
    return DurationResult(
        buckets=tuple(buckets),
        components=tuple(components),
        best=best,
        runner_up=runner,
        prob_best_beats_runner_up=prob,
        optimal_minutes=optimal,
        optimal_by_complexity=optimal_for_complexity(optimal) if optimal is not None else {},
        average_minutes=float(np.mean([s.duration_minutes for s in ordered])) if ordered else None,
        sessions_compared=compared,
        complexity_mix=dict(sorted(mix.items())),
        confidence=confidence,
    )
