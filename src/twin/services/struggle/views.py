"""Reading a learner's stored predictions, their indicators and interventions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import naive_utc
from twin.analysis.struggle.capture import NEVER_STUDIED_DISMISS_DAYS
from twin.analysis.struggle.contexts import ObjectiveInfo
from twin.analysis.struggle.features import FEATURE_NAMES, feature_reason
from twin.analysis.struggle.workflow import AT_RISK_ABOVE
from twin.db.models import InterventionRecommendation, StruggleIndicator, StrugglePrediction
from twin.enums import (
    IndicatorType,
    InterventionStatus,
    InterventionType,
    PredictionStatus,
    Severity,
)
from twin.errors import NotFound
from twin.learners import analysis_learner
from twin.services.struggle.loading import objective_infos

DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 200
SEVERITY_RANK = {None: 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
"""Indicators are listed most severe first."""


@dataclass(frozen=True)
class ObjectiveRef:
    """An objective known only by its id (its row is gone)."""

    id: str


@dataclass(frozen=True)
class InterventionView:
    """A stored intervention recommendation."""

    id: str
    prediction_id: str | None
    objective_id: str | None
    type: InterventionType
    priority: int
    description: str
    reasoning: str
    status: InterventionStatus
    created_at: datetime
    applied_at: datetime | None
    applied_to_mission_id: str | None

    @classmethod
    def of(cls, row: InterventionRecommendation) -> InterventionView:
        """From the stored row."""
        return cls(
            id=row.id,
            prediction_id=row.predictionId,
            objective_id=row.relatedObjectiveId,
            type=row.interventionType,
            priority=row.priority,
            description=row.description,
            reasoning=row.reasoning,
            status=row.status,
            created_at=row.createdAt,
            applied_at=row.appliedAt,
            applied_to_mission_id=row.appliedToMissionId,
        )


@dataclass(frozen=True)
class IndicatorView:
    """A stored struggle indicator."""

    id: str
    type: IndicatorType
    severity: Severity
    context: dict[str, Any]
    detected_at: datetime


@dataclass(frozen=True)
class FactorView:
    """A feature behind a prediction: its value (0-1), log-odds contribution, in words."""

    feature: str
    value: float
    contribution: float
    reason: str


@dataclass(frozen=True)
class WhyFeature:
    """One of the 15 features of a stored prediction."""

    feature: str
    value: float
    """0-1 (0.5 when unknown)."""
    unknown: bool
    contribution: float
    reason: str


@dataclass(frozen=True)
class WhyView:
    """Why the model predicted what it did: every feature, the model, the top factors in words."""

    model_version: str | None
    data_quality: float | None
    probability: float
    features: list[WhyFeature]
    top_factors: list[str]


@dataclass(frozen=True)
class PredictionView:
    """A stored prediction with its objective, indicators, interventions and explanation."""

    id: str
    objective: ObjectiveInfo | ObjectiveRef
    topic_id: str | None
    probability: float
    confidence: float
    status: PredictionStatus
    model_version: str | None
    data_quality: float | None
    source: str | None
    due_at: datetime | None
    predicted_at: datetime
    acknowledged_at: datetime | None
    actual_outcome: bool | None
    actual_outcome_recorded_at: datetime | None
    intervention_applied: bool
    intervention_id: str | None
    top_factors: list[FactorView]
    indicators: list[IndicatorView]
    interventions: list[InterventionView]
    why: WhyView
    due_date_passed: bool
    """PENDING and due before the instant it was read at."""
    status_reason: str


def _top_factors(row: StrugglePrediction) -> list[FactorView]:
    """The stored top factors with their reasons in words."""
    out = []
    for f in row.strugglingFactors or []:
        if isinstance(f, dict) and "feature" in f:
            name = str(f["feature"])
            value = float(f.get("value", 0.0))
            out.append(
                FactorView(
                    name, value, float(f.get("contribution", 0.0)), feature_reason(name, value)
                )
            )
    return out


def _why(row: StrugglePrediction, vector: dict[str, Any], top: list[FactorView]) -> WhyView:
    """Every feature of the stored vector: value, whether unknown, contribution, in words."""
    features = vector.get("features") or {}
    unknown = set(vector.get("unknown") or [])
    contributions = vector.get("contributions") or {}
    rows = []
    for name in FEATURE_NAMES:
        value = float(features.get(name, 0.5))
        rows.append(
            WhyFeature(
                feature=name,
                value=value,
                unknown=name in unknown,
                contribution=float(contributions.get(name, 0.0)),
                reason="not measured" if name in unknown else feature_reason(name, value),
            )
        )
    return WhyView(
        model_version=vector.get("modelVersion"),
        data_quality=vector.get("dataQuality"),
        probability=row.predictedStruggleProbability,
        features=rows,
        top_factors=[f.reason for f in top],
    )


STATUS_REASONS = {
    PredictionStatus.CONFIRMED: "a struggle was predicted (p ≥ 0.5) and the learner struggled",
    PredictionStatus.FALSE_POSITIVE: "a struggle was predicted (p ≥ 0.5); the learner did not "
    "struggle",
    PredictionStatus.MISSED: "no struggle was predicted (p < 0.5); the learner struggled",
    PredictionStatus.RESOLVED: "no struggle was predicted (p < 0.5) and there was none",
    PredictionStatus.DISMISSED: "no outcome: the objective was not studied conclusively within "
    f"{NEVER_STUDIED_DISMISS_DAYS} days of the prediction, or a newer prediction replaced it",
}
"""Why a prediction has the status it has, for statuses that do not depend on time."""


def status_reason(
    status: PredictionStatus, due_at: datetime | None, predicted_at: datetime, now: datetime
) -> str:
    """The prediction's status in words; an open prediction says what it waits for."""
    if status is not PredictionStatus.PENDING:
        return STATUS_REASONS.get(status, status.value)
    decided_by = (
        "its outcome is recorded from the learner's next study of the objective or their "
        "feedback, and it is dismissed if still undecided on "
        f"{(predicted_at + timedelta(days=NEVER_STUDIED_DISMISS_DAYS)):%Y-%m-%d}"
    )
    if due_at is not None and due_at < now:
        return f"open although its due date ({due_at:%Y-%m-%d}) has passed: {decided_by}"
    due = f" (due {due_at:%Y-%m-%d})" if due_at is not None else ""
    return f"open{due}: {decided_by}"


def _prediction_view(
    row: StrugglePrediction,
    objective: ObjectiveInfo | None,
    indicators: list[StruggleIndicator],
    interventions: list[InterventionRecommendation],
    now: datetime,
) -> PredictionView:
    vector = dict(row.featureVector or {})
    due = vector.get("dueAt")
    due_at = naive_utc(datetime.fromisoformat(due)) if isinstance(due, str) else None
    top = _top_factors(row)
    return PredictionView(
        id=row.id,
        objective=objective if objective is not None else ObjectiveRef(row.learningObjectiveId),
        topic_id=row.topicId,
        probability=row.predictedStruggleProbability,
        confidence=row.predictionConfidence,
        status=row.predictionStatus,
        model_version=vector.get("modelVersion"),
        data_quality=vector.get("dataQuality"),
        source=vector.get("source"),
        due_at=due_at,
        predicted_at=row.predictedAt,
        acknowledged_at=row.acknowledgedAt,
        actual_outcome=row.actualOutcome,
        actual_outcome_recorded_at=row.actualOutcomeRecordedAt,
        intervention_applied=row.interventionApplied,
        intervention_id=row.interventionId,
        top_factors=top,
        indicators=[
            IndicatorView(i.id, i.indicatorType, i.severity, dict(i.context or {}), i.detectedAt)
            for i in indicators
        ],
        interventions=[InterventionView.of(i) for i in interventions],
        why=_why(row, vector, top),
        due_date_passed=row.predictionStatus is PredictionStatus.PENDING
        and due_at is not None
        and due_at < now,
        status_reason=status_reason(row.predictionStatus, due_at, row.predictedAt, now),
    )


@dataclass(frozen=True)
class PredictionStats:
    """Counts over all of the learner's predictions."""

    total: int
    at_risk: int
    """Predictions with probability > 0.5."""
    with_outcome: int
    by_status: dict[str, int]
    returned: int


@dataclass(frozen=True)
class PredictionList:
    """Predictions matching a filter, and counts over all of the learner's predictions."""

    user_id: str
    predictions: list[PredictionView]
    stats: PredictionStats


def prediction_views(
    session: Session, rows: Sequence[StrugglePrediction], now: datetime
) -> list[PredictionView]:
    """Prediction rows with their objectives, indicators and interventions (3 queries), read at ``now``."""
    ids = [r.id for r in rows]
    infos = objective_infos(session, sorted({r.learningObjectiveId for r in rows}))
    indicators: dict[str, list[StruggleIndicator]] = defaultdict(list)
    interventions: dict[str, list[InterventionRecommendation]] = defaultdict(list)
    if ids:
        for ind in session.scalars(
            sa.select(StruggleIndicator)
            .where(StruggleIndicator.predictionId.in_(ids))
            .order_by(StruggleIndicator.detectedAt, StruggleIndicator.id)
        ):
            indicators[ind.predictionId or ""].append(ind)
        for iv in session.scalars(
            sa.select(InterventionRecommendation)
            .where(InterventionRecommendation.predictionId.in_(ids))
            .order_by(InterventionRecommendation.priority.desc(), InterventionRecommendation.id)
        ):
            interventions[iv.predictionId or ""].append(iv)
    for v in indicators.values():
        v.sort(key=lambda i: -SEVERITY_RANK.get(i.severity.value, 0))
    return [
        _prediction_view(
            r, infos.get(r.learningObjectiveId), indicators[r.id], interventions[r.id], now
        )
        for r in rows
    ]


def list_predictions(
    session: Session,
    user_id: str,
    *,
    status: PredictionStatus | str | None = None,
    min_probability: float = AT_RISK_ABOVE,
    limit: int = DEFAULT_LIST_LIMIT,
    now: datetime,
) -> PredictionList:
    """The learner's predictions with p ≥ ``min_probability`` (and ``status``), most likely first.

    ``stats`` counts all of the learner's predictions: by status, at risk, with outcomes.
    """
    analysis_learner(session, user_id)
    query = sa.select(StrugglePrediction).where(
        StrugglePrediction.userId == user_id,
        StrugglePrediction.predictedStruggleProbability >= min_probability,
    )
    if status is not None:
        query = query.where(StrugglePrediction.predictionStatus == PredictionStatus(status))
    rows = session.scalars(
        query.order_by(
            StrugglePrediction.predictedStruggleProbability.desc(),
            StrugglePrediction.predictedAt.desc(),
            StrugglePrediction.id,
        ).limit(max(1, min(limit, MAX_LIST_LIMIT)))
    ).all()
    by_status = dict.fromkeys((s.value for s in PredictionStatus), 0)
    total = at_risk = with_outcome = 0
    for st, n, risky, outcome in session.execute(
        sa.text(
            'SELECT "predictionStatus"::text, count(*), '
            'count(*) FILTER (WHERE "predictedStruggleProbability" > :risk), '
            'count(*) FILTER (WHERE "actualOutcome" IS NOT NULL) '
            'FROM struggle_predictions WHERE "userId" = :u GROUP BY 1'
        ),
        {"u": user_id, "risk": AT_RISK_ABOVE},
    ):
        by_status[st] = int(n)
        total += int(n)
        at_risk += int(risky)
        with_outcome += int(outcome)
    stats = PredictionStats(total, at_risk, with_outcome, by_status, len(rows))
    return PredictionList(user_id, prediction_views(session, rows, naive_utc(now)), stats)


def prediction_detail(
    session: Session, user_id: str, prediction_id: str, *, now: datetime
) -> PredictionView:
    """One of the learner's predictions with everything behind it (404 if not theirs)."""
    analysis_learner(session, user_id)
    row = session.scalars(
        sa.select(StrugglePrediction).where(
            StrugglePrediction.id == prediction_id, StrugglePrediction.userId == user_id
        )
    ).first()
    if row is None:
        raise NotFound(f"learner {user_id!r} has no prediction {prediction_id!r}")
    return prediction_views(session, [row], naive_utc(now))[0]


def list_interventions(
    session: Session, user_id: str, *, status: InterventionStatus | str | None = None
) -> list[InterventionView]:
    """The learner's interventions (optionally of one status), highest priority, newest first."""
    analysis_learner(session, user_id)
    query = sa.select(InterventionRecommendation).where(
        InterventionRecommendation.userId == user_id
    )
    if status is not None:
        query = query.where(InterventionRecommendation.status == InterventionStatus(status))
    rows = session.scalars(
        query.order_by(
            InterventionRecommendation.priority.desc(),
            InterventionRecommendation.createdAt.desc(),
            InterventionRecommendation.id,
        )
    ).all()
    return [InterventionView.of(r) for r in rows]
