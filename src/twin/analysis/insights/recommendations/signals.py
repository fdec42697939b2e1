"""What each source tells the recommendations (ENGINE.md 5.6): one signal type per capability.

A service-side candidate provider per source fills its part of :class:`RecommendationSources`
(patterns and insights 5.1, struggle interventions 5.2, schedule 5.3, load and burnout 5.4,
personalization and experiments 5.5); the candidates are made from them in
:mod:`.candidates`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from twin.analysis.insights.common import check_percent, check_unit
from twin.analysis.patterns.study_time import welch_difference
from twin.analysis.personalization.effectiveness import (
    MIN_BASELINE_OUTCOMES,
    MIN_OUTCOMES,
    OutcomeRecord,
    outcome_score,
)
from twin.enums import (
    BehavioralPatternType,
    BurnoutRiskLevel,
    InsightType,
    InterventionType,
    PersonalizationContext,
    PersonalizationLevel,
)

# --- sources -----------------------------------------------------------------------------
MIN_PATTERN_CONFIDENCE = 0.7
INTERVENTION_PRIORITY_SCALE = 10.0
INTERVENTION_IMPACT = 0.8
INTERVENTION_EASE = 0.6
BURNOUT_RECOMMEND_FROM = BurnoutRiskLevel.MEDIUM
HOLD_BACK_AT_BURNOUT = frozenset({BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL})
HIGH_LOAD_FROM = 60.0  # 7-day mean load at which shorter sessions are recommended (5.4 HIGH)
LOW_ADHERENCE_BELOW = 0.5  # share of accepted slots actually kept
MIN_PLANNED_FOR_ADHERENCE = 4  # accepted slots before adherence is judged
MAX_SLOT_CANDIDATES = 1  # the schedule's best slot is the recommendation; the rest are in 5.3
OUTCOME_POINTS_PER_SCORE = 100.0  # 5.5's outcome score is in [0, 1]; the text speaks in points
PERSONALIZATION_CONFIDENCE_LEVEL = 0.95


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternSignal:
    """A stored pattern (``behavioral_patterns``): id, type, identity key, confidence, data."""

    pattern_id: str
    pattern_type: BehavioralPatternType
    key: str
    name: str
    confidence: float
    evidence: tuple[str, ...] = ()
    data: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class InsightSignal:
    """A stored insight (``behavioral_insights``) and the ids of its linked patterns (primary first)."""

    insight_id: str
    insight_type: InsightType
    title: str
    description: str
    actionable_text: str
    confidence: float
    pattern_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class InterventionSignal:
    """A pending struggle intervention (``intervention_recommendations``, 5.2)."""

    intervention_id: str
    prediction_id: str
    objective_id: str
    objective_name: str
    intervention_type: InterventionType
    priority: int
    description: str
    reasoning: str

    def __post_init__(self) -> None:
        if not 0 <= self.priority <= INTERVENTION_PRIORITY_SCALE:
            raise ValueError(f"priority must be in [0, 10], got {self.priority}")


@dataclass(frozen=True)
class BurnoutSignal:
    """The latest burnout assessment (5.4)."""

    assessment_id: str
    risk_score: float
    level: BurnoutRiskLevel
    confidence: float
    advice: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_percent("risk_score", self.risk_score)
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class LoadSignal:
    """The learner's load profile (5.4): 7-day mean load, its sessions, and the confidence."""

    profile_id: str
    mean_load_7d: float
    sessions_7d: int
    confidence: float
    load_tolerance: float | None = None

    def __post_init__(self) -> None:
        check_percent("mean_load_7d", self.mean_load_7d)
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class ScheduleSlotSignal:
    """A proposed study slot (``study_schedule_recommendations``, 5.3) with its 0–100 score."""

    schedule_recommendation_id: str
    weekday: int
    start_hour: int
    label: str
    score: float
    confidence: float
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_percent("score", self.score)
        check_unit("confidence", self.confidence)
        if not (0 <= self.weekday <= 6 and 0 <= self.start_hour <= 23):
            raise ValueError("weekday must be 0–6 and start_hour 0–23")


@dataclass(frozen=True)
class AdherenceSignal:
    """How many accepted slots were kept over a window (5.3 effectiveness)."""

    window_id: str
    accepted: int
    kept: int
    window_days: int
    confidence: float

    def __post_init__(self) -> None:
        if not 0 <= self.kept <= self.accepted:
            raise ValueError("kept must be in [0, accepted]")
        check_unit("confidence", self.confidence)

    @property
    def rate(self) -> float:
        """Kept / accepted (0 with nothing accepted)."""
        return self.kept / self.accepted if self.accepted else 0.0


@dataclass(frozen=True)
class PersonalizationSignal:
    """Personalization effectiveness in one context (5.5): improvement with its 95% interval."""

    effectiveness_id: str
    context: PersonalizationContext
    current_level: PersonalizationLevel
    suggested_level: PersonalizationLevel
    improvement: float
    ci_low: float
    ci_high: float
    sample_size: int
    confidence: float

    def __post_init__(self) -> None:
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class ExperimentWinnerSignal:
    """A finished experiment with a winner (5.5) and the variant the learner is in, if any."""

    experiment_id: str
    name: str
    winning_variant: str
    change_description: str
    metric: str
    relative_lift: float
    ci_low: float
    ci_high: float
    chance_to_win: float
    learner_variant: str | None = None

    def __post_init__(self) -> None:
        check_unit("chance_to_win", self.chance_to_win)


@dataclass(frozen=True)
class RecommendationSources:
    """Everything the engine currently knows that can become a recommendation."""

    patterns: tuple[PatternSignal, ...] = ()
    insights: tuple[InsightSignal, ...] = ()
    interventions: tuple[InterventionSignal, ...] = ()
    burnout: BurnoutSignal | None = None
    load: LoadSignal | None = None
    schedule_slots: tuple[ScheduleSlotSignal, ...] = ()
    adherence: AdherenceSignal | None = None
    personalization: tuple[PersonalizationSignal, ...] = ()
    experiment_winners: tuple[ExperimentWinnerSignal, ...] = ()


_LEVEL_ORDER: tuple[PersonalizationLevel, ...] = (
    PersonalizationLevel.NONE,
    PersonalizationLevel.LOW,
    PersonalizationLevel.MEDIUM,
    PersonalizationLevel.HIGH,
)


def next_level(level: PersonalizationLevel) -> PersonalizationLevel:
    """One level more personalization (HIGH stays HIGH: nothing to raise)."""
    i = _LEVEL_ORDER.index(level)
    return _LEVEL_ORDER[min(i + 1, len(_LEVEL_ORDER) - 1)]


def personalization_signal(
    effectiveness_id: str,
    context: PersonalizationContext,
    current_level: PersonalizationLevel,
    arm_outcomes: Sequence[OutcomeRecord],
    baseline_outcomes: Sequence[OutcomeRecord],
) -> PersonalizationSignal | None:
    """An arm's mean outcome score minus its context's baseline, in points, with a Welch 95% interval.

    None under 5.5's minimum of 10 scored outcomes on either side (insufficient data is no
    signal, never a zero). The confidence is one minus the two-sided p-value of the
    difference: how sure it is not zero, whichever its sign.
    """
    arm = [x for x in map(outcome_score, arm_outcomes) if x is not None]
    base = [x for x in map(outcome_score, baseline_outcomes) if x is not None]
    if len(arm) < MIN_OUTCOMES or len(base) < MIN_BASELINE_OUTCOMES:
        return None
    w = welch_difference(
        np.asarray(arm, dtype=float) * OUTCOME_POINTS_PER_SCORE,
        np.asarray(base, dtype=float) * OUTCOME_POINTS_PER_SCORE,
        confidence_level=PERSONALIZATION_CONFIDENCE_LEVEL,
    )
    p_two_sided = min(1.0, 2.0 * min(w.p_greater, 1.0 - w.p_greater))
    return PersonalizationSignal(
        effectiveness_id=effectiveness_id,
        context=context,
        current_level=current_level,
        suggested_level=next_level(current_level),
        improvement=w.difference,
        ci_low=w.ci_low,
        ci_high=w.ci_high,
        sample_size=len(arm),
        confidence=0.0 if math.isnan(p_two_sided) else min(1.0, max(0.0, 1.0 - p_two_sided)),
    )
