"""Cognitive load, burnout risk and stress (ENGINE.md 5.4): request and answer models."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from twin.api.schemas.base import Answer, Insufficient, Rounded, round_to
from twin.api.types import Id, JsonFloat, QueryTimestamp, Timestamp, whole_number
from twin.errors import ValidationFailed
from twin.services import cognitive as service

Points = Annotated[float, round_to(2)]
"""A load, score or change in points (0-100 scale), two decimals."""
Confidence = Annotated[float, round_to(3)]
"""A confidence, 0-1, three decimals."""


def _load(attribute: str) -> AliasPath:
    """An attribute of a reading's computed load."""
    return AliasPath("load", attribute)


def _details(key: str) -> AliasPath:
    """A key of the stored stress profile's details."""
    return AliasPath("details", key)


def _pattern(key: str) -> AliasPath:
    """A key of a stored stress pattern's ``patternData``."""
    return AliasPath("pattern_data", key)


def _analysis(attribute: str) -> AliasPath:
    """An attribute of the load-performance analysis."""
    return AliasPath("analysis", attribute)


# --- requests ---------------------------------------------------------------------------------

MAX_RESPONSES = 10_000
ErrorCount = Annotated[int, Strict(), Field(ge=0, le=MAX_RESPONSES), BeforeValidator(whole_number)]
MAX_LATENCY_MS = 3_600_000.0  # one hour on one card is a pause, not a latency
MAX_SESSION_MINUTES = 24 * 60.0
MAX_APPLIED_LEVELS = 2

MAX_PAUSE_MS = MAX_SESSION_MINUTES * 60_000
# Item bounds of the list fields, checked per list so that a 422 names the list field
# itself (the error envelope reads a number after a top-level field as a record index).
LIST_BOUNDS: dict[str, tuple[float, float, str]] = {
    "responseLatencies": (0.0, MAX_LATENCY_MS, "ms"),
    "pauses": (0.0, MAX_PAUSE_MS, "ms"),
    "performanceScores": (0.0, 100.0, "points"),
}


def check_items(field: str, values: list[float]) -> list[float]:
    """Every item finite and within the field's bounds, else ValueError naming the item."""
    low, high, unit = LIST_BOUNDS[field]
    for i, value in enumerate(values):
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"item {i} is {value:g}: must be between {low:g} and {high:g} {unit}")
    return values


def items_schema(field: str) -> dict[str, Any]:
    """The JSON schema of a list field's items, with the bounds :func:`check_items` applies."""
    low, high, _unit = LIST_BOUNDS[field]
    return {"items": {"type": "number", "minimum": low, "maximum": high}}


class LoadCalculationIn(BaseModel):
    """Behavioural data of one session (or of a part of one)."""

    model_config = ConfigDict(extra="forbid")

    sessionId: Id | None = Field(
        default=None,
        description="The study session the data belongs to (readings of one session are "
        "kept at most one per 5 minutes of its activity)",
    )
    responseLatencies: list[JsonFloat] = Field(
        min_length=1,
        max_length=MAX_RESPONSES,
        description="Response latency per answer, ms",
        json_schema_extra=items_schema("responseLatencies"),
    )
    errors: ErrorCount | None = Field(default=None, description="Wrong answers among the responses")
    correctness: list[StrictBool] | None = Field(
        default=None,
        max_length=MAX_RESPONSES,
        description="Per response, true when correct (instead of errors)",
    )
    pauses: list[JsonFloat] = Field(
        default_factory=list,
        max_length=MAX_RESPONSES,
        description="Duration of each pause, ms",
        json_schema_extra=items_schema("pauses"),
    )
    performanceScores: list[JsonFloat] = Field(
        default_factory=list,
        max_length=MAX_RESPONSES,
        description="Performance 0-100 in time order (e.g. accuracy per block of answers)",
        json_schema_extra=items_schema("performanceScores"),
    )
    durationMinutes: JsonFloat = Field(ge=0, le=MAX_SESSION_MINUTES, allow_inf_nan=False)
    activeMinutes: JsonFloat | None = Field(
        default=None,
        ge=0,
        le=MAX_SESSION_MINUTES,
        allow_inf_nan=False,
        description="Time on task without pauses (default: duration minus pauses)",
    )
    baselineLatencyMs: JsonFloat | None = Field(
        default=None,
        gt=0,
        le=MAX_LATENCY_MS,
        allow_inf_nan=False,
        description="Override of the learner's baseline (default: median of recent sessions)",
    )
    optimalSessionMinutes: JsonFloat | None = Field(
        default=None,
        gt=0,
        le=MAX_SESSION_MINUTES,
        allow_inf_nan=False,
        description="Override of the learner's optimal session length",
    )
    timestamp: QueryTimestamp | None = Field(
        default=None, description="When the data was observed (RFC 3339; default: now)"
    )
    dryRun: StrictBool = Field(default=False, description="Compute only; store nothing")

    @field_validator("responseLatencies", "pauses", "performanceScores")
    @classmethod
    def _bounded_items(cls, values: list[float], info: ValidationInfo) -> list[float]:
        return check_items(str(info.field_name), values)


def problem(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"invalid request: {field}: {reason}",
        details=[{"index": None, "field": field, "reason": reason}],
    )


def explicit_data(body: LoadCalculationIn) -> service.ExplicitLoadData:
    """The service's input from the request; cross-field problems name their field (422)."""
    n = len(body.responseLatencies)
    if body.errors is not None and body.correctness is not None:
        raise problem("correctness", "send errors or correctness, not both")
    if body.correctness is not None:
        if len(body.correctness) != n:
            raise problem(
                "correctness",
                f"needs one value per response latency ({n}), got {len(body.correctness)}",
            )
        correct = tuple(body.correctness)
    elif body.errors is not None:
        if body.errors > n:
            raise problem("errors", f"cannot exceed the number of responses ({n})")
        correct = (False,) * body.errors + (True,) * (n - body.errors)
    else:
        raise problem("errors", "send errors (a count) or correctness (one boolean per response)")
    pause_seconds = sum(body.pauses) / 1000.0
    if body.activeMinutes is not None and body.activeMinutes > body.durationMinutes:
        raise problem("activeMinutes", "cannot exceed durationMinutes")
    if body.activeMinutes is None and pause_seconds > body.durationMinutes * 60.0:
        raise problem("pauses", "pauses add up to more than durationMinutes")
    return service.ExplicitLoadData(
        latencies_ms=tuple(body.responseLatencies),
        correct=correct,
        pause_count=len(body.pauses),
        pause_seconds=pause_seconds,
        performance_scores=tuple(body.performanceScores),
        duration_minutes=body.durationMinutes,
        active_minutes=body.activeMinutes,
        session_id=body.sessionId,
        baseline_latency_ms=body.baselineLatencyMs,
        optimal_session_minutes=body.optimalSessionMinutes,
    )


# --- answers ----------------------------------------------------------------------------------


class SubScoresOut(Answer):
    """The five sub-scores of a load, each 0-100 before weighting."""

    latency: Points = Field(description="Slower than the learner's baseline, 0-100")
    errors: Points = Field(description="Share of wrong answers, 0-100")
    engagement: Points = Field(description="Time paused, 0-100")
    decline: Points = Field(description="Performance lost during the session, 0-100")
    duration: Points = Field(description="Beyond the learner's optimal length, 0-100")


class StressIndicatorOut(Answer):
    """An elevated sub-score: what it measured and how much of the load it explains."""

    type: str
    category: str | None = None
    severity: str
    value: Rounded = Field(description="The measure, in `unit`")
    unit: str | None = None
    sub_score: Points = Field(description="0-100")
    contribution: Points = Field(description="Points of the 0-100 load it adds")


class LoadReadingOut(Answer):
    """A computed load with everything behind it."""

    metric_id: str | None
    stored: bool
    session_id: str | None
    timestamp: Timestamp
    load_score: Points = Field(
        description="Cognitive load, 0-100 (LOW < 40 ≤ MODERATE < 60 ≤ HIGH < 80 ≤ CRITICAL)",
        validation_alias=_load("load_score"),
    )
    level: str = Field(validation_alias=_load("level"))
    overloaded: bool = Field(validation_alias=_load("overloaded"))
    sub_scores: SubScoresOut = Field(validation_alias=_load("sub_scores"))
    indicators: list[StressIndicatorOut] = Field(validation_alias=_load("indicators"))
    confidence: Confidence = Field(
        description="How sure the score is, 0-1", validation_alias=_load("confidence")
    )
    confidence_notes: list[str] = Field(validation_alias=_load("confidence_notes"))
    evidence: dict[str, Any] = Field(validation_alias=_load("evidence"))
    overload_indicator_id: str | None


class StoredReadingOut(Answer):
    """A stored load reading."""

    metric_id: str
    session_id: str | None
    timestamp: Timestamp
    load_score: Points = Field(description="Cognitive load, 0-100")
    level: str
    overloaded: bool
    indicators: list[StressIndicatorOut]
    confidence: Confidence = Field(description="0-1")


class TrendOut(Answer):
    """The current reading against the previous one."""

    current: Points = Field(description="Load of the latest reading, 0-100")
    previous: Points | None = Field(description="Load of the reading before; null: none")
    delta: Points | None = Field(description="current − previous, load points")
    direction: str = Field(
        description="NEW (first reading), INCREASING or DECREASING (by 5 points or more), STABLE"
    )
    explanation: str


class CurrentLoadOut(Answer):
    """The latest reading and its trend, or what is missing."""

    current: StoredReadingOut | None
    previous: StoredReadingOut | None = Field(description="The reading before (null: none)")
    trend: TrendOut | None
    insufficient: Insufficient | None


class BucketOut(Answer):
    """Readings of one hour, day or week of the learner's zone."""

    start: Timestamp
    local_start: str = Field(
        description="When the bucket starts on the learner's clock (ISO 8601, no offset)"
    )
    mean_load: Points = Field(description="0-100")
    max_load: Points = Field(description="0-100")
    count: int


class LoadHistoryOut(Answer):
    """Load history bucketed in the learner's zone."""

    granularity: str
    from_: Timestamp = Field(alias="from", validation_alias="start")
    to: Timestamp = Field(validation_alias="end")
    timezone: str
    readings: int
    buckets: list[BucketOut]


class BurnoutWindowOut(Answer):
    """The local days an assessment looked at."""

    start: date
    end: date
    covered_days: int = Field(description="Days with any study or plan in the window")
    insufficient: Insufficient | None = None


class BurnoutFactorOut(Answer):
    """One of the six contributing factors."""

    factor: str
    score: Points = Field(description="0-100")
    weight: float = Field(description="Share of the risk score, 0-1 (the six add up to 1)")
    contribution: Points = Field(description="Points of the 0-100 risk it adds (weight × score)")
    value: Rounded | None = Field(description="The measure behind the score, in `unit`")
    unit: str
    measured: bool
    evidence: dict[str, Any]
    window: BurnoutWindowOut | None = None


class WarningSignalOut(Answer):
    """A named warning sign."""

    type: str
    severity: str
    message: str
    evidence: dict[str, Any]


class MissionOverrideOut(Answer):
    """Limits the mission planner applies while the burnout risk is HIGH or CRITICAL."""

    max_minutes: int = Field(description="Longest session, minutes")
    new_content: bool
    review_only: bool
    rest_days: int
    rest_within_hours: int = Field(description="The rest starts within this many hours")


class RecoveryOut(Answer):
    """The change since the previous assessment."""

    score_change: Points = Field(description="Risk points, current − previous (negative: better)")
    level_change: int = Field(description="Levels, current − previous (negative: better)")
    direction: str
    days_between: int
    recovered: bool


class BurnoutOut(Answer):
    """A burnout-risk assessment with factors, signals, recommendations and recovery."""

    assessment_id: str | None
    assessed_at: Timestamp
    fresh: bool
    risk_score: Points = Field(
        description="Burnout risk, 0-100 (LOW < 25 ≤ MEDIUM < 50 ≤ HIGH < 75 ≤ CRITICAL)"
    )
    level: str
    confidence: Confidence = Field(description="0-1")
    window: BurnoutWindowOut
    contributing_factors: list[BurnoutFactorOut]
    warning_signals: list[WarningSignalOut]
    recommendations: list[str]
    mission_override: MissionOverrideOut | None
    recovery: RecoveryOut | None


class StressPatternOut(Answer):
    """A stress pattern: the sessions whose load stands out, and the numbers behind it."""

    id: str | None = Field(description="null when computed for asOf and not stored")
    confidence: Rounded = Field(description="0-1; patterns are kept from 0.6")
    detected_at: Timestamp
    type: str = Field(validation_alias=_pattern("type"))
    trigger: dict[str, Any] = Field(validation_alias=_pattern("trigger"))
    occurrences: int = Field(
        description="Sessions in the group", validation_alias=_pattern("occurrences")
    )
    mean_load: Points = Field(
        description="Mean load of the group, 0-100", validation_alias=_pattern("meanLoad")
    )
    reference_load: Points | None = Field(
        description="Mean load of the learner's other sessions, 0-100",
        validation_alias=_pattern("referenceLoad"),
    )
    elevation: Points = Field(
        description="mean − reference, load points", validation_alias=_pattern("elevation")
    )
    consistency: Rounded = Field(
        description="Share of the group's sessions above the reference, 0-1",
        validation_alias=_pattern("consistency"),
    )
    p_value: Rounded | None = Field(
        description="One-sided Welch t-test", validation_alias=_pattern("pValue")
    )
    description: str = Field(validation_alias=_pattern("description"))
    last_seen_at: Timestamp = Field(validation_alias=_pattern("lastSeenAt"))


class StressPatternsOut(Answer):
    """Stress response patterns above the confidence asked for."""

    analyzed_at: Timestamp | None
    min_confidence: float
    sessions: int = Field(description="Sessions with a load in the 90 days analysed")
    insufficient: Insufficient | None
    patterns: list[StressPatternOut]


class PrimaryStressorOut(Answer):
    """One of the learner's strongest stress patterns."""

    type: str
    trigger: dict[str, Any]
    confidence: Rounded = Field(description="0-1")


class StressProfileOut(Answer):
    """How the learner responds to load."""

    primary_stressors: list[PrimaryStressorOut] = Field(
        validation_alias=_details("primaryStressors")
    )
    load_tolerance: Points | None = Field(
        description="Highest load (0-100) before performance drops"
    )
    load_tolerance_method: str = Field(validation_alias=_details("loadToleranceMethod"))
    mean_recovery_hours: Points | None = Field(
        description="Mean hours from a high load (≥ 60) back below 40",
        validation_alias=_details("meanRecoveryHours"),
    )
    recovery_episodes: int = Field(validation_alias=_details("recoveryEpisodes"))
    unrecovered_episodes: int = Field(validation_alias=_details("unrecoveredEpisodes"))
    sessions: int = Field(validation_alias=_details("sessions"))
    mean_load: Points | None = Field(
        description="Mean load of the sessions analysed, 0-100",
        validation_alias=_details("meanLoad"),
    )
    mean_load_7d: Points | None = Field(
        alias="meanLoad7d", description="Mean load of the last 7 days, 0-100"
    )
    insufficient: Insufficient | None = Field(validation_alias=_details("insufficient"))
    evidence: dict[str, Any] = Field(validation_alias=_details("evidence"))
    analyzed_at: Timestamp | None


class DifficultyAdjustmentOut(Answer):
    """The change to apply now, and the session rules that come with it."""

    action: str
    change: int = Field(description="Difficulty levels to move now (negative: easier)")
    desired_change: int = Field(description="Levels the load asks for before the session cap")
    capped: bool
    review_share: float | None = Field(description="Share of review items, 0-1")
    review_only: bool
    break_every_minutes: int | None
    break_now: bool
    reason: str


class DifficultyOut(Answer):
    """The difficulty change for the latest load, or what is missing."""

    based_on: StoredReadingOut | None
    adjustment: DifficultyAdjustmentOut | None
    insufficient: Insufficient | None


class LoadBandOut(Answer):
    """Sessions whose load fell in [low, high) (the top band includes 100)."""

    low: float = Field(description="Load, 0-100")
    high: float = Field(description="Load, 0-100")
    sessions: int
    mean_performance: Points | None = Field(description="0-100")
    mean_load: Points | None = Field(description="0-100")


class SessionWindowOut(Answer):
    """The sessions looked at: the ``days`` days before ``to``."""

    days: int
    to: Timestamp


class LoadPerformanceOut(Answer):
    """Load versus performance: Pearson r, p-value, load bands, best band."""

    sessions: int = Field(validation_alias=_analysis("sessions"))
    pearson_r: Rounded | None = Field(
        description="Correlation of load with performance, -1 to 1",
        validation_alias=_analysis("pearson_r"),
    )
    p_value: Rounded | None = Field(
        description="Two-sided, of r", validation_alias=_analysis("p_value")
    )
    significant: bool = Field(description="p < 0.05", validation_alias=_analysis("significant"))
    bands: list[LoadBandOut] = Field(validation_alias=_analysis("bands"))
    best_band: LoadBandOut | None = Field(validation_alias=_analysis("best_band"))
    inverted_u: bool = Field(
        description="Some load helps and too much hurts", validation_alias=_analysis("inverted_u")
    )
    confidence: Confidence = Field(description="0-1", validation_alias=_analysis("confidence"))
    window: SessionWindowOut
    insufficient: Insufficient | None
