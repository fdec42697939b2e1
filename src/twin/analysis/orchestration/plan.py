"""A session plan for a start time and an optional mission (ENGINE.md 5.3 "Session plan").

The plan is made in four steps, each in its own module:

- ``plan_inputs``: what the plan is made from (due and new cards with their predicted
  recall, mission objectives, validations, predicted struggles, the learner's timing);
- ``duration``: the session length (optimal + complexity offset, ×1.2 / ×0.9 for the
  optimal window, ×0.85 heavy week, ×0.7 high load, clamped 15–120, burnout caps) and
  the breaks (every 0.9 × time-to-fatigue, else by complexity; 5 / 10 / 15 minutes);
- ``sequence``: the warm-up / peak / wind-down phases and the greedy content sequence
  (≤ 3 items of one kind in a row, an objective again only 10 minutes later);
- this module: the calendar cap (the session and its 10-minute buffer end before the
  next busy event), the intensity, the expected load, and the plan's actuals.

**Intensity**: LOW at burnout HIGH/CRITICAL or a load ≥ 60; MEDIUM at burnout MEDIUM
or a load ≥ 40; else HIGH. **Expected load** uses 5.4's load weights: the error
sub-score from the planned cards' mean predicted miss rate, the duration sub-score
from the planned length against the optimal length, and the learner's recent mean
load (30 when unknown) for the three sub-scores that cannot be known in advance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from twin.analysis.cognitive.common import scaled_score
from twin.analysis.cognitive.load import (
    DURATION_EXCESS_FRACTION_AT_MAX,
    ERROR_RATE_AT_MAX,
    EXPECTED_ERROR_RATE,
    LOAD_HIGH_MIN,
    LOAD_MODERATE_MIN,
    LOAD_WEIGHTS,
)
from twin.analysis.orchestration.busy import TENTATIVE_WEIGHT
from twin.analysis.orchestration.common import (
    add_minutes,
    iso,
    minutes_between,
    require_aware,
    rounded,
    utc,
    zone,
)
from twin.analysis.orchestration.duration import (
    MIN_SESSION_MINUTES,
    Break,
    DurationBreakdown,
    break_interval_minutes,
    schedule_breaks,
    session_duration,
)
from twin.analysis.orchestration.effectiveness import (
    DURATION_TOLERANCE_SHARE,
    START_TOLERANCE_MINUTES,
)
from twin.analysis.orchestration.plan_inputs import (
    DueCard,
    Intensity,
    ItemKind,
    LearnerTiming,
    PlanConflict,
    PlanRequest,
)
from twin.analysis.orchestration.sequence import PhaseSpan, PlanItem, phase_spans, sequence_items
from twin.analysis.orchestration.slots import SLOT_BUFFER_MINUTES, Conflict
from twin.enums import BurnoutRiskLevel, ObjectiveComplexity

# --- expected load ----------------------------------------------------------
EXPECTED_LOAD_UNKNOWN_BASELINE = 30.0


# --- intensity and expected load ---------------------------------------------


def session_intensity(timing: LearnerTiming) -> Intensity:
    """LOW at burnout HIGH/CRITICAL or load ≥ 60; MEDIUM at burnout MEDIUM or load ≥ 40; else HIGH."""
    load = timing.recent_mean_load
    if timing.burnout in (BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL) or (
        load is not None and load >= LOAD_HIGH_MIN
    ):
        return Intensity.LOW
    if timing.burnout == BurnoutRiskLevel.MEDIUM or (
        load is not None and load >= LOAD_MODERATE_MIN
    ):
        return Intensity.MEDIUM
    return Intensity.HIGH


@dataclass(frozen=True)
class ExpectedLoad:
    """The load the plan is expected to cause, with its three parts."""

    load: float
    error_rate: float
    error_score: float
    duration_score: float
    baseline: float
    baseline_known: bool

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "load": rounded(self.load, 2),
            "expectedErrorRate": rounded(self.error_rate, 4),
            "errorSubScore": rounded(self.error_score, 2),
            "durationSubScore": rounded(self.duration_score, 2),
            "baselineLoad": rounded(self.baseline, 2),
            "baselineKnown": self.baseline_known,
        }


def expected_load(
    items: Sequence[PlanItem],
    cards: Sequence[DueCard],
    duration_minutes: float,
    optimal_minutes: float,
    timing: LearnerTiming,
) -> ExpectedLoad:
    """5.4's load formula with the planned cards' miss rate, the planned length and the recent load."""
    recall = {c.card_id: c.recall for c in cards}
    planned = [recall[cid] for it in items if it.kind is ItemKind.REVIEW for cid in it.card_ids]
    error_rate = sum(1.0 - r for r in planned) / len(planned) if planned else EXPECTED_ERROR_RATE
    error_score = scaled_score(error_rate, EXPECTED_ERROR_RATE, ERROR_RATE_AT_MAX)
    duration_score = scaled_score(
        duration_minutes, optimal_minutes, optimal_minutes * (1 + DURATION_EXCESS_FRACTION_AT_MAX)
    )
    known = timing.recent_mean_load is not None
    baseline = (
        float(timing.recent_mean_load)
        if timing.recent_mean_load is not None
        else EXPECTED_LOAD_UNKNOWN_BASELINE
    )
    w = LOAD_WEIGHTS
    load = (
        w.errors * error_score
        + w.duration * duration_score
        + (w.latency + w.engagement + w.decline) * baseline
    )
    return ExpectedLoad(load, error_rate, error_score, duration_score, baseline, known)


# --- the plan ---------------------------------------------------------------


@dataclass(frozen=True)
class SessionPlan:
    """A complete session plan, ready for ``session_orchestration_plans.planData``."""

    start: datetime
    end: datetime
    timezone: str
    mission_id: str | None
    complexity: ObjectiveComplexity
    duration: DurationBreakdown
    break_interval_minutes: float
    breaks: tuple[Break, ...]
    phases: tuple[PhaseSpan, ...]
    items: tuple[PlanItem, ...]
    unfilled_minutes: float
    relaxations: dict[str, int]
    intensity: Intensity
    expected: ExpectedLoad
    review_only: bool
    conflicts: tuple[Conflict, ...]
    content_available: dict[str, int]

    @property
    def minutes(self) -> int:
        """Planned length in real minutes, breaks included."""
        return self.duration.minutes

    def to_plan_data(self) -> dict[str, object]:
        """The JSON stored in ``planData``: items, breaks, phases, reasons, expected load."""
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "timezone": self.timezone,
            "durationMinutes": self.minutes,
            "intensity": self.intensity.value,
            "expectedLoad": self.expected.to_json(),
            "phases": [
                {
                    "phase": p.phase.value,
                    "studyMinutes": rounded(p.study_minutes, 2),
                    "startOffsetMinutes": rounded(p.start_offset, 2),
                    "endOffsetMinutes": rounded(p.end_offset, 2),
                }
                for p in self.phases
            ],
            "breaks": [
                {
                    "startOffsetMinutes": rounded(b.start_offset, 2),
                    "minutes": b.minutes,
                    "start": iso(add_minutes(self.start, b.start_offset)),
                }
                for b in self.breaks
            ],
            "items": [it.to_json(self.start) for it in self.items],
            "conflicts": [c.to_json() for c in self.conflicts],
            "reasons": {
                "duration": self.duration.to_json(),
                "complexity": self.complexity.value,
                "breakIntervalMinutes": rounded(self.break_interval_minutes, 2),
                "unfilledMinutes": rounded(self.unfilled_minutes, 2),
                "relaxations": dict(self.relaxations),
                "reviewOnly": self.review_only,
                "contentAvailable": dict(self.content_available),
                "contentPlanned": {
                    kind.value: sum(1 for it in self.items if it.kind is kind) for kind in ItemKind
                },
            },
        }


def _calendar_cap(request: PlanRequest, minutes: int) -> tuple[int | None, tuple[Conflict, ...]]:
    """Minutes free from the start before the next busy event (buffer kept), and tentative overlaps."""
    if request.busy is None:
        return None, ()
    start = utc(request.start)
    busy_from = request.busy.next_blocking_start(start, above_weight=TENTATIVE_WEIGHT)
    if busy_from is not None:
        free = minutes_between(start, busy_from) - SLOT_BUFFER_MINUTES
        if free < MIN_SESSION_MINUTES:
            raise PlanConflict(
                f"only {max(0.0, free):.0f} free minutes from {iso(request.start)} before a busy event "
                f"(at least {MIN_SESSION_MINUTES} plus a {SLOT_BUFFER_MINUTES}-minute buffer needed)",
                free_minutes=max(0.0, free),
                busy_from=busy_from,
            )
        cap: int | None = math.floor(free) if free < minutes else None
    else:
        cap = None
    final = min(minutes, cap) if cap is not None else minutes
    conflicts = tuple(
        Conflict(s.start, s.end, s.weight)
        for s in request.busy.overlapping(start, start + timedelta(minutes=final))
    )
    return cap, conflicts


def plan_session(request: PlanRequest) -> SessionPlan:
    """Plan one session: duration, breaks, phases, content sequence, intensity and expected load."""
    tz = zone(request.timezone)
    local_start = request.start.astimezone(tz)
    timing = request.timing
    duration = session_duration(local_start, request.complexity, timing)
    cap, conflicts = _calendar_cap(request, duration.minutes)
    if cap is not None:
        duration = replace(duration, calendar_cap_minutes=cap, minutes=min(duration.minutes, cap))
    minutes = duration.minutes
    interval = break_interval_minutes(request.complexity, timing)
    breaks = schedule_breaks(minutes, interval)
    spans = phase_spans(minutes, breaks)
    review_only = timing.burnout in (BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL)
    items, unfilled, relaxations = sequence_items(
        request, minutes, breaks, spans, review_only=review_only
    )
    expected = expected_load(items, request.due_cards, minutes, duration.optimal_minutes, timing)
    return SessionPlan(
        start=local_start,
        end=add_minutes(local_start, minutes),
        timezone=request.timezone,
        mission_id=request.mission_id,
        complexity=request.complexity,
        duration=duration,
        break_interval_minutes=interval,
        breaks=breaks,
        phases=spans,
        items=items,
        unfilled_minutes=unfilled,
        relaxations=relaxations,
        intensity=session_intensity(timing),
        expected=expected,
        review_only=review_only,
        conflicts=conflicts,
        content_available={
            "dueCards": len(request.due_cards),
            "newCards": len(request.new_cards),
            "objectives": sum(1 for o in request.objectives if not o.completed),
            "validations": len(request.validations),
            "struggles": len(request.struggles),
        },
    )


@dataclass(frozen=True)
class PlanActuals:
    """How a session that happened compares with its plan (stored beside ``planData``)."""

    start_delta_minutes: float
    planned_minutes: int
    actual_minutes: float
    items_planned: int
    items_done: int

    @property
    def followed(self) -> bool:
        """Started within ±30 minutes of the plan and lasted within ±20% of it (5.3's adherence)."""
        return (
            abs(self.start_delta_minutes) <= START_TOLERANCE_MINUTES
            and abs(self.actual_minutes - self.planned_minutes)
            <= DURATION_TOLERANCE_SHARE * self.planned_minutes
        )

    def to_json(self) -> dict[str, object]:
        """``planData.actuals``."""
        return {
            "startDeltaMinutes": rounded(self.start_delta_minutes, 1),
            "plannedMinutes": self.planned_minutes,
            "actualMinutes": rounded(self.actual_minutes, 1),
            "itemsPlanned": self.items_planned,
            "itemsDone": self.items_done,
            "completion": rounded(self.items_done / self.items_planned, 4)
            if self.items_planned
            else None,
            "followed": self.followed,
        }


def planned_item_ids(items: Sequence[PlanItem]) -> list[frozenset[str]]:
    """Per item with anything to do, the ids that mark it done (its cards, its reference)."""
    return [
        ids
        for it in items
        if (ids := frozenset(it.card_ids) | ({it.ref_id} if it.ref_id is not None else set()))
    ]


def actuals_from_items(
    planned_start: datetime,
    planned_minutes: int,
    item_ids: Sequence[frozenset[str]],
    started_at: datetime,
    actual_minutes: float,
    done_ids: frozenset[str],
) -> PlanActuals:
    """Compare a session with a (stored) plan: an item is done when all its ids are in ``done_ids``."""
    require_aware("planned_start", planned_start)
    require_aware("started_at", started_at)
    return PlanActuals(
        start_delta_minutes=minutes_between(planned_start, started_at),
        planned_minutes=planned_minutes,
        actual_minutes=actual_minutes,
        items_planned=len(item_ids),
        items_done=sum(1 for ids in item_ids if ids <= done_ids),
    )


def plan_actuals(
    plan: SessionPlan, started_at: datetime, actual_minutes: float, done_ids: frozenset[str]
) -> PlanActuals:
    """Compare a session with its plan; an item counts as done when its card or reference id is in ``done_ids``."""
    return actuals_from_items(
        plan.start,
        plan.minutes,
        planned_item_ids(plan.items),
        started_at,
        actual_minutes,
        done_ids,
    )
