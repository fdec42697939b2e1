"""Difficulty adaptation for the learner's latest load reading (ENGINE.md 5.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from twin.analysis.cognitive.difficulty import DifficultyAdjustment, adapt_difficulty
from twin.analysis.common import InsufficientData
from twin.learners import Learner
from twin.services.cognitive.load import NO_READING, StoredReading, current_load


@dataclass(frozen=True)
class DifficultyView:
    """The adjustment for the latest load, or what is missing."""

    based_on: StoredReading | None
    adjustment: DifficultyAdjustment | None

    @property
    def insufficient(self) -> InsufficientData | None:
        """What is missing: a first load reading."""
        return NO_READING if self.based_on is None or self.adjustment is None else None


def difficulty_adjustment(
    session: Session,
    learner: Learner,
    applied_this_session: int = 0,
    as_of: datetime | None = None,
) -> DifficultyView:
    """Difficulty change and session rules for the learner's latest load reading (at ``as_of``)."""
    current = current_load(session, learner.user_id, as_of).current
    if current is None:
        return DifficultyView(None, None)
    return DifficultyView(current, adapt_difficulty(current.load_score, applied_this_session))
