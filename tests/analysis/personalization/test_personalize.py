"""One request end to end: preferences → decision → parameters."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from twin.analysis.personalization.bandit import ArmStats, initial_stats
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.evidence import DurationFinding, Evidence
from twin.analysis.personalization.params import MissionParams, SessionParams
from twin.analysis.personalization.personalize import personalize
from twin.analysis.personalization.preferences import Preferences
from twin.analysis.personalization.strategy import StrategyArm
from twin.enums import BurnoutRiskLevel, PersonalizationContext, PersonalizationLevel

C = PersonalizationContext
NOW = datetime(2026, 3, 2, 9, 0)
EVIDENCE = Evidence(duration=DurationFinding(75, 0.9))


def test_personalized_request_logs_a_decision() -> None:
    """A decision with its propensity; the parameters were shaped by the chosen arm."""
    a = personalize(
        C.SESSION, Preferences(), NOW, EVIDENCE, initial_stats(), np.random.default_rng(3)
    )
    assert a.decision is not None and a.result.arm is a.decision.arm
    assert 0.0 < a.decision.propensity <= 1.0
    # No data: every arm equally likely (propensity 1/4 with or without the floor).
    assert a.decision.propensity == pytest.approx(0.25, abs=1e-9)
    j = a.to_json()
    assert (
        j["strategy"] == a.decision.arm.value
        and j["decision"]["propensity"] == a.decision.propensity
    )


def test_paused_learner_gets_defaults_and_no_decision() -> None:
    """Paused: no decision to log, defaults, the reason; the generator is not touched."""
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    prefs = Preferences(paused_until=NOW + timedelta(days=2))
    a = personalize(C.SESSION, prefs, NOW, EVIDENCE, initial_stats(), rng)
    assert a.decision is None and a.result.arm is None
    assert a.result.parameters == a.result.defaults
    assert rng.bit_generator.state == state
    assert any("paused" in r for r in a.result.reasons)


def test_safety_override_applies_without_personalization() -> None:
    """Level NONE and burnout CRITICAL: no decision, but the override still shortens the session."""
    ev = Evidence(burnout=BurnoutRiskLevel.CRITICAL)
    a = personalize(
        C.SESSION,
        Preferences(level=PersonalizationLevel.NONE),
        NOW,
        ev,
        initial_stats(),
        np.random.default_rng(0),
    )
    assert a.decision is None
    assert a.result.parameters.duration_minutes == 20 and a.result.overrides


def test_auto_adapt_off_uses_the_best_arm() -> None:
    """Auto-adapt off: the best posterior mean, propensity 1."""
    stats = (
        ArmStats(StrategyArm.PATTERN_HEAVY, 10, 3),
        ArmStats(StrategyArm.PREDICTION_HEAVY, 10, 8),
        ArmStats(StrategyArm.BALANCED, 10, 5),
        ArmStats(StrategyArm.CONSERVATIVE, 10, 5),
    )
    a = personalize(
        C.MISSION, Preferences(auto_adapt=False), NOW, EVIDENCE, stats, np.random.default_rng(0)
    )
    assert a.decision is not None
    assert (a.decision.arm, a.decision.propensity, a.decision.mode) == (
        StrategyArm.PREDICTION_HEAVY,
        1.0,
        "fixed",
    )


def test_bad_params_fail_before_any_decision() -> None:
    """Out-of-range or wrong-context params: an error naming the field, no randomness used."""
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    with pytest.raises(InvalidParameter) as err:
        personalize(
            C.MISSION, Preferences(), NOW, EVIDENCE, initial_stats(), rng, params={"startHour": 25}
        )
    assert err.value.field == "startHour"
    with pytest.raises(InvalidParameter) as err:
        personalize(
            C.MISSION, Preferences(), NOW, EVIDENCE, initial_stats(), rng, params=SessionParams()
        )
    assert err.value.field == "params"
    assert rng.bit_generator.state == state
    ok = personalize(
        C.MISSION,
        Preferences(),
        NOW,
        EVIDENCE,
        initial_stats(),
        rng,
        params=MissionParams(start_hour=7),
    )
    assert ok.result.defaults.start_hour == 7
