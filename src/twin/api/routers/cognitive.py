"""Cognitive load, burnout risk and stress (ENGINE.md 5.4) under ``/v1/users/{userId}/``.

Every route answers 403 when the learner's ``behavioralAnalysisEnabled`` is false
and 404 for an unknown learner. Learners without data get 200 with an
``insufficient`` note saying which minimum is not met, never an error.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from twin.analysis.cognitive.stress import MIN_PATTERN_CONFIDENCE
from twin.analysis.cognitive.trend import Granularity
from twin.api.deps import CurrentPrincipal, DbSession
from twin.api.guard import GuardedRoute
from twin.api.types import Id, IdPath, JsonFloat, QueryTimestamp, whole_number
from twin.clock import utcnow
from twin.errors import ValidationFailed
from twin.learners import analysis_learner
from twin.services import cognitive as service

router = APIRouter(tags=["cognitive load"], route_class=GuardedRoute)

UserId = Annotated[IdPath, Path(description="The learner's id")]

MAX_RESPONSES = 10_000
ErrorCount = Annotated[int, Strict(), Field(ge=0, le=MAX_RESPONSES), BeforeValidator(whole_number)]
MAX_LATENCY_MS = 3_600_000.0  # one hour on one card is a pause, not a latency
MAX_SESSION_MINUTES = 24 * 60.0
# Longest history span per granularity, and the default span when ``from`` is omitted.
MAX_HISTORY_SPAN = {
    Granularity.HOUR: timedelta(days=31),
    Granularity.DAY: timedelta(days=731),
    Granularity.WEEK: timedelta(days=731),
}
DEFAULT_HISTORY_SPAN = {
    Granularity.HOUR: timedelta(days=2),
    Granularity.DAY: timedelta(days=30),
    Granularity.WEEK: timedelta(weeks=26),
}
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


class LoadReadingOut(BaseModel):
    """A computed load with everything behind it."""

    metricId: str | None
    stored: bool
    sessionId: str | None
    timestamp: str
    loadScore: float
    level: str
    overloaded: bool
    subScores: dict[str, float]
    indicators: list[dict[str, Any]]
    confidence: float
    confidenceNotes: list[str]
    evidence: dict[str, Any]
    overloadIndicatorId: str | None


class StoredReadingOut(BaseModel):
    """A stored load reading."""

    metricId: str
    sessionId: str | None
    timestamp: str
    loadScore: float
    level: str
    overloaded: bool
    indicators: list[dict[str, Any]]
    confidence: float


class TrendOut(BaseModel):
    """The current reading against the previous one."""

    current: float
    previous: float | None
    delta: float | None
    direction: str


class CurrentLoadOut(BaseModel):
    """The latest reading and its trend, or what is missing."""

    current: StoredReadingOut | None
    trend: TrendOut | None
    insufficient: dict[str, dict[str, int]] | None


class BucketOut(BaseModel):
    """Readings of one hour, day or week (start in the learner's zone)."""

    start: str
    meanLoad: float
    maxLoad: float
    count: int


class LoadHistoryOut(BaseModel):
    """Load history bucketed in the learner's zone."""

    granularity: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    timezone: str
    readings: int
    buckets: list[BucketOut]

    model_config = ConfigDict(populate_by_name=True)


class BurnoutOut(BaseModel):
    """A burnout-risk assessment with factors, signals, recommendations and recovery."""

    assessmentId: str | None
    assessedAt: str
    fresh: bool
    riskScore: float
    level: str
    confidence: float
    window: dict[str, Any]
    contributingFactors: list[dict[str, Any]]
    warningSignals: list[dict[str, Any]]
    recommendations: list[str]
    missionOverride: dict[str, Any] | None
    recovery: dict[str, Any] | None


class StressPatternsOut(BaseModel):
    """Stress response patterns above the confidence asked for."""

    analyzedAt: str | None
    minConfidence: float
    sessions: int
    insufficient: dict[str, dict[str, int]] | None
    patterns: list[dict[str, Any]]


class StressProfileOut(BaseModel):
    """How the learner responds to load."""

    model_config = ConfigDict(extra="allow")

    primaryStressors: list[dict[str, Any]]
    loadTolerance: float | None
    loadToleranceMethod: str
    meanRecoveryHours: float | None
    recoveryEpisodes: int
    unrecoveredEpisodes: int
    sessions: int
    meanLoad: float | None
    meanLoad7d: float | None
    insufficient: dict[str, dict[str, int]] | None
    evidence: dict[str, Any]
    analyzedAt: str | None


class DifficultyOut(BaseModel):
    """The difficulty change for the latest load, or what is missing."""

    basedOn: StoredReadingOut | None
    adjustment: dict[str, Any] | None
    insufficient: dict[str, dict[str, int]] | None


class LoadPerformanceOut(BaseModel):
    """Load versus performance: Pearson r, p-value, load bands, best band."""

    sessions: int
    pearsonR: float | None
    pValue: float | None
    significant: bool
    bands: list[dict[str, Any]]
    bestBand: dict[str, Any] | None
    invertedU: bool
    confidence: float
    window: dict[str, Any]
    insufficient: dict[str, dict[str, int]] | None


def _problem(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"invalid request: {field}: {reason}",
        details=[{"index": None, "field": field, "reason": reason}],
    )


def explicit_data(body: LoadCalculationIn) -> service.ExplicitLoadData:
    """The service's input from the request; cross-field problems name their field (422)."""
    n = len(body.responseLatencies)
    if body.errors is not None and body.correctness is not None:
        raise _problem("correctness", "send errors or correctness, not both")
    if body.correctness is not None:
        if len(body.correctness) != n:
            raise _problem(
                "correctness",
                f"needs one value per response latency ({n}), got {len(body.correctness)}",
            )
        correct = tuple(body.correctness)
    elif body.errors is not None:
        if body.errors > n:
            raise _problem("errors", f"cannot exceed the number of responses ({n})")
        correct = (False,) * body.errors + (True,) * (n - body.errors)
    else:
        raise _problem("errors", "send errors (a count) or correctness (one boolean per response)")
    pause_seconds = sum(body.pauses) / 1000.0
    if body.activeMinutes is not None and body.activeMinutes > body.durationMinutes:
        raise _problem("activeMinutes", "cannot exceed durationMinutes")
    if body.activeMinutes is None and pause_seconds > body.durationMinutes * 60.0:
        raise _problem("pauses", "pauses add up to more than durationMinutes")
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


@router.post(
    "/users/{userId}/cognitive-load:calculate",
    response_model=LoadReadingOut,
    summary="Calculate the cognitive load of explicit behavioural data",
)
def calculate_cognitive_load(
    userId: UserId, body: LoadCalculationIn, _: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    """Score the data (0-100, five sub-scores, indicators, overload, confidence) and store the
    reading unless dryRun; an overload also records a COGNITIVE_OVERLOAD struggle indicator."""
    learner = analysis_learner(session, userId)
    data = explicit_data(body)
    now = utcnow()
    reading = service.calculate_load(
        session, learner, data, timestamp=body.timestamp or now, now=now, dry_run=body.dryRun
    )
    return reading.to_json()


@router.get(
    "/users/{userId}/cognitive-load/current",
    response_model=CurrentLoadOut,
    summary="The latest cognitive load and its trend",
)
def get_current_load(userId: UserId, _: CurrentPrincipal, session: DbSession) -> dict[str, Any]:
    """Latest score, level, indicators, and the trend against the previous reading."""
    analysis_learner(session, userId)
    return service.current_load(session, userId).to_json()


@router.get(
    "/users/{userId}/cognitive-load/history",
    response_model=LoadHistoryOut,
    response_model_by_alias=True,
    summary="Cognitive load history by hour, day or week",
)
def get_load_history(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    from_: Annotated[
        QueryTimestamp | None,
        Query(alias="from", description="Start (RFC 3339; default: a span before `to`)"),
    ] = None,
    to: Annotated[QueryTimestamp | None, Query(description="End (RFC 3339; default: now)")] = None,
    granularity: Annotated[Granularity, Query(description="Bucket size")] = Granularity.DAY,
) -> dict[str, Any]:
    """Mean, max and count of readings per bucket, cut in the learner's time zone."""
    learner = analysis_learner(session, userId)
    end = _aware(to or utcnow())
    start = _aware(from_) if from_ is not None else end - DEFAULT_HISTORY_SPAN[granularity]
    if start >= end:
        raise _problem("from", "must be before to")
    if end - start > MAX_HISTORY_SPAN[granularity]:
        days = MAX_HISTORY_SPAN[granularity].days
        raise _problem("from", f"at most {days} days of {granularity.value} buckets at once")
    history = service.load_history(session, learner, start, end, granularity)
    return history.to_json()


def _aware(ts: datetime) -> datetime:
    """Stored timestamps are naive UTC; request ones carry an offset."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


@router.get(
    "/users/{userId}/burnout-risk",
    response_model=BurnoutOut,
    summary="Burnout risk (assessed anew when the latest is older than 24 h)",
)
def get_burnout_risk(userId: UserId, _: CurrentPrincipal, session: DbSession) -> dict[str, Any]:
    """Risk 0-100 and level over 14 days, the six factors, warning signals, recommendations,
    the mission override for HIGH/CRITICAL and recovery since the previous assessment."""
    learner = analysis_learner(session, userId)
    return service.burnout_risk(session, learner, utcnow()).to_json()


@router.get(
    "/users/{userId}/stress-patterns",
    response_model=StressPatternsOut,
    summary="Stress response patterns",
)
def get_stress_patterns(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    minConfidence: Annotated[
        float,
        Query(ge=0, le=1, description="Lowest confidence returned (patterns are kept from 0.6)"),
    ] = MIN_PATTERN_CONFIDENCE,
) -> dict[str, Any]:
    """Topic, time-of-day, exam-proximity, fatigue and difficulty patterns over 90 days."""
    learner = analysis_learner(session, userId)
    return service.stress_patterns(session, learner, utcnow(), minConfidence)


@router.get(
    "/users/{userId}/stress-profile",
    response_model=StressProfileOut,
    summary="Stress profile: stressors, load tolerance, recovery time",
)
def get_stress_profile(userId: UserId, _: CurrentPrincipal, session: DbSession) -> dict[str, Any]:
    """Primary stressors, load tolerance, mean recovery time and the 7-day mean load."""
    learner = analysis_learner(session, userId)
    return service.stress_profile_view(session, learner, utcnow())


@router.get(
    "/users/{userId}/difficulty-adjustment",
    response_model=DifficultyOut,
    summary="Difficulty adjustment for the current load",
)
def get_difficulty_adjustment(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    appliedThisSession: Annotated[
        int,
        Query(
            ge=-MAX_APPLIED_LEVELS,
            le=MAX_APPLIED_LEVELS,
            description="Levels already changed in this session (the net change stays within ±2)",
        ),
    ] = 0,
) -> dict[str, Any]:
    """Harder below load 30, keep to 60, easier to 80, much easier (review only) from 80."""
    learner = analysis_learner(session, userId)
    return service.difficulty_adjustment(session, learner, appliedThisSession).to_json()


@router.get(
    "/users/{userId}/load-performance",
    response_model=LoadPerformanceOut,
    summary="Load versus performance",
)
def get_load_performance(userId: UserId, _: CurrentPrincipal, session: DbSession) -> dict[str, Any]:
    """Pearson r of session load with performance, p-value, and the best load band (≥ 30 sessions)."""
    learner = analysis_learner(session, userId)
    return service.load_performance(session, learner, utcnow())
