"""One card's state over time (twin.analysis.recall.card) against the fsrs package's scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.recall import fsrs_reference
from twin.analysis.recall import card
from twin.analysis.recall.weights import DEFAULT_FSRS_WEIGHTS

START = datetime(2024, 5, 1, 20, 0)


def test_first_good_review_is_due_after_the_rounded_interval() -> None:
    """Good first: S = w2 = 2.3065 days; at 90% retention the interval rounds to 2 days."""
    state = card.review(None, "GOOD", START)
    assert state.stability == 2.3065
    assert state.next_review == START + timedelta(days=2)
    assert (state.review_count, state.lapse_count) == (1, 0)


def test_a_lapse_is_counted_only_after_the_first_review() -> None:
    """AGAIN on a new card is not a lapse; AGAIN on a reviewed card is."""
    first = card.review(None, 1, START)
    assert first.lapse_count == 0
    second = card.review(first, 1, START + timedelta(days=3))
    assert second.lapse_count == 1 and second.review_count == 2


def test_never_reviewed_card_has_no_recall() -> None:
    """recall_probability of None is 0 (the documented answer for an unseen card)."""
    assert card.recall_probability(None, START) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.floats(min_value=0.01, max_value=2_000.0), st.integers(min_value=1, max_value=4)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_review_equals_the_fsrs_package(steps: list[tuple[float, int]]) -> None:
    """Review by review: stability, difficulty, due date and recall equal the package's."""
    at = START
    mine = theirs = None
    for gap_hours, rating in steps:
        at = at + timedelta(hours=gap_hours)
        assert card.recall_probability(mine, at) == pytest.approx(
            fsrs_reference.recall_probability(theirs, at), rel=1e-12, abs=1e-15
        )
        mine = card.review(mine, rating, at)
        theirs = fsrs_reference.review(theirs, rating, at)
        assert mine.stability == pytest.approx(theirs.stability, rel=1e-12)
        assert mine.difficulty == pytest.approx(theirs.difficulty, rel=1e-12)
        assert mine.next_review == theirs.next_review
        assert (mine.review_count, mine.lapse_count) == (theirs.review_count, theirs.lapse_count)


def test_defaults_are_the_packages() -> None:
    """The engine's default weights are the fsrs package's FSRS-6 defaults."""
    assert DEFAULT_FSRS_WEIGHTS.as_vector() == fsrs_reference.DEFAULT_PARAMETERS
    assert len(fsrs_reference.DEFAULT_PARAMETERS) == 21
