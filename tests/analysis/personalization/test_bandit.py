"""Thompson sampling: posteriors, propensities by integration, decisions, reward scale, pooled prior."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from twin.analysis.personalization.bandit import (
    MAX_PRIOR_STRENGTH,
    UNIFORM_PRIOR,
    ArmStats,
    BetaPrior,
    PeerArm,
    arm_confidences,
    choose_arm,
    initial_stats,
    pooled_prior,
    pooled_priors,
    posterior,
    posteriors_of,
    prob_best,
    reward_scale,
)
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.strategy import ARMS, StrategyArm

A = StrategyArm


def p_b_beats_a(a_a: float, b_a: float, a_b: int, b_b: float) -> float:
    """Closed form P(X_B > X_A) for integer α_B (Miller 2015, "Formulas for Bayesian A/B testing")."""
    return sum(
        math.exp(
            special.betaln(a_a + i, b_a + b_b)
            - math.log(b_b + i)
            - special.betaln(1 + i, b_b)
            - special.betaln(a_a, b_a)
        )
        for i in range(a_b)
    )


def test_posterior_is_the_stored_columns() -> None:
    """Beta(1 + c·total, 1 + c·(n − total)): 10 selections, total 6.5, c = 1 and c = 4."""
    s = ArmStats(A.BALANCED, times_selected=10, total_reward=6.5)
    p = posterior(s)
    assert (p.alpha, p.beta) == (7.5, 4.5)
    assert p.mean == pytest.approx(7.5 / 12)
    p4 = posterior(s, scale=4.0)
    assert (p4.alpha, p4.beta) == (27.0, 15.0)
    assert s.avg_reward == 0.65 and ArmStats(A.BALANCED).avg_reward == 0.0
    assert s.updated(0.5) == ArmStats(A.BALANCED, 11, 7.0)


def test_arm_stats_validation_names_the_field() -> None:
    """A total above the selections, or a reward outside [0, 1], is refused."""
    with pytest.raises(InvalidParameter) as err:
        ArmStats(A.BALANCED, times_selected=2, total_reward=3.0)
    assert err.value.field == "totalReward"
    with pytest.raises(InvalidParameter) as err:
        ArmStats(A.BALANCED, 1, 0.5).updated(1.5)
    assert err.value.field == "reward"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((1.0, 1.0), (1.0, 1.0)),
        ((3.0, 5.0), (4.0, 2.0)),
        ((30.0, 50.0), (40.0, 20.0)),
        ((300.0, 500.0), (320.0, 480.0)),
        ((1.0, 1.0), (200.0, 1.0)),  # a spike at 1 against a uniform
        ((5000.0, 5000.0), (5010.0, 4990.0)),
        ((2.0, 40.0), (3.0, 1.0)),
        ((0.5, 0.7), (3.0, 1.5)),  # unbounded density at both ends (α, β < 1)
    ],
)
def test_two_arm_propensity_matches_closed_form(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    """Two arms: P(B is best) against the exact sum (α_B integer), or quadrature for α_B = 3."""
    p = prob_best([a[0], b[0]], [a[1], b[1]])
    exact = p_b_beats_a(a[0], a[1], int(b[0]), b[1])
    assert p[1] == pytest.approx(exact, abs=1e-8)
    assert p.sum() == pytest.approx(1.0, abs=1e-8)


def test_equal_arms_are_equally_likely() -> None:
    """K identical posteriors: 1/K each."""
    p = prob_best([7.3] * 4, [2.1] * 4)
    assert p == pytest.approx(np.full(4, 0.25), abs=1e-9)
    assert prob_best([2.0], [3.0]).tolist() == [1.0]


def test_propensities_match_the_decision_rule() -> None:
    """Integrated propensities equal choose_arm's observed choice frequencies (200,000 seeded
    decisions; each frequency within 4 standard errors)."""
    stats = (
        ArmStats(A.PATTERN_HEAVY, 6, 2.5),
        ArmStats(A.PREDICTION_HEAVY, 4, 3.1),
        ArmStats(A.BALANCED, 18, 9.0),
        ArmStats(A.CONSERVATIVE, 3, 2.2),
    )
    posts = posteriors_of(stats, scale=1.5)
    expected = prob_best([p.alpha for p in posts], [p.beta for p in posts])
    n = 200_000
    rng = np.random.default_rng(20260302)
    draws = rng.beta([p.alpha for p in posts], [p.beta for p in posts], size=(n, 4))
    freq = np.bincount(draws.argmax(axis=1), minlength=4) / n
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(freq - expected) < 4 * se)
    # choose_arm picks with the same frequencies (no integration needed for the choice) ...
    rng = np.random.default_rng(7)
    n_calls = 20_000
    counts = Counter(
        choose_arm(stats, rng, scale=1.5, exploration=0.0, with_propensities=False).arm
        for _ in range(n_calls)
    )
    for i, arm in enumerate(ARMS):
        se_i = math.sqrt(expected[i] * (1 - expected[i]) / n_calls)
        assert abs(counts[arm] / n_calls - expected[i]) < 4 * se_i
    # ... and reports the integrated propensity of whatever it picks.
    for _ in range(20):
        d = choose_arm(stats, rng, scale=1.5, exploration=0.0)
        assert d.propensity == pytest.approx(expected[ARMS.index(d.arm)], abs=1e-12)
        assert dict(d.probabilities) == pytest.approx(dict(zip(ARMS, expected, strict=True)))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(1.0, 1e5), st.floats(1.0, 1e5)), min_size=1, max_size=6))
def test_propensities_sum_to_one(params: list[tuple[float, float]]) -> None:
    """For any posterior the bandit can hold (α, β ≥ 1: every prior is) the propensities are
    in [0, 1] and sum to 1 within 1e-6 (the integration is not normalised: this checks it)."""
    p = prob_best([a for a, _ in params], [b for _, b in params])
    assert np.all(p >= -1e-12) and np.all(p <= 1 + 1e-12)
    assert p.sum() == pytest.approx(1.0, abs=1e-6)


def test_mabwiser_draw_order() -> None:
    """One rng.beta per active arm in arm order, first argmax: the README's exact protocol."""
    stats = (
        ArmStats(A.PATTERN_HEAVY, 3, 1),
        ArmStats(A.PREDICTION_HEAVY, 5, 4),
        ArmStats(A.BALANCED, 0, 0),
    )
    rng_a, rng_b = np.random.default_rng(1000003), np.random.default_rng(1000003)
    for _ in range(50):
        d = choose_arm(stats, rng_a, exploration=0.0, with_propensities=False)
        x = [rng_b.beta(1 + s.total_reward, 1 + s.times_selected - s.total_reward) for s in stats]
        assert d.arm is stats[int(np.argmax(x))].arm
        assert d.draws == tuple(x)
        assert math.isnan(d.propensity)


def test_exploration_floor() -> None:
    """Floor ε: propensity (1 − ε)·P_TS + ε/K, every arm ≥ ε/K; choices follow it (seeded)."""
    stats = (
        ArmStats(A.PATTERN_HEAVY, 40, 36),
        ArmStats(A.BALANCED, 40, 8),
        ArmStats(A.CONSERVATIVE, 40, 10),
    )
    posts = posteriors_of(stats)
    ts = prob_best([p.alpha for p in posts], [p.beta for p in posts])
    expected = 0.9 * ts + 0.1 / 3
    rng = np.random.default_rng(11)
    n_calls = 20_000
    counts = Counter(
        choose_arm(stats, rng, exploration=0.1, with_propensities=False).arm for _ in range(n_calls)
    )
    for i, s in enumerate(stats):
        se_i = math.sqrt(expected[i] * (1 - expected[i]) / n_calls)
        assert abs(counts[s.arm] / n_calls - expected[i]) < 4 * se_i
    d = choose_arm(stats, rng, exploration=0.1)
    probs = dict(d.probabilities)
    assert probs[A.BALANCED] >= 0.1 / 3 and sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
    assert d.propensity == pytest.approx(probs[d.arm])
    with pytest.raises(InvalidParameter) as err:
        choose_arm(stats, rng, exploration=1.0)
    assert err.value.field == "exploration"


def test_inactive_arms_are_not_drawn() -> None:
    """An inactive arm is never chosen and takes no draw."""
    stats = (ArmStats(A.PATTERN_HEAVY, 50, 49, is_active=False), ArmStats(A.BALANCED, 50, 10))
    d = choose_arm(stats, np.random.default_rng(0), exploration=0.0)
    assert d.arm is A.BALANCED and d.propensity == 1.0 and d.draws is not None and len(d.draws) == 1
    with pytest.raises(InvalidParameter):
        choose_arm((ArmStats(A.BALANCED, is_active=False),), np.random.default_rng(0))


def test_auto_adapt_off_is_the_best_posterior_mean() -> None:
    """Auto-adapt off: no exploration, the best posterior mean, propensity 1; ties → arm order."""
    stats = (
        ArmStats(A.PATTERN_HEAVY, 10, 4),
        ArmStats(A.PREDICTION_HEAVY, 10, 7),
        ArmStats(A.BALANCED, 10, 7),
    )
    d = choose_arm(stats, np.random.default_rng(0), auto_adapt=False)
    assert (d.arm, d.propensity, d.mode, d.draws) == (A.PREDICTION_HEAVY, 1.0, "fixed", None)
    assert dict(d.probabilities)[A.BALANCED] == 0.0
    assert (
        choose_arm(initial_stats(), np.random.default_rng(0), auto_adapt=False).arm
        is A.PATTERN_HEAVY
    )


def test_confidence_scores_sum_to_one() -> None:
    """confidenceScore = P(arm is best); with no data every arm gets 1/4."""
    conf = arm_confidences(initial_stats())
    assert conf == pytest.approx(dict.fromkeys(ARMS, 0.25), abs=1e-9)


def test_reward_scale_golden() -> None:
    """Eight rewards 0.4/0.6: m 0.5, s² = 0.08/7 → c = 0.25/0.011429 = 21.875; Bernoulli → 1."""
    rs = reward_scale([0.4, 0.6] * 4)
    assert rs.scale == pytest.approx(0.25 / (0.08 / 7))
    assert reward_scale([0.4, 0.6] * 3).scale == 1.0  # under 8 rewards
    assert reward_scale([0.5] * 8).scale == 25.0  # no spread: capped
    # Coin flips: m(1 − m)/s² = 0.25/(2.5/9) = 0.9 → clipped to 1.
    assert reward_scale([0, 1, 1, 0, 1, 0, 0, 1, 1, 0]).scale == 1.0


def test_pooled_prior_golden() -> None:
    """Method of moments by hand.

    Means .65 .55 .70 .45 .60 over 100 sessions each: μ = 0.59, s² = 0.037/4 = 0.00925,
    noise = 0.59·0.41/100 = 0.002419, τ² = 0.006831, M = 0.2419/0.006831 − 1 = 34.41:
    kept under a cap of 50, capped under a cap of 10.
    """
    peers = [PeerArm(100, s) for s in (65, 55, 70, 45, 60)]
    m = 0.2419 / (0.00925 - 0.002419) - 1
    free = pooled_prior(peers, max_strength=50)
    assert free.source == "pooled" and free.peers == 5
    assert free.strength == pytest.approx(m, rel=1e-9)
    assert free.mean == pytest.approx(0.59)
    capped = pooled_prior(peers, max_strength=10)
    assert (capped.alpha, capped.beta) == pytest.approx((5.9, 4.1))
    assert "capped at 10" in capped.note
    # The engine's cap: 5 pseudo-trials.
    engine = pooled_prior(peers)
    assert engine.strength == pytest.approx(MAX_PRIOR_STRENGTH)
    assert engine.mean == pytest.approx(0.59)


def test_pooled_prior_spread_and_noise() -> None:
    """No spread beyond noise → the cap; a wide spread → the minimum strength 2 (as weak as uniform)."""
    noise_only = [PeerArm(10, s) for s in (6, 4, 7, 3, 5)]  # s² 0.025 = noise 0.25/10
    assert pooled_prior(noise_only, max_strength=10).strength == pytest.approx(10.0)
    wide = [PeerArm(10, s) for s in (9, 1, 8, 2, 5)]  # τ² = 0.125 − 0.025 = 0.1 → M = 1.5 → 2
    p = pooled_prior(wide)
    assert (p.alpha, p.beta) == pytest.approx((1.0, 1.0)) and p.source == "pooled"


def test_pooled_prior_parameters_are_at_least_one() -> None:
    """Peers who almost always score 1 with a wide spread: μ near 1, M = 2 → β raised to 1."""
    peers = [PeerArm(10, s) for s in (10, 10, 10, 10, 9.99, 2)]
    p = pooled_prior(peers)
    assert p.alpha >= 1.0 and p.beta == 1.0


def test_pooled_prior_falls_back_to_uniform() -> None:
    """Under 5 peers with ≥ 3 sessions: uniform, and the note says how many there were."""
    p = pooled_prior([PeerArm(10, 5)] * 4 + [PeerArm(2, 1)] * 10)
    assert (p.alpha, p.beta, p.source, p.peers) == (1.0, 1.0, "uniform", 4)
    assert "4 sharing learners" in p.note
    priors = pooled_priors({A.BALANCED: [PeerArm(100, s) for s in (65, 55, 70, 45, 60)]})
    assert priors[A.BALANCED].source == "pooled" and priors[A.CONSERVATIVE] == BetaPrior(
        note=priors[A.CONSERVATIVE].note
    )


def test_prior_shifts_the_decision() -> None:
    """A strong prior on BALANCED makes it the favourite of a new learner."""
    priors = {a: UNIFORM_PRIOR for a in ARMS} | {A.BALANCED: BetaPrior(9.0, 1.0, "pooled")}
    conf = arm_confidences(initial_stats(), priors)
    assert conf[A.BALANCED] > 0.7
    assert sum(conf.values()) == pytest.approx(1.0, abs=1e-6)
