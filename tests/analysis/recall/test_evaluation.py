"""The chronological evaluation protocol: which reviews are scored, metrics by hand, no peeking."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.recall import Review, evaluate_chronological
from twin.analysis.recall.evaluation import (
    CardPredictor,
    auc,
    chronological_predictions,
    in_sample_constant_mean,
    log_loss,
    recall_model_factory,
    rmse_bins,
    running_mean_factory,
    scored_indices,
)

T0 = datetime(2024, 5, 1, 20, 0)


def test_scored_reviews_are_at_least_a_day_after_the_previous_one() -> None:
    """24 h exactly is scored; 23:59 is not; the gap counts from the card's previous review."""
    log = [
        Review(1, T0, 3),  # 0 first review of card 1
        Review(2, T0 + timedelta(hours=1), 1),  # 1 first review of card 2
        Review(1, T0 + timedelta(hours=23, minutes=59), 3),  # 2 < 24 h: not scored
        Review(2, T0 + timedelta(days=1, hours=1), 3),  # 3 exactly 24 h: scored
        Review(1, T0 + timedelta(days=1, hours=23, minutes=58), 1),  # 4 23:59 after #2: not scored
        Review(1, T0 + timedelta(days=3), 3),  # 5 scored
    ]
    assert scored_indices(log) == [3, 5]


def test_log_loss_by_hand() -> None:
    """−(ln 0.8 + ln 0.6) / 2 = 0.366984…"""
    assert log_loss(np.array([0.8, 0.4]), np.array([1, 0])) == pytest.approx(
        (-math.log(0.8) - math.log(0.6)) / 2, rel=1e-12
    )
    assert log_loss(np.array([0.8, 0.4]), np.array([1, 0])) == pytest.approx(0.3669845875, rel=1e-9)


def test_auc_by_hand() -> None:
    """Positives 0.9, 0.7, 0.6 vs negatives 0.8, 0.6: 3.5 of 6 pairs ordered (tie = ½)."""
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.6])
    y = np.array([1, 0, 1, 1, 0])
    assert auc(p, y) == pytest.approx(3.5 / 6, rel=1e-12)
    assert auc(np.array([0.2, 0.9]), np.array([0, 1])) == 1.0
    assert math.isnan(auc(np.array([0.2, 0.9]), np.array([1, 1])))


def test_rmse_bins_by_hand() -> None:
    """Bins floor(log_1.5 days): {1, 1.2} → 0, {2} → 1, {3} → 2; √((2·0.04 + 0.64 + 0.25)/4)."""
    p = np.array([0.9, 0.7, 0.8, 0.5])
    y = np.array([1, 1, 0, 1])
    days = np.array([1.0, 1.2, 2.0, 3.0])
    assert rmse_bins(p, y, days) == pytest.approx(math.sqrt(0.97 / 4), rel=1e-12)


def test_in_sample_constant_mean_by_hand() -> None:
    """Scored outcomes 1, 1, 0, 1 → rate 0.75: log loss −(¾ ln ¾ + ¼ ln ¼), AUC ½."""
    log = [Review(c, T0, 3) for c in range(4)] + [
        Review(c, T0 + timedelta(days=2), 1 if c == 2 else 3) for c in range(4)
    ]
    result = in_sample_constant_mean(log)
    assert result.n_scored == 4
    assert result.recall_rate == 0.75
    assert result.log_loss == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    assert result.auc == 0.5


def test_predictors_see_only_earlier_reviews() -> None:
    """The factory gets the reviews before the scored one; the predictor the card's earlier ones."""
    log = [
        Review(card, T0 + timedelta(days=day, hours=card), rating)
        for day in range(6)
        for card, rating in ((1, 3), (2, 1 if day % 2 else 3))
    ]
    fits: list[tuple[int, datetime]] = []
    seen: list[tuple[int, datetime]] = []

    def factory(history: Sequence[Review], now: datetime) -> CardPredictor:
        assert all(r.time < now for r in history)
        fits.append((len(history), now))

        def predict(card_history: Sequence[Review], at: datetime) -> float:
            assert all(r.time < at for r in card_history)
            assert len({r.card_id for r in card_history}) == 1
            seen.append((len(card_history), at))
            return 0.5

        return predict

    scored = chronological_predictions(log, factory, refit_every=4)
    assert list(scored.review_index) == list(range(2, 12))
    # Refits at scored reviews once ≥ 4 reviews have passed: indices 2, 6, 10.
    assert fits == [(2, log[2].time), (6, log[6].time), (10, log[10].time)]
    assert scored.refits == 3
    assert seen[0] == (1, log[2].time)
    days = scored.elapsed_days
    assert np.allclose(days, 1.0)
    by_time = chronological_predictions(log, factory, refit_every=timedelta(days=2))
    assert by_time.refits == 3  # days 1, 3, 5


logs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),
        st.floats(min_value=0.5, max_value=72.0),
        st.sampled_from([1, 3]),
    ),
    min_size=2,
    max_size=40,
)


def _build(steps: list[tuple[int, float, int]]) -> list[Review]:
    at, log = T0, []
    for card, gap_hours, rating in steps:
        at = at + timedelta(hours=gap_hours)
        log.append(Review(card, at, rating))
    return log


@settings(max_examples=40, deadline=None)
@given(steps=logs, cut=st.integers(min_value=1, max_value=39), tail=logs)
def test_predictions_do_not_change_when_later_reviews_change(
    steps: list[tuple[int, float, int]], cut: int, tail: list[tuple[int, float, int]]
) -> None:
    """Replacing every review after review ``cut`` leaves the predictions up to ``cut`` unchanged."""
    log = _build(steps)
    cut = min(cut, len(log) - 1)
    altered_tail = [
        Review(r.card_id, r.time - T0 + log[cut].time, 4 - r.rating) for r in _build(tail)
    ]
    altered = log[: cut + 1] + altered_tail
    for factory in (running_mean_factory, recall_model_factory):
        a = chronological_predictions(log, factory, refit_every=3)
        b = chronological_predictions(altered, factory, refit_every=3)
        keep_a = a.review_index <= cut
        keep_b = b.review_index <= cut
        assert np.array_equal(a.predictions[keep_a], b.predictions[keep_b])


def test_evaluate_chronological_on_a_tiny_log() -> None:
    """The running mean predicts the Laplace-smoothed rate of the earlier scored reviews."""
    log = [Review(c, T0 + timedelta(minutes=c), 3) for c in range(3)] + [
        Review(c, T0 + timedelta(days=2, minutes=c), 1 if c == 0 else 3) for c in range(3)
    ]
    result = evaluate_chronological(log, running_mean_factory, refit_every=1)
    # Predictions: 1/2 (nothing scored yet), then (0+1)/(1+2) = 1/3, then (1+1)/(2+2) = 1/2.
    expected = -(math.log(0.5) + math.log(1 / 3) + math.log(0.5)) / 3
    assert result.log_loss == pytest.approx(expected, rel=1e-12)
    assert result.n_scored == 3
    assert result.refits == 3
