"""ATTENTION_CYCLE: 10-minute buckets, fatigue at < 80% of the first bucket, flow, break interval."""

from __future__ import annotations

import pytest

from tests.analysis.patterns.synth import marks, session
from twin.analysis.patterns.attention import analyze_attention, session_attention, session_buckets
from twin.enums import BehavioralPatternType


def test_buckets_golden() -> None:
    """Reviews at minutes 0-9 (5, 4 right), 10-19 (4, 2 right), 20-29 (2 only: does not count)."""
    s = session("a", duration=60, reviews=marks([(0, 4, 5), (10, 2, 4), (20, 2, 2)]))
    b = session_buckets(s)
    assert [(x.start_minute, x.correct, x.reviews) for x in b] == [(0, 4, 5), (10, 2, 4)]


def test_exactly_80_percent_of_first_bucket_is_not_fatigue() -> None:
    """First bucket 9/10 = 0.9; 80% of it is 0.72 = 18/25 (exactly: not below); 17/25 is below.

    (In floating point 0.8·0.9 = 0.7200000000000001, which would wrongly call 0.72 fatigue.)
    """
    edge = session("a", duration=60, reviews=marks([(0, 9, 10), (10, 18, 25), (20, 18, 25)]))
    assert session_attention(edge).fatigue_minute is None  # type: ignore[union-attr]
    below = session("b", duration=60, reviews=marks([(0, 9, 10), (10, 18, 25), (20, 17, 25)]))
    assert session_attention(below).fatigue_minute == 20  # type: ignore[union-attr]


def test_flow_needs_20_minutes_at_85_percent() -> None:
    """17/20 = exactly 85% for two consecutive buckets = 20 min flow; one bucket is 10 min, no flow."""
    flow = session_attention(
        session("a", duration=60, reviews=marks([(0, 17, 20), (10, 17, 20), (20, 3, 6)]))
    )
    assert flow is not None and flow.flow_minutes == 20 and flow.has_flow
    short = session_attention(
        session("b", duration=60, reviews=marks([(0, 17, 20), (10, 16, 20), (20, 17, 20)]))
    )
    assert short is not None and short.flow_minutes == 10 and not short.has_flow


def test_break_interval_is_90_percent_of_median_fatigue() -> None:
    """Fatigue at 30, 40, 50 min → median 40 → break every 0.9·40 = 36 min.

    Each session: 10 reviews per bucket, 9 right until fatigue, then 5 right (5/10 < 0.72).
    Confidence = min(1, 3/10) × fatigue rate 3/3 = 0.3.
    """
    sessions = []
    for i, onset in enumerate([30, 40, 50]):
        pattern = [(m, 9 if m < onset else 5, 10) for m in range(0, 70, 10)]
        sessions.append(session(f"s{i}", day=i, duration=70, reviews=marks(pattern)))
    r = analyze_attention(sessions)
    assert r.median_time_to_fatigue_minutes == 40
    assert r.suggested_break_minutes == pytest.approx(36.0)
    assert r.fatigue_rate == 1.0
    assert r.confidence == pytest.approx(0.3)
    (p,) = r.patterns()
    assert p.pattern_type == BehavioralPatternType.ATTENTION_CYCLE
    assert p.data["suggestedBreakIntervalMinutes"] == 36.0


def test_only_sessions_of_at_least_60_minutes() -> None:
    """A 59.9-minute session is ignored; exactly 60 is analysed; < 3 fatigued sessions: no pattern."""
    reviews = marks([(0, 9, 10), (10, 5, 10)])
    r = analyze_attention(
        [
            session("a", duration=59.9, reviews=reviews),
            session("b", day=1, duration=60, reviews=reviews),
        ]
    )
    assert (r.long_sessions, r.sessions_analyzed, r.sessions_fatigued) == (1, 1, 1)
    assert r.patterns() == []
    assert 0.0 <= r.confidence <= 1.0
