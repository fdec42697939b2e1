"""The 15 struggle features of one (learner, objective), each in [0, 1] (ENGINE.md 5.2).

Every feature is oriented so that its documented meaning holds; unknown features are
set to ``UNKNOWN_VALUE`` (0.5) and named in ``FeatureVector.unknown``;
``data_quality`` is the share of features that were actually measured.

A fact that is known to be absent is *measured*, not unknown: an objective without
prerequisites has no prerequisite gap (0), an objective without an exam scores
``daysUntilExam = 1`` (far away), an objective never studied scores
``daysSinceLastStudy = 1``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

import numpy as np
import numpy.typing as npt

from twin.analysis.common import clip01, rounded
from twin.enums import ObjectiveComplexity

UNKNOWN_VALUE = 0.5
"""Value of a feature that could not be measured (neutral midpoint)."""

PREREQUISITE_MASTERY_THRESHOLD = 0.7
"""A prerequisite with mastery (0–1) below this counts as a gap."""

COMPLEXITY_VALUE: dict[ObjectiveComplexity, float] = {
    ObjectiveComplexity.BASIC: 0.3,
    ObjectiveComplexity.INTERMEDIATE: 0.6,
    ObjectiveComplexity.ADVANCED: 0.9,
}
"""contentComplexity per objective complexity (ENGINE.md 5.2)."""

RETENTION_DECLINE_FULL_PER_WEEK = 0.2
"""A fall in mean predicted recall of 0.2 per week (20 points) scores retentionDeclineRate = 1."""

HISTORY_PRIOR_OUTCOMES = 2.0
"""Pseudo-outcomes at rate 0.5 that shrink historicalStruggleScore for small histories."""

EXAM_HORIZON_DAYS = 90.0
"""daysUntilExam = days / 90, clamped: ≥ 90 days (or no exam) scores 1."""

STUDY_GAP_HORIZON_DAYS = 30.0
"""daysSinceLastStudy = days / 30, clamped."""

WORKLOAD_FULL_OPEN_OBJECTIVES = 50.0
"""workloadLevel = open objectives / 50, clamped."""

LOAD_SCALE_MAX = 100.0
"""Cognitive load is a 0–100 score."""

SESSION_PERFORMANCE_SCALE_MAX = 100.0
"""Session performance is a 0–100 score."""


def exam_proximity_feature(days_until_exam: float | None) -> float:
    """daysUntilExam in [0, 1]: **1 = far away or no exam**, 0 = exam today.

    ``None`` means the objective has no upcoming exam and scores 1 (the source system
    used the opposite meaning in one place; this is the only function that computes
    the feature). A negative number (the exam date has passed) also means no upcoming
    exam and scores 1; the service should pass the next exam instead.
    """
    if days_until_exam is None or days_until_exam < 0:
        return 1.0
    return clip01(days_until_exam / EXAM_HORIZON_DAYS)


@dataclass(frozen=True)
class ObjectiveContext:
    """What the database already aggregated about one learner and one objective.

    Scales: recalls, masteries, validation scores, ability and mismatch are 0–1;
    session performance and cognitive load are 0–100. ``None`` (or an empty tuple
    where noted) means "not measured".
    """

    now: datetime
    """When the aggregates were taken (provenance; the analysis never reads the clock)."""
    recall_predictions: tuple[float, ...] = ()
    """Predicted recall (0–1) of each of the objective's cards; () = no cards/predictions."""
    recall_trend_per_week: float | None = None
    """Change of mean predicted recall per week (negative = declining)."""
    reviews_30d: int = 0
    again_30d: int = 0
    recent_session_performance: float | None = None
    validation_scores: tuple[float, ...] = ()
    prerequisite_masteries: tuple[float, ...] | None = None
    """Mastery (0–1) of each prerequisite; () = no prerequisites; None = unknown."""
    complexity: ObjectiveComplexity | None = None
    learner_ability: float | None = None
    past_struggles_in_course: int = 0
    """Confirmed struggles (recorded outcomes = struggled) on other objectives of the course."""
    past_outcomes_in_course: int = 0
    """Predictions with a recorded outcome on other objectives of the course."""
    content_type_mismatch: float | None = None
    recent_mean_cognitive_load: float | None = None
    days_until_exam: float | None = None
    """Days until the objective's next exam; None = no exam (scores 1, measured)."""
    days_since_last_study: float | None = None
    """Days since the objective was last studied; None = never studied (scores 1)."""
    open_objectives: int = 0


@dataclass(frozen=True)
class FeatureVector:
    """The 15 features (each in [0, 1]) in the fixed order of ``FEATURE_NAMES``."""

    retention_score: float
    retention_decline_rate: float
    review_lapse_rate: float
    session_performance_score: float
    validation_score: float
    prerequisite_gap_count: float
    prerequisite_mastery_gap: float
    content_complexity: float
    complexity_mismatch: float
    historical_struggle_score: float
    content_type_mismatch: float
    cognitive_load_indicator: float
    days_until_exam: float
    days_since_last_study: float
    workload_level: float
    unknown: frozenset[str] = field(default_factory=frozenset)
    """Names (camelCase, as in ``FEATURE_NAMES``) of the features set to 0.5 because unmeasured."""

    def __post_init__(self) -> None:
        for name, value in zip(FEATURE_NAMES, self._values(), strict=True):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if not self.unknown <= set(FEATURE_NAMES):
            raise ValueError(
                f"unknown names not features: {sorted(self.unknown - set(FEATURE_NAMES))}"
            )

    def _values(self) -> list[float]:
        """Feature values in ``FEATURE_NAMES`` order."""
        return [getattr(self, f.name) for f in fields(self)[: len(FEATURE_NAMES)]]

    @staticmethod
    def names() -> tuple[str, ...]:
        """The feature names (camelCase, ENGINE.md) in ``as_array`` order."""
        return FEATURE_NAMES

    def as_array(self) -> npt.NDArray[np.float64]:
        """The 15 values as a float array in ``FEATURE_NAMES`` order."""
        return np.asarray(self._values(), dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        """``{camelCase name: value}`` in ``FEATURE_NAMES`` order."""
        return dict(zip(FEATURE_NAMES, self._values(), strict=True))

    @property
    def data_quality(self) -> float:
        """Share of the 15 features that were actually measured."""
        return 1.0 - len(self.unknown) / len(FEATURE_NAMES)

    def stored_json(self) -> dict[str, object]:
        """The features' part of ``struggle_predictions.featureVector``."""
        return {
            "features": {k: rounded(v) for k, v in self.as_dict().items()},
            "unknown": sorted(self.unknown),
            "dataQuality": rounded(self.data_quality),
        }

    @classmethod
    def from_array(
        cls,
        values: Sequence[float] | npt.NDArray[np.float64],
        unknown: frozenset[str] = frozenset(),
    ) -> FeatureVector:
        """Inverse of ``as_array`` (for stored vectors and synthetic data)."""
        vals = [float(v) for v in values]
        if len(vals) != len(FEATURE_NAMES):
            raise ValueError(f"need {len(FEATURE_NAMES)} values, got {len(vals)}")
        names = [f.name for f in fields(cls)[: len(FEATURE_NAMES)]]
        return cls(**dict(zip(names, vals, strict=True)), unknown=unknown)


FEATURE_NAMES: tuple[str, ...] = (
    "retentionScore",
    "retentionDeclineRate",
    "reviewLapseRate",
    "sessionPerformanceScore",
    "validationScore",
    "prerequisiteGapCount",
    "prerequisiteMasteryGap",
    "contentComplexity",
    "complexityMismatch",
    "historicalStruggleScore",
    "contentTypeMismatch",
    "cognitiveLoadIndicator",
    "daysUntilExam",
    "daysSinceLastStudy",
    "workloadLevel",
)
"""Feature order of ``FeatureVector.as_array`` and of every trained model (do not reorder)."""


def _mean(values: Sequence[float]) -> float:
    """Arithmetic mean of a non-empty sequence."""
    return math.fsum(values) / len(values)


def build_features(ctx: ObjectiveContext) -> FeatureVector:
    """The 15 features of ENGINE.md 5.2 for one objective context."""
    unknown: set[str] = set()

    def measured(name: str, value: float | None) -> float:
        """``value`` clipped to [0, 1], or 0.5 recorded as unknown when ``None``."""
        if value is None:
            unknown.add(name)
            return UNKNOWN_VALUE
        return clip01(value)

    retention = _mean(ctx.recall_predictions) if ctx.recall_predictions else None
    decline = (
        None
        if ctx.recall_trend_per_week is None
        else max(0.0, -ctx.recall_trend_per_week) / RETENTION_DECLINE_FULL_PER_WEEK
    )
    lapse = ctx.again_30d / ctx.reviews_30d if ctx.reviews_30d > 0 else None
    performance = (
        None
        if ctx.recent_session_performance is None
        else ctx.recent_session_performance / SESSION_PERFORMANCE_SCALE_MAX
    )
    validation = _mean(ctx.validation_scores) if ctx.validation_scores else None

    gap_count: float | None
    mastery_gap: float | None
    if ctx.prerequisite_masteries is None:
        gap_count = mastery_gap = None
    elif not ctx.prerequisite_masteries:
        gap_count = mastery_gap = 0.0  # no prerequisites: nothing missing (measured)
    else:
        pm = ctx.prerequisite_masteries
        gap_count = sum(1 for m in pm if m < PREREQUISITE_MASTERY_THRESHOLD) / len(pm)
        mastery_gap = 1.0 - _mean(pm)

    complexity = None if ctx.complexity is None else COMPLEXITY_VALUE[ctx.complexity]
    mismatch = (
        None
        if complexity is None or ctx.learner_ability is None
        else max(0.0, complexity - ctx.learner_ability)
    )
    history = (
        None
        if ctx.past_outcomes_in_course <= 0
        else (ctx.past_struggles_in_course + 0.5 * HISTORY_PRIOR_OUTCOMES)
        / (ctx.past_outcomes_in_course + HISTORY_PRIOR_OUTCOMES)
    )
    load = (
        None
        if ctx.recent_mean_cognitive_load is None
        else ctx.recent_mean_cognitive_load / LOAD_SCALE_MAX
    )
    since_study = (
        1.0
        if ctx.days_since_last_study is None
        else max(0.0, ctx.days_since_last_study) / STUDY_GAP_HORIZON_DAYS
    )

    return FeatureVector(
        retention_score=measured("retentionScore", retention),
        retention_decline_rate=measured("retentionDeclineRate", decline),
        review_lapse_rate=measured("reviewLapseRate", lapse),
        session_performance_score=measured("sessionPerformanceScore", performance),
        validation_score=measured("validationScore", validation),
        prerequisite_gap_count=measured("prerequisiteGapCount", gap_count),
        prerequisite_mastery_gap=measured("prerequisiteMasteryGap", mastery_gap),
        content_complexity=measured("contentComplexity", complexity),
        complexity_mismatch=measured("complexityMismatch", mismatch),
        historical_struggle_score=measured("historicalStruggleScore", history),
        content_type_mismatch=measured("contentTypeMismatch", ctx.content_type_mismatch),
        cognitive_load_indicator=measured("cognitiveLoadIndicator", load),
        days_until_exam=exam_proximity_feature(ctx.days_until_exam),
        days_since_last_study=clip01(since_study),
        workload_level=clip01(max(0, ctx.open_objectives) / WORKLOAD_FULL_OPEN_OBJECTIVES),
        unknown=frozenset(unknown),
    )


# --- explaining a prediction ------------------------------------------------------------------

CONFIDENCE_BASE = 0.5
"""predictionConfidence = dataQuality × (0.5 + 0.5·|2p − 1|)."""


def prediction_confidence(features: FeatureVector, probability: float) -> float:
    """``dataQuality × (0.5 + 0.5·|2p − 1|)``."""
    decisiveness = abs(2.0 * probability - 1.0)
    return clip01(features.data_quality * (CONFIDENCE_BASE + (1 - CONFIDENCE_BASE) * decisiveness))


def feature_reason(name: str, value: float) -> str:
    """A feature value in words (for the "why" of a prediction)."""
    pct = f"{round(100 * value)}%"
    if name == "retentionScore":
        return f"predicted recall of its cards is {pct}"
    if name == "retentionDeclineRate":
        return f"recall of its cards is falling (decline {pct} of the scale)"
    if name == "reviewLapseRate":
        return f"{pct} of its reviews in the last 30 days were AGAIN"
    if name == "sessionPerformanceScore":
        return f"recent session performance on it is {round(100 * value)}/100"
    if name == "validationScore":
        return f"its validation answers score {pct} on average"
    if name == "prerequisiteGapCount":
        return f"{pct} of its prerequisites are below {round(100 * PREREQUISITE_MASTERY_THRESHOLD)}% mastery"
    if name == "prerequisiteMasteryGap":
        return f"its prerequisites are {round(100 * (1 - value))}% mastered on average"
    if name == "contentComplexity":
        return f"its complexity is {pct} of the scale"
    if name == "complexityMismatch":
        return f"its complexity is {pct} above your current level"
    if name == "historicalStruggleScore":
        return f"past struggles in this course score {pct}"
    if name == "contentTypeMismatch":
        return f"its format differs from your preferred content ({pct} mismatch)"
    if name == "cognitiveLoadIndicator":
        return f"your recent cognitive load is {round(100 * value)}/100"
    if name == "daysUntilExam":
        if value >= 1.0:
            return f"no exam within {round(EXAM_HORIZON_DAYS)} days"
        return f"its exam is in about {round(EXAM_HORIZON_DAYS * value)} days"
    if name == "daysSinceLastStudy":
        if value >= 1.0:
            return f"not studied for {round(STUDY_GAP_HORIZON_DAYS)} days or more"
        return f"last studied {round(STUDY_GAP_HORIZON_DAYS * value)} days ago"
    if name == "workloadLevel":
        return f"{round(WORKLOAD_FULL_OPEN_OBJECTIVES * value)} objectives open in your missions"
    return f"{name} = {value:.2f}"
