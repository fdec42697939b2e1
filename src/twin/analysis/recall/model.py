"""Per-card recall probability: FSRS-6 with weights fitted to one learner, counted in the learner's days.

The model is FSRS-6 (see :mod:`twin.analysis.recall.fsrs6`) with two choices that
measurably matter on real data (``benchmarks/recall_quality.py``):

* **Days are the learner's study days**, not 24-hour spans: a review the next
  morning after an evening session is a review on a new day, as in Anki and the
  FSRS optimizer's own data. Days start at a rollover hour (UTC) in the learner's
  quietest hours, inferred from their review times when not given.
* **Weights are fitted per learner** with ``fsrs-rs-python`` (no PyTorch) on the
  learner's reviews before ``now``; below :data:`MIN_REVIEWS_FOR_FIT` reviews the
  FSRS-6 defaults are used.

The prediction is the FSRS forgetting curve at the real time elapsed since the
card's last review (fractional days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fsrs_rs_python import FSRS, FSRSItem, FSRSReview, TrainingConfig

from twin.analysis.common import aware_utc, naive_utc
from twin.analysis.recall.fsrs6 import (
    CardMemory,
    initial_memory,
    next_memory,
    retrievability,
)
from twin.analysis.recall.weights import DEFAULT_FSRS_WEIGHTS, FsrsWeights

# Below this many reviews the FSRS-6 default weights are used (the optimizer needs a
# few hundred reviews; fewer give noisy weights).
MIN_REVIEWS_FOR_FIT = 300
# Passes of the optimizer over the reviews: its default (5) underfits one learner's few
# thousand reviews. On the real log (benchmarks.recall_quality, refit every 250 reviews):
# 10 → log loss 0.4425 / AUC 0.7297, 15 → 0.4406 / 0.7325, 20 → 0.4393 / 0.7339,
# 40 → 0.4386 / 0.7349 at twice the cost; 20 keeps the targets with margin at half the
# time of 40 (the weekly job fits a thousand learners at once).
FIT_EPOCHS = 20
# When a learner's day starts if their review times say nothing (04:00, Anki's default, read as UTC).
DEFAULT_DAY_ROLLOVER_HOUR_UTC = 4
# Width of the window (hours) whose review count finds the learner's quietest time of day.
QUIET_WINDOW_HOURS = 6
HOURS_PER_DAY = 24
MINUTES_PER_HOUR = 60
SECONDS_PER_DAY = 86_400.0
# The learner's day starts at 04:00 local time (Anki's default) when their zone is known.
DAY_ROLLOVER_HOUR_LOCAL = 4
# Refit a learner's model when their reviews grew by this share since the last fit …
REFIT_GROWTH_SHARE = 0.2
# … or by this many reviews, whichever comes first.
REFIT_GROWTH_REVIEWS = 250
MIN_RATING, MAX_RATING = 1, 4


@dataclass(frozen=True)
class Review:
    """One review: the card, when (naive UTC), and the rating (1 Again … 4 Easy)."""

    card_id: int
    time: datetime
    rating: int


@dataclass(frozen=True)
class RecallModel:
    """Everything needed to predict a learner's recall of a card, with its evidence."""

    weights: FsrsWeights = DEFAULT_FSRS_WEIGHTS
    day_rollover_hour_utc: int = DEFAULT_DAY_ROLLOVER_HOUR_UTC
    reviews_used: int = 0  # reviews the weights were fitted on (0 for defaults)
    fitted: bool = False  # False: FSRS-6 default weights

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (weights by name) for storing in the learner's profile."""
        return {
            "weights": dict(zip(FsrsWeights.names(), self.weights.as_vector(), strict=True)),
            "day_rollover_hour_utc": self.day_rollover_hour_utc,
            "reviews_used": self.reviews_used,
            "fitted": self.fitted,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecallModel:
        """The model back from :meth:`as_dict`."""
        return cls(
            weights=FsrsWeights(**{k: float(v) for k, v in data["weights"].items()}),
            day_rollover_hour_utc=int(data["day_rollover_hour_utc"]),
            reviews_used=int(data["reviews_used"]),
            fitted=bool(data["fitted"]),
        )


DEFAULT_RECALL_MODEL = RecallModel()


def _check_rating(rating: int) -> int:
    if not MIN_RATING <= rating <= MAX_RATING:
        raise ValueError(f"rating must be {MIN_RATING}–{MAX_RATING}, got {rating}")
    return rating


def learner_day(at: datetime, day_rollover_hour_utc: int) -> int:
    """Ordinal of the learner's day containing ``at`` (naive UTC); days start at the rollover hour."""
    return (naive_utc(at) - timedelta(hours=day_rollover_hour_utc)).toordinal()


def infer_day_rollover_hour_utc(times: Iterable[datetime]) -> int:
    """UTC hour in the middle of the learner's quietest time of day (their night), from review times."""
    counts = [0] * HOURS_PER_DAY
    for at in times:
        counts[naive_utc(at).hour] += 1
    if not any(counts):
        return DEFAULT_DAY_ROLLOVER_HOUR_UTC
    before = QUIET_WINDOW_HOURS // 2
    load = [
        sum(counts[(hour + k) % HOURS_PER_DAY] for k in range(-before, QUIET_WINDOW_HOURS - before))
        for hour in range(HOURS_PER_DAY)
    ]
    quietest = min(load)
    quiet = [value == quietest for value in load]
    if all(quiet):
        return DEFAULT_DAY_ROLLOVER_HOUR_UTC
    # Longest circular run of quietest hours, starting just after a non-quiet hour.
    start = next(h for h in range(HOURS_PER_DAY) if not quiet[h]) + 1
    best_start, best_length, run_start, run_length = 0, 0, 0, 0
    for offset in range(HOURS_PER_DAY):
        hour = (start + offset) % HOURS_PER_DAY
        if quiet[hour]:
            if run_length == 0:
                run_start = hour
            run_length += 1
            if run_length > best_length:
                best_start, best_length = run_start, run_length
        else:
            run_length = 0
    return (best_start + (best_length - 1) // 2) % HOURS_PER_DAY


def card_memory(
    model: RecallModel, card_history: Sequence[Review], before: datetime | None = None
) -> tuple[CardMemory, datetime] | None:
    """The card's FSRS state and last review time after its reviews (before ``before``), or None."""
    limit = None if before is None else naive_utc(before)
    memory: CardMemory | None = None
    last_time: datetime | None = None
    last_day = 0
    w, rollover = model.weights, model.day_rollover_hour_utc
    for review in sorted(card_history, key=lambda r: r.time):
        at = naive_utc(review.time)
        if limit is not None and at >= limit:
            break
        rating = _check_rating(review.rating)
        day = learner_day(at, rollover)
        if memory is None:
            memory = initial_memory(w, rating)
        else:
            memory = next_memory(w, memory, rating, day - last_day)
        last_time, last_day = at, day
    if memory is None or last_time is None:
        return None
    return memory, last_time


def predict_recall(model: RecallModel, card_history: Sequence[Review], at: datetime) -> float:
    """Probability that the learner recalls the card at ``at`` (0 for a card never reviewed before ``at``)."""
    state = card_memory(model, card_history, before=at)
    if state is None:
        return 0.0
    memory, last_time = state
    elapsed_days = (naive_utc(at) - last_time).total_seconds() / SECONDS_PER_DAY
    return retrievability(model.weights, memory.stability, elapsed_days)


def _training_items(reviews: Sequence[Review], day_rollover_hour_utc: int) -> list[FSRSItem]:
    """One optimizer item per review on a later day than the card's previous one, in time order."""
    by_card: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        by_card[review.card_id].append(review)
    dated: list[tuple[datetime, FSRSItem]] = []
    for card_reviews in by_card.values():
        card_reviews.sort(key=lambda r: r.time)
        sequence: list[FSRSReview] = []
        previous_day: int | None = None
        for review in card_reviews:
            day = learner_day(review.time, day_rollover_hour_utc)
            elapsed = 0 if previous_day is None else day - previous_day
            sequence.append(FSRSReview(_check_rating(review.rating), elapsed))
            if elapsed > 0:
                dated.append((review.time, FSRSItem(list(sequence))))
            previous_day = day
    dated.sort(key=lambda pair: pair[0])
    return [item for _, item in dated]


def fit_recall_model(
    history: Sequence[Review],
    now: datetime,
    *,
    day_rollover_hour_utc: int | None = None,
) -> RecallModel:
    """Fit the learner's recall model on their reviews before ``now`` (defaults below the minimum).

    ``day_rollover_hour_utc`` is when the learner's day starts (e.g. 04:00 in their
    time zone, as a UTC hour); when None it is inferred from their review times.
    """
    cutoff = naive_utc(now)
    used = [r for r in history if naive_utc(r.time) < cutoff]
    rollover = (
        infer_day_rollover_hour_utc(r.time for r in used)
        if day_rollover_hour_utc is None
        else day_rollover_hour_utc % HOURS_PER_DAY
    )
    if len(used) < MIN_REVIEWS_FOR_FIT:
        return RecallModel(day_rollover_hour_utc=rollover)
    items = _training_items(used, rollover)
    optimizer = FSRS(list(DEFAULT_FSRS_WEIGHTS.as_vector()))
    vector = optimizer.compute_parameters(
        items, training_config=TrainingConfig(num_epochs=FIT_EPOCHS)
    )
    return RecallModel(
        weights=FsrsWeights.from_vector(vector),
        day_rollover_hour_utc=rollover,
        reviews_used=len(used),
        fitted=True,
    )


def zone_rollover_hour_utc(timezone: str, at: datetime) -> int:
    """The UTC hour at which the learner's local day starts (04:00 local), at ``at``."""
    offset = ZoneInfo(timezone).utcoffset(aware_utc(at).replace(tzinfo=None)) or timedelta(0)
    offset_minutes = int(offset.total_seconds()) // MINUTES_PER_HOUR
    local_minutes = DAY_ROLLOVER_HOUR_LOCAL * MINUTES_PER_HOUR - offset_minutes
    return (local_minutes // MINUTES_PER_HOUR) % HOURS_PER_DAY


def refit_due(reviews_total: int, reviews_used: int | None) -> bool:
    """Fit when there are enough reviews and none was fitted, or reviews grew ≥ 20% or ≥ 250."""
    if reviews_total < MIN_REVIEWS_FOR_FIT:
        return False
    if reviews_used is None or reviews_used <= 0:
        return True
    growth = reviews_total - reviews_used
    return growth >= min(REFIT_GROWTH_SHARE * reviews_used, REFIT_GROWTH_REVIEWS)
