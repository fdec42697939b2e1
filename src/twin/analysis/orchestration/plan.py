"""A session plan for a start time and an optional mission (ENGINE.md 5.3 "Session plan").

**Duration** (real minutes, breaks included):
``optimal (5.1, default 45) + complexity offset (BASIC −10, ADVANCED +15)``, then
×1.2 when the start is inside one of the learner's optimal windows, ×0.9 outside them
(×1 when the learner has no optimal window yet — unknown is not "outside"), ×0.85 in a
heavy week (study hours of the last 7 days > 1.5 × the learner's median week), ×0.7 at
a recent load ≥ 60; rounded to the minute (half up) and clamped to 15–120. Then two
caps: burnout HIGH 30 min / CRITICAL 20 min (5.4's session caps), and the calendar:
the session and its 10-minute buffer end before the next busy event.

**Breaks**: every 0.9 × the median time-to-fatigue (5.1) when known, else BASIC 45 /
INTERMEDIATE 30 / ADVANCED 25 min; at most 20 min at a load ≥ 60. A break taken at
elapsed minute m lasts 5 min, 10 from m ≥ 60, 15 from m ≥ 90; no break is placed when
less than 10 minutes of study would follow it.

**Phases** over the study minutes S (breaks excluded): warm-up ``min(15, 0.2·S)`` of
easy reviews, wind-down ``0.2·S`` of medium reviews, peak the rest (60% of S, plus what
the 15-minute cap leaves). Due cards are banded by predicted recall: easy ≥ 0.85,
medium ≥ 0.6, hard below; within a band the lowest recall comes first.

**Sequence**. Items are card blocks (up to 5 minutes of cards at the learner's median
time per card; in warm-up and wind-down up to a third of the phase, so a review phase
is at most 3 blocks), mission objectives (split into parts of ≥ 5 min when a break
comes), validations, and an intervention item for each predicted struggle (5.2) in the
peak. A greedy pass walks the session and at each point places the first item, in
the phase's priority order, that keeps the two rules: no more than 3 items of one
kind in a row, and an objective studied again only 10 or more minutes after its last
item ended. Peak order: struggle interventions (most probable first), hard reviews,
mission objectives, validations, new cards. When only rule-breaking content is left,
it is placed anyway and the relaxation is recorded (so the learner never gets an
empty stretch while due content waits); when nothing fits, the minutes are reported
as unfilled. A phase without its own content (no easy cards for the warm-up, say) takes
the peak's. At burnout HIGH or CRITICAL the plan is review only: no new cards and no new
mission content (5.4's rule for those levels).

**Intensity**: LOW at burnout HIGH/CRITICAL or a load ≥ 60; MEDIUM at burnout MEDIUM
or a load ≥ 40; else HIGH. **Expected load** uses 5.4's load weights: the error
sub-score from the planned cards' mean predicted miss rate, the duration sub-score
from the planned length against the optimal length, and the learner's recent mean
load (30 when unknown) for the three sub-scores that cannot be known in advance.
"""
# size: the whole session plan (duration, breaks, phases, sequencing) in one module for now;
# to be split along those seams when the orchestration service lands (issue 16).

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from twin.analysis.cognitive.burnout import (
    CRITICAL_MAX_SESSION_MINUTES,
    HIGH_MAX_SESSION_MINUTES,
)
from twin.analysis.cognitive.common import scaled_score
from twin.analysis.cognitive.load import (
    DURATION_EXCESS_FRACTION_AT_MAX,
    ERROR_RATE_AT_MAX,
    EXPECTED_ERROR_RATE,
    LOAD_HIGH_MIN,
    LOAD_MODERATE_MIN,
    LOAD_WEIGHTS,
)
from twin.analysis.orchestration.busy import TENTATIVE_WEIGHT, BusyTime
from twin.analysis.orchestration.common import (
    SECONDS_PER_MINUTE,
    add_minutes,
    day_type,
    iso,
    minutes_between,
    require_aware,
    rounded,
    utc,
    zone,
)
from twin.analysis.orchestration.effectiveness import (
    DURATION_TOLERANCE_SHARE,
    START_TOLERANCE_MINUTES,
)
from twin.analysis.orchestration.slots import SLOT_BUFFER_MINUTES, Conflict
from twin.analysis.patterns.attention import BREAK_INTERVAL_FRACTION_OF_FATIGUE
from twin.analysis.patterns.session_duration import COMPLEXITY_OFFSET_MINUTES
from twin.analysis.struggle.workflow import PREREQUISITE_REVIEW_MINUTES
from twin.enums import BurnoutRiskLevel, InterventionType, ObjectiveComplexity

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

# --- phases and sequence ----------------------------------------------------
WARM_UP_MAX_MINUTES = 15.0
WARM_UP_SHARE = 0.2
WIND_DOWN_SHARE = 0.2
MAX_SAME_KIND_RUN = 3
OBJECTIVE_SPACING_MINUTES = 10.0
CARD_BLOCK_MINUTES = 5.0
EASY_RECALL_MIN = 0.85
MEDIUM_RECALL_MIN = 0.6
MIN_OBJECTIVE_PART_MINUTES = 5.0
# Time comparisons in minutes tolerate float noise of this size.
EPSILON_MINUTES = 1e-6

# --- item times (used when the learner has no median yet) --------------------
DEFAULT_REVIEW_SECONDS = 20.0
DEFAULT_NEW_CARD_SECONDS = 60.0
DEFAULT_VALIDATION_SECONDS = 240.0
DEFAULT_OBJECTIVE_MINUTES = 10.0
DEFAULT_INTERVENTION_MINUTES = PREREQUISITE_REVIEW_MINUTES

# --- expected load ----------------------------------------------------------
EXPECTED_LOAD_UNKNOWN_BASELINE = 30.0


class Intensity(StrEnum):
    """How hard the session may push (from load and burnout)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class ItemKind(StrEnum):
    """The kind of a plan item; "≤ 3 of one kind in a row" is counted on these."""

    REVIEW = "REVIEW"
    NEW_CARDS = "NEW_CARDS"
    OBJECTIVE = "OBJECTIVE"
    VALIDATION = "VALIDATION"
    INTERVENTION = "INTERVENTION"


class Phase(StrEnum):
    """The three phases of a session."""

    WARM_UP = "WARM_UP"
    PEAK = "PEAK"
    WIND_DOWN = "WIND_DOWN"


class Band(StrEnum):
    """Difficulty band of a due card by its predicted recall."""

    EASY = "EASY"
    MEDIUM = "MEDIUM"
    HARD = "HARD"


# --- inputs -----------------------------------------------------------------


@dataclass(frozen=True)
class DueCard:
    """A card due for review with its predicted recall now (0–1, from the recall model)."""

    card_id: str
    recall: float
    objective_id: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.recall <= 1.0:
            raise ValueError(f"recall must be in [0, 1], got {self.recall}")

    @property
    def band(self) -> Band:
        """EASY ≥ 0.85 > MEDIUM ≥ 0.6 > HARD."""
        if self.recall >= EASY_RECALL_MIN:
            return Band.EASY
        if self.recall >= MEDIUM_RECALL_MIN:
            return Band.MEDIUM
        return Band.HARD


@dataclass(frozen=True)
class NewCard:
    """A card never studied yet."""

    card_id: str
    objective_id: str | None = None


CardT = TypeVar("CardT", DueCard, NewCard)


@dataclass(frozen=True)
class MissionObjective:
    """One objective of the mission with its estimated minutes."""

    objective_id: str
    estimated_minutes: float = DEFAULT_OBJECTIVE_MINUTES
    completed: bool = False

    def __post_init__(self) -> None:
        if self.estimated_minutes <= 0:
            raise ValueError(f"estimated_minutes must be > 0, got {self.estimated_minutes}")


@dataclass(frozen=True)
class ValidationPrompt:
    """A validation (explain / reason / controlled failure) on an objective."""

    prompt_id: str
    objective_id: str | None = None
    prompt_type: str = ""


@dataclass(frozen=True)
class StruggleForecast:
    """A predicted struggle (5.2) on an objective, with the interventions to use."""

    objective_id: str
    probability: float
    interventions: tuple[InterventionType, ...] = ()
    minutes: float = DEFAULT_INTERVENTION_MINUTES

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {self.probability}")
        if self.minutes <= 0:
            raise ValueError(f"minutes must be > 0, got {self.minutes}")


@dataclass(frozen=True)
class ItemTimes:
    """The learner's own median seconds per item type (None: the named default)."""

    review_seconds: float | None = None
    new_card_seconds: float | None = None
    validation_seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("review_seconds", "new_card_seconds", "validation_seconds"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")

    @property
    def review(self) -> float:
        """Seconds per review."""
        return self.review_seconds or DEFAULT_REVIEW_SECONDS

    @property
    def new_card(self) -> float:
        """Seconds per new card."""
        return self.new_card_seconds or DEFAULT_NEW_CARD_SECONDS

    @property
    def validation(self) -> float:
        """Seconds per validation prompt."""
        return self.validation_seconds or DEFAULT_VALIDATION_SECONDS


@dataclass(frozen=True)
class OptimalWindow:
    """A local start-hour window ``[start_hour, end_hour)`` (wrapping past midnight) on a day type or every day."""

    start_hour: int
    end_hour: int
    day_type: str | None = None

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour < 24 and 0 <= self.end_hour < 24):
            raise ValueError("hours must be 0..23")
        if self.day_type not in (None, "weekday", "weekend"):
            raise ValueError(
                f"day_type must be None, 'weekday' or 'weekend', got {self.day_type!r}"
            )

    def contains(self, local: datetime) -> bool:
        """Whether the local start hour of ``local`` is inside the window."""
        if self.day_type is not None and day_type(local.weekday()) != self.day_type:
            return False
        span = (self.end_hour - self.start_hour) % 24 or 24
        return (local.hour - self.start_hour) % 24 < span


@dataclass(frozen=True)
class LearnerTiming:
    """What the twin says about the learner's timing, load and burnout (None = unknown)."""

    optimal_duration_minutes: float | None = None
    time_to_fatigue_minutes: float | None = None
    optimal_windows: tuple[OptimalWindow, ...] = ()
    study_hours_last_7_days: float | None = None
    median_weekly_study_hours: float | None = None
    recent_mean_load: float | None = None
    burnout: BurnoutRiskLevel | None = None


@dataclass(frozen=True)
class PlanRequest:
    """A plan request: start (aware), the learner's zone, the content and the twin's numbers."""

    start: datetime
    timezone: str
    complexity: ObjectiveComplexity = ObjectiveComplexity.INTERMEDIATE
    mission_id: str | None = None
    due_cards: tuple[DueCard, ...] = ()
    new_cards: tuple[NewCard, ...] = ()
    objectives: tuple[MissionObjective, ...] = ()
    validations: tuple[ValidationPrompt, ...] = ()
    struggles: tuple[StruggleForecast, ...] = ()
    item_times: ItemTimes = field(default_factory=ItemTimes)
    timing: LearnerTiming = field(default_factory=LearnerTiming)
    busy: BusyTime | None = None

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        zone(self.timezone)


class PlanConflict(ValueError):
    """The requested start is busy, or too little free time follows it for a session."""

    def __init__(self, message: str, *, free_minutes: float, busy_from: datetime | None) -> None:
        super().__init__(message)
        self.free_minutes = free_minutes
        self.busy_from = busy_from


# --- duration and breaks ----------------------------------------------------


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


# --- phases -----------------------------------------------------------------


@dataclass(frozen=True)
class PhaseSpan:
    """A phase as study minutes and as wall offsets from the session start."""

    phase: Phase
    study_minutes: float
    start_offset: float
    end_offset: float


def phase_spans(duration_minutes: float, breaks: Sequence[Break]) -> tuple[PhaseSpan, ...]:
    """Warm-up ``min(15, 20%)``, peak the rest, wind-down 20% of the study minutes, on the wall clock."""
    study = duration_minutes - sum(b.minutes for b in breaks)
    warm = min(WARM_UP_MAX_MINUTES, WARM_UP_SHARE * study)
    wind = WIND_DOWN_SHARE * study
    peak = study - warm - wind
    warm_end = _study_to_wall(warm, breaks)
    peak_end = _study_to_wall(warm + peak, breaks)
    return (
        PhaseSpan(Phase.WARM_UP, warm, 0.0, warm_end),
        PhaseSpan(Phase.PEAK, peak, warm_end, peak_end),
        PhaseSpan(Phase.WIND_DOWN, wind, peak_end, float(duration_minutes)),
    )


def _study_to_wall(study_minute: float, breaks: Sequence[Break]) -> float:
    """The wall offset where ``study_minute`` of study is reached (a boundary on a break start stays before it)."""
    wall = study_minute
    for b in breaks:
        if b.start_offset < wall - EPSILON_MINUTES:
            wall += b.minutes
    return wall


# --- sequencing -------------------------------------------------------------


@dataclass(frozen=True)
class PlanItem:
    """One item of the sequence with its place on the session's wall clock."""

    index: int
    kind: ItemKind
    phase: Phase
    start_offset: float
    minutes: float
    objective_ids: tuple[str, ...] = ()
    card_ids: tuple[str, ...] = ()
    ref_id: str | None = None
    interventions: tuple[InterventionType, ...] = ()
    probability: float | None = None
    mean_recall: float | None = None
    part: int | None = None

    @property
    def end_offset(self) -> float:
        """Minutes after the session start when the item ends."""
        return self.start_offset + self.minutes

    def to_json(self, session_start: datetime) -> dict[str, object]:
        """JSON element of ``planData.items``."""
        out: dict[str, object] = {
            "index": self.index,
            "kind": self.kind.value,
            "phase": self.phase.value,
            "startOffsetMinutes": rounded(self.start_offset, 2),
            "minutes": rounded(self.minutes, 2),
            "start": iso(add_minutes(session_start, self.start_offset)),
            "objectiveIds": list(self.objective_ids),
        }
        if self.card_ids:
            out["cardIds"] = list(self.card_ids)
        if self.ref_id is not None:
            out["refId"] = self.ref_id
        if self.interventions:
            out["interventions"] = [i.value for i in self.interventions]
        if self.probability is not None:
            out["struggleProbability"] = rounded(self.probability, 4)
        if self.mean_recall is not None:
            out["meanRecall"] = rounded(self.mean_recall, 4)
        if self.part is not None:
            out["part"] = self.part
        return out


@dataclass
class _ObjectiveLeft:
    objective: MissionObjective
    minutes_left: float
    parts: int = 0


@dataclass
class _Draft:
    kind: ItemKind
    minutes: float
    objective_ids: tuple[str, ...]
    card_ids: tuple[str, ...] = ()
    ref_id: str | None = None
    interventions: tuple[InterventionType, ...] = ()
    probability: float | None = None
    mean_recall: float | None = None
    part: int | None = None
    source: StruggleForecast | _ObjectiveLeft | ValidationPrompt | None = None


class _Sequencer:
    """Greedy placement of the session's content under the two sequencing rules."""

    def __init__(self, request: PlanRequest, review_only: bool) -> None:
        times = request.item_times
        self.review_minutes = times.review / SECONDS_PER_MINUTE
        self.new_minutes = times.new_card / SECONDS_PER_MINUTE
        self.validation_minutes = times.validation / SECONDS_PER_MINUTE
        # Lowest predicted recall first: the cards closest to being forgotten.
        self.cards = sorted(request.due_cards, key=lambda c: (c.recall, c.card_id))
        self.new_cards = [] if review_only else list(request.new_cards)
        self.objectives: list[_ObjectiveLeft] = (
            []
            if review_only
            else [
                _ObjectiveLeft(o, o.estimated_minutes)
                for o in request.objectives
                if not o.completed
            ]
        )
        self.validations = list(request.validations)
        self.struggles = sorted(request.struggles, key=lambda s: (-s.probability, s.objective_id))
        self.last_end: dict[str, float] = {}
        self.run_kind: ItemKind | None = None
        self.run_length = 0
        self.relaxations: dict[str, int] = {}

    # rules ------------------------------------------------------------------
    def spacing_ok(self, objective_id: str | None, at: float) -> bool:
        """The objective's last item ended at least 10 minutes before ``at``."""
        if objective_id is None:
            return True
        last = self.last_end.get(objective_id)
        return last is None or at - last >= OBJECTIVE_SPACING_MINUTES - EPSILON_MINUTES

    def run_ok(self, kind: ItemKind) -> bool:
        """Placing ``kind`` keeps runs of one kind at 3 or fewer."""
        return self.run_kind != kind or self.run_length < MAX_SAME_KIND_RUN

    def has_content(self) -> bool:
        """Whether anything is left to place."""
        return bool(
            self.cards or self.new_cards or self.objectives or self.validations or self.struggles
        )

    # makers -----------------------------------------------------------------
    def review_block(
        self, at: float, limit: float, target: float, bands: tuple[Band, ...], spacing: bool
    ) -> _Draft | None:
        """Up to ``target`` minutes of due cards of ``bands``, band by band, lowest recall first.

        Only cards whose objective may be studied now (10-minute spacing) are eligible, so the
        order is "lowest recall first among the cards allowed at this point"; a later band is
        used only when the earlier ones have nothing eligible left.
        """
        max_cards = math.floor((min(limit, target) + EPSILON_MINUTES) / self.review_minutes)
        if max_cards <= 0:
            return None
        picked: list[DueCard] = []
        taken: set[str] = set()
        for band in bands:
            eligible = [
                c
                for c in self.cards
                if c.band is band and (not spacing or self.spacing_ok(c.objective_id, at))
            ]
            picked += _lowest_first(eligible, max_cards - len(picked), taken)
            if len(picked) >= max_cards:
                break
        if not picked:
            return None
        return _Draft(
            kind=ItemKind.REVIEW,
            minutes=len(picked) * self.review_minutes,
            objective_ids=_unique(c.objective_id for c in picked),
            card_ids=tuple(c.card_id for c in picked),
            mean_recall=sum(c.recall for c in picked) / len(picked),
        )

    def new_block(self, at: float, limit: float, spacing: bool) -> _Draft | None:
        """Up to 5 minutes of new cards in the given order, skipping objectives studied < 10 min ago."""
        max_cards = math.floor(
            (min(limit, CARD_BLOCK_MINUTES) + EPSILON_MINUTES) / self.new_minutes
        )
        if max_cards <= 0:
            return None
        eligible = [c for c in self.new_cards if not spacing or self.spacing_ok(c.objective_id, at)]
        picked = _lowest_first(eligible, max_cards, set())
        if not picked:
            return None
        return _Draft(
            kind=ItemKind.NEW_CARDS,
            minutes=len(picked) * self.new_minutes,
            objective_ids=_unique(c.objective_id for c in picked),
            card_ids=tuple(c.card_id for c in picked),
        )

    def intervention(self, at: float, limit: float, spacing: bool) -> _Draft | None:
        """The most probable predicted struggle that fits, with its interventions."""
        for forecast in self.struggles:
            if forecast.minutes > limit + EPSILON_MINUTES:
                continue
            if spacing and not self.spacing_ok(forecast.objective_id, at):
                continue
            return _Draft(
                kind=ItemKind.INTERVENTION,
                minutes=forecast.minutes,
                objective_ids=(forecast.objective_id,),
                ref_id=forecast.objective_id,
                interventions=forecast.interventions,
                probability=forecast.probability,
                source=forecast,
            )
        return None

    def objective(self, at: float, limit: float, spacing: bool) -> _Draft | None:
        """The next mission objective (a part of it, ≥ 5 min, when it does not fit whole)."""
        for entry in self.objectives:
            obj, left, parts = entry.objective, entry.minutes_left, entry.parts
            if spacing and not self.spacing_ok(obj.objective_id, at):
                continue
            take = min(left, limit)
            if take < left - EPSILON_MINUTES:
                # A part, and what it leaves, are each at least 5 minutes.
                take = min(take, left - MIN_OBJECTIVE_PART_MINUTES)
                if take < MIN_OBJECTIVE_PART_MINUTES - EPSILON_MINUTES:
                    continue
            split = take < left - EPSILON_MINUTES or parts > 0
            return _Draft(
                kind=ItemKind.OBJECTIVE,
                minutes=take,
                objective_ids=(obj.objective_id,),
                ref_id=obj.objective_id,
                part=parts + 1 if split else None,
                source=entry,
            )
        return None

    def validation(self, at: float, limit: float, spacing: bool) -> _Draft | None:
        """The next validation prompt whose objective may be studied now."""
        if self.validation_minutes > limit + EPSILON_MINUTES:
            return None
        for prompt in self.validations:
            if spacing and not self.spacing_ok(prompt.objective_id, at):
                continue
            return _Draft(
                kind=ItemKind.VALIDATION,
                minutes=self.validation_minutes,
                objective_ids=_unique([prompt.objective_id]),
                ref_id=prompt.prompt_id,
                source=prompt,
            )
        return None

    # choice -----------------------------------------------------------------
    def _makers(
        self, span: PhaseSpan, at: float, limit: float, spacing: bool
    ) -> list[Callable[[], _Draft | None]]:
        """The item makers in the phase's priority order, then the fallbacks."""
        phase_target = max(CARD_BLOCK_MINUTES, span.study_minutes / MAX_SAME_KIND_RUN)
        # A review phase ends at its boundary when a card still fits before it.
        to_boundary = span.end_offset - at
        if to_boundary >= self.review_minutes - EPSILON_MINUTES:
            phase_target = min(phase_target, to_boundary)
        any_band = (Band.HARD, Band.MEDIUM, Band.EASY)
        fallback: list[Callable[[], _Draft | None]] = [
            lambda: self.intervention(at, limit, spacing),
            lambda: self.review_block(at, limit, CARD_BLOCK_MINUTES, any_band, spacing),
            lambda: self.objective(at, limit, spacing),
            lambda: self.validation(at, limit, spacing),
            lambda: self.new_block(at, limit, spacing),
        ]
        if span.phase is Phase.WARM_UP:
            easy = (Band.EASY, Band.MEDIUM)
            return [lambda: self.review_block(at, limit, phase_target, easy, spacing), *fallback]
        if span.phase is Phase.WIND_DOWN:
            medium = (Band.MEDIUM, Band.EASY)
            return [lambda: self.review_block(at, limit, phase_target, medium, spacing), *fallback]
        # Peak content ends at the peak's end when it can, leaving wind-down to medium reviews.
        peak_limit = min(limit, to_boundary) if to_boundary > EPSILON_MINUTES else limit
        peak: list[Callable[[], _Draft | None]] = [
            lambda: self.intervention(at, peak_limit, spacing),
            lambda: self.review_block(at, peak_limit, CARD_BLOCK_MINUTES, (Band.HARD,), spacing),
            lambda: self.objective(at, peak_limit, spacing),
            lambda: self.validation(at, peak_limit, spacing),
            lambda: self.new_block(at, peak_limit, spacing),
        ]
        return [*peak, *fallback]

    def choose(self, span: PhaseSpan, at: float, limit: float) -> tuple[_Draft, list[str]] | None:
        """The first item in priority order that keeps both rules; failing that, the least relaxation."""
        for spacing, runs in ((True, True), (True, False), (False, True), (False, False)):
            for make in self._makers(span, at, limit, spacing):
                draft = make()
                if draft is None or (runs and not self.run_ok(draft.kind)):
                    continue
                broken = []
                if not self.run_ok(draft.kind):
                    broken.append("sameKindRun")
                if any(not self.spacing_ok(o, at) for o in draft.objective_ids):
                    broken.append("objectiveSpacing")
                return draft, broken
        return None

    def place(self, draft: _Draft, phase: Phase, at: float, index: int) -> PlanItem:
        """Commit ``draft`` at ``at`` (its content leaves the pools) and update the rules' state."""
        taken = set(draft.card_ids)
        if draft.kind is ItemKind.REVIEW:
            self.cards = [c for c in self.cards if c.card_id not in taken]
        elif draft.kind is ItemKind.NEW_CARDS:
            self.new_cards = [c for c in self.new_cards if c.card_id not in taken]
        elif isinstance(draft.source, StruggleForecast):
            self.struggles = [x for x in self.struggles if x is not draft.source]
        elif isinstance(draft.source, ValidationPrompt):
            self.validations = [x for x in self.validations if x is not draft.source]
        elif isinstance(draft.source, _ObjectiveLeft):
            draft.source.minutes_left -= draft.minutes
            draft.source.parts += 1
            if draft.source.minutes_left <= EPSILON_MINUTES:
                self.objectives = [e for e in self.objectives if e is not draft.source]
        for objective_id in draft.objective_ids:
            self.last_end[objective_id] = at + draft.minutes
        if self.run_kind == draft.kind:
            self.run_length += 1
        else:
            self.run_kind, self.run_length = draft.kind, 1
        return PlanItem(
            index=index,
            kind=draft.kind,
            phase=phase,
            start_offset=at,
            minutes=draft.minutes,
            objective_ids=draft.objective_ids,
            card_ids=draft.card_ids,
            ref_id=draft.ref_id,
            interventions=draft.interventions,
            probability=draft.probability,
            mean_recall=draft.mean_recall,
            part=draft.part,
        )


def _lowest_first(ordered: Sequence[CardT], room: int, taken: set[str]) -> list[CardT]:
    """Up to ``room`` not-yet-taken cards in the given (lowest recall first) order."""
    picked: list[CardT] = []
    for card in ordered:
        if len(picked) >= room:
            break
        if card.card_id not in taken:
            picked.append(card)
            taken.add(card.card_id)
    return picked


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """The distinct non-None values in first-seen order."""
    return tuple(dict.fromkeys(v for v in values if v is not None))


def _phase_at(spans: Sequence[PhaseSpan], at: float) -> PhaseSpan:
    for span in spans:
        if at < span.end_offset - EPSILON_MINUTES:
            return span
    return spans[-1]


def sequence_items(
    request: PlanRequest,
    duration_minutes: float,
    breaks: Sequence[Break],
    spans: Sequence[PhaseSpan],
    *,
    review_only: bool,
) -> tuple[tuple[PlanItem, ...], float, dict[str, int]]:
    """Place the content in the study segments; returns the items, unfilled minutes and relaxations."""
    seq = _Sequencer(request, review_only)
    segments: list[tuple[float, float]] = []
    cursor = 0.0
    for b in breaks:
        segments.append((cursor, b.start_offset))
        cursor = b.end_offset
    segments.append((cursor, float(duration_minutes)))

    items: list[PlanItem] = []
    unfilled = 0.0
    for seg_start, seg_end in segments:
        at = seg_start
        while seg_end - at > EPSILON_MINUTES and seq.has_content():
            span = _phase_at(spans, at)
            choice = seq.choose(span, at, seg_end - at)
            if choice is None:
                break
            draft, broken = choice
            for rule in broken:
                seq.relaxations[rule] = seq.relaxations.get(rule, 0) + 1
            items.append(seq.place(draft, span.phase, at, len(items)))
            at += draft.minutes
        unfilled += max(0.0, seg_end - at)
    return tuple(items), unfilled, seq.relaxations


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


def plan_actuals(
    plan: SessionPlan, started_at: datetime, actual_minutes: float, done_ids: frozenset[str]
) -> PlanActuals:
    """Compare a session with its plan; an item counts as done when its card or reference id is in ``done_ids``."""
    require_aware("started_at", started_at)
    planned_ids = [
        ids
        for it in plan.items
        if (ids := set(it.card_ids) | ({it.ref_id} if it.ref_id is not None else set()))
    ]
    done = sum(1 for ids in planned_ids if ids <= done_ids)
    return PlanActuals(
        start_delta_minutes=minutes_between(plan.start, started_at),
        planned_minutes=plan.minutes,
        actual_minutes=actual_minutes,
        items_planned=len(planned_ids),
        items_done=done,
    )
