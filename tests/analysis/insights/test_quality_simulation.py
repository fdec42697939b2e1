"""The insights-quality harness recovers known truth at the extremes, so its figures can be trusted."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.insights_quality import (
    AppliedScenario,
    CorrelationScenario,
    SimulatorApplied,
    SyntheticApplied,
    SyntheticCorrelation,
    measure_applied,
    measure_correlation,
    wilson,
)

LEARNERS = 200


def test_a_huge_effect_is_always_improved_and_none_rarely() -> None:
    """+40 points with 8 sessions a week: IMPROVED for every helped learner; no effect: about the
    one-sided 2.5% of a 95% interval (well under 10% here)."""
    rng = np.random.default_rng(1)
    huge = measure_applied(
        SyntheticApplied(AppliedScenario("huge", effect=40.0, helped_share=1.0)), LEARNERS, rng
    )
    assert huge["helped"]["IMPROVED"] == 1.0 and huge["notHelped"]["learners"] == 0
    none = measure_applied(
        SyntheticApplied(AppliedScenario("none", effect=0.0, helped_share=0.0)),
        LEARNERS,
        np.random.default_rng(2),
    )
    assert none["notHelped"]["IMPROVED"] < 0.10
    assert none["notHelped"]["learners"] == LEARNERS


def test_generated_learners_split_at_applying_and_carry_the_effect() -> None:
    """The generator-backed source (no database): about 8 sessions a week (fewer while withdrawn),
    and the helped learners' change exceeds the others' by far more than noise — following
    multiplies session quality by 1.5 (about +17 points of session score over the others at
    2,000 learners); a split in the wrong place would show no gap."""
    cases = list(SimulatorApplied(10, 95).cases(24, np.random.default_rng(6)))
    assert len(cases) == 24
    assert all(5 <= len(c.baseline) <= 35 and 5 <= len(c.test) <= 35 for c in cases)

    def mean_change(helped: bool) -> float:
        return float(
            np.mean([np.mean(c.test) - np.mean(c.baseline) for c in cases if c.helped is helped])
        )

    assert mean_change(True) - mean_change(False) > 8.0


def test_sparse_learners_are_insufficient_not_judged() -> None:
    """With 1 session a week almost nobody has 5 per window: the engine says so instead of guessing."""
    out = measure_applied(
        SyntheticApplied(AppliedScenario("sparse", sessions_per_week=1.0, helped_share=1.0)),
        LEARNERS,
        np.random.default_rng(3),
    )
    assert out["helped"]["insufficient"] > 0.9


def test_correlation_extremes() -> None:
    """ρ = 0.95 over 24 weeks is always found; ρ = 0 gives a clear link for about 5%."""
    strong = measure_correlation(
        SyntheticCorrelation(CorrelationScenario("strong", rho=0.95, weeks=24)),
        LEARNERS,
        np.random.default_rng(4),
    )
    assert strong["positiveAndIntervalAbove0"] == 1.0
    assert strong["medianR"] == pytest.approx(0.95, abs=0.03)
    null = measure_correlation(
        SyntheticCorrelation(CorrelationScenario("null", rho=0.0, weeks=16)),
        1_000,
        np.random.default_rng(5),
    )
    lo, hi = wilson(null["clearEitherSide"], 1_000) or (0.0, 0.0)
    assert lo <= 0.05 <= hi + 0.01


def test_wilson_interval() -> None:
    """Wilson 95% for 8/10: 0.4902–0.9433 (standard table value)."""
    assert wilson(0.8, 10) == pytest.approx([0.4902, 0.9433], abs=1e-4)
