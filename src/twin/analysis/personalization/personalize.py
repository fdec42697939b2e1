"""One personalization request end to end: scope → strategy decision → parameters.

What ``POST …/personalization:apply`` does between loading and storing: the learner's
preferences decide what may be personalized at ``now``; if anything may, the bandit
chooses the strategy (Thompson sampling with the exploration floor, or the best arm when
auto-adapt is off) and the context's ``apply_*`` shapes the parameters with it. Client
params are validated first, so a bad request consumes no randomness and produces no
decision. With nothing to personalize (level NONE, paused, context off) there is no
decision to log and the answer is the engine defaults (safety overrides still apply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from twin.analysis.personalization.apply import apply
from twin.analysis.personalization.bandit import (
    EXPLORATION_FLOOR,
    UNIFORM_PRIOR,
    ArmStats,
    BetaPrior,
    Decision,
    choose_arm,
)
from twin.analysis.personalization.evidence import Evidence
from twin.analysis.personalization.params import Params, Personalized, check_params
from twin.analysis.personalization.preferences import Preferences, personalization_scope
from twin.analysis.personalization.strategy import StrategyArm
from twin.enums import PersonalizationContext

DEFAULTS_ARM = StrategyArm.CONSERVATIVE
"""Passed to ``apply_*`` when nothing is personalized (unused there: every feature is off)."""


@dataclass(frozen=True)
class PersonalizationAnswer:
    """The decision to log (None: nothing personalized) and the parameters to return."""

    decision: Decision | None
    result: Personalized[Any]

    def to_json(self) -> dict[str, Any]:
        """The answer, with the decision's strategy and propensity when there is one."""
        out = self.result.to_json()
        out["decision"] = None if self.decision is None else self.decision.to_json()
        return out


def personalize(
    context: PersonalizationContext,
    preferences: Preferences,
    now: datetime,
    evidence: Evidence,
    stats: Sequence[ArmStats],
    rng: np.random.Generator,
    *,
    params: Mapping[str, Any] | Params | None = None,
    priors: Mapping[StrategyArm, BetaPrior] | BetaPrior = UNIFORM_PRIOR,
    scale: float = 1.0,
    exploration: float = EXPLORATION_FLOOR,
) -> PersonalizationAnswer:
    """Scope at ``now``, then (if anything may be personalized) a decision, then parameters."""
    parsed = check_params(context, params)
    scope = personalization_scope(preferences, context, now)
    if not scope.personalized:
        return PersonalizationAnswer(None, apply(context, evidence, DEFAULTS_ARM, scope, parsed))
    decision = choose_arm(
        stats,
        rng,
        priors=priors,
        scale=scale,
        auto_adapt=scope.auto_adapt,
        exploration=exploration,
    )
    return PersonalizationAnswer(decision, apply(context, evidence, decision.arm, scope, parsed))
