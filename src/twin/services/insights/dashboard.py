"""One aggregate call for a learner's dashboard (ENGINE.md 5.6: the source system made 9+).

:func:`dashboard` reads, with two indexed single-learner statements and no analysis:
the latest weekly score and its components, metric cards (the score and each component)
with 4-week sparklines, the top open recommendations, active goals, unread notifications,
the latest load and burnout assessment, and the top pending struggle predictions. Every
figure is what the jobs and requests stored (the weekly scores are the daily run's rows,
never recomputed here).

Round trips are what a request waits for on a busy machine (each one a wake-up of the
database process), so :data:`_OVERVIEW_SQL` reads in one statement the learner's consent
and zone, the stored scores, the unread count and newest unread notifications, the active
goals, the load, the burnout assessment and the predictions (small JSON arrays for the
lists, typed back into transient rows); the open recommendations with their keys and
applications are the second. 11 statements before, 2 now (``benchmarks/insights_speed.py``
counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import naive_utc
from twin.analysis.insights.score import COMPONENT_WEIGHTS, Component
from twin.db.models import BehavioralGoal, BehavioralScore, InsightNotification
from twin.enums import BurnoutRiskLevel
from twin.learners import analysis_learner, learner_zone
from twin.services.insights import goals as goals_service
from twin.services.insights import notifications as notifications_service
from twin.services.insights import recommendations as recommendations_service
from twin.services.insights.common import local_week
from twin.services.insights.goals import GoalView
from twin.services.insights.notifications import NotificationView
from twin.services.insights.recommendations import RecommendationView
from twin.services.insights.score import ScoreWeek, _week_view

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


_OVERVIEW_SQL = sa.text(
    """
    SELECT u.timezone, u."behavioralAnalysisEnabled" AS enabled,
           (SELECT coalesce(json_agg(json_build_object(
                      'weekStart', s."weekStart", 'score', s.score,
                      'components', s.components, 'sessions', s.sessions)
                    ORDER BY s."weekStart"), '[]'::json)
            FROM (SELECT "weekStart", score, components, sessions FROM behavioral_scores
                  WHERE "userId" = u.id ORDER BY "weekStart" DESC LIMIT :weeks) s) AS scores,
           (SELECT count(*) FROM insight_notifications
            WHERE "userId" = u.id AND "readAt" IS NULL) AS unread,
           (SELECT coalesce(json_agg(row_to_json(n) ORDER BY n."createdAt" DESC, n.id DESC),
                            '[]'::json)
            FROM (SELECT * FROM insight_notifications WHERE "userId" = u.id AND "readAt" IS NULL
                  ORDER BY "createdAt" DESC, id DESC LIMIT :k) n) AS notes,
           (SELECT coalesce(json_agg(row_to_json(g) ORDER BY g.deadline, g.id), '[]'::json)
            FROM behavioral_goals g WHERE g."userId" = u.id AND g.status = 'ACTIVE') AS goals,
           (SELECT "meanLoad7d" FROM learner_load_profiles WHERE "userId" = u.id) AS mean_load,
           m."loadScore" AS latest_load, m."timestamp" AS latest_at,
           b.id AS burnout_id, b."riskScore" AS risk, b.level AS risk_level,
           b."assessmentDate" AS assessed_at,
           (SELECT coalesce(json_agg(json_build_object(
                      'id', p.id, 'objectiveId', p.objective_id, 'objective', p.objective,
                      'probability', p.probability, 'at', p.at)
                    ORDER BY p.probability DESC, p.id), '[]'::json)
            FROM (SELECT p.id, p."learningObjectiveId" AS objective_id,
                         coalesce(o.objective, p."learningObjectiveId") AS objective,
                         p."predictedStruggleProbability" AS probability, p."predictedAt" AS at
                  FROM struggle_predictions p
                  LEFT JOIN learning_objectives o ON o.id = p."learningObjectiveId"
                  WHERE p."userId" = u.id AND p."predictionStatus" = 'PENDING'
                  ORDER BY p."predictedStruggleProbability" DESC, p.id LIMIT :n) p)
             AS predictions
    FROM users u
    LEFT JOIN LATERAL (
      SELECT "loadScore", "timestamp" FROM cognitive_load_metrics
      WHERE "userId" = u.id ORDER BY "timestamp" DESC LIMIT 1
    ) m ON true
    LEFT JOIN LATERAL (
      SELECT id, "riskScore", "riskLevel"::text AS level, "assessmentDate"
      FROM burnout_risk_assessments
      WHERE "userId" = u.id ORDER BY "assessmentDate" DESC, id DESC LIMIT 1
    ) b ON true
    WHERE u.id = :u
    """
)


def _score_row(item: dict[str, Any]) -> BehavioralScore:
    """A stored week from its JSON (not attached to the session)."""
    return BehavioralScore(
        weekStart=date.fromisoformat(item["weekStart"]),
        score=float(item["score"]),
        components=item["components"],
        sessions=int(item["sessions"]),
    )


_Row = TypeVar("_Row", BehavioralGoal, InsightNotification)


def _transient(model: type[_Row], item: dict[str, Any]) -> _Row:
    """A row from its ``row_to_json`` (not attached to the session): enums, times, floats typed."""
    values: dict[str, Any] = {}
    for attr in model.__mapper__.column_attrs:
        column = attr.columns[0]
        v = item.get(column.name)
        enum_class = getattr(column.type, "enum_class", None)
        if v is None:
            pass
        elif enum_class is not None:
            v = enum_class(v)
        elif isinstance(column.type, sa.DateTime):
            v = _json_time(v)
        elif isinstance(column.type, sa.Float):
            v = float(v)
        values[attr.key] = v
    return model(**values)


def _json_time(value: str) -> datetime:
    """A ``timestamp`` as json_build_object writes it (ISO 8601, naive UTC)."""
    return datetime.fromisoformat(value)


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
    """The learner's overview in one call (stored figures only, two statements)."""
    row = session.execute(
        _OVERVIEW_SQL,
        {"u": user_id, "weeks": SPARKLINE_WEEKS + 1, "n": TOP_PREDICTIONS, "k": UNREAD_SHOWN},
    ).first()
    if row is None or not row.enabled:
        analysis_learner(session, user_id)  # the 404 or 403, worded as everywhere
    assert row is not None
    current = local_week(now, learner_zone(row.timezone))
    weeks = [_week_view(_score_row(item), current) for item in row.scores]
    complete = [w for w in weeks if w.complete]
    shown_weeks = complete[-SPARKLINE_WEEKS:] if complete else weeks[-SPARKLINE_WEEKS:]
    recs = recommendations_service.top_open(session, user_id, TOP_RECOMMENDATIONS)
    goals = [goals_service.goal_view(_transient(BehavioralGoal, g)) for g in row.goals]
    notes = tuple(
        notifications_service.notification_view(_transient(InsightNotification, n))
        for n in row.notes
    )
    return Dashboard(
        user_id=user_id,
        generated_at=naive_utc(now),
        score=shown_weeks[-1] if shown_weeks else None,
        cards=_cards(shown_weeks),
        recommendations=tuple(recs),
        goals=tuple(goals),
        unread_notifications=int(row.unread),
        notifications=notes,
        load=LoadSummary(
            latest_load=None if row.latest_load is None else float(row.latest_load),
            latest_at=row.latest_at,
            mean_load_7d=None if row.mean_load is None else float(row.mean_load),
        ),
        burnout=None
        if row.burnout_id is None
        else BurnoutSummary(
            row.burnout_id, float(row.risk), BurnoutRiskLevel(row.risk_level), row.assessed_at
        ),
        predictions=tuple(
            PredictionSummary(
                p["id"],
                p["objectiveId"],
                p["objective"],
                float(p["probability"]),
                _json_time(p["at"]),
            )
            for p in row.predictions
        ),
    )
