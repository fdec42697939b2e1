"""Shared pieces of the personalization analyses: the bad-input error and small helpers."""

from __future__ import annotations

import math

# The project-wide helpers, re-exported for the personalization modules that import them here.
from twin.analysis.common import clip01 as clip01
from twin.analysis.common import rounded as rounded

Z_95 = 1.959963984540054
"""Two-sided 95% normal quantile."""


class InvalidParameter(ValueError):
    """A caller-supplied value is out of range or unknown; ``field`` names it (for a 4xx)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_range(field: str, value: float, low: float, high: float) -> None:
    """Raise InvalidParameter unless ``low ≤ value ≤ high`` (NaN is out of range)."""
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidParameter(field, f"must be in [{low:g}, {high:g}], got {value}")


def check_probability(field: str, value: float) -> None:
    """Raise InvalidParameter unless ``value`` is in [0, 1]."""
    check_range(field, value, 0.0, 1.0)
