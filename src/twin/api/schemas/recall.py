"""Recall: the learner's memory model and a card's predicted recall."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from twin.api.schemas.base import Answer, Rounded, round_to
from twin.api.types import IsoDatetime

RECALL_PROBABILITY_DIGITS = 6


class MemoryModelOut(Answer):
    """The learner's recall model."""

    fitted: bool
    source: Literal["fitted", "default"]
    reviews_used: int
    fitted_at: IsoDatetime | None
    min_reviews_for_fit: int


class RecallOut(Answer):
    """Predicted probability that the learner recalls the card at ``at``."""

    card_id: str
    at: datetime
    recall_probability: Annotated[float, round_to(RECALL_PROBABILITY_DIGITS)] = Field(
        description="0-1"
    )
    model: MemoryModelOut
    reviews_before: int
    last_reviewed_at: IsoDatetime | None
    elapsed_days: Rounded | None
    stability_days: Rounded | None = Field(description="FSRS stability under the learner's model")
    difficulty: Rounded | None = Field(
        description="FSRS difficulty (1-10) under the learner's model"
    )
    stored_state: dict[str, Any] = Field(description="The card's memory state kept by ingestion")
