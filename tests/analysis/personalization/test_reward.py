"""The reward: golden values by hand from ENGINE.md's formula and the documented mappings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.common import InsufficientData
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.reward import (
    Baseline,
    DifficultyFeedback,
    Feedback,
    ImplicitSignal,
    Outcome,
    Reward,
    compute_reward,
    parse_difficulty,
    performance_gain_score,
    retention_gain_score,
)

BASE = Baseline(retention=0.75, performance=70.0, outcomes=10)
D = DifficultyFeedback
S = ImplicitSignal


def reward_of(outcome: Outcome, baseline: Baseline | None = BASE) -> float:
    r = compute_reward(outcome, baseline)
    assert isinstance(r, Reward)
    return r.reward


def test_gain_mappings() -> None:
    """0.5 + Δ/0.4 for retention, 0.5 + Δ/40 for performance, clipped."""
    assert retention_gain_score(0.75, 0.75) == 0.5
    assert retention_gain_score(0.85, 0.75) == pytest.approx(0.75)
    assert retention_gain_score(0.95, 0.75) == pytest.approx(1.0)
    assert retention_gain_score(0.30, 0.75) == 0.0
    assert performance_gain_score(78, 70) == pytest.approx(0.7)
    assert performance_gain_score(30, 70) == 0.0


def test_golden_full() -> None:
    """0.4·0.75 + 0.3·0.7 + 0.2·(2/3) + 0.1·1 = 0.743333 (helpful and just right)."""
    o = Outcome(0.85, 78.0, 2 / 3, Feedback(helpful=True, difficulty=D.JUST_RIGHT))
    assert reward_of(o) == pytest.approx(0.3 + 0.21 + 0.2 * 2 / 3 + 0.1)


def test_golden_without_satisfaction_renormalises() -> None:
    """No feedback, no signal: (0.3 + 0.21 + 0.133333) / 0.9 = 0.714815."""
    r = compute_reward(Outcome(0.85, 78.0, 2 / 3), BASE)
    assert isinstance(r, Reward)
    assert r.reward == pytest.approx((0.3 + 0.21 + 0.2 * 2 / 3) / 0.9)
    assert [c.name for c in r.components] == ["retentionGain", "performanceGain", "completion"]
    assert sum(c.weight for c in r.components) == pytest.approx(1.0)
    assert any("satisfaction" in n for n in r.notes)


def test_golden_clipped_and_unhappy() -> None:
    """Retention +0.35 → 1, performance −40 → 0, completion 1, not helpful + too hard → 0.125:
    0.4 + 0 + 0.2 + 0.0125 = 0.6125."""
    o = Outcome(0.95, 30.0, 1.0, Feedback(helpful=False, difficulty=D.TOO_HARD))
    assert reward_of(o, Baseline(0.60, 70.0, 10)) == pytest.approx(0.6125)


def test_no_baseline_counts_gains_as_neutral() -> None:
    """Under 3 baseline outcomes: both gains 0.5 → (0.2 + 0.15 + 0.2)/0.9 = 0.611111."""
    o = Outcome(0.9, 90.0, 1.0)
    assert reward_of(o, None) == pytest.approx(0.55 / 0.9)
    assert reward_of(o, Baseline(0.5, 50.0, outcomes=2)) == pytest.approx(0.55 / 0.9)


def test_skipped_mission() -> None:
    """Skipped: completion 0, implicit satisfaction 0 → 0; helpful anyway → 0.1/0.3."""
    assert reward_of(Outcome(0.9, 90.0, 1.0, signals=frozenset({S.MISSION_SKIPPED}))) == 0.0
    helpful = Outcome(signals=frozenset({S.MISSION_SKIPPED}), feedback=Feedback(helpful=True))
    assert reward_of(helpful) == pytest.approx(1 / 3)


def test_implicit_signals() -> None:
    """Dismissed → 0.2: (0.3·0.5 + 0.2·1 + 0.1·0.2)/0.6 = 0.616667; settings changed back → 0 wins."""
    dismissed = Outcome(None, 70.0, 1.0, signals=frozenset({S.RECOMMENDATION_DISMISSED}))
    assert reward_of(dismissed) == pytest.approx(0.37 / 0.6)
    both = Outcome(
        None, 70.0, 1.0, signals=frozenset({S.RECOMMENDATION_DISMISSED, S.SETTINGS_CHANGED_BACK})
    )
    assert reward_of(both) == pytest.approx(0.35 / 0.6)
    # Explicit feedback beats the implicit signal.
    explicit = Outcome(
        None, 70.0, 1.0, Feedback(difficulty=D.JUST_RIGHT), frozenset({S.SETTINGS_CHANGED_BACK})
    )
    assert reward_of(explicit) == pytest.approx(0.45 / 0.6)


def test_nothing_measured_is_insufficient() -> None:
    """No component at all: insufficient data, not a zero."""
    assert compute_reward(Outcome(), BASE) == InsufficientData("rewardComponents", 0, 1)


def test_bad_values_name_the_field() -> None:
    """Out-of-range inputs and an unknown difficulty are refused by name."""
    with pytest.raises(InvalidParameter) as err:
        Outcome(retention=1.2)
    assert err.value.field == "retention"
    with pytest.raises(InvalidParameter) as err:
        Baseline(0.5, 120.0, 5)
    assert err.value.field == "baseline.performance"
    with pytest.raises(InvalidParameter) as err:
        parse_difficulty("meh")
    assert err.value.field == "difficulty"
    assert parse_difficulty("too_easy") is D.TOO_EASY


maybe01 = st.none() | st.floats(0.0, 1.0)
outcomes = st.builds(
    Outcome,
    retention=maybe01,
    performance=st.none() | st.floats(0.0, 100.0),
    completion=maybe01,
    feedback=st.builds(Feedback, st.none() | st.booleans(), st.none() | st.sampled_from(list(D))),
    signals=st.frozensets(st.sampled_from(list(S))),
)
baselines = st.none() | st.builds(
    Baseline, maybe01, st.none() | st.floats(0.0, 100.0), st.integers(0, 40)
)


@given(outcomes, baselines)
def test_reward_is_in_unit_interval(outcome: Outcome, baseline: Baseline | None) -> None:
    """Any outcome, any baseline: a reward in [0, 1] or insufficient data (nothing measured)."""
    r = compute_reward(outcome, baseline)
    if isinstance(r, InsufficientData):
        assert outcome.feedback.satisfaction() is None and not outcome.signals
        return
    assert 0.0 <= r.reward <= 1.0
    assert sum(c.weight for c in r.components) == pytest.approx(1.0)


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 100.0), st.floats(0.0, 1.0))
def test_reward_grows_with_retention(a: float, b: float, perf: float, comp: float) -> None:
    """More retention never lowers the reward, all else equal."""
    lo, hi = sorted((a, b))
    assert reward_of(Outcome(lo, perf, comp)) <= reward_of(Outcome(hi, perf, comp)) + 1e-12
