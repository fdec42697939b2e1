"""The learner's twin over HTTP (ENGINE.md 5.1): analysis, patterns, insights, profile, recall.

Thin: every route validates its parameters, calls :mod:`twin.services.patterns` or
:mod:`twin.services.recall` and shapes the answer. Routes live under
``/users/{userId}/`` (the app adds ``/v1`` and the authentication); analysis routes
answer 403 when the learner switched behavioural analysis off, except ``DELETE
patterns``, which always works.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from twin.analysis.common import aware_utc
from twin.analysis.patterns.study_time import DAYS_PER_WEEK, HOURS_PER_DAY
from twin.analysis.patterns.sufficiency import Sufficiency
from twin.api.deps import CurrentPrincipal, DbSession
from twin.api.guard import GuardedRoute
from twin.api.types import IdPath, JsonBool, QueryTimestamp
from twin.clock import utcnow
from twin.db.models import BehavioralInsight, BehavioralPattern, UserLearningProfile
from twin.enums import BehavioralPatternType, InsightType
from twin.services import patterns as patterns_service
from twin.services import recall as recall_service
from twin.services.learners import get_user

router = APIRouter(tags=["twin: patterns and insights"], route_class=GuardedRoute)

UserId = Annotated[IdPath, Path(description="The learner's id")]
MAX_PATTERN_LIMIT = 100
MAX_HEATMAP_WEEKS = 52
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _utc(ts: datetime | None) -> datetime | None:
    return None if ts is None else aware_utc(ts)


# --- schemas ---------------------------------------------------------------------------------


class Minimum(BaseModel):
    """Progress towards one minimum."""

    have: float
    need: float


class SufficiencyOut(BaseModel):
    """How far the learner is towards a full analysis (6 weeks, 20 sessions, 50 reviews)."""

    sufficient: bool
    progress: float = Field(description="Mean over the minimums of min(1, have/need), 0-1")
    minimums: dict[str, Minimum]
    missing: dict[str, Minimum]
    sessionsSinceLastAnalysis: int
    reanalysisDue: bool

    @classmethod
    def of(cls, suff: Sufficiency) -> SufficiencyOut:
        """From the analysis value object."""
        return cls.model_validate(suff.to_dict())


class AnalyzeIn(BaseModel):
    """Options of an analysis on request."""

    model_config = ConfigDict(extra="forbid")

    force: JsonBool = Field(
        default=False,
        description="Run even if the learner was analysed less than a day ago (service keys only; "
        "ignored for learner tokens)",
    )


class PatternCounts(BaseModel):
    """What the pattern lifecycle did."""

    created: int
    updated: int
    deleted: int
    notSaved: int = Field(description="Detected below the 0.6 confidence needed to save")


class MemoryModelOut(BaseModel):
    """The learner's recall model."""

    fitted: bool
    source: Literal["fitted", "default"]
    reviewsUsed: int
    fittedAt: datetime | None
    minReviewsForFit: int


class AnalysisMemoryOut(MemoryModelOut):
    """The recall model after an analysis (refitted when the reviews grew enough)."""

    refitted: bool
    reviewsTotal: int


class AnalyzeOut(BaseModel):
    """Result of one analysis; ``insufficient_data`` stores nothing and says what is missing."""

    userId: str
    status: Literal["analyzed", "insufficient_data"]
    trigger: str
    analyzedAt: datetime | None
    reason: str | None
    forceIgnored: bool = Field(description="force was sent with a learner token and ignored")
    sufficiency: SufficiencyOut | None
    patterns: PatternCounts
    insightsCreated: list[str] = Field(description="Ids of the new insights")
    dataQualityScore: float | None
    analyserConfidences: dict[str, float]
    insufficient: dict[str, dict[str, Minimum]] = Field(
        description="Per analyser, the minimums it has not met"
    )
    notes: list[str]
    memoryModel: AnalysisMemoryOut | None
    durationMs: float


class PatternOut(BaseModel):
    """A stored behavioural pattern with its evidence."""

    id: str
    patternType: BehavioralPatternType
    key: str | None = Field(description="Identity of the pattern across analyses")
    name: str | None
    confidence: float
    evidence: list[str]
    occurrenceCount: int
    consecutiveMisses: int
    firstDetectedAt: datetime
    lastSeenAt: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, row: BehavioralPattern) -> PatternOut:
        """From the model."""
        data = dict(row.patternData) if isinstance(row.patternData, dict) else {}
        key = data.pop(patterns_service.PATTERN_DATA_KEY, None)
        misses = data.pop(patterns_service.PATTERN_DATA_MISSES, 0)
        return cls(
            id=row.id,
            patternType=row.patternType,
            key=key if isinstance(key, str) else None,
            name=row.patternName,
            confidence=row.confidence,
            evidence=list(row.evidence),
            occurrenceCount=row.occurrenceCount,
            consecutiveMisses=misses if isinstance(misses, int) else 0,
            firstDetectedAt=aware_utc(row.firstDetectedAt),
            lastSeenAt=aware_utc(row.lastSeenAt),
            data=data,
        )


class PatternList(BaseModel):
    """Patterns, most confident first, then most recently seen."""

    userId: str
    patterns: list[PatternOut]


class InsightOut(BaseModel):
    """An actionable insight with the patterns behind it."""

    id: str
    insightType: InsightType
    title: str
    description: str
    actionableRecommendation: str
    confidence: float
    createdAt: datetime
    acknowledgedAt: datetime | None
    applied: bool
    patterns: list[PatternOut]

    @classmethod
    def of(cls, row: BehavioralInsight, patterns: list[BehavioralPattern]) -> InsightOut:
        """From the model and its linked patterns."""
        return cls(
            id=row.id,
            insightType=row.insightType,
            title=row.title,
            description=row.description,
            actionableRecommendation=row.actionableRecommendation,
            confidence=row.confidence,
            createdAt=aware_utc(row.createdAt),
            acknowledgedAt=_utc(row.acknowledgedAt),
            applied=row.applied,
            patterns=[PatternOut.of(p) for p in patterns],
        )


class InsightList(BaseModel):
    """Unacknowledged insights."""

    userId: str
    insights: list[InsightOut]


class AcknowledgeIn(BaseModel):
    """Acknowledging an insight; say whether you applied it."""

    model_config = ConfigDict(extra="forbid")

    applied: JsonBool | None = Field(default=None, description="Whether the learner acted on it")


class ProfileOut(BaseModel):
    """The learner's twin summary, or the progress towards a first full analysis."""

    userId: str
    status: Literal["analyzed", "not_analyzed", "insufficient_data"] = Field(
        description="not_analyzed: enough data, but no analysis ran yet (POST patterns:analyze)"
    )
    lastAnalyzedAt: datetime | None = None
    dataQualityScore: float | None = Field(
        default=None, description="Mean of the analysers' confidences, 0-1"
    )
    preferredStudyTimes: list[dict[str, Any]] = Field(default_factory=list)
    averageSessionDuration: int | None = None
    optimalSessionDuration: int | None = None
    contentPreferences: dict[str, float] = Field(
        default_factory=dict,
        description="Empty when learning-style profiling is off or fewer than 2 content types "
        "were used (nothing to compare)",
    )
    learningStyleProfile: dict[str, float] = Field(
        default_factory=dict,
        description="VARK-style shares (weak science; what worked for you); empty when off or "
        "fewer than 2 content types were used",
    )
    personalizedForgettingCurve: dict[str, Any] = Field(default_factory=dict)
    learningStyleProfilingEnabled: bool
    sufficiency: SufficiencyOut


class HeatmapWindow(BaseModel):
    """An optimal start hour that passed the simultaneous 95% test."""

    hour: int
    label: str
    window: str
    meanScore: float
    windowMean: float
    restMean: float
    liftPercent: float
    sessions: int
    windowSessions: int
    confidence: float


class HeatmapOut(BaseModel):
    """Weekday × local hour (7 × 24): mean performance and session counts, with optimal windows."""

    userId: str
    timezone: str
    weeks: int
    since: datetime
    until: datetime
    sessions: int
    weekdays: list[str]
    hours: list[int]
    meanPerformance: list[list[float | None]] = Field(description="[weekday][hour], 0-100")
    sessionCounts: list[list[int]] = Field(description="[weekday][hour]")
    optimalWindows: list[HeatmapWindow]
    hoursTested: int = Field(description="Hours with at least 5 sessions (the candidates)")


class DeleteOut(BaseModel):
    """Rows deleted per table."""

    userId: str
    deleted: dict[str, int]


class RecallOut(BaseModel):
    """Predicted probability that the learner recalls the card at ``at``."""

    cardId: str
    at: datetime
    recallProbability: float = Field(description="0-1")
    model: MemoryModelOut
    reviewsBefore: int
    lastReviewedAt: datetime | None
    elapsedDays: float | None
    stabilityDays: float | None = Field(description="FSRS stability under the learner's model")
    difficulty: float | None = Field(description="FSRS difficulty (1-10) under the learner's model")
    storedState: dict[str, Any] = Field(description="The card's memory state kept by ingestion")


# --- routes ----------------------------------------------------------------------------------


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
    body: Annotated[AnalyzeIn | None, Body()] = None,
) -> AnalyzeOut:
    """Run the pattern analysis: patterns (lifecycle), ≤ 5 new insights, the profile.

    At most once a day per learner unless 10 sessions arrived since the last analysis or a
    service key sends ``force``. Without enough data (6 weeks, 20 sessions, 50 reviews)
    nothing is stored and the answer says how far along the learner is.
    """
    wanted = body.force if body is not None else False
    force = wanted and principal.is_service
    outcome = patterns_service.analyze_user(session, userId, now=utcnow(), force=force)
    return AnalyzeOut.model_validate(
        {**outcome.to_dict(), "forceIgnored": wanted and not principal.is_service}
    )


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
    return PatternList(userId=userId, patterns=[PatternOut.of(r) for r in rows])


@router.get("/users/{userId}/insights", response_model=InsightList, summary="Open insights")
def list_insights(userId: UserId, _: CurrentPrincipal, session: DbSession) -> InsightList:
    """Insights the learner has not acknowledged yet, each with the patterns behind it."""
    patterns_service.analysis_user(session, userId)
    return InsightList(
        userId=userId,
        insights=[InsightOut.of(i, p) for i, p in patterns_service.open_insights(session, userId)],
    )


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
    body: Annotated[AcknowledgeIn | None, Body()] = None,
) -> InsightOut:
    """Mark the insight as seen (and whether it was applied); it leaves the open list."""
    patterns_service.analysis_user(session, userId)
    insight = patterns_service.acknowledge_insight(
        session,
        userId,
        insightId,
        applied=body.applied if body is not None else None,
        now=utcnow(),
    )
    return InsightOut.of(insight, patterns_service.insight_patterns(session, insight.id))


@router.get(
    "/users/{userId}/learning-profile", response_model=ProfileOut, summary="The learner's profile"
)
def learning_profile(userId: UserId, _: CurrentPrincipal, session: DbSession) -> ProfileOut:
    """The profile of the last full analysis, or the progress towards each minimum."""
    user = patterns_service.analysis_user(session, userId)
    view = patterns_service.learning_profile(session, userId, utcnow())
    fields: dict[str, Any] = {}
    profile: UserLearningProfile | None = view.profile
    if profile is not None:
        fields = {
            "lastAnalyzedAt": _utc(profile.lastAnalyzedAt),
            "dataQualityScore": profile.dataQualityScore,
            "preferredStudyTimes": list(profile.preferredStudyTimes),
            "averageSessionDuration": profile.averageSessionDuration,
            "optimalSessionDuration": profile.optimalSessionDuration,
            "contentPreferences": dict(profile.contentPreferences),
            "learningStyleProfile": dict(profile.learningStyleProfile),
            "personalizedForgettingCurve": dict(profile.personalizedForgettingCurve),
        }
    return ProfileOut(
        userId=userId,
        status=view.status,
        learningStyleProfilingEnabled=user.learningStyleProfilingEnabled,
        sufficiency=SufficiencyOut.of(view.sufficiency),
        **fields,
    )


@router.get(
    "/users/{userId}/study-time-heatmap",
    response_model=HeatmapOut,
    summary="Performance by weekday and local hour",
)
def study_time_heatmap(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    weeks: Annotated[
        int, Query(ge=1, le=MAX_HEATMAP_WEEKS)
    ] = patterns_service.DEFAULT_HEATMAP_WEEKS,
) -> HeatmapOut:
    """7 × 24 cells over the last ``weeks`` weeks (mean performance, sessions), in the learner's
    time zone, and the optimal start hours of that window (simultaneous 95% test)."""
    user = patterns_service.analysis_user(session, userId)
    view = patterns_service.study_time_heatmap(session, user, utcnow(), weeks)
    heat = view.study_time.heatmap
    assert len(heat.sessions) == DAYS_PER_WEEK and len(heat.sessions[0]) == HOURS_PER_DAY
    return HeatmapOut(
        userId=userId,
        timezone=view.timezone,
        weeks=weeks,
        since=view.since,
        until=view.until,
        sessions=view.sessions,
        weekdays=list(WEEKDAY_LABELS),
        hours=list(range(HOURS_PER_DAY)),
        meanPerformance=[list(r) for r in heat.mean_performance],
        sessionCounts=[list(r) for r in heat.sessions],
        optimalWindows=[
            HeatmapWindow(
                hour=o.hour,
                label=o.label,
                window=o.window,
                meanScore=round(o.mean_score, 2),
                windowMean=round(o.window_mean, 2),
                restMean=round(o.rest_mean, 2),
                liftPercent=round(o.lift_percent, 2),
                sessions=o.sessions,
                windowSessions=o.window_sessions,
                confidence=round(o.confidence, 4),
            )
            for o in view.study_time.optimal
        ],
        hoursTested=view.study_time.hours_tested,
    )


@router.delete(
    "/users/{userId}/patterns",
    response_model=DeleteOut,
    summary="Delete the learner's patterns, insights and profile",
)
def delete_patterns(userId: UserId, _: CurrentPrincipal, session: DbSession) -> DeleteOut:
    """Forget the twin (patterns, insights with their links, profile); raw inputs stay."""
    get_user(session, userId)
    return DeleteOut(userId=userId, deleted=patterns_service.delete_patterns(session, userId))


@router.get(
    "/users/{userId}/cards/{cardId}/recall",
    response_model=RecallOut,
    summary="Predicted recall of a card",
    tags=["twin: memory"],
)
def card_recall(
    userId: UserId,
    cardId: Annotated[IdPath, Path(description="The card's id")],
    _: CurrentPrincipal,
    session: DbSession,
    at: Annotated[
        QueryTimestamp | None,
        Query(
            description="RFC 3339 time with an offset, e.g. 2026-03-01T08:00:00+01:00 "
            "(URL-encode '+' as %2B); default now"
        ),
    ] = None,
) -> RecallOut:
    """Probability that the learner recalls the card at ``at``: FSRS-6 with the learner's own
    fitted weights once they have enough reviews (defaults before, or with analysis off)."""
    user = get_user(session, userId)
    when = at if at is not None else utcnow().replace(tzinfo=UTC)
    result = recall_service.card_recall(session, user, cardId, when)
    return RecallOut.model_validate(result.to_dict())
