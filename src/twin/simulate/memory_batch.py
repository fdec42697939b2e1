"""FSRS-6 card memory state for many cards at once: :mod:`twin.analysis.memory`, vectorised.

The simulator replays hundreds of millions of reviews' worth of memory state; calling
``twin.analysis.memory.review`` per review costs ~15 µs (plus a 1 ms sleep inside
``fsrs.Card()`` when no card id is given), far over the load budget. This module
computes the same formulas (the ``fsrs`` package's scheduler with learning and
relearning steps switched off, no fuzzing, the same parameters and desired retention)
on numpy arrays, one review ordinal of every card at a time. A unit test checks it
against ``twin.analysis.memory.replay`` card by card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twin.analysis.memory import DEFAULT_PARAMETERS, DESIRED_RETENTION

DAY_MS = 86_400_000
STABILITY_MIN = 0.001  # fsrs.scheduler.STABILITY_MIN
DIFFICULTY_MIN = 1.0
DIFFICULTY_MAX = 10.0
MAXIMUM_INTERVAL_DAYS = 36_500  # fsrs Scheduler default


@dataclass(frozen=True)
class ReplayResult:
    """Per review: state before/after; per card: final state (0 / -1 for never-reviewed cards)."""

    stability_before: np.ndarray
    stability_after: np.ndarray
    difficulty_before: np.ndarray
    difficulty_after: np.ndarray
    card_stability: np.ndarray
    card_difficulty: np.ndarray
    card_last_review_ms: np.ndarray  # -1 when never reviewed
    card_next_review_ms: np.ndarray  # -1 when never reviewed
    card_review_count: np.ndarray
    card_lapse_count: np.ndarray


def _e_pow(x: np.ndarray | float) -> np.ndarray:
    # ``math.e ** x`` as the fsrs package writes it (pow, not exp: identical to the last bit).
    return np.power(np.e, x)


class _Fsrs:
    """The FSRS-6 formulas on arrays."""

    def __init__(self, parameters: Sequence[float], desired_retention: float) -> None:
        self.w = tuple(float(p) for p in parameters)
        self.decay = -self.w[20]
        self.factor = 0.9 ** (1 / self.decay) - 1
        self.desired_retention = desired_retention

    def initial_stability(self, rating: np.ndarray) -> np.ndarray:
        return np.asarray(np.maximum(np.asarray(self.w[:4])[rating - 1], STABILITY_MIN))

    def initial_difficulty(self, rating: np.ndarray | int, clamp: bool) -> np.ndarray:
        d = self.w[4] - _e_pow(self.w[5] * (np.asarray(rating) - 1)) + 1
        return np.clip(d, DIFFICULTY_MIN, DIFFICULTY_MAX) if clamp else d

    def next_interval_days(self, stability: np.ndarray) -> np.ndarray:
        ivl = (stability / self.factor) * (self.desired_retention ** (1 / self.decay) - 1)
        # Python's round() is round-half-even, as is np.rint.
        return np.asarray(np.clip(np.rint(ivl), 1, MAXIMUM_INTERVAL_DAYS), dtype=np.int64)

    def retrievability(self, stability: np.ndarray, elapsed_days: np.ndarray) -> np.ndarray:
        return np.asarray((1 + self.factor * np.maximum(elapsed_days, 0) / stability) ** self.decay)

    def short_term_stability(self, stability: np.ndarray, rating: np.ndarray) -> np.ndarray:
        w = self.w
        inc = _e_pow(w[17] * (rating - 3 + w[18])) * stability ** (-w[19])
        inc = np.where(rating >= 2, np.maximum(inc, 1.0), inc)
        return np.maximum(stability * inc, STABILITY_MIN)

    def next_difficulty(self, difficulty: np.ndarray, rating: np.ndarray) -> np.ndarray:
        w = self.w
        arg_1 = self.initial_difficulty(4, clamp=False)
        delta = -(w[6] * (rating - 3))
        arg_2 = difficulty + (10.0 - difficulty) * delta / 9.0
        return np.clip(w[7] * arg_1 + (1 - w[7]) * arg_2, DIFFICULTY_MIN, DIFFICULTY_MAX)

    def next_stability(
        self, difficulty: np.ndarray, stability: np.ndarray, r: np.ndarray, rating: np.ndarray
    ) -> np.ndarray:
        w = self.w
        forget_long = (
            w[11]
            * difficulty ** (-w[12])
            * ((stability + 1) ** w[13] - 1)
            * _e_pow((1 - r) * w[14])
        )
        forget_short = stability / _e_pow(w[17] * w[18])
        forget = np.minimum(forget_long, forget_short)
        hard_penalty = np.where(rating == 2, w[15], 1.0)
        easy_bonus = np.where(rating == 4, w[16], 1.0)
        recall = stability * (
            1
            + _e_pow(w[8])
            * (11 - difficulty)
            * stability ** (-w[9])
            * (_e_pow((1 - r) * w[10]) - 1)
            * hard_penalty
            * easy_bonus
        )
        return np.asarray(np.maximum(np.where(rating == 1, forget, recall), STABILITY_MIN))


def replay_cards(
    n_cards: int,
    card: np.ndarray,
    at_ms: np.ndarray,
    rating: np.ndarray,
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
    desired_retention: float = DESIRED_RETENTION,
) -> ReplayResult:
    """Replay every card's reviews in time order (ratings 1–4, times in epoch ms)."""
    fsrs = _Fsrs(parameters, desired_retention)
    card = np.asarray(card, dtype=np.int64)
    at_ms = np.asarray(at_ms, dtype=np.int64)
    rating = np.asarray(rating, dtype=np.int64)
    n = len(card)
    order = np.lexsort((at_ms, card))
    sorted_card = card[order]
    # Ordinal of each review within its card.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_card)) + 1] if n else np.zeros(0, np.int64)
    ordinal_sorted = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    ordinal = np.empty(n, dtype=np.int64)
    ordinal[order] = ordinal_sorted

    s = np.zeros(n_cards)
    d = np.zeros(n_cards)
    last = np.full(n_cards, -1, dtype=np.int64)
    due = np.full(n_cards, -1, dtype=np.int64)
    count = np.zeros(n_cards, dtype=np.int64)
    lapses = np.zeros(n_cards, dtype=np.int64)
    s_before = np.zeros(n)
    s_after = np.zeros(n)
    d_before = np.zeros(n)
    d_after = np.zeros(n)
    for j in range(int(ordinal.max()) + 1 if n else 0):
        idx = order[ordinal_sorted == j]
        c = card[idx]
        r = rating[idx]
        t = at_ms[idx]
        if j == 0:
            new_s = fsrs.initial_stability(r)
            new_d = fsrs.initial_difficulty(r, clamp=True)
        else:
            old_s = s[c]
            old_d = d[c]
            elapsed = (t - last[c]) // DAY_MS
            same_day = elapsed < 1
            long_s = fsrs.next_stability(old_d, old_s, fsrs.retrievability(old_s, elapsed), r)
            new_s = np.where(same_day, fsrs.short_term_stability(old_s, r), long_s)
            new_d = fsrs.next_difficulty(old_d, r)
            lapses[c] += r == 1
        s_before[idx] = s[c]
        d_before[idx] = d[c]
        s_after[idx] = new_s
        d_after[idx] = new_d
        s[c] = new_s
        d[c] = new_d
        last[c] = t
        due[c] = t + fsrs.next_interval_days(new_s) * DAY_MS
        count[c] += 1
    return ReplayResult(
        stability_before=s_before,
        stability_after=s_after,
        difficulty_before=d_before,
        difficulty_after=d_after,
        card_stability=s,
        card_difficulty=d,
        card_last_review_ms=last,
        card_next_review_ms=due,
        card_review_count=count,
        card_lapse_count=lapses,
    )


def retrievability_at(
    stability: np.ndarray,
    last_review_ms: np.ndarray,
    at_ms: int,
    parameters: Sequence[float] = DEFAULT_PARAMETERS,
) -> np.ndarray:
    """FSRS retrievability of each card at ``at_ms`` (0 for cards never reviewed)."""
    fsrs = _Fsrs(parameters, DESIRED_RETENTION)
    reviewed = last_review_ms >= 0
    elapsed = np.where(reviewed, (at_ms - last_review_ms) // DAY_MS, 0)
    safe_s = np.where(reviewed, stability, 1.0)
    return np.where(reviewed, fsrs.retrievability(safe_s, elapsed), 0.0)
