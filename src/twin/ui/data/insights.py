"""The insights, progress and learn pages' calls into the engine: recommendations, goals,
notifications, the behavioral score and its history, the academic correlation, pattern
evolution, progress, and the articles (insights services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from twin.analysis.common import InsufficientData
from twin.analysis.insights.correlation import CAVEAT
from twin.analysis.insights.evolution import ALLOWED_COMPARE_WEEKS, DEFAULT_EVOLUTION_WEEKS
from twin.analysis.insights.goals import GoalRequest
from twin.api.schemas.insights import (
    CatalogueOut,
    CorrelationOut,
    EvolutionOut,
    GoalDetailOut,
    GoalOut,
    GoalSuggestionOut,
    NotificationOut,
    PersonalArticleOut,
    ProgressOut,
    RecommendationOut,
    ScoreHistoryOut,
)
from twin.db.engine import Database
from twin.enums import ApplicationType, BehavioralGoalType
from twin.services.insights import articles as articles_service
from twin.services.insights import evolution as evolution_service
from twin.services.insights import goals as goals_service
from twin.services.insights import notifications as notifications_service
from twin.services.insights import recommendations as recommendations_service
from twin.services.insights import score as score_service
from twin.ui.data import _dump, _header

OPEN_RECOMMENDATIONS = 6
APPLIED_RECOMMENDATIONS = 10
NOTIFICATIONS_SHOWN = 20
GOAL_TYPES = tuple(t for t in BehavioralGoalType if t is not BehavioralGoalType.CUSTOM)
"""The goal templates a learner picks from (CUSTOM needs a metric expression: API only)."""
COMPARE_WEEKS = ALLOWED_COMPARE_WEEKS


def insights(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Open recommendations with their evidence, applied ones with their outcome, goals with
    progress, the twin's goal suggestions, and the learner's notifications."""
    with db.session() as session:
        header = _header(session, user_id)
        notes = notifications_service.list_notifications(
            session, user_id, limit=NOTIFICATIONS_SHOWN, checked=True
        )
        out: dict[str, Any] = {
            "learner": header,
            "notifications": [_dump(NotificationOut, n) for n in notes.notifications],
            "unread": notes.unread,
        }
        if not header.analysis_enabled:
            return out
        recs = recommendations_service.list_recommendations(
            session, user_id, limit=OPEN_RECOMMENDATIONS, checked=True
        )
        applied = recommendations_service.list_recommendations(
            session, user_id, status="APPLIED", limit=APPLIED_RECOMMENDATIONS, checked=True
        )
        goals = goals_service.list_goals(session, user_id, checked=True)
        suggested = goals_service.suggestions(session, user_id, now)
        return {
            **out,
            "recommendations": [_dump(RecommendationOut, r) for r in recs],
            "applied": [_dump(RecommendationOut, r) for r in applied],
            "goals": [_dump(GoalOut, g) for g in goals],
            "suggestions": [_dump(GoalSuggestionOut, g) for g in suggested],
        }


def learn(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """The learning-science articles with the learner's reads, and the ones their twin calls for."""
    with db.session() as session:
        header = _header(session, user_id)
        catalogue = _dump(CatalogueOut, articles_service.learner_catalogue(session, user_id, now))
        return {"learner": header, **catalogue}


def article(db: Database, user_id: str, slug: str, now: datetime) -> dict[str, Any]:
    """One article with the learner's own data filled in (the read is recorded, as the API does)."""
    with db.session() as session:
        header = _header(session, user_id)
        read = articles_service.read_article(session, user_id, slug, now)
        return {"learner": header, "article": _dump(PersonalArticleOut, read)}


def apply_recommendation(db: Database, user_id: str, rec_id: str, now: datetime) -> None:
    """The learner applies a recommendation (its baseline is stored; 409 dismissed/applied)."""
    with db.session() as session:
        recommendations_service.apply_recommendation(
            session, user_id, rec_id, ApplicationType.MANUAL, now
        )


def dismiss_recommendation(db: Database, user_id: str, rec_id: str, now: datetime) -> None:
    """Dismiss a recommendation for good (409 once applied)."""
    with db.session() as session:
        recommendations_service.dismiss_recommendation(session, user_id, rec_id, now)


def create_goal(
    db: Database,
    user_id: str,
    *,
    goal_type: str,
    target_value: float | None,
    deadline: datetime | None,
    title: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Set a goal from a template (422 naming every bad field, nothing written)."""
    request = GoalRequest(
        goal_type=goal_type, target_value=target_value, deadline=deadline, title=title
    )
    with db.session() as session:
        return _dump(GoalOut, goals_service.create_goal(session, user_id, request, now))


def read_notification(db: Database, user_id: str, notification_id: str, now: datetime) -> None:
    """Mark one notification read."""
    with db.session() as session:
        notifications_service.mark_read(session, user_id, notification_id, now)


def read_all_notifications(db: Database, user_id: str, now: datetime) -> int:
    """Mark every notification read: how many were unread."""
    with db.session() as session:
        return notifications_service.mark_all_read(session, user_id, now)


def article_feedback(
    db: Database, user_id: str, slug: str, now: datetime, *, helpful: bool, rating: int | None
) -> None:
    """The learner's feedback on an article they read."""
    with db.session() as session:
        articles_service.article_feedback(
            session, user_id, slug, now, helpful=helpful, rating=rating
        )


def progress(db: Database, user_id: str, now: datetime, compare_weeks: int) -> dict[str, Any]:
    """The weekly behavioral score's history, its correlation with exam and validation
    results, the patterns week by week and this week against ``compare_weeks`` ago — the
    answers of the API's behavioral-score, academic-correlation, patterns/evolution and
    progress routes."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        history = score_service.score_history(
            session, user_id, now, score_service.DEFAULT_HISTORY_WEEKS
        )
        found = score_service.correlation(session, user_id, now)
        weeks = evolution_service.evolution(session, user_id, DEFAULT_EVOLUTION_WEEKS)
        change = evolution_service.progress(session, user_id, compare_weeks)
        correlation: dict[str, Any] = (
            {"correlation": None, "insufficient": found, "caveat": CAVEAT}
            if isinstance(found, InsufficientData)
            else {"correlation": found, "insufficient": None, "caveat": CAVEAT}
        )
        compared: dict[str, Any] = (
            {"progress": None, "insufficient": change}
            if isinstance(change, InsufficientData)
            else {"progress": change, "insufficient": None}
        )
        return {
            "learner": header,
            "score": _dump(ScoreHistoryOut, history),
            "correlation": _dump(CorrelationOut, correlation),
            "evolution": _dump(EvolutionOut, {"weeks": list(weeks)}),
            "progress": _dump(ProgressOut, compared),
            "compareWeeks": compare_weeks,
        }


def edit_goal(
    db: Database, user_id: str, goal_id: str, now: datetime, *, title: str | None, abandon: bool
) -> dict[str, Any]:
    """Rename a goal or abandon it (as PATCH …/goals/{goalId}; 409 when it is over)."""
    with db.session() as session:
        view = goals_service.update_goal_fields(
            session, user_id, goal_id, now, title=title, abandon=abandon, expiry_reason=None
        )
        return _dump(GoalDetailOut, view)
