"""The FSRS-6 memory formulas on plain floats, with named weights.

The same formulas as the ``fsrs`` package (6.3) with learning steps switched off:
a card's state is (stability, difficulty); a review less than one day after the
previous one changes stability by the short-term rule, otherwise by the long-term
rule at the retrievability reached after the elapsed (whole) days. Plain floats
make replaying a card's history cost microseconds, which chronological
evaluation and per-card prediction need; a test checks these formulas against
``twin.analysis.memory`` (the ``fsrs`` package) review by review.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from twin.analysis.recall.weights import FsrsWeights

STABILITY_MIN_DAYS = 0.001  # fsrs.scheduler.STABILITY_MIN
DIFFICULTY_MIN = 1.0
DIFFICULTY_MAX = 10.0
# Stability is the interval (days) after which recall probability has fallen to this.
RETRIEVABILITY_AT_STABILITY = 0.9
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4


@dataclass(frozen=True)
class CardMemory:
    """FSRS memory state of one card: stability (days) and difficulty (1–10)."""

    stability: float
    difficulty: float


def _clamp_difficulty(difficulty: float) -> float:
    return min(max(difficulty, DIFFICULTY_MIN), DIFFICULTY_MAX)


def _initial_difficulty(w: FsrsWeights, rating: int) -> float:
    return (
        w.initial_difficulty_again - math.exp(w.initial_difficulty_rating_factor * (rating - 1)) + 1
    )


def retrievability(w: FsrsWeights, stability: float, elapsed_days: float) -> float:
    """Probability of recall ``elapsed_days`` after the last review of a card of this stability."""
    factor = RETRIEVABILITY_AT_STABILITY ** (-1.0 / w.decay) - 1.0
    return float((1.0 + factor * max(elapsed_days, 0.0) / stability) ** (-w.decay))


def initial_memory(w: FsrsWeights, rating: int) -> CardMemory:
    """State after a card's first review with ``rating`` (1–4)."""
    initial = (
        w.initial_stability_again,
        w.initial_stability_hard,
        w.initial_stability_good,
        w.initial_stability_easy,
    )[rating - 1]
    return CardMemory(
        stability=max(initial, STABILITY_MIN_DAYS),
        difficulty=_clamp_difficulty(_initial_difficulty(w, rating)),
    )


def _next_difficulty(w: FsrsWeights, difficulty: float, rating: int) -> float:
    delta = -w.difficulty_step * (rating - GOOD)
    damped = difficulty + (10.0 - difficulty) * delta / 9.0
    target = _initial_difficulty(w, EASY)
    reverted = w.difficulty_mean_reversion * target + (1 - w.difficulty_mean_reversion) * damped
    return _clamp_difficulty(reverted)


def _short_term_stability(w: FsrsWeights, stability: float, rating: int) -> float:
    increase = math.exp(
        w.short_term_rating_factor * (rating - GOOD + w.short_term_rating_offset)
    ) * stability ** (-w.short_term_stability_exponent)
    if rating >= HARD:
        increase = max(increase, 1.0)
    return max(float(stability * increase), STABILITY_MIN_DAYS)


def _long_term_stability(
    w: FsrsWeights, memory: CardMemory, rating: int, recall_probability: float
) -> float:
    s, d, r = memory.stability, memory.difficulty, recall_probability
    if rating == AGAIN:
        long_term = (
            w.forget_stability_scale
            * d ** (-w.forget_difficulty_exponent)
            * ((s + 1) ** w.forget_stability_exponent - 1)
            * math.exp((1 - r) * w.forget_retrievability_factor)
        )
        short_term_cap = s / math.exp(w.short_term_rating_factor * w.short_term_rating_offset)
        new = min(long_term, short_term_cap)
    else:
        hard = w.hard_penalty if rating == HARD else 1.0
        easy = w.easy_bonus if rating == EASY else 1.0
        new = s * (
            1
            + math.exp(w.recall_stability_scale)
            * (11 - d)
            * s ** (-w.recall_stability_exponent)
            * (math.exp((1 - r) * w.recall_retrievability_factor) - 1)
            * hard
            * easy
        )
    return max(float(new), STABILITY_MIN_DAYS)


def next_memory(w: FsrsWeights, memory: CardMemory, rating: int, elapsed_days: int) -> CardMemory:
    """State after a review with ``rating`` ``elapsed_days`` whole days after the previous one."""
    if elapsed_days < 1:
        stability = _short_term_stability(w, memory.stability, rating)
    else:
        r = retrievability(w, memory.stability, elapsed_days)
        stability = _long_term_stability(w, memory, rating, r)
    return CardMemory(
        stability=stability, difficulty=_next_difficulty(w, memory.difficulty, rating)
    )
