"""A variant's config in place of the bandit: what it may change, and what it may not."""

from __future__ import annotations

from datetime import UTC, datetime

from twin.analysis.personalization.evidence import NO_EVIDENCE, Evidence
from twin.analysis.personalization.experiment import apply_variant, read_variant_config
from twin.analysis.personalization.preferences import Preferences
from twin.analysis.personalization.strategy import StrategyArm
from twin.enums import BurnoutRiskLevel, PersonalizationContext, PersonalizationLevel

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MISSION = PersonalizationContext.MISSION
REASON = "experiment X decides"


def test_duration_factor_scales_the_starting_length() -> None:
    config = read_variant_config({"durationFactor": 0.8})
    assert config.problem is None and config.strategy is StrategyArm.BALANCED
    out = apply_variant(MISSION, Preferences(), NOW, NO_EVIDENCE, config, REASON)
    # default 45 min (INTERMEDIATE) × 0.8 = 36 → rounded to 5 min: 35; no evidence moves it
    assert out.parameters.duration_minutes == 35
    assert out.reasons[0] == REASON and out.arm is StrategyArm.BALANCED
    requested = apply_variant(
        MISSION, Preferences(), NOW, NO_EVIDENCE, config, REASON, {"durationMinutes": 60}
    )
    assert requested.parameters.duration_minutes == 50  # 60 × 0.8 = 48 → 50


def test_a_variant_never_raises_the_learners_level() -> None:
    config = read_variant_config({"level": "HIGH", "strategy": "PATTERN_HEAVY"})
    out = apply_variant(
        MISSION, Preferences(level=PersonalizationLevel.LOW), NOW, NO_EVIDENCE, config, REASON
    )
    assert out.scope.effective_level is PersonalizationLevel.LOW
    assert any("kept" in r for r in out.reasons)
    lower = apply_variant(
        MISSION, Preferences(), NOW, NO_EVIDENCE, read_variant_config({"level": "NONE"}), REASON
    )
    assert not lower.scope.personalized and lower.parameters == lower.defaults


def test_an_unusable_config_gives_defaults_and_says_why() -> None:
    for raw, words in (
        ({"strategy": "AGGRESSIVE"}, "AGGRESSIVE"),
        ({"durationFactor": 9}, "durationFactor"),
        ({"params": {"durationMinutes": 500}}, "params.durationMinutes"),
    ):
        out = apply_variant(
            MISSION, Preferences(), NOW, NO_EVIDENCE, read_variant_config(raw), REASON
        )
        assert out.parameters == out.defaults, raw
        assert any(words in r and "engine defaults" in r for r in out.reasons), out.reasons
    odd = read_variant_config({"colour": "blue", "durationFactor": 1.0})
    assert odd.ignored == ("colour",)


def test_safety_overrides_still_win() -> None:
    config = read_variant_config({"durationFactor": 2.0})
    out = apply_variant(
        MISSION,
        Preferences(),
        NOW,
        Evidence(burnout=BurnoutRiskLevel.CRITICAL),
        config,
        REASON,
    )
    # burnout CRITICAL: at most 20 minutes whatever the variant asks (5.4)
    assert out.parameters.duration_minutes <= 20 and out.overrides
