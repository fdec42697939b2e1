"""The inputs of a session plan: the learner's content (due and new cards, mission objectives,
validations, predicted struggles), their timing numbers, and the item kinds, phases and bands.

See :mod:`twin.analysis.orchestration.plan` for how a plan is made from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from twin.analysis.orchestration.busy import BusyTime
from twin.analysis.orchestration.common import (
    day_type,
    require_aware,
    zone,
)
from twin.analysis.struggle.workflow import PREREQUISITE_REVIEW_MINUTES
from twin.enums import BurnoutRiskLevel, InterventionType, ObjectiveComplexity

# --- banding of due cards by predicted recall --------------------------------
EASY_RECALL_MIN = 0.85
MEDIUM_RECALL_MIN = 0.6

# --- item times (used when the learner has no median yet) --------------------
DEFAULT_REVIEW_SECONDS = 20.0
DEFAULT_NEW_CARD_SECONDS = 60.0
DEFAULT_VALIDATION_SECONDS = 240.0
DEFAULT_OBJECTIVE_MINUTES = 10.0
DEFAULT_INTERVENTION_MINUTES = PREREQUISITE_REVIEW_MINUTES


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
