"""The four strategy arms: how strongly the twin's outputs move the engine's defaults.

An arm is a pair of weights in [0, 1], one for *patterns* (the 5.1 findings: study time,
session length, attention cycle, forgetting curve, content outcomes, calibration) and one
for *predictions* (the 5.2 struggle predictions with their prerequisite gaps, and the
learner's strong areas). A numeric parameter moves from its default ``d`` towards the
twin's suggestion ``s`` by the weight: ``d + w·(s − d)``. A categorical choice (a start
hour, an order of objectives, a list of advanced objectives) is either the default or
the twin's, so it is taken only when the weight is at least ``CATEGORICAL_MIN_WEIGHT``:
CONSERVATIVE moves numbers a little and never switches a category.

=================  ========  ===========
arm                patterns  predictions
=================  ========  ===========
PATTERN_HEAVY      1.00      0.50
PREDICTION_HEAVY   0.50      1.00
BALANCED           0.75      0.75
CONSERVATIVE       0.35      0.35
=================  ========  ===========

``personalization_configs.strategyVariant`` stores the arm's name (a plain string column,
so the names live here, not in ``twin.enums``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StrategyArm(StrEnum):
    """A personalization strategy (one bandit arm per learner and context)."""

    PATTERN_HEAVY = "PATTERN_HEAVY"
    PREDICTION_HEAVY = "PREDICTION_HEAVY"
    BALANCED = "BALANCED"
    CONSERVATIVE = "CONSERVATIVE"


ARMS: tuple[StrategyArm, ...] = tuple(StrategyArm)
"""Arm order: the order of posterior draws and of every per-arm list."""

CATEGORICAL_MIN_WEIGHT = 0.5
"""A categorical suggestion is adopted only by an arm whose weight for its source is ≥ this."""


@dataclass(frozen=True)
class ArmWeights:
    """How far one arm moves parameters towards pattern- and prediction-based suggestions."""

    patterns: float
    predictions: float

    def __post_init__(self) -> None:
        for name, w in (("patterns", self.patterns), ("predictions", self.predictions)):
            if not 0.0 <= w <= 1.0:
                raise ValueError(f"{name} weight must be in [0, 1], got {w}")


ARM_WEIGHTS: dict[StrategyArm, ArmWeights] = {
    StrategyArm.PATTERN_HEAVY: ArmWeights(patterns=1.0, predictions=0.5),
    StrategyArm.PREDICTION_HEAVY: ArmWeights(patterns=0.5, predictions=1.0),
    StrategyArm.BALANCED: ArmWeights(patterns=0.75, predictions=0.75),
    StrategyArm.CONSERVATIVE: ArmWeights(patterns=0.35, predictions=0.35),
}


def parse_arm(value: str) -> StrategyArm:
    """The arm named ``value``; ValueError naming the known arms otherwise."""
    try:
        return StrategyArm(value)
    except ValueError:
        known = ", ".join(a.value for a in ARMS)
        raise ValueError(f"unknown strategy {value!r}; expected one of {known}") from None
