"""Recommendation templates (ENGINE.md 5.6): impact / ease bases, type maps, the priority formula.

``priorityScore = 0.3·confidence + 0.4·impact + 0.2·ease + 0.1·readiness``; impact is the
template base learned from the learner's own measured outcomes of the type, readiness
``0.5·capacity + 0.5·receptiveness`` (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twin.analysis.insights.common import clip01
from twin.analysis.insights.evaluation import Verdict
from twin.enums import (
    BehavioralPatternType,
    BurnoutRiskLevel,
    InsightType,
    InterventionType,
    PersonalizationContext,
    PersonalizationLevel,
    RecommendationType,
)

# --- priority ----------------------------------------------------------------------------
CONFIDENCE_WEIGHT = 0.3
IMPACT_WEIGHT = 0.4
EASE_WEIGHT = 0.2
READINESS_WEIGHT = 0.1

# --- readiness ---------------------------------------------------------------------------
CAPACITY_WEIGHT = 0.5
RECEPTIVENESS_WEIGHT = 0.5
RECEPTIVENESS_PRIOR_APPLIED = 1.0  # Laplace: one imagined application …
RECEPTIVENESS_PRIOR_TOTAL = 2.0  # … and one imagined dismissal
STRAIN_MAX = 100.0

# --- learned impact ----------------------------------------------------------------------
IMPACT_PRIOR_OUTCOMES = 2.0  # the template base counts as this many outcomes
OUTCOME_VALUE: dict[Verdict, float] = {
    Verdict.IMPROVED: 1.0,
    Verdict.NEUTRAL: 0.5,
    Verdict.DECLINED: 0.0,
}


@dataclass(frozen=True)
class Template:
    """Impact and ease bases of a recommendation type, and its short label."""

    recommendation_type: RecommendationType
    impact: float
    ease: float
    label: str


TEMPLATES: dict[RecommendationType, Template] = {
    t.recommendation_type: t
    for t in (
        Template(RecommendationType.STUDY_TIME_OPTIMIZATION, 0.85, 0.70, "study time"),
        Template(RecommendationType.SESSION_DURATION_ADJUSTMENT, 0.75, 0.90, "session length"),
        Template(RecommendationType.CONTENT_TYPE_BALANCE, 0.65, 0.75, "content mix"),
        Template(RecommendationType.RETENTION_STRATEGY, 0.80, 0.60, "retention"),
        Template(RecommendationType.CONSISTENCY_BUILDING, 0.70, 0.65, "consistency"),
        Template(RecommendationType.EXPERIMENTAL_SUGGESTION, 0.60, 0.50, "experiment"),
    )
}

TYPE_BY_PATTERN: dict[BehavioralPatternType, RecommendationType] = {
    BehavioralPatternType.OPTIMAL_STUDY_TIME: RecommendationType.STUDY_TIME_OPTIMIZATION,
    BehavioralPatternType.PERFORMANCE_PEAK: RecommendationType.STUDY_TIME_OPTIMIZATION,
    BehavioralPatternType.SESSION_DURATION_PREFERENCE: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    BehavioralPatternType.ATTENTION_CYCLE: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    BehavioralPatternType.CONTENT_TYPE_PREFERENCE: RecommendationType.CONTENT_TYPE_BALANCE,
    BehavioralPatternType.FORGETTING_CURVE: RecommendationType.RETENTION_STRATEGY,
}
TYPE_BY_INSIGHT: dict[InsightType, RecommendationType] = {
    InsightType.STUDY_TIME_OPTIMIZATION: RecommendationType.STUDY_TIME_OPTIMIZATION,
    InsightType.SESSION_LENGTH_ADJUSTMENT: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InsightType.CONTENT_PREFERENCE: RecommendationType.CONTENT_TYPE_BALANCE,
    InsightType.RETENTION_STRATEGY: RecommendationType.RETENTION_STRATEGY,
}
# What an intervention changes: spacing and prerequisites → retention; breaks, load and focus
# → session length; format, variation and difficulty ramp → the content mix.
TYPE_BY_INTERVENTION: dict[InterventionType, RecommendationType] = {
    InterventionType.PREREQUISITE_REVIEW: RecommendationType.RETENTION_STRATEGY,
    InterventionType.SPACING_ADJUSTMENT: RecommendationType.RETENTION_STRATEGY,
    InterventionType.SPACED_REPETITION_BOOST: RecommendationType.RETENTION_STRATEGY,
    InterventionType.BREAK_RECOMMENDATION: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InterventionType.BREAK_SCHEDULE_ADJUST: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InterventionType.COGNITIVE_LOAD_REDUCE: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InterventionType.FOCUS_SESSION: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InterventionType.CONTENT_VARIATION: RecommendationType.CONTENT_TYPE_BALANCE,
    InterventionType.CONTENT_FORMAT_ADAPT: RecommendationType.CONTENT_TYPE_BALANCE,
    InterventionType.DIFFICULTY_PROGRESSION: RecommendationType.CONTENT_TYPE_BALANCE,
}
# Interventions that lighten the learner's load are allowed (and fully "affordable") under strain.
STRAIN_RELIEVING_INTERVENTIONS = frozenset(
    {
        InterventionType.BREAK_RECOMMENDATION,
        InterventionType.BREAK_SCHEDULE_ADJUST,
        InterventionType.COGNITIVE_LOAD_REDUCE,
    }
)
TYPE_BY_PERSONALIZATION_CONTEXT: dict[PersonalizationContext, RecommendationType] = {
    PersonalizationContext.MISSION: RecommendationType.EXPERIMENTAL_SUGGESTION,
    PersonalizationContext.CONTENT: RecommendationType.CONTENT_TYPE_BALANCE,
    PersonalizationContext.ASSESSMENT: RecommendationType.RETENTION_STRATEGY,
    PersonalizationContext.SESSION: RecommendationType.SESSION_DURATION_ADJUSTMENT,
}
LEVEL_RANK: dict[PersonalizationLevel, int] = {
    PersonalizationLevel.NONE: 0,
    PersonalizationLevel.LOW: 1,
    PersonalizationLevel.MEDIUM: 2,
    PersonalizationLevel.HIGH: 3,
}
BURNOUT_RANK: dict[BurnoutRiskLevel, int] = {
    BurnoutRiskLevel.LOW: 0,
    BurnoutRiskLevel.MEDIUM: 1,
    BurnoutRiskLevel.HIGH: 2,
    BurnoutRiskLevel.CRITICAL: 3,
}


@dataclass(frozen=True)
class TypeHistory:
    """The learner's record with one recommendation type."""

    applied: int = 0
    dismissed: int = 0
    improved: int = 0
    neutral: int = 0
    declined: int = 0

    @property
    def evaluated(self) -> int:
        """Applications with a measured outcome."""
        return self.improved + self.neutral + self.declined


@dataclass(frozen=True)
class RecommendationRecord:
    """One past recommendation of the learner: type, whether applied / dismissed, its verdict."""

    recommendation_type: RecommendationType
    applied: bool = False
    dismissed: bool = False
    verdict: Verdict | None = None


# --- formulas ----------------------------------------------------------------------------


def priority_score(confidence: float, impact: float, ease: float, readiness: float) -> float:
    """``0.3·confidence + 0.4·impact + 0.2·ease + 0.1·readiness``."""
    return (
        CONFIDENCE_WEIGHT * confidence
        + IMPACT_WEIGHT * impact
        + EASE_WEIGHT * ease
        + READINESS_WEIGHT * readiness
    )


def learned_impact(base: float, history: TypeHistory) -> float:
    """``(2·base + Σ outcome values) / (2 + n)``: the base, moved by the learner's measured outcomes."""
    total = (
        history.improved * OUTCOME_VALUE[Verdict.IMPROVED]
        + history.neutral * OUTCOME_VALUE[Verdict.NEUTRAL]
        + history.declined * OUTCOME_VALUE[Verdict.DECLINED]
    )
    return (IMPACT_PRIOR_OUTCOMES * base + total) / (IMPACT_PRIOR_OUTCOMES + history.evaluated)


def receptiveness(history: TypeHistory) -> float:
    """``(applied + 1) / (applied + dismissed + 2)``: how often the learner acts on this type."""
    return (history.applied + RECEPTIVENESS_PRIOR_APPLIED) / (
        history.applied + history.dismissed + RECEPTIVENESS_PRIOR_TOTAL
    )


def readiness(history: TypeHistory, strain_0_100: float, *, relieves_strain: bool) -> float:
    """``0.5·capacity + 0.5·receptiveness``; capacity = 1 − strain/100 (1 for strain relief)."""
    capacity = 1.0 if relieves_strain else clip01(1.0 - strain_0_100 / STRAIN_MAX)
    return CAPACITY_WEIGHT * capacity + RECEPTIVENESS_WEIGHT * receptiveness(history)


def type_histories(
    records: Sequence[RecommendationRecord],
) -> dict[RecommendationType, TypeHistory]:
    """Counts per type from the learner's past recommendations."""
    counts: dict[RecommendationType, list[int]] = {}
    for r in records:
        c = counts.setdefault(r.recommendation_type, [0, 0, 0, 0, 0])
        c[0] += r.applied
        c[1] += r.dismissed
        if r.verdict is Verdict.IMPROVED:
            c[2] += 1
        elif r.verdict is Verdict.NEUTRAL:
            c[3] += 1
        elif r.verdict is Verdict.DECLINED:
            c[4] += 1
    return {t: TypeHistory(*c) for t, c in counts.items()}
