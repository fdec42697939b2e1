"""Struggle prediction and interventions (ENGINE.md 5.2): the service layer, one package.

- :mod:`~twin.services.struggle.loading`: what prediction reads of a learner at a date.
- :mod:`~twin.services.struggle.predictions`: generate and store predictions, indicators,
  interventions; alerts.
- :mod:`~twin.services.struggle.views`: read stored predictions and interventions.
- :mod:`~twin.services.struggle.interventions`: apply an intervention to a mission.
- :mod:`~twin.services.struggle.outcomes`: outcomes, learner feedback, performance
  metrics, model performance, struggle reduction.
- :mod:`~twin.services.struggle.models`: the model registry and training.

The pure computations live in :mod:`twin.analysis.struggle`. The names below are the
prediction entry points for the API, the CLI and the jobs (``AT_RISK_ABOVE``, an
analysis threshold, is repeated here because it is the lists' default).
"""

from twin.analysis.struggle.horizon import DEFAULT_DAYS_AHEAD, MAX_DAYS_AHEAD, MIN_DAYS_AHEAD
from twin.analysis.struggle.workflow import AT_RISK_ABOVE
from twin.services.struggle.interventions import ApplyResult, MissionSummary, apply_intervention
from twin.services.struggle.loading import LearnerState, learner_state
from twin.services.struggle.predictions import (
    AlertView,
    GeneratedPrediction,
    GenerationCounts,
    GenerationResult,
    KeptPrediction,
    WrittenIntervention,
    build_contexts,
    candidate_objectives,
    generate_predictions,
)
from twin.services.struggle.views import (
    DEFAULT_LIST_LIMIT,
    MAX_LIST_LIMIT,
    FactorView,
    IndicatorView,
    InterventionView,
    ObjectiveRef,
    PredictionList,
    PredictionStats,
    PredictionView,
    WhyFeature,
    WhyView,
    list_interventions,
    list_predictions,
    prediction_detail,
)

__all__ = [
    "AT_RISK_ABOVE",
    "DEFAULT_DAYS_AHEAD",
    "DEFAULT_LIST_LIMIT",
    "MAX_DAYS_AHEAD",
    "MAX_LIST_LIMIT",
    "MIN_DAYS_AHEAD",
    "AlertView",
    "ApplyResult",
    "FactorView",
    "GeneratedPrediction",
    "GenerationCounts",
    "GenerationResult",
    "IndicatorView",
    "InterventionView",
    "KeptPrediction",
    "LearnerState",
    "MissionSummary",
    "ObjectiveRef",
    "PredictionList",
    "PredictionStats",
    "PredictionView",
    "WhyFeature",
    "WhyView",
    "WrittenIntervention",
    "apply_intervention",
    "build_contexts",
    "candidate_objectives",
    "generate_predictions",
    "learner_state",
    "list_interventions",
    "list_predictions",
    "prediction_detail",
]
