"""Struggle prediction (ENGINE.md 5.2): load a learner's data, predict with the active model, store.

The pure core lives in :mod:`twin.analysis.struggle` (contexts and candidates,
features, rules and model, indicators, interventions, alerts); this module loads its
inputs for one learner with a handful of batched queries whatever the number of
objectives (:mod:`twin.services.struggle.loading`), predicts with the active model
(:func:`twin.services.struggle.models.active_model`: the rule baseline ``rules-v1``
until a trained model is deployed), and writes ``struggle_predictions``,
``struggle_indicators`` and ``intervention_recommendations``.

**Predictions** (:func:`generate_predictions`): every candidate is stored, also with
p ≤ 0.5 (needed for MISSED outcomes and AUC; lists hide them with ``minProbability``).
``predictionConfidence = dataQuality × (0.5 + 0.5·|2p − 1|)``: full data and a clear
call → near 1; a coin-flip probability or little data → low. Regenerating updates the
learner's *open* prediction of the same objective in place (PENDING, no outcome, no
applied intervention) and replaces its indicators and unapplied interventions — unless
the objective has been studied (reviewed or validated) since that prediction: then its
outcome is being measured on that study (:mod:`twin.services.struggle.outcomes`), and
rewriting it with features that contain the study would grade it on its own evidence,
so it is kept as it was and returned as ``awaitingOutcome`` (it still competes for
alerts). For p > 0.5 indicators and interventions (tailored with the learner's
profile) are written. Alerts (p ≥ 0.7, due within 3 days, top 3 by priority) are
returned, not stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import rounded
from twin.analysis.struggle.contexts import (
    SECONDS_PER_DAY,
    WORKLOAD_HORIZON,
    Candidate,
    ObjectiveInfo,
    objective_contexts,
)
from twin.analysis.struggle.contexts import candidates as choose_candidates
from twin.analysis.struggle.features import (
    FeatureVector,
    ObjectiveContext,
    build_features,
    feature_reason,
    prediction_confidence,
)
from twin.analysis.struggle.horizon import DEFAULT_DAYS_AHEAD, MAX_DAYS_AHEAD, MIN_DAYS_AHEAD
from twin.analysis.struggle.model import predict as model_predict
from twin.analysis.struggle.rules import rule_predict
from twin.analysis.struggle.workflow import (
    AT_RISK_ABOVE,
    SEVERITY_VALUE,
    AlertCandidate,
    Indicator,
    Intervention,
    alerts_for,
    indicators_for,
    interventions_for,
)
from twin.db.base import new_id
from twin.db.models import InterventionRecommendation, StruggleIndicator, StrugglePrediction
from twin.enums import InterventionStatus, PredictionStatus, Severity
from twin.learners import LearnerLock, analysis_learner, get_learner, lock_learner
from twin.services.struggle.loading import learner_state, load_learner_data
from twin.services.struggle.models import active_model
from twin.services.struggle.views import FactorView

TOP_FACTOR_COUNT = 3
"""Top factors stored with (and shown for) each prediction."""


def build_contexts(
    session: Session, user_id: str, objective_ids: Sequence[str], now: datetime
) -> dict[str, ObjectiveContext]:
    """The pure contexts of the learner's objectives at ``now`` from data strictly before ``now``.

    Objectives that are not the learner's are left out; 404 for an unknown learner. It
    does not check consent (callers that act for the learner do).
    """
    state = learner_state(session, get_learner(session, user_id), now)
    return objective_contexts(
        load_learner_data(session, state, now, WORKLOAD_HORIZON), objective_ids
    )


def candidate_objectives(
    session: Session, user_id: str, now: datetime, days_ahead: int = DEFAULT_DAYS_AHEAD
) -> list[Candidate]:
    """Objectives due within ``days_ahead`` days (missions, exams) plus the weakest ones."""
    state = learner_state(session, get_learner(session, user_id), now)
    data = load_learner_data(session, state, now, timedelta(days=days_ahead))
    return choose_candidates(data, days_ahead)


@dataclass(frozen=True)
class Scored:
    """A prediction's probability and explanation from whichever model is active."""

    probability: float
    contributions: dict[str, float]
    top_factors: list[tuple[str, float]]
    model_version: str


def _score(features: FeatureVector, trained: Any) -> Scored:
    """Probability and contributions by the rule baseline (``trained`` None) or the model."""
    if trained is None:
        rule = rule_predict(features)
        return Scored(
            rule.probability,
            rule.contributions,
            rule.top_factors(TOP_FACTOR_COUNT),
            rule.model_version,
        )
    pred = model_predict(trained, features, TOP_FACTOR_COUNT)
    return Scored(pred.probability, pred.contributions, list(pred.top_factors), pred.model_version)


class WrittenIntervention(NamedTuple):
    """An intervention written for a prediction, with its id."""

    id: str
    intervention: Intervention


@dataclass(frozen=True)
class GeneratedPrediction:
    """One stored prediction of a generation run."""

    prediction_id: str
    objective: ObjectiveInfo
    candidate: Candidate
    probability: float
    confidence: float
    model_version: str
    features: FeatureVector
    contributions: dict[str, float]
    top_factors: list[tuple[str, float]]
    created: bool
    indicators: list[Indicator]
    interventions: list[WrittenIntervention]

    @property
    def at_risk(self) -> bool:
        """probability > 0.5: indicators and interventions were written."""
        return self.probability > AT_RISK_ABOVE

    @property
    def factors(self) -> list[FactorView]:
        """The top factors: feature, value, contribution and the reason in words."""
        values = self.features.as_dict()
        return [
            FactorView(name, values[name], contribution, feature_reason(name, values[name]))
            for name, contribution in self.top_factors
        ]


@dataclass(frozen=True)
class AlertView:
    """An alert about an imminent, likely struggle."""

    prediction_id: str
    objective: ObjectiveInfo
    probability: float
    priority: float
    urgency: float
    due_at: datetime


@dataclass(frozen=True)
class KeptPrediction:
    """An open prediction left as it was: its objective has been studied since it was made.

    Its outcome is being measured on that study (:mod:`twin.services.struggle.outcomes`), so rewriting
    it with features that already contain the study would grade it on its own evidence.
    """

    prediction_id: str
    objective: ObjectiveInfo
    probability: float
    confidence: float
    predicted_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class GenerationCounts:
    """What a generation run did, in numbers."""

    candidates: int
    created: int
    updated: int
    at_risk: int
    indicators: int
    interventions: int
    alerts: int
    awaiting_outcome: int


@dataclass(frozen=True)
class GenerationResult:
    """What a generation run stored and what deserves an alert."""

    user_id: str
    generated_at: datetime
    model_version: str
    days_ahead: int
    created: int
    updated: int
    indicators: int
    interventions: int
    predictions: list[GeneratedPrediction]
    alerts: list[AlertView]
    awaiting_outcome: list[KeptPrediction] = field(default_factory=list)
    """Open predictions kept as they were while their outcome is measured."""

    @property
    def at_risk(self) -> int:
        """Predictions above 0.5."""
        return sum(1 for p in self.predictions if p.probability > AT_RISK_ABOVE)

    @property
    def counts(self) -> GenerationCounts:
        """The run in numbers."""
        return GenerationCounts(
            candidates=len(self.predictions),
            created=self.created,
            updated=self.updated,
            at_risk=self.at_risk,
            indicators=self.indicators,
            interventions=self.interventions,
            alerts=len(self.alerts),
            awaiting_outcome=len(self.awaiting_outcome),
        )


def _open_predictions(
    session: Session, user_id: str, objective_ids: Sequence[str]
) -> dict[str, StrugglePrediction]:
    """The newest open prediction (PENDING, no outcome, no applied intervention) per objective."""
    rows = session.scalars(
        sa.select(StrugglePrediction)
        .where(
            StrugglePrediction.userId == user_id,
            StrugglePrediction.learningObjectiveId.in_(objective_ids),
            StrugglePrediction.predictionStatus == PredictionStatus.PENDING,
            StrugglePrediction.actualOutcome.is_(None),
            StrugglePrediction.interventionApplied.is_(False),
        )
        .order_by(StrugglePrediction.predictedAt.desc(), StrugglePrediction.id.desc())
    ).all()
    out: dict[str, StrugglePrediction] = {}
    for row in rows:
        out.setdefault(row.learningObjectiveId, row)
    return out


_STUDIED_SINCE_SQL = sa.text(
    """
    SELECT p.id FROM struggle_predictions p
    WHERE p.id = ANY(:ids) AND (
      EXISTS (SELECT 1 FROM cards c JOIN reviews r ON r."cardId" = c.id
              WHERE c."objectiveId" = p."learningObjectiveId" AND r."userId" = p."userId"
                AND r."reviewedAt" > p."predictedAt" AND r."reviewedAt" < :now)
      OR EXISTS (SELECT 1 FROM validation_responses v
                 WHERE v."objectiveId" = p."learningObjectiveId" AND v."userId" = p."userId"
                   AND v."respondedAt" > p."predictedAt" AND v."respondedAt" < :now))
    """
)


def _studied_since(session: Session, prediction_ids: Sequence[str], now: datetime) -> set[str]:
    """Open predictions whose objective was studied (reviewed or validated) after them."""
    if not prediction_ids:
        return set()
    return set(session.scalars(_STUDIED_SINCE_SQL, {"ids": list(prediction_ids), "now": now}))


def _kept_alert_candidates(
    session: Session,
    kept: Sequence[StrugglePrediction],
    dues: Mapping[str, datetime],
    now: datetime,
) -> list[AlertCandidate]:
    """Alert candidates of kept predictions, from what was stored with them."""
    severities: dict[str, list[Severity]] = defaultdict(list)
    for pid, severity in session.execute(
        sa.select(StruggleIndicator.predictionId, StruggleIndicator.severity).where(
            StruggleIndicator.predictionId.in_([k.id for k in kept])
        )
    ):
        if pid is not None:
            severities[pid].append(severity)
    out = []
    for row in kept:
        vector = row.featureVector or {}
        load = (vector.get("features") or {}).get("cognitiveLoadIndicator")
        unknown = "cognitiveLoadIndicator" in (vector.get("unknown") or [])
        top = max(severities[row.id], key=lambda s: SEVERITY_VALUE[s], default=None)
        out.append(
            AlertCandidate(
                prediction_id=row.id,
                probability=row.predictedStruggleProbability,
                confidence=row.predictionConfidence,
                due_in_days=(dues[row.id] - now).total_seconds() / SECONDS_PER_DAY,
                severity=top,
                cognitive_load=0.0 if unknown or load is None else float(load),
            )
        )
    return out


def generate_predictions(
    session: Session, user_id: str, now: datetime, days_ahead: int = DEFAULT_DAYS_AHEAD
) -> GenerationResult:
    """Predict every candidate objective, store the predictions, indicators, interventions.

    404 for an unknown learner, 403 when behavioural analysis is off. ``now`` is naive UTC.
    """
    if not MIN_DAYS_AHEAD <= days_ahead <= MAX_DAYS_AHEAD:
        raise ValueError(f"days_ahead must be {MIN_DAYS_AHEAD}–{MAX_DAYS_AHEAD}, got {days_ahead}")
    learner = learner_state(session, analysis_learner(session, user_id), now)
    lock_learner(session, LearnerLock.STRUGGLE_PREDICTION, user_id)
    data = load_learner_data(session, learner, now, timedelta(days=days_ahead))
    candidates = choose_candidates(data, days_ahead)
    model = active_model(session)
    existing = _open_predictions(session, user_id, [c.objectiveId for c in candidates])
    measuring = _studied_since(session, [p.id for p in existing.values()], now)
    kept_rows = {oid: row for oid, row in existing.items() if row.id in measuring}
    existing = {oid: row for oid, row in existing.items() if row.id not in measuring}
    kept = [
        KeptPrediction(
            prediction_id=row.id,
            objective=data.objectives[c.objectiveId],
            probability=row.predictedStruggleProbability,
            confidence=row.predictionConfidence,
            predicted_at=row.predictedAt,
            due_at=c.dueAt,
        )
        for c in candidates
        if (row := kept_rows.get(c.objectiveId)) is not None
    ]
    candidates = [c for c in candidates if c.objectiveId not in kept_rows]
    contexts = objective_contexts(data, [c.objectiveId for c in candidates])
    if existing:
        ids = [p.id for p in existing.values()]
        session.execute(sa.delete(StruggleIndicator).where(StruggleIndicator.predictionId.in_(ids)))
        session.execute(
            sa.delete(InterventionRecommendation).where(
                InterventionRecommendation.predictionId.in_(ids),
                InterventionRecommendation.appliedAt.is_(None),
            )
        )
    results: list[GeneratedPrediction] = []
    alert_candidates = _kept_alert_candidates(
        session, list(kept_rows.values()), {k.prediction_id: k.due_at for k in kept}, now
    )
    n_indicators = n_interventions = 0
    for cand in candidates:
        ctx = contexts[cand.objectiveId]
        info = data.objectives[cand.objectiveId]
        features = build_features(ctx)
        scored = _score(features, model.trained)
        confidence = prediction_confidence(features, scored.probability)
        values = features.as_dict()
        vector = {
            "modelVersion": scored.model_version,
            **features.stored_json(),
            "contributions": {k: rounded(v) for k, v in scored.contributions.items()},
            "dueAt": cand.dueAt.isoformat(),
            "source": cand.source,
        }
        factors = [
            {"feature": n, "value": rounded(values[n]), "contribution": rounded(c)}
            for n, c in scored.top_factors
        ]
        row = existing.get(cand.objectiveId)
        created = row is None
        if row is None:
            row = StrugglePrediction(id=new_id(), userId=user_id, learningObjectiveId=info.id)
            session.add(row)
        row.topicId = info.topic_tags[0] if info.topic_tags else None
        row.predictedStruggleProbability = scored.probability
        row.predictionConfidence = confidence
        row.predictionStatus = PredictionStatus.PENDING
        row.featureVector = vector
        row.strugglingFactors = factors
        row.predictionDate = now
        row.predictedAt = now
        indicators: list[Indicator] = []
        interventions: list[WrittenIntervention] = []
        if scored.probability > AT_RISK_ABOVE:
            indicators = indicators_for(features, scored.contributions)
            for ind in indicators:
                session.add(
                    StruggleIndicator(
                        id=new_id(),
                        userId=user_id,
                        learningObjectiveId=info.id,
                        predictionId=row.id,
                        indicatorType=ind.indicator_type,
                        severity=ind.severity,
                        context={
                            **ind.context,
                            "strength": rounded(ind.strength),
                            "contribution": rounded(ind.contribution),
                        },
                        detectedAt=now,
                    )
                )
            for iv in interventions_for(features, indicators, learner.profile):
                iid = new_id()
                interventions.append(WrittenIntervention(iid, iv))
                session.add(
                    InterventionRecommendation(
                        id=iid,
                        userId=user_id,
                        predictionId=row.id,
                        interventionType=iv.intervention_type,
                        description=iv.description,
                        reasoning=iv.reasoning,
                        priority=iv.priority,
                        status=InterventionStatus.PENDING,
                        relatedObjectiveId=info.id,
                        createdAt=now,
                    )
                )
        n_indicators += len(indicators)
        n_interventions += len(interventions)
        top_severity = max(
            (i.severity for i in indicators),
            key=lambda s: SEVERITY_VALUE[s],
            default=None,
        )
        alert_candidates.append(
            AlertCandidate(
                prediction_id=row.id,
                probability=scored.probability,
                confidence=confidence,
                due_in_days=(cand.dueAt - now).total_seconds() / SECONDS_PER_DAY,
                severity=top_severity,
                cognitive_load=(
                    0.0
                    if "cognitiveLoadIndicator" in features.unknown
                    else features.cognitive_load_indicator
                ),
            )
        )
        results.append(
            GeneratedPrediction(
                prediction_id=row.id,
                objective=info,
                candidate=cand,
                probability=scored.probability,
                confidence=confidence,
                model_version=scored.model_version,
                features=features,
                contributions=scored.contributions,
                top_factors=scored.top_factors,
                created=created,
                indicators=indicators,
                interventions=interventions,
            )
        )
    session.flush()
    shown: dict[str, tuple[ObjectiveInfo, float, datetime]] = {
        r.prediction_id: (r.objective, r.probability, r.candidate.dueAt) for r in results
    }
    shown.update({k.prediction_id: (k.objective, k.probability, k.due_at) for k in kept})
    alerts = [
        AlertView(
            prediction_id=a.prediction_id,
            objective=shown[a.prediction_id][0],
            probability=shown[a.prediction_id][1],
            priority=a.priority,
            urgency=a.urgency,
            due_at=shown[a.prediction_id][2],
        )
        for a in alerts_for(alert_candidates)
    ]
    created_count = sum(1 for r in results if r.created)
    return GenerationResult(
        user_id=user_id,
        generated_at=now,
        model_version=model.version,
        days_ahead=days_ahead,
        created=created_count,
        updated=len(results) - created_count,
        indicators=n_indicators,
        interventions=n_interventions,
        predictions=sorted(results, key=lambda r: (-r.probability, r.candidate.dueAt)),
        alerts=alerts,
        awaiting_outcome=sorted(kept, key=lambda k: (-k.probability, k.due_at)),
    )
