"""The real content of a session plan (due and new cards, the mission, struggles), read with
the plan's context in one statement.

:func:`plan_inputs` reads what a plan needs — the learner's context of
:mod:`twin.services.orchestration.loading` (timing, busy time and planned sessions around
the start) and the content at the start — in one round trip (:data:`PLAN_INPUTS_SQL`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.orchestration.plan_inputs import (
    DueCard,
    MissionObjective,
    NewCard,
    StruggleForecast,
    ValidationPrompt,
)
from twin.analysis.recall import DEFAULT_RECALL_MODEL
from twin.analysis.recall.fsrs6 import retrievability
from twin.enums import InterventionType, ObjectiveComplexity
from twin.learners import Learner
from twin.services.orchestration.common import stored, utc
from twin.services.orchestration.loading import (
    CONTEXT_COLUMNS,
    CONTEXT_JOINS,
    ScheduleContext,
    context_of,
    context_params,
    facts_of_lengths,
    number,
)

MAX_DUE_CARDS = 400
MAX_NEW_CARDS = 60
MAX_STRUGGLES = 3
STRUGGLE_MIN_PROBABILITY = 0.5
STRUGGLE_HORIZON_DAYS = 14
VALIDATED_SCORE = 0.7
VALIDATION_RECENT_DAYS = 14
OPEN_MISSION_STATUSES = ("PENDING", "IN_PROGRESS")
SECONDS_PER_DAY = 86_400.0
DEFAULT_OBJECTIVE_MINUTES = 10.0


# --- the content of a plan ----------------------------------------------------------------


CONTENT_CTES = """
    WITH mission AS (
      -- the given mission, else the learner's first open mission of the plan's local day
      SELECT m.id, m.date, m.objectives FROM missions m
      WHERE m."userId" = :u AND (
        m.id = :mission OR (
          :mission = '' AND m.date >= :day_start AND m.date < :day_end
          AND m.status::text = ANY(:open)))
      ORDER BY m.date, m.id LIMIT 1
    ), objective_ids AS (
      SELECT DISTINCT o->>'objectiveId' AS id
      FROM mission,
           jsonb_array_elements(CASE WHEN jsonb_typeof(mission.objectives) = 'array'
                                     THEN mission.objectives ELSE '[]'::jsonb END) o
      WHERE jsonb_typeof(o) = 'object' AND coalesce(o->>'objectiveId', '') <> ''
    ), due AS (
      SELECT c.id, c."objectiveId", c.stability, c."lastReviewedAt", c."nextReviewAt"
      FROM cards c JOIN courses co ON co.id = c."courseId"
      WHERE co."userId" = :u AND c."lastReviewedAt" IS NOT NULL AND c."nextReviewAt" <= :due
      ORDER BY c."nextReviewAt", c.id
      LIMIT :n_due
    ), fresh AS (
      SELECT c.id, c."objectiveId",
             row_number() OVER (
               ORDER BY (c."objectiveId" IN (SELECT id FROM objective_ids)) DESC NULLS LAST, c.id
             ) AS k
      FROM cards c JOIN courses co ON co.id = c."courseId"
      WHERE co."userId" = :u AND c."reviewCount" = 0 AND c."lastReviewedAt" IS NULL
      ORDER BY (c."objectiveId" IN (SELECT id FROM objective_ids)) DESC NULLS LAST, c.id
      LIMIT :n_new
    ), struggles AS (
      SELECT p.id, p."learningObjectiveId" AS objective_id,
             p."predictedStruggleProbability" AS p,
             coalesce(array_to_string(array_agg(i."interventionType"::text ORDER BY i.priority DESC)
                      FILTER (WHERE i.id IS NOT NULL), ','), '') AS interventions
      FROM struggle_predictions p
      LEFT JOIN intervention_recommendations i
        ON i."predictionId" = p.id AND i."userId" = :u AND i.status IN ('PENDING', 'IN_PROGRESS')
      WHERE p."userId" = :u AND p."predictionStatus" = 'PENDING'
        AND p."predictedStruggleProbability" >= :min_p
        AND p."predictionDate" <= :horizon AND p."predictedAt" <= :now
      GROUP BY p.id
      ORDER BY p."predictedStruggleProbability" DESC, p.id
      LIMIT :n_struggles
    )
"""
CONTENT_COLUMNS = """
      (SELECT array_agg(id ORDER BY "nextReviewAt", id) FROM due) AS due_ids,
      (SELECT array_agg("objectiveId" ORDER BY "nextReviewAt", id) FROM due) AS due_objectives,
      (SELECT array_agg(stability::float8 ORDER BY "nextReviewAt", id) FROM due) AS due_stability,
      (SELECT array_agg("lastReviewedAt" ORDER BY "nextReviewAt", id) FROM due) AS due_last,
      (SELECT array_agg(id ORDER BY k) FROM fresh) AS new_ids,
      (SELECT array_agg("objectiveId" ORDER BY k) FROM fresh) AS new_objectives,
      (SELECT array_agg(objective_id ORDER BY p DESC, id) FROM struggles) AS struggle_objectives,
      (SELECT array_agg(p::float8 ORDER BY p DESC, id) FROM struggles) AS struggle_p,
      (SELECT array_agg(interventions ORDER BY p DESC, id) FROM struggles) AS struggle_kinds,
      mission.id AS mission_id, mission.date AS mission_date, mission.objectives,
      (SELECT array_agg(lo.complexity::text) FROM learning_objectives lo
        WHERE lo.id IN (SELECT id FROM objective_ids)) AS complexities,
      (SELECT array_agg(DISTINCT v."objectiveId") FROM validation_responses v
        WHERE v."userId" = :u AND v."objectiveId" IN (SELECT id FROM objective_ids)
          AND v.score >= :ok AND v."respondedAt" >= :validated_since
          AND v."respondedAt" < :at) AS validated
"""
PLAN_CONTENT_SQL = sa.text(
    f"{CONTENT_CTES} SELECT {CONTENT_COLUMNS} FROM (SELECT 1) AS one LEFT JOIN mission ON true"
)
"""The content of a plan starting at ``:at`` in one round trip: due cards (by the end of the
longest session), new cards (the mission's objectives first), predicted struggles with their
open interventions, the mission (given, or the open one of the local day) with the complexity
of its objectives and which of them were validated in the last 14 days."""


@dataclass(frozen=True)
class MissionInfo:
    """The mission a plan serves: its id, date and objectives."""

    mission_id: str
    date: datetime
    objectives: tuple[MissionObjective, ...]


@dataclass(frozen=True)
class PlanContent:
    """The learner's real items for a plan starting at ``at``."""

    due_cards: tuple[DueCard, ...]
    new_cards: tuple[NewCard, ...]
    mission: MissionInfo | None
    validations: tuple[ValidationPrompt, ...]
    struggles: tuple[StruggleForecast, ...]
    complexity: ObjectiveComplexity


COMPLEXITY_ORDER = (
    ObjectiveComplexity.BASIC,
    ObjectiveComplexity.INTERMEDIATE,
    ObjectiveComplexity.ADVANCED,
)


def _objectives(data: Any) -> tuple[MissionObjective, ...]:
    out = []
    for o in data or []:
        if not isinstance(o, dict) or not o.get("objectiveId"):
            continue
        minutes = number(o.get("estimatedMinutes"))
        out.append(
            MissionObjective(
                objective_id=str(o["objectiveId"]),
                estimated_minutes=minutes if minutes and minutes > 0 else DEFAULT_OBJECTIVE_MINUTES,
                completed=bool(o.get("completed", False)),
            )
        )
    return tuple(out)


def _complexity(levels: Sequence[str] | None) -> ObjectiveComplexity:
    """The most demanding complexity among the mission's objectives (INTERMEDIATE without one)."""
    known = {c.value for c in COMPLEXITY_ORDER}
    found = [ObjectiveComplexity(v) for v in levels or [] if v in known]
    return max(found, key=COMPLEXITY_ORDER.index) if found else ObjectiveComplexity.INTERMEDIATE


def _validations(
    objectives: Sequence[MissionObjective], validated: Sequence[str] | None
) -> tuple[ValidationPrompt, ...]:
    """A validation for each open mission objective not validated (score ≥ 0.7) in 14 days."""
    done = set(validated or [])
    return tuple(
        ValidationPrompt(f"{o.objective_id}:validation", o.objective_id, "EXPLAIN_TO_PATIENT")
        for o in objectives
        if not o.completed and o.objective_id not in done
    )


def _content_params(
    learner: Learner, at: datetime, minutes: float, mission_id: str | None, now: datetime
) -> dict[str, Any]:
    local = at.astimezone(learner.zone).date()
    day_start = datetime(local.year, local.month, local.day, tzinfo=learner.zone)
    return {
        "u": learner.user_id,
        "mission": mission_id or "",
        "day_start": stored(day_start),
        "day_end": stored(day_start + timedelta(days=1)),
        "open": list(OPEN_MISSION_STATUSES),
        "due": stored(at + timedelta(minutes=minutes)),
        "n_due": MAX_DUE_CARDS,
        "n_new": MAX_NEW_CARDS,
        "min_p": STRUGGLE_MIN_PROBABILITY,
        "horizon": stored(at + timedelta(days=STRUGGLE_HORIZON_DAYS)),
        "now": stored(now),
        "n_struggles": MAX_STRUGGLES,
        "ok": VALIDATED_SCORE,
        "validated_since": stored(at - timedelta(days=VALIDATION_RECENT_DAYS)),
        "at": stored(at),
    }


def _content_of(row: Any, at: datetime, recall_weights: Any) -> PlanContent:
    weights = DEFAULT_RECALL_MODEL.weights if recall_weights is None else recall_weights
    due = []
    for card_id, objective_id, stability, last in zip(
        row.due_ids or [],
        row.due_objectives or [],
        row.due_stability or [],
        row.due_last or [],
        strict=True,
    ):
        elapsed = max(0.0, (at - utc(last)).total_seconds() / SECONDS_PER_DAY)
        recall = float(retrievability(weights, max(float(stability), 0.001), elapsed))
        due.append(DueCard(card_id, min(1.0, max(0.0, recall)), objective_id))
    mission = (
        MissionInfo(row.mission_id, utc(row.mission_date), _objectives(row.objectives))
        if row.mission_id is not None
        else None
    )
    struggles = []
    for objective_id, p, kinds in zip(
        row.struggle_objectives or [], row.struggle_p or [], row.struggle_kinds or [], strict=True
    ):
        types = tuple(
            dict.fromkeys(
                InterventionType(k)
                for k in kinds.split(",")
                if k in InterventionType._value2member_map_
            )
        )
        struggles.append(StruggleForecast(objective_id, float(p), types))
    return PlanContent(
        due_cards=tuple(due),
        new_cards=tuple(
            NewCard(c, o) for c, o in zip(row.new_ids or [], row.new_objectives or [], strict=True)
        ),
        mission=mission,
        validations=_validations(mission.objectives, row.validated) if mission else (),
        struggles=tuple(struggles),
        complexity=_complexity(row.complexities),
    )


def plan_content(
    session: Session,
    learner: Learner,
    at: datetime,
    minutes: float,
    mission_id: str | None,
    now: datetime,
    *,
    recall_weights: Any = None,
) -> PlanContent:
    """Due cards (recall at ``at`` with the learner's model), new cards, the mission and struggles.

    ``recall_weights``: the learner's memory-model weights (:class:`ScheduleContext` has them);
    the FSRS-6 defaults when None.
    """
    at = utc(at)
    params = _content_params(learner, at, minutes, mission_id, now)
    return _content_of(session.execute(PLAN_CONTENT_SQL, params).one(), at, recall_weights)


PLAN_INPUTS_SQL = sa.text(
    f"{CONTENT_CTES} SELECT {CONTEXT_COLUMNS}, {CONTENT_COLUMNS} "
    f"FROM (SELECT 1) AS one {CONTEXT_JOINS} LEFT JOIN mission ON true"
)
""":data:`CONTEXT_SQL` and :data:`PLAN_CONTENT_SQL` in one statement: all a plan reads."""


def plan_inputs(
    session: Session,
    learner: Learner,
    at: datetime,
    now: datetime,
    *,
    minutes: float,
    mission_id: str | None,
    window: tuple[datetime, datetime],
    exclude: str | None = None,
) -> tuple[ScheduleContext, PlanContent]:
    """A plan's context (timing, busy time and planned sessions of ``window``, without hour
    scores) and its content at ``at``, in one round trip (:data:`PLAN_INPUTS_SQL`)."""
    now, at = utc(now), utc(at)
    params = context_params(
        learner, now, window, hour_scores=False, exclude=exclude, pending_slots=False
    )
    params |= _content_params(learner, at, minutes, mission_id, now)
    row = session.execute(PLAN_INPUTS_SQL, params).one()
    context = context_of(learner, now, row, facts_of_lengths(row))
    return context, _content_of(row, at, context.recall_weights)
