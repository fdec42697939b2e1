"""Vocabulary shared by every analysis: the insufficient-data answer, bounds and rounding."""

from __future__ import annotations

import math
from dataclasses import dataclass

ROUNDING_DIGITS = 4
"""Digits kept by :func:`rounded` (evidence numbers and JSON answers)."""


@dataclass(frozen=True)
class InsufficientData:
    """A minimum that is not met yet, and how far along the learner (or the model) is."""

    requirement: str
    have: int
    need: int

    def to_json(self) -> dict[str, dict[str, int]]:
        """``{"sessions": {"have": 12, "need": 30}}``."""
        return {self.requirement: {"have": self.have, "need": self.need}}


def clip01(x: float) -> float:
    """``x`` clipped to [0, 1]; NaN raises (a NaN here is a bug upstream, not a value)."""
    if math.isnan(x):
        raise ValueError("NaN is not a valid value in [0, 1]")
    return min(1.0, max(0.0, x))


def rounded(x: float, digits: int = ROUNDING_DIGITS) -> float:
    """``x`` rounded for storage and display (evidence numbers, JSON)."""
    return round(float(x), digits)
