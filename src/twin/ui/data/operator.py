"""The operator pages' calls into the engine: high-risk learners, finding learners, the
model registry, experiments and the cohort distributions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from twin.analysis.common import InsufficientData
from twin.analysis.patterns.cohort import MIN_BIN_LEARNERS, MIN_COHORT_LEARNERS
from twin.api.schemas.experiments import ExperimentIn, ExperimentOut, ExperimentResultsOut
from twin.db.engine import Database
from twin.learners import load_learner
from twin.services import experiments as experiments_service
from twin.services import learners as users_service
from twin.services.patterns import cohorts as cohort_service
from twin.services.struggle import high_risk as high_risk_service
from twin.services.struggle import models as models_service
from twin.ui.data import LearnerHeader, _dump, _header, _header_of

HIGH_RISK_FROM = high_risk_service.HIGH_RISK_FROM
HIGH_RISK_PAGE_SIZE = high_risk_service.DEFAULT_PAGE_SIZE
LEARNER_PAGE_SIZE = 25
EXPERIMENT_PAGE_SIZE = 25


def high_risk(
    db: Database, min_probability: float, cursor: str | None
) -> high_risk_service.HighRiskPage:
    """One page of the seed's high-risk query (PENDING predictions above a probability)."""
    with db.session() as session:
        return high_risk_service.high_risk_predictions(
            session, min_probability=min_probability, limit=HIGH_RISK_PAGE_SIZE, cursor=cursor
        )


@dataclass(frozen=True)
class LearnerList:
    """One page of learners for the operator, and the learner whose id is the search exactly."""

    rows: list[LearnerHeader]
    next_cursor: str | None
    exact: LearnerHeader | None


def find_learners(db: Database, search: str | None, cursor: str | None) -> LearnerList:
    """Learners by id whose id or name contains ``search`` (all without it), a page at a time."""
    with db.session() as session:
        users, next_cursor = users_service.list_users(
            session, LEARNER_PAGE_SIZE, cursor, search=search or None
        )
        exact = None
        if search and cursor is None and load_learner(session, search) is not None:
            exact = _header(session, search)
        return LearnerList([_header_of(u) for u in users], next_cursor, exact)


def model_registry(db: Database) -> dict[str, Any]:
    """The struggle-model registry: every version with its held-out metrics, the active one."""
    with db.session() as session:
        rows = [
            {
                "version": r.version,
                "kind": r.kind,
                "isActive": r.isActive,
                "trainedAt": r.trainedAt,
                "trainingWindowStart": r.trainingWindowStart,
                "trainingWindowEnd": r.trainingWindowEnd,
                "outcomeCount": r.outcomeCount,
                "learnerCount": r.learnerCount,
                "metrics": dict(r.metrics),
                "decision": r.decision,
            }
            for r in models_service.list_models(session)
        ]
    return {"models": rows, "rulesVersion": models_service.RULES.version}


def experiments(db: Database, now: datetime, cursor: str | None) -> dict[str, Any]:
    """One page of operator experiments, newest first, with their state and final verdict."""
    with db.session() as session:
        items, next_cursor = experiments_service.list_experiments(
            session, now, limit=EXPERIMENT_PAGE_SIZE, cursor=cursor
        )
        return {"items": [_dump(ExperimentOut, e) for e in items], "next_cursor": next_cursor}


def experiment_results(db: Database, experiment_id: str, now: datetime) -> dict[str, Any]:
    """An experiment's results from its stored metrics: comparisons, intervals, verdict, SRM."""
    with db.session() as session:
        return _dump(
            ExperimentResultsOut,
            experiments_service.experiment_results(session, experiment_id, now),
        )


def stop_experiment(db: Database, experiment_id: str, now: datetime) -> None:
    """Stop a running or scheduled experiment (409 when stopped or ended already)."""
    with db.session() as session:
        experiments_service.stop_experiment(session, experiment_id, now)


def cohorts(db: Database) -> dict[str, Any]:
    """Each twin measure's distribution over the learners who share anonymised patterns
    (withheld below the minimum group size; never a learner id)."""
    with db.session() as session:
        view = cohort_service.cohort_distributions(session)
    measures = []
    for measure, found in view.distributions:
        entry: dict[str, Any] = {"key": measure.key, "label": measure.label, "unit": measure.unit}
        if isinstance(found, InsufficientData):
            entry["insufficient"] = found.to_json()
        else:
            entry["distribution"] = found
        measures.append(entry)
    return {
        "sharingLearners": view.sharing_learners,
        "minLearners": MIN_COHORT_LEARNERS,
        "minBin": MIN_BIN_LEARNERS,
        "measures": measures,
    }


def create_experiment(
    db: Database, body: ExperimentIn, now: datetime, created_by: str
) -> dict[str, Any]:
    """Define an experiment (as POST /v1/experiments: 422 naming every bad field, 409 when
    another experiment of its context overlaps its dates; nothing written then)."""
    with db.session() as session:
        made = experiments_service.create_experiment(
            session, body.to_new(), now, created_by=created_by
        )
        return _dump(ExperimentOut, made)
