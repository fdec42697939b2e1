"""One aggregate call for a learner's dashboard (ENGINE.md 5.6: the source system made 9+).

:func:`dashboard` reads, with a handful of indexed single-learner queries and no analysis:
the latest weekly score and its components, metric cards (the score and each component)
with 4-week sparklines, the top open recommendations, active goals, unread notifications,
the latest load and burnout assessment, and the top pending struggle predictions. Every
figure is what the jobs and requests stored; nothing is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import naive_utc
from twin.analysis.insights.score import COMPONENT_WEIGHTS, Component
from twin.enums import BurnoutRiskLevel, GoalStatus
from twin.learners import analysis_learner
from twin.services.insights import goals as goals_service
from twin.services.insights import notifications as notifications_service
from twin.services.insights import recommendations as recommendations_service
from twin.services.insights.common import local_week
from twin.services.insights.goals import GoalView
from twin.services.insights.notifications import NotificationView
from twin.services.insights.recommendations import RecommendationView
from twin.services.insights.score import ScoreWeek, _week_view, stored_scores

SPARKLINE_WEEKS = 4
TOP_RECOMMENDATIONS = 3
TOP_PREDICTIONS = 3
UNREAD_SHOWN = 5
SCORE_CARD = "score"


@dataclass(frozen=True)
class SparkPoint:
    """One week of a sparkline (None: not measured that week)."""

    week_start: date
    value: float | None


@dataclass(frozen=True)
class MetricCard:
    """A metric with its latest value, change from the week before and a 4-week sparkline."""

    name: str
    value: float | None
    change: float | None
    weight: float | None
    sparkline: tuple[SparkPoint, ...]


@dataclass(frozen=True)
class LoadSummary:
    """The latest load reading and the 7-day mean."""

    latest_load: float | None
    latest_at: datetime | None
    mean_load_7d: float | None


@dataclass(frozen=True)
class BurnoutSummary:
    """The latest burnout assessment."""

    assessment_id: str
    risk_score: float
    level: BurnoutRiskLevel
    assessed_at: datetime


@dataclass(frozen=True)
class PredictionSummary:
    """A pending struggle prediction."""

    prediction_id: str
    objective_id: str
    objective: str
    probability: float
    predicted_at: datetime


@dataclass(frozen=True)
class Dashboard:
    """Everything a learner's overview shows, in one answer."""

    user_id: str
    generated_at: datetime
    score: ScoreWeek | None
    cards: tuple[MetricCard, ...]
    recommendations: tuple[RecommendationView, ...]
    goals: tuple[GoalView, ...]
    unread_notifications: int
    notifications: tuple[NotificationView, ...]
    load: LoadSummary
    burnout: BurnoutSummary | None
    predictions: tuple[PredictionSummary, ...]


_LOAD_SQL = sa.text(
    """
    SELECT (SELECT "meanLoad7d" FROM learner_load_profiles WHERE "userId" = :u) AS mean_load,
           m."loadScore" AS latest, m."timestamp" AS at
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (
      SELECT "loadScore", "timestamp" FROM cognitive_load_metrics
      WHERE "userId" = :u ORDER BY "timestamp" DESC LIMIT 1
    ) m ON true
    """
)
_BURNOUT_SQL = sa.text(
    'SELECT id, "riskScore", "riskLevel"::text AS level, "assessmentDate" AS at '
    'FROM burnout_risk_assessments WHERE "userId" = :u ORDER BY "assessmentDate" DESC, id DESC LIMIT 1'
)
_PREDICTIONS_SQL = sa.text(
    """
    SELECT p.id, p."learningObjectiveId" AS objective_id,
           coalesce(o.objective, p."learningObjectiveId") AS objective,
           p."predictedStruggleProbability" AS probability, p."predictedAt" AS at
    FROM struggle_predictions p
    LEFT JOIN learning_objectives o ON o.id = p."learningObjectiveId"
    WHERE p."userId" = :u AND p."predictionStatus" = 'PENDING'
    ORDER BY p."predictedStruggleProbability" DESC, p.id LIMIT :n
    """
)


def _cards(weeks: list[ScoreWeek]) -> tuple[MetricCard, ...]:
    shown = weeks[-SPARKLINE_WEEKS:]
    series: dict[str, list[SparkPoint]] = {
        SCORE_CARD: [SparkPoint(w.week_start, w.score) for w in shown]
    }
    for c in Component:
        series[str(c)] = [SparkPoint(w.week_start, w.components.get(str(c))) for w in shown]
    weights = {str(c): w for c, w in COMPONENT_WEIGHTS.items()}
    out = []
    for name, points in series.items():
        value = points[-1].value if points else None
        before = points[-2].value if len(points) >= 2 else None
        out.append(
            MetricCard(
                name=name,
                value=value,
                change=None if value is None or before is None else round(value - before, 2),
                weight=weights.get(name),
                sparkline=tuple(points),
            )
        )
    return tuple(out)


def dashboard(session: Session, user_id: str, now: datetime) -> Dashboard:
    """The learner's overview in one call (stored figures only)."""
    learner = analysis_learner(session, user_id)
    current = local_week(now, learner.zone)
    weeks = [
        _week_view(r, current) for r in stored_scores(session, user_id, weeks=SPARKLINE_WEEKS + 1)
    ]
    complete = [w for w in weeks if w.complete]
    shown_weeks = complete[-SPARKLINE_WEEKS:] if complete else weeks[-SPARKLINE_WEEKS:]
    recs = recommendations_service.list_recommendations(
        session, user_id, limit=TOP_RECOMMENDATIONS, checked=True
    )
    goals = goals_service.list_goals(session, user_id, GoalStatus.ACTIVE, checked=True)
    notes = notifications_service.list_notifications(
        session, user_id, unread=True, limit=UNREAD_SHOWN, checked=True
    )
    load = session.execute(_LOAD_SQL, {"u": user_id}).one()
    burnout = session.execute(_BURNOUT_SQL, {"u": user_id}).first()
    predictions = session.execute(_PREDICTIONS_SQL, {"u": user_id, "n": TOP_PREDICTIONS}).all()
    return Dashboard(
        user_id=user_id,
        generated_at=naive_utc(now),
        score=shown_weeks[-1] if shown_weeks else None,
        cards=_cards(shown_weeks),
        recommendations=tuple(recs),
        goals=tuple(goals),
        unread_notifications=notes.unread,
        notifications=notes.notifications,
        load=LoadSummary(
            latest_load=None if load.latest is None else float(load.latest),
            latest_at=load.at,
            mean_load_7d=None if load.mean_load is None else float(load.mean_load),
        ),
        burnout=None
        if burnout is None
        else BurnoutSummary(
            burnout.id, float(burnout.riskScore), BurnoutRiskLevel(burnout.level), burnout.at
        ),
        predictions=tuple(
            PredictionSummary(p.id, p.objective_id, p.objective, float(p.probability), p.at)
            for p in predictions
        ),
    )
