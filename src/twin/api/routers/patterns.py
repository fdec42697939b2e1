"""The learner's twin over HTTP (ENGINE.md 5.1): analysis, patterns, insights, profile.

Thin: every route validates its parameters, calls :mod:`twin.services.patterns` and
answers with a model of :mod:`twin.api.schemas.patterns`. Routes live under
``/users/{userId}/`` (the app adds ``/v1`` and the authentication); analysis routes
answer 403 when the learner switched behavioural analysis off, except ``DELETE
patterns``, which always works.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from twin.api.deps import AsOf, CurrentPrincipal, DbSession, Now
from twin.api.guard import GuardedRoute
from twin.api.schemas.patterns import (
    MAX_HEATMAP_WEEKS,
    MAX_PATTERN_LIMIT,
    AcknowledgeIn,
    AnalyzeIn,
    AnalyzeOut,
    DeleteOut,
    HeatmapOut,
    InsightList,
    InsightOut,
    PatternList,
    PatternOut,
    ProfileOut,
)
from twin.api.types import IdPath, UserId
from twin.enums import BehavioralPatternType
from twin.services import patterns as patterns_service
from twin.services.learners import get_user

router = APIRouter(tags=["twin: patterns and insights"], route_class=GuardedRoute)


@router.post(
    "/users/{userId}/patterns:analyze",
    response_model=AnalyzeOut,
    summary="Analyse the learner now",
    responses={
        403: {"description": "behavioural analysis is switched off"},
        409: {"description": "analysed less than a day ago (nextAllowedAt), or already running"},
    },
)
def analyze(
    userId: UserId,
    principal: CurrentPrincipal,
    session: DbSession,
    now: Now,
    body: Annotated[AnalyzeIn | None, Body()] = None,
) -> AnalyzeOut:
    """Run the pattern analysis: patterns (lifecycle), ≤ 5 new insights, the profile.

    At most once a day per learner unless 10 sessions arrived since the last analysis or a
    service key sends ``force``. Without enough data (6 weeks, 20 sessions, 50 reviews)
    nothing is stored and the answer says how far along the learner is.
    """
    wanted = body.force if body is not None else False
    force = wanted and principal.is_service
    outcome = patterns_service.analyze_user(session, userId, now=now, force=force)
    return AnalyzeOut.model_validate(replace(outcome, force_ignored=wanted and not force))


@router.get(
    "/users/{userId}/patterns", response_model=PatternList, summary="The learner's patterns"
)
def list_patterns(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    pattern_type: Annotated[
        BehavioralPatternType | None, Query(alias="type", description="Only this pattern type")
    ] = None,
    minConfidence: Annotated[float, Query(ge=0.0, le=1.0)] = 0.6,
    limit: Annotated[int, Query(ge=1, le=MAX_PATTERN_LIMIT)] = 20,
) -> PatternList:
    """Stored patterns with confidence ≥ ``minConfidence``, most confident first, then most recent."""
    patterns_service.analysis_user(session, userId)
    rows = patterns_service.list_patterns(
        session,
        userId,
        pattern_type=pattern_type.value if pattern_type is not None else None,
        min_confidence=minConfidence,
        limit=limit,
    )
    views = [patterns_service.PatternView.of(r) for r in rows]
    return PatternList(user_id=userId, patterns=[PatternOut.model_validate(v) for v in views])


@router.get("/users/{userId}/insights", response_model=InsightList, summary="Open insights")
def list_insights(userId: UserId, _: CurrentPrincipal, session: DbSession) -> InsightList:
    """Insights the learner has not acknowledged yet, each with the patterns behind it."""
    patterns_service.analysis_user(session, userId)
    views = patterns_service.open_insight_views(session, userId)
    return InsightList(user_id=userId, insights=[InsightOut.model_validate(v) for v in views])


@router.post(
    "/users/{userId}/insights/{insightId}:acknowledge",
    response_model=InsightOut,
    summary="Acknowledge an insight",
)
def acknowledge(
    userId: UserId,
    insightId: Annotated[IdPath, Path(description="The insight's id")],
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
    body: Annotated[AcknowledgeIn | None, Body()] = None,
) -> InsightOut:
    """Mark the insight as seen (and whether it was applied); it leaves the open list."""
    patterns_service.analysis_user(session, userId)
    insight = patterns_service.acknowledge_insight(
        session,
        userId,
        insightId,
        applied=body.applied if body is not None else None,
        now=now,
    )
    patterns = patterns_service.insight_patterns(session, insight.id)
    return InsightOut.model_validate(patterns_service.InsightView.of(insight, patterns))


@router.get(
    "/users/{userId}/learning-profile", response_model=ProfileOut, summary="The learner's profile"
)
def learning_profile(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: AsOf
) -> ProfileOut:
    """The profile of the last full analysis, or the progress towards each minimum."""
    patterns_service.analysis_user(session, userId)
    return ProfileOut.model_validate(patterns_service.learning_profile(session, userId, now))


@router.get(
    "/users/{userId}/study-time-heatmap",
    response_model=HeatmapOut,
    summary="Performance by weekday and local hour",
)
def study_time_heatmap(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: AsOf,
    weeks: Annotated[
        int, Query(ge=1, le=MAX_HEATMAP_WEEKS)
    ] = patterns_service.DEFAULT_HEATMAP_WEEKS,
) -> HeatmapOut:
    """7 × 24 cells over the last ``weeks`` weeks (mean performance, sessions), in the learner's
    time zone, and the optimal start hours of that window (simultaneous 95% test)."""
    user = patterns_service.analysis_user(session, userId)
    return HeatmapOut.model_validate(patterns_service.study_time_heatmap(session, user, now, weeks))


@router.delete(
    "/users/{userId}/patterns",
    response_model=DeleteOut,
    summary="Delete the learner's patterns, insights and profile",
)
def delete_patterns(userId: UserId, _: CurrentPrincipal, session: DbSession) -> DeleteOut:
    """Forget the twin (patterns, insights with their links, profile); raw inputs stay."""
    get_user(session, userId)
    return DeleteOut(user_id=userId, deleted=patterns_service.delete_patterns(session, userId))
