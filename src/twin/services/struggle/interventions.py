"""Applying an intervention to one of the learner's missions (ENGINE.md 5.2).

The mission is the given one (must be the learner's: 404; not PENDING: 409 Conflict),
else the learner's next PENDING mission (dated from 24 h before ``now``) planning the
related objective, else the next PENDING mission (none: 409). When that mission does not
plan the objective, the objective is added to it (with the mission's mean minutes per
objective) so the change has something to act on. The mission changes as the pure
:func:`twin.analysis.struggle.workflow.apply_intervention` says; mission-level settings
the ``missions`` table has no column for (break interval, content format, difficulty
ramp, extra review sessions, the interventions applied) are kept on the objective's
entry of ``missions.objectives``; inserted prerequisite reviews are new entries
(``prerequisiteFor``). ``recommendedDuration`` scales with ``estimatedMinutes``. The
intervention becomes IN_PROGRESS with ``appliedAt`` / ``appliedToMissionId``; the
prediction records ``interventionApplied`` / ``interventionId``. Already applied: 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.struggle.contexts import (
    PENDING_MISSION_GRACE,
    WORKLOAD_HORIZON,
    mission_objective_ids,
    prerequisite_masteries,
)
from twin.analysis.struggle.features import PREREQUISITE_MASTERY_THRESHOLD
from twin.analysis.struggle.workflow import PREREQUISITE_REVIEW_MINUTES, Mission
from twin.analysis.struggle.workflow import apply_intervention as apply_to_mission
from twin.db.models import InterventionRecommendation, StrugglePrediction
from twin.db.models import Mission as MissionRow
from twin.enums import InterventionStatus, InterventionType, MissionStatus
from twin.errors import Conflict, NotFound
from twin.learners import analysis_learner
from twin.services.struggle.loading import learner_state, load_learner_data
from twin.services.struggle.views import InterventionView

MISSION_ENTRY_KEYS = {
    "break_interval_minutes": "breakIntervalMinutes",
    "content_type": "contentType",
    "extra_review_sessions": "extraReviewSessions",
    "difficulty_ramp": "difficultyRamp",
}
"""Pure ``Mission`` fields kept on the objective's entry of ``missions.objectives``."""


@dataclass(frozen=True)
class MissionSummary:
    """What an intervention changes of a mission: its time and its objectives."""

    estimated_minutes: int
    recommended_duration: int | None
    objective_ids: list[str]


@dataclass(frozen=True)
class ApplyResult:
    """The applied intervention and the mission before and after."""

    intervention: InterventionView
    mission: MissionRow
    before: MissionSummary
    after: MissionSummary


def _choose_mission(
    session: Session, user_id: str, objective_id: str | None, mission_id: str | None, now: datetime
) -> MissionRow:
    """The given mission (404 / 409 when not usable) or the next PENDING one."""
    if mission_id is not None:
        mission = session.scalars(
            sa.select(MissionRow)
            .where(MissionRow.id == mission_id, MissionRow.userId == user_id)
            .with_for_update()
        ).first()
        if mission is None:
            raise NotFound(f"learner {user_id!r} has no mission {mission_id!r}")
        if mission.status != MissionStatus.PENDING:
            raise Conflict(
                f"mission {mission_id!r} is {mission.status.value}: interventions change only "
                "PENDING missions",
                details={"missionId": mission_id, "status": mission.status.value},
            )
        return mission
    pending = session.scalars(
        sa.select(MissionRow)
        .where(
            MissionRow.userId == user_id,
            MissionRow.status == MissionStatus.PENDING,
            MissionRow.date >= now - PENDING_MISSION_GRACE,
        )
        .order_by(MissionRow.date, MissionRow.id)
        .with_for_update()
    ).all()
    for m in pending:
        if objective_id is not None and objective_id in mission_objective_ids(m.objectives):
            return m
    if not pending:
        raise Conflict(
            f"learner {user_id!r} has no PENDING mission to apply the intervention to; "
            "create one or pass missionId",
            details={"missionId": None},
        )
    return pending[0]


def _mission_summary(m: MissionRow) -> MissionSummary:
    return MissionSummary(
        m.estimatedMinutes, m.recommendedDuration, mission_objective_ids(m.objectives)
    )


def apply_intervention(
    session: Session,
    user_id: str,
    intervention_id: str,
    *,
    mission_id: str | None = None,
    now: datetime,
) -> ApplyResult:
    """Apply one of the learner's interventions to a mission (see the module docstring).

    404: unknown learner, intervention or mission; 403: analysis off; 409: already
    applied, mission not PENDING, or no PENDING mission.
    """
    learner = learner_state(session, analysis_learner(session, user_id), now)
    iv = session.scalars(
        sa.select(InterventionRecommendation)
        .where(
            InterventionRecommendation.id == intervention_id,
            InterventionRecommendation.userId == user_id,
        )
        .with_for_update()
    ).first()
    if iv is None:
        raise NotFound(f"learner {user_id!r} has no intervention {intervention_id!r}")
    if iv.appliedAt is not None or iv.status != InterventionStatus.PENDING:
        raise Conflict(
            f"intervention {intervention_id!r} was already applied"
            + (f" to mission {iv.appliedToMissionId!r}" if iv.appliedToMissionId else "")
            + f" (status {iv.status.value})",
            details={"interventionId": intervention_id, "status": iv.status.value},
        )
    objective_id = iv.relatedObjectiveId
    mission = _choose_mission(session, user_id, objective_id, mission_id, now)
    before = _mission_summary(mission)
    entries: list[Any] = [
        dict(e) if isinstance(e, dict) else {"objectiveId": e} if isinstance(e, str) else e
        for e in mission.objectives or []
    ]
    ids = mission_objective_ids(entries)
    estimated = float(mission.estimatedMinutes)
    if objective_id is not None and objective_id not in ids:
        per = round(estimated / len(ids)) if ids else round(estimated)
        entries.append({"objectiveId": objective_id, "estimatedMinutes": per, "completed": False})
        estimated += per if ids else 0
        ids.append(objective_id)
    entry = next(
        (e for e in entries if isinstance(e, dict) and e.get("objectiveId") == objective_id),
        {},
    )
    pure = Mission(
        objective_ids=tuple(ids),
        estimated_minutes=estimated,
        break_interval_minutes=entry.get("breakIntervalMinutes"),
        content_type=entry.get("contentType"),
        extra_review_sessions=int(entry.get("extraReviewSessions", 0)),
        difficulty_ramp=bool(entry.get("difficultyRamp", False)),
    )
    weak: list[str] = []
    if objective_id is not None and iv.interventionType == InterventionType.PREREQUISITE_REVIEW:
        data = load_learner_data(session, learner, now, WORKLOAD_HORIZON)
        recalls = data.objective_recalls()
        weak = [
            p
            for p, m in prerequisite_masteries(data, recalls, objective_id)
            if m < PREREQUISITE_MASTERY_THRESHOLD
        ]
    changed = apply_to_mission(
        pure,
        iv.interventionType,
        objective_id=objective_id or "",
        weak_prerequisite_ids=weak,
        profile=learner.profile,
    )
    by_id = {e["objectiveId"]: e for e in entries if isinstance(e, dict) and "objectiveId" in e}
    new_entries: list[Any] = []
    for oid in changed.objective_ids:
        if oid in by_id:
            new_entries.append(by_id[oid])
        else:
            new_entries.append(
                {
                    "objectiveId": oid,
                    "estimatedMinutes": round(PREREQUISITE_REVIEW_MINUTES),
                    "completed": False,
                    "prerequisiteFor": objective_id,
                    "interventionId": iv.id,
                }
            )
    new_entries.extend(e for e in entries if not (isinstance(e, dict) and "objectiveId" in e))
    if objective_id is not None and objective_id in by_id:
        target = by_id[objective_id]
        for attr, key in MISSION_ENTRY_KEYS.items():
            value = getattr(changed, attr)
            if value != getattr(pure, attr) or key in target:
                target[key] = value
        target["interventions"] = [*target.get("interventions", []), iv.id]
    if mission.estimatedMinutes > 0 and mission.recommendedDuration is not None:
        ratio = changed.estimated_minutes / float(mission.estimatedMinutes)
        mission.recommendedDuration = round(mission.recommendedDuration * ratio)
    mission.estimatedMinutes = round(changed.estimated_minutes)
    mission.objectives = new_entries
    iv.appliedAt = now
    iv.appliedToMissionId = mission.id
    iv.status = InterventionStatus.IN_PROGRESS
    if iv.predictionId is not None:
        session.execute(
            sa.update(StrugglePrediction)
            .where(StrugglePrediction.id == iv.predictionId)
            .values(interventionApplied=True, interventionId=iv.id)
        )
    session.flush()
    return ApplyResult(InterventionView.of(iv), mission, before, _mission_summary(mission))
