"""The additive rule baseline of struggle prediction (ENGINE.md 5.2).

Score (log-odds) = ``bias + Σ wᵢ·(xᵢ − 0.5)``; probability = logistic(score).
Features are centred on 0.5, the value of an unknown feature, so an unmeasured
feature contributes nothing and ``bias`` is the log-odds of a learner about whom
nothing is known. Per-feature contributions ``wᵢ·(xᵢ − 0.5)`` are the "why".

Where the weights come from: they are reasoned defaults, not fitted. Each weight is
the change in log-odds when its feature goes from 0 to 1. Direct evidence of
difficulty with this objective (low predicted recall, AGAIN share, recent session
performance, validation) gets the largest weights (2–3, i.e. a factor of e² ≈ 7 to
e³ ≈ 20 in the odds); structural causes (prerequisite gaps, complexity above ability,
past struggles in the course) 1.5–2; context (load, exam proximity, time since study,
workload, format mismatch) 0.5–1. The bias logit(0.3) ≈ −0.847 says a learner we know
nothing about struggles with roughly a third of upcoming objectives. This is the
baseline a trained model must beat on held-out outcomes before it is deployed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from twin.analysis.struggle.common import logistic
from twin.analysis.struggle.features import FEATURE_NAMES, UNKNOWN_VALUE, FeatureVector

RULE_MODEL_VERSION = "rules-v1"
"""Model version recorded with every prediction made by the rule baseline."""

PRIOR_STRUGGLE_PROBABILITY = 0.3
"""Probability of struggle when every feature is unknown (sets the bias)."""


@dataclass(frozen=True)
class RuleWeights:
    """Log-odds weights of the rule baseline, one per feature, in ``FEATURE_NAMES`` order."""

    retention_score: float = -3.0  # high predicted recall pulls down (low retention pushes up)
    retention_decline_rate: float = 1.0  # recall falling week over week pushes up
    review_lapse_rate: float = 2.0  # AGAIN share in 30 days pushes up
    session_performance_score: float = -2.0  # good recent sessions pull down
    validation_score: float = -2.0  # good validation answers pull down
    prerequisite_gap_count: float = 1.5  # share of prerequisites below 0.7 pushes up
    prerequisite_mastery_gap: float = 1.5  # weak prerequisites on average push up
    content_complexity: float = 0.5  # harder content pushes up a little by itself
    complexity_mismatch: float = 2.0  # complexity above ability pushes up
    historical_struggle_score: float = 1.5  # past struggles in the course push up
    content_type_mismatch: float = 0.5  # content not in the preferred format pushes up a little
    cognitive_load_indicator: float = 1.0  # high recent load pushes up
    days_until_exam: float = -1.0  # 1 = far / no exam pulls down; a near exam pushes up
    days_since_last_study: float = 0.5  # long gaps push up a little
    workload_level: float = 0.5  # many open objectives push up a little
    bias: float = math.log(PRIOR_STRUGGLE_PROBABILITY / (1.0 - PRIOR_STRUGGLE_PROBABILITY))

    def as_tuple(self) -> tuple[float, ...]:
        """Feature weights (without the bias) in ``FEATURE_NAMES`` order."""
        return tuple(getattr(self, f.name) for f in fields(self)[: len(FEATURE_NAMES)])


DEFAULT_RULE_WEIGHTS = RuleWeights()


@dataclass(frozen=True)
class RulePrediction:
    """Probability of struggle from the rule baseline, with its log-odds and contributions."""

    probability: float
    score: float
    contributions: dict[str, float]
    """``{feature name: wᵢ·(xᵢ − 0.5)}`` in log-odds units, all 15 features."""
    model_version: str = RULE_MODEL_VERSION

    def top_factors(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` features that push the probability up most (positive contributions only)."""
        ranked = sorted(self.contributions.items(), key=lambda kv: kv[1], reverse=True)
        return [(n, c) for n, c in ranked[:k] if c > 0]


def rule_predict(
    features: FeatureVector, weights: RuleWeights = DEFAULT_RULE_WEIGHTS
) -> RulePrediction:
    """Probability of struggle by the additive rule: logistic(bias + Σ wᵢ·(xᵢ − 0.5))."""
    contributions = {
        name: w * (x - UNKNOWN_VALUE)
        for name, w, x in zip(
            FEATURE_NAMES, weights.as_tuple(), features.as_dict().values(), strict=True
        )
    }
    score = weights.bias + math.fsum(contributions.values())
    return RulePrediction(probability=logistic(score), score=score, contributions=contributions)
