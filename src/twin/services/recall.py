"""Per-learner memory model: fit, store and use the learner's FSRS-6 recall model.

Card memory state (``cards.stability`` …) is kept current by review ingestion with the
FSRS-6 defaults. This module adds the learner's own parameters:

* **Fit** (:func:`refresh_memory_model`): once a learner has
  :data:`twin.analysis.recall.MIN_REVIEWS_FOR_FIT` reviews, their weights are fitted
  with :func:`twin.analysis.recall.fit_recall_model` on every review before ``now`` and
  stored in ``learner_memory_models`` (one row per learner). The learner's day starts at
  04:00 in their own time zone (as a UTC hour at ``now``).
* **Refit as data grows**: when the reviews grew by at least 20% or by 250 since the
  last fit (whichever comes first). Pattern analyses (on request and the weekly job)
  call :func:`refresh_memory_model`, so the model follows the learner's data without a
  job of its own; a refit of ~3,000 reviews costs ~0.1–0.3 s, a check one count query.
* **Defaults before that**: without a stored model the FSRS-6 default weights are used.
* **Privacy**: with ``behavioralAnalysisEnabled = false`` nothing is fitted and the
  stored model (if any) is ignored: predictions use the defaults.

:func:`card_recall` answers "how likely is this learner to recall this card at ``at``?"
by replaying the card's reviews with the learner's model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.recall import (
    DEFAULT_RECALL_MODEL,
    MIN_REVIEWS_FOR_FIT,
    RecallModel,
    Review,
    fit_recall_model,
)
from twin.analysis.recall.fsrs6 import retrievability
from twin.analysis.recall.model import card_memory, refit_due, zone_rollover_hour_utc
from twin.db.base import new_id
from twin.db.models import LearnerMemoryModel, User
from twin.errors import NotFound

RATING_NUMBERS = {"AGAIN": 1, "HARD": 2, "GOOD": 3, "EASY": 4}
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class StoredMemoryModel:
    """The learner's model as stored, or the defaults (``fitted_at`` None)."""

    model: RecallModel
    fitted_at: datetime | None

    @property
    def source(self) -> str:
        """``"fitted"`` for the learner's own weights, ``"default"`` for FSRS-6 defaults."""
        return "fitted" if self.model.fitted else "default"

    @property
    def fitted(self) -> bool:
        """True once the learner's own weights were fitted."""
        return self.model.fitted

    @property
    def reviews_used(self) -> int:
        """Reviews the weights were fitted on (0 for the defaults)."""
        return self.model.reviews_used

    @property
    def min_reviews_for_fit(self) -> int:
        """Reviews a learner needs before their own weights are fitted."""
        return MIN_REVIEWS_FOR_FIT


DEFAULT_STORED_MODEL = StoredMemoryModel(DEFAULT_RECALL_MODEL, None)


@dataclass(frozen=True)
class MemoryRefresh(StoredMemoryModel):
    """The model in use after :func:`refresh_memory_model`, and what the refresh did."""

    refitted: bool = False
    reviews_total: int = 0
    seconds: float = 0.0


def load_memory_model(session: Session, user_id: str) -> StoredMemoryModel:
    """The learner's stored model, or the FSRS-6 defaults when none was fitted yet."""
    row = session.execute(
        sa.select(LearnerMemoryModel.model, LearnerMemoryModel.fittedAt).where(
            LearnerMemoryModel.userId == user_id
        )
    ).first()
    if row is None:
        return DEFAULT_STORED_MODEL
    return StoredMemoryModel(RecallModel.from_dict(row.model), aware_utc(row.fittedAt))


def _review_count(session: Session, user_id: str, now: datetime) -> int:
    return int(
        session.execute(
            sa.text('SELECT count(*) FROM reviews WHERE "userId" = :u AND "reviewedAt" < :now'),
            {"u": user_id, "now": storage_time(now)},
        ).scalar_one()
    )


def learner_reviews(session: Session, user_id: str, now: datetime) -> list[Review]:
    """Every review of the learner before ``now`` as recall-model reviews (card ids numbered)."""
    rows = session.execute(
        sa.text(
            'SELECT "cardId", "reviewedAt", rating::text FROM reviews '
            'WHERE "userId" = :u AND "reviewedAt" < :now ORDER BY "reviewedAt", id'
        ),
        {"u": user_id, "now": storage_time(now)},
    ).all()
    numbers: dict[str, int] = {}
    return [
        Review(
            card_id=numbers.setdefault(card, len(numbers)),
            time=at,
            rating=RATING_NUMBERS[rating],
        )
        for card, at, rating in rows
    ]


def refresh_memory_model(
    session: Session,
    user: User,
    now: datetime,
    *,
    force: bool = False,
    reviews_total: int | None = None,
) -> MemoryRefresh:
    """Fit and store the learner's recall model when due (or forced); return the model in use.

    ``reviews_total`` is the learner's review count before ``now`` when the caller has it.
    """
    stored = load_memory_model(session, user.id)
    total = _review_count(session, user.id, now) if reviews_total is None else reviews_total
    used = stored.model.reviews_used if stored.model.fitted else None
    if not user.behavioralAnalysisEnabled or not (
        refit_due(total, used) or (force and total >= MIN_REVIEWS_FOR_FIT)
    ):
        return MemoryRefresh(stored.model, stored.fitted_at, refitted=False, reviews_total=total)
    began = time.perf_counter()
    model = fit_recall_model(
        learner_reviews(session, user.id, now),
        storage_time(now),
        day_rollover_hour_utc=zone_rollover_hour_utc(user.timezone, now),
    )
    fitted_at = storage_time(now)
    values = {
        "id": new_id(),
        "userId": user.id,
        "model": model.as_dict(),
        "reviewsUsed": model.reviews_used,
        "fittedAt": fitted_at,
    }
    insert = pg_insert(LearnerMemoryModel).values(**values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[LearnerMemoryModel.userId],
            set_={
                "model": insert.excluded.model,
                "reviewsUsed": insert.excluded.reviewsUsed,
                "fittedAt": insert.excluded.fittedAt,
            },
        )
    )
    return MemoryRefresh(
        model,
        aware_utc(fitted_at),
        refitted=True,
        reviews_total=total,
        seconds=time.perf_counter() - began,
    )


@dataclass(frozen=True)
class StoredCardState:
    """A card's memory state as review ingestion keeps it (FSRS-6 default parameters)."""

    stability: float | None
    difficulty: float | None
    last_reviewed_at: datetime | None
    next_review_at: datetime | None
    review_count: int | None
    note: str = "as kept by review ingestion (FSRS-6 default parameters)"


@dataclass(frozen=True)
class CardRecall:
    """The learner's predicted recall of one card at one time, with what it rests on."""

    card_id: str
    at: datetime
    recall_probability: float
    model: StoredMemoryModel
    reviews_before: int
    last_reviewed_at: datetime | None
    elapsed_days: float | None
    stability_days: float | None
    difficulty: float | None
    stored_state: StoredCardState


def card_recall(session: Session, user: User, card_id: str, at: datetime) -> CardRecall:
    """Predicted recall of ``card_id`` at ``at`` with the learner's model (NotFound for others' cards)."""
    card = session.execute(
        sa.text(
            'SELECT c.id, c.stability, c.difficulty, c."lastReviewedAt", c."nextReviewAt", '
            'c."reviewCount" FROM cards c JOIN courses co ON co.id = c."courseId" '
            'WHERE c.id = :card AND co."userId" = :u'
        ),
        {"card": card_id, "u": user.id},
    ).first()
    if card is None:
        raise NotFound(f"learner {user.id!r} has no card {card_id!r}")
    rows = session.execute(
        sa.text(
            'SELECT "reviewedAt", rating::text FROM reviews '
            'WHERE "cardId" = :card AND "userId" = :u AND "reviewedAt" < :at ORDER BY "reviewedAt"'
        ),
        {"card": card_id, "u": user.id, "at": storage_time(at)},
    ).all()
    stored = (
        load_memory_model(session, user.id)
        if user.behavioralAnalysisEnabled
        else DEFAULT_STORED_MODEL
    )
    history = [Review(card_id=0, time=t, rating=RATING_NUMBERS[r]) for t, r in rows]
    state = card_memory(stored.model, history, before=storage_time(at))
    stored_state = StoredCardState(
        stability=card.stability,
        difficulty=card.difficulty,
        last_reviewed_at=aware_utc(card.lastReviewedAt) if card.lastReviewedAt else None,
        next_review_at=aware_utc(card.nextReviewAt) if card.nextReviewAt else None,
        review_count=card.reviewCount,
    )
    if state is None:
        return CardRecall(card_id, at, 0.0, stored, 0, None, None, None, None, stored_state)
    memory, last = state
    elapsed = (storage_time(at) - last).total_seconds() / SECONDS_PER_DAY
    probability = retrievability(stored.model.weights, memory.stability, elapsed)
    return CardRecall(
        card_id=card_id,
        at=at,
        recall_probability=probability,
        model=stored,
        reviews_before=len(history),
        last_reviewed_at=aware_utc(last),
        elapsed_days=elapsed,
        stability_days=memory.stability,
        difficulty=memory.difficulty,
        stored_state=stored_state,
    )
