"""Cognitive load of one session: golden values, level and overload edges, properties."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.cognitive.common import LoadLevel
from twin.analysis.cognitive.load import (
    LOAD_WEIGHTS,
    CognitiveLoad,
    LoadSubScores,
    SessionLoadInput,
    StressIndicator,
    StressIndicatorType,
    baseline_latency_ms,
    combine_load,
    compute_cognitive_load,
    decline_subscore,
    duration_subscore,
    engagement_subscore,
    error_subscore,
    indicator_severity,
    is_overloaded,
    latency_subscore,
    load_level,
    median_latency_ms,
    overload_severity,
)
from twin.enums import Severity

# A session every sub-score of which is easy to compute by hand.
GOLDEN_SESSION = SessionLoadInput(
    # median of the 9 latencies is 4000 ms; against a 2500 ms baseline: ratio 1.6
    latencies_ms=(2000.0, 2500.0, 3000.0, 3500.0, 4000.0, 4500.0, 5000.0, 5500.0, 6000.0),
    # 6 wrong of 20: error rate 0.3
    correct=(True,) * 14 + (False,) * 6,
    # 600 s paused, 1800 s active: share 600/2400 = 0.25; 3 pauses in 0.5 h: 6 per hour
    pause_count=3,
    pause_seconds=600.0,
    active_seconds=1800.0,
    # first half mean 90, second half mean 75: decline 15 points
    performance_scores=(90.0, 90.0, 75.0, 75.0),
    # 20 minutes beyond a 40-minute optimum: excess fraction 0.5
    duration_minutes=60.0,
    baseline_latency_ms=2500.0,
    optimal_session_minutes=40.0,
)


def test_golden_session() -> None:
    """Every sub-score and the weighted load, computed by hand."""
    result = compute_cognitive_load(GOLDEN_SESSION)
    subs = result.sub_scores
    assert subs.latency == pytest.approx(60.0)  # (1.6 − 1) / (2 − 1) · 100
    assert subs.errors == pytest.approx(50.0)  # (0.3 − 0.1) / (0.5 − 0.1) · 100
    assert subs.engagement == pytest.approx(50.0)  # (0.25/0.5·100 + 6/12·100) / 2
    assert subs.decline == pytest.approx(50.0)  # 15 / 30 · 100
    assert subs.duration == pytest.approx(50.0)  # 0.5 / 1.0 · 100
    # 0.30·60 + 0.25·50 + 0.20·50 + 0.15·50 + 0.10·50 = 18 + 12.5 + 10 + 7.5 + 5 = 53
    assert result.load_score == pytest.approx(53.0)
    assert result.level is LoadLevel.MODERATE
    assert not result.overloaded
    assert result.confidence == pytest.approx(1.0)
    assert result.confidence_notes == ()
    # latency 60 is MEDIUM (50–70), the four 50s are MEDIUM; sorted by contribution
    assert result.indicators[0].type is StressIndicatorType.RESPONSE_LATENCY
    assert {i.severity for i in result.indicators} == {Severity.MEDIUM}
    latency = result.indicators[0]
    assert latency.value == pytest.approx(1.6)
    assert latency.contribution == pytest.approx(18.0)  # 0.30 · 60
    assert result.evidence["errors"] == 6
    assert result.evidence["medianLatencyMs"] == 4000.0


def test_indicator_json_shape() -> None:
    """stressIndicators elements carry type, category, severity, value and contribution."""
    result = compute_cognitive_load(GOLDEN_SESSION)
    first = result.stress_indicators_json()[0]
    assert first == {
        "type": "RESPONSE_LATENCY",
        "category": "COGNITIVE",
        "severity": "MEDIUM",
        "value": 1.6,
        "unit": "ratio to baseline latency",
        "subScore": 60.0,
        "contribution": 18.0,
    }


def test_without_baseline_the_session_start_is_the_reference() -> None:
    """First third of the latencies (2000 ms) against the rest (3000 ms): ratio 1.5 → 50."""
    data = replace(
        GOLDEN_SESSION,
        latencies_ms=(2000.0,) * 3 + (3000.0,) * 6,
        baseline_latency_ms=None,
    )
    result = compute_cognitive_load(data)
    assert result.sub_scores.latency == pytest.approx(50.0)
    assert result.evidence["latencySource"] == "session_start"
    assert result.confidence == pytest.approx(0.8)  # 1 − 0.2 (no baseline)


def test_little_data_lowers_confidence_to_the_floor() -> None:
    """3 responses, no latency, no performance scores, no optimum: 1 − (0.2+0.1+0.4+0.1+0.1) → floor 0.1."""
    data = SessionLoadInput(correct=(True, False, True), duration_minutes=10.0)
    result = compute_cognitive_load(data)
    assert result.confidence == pytest.approx(0.1)
    assert len(result.confidence_notes) == 5
    # error rate 1/3: (1/3 − 0.1) / 0.4 · 100 = 58.33; only errors and nothing else
    assert result.sub_scores.errors == pytest.approx(58.333333, rel=1e-6)
    assert result.load_score == pytest.approx(0.25 * 58.333333, rel=1e-6)


def test_two_critical_indicators_overload_a_moderate_load() -> None:
    """Latency doubled (100) and half wrong (100), nothing else: load 55 but overloaded."""
    data = SessionLoadInput(
        latencies_ms=(4000.0,) * 10,
        correct=(True, False) * 5,
        baseline_latency_ms=2000.0,
        optimal_session_minutes=45.0,
        duration_minutes=30.0,
        performance_scores=(80.0,) * 4,
    )
    result = compute_cognitive_load(data)
    assert result.load_score == pytest.approx(55.0)  # 0.30·100 + 0.25·100
    assert result.level is LoadLevel.MODERATE
    assert [i.severity for i in result.indicators] == [Severity.CRITICAL, Severity.CRITICAL]
    assert result.overloaded


def test_every_sub_score_reaches_100() -> None:
    """Each sub-score spans 0–100 (the source's duration factor topped out at 2.5 points)."""
    assert latency_subscore(2.0) == 100.0
    assert error_subscore(0.5) == 100.0
    assert engagement_subscore(0.5, 12.0) == 100.0
    assert decline_subscore(30.0) == 100.0
    assert duration_subscore(90.0, 45.0) == 100.0
    assert combine_load(LoadSubScores(100, 100, 100, 100, 100)) == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.0, LoadLevel.LOW),
        (39.999, LoadLevel.LOW),
        (40.0, LoadLevel.MODERATE),
        (59.999, LoadLevel.MODERATE),
        (60.0, LoadLevel.HIGH),
        (79.999, LoadLevel.HIGH),
        (80.0, LoadLevel.CRITICAL),
        (100.0, LoadLevel.CRITICAL),
    ],
)
def test_level_edges(score: float, level: LoadLevel) -> None:
    """40 is MODERATE, 60 HIGH, 80 CRITICAL."""
    assert load_level(score) is level


@pytest.mark.parametrize(
    ("sub_score", "severity"),
    [
        (29.999, None),
        (30.0, Severity.LOW),
        (50.0, Severity.MEDIUM),
        (69.999, Severity.MEDIUM),
        (70.0, Severity.HIGH),
        (90.0, Severity.CRITICAL),
    ],
)
def test_indicator_severity_edges(sub_score: float, severity: Severity | None) -> None:
    """Indicators from 30; MEDIUM from 50, HIGH from 70, CRITICAL from 90."""
    assert indicator_severity(sub_score) == severity


def _indicator(severity: Severity) -> StressIndicator:
    return StressIndicator(StressIndicatorType.ERROR_RATE, severity, 0.4, 75.0, 18.75)


def test_overload_edges() -> None:
    """Load exactly 80 is not overload, 80.01 is; exactly two HIGH indicators are."""
    assert not is_overloaded(80.0, [])
    assert is_overloaded(80.01, [])
    assert is_overloaded(10.0, [_indicator(Severity.HIGH), _indicator(Severity.HIGH)])
    assert is_overloaded(10.0, [_indicator(Severity.HIGH), _indicator(Severity.CRITICAL)])
    assert not is_overloaded(10.0, [_indicator(Severity.HIGH), _indicator(Severity.MEDIUM)])
    assert not is_overloaded(79.9, [_indicator(Severity.CRITICAL)])


def test_sub_score_edges() -> None:
    """Zero points up to the expected error rate, the baseline and the optimal length."""
    assert error_subscore(0.10) == 0.0
    assert error_subscore(0.05) == 0.0
    assert latency_subscore(0.5) == 0.0
    assert latency_subscore(1.0) == 0.0
    assert duration_subscore(45.0, 45.0) == 0.0
    assert duration_subscore(30.0, 0.0) == 0.0
    assert decline_subscore(-10.0) == 0.0  # improving performance is no load
    assert engagement_subscore(0.0, 0.0) == 0.0


def test_baseline_is_the_median_of_recent_session_medians() -> None:
    """None below 3 sessions; the last 30 medians only."""
    assert baseline_latency_ms([1000.0, 2000.0]) is None
    assert baseline_latency_ms([1000.0, 2000.0, 3000.0]) == 2000.0
    old = [100_000.0] * 5
    recent = [100.0 * k for k in range(1, 31)]  # median of 100..3000 is (1500 + 1600) / 2
    assert baseline_latency_ms(old + recent) == 1550.0
    assert baseline_latency_ms([0.0, float("nan"), 1000.0, 2000.0]) is None
    assert median_latency_ms([3000.0, 1000.0, 2000.0]) == 2000.0
    assert median_latency_ms([]) is None


# --- properties ---------------------------------------------------------------

_latency = st.floats(min_value=1.0, max_value=120_000.0, allow_nan=False)
_perf = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)


@st.composite
def sessions(draw: st.DrawFn) -> SessionLoadInput:
    """Arbitrary but physically possible sessions."""
    return SessionLoadInput(
        latencies_ms=tuple(draw(st.lists(_latency, max_size=40))),
        correct=tuple(draw(st.lists(st.booleans(), max_size=40))),
        pause_count=draw(st.integers(min_value=0, max_value=50)),
        pause_seconds=draw(st.floats(min_value=0.0, max_value=7200.0)),
        active_seconds=draw(st.floats(min_value=0.0, max_value=14_400.0)),
        performance_scores=tuple(draw(st.lists(_perf, max_size=12))),
        duration_minutes=draw(st.floats(min_value=0.0, max_value=300.0)),
        baseline_latency_ms=draw(st.none() | _latency),
        optimal_session_minutes=draw(st.none() | st.floats(min_value=0.0, max_value=120.0)),
    )


def _all_scores(result: CognitiveLoad) -> list[float]:
    s = result.sub_scores
    return [s.latency, s.errors, s.engagement, s.decline, s.duration, result.load_score]


@given(sessions())
def test_scores_stay_in_range(data: SessionLoadInput) -> None:
    """Every sub-score and the load are in [0, 100]; confidence in [0.1, 1]."""
    result = compute_cognitive_load(data)
    assert all(0.0 <= x <= 100.0 for x in _all_scores(result))
    assert 0.1 <= result.confidence <= 1.0
    assert result.load_score == pytest.approx(combine_load(result.sub_scores, LOAD_WEIGHTS))


@given(sessions(), st.data())
def test_load_is_monotone_in_errors(data: SessionLoadInput, extra: st.DataObject) -> None:
    """Turning a correct answer into a wrong one never lowers the load."""
    correct_positions = [i for i, c in enumerate(data.correct) if c]
    if not correct_positions:
        return
    flip = extra.draw(st.sampled_from(correct_positions))
    worse = list(data.correct)
    worse[flip] = False
    before = compute_cognitive_load(data).load_score
    after = compute_cognitive_load(replace(data, correct=tuple(worse))).load_score
    assert after >= before - 1e-9


@given(sessions(), st.floats(min_value=1.0, max_value=5.0))
def test_load_is_monotone_in_latency_increase(data: SessionLoadInput, factor: float) -> None:
    """Slower responses against the same baseline never lower the load."""
    data = replace(data, baseline_latency_ms=data.baseline_latency_ms or 2000.0)
    slower = replace(data, latencies_ms=tuple(x * factor for x in data.latencies_ms))
    before = compute_cognitive_load(data)
    after = compute_cognitive_load(slower)
    assert after.sub_scores.latency >= before.sub_scores.latency - 1e-9
    assert after.load_score >= before.load_score - 1e-9


@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0))
def test_error_subscore_is_monotone(a: float, b: float) -> None:
    """A higher error rate never scores lower."""
    low, high = sorted((a, b))
    assert error_subscore(low) <= error_subscore(high)


COST_BUDGET_US = 1000.0
"""Per-call budget of the benchmark: 20× the 30–50 µs the module documents, so a busy
machine passes and an accidental quadratic step or per-call setup does not."""


def test_benchmark_prints_cost() -> None:
    """Micro-benchmark: a 50-response session scores as computed by hand, the same on every
    call, within the per-call budget; prints µs per computation."""
    data = replace(
        GOLDEN_SESSION,
        latencies_ms=tuple(1500.0 + 37.0 * (i % 41) for i in range(50)),
        correct=tuple(i % 4 != 0 for i in range(50)),
        performance_scores=tuple(80.0 - i for i in range(10)),
    )
    runs = 2000
    start = time.perf_counter()
    results = [compute_cognitive_load(data) for _ in range(runs)]
    per_call_us = (time.perf_counter() - start) / runs * 1e6
    print(f"\ncompute_cognitive_load: {per_call_us:.1f} µs per call (50 responses)")
    first = results[0]
    # By hand: the median latency 2073.5 ms (k = 15.5 of 1500 + 37k) is under the 2500 ms
    # baseline → latency 0; 13 of 50 wrong → (0.26 − 0.1) / 0.4 · 100 = 40; engagement 50
    # and duration 50 as in GOLDEN_SESSION; halves 78 and 73 → decline 5 / 30 · 100.
    assert first.evidence["medianLatencyMs"] == 2073.5
    assert first.sub_scores.latency == 0.0
    assert first.sub_scores.errors == pytest.approx(40.0)
    assert first.sub_scores.decline == pytest.approx(100 * 5 / 30)
    # 0.25·40 + 0.20·50 + 0.15·16.67 + 0.10·50 = 10 + 10 + 2.5 + 5
    assert first.load_score == pytest.approx(27.5)
    assert all(r == first for r in results)  # pure: the same answer every time
    assert per_call_us < COST_BUDGET_US, f"{per_call_us:.0f} µs per call"


@pytest.mark.parametrize(
    ("severity_load", "expected"),
    [(85.0, "CRITICAL"), (80.0, "CRITICAL"), (75.0, "HIGH"), (70.0, "MEDIUM"), (40.0, "LOW")],
)
def test_overload_severity_bands(severity_load: float, expected: str) -> None:
    assert overload_severity(severity_load).value == expected
