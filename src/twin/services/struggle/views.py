"""Reading a learner's stored predictions, their indicators and interventions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import rounded
from twin.analysis.struggle.contexts import ObjectiveInfo
from twin.analysis.struggle.features import FEATURE_NAMES, feature_reason
from twin.analysis.struggle.workflow import AT_RISK_ABOVE
from twin.db.models import InterventionRecommendation, StruggleIndicator, StrugglePrediction
from twin.enums import InterventionStatus, PredictionStatus
from twin.errors import NotFound
from twin.learners import analysis_learner
from twin.services.struggle.loading import objective_infos

DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 200
SEVERITY_RANK = {None: 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
"""Indicators are listed most severe first."""


def objective_json(info: ObjectiveInfo) -> dict[str, Any]:
    """JSON-ready form of an objective with its course and lecture."""
    return {
        "id": info.id,
        "text": info.text,
        "complexity": info.complexity,
        "courseId": info.course_id,
        "courseName": info.course_name,
        "lectureId": info.lecture_id,
    }


def intervention_json(row: InterventionRecommendation) -> dict[str, Any]:
    """JSON-ready form of an intervention row."""
    return {
        "id": row.id,
        "predictionId": row.predictionId,
        "objectiveId": row.relatedObjectiveId,
        "type": row.interventionType.value,
        "priority": row.priority,
        "description": row.description,
        "reasoning": row.reasoning,
        "status": row.status.value,
        "createdAt": row.createdAt,
        "appliedAt": row.appliedAt,
        "appliedToMissionId": row.appliedToMissionId,
    }


def indicator_json(row: StruggleIndicator) -> dict[str, Any]:
    """JSON-ready form of an indicator row."""
    return {
        "id": row.id,
        "type": row.indicatorType.value,
        "severity": row.severity.value,
        "context": dict(row.context or {}),
        "detectedAt": row.detectedAt,
    }


@dataclass(frozen=True)
class PredictionView:
    """A stored prediction with its objective, indicators and interventions."""

    row: StrugglePrediction
    objective: ObjectiveInfo | None
    indicators: list[StruggleIndicator]
    interventions: list[InterventionRecommendation]

    def _vector(self) -> dict[str, Any]:
        return dict(self.row.featureVector or {})

    def top_factors(self) -> list[dict[str, Any]]:
        """The stored top factors with their reasons in words."""
        out = []
        for f in self.row.strugglingFactors or []:
            if isinstance(f, dict) and "feature" in f:
                value = float(f.get("value", 0.0))
                out.append({**f, "reason": feature_reason(str(f["feature"]), value)})
        return out

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        r = self.row
        vector = self._vector()
        due = vector.get("dueAt")
        return {
            "id": r.id,
            "objective": (
                objective_json(self.objective)
                if self.objective is not None
                else {"id": r.learningObjectiveId}
            ),
            "topicId": r.topicId,
            "probability": rounded(r.predictedStruggleProbability),
            "confidence": rounded(r.predictionConfidence),
            "status": r.predictionStatus.value,
            "modelVersion": vector.get("modelVersion"),
            "dataQuality": vector.get("dataQuality"),
            "source": vector.get("source"),
            "dueAt": datetime.fromisoformat(due) if isinstance(due, str) else None,
            "predictedAt": r.predictedAt,
            "acknowledgedAt": r.acknowledgedAt,
            "actualOutcome": r.actualOutcome,
            "actualOutcomeRecordedAt": r.actualOutcomeRecordedAt,
            "interventionApplied": r.interventionApplied,
            "interventionId": r.interventionId,
            "topFactors": self.top_factors(),
            "indicators": [indicator_json(i) for i in self.indicators],
            "interventions": [intervention_json(i) for i in self.interventions],
        }

    def why(self) -> dict[str, Any]:
        """Every feature: value, whether unknown, contribution, in words; model and top factors."""
        vector = self._vector()
        features = vector.get("features") or {}
        unknown = set(vector.get("unknown") or [])
        contributions = vector.get("contributions") or {}
        rows = []
        for name in FEATURE_NAMES:
            value = float(features.get(name, 0.5))
            rows.append(
                {
                    "feature": name,
                    "value": value,
                    "unknown": name in unknown,
                    "contribution": float(contributions.get(name, 0.0)),
                    "reason": "not measured" if name in unknown else feature_reason(name, value),
                }
            )
        return {
            "modelVersion": vector.get("modelVersion"),
            "dataQuality": vector.get("dataQuality"),
            "probability": rounded(self.row.predictedStruggleProbability),
            "features": rows,
            "topFactors": [f["reason"] for f in self.top_factors()],
        }


@dataclass(frozen=True)
class PredictionList:
    """Predictions matching a filter, and counts over all of the learner's predictions."""

    predictions: list[PredictionView]
    stats: dict[str, Any]


def prediction_views(session: Session, rows: Sequence[StrugglePrediction]) -> list[PredictionView]:
    """Prediction rows with their objectives, indicators and interventions (3 queries)."""
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
        PredictionView(r, infos.get(r.learningObjectiveId), indicators[r.id], interventions[r.id])
        for r in rows
    ]


def list_predictions(
    session: Session,
    user_id: str,
    *,
    status: PredictionStatus | str | None = None,
    min_probability: float = AT_RISK_ABOVE,
    limit: int = DEFAULT_LIST_LIMIT,
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
    stats = {
        "total": total,
        "atRisk": at_risk,
        "withOutcome": with_outcome,
        "byStatus": by_status,
        "returned": len(rows),
    }
    return PredictionList(prediction_views(session, rows), stats)


def prediction_detail(session: Session, user_id: str, prediction_id: str) -> PredictionView:
    """One of the learner's predictions with everything behind it (404 if not theirs)."""
    analysis_learner(session, user_id)
    row = session.scalars(
        sa.select(StrugglePrediction).where(
            StrugglePrediction.id == prediction_id, StrugglePrediction.userId == user_id
        )
    ).first()
    if row is None:
        raise NotFound(f"learner {user_id!r} has no prediction {prediction_id!r}")
    return prediction_views(session, [row])[0]


def list_interventions(
    session: Session, user_id: str, *, status: InterventionStatus | str | None = None
) -> list[InterventionRecommendation]:
    """The learner's interventions (optionally of one status), highest priority, newest first."""
    analysis_learner(session, user_id)
    query = sa.select(InterventionRecommendation).where(
        InterventionRecommendation.userId == user_id
    )
    if status is not None:
        query = query.where(InterventionRecommendation.status == InterventionStatus(status))
    return list(
        session.scalars(
            query.order_by(
                InterventionRecommendation.priority.desc(),
                InterventionRecommendation.createdAt.desc(),
                InterventionRecommendation.id,
            )
        ).all()
    )
