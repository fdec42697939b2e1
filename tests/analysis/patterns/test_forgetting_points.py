"""The forgetting curve as the dashboard draws it: observed recall per interval beside the model."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.patterns.forgetting import (
    BASELINE_DECAY_PER_DAY,
    CURVE_MAX_HORIZON_DAYS,
    CURVE_MIN_HORIZON_DAYS,
    CURVE_SAMPLES,
    RecallBin,
    forgetting_curve_points,
    marginal_recall,
    recall_by_interval,
)


def test_wilson_interval_golden() -> None:
    # By hand: n = 40, p = 0.9, z = 1.959964, z² = 3.841459.
    # centre = (0.9 + z²/80) / (1 + z²/40) = 0.948018 / 1.096036 = 0.864950
    # half = z·√(0.09/40 + z²/6400) / 1.096036 = 1.959964 · 0.053388 / 1.096036 = 0.095469
    low, high = RecallBin(0.0, 1.0, 0.5, 40, 36).ci95
    assert low == pytest.approx(0.769481, abs=5e-6)
    assert high == pytest.approx(0.960419, abs=5e-6)
    # At 0% and 100% the interval stays inside [0, 1] and is not degenerate.
    none = RecallBin(0.0, 1.0, 0.5, 10, 0).ci95
    assert none[0] == 0.0 and none[1] == pytest.approx(0.277533, abs=1e-6)  # z²/(n + z²)
    assert RecallBin(0.0, 1.0, 0.5, 10, 10).ci95 == pytest.approx((1 - 0.277533, 1.0), abs=1e-6)


def test_bins_half_open_and_thin_bins_left_out() -> None:
    days = [0.2] * 12 + [1.0] * 9 + [7.0] * 10 + [100.0] * 10
    recalled = [True] * 12 + [True] * 9 + [False] * 10 + [True, False] * 5
    bins = recall_by_interval(days, recalled)
    # [0, 1): 12 reviews; [1, 2): 9 < 10, left out; 7.0 falls in [7, 14); 100 in [60, ∞).
    assert [(b.low_days, b.high_days, b.reviews, b.recalled) for b in bins] == [
        (0.0, 1.0, 12, 12),
        (7.0, 14.0, 10, 0),
        (60.0, math.inf, 10, 5),
    ]
    assert bins[0].mean_days == pytest.approx(0.2) and bins[2].share == 0.5
    with pytest.raises(ValueError, match="same length"):
        recall_by_interval([1.0], [True, False])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=400.0), st.booleans()),
        min_size=0,
        max_size=300,
    )
)
def test_every_review_lands_in_exactly_one_bin(reviews: list[tuple[float, bool]]) -> None:
    days = [d for d, _ in reviews]
    recalled = [r for _, r in reviews]
    bins = recall_by_interval(days, recalled, min_reviews=1)
    assert sum(b.reviews for b in bins) == len(reviews)
    assert sum(b.recalled for b in bins) == sum(recalled)
    for b in bins:
        assert b.low_days <= b.mean_days < b.high_days
        low, high = b.ci95
        assert 0.0 <= low <= b.share <= high <= 1.0
    assert [b.low_days for b in bins] == sorted(b.low_days for b in bins)


def test_curve_points_model_baseline_and_horizon() -> None:
    points = forgetting_curve_points([0.5] * 20, [True] * 20, 0.9, 0.1, 0.0)
    assert len(points.days) == CURVE_SAMPLES and points.days[0] == 0.0
    assert points.days[-1] == CURVE_MIN_HORIZON_DAYS  # nearest point at 0.5 days: the minimum span
    assert points.model[0] == pytest.approx(0.9)  # σ = 0: R0·e^0
    assert points.model[10] == pytest.approx(0.9 * math.exp(-0.1 * 5.0), abs=1e-4)  # day 5
    assert points.baseline[10] == pytest.approx(math.exp(-BASELINE_DECAY_PER_DAY * 5.0), abs=1e-4)
    far = forgetting_curve_points([50.0] * 10, [True] * 10, 0.9, 0.1)
    assert far.days[-1] == pytest.approx(55.0)  # 10% past the farthest point
    farthest = forgetting_curve_points([300.0] * 10, [False] * 10, 0.9, 0.1)
    assert farthest.days[-1] == CURVE_MAX_HORIZON_DAYS
    # With a session spread the curve is the marginal one the fit maximised.
    spread = forgetting_curve_points([], [], 0.95, 0.05, 0.8)
    assert spread.bins == ()
    assert spread.model[0] == pytest.approx(
        float(marginal_recall(0.95, 0.05, [0.0], 0.8)[0]), abs=1e-4
    )
    assert spread.model[0] < 0.95  # the cap at 1 pulls the mean below R0
