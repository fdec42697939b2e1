"""The ``fsrs`` package's FSRS-6 scheduler as a test oracle (the engine computes its own).

The engine's formulas live in :mod:`twin.analysis.recall.fsrs6`; tests replay cards
through the package, configured as the engine schedules (no learning or relearning
steps, no fuzzing, the package's default desired retention), and compare review by
review. The package also validates weights (bounds), which tests of fitted weights use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from fsrs import Card, Rating, Scheduler, State

from twin.analysis.recall.card import MemoryState, rating_value
from twin.analysis.recall.fsrs6 import DESIRED_RETENTION
from twin.analysis.recall.weights import DEFAULT_FSRS_WEIGHTS

DEFAULT_PARAMETERS: tuple[float, ...] = DEFAULT_FSRS_WEIGHTS.as_vector()
# fsrs.Card sleeps 1 ms to mint a unique id when none is given.
FSRS_CARD_ID = 0


@lru_cache(maxsize=64)
def scheduler(parameters: tuple[float, ...] = DEFAULT_PARAMETERS) -> Scheduler:
    """The package's scheduler as the engine configures it (raises on out-of-bounds weights)."""
    return Scheduler(
        parameters=parameters,
        desired_retention=DESIRED_RETENTION,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )


def _aware(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _card(state: MemoryState) -> Card:
    return Card(
        card_id=FSRS_CARD_ID,
        state=State.Review,
        stability=state.stability,
        difficulty=state.difficulty,
        last_review=_aware(state.last_review),
        due=_aware(state.next_review),
    )


def review(
    state: MemoryState | None,
    rating: str | int,
    at: datetime,
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
) -> MemoryState:
    """The package's state after a review (``state`` None for a new card)."""
    card = Card(card_id=FSRS_CARD_ID) if state is None else _card(state)
    value = rating_value(rating)
    card, _log = scheduler(tuple(parameters)).review_card(
        card, Rating(value), review_datetime=_aware(at)
    )
    assert card.stability is not None and card.difficulty is not None
    return MemoryState(
        stability=float(card.stability),
        difficulty=float(card.difficulty),
        last_review=_aware(at).replace(tzinfo=None),
        next_review=card.due.astimezone(UTC).replace(tzinfo=None),
        review_count=(state.review_count if state else 0) + 1,
        lapse_count=(state.lapse_count if state else 0) + (1 if value == 1 and state else 0),
    )


def replay(
    reviews: Iterable[tuple[datetime, str | int]],
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
) -> MemoryState | None:
    """The package's state after a card's reviews, applied in time order."""
    state: MemoryState | None = None
    for at, rating in sorted(reviews, key=lambda r: r[0]):
        state = review(state, rating, at, parameters)
    return state


def recall_probability(
    state: MemoryState | None, at: datetime, parameters: Sequence[float] = DEFAULT_PARAMETERS
) -> float:
    """The package's retrievability of the card at ``at`` (0 for a card never reviewed)."""
    if state is None:
        return 0.0
    return float(scheduler(tuple(parameters)).get_card_retrievability(_card(state), _aware(at)))
