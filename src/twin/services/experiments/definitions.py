"""Defining, reading and stopping experiments (ENGINE.md 5.5, A/B experiments).

**Storage.** One ``personalization_experiments`` row per experiment, in the seed's columns
(``experimentName``, ``context``, ``variants`` as ``[{variantId, name, config, weight}]``,
``status``, ``startDate``, ``endDate``, ``minParticipants`` = minimum per arm,
``minDuration`` = minimum days, ``currentParticipants``, and — when it ends —
``variantMetrics``, ``winningVariant``, ``statisticalSignificance``, ``completedAt``), plus
0011's ``salt``, ``definition`` (description, metrics, CUPED, analysis plan), ``createdBy``,
``stoppedAt``, ``metricsAsOf`` and ``result``. ``variants[0]`` is the control.

**Owner.** The seed gives every experiment an owning ``userId`` and ``preferencesId``
(a learner's experiment, in the source system). An operator's experiment belongs to no
learner: its owner is the reserved principal :data:`OPERATOR_OWNER_ID` (``twin/operator``),
with a ``personalization_preferences`` row of its own (level NONE, every context off, so no
personalization ever treats it as a learner) created with the first experiment. The id holds
a ``/``, which no learner id may contain (and no ``/v1/users/{id}`` path can address), so:

- *erasing a participant* (``DELETE /v1/users/{id}``) deletes that learner's rows of every
  table with a ``userId`` — their ``experiment_assignments`` row and the metrics in it — and
  nothing else: the experiment is not theirs, so no cascade reaches anyone else's assignment
  (their own ``personalization_preferences`` cascade only to experiments *they* own, which
  operators' experiments never are). Switching their behavioural analysis off deletes the
  assignment at once too (it is derived data); switched on again, the hash gives them the
  same variant on their next use.
- *the owner* cannot be erased through the learners API (it is not a learner). Deleting its
  preferences row by hand would, by the seed's cascades, delete every operator experiment
  and every assignment in them; the engine never does that: an experiment ends by its end
  date or ``:stop`` and is kept with its result. ``createdBy`` records which service key
  defined it (for audit; keys can be revoked without touching experiments).

**One experiment per context at a time.** A learner's personalization of a context can follow
only one variant, so the windows of two unstopped experiments of the same context may not
overlap (409 naming ``context``); creation is serialised per context by an advisory lock.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import storage_time
from twin.analysis.experiments.definition import (
    DEFAULT_MIN_DURATION_DAYS,
    DEFAULT_MIN_PARTICIPANTS_PER_ARM,
    DefinitionProblem,
    ExperimentDefinition,
    InvalidDefinition,
    Variant,
)
from twin.analysis.experiments.periods import parse_instant
from twin.analysis.experiments.plan import (
    AnalysisPlan,
    analysis_settings,
    plan_problems,
    tuning_parameter,
)
from twin.analysis.experiments.statistics import DifferenceType
from twin.analysis.experiments.verdict import AnalysisSettings, DecisionMethod
from twin.db.base import new_id
from twin.enums import (
    ExperimentStatus,
    ExperimentType,
    PersonalizationContext,
    PersonalizationLevel,
)
from twin.errors import Conflict, NotFound, ValidationFailed
from twin.learners import LearnerLock, lock_learner

OPERATOR_OWNER_ID = "twin/operator"
"""``userId`` of every operator experiment: a reserved principal, never a learner."""

DEFINITION_VERSION = 1
"""Version of the ``definition`` document."""

SALT_BYTES = 16
"""Random bytes of an experiment's assignment salt (hex-encoded)."""

MAX_CONFIG_CHARS = 10_000
"""Longest variant config, as JSON text."""


class ExperimentState(StrEnum):
    """Where an experiment stands at a given time (derived from its dates and stop)."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    ENDED = "ended"
    STOPPED = "stopped"


@dataclass(frozen=True)
class NewExperiment:
    """An experiment as an operator defines it (the API's fields, typed)."""

    name: str
    context: PersonalizationContext
    variants: tuple[Variant, ...]
    primary_metric: str
    end: datetime
    description: str = ""
    guardrail_metrics: tuple[str, ...] = ()
    min_participants_per_arm: int = DEFAULT_MIN_PARTICIPANTS_PER_ARM
    min_duration_days: int = DEFAULT_MIN_DURATION_DAYS
    cuped_covariate: bool = False
    start: datetime | None = None
    """None: now."""
    method: DecisionMethod = DecisionMethod.SEQUENTIAL
    expected_participants: int | None = None


@dataclass(frozen=True)
class VariantView:
    """One arm as stored: id, name, weight, the personalization config it applies."""

    id: str
    name: str
    weight: float
    config: Mapping[str, Any]


@dataclass(frozen=True)
class AnalysisView:
    """How the experiment is analysed."""

    method: DecisionMethod
    expected_participants: int | None
    sequential_tuning_parameter: float
    difference_type: DifferenceType
    alpha: float


@dataclass(frozen=True)
class FinalResult:
    """The verdict written when the experiment ended (``result``), as recommendations read it."""

    verdict: str
    winner: str | None
    as_of: datetime
    reasons: tuple[str, ...]
    p_value: float | None
    document: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """One experiment: its definition, state and participation."""

    id: str
    name: str
    description: str
    context: PersonalizationContext
    status: ExperimentStatus
    state: ExperimentState
    owner_id: str
    created_by: str | None
    variants: tuple[VariantView, ...]
    control_id: str
    primary_metric: str
    guardrail_metrics: tuple[str, ...]
    min_participants_per_arm: int
    min_duration_days: int
    cuped_covariate: bool
    start_date: datetime
    end_date: datetime
    created_at: datetime
    stopped_at: datetime | None
    completed_at: datetime | None
    participants: int
    metrics_as_of: datetime | None
    analysis: AnalysisView
    final: FinalResult | None
    salt: str = field(repr=False)

    @property
    def definition(self) -> ExperimentDefinition:
        """The pure definition the analysis takes."""
        return ExperimentDefinition(
            name=self.name,
            context=self.context,
            variants=tuple(Variant(v.id, v.name, v.weight, v.config) for v in self.variants),
            primary_metric=self.primary_metric,
            start=self.start_date,
            end=self.end_date,
            guardrail_metrics=self.guardrail_metrics,
            min_participants_per_arm=self.min_participants_per_arm,
            min_duration_days=self.min_duration_days,
            cuped=self.cuped_covariate,
            description=self.description,
        )

    @property
    def settings(self) -> AnalysisSettings:
        """The verdict's settings."""
        plan = AnalysisPlan(
            method=self.analysis.method,
            expected_participants=self.analysis.expected_participants,
            difference_type=self.analysis.difference_type,
            alpha=self.analysis.alpha,
        )
        return analysis_settings(plan, self.analysis.sequential_tuning_parameter)

    @property
    def weights(self) -> tuple[float, ...]:
        """Allocation weights in variant order."""
        return tuple(v.weight for v in self.variants)

    def variant(self, variant_id: str) -> VariantView:
        """The variant with this id (KeyError when unknown)."""
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise KeyError(variant_id)

    def ends_at(self) -> datetime:
        """When the post-periods end: the end date, or the stop if earlier."""
        return min(self.end_date, self.stopped_at) if self.stopped_at else self.end_date


def state_at(
    start: datetime, end: datetime, stopped_at: datetime | None, now: datetime
) -> ExperimentState:
    """Scheduled / running / ended / stopped at ``now`` (naive UTC)."""
    if stopped_at is not None and stopped_at < end:
        return ExperimentState.STOPPED
    if now >= end:
        return ExperimentState.ENDED
    if now < start:
        return ExperimentState.SCHEDULED
    return ExperimentState.RUNNING


# --- validation ------------------------------------------------------------------------------


def _problem_details(problems: Sequence[DefinitionProblem]) -> list[dict[str, Any]]:
    return [{"index": None, "field": p.field, "reason": p.reason} for p in problems]


def invalid(problems: Sequence[DefinitionProblem]) -> ValidationFailed:
    """A 422 listing every problem with its field."""
    text = "; ".join(f"{p.field}: {p.reason}" for p in problems)
    return ValidationFailed(f"invalid experiment: {text}", details=_problem_details(problems))


def _config_problems(variants: Sequence[Variant]) -> list[DefinitionProblem]:
    import json

    problems = []
    for i, v in enumerate(variants):
        if not isinstance(v.config, Mapping):
            problems.append(DefinitionProblem(f"variants[{i}].config", "must be a JSON object"))
            continue
        try:
            text = json.dumps(dict(v.config), allow_nan=False)
        except (TypeError, ValueError) as exc:
            problems.append(DefinitionProblem(f"variants[{i}].config", f"not valid JSON: {exc}"))
            continue
        if len(text) > MAX_CONFIG_CHARS:
            problems.append(
                DefinitionProblem(
                    f"variants[{i}].config", f"must be at most {MAX_CONFIG_CHARS:,} characters"
                )
            )
    return problems


def validate_new(new: NewExperiment, now: datetime) -> tuple[ExperimentDefinition, AnalysisPlan]:
    """The pure definition and plan of ``new``; 422 listing every problem (nothing written)."""
    start = storage_time(new.start) if new.start is not None else storage_time(now)
    end = storage_time(new.end)
    problems: list[DefinitionProblem] = []
    if new.start is not None and start < storage_time(now):
        problems.append(DefinitionProblem("startDate", "must not be in the past"))
    problems += _config_problems(new.variants)
    plan = AnalysisPlan(method=new.method, expected_participants=new.expected_participants)
    problems += plan_problems(plan)
    definition: ExperimentDefinition | None = None
    try:
        definition = ExperimentDefinition(
            name=new.name,
            context=new.context,
            variants=new.variants,
            primary_metric=new.primary_metric,
            start=start,
            end=end,
            guardrail_metrics=new.guardrail_metrics,
            min_participants_per_arm=new.min_participants_per_arm,
            min_duration_days=new.min_duration_days,
            cuped=new.cuped_covariate,
            description=new.description,
        )
    except InvalidDefinition as exc:
        problems = list(exc.problems) + problems
    if problems or definition is None:
        raise invalid(problems)
    return definition, plan


# --- reading -------------------------------------------------------------------------------

_COLUMNS = (
    'e.id, e."userId", e."experimentName", e.context, e.status, e.variants, e."startDate", '
    'e."endDate", e."minParticipants", e."minDuration", e."createdAt", e."completedAt", '
    'e.salt, e.definition, e."createdBy", e."stoppedAt", e."metricsAsOf", e.result, '
    'e."currentParticipants"'
)

_LIVE_COUNT = (
    '(SELECT count(*) FROM experiment_assignments a WHERE a."experimentId" = e.id) AS live_count'
)


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (plain dicts and lists), so no caller shares the row's."""
    if isinstance(value, Mapping):
        return {str(k): json_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(v) for v in value]
    return value


def _final(doc: Mapping[str, Any] | None, p_value: float | None) -> FinalResult | None:
    if not doc:
        return None
    return FinalResult(
        verdict=str(doc["verdict"]),
        winner=doc.get("winner"),
        as_of=parse_instant(doc["asOf"]),
        reasons=tuple(doc.get("reasons", ())),
        p_value=p_value,
        document=json_copy(doc),
    )


def experiment_from_row(row: Any, now: datetime, participants: int | None = None) -> Experiment:
    """An :class:`Experiment` from a row of :data:`_COLUMNS` (plus ``live_count`` when selected)."""
    definition = row.definition
    analysis = definition["analysis"]
    variants = tuple(
        VariantView(
            id=str(v["variantId"]),
            name=str(v["name"]),
            weight=float(v["weight"]),
            config=json_copy(v.get("config") or {}),
        )
        for v in row.variants
    )
    count = participants
    if count is None:
        count = int(getattr(row, "live_count", row.currentParticipants))
    return Experiment(
        id=row.id,
        name=row.experimentName,
        description=str(definition.get("description", "")),
        context=PersonalizationContext(row.context),
        status=ExperimentStatus(row.status),
        state=state_at(row.startDate, row.endDate, row.stoppedAt, now),
        owner_id=row.userId,
        created_by=row.createdBy,
        variants=variants,
        control_id=variants[0].id,
        primary_metric=str(definition["primaryMetric"]),
        guardrail_metrics=tuple(definition.get("guardrailMetrics", ())),
        min_participants_per_arm=int(row.minParticipants),
        min_duration_days=int(row.minDuration),
        cuped_covariate=bool(definition.get("cupedCovariate", False)),
        start_date=row.startDate,
        end_date=row.endDate,
        created_at=row.createdAt,
        stopped_at=row.stoppedAt,
        completed_at=row.completedAt,
        participants=count,
        metrics_as_of=row.metricsAsOf,
        analysis=AnalysisView(
            method=DecisionMethod(analysis["method"]),
            expected_participants=analysis.get("expectedParticipants"),
            sequential_tuning_parameter=float(analysis["sequentialTuningParameter"]),
            difference_type=DifferenceType(analysis["differenceType"]),
            alpha=float(analysis["alpha"]),
        ),
        final=_final(row.result, getattr(row, "statisticalSignificance", None)),
        salt=row.salt,
    )


def not_found(experiment_id: str) -> NotFound:
    """The 404 of an unknown experiment."""
    return NotFound(
        f"no experiment with id {experiment_id!r}; list them with GET /v1/experiments",
        details={"experimentId": experiment_id},
    )


def load_experiment(
    session: Session, experiment_id: str, now: datetime, *, for_update: bool = False
) -> Experiment:
    """The operator experiment ``experiment_id`` (404 when unknown or not an operator's)."""
    sql = (
        f'SELECT {_COLUMNS}, e."statisticalSignificance", {_LIVE_COUNT} '
        "FROM personalization_experiments e WHERE e.id = :id AND e.definition IS NOT NULL"
    )
    if for_update:
        sql += " FOR UPDATE OF e"
    row = session.execute(sa.text(sql), {"id": experiment_id}).first()
    if row is None:
        raise not_found(experiment_id)
    return experiment_from_row(row, storage_time(now))


def list_experiments(
    session: Session,
    now: datetime,
    *,
    status: ExperimentStatus | None = None,
    context: PersonalizationContext | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Experiment], str | None]:
    """Operator experiments, newest first by id (ids are time-ordered), ``limit`` at a time."""
    where = ["e.definition IS NOT NULL"]
    params: dict[str, Any] = {"limit": limit + 1}
    if status is not None:
        where.append('e.status = CAST(:status AS "ExperimentStatus")')
        params["status"] = status.value
    if context is not None:
        where.append('e.context = CAST(:context AS "PersonalizationContext")')
        params["context"] = context.value
    if cursor:
        where.append("e.id < :cursor")
        params["cursor"] = cursor
    sql = (
        f'SELECT {_COLUMNS}, e."statisticalSignificance", {_LIVE_COUNT} '
        f"FROM personalization_experiments e WHERE {' AND '.join(where)} "
        "ORDER BY e.id DESC LIMIT :limit"
    )
    rows = session.execute(sa.text(sql), params).all()
    more = len(rows) > limit
    items = [experiment_from_row(r, storage_time(now)) for r in rows[:limit]]
    return items, (items[-1].id if more and items else None)


# --- writing -------------------------------------------------------------------------------

_OWNER_PREFERENCES_SQL = sa.text(
    """
    INSERT INTO personalization_preferences
      (id, "userId", "personalizationLevel", "autoAdaptEnabled", "missionPersonalizationEnabled",
       "contentPersonalizationEnabled", "assessmentPersonalizationEnabled",
       "sessionPersonalizationEnabled")
    VALUES (:id, :owner, CAST(:level AS "PersonalizationLevel"), false, false, false, false, false)
    ON CONFLICT ("userId") DO NOTHING
    """
)


def operator_preferences_id(session: Session) -> str:
    """The operator owner's preferences row (created once)."""
    session.execute(
        _OWNER_PREFERENCES_SQL,
        {"id": new_id(), "owner": OPERATOR_OWNER_ID, "level": PersonalizationLevel.NONE.value},
    )
    return str(
        session.execute(
            sa.text('SELECT id FROM personalization_preferences WHERE "userId" = :owner'),
            {"owner": OPERATOR_OWNER_ID},
        ).scalar_one()
    )


def eligible_learners(session: Session) -> int:
    """Learners who could take part now: behavioural analysis on."""
    return int(
        session.execute(
            sa.text('SELECT count(*) FROM users WHERE "behavioralAnalysisEnabled"')
        ).scalar_one()
    )


def _overlapping(
    session: Session, context: PersonalizationContext, start: datetime, end: datetime
) -> Any:
    return session.execute(
        sa.text(
            'SELECT id, "experimentName", "startDate", "endDate" FROM personalization_experiments '
            'WHERE context = CAST(:c AS "PersonalizationContext") AND definition IS NOT NULL '
            "AND status = 'ACTIVE' AND \"stoppedAt\" IS NULL "
            'AND "startDate" < :end AND "endDate" > :start ORDER BY "startDate" LIMIT 1'
        ),
        {"c": context.value, "start": start, "end": end},
    ).first()


def create_experiment(
    session: Session, new: NewExperiment, now: datetime, *, created_by: str | None = None
) -> Experiment:
    """Validate and store a new experiment (422 listing problems; 409 on an overlapping one)."""
    definition, plan = validate_new(new, now)
    lock_learner(session, LearnerLock.EXPERIMENT_DEFINITION, definition.context.value)
    other = _overlapping(session, definition.context, definition.start, definition.end)
    if other is not None:
        raise Conflict(
            f"context: experiment {other.experimentName!r} ({other.id}) already runs in "
            f"{definition.context.value} from {other.startDate:%Y-%m-%d %H:%M} to "
            f"{other.endDate:%Y-%m-%d %H:%M} UTC; a learner's {definition.context.value} "
            "personalization can follow one experiment at a time — stop it first or choose "
            "dates that do not overlap",
            details=[
                {"index": None, "field": "context", "reason": f"overlaps experiment {other.id}"}
            ],
        )
    tau = tuning_parameter(definition, plan, eligible_learners(session))
    experiment_id = new_id()
    document = {
        "version": DEFINITION_VERSION,
        "description": definition.description,
        "primaryMetric": definition.primary_metric,
        "guardrailMetrics": list(definition.guardrail_metrics),
        "cupedCovariate": definition.cuped,
        "analysis": {
            "method": plan.method.value,
            "expectedParticipants": plan.expected_participants,
            "sequentialTuningParameter": tau,
            "differenceType": plan.difference_type.value,
            "alpha": plan.alpha,
        },
    }
    variants = [
        {"variantId": v.variant_id, "name": v.name, "config": dict(v.config), "weight": v.weight}
        for v in definition.variants
    ]
    session.execute(
        sa.text(
            """
            INSERT INTO personalization_experiments
              (id, "userId", "preferencesId", "experimentName", "experimentType", context,
               variants, status, "startDate", "endDate", "minParticipants", "minDuration",
               "currentParticipants", salt, definition, "createdBy", "createdAt")
            VALUES (:id, :owner, :prefs, :name, CAST(:type AS "ExperimentType"),
                    CAST(:context AS "PersonalizationContext"), CAST(:variants AS jsonb),
                    CAST(:status AS "ExperimentStatus"), :start, :end, :min_n, :min_days, 0,
                    :salt, CAST(:definition AS jsonb), :created_by, :now)
            """
        ),
        {
            "id": experiment_id,
            "owner": OPERATOR_OWNER_ID,
            "prefs": operator_preferences_id(session),
            "name": definition.name,
            "type": ExperimentType.AB_TEST.value,
            "context": definition.context.value,
            "variants": _json(variants),
            "status": ExperimentStatus.ACTIVE.value,
            "start": definition.start,
            "end": definition.end,
            "min_n": definition.min_participants_per_arm,
            "min_days": definition.min_duration_days,
            "salt": secrets.token_hex(SALT_BYTES),
            "definition": _json(document),
            "created_by": created_by,
            "now": storage_time(now),
        },
    )
    return load_experiment(session, experiment_id, now)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def stop_experiment(session: Session, experiment_id: str, now: datetime) -> Experiment:
    """Stop a running or scheduled experiment now (409 when already stopped or ended).

    Assignment stops at once; the final metrics and verdict are computed by the next metrics
    run (or ``twin experiment stop``, which computes them right away).
    """
    at = storage_time(now)
    experiment = load_experiment(session, experiment_id, at, for_update=True)
    if experiment.stopped_at is not None:
        raise Conflict(
            f"experiment {experiment_id} was already stopped at "
            f"{experiment.stopped_at:%Y-%m-%d %H:%M:%S} UTC",
            details={"stoppedAt": experiment.stopped_at.isoformat()},
        )
    if experiment.status is not ExperimentStatus.ACTIVE or at >= experiment.end_date:
        raise Conflict(
            f"experiment {experiment_id} already ended on "
            f"{experiment.end_date:%Y-%m-%d %H:%M:%S} UTC; there is nothing to stop",
            details={"endDate": experiment.end_date.isoformat()},
        )
    # Stopped before it started: it never ran, so it is cancelled rather than completed.
    status = (
        ExperimentStatus.CANCELLED if at < experiment.start_date else ExperimentStatus.COMPLETED
    )
    session.execute(
        sa.text(
            'UPDATE personalization_experiments SET "stoppedAt" = :at, "completedAt" = :at, '
            'status = CAST(:status AS "ExperimentStatus") WHERE id = :id'
        ),
        {"at": at, "status": status.value, "id": experiment_id},
    )
    return load_experiment(session, experiment_id, at)


def finite(value: float | None) -> float | None:
    """``value`` when finite, else None (JSON has no NaN)."""
    return value if value is not None and math.isfinite(value) else None
