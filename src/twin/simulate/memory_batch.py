"""FSRS-6 card memory state for many cards at once: the formulas of :mod:`twin.analysis.recall.fsrs6` on arrays.

The simulator replays hundreds of millions of reviews' worth of memory state, far
too many to replay card by card. This module replays every card's reviews one
review ordinal at a time (the first review of every card, then every second, …),
handing whole arrays to the same FSRS-6 formulas that replay one card
(:mod:`twin.analysis.recall.card`). A unit test checks it against that replay card
by card.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.analysis.recall.fsrs6 import (
    DESIRED_RETENTION,
    initial_difficulty,
    initial_stability,
    long_term_stability,
    next_difficulty,
    next_interval_days,
    retrievability,
    short_term_stability,
)
from twin.analysis.recall.weights import DEFAULT_FSRS_WEIGHTS, FsrsWeights

DAY_MS = 86_400_000


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


def replay_cards(
    n_cards: int,
    card: np.ndarray,
    at_ms: np.ndarray,
    rating: np.ndarray,
    weights: FsrsWeights = DEFAULT_FSRS_WEIGHTS,
    desired_retention: float = DESIRED_RETENTION,
) -> ReplayResult:
    """Replay every card's reviews in time order (ratings 1–4, times in epoch ms)."""
    w = weights
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
            new_s = initial_stability(w, r)
            new_d = initial_difficulty(w, r)
        else:
            old_s = s[c]
            old_d = d[c]
            elapsed = ((t - last[c]) // DAY_MS).astype(np.float64)
            same_day = elapsed < 1
            recall = retrievability(w, old_s, elapsed)
            long_s = long_term_stability(w, old_s, old_d, recall, r)
            new_s = np.where(same_day, short_term_stability(w, old_s, r), long_s)
            new_d = next_difficulty(w, old_d, r)
            lapses[c] += r == 1
        s_before[idx] = s[c]
        d_before[idx] = d[c]
        s_after[idx] = new_s
        d_after[idx] = new_d
        s[c] = new_s
        d[c] = new_d
        last[c] = t
        due[c] = t + next_interval_days(w, new_s, desired_retention) * DAY_MS
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
    weights: FsrsWeights = DEFAULT_FSRS_WEIGHTS,
) -> np.ndarray:
    """FSRS retrievability of each card at ``at_ms`` after whole days (0 for cards never reviewed)."""
    reviewed = last_review_ms >= 0
    elapsed = np.where(reviewed, (at_ms - last_review_ms) // DAY_MS, 0).astype(np.float64)
    safe_s = np.where(reviewed, stability, 1.0).astype(np.float64)
    return np.where(reviewed, retrievability(weights, safe_s, elapsed), 0.0)
