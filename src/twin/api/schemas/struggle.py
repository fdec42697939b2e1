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
from twin.api.schemas.base import Answer, Insufficient, Rounded, round_to
from twin.api.types import Id, Timestamp, whole_number
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

Probability = Annotated[float, round_to()]
"""A probability, 0-1, four decimals."""


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
    value: Rounded = Field(description="The feature, 0-1")
    contribution: Rounded = Field(description="Log-odds contribution to the probability")
    reason: str


class GeneratedIndicatorOut(Answer):
    """An indicator written by the run."""

    type: str = Field(validation_alias="indicator_type")
    severity: str
    strength: Rounded = Field(description="0-1")


class GeneratedInterventionOut(Answer):
    """An intervention written by the run."""

    id: str
    type: str = Field(validation_alias=_intervention("intervention_type"))
    priority: int = Field(
        description="1-10, higher first", validation_alias=_intervention("priority")
    )
    description: str = Field(validation_alias=_intervention("description"))
    reasoning: str = Field(validation_alias=_intervention("reasoning"))


class GeneratedPredictionOut(Answer):
    """One stored prediction of the run."""

    prediction_id: str
    objective: ObjectiveOut
    due_at: Timestamp = Field(validation_alias=AliasPath("candidate", "dueAt"))
    source: str = Field(
        description="mission, exam or weakest", validation_alias=AliasPath("candidate", "source")
    )
    probability: Probability = Field(description="Probability of a struggle, 0-1")
    confidence: Probability = Field(description="0-1: data quality × how clear the call is")
    model_version: str
    data_quality: Rounded = Field(
        description="Share of the 15 features measured, 0-1",
        validation_alias=AliasPath("features", "data_quality"),
    )
    at_risk: bool = Field(description="probability > 0.5 (indicators and interventions written)")
    created: bool = Field(description="false: the open prediction was updated in place")
    top_factors: list[FactorOut] = Field(validation_alias="factors")
    indicators: list[GeneratedIndicatorOut]
    interventions: list[GeneratedInterventionOut]


class AlertOut(Answer):
    """A likely struggle (p ≥ 0.7) due within 3 days."""

    prediction_id: str
    objective: ObjectiveOut
    probability: Probability = Field(description="0-1")
    priority: Annotated[float, round_to(2)] = Field(description="0-100, higher first")
    urgency: Rounded = Field(description="0-1: how soon it is due")
    due_at: Timestamp


class GenerationCountsOut(Answer):
    """What a run did, in numbers."""

    candidates: int
    created: int
    updated: int
    at_risk: int = Field(description="Predictions with probability > 0.5")
    indicators: int
    interventions: int
    alerts: int
    awaiting_outcome: int = Field(
        description="Open predictions kept as they were while their outcome is measured"
    )


class GenerateOut(Answer):
    """What a run stored, most likely struggles first, and the top 3 alerts."""

    user_id: str
    generated_at: Timestamp
    model_version: str
    days_ahead: int
    counts: GenerationCountsOut
    predictions: list[GeneratedPredictionOut]
    alerts: list[AlertOut]


class IndicatorOut(Answer):
    """A stored struggle indicator."""

    id: str
    type: str
    severity: str
    context: dict[str, Any]
    detected_at: Timestamp


class InterventionOut(Answer):
    """A stored intervention recommendation."""

    id: str
    prediction_id: str | None
    objective_id: str | None
    type: str
    priority: int = Field(description="1-10, higher first")
    description: str
    reasoning: str
    status: str
    created_at: Timestamp
    applied_at: Timestamp | None
    applied_to_mission_id: str | None


class PredictionOut(Answer):
    """A stored prediction with its objective, indicators and interventions."""

    id: str
    objective: ObjectiveOut
    topic_id: str | None
    probability: Probability = Field(description="Probability of a struggle, 0-1")
    confidence: Probability = Field(description="0-1")
    status: PredictionStatus
    status_reason: str = Field(description="The status in words: what an open one waits for")
    due_date_passed: bool = Field(description="Still PENDING after its due date")
    model_version: str | None
    data_quality: Rounded | None = Field(description="Share of the 15 features measured, 0-1")
    source: str | None
    due_at: Timestamp | None
    predicted_at: Timestamp
    acknowledged_at: Timestamp | None
    actual_outcome: bool | None
    actual_outcome_recorded_at: Timestamp | None
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
    value: Rounded = Field(description="0-1 (0.5 when unknown)")
    unknown: bool
    contribution: Rounded = Field(description="Log-odds contribution")
    reason: str


class WhyOut(Answer):
    """Why the model predicted what it did."""

    model_version: str | None
    data_quality: Rounded | None = Field(description="Share of the 15 features measured, 0-1")
    probability: Probability = Field(description="0-1")
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
    date: Timestamp
    status: str
    estimated_minutes: int
    recommended_duration: int | None = Field(description="Minutes")
    objectives: list[Any]


class MissionSummaryOut(Answer):
    """What an intervention changes of a mission."""

    estimated_minutes: int
    recommended_duration: int | None = Field(description="Minutes")
    objective_ids: list[str]


class ApplyOut(Answer):
    """The applied intervention, the changed mission, and the change."""

    intervention: InterventionOut
    mission: MissionOut
    before: MissionSummaryOut
    after: MissionSummaryOut


# --- outcomes ---------------------------------------------------------------------------------


class FeedbackOut(Answer):
    """The stored feedback and the prediction's status after it (learner feedback wins)."""

    feedback_id: str
    prediction_id: str
    feedback_type: FeedbackType
    actual_struggle: bool
    helpfulness: int | None = Field(description="1-5")
    comments: str | None
    submitted_at: Timestamp
    predicted_struggle_probability: Probability = Field(
        description="0-1", validation_alias="probability"
    )
    previous_status: PredictionStatus
    prediction_status: PredictionStatus = Field(validation_alias="status")
    previous_outcome: bool | None


class CalibrationBinOut(Answer):
    """Predictions with a probability in [lower, upper): their mean and the observed rate."""

    lower: float
    upper: float
    count: int
    mean_predicted: Rounded | None = Field(description="Mean predicted probability, 0-1")
    observed_rate: Rounded | None = Field(description="Share that were struggles, 0-1")


class ConfusionMatrixOut(Answer):
    """Predictions (p ≥ 0.5 means "will struggle") against recorded outcomes."""

    true_positive: int
    false_positive: int
    true_negative: int
    false_negative: int


class PerformanceReportOut(Answer):
    """Metrics of predictions with recorded outcomes (null where a metric is undefined)."""

    status: Literal["ok"] = "ok"
    n: int = Field(description="Recorded outcomes")
    struggled: int = Field(description="Of which struggles", validation_alias="n_struggled")
    accuracy: Rounded | None = Field(description="0-1")
    precision: Rounded | None = Field(description="0-1; null without a predicted struggle")
    recall: Rounded | None = Field(description="0-1; null without a recorded struggle")
    f1: Rounded | None = Field(description="0-1")
    auc: Rounded | None = Field(description="0-1 (0.5 = chance); null with one outcome kind")
    brier: Rounded | None = Field(description="Mean squared error, 0 (best) to 1")
    ece: Rounded | None = Field(description="Expected calibration error, 0 (best) to 1")
    calibration: list[CalibrationBinOut]
    confusion_matrix: ConfusionMatrixOut = Field(validation_alias="confusion")
    notes: list[str] = Field(description="What the metrics cannot say yet")


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
    flat = {f.name: getattr(report, f.name) for f in fields(report)}
    return {"week_start": value.week_start, "notes": report.notes, **flat}


WeeklyReport = Annotated[
    WeeklyReportOut | WeeklyInsufficientOut,
    Field(union_mode="left_to_right"),
    BeforeValidator(_week),
]


class RuleModelOut(Answer):
    """The rule baseline predicts: no trained model is active."""

    version: str
    kind: Literal["rules"]
    held_out_metrics: None


class HeldOutMetricsOut(Answer):
    """A trained model's metrics on learners it was not trained on."""

    n: int
    n_struggled: int
    auc: Rounded | None = Field(description="0-1 (0.5 = chance)")
    brier: Rounded = Field(description="0 (best) to 1")
    log_loss: Rounded
    ece: Rounded = Field(description="0 (best) to 1")


class TrainedModelOut(Answer):
    """A trained model from the registry predicts (global)."""

    version: str
    kind: str
    activated_at: Timestamp | None
    outcome_count: int
    learner_count: int
    held_out_metrics: HeldOutMetricsOut


ActiveModel = Annotated[RuleModelOut | TrainedModelOut, Field(union_mode="left_to_right")]


class ModelPerformanceOut(Answer):
    """Metrics from recorded outcomes, or how many outcomes are still missing."""

    user_id: str
    status: Literal["ok", "insufficient_data"]
    outcomes: int = Field(description="Predictions with a recorded outcome")
    min_outcomes: int
    insufficient: Insufficient | None = Field(
        default=None, description='e.g. {"outcomes": {"have": 4, "need": 10}}'
    )
    overall: PerformanceReportOut | None = None
    by_model_version: dict[str, Report] | None = None
    weekly_trend: list[WeeklyReport] | None = Field(
        default=None,
        description="Per local ISO week of the outcome's recording",
        validation_alias="weekly",
    )
    active_model: ActiveModel = Field(
        description="The model predicting now (global) and its held-out metrics"
    )


class DateWindowOut(Answer):
    """Local days from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: date
    end: date


class StruggleReductionOut(Answer):
    """How the share of studied objectives that were struggles changed since predictions began."""

    user_id: str
    period: Literal["week", "month", "all"]
    status: Literal["ok", "insufficient_data"]
    predictions_enabled_at: Timestamp | None
    baseline_window: DateWindowOut | None = Field(description="[start, end) local dates")
    current_window: DateWindowOut | None
    insufficient: Insufficient | None = None
    baseline_rate: Rounded | None = Field(
        default=None,
        description="Share of the objectives studied in the baseline window that were "
        "struggles, 0-1",
        validation_alias=_result("baseline_rate"),
    )
    current_rate: Rounded | None = Field(
        default=None,
        description="The same share in the current window, 0-1",
        validation_alias=_result("current_rate"),
    )
    reduction: Rounded | None = Field(
        default=None,
        description="(baseline rate − current rate) / baseline rate, a fraction: 0.25 = 25% "
        "fewer struggles; negative = struggles rose (-1.8 = 180% more)",
        validation_alias=_result("reduction"),
    )
    change: Literal["fell", "rose", "unchanged"] | None = Field(
        default=None, description="Which way the share of struggles went"
    )
    summary: str = Field(description="The result in words")
    baseline_objectives: int | None = Field(default=None, validation_alias=_result("baseline_n"))
    current_objectives: int | None = Field(default=None, validation_alias=_result("current_n"))
    meets_target: bool | None = Field(
        default=None, description="reduction ≥ 0.25", validation_alias=_result("meets_target")
    )
