"""Struggle prediction (ENGINE.md 5.2): predictions, interventions, feedback and outcomes."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    model_validator,
)

from twin.analysis.common import InsufficientData
from twin.analysis.struggle.metrics import WeeklyPerformance
from twin.api.schemas.base import Answer, Insufficient, Rounded, round_to, written_as
from twin.api.types import Id, UtcDatetime, UtcZText, whole_number
from twin.enums import FeedbackType, PredictionStatus
from twin.services import struggle as service
from twin.services.struggle import outcomes as outcomes_service

DaysAhead = Annotated[
    int,
    Strict(),
    Field(ge=service.MIN_DAYS_AHEAD, le=service.MAX_DAYS_AHEAD),
    BeforeValidator(whole_number),
]
Helpfulness = Annotated[
    int,
    Strict(),
    Field(
        ge=outcomes_service.HELPFULNESS_RANGE[0],
        le=outcomes_service.HELPFULNESS_RANGE[1],
    ),
    BeforeValidator(whole_number),
]


def _result(attribute: str) -> AliasPath:
    """An attribute of the reduction's result (absent when data is insufficient)."""
    return AliasPath("result", attribute)


def _intervention(attribute: str) -> AliasPath:
    """An attribute of a written intervention's recommendation."""
    return AliasPath("intervention", attribute)


# --- requests ---------------------------------------------------------------------------------


class GenerateIn(BaseModel):
    """Options of a generation run."""

    model_config = ConfigDict(extra="forbid")

    daysAhead: DaysAhead = Field(
        default=service.DEFAULT_DAYS_AHEAD,
        description="Objectives due (missions, exams) within this many days, plus the weakest",
    )


class ApplyIn(BaseModel):
    """Which mission to change (default: the next PENDING mission planning the objective)."""

    model_config = ConfigDict(extra="forbid")

    missionId: Id | None = None


class FeedbackIn(BaseModel):
    """The learner's own account of how the predicted objective went."""

    model_config = ConfigDict(extra="forbid")

    actualStruggle: StrictBool = Field(description="Did the learner struggle with the objective?")
    feedbackType: FeedbackType | None = Field(
        default=None,
        description="Default: HELPFUL when the prediction was right, INACCURATE when wrong",
    )
    helpfulness: Helpfulness | None = None
    comments: str | None = Field(
        default=None, max_length=outcomes_service.MAX_FEEDBACK_COMMENT_CHARS
    )


# --- predictions ------------------------------------------------------------------------------


class ObjectiveOut(Answer):
    """The objective a prediction is about."""

    id: str
    text: str | None = None
    complexity: str | None = None
    course_id: str | None = None
    course_name: str | None = None
    lecture_id: str | None = None


class FactorOut(Answer):
    """A feature pushing the probability up, in numbers and words."""

    feature: str
    value: Rounded
    contribution: Rounded = Field(description="Log-odds contribution")
    reason: str


class GeneratedIndicatorOut(Answer):
    """An indicator written by the run."""

    type: str = Field(validation_alias="indicator_type")
    severity: str
    strength: Rounded


class GeneratedInterventionOut(Answer):
    """An intervention written by the run."""

    id: str
    type: str = Field(validation_alias=_intervention("intervention_type"))
    priority: int = Field(validation_alias=_intervention("priority"))
    description: str = Field(validation_alias=_intervention("description"))
    reasoning: str = Field(validation_alias=_intervention("reasoning"))


class GeneratedPredictionOut(Answer):
    """One stored prediction of the run."""

    prediction_id: str
    objective: ObjectiveOut
    due_at: UtcDatetime = Field(validation_alias=AliasPath("candidate", "dueAt"))
    source: str = Field(
        description="mission, exam or weakest", validation_alias=AliasPath("candidate", "source")
    )
    probability: Rounded
    confidence: Rounded
    model_version: str
    data_quality: Rounded = Field(validation_alias=AliasPath("features", "data_quality"))
    at_risk: bool = Field(description="probability > 0.5 (indicators and interventions written)")
    created: bool = Field(description="false: the open prediction was updated in place")
    top_factors: list[FactorOut] = Field(validation_alias="factors")
    indicators: list[GeneratedIndicatorOut]
    interventions: list[GeneratedInterventionOut]


class AlertOut(Answer):
    """A likely struggle (p ≥ 0.7) due within 3 days; priority 0-100."""

    prediction_id: str
    objective: ObjectiveOut
    probability: Rounded
    priority: Annotated[float, round_to(2)]
    urgency: Rounded
    due_at: UtcDatetime


class GenerationCountsOut(Answer):
    """What a run did, in numbers."""

    candidates: int
    created: int
    updated: int
    at_risk: int
    indicators: int
    interventions: int
    alerts: int
    awaiting_outcome: int


class GenerateOut(Answer):
    """What a run stored, most likely struggles first, and the top 3 alerts."""

    user_id: str
    generated_at: UtcDatetime
    model_version: str
    days_ahead: int
    counts: Annotated[dict[str, int], written_as(GenerationCountsOut)]
    predictions: list[GeneratedPredictionOut]
    alerts: list[AlertOut]


class IndicatorOut(Answer):
    """A stored struggle indicator."""

    id: str
    type: str
    severity: str
    context: dict[str, Any]
    detected_at: UtcDatetime


class InterventionOut(Answer):
    """A stored intervention recommendation."""

    id: str
    prediction_id: str | None
    objective_id: str | None
    type: str
    priority: int
    description: str
    reasoning: str
    status: str
    created_at: UtcDatetime
    applied_at: UtcDatetime | None
    applied_to_mission_id: str | None


class PredictionOut(Answer):
    """A stored prediction with its objective, indicators and interventions."""

    id: str
    objective: ObjectiveOut
    topic_id: str | None
    probability: Rounded
    confidence: Rounded
    status: PredictionStatus
    model_version: str | None
    data_quality: float | None
    source: str | None
    due_at: UtcDatetime | None
    predicted_at: UtcDatetime
    acknowledged_at: UtcDatetime | None
    actual_outcome: bool | None
    actual_outcome_recorded_at: UtcDatetime | None
    intervention_applied: bool
    intervention_id: str | None
    top_factors: list[FactorOut]
    indicators: list[IndicatorOut]
    interventions: list[InterventionOut]


class PredictionStats(Answer):
    """Counts over all of the learner's predictions."""

    total: int
    at_risk: int = Field(description="probability > 0.5")
    with_outcome: int
    by_status: dict[str, int]
    returned: int


class PredictionListOut(Answer):
    """Predictions, most likely first, and counts."""

    user_id: str
    predictions: list[PredictionOut]
    stats: PredictionStats


class WhyFeatureOut(Answer):
    """One of the 15 features behind a prediction."""

    feature: str
    value: float = Field(description="0-1 (0.5 when unknown)")
    unknown: bool
    contribution: float = Field(description="Log-odds contribution")
    reason: str


class WhyOut(Answer):
    """Why the model predicted what it did."""

    model_version: str | None
    data_quality: float | None
    probability: Rounded
    features: list[WhyFeatureOut]
    top_factors: list[str] = Field(description="The features pushing the probability up, in words")


class PredictionDetailOut(PredictionOut):
    """A prediction with its explanation."""

    why: WhyOut


class InterventionListOut(Answer):
    """The learner's interventions, highest priority first."""

    user_id: str
    interventions: list[InterventionOut]


class MissionOut(Answer):
    """The mission after the change."""

    id: str
    date: UtcDatetime
    status: str
    estimated_minutes: int
    recommended_duration: int | None
    objectives: list[Any]


class MissionSummaryOut(Answer):
    """What an intervention changes of a mission."""

    estimated_minutes: int
    recommended_duration: int | None
    objective_ids: list[str]


class ApplyOut(Answer):
    """The applied intervention, the changed mission, and the change."""

    intervention: InterventionOut
    mission: MissionOut
    before: Annotated[dict[str, Any], written_as(MissionSummaryOut)]
    after: Annotated[dict[str, Any], written_as(MissionSummaryOut)]


# --- outcomes ---------------------------------------------------------------------------------


class FeedbackOut(Answer):
    """The stored feedback and the prediction's status after it (learner feedback wins)."""

    feedback_id: str
    prediction_id: str
    feedback_type: FeedbackType
    actual_struggle: bool
    helpfulness: int | None
    comments: str | None
    submitted_at: UtcDatetime
    predicted_struggle_probability: float = Field(validation_alias="probability")
    previous_status: PredictionStatus
    prediction_status: PredictionStatus = Field(validation_alias="status")
    previous_outcome: bool | None


class CalibrationBinOut(Answer):
    """Predictions with a probability in [lower, upper): their mean and the observed rate."""

    lower: float
    upper: float
    count: int
    mean_predicted: Rounded | None
    observed_rate: Rounded | None


class ConfusionMatrixOut(Answer):
    """Predictions (p ≥ 0.5 means "will struggle") against recorded outcomes."""

    true_positive: int
    false_positive: int
    true_negative: int
    false_negative: int


class PerformanceReportOut(Answer):
    """Metrics of predictions with recorded outcomes."""

    status: Literal["ok"] = "ok"
    n: int
    struggled: int = Field(validation_alias="n_struggled")
    accuracy: Rounded | None
    precision: Rounded | None
    recall: Rounded | None
    f1: Rounded | None
    auc: Rounded | None
    brier: Rounded | None
    ece: Rounded | None
    calibration: list[CalibrationBinOut]
    confusion_matrix: ConfusionMatrixOut = Field(validation_alias="confusion")


class InsufficientReportOut(Answer):
    """Too few recorded outcomes for metrics."""

    status: Literal["insufficient_data"] = "insufficient_data"
    insufficient: Insufficient

    @model_validator(mode="before")
    @classmethod
    def _from_minimum(cls, value: Any) -> Any:
        return {"insufficient": value} if isinstance(value, InsufficientData) else value


Report = Annotated[PerformanceReportOut | InsufficientReportOut, Field(union_mode="left_to_right")]


class WeeklyReportOut(PerformanceReportOut):
    """One local ISO week's metrics (by when the outcomes were recorded)."""

    week_start: date


class WeeklyInsufficientOut(InsufficientReportOut):
    """One local ISO week with too few recorded outcomes."""

    week_start: date


def _week(value: Any) -> Any:
    """A week's entry is its report with ``weekStart`` added (the report's fields, flat)."""
    if not isinstance(value, WeeklyPerformance):
        return value
    report = value.report
    if isinstance(report, InsufficientData):
        return {"week_start": value.week_start, "insufficient": report}
    return {"week_start": value.week_start} | {
        f.name: getattr(report, f.name) for f in fields(report)
    }


WeeklyReport = Annotated[
    WeeklyReportOut | WeeklyInsufficientOut,
    Field(union_mode="left_to_right"),
    BeforeValidator(_week),
]


class RuleModelOut(Answer):
    """The rule baseline predicts: no trained model is active."""

    version: str
    kind: str
    held_out_metrics: None


class TrainedModelOut(Answer):
    """A trained model from the registry predicts (global)."""

    version: str
    kind: str
    activated_at: UtcZText | None
    outcome_count: int
    learner_count: int
    held_out_metrics: dict[str, Any]


ActiveModel = Annotated[TrainedModelOut | RuleModelOut, Field(union_mode="left_to_right")]


class ModelPerformanceOut(Answer):
    """Metrics from recorded outcomes, or how many outcomes are still missing."""

    user_id: str
    status: Literal["ok", "insufficient_data"]
    outcomes: int = Field(description="Predictions with a recorded outcome")
    min_outcomes: int
    insufficient: Insufficient | None = Field(
        default=None, description='e.g. {"outcomes": {"have": 4, "need": 10}}'
    )
    overall: Annotated[dict[str, Any] | None, written_as(PerformanceReportOut)] = Field(
        default=None,
        description="accuracy, precision, recall, f1, auc, brier, ece, calibration bins, "
        "confusionMatrix",
    )
    by_model_version: Annotated[dict[str, dict[str, Any]] | None, written_as(dict[str, Report])] = (
        None
    )
    weekly_trend: Annotated[list[dict[str, Any]] | None, written_as(list[WeeklyReport])] = Field(
        default=None,
        description="Per local ISO week of the outcome's recording",
        validation_alias="weekly",
    )
    active_model: Annotated[dict[str, Any], written_as(ActiveModel)] = Field(
        description="The model predicting now (global) and its held-out metrics"
    )


class DateWindowOut(Answer):
    """Local days from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: date
    end: date


class StruggleReductionOut(Answer):
    """(baseline rate − current rate) / baseline rate of struggles per objective-study-day."""

    user_id: str
    period: Literal["week", "month", "all"]
    status: Literal["ok", "insufficient_data"]
    predictions_enabled_at: UtcZText | None
    baseline_window: Annotated[dict[str, str] | None, written_as(DateWindowOut)] = Field(
        description="[start, end) local dates"
    )
    current_window: Annotated[dict[str, str] | None, written_as(DateWindowOut)]
    insufficient: Insufficient | None = None
    baseline_rate: Rounded | None = Field(default=None, validation_alias=_result("baseline_rate"))
    current_rate: Rounded | None = Field(default=None, validation_alias=_result("current_rate"))
    reduction: Rounded | None = Field(default=None, validation_alias=_result("reduction"))
    baseline_objectives: int | None = Field(default=None, validation_alias=_result("baseline_n"))
    current_objectives: int | None = Field(default=None, validation_alias=_result("current_n"))
    meets_target: bool | None = Field(
        default=None, description="reduction ≥ 25%", validation_alias=_result("meets_target")
    )
