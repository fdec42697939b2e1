"""What the twin knows that personalization may act on: findings, each with its confidence.

The service fills :class:`Evidence` from what is stored: ``behavioral_patterns`` (5.1:
study time, session length, attention cycle, forgetting curve, content outcomes),
validation responses (calibration), open ``struggle_predictions`` with their
prerequisite-gap indicators (5.2), mastery (strong areas), the latest cognitive load and
burnout assessment (5.4) and, when the learner has a calendar, today's free windows (5.3).
Every finding carries a confidence in [0, 1]; the personalization level decides which
are used (see :mod:`.preferences`). The load and the burnout level also drive the safety
overrides, which apply at any confidence.

Calibration is measured here from (confidence, score) pairs of validation responses:
``gap = mean confidence − mean score`` (positive = over-confident), confidence of the
finding ``min(1, n/30) × (2·Φ(|gap|/se) − 1)`` with ``se`` the standard error of the
paired differences — the same "data × evidence strength" form as the 5.1 patterns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from twin.analysis.cognitive.common import LoadLevel
from twin.analysis.cognitive.load import load_level
from twin.analysis.personalization.common import InvalidParameter, check_probability, check_range
from twin.enums import BurnoutRiskLevel

MINUTES_PER_HOUR = 60
HOURS_PER_DAY = 24
CALIBRATION_FULL_CONFIDENCE_RESPONSES = 30
MIN_CALIBRATION_RESPONSES = 5
"""Fewer validation responses with a confidence than this: no calibration finding."""


def _check_confidence(owner: str, value: float) -> None:
    check_probability(f"{owner}.confidence", value)


@dataclass(frozen=True)
class StudyTimeFinding:
    """OPTIMAL_STUDY_TIME: the learner's best local start hours, best first."""

    hours: tuple[int, ...]
    confidence: float

    def __post_init__(self) -> None:
        _check_confidence("studyTime", self.confidence)
        if not self.hours:
            raise InvalidParameter("studyTime.hours", "at least one hour")
        for h in self.hours:
            check_range("studyTime.hours", h, 0, HOURS_PER_DAY - 1)


@dataclass(frozen=True)
class DurationFinding:
    """SESSION_DURATION_PREFERENCE: the session length that gives this learner the best sessions."""

    optimal_minutes: float
    confidence: float

    def __post_init__(self) -> None:
        _check_confidence("duration", self.confidence)
        check_range("duration.optimalMinutes", self.optimal_minutes, 1, 24 * MINUTES_PER_HOUR)


@dataclass(frozen=True)
class AttentionFinding:
    """ATTENTION_CYCLE: suggested break interval (0.9 × median time to fatigue)."""

    break_interval_minutes: float
    confidence: float

    def __post_init__(self) -> None:
        _check_confidence("attention", self.confidence)
        check_range("attention.breakIntervalMinutes", self.break_interval_minutes, 1, 600)


@dataclass(frozen=True)
class ForgettingFinding:
    """FORGETTING_CURVE: ``R(t) = R0·e^(−k·t)``, k per day."""

    r0: float
    decay_per_day: float
    confidence: float

    def __post_init__(self) -> None:
        _check_confidence("forgetting", self.confidence)
        check_range("forgetting.r0", self.r0, 0.01, 1.0)
        check_range("forgetting.decayPerDay", self.decay_per_day, 1e-4, 10.0)


@dataclass(frozen=True)
class ContentOutcome:
    """Measured outcome of one content type: score in [0, 1] over ``items`` items."""

    content_type: str
    score: float
    items: int

    def __post_init__(self) -> None:
        check_probability(f"content.{self.content_type}.score", self.score)
        if self.items < 0:
            raise InvalidParameter(f"content.{self.content_type}.items", "must be ≥ 0")


@dataclass(frozen=True)
class ContentFinding:
    """CONTENT_TYPE_PREFERENCE: outcomes per content type (what worked, not what was chosen)."""

    outcomes: tuple[ContentOutcome, ...]
    confidence: float

    def __post_init__(self) -> None:
        _check_confidence("content", self.confidence)


@dataclass(frozen=True)
class CalibrationFinding:
    """How the learner's stated confidence compares with their validation scores."""

    mean_confidence: float
    mean_score: float
    responses: int
    confidence: float

    def __post_init__(self) -> None:
        _check_confidence("calibration", self.confidence)
        check_probability("calibration.meanConfidence", self.mean_confidence)
        check_probability("calibration.meanScore", self.mean_score)

    @property
    def gap(self) -> float:
        """Mean confidence − mean score: positive means over-confident."""
        return self.mean_confidence - self.mean_score


@dataclass(frozen=True)
class StrugglePrediction:
    """An open struggle prediction (5.2) and the prerequisites it found missing."""

    objective_id: str
    probability: float
    confidence: float
    prerequisite_gap_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_probability(f"struggles[{self.objective_id}].probability", self.probability)
        _check_confidence(f"struggles[{self.objective_id}]", self.confidence)


@dataclass(frozen=True)
class StrongArea:
    """An objective the learner has mastered (mastery in [0, 1])."""

    objective_id: str
    mastery: float
    confidence: float

    def __post_init__(self) -> None:
        check_probability(f"strongAreas[{self.objective_id}].mastery", self.mastery)
        _check_confidence(f"strongAreas[{self.objective_id}]", self.confidence)


@dataclass(frozen=True)
class LoadState:
    """The learner's current cognitive load (0–100) and how sure the reading is."""

    score: float
    confidence: float

    def __post_init__(self) -> None:
        check_range("load.score", self.score, 0.0, 100.0)
        _check_confidence("load", self.confidence)

    @property
    def level(self) -> LoadLevel:
        """LOW < 40 ≤ MODERATE < 60 ≤ HIGH < 80 ≤ CRITICAL (5.4)."""
        return load_level(self.score)


@dataclass(frozen=True)
class FreeWindow:
    """A free block in the learner's calendar today: local start hour and free minutes."""

    start_hour: int
    free_minutes: int

    def __post_init__(self) -> None:
        check_range("schedule.windows.startHour", self.start_hour, 0, HOURS_PER_DAY - 1)
        check_range("schedule.windows.freeMinutes", self.free_minutes, 0, 24 * MINUTES_PER_HOUR)


@dataclass(frozen=True)
class Schedule:
    """Today's free windows from the learner's calendar; confidence falls as the sync ages."""

    windows: tuple[FreeWindow, ...]
    confidence: float

    def __post_init__(self) -> None:
        _check_confidence("schedule", self.confidence)


@dataclass(frozen=True)
class Evidence:
    """Everything one personalization decision may use (absent findings are None / empty)."""

    study_time: StudyTimeFinding | None = None
    duration: DurationFinding | None = None
    attention: AttentionFinding | None = None
    forgetting: ForgettingFinding | None = None
    content: ContentFinding | None = None
    calibration: CalibrationFinding | None = None
    struggles: tuple[StrugglePrediction, ...] = ()
    strong_areas: tuple[StrongArea, ...] = ()
    load: LoadState | None = None
    burnout: BurnoutRiskLevel | None = None
    schedule: Schedule | None = None


NO_EVIDENCE = Evidence()


def calibration_from_responses(
    pairs: Sequence[tuple[float, float]],
) -> CalibrationFinding | None:
    """Calibration from (stated confidence, score) pairs in [0, 1]; None under 5 pairs."""
    if len(pairs) < MIN_CALIBRATION_RESPONSES:
        return None
    conf = np.array([c for c, _ in pairs], dtype=np.float64)
    score = np.array([s for _, s in pairs], dtype=np.float64)
    for name, arr in (("confidence", conf), ("score", score)):
        if not np.all((arr >= 0.0) & (arr <= 1.0)):
            raise InvalidParameter(f"calibration.{name}", "every value must be in [0, 1]")
    n = len(pairs)
    diff = conf - score
    gap = float(diff.mean())
    se = float(diff.std(ddof=1)) / math.sqrt(n)
    if se > 0:
        strength = 2.0 * float(stats.norm.cdf(abs(gap) / se)) - 1.0
    else:
        strength = 1.0 if gap != 0 else 0.0
    return CalibrationFinding(
        mean_confidence=float(conf.mean()),
        mean_score=float(score.mean()),
        responses=n,
        confidence=min(1.0, n / CALIBRATION_FULL_CONFIDENCE_RESPONSES) * strength,
    )
