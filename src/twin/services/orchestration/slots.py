"""Recommended study slots, stored one row each; accepting a slot puts a plan on the schedule.

:func:`recommend` reads the learner's hour scores, recent sessions, burnout level,
preferences, the cached busy time and the sessions already planned, and asks
:func:`twin.analysis.orchestration.slots.recommend_slots` for the top K. Every returned
slot is stored in ``study_schedule_recommendations`` (``recommendedSchedule`` = the slot
with its reasons as numbers, ``reasoning`` = one sentence). Pending slots are the
learner's current offer: a new recommendation keeps the rows of slots it offers again
(same start, length and kind — so their ids stay valid) and removes the pending ones it
no longer offers; accepted and past rows are never touched.

:func:`accept` sets ``appliedAt`` and plans the session at the slot (409 when the slot
has passed or its time has become busy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.orchestration.duration import slot_duration_minutes
from twin.analysis.orchestration.slots import (
    DEFAULT_HORIZON_DAYS,
    DEFAULT_TOP_K,
    MAX_SLOT_MINUTES,
    MIN_SLOT_MINUTES,
    RestRecommendation,
    ScoredSlot,
    SlotRequest,
    recommend_slots,
)
from twin.db.base import new_id
from twin.db.models import PlannedSession, StudyScheduleRecommendation
from twin.enums import ObjectiveComplexity
from twin.errors import Conflict, NotFound
from twin.learners import LearnerLock, locked_analysis_learner
from twin.services.orchestration.common import age_minutes, stored, utc
from twin.services.orchestration.loading import schedule_context
from twin.services.orchestration.plans import PlanView, load_plan, plan_for, plan_view

SLOT_TYPE = "slot"
DAYS_PER_WEEK = 7
MAX_TOP_K = 20


@dataclass(frozen=True)
class StoredSlot:
    """A recommended slot as stored: its id, times, score, reasons and whether it was accepted."""

    id: str
    rank: int
    kind: str
    start: datetime
    end: datetime
    duration_minutes: int
    local_date: str
    local_start: str
    weekday: str
    score: float
    reasons: dict[str, Any]
    conflicts: list[dict[str, Any]]
    reasoning: str
    accepted_at: datetime | None
    plan_id: str | None


@dataclass(frozen=True)
class SlotsAnswer:
    """``GET …/schedule/slots``: the slots (or rest), how they were found, how old the busy time is."""

    timezone: str
    kind: str
    days: int
    duration_minutes: int
    max_per_day: int
    slots: tuple[StoredSlot, ...]
    rest: RestRecommendation | None
    candidates_considered: int
    candidates_busy: int
    history_sessions: int
    calendar_connected: bool
    busy_synced_at: datetime | None
    busy_age_minutes: float | None


@dataclass(frozen=True)
class AcceptOutcome:
    """The accepted slot and the plan now on the schedule for it."""

    slot: StoredSlot
    plan: PlanView
    already_accepted: bool


def _stored_slot(
    row: StudyScheduleRecommendation | _SlotRow, plan_id: str | None = None
) -> StoredSlot:
    data = row.recommendedSchedule
    return StoredSlot(
        id=row.id,
        rank=int(data.get("rank", 0)),
        kind=str(data.get("kind", "")),
        start=datetime.fromisoformat(str(data["start"])),
        end=datetime.fromisoformat(str(data["end"])),
        duration_minutes=int(data.get("durationMinutes", 0)),
        local_date=str(data.get("localDate", "")),
        local_start=str(data.get("localStart", "")),
        weekday=str(data.get("weekday", "")),
        score=float(data.get("score", 0.0)),
        reasons=dict(data.get("reasons", {})),
        conflicts=list(data.get("conflicts", [])),
        reasoning=row.reasoning,
        accepted_at=utc(row.appliedAt) if row.appliedAt else None,
        plan_id=plan_id,
    )


def _key(start: Any, minutes: Any, kind: Any) -> tuple[str, int, str]:
    return (utc(datetime.fromisoformat(str(start))).isoformat(), int(minutes), str(kind))


@dataclass(frozen=True)
class _SlotRow:
    """A stored slot row as :func:`_stored_slot` reads it (the ORM row's fields)."""

    id: str
    recommendedSchedule: dict[str, Any]
    reasoning: str
    appliedAt: datetime | None = None


def _store(
    session: Session,
    user_id: str,
    slots: tuple[ScoredSlot, ...],
    now: datetime,
    pending: Sequence[dict[str, Any]],
) -> list[_SlotRow]:
    """Keep re-offered pending slots (same id), insert new ones, drop pending ones not offered.

    ``pending``: the stored pending slots (read with the request's context). At most one
    statement each for the inserts, the changed rows and the dropped ones; none when the
    offer is unchanged (a GET repeated costs no write).
    """
    by_key = {
        _key(p["data"]["start"], p["data"]["durationMinutes"], p["data"]["kind"]): p
        for p in pending
    }
    kept: list[_SlotRow] = []
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for slot in slots:
        data = {"type": SLOT_TYPE, **slot.to_json()}
        found = by_key.pop(_key(data["start"], data["durationMinutes"], data["kind"]), None)
        if found is not None and found["data"] == data:
            kept.append(_SlotRow(found["id"], data, str(found["reasoning"])))
            continue
        row = _SlotRow(found["id"] if found else new_id(), data, slot.reasoning_text())
        kept.append(row)
        values = {"rid": row.id, "data": data, "reasoning": row.reasoning}
        (updates if found else inserts).append(values)
    table = cast(sa.Table, StudyScheduleRecommendation.__table__)
    if inserts:
        session.execute(
            sa.insert(table),
            [
                {
                    "id": v["rid"],
                    "userId": user_id,
                    "recommendedSchedule": v["data"],
                    "reasoning": v["reasoning"],
                    "createdAt": stored(now),
                }
                for v in inserts
            ],
        )
    if updates:
        session.connection().execute(
            sa.update(table)
            .where(table.c.userId == user_id, table.c.id == sa.bindparam("rid"))
            .values(recommendedSchedule=sa.bindparam("data"), reasoning=sa.bindparam("reasoning")),
            updates,
        )
    if by_key:
        session.execute(
            sa.delete(table).where(
                table.c.userId == user_id, table.c.id.in_([p["id"] for p in by_key.values()])
            )
        )
    return kept


def recommend(
    session: Session,
    user_id: str,
    now: datetime,
    *,
    days: int = DEFAULT_HORIZON_DAYS,
    duration_minutes: int | None = None,
    top_k: int | None = None,
) -> SlotsAnswer:
    """The learner's top slots of the next ``days`` days, stored (see the module docstring)."""
    learner = locked_analysis_learner(session, user_id, LearnerLock.SCHEDULE)
    now = utc(now)
    horizon_end = now + timedelta(days=days + 1)
    context = schedule_context(session, learner, now, window=(now, horizon_end), pending_slots=True)
    inputs, snapshot = context.inputs, context.busy
    duration = duration_minutes or inputs.session_minutes
    if duration is None:
        duration = slot_duration_minutes(ObjectiveComplexity.INTERMEDIATE, inputs.timing)
    duration = min(MAX_SLOT_MINUTES, max(MIN_SLOT_MINUTES, duration))
    if top_k is None:
        per_week = inputs.sessions_per_week
        top_k = DEFAULT_TOP_K if per_week is None else max(1, -(-per_week * days // DAYS_PER_WEEK))
    top_k = min(MAX_TOP_K, top_k)
    request = SlotRequest(
        now=now,
        timezone=learner.timezone,
        duration_minutes=duration,
        busy=snapshot.busy,
        hour_scores=inputs.hour_scores,
        preferences=inputs.preferences,
        recent_sessions=inputs.recent,
        burnout=inputs.timing.burnout,
        days=days,
        top_k=top_k,
        busy_synced_at=snapshot.synced_at,
        blocked=context.planned,
    )
    answer = recommend_slots(request)
    rows = _store(session, user_id, answer.slots, now, context.pending_slots)
    return SlotsAnswer(
        timezone=learner.timezone,
        kind=answer.kind.value,
        days=days,
        duration_minutes=answer.duration_minutes,
        max_per_day=answer.max_per_day,
        slots=tuple(_stored_slot(r) for r in rows),
        rest=answer.rest,
        candidates_considered=answer.candidates_considered,
        candidates_busy=answer.candidates_busy,
        history_sessions=inputs.sessions_scored,
        calendar_connected=snapshot.connected,
        busy_synced_at=snapshot.synced_at,
        busy_age_minutes=age_minutes(snapshot.synced_at, now),
    )


def _slot_row(session: Session, user_id: str, slot_id: str) -> StudyScheduleRecommendation:
    row = session.scalar(
        sa.select(StudyScheduleRecommendation)
        .where(
            StudyScheduleRecommendation.userId == user_id,
            StudyScheduleRecommendation.id == slot_id,
        )
        .with_for_update()
    )
    if row is None or row.recommendedSchedule.get("type") != SLOT_TYPE:
        raise NotFound(f"learner {user_id!r} has no recommended slot {slot_id!r}")
    return row


def accept(
    session: Session,
    user_id: str,
    slot_id: str,
    now: datetime,
    *,
    mission_id: str | None = None,
) -> AcceptOutcome:
    """Accept a slot: ``appliedAt`` = now and a plan at its start (idempotent once accepted)."""
    learner = locked_analysis_learner(session, user_id, LearnerLock.SCHEDULE)
    row = _slot_row(session, user_id, slot_id)
    if row.appliedAt is not None:
        placed = session.scalar(
            sa.select(PlannedSession)
            .where(PlannedSession.userId == user_id, PlannedSession.slotId == slot_id)
            .order_by(PlannedSession.createdAt.desc())
        )
        if placed is not None:
            stored_plan, placed = load_plan(session, user_id, placed.planId)
            view = plan_view(stored_plan, placed, now)
            return AcceptOutcome(_stored_slot(row, view.id), view, True)
    start = datetime.fromisoformat(str(row.recommendedSchedule["start"]))
    if utc(start) < utc(now):
        raise Conflict(
            f"slot {slot_id!r} started at {start.isoformat()}, which has passed; ask "
            "GET …/schedule/slots for new ones"
        )
    created = plan_for(session, learner, start, now, mission_id=mission_id, slot_id=slot_id)
    row.appliedAt = stored(now)
    session.flush()
    return AcceptOutcome(_stored_slot(row, created.id), created, False)


def accepted_slots(
    session: Session, user_id: str, start: datetime, end: datetime
) -> list[StoredSlot]:
    """The learner's accepted slots whose start lies in ``[start, end)``."""
    rows = session.scalars(
        sa.select(StudyScheduleRecommendation)
        .where(
            StudyScheduleRecommendation.userId == user_id,
            StudyScheduleRecommendation.appliedAt.is_not(None),
            StudyScheduleRecommendation.recommendedSchedule["type"].astext == SLOT_TYPE,
        )
        .order_by(StudyScheduleRecommendation.appliedAt)
    )
    out = [_stored_slot(r) for r in rows]
    return [s for s in out if utc(start) <= utc(s.start) < utc(end)]


def pending_slots(session: Session, user_id: str, now: datetime) -> list[StoredSlot]:
    """The learner's current offer: pending slots that have not started yet, best first."""
    rows = session.scalars(
        sa.select(StudyScheduleRecommendation).where(
            StudyScheduleRecommendation.userId == user_id,
            StudyScheduleRecommendation.appliedAt.is_(None),
            StudyScheduleRecommendation.recommendedSchedule["type"].astext == SLOT_TYPE,
        )
    )
    out = [_stored_slot(r) for r in rows]
    return sorted((s for s in out if utc(s.start) >= utc(now)), key=lambda s: (s.rank, s.start))
