"""Per-card recall prediction: FSRS-6 fitted per learner, and its no-peeking evaluation."""

from twin.analysis.recall.evaluation import (
    EvaluationResult,
    evaluate_chronological,
    fsrs_default_factory,
    recall_model_factory,
    running_mean_factory,
)
from twin.analysis.recall.model import (
    DEFAULT_RECALL_MODEL,
    MIN_REVIEWS_FOR_FIT,
    RecallModel,
    Review,
    fit_recall_model,
    predict_recall,
)
from twin.analysis.recall.weights import DEFAULT_FSRS_WEIGHTS, FsrsWeights

__all__ = [
    "DEFAULT_FSRS_WEIGHTS",
    "DEFAULT_RECALL_MODEL",
    "MIN_REVIEWS_FOR_FIT",
    "EvaluationResult",
    "FsrsWeights",
    "RecallModel",
    "Review",
    "evaluate_chronological",
    "fit_recall_model",
    "fsrs_default_factory",
    "predict_recall",
    "recall_model_factory",
    "running_mean_factory",
]
