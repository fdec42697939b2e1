"""Shared helpers of the struggle analyses."""

from __future__ import annotations

import math


def logistic(z: float) -> float:
    """``1 / (1 + e^(−z))``, computed without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
