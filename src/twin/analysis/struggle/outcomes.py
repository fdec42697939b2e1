"""Outcomes of struggle predictions: the automatic rule, learner feedback, status (ENGINE.md 5.2)."""

from __future__ import annotations

from twin.analysis.struggle.common import PredictionStatus

STRUGGLE_ACCURACY_BELOW = 0.65
"""Session accuracy (0–1) strictly below this counts as a struggle; exactly 0.65 does not."""

STRUGGLE_AGAIN_AT_LEAST = 3
"""This many AGAIN ratings or more on the objective's cards counts as a struggle."""

STRUGGLE_VALIDATION_BELOW = 0.6
"""Validation score (0–1) strictly below this counts as a struggle; exactly 0.6 does not."""

PREDICTION_THRESHOLD = 0.5
"""p ≥ 0.5 is a prediction of struggle (CONFIRMED / FALSE_POSITIVE side)."""


def automatic_outcome(
    session_accuracy: float | None, again_count: int | None, validation_score: float | None
) -> bool | None:
    """Struggled if accuracy < 0.65, or ≥ 3 AGAIN, or validation < 0.6; None if nothing was observed."""
    if session_accuracy is None and again_count is None and validation_score is None:
        return None
    return (
        (session_accuracy is not None and session_accuracy < STRUGGLE_ACCURACY_BELOW)
        or (again_count is not None and again_count >= STRUGGLE_AGAIN_AT_LEAST)
        or (validation_score is not None and validation_score < STRUGGLE_VALIDATION_BELOW)
    )


def resolve_outcome(automatic: bool | None, learner_says_struggled: bool | None) -> bool | None:
    """The recorded outcome: the learner's own answer wins over the automatic rule."""
    return automatic if learner_says_struggled is None else learner_says_struggled


def prediction_status(probability: float, struggled: bool | None) -> PredictionStatus:
    """Status of a prediction once its outcome is known.

    p ≥ 0.5 & struggled → CONFIRMED; p ≥ 0.5 & not → FALSE_POSITIVE;
    p < 0.5 & struggled → MISSED; p < 0.5 & not → RESOLVED (a correct "no struggle":
    the database has no true-negative status, and RESOLVED closes the prediction);
    no outcome yet → PENDING.
    """
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {probability}")
    if struggled is None:
        return PredictionStatus.PENDING
    if probability >= PREDICTION_THRESHOLD:
        return PredictionStatus.CONFIRMED if struggled else PredictionStatus.FALSE_POSITIVE
    return PredictionStatus.MISSED if struggled else PredictionStatus.RESOLVED
