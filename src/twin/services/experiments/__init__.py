"""A/B experiments on learners (ENGINE.md 5.5, second half): load → analysis → write.

- :mod:`.definitions` — define, list, read and stop experiments; who owns them
  (:data:`OPERATOR_OWNER_ID`) and what erasure does;
- :mod:`.assignment` — :func:`active_variant` (what ``personalization:apply`` calls: the
  learner's variant while an experiment of the context runs, assigned on first use) and a
  learner's own experiments;
- :mod:`.measurement` — each participant's pre- and post-period metrics from stored data,
  written into ``experiment_assignments.metrics`` (the daily job's step);
- :mod:`.results` — sufficient statistics aggregated in SQL, the verdict, the final result,
  and the winners recommendations read (:func:`experiment_winners`).
"""

from twin.services.experiments.assignment import (
    ActiveVariant,
    LearnerExperiments,
    Participation,
    active_variant,
    learner_experiments,
    running_experiment,
)
from twin.services.experiments.definitions import (
    OPERATOR_OWNER_ID,
    Experiment,
    ExperimentState,
    NewExperiment,
    create_experiment,
    list_experiments,
    load_experiment,
    stop_experiment,
)
from twin.services.experiments.measurement import RefreshReport, refresh_metrics
from twin.services.experiments.results import (
    ExperimentResults,
    ExperimentWinner,
    experiment_results,
    experiment_winners,
    finalize,
)

__all__ = [
    "OPERATOR_OWNER_ID",
    "ActiveVariant",
    "Experiment",
    "ExperimentResults",
    "ExperimentState",
    "ExperimentWinner",
    "LearnerExperiments",
    "NewExperiment",
    "Participation",
    "RefreshReport",
    "active_variant",
    "create_experiment",
    "experiment_results",
    "experiment_winners",
    "finalize",
    "learner_experiments",
    "list_experiments",
    "load_experiment",
    "refresh_metrics",
    "running_experiment",
    "stop_experiment",
]
