"""Assignment: which variant a learner follows, decided once and stored (ENGINE.md 5.5).

:func:`active_variant` is what ``personalization:apply`` (issue #17) calls for a learner and
a context: while an experiment of that context runs (started, not ended, not stopped) and the
learner's behavioural analysis is on, it returns the experiment's variant for the learner —
assigning them on this first use: SHA-256 of (salt, userId) → [0, 1) → variant by weight
(:mod:`twin.analysis.experiments.assignment`), stored once in ``experiment_assignments``
(``INSERT … ON CONFLICT DO NOTHING``, so concurrent first uses store one row and agree). The
caller applies the returned config and lets the bandit stand aside (:attr:`ActiveVariant.reason`
says so in words); with None it personalizes as usual. Assignment means exposure: call it only
when the context is about to be personalized for the learner.

:func:`learner_experiments` is the learner's own view (``GET /v1/users/{id}/experiments``):
every experiment they take part in, their variant and their stored metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import storage_time
from twin.analysis.experiments.assignment import assign_variant
from twin.analysis.experiments.periods import ParticipantMetrics
from twin.db.base import new_id
from twin.enums import PersonalizationContext
from twin.learners import analysis_learner, load_learner
from twin.services.experiments.definitions import (
    _COLUMNS,
    Experiment,
    ExperimentState,
    experiment_from_row,
)


@dataclass(frozen=True)
class ActiveVariant:
    """The variant a learner follows in a running experiment of a context."""

    experiment_id: str
    experiment_name: str
    context: PersonalizationContext
    variant_id: str
    variant_name: str
    config: Mapping[str, Any]
    assigned_at: datetime
    ends_at: datetime
    newly_assigned: bool
    """True when this call assigned the learner (their first use)."""
    control_id: str

    @property
    def is_control(self) -> bool:
        """Whether the learner is in the control arm (it still applies the control's config)."""
        return self.variant_id == self.control_id

    @property
    def reason(self) -> str:
        """Why the bandit stands aside, in words (for the personalization answer)."""
        return (
            f"A/B experiment {self.experiment_name!r} ({self.experiment_id}) decides "
            f"{self.context.value} personalization until {self.ends_at:%Y-%m-%d %H:%M} UTC: "
            f"variant {self.variant_id!r} ({self.variant_name}) applies and the bandit stands aside"
        )


_RUNNING_SQL = sa.text(
    f"SELECT {_COLUMNS} FROM personalization_experiments e "
    'WHERE e.context = CAST(:context AS "PersonalizationContext") AND e.definition IS NOT NULL '
    "AND e.status = 'ACTIVE' AND e.\"stoppedAt\" IS NULL "
    'AND e."startDate" <= :now AND e."endDate" > :now '
    'ORDER BY e."startDate" LIMIT 1'
)

_ASSIGNMENT_SQL = sa.text(
    'SELECT "variantId", "assignedAt" FROM experiment_assignments '
    'WHERE "experimentId" = :e AND "userId" = :u'
)

_ASSIGN_SQL = sa.text(
    'INSERT INTO experiment_assignments (id, "experimentId", "userId", "variantId", "assignedAt") '
    "VALUES (:id, :e, :u, :v, :at) "
    'ON CONFLICT ("experimentId", "userId") DO NOTHING RETURNING "variantId", "assignedAt"'
)


def running_experiment(
    session: Session, context: PersonalizationContext, now: datetime
) -> Experiment | None:
    """The experiment of ``context`` that runs at ``now`` (at most one: windows never overlap)."""
    at = storage_time(now)
    row = session.execute(_RUNNING_SQL, {"context": context.value, "now": at}).first()
    return None if row is None else experiment_from_row(row, at, participants=0)


def assigned_variant_index(experiment: Experiment, user_id: str) -> int:
    """The variant index the hash gives ``user_id`` in ``experiment`` (pure, nothing stored)."""
    return assign_variant(experiment.salt, user_id, experiment.weights)


def active_variant(
    session: Session, user_id: str, context: PersonalizationContext, now: datetime
) -> ActiveVariant | None:
    """The learner's variant of the experiment running in ``context`` at ``now`` (assigning on first use).

    None when no experiment runs in the context, or the learner is unknown or has behavioural
    analysis switched off (they take no part: nothing is stored about them).
    """
    experiment = running_experiment(session, context, now)
    if experiment is None:
        return None
    learner = load_learner(session, user_id)
    if learner is None or not learner.analysis_enabled:
        return None
    params = {"e": experiment.id, "u": user_id}
    row = session.execute(_ASSIGNMENT_SQL, params).first()
    newly = False
    if row is None:
        variant = experiment.variants[assigned_variant_index(experiment, user_id)]
        row = session.execute(
            _ASSIGN_SQL, {**params, "id": new_id(), "v": variant.id, "at": storage_time(now)}
        ).first()
        newly = row is not None
        if row is None:  # a concurrent first use stored it first: read theirs
            row = session.execute(_ASSIGNMENT_SQL, params).one()
    variant = experiment.variant(row.variantId)
    return ActiveVariant(
        experiment_id=experiment.id,
        experiment_name=experiment.name,
        context=experiment.context,
        variant_id=variant.id,
        variant_name=variant.name,
        config=variant.config,
        assigned_at=row.assignedAt,
        ends_at=experiment.ends_at(),
        newly_assigned=newly,
        control_id=experiment.control_id,
    )


@dataclass(frozen=True)
class Participation:
    """One experiment a learner takes part in: their variant and their own metrics."""

    experiment_id: str
    experiment_name: str
    context: PersonalizationContext
    state: ExperimentState
    start_date: datetime
    end_date: datetime
    stopped_at: datetime | None
    variant_id: str
    variant_name: str
    is_control: bool
    config: Mapping[str, Any]
    assigned_at: datetime
    metrics: ParticipantMetrics | None


@dataclass(frozen=True)
class LearnerExperiments:
    """A learner's experiments, most recently assigned first."""

    user_id: str
    experiments: tuple[Participation, ...]


_LEARNER_SQL = sa.text(
    f'SELECT {_COLUMNS}, a."variantId" AS variant_id, a."assignedAt" AS assigned_at, '
    "a.metrics AS participant_metrics "
    "FROM experiment_assignments a "
    'JOIN personalization_experiments e ON e.id = a."experimentId" '
    'WHERE a."userId" = :u AND e.definition IS NOT NULL '
    'ORDER BY a."assignedAt" DESC, e.id'
)


def learner_experiments(session: Session, user_id: str, now: datetime) -> LearnerExperiments:
    """The learner's assignments (404 unknown learner, 403 analysis off: they have none)."""
    analysis_learner(session, user_id)
    at = storage_time(now)
    items = []
    for row in session.execute(_LEARNER_SQL, {"u": user_id}):
        experiment = experiment_from_row(row, at, participants=0)
        variant = experiment.variant(row.variant_id)
        metrics = (
            ParticipantMetrics.from_json(row.participant_metrics)
            if row.participant_metrics
            else None
        )
        items.append(
            Participation(
                experiment_id=experiment.id,
                experiment_name=experiment.name,
                context=experiment.context,
                state=experiment.state,
                start_date=experiment.start_date,
                end_date=experiment.end_date,
                stopped_at=experiment.stopped_at,
                variant_id=variant.id,
                variant_name=variant.name,
                is_control=variant.id == experiment.control_id,
                config=variant.config,
                assigned_at=row.assigned_at,
                metrics=metrics,
            )
        )
    return LearnerExperiments(user_id=user_id, experiments=tuple(items))
