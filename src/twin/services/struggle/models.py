"""The struggle-model registry (``struggle_models``): which model predicts, and versions.

With no active row the documented rule baseline (``rules-v1``) predicts. A trained
model becomes active only through :func:`activate` (called by training when the
candidate beats the current model on held-out outcomes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData, naive_utc, rounded
from twin.analysis.struggle.features import FEATURE_NAMES, FeatureVector
from twin.analysis.struggle.model import (
    BRIER_TOLERANCE,
    MIN_OUTCOMES_FOR_TRAINING,
    ModelMetrics,
    TrainedModel,
    deserialize,
    model_metrics,
    predict_proba,
    serialize,
    should_deploy,
    train_model,
)
from twin.analysis.struggle.rules import RULE_MODEL_VERSION, rule_predict
from twin.db.base import new_id
from twin.db.models import StruggleModelVersion, StrugglePrediction, User
from twin.enums import PredictionStatus

RECORDED_STATUSES: tuple[PredictionStatus, ...] = (
    PredictionStatus.CONFIRMED,
    PredictionStatus.FALSE_POSITIVE,
    PredictionStatus.MISSED,
    PredictionStatus.RESOLVED,
)
"""Statuses of predictions with a recorded outcome (DISMISSED and PENDING have none)."""


@dataclass(frozen=True)
class ActiveModel:
    """The model predictions use now: a trained classifier, or ``None`` = rule baseline."""

    version: str
    trained: TrainedModel | None

    @property
    def is_rules(self) -> bool:
        return self.trained is None


RULES = ActiveModel(version=RULE_MODEL_VERSION, trained=None)


def active_model(session: Session) -> ActiveModel:
    """The active registry row as a model, or the rule baseline when none is active."""
    row = session.scalars(
        sa.select(StruggleModelVersion).where(StruggleModelVersion.isActive.is_(True))
    ).first()
    if row is None or row.kind == "rules" or not row.parameters:
        return RULES
    return ActiveModel(version=row.version, trained=deserialize(row.parameters))


def activate(session: Session, version: str, now: datetime) -> None:
    """Make ``version`` the only active model from ``now`` (flush; the caller's transaction commits)."""
    session.execute(
        sa.update(StruggleModelVersion)
        .where(StruggleModelVersion.isActive.is_(True))
        .values(isActive=False)
    )
    session.flush()
    session.execute(
        sa.update(StruggleModelVersion)
        .where(StruggleModelVersion.version == version)
        .values(isActive=True, activatedAt=naive_utc(now))
    )


def active_registry_row(session: Session) -> StruggleModelVersion | None:
    """The active registry row, or None (the rule baseline predicts)."""
    return session.scalars(
        sa.select(StruggleModelVersion).where(StruggleModelVersion.isActive.is_(True))
    ).first()


def list_models(session: Session) -> list[StruggleModelVersion]:
    """Every registered model version, newest first."""
    return list(
        session.scalars(
            sa.select(StruggleModelVersion).order_by(
                StruggleModelVersion.trainedAt.desc(), StruggleModelVersion.version
            )
        )
    )


# --- training --------------------------------------------------------------------------------

TRAINING_SEED = 20260305
"""Seed of the held-out learner draw: the same outcomes give the same model and version."""

KIND_LOGISTIC = "logistic"
"""``struggle_models.kind`` of a trained, calibrated logistic regression."""

STATUS_DEPLOYED = "deployed"
STATUS_KEPT = "kept_current"
STATUS_INSUFFICIENT = "insufficient_data"
STATUS_SKIPPED = "skipped"


@dataclass(frozen=True)
class TrainingData:
    """Rows for training: features (FEATURE_NAMES order), outcomes, learners, unknown names."""

    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    groups: list[str]
    unknown: list[frozenset[str]]
    window_start: datetime | None
    window_end: datetime | None
    excluded_learners: int
    """Learners with recorded outcomes who do not share anonymised patterns (not used)."""
    skipped_rows: int
    """Outcomes whose stored feature vector was missing or malformed."""


def _feature_row(fv: Any) -> tuple[list[float], frozenset[str]] | None:
    """The 15 stored features of a prediction in FEATURE_NAMES order, or None if malformed."""
    if not isinstance(fv, dict) or not isinstance(fv.get("features"), dict):
        return None
    feats = fv["features"]
    values = []
    for name in FEATURE_NAMES:
        v = feats.get(name)
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
            return None
        values.append(float(v))
    unknown = fv.get("unknown") or []
    names = frozenset(str(u) for u in unknown if u in FEATURE_NAMES)
    return values, names


def training_data(session: Session) -> TrainingData:
    """Recorded outcomes of learners who share anonymised patterns and allow analysis."""
    consent = sa.and_(User.shareAnonymizedPatterns.is_(True), User.behavioralAnalysisEnabled)
    recorded = sa.and_(
        StrugglePrediction.predictionStatus.in_(RECORDED_STATUSES),
        StrugglePrediction.actualOutcome.is_not(None),
    )
    rows = session.execute(
        sa.select(
            StrugglePrediction.userId,
            StrugglePrediction.featureVector,
            StrugglePrediction.actualOutcome,
            StrugglePrediction.predictedAt,
        )
        .join(User, User.id == StrugglePrediction.userId)
        .where(recorded, consent)
        .order_by(StrugglePrediction.userId, StrugglePrediction.predictedAt, StrugglePrediction.id)
    ).all()
    excluded = session.scalar(
        sa.select(sa.func.count(sa.distinct(StrugglePrediction.userId)))
        .join(User, User.id == StrugglePrediction.userId)
        .where(recorded, ~consent)
    )
    xs: list[list[float]] = []
    ys: list[float] = []
    groups: list[str] = []
    unknown: list[frozenset[str]] = []
    times: list[datetime] = []
    skipped = 0
    for uid, fv, outcome, at in rows:
        parsed = _feature_row(fv)
        if parsed is None:
            skipped += 1
            continue
        xs.append(parsed[0])
        unknown.append(parsed[1])
        ys.append(1.0 if outcome else 0.0)
        groups.append(uid)
        times.append(at)
    return TrainingData(
        x=np.asarray(xs, dtype=np.float64).reshape(len(xs), len(FEATURE_NAMES)),
        y=np.asarray(ys, dtype=np.float64),
        groups=groups,
        unknown=unknown,
        window_start=min(times) if times else None,
        window_end=max(times) if times else None,
        excluded_learners=int(excluded or 0),
        skipped_rows=skipped,
    )


def model_probabilities(
    model: ActiveModel, x: npt.NDArray[np.float64], unknown: list[frozenset[str]]
) -> npt.NDArray[np.float64]:
    """Probabilities of ``model`` (rules or trained) for stored feature rows."""
    if model.trained is not None:
        return predict_proba(model.trained, x)
    return np.asarray(
        [
            rule_predict(FeatureVector.from_array(row, unk)).probability
            for row, unk in zip(x, unknown, strict=True)
        ],
        dtype=np.float64,
    )


def metrics_json(m: ModelMetrics) -> dict[str, Any]:
    """Held-out metrics as stored in ``struggle_models.metrics``."""
    return {
        "n": m.n,
        "nStruggled": m.n_struggled,
        "auc": None if m.auc is None else rounded(m.auc),
        "brier": rounded(m.brier),
        "logLoss": rounded(m.log_loss),
        "ece": rounded(m.ece),
    }


@dataclass(frozen=True)
class TrainingReport:
    """What one training run did and why."""

    status: str
    """``deployed``, ``kept_current``, ``insufficient_data`` or ``skipped``."""
    outcomes: int
    learners: int
    excluded_learners: int
    current_version: str
    candidate_version: str | None = None
    candidate: ModelMetrics | None = None
    current: ModelMetrics | None = None
    decision: str = ""
    insufficient: InsufficientData | None = None
    held_out_learners: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "status": self.status,
            "outcomes": self.outcomes,
            "learners": self.learners,
            "excludedLearners": self.excluded_learners,
            "heldOutLearners": self.held_out_learners,
            "currentVersion": self.current_version,
            "candidateVersion": self.candidate_version,
            "candidate": None if self.candidate is None else metrics_json(self.candidate),
            "current": None if self.current is None else metrics_json(self.current),
            "decision": self.decision,
            "insufficient": None if self.insufficient is None else self.insufficient.to_json(),
        }


def _fmt(m: ModelMetrics) -> str:
    """AUC and Brier in words."""
    auc = "n/a" if m.auc is None else f"{m.auc:.3f}"
    return f"AUC {auc}, Brier {m.brier:.3f}"


def train(session: Session, now: datetime, *, force: bool = False) -> TrainingReport:
    """Train a candidate on shared outcomes; register it; activate it only when it wins.

    Uses recorded outcomes of learners with ``shareAnonymizedPatterns`` and analysis on
    (cross-learner use is gated by that flag), features from each prediction's stored
    ``featureVector``. Needs ≥ 50 outcomes and ``train_model``'s learner minimum; then
    compares the candidate with the current model (rules or trained) on the candidate's
    held-out learners (:func:`should_deploy`) and always inserts a ``struggle_models``
    row. Without ``force``, a run with exactly the outcomes of the latest registered
    version is skipped (nothing new to learn).
    """
    now_naive = naive_utc(now)
    current = active_model(session)
    data = training_data(session)
    n = int(data.y.size)
    learners = len(set(data.groups))
    base = TrainingReport(
        status=STATUS_INSUFFICIENT,
        outcomes=n,
        learners=learners,
        excluded_learners=data.excluded_learners,
        current_version=current.version,
    )
    if n < MIN_OUTCOMES_FOR_TRAINING:
        need = InsufficientData("outcomes", n, MIN_OUTCOMES_FOR_TRAINING)
        return replace(
            base,
            status=STATUS_INSUFFICIENT,
            decision=f"not trained: {n} recorded outcomes from sharing learners, "
            f"{MIN_OUTCOMES_FOR_TRAINING} needed",
            insufficient=need,
        )
    latest = session.scalars(
        sa.select(StruggleModelVersion).order_by(StruggleModelVersion.trainedAt.desc()).limit(1)
    ).first()
    if (
        not force
        and latest is not None
        and latest.outcomeCount == n
        and latest.trainingWindowEnd == data.window_end
    ):
        return replace(
            base,
            status=STATUS_SKIPPED,
            decision=f"not trained: no new outcomes since {latest.version} (use force)",
        )
    assert data.window_start is not None and data.window_end is not None
    model = train_model(
        data.x,
        data.y,
        data.groups,
        rng=np.random.default_rng(TRAINING_SEED),
        now=now_naive,
        window_start=data.window_start,
        window_end=data.window_end,
    )
    if isinstance(model, InsufficientData):
        return replace(
            base,
            status=STATUS_INSUFFICIENT,
            decision=f"not trained: {model.requirement} {model.have} of {model.need} needed",
            insufficient=model,
        )
    test = np.isin(np.asarray(data.groups), list(model.holdout_learners))
    unknown_test = [u for u, t in zip(data.unknown, test, strict=True) if t]
    current_metrics = model_metrics(
        model_probabilities(current, data.x[test], unknown_test), data.y[test]
    )
    deploy = should_deploy(model.metrics, current_metrics)
    existing = session.scalars(
        sa.select(StruggleModelVersion).where(StruggleModelVersion.version == model.version)
    ).first()
    comparison = (
        f"candidate {model.version} ({_fmt(model.metrics)}) vs current {current.version} "
        f"({_fmt(current_metrics)}) on {model.metrics.n} held-out outcomes of "
        f"{len(model.holdout_learners)} learners"
    )
    if existing is not None:
        return replace(
            base,
            status=STATUS_SKIPPED,
            candidate_version=model.version,
            candidate=model.metrics,
            current=current_metrics,
            decision=f"not registered: {model.version} is already registered (same data)",
            held_out_learners=len(model.holdout_learners),
        )
    if deploy:
        decision = f"deployed: {comparison}; higher AUC, Brier within {BRIER_TOLERANCE}"
    else:
        decision = (
            f"kept {current.version}: {comparison}; deploying needs a higher AUC and a "
            f"Brier score at most {BRIER_TOLERANCE} worse"
        )
    session.add(
        StruggleModelVersion(
            id=new_id(),
            version=model.version,
            kind=KIND_LOGISTIC,
            trainedAt=now_naive,
            trainingWindowStart=data.window_start,
            trainingWindowEnd=data.window_end,
            outcomeCount=n,
            learnerCount=learners,
            metrics={
                **metrics_json(model.metrics),
                "heldOutLearners": len(model.holdout_learners),
                "current": {"version": current.version, **metrics_json(current_metrics)},
            },
            parameters=serialize(model),
            isActive=False,
            decision=decision,
        )
    )
    session.flush()
    if deploy:
        activate(session, model.version, now_naive)
    return replace(
        base,
        status=STATUS_DEPLOYED if deploy else STATUS_KEPT,
        candidate_version=model.version,
        candidate=model.metrics,
        current=current_metrics,
        decision=decision,
        held_out_learners=len(model.holdout_learners),
    )
