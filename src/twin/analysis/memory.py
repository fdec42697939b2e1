"""Card memory state with FSRS-6 (the ``fsrs`` package): update on a review, recall probability.

Pure: timestamps are passed in (naive UTC, the storage convention). Learning and
relearning steps are switched off so a card's whole state is (stability,
difficulty, last review): that is what the ``cards`` table stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS as FSRS6_DEFAULT_PARAMETERS

from twin.analysis.common import aware_utc, naive_utc

DESIRED_RETENTION = 0.9
RATING_VALUES = {"AGAIN": 1, "HARD": 2, "GOOD": 3, "EASY": 4}
DEFAULT_PARAMETERS: tuple[float, ...] = tuple(FSRS6_DEFAULT_PARAMETERS)
# fsrs.Card sleeps 1 ms to mint a unique id when none is given; the engine keeps its own ids.
FSRS_CARD_ID = 0


@dataclass(frozen=True)
class MemoryState:
    """What the engine knows about one card's memory after its reviews so far."""

    stability: float
    difficulty: float
    last_review: datetime
    next_review: datetime
    review_count: int
    lapse_count: int


@lru_cache(maxsize=256)
def _scheduler(parameters: tuple[float, ...]) -> Scheduler:
    return Scheduler(
        parameters=parameters,
        desired_retention=DESIRED_RETENTION,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )


def rating_value(rating: str | int) -> int:
    """1–4 from a rating name (AGAIN…EASY) or number."""
    if isinstance(rating, int):
        if not 1 <= rating <= 4:
            raise ValueError(f"rating must be 1–4, got {rating}")
        return rating
    return RATING_VALUES[rating]


def review(
    state: MemoryState | None,
    rating: str | int,
    at: datetime,
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
) -> MemoryState:
    """The card's state after a review with ``rating`` at ``at`` (``state`` None for a new card)."""
    scheduler = _scheduler(tuple(parameters))
    if state is None:
        card = Card(card_id=FSRS_CARD_ID)
    else:
        card = Card(
            card_id=FSRS_CARD_ID,
            state=State.Review,
            stability=state.stability,
            difficulty=state.difficulty,
            last_review=aware_utc(state.last_review),
            due=aware_utc(state.next_review),
        )
    value = rating_value(rating)
    card, _log = scheduler.review_card(card, Rating(value), review_datetime=aware_utc(at))
    assert card.stability is not None and card.difficulty is not None
    return MemoryState(
        stability=float(card.stability),
        difficulty=float(card.difficulty),
        last_review=naive_utc(at),
        next_review=naive_utc(card.due),
        review_count=(state.review_count if state else 0) + 1,
        lapse_count=(state.lapse_count if state else 0) + (1 if value == 1 and state else 0),
    )


def replay(
    reviews: Iterable[tuple[datetime, str | int]],
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
) -> MemoryState | None:
    """The state after a card's reviews, applied in time order."""
    state: MemoryState | None = None
    for at, rating in sorted(reviews, key=lambda r: r[0]):
        state = review(state, rating, at, parameters)
    return state


def recall_probability(
    state: MemoryState | None,
    at: datetime,
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
) -> float:
    """FSRS retrievability of the card at ``at`` (0 for a card never reviewed)."""
    if state is None:
        return 0.0
    scheduler = _scheduler(tuple(parameters))
    card = Card(
        card_id=FSRS_CARD_ID,
        state=State.Review,
        stability=state.stability,
        difficulty=state.difficulty,
        last_review=aware_utc(state.last_review),
        due=aware_utc(state.next_review),
    )
    return float(scheduler.get_card_retrievability(card, aware_utc(at)))
