"""Sample-ratio mismatch: do the observed arm sizes fit the planned split? (Pearson χ²)

Expected e_i = w_i/Σw · Σo; χ² = Σ over arms with w_i > 0 of (o_i − e_i)²/e_i;
p = χ²-survival(χ², k − 1), where k counts every arm (an arm planned at weight 0 is left out of
the sum but still counts in the degrees of freedom, as in gbstats 0.8.0). No participants at all:
p = 1. A mismatch means assignment or exposure is broken, so no effect estimate can be trusted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import chi2

SRM_P_VALUE_THRESHOLD = 0.001
"""Below this p-value the split is called broken and the verdict is withheld (ENGINE.md 5.5)."""


def expected_counts(observed: Sequence[int], weights: Sequence[float]) -> tuple[float, ...]:
    """Arm sizes the planned weights predict for the observed total."""
    if len(observed) != len(weights):
        raise ValueError(f"{len(observed)} observed counts but {len(weights)} weights")
    if len(observed) < 2:
        raise ValueError("a sample-ratio check needs at least 2 arms")
    for count in observed:
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
            raise ValueError(f"observed counts must be integers ≥ 0, got {count!r}")
    for weight in weights:
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(f"weights must be finite and ≥ 0, got {weight!r}")
    total_weight = math.fsum(weights)
    if total_weight <= 0:
        raise ValueError("weights must sum to a positive number")
    total = int(sum(int(c) for c in observed))
    return tuple(w / total_weight * total for w in weights)


def srm_chi_square(observed: Sequence[int], weights: Sequence[float]) -> float:
    """Pearson's χ² of the observed counts against the planned weights."""
    expected = expected_counts(observed, weights)
    return math.fsum(
        (o - e) ** 2 / e for o, e, w in zip(observed, expected, weights, strict=True) if w > 0
    )


def srm_p_value(observed: Sequence[int], weights: Sequence[float]) -> float:
    """p-value of the sample-ratio-mismatch χ² test (1 when nobody is assigned yet)."""
    expected = expected_counts(observed, weights)
    if sum(expected) == 0:
        return 1.0
    return float(chi2.sf(srm_chi_square(observed, weights), len(observed) - 1))
