"""Request and response models of the experiments routes (ENGINE.md 5.5, A/B experiments).

The request model checks types and sizes only (strict: a number or flag sent as a string is
refused); what makes a definition valid — at least two variants, distinct ids, weights summing
to a positive number, known metrics, the end after the start — is checked once, by the
service, whose 422 names every field at fault. Responses are built straight from the
service's value objects (:class:`~twin.api.schemas.base.Answer`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from twin.analysis.experiments.definition import MAX_WEIGHT, MIN_VARIANTS, Variant
from twin.analysis.experiments.metrics import METRICS
from twin.analysis.experiments.verdict import DecisionMethod
from twin.api.schemas.base import Answer
from twin.api.types import Id, JsonBool, JsonFloat, Timestamp, whole_number
from twin.enums import ExperimentStatus, PersonalizationContext
from twin.ingest.schemas import Timestamp as TimestampIn
from twin.services.experiments import NewExperiment

MAX_VARIANTS = 10
MAX_GUARDRAILS = 10
MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 4_000
MAX_METRIC_CHARS = 100
MAX_PARTICIPANTS = 10_000_000
MAX_DURATION_DAYS = 3_650


# Strict integers: 20.0 is 20; "20" and true are refused.
Participants = Annotated[
    int, Field(strict=True, ge=0, le=MAX_PARTICIPANTS), BeforeValidator(whole_number)
]
Days = Annotated[int, Field(strict=True, ge=0, le=MAX_DURATION_DAYS), BeforeValidator(whole_number)]
Expected = Annotated[
    int, Field(strict=True, ge=1, le=MAX_PARTICIPANTS), BeforeValidator(whole_number)
]


def _known_metric(name: str) -> str:
    if name not in METRICS:
        raise PydanticCustomError(
            "unknown_metric",
            "unknown metric '{name}'; known: {known}",
            {"name": name, "known": ", ".join(METRICS)},
        )
    return name


MetricName = Annotated[
    StrictStr,
    Field(min_length=1, max_length=MAX_METRIC_CHARS),
    AfterValidator(_known_metric),
    WithJsonSchema({"type": "string", "enum": list(METRICS)}),
]
"""A catalogue metric (:data:`twin.analysis.experiments.metrics.METRICS`, the one list)."""


# --- requests ------------------------------------------------------------------------------


class VariantIn(BaseModel):
    """One arm: an id unique in the experiment, a name, a weight and the config it applies."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    name: StrictStr = Field(min_length=1, max_length=MAX_NAME_CHARS)
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="The personalization config this variant applies in the experiment's "
        "context (a JSON object, at most 10,000 characters)",
    )
    weight: JsonFloat = Field(
        ge=0,
        le=MAX_WEIGHT,
        allow_inf_nan=False,
        description="Share of learners (any scale: weights are divided by their sum)",
    )


class ExperimentIn(BaseModel):
    """An experiment's definition. ``variants[0]`` is the control."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(min_length=1, max_length=MAX_NAME_CHARS)
    description: StrictStr = Field(default="", max_length=MAX_DESCRIPTION_CHARS)
    context: PersonalizationContext
    variants: list[VariantIn] = Field(min_length=MIN_VARIANTS, max_length=MAX_VARIANTS)
    primaryMetric: MetricName
    guardrailMetrics: list[MetricName] = Field(default_factory=list, max_length=MAX_GUARDRAILS)
    minParticipantsPerArm: Participants = Field(
        default=20, description="No verdict before every arm has this many measured participants"
    )
    minDurationDays: Days = Field(default=14, description="No verdict before this many days")
    cupedCovariate: JsonBool = Field(
        default=False, description="Adjust by each metric's pre-period value (CUPED)"
    )
    startDate: TimestampIn | None = Field(
        default=None, description="RFC 3339 with an offset; default: now"
    )
    endDate: TimestampIn = Field(description="RFC 3339 with an offset")
    decisionMethod: DecisionMethod = Field(
        default=DecisionMethod.SEQUENTIAL,
        description="sequential (safe to read every day) or fixed_horizon (read at the end)",
    )
    expectedParticipants: Expected | None = Field(
        default=None,
        description="Participants expected over every arm: tunes the sequential interval "
        "(default: learners with behavioural analysis on when the experiment is defined)",
    )

    def to_new(self) -> NewExperiment:
        """The service's typed definition."""
        return NewExperiment(
            name=self.name,
            description=self.description,
            context=self.context,
            variants=tuple(Variant(v.id, v.name, v.weight, v.config) for v in self.variants),
            primary_metric=self.primaryMetric,
            guardrail_metrics=tuple(self.guardrailMetrics),
            min_participants_per_arm=self.minParticipantsPerArm,
            min_duration_days=self.minDurationDays,
            cuped_covariate=self.cupedCovariate,
            start=self.startDate,
            end=self.endDate,
            method=self.decisionMethod,
            expected_participants=self.expectedParticipants,
        )


# --- experiments ---------------------------------------------------------------------------


class VariantOut(Answer):
    """One arm as stored."""

    id: str
    name: str
    weight: float
    config: dict[str, Any]


class AnalysisOut(Answer):
    """How the experiment is analysed."""

    method: DecisionMethod
    expected_participants: int | None
    sequential_tuning_parameter: float
    difference_type: str
    alpha: float


class FinalResultOut(Answer):
    """The verdict written when the experiment ended."""

    verdict: str
    winner: str | None
    as_of: Timestamp
    reasons: list[str]
    p_value: float | None


class ExperimentOut(Answer):
    """An experiment: definition, state (scheduled / running / ended / stopped), participants."""

    id: str
    name: str
    description: str
    context: PersonalizationContext
    status: ExperimentStatus
    state: str
    owner_id: str
    created_by: str | None
    variants: list[VariantOut]
    control_id: str
    primary_metric: str
    guardrail_metrics: list[str]
    min_participants_per_arm: int
    min_duration_days: int
    cuped_covariate: bool
    start_date: Timestamp
    end_date: Timestamp
    created_at: Timestamp
    stopped_at: Timestamp | None
    completed_at: Timestamp | None
    participants: int
    metrics_as_of: Timestamp | None
    analysis: AnalysisOut
    final: FinalResultOut | None


class ExperimentListOut(Answer):
    """A page of experiments, newest first."""

    items: list[ExperimentOut]
    next_cursor: str | None


# --- results -------------------------------------------------------------------------------


class FrequentistOut(Answer):
    """A frequentist comparison of the variant with the control (b − a)."""

    method: str
    difference_type: str
    alpha: float
    n_a: int
    n_b: int
    expected: float
    ci: tuple[float, float]
    p_value: float
    stddev: float
    significant: bool
    error: str | None
    theta: float | None = Field(description="Pooled CUPED θ (null without a covariate)")


class BayesianOut(Answer):
    """The posterior of b − a under a flat prior."""

    difference_type: str
    n_a: int
    n_b: int
    expected: float
    ci: tuple[float, float]
    stddev: float
    chance_to_win: float
    risk_control: float = Field(description="Expected loss of keeping the control")
    risk_treatment: float = Field(description="Expected loss of shipping the variant")
    error: str | None


class ComparisonOut(Answer):
    """One variant against the control on one metric, by every test."""

    metric: str
    role: str
    control_id: str
    variant_id: str
    outcome: str
    method: str
    cuped: bool
    fixed: FrequentistOut
    fixed_absolute: FrequentistOut
    sequential: FrequentistOut
    bayesian: BayesianOut


class SrmOut(Answer):
    """The sample-ratio check: observed arm sizes against the planned weights."""

    observed: list[int]
    weights: list[float]
    expected: list[float]
    p_value: float
    threshold: float
    mismatch: bool


class ArmOut(Answer):
    """One arm's size: assigned, and analysed (with a primary-metric value)."""

    variant_id: str
    name: str
    weight: float
    assigned: int
    analysed: int


class InsufficientOut(Answer):
    """A minimum not met yet."""

    requirement: str
    have: float
    need: float


class ResultOut(Answer):
    """The verdict and everything it rests on."""

    verdict: str
    winner: str | None
    reasons: list[str]
    method: str
    method_description: str
    start: Timestamp
    end: Timestamp
    as_of: Timestamp
    stopped_at: Timestamp | None
    days_elapsed: int
    ended: bool
    arms: list[ArmOut]
    srm: SrmOut
    comparisons: list[ComparisonOut]
    insufficient: list[InsufficientOut]


class ArmMetricOut(Answer):
    """One arm's participants measured on one metric and their means."""

    metric: str
    variant_id: str
    n: int
    mean: float | None
    pre_mean: float | None = Field(
        description="Mean pre-period value (missing ones counted at the experiment's mean)"
    )
    pre_n: int


class ExperimentResultsOut(Answer):
    """``GET /v1/experiments/{id}/results``."""

    experiment: ExperimentOut
    result: ResultOut
    metrics_as_of: Timestamp | None
    participants: int
    pending_participants: int
    arm_metrics: list[ArmMetricOut]
    notes: list[str]


# --- a learner's experiments ------------------------------------------------------------------


class PeriodOut(Answer):
    """A half-open period ``[start, end)``."""

    start: Timestamp
    end: Timestamp
    days: float


class MetricValueOut(Answer):
    """One metric over one period: the value (null: no data) and the items it rests on."""

    value: float | None
    n: int


class PeriodMetricsOut(Answer):
    """Every metric over one period."""

    period: PeriodOut
    values: dict[str, MetricValueOut]


class ParticipantMetricsOut(Answer):
    """A participant's stored metrics."""

    as_of: Timestamp
    pre: PeriodMetricsOut
    post: PeriodMetricsOut


class ParticipationOut(Answer):
    """One experiment the learner takes part in."""

    experiment_id: str
    experiment_name: str
    context: PersonalizationContext
    state: str
    start_date: Timestamp
    end_date: Timestamp
    stopped_at: Timestamp | None
    variant_id: str
    variant_name: str
    is_control: bool
    config: dict[str, Any]
    assigned_at: Timestamp
    metrics: ParticipantMetricsOut | None


class LearnerExperimentsOut(Answer):
    """``GET /v1/users/{userId}/experiments``."""

    user_id: str
    experiments: list[ParticipationOut]


__all__ = [
    "ExperimentIn",
    "ExperimentListOut",
    "ExperimentOut",
    "ExperimentResultsOut",
    "LearnerExperimentsOut",
    "VariantIn",
]
