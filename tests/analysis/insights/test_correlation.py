"""Academic correlation: weekly pairing, Pearson r / p / Fisher-z golden values, insufficient data."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from twin.analysis.common import InsufficientData
from twin.analysis.insights.correlation import (
    AcademicCorrelation,
    AcademicResult,
    ResultKind,
    academic_correlation,
    autocorrelation,
    effective_weeks,
    fisher_interval,
    strength_label,
    weekly_pairs,
)

MONDAY = date(2026, 1, 5)
X = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0]
Y = [20.0, 10.0, 40.0, 30.0, 60.0, 50.0, 80.0, 70.0]


def scores(values: list[float]) -> list[tuple[date, float]]:
    return [(MONDAY + timedelta(weeks=i), v) for i, v in enumerate(values)]


def results(values: list[float], day_offset: int = 2) -> list[AcademicResult]:
    return [
        AcademicResult(MONDAY + timedelta(weeks=i, days=day_offset), v, ResultKind.VALIDATION)
        for i, v in enumerate(values)
    ]


def test_golden_correlation() -> None:
    """Deviations ±3.5…: Σdxdy = 380·10/10 → r = 38/42 = 0.904762; atanh r = ½ ln 20 = 1.497866.
    Both series rise over the 8 weeks, so they share persistence: lag-1 autocorrelations
    ρ_x = 2625/4200 = 0.625 and ρ_y = 2025/4200 = 0.482143 (only lag 1 = ⌊8/5⌋), so
    1/N* = 1/8 + (2/8)·(7/8)·0.625·0.482143 = 0.190918 → N* = 5.237852 (hand calculation).
    Interval tanh(atanh r ± 1.959964/√(N* − 3)); p from t = r·√((N* − 2)/(1 − r²)) on N* − 2
    degrees of freedom; with N* = n both are the textbook ones (scipy.stats.pearsonr)."""
    c = academic_correlation(scores(X), results(Y))
    assert isinstance(c, AcademicCorrelation)
    assert c.r == pytest.approx(38 / 42)
    n_star = 1 / (1 / 8 + 2 / 8 * 7 / 8 * (2625 / 4200) * (2025 / 4200))
    assert c.effective_weeks == pytest.approx(n_star) and n_star == pytest.approx(
        5.237852, abs=1e-6
    )
    z, half = 0.5 * math.log(20), 1.959964 / math.sqrt(n_star - 3)
    assert c.ci_low == pytest.approx(math.tanh(z - half), abs=1e-6)
    assert c.ci_high == pytest.approx(math.tanh(z + half), abs=1e-6)
    r = 38 / 42
    t = r * math.sqrt((n_star - 2) / (1 - r * r))
    assert c.p_value == pytest.approx(2 * stats.t.sf(t, n_star - 2), rel=1e-9)
    assert c.p_value > stats.pearsonr(X, Y).pvalue  # fewer effective weeks, weaker evidence
    assert c.weeks == 8 and c.strength == "strong" and c.clear
    assert "higher exam and validation results" in c.summary
    assert "correlation, not causation" in c.caveat
    assert c.to_json()["caveat"] == c.caveat
    assert c.to_json()["effectiveWeeks"] == pytest.approx(5.24)


def test_effective_weeks_without_shared_persistence_is_n() -> None:
    """One series alternates (ρ(1) = −1·7/8 < 0), the other rises: the product is negative,
    so N* = n and the answer is the textbook Pearson test (scipy.stats.pearsonr)."""
    x = [50.0, 60.0] * 4
    y = [float(v) for v in range(40, 80, 5)]
    assert effective_weeks(x, y) == 8.0
    c = academic_correlation(scores(x), results(y))
    assert isinstance(c, AcademicCorrelation)
    assert c.p_value == pytest.approx(stats.pearsonr(x, y).pvalue, rel=1e-9)


def test_autocorrelation_golden_and_edge_cases() -> None:
    """ρ(1) of the ramp 10…80 is 2625/4200 (hand calculation); lag 0 is 1; a constant is 0."""
    assert autocorrelation(X, 1) == pytest.approx(0.625)
    assert autocorrelation(X, 0) == 1.0
    assert autocorrelation([3.0] * 8, 1) == 0.0
    assert autocorrelation(X, 8) == 0.0


def test_null_calibration_with_persistent_behaviour() -> None:
    """No link, behaviour persistent from week to week (AR(1), φ = 0.8), results independent
    normal weeks: the textbook test is exact here, and N* ≤ n keeps the rate at or below it.
    2,000 seeded learners of 16 weeks: false "clear" ≤ 5% + 2 binomial SEs (0.0098), and a
    common trend in both series is called clear far less often than by the textbook test."""
    rng = np.random.default_rng(20261207)
    clear = textbook = 0
    learners = 2000
    for _ in range(learners):
        e = rng.normal(size=16)
        x = np.empty(16)
        x[0] = e[0]
        for t in range(1, 16):
            x[t] = 0.8 * x[t - 1] + 0.6 * e[t]
        y = np.clip(70 + 10 * rng.normal(size=16), 0, 100)
        c = academic_correlation(scores(list(60 + 10 * x)), results(list(y)))
        assert isinstance(c, AcademicCorrelation)
        clear += c.clear
        textbook += stats.pearsonr(x, y).pvalue < 0.05
    assert clear / learners <= 0.05 + 0.0098
    assert clear <= textbook
    trend = np.linspace(-20, 20, 16)
    trended = plain = 0
    for _ in range(500):
        x, y = 60 + 10 * rng.normal(size=16) + trend, 70 + 10 * rng.normal(size=16) + trend
        c = academic_correlation(scores(list(x)), results(list(np.clip(y, 0, 100))))
        assert isinstance(c, AcademicCorrelation)
        trended += c.clear
        plain += stats.pearsonr(x, np.clip(y, 0, 100)).pvalue < 0.05
    assert trended < 0.6 * plain


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=8, max_size=40))
def test_effective_weeks_within_bounds(pairs: list[tuple[float, float]]) -> None:
    """4 ≤ N* ≤ n for any pair of series."""
    n_star = effective_weeks([p[0] for p in pairs], [p[1] for p in pairs])
    assert 4.0 <= n_star <= len(pairs)


def test_below_eight_weeks_is_insufficient_data() -> None:
    """Seven paired weeks: insufficient data, saying 7 of 8."""
    assert academic_correlation(scores(X[:7]), results(Y[:7])) == InsufficientData(
        "weeksWithScoreAndResults", 7, 8
    )


def test_constant_series_is_insufficient_data() -> None:
    """r is undefined when one series does not vary."""
    out = academic_correlation(scores([50.0] * 8), results(Y))
    assert out == InsufficientData("seriesThatVary", 1, 2)


def test_pairing_by_local_week() -> None:
    """Results of one week are averaged; weeks without results are dropped; Sunday is still that week."""
    res = [
        AcademicResult(MONDAY, 60.0, ResultKind.EXAM),
        AcademicResult(MONDAY + timedelta(days=6), 80.0, ResultKind.VALIDATION),  # Sunday
        AcademicResult(MONDAY + timedelta(weeks=2, days=1), 50.0, ResultKind.VALIDATION),
    ]
    pairs = weekly_pairs(scores([70.0, 65.0, 72.0]), res)
    assert [(p.week_start, p.academic_mean, p.results) for p in pairs] == [
        (MONDAY, 70.0, 2),
        (MONDAY + timedelta(weeks=2), 50.0, 1),
    ]


def test_strength_labels_and_unclear_links() -> None:
    """Cohen's bands; a link whose interval contains 0 is reported as no clear link."""
    assert [strength_label(r) for r in (0.05, -0.2, 0.35, -0.7)] == [
        "negligible",
        "weak",
        "moderate",
        "strong",
    ]
    y = [50.0, 52.0, 49.0, 51.0, 55.0, 47.0, 50.0, 53.0]
    c = academic_correlation(scores(X), results(y))
    assert isinstance(c, AcademicCorrelation)
    assert not c.clear and "no clear link" in c.summary
    with pytest.raises(ValueError):
        fisher_interval(0.5, 3)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=8, max_size=30))
def test_interval_contains_r(pairs: list[tuple[float, float]]) -> None:
    """−1 ≤ low ≤ r ≤ high ≤ 1 and 0 ≤ p ≤ 1; 'clear' iff the interval excludes 0 and p < 0.05."""
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    c = academic_correlation(scores(xs), results(ys))
    if isinstance(c, InsufficientData):
        assert np.ptp(xs) == 0 or np.ptp(ys) == 0 or c.requirement == "seriesThatVary"
        return
    assert -1.0 <= c.ci_low <= c.r + 1e-12 and c.r - 1e-12 <= c.ci_high <= 1.0
    assert 0.0 <= c.p_value <= 1.0
    assert c.clear == ((c.ci_low > 0 or c.ci_high < 0) and c.p_value < 0.05)


def test_clear_needs_the_interval_and_the_test_to_agree() -> None:
    """In the thin band where the Fisher interval already excludes 0 but p ≥ 0.05 the link is not
    called clear. At n = 8 the interval excludes 0 from r = tanh(1.959964/√5) = 0.7047, the t-test
    from r = t/√(t² + 6) with t(0.975, 6) = 2.446912, i.e. 0.7067 (hand calculation)."""
    r_fisher = math.tanh(1.959964 / math.sqrt(5))
    t = 2.446912
    r_test = t / math.sqrt(t * t + 6)
    assert r_fisher < r_test
    target = (r_fisher + r_test) / 2  # 0.7057
    # Build y with correlation exactly `target` to x (x and an orthogonal z, both centred);
    # with this z, y's lag-1 autocorrelation is negative (−0.12) while x's is positive: no shared
    # persistence, N* = n = 8 and the thresholds above apply.
    x = np.array(X) - np.mean(X)
    z = np.array([-1.0, 1.0, 1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    z = z - z.mean() - (z @ x) / (x @ x) * x
    y = target * x / np.linalg.norm(x) + math.sqrt(1 - target**2) * z / np.linalg.norm(z)
    ys = list(50 + 10 * y)
    c = academic_correlation(scores(X), results(ys))
    assert isinstance(c, AcademicCorrelation)
    assert c.r == pytest.approx(target)
    assert c.effective_weeks == 8.0
    assert c.ci_low > 0 and c.p_value > 0.05 and not c.clear
