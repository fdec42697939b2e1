"""Cognitive load, burnout risk and stress (ENGINE.md 5.4): request and answer models."""

from __future__ import annotations

import math
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

from twin.api.schemas.base import Answer, Insufficient, Rounded, round_to, written_as
from twin.api.types import Id, JsonFloat, OffsetText, QueryTimestamp, UtcDatetime, whole_number
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
    """The five sub-scores of a load, 0-100 before weighting."""

    latency: Points
    errors: Points
    engagement: Points
    decline: Points
    duration: Points


class StressIndicatorOut(Answer):
    """An elevated sub-score: what it measured and how much of the load it explains."""

    type: str
    category: str
    severity: str
    value: Rounded
    unit: str
    sub_score: Points
    contribution: Points


class LoadReadingOut(Answer):
    """A computed load with everything behind it."""

    metric_id: str | None
    stored: bool
    session_id: str | None
    timestamp: UtcDatetime
    load_score: Points = Field(validation_alias=_load("load_score"))
    level: str = Field(validation_alias=_load("level"))
    overloaded: bool = Field(validation_alias=_load("overloaded"))
    sub_scores: Annotated[dict[str, float], written_as(SubScoresOut)] = Field(
        validation_alias=_load("sub_scores")
    )
    indicators: Annotated[list[dict[str, Any]], written_as(list[StressIndicatorOut])] = Field(
        validation_alias=_load("indicators")
    )
    confidence: Confidence = Field(validation_alias=_load("confidence"))
    confidence_notes: list[str] = Field(validation_alias=_load("confidence_notes"))
    evidence: dict[str, Any] = Field(validation_alias=_load("evidence"))
    overload_indicator_id: str | None


class StoredReadingOut(Answer):
    """A stored load reading."""

    metric_id: str
    session_id: str | None
    timestamp: UtcDatetime
    load_score: Points
    level: str
    overloaded: bool
    indicators: list[dict[str, Any]]
    confidence: Confidence


class TrendOut(Answer):
    """The current reading against the previous one."""

    current: float
    previous: float | None
    delta: float | None
    direction: str


class CurrentLoadOut(Answer):
    """The latest reading and its trend, or what is missing."""

    current: StoredReadingOut | None
    trend: TrendOut | None
    insufficient: Insufficient | None


class BucketOut(Answer):
    """Readings of one hour, day or week (start in the learner's zone)."""

    start: OffsetText
    mean_load: float
    max_load: float
    count: int


class LoadHistoryOut(Answer):
    """Load history bucketed in the learner's zone."""

    granularity: str
    from_: UtcDatetime = Field(alias="from", validation_alias="start")
    to: UtcDatetime = Field(validation_alias="end")
    timezone: str
    readings: int
    buckets: list[BucketOut]


class MissionOverrideOut(Answer):
    """Limits the mission planner applies while the burnout risk is HIGH or CRITICAL."""

    max_minutes: int
    new_content: bool
    review_only: bool
    rest_days: int
    rest_within_hours: int


class RecoveryOut(Answer):
    """The change since the previous assessment."""

    score_change: Points
    level_change: int
    direction: str
    days_between: int
    recovered: bool


class BurnoutOut(Answer):
    """A burnout-risk assessment with factors, signals, recommendations and recovery."""

    assessment_id: str | None
    assessed_at: UtcDatetime
    fresh: bool
    risk_score: Points
    level: str
    confidence: Confidence
    window: dict[str, Any]
    contributing_factors: list[dict[str, Any]]
    warning_signals: list[dict[str, Any]]
    recommendations: list[str]
    mission_override: Annotated[dict[str, Any] | None, written_as(MissionOverrideOut)]
    recovery: Annotated[dict[str, Any] | None, written_as(RecoveryOut)]


class StressPatternOut(Answer):
    """A stored stress pattern: the sessions whose load stands out, and the numbers behind it."""

    id: str
    confidence: Rounded
    detected_at: UtcDatetime
    type: str = Field(validation_alias=_pattern("type"))
    trigger: dict[str, Any] = Field(validation_alias=_pattern("trigger"))
    occurrences: int = Field(validation_alias=_pattern("occurrences"))
    mean_load: float = Field(validation_alias=_pattern("meanLoad"))
    reference_load: float | None = Field(validation_alias=_pattern("referenceLoad"))
    elevation: float = Field(validation_alias=_pattern("elevation"))
    consistency: float = Field(validation_alias=_pattern("consistency"))
    p_value: float | None = Field(validation_alias=_pattern("pValue"))
    description: str = Field(validation_alias=_pattern("description"))
    last_seen_at: str = Field(validation_alias=_pattern("lastSeenAt"))


class StressPatternsOut(Answer):
    """Stress response patterns above the confidence asked for."""

    analyzed_at: UtcDatetime | None
    min_confidence: float
    sessions: int
    insufficient: Insufficient | None
    patterns: Annotated[list[dict[str, Any]], written_as(list[StressPatternOut])]


class StressProfileOut(Answer):
    """How the learner responds to load."""

    model_config = ConfigDict(extra="allow")

    primary_stressors: list[dict[str, Any]] = Field(validation_alias=_details("primaryStressors"))
    load_tolerance: float | None
    load_tolerance_method: str = Field(validation_alias=_details("loadToleranceMethod"))
    mean_recovery_hours: float | None = Field(validation_alias=_details("meanRecoveryHours"))
    recovery_episodes: int = Field(validation_alias=_details("recoveryEpisodes"))
    unrecovered_episodes: int = Field(validation_alias=_details("unrecoveredEpisodes"))
    sessions: int = Field(validation_alias=_details("sessions"))
    mean_load: float | None = Field(validation_alias=_details("meanLoad"))
    mean_load_7d: float | None = Field(alias="meanLoad7d")
    insufficient: Insufficient | None = Field(validation_alias=_details("insufficient"))
    evidence: dict[str, Any] = Field(validation_alias=_details("evidence"))
    analyzed_at: UtcDatetime | None


class DifficultyAdjustmentOut(Answer):
    """The change to apply now, and the session rules that come with it."""

    action: str
    change: int
    desired_change: int
    capped: bool
    review_share: float | None
    review_only: bool
    break_every_minutes: int | None
    break_now: bool
    reason: str


class DifficultyOut(Answer):
    """The difficulty change for the latest load, or what is missing."""

    based_on: StoredReadingOut | None
    adjustment: Annotated[dict[str, Any] | None, written_as(DifficultyAdjustmentOut)]
    insufficient: Insufficient | None


class LoadBandOut(Answer):
    """Sessions whose load fell in [low, high) (the top band includes 100)."""

    low: float
    high: float
    sessions: int
    mean_performance: float | None
    mean_load: float | None


class SessionWindowOut(Answer):
    """The sessions looked at: the ``days`` days before ``to``."""

    days: int
    to: UtcDatetime


class LoadPerformanceOut(Answer):
    """Load versus performance: Pearson r, p-value, load bands, best band."""

    sessions: int = Field(validation_alias=_analysis("sessions"))
    pearson_r: float | None = Field(validation_alias=_analysis("pearson_r"))
    p_value: float | None = Field(validation_alias=_analysis("p_value"))
    significant: bool = Field(validation_alias=_analysis("significant"))
    bands: Annotated[list[dict[str, Any]], written_as(list[LoadBandOut])] = Field(
        validation_alias=_analysis("bands")
    )
    best_band: Annotated[dict[str, Any] | None, written_as(LoadBandOut)] = Field(
        validation_alias=_analysis("best_band")
    )
    inverted_u: bool = Field(validation_alias=_analysis("inverted_u"))
    confidence: float = Field(validation_alias=_analysis("confidence"))
    window: Annotated[dict[str, Any], written_as(SessionWindowOut)]
    insufficient: Insufficient | None
