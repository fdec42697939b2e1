"""Synthetic learners and objectives whose struggle follows a known logistic model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from twin.analysis.struggle.features import FEATURE_NAMES

START = datetime(2025, 1, 6, tzinfo=UTC)
"""A Monday: first day of the synthetic history."""

WEEKS = 20

TRUE_LOGIT_WEIGHTS: dict[str, float] = {
    "retentionScore": -8.0,
    "reviewLapseRate": 5.0,
    "sessionPerformanceScore": -5.0,
    "validationScore": -4.0,
    "prerequisiteGapCount": 2.5,
    "prerequisiteMasteryGap": 2.5,
    "complexityMismatch": 5.0,
    "historicalStruggleScore": 3.0,
    "cognitiveLoadIndicator": 3.0,
    "daysUntilExam": -2.0,
}
"""The generating model's log-odds weights (other features: 0); chosen, not fitted."""

TRUE_INTERCEPT = 5.6
"""Sets the struggle rate to about a third."""

LOGIT_NOISE_SD = 0.5
"""Unobserved per-observation variation added to the true log-odds."""

UNKNOWN_SHARE = 0.05
"""Share of (row, feature) values replaced by the unknown value 0.5."""


@dataclass(frozen=True)
class Cohort:
    """Feature rows, outcomes, learner ids, timestamps and true probabilities."""

    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    learner: npt.NDArray[np.str_]
    at: list[datetime]
    p_true: npt.NDArray[np.float64]


def make_cohort(rng: np.random.Generator, n_learners: int = 500, per_learner: int = 24) -> Cohort:
    """Learners with a latent ability; features correlated through it; outcomes ~ Bernoulli."""
    n = n_learners * per_learner
    a = np.repeat(rng.normal(0.0, 1.0, n_learners), per_learner)

    def noisy(center: npt.NDArray[np.float64] | float, sd: float) -> npt.NDArray[np.float64]:
        return np.clip(center + rng.normal(0.0, sd, n), 0.0, 1.0)

    complexity = rng.choice([0.3, 0.6, 0.9], size=n)
    ability01 = 1.0 / (1.0 + np.exp(-a))
    gap_count = rng.beta(1.0, 3.0, n)
    cols = {
        "retentionScore": noisy(0.72 + 0.08 * a, 0.12),
        "retentionDeclineRate": rng.beta(1.5, 6.0, n),
        "reviewLapseRate": noisy(0.22 - 0.06 * a, 0.08),
        "sessionPerformanceScore": noisy(0.65 + 0.08 * a, 0.14),
        "validationScore": noisy(0.70 + 0.08 * a, 0.15),
        "prerequisiteGapCount": gap_count,
        "prerequisiteMasteryGap": noisy(0.2 + 0.4 * gap_count, 0.08),
        "contentComplexity": complexity,
        "complexityMismatch": np.maximum(0.0, complexity - ability01),
        "historicalStruggleScore": rng.beta(2.0, 5.0, n),
        "contentTypeMismatch": rng.uniform(0.0, 1.0, n),
        "cognitiveLoadIndicator": rng.beta(4.0, 5.0, n),
        "daysUntilExam": rng.uniform(0.0, 1.0, n),
        "daysSinceLastStudy": rng.beta(1.5, 4.0, n),
        "workloadLevel": rng.beta(2.0, 8.0, n),
    }
    x = np.column_stack([cols[name] for name in FEATURE_NAMES])
    w = np.array([TRUE_LOGIT_WEIGHTS.get(name, 0.0) for name in FEATURE_NAMES])
    logit = TRUE_INTERCEPT + x @ w + rng.normal(0.0, LOGIT_NOISE_SD, n)
    p_true = 1.0 / (1.0 + np.exp(-logit))
    y = (rng.uniform(size=n) < p_true).astype(np.float64)
    x = np.where(rng.uniform(size=x.shape) < UNKNOWN_SHARE, 0.5, x)
    learner = np.repeat(np.array([f"learner-{i:03d}" for i in range(n_learners)]), per_learner)
    days = rng.uniform(0.0, 7.0 * WEEKS, n)
    at = [START + timedelta(days=float(d)) for d in days]
    return Cohort(x=x, y=y, learner=learner, at=at, p_true=p_true)
