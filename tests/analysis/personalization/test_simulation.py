"""The benchmark's scenarios at a tiny scale: the pure driver keeps the engine's bookkeeping."""

from __future__ import annotations

import numpy as np

from benchmarks.personalization_quality import (
    BASELINE_WEEKS,
    SESSIONS_PER_WEEK,
    Noise,
    PureDriver,
    identified_curve,
    make_cohort,
    peers_of,
    run_cohort,
    run_stream,
    simulate_session,
)
from twin.analysis.personalization.reward import ImplicitSignal
from twin.enums import PersonalizationContext, PersonalizationLevel

C = PersonalizationContext


def test_driver_bookkeeping_matches_the_trace() -> None:
    """Each decision is counted on its arm, its reward summed; baseline weeks are level NONE."""
    learners = make_cohort(3, np.random.default_rng(1), "skewed", "t")
    driver = PureDriver(5, propensities=True)
    for lr in learners:
        trace = run_stream(driver, lr, C.MISSION, 5, weeks=2, record_baselines=True)
        assert len(trace.arms) == 2 * SESSIONS_PER_WEEK
        assert all(0.0 < p <= 1.0 for p in trace.propensities)
        assert len(trace.baselines) == len(trace.arms)
        stats = {s.arm: s for s in driver.arm_stats(lr.learner_id, C.MISSION)}
        for arm, s in stats.items():
            rewards = [r for a, r in zip(trace.arms, trace.rewards, strict=True) if a is arm]
            assert s.times_selected == sum(r is not None for r in rewards)
            assert s.total_reward == sum(r for r in rewards if r is not None)
        stored = driver.outcomes(lr.learner_id, C.MISSION)
        levels = [o.level for _, o in stored]
        assert levels.count(PersonalizationLevel.NONE) <= BASELINE_WEEKS * SESSIONS_PER_WEEK
        assert PersonalizationLevel.MEDIUM in levels


def test_hidden_response_moves_outcomes() -> None:
    """The same noise with a larger effect gives higher retention and performance."""
    lr = make_cohort(1, np.random.default_rng(2), "skewed", "h")[0]
    rng = np.random.default_rng(3)
    for _ in range(50):
        nz = Noise.draw(rng)
        lo, hi = simulate_session(lr, 0.0, nz).outcome, simulate_session(lr, 0.2, nz).outcome
        if ImplicitSignal.MISSION_SKIPPED in lo.signals:
            assert lo == hi
            continue
        assert hi.performance is not None and lo.performance is not None
        assert hi.performance >= lo.performance
        if lo.retention is not None and hi.retention is not None:
            assert hi.retention >= lo.retention


def test_pooled_run_and_curve() -> None:
    """Peers' statistics feed a second cohort's priors; the identification curve is a share."""
    rng = np.random.default_rng(4)
    peers = run_cohort(make_cohort(6, rng, "skewed", "p"), 8, weeks=2)
    shared = peers_of(peers)
    newcomers = make_cohort(3, rng, "skewed", "n")
    pooled = run_cohort(newcomers, 9, shared, weeks=1)
    assert pooled.driver.priors(C.MISSION)  # six peers ≥ 5: pooled, not empty
    assert all(p.alpha >= 1 and p.beta >= 1 for p in pooled.driver.priors(C.MISSION).values())
    traces, best = [], []
    for lr in newcomers:
        b = lr.best_arm(C.MISSION)
        if b is not None:
            traces.append(pooled.traces[(lr.learner_id, C.MISSION)])
            best.append(b)
    assert traces
    curve = identified_curve(traces, best)
    assert len(curve) == SESSIONS_PER_WEEK and all(0.0 <= v <= 1.0 for v in curve)
