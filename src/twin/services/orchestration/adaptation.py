"""Schedule adaptation (ENGINE.md 5.3): calendar changes, declared constraints, missed sessions.

Each rule of :mod:`twin.analysis.orchestration.adaptation` ends in a ``schedule_adaptations``
row (type, ``{old, new, reason}`` with the plan id where there is one):

1. **Calendar change** (:func:`replan_calendar_conflicts`, run in the same transaction as
   every sync that changed the busy blocks, and hourly by the adaptation job): a planned
   session that now overlaps busy time moves to the next-best free slot of its length
   (the plan is made again at the new time — its content and calendar cap follow the
   new start, and its calendar event's SEQUENCE grows), or is cancelled when no free
   slot is left.
2. **Declared constraint** ("no mornings" …, :func:`adapt`): added to the learner's
   preference windows, which slot scoring reads.
3. **Missed sessions** (:func:`adapt` and the job): planned sessions whose ±30-minute
   start tolerance passed with no session are marked MISSED; at 3 or more in 7 days the
   learner's sessions become shorter and more frequent (``schedule_preferences``), at
   most once a week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.orchestration.adaptation import (
    MISSED_WINDOW_DAYS,
    AdaptationRecord,
    DeclaredConstraint,
    adapt_to_missed_sessions,
    apply_constraint,
    replan_conflicts,
)
from twin.analysis.orchestration.adaptation import (
    PlannedSession as PlannedSlot,
)
from twin.analysis.orchestration.busy import BUSY_WEIGHT
from twin.analysis.orchestration.effectiveness import START_TOLERANCE_MINUTES, SessionOutcome
from twin.analysis.orchestration.slots import (
    DEFAULT_TOP_K,
    MAX_HORIZON_DAYS,
    SLOT_BUFFER_MINUTES,
    PreferenceWindow,
    SlotRequest,
)
from twin.db.base import new_id
from twin.db.models import PlannedSession, ScheduleAdaptation, SchedulePreference
from twin.enums import AdaptationType
from twin.errors import Conflict
from twin.learners import Learner, LearnerLock, analysis_learner, get_learner, lock_learner
from twin.services.orchestration.busy import load_busy
from twin.services.orchestration.common import PlanStatus, stored, utc
from twin.services.orchestration.loading import (
    ScheduleInputs,
    load_preferences,
    schedule_inputs,
    session_facts,
    window_json,
)
from twin.services.orchestration.plans import compute_plan_data, load_plan, record_actuals

DAYS_PER_WEEK = 7
REPLAN_EXTRA_DAYS = 7


@dataclass(frozen=True)
class AdaptationView:
    """A stored adaptation: type, when, the plan it moved (if any), old → new and the reason."""

    id: str
    type: str
    applied_at: datetime
    plan_id: str | None
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    reason: dict[str, Any]


@dataclass(frozen=True)
class AdaptOutcome:
    """What ``POST …/schedule:adapt`` changed, and the learner's preference windows after it."""

    adaptations: tuple[AdaptationView, ...]
    missed_marked: int
    preferences: list[dict[str, Any]]
    session_minutes: int | None
    sessions_per_week: int | None


def adaptation_view(row: ScheduleAdaptation) -> AdaptationView:
    """The view of a stored adaptation."""
    details = row.adaptationDetails or {}
    return AdaptationView(
        id=row.id,
        type=row.adaptationType.value,
        applied_at=utc(row.appliedAt),
        plan_id=details.get("planId"),
        old=details.get("old"),
        new=details.get("new"),
        reason=dict(details.get("reason", {})),
    )


def _write(
    session: Session, user_id: str, record: AdaptationRecord, now: datetime, plan_id: str | None
) -> ScheduleAdaptation:
    row = ScheduleAdaptation(
        id=new_id(),
        userId=user_id,
        adaptationType=record.adaptation_type,
        adaptationDetails={**record.to_details(), "planId": plan_id},
        appliedAt=stored(now),
    )
    session.add(row)
    return row


def _planned(session: Session, user_id: str, since: datetime) -> list[PlannedSession]:
    return list(
        session.scalars(
            sa.select(PlannedSession)
            .where(PlannedSession.userId == user_id, PlannedSession.plannedStart >= stored(since))
            .order_by(PlannedSession.plannedStart)
        )
    )


def _replan(
    session: Session, learner: Learner, now: datetime, inputs: ScheduleInputs | None
) -> list[ScheduleAdaptation]:
    user_id = learner.user_id
    future = [p for p in _planned(session, user_id, now) if p.status == PlanStatus.PLANNED]
    if not future:
        return []
    last = max(utc(p.plannedEnd) for p in future)
    days = min(MAX_HORIZON_DAYS, (last - utc(now)).days + REPLAN_EXTRA_DAYS)
    snapshot = load_busy(session, user_id, utc(now), utc(now) + timedelta(days=days + 1))
    # The pure rule decides; this only spares loading the twin when nothing is busy.
    buffer = timedelta(minutes=SLOT_BUFFER_MINUTES)
    if not any(
        snapshot.busy.max_weight(utc(p.plannedStart), utc(p.plannedEnd) + buffer) >= BUSY_WEIGHT
        for p in future
    ):
        return []
    inputs = inputs or schedule_inputs(session, learner, now)
    request = SlotRequest(
        now=utc(now),
        timezone=learner.timezone,
        duration_minutes=60,
        busy=snapshot.busy,
        hour_scores=inputs.hour_scores,
        preferences=inputs.preferences,
        recent_sessions=inputs.recent,
        burnout=inputs.timing.burnout,
        days=max(1, days),
        top_k=DEFAULT_TOP_K,
        busy_synced_at=snapshot.synced_at,
    )
    slots = [PlannedSlot(p.planId, utc(p.plannedStart), utc(p.plannedEnd)) for p in future]
    by_plan = {p.planId: p for p in future}
    rows = []
    for replan in replan_conflicts(slots, request):
        placed = by_plan[replan.plan_id]
        plan, placed = load_plan(session, user_id, replan.plan_id)
        record = replan.record
        if replan.new_slot is not None:
            try:
                data, begin, end, _mission, _write_back = compute_plan_data(
                    session,
                    learner,
                    utc(replan.new_slot.start),
                    now,
                    mission_id=plan.missionId,
                    inputs=inputs,
                    exclude=plan.id,
                )
            except Conflict:
                data = None
            if data is not None:
                data["slotId"] = placed.slotId
                data["replannedFrom"] = record.old
                plan.planData = data
                placed.plannedStart = stored(begin)
                placed.plannedEnd = stored(end)
                placed.calendarSequence += 1
                placed.updatedAt = stored(now)
                session.flush()
                rows.append(_write(session, user_id, record, now, plan.id))
                continue
        placed.status = PlanStatus.CANCELLED.value
        placed.calendarSequence += 1
        placed.updatedAt = stored(now)
        cancelled = AdaptationRecord(
            record.adaptation_type, record.old, None, {**record.reason, "cancelled": True}
        )
        rows.append(_write(session, user_id, cancelled, now, plan.id))
    session.flush()
    return rows


def replan_calendar_conflicts(
    session: Session, user_id: str, now: datetime, inputs: ScheduleInputs | None = None
) -> list[AdaptationView]:
    """Move the learner's future planned sessions that became busy (rule 1); one row each."""
    learner = get_learner(session, user_id)
    if not learner.analysis_enabled:
        return []
    lock_learner(session, LearnerLock.SCHEDULE, user_id)
    return [adaptation_view(r) for r in _replan(session, learner, now, inputs)]


def _preferences_row(session: Session, user_id: str) -> SchedulePreference:
    row = session.scalar(sa.select(SchedulePreference).where(SchedulePreference.userId == user_id))
    if row is None:
        row = SchedulePreference(userId=user_id, id=new_id(), windows=[])
        session.add(row)
    return row


def mark_missed(session: Session, user_id: str, now: datetime) -> int:
    """PLANNED sessions of the last 7 days whose start tolerance passed with no session → MISSED."""
    since = utc(now) - timedelta(days=MISSED_WINDOW_DAYS)
    facts = session_facts(session, user_id, since - timedelta(days=1), utc(now))
    record_actuals(session, user_id, [f.session_id for f in facts], now)
    tolerance = timedelta(minutes=START_TOLERANCE_MINUTES)
    marked = 0
    for placed in _planned(session, user_id, since):
        if placed.status == PlanStatus.PLANNED and utc(placed.plannedStart) + tolerance <= utc(now):
            placed.status = PlanStatus.MISSED.value
            placed.updatedAt = stored(now)
            marked += 1
    session.flush()
    return marked


def _missed_rule(
    session: Session, learner: Learner, now: datetime, inputs: ScheduleInputs
) -> ScheduleAdaptation | None:
    user_id = learner.user_id
    since = utc(now) - timedelta(days=MISSED_WINDOW_DAYS)
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(ScheduleAdaptation)
        .where(
            ScheduleAdaptation.userId == user_id,
            ScheduleAdaptation.adaptationType == AdaptationType.FREQUENCY_CHANGE,
            ScheduleAdaptation.appliedAt > stored(since),
        )
    )
    if recent:
        return None
    placed = [
        p
        for p in _planned(session, user_id, since)
        if p.status in (PlanStatus.PLANNED, PlanStatus.MISSED, PlanStatus.DONE)
    ]
    slots = [PlannedSlot(p.planId, utc(p.plannedStart), utc(p.plannedEnd)) for p in placed]
    sessions = [
        SessionOutcome(f.session_id, f.started_at, f.minutes or 0.0)
        for f in inputs.facts
        if f.started_at >= since - timedelta(days=1)
    ]
    prefs = _preferences_row(session, user_id)
    current_minutes = prefs.sessionMinutes or max(
        15,
        round(
            sum(utc(p.plannedEnd).timestamp() - utc(p.plannedStart).timestamp() for p in placed)
            / 60
            / max(1, len(placed))
        ),
    )
    current_per_week = prefs.sessionsPerWeek or max(1, len(placed))
    record = adapt_to_missed_sessions(
        slots,
        sessions,
        utc(now),
        duration_minutes=int(current_minutes),
        sessions_per_week=int(current_per_week),
    )
    if record is None or record.new is None:
        return None
    prefs.sessionMinutes = int(record.new["durationMinutes"])  # type: ignore[call-overload]
    prefs.sessionsPerWeek = int(record.new["sessionsPerWeek"])  # type: ignore[call-overload]
    prefs.updatedAt = stored(now)
    return _write(session, user_id, record, now, None)


def adapt(
    session: Session,
    user_id: str,
    now: datetime,
    *,
    constraint: DeclaredConstraint | None = None,
) -> AdaptOutcome:
    """Apply the declared constraint (if any), re-plan calendar conflicts, and the missed-sessions rule."""
    learner = analysis_learner(session, user_id)
    lock_learner(session, LearnerLock.SCHEDULE, user_id)
    rows: list[ScheduleAdaptation] = []
    if constraint is not None:
        current, _minutes, _per_week = load_preferences(session, user_id)
        windows, record = apply_constraint(constraint, current)
        prefs = _preferences_row(session, user_id)
        prefs.windows = [window_json(w) for w in windows]
        prefs.updatedAt = stored(now)
        rows.append(_write(session, user_id, record, now, None))
        session.flush()
    inputs = schedule_inputs(session, learner, now)
    rows += _replan(session, learner, now, inputs)
    missed = mark_missed(session, user_id, now)
    frequency = _missed_rule(session, learner, now, inputs)
    if frequency is not None:
        rows.append(frequency)
    session.flush()
    windows_now, minutes, per_week = load_preferences(session, user_id)
    return AdaptOutcome(
        adaptations=tuple(adaptation_view(r) for r in rows),
        missed_marked=missed,
        preferences=[window_json(w) for w in windows_now],
        session_minutes=minutes,
        sessions_per_week=per_week,
    )


@dataclass(frozen=True)
class Preferences:
    """The learner's declared windows and the session shape adaptation chose."""

    windows: list[dict[str, Any]]
    session_minutes: int | None
    sessions_per_week: int | None


def get_preferences(session: Session, user_id: str) -> Preferences:
    """The learner's preferences (empty when none were declared)."""
    get_learner(session, user_id)
    windows, minutes, per_week = load_preferences(session, user_id)
    return Preferences([window_json(w) for w in windows], minutes, per_week)


def set_preferences(
    session: Session, user_id: str, windows: Sequence[PreferenceWindow], now: datetime
) -> Preferences:
    """Replace the learner's declared windows; recorded as a TIMING adaptation."""
    get_learner(session, user_id)
    lock_learner(session, LearnerLock.SCHEDULE, user_id)
    current, _minutes, _per_week = load_preferences(session, user_id)
    prefs = _preferences_row(session, user_id)
    prefs.windows = [window_json(w) for w in windows]
    prefs.updatedAt = stored(now)
    record = AdaptationRecord(
        AdaptationType.TIMING,
        old={"preferences": [w.to_json() for w in current]},
        new={"preferences": [w.to_json() for w in windows]},
        reason={"rule": "declaredWindows", "windows": len(windows)},
    )
    _write(session, user_id, record, now, None)
    session.flush()
    return get_preferences(session, user_id)


def recent_adaptations(
    session: Session, user_id: str, since: datetime, limit: int = 50
) -> list[AdaptationView]:
    """The learner's adaptations since ``since``, newest first."""
    rows = session.scalars(
        sa.select(ScheduleAdaptation)
        .where(ScheduleAdaptation.userId == user_id, ScheduleAdaptation.appliedAt >= stored(since))
        .order_by(ScheduleAdaptation.appliedAt.desc(), ScheduleAdaptation.id)
        .limit(limit)
    )
    return [adaptation_view(r) for r in rows]
