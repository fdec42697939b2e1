"""A card's memory state from all its reviews, replayed in time order (pure).

Replaying *all* of a card's reviews (ties broken by review id) makes the state
independent of arrival order: out-of-order and re-sent reviews give the same
result. ``cards.retrievability`` is defined as the FSRS recall probability *at
the card's last review time, just before that review* — the model's prediction
for the last review (0 for a card reviewed once). It is deterministic (no
clock); the recall probability at any later moment comes from
:func:`twin.analysis.recall.card.recall_probability` with the stored state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from twin.analysis.recall.card import MemoryState, recall_probability, review


@dataclass(frozen=True)
class ReviewInput:
    """What the replay needs of one review."""

    review_id: str
    reviewed_at: datetime
    rating: str


@dataclass(frozen=True)
class ReviewMemory:
    """The card's difficulty and stability before and after one review (0 before the first)."""

    review_id: str
    difficulty_before: float
    difficulty_after: float
    stability_before: float
    stability_after: float


@dataclass(frozen=True)
class CardMemory:
    """The columns of ``cards`` derived from its reviews."""

    stability: float
    difficulty: float
    retrievability: float
    last_reviewed_at: datetime | None
    next_review_at: datetime | None
    review_count: int
    lapse_count: int


UNREVIEWED = CardMemory(0.0, 0.0, 0.0, None, None, 0, 0)


def replay_card(reviews: Iterable[ReviewInput]) -> tuple[CardMemory, list[ReviewMemory]]:
    """The card's state after all ``reviews`` and each review's before/after values."""
    state: MemoryState | None = None
    predicted = 0.0
    per_review: list[ReviewMemory] = []
    for item in sorted(reviews, key=lambda r: (r.reviewed_at, r.review_id)):
        predicted = recall_probability(state, item.reviewed_at)
        after = review(state, item.rating, item.reviewed_at)
        per_review.append(
            ReviewMemory(
                review_id=item.review_id,
                difficulty_before=state.difficulty if state else 0.0,
                difficulty_after=after.difficulty,
                stability_before=state.stability if state else 0.0,
                stability_after=after.stability,
            )
        )
        state = after
    if state is None:
        return UNREVIEWED, per_review
    card = CardMemory(
        stability=state.stability,
        difficulty=state.difficulty,
        retrievability=predicted,
        last_reviewed_at=state.last_review,
        next_review_at=state.next_review,
        review_count=state.review_count,
        lapse_count=state.lapse_count,
    )
    return card, per_review
