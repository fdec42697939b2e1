"""Difficulty adaptation for the learner's latest load reading (ENGINE.md 5.4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from twin.analysis.cognitive.difficulty import DifficultyAdjustment, adapt_difficulty
from twin.analysis.common import InsufficientData
from twin.learners import Learner
from twin.services.cognitive.load import StoredReading, current_load


@dataclass(frozen=True)
class DifficultyView:
    """The adjustment for the latest load, or what is missing."""

    reading: StoredReading | None
    adjustment: DifficultyAdjustment | None

    def to_json(self) -> dict[str, Any]:
        """JSON form for the API."""
        if self.reading is None or self.adjustment is None:
            return {
                "basedOn": None,
                "adjustment": None,
                "insufficient": InsufficientData("loadReadings", 0, 1).to_json(),
            }
        return {
            "basedOn": self.reading.to_json(),
            "adjustment": self.adjustment.to_json(),
            "insufficient": None,
        }


def difficulty_adjustment(
    session: Session, learner: Learner, applied_this_session: int = 0
) -> DifficultyView:
    """Difficulty change and session rules for the learner's latest load reading."""
    current = current_load(session, learner.user_id).current
    if current is None:
        return DifficultyView(None, None)
    return DifficultyView(current, adapt_difficulty(current.load_score, applied_this_session))
