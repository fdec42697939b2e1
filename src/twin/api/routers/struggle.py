"""Struggle prediction (ENGINE.md 5.2) under ``/v1/users/{userId}/``.

Thin over :mod:`twin.services.struggle`: generate predictions, list them with their
objective, indicators and interventions, explain one ("why"), list interventions and
apply one to a mission. Every route answers 404 for an unknown learner and 403 when
the learner's ``behavioralAnalysisEnabled`` is false. Feedback, model performance and
struggle reduction live in ``struggle_outcomes``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from twin.api.deps import CurrentPrincipal, DbSession
from twin.api.guard import GuardedRoute
from twin.api.types import Id, IdPath, UtcDatetime, whole_number
from twin.clock import utcnow
from twin.enums import InterventionStatus, PredictionStatus
from twin.services import struggle as service

router = APIRouter(tags=["struggle prediction"], route_class=GuardedRoute)

UserId = Annotated[IdPath, Path(description="The learner's id")]
ItemId = Annotated[IdPath, Path(description="The record's id")]
DaysAhead = Annotated[
    int,
    Strict(),
    Field(ge=service.MIN_DAYS_AHEAD, le=service.MAX_DAYS_AHEAD),
    BeforeValidator(whole_number),
]


# --- schemas ---------------------------------------------------------------------------------


class GenerateIn(BaseModel):
    """Options of a generation run."""

    model_config = ConfigDict(extra="forbid")

    daysAhead: DaysAhead = Field(
        default=service.DEFAULT_DAYS_AHEAD,
        description="Objectives due (missions, exams) within this many days, plus the weakest",
    )


class ObjectiveOut(BaseModel):
    """The objective a prediction is about."""

    id: str
    text: str | None = None
    complexity: str | None = None
    courseId: str | None = None
    courseName: str | None = None
    lectureId: str | None = None


class FactorOut(BaseModel):
    """A feature pushing the probability up, in numbers and words."""

    feature: str
    value: float
    contribution: float = Field(description="Log-odds contribution")
    reason: str


class GeneratedIndicatorOut(BaseModel):
    """An indicator written by the run."""

    type: str
    severity: str
    strength: float


class GeneratedInterventionOut(BaseModel):
    """An intervention written by the run."""

    id: str
    type: str
    priority: int
    description: str
    reasoning: str


class GeneratedPredictionOut(BaseModel):
    """One stored prediction of the run."""

    predictionId: str
    objective: ObjectiveOut
    dueAt: UtcDatetime
    source: str = Field(description="mission, exam or weakest")
    probability: float
    confidence: float
    modelVersion: str
    dataQuality: float
    atRisk: bool = Field(description="probability > 0.5 (indicators and interventions written)")
    created: bool = Field(description="false: the open prediction was updated in place")
    topFactors: list[FactorOut]
    indicators: list[GeneratedIndicatorOut]
    interventions: list[GeneratedInterventionOut]


class AlertOut(BaseModel):
    """A likely struggle (p ≥ 0.7) due within 3 days; priority 0-100."""

    predictionId: str
    objective: ObjectiveOut
    probability: float
    priority: float
    urgency: float
    dueAt: UtcDatetime


class GenerateOut(BaseModel):
    """What a run stored, most likely struggles first, and the top 3 alerts."""

    userId: str
    generatedAt: UtcDatetime
    modelVersion: str
    daysAhead: int
    counts: dict[str, int]
    predictions: list[GeneratedPredictionOut]
    alerts: list[AlertOut]


class IndicatorOut(BaseModel):
    """A stored struggle indicator."""

    id: str
    type: str
    severity: str
    context: dict[str, Any]
    detectedAt: UtcDatetime


class InterventionOut(BaseModel):
    """A stored intervention recommendation."""

    id: str
    predictionId: str | None
    objectiveId: str | None
    type: str
    priority: int
    description: str
    reasoning: str
    status: str
    createdAt: UtcDatetime
    appliedAt: UtcDatetime | None
    appliedToMissionId: str | None


class PredictionOut(BaseModel):
    """A stored prediction with its objective, indicators and interventions."""

    id: str
    objective: ObjectiveOut
    topicId: str | None
    probability: float
    confidence: float
    status: PredictionStatus
    modelVersion: str | None
    dataQuality: float | None
    source: str | None
    dueAt: UtcDatetime | None
    predictedAt: UtcDatetime
    acknowledgedAt: UtcDatetime | None
    actualOutcome: bool | None
    actualOutcomeRecordedAt: UtcDatetime | None
    interventionApplied: bool
    interventionId: str | None
    topFactors: list[FactorOut]
    indicators: list[IndicatorOut]
    interventions: list[InterventionOut]


class PredictionStats(BaseModel):
    """Counts over all of the learner's predictions."""

    total: int
    atRisk: int = Field(description="probability > 0.5")
    withOutcome: int
    byStatus: dict[str, int]
    returned: int


class PredictionListOut(BaseModel):
    """Predictions, most likely first, and counts."""

    userId: str
    predictions: list[PredictionOut]
    stats: PredictionStats


class WhyFeatureOut(BaseModel):
    """One of the 15 features behind a prediction."""

    feature: str
    value: float = Field(description="0-1 (0.5 when unknown)")
    unknown: bool
    contribution: float = Field(description="Log-odds contribution")
    reason: str


class WhyOut(BaseModel):
    """Why the model predicted what it did."""

    modelVersion: str | None
    dataQuality: float | None
    probability: float
    features: list[WhyFeatureOut]
    topFactors: list[str] = Field(description="The features pushing the probability up, in words")


class PredictionDetailOut(PredictionOut):
    """A prediction with its explanation."""

    why: WhyOut


class InterventionListOut(BaseModel):
    """The learner's interventions, highest priority first."""

    userId: str
    interventions: list[InterventionOut]


class ApplyIn(BaseModel):
    """Which mission to change (default: the next PENDING mission planning the objective)."""

    model_config = ConfigDict(extra="forbid")

    missionId: Id | None = None


class MissionOut(BaseModel):
    """The mission after the change."""

    id: str
    date: UtcDatetime
    status: str
    estimatedMinutes: int
    recommendedDuration: int | None
    objectives: list[Any]


class ApplyOut(BaseModel):
    """The applied intervention, the changed mission, and the change."""

    intervention: InterventionOut
    mission: MissionOut
    before: dict[str, Any]
    after: dict[str, Any]


# --- routes ----------------------------------------------------------------------------------


@router.post(
    "/users/{userId}/predictions:generate",
    response_model=GenerateOut,
    summary="Predict the learner's upcoming struggles now",
    responses={403: {"description": "behavioural analysis is switched off"}},
)
def generate(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    body: Annotated[GenerateIn | None, Body()] = None,
) -> GenerateOut:
    """Predict every objective due within ``daysAhead`` days (missions, exams) and the weakest
    ones; store every prediction (open ones are updated in place), indicators and tailored
    interventions for p > 0.5; return the top 3 alerts (p ≥ 0.7 due within 3 days)."""
    days = body.daysAhead if body is not None else service.DEFAULT_DAYS_AHEAD
    result = service.generate_predictions(session, userId, utcnow(), days_ahead=days)
    return GenerateOut.model_validate(result.to_json())


@router.get(
    "/users/{userId}/predictions",
    response_model=PredictionListOut,
    summary="The learner's struggle predictions",
)
def list_predictions(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    status: Annotated[PredictionStatus | None, Query(description="Only this status")] = None,
    minProbability: Annotated[float, Query(ge=0.0, le=1.0)] = service.AT_RISK_ABOVE,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST_LIMIT)] = service.DEFAULT_LIST_LIMIT,
) -> PredictionListOut:
    """Predictions with probability ≥ ``minProbability``, most likely first, each with its
    objective, indicators and interventions; ``stats`` counts all of them."""
    listed = service.list_predictions(
        session, userId, status=status, min_probability=minProbability, limit=limit
    )
    return PredictionListOut.model_validate(
        {
            "userId": userId,
            "predictions": [v.to_json() for v in listed.predictions],
            "stats": listed.stats,
        }
    )


@router.get(
    "/users/{userId}/predictions/{predictionId}",
    response_model=PredictionDetailOut,
    summary="One prediction and why",
)
def prediction_detail(
    userId: UserId, predictionId: ItemId, _: CurrentPrincipal, session: DbSession
) -> PredictionDetailOut:
    """The prediction with every feature's value, whether it was unknown, its contribution,
    the model version and the top factors in words."""
    view = service.prediction_detail(session, userId, predictionId)
    return PredictionDetailOut.model_validate({**view.to_json(), "why": view.why()})


@router.get(
    "/users/{userId}/interventions",
    response_model=InterventionListOut,
    summary="The learner's intervention recommendations",
)
def list_interventions(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    status: Annotated[InterventionStatus | None, Query(description="Only this status")] = None,
) -> InterventionListOut:
    """Interventions, highest priority first, then newest."""
    rows = service.list_interventions(session, userId, status=status)
    return InterventionListOut.model_validate(
        {"userId": userId, "interventions": [service.intervention_json(r) for r in rows]}
    )


@router.post(
    "/users/{userId}/interventions/{interventionId}:apply",
    response_model=ApplyOut,
    summary="Apply an intervention to a mission",
    responses={
        403: {"description": "behavioural analysis is switched off"},
        404: {"description": "unknown learner, intervention or mission"},
        409: {"description": "already applied, mission not PENDING, or no PENDING mission"},
    },
)
def apply_intervention(
    userId: UserId,
    interventionId: ItemId,
    _: CurrentPrincipal,
    session: DbSession,
    body: Annotated[ApplyIn | None, Body()] = None,
) -> ApplyOut:
    """Change the mission as the intervention says (prerequisite reviews inserted, time +25%,
    duration halved, breaks, format, extra reviews); 409 when already applied."""
    result = service.apply_intervention(
        session,
        userId,
        interventionId,
        mission_id=body.missionId if body is not None else None,
        now=utcnow(),
    )
    return ApplyOut.model_validate(result.to_json())
