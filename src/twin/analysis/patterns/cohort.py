"""Cohort distributions of twin measures over consenting learners, safe to show an operator.

A measure's distribution is shown only over at least :data:`MIN_COHORT_LEARNERS` learners,
its histogram has fixed bins (edges never come from a learner's value) and a bin with
fewer than :data:`MIN_BIN_LEARNERS` learners has its count withheld: one learner cannot be
picked out of the chart. Quartiles (not the minimum or maximum, which are one learner's
values) summarise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twin.analysis.common import InsufficientData

MIN_COHORT_LEARNERS = 10
"""Fewest learners a distribution is shown over (k-anonymity style threshold)."""
MIN_BIN_LEARNERS = 3
"""A histogram bin holding 1 or 2 learners shows "fewer than 3", not its count."""
COHORT_REQUIREMENT = "sharingLearners"


@dataclass(frozen=True)
class Scale:
    """A measure's fixed histogram range: ``bins`` equal bins from ``low`` to ``high``;
    values outside fall into the end bins."""

    low: float
    high: float
    bins: int


@dataclass(frozen=True)
class CohortBin:
    """One histogram bin: its range and how many learners (None: withheld, 1–2 learners)."""

    low: float
    high: float
    learners: int | None


@dataclass(frozen=True)
class CohortDistribution:
    """A measure over the cohort: learners, quartiles and the histogram."""

    learners: int
    q25: float
    median: float
    q75: float
    bins: tuple[CohortBin, ...]


def cohort_distribution(
    values: Sequence[float],
    scale: Scale,
    *,
    min_learners: int = MIN_COHORT_LEARNERS,
    min_bin: int = MIN_BIN_LEARNERS,
) -> CohortDistribution | InsufficientData:
    """One value per learner → quartiles and a histogram with small bins withheld."""
    arr = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if arr.size < min_learners:
        return InsufficientData(COHORT_REQUIREMENT, int(arr.size), min_learners)
    edges = np.linspace(scale.low, scale.high, scale.bins + 1)
    clipped = np.clip(arr, scale.low, scale.high)
    counts, _ = np.histogram(clipped, bins=edges)
    q25, median, q75 = (float(q) for q in np.quantile(arr, [0.25, 0.5, 0.75]))
    bins = tuple(
        CohortBin(
            low=float(edges[i]),
            high=float(edges[i + 1]),
            learners=None if 0 < int(c) < min_bin else int(c),
        )
        for i, c in enumerate(counts)
    )
    return CohortDistribution(learners=int(arr.size), q25=q25, median=median, q75=q75, bins=bins)
