"""SESSION_DURATION_PREFERENCE: buckets, bucket score, fatigue, complexity offsets, recovery."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tests.analysis.patterns.synth import duration_learner, marks, session
from twin.analysis.patterns.session_duration import (
    DURATION_BUCKETS,
    analyze_session_duration,
    bucket_of,
    optimal_for_complexity,
    session_fatigue,
)
from twin.enums import BehavioralPatternType

REPLICATES = 60


@pytest.mark.parametrize(
    ("minutes", "bucket"),
    [
        (0, "lt30"),
        (29.99, "lt30"),
        (30, "30-40"),
        (39.99, "30-40"),
        (40, "40-50"),
        (50, "50-60"),
        (59.99, "50-60"),
        (60, "60-90"),
        (89.99, "60-90"),
        (90, "90plus"),
        (240, "90plus"),
    ],
)
def test_bucket_boundaries(minutes: float, bucket: str) -> None:
    """Lower edges are inclusive: 30 → 30–40, 60 → 60–90, 90 → ≥ 90."""
    assert DURATION_BUCKETS[bucket_of(minutes)][0] == bucket


def test_session_fatigue_golden() -> None:
    """8 reviews: first half 4/4 right, second half 1/4 → fatigue 1 − 0.25 = 0.75; 5 reviews → None.

    With 7 reviews the middle one is left out: 3/3 vs 0/3 → 1.0.
    """
    eight = session("a", reviews=marks([(0, 4, 4), (10, 1, 4)]))
    assert session_fatigue(eight) == pytest.approx(0.75)
    assert session_fatigue(session("b", reviews=marks([(0, 5, 5)]))) is None
    seven = session("c", reviews=marks([(0, 3, 3), (10, 1, 1), (20, 0, 3)]))
    assert session_fatigue(seven) == pytest.approx(1.0)


def test_bucket_score_golden() -> None:
    """Two buckets of 3 sessions; every session has a completion and ≥ 6 reviews.

    40–50: performance 80, completion 0.9, fatigue 0 (3/3 right in both halves)
      → 0.5·80 + 0.3·90 + 0.2·(1 − 0)·100 = 40 + 27 + 20 = 87.
    60–90: performance 70, completion 0.6, fatigue 0.5 (4/4 right, then 2/4)
      → 0.5·70 + 0.3·60 + 0.2·(1 − 0.5)·100 = 35 + 18 + 10 = 63.
    Best 40–50 → 45 min; BASIC 35, ADVANCED 60. Both buckets have zero spread → P = 1,
    confidence = min(1, 6/30) × (2·1 − 1) = 0.2.
    """
    fresh = marks([(0, 3, 3), (10, 3, 3)])
    half_tired = marks([(0, 4, 4), (10, 2, 4)])
    sessions = [
        session(f"a{i}", day=i, duration=45, performance=80, completion=0.9, reviews=fresh)
        for i in range(3)
    ] + [
        session(f"b{i}", day=i, duration=75, performance=70, completion=0.6, reviews=half_tired)
        for i in range(3)
    ]
    r = analyze_session_duration(sessions)
    scores = {b.bucket_id: b.score for b in r.buckets if b.score is not None}
    assert scores == {"40-50": pytest.approx(87.0), "60-90": pytest.approx(63.0)}
    assert r.components == ("performance", "completion", "freshness")
    assert r.optimal_minutes == 45
    assert r.optimal_by_complexity == {"BASIC": 35, "INTERMEDIATE": 45, "ADVANCED": 60}
    assert r.confidence == pytest.approx(0.2)
    (p,) = r.patterns()
    assert p.pattern_type == BehavioralPatternType.SESSION_DURATION_PREFERENCE
    assert p.key == "bucket=40-50"


def test_confidence_from_separation_golden() -> None:
    """Performance only: 40–50 = 80, 82, 84 (mean 82, var 4); 30–40 = 70, 74, 78 (mean 74, var 16).

    se = √(4/3) and √(16/3); P = Φ(8 / √(20/3)) = Φ(3.098); confidence = min(1, 6/30)·(2P − 1).
    """
    sessions = [
        session(f"a{i}", day=i, duration=45, performance=p) for i, p in enumerate([80, 82, 84])
    ]
    sessions += [
        session(f"b{i}", day=i, duration=35, performance=p) for i, p in enumerate([70, 74, 78])
    ]
    r = analyze_session_duration(sessions)
    prob = stats.norm.cdf(8 / math.sqrt(20 / 3))
    assert r.prob_best_beats_runner_up == pytest.approx(prob)
    assert r.confidence == pytest.approx(0.2 * (2 * prob - 1))
    assert r.components == ("performance",)


def test_buckets_with_fewer_than_3_sessions_are_skipped() -> None:
    """Exactly 3 sessions make a bucket eligible; 2 do not; one eligible bucket is no comparison."""
    three = [session(f"a{i}", day=i, duration=45, performance=80) for i in range(3)]
    two = [session(f"b{i}", day=i, duration=95, performance=99) for i in range(2)]
    r = analyze_session_duration(three + two)
    assert [b.bucket_id for b in r.buckets if b.eligible] == ["40-50"]
    assert r.best is not None and r.best.bucket_id == "40-50"
    assert r.runner_up is None and r.patterns() == [] and r.confidence == 0.0


def test_90_plus_optimal_is_90_and_short_floor() -> None:
    """Best bucket ≥ 90 → 90 min; <30 → 15 min, BASIC would be 5 → floored to 10."""
    assert optimal_for_complexity(90) == {"BASIC": 80, "INTERMEDIATE": 90, "ADVANCED": 105}
    assert optimal_for_complexity(15) == {"BASIC": 10, "INTERMEDIATE": 15, "ADVANCED": 30}


def test_true_best_bucket_found_for_at_least_85_percent() -> None:
    """60 seeded learners (10 per true best bucket), 60 sessions each, best +10 points, sd 8."""
    hits = 0
    for seed in range(REPLICATES):
        best = seed % len(DURATION_BUCKETS)
        r = analyze_session_duration(
            duration_learner(np.random.default_rng(seed), best_bucket=best)
        )
        hits += r.best is not None and r.best.bucket_id == DURATION_BUCKETS[best][0]
    assert hits >= 0.85 * REPLICATES
