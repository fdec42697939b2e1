"""Outcomes of struggle predictions over HTTP (ENGINE.md 5.2): feedback, performance, reduction.

Thin: validates, calls :mod:`twin.services.struggle_outcomes`, shapes the answer. Routes
live under ``/users/{userId}/`` (the app adds ``/v1`` and the authentication) and answer
403 when the learner switched behavioural analysis off.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StrictBool

from twin.api.deps import CurrentPrincipal, DbSession
from twin.api.guard import GuardedRoute
from twin.api.types import IdPath, UtcDatetime, whole_number
from twin.clock import utcnow
from twin.enums import FeedbackType, PredictionStatus
from twin.services.struggle import outcomes as outcomes_service

router = APIRouter(tags=["struggle prediction: outcomes"], route_class=GuardedRoute)

UserId = Annotated[IdPath, Path(description="The learner's id")]
PredictionId = Annotated[IdPath, Path(description="A prediction's id")]
Helpfulness = Annotated[
    int,
    Strict(),
    Field(
        ge=outcomes_service.HELPFULNESS_RANGE[0],
        le=outcomes_service.HELPFULNESS_RANGE[1],
    ),
    BeforeValidator(whole_number),
]


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


class FeedbackOut(BaseModel):
    """The stored feedback and the prediction's status after it (learner feedback wins)."""

    feedbackId: str
    predictionId: str
    feedbackType: FeedbackType
    actualStruggle: bool
    helpfulness: int | None
    comments: str | None
    submittedAt: UtcDatetime
    predictedStruggleProbability: float
    previousStatus: PredictionStatus
    predictionStatus: PredictionStatus
    previousOutcome: bool | None


class ModelPerformanceOut(BaseModel):
    """Metrics from recorded outcomes, or how many outcomes are still missing."""

    userId: str
    status: Literal["ok", "insufficient_data"]
    outcomes: int = Field(description="Predictions with a recorded outcome")
    minOutcomes: int
    insufficient: dict[str, dict[str, int]] | None = Field(
        default=None, description='e.g. {"outcomes": {"have": 4, "need": 10}}'
    )
    overall: dict[str, Any] | None = Field(
        default=None,
        description="accuracy, precision, recall, f1, auc, brier, ece, calibration bins, "
        "confusionMatrix",
    )
    byModelVersion: dict[str, dict[str, Any]] | None = None
    weeklyTrend: list[dict[str, Any]] | None = Field(
        default=None, description="Per local ISO week of the outcome's recording"
    )
    activeModel: dict[str, Any] = Field(
        description="The model predicting now (global) and its held-out metrics"
    )


class StruggleReductionOut(BaseModel):
    """(baseline rate − current rate) / baseline rate of struggles per objective-study-day."""

    userId: str
    period: Literal["week", "month", "all"]
    status: Literal["ok", "insufficient_data"]
    predictionsEnabledAt: str | None
    baselineWindow: dict[str, str] | None = Field(description="[start, end) local dates")
    currentWindow: dict[str, str] | None
    insufficient: dict[str, dict[str, int]] | None = None
    baselineRate: float | None = None
    currentRate: float | None = None
    reduction: float | None = None
    baselineObjectives: int | None = None
    currentObjectives: int | None = None
    meetsTarget: bool | None = Field(default=None, description="reduction ≥ 25%")


@router.post(
    "/users/{userId}/predictions/{predictionId}/feedback",
    response_model=FeedbackOut,
    summary="Tell how a predicted objective actually went",
    responses={
        403: {"description": "behavioural analysis is switched off"},
        404: {"description": "no such prediction for this learner"},
    },
)
def post_feedback(
    userId: UserId,
    predictionId: PredictionId,
    body: FeedbackIn,
    _: CurrentPrincipal,
    session: DbSession,
) -> FeedbackOut:
    """Record the learner's feedback: their answer becomes the prediction's outcome and status
    (CONFIRMED / FALSE_POSITIVE / MISSED / RESOLVED) and automatic capture never overrides it."""
    r = outcomes_service.record_feedback(
        session,
        userId,
        predictionId,
        actual_struggle=body.actualStruggle,
        feedback_type=body.feedbackType,
        helpfulness=body.helpfulness,
        comments=body.comments,
        now=utcnow(),
    )
    return FeedbackOut(
        feedbackId=r.feedback_id,
        predictionId=r.prediction_id,
        feedbackType=r.feedback_type,
        actualStruggle=r.actual_struggle,
        helpfulness=r.helpfulness,
        comments=r.comments,
        submittedAt=r.submitted_at,
        predictedStruggleProbability=r.probability,
        previousStatus=r.previous_status,
        predictionStatus=r.status,
        previousOutcome=r.previous_outcome,
    )


@router.get(
    "/users/{userId}/model-performance",
    response_model=ModelPerformanceOut,
    summary="How good the learner's struggle predictions were",
    responses={403: {"description": "behavioural analysis is switched off"}},
)
def get_model_performance(
    userId: UserId, _: CurrentPrincipal, session: DbSession
) -> ModelPerformanceOut:
    """Accuracy, precision, recall, F1, AUC, Brier, calibration, confusion matrix, weekly trend
    and per model version — from recorded outcomes only (fewer than 10: insufficient data)."""
    return ModelPerformanceOut.model_validate(
        outcomes_service.model_performance(session, userId).to_dict()
    )


@router.get(
    "/users/{userId}/struggle-reduction",
    response_model=StruggleReductionOut,
    summary="How much less the learner struggles since predictions started",
    responses={403: {"description": "behavioural analysis is switched off"}},
)
def get_struggle_reduction(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    period: Annotated[
        Literal["week", "month", "all"],
        Query(description="Current window: last 7 or 30 complete local days, or all"),
    ] = "month",
) -> StruggleReductionOut:
    """Share of objective-study-days that were struggles: the 6 weeks before the first
    prediction against the chosen period (needs 10 study days in each window)."""
    report = outcomes_service.struggle_reduction(session, userId, period, now=utcnow())
    return StruggleReductionOut.model_validate(report.to_dict())
