"""A/B experiments (ENGINE.md 5.5): operator routes under ``/v1/experiments`` and a learner's own.

Operator routes need a service key (a learner token gets 403). Bad definitions get 422 with
every problem and its field, nothing written; an experiment overlapping another of the same
context gets 409; stopping a stopped or ended experiment gets 409. ``GET …/results`` computes
the verdict from the participants' stored metrics (sufficient statistics aggregated in SQL).
``GET /v1/users/{userId}/experiments`` lists the experiments a learner takes part in (403 when
their behavioural analysis is off: then they take part in none).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from twin.api.deps import CurrentPrincipal, DbSession, ServicePrincipal
from twin.api.schemas.experiments import (
    ExperimentIn,
    ExperimentListOut,
    ExperimentOut,
    ExperimentResultsOut,
    LearnerExperimentsOut,
)
from twin.clock import utcnow
from twin.enums import ExperimentStatus, PersonalizationContext
from twin.services import experiments as service

router = APIRouter(tags=["experiments"])

ExperimentId = Annotated[str, Path(min_length=1, max_length=200, description="The experiment's id")]
UserId = Annotated[str, Path(min_length=1, max_length=200, description="The learner's id")]

Responses = dict[int | str, dict[str, Any]]

ERRORS: Responses = {
    401: {"description": "No, bad or expired credential"},
    403: {"description": "A learner token (operator routes need a service key)"},
}
NOT_FOUND: Responses = {404: {"description": "No experiment with this id"}}


@router.post(
    "/experiments",
    response_model=ExperimentOut,
    status_code=201,
    summary="Define an experiment (service keys only)",
    responses={
        **ERRORS,
        409: {"description": "Another experiment of the context overlaps its dates"},
        422: {"description": "An invalid definition: every problem with its field"},
    },
)
def create_experiment(
    body: ExperimentIn, principal: ServicePrincipal, session: DbSession
) -> ExperimentOut:
    """Store an experiment; learners are assigned on their first personalization in its context."""
    experiment = service.create_experiment(
        session, body.to_new(), utcnow(), created_by=principal.name
    )
    return ExperimentOut.model_validate(experiment)


@router.get(
    "/experiments",
    response_model=ExperimentListOut,
    summary="List experiments (service keys only)",
    responses=ERRORS,
)
def list_experiments(
    _: ServicePrincipal,
    session: DbSession,
    status: Annotated[ExperimentStatus | None, Query()] = None,
    context: Annotated[PersonalizationContext | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> ExperimentListOut:
    """Experiments newest first, a page at a time (pass ``nextCursor`` back for the next)."""
    items, next_cursor = service.list_experiments(
        session, utcnow(), status=status, context=context, limit=limit, cursor=cursor
    )
    return ExperimentListOut(
        items=[ExperimentOut.model_validate(e) for e in items], next_cursor=next_cursor
    )


@router.get(
    "/experiments/{experimentId}",
    response_model=ExperimentOut,
    summary="One experiment (service keys only)",
    responses={**ERRORS, **NOT_FOUND},
)
def get_experiment(
    experimentId: ExperimentId, _: ServicePrincipal, session: DbSession
) -> ExperimentOut:
    """The experiment's definition, state and participants."""
    return ExperimentOut.model_validate(service.load_experiment(session, experimentId, utcnow()))


@router.post(
    "/experiments/{experimentId}:stop",
    response_model=ExperimentOut,
    summary="Stop an experiment now (service keys only)",
    responses={
        **ERRORS,
        **NOT_FOUND,
        409: {"description": "Already stopped, or already ended"},
    },
)
def stop_experiment(
    experimentId: ExperimentId, _: ServicePrincipal, session: DbSession
) -> ExperimentOut:
    """No more assignments; the final metrics and verdict follow at the next metrics run."""
    return ExperimentOut.model_validate(service.stop_experiment(session, experimentId, utcnow()))


@router.get(
    "/experiments/{experimentId}/results",
    response_model=ExperimentResultsOut,
    summary="An experiment's results and verdict (service keys only)",
    responses={**ERRORS, **NOT_FOUND},
)
def experiment_results(
    experimentId: ExperimentId, _: ServicePrincipal, session: DbSession
) -> ExperimentResultsOut:
    """Per metric: Welch (relative and absolute), CUPED, sequential, Bayesian; SRM; the verdict."""
    return ExperimentResultsOut.model_validate(
        service.experiment_results(session, experimentId, utcnow())
    )


@router.get(
    "/users/{userId}/experiments",
    response_model=LearnerExperimentsOut,
    summary="The experiments a learner takes part in",
    responses={
        401: ERRORS[401],
        403: {"description": "Another learner's token, or behavioural analysis is off"},
        404: {"description": "Unknown learner"},
    },
)
def learner_experiments(
    userId: UserId, _: CurrentPrincipal, session: DbSession
) -> LearnerExperimentsOut:
    """The learner's variants, when they were assigned, and their own metrics."""
    return LearnerExperimentsOut.model_validate(
        service.learner_experiments(session, userId, utcnow())
    )
