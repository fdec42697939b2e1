"""FORGETTING_CURVE: baseline, minimums, maximum-likelihood fit, clamps, standard error."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.patterns.synth import T0, forgetting_reviews
from twin.analysis.patterns.common import PatternType
from twin.analysis.patterns.forgetting import (
    DECAY_MAX_PER_DAY,
    DECAY_MIN_PER_DAY,
    R0_MAX,
    R0_MIN,
    analyze_forgetting,
    decay_standard_error,
    fit_forgetting_curve,
    half_life_days,
    log_likelihood,
    review_interval_days,
)
from twin.analysis.patterns.inputs import ReviewObs

REPLICATES = 50


def _reviews(n: int, span_days: float, recalled_every: int = 2) -> list[ReviewObs]:
    return [
        ReviewObs(
            f"c{i % 7}",
            T0 + timedelta(days=span_days * i / max(n - 1, 1)),
            1.0 + i % 10,
            i % recalled_every == 0,
        )
        for i in range(n)
    ]


def test_baseline_golden() -> None:
    """Half-life ln 2 / 0.14 = 4.9511 days; 25 reviews over 40 days → baseline, confidence 25/50 = 0.5."""
    assert half_life_days(0.14) == pytest.approx(4.95105, abs=1e-5)
    r = analyze_forgetting(_reviews(25, 40))
    assert (r.source, r.r0, r.decay_per_day) == ("baseline", 1.0, 0.14)
    assert r.confidence == pytest.approx(0.5)
    assert r.insufficient == {"reviews": {"have": 25, "need": 50}}
    assert r.patterns() == []
    assert r.to_profile()["halfLife"] == pytest.approx(4.951)


def test_minimum_edges() -> None:
    """Exactly 50 reviews over exactly 30 days is fitted; 49 reviews or 29.9 days is not.

    With 50 reviews over 29.9 days: confidence min(1, 50/50, 29.9/30) = 0.99667.
    """
    assert analyze_forgetting(_reviews(50, 30)).fitted
    assert not analyze_forgetting(_reviews(49, 30)).fitted
    short = analyze_forgetting(_reviews(50, 29.9))
    assert not short.fitted
    assert short.confidence == pytest.approx(29.9 / 30)
    assert short.insufficient == {"spanDays": {"have": 29.9, "need": 30.0}}


def test_log_likelihood_golden() -> None:
    """t = 1 recalled, t = 2 forgotten, R0 = 1, k = 0.14: −0.14 + ln(1 − e^−0.28) = −0.14 − 1.409701 = −1.549701."""
    ll = log_likelihood(1.0, 0.14, np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    assert ll == pytest.approx(-0.14 + math.log(1 - math.exp(-0.28)))
    assert ll == pytest.approx(-1.549701, abs=1e-6)


def test_review_interval_golden() -> None:
    """ln(R0/0.8)/k: R0 1, k 0.14 → 1.594 → 2 days; k 0.05 → 4.463 → 4; R0 ≤ 0.8 → 1 day."""
    assert review_interval_days(1.0, 0.14) == 2
    assert review_interval_days(1.0, 0.05) == 4
    assert review_interval_days(0.8, 0.05) == 1


def test_fit_is_the_likelihood_maximum() -> None:
    """The fitted (R0, k) is at least as likely as every point of a 51 × 200 grid within the clamps."""
    rng = np.random.default_rng(3)
    t = np.exp(rng.uniform(np.log(0.5), np.log(30), 200))
    y = (rng.random(200) < 0.9 * np.exp(-0.3 * t)).astype(float)
    r0, k, _ = fit_forgetting_curve(t, y)
    best = max(
        log_likelihood(a, b, t, y)
        for a in np.linspace(R0_MIN, R0_MAX, 51)
        for b in np.linspace(DECAY_MIN_PER_DAY, DECAY_MAX_PER_DAY, 200)
    )
    assert log_likelihood(r0, k, t, y) >= best - 1e-6


def test_standard_error_golden() -> None:
    """se(k) from the expected information, by hand with numpy on three points.

    R0 = 0.9 (interior): I = Σ ∇p∇pᵀ/(p(1−p)), ∇p = (e^−kt, −t·R0·e^−kt); se = √((I⁻¹)_kk).
    R0 = 1.0 (on its bound): se = 1/√I_kk.
    """
    t = np.array([1.0, 5.0, 10.0])
    for r0 in (0.9, 1.0):
        e = np.exp(-0.2 * t)
        p = r0 * e
        g = np.stack([e, -t * r0 * e])
        info = (g / (p * (1 - p))) @ g.T
        expected = math.sqrt(np.linalg.inv(info)[1, 1]) if r0 < 1 else 1 / math.sqrt(info[1, 1])
        assert decay_standard_error(r0, 0.2, t) == pytest.approx(expected)


def test_deviation_text() -> None:
    """(0.161 − 0.14)/0.14 = +15% → "faster"; (0.07 − 0.14)/0.14 = −50% → "slower"; ±4% → "about"."""
    base = analyze_forgetting([])
    fast = replace(base, decay_per_day=0.161)
    assert fast.deviation_percent == pytest.approx(15.0)
    assert fast.comparison_text() == "You forget 15% faster than typical"
    assert (
        replace(base, decay_per_day=0.07).comparison_text() == "You forget 50% slower than typical"
    )
    assert (
        replace(base, decay_per_day=0.1456).comparison_text()
        == "You forget at about the typical rate"
    )


def test_k_recovered_within_25_percent_for_at_least_90_percent() -> None:
    """50 seeded learners, 300 repeat reviews at 0.5–30-day intervals, true R0 0.95, k 0.2."""
    hits = 0
    for seed in range(REPLICATES):
        r = analyze_forgetting(forgetting_reviews(np.random.default_rng(seed)))
        assert r.fitted
        hits += abs(r.decay_per_day - 0.2) <= 0.25 * 0.2
    assert hits >= 0.9 * REPLICATES


def test_fitted_pattern_carries_evidence() -> None:
    """A fitted curve is a FORGETTING_CURVE pattern with R0, k, halfLife, interval and confidence."""
    r = analyze_forgetting(forgetting_reviews(np.random.default_rng(7)))
    (p,) = r.patterns()
    assert p.pattern_type == PatternType.FORGETTING_CURVE
    assert {"R0", "k", "halfLife", "kCi95", "reviewIntervalDays"} <= p.data.keys()
    assert 0.0 < p.confidence <= 1.0
    assert r.mean_log_loss is not None and r.baseline_mean_log_loss is not None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 60.0), st.booleans()),
        min_size=50,
        max_size=120,
    )
)
def test_fit_stays_within_clamps(points: list[tuple[float, bool]]) -> None:
    """Whatever the outcomes, R0 ∈ [0.5, 1], k ∈ [0.01, 1], confidence ∈ [0, 1], order irrelevant."""
    reviews = [
        ReviewObs("c", T0 + timedelta(days=31.0 * i / len(points)), t, y)
        for i, (t, y) in enumerate(points)
    ]
    r = analyze_forgetting(reviews)
    assert r.fitted
    assert R0_MIN <= r.r0 <= R0_MAX
    assert DECAY_MIN_PER_DAY <= r.decay_per_day <= DECAY_MAX_PER_DAY
    assert 0.0 <= r.confidence <= 1.0
    assert analyze_forgetting(list(reversed(reviews))) == r
