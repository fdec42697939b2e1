"""The trained, calibrated struggle classifier across learners (ENGINE.md 5.2).

Model: standardised features → L2 logistic regression → a calibration map of its
log-odds (Platt sigmoid or isotonic). Everything is fitted with scikit-learn and
stored as plain numbers, so ``serialize`` gives a JSON-able dict (no pickle) and
``deserialize(serialize(m))`` predicts exactly the same probabilities.

Training (``train_model``), all splits by learner so no learner is in two parts:

1. Hold out ``HOLDOUT_LEARNER_SHARE`` of the learners (chosen with the injected
   ``rng``); the held-out metrics describe exactly the returned model.
2. On the other learners, for each regularisation ``C`` in ``C_GRID``, compute
   out-of-fold log-odds with ``GroupKFold`` (``CV_FOLDS`` folds by learner).
3. For each (C, calibration method) pair, score a nested out-of-fold calibration
   (calibrator fitted on the other folds' out-of-fold log-odds) by Brier score; pick
   the best pair. This is "choose by held-out performance" without touching the
   held-out learners.
4. Fit the logistic regression on all training learners and the calibrator on all
   out-of-fold log-odds (scikit-learn's ``CalibratedClassifierCV(ensemble=False)``
   scheme, written out so the result is plain numbers).

Explanation (``predict``): contribution of feature j = ``coefⱼ·(xⱼ − meanⱼ)/scaleⱼ``,
its share of the uncalibrated log-odds relative to the average training objective.
Calibration is monotone, so the ranking of the contributions is the "why".

Deployment (``should_deploy``): only when the candidate has a higher AUC than the
current model on the same held-out outcomes and a Brier score not worse by more
than ``BRIER_TOLERANCE``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from twin.analysis.common import InsufficientData
from twin.analysis.struggle.features import FEATURE_NAMES, FeatureVector
from twin.analysis.struggle.metrics import (
    Outcomes,
    auc_score,
    brier_score,
    calibration_bins,
    expected_calibration_error,
    log_loss,
)

FloatArray = npt.NDArray[np.float64]
CalibrationMethod = Literal["sigmoid", "isotonic"]

MIN_OUTCOMES_FOR_TRAINING = 50
"""Predictions with recorded outcomes needed before a model is trained (ENGINE.md)."""

MIN_LEARNERS_FOR_TRAINING = 4
"""Learners needed: at least one held out and enough for grouped cross-validation."""

HOLDOUT_LEARNER_SHARE = 0.25
"""Share of learners held out for the metrics of the trained model."""

CV_FOLDS = 5
"""Grouped cross-validation folds (fewer when there are fewer training learners)."""

C_GRID: tuple[float, ...] = (0.1, 1.0, 10.0)
"""Inverse L2 regularisation strengths tried for the logistic regression."""

CALIBRATION_METHODS: tuple[CalibrationMethod, ...] = ("sigmoid", "isotonic")
"""Calibration maps tried; the better one by nested out-of-fold Brier score wins."""

BRIER_TOLERANCE = 0.005
"""A candidate may be at most this much worse in Brier score and still deploy."""

TOP_FACTORS = 3
"""How many contributing features ``predict`` reports."""

MIN_SCALE = 1e-9
"""Standard deviations below this are treated as 1 (constant feature)."""

SERIAL_FORMAT = "struggle-logreg-v1"
"""Format tag of ``serialize`` output."""

_SIGMOID_FIT_C = 1e6
"""Practically unregularised 1-D logistic fit for the Platt map."""


@dataclass(frozen=True)
class ModelMetrics:
    """Performance of a model on held-out outcomes."""

    n: int
    n_struggled: int
    auc: float | None
    brier: float
    log_loss: float
    ece: float


@dataclass(frozen=True)
class Calibration:
    """Map from log-odds to probability: Platt ``logistic(a·z + b)`` or isotonic steps."""

    method: CalibrationMethod
    a: float = 1.0
    b: float = 0.0
    x_thresholds: tuple[float, ...] = ()
    y_thresholds: tuple[float, ...] = ()

    def apply(self, z: FloatArray) -> FloatArray:
        """Calibrated probabilities for log-odds ``z``."""
        if self.method == "sigmoid":
            return np.asarray(1.0 / (1.0 + np.exp(-(self.a * z + self.b))), dtype=np.float64)
        return np.asarray(
            np.interp(z, np.asarray(self.x_thresholds), np.asarray(self.y_thresholds)),
            dtype=np.float64,
        )


@dataclass(frozen=True)
class TrainedModel:
    """A trained, calibrated struggle classifier, its provenance and held-out metrics."""

    version: str
    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    c: float
    calibration: Calibration
    trained_at: datetime
    window_start: datetime
    window_end: datetime
    n_train: int
    n_train_learners: int
    holdout_learners: tuple[str, ...]
    metrics: ModelMetrics
    selection: tuple[tuple[float, str, float], ...]
    """Every (C, calibration method, nested out-of-fold Brier) tried, for the record."""


@dataclass(frozen=True)
class ModelPrediction:
    """Calibrated probability of struggle, the features behind it and the model version."""

    probability: float
    log_odds: float
    contributions: dict[str, float]
    top_factors: tuple[tuple[str, float], ...]
    model_version: str


def _decision(
    x: FloatArray, mean: FloatArray, scale: FloatArray, coef: FloatArray, intercept: float
) -> FloatArray:
    """Uncalibrated log-odds of rows ``x``."""
    return np.asarray(((x - mean) / scale) @ coef + intercept, dtype=np.float64)


def _fit_logreg(xs: FloatArray, y: FloatArray, c: float) -> tuple[FloatArray, float]:
    """(coef, intercept) of an L2 logistic regression on standardised rows; constant if one class."""
    if np.unique(y).size < 2:
        rate = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
        return np.zeros(xs.shape[1]), math.log(rate / (1 - rate))
    lr = LogisticRegression(C=c, max_iter=1000)
    lr.fit(xs, y)
    return np.asarray(lr.coef_[0], dtype=np.float64), float(lr.intercept_[0])


def _fit_calibration(z: FloatArray, y: FloatArray, method: CalibrationMethod) -> Calibration:
    """Calibration map fitted on log-odds ``z`` and outcomes ``y``."""
    if method == "sigmoid":
        if np.unique(y).size < 2:
            rate = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
            return Calibration("sigmoid", a=0.0, b=math.log(rate / (1 - rate)))
        lr = LogisticRegression(C=_SIGMOID_FIT_C, max_iter=1000)
        lr.fit(z.reshape(-1, 1), y)
        return Calibration("sigmoid", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(z, y)
    return Calibration(
        "isotonic",
        x_thresholds=tuple(float(v) for v in iso.X_thresholds_),
        y_thresholds=tuple(float(v) for v in iso.y_thresholds_),
    )


def model_metrics(probabilities: FloatArray, y: FloatArray) -> ModelMetrics:
    """Held-out metrics of any model's probabilities (trained or rule baseline)."""
    return ModelMetrics(
        n=int(y.size),
        n_struggled=int(y.sum()),
        auc=auc_score(probabilities, y),
        brier=brier_score(probabilities, y),
        log_loss=log_loss(probabilities, y),
        ece=expected_calibration_error(calibration_bins(probabilities, y)),
    )


def _version(
    x: FloatArray,
    y: FloatArray,
    groups: Sequence[str],
    holdout: Sequence[str],
    window: tuple[datetime, datetime],
) -> str:
    """``struggle-lr-<12 hex>`` from a hash of data, parameters, held-out learners and window."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    params = {
        "features": FEATURE_NAMES,
        "groups": list(groups),
        "holdout": sorted(holdout),
        "C": C_GRID,
        "calibration": CALIBRATION_METHODS,
        "folds": CV_FOLDS,
        "holdoutShare": HOLDOUT_LEARNER_SHARE,
        "window": [window[0].isoformat(), window[1].isoformat()],
        "format": SERIAL_FORMAT,
    }
    h.update(json.dumps(params, sort_keys=True).encode())
    return f"struggle-lr-{h.hexdigest()[:12]}"


def train_model(
    x: FloatArray,
    y: Outcomes,
    groups: Sequence[str],
    *,
    rng: np.random.Generator,
    now: datetime,
    window_start: datetime,
    window_end: datetime,
) -> TrainedModel | InsufficientData:
    """Train and calibrate on rows ``x`` (features in ``FEATURE_NAMES`` order) with learner ids ``groups``."""
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64).ravel()
    ga = np.asarray([str(g) for g in groups])
    if xa.ndim != 2 or xa.shape[1] != len(FEATURE_NAMES):
        raise ValueError(f"x must have shape (n, {len(FEATURE_NAMES)}), got {xa.shape}")
    if not xa.shape[0] == ya.size == ga.size:
        raise ValueError("x, y and groups must have the same length")
    if ya.size < MIN_OUTCOMES_FOR_TRAINING:
        return InsufficientData("outcomes", int(ya.size), MIN_OUTCOMES_FOR_TRAINING)
    learners = np.unique(ga)
    if learners.size < MIN_LEARNERS_FOR_TRAINING:
        return InsufficientData("learners", int(learners.size), MIN_LEARNERS_FOR_TRAINING)
    n_pos = int(ya.sum())
    if n_pos == 0 or n_pos == ya.size:
        kind = "struggled outcomes" if n_pos == 0 else "not-struggled outcomes"
        return InsufficientData(kind, 0, 1)

    n_hold = min(learners.size - 2, max(1, round(HOLDOUT_LEARNER_SHARE * learners.size)))
    holdout = set(rng.permutation(learners)[:n_hold].tolist())
    test = np.isin(ga, list(holdout))
    train = ~test
    xt, yt, gt = xa[train], ya[train], ga[train]
    if np.unique(yt).size < 2 or np.unique(ya[test]).size < 2:
        return InsufficientData("outcomes of both kinds in training and held-out learners", 0, 1)

    mean = xt.mean(axis=0)
    scale = xt.std(axis=0)
    scale = np.where(scale < MIN_SCALE, 1.0, scale)
    xs = (xt - mean) / scale
    folds = list(GroupKFold(n_splits=min(CV_FOLDS, np.unique(gt).size)).split(xs, yt, gt))

    selection: list[tuple[float, str, float]] = []
    best: tuple[float, float, CalibrationMethod, FloatArray] | None = None
    for c in C_GRID:
        oof = np.empty(yt.size)
        for tr, va in folds:
            coef, b0 = _fit_logreg(xs[tr], yt[tr], c)
            oof[va] = xs[va] @ coef + b0
        for method in CALIBRATION_METHODS:
            nested = np.empty(yt.size)
            for tr, va in folds:
                nested[va] = _fit_calibration(oof[tr], yt[tr], method).apply(oof[va])
            brier = brier_score(nested, yt)
            selection.append((c, method, brier))
            if best is None or brier < best[0]:
                best = (brier, c, method, oof.copy())
    assert best is not None
    _, c_best, method_best, oof_best = best

    coef, intercept = _fit_logreg(xs, yt, c_best)
    calibration = _fit_calibration(oof_best, yt, method_best)
    p_test = calibration.apply(_decision(xa[test], mean, scale, coef, intercept))
    holdout_ids = tuple(sorted(holdout))
    return TrainedModel(
        version=_version(xa, ya, ga.tolist(), holdout_ids, (window_start, window_end)),
        feature_names=FEATURE_NAMES,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in coef),
        intercept=intercept,
        c=c_best,
        calibration=calibration,
        trained_at=now,
        window_start=window_start,
        window_end=window_end,
        n_train=int(yt.size),
        n_train_learners=int(np.unique(gt).size),
        holdout_learners=holdout_ids,
        metrics=model_metrics(p_test, ya[test]),
        selection=tuple(selection),
    )


def predict_proba(model: TrainedModel, x: FloatArray) -> FloatArray:
    """Calibrated probabilities for rows ``x`` (features in ``FEATURE_NAMES`` order)."""
    z = _decision(
        np.atleast_2d(np.asarray(x, dtype=np.float64)),
        np.asarray(model.mean),
        np.asarray(model.scale),
        np.asarray(model.coef),
        model.intercept,
    )
    return np.clip(model.calibration.apply(z), 0.0, 1.0)


def predict(model: TrainedModel, features: FeatureVector, k: int = TOP_FACTORS) -> ModelPrediction:
    """Calibrated probability and the ``k`` features pushing it up most (coef·(x − mean)/scale)."""
    x = features.as_array()
    contrib = np.asarray(model.coef) * (x - np.asarray(model.mean)) / np.asarray(model.scale)
    contributions = {n: float(v) for n, v in zip(model.feature_names, contrib, strict=True)}
    ranked = sorted(contributions.items(), key=lambda kv: kv[1], reverse=True)
    return ModelPrediction(
        probability=float(predict_proba(model, x)[0]),
        log_odds=float(contrib.sum() + model.intercept),
        contributions=contributions,
        top_factors=tuple((n, v) for n, v in ranked[:k] if v > 0),
        model_version=model.version,
    )


def evaluate(
    model: TrainedModel,
    x: FloatArray,
    y: Outcomes,
) -> ModelMetrics:
    """Metrics of ``model`` on rows ``x`` with outcomes ``y``."""
    return model_metrics(predict_proba(model, x), np.asarray(y, dtype=np.float64).ravel())


def should_deploy(candidate: ModelMetrics, current: ModelMetrics) -> bool:
    """Deploy only if AUC is strictly higher and Brier is at most ``BRIER_TOLERANCE`` worse (same outcomes)."""
    if candidate.auc is None or candidate.n != current.n:
        return False
    auc_better = current.auc is None or candidate.auc > current.auc
    return auc_better and candidate.brier <= current.brier + BRIER_TOLERANCE


def serialize(model: TrainedModel) -> dict[str, Any]:
    """JSON-able dict of the model (plain numbers and strings, no pickle)."""
    cal = model.calibration
    m = model.metrics
    return {
        "format": SERIAL_FORMAT,
        "version": model.version,
        "featureNames": list(model.feature_names),
        "mean": list(model.mean),
        "scale": list(model.scale),
        "coef": list(model.coef),
        "intercept": model.intercept,
        "C": model.c,
        "calibration": {
            "method": cal.method,
            "a": cal.a,
            "b": cal.b,
            "xThresholds": list(cal.x_thresholds),
            "yThresholds": list(cal.y_thresholds),
        },
        "trainedAt": model.trained_at.isoformat(),
        "windowStart": model.window_start.isoformat(),
        "windowEnd": model.window_end.isoformat(),
        "nTrain": model.n_train,
        "nTrainLearners": model.n_train_learners,
        "holdoutLearners": list(model.holdout_learners),
        "metrics": {
            "n": m.n,
            "nStruggled": m.n_struggled,
            "auc": m.auc,
            "brier": m.brier,
            "logLoss": m.log_loss,
            "ece": m.ece,
        },
        "selection": [{"C": c, "method": meth, "brier": b} for c, meth, b in model.selection],
    }


def deserialize(data: dict[str, Any]) -> TrainedModel:
    """Inverse of ``serialize``; refuses another format or another feature order."""
    if data.get("format") != SERIAL_FORMAT:
        raise ValueError(f"unknown model format {data.get('format')!r}")
    names = tuple(str(n) for n in data["featureNames"])
    if names != FEATURE_NAMES:
        raise ValueError("stored model uses a different feature order")
    cal = data["calibration"]
    method: CalibrationMethod = "isotonic" if cal["method"] == "isotonic" else "sigmoid"
    m = data["metrics"]
    return TrainedModel(
        version=str(data["version"]),
        feature_names=names,
        mean=tuple(float(v) for v in data["mean"]),
        scale=tuple(float(v) for v in data["scale"]),
        coef=tuple(float(v) for v in data["coef"]),
        intercept=float(data["intercept"]),
        c=float(data["C"]),
        calibration=Calibration(
            method,
            a=float(cal["a"]),
            b=float(cal["b"]),
            x_thresholds=tuple(float(v) for v in cal["xThresholds"]),
            y_thresholds=tuple(float(v) for v in cal["yThresholds"]),
        ),
        trained_at=datetime.fromisoformat(data["trainedAt"]),
        window_start=datetime.fromisoformat(data["windowStart"]),
        window_end=datetime.fromisoformat(data["windowEnd"]),
        n_train=int(data["nTrain"]),
        n_train_learners=int(data["nTrainLearners"]),
        holdout_learners=tuple(str(v) for v in data["holdoutLearners"]),
        metrics=ModelMetrics(
            n=int(m["n"]),
            n_struggled=int(m["nStruggled"]),
            auc=None if m["auc"] is None else float(m["auc"]),
            brier=float(m["brier"]),
            log_loss=float(m["logLoss"]),
            ece=float(m["ece"]),
        ),
        selection=tuple(
            (float(s["C"]), str(s["method"]), float(s["brier"])) for s in data["selection"]
        ),
    )
