"""One card's memory state over time: update on a review, recall probability at a moment.

Pure: timestamps are passed in (aware, or naive UTC — the storage convention). The
FSRS-6 scheduler of the ``fsrs`` package with learning and relearning steps switched
off and no fuzzing, computed by :mod:`twin.analysis.recall.fsrs6`, so a card's whole
state is (stability, difficulty, last review, next review): what the ``cards`` table
stores. Days are 24-hour spans here, as in the ``fsrs`` package; the learner's recall
model (:mod:`twin.analysis.recall.model`) counts the learner's study days instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from twin.analysis.common import naive_utc
from twin.analysis.recall.fsrs6 import (
    AGAIN,
    DESIRED_RETENTION,
    CardMemory,
    initial_memory,
    next_interval_days,
    next_memory,
    retrievability,
)
from twin.analysis.recall.weights import DEFAULT_FSRS_WEIGHTS, FsrsWeights

RATING_VALUES = {"AGAIN": 1, "HARD": 2, "GOOD": 3, "EASY": 4}
MIN_RATING, MAX_RATING = 1, 4


@dataclass(frozen=True)
class MemoryState:
    """What the engine knows about one card's memory after its reviews so far."""

    stability: float
    difficulty: float
    last_review: datetime
    next_review: datetime
    review_count: int
    lapse_count: int


def rating_value(rating: str | int) -> int:
    """1–4 from a rating name (AGAIN…EASY) or number."""
    if isinstance(rating, int):
        if not MIN_RATING <= rating <= MAX_RATING:
            raise ValueError(f"rating must be 1–4, got {rating}")
        return rating
    return RATING_VALUES[rating]


def review(
    state: MemoryState | None,
    rating: str | int,
    at: datetime,
    weights: FsrsWeights = DEFAULT_FSRS_WEIGHTS,
    desired_retention: float = DESIRED_RETENTION,
) -> MemoryState:
    """The card's state after a review with ``rating`` at ``at`` (``state`` None for a new card)."""
    value = rating_value(rating)
    at = naive_utc(at)
    if state is None:
        memory = initial_memory(weights, value)
    else:
        elapsed_days = (at - state.last_review).days  # whole days, as the fsrs package counts
        previous = CardMemory(state.stability, state.difficulty)
        memory = next_memory(weights, previous, value, elapsed_days)
    interval = next_interval_days(weights, memory.stability, desired_retention)
    return MemoryState(
        stability=memory.stability,
        difficulty=memory.difficulty,
        last_review=at,
        next_review=at + timedelta(days=interval),
        review_count=(state.review_count if state else 0) + 1,
        lapse_count=(state.lapse_count if state else 0) + (1 if value == AGAIN and state else 0),
    )


def replay(
    reviews: Iterable[tuple[datetime, str | int]],
    weights: FsrsWeights = DEFAULT_FSRS_WEIGHTS,
) -> MemoryState | None:
    """The state after a card's reviews, applied in time order."""
    state: MemoryState | None = None
    for at, rating in sorted(reviews, key=lambda r: r[0]):
        state = review(state, rating, at, weights)
    return state


def recall_probability(
    state: MemoryState | None,
    at: datetime,
    weights: FsrsWeights = DEFAULT_FSRS_WEIGHTS,
) -> float:
    """FSRS retrievability of the card at ``at``, after whole days (0 for a card never reviewed)."""
    if state is None:
        return 0.0
    elapsed_days = max(0, (naive_utc(at) - state.last_review).days)
    return retrievability(weights, state.stability, float(elapsed_days))
