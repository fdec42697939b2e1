"""Applied-recommendation evaluation: windows, Welch interval golden values, verdict rules, properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from twin.analysis.common import InsufficientData
from twin.analysis.insights.evaluation import (
    OUTCOME_METRIC_BY_TYPE,
    SESSION_SCORE,
    EvaluationResult,
    Observation,
    Verdict,
    baseline_metrics,
    evaluate_application,
    evaluation_due,
    evaluation_windows,
    split_windows,
)
from twin.enums import RecommendationType

APPLIED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BASE = [60.0, 62.0, 64.0, 66.0, 68.0]
TEST = [70.0, 72.0, 74.0, 76.0, 78.0]


def test_golden_improvement() -> None:
    """Means 64 → 74; each sample variance 10 (deviations ±4, ±2, 0: 40/4), se = √(10/5 + 10/5) = 2,
    Welch df = 4² / (2²/4 + 2²/4) = 8, t(0.975, 8) = 2.306004 (t table): 10 ± 4.612 → IMPROVED."""
    r = evaluate_application(BASE, TEST)
    assert isinstance(r, EvaluationResult)
    assert r.verdict is Verdict.IMPROVED
    assert r.change == pytest.approx(10.0)
    assert r.standard_error == pytest.approx(2.0)
    assert r.df == pytest.approx(8.0)
    assert r.ci_low == pytest.approx(10 - 2.306004 * 2, abs=1e-5)
    assert r.ci_high == pytest.approx(10 + 2.306004 * 2, abs=1e-5)
    # effectiveness = F_t(10 / 2; 8 df)
    assert r.effectiveness == pytest.approx(float(stats.t.cdf(5.0, 8)))
    assert r.baseline.mean == pytest.approx(64.0) and r.test.n == 5


def test_declined_and_lower_is_better() -> None:
    """Swapping the windows declines; for a lower-is-better metric the same rise is a decline."""
    down = evaluate_application(TEST, BASE)
    assert isinstance(down, EvaluationResult) and down.verdict is Verdict.DECLINED
    assert down.effectiveness == pytest.approx(1 - float(stats.t.cdf(5.0, 8)))
    worse = evaluate_application(BASE, TEST, higher_is_better=False)
    assert isinstance(worse, EvaluationResult) and worse.verdict is Verdict.DECLINED


def test_neutral_when_the_interval_contains_zero() -> None:
    """A 2-point rise with spread ±10 is not distinguishable from no change."""
    r = evaluate_application([50, 70, 60, 55, 65, 60], [52, 72, 62, 57, 67, 62])
    assert isinstance(r, EvaluationResult)
    assert r.verdict is Verdict.NEUTRAL
    assert r.ci_low < 0 < r.ci_high


def test_constant_windows() -> None:
    """No spread: equal means NEUTRAL (interval [0, 0] does not exclude 0), a shift is decisive."""
    same = evaluate_application([1.0] * 7, [1.0] * 7)
    assert isinstance(same, EvaluationResult) and same.verdict is Verdict.NEUTRAL
    assert same.effectiveness == 0.5
    up = evaluate_application([0.0] * 7, [1.0] * 7)
    assert isinstance(up, EvaluationResult) and up.verdict is Verdict.IMPROVED


def test_too_few_observations_is_insufficient_data() -> None:
    """Fewer than 5 in either window: an answer that says so."""
    assert evaluate_application(BASE[:4], TEST) == InsufficientData("observationsPerWindow", 4, 5)
    assert evaluate_application(BASE, []) == InsufficientData("observationsPerWindow", 0, 5)


def test_windows_are_the_14_days_around_applied_at() -> None:
    """Baseline [t−14d, t), test [t, t+14d); the test period must be over before evaluating."""
    w = evaluation_windows(APPLIED)
    assert w.baseline_start == APPLIED - timedelta(days=14)
    assert w.test_end == APPLIED + timedelta(days=14)
    obs = [
        Observation(APPLIED - timedelta(days=14), 1.0),  # first instant of the baseline
        Observation(APPLIED - timedelta(days=14, seconds=1), 99.0),  # too early
        Observation(APPLIED - timedelta(seconds=1), 2.0),
        Observation(APPLIED, 3.0),  # applied_at belongs to the test period
        Observation(APPLIED + timedelta(days=14), 99.0),  # after the test period
    ]
    assert split_windows(obs, APPLIED) == ([1.0, 2.0], [3.0])
    assert not evaluation_due(APPLIED, APPLIED + timedelta(days=13, hours=23))
    assert evaluation_due(APPLIED, APPLIED + timedelta(days=14))


def test_every_type_has_an_outcome_metric_and_baseline_json() -> None:
    """Each recommendation type is judged on a named metric; baselineMetrics has the seed's keys."""
    assert set(OUTCOME_METRIC_BY_TYPE) == set(RecommendationType)
    js = baseline_metrics(BASE, SESSION_SCORE, evaluation_windows(APPLIED), session_count=5)
    assert js["metric"] == "sessionScore" and js["n"] == 5 and js["mean"] == 64.0
    assert {"behavioralScore", "avgConfidence", "sessionCount"} <= set(js)
    with pytest.raises(ValueError):
        Observation(APPLIED, float("nan"))


# Values at 0.01 resolution (how scores are stored); denormal variances are covered by
# tests/analysis/patterns/test_study_time.py (welch_difference's guard).
_values = st.lists(st.integers(0, 10_000).map(lambda v: v / 100), min_size=5, max_size=30)


@settings(max_examples=200, deadline=None)
@given(_values, _values, st.floats(-50, 50))
def test_verdict_properties(baseline: list[float], test: list[float], shift: float) -> None:
    """IMPROVED ⇒ interval above 0, DECLINED ⇒ below; swapping windows mirrors the verdict;
    shifting both windows by the same amount changes nothing."""
    r = evaluate_application(baseline, test)
    assert isinstance(r, EvaluationResult)
    if r.verdict is Verdict.IMPROVED:
        assert r.ci_low > 0
    elif r.verdict is Verdict.DECLINED:
        assert r.ci_high < 0
    else:
        assert r.ci_low <= 0 <= r.ci_high
    mirrored = evaluate_application(test, baseline)
    assert isinstance(mirrored, EvaluationResult)
    flip = {
        Verdict.IMPROVED: Verdict.DECLINED,
        Verdict.DECLINED: Verdict.IMPROVED,
        Verdict.NEUTRAL: Verdict.NEUTRAL,
    }
    assert mirrored.verdict is flip[r.verdict]
    shifted = evaluate_application(list(np.add(baseline, shift)), list(np.add(test, shift)))
    assert isinstance(shifted, EvaluationResult)
    if min(abs(r.ci_low), abs(r.ci_high)) > 1e-6:  # away from the boundary, rounding cannot flip it
        assert shifted.verdict is r.verdict
    assert 0.0 <= r.effectiveness <= 1.0
