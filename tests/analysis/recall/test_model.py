"""The engine's recall model: learner days, rollover inference, prediction, fitting and its fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.analysis.recall import fsrs_reference
from twin.analysis.recall import (
    DEFAULT_FSRS_WEIGHTS,
    DEFAULT_RECALL_MODEL,
    MIN_REVIEWS_FOR_FIT,
    RecallModel,
    Review,
    fit_recall_model,
    predict_recall,
)
from twin.analysis.recall.fsrs6 import initial_memory, next_memory, retrievability
from twin.analysis.recall.model import (
    DEFAULT_DAY_ROLLOVER_HOUR_UTC,
    card_memory,
    infer_day_rollover_hour_utc,
    learner_day,
    refit_due,
    zone_rollover_hour_utc,
)

T0 = datetime(2024, 5, 1, 20, 0)


def _synthetic_log(rng: np.random.Generator, cards: int = 80) -> list[Review]:
    """Reviews of a simulated learner: evening sessions, gaps of 1–10 days, FSRS-default recall."""
    reviews = []
    for card in range(cards):
        at = T0 + timedelta(days=int(rng.integers(0, 20)), hours=float(rng.uniform(0, 4)))
        state = initial_memory(DEFAULT_FSRS_WEIGHTS, 3)
        reviews.append(Review(card, at, 3))
        for _ in range(int(rng.integers(3, 8))):
            gap_days = int(rng.integers(1, 11))
            at = at + timedelta(days=gap_days, minutes=float(rng.uniform(-60, 60)))
            recall = retrievability(DEFAULT_FSRS_WEIGHTS, state.stability, gap_days)
            rating = 3 if rng.random() < recall else 1
            state = next_memory(DEFAULT_FSRS_WEIGHTS, state, rating, gap_days)
            reviews.append(Review(card, at, rating))
    return sorted(reviews, key=lambda r: r.time)


def test_learner_day_starts_at_the_rollover_hour() -> None:
    """With rollover 04:00 UTC, 03:59 still belongs to the previous day."""
    assert learner_day(datetime(2024, 5, 1, 3, 59), 4) == datetime(2024, 4, 30).toordinal()
    assert learner_day(datetime(2024, 5, 1, 4, 0), 4) == datetime(2024, 5, 1).toordinal()
    aware = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)
    assert learner_day(aware, 4) == datetime(2024, 5, 1).toordinal()


def test_rollover_is_inferred_in_the_quietest_hours() -> None:
    """Middle of the longest stretch of quietest 6-hour windows (hand-computed)."""
    # Only 20:00 reviews: windows centred on 18–23 see them, 00–17 are quiet → middle 08.
    assert infer_day_rollover_hour_utc([datetime(2024, 5, d, 20) for d in range(1, 9)]) == 8
    # The real learner's pattern: reviews 15:00–05:59 UTC, none 06–14 → quiet centres 09–12 → 10.
    hours = [*range(15, 24), *range(0, 6)]
    times = [datetime(2024, 5, 1, h) for h in hours]
    assert infer_day_rollover_hour_utc(times) == 10
    assert infer_day_rollover_hour_utc([]) == DEFAULT_DAY_ROLLOVER_HOUR_UTC
    every_hour = [datetime(2024, 5, 1, h) for h in range(24)]
    assert infer_day_rollover_hour_utc(every_hour) == DEFAULT_DAY_ROLLOVER_HOUR_UTC


def test_predict_recall_golden_and_edges() -> None:
    """0 before any review; 0.9 after ``stability`` days; reviews at or after ``at`` are ignored."""
    model = RecallModel(day_rollover_hour_utc=10)
    history = [Review(1, T0, 3)]
    assert predict_recall(model, [], T0) == 0.0
    assert predict_recall(model, history, T0) == 0.0  # the review at ``at`` is not before it
    stability = DEFAULT_FSRS_WEIGHTS.initial_stability_good
    at = T0 + timedelta(days=stability)
    assert predict_recall(model, history, at) == pytest.approx(0.9, rel=1e-12)
    later = [*history, Review(1, at, 1), Review(1, at + timedelta(days=3), 3)]
    assert predict_recall(model, later, at) == predict_recall(model, history, at)
    curve = [predict_recall(model, history, T0 + timedelta(days=d)) for d in (0.5, 1, 3, 10, 60)]
    assert curve == sorted(curve, reverse=True)


def test_same_learner_day_reviews_are_short_term() -> None:
    """20:00 and 23:00 UTC share a learner day (rollover 10): short-term update; next noon: long-term."""
    model = RecallModel(day_rollover_hour_utc=10)
    w = DEFAULT_FSRS_WEIGHTS
    history = [
        Review(1, T0, 1),
        Review(1, T0 + timedelta(hours=3), 3),
        Review(1, T0 + timedelta(hours=16), 3),  # 12:00 UTC the next calendar day: day + 1
    ]
    expected = next_memory(w, next_memory(w, initial_memory(w, 1), 3, 0), 3, 1)
    state = card_memory(model, history)
    assert state is not None
    assert state[0] == expected
    assert state[1] == T0 + timedelta(hours=16)


def test_ratings_are_checked() -> None:
    """A rating outside 1–4 is an error, not a silent guess."""
    with pytest.raises(ValueError, match="rating"):
        predict_recall(DEFAULT_RECALL_MODEL, [Review(1, T0, 5)], T0 + timedelta(days=1))


def test_defaults_below_the_minimum_review_count() -> None:
    """Fewer than MIN_REVIEWS_FOR_FIT reviews: FSRS-6 default weights, marked not fitted."""
    reviews = _synthetic_log(np.random.default_rng(3))[: MIN_REVIEWS_FOR_FIT - 1]
    model = fit_recall_model(reviews, now=reviews[-1].time + timedelta(days=1))
    assert model.weights == DEFAULT_FSRS_WEIGHTS
    assert not model.fitted
    assert model.reviews_used == 0
    assert model.day_rollover_hour_utc == infer_day_rollover_hour_utc(r.time for r in reviews)
    empty = fit_recall_model([], now=T0)
    assert empty == DEFAULT_RECALL_MODEL


def test_fit_uses_only_reviews_before_now_and_is_deterministic() -> None:
    """Reviews at or after ``now`` change nothing; the same input gives the same weights."""
    reviews = _synthetic_log(np.random.default_rng(11))
    assert len(reviews) >= MIN_REVIEWS_FOR_FIT + 50
    now = reviews[MIN_REVIEWS_FOR_FIT + 20].time
    before = [r for r in reviews if r.time < now]
    model = fit_recall_model(before, now=now)
    assert model.fitted
    assert model.reviews_used == len(before)
    assert model.weights != DEFAULT_FSRS_WEIGHTS
    flipped = [
        Review(r.card_id, r.time, 4 - r.rating + 1 if r.time >= now else r.rating) for r in reviews
    ]
    assert fit_recall_model(flipped, now=now) == model
    assert fit_recall_model(before, now=now) == model
    # Fitted weights are valid for the fsrs package too (it checks bounds).
    fsrs_reference.review(None, 3, T0, model.weights.as_vector())


def test_explicit_rollover_is_used() -> None:
    """A rollover from the learner's time zone overrides inference (taken modulo 24)."""
    reviews = _synthetic_log(np.random.default_rng(5), cards=10)
    model = fit_recall_model(reviews, now=reviews[-1].time, day_rollover_hour_utc=28)
    assert model.day_rollover_hour_utc == 4


def test_model_round_trips_through_a_dict() -> None:
    """as_dict / from_dict keep every field, weights by name."""
    model = RecallModel(day_rollover_hour_utc=11, reviews_used=1234, fitted=True)
    data = model.as_dict()
    assert data["weights"]["decay"] == DEFAULT_FSRS_WEIGHTS.decay
    assert RecallModel.from_dict(data) == model


def test_refit_schedule_of_the_memory_model() -> None:
    assert not refit_due(MIN_REVIEWS_FOR_FIT - 1, None)
    assert refit_due(MIN_REVIEWS_FOR_FIT, None)
    assert not refit_due(359, 300)  # +19.7%
    assert refit_due(360, 300)  # +20%
    assert not refit_due(2249, 2000)  # +249
    assert refit_due(2250, 2000)  # +250 (< 20%)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Europe/Berlin", 3), ("Asia/Tokyo", 19), ("Asia/Kolkata", 22), ("UTC", 4)],
)
def test_day_rollover_is_4am_local(zone: str, expected: int) -> None:
    assert zone_rollover_hour_utc(zone, datetime(2026, 1, 15, tzinfo=UTC)) == expected
