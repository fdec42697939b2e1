"""Cognitive load, burnout risk and stress (ENGINE.md 5.4) under ``/v1/users/{userId}/``.

Every route answers 403 when the learner's ``behavioralAnalysisEnabled`` is false
and 404 for an unknown learner. Learners without data get 200 with an
``insufficient`` note saying which minimum is not met, never an error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from twin.analysis.cognitive.stress import MIN_PATTERN_CONFIDENCE
from twin.analysis.cognitive.trend import Granularity
from twin.analysis.common import aware_utc
from twin.api.deps import AsOf, CurrentPrincipal, DbSession, Now
from twin.api.guard import GuardedRoute
from twin.api.schemas.cognitive import (
    MAX_APPLIED_LEVELS,
    BurnoutOut,
    CurrentLoadOut,
    DifficultyOut,
    LoadCalculationIn,
    LoadHistoryOut,
    LoadPerformanceOut,
    LoadReadingOut,
    StressPatternsOut,
    StressProfileOut,
    explicit_data,
    problem,
)
from twin.api.types import QueryTimestamp, UserId
from twin.learners import analysis_learner
from twin.services import cognitive as service

router = APIRouter(tags=["cognitive load"], route_class=GuardedRoute)

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


@router.post(
    "/users/{userId}/cognitive-load:calculate",
    response_model=LoadReadingOut,
    summary="Calculate the cognitive load of explicit behavioural data",
)
def calculate_cognitive_load(
    userId: UserId, body: LoadCalculationIn, _: CurrentPrincipal, session: DbSession, now: Now
) -> LoadReadingOut:
    """Score the data (0-100, five sub-scores, indicators, overload, confidence) and store the
    reading unless dryRun; an overload also records a COGNITIVE_OVERLOAD struggle indicator."""
    learner = analysis_learner(session, userId)
    data = explicit_data(body)
    reading = service.calculate_load(
        session, learner, data, timestamp=body.timestamp or now, now=now, dry_run=body.dryRun
    )
    return LoadReadingOut.model_validate(reading)


@router.get(
    "/users/{userId}/cognitive-load/current",
    response_model=CurrentLoadOut,
    summary="The latest cognitive load and its trend",
)
def get_current_load(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: AsOf
) -> CurrentLoadOut:
    """Latest score, level, indicators, and the trend against the previous reading."""
    analysis_learner(session, userId)
    return CurrentLoadOut.model_validate(service.current_load(session, userId, now))


@router.get(
    "/users/{userId}/cognitive-load/history",
    response_model=LoadHistoryOut,
    summary="Cognitive load history by hour, day or week",
)
def get_load_history(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: AsOf,
    from_: Annotated[
        QueryTimestamp | None,
        Query(alias="from", description="Start (RFC 3339; default: a span before `to`)"),
    ] = None,
    to: Annotated[
        QueryTimestamp | None, Query(description="End (RFC 3339; default: asOf, else now)")
    ] = None,
    granularity: Annotated[Granularity, Query(description="Bucket size")] = Granularity.DAY,
) -> LoadHistoryOut:
    """Mean, max and count of readings per bucket, cut in the learner's time zone."""
    learner = analysis_learner(session, userId)
    end = aware_utc(to or now)
    start = aware_utc(from_) if from_ is not None else end - DEFAULT_HISTORY_SPAN[granularity]
    if start >= end:
        raise problem("from", "must be before to")
    if end - start > MAX_HISTORY_SPAN[granularity]:
        days = MAX_HISTORY_SPAN[granularity].days
        raise problem("from", f"at most {days} days of {granularity.value} buckets at once")
    history = service.load_history(session, learner, start, end, granularity)
    return LoadHistoryOut.model_validate(history)


@router.get(
    "/users/{userId}/burnout-risk",
    response_model=BurnoutOut,
    summary="Burnout risk (assessed anew when the latest is older than 24 h)",
)
def get_burnout_risk(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: AsOf
) -> BurnoutOut:
    """Risk 0-100 and level over 14 days, the six factors, warning signals, recommendations,
    the mission override for HIGH/CRITICAL and recovery since the previous assessment."""
    learner = analysis_learner(session, userId)
    return BurnoutOut.model_validate(service.burnout_risk(session, learner, now))


@router.get(
    "/users/{userId}/stress-patterns",
    response_model=StressPatternsOut,
    summary="Stress response patterns",
)
def get_stress_patterns(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: AsOf,
    minConfidence: Annotated[
        float,
        Query(ge=0, le=1, description="Lowest confidence returned (patterns are kept from 0.6)"),
    ] = MIN_PATTERN_CONFIDENCE,
) -> StressPatternsOut:
    """Topic, time-of-day, exam-proximity, fatigue and difficulty patterns over 90 days."""
    learner = analysis_learner(session, userId)
    return StressPatternsOut.model_validate(
        service.stress_patterns(session, learner, now, minConfidence)
    )


@router.get(
    "/users/{userId}/stress-profile",
    response_model=StressProfileOut,
    summary="Stress profile: stressors, load tolerance, recovery time",
)
def get_stress_profile(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: AsOf
) -> StressProfileOut:
    """Primary stressors, load tolerance, mean recovery time and the 7-day mean load."""
    learner = analysis_learner(session, userId)
    return StressProfileOut.model_validate(service.stress_profile_view(session, learner, now))


@router.get(
    "/users/{userId}/difficulty-adjustment",
    response_model=DifficultyOut,
    summary="Difficulty adjustment for the current load",
)
def get_difficulty_adjustment(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: AsOf,
    appliedThisSession: Annotated[
        int,
        Query(
            ge=-MAX_APPLIED_LEVELS,
            le=MAX_APPLIED_LEVELS,
            description="Levels already changed in this session (the net change stays within ±2)",
        ),
    ] = 0,
) -> DifficultyOut:
    """Harder below load 30, keep to 60, easier to 80, much easier (review only) from 80."""
    learner = analysis_learner(session, userId)
    return DifficultyOut.model_validate(
        service.difficulty_adjustment(session, learner, appliedThisSession, now)
    )


@router.get(
    "/users/{userId}/load-performance",
    response_model=LoadPerformanceOut,
    summary="Load versus performance",
)
def get_load_performance(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: AsOf
) -> LoadPerformanceOut:
    """Pearson r of session load with performance, p-value, and the best load band (≥ 30 sessions)."""
    learner = analysis_learner(session, userId)
    return LoadPerformanceOut.model_validate(service.load_performance(session, learner, now))
