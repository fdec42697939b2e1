"""Recall: the learner's memory model and a card's predicted recall."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from twin.api.schemas.base import Answer, Rounded
from twin.api.types import Timestamp


class MemoryModelOut(Answer):
    """The learner's recall model."""

    fitted: bool = Field(description="true once the learner's own FSRS-6 weights were fitted")
    source: Literal["fitted", "default"]
    reviews_used: int = Field(description="Reviews the weights were fitted on (0: defaults)")
    fitted_at: Timestamp | None
    min_reviews_for_fit: int = Field(description="Reviews needed before a fit")


class StoredCardStateOut(Answer):
    """The card's memory state as review ingestion keeps it (FSRS-6 default weights)."""

    stability: float | None = Field(description="Days until recall falls to 90%")
    difficulty: float | None = Field(description="FSRS difficulty, 1 (easy) to 10 (hard)")
    last_reviewed_at: Timestamp | None
    next_review_at: Timestamp | None
    review_count: int | None
    note: str


class RecallOut(Answer):
    """Predicted probability that the learner recalls the card at ``at``."""

    card_id: str
    at: Timestamp
    recall_probability: Rounded = Field(description="Probability of recall at `at`, 0-1")
    model: MemoryModelOut
    reviews_before: int = Field(description="Reviews of the card before `at`")
    last_reviewed_at: Timestamp | None
    elapsed_days: Rounded | None = Field(description="Days since the last review before `at`")
    stability_days: Rounded | None = Field(
        description="FSRS stability under the learner's model: days until recall falls to 90%"
    )
    difficulty: Rounded | None = Field(
        description="FSRS difficulty under the learner's model, 1 (easy) to 10 (hard)"
    )
    stored_state: StoredCardStateOut = Field(
        description="The card's memory state kept by ingestion"
    )
