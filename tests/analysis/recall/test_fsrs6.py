"""FSRS-6 formulas of twin.analysis.recall: named weights, golden values, equality with the fsrs package."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.recall import fsrs_reference
from twin.analysis.recall import fsrs6
from twin.analysis.recall.fsrs6 import (
    CardMemory,
    initial_memory,
    next_memory,
    retrievability,
)
from twin.analysis.recall.weights import DEFAULT_FSRS_WEIGHTS, FsrsWeights

# A per-learner vector fitted by fsrs-rs-python 0.9.3 on the real review log (rounded):
# checks the formulas away from the defaults.
FITTED_VECTOR = (
    0.164, 0.928, 3.096, 8.639, 6.544, 0.698, 2.96, 0.009, 1.672, 0.118, 0.633,
    1.6, 0.02, 0.396, 1.793, 0.602, 1.873, 0.592, 0.033, 0.185, 0.518,
)  # fmt: skip
START = datetime(2024, 5, 1, 20, 0)


def test_weights_map_to_and_from_the_vector() -> None:
    """The 21 named fields round-trip through the vector, in w0 … w20 order."""
    weights = FsrsWeights.from_vector(FITTED_VECTOR)
    assert weights.as_vector() == FITTED_VECTOR
    assert weights.initial_stability_again == FITTED_VECTOR[0]
    assert weights.decay == FITTED_VECTOR[20]
    assert len(FsrsWeights.names()) == 21
    assert DEFAULT_FSRS_WEIGHTS.as_vector() == fsrs_reference.DEFAULT_PARAMETERS


def test_wrong_vector_length_is_rejected() -> None:
    """FSRS-6 has exactly 21 weights."""
    with pytest.raises(ValueError, match="21"):
        FsrsWeights.from_vector(FITTED_VECTOR[:19])


def test_retrievability_golden_values() -> None:
    """R = 1 right after a review and 0.9 after ``stability`` days (the definition of stability)."""
    for weights in (DEFAULT_FSRS_WEIGHTS, FsrsWeights.from_vector(FITTED_VECTOR)):
        assert retrievability(weights, 7.5, 0.0) == 1.0
        assert retrievability(weights, 7.5, 7.5) == pytest.approx(0.9, rel=1e-12)
        assert retrievability(weights, 7.5, 30.0) < retrievability(weights, 7.5, 10.0)


def test_first_review_and_long_term_golden_values() -> None:
    """Good, then Good two days later: the fsrs 6.3.2 package's numbers."""
    w = DEFAULT_FSRS_WEIGHTS
    first = initial_memory(w, 3)
    assert first.stability == 2.3065  # w2 of the FSRS-6 defaults
    assert first.difficulty == pytest.approx(2.118103970459016, rel=1e-12)
    assert retrievability(w, first.stability, 2) == pytest.approx(0.9094932559773545, rel=1e-12)
    second = next_memory(w, first, 3, 2)
    assert second.stability == pytest.approx(10.964332335820698, rel=1e-12)
    assert second.difficulty == pytest.approx(2.111214235785395, rel=1e-12)


history_steps = st.lists(
    st.tuples(st.floats(min_value=0.01, max_value=2_000.0), st.integers(min_value=1, max_value=4)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(
    first_rating=st.integers(min_value=1, max_value=4),
    steps=history_steps,
    fitted=st.booleans(),
)
def test_formulas_equal_the_fsrs_package(
    first_rating: int, steps: list[tuple[float, int]], fitted: bool
) -> None:
    """Review by review, stability, difficulty and R equal the fsrs package's (24-hour days)."""
    weights = FsrsWeights.from_vector(FITTED_VECTOR) if fitted else DEFAULT_FSRS_WEIGHTS
    vector = weights.as_vector()
    at = START
    state = fsrs_reference.review(None, first_rating, at, vector)
    mine: CardMemory = initial_memory(weights, first_rating)
    for gap_hours, rating in steps:
        previous = at
        at = at + timedelta(hours=gap_hours)
        elapsed = (at - previous).days
        assert retrievability(weights, mine.stability, elapsed) == pytest.approx(
            fsrs_reference.recall_probability(state, at, vector), rel=1e-9, abs=1e-12
        )
        state = fsrs_reference.review(state, rating, at, vector)
        mine = next_memory(weights, mine, rating, elapsed)
        assert mine.stability == pytest.approx(state.stability, rel=1e-9)
        assert mine.difficulty == pytest.approx(state.difficulty, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    cards=st.lists(
        st.tuples(
            st.floats(min_value=0.01, max_value=3_000.0),  # stability, days
            st.floats(min_value=1.0, max_value=10.0),  # difficulty
            st.floats(min_value=0.0, max_value=1.0),  # retrievability
            st.integers(min_value=1, max_value=4),  # rating
            st.integers(min_value=0, max_value=400),  # elapsed whole days
        ),
        min_size=1,
        max_size=30,
    ),
    fitted=st.booleans(),
)
def test_arrays_give_what_floats_give(
    cards: list[tuple[float, float, float, int, int]], fitted: bool
) -> None:
    """Each formula on arrays equals the same formula card by card (one implementation)."""
    w = FsrsWeights.from_vector(FITTED_VECTOR) if fitted else DEFAULT_FSRS_WEIGHTS
    s = np.array([c[0] for c in cards])
    d = np.array([c[1] for c in cards])
    r = np.array([c[2] for c in cards])
    g = np.array([c[3] for c in cards], dtype=np.int64)
    t = np.array([float(c[4]) for c in cards])
    checks = [
        (fsrs6.retrievability(w, s, t), lambda i: fsrs6.retrievability(w, s[i], t[i])),
        (fsrs6.initial_stability(w, g), lambda i: fsrs6.initial_stability(w, int(g[i]))),
        (fsrs6.initial_difficulty(w, g), lambda i: fsrs6.initial_difficulty(w, int(g[i]))),
        (fsrs6.next_difficulty(w, d, g), lambda i: fsrs6.next_difficulty(w, d[i], int(g[i]))),
        (
            fsrs6.short_term_stability(w, s, g),
            lambda i: fsrs6.short_term_stability(w, s[i], int(g[i])),
        ),
        (
            fsrs6.long_term_stability(w, s, d, r, g),
            lambda i: fsrs6.long_term_stability(w, s[i], d[i], r[i], int(g[i])),
        ),
        (fsrs6.next_interval_days(w, s), lambda i: fsrs6.next_interval_days(w, float(s[i]))),
    ]
    for array, one in checks:
        assert array.shape == (len(cards),)
        for i in range(len(cards)):
            assert array[i] == pytest.approx(one(i), rel=1e-12)


def test_interval_golden_values() -> None:
    """At the desired retention 0.9 the interval is the stability itself (R(S) = 0.9), rounded."""
    w = DEFAULT_FSRS_WEIGHTS
    assert fsrs6.next_interval_days(w, 2.3065) == 2
    assert fsrs6.next_interval_days(w, 10.6) == 11
    assert fsrs6.next_interval_days(w, 0.2) == 1  # never less than a day
    assert fsrs6.next_interval_days(w, 1e9) == fsrs6.MAXIMUM_INTERVAL_DAYS
