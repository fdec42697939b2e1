"""Struggle prediction (ENGINE.md 5.2) under ``/v1/users/{userId}/``.

Thin over :mod:`twin.services.struggle`: generate predictions, list them with their
objective, indicators and interventions, explain one ("why"), list interventions and
apply one to a mission; then the outcomes: the learner's feedback, model performance
and struggle reduction. Every route answers 404 for an unknown learner and 403 when
the learner's ``behavioralAnalysisEnabled`` is false.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query

from twin.api.deps import AsOf, CurrentPrincipal, DbSession, Now
from twin.api.guard import GuardedRoute
from twin.api.schemas.struggle import (
    ApplyIn,
    ApplyOut,
    FeedbackIn,
    FeedbackOut,
    GenerateIn,
    GenerateOut,
    InterventionListOut,
    InterventionOut,
    ModelPerformanceOut,
    PredictionDetailOut,
    PredictionListOut,
    StruggleReductionOut,
)
from twin.api.types import IdPath, UserId
from twin.enums import InterventionStatus, PredictionStatus
from twin.services import struggle as service
from twin.services.struggle import outcomes as outcomes_service

PREDICTION_TAGS: list[str | Enum] = ["struggle prediction"]
OUTCOME_TAGS: list[str | Enum] = ["struggle prediction: outcomes"]
ANALYSIS_OFF: dict[int | str, dict[str, Any]] = {
    403: {"description": "behavioural analysis is switched off"}
}

router = APIRouter(route_class=GuardedRoute)

ItemId = Annotated[IdPath, Path(description="The record's id")]
PredictionId = Annotated[IdPath, Path(description="A prediction's id")]


@router.post(
    "/users/{userId}/predictions:generate",
    response_model=GenerateOut,
    summary="Predict the learner's upcoming struggles now",
    responses=ANALYSIS_OFF,
    tags=PREDICTION_TAGS,
)
def generate(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
    body: Annotated[GenerateIn | None, Body()] = None,
) -> GenerateOut:
    """Predict every objective due within ``daysAhead`` days (missions, exams) and the weakest
    ones; store every prediction (open ones are updated in place), indicators and tailored
    interventions for p > 0.5; return the top 3 alerts (p ≥ 0.7 due within 3 days)."""
    days = body.daysAhead if body is not None else service.DEFAULT_DAYS_AHEAD
    result = service.generate_predictions(session, userId, now, days_ahead=days)
    return GenerateOut.model_validate(result)


@router.get(
    "/users/{userId}/predictions",
    response_model=PredictionListOut,
    summary="The learner's struggle predictions",
    tags=PREDICTION_TAGS,
)
def list_predictions(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
    status: Annotated[PredictionStatus | None, Query(description="Only this status")] = None,
    minProbability: Annotated[float, Query(ge=0.0, le=1.0)] = service.AT_RISK_ABOVE,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST_LIMIT)] = service.DEFAULT_LIST_LIMIT,
) -> PredictionListOut:
    """Predictions with probability ≥ ``minProbability``, most likely first, each with its
    objective, indicators and interventions; ``stats`` counts all of them."""
    listed = service.list_predictions(
        session, userId, status=status, min_probability=minProbability, limit=limit, now=now
    )
    return PredictionListOut.model_validate(listed)


@router.get(
    "/users/{userId}/predictions/{predictionId}",
    response_model=PredictionDetailOut,
    summary="One prediction and why",
    tags=PREDICTION_TAGS,
)
def prediction_detail(
    userId: UserId, predictionId: ItemId, _: CurrentPrincipal, session: DbSession, now: Now
) -> PredictionDetailOut:
    """The prediction with every feature's value, whether it was unknown, its contribution,
    the model version and the top factors in words."""
    view = service.prediction_detail(session, userId, predictionId, now=now)
    return PredictionDetailOut.model_validate(view)


@router.get(
    "/users/{userId}/interventions",
    response_model=InterventionListOut,
    summary="The learner's intervention recommendations",
    tags=PREDICTION_TAGS,
)
def list_interventions(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    status: Annotated[InterventionStatus | None, Query(description="Only this status")] = None,
) -> InterventionListOut:
    """Interventions, highest priority first, then newest."""
    views = service.list_interventions(session, userId, status=status)
    return InterventionListOut(
        user_id=userId, interventions=[InterventionOut.model_validate(v) for v in views]
    )


@router.post(
    "/users/{userId}/interventions/{interventionId}:apply",
    response_model=ApplyOut,
    summary="Apply an intervention to a mission",
    responses={
        **ANALYSIS_OFF,
        404: {"description": "unknown learner, intervention or mission"},
        409: {"description": "already applied, mission not PENDING, or no PENDING mission"},
    },
    tags=PREDICTION_TAGS,
)
def apply_intervention(
    userId: UserId,
    interventionId: ItemId,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
    body: Annotated[ApplyIn | None, Body()] = None,
) -> ApplyOut:
    """Change the mission as the intervention says (prerequisite reviews inserted, time +25%,
    duration halved, breaks, format, extra reviews); 409 when already applied."""
    result = service.apply_intervention(
        session,
        userId,
        interventionId,
        mission_id=body.missionId if body is not None else None,
        now=now,
    )
    return ApplyOut.model_validate(result)


@router.post(
    "/users/{userId}/predictions/{predictionId}/feedback",
    response_model=FeedbackOut,
    summary="Tell how a predicted objective actually went",
    responses={**ANALYSIS_OFF, 404: {"description": "no such prediction for this learner"}},
    tags=OUTCOME_TAGS,
)
def post_feedback(
    userId: UserId,
    predictionId: PredictionId,
    body: FeedbackIn,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
) -> FeedbackOut:
    """Record the learner's feedback: their answer becomes the prediction's outcome and status
    (CONFIRMED / FALSE_POSITIVE / MISSED / RESOLVED) and automatic capture never overrides it."""
    result = outcomes_service.record_feedback(
        session,
        userId,
        predictionId,
        actual_struggle=body.actualStruggle,
        feedback_type=body.feedbackType,
        helpfulness=body.helpfulness,
        comments=body.comments,
        now=now,
    )
    return FeedbackOut.model_validate(result)


@router.get(
    "/users/{userId}/model-performance",
    response_model=ModelPerformanceOut,
    summary="How good the learner's struggle predictions were",
    responses=ANALYSIS_OFF,
    tags=OUTCOME_TAGS,
)
def get_model_performance(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: AsOf
) -> ModelPerformanceOut:
    """Accuracy, precision, recall, F1, AUC, Brier, calibration, confusion matrix, weekly trend
    and per model version — from recorded outcomes only (fewer than 10: insufficient data)."""
    return ModelPerformanceOut.model_validate(
        outcomes_service.model_performance(session, userId, as_of=now)
    )


@router.get(
    "/users/{userId}/struggle-reduction",
    response_model=StruggleReductionOut,
    summary="How much less the learner struggles since predictions started",
    responses=ANALYSIS_OFF,
    tags=OUTCOME_TAGS,
)
def get_struggle_reduction(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: AsOf,
    period: Annotated[
        Literal["week", "month", "all"],
        Query(description="Current window: last 7 or 30 complete local days, or all"),
    ] = "month",
) -> StruggleReductionOut:
    """Share of objective-study-days that were struggles: the 6 weeks before the first
    prediction against the chosen period (needs 10 study days in each window)."""
    report = outcomes_service.struggle_reduction(session, userId, period, now=now)
    return StruggleReductionOut.model_validate(report)
