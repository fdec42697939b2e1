"""The FSRS-6 memory formulas, once, with named weights: on floats or on numpy arrays.

The same formulas as the ``fsrs`` package (6.3) with learning and relearning steps
switched off and no fuzzing: a card's state is (stability, difficulty); a review less
than one day after the previous one changes stability by the short-term rule,
otherwise by the long-term rule at the retrievability reached after the elapsed
(whole) days; the next review is due after the interval at which retrievability
falls to the desired retention. A test checks every formula against the ``fsrs``
package review by review.

Every formula takes a float or a numpy array for each state and rating argument and
answers in kind, so one card's replay (chronological evaluation, prediction, the
card state of ingestion: microseconds per review) and the simulator's replay of
millions of reviews at once (:mod:`twin.simulate.memory_batch`) share this code.
Exponentials are written ``e ** x`` as the ``fsrs`` package writes them (``pow``, not
``exp``), so results agree with it to the last bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

from twin.analysis.recall.weights import FsrsWeights

STABILITY_MIN_DAYS = 0.001  # fsrs.scheduler.STABILITY_MIN
DIFFICULTY_MIN = 1.0
DIFFICULTY_MAX = 10.0
DIFFICULTY_SCALE = 10.0
"""Difficulty steps are damped by the distance to this ceiling (linear damping)."""
RECALL_DIFFICULTY_CEILING = 11.0
"""The stability gain after a recall scales with ``11 − difficulty``."""
RETRIEVABILITY_AT_STABILITY = 0.9
"""Stability is the interval (days) after which recall probability has fallen to this."""
DESIRED_RETENTION = 0.9
"""The scheduler's target: the next review is due when recall falls to this."""
MAXIMUM_INTERVAL_DAYS = 36_500  # the fsrs Scheduler's default
MINIMUM_INTERVAL_DAYS = 1
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Value = TypeVar("Value", float, FloatArray)
"""A float, or an array of floats (one per card): the formulas work element-wise."""
Rating = int | IntArray
"""A rating 1–4, or an array of ratings aligned with the state arrays."""


@dataclass(frozen=True)
class CardMemory:
    """FSRS memory state of one card: stability (days) and difficulty (1–10)."""

    stability: float
    difficulty: float


# --- element-wise helpers: Python arithmetic on floats, numpy on arrays ------------------------


def _is_array(*values: object) -> bool:
    return any(isinstance(v, np.ndarray) for v in values)


def _maximum(a: Any, b: Any) -> Any:
    return np.maximum(a, b) if _is_array(a, b) else max(a, b)


def _minimum(a: Any, b: Any) -> Any:
    return np.minimum(a, b) if _is_array(a, b) else min(a, b)


def _where(condition: Any, a: Any, b: Any) -> Any:
    if _is_array(condition, a, b):
        return np.where(condition, a, b)
    return a if condition else b


def _clamp_difficulty(difficulty: Any) -> Any:
    return _minimum(_maximum(difficulty, DIFFICULTY_MIN), DIFFICULTY_MAX)


def _clamp_stability(stability: Any) -> Any:
    return _maximum(stability, STABILITY_MIN_DAYS)


# --- the formulas -------------------------------------------------------------------------------


def retrievability(w: FsrsWeights, stability: Value, elapsed_days: Value | float) -> Value:
    """Probability of recall ``elapsed_days`` after the last review of a card of this stability."""
    factor = RETRIEVABILITY_AT_STABILITY ** (-1.0 / w.decay) - 1.0
    elapsed = _maximum(elapsed_days, 0.0)
    result: Value = (1.0 + factor * elapsed / stability) ** (-w.decay)
    return result


@overload
def initial_stability(w: FsrsWeights, rating: int) -> float: ...
@overload
def initial_stability(w: FsrsWeights, rating: IntArray) -> FloatArray: ...
def initial_stability(w: FsrsWeights, rating: Rating) -> float | FloatArray:
    """Stability (days) after a card's first review with ``rating``: w0 … w3."""
    by_rating = (
        w.initial_stability_again,
        w.initial_stability_hard,
        w.initial_stability_good,
        w.initial_stability_easy,
    )
    if isinstance(rating, np.ndarray):
        return np.asarray(_clamp_stability(np.asarray(by_rating)[rating - 1]), dtype=np.float64)
    return float(_clamp_stability(by_rating[rating - 1]))


@overload
def initial_difficulty(w: FsrsWeights, rating: int, *, clamp: bool = True) -> float: ...
@overload
def initial_difficulty(w: FsrsWeights, rating: IntArray, *, clamp: bool = True) -> FloatArray: ...
def initial_difficulty(w: FsrsWeights, rating: Rating, *, clamp: bool = True) -> float | FloatArray:
    """Difficulty after a first review: ``D0(g) = w4 − e^(w5·(g − 1)) + 1`` (clamped to 1–10)."""
    d: Any = (
        w.initial_difficulty_again
        - math.e ** (w.initial_difficulty_rating_factor * (rating - 1))
        + 1
    )
    result: float | FloatArray = _clamp_difficulty(d) if clamp else d
    return result


def next_difficulty(w: FsrsWeights, difficulty: Value, rating: Rating) -> Value:
    """Difficulty after a later review: a damped step away from Good, reverted towards D0(Easy)."""
    delta = -(w.difficulty_step * (rating - GOOD))
    damped = difficulty + (DIFFICULTY_SCALE - difficulty) * delta / 9.0
    target = initial_difficulty(w, EASY, clamp=False)
    reverted = w.difficulty_mean_reversion * target + (1 - w.difficulty_mean_reversion) * damped
    result: Value = _clamp_difficulty(reverted)
    return result


def short_term_stability(w: FsrsWeights, stability: Value, rating: Rating) -> Value:
    """Stability after a review less than a day after the previous one (same-day rule)."""
    increase = (
        math.e ** (w.short_term_rating_factor * (rating - GOOD + w.short_term_rating_offset))
    ) * stability ** (-w.short_term_stability_exponent)
    # A recall (Hard, Good, Easy) never lowers stability on the same day.
    increase = _where(rating >= HARD, _maximum(increase, 1.0), increase)
    result: Value = _clamp_stability(stability * increase)
    return result


def long_term_stability(
    w: FsrsWeights, stability: Value, difficulty: Value, recall: Value, rating: Rating
) -> Value:
    """Stability after a review a day or more after the previous one, at retrievability ``recall``."""
    s, d, r = stability, difficulty, recall
    forget_long = (
        w.forget_stability_scale
        * d ** (-w.forget_difficulty_exponent)
        * ((s + 1) ** w.forget_stability_exponent - 1)
        * (math.e ** ((1 - r) * w.forget_retrievability_factor))
    )
    forget_short = s / (math.e ** (w.short_term_rating_factor * w.short_term_rating_offset))
    forget = _minimum(forget_long, forget_short)
    hard = _where(rating == HARD, w.hard_penalty, 1.0)
    easy = _where(rating == EASY, w.easy_bonus, 1.0)
    remembered = s * (
        1
        + (math.e**w.recall_stability_scale)
        * (RECALL_DIFFICULTY_CEILING - d)
        * s ** (-w.recall_stability_exponent)
        * ((math.e ** ((1 - r) * w.recall_retrievability_factor)) - 1)
        * hard
        * easy
    )
    result: Value = _clamp_stability(_where(rating == AGAIN, forget, remembered))
    return result


@overload
def next_interval_days(
    w: FsrsWeights, stability: float, desired_retention: float = DESIRED_RETENTION
) -> int: ...
@overload
def next_interval_days(
    w: FsrsWeights, stability: FloatArray, desired_retention: float = DESIRED_RETENTION
) -> IntArray: ...
def next_interval_days(
    w: FsrsWeights, stability: float | FloatArray, desired_retention: float = DESIRED_RETENTION
) -> int | IntArray:
    """Whole days until recall falls to ``desired_retention`` (rounded half-even, 1 … 36,500)."""
    factor = RETRIEVABILITY_AT_STABILITY ** (-1.0 / w.decay) - 1.0
    interval: Any = (stability / factor) * (desired_retention ** (-1.0 / w.decay) - 1)
    if isinstance(interval, np.ndarray):
        days = np.clip(np.rint(interval), MINIMUM_INTERVAL_DAYS, MAXIMUM_INTERVAL_DAYS)
        return np.asarray(days, dtype=np.int64)
    # round() is half-even, as the fsrs package rounds (and np.rint above).
    return min(max(round(float(interval)), MINIMUM_INTERVAL_DAYS), MAXIMUM_INTERVAL_DAYS)


# --- one card ------------------------------------------------------------------------------------


def initial_memory(w: FsrsWeights, rating: int) -> CardMemory:
    """State after a card's first review with ``rating`` (1–4)."""
    return CardMemory(
        stability=initial_stability(w, rating), difficulty=initial_difficulty(w, rating)
    )


def next_memory(w: FsrsWeights, memory: CardMemory, rating: int, elapsed_days: int) -> CardMemory:
    """State after a review with ``rating`` ``elapsed_days`` whole days after the previous one."""
    if elapsed_days < 1:
        stability = short_term_stability(w, memory.stability, rating)
    else:
        r = retrievability(w, memory.stability, float(elapsed_days))
        stability = long_term_stability(w, memory.stability, memory.difficulty, r, rating)
    return CardMemory(
        stability=float(stability), difficulty=float(next_difficulty(w, memory.difficulty, rating))
    )
