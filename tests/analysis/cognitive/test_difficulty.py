"""Difficulty adapter: load bands, session rules and the 2-level cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.cognitive.difficulty import (
    MAX_LEVEL_CHANGE_PER_SESSION,
    DifficultyAction,
    adapt_difficulty,
    capped_change,
)


@pytest.mark.parametrize(
    ("load", "action", "change"),
    [
        (0.0, DifficultyAction.HARDER, 1),
        (29.999, DifficultyAction.HARDER, 1),
        (30.0, DifficultyAction.KEEP, 0),
        (59.999, DifficultyAction.KEEP, 0),
        (60.0, DifficultyAction.EASIER, -1),
        (79.999, DifficultyAction.EASIER, -1),
        (80.0, DifficultyAction.MUCH_EASIER, -2),
        (100.0, DifficultyAction.MUCH_EASIER, -2),
    ],
)
def test_load_edges(load: float, action: DifficultyAction, change: int) -> None:
    """30 keeps, 60 eases by one, 80 eases by two."""
    result = adapt_difficulty(load)
    assert (result.action, result.change, result.capped) == (action, change, False)


def test_session_rules() -> None:
    """60–80: 80 % review and a break every 20 min; ≥ 80: review only and a break now."""
    easier = adapt_difficulty(65.0)
    assert easier.review_share == 0.8
    assert easier.break_every_minutes == 20
    assert not easier.review_only and not easier.break_now
    much = adapt_difficulty(85.0)
    assert much.review_only and much.break_now and much.review_share == 1.0
    keep = adapt_difficulty(45.0)
    assert keep.review_share is None and keep.break_every_minutes is None
    assert much.break_now is True


def test_cap_per_session() -> None:
    """No more than 2 levels of net change in one session; moving back is allowed."""
    capped = adapt_difficulty(10.0, applied_this_session=2)
    assert (capped.change, capped.desired_change, capped.capped) == (0, 1, True)
    assert "capped" in capped.reason
    partial = adapt_difficulty(90.0, applied_this_session=-1)
    assert (partial.change, partial.capped) == (-1, True)
    back = adapt_difficulty(90.0, applied_this_session=2)
    assert (back.change, back.capped) == (-2, False)
    assert capped_change(1, 3) == 0  # already beyond the cap (bad input): never further out


@given(
    st.floats(min_value=0.0, max_value=100.0),
    st.integers(min_value=-MAX_LEVEL_CHANGE_PER_SESSION, max_value=MAX_LEVEL_CHANGE_PER_SESSION),
)
def test_change_never_exceeds_the_cap(load: float, applied: int) -> None:
    """Whatever the load and what was applied, the session's net change stays within ±2."""
    change = adapt_difficulty(load, applied).change
    assert abs(change) <= MAX_LEVEL_CHANGE_PER_SESSION
    assert abs(applied + change) <= MAX_LEVEL_CHANGE_PER_SESSION


@given(st.lists(st.floats(min_value=0.0, max_value=100.0), max_size=30))
def test_a_whole_session_of_readings_stays_within_the_cap(loads: list[float]) -> None:
    """Applying every adjustment of a session in turn never drifts more than 2 levels."""
    applied = 0
    for load in loads:
        applied += adapt_difficulty(load, applied).change
        assert abs(applied) <= MAX_LEVEL_CHANGE_PER_SESSION
