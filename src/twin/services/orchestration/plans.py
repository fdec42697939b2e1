"""Session plans: made from the learner's real items, persisted, listed, cancelled; actuals recorded.

A plan is made for a start time (or an accepted slot) and an optional mission
(:func:`create_plan`): the twin's timing numbers and the content of the day (due cards
with their recall at the start, new cards, the mission's objectives and validations,
predicted struggles with their interventions) go to
:func:`twin.analysis.orchestration.plan.plan_session`, with the calendar's busy time and
the learner's other planned sessions as what the session must end before. The plan is
stored in ``session_orchestration_plans.planData`` (items, breaks, phases, reasons,
expected load) and placed on the schedule in ``planned_sessions``; the mission's
orchestration fields (``recommendedStartTime``, ``recommendedDuration``) are set.

When sessions arrive (:func:`record_actuals`, called after every ingested batch of
sessions, reviews or validations), each is matched to the planned session it followed:
started within ±30 minutes of the plan, or of the plan's mission on the same local day,
closest first. The plan's ``planData.actuals`` gets the actual start, duration and items
done; ``planned_sessions.status`` becomes DONE.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.orchestration.busy import BUSY_WEIGHT, BusyInterval, BusyTime
from twin.analysis.orchestration.effectiveness import START_TOLERANCE_MINUTES
from twin.analysis.orchestration.plan import actuals_from_items, plan_session
from twin.analysis.orchestration.plan_inputs import PlanConflict, PlanRequest
from twin.db.base import new_id
from twin.db.engine import Database
from twin.db.models import (
    CalendarIntegration,
    CalendarSyncState,
    Mission,
    PlannedSession,
    SessionOrchestrationPlan,
)
from twin.errors import Conflict, NotFound, ValidationFailed
from twin.learners import (
    Learner,
    LearnerLock,
    analysis_learner,
    learner_zone,
    lock_learner,
    locked_analysis_learner,
)
from twin.services.orchestration.common import (
    CalendarKind,
    PlanStatus,
    age_minutes,
    calendar_uid,
    stored,
    utc,
)
from twin.services.orchestration.content import plan_inputs
from twin.services.orchestration.loading import ScheduleInputs

MAX_PLAN_AHEAD_DAYS = 60
PAST_START_GRACE = timedelta(minutes=5)
# Busy time read around a plan's start: enough for the longest session and its buffer.
PLAN_BUSY_SPAN = timedelta(hours=4)
# Due cards are those due by the end of the longest possible session.
LONGEST_SESSION_MINUTES = 120.0
MAX_LIST_PLANS = 500
ACTUALS_MATCH_WINDOW = timedelta(days=2)
ACTUALS_KINDS = frozenset({"sessions", "reviews", "validations"})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanView:
    """A stored plan on the schedule, with what happened (``actuals``) once a session followed it."""

    id: str
    status: str
    mission_id: str | None
    slot_id: str | None
    planned_start: datetime
    planned_end: datetime
    duration_minutes: int
    timezone: str
    intensity: str
    phases: list[dict[str, Any]]
    breaks: list[dict[str, Any]]
    items: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    reasons: dict[str, Any]
    expected_load: dict[str, Any]
    actuals: dict[str, Any] | None
    session_id: str | None
    calendar_uid: str
    calendar_sequence: int
    busy_age_minutes: float | None
    created_at: datetime
    updated_at: datetime
    write_back: bool = False
    """CalDAV write-back is on (not part of the answer): the router writes the change back."""


def plan_view(
    plan: SessionOrchestrationPlan,
    placed: PlannedSession,
    now: datetime | None = None,
    *,
    write_back: bool = False,
) -> PlanView:
    """The view of a stored plan and its place on the schedule."""
    data = plan.planData
    synced = data.get("busySyncedAt")
    zone = learner_zone(str(data.get("timezone", "UTC")))
    return PlanView(
        id=plan.id,
        status=placed.status,
        mission_id=plan.missionId,
        slot_id=placed.slotId,
        planned_start=utc(placed.plannedStart).astimezone(zone),
        planned_end=utc(placed.plannedEnd).astimezone(zone),
        duration_minutes=int(data.get("durationMinutes", 0)),
        timezone=str(data.get("timezone", "UTC")),
        intensity=str(data.get("intensity", "")),
        phases=list(data.get("phases", [])),
        breaks=list(data.get("breaks", [])),
        items=list(data.get("items", [])),
        conflicts=list(data.get("conflicts", [])),
        reasons=dict(data.get("reasons", {})),
        expected_load=dict(data.get("expectedLoad", {})),
        actuals=data.get("actuals"),
        session_id=placed.sessionId,
        calendar_uid=placed.calendarUid,
        calendar_sequence=placed.calendarSequence,
        busy_age_minutes=(
            age_minutes(datetime.fromisoformat(synced), now) if synced and now else None
        ),
        created_at=utc(plan.createdAt),
        updated_at=utc(placed.updatedAt),
        write_back=write_back,
    )


def planned_blocks(
    session: Session,
    user_id: str,
    start: datetime,
    end: datetime,
    *,
    exclude: str | None = None,
) -> list[tuple[datetime, datetime]]:
    """The learner's PLANNED sessions overlapping ``[start, end)`` (except plan ``exclude``)."""
    rows = session.execute(
        sa.select(
            PlannedSession.planId, PlannedSession.plannedStart, PlannedSession.plannedEnd
        ).where(
            PlannedSession.userId == user_id,
            PlannedSession.status == PlanStatus.PLANNED,
            PlannedSession.plannedStart < stored(end),
            PlannedSession.plannedEnd > stored(start),
        )
    )
    return [(utc(s), utc(e)) for pid, s, e in rows if pid != exclude]


def _check_start(start: datetime, now: datetime) -> None:
    if start < utc(now) - PAST_START_GRACE:
        raise ValidationFailed(
            "startTime is in the past; plan a session that starts now or later",
            details=[{"index": None, "field": "startTime", "reason": "in the past"}],
        )
    if start > utc(now) + timedelta(days=MAX_PLAN_AHEAD_DAYS):
        raise ValidationFailed(
            f"startTime is more than {MAX_PLAN_AHEAD_DAYS} days ahead",
            details=[{"index": None, "field": "startTime", "reason": "too far ahead"}],
        )


def compute_plan_data(
    session: Session,
    learner: Learner,
    start: datetime,
    now: datetime,
    *,
    mission_id: str | None,
    inputs: ScheduleInputs | None = None,
    exclude: str | None = None,
) -> tuple[dict[str, Any], datetime, datetime, str | None, bool]:
    """The plan at ``start`` as ``planData`` JSON, its start and end, its mission id and whether
    write-back is on (409 when busy). One statement reads the context around ``start``
    (calendar busy time and the other planned sessions, timing) and the plan's content."""
    context, content = plan_inputs(
        session,
        learner,
        start,
        now,
        minutes=LONGEST_SESSION_MINUTES,
        mission_id=mission_id,
        window=(start - PLAN_BUSY_SPAN, start + PLAN_BUSY_SPAN),
        exclude=exclude,
    )
    inputs = inputs or context.inputs
    busy = BusyTime.of(
        [
            *context.busy.busy.segments,
            *(BusyInterval(s, e, BUSY_WEIGHT) for s, e in context.planned),
        ]
    )
    synced_at = context.busy.synced_at
    if mission_id is not None and content.mission is None:
        raise NotFound(f"learner {learner.user_id!r} has no mission {mission_id!r}")
    mission = content.mission
    request = PlanRequest(
        start=start,
        timezone=learner.timezone,
        complexity=content.complexity,
        mission_id=mission.mission_id if mission else None,
        due_cards=content.due_cards,
        new_cards=content.new_cards,
        objectives=mission.objectives if mission else (),
        validations=content.validations,
        struggles=content.struggles,
        item_times=inputs.item_times,
        timing=inputs.timing,
        busy=busy,
    )
    try:
        plan = plan_session(request)
    except PlanConflict as exc:
        raise Conflict(
            f"cannot plan a session at {start.isoformat()}: {exc}; ask GET …/schedule/slots "
            "for free times",
            details={
                "freeMinutes": round(exc.free_minutes, 1),
                "busyFrom": exc.busy_from.isoformat() if exc.busy_from else None,
            },
        ) from exc
    data = plan.to_plan_data()
    data["busySyncedAt"] = synced_at.isoformat() if synced_at else None
    return data, utc(plan.start), utc(plan.end), request.mission_id, context.write_back


STORE_PLAN_SQL = sa.text(
    """
    WITH plan AS (
      INSERT INTO session_orchestration_plans (id, "userId", "missionId", "planData", "createdAt")
      VALUES (:plan_id, :u, :mission, CAST(:data AS jsonb), :now)
    ), mission AS (
      UPDATE missions SET "recommendedStartTime" = :start, "recommendedDuration" = :minutes
      WHERE id = :mission AND "userId" = :u
    )
    INSERT INTO planned_sessions ("userId", id, "planId", "slotId", "missionId", "plannedStart",
                                  "plannedEnd", status, "calendarUid", "calendarSequence",
                                  "createdAt", "updatedAt")
    VALUES (:u, :placed_id, :plan_id, :slot, :mission, :start, :end, :status, :uid, 0, :now, :now)
    """
)
"""A new plan, its place on the schedule and its mission's orchestration fields: one statement
(the planned session's foreign key is checked at its end, after the plan's insert)."""


def create_plan(
    session: Session,
    user_id: str,
    start: datetime,
    now: datetime,
    *,
    mission_id: str | None = None,
    slot_id: str | None = None,
) -> PlanView:
    """Plan a session at ``start`` (aware) from the learner's items; store it on the schedule."""
    learner = locked_analysis_learner(session, user_id, LearnerLock.SCHEDULE)
    return plan_for(session, learner, utc(start), now, mission_id=mission_id, slot_id=slot_id)


def plan_for(
    session: Session,
    learner: Learner,
    start: datetime,
    now: datetime,
    *,
    mission_id: str | None = None,
    slot_id: str | None = None,
) -> PlanView:
    """:func:`create_plan` for a learner already read and locked (``LearnerLock.SCHEDULE``)."""
    user_id = learner.user_id
    start = utc(start)
    _check_start(start, now)
    data, begin, end, mission, write_back = compute_plan_data(
        session, learner, start, now, mission_id=mission_id
    )
    data["slotId"] = slot_id
    plan = SessionOrchestrationPlan(
        id=new_id(), userId=user_id, missionId=mission, planData=data, createdAt=stored(now)
    )
    placed = PlannedSession(
        userId=user_id,
        id=new_id(),
        planId=plan.id,
        slotId=slot_id,
        missionId=mission,
        plannedStart=stored(begin),
        plannedEnd=stored(end),
        status=PlanStatus.PLANNED.value,
        calendarUid=calendar_uid(plan.id),
        calendarSequence=0,
        createdAt=stored(now),
        updatedAt=stored(now),
    )
    session.execute(
        STORE_PLAN_SQL,
        {
            "plan_id": plan.id,
            "placed_id": placed.id,
            "u": user_id,
            "mission": mission,
            "slot": slot_id,
            "data": json.dumps(data),
            "now": stored(now),
            "start": placed.plannedStart,
            "end": placed.plannedEnd,
            "minutes": data["durationMinutes"],
            "status": placed.status,
            "uid": placed.calendarUid,
        },
    )
    # ``plan`` and ``placed`` stay transient: the statement above stored them.
    return plan_view(plan, placed, now, write_back=write_back)


def _plan_row(session: Session, user_id: str, plan_id: str, *extra: Any) -> tuple[Any, ...]:
    """The plan with its planned session (and ``extra`` columns); 404 when the learner has none."""
    row = session.execute(
        sa.select(SessionOrchestrationPlan, PlannedSession, *extra)
        .join(PlannedSession, PlannedSession.planId == SessionOrchestrationPlan.id)
        .where(
            SessionOrchestrationPlan.userId == user_id,
            SessionOrchestrationPlan.id == plan_id,
            PlannedSession.userId == user_id,
        )
    ).first()
    if row is None:
        raise NotFound(f"learner {user_id!r} has no session plan {plan_id!r}")
    return tuple(row)


def load_plan(
    session: Session, user_id: str, plan_id: str
) -> tuple[SessionOrchestrationPlan, PlannedSession]:
    row = _plan_row(session, user_id, plan_id)
    return row[0], row[1]


def get_plan(session: Session, user_id: str, plan_id: str, now: datetime) -> PlanView:
    """One stored plan of the learner (404 for another learner's)."""
    analysis_learner(session, user_id)
    plan, placed = load_plan(session, user_id, plan_id)
    return plan_view(plan, placed, now)


@dataclass(frozen=True)
class PlanList:
    """The learner's plans of a window."""

    start: datetime
    end: datetime
    plans: tuple[PlanView, ...]


def plans_between(
    session: Session, user_id: str, start: datetime, end: datetime, now: datetime
) -> PlanList:
    """``GET …/session-plans``: the plans whose planned start lies in ``[start, end)``."""
    return PlanList(utc(start), utc(end), tuple(list_plans(session, user_id, start, end, now)))


def list_plans(
    session: Session, user_id: str, start: datetime, end: datetime, now: datetime
) -> list[PlanView]:
    """The learner's plans whose planned start lies in ``[start, end)``, in time order."""
    analysis_learner(session, user_id)
    rows = session.execute(
        sa.select(SessionOrchestrationPlan, PlannedSession)
        .join(PlannedSession, PlannedSession.planId == SessionOrchestrationPlan.id)
        .where(
            PlannedSession.userId == user_id,
            SessionOrchestrationPlan.userId == user_id,
            PlannedSession.plannedStart >= stored(start),
            PlannedSession.plannedStart < stored(end),
        )
        .order_by(PlannedSession.plannedStart, PlannedSession.id)
        .limit(MAX_LIST_PLANS)
    ).all()
    return [plan_view(p, s, now) for p, s in rows]


WRITE_BACK_ON = (
    sa.select(CalendarSyncState.writeBack)
    .join(CalendarIntegration, CalendarIntegration.userId == CalendarSyncState.userId)
    .where(CalendarIntegration.calendarProvider == CalendarKind.CALDAV.value)
)


def cancel_plan(session: Session, user_id: str, plan_id: str, now: datetime) -> PlanView:
    """Take a planned session off the schedule (its calendar event goes at the next write-back)."""
    locked_analysis_learner(session, user_id, LearnerLock.SCHEDULE)
    plan, placed, write_back = _plan_row(
        session,
        user_id,
        plan_id,
        WRITE_BACK_ON.where(CalendarSyncState.userId == user_id).scalar_subquery(),
    )
    if placed.status != PlanStatus.PLANNED:
        raise Conflict(
            f"session plan {plan_id!r} is {placed.status}, not PLANNED: nothing to cancel"
        )
    placed.status = PlanStatus.CANCELLED.value
    placed.calendarSequence += 1
    placed.updatedAt = stored(now)
    session.flush()
    return plan_view(plan, placed, now, write_back=bool(write_back))


# --- actuals --------------------------------------------------------------------------------

ACTUAL_SESSIONS_SQL = sa.text(
    """
    SELECT s.id, s."startedAt", s."missionId",
           coalesce(s."durationMs" / 60000.0,
                    extract(epoch FROM s."completedAt" - s."startedAt") / 60.0)::float8 AS minutes,
           s."objectiveCompletions" AS completions,
           coalesce((SELECT array_agg(DISTINCT r."cardId") FROM reviews r
                      WHERE r."userId" = :u AND r."sessionId" = s.id), ARRAY[]::text[]) AS cards,
           coalesce((SELECT array_agg(DISTINCT c."objectiveId") FROM reviews r
                      JOIN cards c ON c.id = r."cardId"
                      WHERE r."userId" = :u AND r."sessionId" = s.id
                        AND c."objectiveId" IS NOT NULL), ARRAY[]::text[]) AS card_objectives,
           coalesce((SELECT array_agg(DISTINCT v."objectiveId") FROM validation_responses v
                      WHERE v."userId" = :u AND v."sessionId" = s.id
                        AND v."objectiveId" IS NOT NULL), ARRAY[]::text[]) AS validated
    FROM study_sessions s
    WHERE s."userId" = :u AND s.id = ANY(:ids)
    """
)


def _done_ids(row: Any) -> frozenset[str]:
    """Ids a plan item may be marked done by: reviewed cards, studied and completed objectives,
    ``{objective}:validation`` for validations answered."""
    done: set[str] = set(row.cards) | set(row.card_objectives)
    for c in row.completions or []:
        if isinstance(c, dict) and c.get("objectiveId"):
            done.add(str(c["objectiveId"]))
    done |= {f"{o}:validation" for o in row.validated}
    return frozenset(done)


def _item_ids(items: Sequence[dict[str, Any]]) -> list[frozenset[str]]:
    out = []
    for it in items:
        ids = frozenset(it.get("cardIds", [])) | (
            frozenset([it["refId"]]) if it.get("refId") else frozenset()
        )
        if ids:
            out.append(ids)
    return out


def record_actuals(
    session: Session, user_id: str, session_ids: Sequence[str], now: datetime
) -> int:
    """Match the given study sessions to the planned sessions they followed; store the actuals."""
    if not session_ids:
        return 0
    rows = session.execute(ACTUAL_SESSIONS_SQL, {"u": user_id, "ids": list(session_ids)}).all()
    if not rows:
        return 0
    lock_learner(session, LearnerLock.SCHEDULE, user_id)
    tolerance = timedelta(minutes=START_TOLERANCE_MINUTES)
    starts = [utc(r.startedAt) for r in rows]
    candidates = session.execute(
        sa.select(SessionOrchestrationPlan, PlannedSession)
        .join(PlannedSession, PlannedSession.planId == SessionOrchestrationPlan.id)
        .where(
            PlannedSession.userId == user_id,
            SessionOrchestrationPlan.userId == user_id,
            PlannedSession.status.in_(
                [PlanStatus.PLANNED.value, PlanStatus.MISSED.value, PlanStatus.DONE.value]
            ),
            PlannedSession.plannedStart >= stored(min(starts) - ACTUALS_MATCH_WINDOW),
            PlannedSession.plannedStart <= stored(max(starts) + ACTUALS_MATCH_WINDOW),
        )
    ).all()
    pairs = []
    for i, row in enumerate(rows):
        started = utc(row.startedAt)
        for plan, placed in candidates:
            if placed.sessionId not in (None, row.id):
                continue
            gap = abs(started - utc(placed.plannedStart))
            same_mission = (
                placed.missionId is not None
                and placed.missionId == row.missionId
                and started.date() == utc(placed.plannedStart).date()
            )
            if gap <= tolerance or same_mission or placed.sessionId == row.id:
                pairs.append((placed.sessionId != row.id, gap, i, plan, placed))
    pairs.sort(key=lambda p: (p[0], p[1]))
    used_sessions: set[int] = set()
    used_plans: set[str] = set()
    recorded = 0
    for _new, _gap, i, plan, placed in pairs:
        if i in used_sessions or plan.id in used_plans:
            continue
        used_sessions.add(i)
        used_plans.add(plan.id)
        row = rows[i]
        data = dict(plan.planData)
        actuals = actuals_from_items(
            utc(placed.plannedStart),
            int(data.get("durationMinutes", 0)),
            _item_ids(data.get("items", [])),
            utc(row.startedAt),
            float(row.minutes or 0.0),
            _done_ids(row),
        )
        data["actuals"] = {
            **actuals.to_json(),
            "sessionId": row.id,
            "startedAt": utc(row.startedAt).isoformat(),
        }
        plan.planData = data
        plan.appliedAt = row.startedAt
        placed.status = PlanStatus.DONE.value
        placed.sessionId = row.id
        placed.updatedAt = stored(now)
        if plan.missionId is not None:
            session.execute(
                sa.update(Mission)
                .where(Mission.id == plan.missionId, Mission.userId == user_id)
                .values(
                    actualStartTime=sa.func.coalesce(Mission.actualStartTime, row.startedAt),
                    actualDuration=sa.func.coalesce(
                        Mission.actualDuration, round(float(row.minutes or 0.0))
                    ),
                )
            )
        recorded += 1
    session.flush()
    return recorded


def touched_sessions(kind: str, records: Sequence[dict[str, Any]]) -> list[str]:
    """Ids of the study sessions a batch of ``kind`` created or added items to."""
    if kind == "sessions":
        ids = [r.get("id") for r in records]
    elif kind in ACTUALS_KINDS:
        ids = [r.get("sessionId") for r in records]
    else:
        return []
    return sorted({str(i) for i in ids if i})


def on_batch_ingested(
    db: Database, user_id: str, kind: str, records: Sequence[dict[str, Any]], *, now: datetime
) -> int:
    """After a committed batch: record the actuals of the plans its sessions followed.

    Runs in a transaction of its own and never raises: a failure is logged and the batch
    stays ingested (the adaptation job matches sessions to plans again every hour).
    """
    ids = touched_sessions(kind, records)
    if not ids:
        return 0
    try:
        with db.session() as session:
            learner = session.execute(
                sa.text('SELECT "behavioralAnalysisEnabled" FROM users WHERE id = :u'),
                {"u": user_id},
            ).scalar()
            if not learner:
                return 0
            return record_actuals(session, user_id, ids, now)
    except Exception:
        log.exception("plan actuals of %d sessions of learner %s failed", len(ids), user_id)
        return 0
