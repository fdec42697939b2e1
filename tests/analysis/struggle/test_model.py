"""Trained struggle model: minimums, serialisation, deployment gate, synthetic recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.analysis.struggle.synth import START, make_cohort
from twin.analysis.common import InsufficientData
from twin.analysis.struggle.features import FeatureVector
from twin.analysis.struggle.metrics import PerformanceReport, performance_report
from twin.analysis.struggle.model import (
    MIN_OUTCOMES_FOR_TRAINING,
    ModelMetrics,
    TrainedModel,
    deserialize,
    evaluate,
    model_metrics,
    predict,
    predict_proba,
    serialize,
    should_deploy,
    train_model,
)
from twin.analysis.struggle.rules import rule_predict

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _train(seed: int, n_learners: int = 60, per_learner: int = 10) -> TrainedModel:
    """A small model on a seeded synthetic cohort."""
    c = make_cohort(np.random.default_rng(seed), n_learners=n_learners, per_learner=per_learner)
    m = train_model(
        c.x, c.y, c.learner.tolist(), rng=np.random.default_rng(seed), now=NOW,
        window_start=START, window_end=NOW,
    )  # fmt: skip
    assert isinstance(m, TrainedModel)
    return m


def test_minimum_outcomes() -> None:
    """Fewer than 50 outcomes, too few learners or one class: insufficient data, not an error."""
    assert MIN_OUTCOMES_FOR_TRAINING == 50
    c = make_cohort(np.random.default_rng(1), n_learners=7, per_learner=7)  # 49 rows
    kw = {"now": NOW, "window_start": START, "window_end": NOW}
    rng = np.random.default_rng(0)
    assert train_model(c.x, c.y, c.learner.tolist(), rng=rng, **kw) == InsufficientData(
        "outcomes", 49, 50
    )
    x = np.full((60, 15), 0.5)
    two = ["a", "b"] * 30
    assert train_model(x, [0, 1] * 30, two, rng=rng, **kw) == InsufficientData("learners", 2, 4)
    four = ["a", "b", "c", "d"] * 15
    assert train_model(x, [0] * 60, four, rng=rng, **kw) == InsufficientData(
        "struggled outcomes", 0, 1
    )


def test_version_is_deterministic_and_data_dependent() -> None:
    """Same data, seed and window → same version; other data → another version."""
    a, b, other = _train(3), _train(3), _train(4)
    assert a.version == b.version
    assert a.version.startswith("struggle-lr-")
    assert other.version != a.version


def test_serialize_roundtrip_is_json_and_exact() -> None:
    """JSON-able dict; the restored model predicts identical probabilities."""
    m = _train(5)
    data = json.loads(json.dumps(serialize(m)))
    back = deserialize(data)
    assert back == m
    x = make_cohort(np.random.default_rng(9), n_learners=5, per_learner=4).x
    np.testing.assert_array_equal(predict_proba(back, x), predict_proba(m, x))
    with pytest.raises(ValueError):
        deserialize({**data, "format": "pickle"})


def test_predict_contributions_sum_to_log_odds() -> None:
    """coef·(x − mean)/scale summed plus the intercept is the uncalibrated log-odds."""
    m = _train(6)
    f = FeatureVector.from_array([0.3] * 15)
    pred = predict(m, f)
    assert 0.0 <= pred.probability <= 1.0
    assert sum(pred.contributions.values()) + m.intercept == pytest.approx(pred.log_odds)
    assert len(pred.top_factors) <= 3
    assert all(v > 0 for _, v in pred.top_factors)
    assert pred.model_version == m.version


def test_should_deploy() -> None:
    """Higher AUC and Brier at most 0.005 worse on the same outcomes deploys; otherwise not."""
    cur = ModelMetrics(n=100, n_struggled=30, auc=0.80, brier=0.150, log_loss=0.45, ece=0.03)
    better = ModelMetrics(n=100, n_struggled=30, auc=0.82, brier=0.154, log_loss=0.44, ece=0.03)
    worse_brier = ModelMetrics(n=100, n_struggled=30, auc=0.82, brier=0.156, log_loss=0.4, ece=0.0)
    same_auc = ModelMetrics(n=100, n_struggled=30, auc=0.80, brier=0.10, log_loss=0.4, ece=0.0)
    other_n = ModelMetrics(n=90, n_struggled=30, auc=0.90, brier=0.10, log_loss=0.4, ece=0.0)
    assert should_deploy(better, cur)
    assert not should_deploy(worse_brier, cur)
    assert not should_deploy(same_auc, cur)
    assert not should_deploy(other_n, cur)


def test_synthetic_recovery_beats_rule_baseline() -> None:
    """Known logistic truth: trained on early/other learners, tested on later/held-out learners.

    Cohort: 500 learners × 24 objectives over 20 weeks (tests/analysis/struggle/synth.py).
    Train: 350 learners, weeks 0–12. Test: the other 150 learners, weeks 12–20.
    """
    c = make_cohort(np.random.default_rng(20250106))
    cut = START + timedelta(weeks=12)
    learners = np.unique(c.learner)
    test_learners = set(np.random.default_rng(7).permutation(learners)[:150].tolist())
    late = np.array([t >= cut for t in c.at])
    held = np.isin(c.learner, list(test_learners))
    train, test = ~held & ~late, held & late
    m = train_model(
        c.x[train], c.y[train], c.learner[train].tolist(), rng=np.random.default_rng(1),
        now=cut, window_start=START, window_end=cut,
    )  # fmt: skip
    assert isinstance(m, TrainedModel)
    trained = performance_report(predict_proba(m, c.x[test]), c.y[test])
    rule_p = [rule_predict(FeatureVector.from_array(row)).probability for row in c.x[test]]
    rule = performance_report(rule_p, c.y[test])
    truth = performance_report(c.p_true[test], c.y[test])
    assert isinstance(trained, PerformanceReport)
    assert isinstance(rule, PerformanceReport)
    assert isinstance(truth, PerformanceReport)
    for name, r in [("trained", trained), ("rule", rule), ("true p", truth)]:
        print(f"{name:8s} n={r.n} AUC={r.auc:.3f} Brier={r.brier:.4f} ECE={r.ece:.4f}")
    print(f"chosen C={m.c} calibration={m.calibration.method}; internal holdout {m.metrics}")
    assert trained.auc is not None and rule.auc is not None
    assert trained.auc >= 0.85
    assert trained.brier <= 0.15
    assert trained.ece <= 0.05
    assert trained.auc > rule.auc
    assert trained.brier < rule.brier
    # the deployment gate agrees on the same outcomes
    candidate = evaluate(m, c.x[test], c.y[test])
    assert candidate.auc == pytest.approx(trained.auc)
    assert should_deploy(candidate, model_metrics(np.asarray(rule_p), c.y[test]))
