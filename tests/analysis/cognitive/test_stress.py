"""Stress response patterns and the stress profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scipy import stats

from twin.analysis.cognitive.stress import (
    SessionStressRecord,
    StressPatternType,
    detect_stress_patterns,
    load_tolerance,
    recovery_times_hours,
    stress_profile,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _session(
    days_ago: float,
    load: float,
    *,
    topic: str | None = None,
    hour: int = 10,
    duration: float = 30.0,
    days_to_exam: float | None = None,
    difficulty: float | None = None,
    performance: float | None = None,
) -> SessionStressRecord:
    return SessionStressRecord(
        started_at=NOW - timedelta(days=days_ago),
        load=load,
        local_hour=hour,
        duration_minutes=duration,
        topic_id=topic,
        days_to_exam=days_to_exam,
        difficulty=difficulty,
        performance=performance,
    )


def _calm(n: int, start_days_ago: float = 60.0, **kwargs: object) -> list[SessionStressRecord]:
    """n ordinary sessions with loads 30, 32, 34, 30, … at 10:00."""
    return [_session(start_days_ago - i, 30.0 + 2 * (i % 3), **kwargs) for i in range(n)]  # type: ignore[arg-type]


def _types(sessions: list[SessionStressRecord]) -> dict[StressPatternType, list[dict[str, object]]]:
    found: dict[StressPatternType, list[dict[str, object]]] = {}
    for p in detect_stress_patterns(sessions, NOW).patterns:
        found.setdefault(p.type, []).append(p.trigger)
    return found


def test_topic_edges() -> None:
    """Mean > 65 over ≥ 3 sessions, consistently: A yes; B at exactly 65, C with 2, D inconsistent: no."""
    sessions = _calm(6)
    sessions += [_session(10 + i, 66.0, topic="A") for i in range(3)]
    sessions += [_session(20 + i, 65.0, topic="B") for i in range(3)]
    sessions += [_session(30 + i, 90.0, topic="C") for i in range(2)]
    # mean 66 but only one of three above 65: consistency 1/3, confidence 1/3 × 3/4 = 0.25
    sessions += [_session(40 + i, load, topic="D") for i, load in enumerate((90.0, 64.0, 44.0))]
    result = detect_stress_patterns(sessions, NOW)
    topics = [p for p in result.patterns if p.type is StressPatternType.TOPIC_SPECIFIC]
    assert [p.trigger for p in topics] == [{"topicId": "A"}]
    (a,) = topics
    assert a.mean_load == pytest.approx(66.0)
    assert a.occurrences == 3
    # consistency 3/3 × sample factor 3/(3 + 1) = 0.75
    assert a.confidence == pytest.approx(0.75)
    assert a.pattern_data()["trigger"] == {"topicId": "A"}


def test_topic_confidence_grows_with_sessions() -> None:
    """Nine sessions all above 65: 1 × 9/10 = 0.9."""
    sessions = _calm(6) + [_session(10 + i, 80.0, topic="A") for i in range(9)]
    (pattern,) = detect_stress_patterns(sessions, NOW).patterns
    assert pattern.confidence == pytest.approx(0.9)


def test_hour_of_day_pattern_with_welch_test() -> None:
    """Five late sessions at ~75 against ten morning ones at ~31: a TIME_OF_DAY pattern."""
    late_loads = [72.0, 74.0, 75.0, 76.0, 78.0]
    sessions = _calm(10) + [_session(5 + i, x, hour=22) for i, x in enumerate(late_loads)]
    result = detect_stress_patterns(sessions, NOW)
    (pattern,) = result.patterns
    assert pattern.type is StressPatternType.TIME_OF_DAY
    assert pattern.trigger == {"hourFrom": 21, "hourTo": 24}
    assert pattern.mean_load == pytest.approx(75.0)
    calm_loads = [s.load for s in _calm(10)]
    assert pattern.reference_load == pytest.approx(sum(calm_loads) / 10)
    p = stats.ttest_ind(late_loads, calm_loads, equal_var=False, alternative="greater").pvalue
    assert pattern.p_value == pytest.approx(p)
    # consistency 5/5 × 5/6 × (1 − p)
    assert pattern.confidence == pytest.approx(5 / 6 * (1 - p))


def test_exam_proximity_edge() -> None:
    """7 days to the exam counts, 7.5 does not."""
    near = [_session(3 + i, 70.0 + i, days_to_exam=7.0) for i in range(3)]
    far = [_session(3 + i, 70.0 + i, days_to_exam=7.5) for i in range(3)]
    assert StressPatternType.EXAM_PROXIMITY in _types(_calm(10) + near)
    assert StressPatternType.EXAM_PROXIMITY not in _types(_calm(10) + far)


def test_fatigue_and_difficulty_patterns() -> None:
    """Long sessions and hard content with elevated load are patterns of their own."""
    long_ones = [_session(3 + i, 68.0 + i, duration=75.0) for i in range(4)]
    assert StressPatternType.FATIGUE_BASED in _types(_calm(10) + long_ones)
    hard = [_session(3 + i, 68.0 + i, difficulty=0.9) for i in range(4)]
    easy = _calm(10, difficulty=0.3)
    assert StressPatternType.DIFFICULTY_INDUCED in _types(easy + hard)
    # no difficulty known for the rest: nothing to compare with
    assert StressPatternType.DIFFICULTY_INDUCED not in _types(_calm(10) + hard)


def test_small_elevation_is_not_a_pattern() -> None:
    """A group only 8 points above the rest is not reported."""
    sessions = _calm(10) + [_session(5 + i, 40.0, hour=22) for i in range(5)]
    assert detect_stress_patterns(sessions, NOW).patterns == ()


def test_history_window_edges() -> None:
    """Sessions exactly 90 days old or in the future are outside the history."""
    sessions = [
        _session(90.0, 50.0),
        _session(89.99, 50.0),
        _session(-0.01, 50.0),
        _session(0.0, 50.0),
    ]
    result = detect_stress_patterns(sessions, NOW)
    assert result.sessions == 2


def test_too_few_sessions_is_an_answer() -> None:
    """Fewer than 6 sessions: no patterns and what is missing."""
    result = detect_stress_patterns(_calm(4), NOW)
    assert result.patterns == ()
    assert result.insufficient is not None
    assert result.insufficient.to_json() == {"sessions": {"have": 4, "need": 6}}


def test_empty_profile() -> None:
    """No data: a sensible empty profile."""
    profile = stress_profile([], NOW)
    assert profile.primary_stressors == ()
    assert profile.load_tolerance is None
    assert profile.mean_recovery_hours is None
    assert profile.mean_load is None
    assert profile.details_json()["insufficient"] == {"sessions": {"have": 0, "need": 5}}


def test_recovery_time_golden() -> None:
    """High at t0 (60 min) → 50 next day → 30 two days later: 47 h; high then low 5 h later: 4 h."""
    t0 = NOW - timedelta(days=20)
    t1 = NOW - timedelta(days=10)
    sessions = [
        SessionStressRecord(t0, 70.0, 10, 60.0),
        SessionStressRecord(t0 + timedelta(days=1), 50.0, 10, 30.0),
        SessionStressRecord(t0 + timedelta(days=2), 30.0, 10, 30.0),
        SessionStressRecord(t1, 80.0, 10, 60.0),
        SessionStressRecord(t1 + timedelta(hours=5), 20.0, 15, 30.0),
        SessionStressRecord(NOW - timedelta(days=1), 75.0, 10, 30.0),  # not recovered yet
    ]
    times, unrecovered = recovery_times_hours(sessions)
    # (t0 + 48 h) − (t0 + 1 h) = 47 h; (t1 + 5 h) − (t1 + 1 h) = 4 h
    assert times == [pytest.approx(47.0), pytest.approx(4.0)]
    assert unrecovered == 1
    profile = stress_profile(sessions, NOW)
    assert profile.mean_recovery_hours == pytest.approx(25.5)  # (47 + 4) / 2
    assert profile.recovery_episodes == 2
    assert profile.unrecovered_episodes == 1


def test_load_tolerance_from_performance_drop() -> None:
    """Best band 30–40 at 85; the 50–60 band at 74 is ≥ 10 below: tolerance 50."""
    bands = {25.0: 80.0, 35.0: 85.0, 45.0: 82.0, 55.0: 74.0, 65.0: 60.0}
    loads = [load for load in bands for _ in range(5)]
    perfs = [bands[load] for load in loads]
    value, method, evidence = load_tolerance(loads, perfs)
    assert (value, method) == (50.0, "performance_drop")
    assert evidence["bandMeans"]["30"] == 85.0


def test_load_tolerance_fallbacks() -> None:
    """Without performance: the 90th percentile of loads; no drop seen: above the top band."""
    loads = [10.0 * k for k in range(1, 11)]
    # numpy's linear percentile of 10..100 at 90 %: rank 0.9 × 9 = 8.1 → 90 + 0.1 × 10 = 91
    value, method, _ = load_tolerance(loads, [None] * 10)
    assert value == pytest.approx(91.0)
    assert method == "p90_load"
    flat_loads = [35.0] * 10 + [45.0] * 10
    value, method, _ = load_tolerance(flat_loads, [80.0] * 20)
    assert (value, method) == (50.0, "no_drop_observed")
    assert load_tolerance([50.0], [None]) == (None, "none", {"sessions": 1})


def test_profile_lists_primary_stressors() -> None:
    """The strongest patterns become the profile's primary stressors."""
    sessions = _calm(10) + [_session(10 + i, 80.0, topic="renal") for i in range(4)]
    profile = stress_profile(sessions, NOW)
    assert [p.trigger for p in profile.primary_stressors] == [{"topicId": "renal"}]
    assert profile.details_json()["primaryStressors"][0]["type"] == "TOPIC_SPECIFIC"
    assert profile.load_tolerance_method == "p90_load"
