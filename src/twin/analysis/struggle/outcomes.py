"""Outcomes of struggle predictions: the automatic rules, learner feedback, status (ENGINE.md 5.2).

Two automatic rules. The ENGINE rule (:func:`automatic_outcome`, ``engine-v1``): one study
day's accuracy < 0.65, or ≥ 3 AGAIN, or validation < 0.6. The evidence rule
(:func:`sequential_outcome`, ``evidence-v1``): Wald's sequential probability ratio test of
the objective's reviews and validation answers against the learner's own baseline on
other objectives, struggle meaning 60% of that baseline. The service uses the evidence
rule whenever the learner has a baseline (see :mod:`twin.services.struggle_outcomes`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from twin.enums import PredictionStatus

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


# --- the evidence rule: a sequential test against the learner's own baseline --------------------

ENGINE_RULE = "engine-v1"
"""The thresholds above, applied to the first study day after the prediction (ENGINE.md 5.2)."""

EVIDENCE_RULE = "evidence-v1"
"""A sequential probability ratio test of the objective against the learner's own baseline."""

STRUGGLE_SHARE_OF_BASELINE = 0.6
"""The struggle hypothesis: recall (and validation score) at 60% of the learner's baseline."""

VALIDATION_SCORE_SD = 0.15
"""Spread (standard deviation, 0–1 scale) of one validation score around its mean."""

FALSE_STRUGGLE_RATE = 0.01
"""α of the test: the chance of recording a struggle on an objective studied at baseline."""

MISSED_STRUGGLE_RATE = 0.05
"""β of the test: the chance of recording no struggle on an objective at 60% of baseline."""

MIN_BASELINE_REVIEWS = 30
"""Non-first reviews of other objectives needed for a recall baseline."""

MIN_BASELINE_VALIDATIONS = 5
"""Validation answers on other objectives needed for a validation baseline."""

BASELINE_ACCURACY_BOUNDS = (0.3, 0.97)
"""The recall baseline is clamped into this range so both hypotheses stay inside (0, 1)."""

STRUGGLE_BOUNDARY = math.log((1 - MISSED_STRUGGLE_RATE) / FALSE_STRUGGLE_RATE)
"""Wald's upper boundary ln((1 − β)/α) ≈ 4.55: at or above it the objective was a struggle."""

NO_STRUGGLE_BOUNDARY = math.log(MISSED_STRUGGLE_RATE / (1 - FALSE_STRUGGLE_RATE))
"""Wald's lower boundary ln(β/(1 − α)) ≈ −2.99: at or below it the objective was not."""


@dataclass(frozen=True)
class OutcomeBaseline:
    """How the learner does on *other* objectives: the null hypothesis of the test."""

    accuracy: float | None
    """Share of non-first reviews recalled (rating ≠ AGAIN), clamped; None below 30 reviews."""
    validation: float | None
    """Mean validation score; None below 5 answers."""
    reviews: int = 0
    validations: int = 0

    @property
    def usable(self) -> bool:
        """At least one of the two baselines is known."""
        return self.accuracy is not None or self.validation is not None


def outcome_baseline(
    reviews: int, again: int, validations: int, validation_score_sum: float
) -> OutcomeBaseline:
    """The baseline from the learner's other objectives.

    ``reviews`` non-first reviews of which ``again`` were AGAIN; ``validations`` answers
    whose scores sum to ``validation_score_sum``.
    """
    accuracy: float | None = None
    if reviews >= MIN_BASELINE_REVIEWS:
        lo, hi = BASELINE_ACCURACY_BOUNDS
        accuracy = min(hi, max(lo, 1.0 - again / reviews))
    validation: float | None = None
    if validations >= MIN_BASELINE_VALIDATIONS:
        validation = validation_score_sum / validations
    return OutcomeBaseline(accuracy, validation, reviews, validations)


@dataclass(frozen=True)
class EvidenceItem:
    """One observation of the objective after the prediction: a review or a validation."""

    again: bool | None = None
    """A non-first review: True when rated AGAIN."""
    score: float | None = None
    """A validation answer's score (0–1)."""


def item_log_likelihood_ratio(item: EvidenceItem, baseline: OutcomeBaseline) -> float | None:
    """log P(item | struggle) − log P(item | baseline); None when its kind has no baseline.

    Reviews are Bernoulli: recalled with probability b (baseline) or 0.6·b (struggle).
    Validation scores are normal with sd 0.15 around v or 0.6·v.
    """
    if item.score is not None:
        if baseline.validation is None:
            return None
        mu0 = baseline.validation
        mu1 = STRUGGLE_SHARE_OF_BASELINE * mu0
        x = item.score
        return ((x - mu0) ** 2 - (x - mu1) ** 2) / (2 * VALIDATION_SCORE_SD**2)
    if item.again is None or baseline.accuracy is None:
        return None
    b = baseline.accuracy
    p1 = STRUGGLE_SHARE_OF_BASELINE * b
    return math.log((1 - p1) / (1 - b)) if item.again else math.log(p1 / b)


@dataclass(frozen=True)
class EvidenceDecision:
    """Where the sequential test stands after the items it was given."""

    struggled: bool | None
    """True / False once a boundary is crossed; None while the evidence is inconclusive."""
    decided_at: int | None
    """Index of the item that crossed the boundary."""
    log_likelihood_ratio: float
    """Accumulated log-likelihood ratio at the decision (or after every item)."""
    reviews: int
    again: int
    validations: int
    """Items counted up to the decision (items without a baseline are not counted)."""


def sequential_outcome(
    items: Sequence[EvidenceItem], baseline: OutcomeBaseline
) -> EvidenceDecision:
    """Wald's sequential probability ratio test over time-ordered ``items``.

    H0: the learner does on this objective as on the others (baseline); H1: at 60% of it.
    The log-likelihood ratio is summed item by item; the first item that takes it to
    :data:`STRUGGLE_BOUNDARY` or above records a struggle, to :data:`NO_STRUGGLE_BOUNDARY`
    or below no struggle (error rates about α = 1% and β = 5%). Until then: None.
    """
    llr = 0.0
    reviews = again = validations = 0
    for index, item in enumerate(items):
        step = item_log_likelihood_ratio(item, baseline)
        if step is None:
            continue
        llr += step
        if item.score is not None:
            validations += 1
        else:
            reviews += 1
            again += 1 if item.again else 0
        if llr >= STRUGGLE_BOUNDARY:
            return EvidenceDecision(True, index, llr, reviews, again, validations)
        if llr <= NO_STRUGGLE_BOUNDARY:
            return EvidenceDecision(False, index, llr, reviews, again, validations)
    return EvidenceDecision(None, None, llr, reviews, again, validations)


MIN_WINDOW_EVIDENCE = 5
"""Non-first reviews and validation answers an objective needs in a window to be counted."""


def window_verdict(items: Sequence[EvidenceItem], baseline: OutcomeBaseline) -> bool | None:
    """Did the learner struggle on an objective over a whole window (struggle reduction)?

    True when the summed log-likelihood ratio of its items favours a struggle (60% of
    the baseline) over the baseline, i.e. > 0; None below :data:`MIN_WINDOW_EVIDENCE`
    items with a baseline. Unlike :func:`sequential_outcome` it weighs all of the
    window's evidence, so a struggle that ends halfway through shows as such.
    """
    steps = [s for s in (item_log_likelihood_ratio(i, baseline) for i in items) if s is not None]
    if len(steps) < MIN_WINDOW_EVIDENCE:
        return None
    return sum(steps) > 0.0
