"""Behavioral insights (ENGINE.md 5.6) under ``/v1/users/{userId}/`` and ``/v1/articles``.

Recommendations (list, ``:apply``, ``:dismiss``), goals (suggestions, create, list, one
with its history, edit), notifications (list, ``:read``, ``:readAll``), the weekly
behavioral score, the academic correlation, exam results, pattern evolution, progress, the
learning-science articles, the one-call dashboard and clearing the insights. Analysis
routes answer 403 when the learner's ``behavioralAnalysisEnabled`` is false and 404 for an
unknown learner; not enough data is a 200 with ``insufficient``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import WithJsonSchema

from twin.analysis.common import InsufficientData, aware_utc
from twin.analysis.insights.correlation import CAVEAT
from twin.analysis.insights.evolution import ALLOWED_COMPARE_WEEKS, DEFAULT_EVOLUTION_WEEKS
from twin.analysis.insights.goals import GoalRequest
from twin.api.deps import CurrentPrincipal, DbSession, Now, ServicePrincipal
from twin.api.guard import GuardedRoute
from twin.api.schemas.insights import (
    ArticleFeedbackIn,
    ArticleSummaryOut,
    CatalogueOut,
    ClearIn,
    ClearOut,
    CorrelationOut,
    CorrelationValueOut,
    DailyRunOut,
    DashboardOut,
    EvolutionOut,
    ExamResultIn,
    ExamResultOut,
    GoalDetailOut,
    GoalIn,
    GoalListOut,
    GoalOut,
    GoalPatchIn,
    GoalSuggestionOut,
    GoalSuggestionsOut,
    NotificationListOut,
    NotificationOut,
    PersonalArticleOut,
    ProgressOut,
    ProgressValueOut,
    ReadAllOut,
    RecommendationApplyIn,
    RecommendationListOut,
    RecommendationOut,
    ScoreHistoryOut,
    WeekEvolutionOut,
)
from twin.api.types import IdPath
from twin.enums import GoalStatus
from twin.errors import ValidationFailed
from twin.ingest.schemas import ID_JSON_SCHEMA
from twin.services.insights import (
    articles,
    clear,
    daily,
    dashboard,
    evolution,
    goals,
    notifications,
    recommendations,
    score,
)

router = APIRouter(tags=["insights"], route_class=GuardedRoute)

UserId = Annotated[IdPath, Path(description="The learner's id")]
ItemId = Annotated[IdPath, Path(description="The item's id")]
# A slug sits directly before ``:feedback``, so its documented alphabet also excludes ':'
# (a 405's Allow header then tells ``/articles/{slug}`` from ``/articles/{slug}:feedback``).
Slug = Annotated[
    IdPath,
    Path(description="An article's slug, e.g. retrieval-practice"),
    WithJsonSchema(
        {
            **ID_JSON_SCHEMA,
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f/:\\u2028\\u2029]*$",
            "description": "An article's slug (slugs never hold '/' or ':')",
        }
    ),
]
Responses = dict[int | str, dict[str, Any]]
ANALYSIS_OFF: Responses = {403: {"description": "behavioural analysis is switched off"}}
UNKNOWN: Responses = {404: {"description": "unknown learner (or item of this learner)"}}
BAD_INPUT: Responses = {422: {"description": "invalid input: the error names each field"}}
CONFLICT: Responses = {
    409: {"description": "the item's state does not allow this (e.g. dismissed)"}
}
RecommendationStatusFilter = Literal["OPEN", "APPLIED", "PENDING", "VIEWED", "DISMISSED", "RATED"]


# --- recommendations ---------------------------------------------------------------------


@router.get(
    "/users/{userId}/recommendations",
    response_model=RecommendationListOut,
    summary="The learner's recommendations",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def list_recommendations(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    status: Annotated[
        RecommendationStatusFilter | None,
        Query(description="OPEN (default: top first, ≤ 2 per type), APPLIED, or a stored status"),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=recommendations.MAX_LIMIT)
    ] = recommendations.DEFAULT_LIMIT,
) -> RecommendationListOut:
    """Open recommendations by default, each with its evidence, sources and outcome."""
    views = recommendations.list_recommendations(session, userId, status=status, limit=limit)
    return RecommendationListOut(
        recommendations=[RecommendationOut.model_validate(v) for v in views]
    )


@router.post(
    "/users/{userId}/recommendations/{recommendationId}:apply",
    response_model=RecommendationOut,
    summary="Apply a recommendation (its 2-week baseline is stored; measured after 2 weeks)",
    responses={**ANALYSIS_OFF, **UNKNOWN, **CONFLICT, **BAD_INPUT},
)
def apply_recommendation(
    userId: UserId,
    recommendationId: ItemId,
    body: RecommendationApplyIn,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
) -> RecommendationOut:
    """Record the application; 409 when dismissed or already applied."""
    view = recommendations.apply_recommendation(
        session, userId, recommendationId, body.applicationType, now
    )
    return RecommendationOut.model_validate(view)


@router.post(
    "/users/{userId}/recommendations/{recommendationId}:dismiss",
    response_model=RecommendationOut,
    summary="Dismiss a recommendation (never recommended again)",
    responses={**ANALYSIS_OFF, **UNKNOWN, **CONFLICT},
)
def dismiss_recommendation(
    userId: UserId, recommendationId: ItemId, _: CurrentPrincipal, session: DbSession, now: Now
) -> RecommendationOut:
    """Dismiss for good; 409 once applied."""
    view = recommendations.dismiss_recommendation(session, userId, recommendationId, now)
    return RecommendationOut.model_validate(view)


# --- goals -----------------------------------------------------------------------------------


@router.get(
    "/users/{userId}/goals/suggestions",
    response_model=GoalSuggestionsOut,
    summary="Goals the twin suggests (≤ 3, each from a pattern with confidence ≥ 0.6)",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def goal_suggestions(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: Now
) -> GoalSuggestionsOut:
    """Suggestions with the learner's current value of each metric."""
    found = goals.suggestions(session, userId, now)
    return GoalSuggestionsOut(suggestions=[GoalSuggestionOut.model_validate(s) for s in found])


@router.post(
    "/users/{userId}/goals",
    response_model=GoalDetailOut,
    status_code=201,
    summary="Set a goal (progress is then measured from the data every day)",
    responses={**ANALYSIS_OFF, **UNKNOWN, **BAD_INPUT},
)
def create_goal(
    userId: UserId, body: GoalIn, _: CurrentPrincipal, session: DbSession, now: Now
) -> GoalDetailOut:
    """A template goal (its metric from the twin) or a CUSTOM one; 422 names every bad field."""
    view = goals.create_goal(
        session,
        userId,
        GoalRequest(
            goal_type=str(body.goalType),
            target_metric=body.targetMetric,
            target_value=body.targetValue,
            deadline=None if body.deadline is None else aware_utc(body.deadline),
            title=body.title,
            description=body.description,
        ),
        now,
    )
    return GoalDetailOut.model_validate(view)


@router.get(
    "/users/{userId}/goals",
    response_model=GoalListOut,
    summary="The learner's goals",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def list_goals(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    status: Annotated[GoalStatus | None, Query(description="Only goals of this status")] = None,
) -> GoalListOut:
    """Nearest deadline first."""
    return GoalListOut(
        goals=[GoalOut.model_validate(g) for g in goals.list_goals(session, userId, status)]
    )


@router.get(
    "/users/{userId}/goals/{goalId}",
    response_model=GoalDetailOut,
    summary="One goal with its progress history",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def get_goal(
    userId: UserId, goalId: ItemId, _: CurrentPrincipal, session: DbSession
) -> GoalDetailOut:
    """The goal and every day's measured value and progress."""
    return GoalDetailOut.model_validate(goals.get_goal(session, userId, goalId))


@router.patch(
    "/users/{userId}/goals/{goalId}",
    response_model=GoalDetailOut,
    summary="Edit the title, abandon, or say what got in the way of an expired goal",
    responses={**ANALYSIS_OFF, **UNKNOWN, **CONFLICT, **BAD_INPUT},
)
def patch_goal(
    userId: UserId,
    goalId: ItemId,
    body: GoalPatchIn,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
) -> GoalDetailOut:
    """At least one of title, status (ABANDONED) and expiryReason."""
    if body.title is None and body.status is None and body.expiryReason is None:
        raise ValidationFailed(
            "give at least one of title, status, expiryReason",
            details=[{"index": None, "field": "body", "reason": "nothing to change"}],
        )
    view = goals.update_goal_fields(
        session,
        userId,
        goalId,
        now,
        title=body.title,
        abandon=body.status == "ABANDONED",
        expiry_reason=body.expiryReason,
    )
    return GoalDetailOut.model_validate(view)


# --- notifications -----------------------------------------------------------------------


@router.get(
    "/users/{userId}/notifications",
    response_model=NotificationListOut,
    summary="The learner's notifications, newest first",
    responses=UNKNOWN,
)
def list_notifications(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    unread: Annotated[bool | None, Query(description="true: unread only; false: read only")] = None,
    limit: Annotated[int, Query(ge=1, le=notifications.MAX_LIMIT)] = notifications.DEFAULT_LIMIT,
) -> NotificationListOut:
    """With the total unread count."""
    page = notifications.list_notifications(session, userId, unread=unread, limit=limit)
    return NotificationListOut.model_validate(page)


@router.post(
    "/users/{userId}/notifications/{notificationId}:read",
    response_model=NotificationOut,
    summary="Mark a notification read",
    responses=UNKNOWN,
)
def read_notification(
    userId: UserId, notificationId: ItemId, _: CurrentPrincipal, session: DbSession, now: Now
) -> NotificationOut:
    """Reading it again keeps the first read time."""
    return NotificationOut.model_validate(
        notifications.mark_read(session, userId, notificationId, now)
    )


@router.post(
    "/users/{userId}/notifications:readAll",
    response_model=ReadAllOut,
    summary="Mark every notification read",
    responses=UNKNOWN,
)
def read_all_notifications(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: Now
) -> ReadAllOut:
    """How many were unread."""
    return ReadAllOut(marked_read=notifications.mark_all_read(session, userId, now))


# --- score, correlation, evolution, progress -------------------------------------------------


@router.get(
    "/users/{userId}/behavioral-score",
    response_model=ScoreHistoryOut,
    summary="The weekly behavioral score (0–100) and its five components",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def behavioral_score(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
    weeks: Annotated[int, Query(ge=1, le=score.MAX_HISTORY_WEEKS)] = score.DEFAULT_HISTORY_WEEKS,
) -> ScoreHistoryOut:
    """The last ``weeks`` weeks, oldest first (the current week is partial)."""
    return ScoreHistoryOut.model_validate(score.score_history(session, userId, now, weeks))


@router.get(
    "/users/{userId}/academic-correlation",
    response_model=CorrelationOut,
    summary="Weekly behavioral score vs exam and validation results",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def academic_correlation(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
    weeks: Annotated[
        int, Query(ge=8, le=score.MAX_HISTORY_WEEKS)
    ] = score.DEFAULT_CORRELATION_WEEKS,
) -> CorrelationOut:
    """Pearson r, p, Fisher-z interval and strength over the last complete weeks (≥ 8)."""
    result = score.correlation(session, userId, now, weeks)
    if isinstance(result, InsufficientData):
        return CorrelationOut.model_validate(
            {"correlation": None, "insufficient": result, "caveat": CAVEAT}
        )
    return CorrelationOut(
        correlation=CorrelationValueOut.model_validate(result), insufficient=None, caveat=CAVEAT
    )


@router.post(
    "/users/{userId}/exam-results",
    response_model=ExamResultOut,
    status_code=201,
    summary="Record an exam result (0–100) for the academic correlation",
    responses={**UNKNOWN, **BAD_INPUT},
)
def add_exam_result(
    userId: UserId, body: ExamResultIn, _: CurrentPrincipal, session: DbSession
) -> ExamResultOut:
    """Raw input: kept when analysis is switched off or insights are cleared."""
    row = score.add_exam_result(session, userId, body.score, body.takenAt, body.examId)
    return ExamResultOut.model_validate(row)


@router.get(
    "/users/{userId}/patterns/evolution",
    response_model=EvolutionOut,
    summary="Patterns week by week: new, kept and gone",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def pattern_evolution(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    weeks: Annotated[int, Query(ge=1, le=evolution.MAX_EVOLUTION_WEEKS)] = DEFAULT_EVOLUTION_WEEKS,
) -> EvolutionOut:
    """The last ``weeks`` analysed weeks, oldest first."""
    found = evolution.evolution(session, userId, weeks)
    return EvolutionOut(weeks=[WeekEvolutionOut.model_validate(w) for w in found])


@router.get(
    "/users/{userId}/progress",
    response_model=ProgressOut,
    summary="This week against 2, 4 or 8 weeks ago",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def progress(
    userId: UserId,
    _: CurrentPrincipal,
    session: DbSession,
    compareWeeks: Annotated[
        int,
        Query(
            ge=2, le=8, description="Weeks back: 2, 4 or 8", json_schema_extra={"enum": [2, 4, 8]}
        ),
    ] = 2,
) -> ProgressOut:
    """Score, components and patterns found / lost."""
    if compareWeeks not in ALLOWED_COMPARE_WEEKS:
        raise ValidationFailed(
            f"invalid request: query.compareWeeks: must be one of {ALLOWED_COMPARE_WEEKS}",
            details=[{"index": None, "field": "query.compareWeeks", "reason": "must be 2, 4 or 8"}],
        )
    result = evolution.progress(session, userId, compareWeeks)
    if isinstance(result, InsufficientData):
        return ProgressOut.model_validate({"progress": None, "insufficient": result})
    return ProgressOut(progress=ProgressValueOut.model_validate(result), insufficient=None)


# --- articles ----------------------------------------------------------------------------------


@router.get("/articles", response_model=CatalogueOut, summary="The learning-science articles")
def list_articles(_: ServicePrincipal, session: DbSession) -> CatalogueOut:
    """Every article (a learner lists them under /v1/users/{userId}/articles)."""
    return CatalogueOut.model_validate(articles.catalogue(session))


@router.get(
    "/users/{userId}/articles",
    response_model=CatalogueOut,
    summary="The articles with the learner's reads and the ones their twin calls for",
    responses=UNKNOWN,
)
def learner_articles(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: Now
) -> CatalogueOut:
    """Suggestions only when behavioural analysis is on."""
    return CatalogueOut.model_validate(articles.learner_catalogue(session, userId, now))


@router.get(
    "/users/{userId}/articles/{slug}",
    response_model=PersonalArticleOut,
    summary="Read an article with the learner's own data (the read is recorded)",
    responses=UNKNOWN,
)
def read_article(
    userId: UserId, slug: Slug, _: CurrentPrincipal, session: DbSession, now: Now
) -> PersonalArticleOut:
    """ "Your data" sections from the learner's twin (none when analysis is off)."""
    return PersonalArticleOut.model_validate(articles.read_article(session, userId, slug, now))


@router.post(
    "/users/{userId}/articles/{slug}:feedback",
    response_model=ArticleSummaryOut,
    summary="Feedback on an article the learner read",
    responses={**UNKNOWN, **BAD_INPUT},
)
def article_feedback(
    userId: UserId,
    slug: Slug,
    body: ArticleFeedbackIn,
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
) -> ArticleSummaryOut:
    """Helpful, a rating 1–5, a comment, reading time, finished or not."""
    summary = articles.article_feedback(
        session,
        userId,
        slug,
        now,
        helpful=body.helpful,
        rating=body.rating,
        feedback=body.feedback,
        read_duration_seconds=body.readDurationSeconds,
        completed=body.completedRead,
    )
    return ArticleSummaryOut.model_validate(summary)


# --- dashboard, clear, refresh -----------------------------------------------------------------


@router.get(
    "/users/{userId}/dashboard",
    response_model=DashboardOut,
    summary="Everything a learner's overview shows, in one call",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def get_dashboard(
    userId: UserId, _: CurrentPrincipal, session: DbSession, now: Now
) -> DashboardOut:
    """Score, metric cards with 4-week sparklines, top recommendations, active goals, unread
    notifications, latest load and burnout, top predictions."""
    return DashboardOut.model_validate(dashboard.dashboard(session, userId, now))


@router.delete(
    "/users/{userId}/insights",
    response_model=ClearOut,
    summary="Clear the learner's insights (patterns, insights, goals, recommendations, profile)",
    responses={**UNKNOWN, **BAD_INPUT},
)
def clear_insights(
    userId: UserId, body: ClearIn, _: CurrentPrincipal, session: DbSession
) -> ClearOut:
    """Needs ``{"confirm": true}``; raw data (sessions, reviews, events …) is kept."""
    return ClearOut(deleted=clear.clear_insights(session, userId))


@router.post(
    "/users/{userId}/insights:refresh",
    response_model=DailyRunOut,
    summary="Run the learner's daily insights work now (service key)",
    responses={**ANALYSIS_OFF, **UNKNOWN},
)
def refresh_insights(
    userId: UserId, _: ServicePrincipal, session: DbSession, now: Now
) -> DailyRunOut:
    """Scores, evaluations, goals, recommendations and notifications, as the daily job does."""
    return DailyRunOut.model_validate(daily.run_daily(session, userId, now))
