"""Session length and breaks (ENGINE.md 5.3 "Session plan": the duration and break formulas).

**Duration** (real minutes, breaks included):
``optimal (5.1, default 45) + complexity offset (BASIC −10, ADVANCED +15)``, then
×1.2 when the start is inside one of the learner's optimal windows, ×0.9 outside them
(×1 when the learner has no optimal window yet — unknown is not "outside"), ×0.85 in a
heavy week (study hours of the last 7 days > 1.5 × the learner's median week), ×0.7 at
a recent load ≥ 60; rounded to the minute (half up) and clamped to 15–120. Then the
burnout caps: HIGH 30 min / CRITICAL 20 min (5.4's session caps). The calendar cap is
applied by :func:`twin.analysis.orchestration.plan.plan_session`.

**Breaks**: every 0.9 × the median time-to-fatigue (5.1) when known, else BASIC 45 /
INTERMEDIATE 30 / ADVANCED 25 min; at most 20 min at a load ≥ 60. A break taken at
elapsed minute m lasts 5 min, 10 from m ≥ 60, 15 from m ≥ 90; no break is placed when
less than 10 minutes of study would follow it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from twin.analysis.cognitive.burnout import (
    CRITICAL_MAX_SESSION_MINUTES,
    HIGH_MAX_SESSION_MINUTES,
)
from twin.analysis.cognitive.load import (
    LOAD_HIGH_MIN,
)
from twin.analysis.orchestration.common import (
    rounded,
)
from twin.analysis.orchestration.plan_inputs import LearnerTiming, OptimalWindow
from twin.analysis.patterns.attention import BREAK_INTERVAL_FRACTION_OF_FATIGUE
from twin.analysis.patterns.session_duration import COMPLEXITY_OFFSET_MINUTES
from twin.enums import BurnoutRiskLevel, ObjectiveComplexity

# --- duration ---------------------------------------------------------------
DEFAULT_OPTIMAL_DURATION_MINUTES = 45
INSIDE_OPTIMAL_WINDOW_MULTIPLIER = 1.2
OUTSIDE_OPTIMAL_WINDOW_MULTIPLIER = 0.9
HEAVY_WEEK_RATIO = 1.5
HEAVY_WEEK_MULTIPLIER = 0.85
HIGH_LOAD_MIN = LOAD_HIGH_MIN
HIGH_LOAD_MULTIPLIER = 0.7
MIN_SESSION_MINUTES = 15
MAX_SESSION_MINUTES = 120
BURNOUT_CAP_MINUTES: dict[BurnoutRiskLevel, int] = {
    BurnoutRiskLevel.HIGH: HIGH_MAX_SESSION_MINUTES,
    BurnoutRiskLevel.CRITICAL: CRITICAL_MAX_SESSION_MINUTES,
}

# --- breaks -----------------------------------------------------------------
DEFAULT_BREAK_INTERVAL_MINUTES: dict[ObjectiveComplexity, float] = {
    ObjectiveComplexity.BASIC: 45.0,
    ObjectiveComplexity.INTERMEDIATE: 30.0,
    ObjectiveComplexity.ADVANCED: 25.0,
}
HIGH_LOAD_BREAK_INTERVAL_MINUTES = 20.0
BREAK_MINUTES = 5.0
LONG_BREAK_FROM_MINUTE = 60.0
LONG_BREAK_MINUTES = 10.0
LONGEST_BREAK_FROM_MINUTE = 90.0
LONGEST_BREAK_MINUTES = 15.0
MIN_STUDY_AFTER_BREAK_MINUTES = 10.0
# Time comparisons in minutes tolerate float noise of this size.
EPSILON_MINUTES = 1e-6


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


@dataclass(frozen=True)
class DurationBreakdown:
    """Every step of the duration formula, for the plan's reasons."""

    optimal_minutes: float
    optimal_known: bool
    complexity_offset_minutes: float
    window_multiplier: float
    heavy_week_multiplier: float
    load_multiplier: float
    raw_minutes: float
    clamped_minutes: int
    burnout_cap_minutes: int | None
    calendar_cap_minutes: int | None
    minutes: int

    def to_json(self) -> dict[str, object]:
        """JSON form (numbers only)."""
        return {
            "optimalMinutes": rounded(self.optimal_minutes, 2),
            "optimalKnown": self.optimal_known,
            "complexityOffsetMinutes": self.complexity_offset_minutes,
            "windowMultiplier": self.window_multiplier,
            "heavyWeekMultiplier": self.heavy_week_multiplier,
            "loadMultiplier": self.load_multiplier,
            "rawMinutes": rounded(self.raw_minutes, 2),
            "clampedMinutes": self.clamped_minutes,
            "burnoutCapMinutes": self.burnout_cap_minutes,
            "calendarCapMinutes": self.calendar_cap_minutes,
            "minutes": self.minutes,
        }


def window_multiplier(local_start: datetime, windows: Sequence[OptimalWindow]) -> float:
    """1.2 inside an optimal window, 0.9 outside, 1 when no window is known."""
    if not windows:
        return 1.0
    if any(w.contains(local_start) for w in windows):
        return INSIDE_OPTIMAL_WINDOW_MULTIPLIER
    return OUTSIDE_OPTIMAL_WINDOW_MULTIPLIER


def is_heavy_week(timing: LearnerTiming) -> bool:
    """Study hours of the last 7 days above 1.5 × the learner's median week (False when unknown)."""
    if timing.study_hours_last_7_days is None or not timing.median_weekly_study_hours:
        return False
    return timing.study_hours_last_7_days > HEAVY_WEEK_RATIO * timing.median_weekly_study_hours


def is_high_load(timing: LearnerTiming) -> bool:
    """Recent mean load ≥ 60 (5.4's HIGH band)."""
    return timing.recent_mean_load is not None and timing.recent_mean_load >= HIGH_LOAD_MIN


def session_duration(
    local_start: datetime, complexity: ObjectiveComplexity, timing: LearnerTiming
) -> DurationBreakdown:
    """The duration formula of ENGINE.md 5.3 with every multiplier, clamped and capped by burnout."""
    known = timing.optimal_duration_minutes is not None
    optimal = (
        float(timing.optimal_duration_minutes)
        if timing.optimal_duration_minutes is not None
        else float(DEFAULT_OPTIMAL_DURATION_MINUTES)
    )
    offset = float(COMPLEXITY_OFFSET_MINUTES[complexity.value])
    wm = window_multiplier(local_start, timing.optimal_windows)
    hw = HEAVY_WEEK_MULTIPLIER if is_heavy_week(timing) else 1.0
    lm = HIGH_LOAD_MULTIPLIER if is_high_load(timing) else 1.0
    raw = (optimal + offset) * wm * hw * lm
    clamped = min(MAX_SESSION_MINUTES, max(MIN_SESSION_MINUTES, _round_half_up(raw)))
    cap = BURNOUT_CAP_MINUTES.get(timing.burnout) if timing.burnout is not None else None
    minutes = min(clamped, cap) if cap is not None else clamped
    return DurationBreakdown(
        optimal_minutes=optimal,
        optimal_known=known,
        complexity_offset_minutes=offset,
        window_multiplier=wm,
        heavy_week_multiplier=hw,
        load_multiplier=lm,
        raw_minutes=raw,
        clamped_minutes=clamped,
        burnout_cap_minutes=cap,
        calendar_cap_minutes=None,
        minutes=minutes,
    )


def slot_duration_minutes(complexity: ObjectiveComplexity, timing: LearnerTiming) -> int:
    """The session length to look for slots with: the duration formula without the window factor.

    Whether a start is inside an optimal window depends on the slot, which is what is being
    searched for, so slots are sized at ×1; the plan made for the chosen slot applies ×1.2 or
    ×0.9 and is then capped by the calendar.
    """
    anywhere = datetime(2000, 1, 3, 12, 0, tzinfo=UTC)
    return session_duration(anywhere, complexity, replace(timing, optimal_windows=())).minutes


def break_interval_minutes(complexity: ObjectiveComplexity, timing: LearnerTiming) -> float:
    """Minutes of study between breaks: 0.9 × time-to-fatigue, else by complexity; ≤ 20 at high load."""
    if timing.time_to_fatigue_minutes is not None and timing.time_to_fatigue_minutes > 0:
        interval = BREAK_INTERVAL_FRACTION_OF_FATIGUE * timing.time_to_fatigue_minutes
    else:
        interval = DEFAULT_BREAK_INTERVAL_MINUTES[complexity]
    if is_high_load(timing):
        interval = min(interval, HIGH_LOAD_BREAK_INTERVAL_MINUTES)
    return interval


def break_length_minutes(elapsed_minutes: float) -> float:
    """5 min; 10 from elapsed minute 60; 15 from minute 90."""
    if elapsed_minutes >= LONGEST_BREAK_FROM_MINUTE:
        return LONGEST_BREAK_MINUTES
    if elapsed_minutes >= LONG_BREAK_FROM_MINUTE:
        return LONG_BREAK_MINUTES
    return BREAK_MINUTES


@dataclass(frozen=True)
class Break:
    """A break at ``start_offset`` minutes after the session start, ``minutes`` long."""

    start_offset: float
    minutes: float

    @property
    def end_offset(self) -> float:
        """Minutes after the session start when the break ends."""
        return self.start_offset + self.minutes


def schedule_breaks(duration_minutes: float, interval_minutes: float) -> tuple[Break, ...]:
    """Breaks every ``interval`` minutes of study, none when < 10 minutes of study would follow."""
    if interval_minutes <= 0:
        raise ValueError("interval_minutes must be > 0")
    breaks: list[Break] = []
    study_from = 0.0
    while True:
        at = study_from + interval_minutes
        length = break_length_minutes(at)
        if at + length + MIN_STUDY_AFTER_BREAK_MINUTES > duration_minutes + EPSILON_MINUTES:
            break
        breaks.append(Break(at, length))
        study_from = at + length
    return tuple(breaks)
