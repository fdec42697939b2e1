"""Chronological, no-peeking evaluation of recall predictors on a review log.

Protocol (``shared/data/README.md``): go through the reviews in time order;
before every review that comes at least :data:`SCORING_MIN_GAP` after the previous
review of the same card, predict the probability of recall (rating > 1). A
predictor is built by a *factory* from the reviews before the scored one only,
and rebuilt (refitted) periodically; between refits it is reused, seeing each
card's earlier reviews but never the review it predicts or anything later.

Metrics: log loss, AUC (rank formula), and RMSE(bins by interval): the scored
reviews are binned by the time elapsed since the card's previous review, bin
``floor(log(elapsed_days) / log(1.5))``, and the RMSE between each bin's mean
prediction and its observed recall rate is taken, weighted by bin size. With
ratio 1.5 this reproduces the data README's reference figures (0.114 and 0.058).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy.stats import rankdata

from twin.analysis.recall import card
from twin.analysis.recall.model import Review, fit_recall_model, predict_recall

# A review is scored when it comes at least this long after the card's previous review.
SCORING_MIN_GAP = timedelta(days=1)
# Predictions are clipped to [ε, 1 − ε] before taking logarithms.
PROBABILITY_EPSILON = 1e-6
# Ratio between successive elapsed-time bins of RMSE(bins): 1–1.5 d, 1.5–2.25 d, …
RMSE_BIN_RATIO = 1.5
# Default refit schedule: rebuild the predictor after this many new reviews.
REFIT_EVERY_REVIEWS = 250
SECONDS_PER_DAY = 86_400.0

CardPredictor = Callable[[Sequence[Review], datetime], float]
"""Probability of recall of a card from its earlier reviews, at a time."""
PredictorFactory = Callable[[Sequence[Review], datetime], CardPredictor]
"""Builds a card predictor from the learner's reviews before ``now`` (and ``now``)."""


@dataclass(frozen=True)
class EvaluationResult:
    """Quality of a predictor's recall predictions over the scored reviews."""

    log_loss: float
    auc: float
    rmse_bins: float
    n_scored: int
    recall_rate: float
    refits: int = 0


@dataclass(frozen=True)
class ScoredPredictions:
    """Per scored review, in time order: prediction, outcome, days elapsed, index in the sorted log."""

    predictions: np.ndarray
    outcomes: np.ndarray
    elapsed_days: np.ndarray
    review_index: np.ndarray
    refits: int


def sort_reviews(reviews: Sequence[Review]) -> list[Review]:
    """Reviews in time order (stable for equal times)."""
    return sorted(reviews, key=lambda r: r.time)


def scored_indices(reviews: Sequence[Review]) -> list[int]:
    """Indices (in time-sorted ``reviews``) of reviews at least a day after the card's previous one."""
    previous: dict[int, datetime] = {}
    scored = []
    for index, review in enumerate(reviews):
        last = previous.get(review.card_id)
        if last is not None and review.time - last >= SCORING_MIN_GAP:
            scored.append(index)
        previous[review.card_id] = review.time
    return scored


def log_loss(predictions: np.ndarray, outcomes: np.ndarray) -> float:
    """Mean negative log-likelihood of binary outcomes (predictions clipped to [ε, 1−ε])."""
    p = np.clip(np.asarray(predictions, dtype=float), PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)
    y = np.asarray(outcomes, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def auc(predictions: np.ndarray, outcomes: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties count half); NaN with one class only."""
    y = np.asarray(outcomes, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = rankdata(np.asarray(predictions, dtype=float))
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def rmse_bins(predictions: np.ndarray, outcomes: np.ndarray, elapsed_days: np.ndarray) -> float:
    """RMSE between mean prediction and recall rate per elapsed-time bin, weighted by bin size."""
    p = np.asarray(predictions, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    bins = np.floor(np.log(np.asarray(elapsed_days, dtype=float)) / math.log(RMSE_BIN_RATIO))
    squared = 0.0
    for value in np.unique(bins):
        in_bin = bins == value
        squared += in_bin.sum() * (p[in_bin].mean() - y[in_bin].mean()) ** 2
    return math.sqrt(squared / len(p)) if len(p) else math.nan


def evaluate_predictions(scored: ScoredPredictions) -> EvaluationResult:
    """Metrics of a set of scored predictions."""
    p, y = scored.predictions, scored.outcomes
    n = len(p)
    return EvaluationResult(
        log_loss=log_loss(p, y) if n else math.nan,
        auc=auc(p, y),
        rmse_bins=rmse_bins(p, y, scored.elapsed_days),
        n_scored=n,
        recall_rate=float(np.mean(y)) if n else math.nan,
        refits=scored.refits,
    )


def chronological_predictions(
    reviews: Sequence[Review],
    predictor_factory: PredictorFactory,
    refit_every: int | timedelta = REFIT_EVERY_REVIEWS,
) -> ScoredPredictions:
    """Predict every scored review from earlier reviews only, refitting every N reviews or timedelta."""
    ordered = sort_reviews(reviews)
    scored = set(scored_indices(ordered))
    card_history: dict[int, list[Review]] = defaultdict(list)
    predictor: CardPredictor | None = None
    fitted_index, fitted_time = 0, datetime.min
    refits = 0
    predictions, outcomes, elapsed, indices = [], [], [], []
    for index, review in enumerate(ordered):
        history = card_history[review.card_id]
        if index in scored:
            due = (
                index - fitted_index >= refit_every
                if isinstance(refit_every, int)
                else review.time - fitted_time >= refit_every
            )
            if predictor is None or due:
                predictor = predictor_factory(tuple(ordered[:index]), review.time)
                fitted_index, fitted_time = index, review.time
                refits += 1
            predictions.append(predictor(tuple(history), review.time))
            outcomes.append(review.rating > 1)
            elapsed.append((review.time - history[-1].time).total_seconds() / SECONDS_PER_DAY)
            indices.append(index)
        history.append(review)
    return ScoredPredictions(
        predictions=np.asarray(predictions, dtype=float),
        outcomes=np.asarray(outcomes, dtype=bool),
        elapsed_days=np.asarray(elapsed, dtype=float),
        review_index=np.asarray(indices, dtype=int),
        refits=refits,
    )


def evaluate_chronological(
    reviews: Sequence[Review],
    predictor_factory: PredictorFactory,
    refit_every: int | timedelta = REFIT_EVERY_REVIEWS,
) -> EvaluationResult:
    """Run the no-peeking protocol on a review log and measure the predictions."""
    return evaluate_predictions(chronological_predictions(reviews, predictor_factory, refit_every))


def recall_model_factory(history: Sequence[Review], now: datetime) -> CardPredictor:
    """The engine's predictor: :func:`fit_recall_model` on the history, then :func:`predict_recall`."""
    model = fit_recall_model(history, now=now)

    def predict(card_history: Sequence[Review], at: datetime) -> float:
        return predict_recall(model, card_history, at)

    return predict


def fsrs_default_factory(history: Sequence[Review], now: datetime) -> CardPredictor:
    """Reference: the ``fsrs`` package's FSRS-6 scheduler with default weights (24-hour days), no fitting."""

    def predict(card_history: Sequence[Review], at: datetime) -> float:
        state = card.replay((r.time, r.rating) for r in card_history)
        return card.recall_probability(state, at)

    return predict


def running_mean_factory(history: Sequence[Review], now: datetime) -> CardPredictor:
    """Baseline without peeking: recall rate of the scored reviews so far (Laplace-smoothed)."""
    ordered = sort_reviews(history)
    recalled = [ordered[i].rating > 1 for i in scored_indices(ordered)]
    rate = (sum(recalled) + 1) / (len(recalled) + 2)

    def predict(card_history: Sequence[Review], at: datetime) -> float:
        return rate

    return predict


def in_sample_constant_mean(reviews: Sequence[Review]) -> EvaluationResult:
    """The data README's "constant mean recall": the overall recall rate of all scored reviews.

    It peeks (the rate includes the outcomes it predicts); it is the reference's
    definition, reported next to the no-peeking running mean.
    """
    ordered = sort_reviews(reviews)
    indices = scored_indices(ordered)
    outcomes = np.asarray([ordered[i].rating > 1 for i in indices], dtype=bool)
    previous: dict[int, datetime] = {}
    elapsed_by_index: dict[int, float] = {}
    for index, review in enumerate(ordered):
        if review.card_id in previous:
            gap = review.time - previous[review.card_id]
            elapsed_by_index[index] = gap.total_seconds() / SECONDS_PER_DAY
        previous[review.card_id] = review.time
    elapsed = np.asarray([elapsed_by_index[i] for i in indices], dtype=float)
    rate = float(outcomes.mean()) if len(outcomes) else math.nan
    return evaluate_predictions(
        ScoredPredictions(
            predictions=np.full(len(outcomes), rate),
            outcomes=outcomes,
            elapsed_days=elapsed,
            review_index=np.asarray(indices, dtype=int),
            refits=0,
        )
    )
