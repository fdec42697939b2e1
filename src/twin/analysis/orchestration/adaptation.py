"""Schedule adaptation (ENGINE.md 5.3): three rules, each yielding a ``schedule_adaptations`` record.

1. **Calendar change.** A planned session whose time (with its 10-minute buffer) has
   become busy is moved to the best-scoring free slot of the same length; the other
   planned sessions stay blocked so two sessions never land on one slot
   (TIME_SHIFT: old start/end → new start/end).
2. **Declared constraint.** "No mornings" and the like become preference windows for
   slot scoring (AVOID windows score 0) — a preference, not a ban, as the spec says
   (TIMING: old windows → new windows).
3. **Missed sessions.** ≥ 3 planned sessions missed in the last 7 days (no session
   started within ±30 minutes of a planned start whose tolerance has passed) → shorter,
   more frequent sessions: duration × 2/3 (at least 15 min) and sessions per week
   × 1.5 rounded up, which keeps the weekly minutes about the same
   (FREQUENCY_CHANGE: old duration & frequency → new).

Each record's ``to_details()`` is the ``adaptationDetails`` JSON: ``{old, new, reason}``
with the reason as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from twin.analysis.orchestration.busy import BUSY_WEIGHT
from twin.analysis.orchestration.common import (
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    iso,
    minutes_between,
    require_aware,
    rounded,
    utc,
    zone,
)
from twin.analysis.orchestration.effectiveness import (
    START_TOLERANCE_MINUTES,
    AcceptedSlot,
    SessionOutcome,
    match_sessions,
)
from twin.analysis.orchestration.slots import (
    DAY_END_MINUTE,
    DAY_START_MINUTE,
    MIN_SLOT_MINUTES,
    SLOT_BUFFER_MINUTES,
    PreferenceKind,
    PreferenceWindow,
    ScoredSlot,
    SlotRequest,
    recommend_slots,
)
from twin.enums import AdaptationType

MISSED_WINDOW_DAYS = 7
MISSED_SESSIONS_TRIGGER = 3
SHORTER_SESSION_FACTOR = 2.0 / 3.0
MORE_FREQUENT_FACTOR = 1.5
MORNING = (DAY_START_MINUTE, 12 * MINUTES_PER_HOUR)
AFTERNOON = (12 * MINUTES_PER_HOUR, 17 * MINUTES_PER_HOUR)
EVENING = (17 * MINUTES_PER_HOUR, DAY_END_MINUTE)
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})


@dataclass(frozen=True)
class AdaptationRecord:
    """One adaptation: its type, the old and new values, and the reason as numbers."""

    adaptation_type: AdaptationType
    old: dict[str, object]
    new: dict[str, object] | None
    reason: dict[str, object]

    def to_details(self) -> dict[str, object]:
        """``schedule_adaptations.adaptationDetails``."""
        return {"old": self.old, "new": self.new, "reason": self.reason}


# --- 1. calendar change -----------------------------------------------------


@dataclass(frozen=True)
class PlannedSession:
    """A planned session on the learner's schedule (from an accepted slot or a plan)."""

    plan_id: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_aware("end", self.end)
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))
        if self.end <= self.start:
            raise ValueError("end must be after start")


@dataclass(frozen=True)
class Replan:
    """A planned session that became busy, and where it moves (None: no free slot left)."""

    plan_id: str
    old: PlannedSession
    new_slot: ScoredSlot | None
    record: AdaptationRecord


def replan_conflicts(planned: Sequence[PlannedSession], request: SlotRequest) -> tuple[Replan, ...]:
    """Move every future planned session that now overlaps busy time to its next-best free slot.

    ``request`` carries the new busy time, ``now`` and the scoring inputs; its duration
    is replaced by each session's own length.
    """
    buffer = timedelta(minutes=SLOT_BUFFER_MINUTES)
    tz = zone(request.timezone)
    conflicting = [
        p
        for p in planned
        if p.start >= utc(request.now)
        and request.busy.max_weight(p.start, p.end + buffer) >= BUSY_WEIGHT
    ]
    keep = [(p.start, p.end) for p in planned if p not in conflicting]
    out: list[Replan] = []
    for session in sorted(conflicting, key=lambda p: p.start):
        minutes = round(minutes_between(session.start, session.end))
        minutes = max(MIN_SLOT_MINUTES, minutes)
        answer = recommend_slots(
            replace(
                request,
                duration_minutes=minutes,
                blocked=(*request.blocked, *keep),
                top_k=1,
            )
        )
        best = answer.slots[0] if answer.slots else None
        busy_weight = request.busy.max_weight(session.start, session.end + buffer)
        # Both times in the learner's zone, so old → new read the same way (with their offsets).
        old: dict[str, object] = {
            "start": iso(session.start.astimezone(tz)),
            "end": iso(session.end.astimezone(tz)),
            "planId": session.plan_id,
        }
        new: dict[str, object] | None = (
            None if best is None else {"start": iso(best.start), "end": iso(best.end)}
        )
        reason: dict[str, object] = {
            "rule": "calendarConflict",
            "busyWeight": busy_weight,
            "durationMinutes": minutes,
            "candidatesConsidered": answer.candidates_considered,
            "candidatesBusy": answer.candidates_busy,
        }
        if best is not None:
            reason["newScore"] = rounded(best.score, 2)
            reason["shiftMinutes"] = rounded(minutes_between(session.start, best.start), 1)
            keep.append((best.start, best.end))
        else:
            reason["noFreeSlot"] = True
        out.append(
            Replan(
                plan_id=session.plan_id,
                old=session,
                new_slot=best,
                record=AdaptationRecord(AdaptationType.TIME_SHIFT, old, new, reason),
            )
        )
    return tuple(out)


# --- 2. declared constraints ------------------------------------------------


class ConstraintKind(StrEnum):
    """Constraints a learner can declare."""

    NO_MORNINGS = "NO_MORNINGS"
    NO_AFTERNOONS = "NO_AFTERNOONS"
    NO_EVENINGS = "NO_EVENINGS"
    NO_WEEKENDS = "NO_WEEKENDS"
    AVOID_WINDOW = "AVOID_WINDOW"
    PREFER_WINDOW = "PREFER_WINDOW"


@dataclass(frozen=True)
class DeclaredConstraint:
    """A constraint; the two *_WINDOW kinds need ``start_minute``/``end_minute`` (and optional weekdays)."""

    kind: ConstraintKind
    start_minute: int | None = None
    end_minute: int | None = None
    weekdays: frozenset[int] = frozenset(range(7))

    def windows(self) -> tuple[PreferenceWindow, ...]:
        """The preference windows this constraint stands for."""
        fixed = {
            ConstraintKind.NO_MORNINGS: (MORNING, "no mornings"),
            ConstraintKind.NO_AFTERNOONS: (AFTERNOON, "no afternoons"),
            ConstraintKind.NO_EVENINGS: (EVENING, "no evenings"),
        }
        if self.kind in fixed:
            (lo, hi), label = fixed[self.kind]
            return (PreferenceWindow(lo, hi, PreferenceKind.AVOID, self.weekdays, label),)
        if self.kind is ConstraintKind.NO_WEEKENDS:
            return (
                PreferenceWindow(0, MINUTES_PER_DAY, PreferenceKind.AVOID, WEEKEND, "no weekends"),
            )
        if self.start_minute is None or self.end_minute is None:
            raise ValueError(f"{self.kind.value} needs start_minute and end_minute")
        kind = (
            PreferenceKind.AVOID
            if self.kind is ConstraintKind.AVOID_WINDOW
            else PreferenceKind.PREFER
        )
        label = f"{kind.value.lower()} {self.start_minute // 60:02d}:{self.start_minute % 60:02d}–{self.end_minute // 60:02d}:{self.end_minute % 60:02d}"
        return (PreferenceWindow(self.start_minute, self.end_minute, kind, self.weekdays, label),)


def apply_constraint(
    constraint: DeclaredConstraint, current: Sequence[PreferenceWindow]
) -> tuple[tuple[PreferenceWindow, ...], AdaptationRecord]:
    """The learner's preference windows with the constraint added (no duplicates), and its record."""
    added = constraint.windows()
    merged = list(current)
    for w in added:
        if w not in merged:
            merged.append(w)
    record = AdaptationRecord(
        AdaptationType.TIMING,
        old={"preferences": [w.to_json() for w in current]},
        new={"preferences": [w.to_json() for w in merged]},
        reason={
            "rule": "declaredConstraint",
            "constraint": constraint.kind.value,
            "windowsAdded": len(merged) - len(current),
        },
    )
    return tuple(merged), record


# --- 3. missed sessions -----------------------------------------------------


def missed_sessions(
    planned: Sequence[PlannedSession], sessions: Sequence[SessionOutcome], now: datetime
) -> list[PlannedSession]:
    """Planned sessions of the last 7 days whose ±30 min start tolerance has passed with no session."""
    tolerance = timedelta(minutes=START_TOLERANCE_MINUTES)
    now = utc(now)
    since = now - timedelta(days=MISSED_WINDOW_DAYS)
    due = [p for p in planned if since <= p.start and p.start + tolerance <= now]
    slots = [
        AcceptedSlot(p.plan_id, p.start, max(1.0, minutes_between(p.start, p.end))) for p in due
    ]
    matched = match_sessions(slots, sessions)
    return [p for p in due if p.plan_id not in matched]


def adapt_to_missed_sessions(
    planned: Sequence[PlannedSession],
    sessions: Sequence[SessionOutcome],
    now: datetime,
    *,
    duration_minutes: int,
    sessions_per_week: int,
) -> AdaptationRecord | None:
    """Shorter, more frequent sessions after ≥ 3 missed planned sessions in 7 days; None otherwise."""
    missed = missed_sessions(planned, sessions, now)
    if len(missed) < MISSED_SESSIONS_TRIGGER:
        return None
    new_minutes = max(MIN_SLOT_MINUTES, round(duration_minutes * SHORTER_SESSION_FACTOR))
    new_per_week = math.ceil(sessions_per_week * MORE_FREQUENT_FACTOR)
    return AdaptationRecord(
        AdaptationType.FREQUENCY_CHANGE,
        old={"durationMinutes": duration_minutes, "sessionsPerWeek": sessions_per_week},
        new={"durationMinutes": new_minutes, "sessionsPerWeek": new_per_week},
        reason={
            "rule": "missedSessions",
            "missed": len(missed),
            "trigger": MISSED_SESSIONS_TRIGGER,
            "windowDays": MISSED_WINDOW_DAYS,
            "missedPlanIds": [p.plan_id for p in missed],
            "weeklyMinutesOld": duration_minutes * sessions_per_week,
            "weeklyMinutesNew": new_minutes * new_per_week,
        },
    )
