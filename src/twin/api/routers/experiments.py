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
from pydantic import WithJsonSchema
from starlette.convertors import register_url_convertor

from twin.api.deps import CurrentPrincipal, DbSession, Now, ServicePrincipal
from twin.api.guard import GuardedRoute
from twin.api.schemas.experiments import (
    ExperimentIn,
    ExperimentListOut,
    ExperimentOut,
    ExperimentResultsOut,
    LearnerExperimentsOut,
)
from twin.api.types import IdPath, NoColonSegment
from twin.enums import ExperimentStatus, PersonalizationContext
from twin.ingest.schemas import ID_JSON_SCHEMA
from twin.services import experiments as service

ID_SEGMENT = "experiment_id"


register_url_convertor(ID_SEGMENT, NoColonSegment())

router = APIRouter(tags=["experiments"], route_class=GuardedRoute)

ExperimentId = Annotated[
    IdPath,
    Path(description="The experiment's id"),
    WithJsonSchema(
        {
            **ID_JSON_SCHEMA,
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f/:\\u2028\\u2029]*$",
            "description": "An experiment's id (engine ids never hold '/' or ':')",
        }
    ),
]
UserId = Annotated[IdPath, Path(description="The learner's id")]
# A free-text query value: no control characters (the guard refuses them for every query).
QUERY_TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"

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
    body: ExperimentIn, principal: ServicePrincipal, session: DbSession, now: Now
) -> ExperimentOut:
    """Store an experiment; learners are assigned on their first personalization in its context."""
    experiment = service.create_experiment(session, body.to_new(), now, created_by=principal.name)
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
    now: Now,
    status: Annotated[ExperimentStatus | None, Query()] = None,
    context: Annotated[PersonalizationContext | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=QUERY_TEXT_PATTERN,
            description="The nextCursor of the previous page (the last id seen)",
        ),
    ] = None,
) -> ExperimentListOut:
    """Experiments newest first, a page at a time (pass ``nextCursor`` back for the next)."""
    items, next_cursor = service.list_experiments(
        session, now, status=status, context=context, limit=limit, cursor=cursor
    )
    return ExperimentListOut(
        items=[ExperimentOut.model_validate(e) for e in items], next_cursor=next_cursor
    )


@router.get(
    "/experiments/{experimentId:experiment_id}",
    response_model=ExperimentOut,
    summary="One experiment (service keys only)",
    responses={**ERRORS, **NOT_FOUND},
)
def get_experiment(
    experimentId: ExperimentId, _: ServicePrincipal, session: DbSession, now: Now
) -> ExperimentOut:
    """The experiment's definition, state and participants."""
    return ExperimentOut.model_validate(service.load_experiment(session, experimentId, now))


@router.post(
    "/experiments/{experimentId:experiment_id}:stop",
    response_model=ExperimentOut,
    summary="Stop an experiment now (service keys only)",
    responses={
        **ERRORS,
        **NOT_FOUND,
        409: {"description": "Already stopped, or already ended"},
    },
)
def stop_experiment(
    experimentId: ExperimentId, _: ServicePrincipal, session: DbSession, now: Now
) -> ExperimentOut:
    """No more assignments; the final metrics and verdict follow at the next metrics run."""
    return ExperimentOut.model_validate(service.stop_experiment(session, experimentId, now))


@router.get(
    "/experiments/{experimentId:experiment_id}/results",
    response_model=ExperimentResultsOut,
    summary="An experiment's results and verdict (service keys only)",
    responses={**ERRORS, **NOT_FOUND},
)
def experiment_results(
    experimentId: ExperimentId, _: ServicePrincipal, session: DbSession, now: Now
) -> ExperimentResultsOut:
    """Per metric: Welch (relative and absolute), CUPED, sequential, Bayesian; SRM; the verdict."""
    return ExperimentResultsOut.model_validate(
        service.experiment_results(session, experimentId, now)
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
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: Now
) -> LearnerExperimentsOut:
    """The learner's variants, when they were assigned, and their own metrics."""
    return LearnerExperimentsOut.model_validate(service.learner_experiments(session, userId, now))
